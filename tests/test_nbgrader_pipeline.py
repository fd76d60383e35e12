"""The real nbgrader pipeline in a temporary course: generation, autograding of honest and dishonest
submissions, timeouts, malformed files, feedback without hidden tests.

One `nbgrader autograde` grades all the crafted students of an assignment at once (start-up is ~5 s per
command); the e2e config uses a 5 s cell timeout so the infinite-loop student stays cheap.
"""

import copy
import json
import re
import sys

import nbformat
import pytest

from conftest import ROOT, run_nbgrader

sys.path.insert(0, str(ROOT))
from tools import assignments as tools_assignments  # noqa: E402

pytestmark = [pytest.mark.nbgrader, pytest.mark.xdist_group("nbgrader")]

ASSIGNMENTS = tools_assignments.assignments()
HW = "hw3_backprop"
TIMEOUT = 5


def load(path):
    return nbformat.read(str(path), as_version=4)


def gid(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def cell_by_id(nb, grade_id):
    return next(c for c in nb.cells if gid(c) == grade_id)


def autograded_points(nb):
    return {gid(c): c.metadata.nbgrader["points"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata.nbgrader.get("solution")
            and c.cell_type == "code"}


def submit(course, student, hw, nb_or_text):
    d = course / "submitted" / student / hw
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{hw}.ipynb"
    if isinstance(nb_or_text, str):
        path.write_text(nb_or_text)
    else:
        nbformat.write(nb_or_text, str(path))


def scores(course, hw, students):
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for s in students:
            nb = gb.find_submission_notebook(hw, hw, s)
            out[s] = {g.name: g.auto_score for g in nb.grades if g.auto_score is not None or g.cell_type == "code"}
    return out


def setup_course(course, hws, timeout=TIMEOUT):
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(f"\nc.Execute.timeout = {timeout}\n")
    for hw in hws:
        run_nbgrader(course, "generate_assignment", hw, "--force")


# ---------------------------------------------------------------------------------------------------------
# Generation: exercises/ is exactly what nbgrader makes from solutions/, without solutions or hidden tests
# ---------------------------------------------------------------------------------------------------------

def test_exercises_are_freshly_generated_and_leak_nothing():
    assert HW in ASSIGNMENTS
    problems = tools_assignments.check()
    assert problems == [], "\n".join(problems)
    for hw in ASSIGNMENTS:
        student = load(ROOT / "exercises" / hw / f"{hw}.ipynb")
        solution = load(ROOT / "solutions" / hw / f"{hw}.ipynb")
        text = json.dumps(student.cells)
        for marker in tools_assignments.SOLUTION_MARKERS:
            assert marker not in text, f"{hw}: {marker} in the student notebook"
        # No line of a solution region survives in the student's answer cells.
        answers = json.dumps([c.source for c in student.cells if c.metadata.get("nbgrader", {}).get("solution")])
        for cell in solution.cells:
            for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S):
                for line in region.strip().splitlines():
                    if len(line.strip()) > 25:
                        assert line.strip() not in answers, f"{hw}: solution line leaked: {line.strip()}"
        first = student.cells[0]
        assert first.cell_type == "code" and first.metadata.nbgrader["locked"]
        assert "from nnlib import grading as G" in first.source


# ---------------------------------------------------------------------------------------------------------
# Crafted submissions of hw3
# ---------------------------------------------------------------------------------------------------------

def _replace_in(nb, grade_id, old, new):
    cell = cell_by_id(nb, grade_id)
    assert old in cell.source, (grade_id, old)
    cell.source = cell.source.replace(old, new)


WRONG_DF_DB = ("return h6, g2 * x, g2 * 1.0", "return h6, g2 * x, g2 * 2.0")  # Part 4: 3 points


def crafted_submissions(solution, student):
    subs = {"full": copy.deepcopy(solution), "blank": copy.deepcopy(student)}

    nb = copy.deepcopy(solution)
    _replace_in(nb, "autodiff", *WRONG_DF_DB)
    subs["onewrong"] = nb

    nb = copy.deepcopy(solution)  # wrong only on the hidden large-batch test of Part 1a
    _replace_in(nb, "dense", "    z = a_prev @ W.T + b\n",
                "    z = a_prev @ W.T + b\n    if a_prev.shape[0] > 50:\n        z = z + 1e-3\n")
    subs["hiddenfail"] = nb

    nb = copy.deepcopy(solution)
    _replace_in(nb, "autodiff", "def reverse_mode", "while True:\n    pass\n\ndef reverse_mode")
    subs["loop"] = nb

    nb = copy.deepcopy(solution)  # wrong answer plus np.allclose/np.isclose that always agree
    _replace_in(nb, "autodiff", *WRONG_DF_DB)
    _replace_in(nb, "autodiff", "def reverse_mode",
                "np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n\ndef reverse_mode")
    subs["cheat_np"] = nb

    nb = copy.deepcopy(solution)  # a return value whose == always says True
    _replace_in(nb, "autodiff", "def reverse_mode",
                "class Yes(float):\n    def __eq__(self, other):\n        return True\n\ndef reverse_mode")
    _replace_in(nb, "autodiff", "return h6, g2 * x, g2 * 1.0", "return Yes(0), Yes(0), Yes(0)")
    subs["cheat_eq"] = nb

    nb = copy.deepcopy(solution)  # wrong answer, Part 4 test cells emptied or deleted
    _replace_in(nb, "autodiff", *WRONG_DF_DB)
    cell_by_id(nb, "test-autodiff-lecture").source = "pass"
    nb.cells = [c for c in nb.cells if gid(c) != "test-autodiff-random"]
    subs["edit_tests"] = nb

    nb = copy.deepcopy(solution)  # tampering in a cell added above the locked import cell
    _replace_in(nb, "autodiff", *WRONG_DF_DB)
    nb.cells.insert(0, nbformat.v4.new_code_cell("import numpy\nnumpy.allclose = lambda *a, **k: True"))
    subs["cheat_top"] = nb
    return subs


@pytest.fixture(scope="module")
def graded_hw3(tmp_path_factory):
    from conftest import ROOT as root
    import shutil

    course = tmp_path_factory.mktemp("course")
    shutil.copy(root / "nbgrader_config.py", course)
    shutil.copytree(root / "nbgrader_ext", course / "nbgrader_ext", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(root / "solutions" / HW, course / "solutions" / HW)
    setup_course(course, [HW])
    solution = load(course / "solutions" / HW / f"{HW}.ipynb")
    student = load(course / "exercises" / HW / f"{HW}.ipynb")
    subs = crafted_submissions(solution, student)
    for name, nb in subs.items():
        submit(course, name, HW, nb)
    submit(course, "malformed", HW, '{"cells": [ this is not json')
    proc = run_nbgrader(course, "autograde", HW, "--force", check=False)
    fb = run_nbgrader(course, "generate_feedback", HW, "--force", check=False)
    return {"course": course, "solution": solution, "points": autograded_points(solution),
            "scores": scores(course, HW, list(subs)), "proc": proc, "feedback": fb}


def total(score):
    return sum(v or 0 for v in score.values())


def test_solution_scores_full_and_blank_scores_zero(graded_hw3):
    points, sc = graded_hw3["points"], graded_hw3["scores"]
    assert sum(points.values()) == 16
    for g, p in points.items():
        assert sc["full"][g] == p, (g, sc["full"])
        assert sc["blank"][g] == 0, (g, sc["blank"])


def test_one_wrong_function_loses_exactly_its_part(graded_hw3):
    points, sc = graded_hw3["points"], graded_hw3["scores"]
    part4 = {"test-autodiff-lecture", "test-autodiff-random"}
    assert {g for g, v in sc["onewrong"].items() if v != points[g]} == part4
    assert total(sc["onewrong"]) == 16 - 3
    assert {g for g, v in sc["hiddenfail"].items() if v != points[g]} == {"test-dense-forward"}


def test_infinite_loop_is_stopped_and_the_rest_is_graded(graded_hw3):
    sc, course = graded_hw3["scores"], graded_hw3["course"]
    assert total(sc["loop"]) == 16 - 3
    nb = load(course / "autograded" / "loop" / HW / f"{HW}.ipynb")
    outs = cell_by_id(nb, "autodiff").outputs
    assert any(o.output_type == "error" for o in outs), outs


@pytest.mark.parametrize("student", ["cheat_np", "cheat_eq", "edit_tests"])
def test_cheating_earns_nothing_beyond_honest_points(graded_hw3, student):
    sc = graded_hw3["scores"]
    honest = sc["onewrong"]  # same answers, no cheating: Part 4 wrong
    assert total(sc[student]) <= total(honest) == 13, sc[student]
    assert sc[student]["test-autodiff-lecture"] == 0 and sc[student]["test-autodiff-random"] == 0


def test_tampering_above_the_import_cell_zeroes_the_tests_and_says_why(graded_hw3):
    sc, course = graded_hw3["scores"], graded_hw3["course"]
    assert total(sc["cheat_top"]) == 0, sc["cheat_top"]
    nb = load(course / "autograded" / "cheat_top" / HW / f"{HW}.ipynb")
    err = cell_by_id(nb, "test-dense-forward").outputs[0]
    assert err.ename == "TamperingDetected" and "numpy.allclose" in err.evalue


def test_malformed_notebook_is_reported_and_others_are_graded(graded_hw3):
    proc = graded_hw3["proc"]
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "malformed" in log and ("JSON" in log or "json" in log or "NotJSONError" in log), log[-3000:]
    # The gradebook is intact: every other student was graded.
    assert total(graded_hw3["scores"]["full"]) == 16


def test_feedback_is_html_without_hidden_tests(graded_hw3):
    course, solution = graded_hw3["course"], graded_hw3["solution"]
    hidden_lines = []
    for cell in solution.cells:
        for region in re.findall(r"BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S):
            visible = cell.source.replace(region, "")
            hidden_lines += [ln.strip() for ln in region.splitlines() if len(ln.strip()) > 20 and ln.strip() not in visible]
    assert hidden_lines
    files = sorted((course / "feedback").glob(f"*/{HW}/{HW}.html"))
    assert {f.parts[-3] for f in files} >= {"full", "blank", "hiddenfail", "cheat_top"}
    import html

    for f in files:
        text = html.unescape(re.sub(r"<[^>]+>", "", f.read_text()))
        assert "HIDDEN TESTS" not in text, f
        for ln in hidden_lines:
            assert ln not in text, (f, ln)
    hidden = html.unescape((course / "feedback" / "hiddenfail" / HW / f"{HW}.html").read_text())
    assert "large inputs" in hidden  # the failure message itself reaches the student
    cheat = html.unescape((course / "feedback" / "cheat_top" / HW / f"{HW}.html").read_text())
    assert "TamperingDetected" in cheat


def test_grades_export_to_csv(graded_hw3):
    """What an instructor hands in: `nbgrader export` gives one row per student with the autograded score."""
    import csv

    course = graded_hw3["course"]
    run_nbgrader(course, "export", "--to", "grades.csv")
    rows = {r["student_id"]: r for r in csv.DictReader(open(course / "grades.csv"))}
    for student, score in graded_hw3["scores"].items():
        assert student in rows, f"{student} missing from grades.csv: {sorted(rows)}"
        assert rows[student]["assignment"] == HW
        assert float(rows[student]["score"]) == total(score), (student, rows[student]["score"], score)
    assert float(rows["full"]["score"]) == 16 and float(rows["blank"]["score"]) == 0
    # Manually graded parts count in max_score, so nobody looks finished before manual grading.
    assert float(rows["full"]["max_score"]) > 16


# ---------------------------------------------------------------------------------------------------------
# Every assignment's solution scores full marks
# ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("hw", [a for a in ASSIGNMENTS if a != HW])
def test_every_solution_scores_full_marks(course, hw):
    setup_course(course, [hw], timeout=30)
    solution = load(course / "solutions" / hw / f"{hw}.ipynb")
    submit(course, "full", hw, solution)
    run_nbgrader(course, "autograde", hw, "--force")
    points = autograded_points(solution)
    got = scores(course, hw, ["full"])["full"]
    assert {g: got.get(g) for g in points} == points
