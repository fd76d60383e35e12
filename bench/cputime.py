"""CPU seconds each test costs: a pytest plugin (measurement, not a test).

    python -m pytest -p bench.cputime --cpu-times=bench/results/cputime.json ...

The suite is CPU-bound on two cores (load about 4 through a run), so its wall time follows the CPU it
burns, not the test time junit reports (which also counts waiting). Around each test's setup, call and
teardown the plugin reads ``getrusage`` for the worker itself and for its reaped descendants: nbgrader
commands, kernels, sandboxed workers and jupyter-book runs are counted when they exit; a process that
outlives its test (the session's Chromium, a server torn down later) is counted in the test whose teardown
reaps it, and one that is never reaped by the worker (a daemon such as PostgreSQL's) is not counted.
Session fixtures are charged to the first test that builds them.

The JSON holds, per test file and per xdist group, the CPU seconds (self and children) and the test time.
"""

from __future__ import annotations

import resource
import time

import pytest

from bench import xdist_totals


def pytest_addoption(parser):
    parser.addoption("--cpu-times", metavar="PATH", default=None,
                     help="write the CPU seconds of each test file and group (bench.cputime) to PATH")


_KEY = pytest.StashKey[dict]()
_TOTALS = pytest.StashKey[dict]()


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def pytest_configure(config):
    if config.getoption("--cpu-times"):
        config.stash[_KEY] = {}


def _group(item) -> str:
    names = {str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")}
    return "_".join(sorted(names)) or "(none)"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    rows = item.config.stash.get(_KEY, None)
    if rows is None:
        return (yield)
    own0, kids0 = _cpu()
    t0 = time.monotonic()
    try:
        return (yield)
    finally:
        own1, kids1 = _cpu()
        for key in (("file", item.nodeid.split("::")[0]), ("group", _group(item))):
            slot = rows.setdefault("|".join(key), [0.0, 0.0, 0.0])
            slot[0] += own1 - own0
            slot[1] += kids1 - kids0
            slot[2] += time.monotonic() - t0


def _merge(into: dict, rows: dict):
    for k, v in rows.items():
        slot = into.setdefault(k, [0.0, 0.0, 0.0])
        for i in range(3):
            slot[i] += v[i]


def _table(rows: dict, kind: str) -> dict:
    out = {k.split("|", 1)[1]: {"cpu_s": round(v[0] + v[1], 1), "self_s": round(v[0], 1),
                                "children_s": round(v[1], 1), "test_s": round(v[2], 1)}
           for k, v in rows.items() if k.startswith(kind + "|")}
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["cpu_s"]))


def pytest_sessionfinish(session):
    config = session.config
    rows = config.stash.get(_KEY, None)
    if rows is None:
        return
    if xdist_totals.hand_over(config, "cputime", rows):
        return
    totals = config.stash.get(_TOTALS, {})
    _merge(totals, rows)
    files, groups = _table(totals, "file"), _table(totals, "group")
    out = {"cpu_s": round(sum(v["cpu_s"] for v in files.values()), 1),
           "test_s": round(sum(v["test_s"] for v in files.values()), 1), "groups": groups, "files": files}
    xdist_totals.write_json(config.getoption("--cpu-times"), out)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    xdist_totals.merge_from(node, "cputime", _KEY, _TOTALS, _merge)
