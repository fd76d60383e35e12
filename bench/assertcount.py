"""Count the checks a pytest run executes: a pytest plugin (measurement, not a test).

    PYTHONPYCACHEPREFIX=$(mktemp -d) python -m pytest -p bench.assertcount -o enable_assertion_pass_hook=true \
        --assert-count=bench/results/assertions.json ...

Counted while the tests run, in every xdist worker, summed by the controller:

* ``assert`` statements that passed (pytest's ``pytest_assertion_pass`` hook, which needs the ini option
  ``enable_assertion_pass_hook`` and test modules rewritten afresh: a fresh ``PYTHONPYCACHEPREFIX`` keeps
  pytest from reusing an assertion-rewritten ``.pyc`` of an earlier run) and the tests that failed on an
  ``assert`` (at most one each);
* ``pytest.raises`` / ``pytest.warns`` blocks that saw their exception or warning;
* calls of ``numpy.testing.assert_*``.

Asserts in helper modules that pytest does not rewrite (``tests/*_helpers.py``, ``grading_support.py``)
and checks run inside subprocesses (notebooks, nbgrader) are not seen; compare runs of the same kind.
The JSON holds the totals and the same counts per test file. ``python -m bench.assertcount A B``
compares two such files.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from bench import xdist_totals

KINDS = ("assert_pass", "assert_fail", "raises", "warns", "np_testing")


class _Counts:
    def __init__(self):
        self.per_file: dict[str, Counter] = {}
        self.current = "<collection>"

    def add(self, kind, n=1):
        self.per_file.setdefault(self.current, Counter())[kind] += n

    def as_dict(self):
        return {f: dict(c) for f, c in self.per_file.items()}


def pytest_addoption(parser):
    parser.addoption("--assert-count", metavar="PATH", default=None,
                     help="write the executed assertion counts (bench.assertcount) to PATH")


def _wrap_context(factory, counts, kind):
    class Counted:
        def __init__(self, cm):
            self._cm = cm

        def __enter__(self):
            return self._cm.__enter__()

        def __exit__(self, *exc):
            out = self._cm.__exit__(*exc)  # raises when the expected exception/warning did not come
            counts.add(kind)
            return out

        def __getattr__(self, name):
            return getattr(self._cm, name)

    def counted(*args, **kwargs):
        result = factory(*args, **kwargs)
        if hasattr(result, "__exit__"):
            return Counted(result)
        counts.add(kind)  # the callable form: it has already raised or passed
        return result

    counted.__wrapped__ = factory
    return counted


def _wrap_call(func, counts):
    def counted(*args, **kwargs):
        out = func(*args, **kwargs)
        counts.add("np_testing")
        return out

    counted.__wrapped__ = func
    return counted


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    if not config.getoption("--assert-count"):
        return
    if not config.getini("enable_assertion_pass_hook"):
        raise pytest.UsageError("--assert-count needs -o enable_assertion_pass_hook=true (see bench/assertcount.py)")
    counts = _Counts()
    config.stash[_KEY] = counts
    pytest.raises = _wrap_context(pytest.raises, counts, "raises")
    pytest.warns = _wrap_context(pytest.warns, counts, "warns")
    import numpy.testing as npt

    for name in dir(npt):
        if name.startswith("assert_") and callable(getattr(npt, name)):
            setattr(npt, name, _wrap_call(getattr(npt, name), counts))


_KEY = pytest.StashKey[_Counts]()
_TOTALS = pytest.StashKey[dict]()


def pytest_assertion_pass(item, lineno, orig, expl):
    counts = item.config.stash.get(_KEY, None)
    if counts is not None:
        counts.add("assert_pass")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    counts = item.config.stash.get(_KEY, None)
    if counts is not None:
        counts.current = item.nodeid.split("::")[0]
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    counts = item.config.stash.get(_KEY, None)
    if counts is not None and call.excinfo is not None and call.excinfo.errisinstance(AssertionError):
        counts.add("assert_fail")
    return report


def _merge(into: dict, per_file: dict):
    for f, c in per_file.items():
        slot = into.setdefault(f, {})
        for k, v in c.items():
            slot[k] = slot.get(k, 0) + v


def pytest_sessionfinish(session):
    config = session.config
    counts = config.stash.get(_KEY, None)
    if counts is None:
        return
    if xdist_totals.hand_over(config, "assertcount", counts.as_dict()):
        return
    per_file = config.stash.get(_TOTALS, {})
    _merge(per_file, counts.as_dict())
    totals = {k: sum(c.get(k, 0) for c in per_file.values()) for k in KINDS}
    out = {"totals": totals, "checks": sum(totals.values()) - totals["assert_fail"],
           "tests_collected": session.testscollected, "tests_failed": session.testsfailed,
           "per_file": dict(sorted(per_file.items()))}
    xdist_totals.write_json(config.getoption("--assert-count"), out)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    xdist_totals.merge_from(node, "assertcount", _KEY, _TOTALS, _merge)


def compare(before: Path, after: Path) -> str:
    a, b = json.loads(before.read_text()), json.loads(after.read_text())
    lines = [f"{'kind':<12} {'before':>8} {'after':>8}"]
    for k in KINDS:
        lines.append(f"{k:<12} {a['totals'].get(k, 0):>8} {b['totals'].get(k, 0):>8}")
    lines.append(f"{'checks':<12} {a['checks']:>8} {b['checks']:>8}")
    files = sorted(set(a["per_file"]) | set(b["per_file"]))
    lower = []
    for f in files:
        ca = sum(v for k, v in a["per_file"].get(f, {}).items() if k != "assert_fail")
        cb = sum(v for k, v in b["per_file"].get(f, {}).items() if k != "assert_fail")
        if cb < ca:
            lower.append(f"  {f}: {ca} -> {cb}")
    if lower:
        lines += ["files with fewer checks:", *lower]
    return "\n".join(lines)


if __name__ == "__main__":
    print(compare(Path(sys.argv[1]), Path(sys.argv[2])))
