"""The course's grades out of nbgrader's gradebook: one row per student and assignment, with its status and
the late policy applied to the current total, and the import files of Canvas and Moodle.

Statuses (column ``status``):

* ``graded``: autograded; the score is the policy's (late penalty on the total, manual points included);
* ``not_submitted``: nothing was collected for the student (a submission record that only holds an
  extension granted in advance does not count);
* ``ungradeable``: collected, but autograde failed for it (nbgrader removed its autograded copy and left
  the grades empty): it needs the instructor, not a zero;
* ``no_timestamp``: graded, but collected without a submission time (``zip_collect`` of an LMS download):
  no late penalty could be computed, the score is the raw one.

The LMS files (column layouts as the LMS documents them; sample files in tests/data/):

* Canvas, Grades -> Import: ``Student,ID,SIS User ID,SIS Login ID,Section`` then one column per assignment
  named ``<name> (<Canvas assignment id>)`` and a ``Points Possible`` row; Canvas finds the student by its
  ``ID`` (the roster's ``lms_user_id``). A cell left empty changes nothing in Canvas.
* Moodle, Grade administration -> Import -> CSV file: one row per student with ``Email address`` and ``ID
  number`` (map users by either), then per assignment a grade column ``Assignment: <name>`` and a
  ``Feedback: <name>`` column (the status and the late-penalty reason). An empty grade is not imported.

A student who did not submit gets 0 in the LMS files once the student's due date (extension included) has
passed, and an empty cell before it; an ungradeable submission always gets an empty cell.
"""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

from .late_policy import PerDayPenalty, reapply

STATUSES = ("graded", "not_submitted", "ungradeable", "no_timestamp")
COLUMNS = ("assignment", "student_id", "lms_user_id", "last_name", "first_name", "email", "status", "duedate",
           "extension_hours", "timestamp", "hours_late", "raw_score", "late_submission_penalty", "score",
           "max_score", "late_reason")
CANVAS_FIXED = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


def _naive_utc(when):
    """nbgrader keeps times as naive UTC."""
    if when is None or when.tzinfo is None:
        return when
    return when.astimezone(timezone.utc).replace(tzinfo=None)


def _autograded(sub) -> bool:
    return any(g.auto_score is not None or g.manual_score is not None for nb in sub.notebooks for g in nb.grades)


def gradebook_rows(gb, course: Path, plugin: PerDayPenalty, now: datetime | None = None) -> list[dict]:
    """Every (assignment, student) of the gradebook, with its status and the policy's score.

    Recomputes and stores each graded submission's late penalty from its current grades first, so the rows
    agree with what the formgrader and the feedback show. ``course`` is where ``submitted/`` lives (a
    submission record without autograded grades is ``ungradeable`` if its files were collected).
    """
    from nbgrader.api import MissingEntry

    now = _naive_utc(now or datetime.now(timezone.utc))
    rows = []
    for a in sorted(gb.assignments, key=lambda a: a.name):
        max_score = float(a.max_score or 0.0)
        for s in sorted(gb.students, key=lambda s: s.id):
            row = {"assignment": a.name, "student_id": s.id, "lms_user_id": s.lms_user_id or "",
                   "last_name": s.last_name or "", "first_name": s.first_name or "", "email": s.email or "",
                   "duedate": a.duedate or "", "extension_hours": 0.0, "timestamp": "", "hours_late": 0.0,
                   "raw_score": "", "late_submission_penalty": "", "score": "", "max_score": max_score,
                   "late_reason": "", "past_due": a.duedate is not None and now > a.duedate}
            try:
                sub = gb.find_submission(a.name, s.id)
            except MissingEntry:
                row["status"] = "not_submitted"
                rows.append(row)
                continue
            if sub.extension:
                row["extension_hours"] = round(sub.extension.total_seconds() / 3600.0, 6)
                row["duedate"] = sub.duedate or ""
                row["past_due"] = sub.duedate is not None and now > sub.duedate
            row["timestamp"] = sub.timestamp or ""
            if not _autograded(sub):
                collected = (Path(course) / "submitted" / s.id / a.name).is_dir() or sub.timestamp is not None
                row["status"] = "ungradeable" if collected else "not_submitted"
                rows.append(row)
                continue
            verdict = reapply(gb, a.name, s.id, plugin)
            row.update(status="graded" if sub.timestamp is not None else "no_timestamp",
                       hours_late=round(verdict.seconds_late / 3600.0, 4), raw_score=verdict.raw_score,
                       late_submission_penalty=verdict.penalty, score=verdict.score, late_reason=verdict.reason)
            rows.append(row)
    return rows


def _cell(value):
    from ffgrader.sanitize import csv_cell

    return csv_cell(value)   # roster names and emails come from outside: no spreadsheet formulas


def write_rows(rows: list[dict], dest: Path) -> int:
    with open(dest, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, COLUMNS, extrasaction="ignore")
        w.writeheader()
        for row in rows:
            w.writerow({k: _cell(v) for k, v in row.items() if k in COLUMNS})
    return len(rows)


def lms_points(row: dict):
    """The number an LMS should record for a row, or "" to leave its cell untouched."""
    if row["status"] in ("graded", "no_timestamp"):
        return row["score"]
    if row["status"] == "not_submitted" and row["past_due"]:
        return 0.0
    return ""


def _students(rows):
    out = {}
    for r in rows:
        out.setdefault(r["student_id"], r)
    return out


def _by_student(rows):
    out = {}
    for r in rows:
        out.setdefault(r["student_id"], {})[r["assignment"]] = r
    return out


def _graded_assignments(rows) -> list[str]:
    """The assignments an LMS file has columns for: those with at least one graded submission."""
    return sorted({r["assignment"] for r in rows if r["status"] in ("graded", "no_timestamp")})


def write_canvas(rows: list[dict], dest: Path, canvas_ids: dict | None = None, section: str = "") -> int:
    """Canvas's gradebook import CSV. ``canvas_ids`` maps an assignment to its Canvas assignment id (the
    number in the assignment's Canvas URL): with it Canvas updates that column, without it Canvas offers to
    create a new assignment. The columns: the assignments of ``canvas_ids`` if given, else every assignment
    with a graded submission. Students without an ``lms_user_id`` cannot be matched by Canvas: refused."""
    canvas_ids = {k: str(v) for k, v in (canvas_ids or {}).items()}
    known = sorted({r["assignment"] for r in rows})
    unknown = sorted(set(canvas_ids) - set(known))
    if unknown:
        raise ValueError(f"Canvas id given for {unknown}, which the gradebook does not have ({', '.join(known)})")
    for k, v in canvas_ids.items():
        if not v.isdigit():
            raise ValueError(f"Canvas assignment id of {k} must be a number, got {v!r}")
    assignments = sorted(canvas_ids) or _graded_assignments(rows)
    people = _students(rows)
    missing = sorted(s for s, r in people.items() if not r["lms_user_id"])
    if missing:
        raise ValueError(f"no lms_user_id (Canvas user id) for {missing}: add it to the roster "
                         "(python -m tools.classroom roster students.csv)")
    heads = [f"{a} ({canvas_ids[a]})" if a in canvas_ids else a for a in assignments]
    grades = _by_student(rows)
    max_points = {r["assignment"]: r["max_score"] for r in rows}
    with open(dest, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(list(CANVAS_FIXED) + heads)
        w.writerow(["Points Possible", "", "", "", ""] + [max_points[a] for a in assignments])
        for sid in sorted(people):
            r = people[sid]
            name = f"{r['last_name']}, {r['first_name']}" if r["last_name"] or r["first_name"] else sid
            w.writerow([_cell(name), _cell(r["lms_user_id"]), _cell(sid), _cell(sid), _cell(section)]
                       + [_cell(lms_points(grades[sid][a])) for a in assignments])
    return len(people)


def _feedback(row: dict) -> str:
    words = {"graded": "", "not_submitted": "not submitted",
             "ungradeable": "collected but could not be graded: the instructor will look at it",
             "no_timestamp": "collected without a submission time: no late penalty applied"}[row["status"]]
    return " ".join(x for x in (words, row["late_reason"]) if x)


def write_moodle(rows: list[dict], dest: Path) -> int:
    """Moodle's grade import CSV (map users from "Email address" to email, or "ID number" to ID number;
    map each "Assignment: <name>" column to its grade item and "Feedback: <name>" to its feedback), with a
    pair of columns for every assignment with a graded submission."""
    assignments = _graded_assignments(rows)
    people = _students(rows)
    missing = sorted(s for s, r in people.items() if not r["email"])
    if missing:
        raise ValueError(f"no email for {missing}: Moodle maps users by email address or ID number; add the "
                         "email to the roster")
    grades = _by_student(rows)
    with open(dest, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["First name", "Surname", "ID number", "Email address"]
                   + [h for a in assignments for h in (f"Assignment: {a}", f"Feedback: {a}")])
        for sid in sorted(people):
            r = people[sid]
            cells = [r["first_name"], r["last_name"], sid, r["email"]]
            for a in assignments:
                cells += [lms_points(grades[sid][a]), _feedback(grades[sid][a])]
            w.writerow([_cell(c) for c in cells])
    return len(people)
