"""A class of 300: one assignment graded the way an instructor grades a class, ``tools.classroom autograde --jobs 2``.

    python -m bench.grading_class                 # 300 students, writes bench/results/grading_class.{json,md}
    python -m bench.grading_class --students 40   # a smaller class (not written unless --write)

The assignment is ``hw2_perceptron``: it has no by-hand part, so each notebook needs exactly one sandboxed worker
(the case the issue's goal is about); its checks are short (tens of milliseconds), so what is measured is mostly
the grader's own cost per notebook; and it has a per-student variant cell and six answer parts, so the class
exercises variants and partial credit. (hw1 and hw3 start a second, by-hand worker per notebook and cost more.)

The class is built from the released notebook (``exercises/``) with the answer cells filled in from the
solution (its ``### BEGIN/END SOLUTION`` markers dropped), drawn per student with a fixed seed:
70 % honest (every part answered), 12 % partial (one part left as released), 10 % buggy (one answer with a
sign flipped: wrong results or an exception), 8 % blank (the released notebook as it is).

Measured in one run, with the load average before and after:

* ``total_s``, ``notebooks_per_s``: wall-clock seconds of ``python -m tools.classroom autograde hw --jobs 2``
  (a fresh gradebook, every student) and notebooks per second;
* ``per_notebook_s``: process-seconds per notebook, ``total_s * jobs / students`` (what one notebook costs one
  grading process);
* ``student_and_checks_s``: median seconds of the student's cells and the checks (the grader's log line per
  notebook, ``ffgrader: ... student code ... checks ...``);
* ``overhead_s``: ``per_notebook_s - student_and_checks_s``: everything but the student's code and the checks
  (the worker's start as far as it is not hidden, nbgrader's per-student work, the gradebook's writes);
* ``nbclient_s``: the median seconds of executing the same honest notebook with plain nbclient (a fresh
  ``python3`` kernel per notebook, as nbgrader's own Execute does), and ``ratio`` = ``per_notebook_s / nbclient_s``.
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
HW = "hw2_perceptron"
MIX = (("honest", 0.70), ("partial", 0.12), ("buggy", 0.10), ("blank", 0.08))
_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
_SPLIT = re.compile(r"ffgrader: sandbox start ([\d.]+) s \((\d+) restarts\), student code ([\d.]+) s, "
                    r"replay ([\d.]+) s, checks ([\d.]+) s, grader cpu ([\d.]+) s")


def _gid(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _answers(hw):
    """grade_id -> the solution's answer source without the solution markers."""
    sol = nbformat.read(ROOT / "solutions" / hw / f"{hw}.ipynb", as_version=4)
    return {_gid(c): "\n".join(ln for ln in c.source.splitlines() if not _MARKER.match(ln))
            for c in sol.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}


def _sign_bug(source):
    for old, new in ((" + ", " - "), (" - ", " + "), (">=", "<"), ("==", "!=")):
        if old in source:
            return source.replace(old, new, 1)
    return source + "\n    raise ValueError('unfinished')"


def make_class(course: Path, hw: str = HW, students: int = 300, seed: int = 2026) -> dict:
    """Write submitted/<id>/<hw>/<hw>.ipynb for ``students`` ids; returns {id: kind}."""
    release = nbformat.read(ROOT / "exercises" / hw / f"{hw}.ipynb", as_version=4)
    answers = _answers(hw)
    rng = random.Random(seed)
    kinds = {}
    for k in range(students):
        sid = f"s{k:03d}"
        kind = rng.choices([m for m, _ in MIX], weights=[w for _, w in MIX])[0]
        nb = nbformat.from_dict(json.loads(json.dumps(release)))
        parts = sorted(answers)
        odd = rng.choice(parts)
        for cell in nb.cells:
            g = _gid(cell)
            if g not in answers or kind == "blank" or (kind == "partial" and g == odd):
                continue
            cell.source = _sign_bug(answers[g]) if kind == "buggy" and g == odd else answers[g]
        d = course / "submitted" / sid / hw
        d.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, d / f"{hw}.ipynb")
        kinds[sid] = kind
    return kinds


def nbclient_seconds(notebook: Path, repeats: int = 5) -> list[float]:
    """Seconds of executing ``notebook`` with plain nbclient, a fresh python3 kernel each time."""
    code = ("import sys, time, nbformat\nfrom nbclient import NotebookClient\n"
            "nb = nbformat.read(sys.argv[1], as_version=4)\nt0 = time.perf_counter()\n"
            "NotebookClient(nb, kernel_name='python3', timeout=120, allow_errors=True).execute()\n"
            "print(time.perf_counter() - t0)\n")
    from tools.classroom import grading_env

    out = []
    for _ in range(repeats):
        p = subprocess.run([sys.executable, "-c", code, str(notebook)], cwd=notebook.parent, env=grading_env(),
                           capture_output=True, text=True, check=True)
        out.append(float(p.stdout.strip().splitlines()[-1]))
    return out


def _log_to(config: Path, logfile: Path):
    """Have every grading process of the temporary course also write its log to ``logfile`` (the per-notebook
    ``ffgrader:`` lines; ``tools.classroom`` keeps its processes' output for its progress line)."""
    with config.open("a") as fh:
        fh.write(f"\n# bench.grading_class: the grading processes' log, also in a file\nc.NbGrader.logfile = {str(logfile)!r}\n")


def run(students: int = 300, jobs: int = 2, log=print) -> dict:
    sys.path.insert(0, str(ROOT))
    from bench.grading import make_course
    from tools.classroom import scores

    with tempfile.TemporaryDirectory(prefix="ffnn-class-bench-") as tmp:
        tmp = Path(tmp)
        course = make_course(tmp, [HW])
        logfile = tmp / "grading.log"
        _log_to(course / "nbgrader_config.py", logfile)
        kinds = make_class(course, HW, students)
        honest = next(s for s, k in sorted(kinds.items()) if k == "honest")
        load0 = os.getloadavg()
        nbc = nbclient_seconds(course / "submitted" / honest / HW / f"{HW}.ipynb")
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "tools.classroom", "--course", str(course), "autograde", HW,
                               "--jobs", str(jobs)], cwd=ROOT, capture_output=True, text=True)
        total = time.perf_counter() - t0
        load1 = os.getloadavg()
        if proc.returncode != 0:
            raise RuntimeError(f"autograde failed (rc={proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
        rows = [tuple(map(float, m.groups())) for m in _SPLIT.finditer(logfile.read_text())]
        graded = scores(course, HW)
        by_kind = {}
        for sid, kind in kinds.items():
            by_kind.setdefault(kind, []).append(graded[sid]["score"])
    per = total * jobs / students
    work = statistics.median(r[2] + r[3] + r[4] for r in rows) if rows else float("nan")
    nbclient = statistics.median(nbc)
    res = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()), "assignment": HW, "students": students,
        "jobs": jobs, "cores": os.cpu_count(), "load_before": [round(x, 2) for x in load0],
        "load_after": [round(x, 2) for x in load1], "total_s": round(total, 2),
        "notebooks_per_s": round(students / total, 2), "per_notebook_s": round(per, 3),
        "student_and_checks_s": round(work, 3), "overhead_s": round(per - work, 3),
        "worker_wait_s": round(statistics.median(r[0] for r in rows), 3) if rows else None,
        "grader_cpu_s": round(statistics.median(r[5] for r in rows), 3) if rows else None,
        "notebooks_logged": len(rows), "nbclient_s": round(nbclient, 3), "nbclient_runs": [round(x, 3) for x in nbc],
        "ratio": round(per / nbclient, 2),
        "mix": {k: len(v) for k, v in by_kind.items()},
        "mean_score": {k: round(statistics.mean(v), 2) for k, v in by_kind.items()},
    }
    log(f"grading_class: {json.dumps(res)}")
    return res


def markdown(res: dict) -> str:
    return "\n".join([
        "# A class of 300: `python -m tools.classroom autograde --jobs 2`", "",
        f"Run {res['date']}, {res['cores']} logical cores, load average before {res['load_before']}, "
        f"after {res['load_after']}. Assignment {res['assignment']}, {res['students']} students "
        f"({', '.join(f'{n} {k}' for k, n in res['mix'].items())}; mean score "
        f"{', '.join(f'{k} {v:g}' for k, v in res['mean_score'].items())}), {res['jobs']} grading processes.", "",
        "| total | notebooks/s | per notebook (process-s) | student code + checks | grader overhead | "
        "worker wait | grader CPU | plain nbclient | ratio to nbclient |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {res['total_s']:.1f} s | {res['notebooks_per_s']:.2f} | {res['per_notebook_s']:.3f} s | "
        f"{res['student_and_checks_s']:.3f} s | {res['overhead_s']:.3f} s | {res['worker_wait_s']} s | "
        f"{res['grader_cpu_s']} s | {res['nbclient_s']:.3f} s | {res['ratio']:.2f} |", "",
        "Per notebook = total × processes / students; grader overhead = per notebook − the median seconds of the "
        "student's cells and the checks; worker wait = the median seconds a notebook waited for its sandboxed "
        "worker; plain nbclient = the median of 5 executions of an honest notebook of the class with nbclient and "
        "a fresh python3 kernel, measured in the same run.", ""])


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=300)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--write", action="store_true", help="write bench/results/grading_class.* (default for 300)")
    ap.add_argument("--tag", default="", help="suffix of the results files (grading_class<tag>.json)")
    a = ap.parse_args()
    out = run(a.students, a.jobs)
    if a.write or a.students == 300:
        (RESULTS / f"grading_class{a.tag}.json").write_text(json.dumps(out, indent=2) + "\n")
        (RESULTS / f"grading_class{a.tag}.md").write_text(markdown(out))
