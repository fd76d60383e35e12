"""Test-only helpers for the instructor guide's `% guide-test: before/after ...` directives.

Run from the course directory (the guide's commands run there):

    python tests/guide_helpers.py submit HW alice=solution bob=partial carol=blank [dave=solution@2026-12-10T12:00:00+00:00]
    python tests/guide_helpers.py expect-score HW alice=full bob=partial carol=0 [dave=12.5]
    python tests/guide_helpers.py expect-csv grades.csv HW alice=full carol=0
    python tests/guide_helpers.py canvas-zip HW ~/Downloads/submissions.zip alice=solution bob=partial

``solution`` is the instructor notebook, ``blank`` the released one, ``partial`` the released one with the
first answer cell solved. ``@TIME`` writes nbgrader's ``timestamp.txt`` (the submission time). ``full``
means every autograded point of the assignment, ``partial`` strictly between 0 and that.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import nbformat

COURSE = Path.cwd()


def _nb(hw, kind):
    solution = nbformat.read(str(COURSE / "solutions" / hw / f"{hw}.ipynb"), as_version=4)
    if kind == "solution":
        return solution
    blank = nbformat.read(str(COURSE / "exercises" / hw / f"{hw}.ipynb"), as_version=4)
    if kind == "blank":
        return blank
    if kind == "partial":
        by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in solution.cells}
        cell = next(c for c in blank.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution"))
        cell.source = by_id[cell.metadata.nbgrader.grade_id].source
        return blank
    raise SystemExit(f"unknown submission kind {kind!r} (solution, partial, blank)")


def submit(hw, *pairs):
    for pair in pairs:
        sid, _, rest = pair.partition("=")
        kind, _, when = rest.partition("@")
        d = COURSE / "submitted" / sid / hw
        d.mkdir(parents=True, exist_ok=True)
        nbformat.write(_nb(hw, kind), str(d / f"{hw}.ipynb"))
        if when:
            (d / "timestamp.txt").write_text(when)
        print(f"submitted/{sid}/{hw}: {kind}{' at ' + when if when else ''}")


def canvas_zip(hw, dest, *pairs):
    """A Canvas "Download Submissions" zip of the roster's students (ids looked up in students.csv)."""
    import zipfile

    roster = {r["id"]: r for r in csv.DictReader(open(COURSE / "students.csv", newline=""))}
    Path(dest).parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w") as z:
        for k, pair in enumerate(pairs):
            sid, _, kind = pair.partition("=")
            r = roster[sid]
            name = (r["last_name"] + r["first_name"]).lower()
            z.writestr(f"{name}_{r['lms_user_id']}_{700000 + k}_{hw}.ipynb", nbformat.writes(_nb(hw, kind)))
    print(f"{dest}: {len(pairs)} submission(s)")


def _full(hw):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{COURSE / 'gradebook.db'}") as gb:
        a = gb.find_assignment(hw)
        return sum(c.max_score for nb in a.notebooks for c in nb.grade_cells if c.cell_type == "code"
                   and c.name.startswith("test"))


def _check(what, got, want, full):
    ok = {"full": lambda: abs(got - full) < 1e-9, "partial": lambda: 0 < got < full}.get(
        want, lambda: abs(got - float(want)) < 1e-6)()
    print(f"{what}: {got:g} (want {want}{', full = %g' % full if want in ('full', 'partial') else ''}) "
          f"{'ok' if ok else 'WRONG'}")
    return ok


def expect_score(hw, *pairs):
    from nbgrader.api import Gradebook

    full, ok = _full(hw), True
    with Gradebook(f"sqlite:///{COURSE / 'gradebook.db'}") as gb:
        for pair in pairs:
            sid, _, want = pair.partition("=")
            sub = gb.find_submission(hw, sid)
            ok &= _check(f"{hw} {sid} score", sub.score - (sub.late_submission_penalty or 0), want, full)
    return ok


def expect_csv(path, hw, *pairs):
    full, ok = _full(hw), True
    rows = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(open(path, newline=""))}
    for pair in pairs:
        sid, _, want = pair.partition("=")
        ok &= _check(f"{path} {hw} {sid} score", float(rows[(hw, sid)]["score"]), want, full)
    return ok


def main(argv):
    cmd, *args = argv
    fn = {"submit": submit, "expect-score": expect_score, "expect-csv": expect_csv, "canvas-zip": canvas_zip}[cmd]
    return 0 if fn(*args) is not False else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
