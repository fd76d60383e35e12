"""Grading speed: ``nbgrader autograde`` over a class of simulated submissions.

A temporary course gets the repository's ``nbgrader_config.py`` and ``solutions/`` (notebooks and their
trusted ``checks.py``); ``generate_assignment`` registers every assignment; then N students each submit the
solution notebook (the slowest honest submission: every cell runs to the end). Per assignment:

* ``one_s``: one ``nbgrader autograde`` of a single student (fixed cost + one notebook);
* ``total_s``: one ``nbgrader autograde`` of all N students (how an instructor grades);
* ``per_notebook_s``: the marginal cost ``(total − one) / (N − 1)``;
* ``startup_s``: what a fresh sandboxed worker costs before the first cell runs (bwrap, the interpreter,
  numpy and SymPy), measured with ``ffgrader.session`` outside nbgrader;
* ``split``: the median seconds per notebook that the course's grader logs for each notebook of the class
  run: ``sandbox`` (bwrap alone, measured apart), ``worker`` (interpreter and imports inside the sandbox; the
  by-hand worker of hw1 and hw3 starts beside the first), ``student_code`` (the notebook's cells),
  ``checks`` (the trusted checks, their calls into the sandbox), and ``grader_cpu`` (median and maximum CPU
  seconds of the grading process itself per notebook: the bound the instructor guide states).

``imports`` times the imports of the worker in fresh interpreters. ``parallel``: the same class graded by W
processes, each taking the students whose id ends in its digits (``--student`` is a glob), and the
resulting gradebook compared score by score with the serial one.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tools.env import tool_env

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent



def _nbgrader(course, *args, want_log=False):
    t0 = time.perf_counter()
    proc = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=tool_env(), capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed (rc={proc.returncode}):\n{proc.stdout[-2000:]}\n"
                           f"{proc.stderr[-4000:]}")
    return (dt, proc.stdout + proc.stderr) if want_log else dt


_SPLIT = re.compile(r"ffgrader: sandbox start ([\d.]+) s \((\d+) restarts\), student code ([\d.]+) s, "
                    r"replay ([\d.]+) s, checks ([\d.]+) s, grader cpu ([\d.]+) s")


def time_split(log: str, bwrap_s: float) -> dict:
    """Median per-notebook seconds from the grader's log lines (one line per graded notebook)."""
    rows = [tuple(map(float, m.groups())) for m in _SPLIT.finditer(log)]
    if not rows:
        return {}
    med = lambda k: statistics.median(r[k] for r in rows)  # noqa: E731
    start = med(0)
    return {"notebooks": len(rows), "sandbox": min(bwrap_s, start), "worker": max(0.0, start - bwrap_s),
            "student_code": med(2), "checks": med(4), "restarts": sum(r[1] for r in rows),
            "grader_cpu": med(5), "grader_cpu_max": max(r[5] for r in rows)}


def assignments():
    """Assignments the course can grade: a notebook and its trusted checks.py."""
    src = ROOT / "solutions"
    return sorted(p.name for p in src.iterdir() if (p / f"{p.name}.ipynb").exists() and (p / "checks.py").exists()) \
        if src.is_dir() else []


def make_course(tmp: Path, hws):
    course = tmp / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for hw in hws:
        shutil.copytree(ROOT / "solutions" / hw, course / "solutions" / hw,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    # generate_assignment registers the assignment in the gradebook; one assignment per command,
    # and they touch the same database: run them one after the other.
    for hw in hws:
        _nbgrader(course, "generate_assignment", hw, "--force")
    return course


def student_ids(n):
    return [f"student{i:03d}" for i in range(n)]


def submit_all(course, hw, students):
    src = course / "solutions" / hw / f"{hw}.ipynb"
    for s in students:
        d = course / "submitted" / s / hw
        d.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, d / f"{hw}.ipynb")


def scores(course, hw, students):
    """{student: {grade cell: (auto score, max score)}}; auto score is None for manually graded cells."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s: {g.name: (g.auto_score, g.max_score) for g in gb.find_submission_notebook(hw, hw, s).grades}
                for s in students}


def _full_marks(sc):
    """Every autograded cell of every student got its maximum (the solution was submitted)."""
    return all(a == m for per in sc.values() for a, m in per.values() if a is not None) and any(
        a is not None for per in sc.values() for a, _ in per.values())


def import_times(repeats=3):
    """Best-of-``repeats`` seconds of ``import X`` in a fresh interpreter, minus a bare interpreter."""
    mods = ["numpy", "sympy", "ffgrader.sandboxed.worker", "nbgrader.apps"]

    def best(code):
        out = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], env=tool_env(), check=True, capture_output=True)
            out.append(time.perf_counter() - t0)
        return min(out)

    bare = best("pass")
    res = {"python (bare interpreter)": bare}
    for m in mods:
        res[m] = max(0.0, best(f"import {m}") - bare)
    return res


def bwrap_alone(repeats=5):
    """Best-of seconds of an empty sandbox (bwrap with the course's namespaces, running /usr/bin/true)."""
    from ffgrader import launcher

    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        launcher.check_available()
        best = min(best, time.perf_counter() - t0)
    return best


def worker_startup(repeats=3):
    """Seconds to start a sandboxed worker and get its first reply (bwrap + interpreter + imports), best of."""
    from ffgrader import launcher
    from ffgrader.session import SandboxStudent

    with tempfile.TemporaryDirectory() as lib:
        launcher.stage_library(Path(lib))
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            SandboxStudent(None, Path(lib)).start().close()
            best = min(best, time.perf_counter() - t0)
    return best


def parallel_check(course, hw, students, workers, serial_scores):
    """Grade the class again with ``workers`` processes into a fresh gradebook; compare the scores."""
    digits = [[d for d in "0123456789"[k::workers]] for k in range(workers)]
    for name in ("autograded", "gradebook.db"):
        p = course / name
        shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
    # The fresh gradebook needs the assignment again (generate_assignment registers it).
    _nbgrader(course, "generate_assignment", hw, "--force")
    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda ds: _nbgrader(course, "autograde", hw, "--force", f"--student=student*[{''.join(ds)}]"),
                      digits))
    total = time.perf_counter() - t0
    par = scores(course, hw, students)
    return {"assignment": hw, "workers": workers, "students": len(students), "total_s": total,
            "gradebook_identical": par == serial_scores,
            "full_marks_everywhere": _full_marks(par)}


def run(students=100, quick=False, log=print, workers=2):
    hws = assignments()
    if not hws:
        return {"students": students, "assignments": [], "note": "no solutions/<hw>/ notebooks found"}
    ids = student_ids(students)
    out = {"students": students, "assignments": []}
    with tempfile.TemporaryDirectory(prefix="ffnn-grading-bench-") as tmp:
        course = make_course(Path(tmp), hws)
        out["imports"] = import_times(2 if quick else 3)
        log(f"grading: imports {out['imports']}")
        bwrap_s = bwrap_alone()
        startup = worker_startup(2 if quick else 3)
        out["bwrap_s"] = bwrap_s
        class_total = 0.0
        serial = {}
        for hw in hws:
            submit_all(course, hw, ids)
            one = _nbgrader(course, "autograde", hw, "--force", f"--student={ids[0]}")
            total, class_log = _nbgrader(course, "autograde", hw, "--force", want_log=True)
            per = (total - one) / (students - 1) if students > 1 else one
            serial[hw] = scores(course, hw, ids)
            full = _full_marks(serial[hw])
            split = time_split(class_log, bwrap_s)
            row = {"assignment": hw, "one_s": one, "total_s": total, "per_notebook_s": per,
                   "startup_s": startup, "fixed_s": max(0.0, one - per), "all_graded": full, "split": split}
            out["assignments"].append(row)
            class_total += total
            log(f"grading: {hw}: one {one:.1f}s, {students} students {total:.1f}s, {per:.2f}s/notebook, "
                f"sandboxed worker start {startup:.2f}s, split {split}")
        out["class_total_s"] = class_total
        if workers > 1 and students >= workers:
            hw = min(out["assignments"], key=lambda r: r["total_s"])["assignment"]
            out["parallel"] = parallel_check(course, hw, ids, workers, serial[hw])
            log(f"grading: parallel {out['parallel']}")
    return out


if __name__ == "__main__":
    import argparse
    import json

    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=3)
    a = ap.parse_args()
    print(json.dumps(run(a.students, quick=True), indent=2))
