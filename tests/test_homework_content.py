"""Homework notebooks as students see them: valid nbgrader metadata, visible tests that pass on the solution and
fail cleanly (NotImplementedError, nothing else crashes) on the generated student notebook, and visible tests
that already catch what grading grades (a naive overflowing sigmoid fails its visible test).

The visible tests run in a real Jupyter kernel, as a student runs them. Grading itself never runs test cells:
it runs ``solutions/<hw>/checks.py`` (see test_grading.py and test_honest_mistakes.py)."""

from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient

import grading_support as S

ROOT = S.ROOT
# The course's own homework: at least five autograded parts each, so that one bug never decides a score.
# (An instructor's new assignment may have fewer; `tools.assignments check` only requires one.)
MIN_TEST_CELLS = 5


def _error(cell) -> dict | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out
    return None


def _run(nb):
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    return nb


@pytest.mark.parametrize("hw", S.HOMEWORK)
def test_metadata(hw):
    """Valid nbgrader cells: unique ids, points on grade/task cells, locked tests, the set-up cell first."""
    from nbgrader.nbgraderformat import MetadataValidator

    nb = S.load_nb("solutions", hw)
    MetadataValidator().validate_nb(nb)
    first = nb.cells[0]
    assert first.cell_type == "code" and S.meta(first).get("locked")
    if hw in S.GRADED:
        # the helpers are imported last, so numpy and sympy are defined even where ffgrader is unavailable
        assert first.source.strip().splitlines()[-1] == "from ffgrader import visible_tests as G"
    ids = [S.meta(c)["grade_id"] for c in nb.cells if S.meta(c)]
    assert len(ids) == len(set(ids))
    tests = [c for c in nb.cells if S.is_test_cell(c)]
    assert len(tests) >= MIN_TEST_CELLS and all(S.meta(c)["locked"] and S.meta(c)["points"] > 0 for c in tests)
    for c in nb.cells:
        if S.meta(c).get("solution") and c.cell_type == "code":
            assert "import nnlib" not in c.source and "from nnlib" not in c.source, c.source[:80]
    total = sum(S.meta(c).get("points", 0) for c in nb.cells if S.meta(c).get("grade") or S.meta(c).get("task"))
    assert re.search(rf"\*\*(Total|Points): {total:g}( points)?\*\*", nb.cells[1].source), f"{hw}: total {total}"
    auto = sum(S.meta(c)["points"] for c in tests)
    stated = re.search(r"\((\d+) autograded", nb.cells[1].source)
    assert stated and int(stated.group(1)) == auto, f"{hw}: header says {stated and stated.group(1)} autograded, cells give {auto}"


@pytest.mark.nbgrader
@pytest.mark.xdist_group("homework")
@pytest.mark.parametrize("hw", S.GRADED)
def test_solution_runs_and_its_visible_tests_pass(hw):
    nb = _run(S.load_nb("solutions", hw))
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            err = _error(cell)
            assert err is None, f"{hw} cell {i} ({S.meta(cell).get('grade_id')}): {err and err['ename']}: {err and err['evalue']}"


@pytest.mark.nbgrader
@pytest.mark.xdist_group("homework")
@pytest.mark.parametrize("hw", S.GRADED)
def test_student_notebook_visible_tests_fail_with_not_implemented(hw):
    nb = S.load_nb("exercises", hw)
    text = nbformat.writes(nb)
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME", "@check(", "(student, rng)"):
        assert marker not in text
    _run(nb)
    tests = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        err = _error(cell)
        if S.is_test_cell(cell):
            tests += 1
            assert err is not None, f"{hw}: test cell {S.meta(cell)['grade_id']} passed on the unanswered notebook"
            assert err["ename"] == "CheckFailed" and re.match(r"\[\w", err["evalue"]), f"{hw}: {err['ename']}"
            assert "not implemented yet" in err["evalue"] or "not defined" in err["evalue"], (
                f"{hw}: test cell {S.meta(cell)['grade_id']} failed with {err['ename']}: {err['evalue']}")
        elif S.meta(cell).get("locked"):
            assert err is None, f"{hw}: locked cell {i} crashed: {err['ename']}: {err['evalue']}"
    assert tests >= MIN_TEST_CELLS


@pytest.mark.nbgrader
@pytest.mark.xdist_group("homework")
def test_naive_overflowing_sigmoid_fails_its_visible_test():
    """Grading requires no overflow at |z| = 1e4 (announced in Part 1); the visible test already says so."""
    nb = S.load_nb("solutions", "hw1_neurons")
    keep = {"imports", "answer_1a", "test_1a"}
    nb.cells = [c for c in nb.cells if S.meta(c).get("grade_id") in keep]
    answer = next(c for c in nb.cells if S.meta(c)["grade_id"] == "answer_1a")
    answer.source = "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n\ndef sigmoid_prime(z):\n    return sigmoid(z) * (1 - sigmoid(z))\n"
    _run(nb)
    err = _error(nb.cells[-1])
    assert err is not None and err["ename"] == "CheckFailed"
    assert err["evalue"].startswith("[1a sigmoid] sigmoid overflowed"), err["evalue"]
