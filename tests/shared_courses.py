"""Graded courses shared by several test modules (test support, not a test module).

Grading a class through the real nbgrader pipeline is the expensive part of the grading tests, and several
modules need the same notebooks graded under the same configuration (the solution, the untouched release, a few
planted mistakes). Each builder below grades one such class once per process and every module that reads it
gets the same result: its tests only read. The tests of one class carry that class's xdist group
(``HW3_GROUP``, ``HW2_GROUP``) so that they run on one worker and the class is graded once per run.

A pytest fixture imported into two modules would be two fixtures (one cache each); the builders are plain
functions memoised by ``once``, called from each module's own module-scoped fixture.
"""

from __future__ import annotations

import copy

import pytest

from attacks.course import (
    ROOT, cell_by_id, feedback_texts, load, make_course, run_nbgrader, scores, submit, tree_bytes,
)
from ffgrader import seeds

_BUILT: dict = {}


def once(key, build):
    """``build()`` once per process; a failure is remembered too (every reader reports it, none rebuilds)."""
    if key not in _BUILT:
        try:
            _BUILT[key] = ("ok", build())
        except Exception as exc:  # noqa: BLE001 - re-raised to every reader
            _BUILT[key] = ("error", exc)
    kind, value = _BUILT[key]
    if kind == "error":
        raise value
    return value


# ------------------------------------------------------------------ hw3_backprop

HW3 = "hw3_backprop"
HW3_GROUP = pytest.mark.xdist_group("graded_hw3")
HW3_HONEST = ("alice", "bob", "carol", "li")
# Partial credit in Part 1b (test_partial_credit.py): student -> (replacement in the "dense" answer cell,
# the sub-check that fails, the one that passes).
HW3_MISTAKES = {
    "dw_transposed": (("delta.T @ a_prev, delta.sum(axis=0)", "a_prev.T @ delta, delta.sum(axis=0)"), "dW and db",
                      "da_prev"),
    "da_prev_wrong": (("delta @ W", "delta @ W * 2.0"), "da_prev", "dW and db"),
}
HW3_STUDENTS = (*HW3_HONEST, "dave", *HW3_MISTAKES)


def _answers(nb):
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def graded_hw3(tmp_path_factory) -> dict:
    """One class of hw3 graded by `nbgrader autograde` as the instructor guide types it, then
    `nbgrader generate_feedback`:

    - alice: the solution; bob: the release with the first two parts answered (and a cell collapsed, Jupyter's
      own bookkeeping); carol: the release untouched; li: the Chinese release untouched;
    - dave: a visible test edited and its points raised in the metadata (one cell, two changes);
    - ``HW3_MISTAKES``: the solution with one gradient of Part 1b wrong (half of that part's points).
    """
    return once("hw3", lambda: _grade_hw3(tmp_path_factory.mktemp("graded_hw3")))


def _grade_hw3(tmp):
    course = make_course(tmp, HW3)
    solution = load(course / "solutions" / HW3 / f"{HW3}.ipynb")
    release = load(course / "exercises" / HW3 / f"{HW3}.ipynb")
    half = copy.deepcopy(release)
    answers = _answers(solution)
    for cell in half.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in ("dense", "mlp"):
            cell.source = answers[gid]
    half.cells[5].metadata["collapsed"] = True
    submit(course, "alice", HW3, solution)
    submit(course, "bob", HW3, half)
    submit(course, "carol", HW3, copy.deepcopy(release))
    submit(course, "li", HW3, load(ROOT / "exercises" / "zh_CN" / HW3 / f"{HW3}.ipynb"))
    tampered = copy.deepcopy(solution)
    cell = cell_by_id(tampered, "test-dense-forward")
    cell.source = "assert True  # dave was here\n" + cell.source
    cell.metadata.nbgrader["points"] = 50
    submit(course, "dave", HW3, tampered)
    for student, ((old, new), _, _) in HW3_MISTAKES.items():
        nb = copy.deepcopy(solution)
        cell = cell_by_id(nb, "dense")
        assert cell.source.count(old) == 1, (old, cell.source)
        cell.source = cell.source.replace(old, new)
        submit(course, student, HW3, nb)
    proc = run_nbgrader(course, "autograde", HW3, "--force", cli=True)
    run_nbgrader(course, "generate_feedback", HW3, "--force")
    return {"course": course, "log": (proc.stdout + proc.stderr).splitlines(), "solution": solution,
            "scores": scores(course, HW3, list(HW3_STUDENTS)), "feedback": feedback_texts(course, HW3)}


# ------------------------------------------------------------------ hw2_perceptron

HW2 = "hw2_perceptron"
HW2_GROUP = pytest.mark.xdist_group("graded_hw2")
HW2_STUDENTS = ("alice", "bob", "carol")


def _hw2_notebooks(course):
    """alice: the solution (its answers read the variant's parameters, so it is right for any student); bob:
    the untouched release; carol: the solution with 1/N missing in 1b."""
    solution = load(course / "solutions" / HW2 / f"{HW2}.ipynb")
    blank = load(course / "exercises" / HW2 / f"{HW2}.ipynb")
    carol = copy.deepcopy(solution)
    c1 = cell_by_id(carol, "answer_1b")
    assert "delta.T @ X / N" in c1.source
    c1.source = c1.source.replace("delta.T @ X / N", "delta.T @ X")
    return {"alice": solution, "bob": blank, "carol": carol}


def _autograde_and_feedback(course):
    run_nbgrader(course, "autograde", HW2, "--force", cli=True)
    run_nbgrader(course, "generate_feedback", HW2, "--force", cli=True)
    return {"scores": scores(course, HW2, HW2_STUDENTS), "feedback": tree_bytes(course / "feedback"),
            "records": tree_bytes(course / seeds.RECORDS_DIR)}


def graded_hw2_twice(tmp_path_factory) -> dict:
    """One class of hw2 (``_hw2_notebooks``) autograded and fed back twice with the guide's commands, in a course
    with no course secret yet. ``first``/``second``: scores, feedback and seed records (bytes) after each
    run."""
    return once("hw2", lambda: _grade_hw2(tmp_path_factory.mktemp("graded_hw2")))


def _grade_hw2(tmp):
    course = make_course(tmp, HW2)
    assert not (course / seeds.SECRET_FILE).exists()
    for sid, nb in _hw2_notebooks(course).items():
        submit(course, sid, HW2, nb)
    first = _autograde_and_feedback(course)
    second = _autograde_and_feedback(course)
    return {"course": course, "first": first, "second": second,
            "solution": load(course / "solutions" / HW2 / f"{HW2}.ipynb")}
