"""Parallel grading by student shards (tools/classroom.py): any ids, one gradebook, the serial run's scores.

The integration test grades a small class of hw1 serially, then again in two shard processes into a
fresh gradebook, both shards on one core with a CPU-burning process, and compares every cell's score.
"""

import os
import shutil
import signal
import subprocess
import sys

import nbformat
import pytest

from grading_support import course_of
from tools import classroom as C

ROOT = C.ROOT
HW = "hw1_neurons"
# Ids that the old `--student='*[02468]'` globs skipped (they do not end in a digit), and dots/dashes/case.
IDS = ["alice", "bob.smith", "Carol-Y", "dan_x", "eve9"]


def test_shards_split_any_ids_disjointly_and_completely():
    ids = ["zoe", "adam", "bob.smith", "Carol-Y", "dan_x", "eve9", "x"]
    for jobs in (1, 2, 3, 7, 20):
        parts = C.shards(ids, jobs)
        assert len(parts) == min(jobs, len(ids))
        flat = [s for p in parts for s in p]
        assert sorted(flat) == sorted(ids) and len(flat) == len(set(flat))
        assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert C.shards(list(reversed(ids)), 3) == C.shards(ids, 3)   # independent of the order given
    assert C.shards(["a", "a", "b"], 2) == [["a"], ["b"]]
    assert C.shards([], 4) == []


@pytest.mark.parametrize("ids, jobs, exc, words", [
    (["a"], 0, ValueError, "jobs must be >= 1"),
    (["a"], 1.5, TypeError, "jobs must be an int"),
    (["a"], True, TypeError, "jobs must be an int"),
    ("alice", 2, TypeError, "not one string"),
    (["al,ice"], 2, ValueError, "'al,ice'"),
    (["a b"], 2, ValueError, "'a b'"),
    (["../x"], 2, ValueError, "'../x'"),
    ([""], 2, ValueError, "empty student id"),
])
def test_shards_refuse_bad_input(ids, jobs, exc, words):
    with pytest.raises(exc, match=words.replace(".", r"\.").replace("(", r"\(")):
        C.shards(ids, jobs)


def test_every_shard_process_gets_one_blas_thread(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "8")   # an instructor's shell setting must not leak in
    env = C.grading_env()
    for key in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        assert env[key] == "1"
    assert env["PATH"].split(os.pathsep)[0] == str(C.Path(sys.executable).parent)


def _submit(course):
    solution = nbformat.read(str(ROOT / "solutions" / HW / f"{HW}.ipynb"), as_version=4)
    blank = nbformat.read(str(ROOT / "exercises" / HW / f"{HW}.ipynb"), as_version=4)
    partial = nbformat.read(str(ROOT / "exercises" / HW / f"{HW}.ipynb"), as_version=4)
    # The partial answer: the first answer cell of the solution, the rest left as released.
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in solution.cells}
    first_answer = next(c for c in partial.cells if c.metadata.get("nbgrader", {}).get("solution")
                        and c.cell_type == "code")
    first_answer.source = by_id[first_answer.metadata.nbgrader.grade_id].source
    notebooks = {"alice": solution, "bob.smith": solution, "Carol-Y": partial, "dan_x": blank, "eve9": solution}
    for sid, nb in notebooks.items():
        d = course / "submitted" / sid / HW
        d.mkdir(parents=True)
        nbformat.write(nb, str(d / f"{HW}.ipynb"))


def _fresh_gradebook(course):
    (course / "gradebook.db").unlink()
    shutil.rmtree(course / "autograded")
    C.register(course, [HW])


def _hog(n, core):
    """n processes burning CPU on ``core`` (the 'other work' of a loaded machine)."""
    return [subprocess.Popen([sys.executable, "-c", f"import os; os.sched_setaffinity(0, {{{core}}})\nwhile True: pass"],
                             start_new_session=True) for _ in range(n)]


@pytest.mark.slow
@pytest.mark.nbgrader
def test_two_shards_under_load_give_the_serial_scores(tmp_path):
    course = course_of(tmp_path, HW)
    C.register(course, [HW])
    _submit(course)
    C.autograde(HW, course, jobs=1, log=lambda *a: None)
    serial = C.scores(course, HW)
    assert sorted(serial) == sorted(IDS)
    full = serial["alice"]["score"]
    assert full > 0 and serial["bob.smith"]["score"] == serial["eve9"]["score"] == full
    assert serial["dan_x"]["score"] == 0
    assert 0 < serial["Carol-Y"]["score"] < full

    _fresh_gradebook(course)
    # The load, at the least CPU it costs: both shards (and everything they start) share one core with a
    # process burning it, so each gets about a third of the core and every wall-clock second of grading is
    # some three times its CPU time (two hogs beside two shards on two cores gave each half, and burnt twice
    # the CPU).
    core, saved = min(os.sched_getaffinity(0)), os.sched_getaffinity(0)
    hogs = _hog(1, core)
    try:
        os.sched_setaffinity(0, {core})      # inherited by the shard processes, their sandboxes and checkers
        result = C.autograde(HW, course, jobs=2, log=lambda *a: None)
    finally:
        os.sched_setaffinity(0, saved)
        for p in hogs:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    assert sorted(result) == sorted(IDS)
    parallel = C.scores(course, HW)
    assert parallel == serial


@pytest.mark.slow
@pytest.mark.nbgrader
def test_a_chosen_subset_is_graded_and_no_one_else(tmp_path):
    course = course_of(tmp_path, HW)
    C.register(course, [HW])
    _submit(course)
    C.autograde(HW, course, jobs=2, students=["Carol-Y", "dan_x"], log=lambda *a: None)
    assert sorted(C.scores(course, HW)) == ["Carol-Y", "dan_x"]
    assert sorted(p.name for p in (course / "autograded").iterdir()) == ["Carol-Y", "dan_x"]
    with pytest.raises(ValueError, match="no submission of hw1_neurons for \\['mallory'\\]"):
        C.autograde(HW, course, jobs=2, students=["mallory"])
    with pytest.raises(ValueError, match=r"assignment 'hw1_nuerons' is not in .*solutions \(known: hw1_neurons\)"):
        C.autograde("hw1_nuerons", course)


def _burn(seconds):
    """Spin for ``seconds`` of this process's CPU time (not wall-clock time)."""
    import time

    end = time.process_time() + seconds
    n = 0
    while time.process_time() < end:
        n += 1
    return n > 0


def test_grading_budgets_count_cpu_time_not_the_load_of_the_machine():
    """The cause of load-dependent scores: a check's time budget measured on the wall clock. A correct SymPy
    answer whose comparison needs 0.4 s of CPU, on a core shared with four CPU hogs, took over 1 s of wall
    time and came back "undecided" (0 points) while a quiet run gave full marks. Budgets are CPU seconds of
    the checking process now: the verdict is the same however busy the machine is."""
    from ffgrader.exprs import run_killable

    core = min(os.sched_getaffinity(0))
    saved = os.sched_getaffinity(0)
    hogs = _hog(4, core)
    try:
        os.sched_setaffinity(0, {core})      # this process (and the forked checker) shares the hogs' core
        # (With the old wall-clock budget this returned None: 0.4 s of CPU took ~2 s on the shared core.)
        assert run_killable(_burn, (0.4,), 1.0) is True
        # A check that needs more CPU than its budget is still stopped.
        assert run_killable(_burn, (3.0,), 0.3) is None
    finally:
        os.sched_setaffinity(0, saved)
        for p in hogs:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
