"""The real nbgrader pipeline with the course's grader: `nbgrader generate_assignment`, `autograde`,
`generate_feedback` and `export` in a temporary course.

Mechanism tests use the fixture assignment tests/fixtures/gradecourse/solutions/fx (3 autograded parts,
one of them by hand, a skipped demonstration cell, a manually graded task with a mark scheme), graded with the
`nbgrader` commands as the instructor guide types them. Every real assignment that has its trusted checks is
graded once (nbgrader's application in this process; hw2 and hw3 in the classes of tests/shared_courses.py,
which grade the solution and the untouched release with the same configuration): the solution scores full
marks with no error in any cell, and the untouched student notebook 0, each part saying it is not implemented. Hostile submissions are
in test_attacks.py.
"""

import copy
import csv

import pytest

from attacks.course import (
    ROOT, autograded_points, cell_by_id, feedback_texts, hidden_lines, load, make_course, run_nbgrader, scores,
    submit, tree_bytes,
)
from shared_courses import HW2, HW2_GROUP, HW3, HW3_GROUP

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]
GRADED = pytest.mark.xdist_group("pipeline")  # the tests of the `graded` course, graded once per module

HW = "fx"
CONFIG = "c.SandboxedGrading.cell_timeout = 5\nc.SandboxedGrading.check_timeout = 5"


def ungraded(score):
    return score is None or all(v is None for v in score.values())


def _replace(nb, grade_id, old, new):
    cell = cell_by_id(nb, grade_id)
    assert old in cell.source, (grade_id, old)
    cell.source = cell.source.replace(old, new)
    return nb


def honest_submissions(solution, blank):
    s = lambda: copy.deepcopy(solution)  # noqa: E731
    return {
        "full": s(),
        "blank": copy.deepcopy(blank),
        "onewrong": _replace(s(), "answer_1", "return 2.0 *", "return 3.0 *"),
        "equivform": _replace(s(), "answer_2", "return 2 * z * sp.exp(z**2)", "return sp.exp(z**2) * (z + z)"),
        "wrongexpr": _replace(s(), "answer_2", "return 2 * z * sp.exp(z**2)", "return 2 * sp.exp(z**2)"),
        "byhand": _replace(s(), "answer_2", "return 2 * z * sp.exp(z**2)", "return sp.diff(sp.exp(z**2), z)"),
        "warns": _replace(s(), "answer_3", "return float(np.sum(x))",
                          "import warnings\n    warnings.warn('just a warning', RuntimeWarning)\n"
                          "    return float(np.sum(x))"),
        "aslist": _replace(s(), "answer_1", "return 2.0 * np.asarray(x, dtype=float)",
                           "return [2.0 * v for v in np.asarray(x, dtype=float).ravel()]"),
        "loop": _replace(s(), "answer_3", "def total(x):", "while True:\n    pass\n\ndef total(x):"),
        "raises": _replace(s(), "answer_1", "return 2.0 *", "return np.ones((2, 2)) @ np.ones(3) * 2.0 *"),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("course"), HW, extra_config=CONFIG)
    solution = load(course / "solutions" / HW / f"{HW}.ipynb")
    blank = load(course / "exercises" / HW / f"{HW}.ipynb")
    subs = honest_submissions(solution, blank)
    for name, nb in subs.items():
        submit(course, name, HW, nb)
    submit(course, "malformed", HW, '{"cells": [ this is not json')
    proc = run_nbgrader(course, "autograde", HW, "--force", check=False, cli=True)
    fb = run_nbgrader(course, "generate_feedback", HW, "--force", check=False, cli=True)
    return {"course": course, "solution": solution, "points": autograded_points(solution), "proc": proc, "fb": fb,
            "scores": scores(course, HW, list(subs) + ["malformed"])}


@GRADED
def test_solution_full_blank_zero(graded):
    points, sc = graded["points"], graded["scores"]
    assert points == {"test_1": 2, "test_2": 2, "test_3": 1}
    assert sc["full"] == points and sc["blank"] == {g: 0 for g in points}


@GRADED
@pytest.mark.parametrize("student, lost", [
    ("onewrong", {"test_1"}), ("equivform", set()), ("wrongexpr", {"test_2"}), ("byhand", {"test_2"}),
    ("warns", set()), ("aslist", {"test_1"}), ("loop", {"test_3"}), ("raises", {"test_1"}),
])
def test_each_mistake_loses_exactly_its_part(graded, student, lost):
    points, got = graded["points"], graded["scores"][student]
    assert {g for g in points if got[g] != points[g]} == lost, got
    assert all(got[g] == 0 for g in lost)


@GRADED
@pytest.mark.parametrize("student, grade_id, words", [
    ("onewrong", "test_1", ["[1 double]", "expected", "x"]),
    ("byhand", "test_2", ["[2 dexp]", "by hand", "calculus", "switched off"]),
    ("wrongexpr", "test_2", ["[2 dexp]"]),
    ("aslist", "test_1", ["[1 double]", "list"]),
    ("raises", "test_1", ["[1 double]", "ValueError", "float64 array of shape"]),
    ("loop", "test_3", ["[3 total]", "not defined"]),
    ("blank", "test_1", ["not implemented"]),
])
def test_failure_messages_name_part_and_problem(graded, student, grade_id, words):
    nb = load(graded["course"] / "autograded" / student / HW / f"{HW}.ipynb")
    outs = cell_by_id(nb, grade_id).outputs
    assert len(outs) == 1 and outs[0].output_type == "error" and outs[0].ename == "CheckFailed"
    for w in words:
        assert w in outs[0].evalue, (w, outs[0].evalue)


@GRADED
def test_cell_outputs_show_what_the_cell_did(graded):
    course = graded["course"]
    nb = load(course / "autograded" / "loop" / HW / f"{HW}.ipynb")
    err = cell_by_id(nb, "answer_3").outputs[-1]
    assert err.output_type == "error" and err.ename == "CellTimeout"
    nb = load(course / "autograded" / "full" / HW / f"{HW}.ipynb")
    demo = cell_by_id(nb, "demo")
    assert demo.outputs == [] and demo.execution_count is None  # SKIP_CELLS: never ran (it sleeps an hour)
    assert "passed" in cell_by_id(nb, "test_1").outputs[0].text
    # Test-cell source is not executed: its visible print never appears.
    assert "visible test passed" not in str(cell_by_id(nb, "test_1").outputs)


@GRADED
def test_malformed_notebook_is_reported_and_the_others_graded(graded):
    log = graded["proc"].stdout + graded["proc"].stderr
    assert graded["proc"].returncode != 0 and "malformed" in log
    assert ungraded(graded["scores"]["malformed"])
    assert graded["scores"]["full"] == graded["points"]


@GRADED
def test_feedback_leaks_no_hidden_test_rubric_or_path(graded):
    course = graded["course"]
    texts = feedback_texts(course, HW)
    assert set(texts) >= {"full", "blank", "onewrong", "byhand", "loop"}, graded["fb"].stderr[-2000:]
    secret = hidden_lines(graded["solution"], course / "solutions" / HW / "checks.py")
    assert any("fixture-hidden-line-one" in s for s in secret) and any("fixture-rubric-line" in s for s in secret)
    for student, text in texts.items():
        for line in secret:
            assert line not in text, (student, line)
        for marker in ("fixture-hidden-line", "fixture-rubric-line", "HIDDEN TESTS", "MARK SCHEME", str(course),
                       str(ROOT), "/tmp/pytest-of", "/root/.pyenv"):
            assert marker not in text, (student, marker)
    assert "[1 double]" in texts["onewrong"]  # the failure message itself reaches the student


@GRADED
def test_checks_file_is_never_released_nor_copied_to_submissions(graded):
    course = graded["course"]
    assert not list((course / "exercises").rglob("checks.py"))
    assert not list((course / "autograded").rglob("checks.py"))
    assert not list((course / "feedback").rglob("checks.py"))


@GRADED
def test_grades_export_to_csv(graded):
    course = graded["course"]
    run_nbgrader(course, "export", "--to", "grades.csv", cli=True)
    rows = {r["student_id"]: r for r in csv.DictReader(open(course / "grades.csv"))}
    for student, score in graded["scores"].items():
        if not ungraded(score):
            assert float(rows[student]["score"]) == sum(v or 0 for v in score.values()), (student, rows[student])
    assert float(rows["full"]["score"]) == 5 and float(rows["full"]["max_score"]) == 6  # + the task by hand


def test_autograde_refuses_without_the_sandbox(tmp_path):
    course = make_course(tmp_path / "c", HW, extra_config='c.SandboxedGrading.bwrap = "/nonexistent/bwrap"')
    submit(course, "full", HW, load(course / "solutions" / HW / f"{HW}.ipynb"))
    before = tree_bytes(course / "solutions")
    proc = run_nbgrader(course, "autograde", HW, "--force", check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "bwrap" in log and "make sandbox-deps" in log, log[-2000:]
    assert ungraded(scores(course, HW, ["full"])["full"])  # nothing was graded unprotected
    assert tree_bytes(course / "solutions") == before


# ---------------------------------------------------------------------------------------------------------
# Every real assignment with its trusted checks: the solution scores full marks, the student notebook 0
# ---------------------------------------------------------------------------------------------------------

REAL = sorted(p.parent.name for p in (ROOT / "solutions").glob("*/checks.py")
              if (p.parent / f"{p.parent.name}.ipynb").exists())
# Assignments another module already grades with the same configuration, the solution and the untouched
# release among its students (tests/shared_courses.py): read there, in that class's xdist group.
# (group, the session fixture of the class, its solution student, its untouched-release student)
SHARED = {HW3: (HW3_GROUP, "graded_hw3", "alice", "carol"),
          HW2: (HW2_GROUP, "graded_hw2_twice", "alice", "bob")}


def _graded_full_and_blank(tmp_path, request, hw):
    """(course, full student, blank student): from the shared class, or one autograde of its own."""
    if hw in SHARED:
        _, fixture, full, blank = SHARED[hw]
        return request.getfixturevalue(fixture)["course"], full, blank
    course = make_course(tmp_path / "c", hw)
    submit(course, "full", hw, load(course / "solutions" / hw / f"{hw}.ipynb"))
    submit(course, "blank", hw, load(course / "exercises" / hw / f"{hw}.ipynb"))
    run_nbgrader(course, "autograde", hw, "--force")
    return course, "full", "blank"


@pytest.mark.parametrize("hw", [pytest.param(hw, marks=SHARED[hw][0]) if hw in SHARED else hw for hw in REAL])
def test_real_assignment_solution_full_and_blank_zero(tmp_path, request, hw):
    """One autograde of the solution and the released notebook: every assertion of 'full marks / zero' here."""
    course, full_id, blank_id = _graded_full_and_blank(tmp_path, request, hw)
    solution = load(course / "solutions" / hw / f"{hw}.ipynb")
    points = autograded_points(solution)
    got = scores(course, hw, [full_id, blank_id])
    assert got[full_id] == points, {g: (got[full_id].get(g), p) for g, p in points.items() if got[full_id].get(g) != p}
    assert got[blank_id] == {g: 0 for g in points}
    full = load(course / "autograded" / full_id / hw / f"{hw}.ipynb")
    errors = {cell.metadata.get("nbgrader", {}).get("grade_id"): out.evalue for cell in full.cells
              for out in cell.get("outputs", []) if out.get("output_type") == "error"}
    assert not errors, f"{hw}: cells failed in the sandbox: {errors}"
    blank = load(course / "autograded" / blank_id / hw / f"{hw}.ipynb")
    for g in points:
        message = cell_by_id(blank, g).outputs[0].evalue
        assert message.startswith("[") and ("not implemented yet" in message or "is not defined" in message), \
            f"{hw} {g}: {message}"
