"""Run only by tests/test_suite_setup.py, in a pytest of its own (the name keeps the suite from collecting it).

Every test appends "<kind> <index> <worker id>" to the file named by XDIST_PROBE_LOG; the outer test reads
the log. The "probe" group must run on one worker, the free tests on both; the two groups named in
XDIST_PROBE_FIRST (the first two of tests/conftest.py's LONG_FIRST) must start first, on different workers.
"""

import os

import pytest

N = 8
FIRST = os.environ.get("XDIST_PROBE_FIRST", "first,second").split(",")


def _record(kind, i):
    line = f"{kind} {i} {os.environ.get('PYTEST_XDIST_WORKER', 'none')}\n"
    fd = os.open(os.environ["XDIST_PROBE_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, line.encode())  # one O_APPEND write per line: workers never interleave within a line
    finally:
        os.close(fd)


@pytest.mark.parametrize("i", range(N))
def test_free(i):
    _record("free", i)


@pytest.mark.xdist_group("probe")
@pytest.mark.parametrize("i", range(N))
def test_grouped(i):
    _record("grouped", i)


@pytest.mark.xdist_group(FIRST[1])
@pytest.mark.parametrize("i", range(2))
def test_second_long(i):
    _record("second", i)


@pytest.mark.xdist_group(FIRST[0])
@pytest.mark.parametrize("i", range(2))
def test_first_long(i):
    _record("first", i)
