"""The warm pool of pre-started sandboxed workers (ffgrader.pool) keeps every student apart.

The real grader (``nbgrader autograde`` with the course's config, one process, the pool on) grades students
whose notebooks each first look for what an earlier student might have left behind, then leave all of it
behind themselves: files in the work directory, /tmp and the home directory, module files (a ``numpy.py`` and a
``sitecustomize.py`` where Python might find them, writes into numpy's and the staged library's own files), a
patched numpy and environment, a background thread and a detached child process. Every later student sees
none of it, scores what an honest student scores, and no process of any of them outlives the run.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import nbformat
import numpy
import pytest

from conftest import ROOT
from ffgrader import launcher
from ffgrader.pool import WarmPool
from ffgrader.session import SandboxStudent
from grading_support import course_of, processes_with
from tools import classroom as C

HW = "hw2_perceptron"
STUDENTS = ("p1", "p2", "p3")
MARK = "left_by_"

# Runs in each student's sandboxed worker, as a cell the student added at the end of the notebook.
PROBE_AND_PLANT = r'''
import functools, glob, json, os, subprocess, sys, threading, time
import numpy as np
me = ME
seen = {
    "files": sorted(p for d in ("/tmp", "/home/student", "/home/student/work")
                    for p in glob.glob(d + "/*") + glob.glob(d + "/.*")
                    if "left_by_" in p or p.endswith(("numpy.py", "sitecustomize.py"))),
    "numpy_mark": getattr(np, "left_by", None),
    "sum_mark": getattr(np.sum, "left_by", None),
    "numpy_file": np.__file__,
    "env": os.environ.get("LEFT_BY"),
    "threads": sorted(t.name for t in threading.enumerate() if t.name.startswith("left_by_")),
    "modules": sorted(m for m in sys.modules if m.startswith("left_by_")),
}
did = {"files": {}, "modules": {}}
for path in ("/tmp/left_by_" + me, "/home/student/left_by_" + me, "left_by_" + me, "numpy.py", "/tmp/numpy.py",
             "/tmp/sitecustomize.py", "/home/student/sitecustomize.py"):
    with open(path, "w") as fh:
        fh.write("import sys; sys.left_by = %r\n" % me)
    did["files"][path] = os.path.exists(path)
for target in (np.__file__, "/opt/ffgrader-lib/ffgrader/sandboxed/worker.py"):
    try:
        with open(target, "a") as fh:
            fh.write("\nleft_by = %r\n" % me)
        did["modules"][target] = "written"
    except OSError as e:
        did["modules"][target] = type(e).__name__
np.left_by = me
_sum = np.sum
np.sum = functools.wraps(_sum)(lambda *a, **k: _sum(*a, **k))
np.sum.left_by = me
os.environ["LEFT_BY"] = me
sys.modules["left_by_" + me] = sys
stop = threading.Event()
def _linger():
    while not stop.wait(0.05):
        open("/tmp/left_by_thread_" + me, "w").close()
threading.Thread(target=_linger, name="left_by_" + me, daemon=True).start()
child = subprocess.Popen([sys.executable, "-c", "import time\nwhile True:\n    open('/tmp/left_by_child', 'w').close()\n"
                          "    time.sleep(0.05)", "left_by_" + me], start_new_session=True)
did["child_running"] = child.poll() is None
did["numpy_mark"] = np.left_by
did["thread_alive"] = any(t.name == "left_by_" + me and t.is_alive() for t in threading.enumerate())
print("POOLPROBE" + json.dumps({"me": me, "seen": seen, "did": did}))
'''


def _report(course, sid):
    nb = nbformat.read(course / "autograded" / sid / HW / f"{HW}.ipynb", as_version=4)
    texts = [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    found = [t for t in texts if t.startswith("POOLPROBE")]
    assert found, f"{sid}: the probe cell printed nothing ({texts[-3:]})"
    return json.loads(found[0][len("POOLPROBE"):])


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.xdist_group("nbgrader")
def test_students_graded_by_one_process_through_the_pool_cannot_reach_each_other(tmp_path):
    course = course_of(tmp_path, HW)
    C.register(course, [HW])
    solution = nbformat.read(ROOT / "solutions" / HW / f"{HW}.ipynb", as_version=4)
    for sid in STUDENTS:
        nb = nbformat.from_dict(json.loads(json.dumps(solution)))
        nb.cells.append(nbformat.v4.new_code_cell(PROBE_AND_PLANT.replace("ME", repr(sid))))
        d = course / "submitted" / sid / HW
        d.mkdir(parents=True)
        nbformat.write(nb, d / f"{HW}.ipynb")
    honest = course / "submitted" / "honest" / HW
    honest.mkdir(parents=True)
    nbformat.write(solution, honest / f"{HW}.ipynb")
    before = {p: p.read_bytes() for p in (Path(numpy.__file__), ROOT / "ffgrader" / "sandboxed" / "worker.py")}

    # The real grader, one process for every student (the command tools.classroom runs per shard).
    proc = subprocess.run([C.NBGRADER, "autograde", HW, "--force", "--SandboxedGrading.warm_pool=1"], cwd=course,
                          env=C.grading_env(), capture_output=True, text=True, timeout=900)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    order = re.findall(r"Creating/updating student with ID '([^']*)'", log)
    assert sorted(order) == sorted([*STUDENTS, "honest"])
    # Every notebook after the first was handed a worker started while an earlier student was being graded.
    prestarted = [int(n) for n in re.findall(r"grader cpu [\d.]+ s, (\d+) worker\(s\) pre-started", log)]
    assert len(prestarted) == 4 and prestarted[0] == 0 and all(n == 1 for n in prestarted[1:]), prestarted

    scores = C.scores(course, HW)
    full = scores["honest"]["score"]
    assert full > 0
    for sid in STUDENTS:
        assert scores[sid]["score"] == full, (sid, scores[sid])
        rep = _report(course, sid)
        # The attack was real in the student's own worker ...
        did = rep["did"]
        assert len(did["files"]) == 7 and all(did["files"].values()), did
        assert did["numpy_mark"] == sid and did["thread_alive"] and did["child_running"], did
        # ... module files of the installation and of the grader cannot be overwritten ...
        assert set(did["modules"]) == {rep["seen"]["numpy_file"], "/opt/ffgrader-lib/ffgrader/sandboxed/worker.py"}
        assert set(did["modules"].values()) <= {"OSError", "PermissionError"}, did["modules"]
        # ... and nothing of any earlier student reached this one.
        seen = rep["seen"]
        assert seen["files"] == [] and seen["numpy_mark"] is None and seen["sum_mark"] is None, seen
        assert seen["env"] is None and seen["threads"] == [] and seen["modules"] == [], seen
        assert seen["numpy_file"].startswith(launcher.SITE_IN + "/"), seen["numpy_file"]
    assert order.index(STUDENTS[-1]) > 0  # at least one probing student came after a planting one
    assert processes_with(MARK) == []
    assert {p: p.read_bytes() for p in before} == before
    assert not (course / "submitted" / STUDENTS[0] / HW / "numpy.py").exists()


def test_a_pool_hands_each_worker_out_once_and_skips_a_dead_one(tmp_path):
    lib = launcher.stage_library(tmp_path / "lib")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "data.csv").write_text("1,2\n")
    with WarmPool(ahead=1) as pool:
        first = SandboxStudent(sub, lib, pool=pool).start()
        [waiting] = pool.waiting()
        assert first.timings.prestarted == 0 and waiting.proc.poll() is None
        # The worker started ahead has seen no submission: its directory is still empty until it is handed out.
        assert list(waiting.workdir.iterdir()) == []
        r = first.run_cell("c", "import os\nresult = sorted(os.listdir('.'))", 10)
        assert r.ok and first.value("result") == ["data.csv"]
        first_proc = first._box.proc
        first.close()
        assert first_proc.poll() is not None  # killed with its student
        waiting.kill()  # dies while waiting: never handed out
        second = SandboxStudent(sub, lib, pool=pool).start()
        assert second._box is not waiting and second.timings.prestarted == 0
        assert second.run_cell("c", "import os\nresult = sorted(os.listdir('.'))", 10).ok
        assert second.value("result") == ["data.csv"]
        second.close()
        third = SandboxStudent(sub, lib, pool=pool).start()
        assert third.timings.prestarted == 1
        third.close()
        assert pool.handed_out == 3
        left = pool.waiting()
        assert len(left) == 1 and left[0].proc.poll() is None
    assert pool.waiting() == [] and left[0].proc is None


def test_a_pool_refuses_a_bad_size():
    with pytest.raises(ValueError, match="ahead"):
        WarmPool(ahead=-1)
