"""The instructor's course gradebook: register assignments and the roster, grade in parallel, export.

    python -m tools.classroom register [hw ...] [--duedate hw=2026-12-08T23:59:00+00:00 ...]
    python -m tools.classroom roster students.csv
    python -m tools.classroom autograde hw1_neurons --jobs 2 [--student alice --student bob] [--reseed]
    python -m tools.classroom regrade hw1_neurons test_2b [--student alice]   # one part again (tools/regrade.py)
    python -m tools.classroom export grades.csv
    python -m tools.classroom stats hw1_neurons [--out stats.html]          (tools/stats.py)
    python -m tools.classroom similarity hw1_neurons [--out similarity.html] (tools/similarity.py)

``register`` runs the real ``nbgrader generate_assignment`` in a temporary copy of the course but against
the course's own ``gradebook.db`` (``--db``), so the gradebook learns every assignment, notebook, cell and
checksum that ``autograde`` needs, while ``exercises/`` stays exactly what ``make assignments`` wrote.

``autograde`` splits ANY set of student ids (no glob, no assumption about their last character) into
``jobs`` shards and runs one ``nbgrader autograde`` per shard; a shard's process is told to skip every
other student (``--CourseDirectory.student_id_exclude``), so no two processes ever touch the same
submission. Every process gets exactly one BLAS/OpenMP thread: two processes on two cores, each
starting its own thread pool, would otherwise fight over the cores. The scores equal a serial run's
(tests/test_parallel_grading.py checks it with a CPU hog running).

``autograde`` shows the run's progress on stderr (students done / total, rate, ETA, failures; tools/progress.py).

``export`` writes nbgrader's CSV columns plus ``lms_user_id`` (the id the LMS knows the student by).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from .env import tool_env

ROOT = Path(__file__).resolve().parent.parent
NBGRADER = str(Path(sys.executable).parent / "nbgrader")
ROSTER_COLUMNS = ("id", "first_name", "last_name", "email", "lms_user_id")
# Files of the course that generate_assignment needs (the config imports ffgrader; the source is solutions/).
_CONFIG_FILES = ("nbgrader_config.py",)
_CONFIG_PACKAGES = ("ffgrader",)
# One thread per process for every BLAS/OpenMP runtime numpy may be linked against.
_ONE_THREAD = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}


def db_url(course: Path) -> str:
    return f"sqlite:///{Path(course).resolve() / 'gradebook.db'}"


def gradebook(course: Path):
    """The course's nbgrader Gradebook. Creating a new one runs `alembic` by name: this interpreter's bin/
    must be on PATH (as nbgrader's own commands need; see tools/env.py)."""
    from nbgrader.api import Gradebook

    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    return Gradebook(db_url(course))


def _run(cmd, cwd, env=None):
    proc = subprocess.run(cmd, cwd=cwd, env=env or tool_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd[:3]))} ... failed (rc={proc.returncode}):\n"
                           f"{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    return proc


def assignment_names(course: Path) -> list[str]:
    src = Path(course) / "solutions"
    return sorted(p.name for p in src.iterdir() if p.is_dir() and (p / f"{p.name}.ipynb").exists()) \
        if src.is_dir() else []


def parse_duedate(text: str) -> datetime:
    """An ISO 8601 date-time WITH its UTC offset (a deadline without a time zone is ambiguous)."""
    try:
        when = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"duedate {text!r} is not an ISO 8601 date-time like 2026-12-08T23:59:00+00:00") from None
    if when.tzinfo is None:
        raise ValueError(f"duedate {text!r} has no UTC offset: write it like 2026-12-08T23:59:00+00:00")
    return when


def register(course: Path = ROOT, names: list[str] | None = None, duedates: dict | None = None) -> list[str]:
    """Put ``names`` (default: every assignment of solutions/) and their cells into the course gradebook."""
    course = Path(course).resolve()
    known = assignment_names(course)
    names = list(names) if names else known
    for name in names:
        if name not in known:
            raise ValueError(f"assignment {name!r} is not in {course / 'solutions'} (known: {', '.join(known)})")
    duedates = {k: parse_duedate(v) if isinstance(v, str) else v for k, v in (duedates or {}).items()}
    for name in duedates:
        if name not in names:
            raise ValueError(f"duedate given for {name!r}, which is not being registered ({', '.join(names)})")
    with tempfile.TemporaryDirectory(prefix="ffnn-register-") as tmp:
        work = Path(tmp)
        for f in _CONFIG_FILES:
            shutil.copy(course / f, work / f)
        for pkg in _CONFIG_PACKAGES:
            if (course / pkg).is_dir():
                shutil.copytree(course / pkg, work / pkg, ignore=shutil.ignore_patterns("__pycache__"))
        for name in names:
            shutil.copytree(course / "solutions" / name, work / "solutions" / name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "checks.py"))
        # They all write the same gradebook: one command, one after the other inside it (a glob over the
        # copied assignments saves nbgrader's start-up per assignment).
        for target in (["*"] if len(names) > 1 else names):
            _run([NBGRADER, "generate_assignment", target, "--force", "--db", db_url(course)], cwd=work)
    if duedates:
        with gradebook(course) as gb:
            for name, when in duedates.items():
                gb.update_or_create_assignment(name, duedate=when)
    return names


def read_roster(path: Path) -> list[dict]:
    """Rows of a roster CSV (``id,first_name,last_name,email[,lms_user_id]``), validated."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        if "id" not in header:
            raise ValueError(f"roster {path} has no 'id' column (columns: {', '.join(header) or 'none'}); "
                             f"expected {','.join(ROSTER_COLUMNS)}")
        unknown = [h for h in header if h not in ROSTER_COLUMNS]
        if unknown:
            raise ValueError(f"roster {path} has unknown column(s) {unknown}; allowed: {','.join(ROSTER_COLUMNS)}")
        rows, seen = [], set()
        for lineno, row in enumerate(reader, start=2):
            sid = (row.get("id") or "").strip()
            check_student_id(sid, f"roster {path} line {lineno}")
            if sid in seen:
                raise ValueError(f"roster {path} line {lineno}: student id {sid!r} appears twice")
            seen.add(sid)
            rows.append({k: (row.get(k) or "").strip() or None for k in ROSTER_COLUMNS if k in header})
    return rows


def check_student_id(sid, where="student id"):
    """Ids are login names on the hub and directory names in submitted/: no separators, no spaces, no commas."""
    if not isinstance(sid, str) or not sid:
        raise ValueError(f"{where}: empty student id")
    bad = [ch for ch in sid if ch in "/\\,*?[]" or ch.isspace()]
    if bad or sid in (".", ".."):
        raise ValueError(f"{where}: student id {sid!r} contains {''.join(sorted(set(bad))) or sid!r}; "
                         "use the login name (letters, digits, '.', '_', '-')")
    return sid


def import_roster(path: Path, course: Path = ROOT) -> int:
    rows = read_roster(path)
    with gradebook(course) as gb:
        for row in rows:
            sid = row.pop("id")
            gb.update_or_create_student(sid, **row)
    return len(rows)


def shards(ids, jobs: int) -> list[list[str]]:
    """Split ``ids`` (any strings) into ``jobs`` disjoint, non-empty-as-possible lists covering all of them.

    Round-robin over the sorted ids, so shards differ in size by at most one and the split does not
    depend on the order the ids were given in.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int):
        raise TypeError(f"jobs must be an int, got {type(jobs).__name__}")
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    if isinstance(ids, str):
        raise TypeError("ids must be a collection of student ids, not one string")
    unique = sorted({check_student_id(s) for s in ids})
    return [unique[k::jobs] for k in range(min(jobs, len(unique)))] if unique else []


def submitted_ids(course: Path, assignment: str) -> list[str]:
    sub = Path(course) / "submitted"
    return sorted(p.name for p in sub.iterdir() if (p / assignment).is_dir()) if sub.is_dir() else []


def grading_env() -> dict:
    env = tool_env()
    env.update(_ONE_THREAD)
    return env


def autograde(assignment: str, course: Path = ROOT, jobs: int = 1, students=None, force=True, log=print,
              reseed=False, progress_stream=None) -> dict:
    """Autograde ``students`` (default: everyone in submitted/) of ``assignment`` in ``jobs`` processes.
    ``reseed``: new seeds for the hidden checks, drawn on purpose and recorded (``ffgrader.seeds``).

    Shows the run's progress on ``progress_stream`` (default stderr; see tools/progress.py).
    Returns {student: rc of its shard}. Raises RuntimeError naming the shards that failed.
    """
    import threading

    from .progress import Progress, ShardLog

    course = Path(course).resolve()
    everyone = submitted_ids(course, assignment)
    wanted = sorted(set(students)) if students else everyone
    missing = [s for s in wanted if s not in everyone]
    if missing:
        raise ValueError(f"no submission of {assignment} for {missing} in {course / 'submitted'}")
    parts = shards(wanted, jobs)
    progress = Progress(f"autograde {assignment}", len(wanted), stream=progress_stream)
    procs = []
    for part in parts:
        others = sorted(set(everyone) - set(part))
        cmd = [NBGRADER, "autograde", assignment, "--CourseDirectory.student_id_exclude=" + ",".join(others)]
        if force:
            cmd.append("--force")
        if reseed:
            cmd.append("--SandboxedGrading.reseed=True")
        proc = subprocess.Popen(cmd, cwd=course, env=grading_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, errors="replace")
        reader = ShardLog(progress)
        thread = threading.Thread(target=reader.read, args=(proc.stdout,), daemon=True)
        thread.start()
        procs.append((part, reader, thread, proc))
    failed, result = [], {}
    for part, reader, thread, proc in procs:
        rc = proc.wait()
        thread.join()
        reader.close(rc)
        for s in part:
            result[s] = rc
        if rc != 0:
            failed.append(f"shard {part[0]}..{part[-1]} ({len(part)} students, rc={rc}):\n{reader.text[-4000:]}")
        log(f"autograde {assignment}: {len(part)} student(s) {part[0]}..{part[-1]}: rc={rc}")
    progress.close()
    if failed:
        raise RuntimeError("nbgrader autograde failed for\n" + "\n".join(failed))
    return result


def scores(course: Path, assignment: str) -> dict:
    """{student: {grade cell: (auto_score, manual_score, max_score)}, '_total': score} from the gradebook."""
    from nbgrader.api import MissingEntry

    out = {}
    with gradebook(course) as gb:
        a = gb.find_assignment(assignment)
        for student in gb.students:
            try:
                sub = gb.find_submission(assignment, student.id)
            except MissingEntry:
                continue
            cells = {}
            for nb in a.notebooks:
                for g in gb.find_submission_notebook(nb.name, assignment, student.id).grades:
                    cells[f"{nb.name}/{g.name}"] = (g.auto_score, g.manual_score, g.max_score)
            out[student.id] = {"cells": cells, "score": sub.score, "penalty": sub.late_submission_penalty}
    return out


def export(dest: Path, course: Path = ROOT) -> int:
    """nbgrader's CSV export (one row per student and assignment) plus the LMS's id of each student."""
    from nbgrader.api import MissingEntry

    from ffgrader.sanitize import csv_cell

    keys = ["assignment", "duedate", "timestamp", "student_id", "lms_user_id", "last_name", "first_name", "email",
            "raw_score", "late_submission_penalty", "score", "max_score"]
    n = 0
    with gradebook(course) as gb, open(dest, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, keys)
        w.writeheader()
        for a in gb.assignments:
            for s in gb.students:
                row = {"assignment": a.name, "duedate": a.duedate or "", "student_id": s.id,
                       "lms_user_id": s.lms_user_id or "", "last_name": s.last_name or "",
                       "first_name": s.first_name or "", "email": s.email or "", "max_score": a.max_score}
                try:
                    sub = gb.find_submission(a.name, s.id)
                except MissingEntry:
                    row.update(timestamp="", raw_score=0.0, late_submission_penalty=0.0, score=0.0)
                else:
                    penalty = sub.late_submission_penalty or 0.0
                    row.update(timestamp=sub.timestamp or "", raw_score=sub.score, late_submission_penalty=penalty,
                               score=max(0.0, sub.score - penalty))
                w.writerow({k: csv_cell(v) for k, v in row.items()})   # roster names come from students
                n += 1
    return n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.classroom", description=__doc__.splitlines()[0])
    ap.add_argument("--course", type=Path, default=Path.cwd(), help="course directory (default: the current one)")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("register", help="put assignments (default: all of solutions/) into gradebook.db")
    p.add_argument("names", nargs="*")
    p.add_argument("--duedate", action="append", default=[], metavar="HW=ISO-DATETIME")
    p = sub.add_parser("roster", help="import/refresh students from a CSV (id,first_name,last_name,email,lms_user_id)")
    p.add_argument("csv", type=Path)
    p = sub.add_parser("autograde", help="autograde in parallel shards of students")
    p.add_argument("assignment")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--student", action="append", default=[])
    p.add_argument("--reseed", action="store_true", help="draw new inputs for the hidden checks (recorded)")
    p = sub.add_parser("regrade", help="grade one part again for the class (after fixing its check)")
    p.add_argument("assignment")
    p.add_argument("grade_id")
    p.add_argument("--student", action="append", default=[])
    p = sub.add_parser("export", help="grades CSV with the LMS ids")
    p.add_argument("csv", type=Path)
    p = sub.add_parser("stats", help="HTML statistics of a graded assignment (tools/stats.py)")
    p.add_argument("assignment")
    p.add_argument("--out", type=Path, help="the HTML file (default: stats-<assignment>.html)")
    p = sub.add_parser("similarity", help="HTML similarity report of the code answers (tools/similarity.py)")
    p.add_argument("assignment")
    p.add_argument("--out", type=Path, help="the HTML file (default: similarity-<assignment>.html)")
    p.add_argument("--top", type=int, default=10, help="pairs listed per part (default 10)")
    args = ap.parse_args(argv)
    course = args.course.resolve()
    if not (course / "nbgrader_config.py").is_file():
        ap.error(f"{course} is not a course directory (no nbgrader_config.py); use --course")
    try:
        if args.command == "register":
            due = {}
            for item in args.duedate:
                name, sep, when = item.partition("=")
                if not sep:
                    raise ValueError(f"--duedate {item!r}: write it as HW=2026-12-08T23:59:00+00:00")
                due[name] = when
            done = register(course, args.names or None, due)
            print(f"registered in {course / 'gradebook.db'}: {', '.join(done)}")
        elif args.command == "roster":
            print(f"{import_roster(args.csv, course)} student(s) in {course / 'gradebook.db'}")
        elif args.command == "autograde":
            res = autograde(args.assignment, course, args.jobs, args.student or None, reseed=args.reseed)
            print(f"autograded {len(res)} submission(s) of {args.assignment} in {min(args.jobs, len(res) or 1)} process(es)")
        elif args.command == "stats":
            from . import stats

            dest, data = stats.report(course, args.assignment, args.out)
            print(f"statistics of {len(data['totals'])} submission(s) of {args.assignment} written to {dest}")
        elif args.command == "similarity":
            from . import similarity

            dest, result = similarity.report(course, args.assignment, args.out, args.top)
            print(f"similarity of {len({s for a in result.answers.values() for s in a})} submission(s) of "
                  f"{args.assignment} written to {dest}")
        elif args.command == "regrade":
            from .regrade import regrade

            res = regrade(course, args.assignment, args.grade_id, args.student or None)
            print(f"regraded {args.grade_id} of {len(res)} submission(s) of {args.assignment}")
        else:
            print(f"{export(args.csv, course)} row(s) written to {args.csv}")
    except (ValueError, TypeError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
