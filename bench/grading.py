"""Grading speed: ``nbgrader autograde`` over a class of simulated submissions.

A temporary course gets the repository's ``nbgrader_config.py``, ``nbgrader_ext/`` and
``solutions/``; ``generate_assignment`` registers every assignment; then N students each submit the
solution notebook (the slowest honest submission: every cell runs to the end). Per assignment:

* ``one_s``: one ``nbgrader autograde`` of a single student (fixed cost + one notebook);
* ``total_s``: one ``nbgrader autograde`` of all N students (how an instructor grades);
* ``per_notebook_s``: the marginal cost ``(total − one) / (N − 1)``;
* ``startup_s``: what a fresh kernel costs before the first test runs (start the kernel, run the
  locked import cell), measured with jupyter_client outside nbgrader.

``imports`` times the imports of the first cell in fresh interpreters, so the share of kernel
start-up and imports in ``per_notebook_s`` is visible. ``parallel``: the same class graded by W
processes, each taking the students whose id ends in its digits (``--student`` is a glob), and the
resulting gradebook compared score by score with the serial one.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tools.env import tool_env

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent



def _nbgrader(course, *args):
    t0 = time.perf_counter()
    proc = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=tool_env(), capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed (rc={proc.returncode}):\n{proc.stdout[-2000:]}\n"
                           f"{proc.stderr[-4000:]}")
    return dt


def assignments():
    src = ROOT / "solutions"
    return sorted(p.name for p in src.iterdir() if (p / f"{p.name}.ipynb").exists()) if src.is_dir() else []


def make_course(tmp: Path, hws):
    course = tmp / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    if (ROOT / "nbgrader_ext").is_dir():
        shutil.copytree(ROOT / "nbgrader_ext", course / "nbgrader_ext", ignore=shutil.ignore_patterns("__pycache__"))
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
    mods = ["numpy", "sympy", "nnlib.grading", "ipykernel.kernelapp", "nbgrader.apps"]

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


def kernel_startup(first_cell: str, repeats=3):
    """Seconds to start a python3 kernel and run the notebook's first (import) cell, best of ``repeats``."""
    from jupyter_client.manager import start_new_kernel

    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        km, kc = start_new_kernel(kernel_name="python3", env=tool_env())
        try:
            kc.execute_interactive(first_cell, timeout=120, output_hook=lambda msg: None)
            best = min(best, time.perf_counter() - t0)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    return best


def _first_cell(course, hw):
    import nbformat

    nb = nbformat.read(str(course / "solutions" / hw / f"{hw}.ipynb"), as_version=4)
    return next(c.source for c in nb.cells if c.cell_type == "code")


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
        class_total = 0.0
        serial = {}
        for hw in hws:
            submit_all(course, hw, ids)
            one = _nbgrader(course, "autograde", hw, "--force", f"--student={ids[0]}")
            total = _nbgrader(course, "autograde", hw, "--force")
            per = (total - one) / (students - 1) if students > 1 else one
            startup = kernel_startup(_first_cell(course, hw), 2 if quick else 3)
            serial[hw] = scores(course, hw, ids)
            full = _full_marks(serial[hw])
            row = {"assignment": hw, "one_s": one, "total_s": total, "per_notebook_s": per,
                   "startup_s": startup, "fixed_s": max(0.0, one - per), "all_graded": full}
            out["assignments"].append(row)
            class_total += total
            log(f"grading: {hw}: one {one:.1f}s, {students} students {total:.1f}s, {per:.2f}s/notebook, "
                f"kernel start-up + imports {startup:.2f}s")
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
