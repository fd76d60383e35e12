"""Graded courses shared by several test modules (test support, not a test module).

Grading a class through the real nbgrader pipeline is the expensive part of the grading tests, and several
modules need the same notebooks graded under the same configuration (the solution, the untouched release, a few
planted mistakes). Each session fixture below grades one such class and every module that reads it gets the
same result: its tests only read. The tests of one class carry that class's xdist group (``HW3_GROUP``,
``HW2_GROUP``, ``GRADEBOOK_GROUP``) so that they run on one worker and the class is graded once per run.

``conftest.py`` imports the fixtures, as it does ``_browser``'s, so each exists once per session; a test module
must not import them (an imported fixture is a second fixture of that module, built a second time). A
fixture that failed fails every test that asks for it, without a second attempt (pytest keeps the error).
"""

from __future__ import annotations

import copy
import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from attacks.course import (
    ROOT, cell_by_id, feedback_texts, load, make_course, run_nbgrader, scores, submit, tree_bytes,
)
from ffgrader import seeds
from tools import classroom as C
from tools.env import tool_env


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


@pytest.fixture(scope="session")
def graded_hw3(tmp_path_factory) -> dict:
    """One class of hw3 graded by `nbgrader autograde` as the instructor guide types it, then
    `nbgrader generate_feedback`:

    - alice: the solution; bob: the release with the first two parts answered (and a cell collapsed, Jupyter's
      own bookkeeping); carol: the release untouched; li: the Chinese release untouched;
    - dave: a visible test edited and its points raised in the metadata (one cell, two changes);
    - ``HW3_MISTAKES``: the solution with one gradient of Part 1b wrong (half of that part's points).
    """
    return _grade_hw3(tmp_path_factory.mktemp("graded_hw3"))


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


@pytest.fixture(scope="session")
def graded_hw2_twice(tmp_path_factory) -> dict:
    """One class of hw2 (``_hw2_notebooks``) autograded and fed back twice with the guide's commands, in a course
    with no course secret yet. ``first``/``second``: scores, feedback and seed records (bytes) after each
    run."""
    return _grade_hw2(tmp_path_factory.mktemp("graded_hw2"))


def _grade_hw2(tmp):
    course = make_course(tmp, HW2)
    assert not (course / seeds.SECRET_FILE).exists()
    for sid, nb in _hw2_notebooks(course).items():
        submit(course, sid, HW2, nb)
    first = _autograde_and_feedback(course)
    second = _autograde_and_feedback(course)
    return {"course": course, "first": first, "second": second,
            "solution": load(course / "solutions" / HW2 / f"{HW2}.ipynb")}


# ------------------------------------------------------------------ hw1_neurons: the gradebook class

HW1 = "hw1_neurons"
DUE = "2026-11-20T23:59:00+00:00"
LATE_30H = "2026-11-22 05:59:00.000000 UTC"
ROSTER = ("id,first_name,last_name,email,lms_user_id\n"
          "alice,Alice,Liddell,alice@x.edu,1001\nbob,Bob,Marley,bob@x.edu,1002\ncarol,Carol,Danvers,carol@x.edu,1003\n"
          "dave,Dave,Bowman,dave@x.edu,1004\nerin,Erin,Hannon,erin@x.edu,1005\nfrank,Frank,Poole,frank@x.edu,1006\n"
          "gina,Gina,Lollo,gina@x.edu,1007\n")
# Read by test_gradebook.py and test_gradebook_postgres.py (which grades the same class into PostgreSQL and
# compares), on one worker.
GRADEBOOK_GROUP = pytest.mark.xdist_group("gradebook")


def classroom(course, *args):
    proc = subprocess.run([sys.executable, "-m", "tools.classroom", *args], cwd=course, env=tool_env(),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def new_course(path: Path) -> Path:
    """The course's config, tools/ and hw1, the roster, hw1 registered with a due date."""
    path.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", path)
    shutil.copytree(ROOT / "tools", path / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    for d in ("solutions", "exercises"):
        shutil.copytree(ROOT / d / HW1, path / d / HW1, ignore=shutil.ignore_patterns("__pycache__"))
    (path / "students.csv").write_text(ROSTER)
    return path


def hand_in(course, student, data: bytes, when: str | None):
    d = course / "submitted" / student / HW1
    d.mkdir(parents=True)
    (d / f"{HW1}.ipynb").write_bytes(data)
    if when:
        (d / "timestamp.txt").write_text(when)


def hand_in_class(course):
    """What the class hands in: alice, bob, carol the solution 30 h late, gina the release on time, erin a file
    that is not a notebook, frank the solution without a timestamp; dave nothing."""
    sol = (course / "solutions" / HW1 / f"{HW1}.ipynb").read_bytes()
    for sid in ("alice", "bob", "carol"):
        hand_in(course, sid, sol, LATE_30H)
    hand_in(course, "gina", (course / "exercises" / HW1 / f"{HW1}.ipynb").read_bytes(), "2026-11-20 12:00:00.000000 UTC")
    hand_in(course, "erin", b'{"cells": [oops', "2026-11-20 10:00:00.000000 UTC")
    hand_in(course, "frank", sol, None)


@pytest.fixture(scope="session")
def gradebook_class(tmp_path_factory) -> dict:
    """The class of ``hand_in_class`` autograded (two processes) by the guide's commands, before any hand
    grading: the course, and its scores and exported rows as they were then."""
    return _grade_class(new_course(tmp_path_factory.mktemp("gradebook") / "course"))


def _grade_class(course):
    classroom(course, "roster", "students.csv")
    classroom(course, "register", HW1, "--duedate", f"{HW1}={DUE}")
    classroom(course, "extend", HW1, "bob", "--hours", "48")        # before bob has handed anything in
    hand_in_class(course)
    with pytest.raises(RuntimeError, match="erin"):     # nbgrader exits 1 for erin; the others are graded
        C.autograde(HW1, course, jobs=2, log=lambda *a: None)
    C.export(course / "grades-after-autograde.csv", course)
    return {"course": course, "scores": C.scores(course, HW1),
            "rows": list(csv.DictReader((course / "grades-after-autograde.csv").open(newline="", encoding="utf-8")))}
