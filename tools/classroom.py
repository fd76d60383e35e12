"""The instructor's course gradebook: register assignments and the roster, grade in parallel, export.

    python -m tools.classroom register [hw ...] [--duedate hw=2026-12-08T23:59:00+00:00 ...]
    python -m tools.classroom roster students.csv
    python -m tools.classroom autograde hw1_neurons --jobs 2 [--student alice --student bob] [--reseed]
    python -m tools.classroom regrade hw1_neurons test_2b [--student alice]   # one part again (tools/regrade.py)
    python -m tools.classroom extend hw1_neurons alice --hours 48
    python -m tools.classroom export grades.csv [--canvas canvas.csv --canvas-id hw1_neurons=12345] [--moodle moodle.csv]
    python -m tools.classroom stats hw1_neurons [--out stats.html]          (tools/stats.py)
    python -m tools.classroom similarity hw1_neurons [--out similarity.html] (tools/similarity.py)

Every command takes ``--db URL`` (an SQLAlchemy URL such as ``postgresql+psycopg://grader@db.example/ffnn``);
without it the gradebook is the course's ``c.CourseDirectory.db_url`` from nbgrader_config.py, or
``gradebook.db`` in the course directory. ``autograde`` hands the URL on to every ``nbgrader autograde``.

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

``export`` writes one row per student and assignment with its status and the late policy applied to the
current total (tools/gradebook_export.py), and optionally Canvas's and Moodle's gradebook import files.
``extend`` gives one student more time for one assignment (nbgrader's ``SubmittedAssignment.extension``):
the late policy counts from the student's own due date.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from .assignments import nbgrader_reason
from .env import tool_env
from .gradebook_db import check_db_url, course_config, db_url, gradebook, registered_assignment, shown

ROOT = Path(__file__).resolve().parent.parent
NBGRADER = str(Path(sys.executable).parent / "nbgrader")
ROSTER_COLUMNS = ("id", "first_name", "last_name", "email", "lms_user_id")
# Files of the course that generate_assignment needs (the config imports ffgrader; the source is solutions/).
_CONFIG_FILES = ("nbgrader_config.py",)
_CONFIG_PACKAGES = ("ffgrader",)
# One thread per process for every BLAS/OpenMP runtime numpy may be linked against.
_ONE_THREAD = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}


# nbgrader's refusal to change the cells of a notebook that has submissions (nbgrader.preprocessors.savecells)
_LOCKED = re.compile(r"Cannot add or remove cells for notebook '(?P<notebook>[^']+)' because there are submissions")


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


def _register_failure(output: str, names: list[str], db: str | None) -> str:
    """One line for a failed ``nbgrader generate_assignment`` into the gradebook: nbgrader's reason, and for
    cells changed under existing submissions (which nbgrader refuses) the instructor's two ways out."""
    locked = _LOCKED.search(output)
    if not locked:
        return f"registering {', '.join(names)} failed: {nbgrader_reason(output)}"
    hw = locked["notebook"] if locked["notebook"] in names or len(names) != 1 else names[0]
    return (f"{hw} already has submissions in the gradebook, and its notebook's cells changed since it was "
            f"registered (a cell with a grade id added, removed or renamed), which nbgrader refuses: either keep "
            f"the cells as they were registered (changing a cell's content is fine), or run `nbgrader db "
            f"assignment remove {hw} --force{' --db URL' if db else ''}` (it deletes {hw}'s submissions and "
            f"grades from the gradebook), then register {hw} and autograde it again")


def register(course: Path = ROOT, names: list[str] | None = None, duedates: dict | None = None,
             db: str | None = None) -> list[str]:
    """Put ``names`` (default: every assignment of solutions/) and their cells into the course gradebook."""
    course = Path(course).resolve()
    known = assignment_names(course)
    names = list(names) if names else known
    for name in names:
        if name not in known:
            raise ValueError(f"assignment {name!r} is not in {course / 'solutions'} (known: {', '.join(known)})")
    duedates = {k: parse_duedate(v) if isinstance(v, str) else v for k, v in (duedates or {}).items()}
    # nbgrader keeps every time as naive UTC (a PostgreSQL "timestamp without time zone" column would
    # otherwise store an aware time shifted into the server's time zone)
    duedates = {k: v.astimezone(timezone.utc).replace(tzinfo=None) if v.tzinfo else v for k, v in duedates.items()}
    url = db_url(course, db)
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
            try:
                _run([NBGRADER, "generate_assignment", target, "--force", "--db", url], cwd=work)
            except RuntimeError as exc:
                # A database that cannot be reached is one clear line (gradebook() says so), not nbgrader's
                # advice to upgrade it; opened only now, as it costs a second of imports.
                gradebook(course, db).close()
                raise ValueError(_register_failure(str(exc), names, db)) from None
    if duedates:
        with gradebook(course, url) as gb:
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


def import_roster(path: Path, course: Path = ROOT, db: str | None = None) -> int:
    rows = read_roster(path)
    with gradebook(course, db) as gb:
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


def machine_shard(ids, spec: str) -> list[str]:
    """The students of shard ``spec`` = "K/N" (K in 1..N) of ``ids``: grading machine K of N takes these.
    The same round-robin split as :func:`shards`, so N machines together grade every student exactly once."""
    k, sep, n = str(spec).partition("/")
    if not (sep and k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise ValueError(f"--shard {spec!r}: write K/N with 1 <= K <= N, e.g. 1/3")
    parts = shards(ids, int(n))
    return parts[int(k) - 1] if int(k) <= len(parts) else []


def submitted_ids(course: Path, assignment: str) -> list[str]:
    sub = Path(course) / "submitted"
    return sorted(p.name for p in sub.iterdir() if (p / assignment).is_dir()) if sub.is_dir() else []


def grading_env() -> dict:
    env = tool_env()
    env.update(_ONE_THREAD)
    return env


def autograde(assignment: str, course: Path = ROOT, jobs: int = 1, students=None, force=True, log=print,
              reseed=False, db: str | None = None, progress_stream=None) -> dict:
    """Autograde ``students`` (default: everyone in submitted/) of ``assignment`` in ``jobs`` processes
    (all writing to the gradebook ``db``: see :func:`db_url`).
    ``reseed``: new seeds for the hidden checks, drawn on purpose and recorded (``ffgrader.seeds``).

    Shows the run's progress on ``progress_stream`` (default stderr; see tools/progress.py).
    Returns {student: rc of its shard}. Raises RuntimeError naming the shards that failed.
    """
    import threading

    from .progress import Progress, ShardLog

    course = Path(course).resolve()
    known = assignment_names(course)
    if assignment not in known:  # nbgrader itself would grade nothing and say so only in its log
        raise ValueError(f"assignment {assignment!r} is not in {course / 'solutions'} (known: {', '.join(known)})")
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
        if db:
            cmd.append("--CourseDirectory.db_url=" + check_db_url(db))
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


def scores(course: Path, assignment: str, db: str | None = None) -> dict:
    """{student: {grade cell: (auto_score, manual_score, max_score)}, '_total': score} from the gradebook."""
    from nbgrader.api import MissingEntry

    out = {}
    with gradebook(course, db) as gb:
        a = registered_assignment(gb, assignment)
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


def late_plugin(course: Path):
    """The course's late policy with its configured parameters (``c.PerDayPenalty.per_day`` etc.)."""
    from .late_policy import PerDayPenalty

    return PerDayPenalty(config=course_config(course))


def extend(assignment: str, student: str, course: Path = ROOT, hours: float = 0.0, db: str | None = None):
    """Give ``student`` ``hours`` more for ``assignment`` (0 removes the extension); returns the student's
    due date. Before the student has submitted, an empty submission record holds the extension."""
    from nbgrader.api import MissingEntry

    check_student_id(student)
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0 <= hours <= 24 * 365:
        raise ValueError(f"extension of {hours!r} hours: give a number of hours between 0 and {24 * 365}")
    with gradebook(course, db) as gb:
        try:
            a = gb.find_assignment(assignment)
            gb.find_student(student)
        except MissingEntry:
            raise ValueError(f"{assignment!r} or {student!r} is not in the gradebook: register the assignment and "
                             "import the roster first") from None
        if a.duedate is None:
            raise ValueError(f"{assignment} has no due date to extend: register it with --duedate")
        try:
            gb.find_submission(assignment, student)
        except MissingEntry:
            with gb.db.no_autoflush:    # nbgrader builds the record's notebooks and grades before adding it
                gb.update_or_create_submission(assignment, student)
        gb.grant_extension(assignment, student, hours=hours)   # the late penalty follows (tools/late_policy.py)
        return gb.find_submission(assignment, student).duedate


def export(dest: Path, course: Path = ROOT, db: str | None = None, canvas: Path | None = None,
           canvas_ids: dict | None = None, moodle: Path | None = None, section: str = "") -> int:
    """The grades CSV (tools/gradebook_export.py: status, policy score and reason per row) and, if asked,
    Canvas's and Moodle's import files. Returns the number of rows of the grades CSV."""
    from . import gradebook_export as X

    plugin = late_plugin(course)
    with gradebook(course, db) as gb:
        rows = X.gradebook_rows(gb, course, plugin)
    n = X.write_rows(rows, dest)
    if canvas:
        X.write_canvas(rows, canvas, canvas_ids, section)
    if moodle:
        X.write_moodle(rows, moodle)
    return n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.classroom", description=__doc__.splitlines()[0])
    ap.add_argument("--course", type=Path, default=Path.cwd(), help="course directory (default: the current one)")
    ap.add_argument("--db", default=None, metavar="URL",
                    help="gradebook database URL (default: nbgrader_config.py's, else the course's gradebook.db)")
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
    p.add_argument("--shard", default=None, metavar="K/N",
                   help="grade only the K-th of N shards of the students (one per grading machine)")
    p = sub.add_parser("regrade", help="grade one part again for the class (after fixing its check)")
    p.add_argument("assignment")
    p.add_argument("grade_id")
    p.add_argument("--student", action="append", default=[])
    p = sub.add_parser("export", help="grades CSV (status, late policy) and Canvas/Moodle import files")
    p.add_argument("csv", type=Path)
    p.add_argument("--canvas", type=Path, help="also write Canvas's gradebook import CSV here")
    p.add_argument("--canvas-id", action="append", default=[], metavar="HW=ID",
                   help="Canvas assignment id of an assignment (its number in the Canvas URL)")
    p.add_argument("--section", default="", help="Section column of the Canvas file")
    p.add_argument("--moodle", type=Path, help="also write Moodle's grade import CSV here")
    p = sub.add_parser("extend", help="give one student more time for one assignment (0 hours removes it)")
    p.add_argument("assignment")
    p.add_argument("student")
    p.add_argument("--hours", type=float, required=True)
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
            done = register(course, args.names or None, due, db=args.db)
            print(f"registered in {shown(db_url(course, args.db))}: {', '.join(done)}")
        elif args.command == "roster":
            print(f"{import_roster(args.csv, course, args.db)} student(s) in {shown(db_url(course, args.db))}")
        elif args.command == "autograde":
            students = args.student or None
            if args.shard:
                students = machine_shard(args.student or submitted_ids(course, args.assignment), args.shard)
                if not students:
                    print(f"shard {args.shard}: no student to grade")
                    return 0
            res = autograde(args.assignment, course, args.jobs, students, reseed=args.reseed, db=args.db)
            print(f"autograded {len(res)} submission(s) of {args.assignment} in {min(args.jobs, len(res) or 1)} process(es)")
        elif args.command == "stats":
            from . import stats

            dest, data = stats.report(course, args.assignment, args.out, args.db)
            print(f"statistics of {len(data['totals'])} submission(s) of {args.assignment} written to {dest}")
        elif args.command == "similarity":
            from . import similarity

            dest, result = similarity.report(course, args.assignment, args.out, args.top)
            print(f"similarity of {len({s for a in result.answers.values() for s in a})} submission(s) of "
                  f"{args.assignment} written to {dest}")
        elif args.command == "regrade":
            from .regrade import regrade

            res = regrade(course, args.assignment, args.grade_id, args.student or None, db=args.db)
            print(f"regraded {args.grade_id} of {len(res)} submission(s) of {args.assignment}")
        elif args.command == "extend":
            due = extend(args.assignment, args.student, course, args.hours, args.db)
            print(f"{args.student}'s due date for {args.assignment}: {due} UTC")
        elif args.command == "export":
            ids = {}
            for item in args.canvas_id:
                name, sep, number = item.partition("=")
                if not sep:
                    raise ValueError(f"--canvas-id {item!r}: write it as HW=12345")
                ids[name] = number
            n = export(args.csv, course, args.db, args.canvas, ids, args.moodle, args.section)
            print(f"{n} row(s) written to {args.csv}" + "".join(f"; {what} import file {path}" for what, path in
                                                               (("Canvas", args.canvas), ("Moodle", args.moodle)) if path))
    except (ValueError, TypeError, RuntimeError, OSError) as exc:  # OSError: a file named on the command line
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
