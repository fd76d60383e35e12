"""What the whole suite shares: the environment, the Hypothesis profile, and how xdist spreads the tests.

* One BLAS thread per process (``tools.env.ONE_BLAS_THREAD``, set here before any test imports numpy, and
  inherited by every subprocess: nbgrader, kernels, jupyter-book): two workers share two cores.
* ``--dist loadgroup`` (the Makefile) keeps the tests of one ``xdist_group`` on one worker, so a group's
  session fixtures are built once. The controller checks it: a group whose tests ran on two workers fails
  the run (``GroupGuard``); ``tests/test_xdist_groups.py`` proves it on a probe.
* The long end-to-end groups are started first, one per worker (``LONG_FIRST``), with the Makefile's
  ``--no-loadscope-reorder``: xdist then hands out work units in collection order, alternating workers,
  and the short tests fill the gaps.

Waiting for something (a server, a file, a process) is ``waiting.wait_until(condition)``, never a fixed sleep.
"""

from __future__ import annotations

import os
from pathlib import Path

from tools.env import ONE_BLAS_THREAD

os.environ.update(ONE_BLAS_THREAD)  # before anything imports numpy (BLAS reads it when it loads)

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# Property tests draw the same examples on every run ("ci", the default: a red run is reproducible
# and a green one stays green); HYPOTHESIS_PROFILE=dev draws fresh ones to hunt for new failures.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# xdist groups in the order they are started: the first on one worker, the second on the other, then each
# worker's next; the longest first (bench/suite.py reports the time of each group). The order is estimated from
# a fresh clone of main at d7185f9 (attacks 855 s, browser 559 s, nbgrader 406 s, hub 402 s, publish 359 s,
# nbgrader_suite 234 s, reports 162 s of test time) and what the streams measured since: the attacks now run
# as one group per assignment (``attacks`` is the fixture assignment's run), the Chinese pages are
# ``browser_zh``, and ``gradebook`` also holds the PostgreSQL comparison. A group not listed starts after
# these, in file order, as the workers free up.
LONG_FIRST = ("browser", "nbgrader", "publish", "attacks", "hub", "nbgrader_suite", "gradebook",
              "attacks-hw1_neurons", "browser_zh", "reports", "attacks-hw3_backprop")


def xdist_group(item) -> str | None:
    """The group xdist's loadgroup gives ``item`` (its ``xdist_group`` marks, joined as xdist joins them)."""
    names = {str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")}
    return "_".join(sorted(names)) or None


def pytest_collection_modifyitems(config, items):
    rank = {g: i for i, g in enumerate(LONG_FIRST)}
    # sorted() is stable: inside a group, and among the rest, collection order is kept
    items[:] = sorted(items, key=lambda item: rank.get(xdist_group(item), len(rank)))
    for item in items:
        group = xdist_group(item)
        if group is not None:
            item.user_properties.append(("xdist_group", group))  # travels to the controller with the report


class GroupGuard:
    """On the xdist controller: which workers ran each group's tests; more than one fails the run."""

    def __init__(self):
        self.workers: dict[str, set[str]] = {}

    def pytest_runtest_logreport(self, report):
        node = getattr(report, "node", None)  # the worker, set by xdist on the reports it forwards
        group = dict(report.user_properties).get("xdist_group")
        if node is not None and group is not None and report.when == "call":
            self.workers.setdefault(group, set()).add(node.workerinput["workerid"])

    def split(self) -> dict[str, list[str]]:
        return {g: sorted(w) for g, w in sorted(self.workers.items()) if len(w) > 1}

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session):
        split = self.split()
        if split:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            session.config.get_terminal_writer().line(
                f"xdist groups ran on several workers (loadgroup did not group them): {split}", red=True, bold=True)


def pytest_configure(config):
    if config.getoption("dist", "no") == "loadgroup" and not hasattr(config, "workerinput"):
        config.pluginmanager.register(GroupGuard(), "ffnn-group-guard")


# The reader tests' site server, Chromium and crawl (tests/_browser.py) and the graded classes that several
# modules read (tests/shared_courses.py): defined here so that each exists once per session, shared by every
# module that asks for it.
# shared_courses' asserts (the grading commands' return codes) are rewritten like a test module's: the same
# messages on failure, and counted by bench/assertcount.py as they were before they moved there.
pytest.register_assert_rewrite("shared_courses")
from _browser import browser, crawl, site  # noqa: E402,F401
from shared_courses import gradebook_class, graded_hw2_twice, graded_hw3  # noqa: E402,F401
