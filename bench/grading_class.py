"""A class of 300: one assignment graded the way an instructor grades a class, ``tools.classroom autograde --jobs 2``.

    python -m bench.grading_class                 # 300 students, writes bench/results/grading_class.{json,md}
    python -m bench.grading_class --students 40   # a smaller class (not written unless --write)
    python -m bench.grading_class --db URL        # once, into an empty database (grading_class-<dialect>.json)

The assignment is ``hw2_perceptron``: it has no by-hand part, so each notebook needs exactly one sandboxed worker
(the case the issue's goal is about); its checks are short (tens of milliseconds), so what is measured is mostly
the grader's own cost per notebook; and it has a per-student variant cell and six answer parts, so the class
exercises variants and partial credit. (hw1 and hw3 start a second, by-hand worker per notebook and cost more.)

The class is built from the released notebook (``exercises/``) with the answer cells filled in from the
solution (its ``### BEGIN/END SOLUTION`` markers dropped), drawn per student with a fixed seed:
70 % honest (every part answered), 12 % partial (one part left as released), 10 % buggy (one answer with a
sign flipped: wrong results or an exception), 8 % blank (the released notebook as it is).

Two configurations grade the same class in one run, each twice in the order course, plain, plain, course (the
load of the shared machine drifts): the course's (``nbgrader_config.py`` as it is: a warm pool of pre-started
workers, ``ffgrader.nbgrader_speed``'s steps) and ``nbgrader_steps_no_pool`` (``PLAIN_STEPS``: nbgrader's own
CheckCellMetadata and SaveAutoGrades, every worker started when its notebook comes). For each, with the load
average before and after:

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


# The comparison in the same run: nbgrader's own CheckCellMetadata and SaveAutoGrades and no pre-started workers
# (what the course's configuration replaces; appended to the temporary course's nbgrader_config.py).
PLAIN_STEPS = """
# bench.grading_class: nbgrader's own steps, every worker started when needed
import nbgrader.preprocessors as _nbp
c.SandboxedGrading.warm_pool = 0
for _key in ("sanitize_preprocessors", "autograde_preprocessors"):
    c.Autograde[_key] = [getattr(_nbp, p.__name__) if p.__module__ == "ffgrader.nbgrader_speed" else p
                         for p in c.Autograde[_key]]
"""


def grade_class(course: Path, kinds: dict, jobs: int, logfile: Path, db: str | None = None) -> dict:
    """``python -m tools.classroom autograde`` of the whole class; wall seconds, per-notebook split, scores."""
    from tools.classroom import scores

    load0 = os.getloadavg()
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "tools.classroom", "--course", str(course), *(["--db", db] if db else []),
                           "autograde", HW, "--jobs", str(jobs)], cwd=ROOT, capture_output=True, text=True)
    total = time.perf_counter() - t0
    load1 = os.getloadavg()
    if proc.returncode != 0:
        raise RuntimeError(f"autograde failed (rc={proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    rows = [tuple(map(float, m.groups())) for m in _SPLIT.finditer(logfile.read_text())]
    graded = scores(course, HW, db)
    by_kind = {}
    for sid, kind in kinds.items():
        by_kind.setdefault(kind, []).append(graded[sid]["score"])
    students = len(kinds)
    per = total * jobs / students
    work = statistics.median(r[2] + r[3] + r[4] for r in rows)
    return {
        "load_before": [round(x, 2) for x in load0], "load_after": [round(x, 2) for x in load1],
        "total_s": round(total, 2), "notebooks_per_s": round(students / total, 2), "per_notebook_s": round(per, 3),
        "student_and_checks_s": round(work, 3), "overhead_s": round(per - work, 3),
        "worker_wait_s": round(statistics.median(r[0] for r in rows), 3),
        "grader_cpu_s": round(statistics.median(r[5] for r in rows), 3), "notebooks_logged": len(rows),
        "mix": {k: len(v) for k, v in sorted(by_kind.items())},
        "mean_score": {k: round(statistics.mean(v), 2) for k, v in sorted(by_kind.items())},
        "scores": {sid: graded[sid]["score"] for sid in sorted(kinds)},
    }


def run(students: int = 300, jobs: int = 2, log=print) -> dict:
    """Each configuration grades the class twice, in the order course, plain, plain, course (the machine's load
    drifts; each side gets an early and a late slot); each configuration's faster run is reported, both are kept."""
    from .grading import make_course

    runs = {"course": [], "nbgrader_steps_no_pool": []}
    nbc, scores = None, {}
    with tempfile.TemporaryDirectory(prefix="ffnn-class-bench-") as tmp:
        for k, mode in enumerate(("course", "nbgrader_steps_no_pool", "nbgrader_steps_no_pool", "course")):
            where = Path(tmp) / f"{k}-{mode}"
            where.mkdir()
            course = make_course(where, [HW])
            logfile = where / "grading.log"
            _log_to(course / "nbgrader_config.py", logfile)
            if mode != "course":
                with (course / "nbgrader_config.py").open("a") as fh:
                    fh.write(PLAIN_STEPS)
            kinds = make_class(course, HW, students)
            if nbc is None:
                honest = next(s for s, kind in sorted(kinds.items()) if kind == "honest")
                nbc = nbclient_seconds(course / "submitted" / honest / HW / f"{HW}.ipynb")
            result = grade_class(course, kinds, jobs, logfile)
            scores.setdefault(mode, []).append(result.pop("scores"))
            runs[mode].append(result)
            log(f"grading_class: {mode}: {json.dumps(result)}")
    nbclient = statistics.median(nbc)
    best = {mode: dict(min(rs, key=lambda r: r["total_s"])) for mode, rs in runs.items()}
    for mode in best:
        best[mode]["ratio"] = round(best[mode]["per_notebook_s"] / nbclient, 2)
        best[mode]["all_totals_s"] = [r["total_s"] for r in runs[mode]]
    everyone = [s for per_mode in scores.values() for s in per_mode]
    res = {"date": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()), "assignment": HW, "students": students,
           "jobs": jobs, "cores": os.cpu_count(), **best["course"], "nbclient_s": round(nbclient, 3),
           "nbclient_runs": [round(x, 3) for x in nbc],
           "same_scores_both_ways": all(s == everyone[0] for s in everyone),
           "without": best["nbgrader_steps_no_pool"], "runs": runs}
    return res


def run_on(db: str, students: int = 300, jobs: int = 2, log=print) -> dict:
    """The course's configuration once, into the gradebook at ``db`` (an empty database, e.g. PostgreSQL's:
    ``python -m tools.classroom --db URL register`` puts the assignment in it first)."""
    from .grading import make_course

    with tempfile.TemporaryDirectory(prefix="ffnn-class-bench-") as tmp:
        course = make_course(Path(tmp), [HW])
        logfile = Path(tmp) / "grading.log"
        _log_to(course / "nbgrader_config.py", logfile)
        subprocess.run([sys.executable, "-m", "tools.classroom", "--course", str(course), "--db", db, "register", HW],
                       cwd=ROOT, check=True, capture_output=True)
        kinds = make_class(course, HW, students)
        result = grade_class(course, kinds, jobs, logfile, db)
    result.pop("scores")
    result.update(date=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()), assignment=HW, students=students,
                  jobs=jobs, cores=os.cpu_count(), database=db.split("://")[0])
    log(f"grading_class: {result['database']}: {json.dumps(result)}")
    return result


def markdown(res: dict, before: dict | None = None) -> str:
    def row(name, r, ratio):
        both = f" ({', '.join(f'{t:.1f}' for t in r['all_totals_s'])})" if len(r.get("all_totals_s", [])) > 1 else ""
        return (f"| {name} | {r['total_s']:.1f} s{both} | {r['notebooks_per_s']:.2f} | {r['per_notebook_s']:.3f} s | "
                f"{r['student_and_checks_s']:.3f} s | {r['overhead_s']:.3f} s | {r['worker_wait_s']:.3f} s | "
                f"{ratio:.2f} | {r['load_before']} → {r['load_after']} |")

    lines = [
        "# A class of 300: `python -m tools.classroom autograde --jobs 2`", "",
        f"Run {res['date']}, {res['cores']} logical cores. Assignment {res['assignment']}, {res['students']} "
        f"students ({', '.join(f'{n} {k}' for k, n in res['mix'].items())}; mean score "
        f"{', '.join(f'{k} {v:g}' for k, v in res['mean_score'].items())}), {res['jobs']} grading processes. "
        f"Plain nbclient: {res['nbclient_s']:.3f} s per notebook (median of {res['nbclient_runs']}). "
        f"Same scores in every run: {res['same_scores_both_ways']}. Each configuration graded the class twice "
        "(course, plain, plain, course); the faster run is shown, both totals in brackets.", "",
        "| configuration | total | notebooks/s | per notebook (process-s) | student code + checks | grader overhead | "
        "worker wait | ratio to nbclient | load average (1, 5, 15 min) before → after |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        row("the course's (warm pool, trimmed nbgrader steps)", res, res["ratio"]),
        row("nbgrader's own steps, no warm pool (same run)", res["without"], res["without"]["ratio"]),
    ]
    if before:
        lines.append(row(f"the code before this change ({before['date']}, a separate earlier run)", before,
                         before["ratio"]))
    lines += ["",
              "Per notebook = total × processes / students (what one notebook costs one grading process, the "
              "processes' start-up included); grader overhead = per notebook − the median seconds of the student's "
              "cells and the checks; worker wait = the median seconds a notebook waited for its sandboxed worker; "
              "plain nbclient = an honest notebook of the class executed with nbclient and a fresh python3 kernel, "
              "measured in the same run. The machine is shared: the load average is part of the result.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=300)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--write", action="store_true", help="write bench/results/grading_class.* (default for 300)")
    ap.add_argument("--tag", default="", help="suffix of the results files (grading_class<tag>.json)")
    ap.add_argument("--db", help="grade once, the course's configuration, into this empty database (SQLAlchemy URL); "
                                  "writes grading_class-<dialect>.json")
    a = ap.parse_args()
    if a.db:
        out = run_on(a.db, a.students, a.jobs)
        (RESULTS / f"grading_class-{out['database'].split('+')[0]}.json").write_text(json.dumps(out, indent=2) + "\n")
        sys.exit(0)
    out = run(a.students, a.jobs)
    print(json.dumps(out, indent=2))
    if a.write or a.students == 300:
        before_file = RESULTS / "grading_class-before.json"
        before = json.loads(before_file.read_text()) if before_file.is_file() else None
        (RESULTS / f"grading_class{a.tag}.json").write_text(json.dumps(out, indent=2) + "\n")
        (RESULTS / f"grading_class{a.tag}.md").write_text(markdown(out, before))
