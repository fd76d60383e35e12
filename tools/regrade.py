"""Regrade one part for the whole class, and replay one student's check with its recorded seed.

    python -m tools.classroom regrade hw2_perceptron test_4_table      # after fixing that part's check
    python -m tools.assignments replay hw2_perceptron alice test_4_table [--json]

Both start from the autograded notebook (``autograded/<student>/<hw>/``, whose cell roles nbgrader already
restored from the gradebook) and grade it again with the course's own ``SandboxedGrading`` (its configured
limits, the sandbox, the by-hand worker), restricted to the one part: every cell of the notebook runs again,
but only that part's check. The seed is the recorded one (``ffgrader.seeds``: same course secret, student,
part and draw), the variant the one of the student id the submission is filed under.

``regrade`` then replaces only that test cell's outputs in the autograded notebook, sets only that cell's
``auto_score`` in the gradebook (a manual score given in the formgrader stays and still overrides it),
recomputes the late penalty from the new total with the course's policy, and updates that part's entry of
the record. ``replay`` changes nothing: it prints the seed, the variant, every call the check made into the
student's code with its arguments (the inputs it drew) and what came back, and the verdict.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import nbformat
import numpy as np

from .gradebook_db import course_config, db_url, gradebook, registered_assignment


def _notebook_of(course: Path, assignment: str, grade_id: str, db: str | None = None) -> str:
    with gradebook(course, db) as gb:
        a = registered_assignment(gb, assignment)
        known = []
        for nb in a.notebooks:
            answers = {c.name for c in nb.solution_cells}
            tests = [c.name for c in nb.grade_cells if c.cell_type == "code" and c.name not in answers]
            if grade_id in tests:
                return nb.name
            known += tests
    raise ValueError(f"{assignment} has no autograded test cell {grade_id!r} (its parts: {', '.join(sorted(known))})")


def grade_part(course: Path, assignment: str, student: str, grade_id: str, *, watch=None, record=True, db=None):
    """Grade one part of one student's autograded notebook again: (graded notebook, notebook name, path)."""
    from nbgrader.coursedir import CourseDirectory

    from ffgrader.nbgrader_pre import SandboxedGrading

    course = Path(course).resolve()
    if not isinstance(student, str) or not student or "/" in student or student in (".", ".."):
        raise ValueError(f"student id {student!r} is not a folder name of autograded/")
    config = course_config(course)
    coursedir = CourseDirectory(config=config)
    notebook = _notebook_of(course, assignment, grade_id, db)
    url = db_url(course, db)
    folder = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    path = folder / f"{notebook}.ipynb"
    if not path.is_file():
        raise ValueError(f"{path} does not exist: autograde {assignment} for {student} first")
    nb = nbformat.read(str(path), as_version=4)
    grader = SandboxedGrading(config=config)
    grader.only, grader.watch, grader.record = {grade_id}, watch, record
    resources = {"nbgrader": {"student": student, "assignment": assignment, "notebook": notebook,
                              "db_url": url}, "metadata": {"path": str(folder)}}
    graded, _ = grader.preprocess(copy.deepcopy(nb), resources)
    return graded, notebook, path


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.cell_type == "code"
                and (c.metadata.get("nbgrader") or {}).get("grade_id") == grade_id)


def regrade(course: Path, assignment: str, grade_id: str, students=None, log=print, db=None) -> dict:
    """Regrade part ``grade_id`` of ``assignment`` for ``students`` (default: every autograded submission).
    Returns {student: (old auto_score, new auto_score)}."""
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import AssignLatePenalties
    from nbgrader.utils import determine_grade

    course = Path(course).resolve()
    _notebook_of(course, assignment, grade_id, db)      # a registered assignment with that part, even for nobody
    config = course_config(course)
    coursedir = CourseDirectory(config=config)
    top = Path(coursedir.root) / coursedir.autograded_directory
    everyone = sorted(p.name for p in top.iterdir() if (p / assignment).is_dir()) if top.is_dir() else []
    wanted = sorted(set(students)) if students else everyone
    missing = sorted(set(wanted) - set(everyone))
    if missing:
        raise ValueError(f"no autograded submission of {assignment} for {missing}: autograde them first")
    changes = {}
    for student in wanted:
        graded, notebook, path = grade_part(course, assignment, student, grade_id, db=db)
        kept = nbformat.read(str(path), as_version=4)
        cell = _cell(kept, grade_id)
        cell.outputs = _cell(graded, grade_id).outputs
        score = determine_grade(cell)[0]
        with gradebook(course, db) as gb:
            grade = gb.find_grade(grade_id, notebook, assignment, student)
            old = grade.auto_score
            grade.auto_score = score
            gb.db.commit()
        nbformat.write(kept, str(path))
        # The late penalty is a share of the notebook's score: recomputed with the course's policy.
        AssignLatePenalties(config=config).preprocess(kept, {"nbgrader": {
            "student": student, "assignment": assignment, "notebook": notebook, "db_url": db_url(course, db)}})
        changes[student] = (old, score)
        log(f"regrade {assignment} {grade_id} {student}: {old:g} -> {score:g}")
    return changes


# --- replay ------------------------------------------------------------------------------------------------

class Recorder:
    """The student as the check sees it, writing down every request and its answer."""

    def __init__(self, student):
        self._student = student
        self.calls = []

    def __getattr__(self, name):  # variant, deadline, ...: the real student's
        return getattr(self._student, name)

    def _log(self, op, name, args, kwargs, fn):
        entry = {"op": op, "name": name, "args": list(args), "kwargs": dict(kwargs)}
        self.calls.append(entry)
        try:
            entry["result"] = fn()
        except Exception as exc:
            entry["raised"] = f"{type(exc).__name__}: {exc}"
            raise
        return entry["result"]

    def call(self, name, *args, keep=False, **kwargs):
        return self._log("call", name, args, kwargs, lambda: self._student.call(name, *args, keep=keep, **kwargs))

    def value(self, name):
        return self._log("value", name, (), {}, lambda: self._student.value(name))

    def has(self, name):
        return self._student.has(name)

    def clean(self):
        """The clean twin (``SandboxStudent.clean``), its requests written down in the same record."""
        twin = Recorder(self._student.clean())
        twin.calls = self.calls
        return twin


def plain(value):
    """JSON-able data for the record of a call (arrays as lists, markers by their fields, else repr)."""
    if isinstance(value, np.ndarray):
        return {"array": value.tolist(), "dtype": str(value.dtype), "shape": list(value.shape)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    from ffgrader.session import Kept

    if isinstance(value, Kept):
        return {"kept": plain(value.value)}
    return repr(value)


def replay(course: Path, assignment: str, student: str, grade_id: str) -> dict:
    """Run part ``grade_id`` of ``student``'s submission again with its recorded seed; nothing is written."""
    from ffgrader import seeds

    course = Path(course).resolve()
    recorders = []

    def watch(gid, who):
        recorders.append(Recorder(who))
        return recorders[-1]

    graded, notebook, _ = grade_part(course, assignment, student, grade_id, watch=watch, record=False)
    rec = seeds.read_record(course, assignment, student, notebook) or {}
    plan = seeds.Plan.open(course, assignment, student, notebook)
    outs = _cell(graded, grade_id).outputs
    failed = [o for o in outs if o.get("output_type") == "error"]
    return {"assignment": assignment, "student": student, "grade_id": grade_id, "draw": plan.draw,
            "seed": str(plan.seed(grade_id)), "recorded_seed": rec.get("checks", {}).get(grade_id, {}).get("seed"),
            "variant": rec.get("variant", {}),
            "calls": [{k: plain(v) for k, v in c.items()} for r in recorders for c in r.calls],
            "passed": not failed, "message": failed[0]["evalue"] if failed else "".join(o.get("text", "") for o in outs)}


def print_replay(result: dict, out=sys.stdout):
    with np.printoptions(precision=6, threshold=200, linewidth=110):
        print(f"{result['assignment']} / {result['student']} / {result['grade_id']}: seed {result['seed']} "
              f"(draw {result['draw']}; recorded: {result['recorded_seed'] or 'none'})", file=out)
        if result["variant"]:
            print("variant: " + ", ".join(f"{k} = {v!r}" for k, v in result["variant"].items()), file=out)
        for k, c in enumerate(result["calls"], start=1):
            args = ", ".join([_show(a) for a in c["args"]] + [f"{n}={_show(v)}" for n, v in c["kwargs"].items()])
            got = c.get("raised") or _show(c.get("result"))
            print(f"[{k}] {c['op']} {c['name']}({args})\n    -> {got}", file=out)
        print(("PASSED: " if result["passed"] else "FAILED: ") + result["message"].strip(), file=out)


# A recorded list longer than this is shown by its ends, as numpy shows a long array.
LIST_ITEMS = 12


def _show(v):
    """A recorded value (``plain``'s form) for the terminal: arrays summarized by numpy's print options wherever
    they are (a returned tuple or dict holds them too, and printing those with repr wrote every number on one
    line), and long lists by their ends."""
    if isinstance(v, dict) and set(v) == {"array", "dtype", "shape"}:
        return f"array(shape={tuple(v['shape'])}, {np.array(v['array'], dtype=v['dtype'])!r})"
    if isinstance(v, list):
        items = [_show(x) for x in v] if len(v) <= LIST_ITEMS else \
            [*map(_show, v[:LIST_ITEMS // 2]), f"... ({len(v)} items) ...", *map(_show, v[-3:])]
        return "[" + ", ".join(items) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k!r}: {_show(x)}" for k, x in v.items()) + "}"
    return repr(v)


def replay_main(argv) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m tools.assignments replay",
                                 description="re-run one check of one student's submission with its recorded seed")
    ap.add_argument("assignment")
    ap.add_argument("student")
    ap.add_argument("grade_id")
    ap.add_argument("--course", type=Path, default=Path.cwd())
    ap.add_argument("--json", action="store_true", help="print the replay as JSON (the inputs as lists)")
    args = ap.parse_args(argv)
    try:
        result = replay(args.course, args.assignment, args.student, args.grade_id)
    except (ValueError, FileNotFoundError, PermissionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print_replay(result)
    return 0
