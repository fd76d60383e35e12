"""Partial credit within a part (issue 24, item 6): ``@check(grade_id, parts={...})`` splits a test cell's points
across named sub-checks run in ``with sub(name):`` blocks; a failed sub-check costs its share only, the feedback
names it, and nbgrader's score for the cell is the sum of the passed shares. Checks without parts are unchanged.

Unit cases use checks files written here; the shipped use is hw3's Part 1b (dense_backward: "dW and db" and
"da_prev", one point each), graded by the real `nbgrader autograde` with planted honest mistakes.
"""

from __future__ import annotations

import shutil
import textwrap

import nbformat
import numpy as np
import pytest

from attacks.course import cell_by_id, load
from ffgrader.checks import Verdict, check, load as load_checks
from ffgrader.runner import partial_outputs
from ffgrader.session import StudentError
from shared_courses import HW3 as HW, HW3_GROUP, HW3_MISTAKES as MISTAKES

CHECKS = '''
from ffgrader.checks import Fail, check, expect_scalar

@check("t_old")
def _(student, rng):
    expect_scalar("old", student["x"], 1.0)

@check("t_split", parts={"forward": 2, "backward": 1})
def _(student, rng, sub):
    if student.get("early"):
        raise Fail("[2a] stopped before the sub-checks")
    with sub("forward"):
        expect_scalar("2a forward", student["f"], 1.0)
    with sub("backward"):
        if student.get("raise_student"):
            raise student["raise_student"]
        expect_scalar("2a backward", student["b"], 2.0)
    if student.get("crash"):
        raise KeyError("the check itself broke")

@check("t_skips", parts={"one": 1, "two": 1})
def _(student, rng, sub):
    with sub("one"):
        pass
'''


@pytest.fixture(scope="module")
def assignment(tmp_path_factory):
    path = tmp_path_factory.mktemp("checks") / "checks.py"
    path.write_text(CHECKS)
    return load_checks(path)


def run(assignment, gid, **student):
    return assignment.run(gid, student, np.random.default_rng(0))


def test_checks_without_parts_are_unchanged(assignment):
    assert assignment.parts == {"t_split": {"forward": 2, "backward": 1}, "t_skips": {"one": 1, "two": 1}}
    assert run(assignment, "t_old", x=1.0) == Verdict("t_old", True, "[t_old] passed")
    v = run(assignment, "t_old", x=3.0)
    assert not v.passed and v.credit is None and v.message.startswith("[old] ")


def test_all_sub_checks_pass_is_a_plain_pass(assignment):
    assert run(assignment, "t_split", f=1.0, b=2.0) == Verdict("t_split", True, "[t_split] passed")


@pytest.mark.parametrize("student, failed, worth, earned, passed", [
    ({"f": 1.0, "b": 5.0}, "backward", 1, 2, "forward"),
    ({"f": 0.0, "b": 2.0}, "forward", 2, 1, "backward"),
])
def test_a_failed_sub_check_costs_its_share_and_is_named(assignment, student, failed, worth, earned, passed):
    v = run(assignment, "t_split", **student)
    assert not v.passed and v.credit == pytest.approx(earned / 3)
    lines = v.message.splitlines()
    assert lines[0].startswith(f"[2a {failed}] got "), lines  # the sub-check's own message, with its part label
    assert lines[1:] == [f"Sub-check {failed!r} failed ({worth} of 3 points).",
                         f"Partial credit: {earned} of 3 points (passed: {passed!r})."]


def test_nothing_passed_is_zero_with_every_sub_check_named(assignment):
    v = run(assignment, "t_split", f=0.0, b=0.0)
    assert not v.passed and v.credit is None  # no credit: an ordinary failure, 0 points
    lines = v.message.splitlines()
    assert "Sub-check 'forward' failed (2 of 3 points)." in lines and "Sub-check 'backward' failed (1 of 3 points)." in lines
    assert lines[-1] == "No sub-check passed: 0 of 3 points."


def test_a_failure_before_any_sub_check_reads_as_a_check_without_parts(assignment):
    v = run(assignment, "t_split", early=True)
    assert v == Verdict("t_split", False, "[2a] stopped before the sub-checks")


def test_a_student_error_inside_a_sub_check_costs_that_sub_check(assignment):
    v = run(assignment, "t_split", f=1.0, b=2.0, raise_student=StudentError("backward", "ValueError", "bad shape",
                                                                            "a float64 array of shape (3,)"))
    assert v.credit == pytest.approx(2 / 3)
    assert "your backward raised ValueError('bad shape')" in v.message


def test_a_crash_after_the_blocks_keeps_what_passed(assignment):
    v = run(assignment, "t_split", f=1.0, b=2.0, crash=True)
    # Both sub-checks finished before the crash: their verdicts stand.
    assert v.passed


def test_a_sub_check_never_run_fails_as_not_checked(assignment):
    v = run(assignment, "t_skips")
    assert v.credit == pytest.approx(0.5)
    assert v.message.splitlines() == ["[t_skips] not checked.", "Sub-check 'two' failed (1 of 2 points).",
                                      "Partial credit: 1 of 2 points (passed: 'one')."]


@pytest.mark.parametrize("parts", [{}, {"a": 0}, {"a": -1}, {"": 1}, {"a": True}, ["a"], {"a": "1"}])
def test_bad_parts_are_refused_at_registration(parts):
    with pytest.raises(TypeError, match=r"check\('t', parts=\.\.\.\): parts must map"):
        check("t", parts=parts)


def test_unknown_sub_check_name_is_an_authoring_error(tmp_path):
    path = tmp_path / "checks.py"
    path.write_text(textwrap.dedent('''
        from ffgrader.checks import check

        @check("t", parts={"a": 1})
        def _(student, rng, sub):
            with sub("b"):
                pass
        '''))
    v = load_checks(path).run("t", {}, np.random.default_rng(0))
    assert not v.passed and "sub-check 'b' is not declared in the parts of check 't'" in v.message


def test_partial_outputs_give_nbgrader_the_points_earned():
    from nbformat.v4 import new_code_cell
    from nbgrader.utils import determine_grade

    cell = new_code_cell("")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": "t", "points": 3}
    cell.outputs = partial_outputs("[t] 2 of 3 points", 2 / 3, cell)
    assert determine_grade(cell) == (pytest.approx(2.0), 3.0)


# --- the shipped use: hw3 Part 1b, graded by nbgrader ----------------------------------------------------------

@pytest.fixture(scope="module")
def hw3(graded_hw3):
    """The solution ("alice") and the two planted mistakes of MISTAKES, graded and fed back by nbgrader with the
    rest of the shared hw3 class (tests/shared_courses.py)."""
    return graded_hw3


def test_hw3_dense_backward_declares_its_split():
    from attacks.course import ROOT

    assert load_checks(ROOT / "solutions" / HW / "checks.py").parts == {
        "test-dense-backward": {"dW and db": 1, "da_prev": 1}}


@HW3_GROUP
@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_hw3_one_wrong_gradient_earns_half_of_part_1b(hw3, student):
    got, full = hw3["scores"][student], hw3["scores"]["alice"]
    assert full["test-dense-backward"] == 2.0
    assert got["test-dense-backward"] == 1.0, got
    _, failed, passed = MISTAKES[student]
    nb = load(hw3["course"] / "autograded" / student / HW / f"{HW}.ipynb")
    text = "".join(o.get("text", "") for o in cell_by_id(nb, "test-dense-backward").outputs)
    assert text.startswith("[1b dense_backward ("), text
    for line in (f"Sub-check {failed!r} failed (1 of 2 points).", f"Partial credit: 1 of 2 points (passed: {passed!r})."):
        assert line in text, text
        assert line in hw3["feedback"][student]


@pytest.mark.slow
def test_authoring_try_counts_partial_credit_and_fails_a_solution_short_of_full_marks(tmp_path, capsys):
    # `try` promises the points autograding would give: half of part 1b, not the whole part
    from attacks.course import ROOT
    from ffgrader import authoring

    folder = tmp_path / HW
    shutil.copytree(ROOT / "solutions" / HW, folder, ignore=shutil.ignore_patterns("__pycache__"))
    path = folder / f"{HW}.ipynb"
    nb = load(path)
    total = sum(c.metadata["nbgrader"]["points"] for c in nb.cells
                if c.cell_type == "code" and c.metadata["nbgrader"].get("grade"))
    (old, new), failed, passed = MISTAKES["dw_transposed"]
    cell = cell_by_id(nb, "dense")
    cell.source = cell.source.replace(old, new)
    nbformat.write(nb, str(path))
    assert authoring.main(["try", str(folder), str(path)]) == 1
    out, err = capsys.readouterr()
    # half of 1b (1 point); 1c, the gradient check of the same dense_backward, fails whole (1 point)
    assert f"{path}: {total - 2:g} of {total:g} points" in out, out
    assert f"Sub-check {failed!r} failed (1 of 2 points)." in out
    assert f"Partial credit: 1 of 2 points (passed: {passed!r})." in out
    assert f"error: {path}: the solution earns {total - 2:g} of {total:g} points" in err


@HW3_GROUP
def test_hw3_partial_credit_logs_nothing(hw3):
    # The shared class's one warning is its tampered cell (dave, test_quiet_grading.py); nothing else warns.
    noisy = [ln for ln in hw3["log"] if "WARNING" in ln or "cannot be converted" in ln]
    assert [ln for ln in noisy if "dave" not in ln] == [], noisy


def test_partial_credit_messages_in_chinese(assignment):
    """A student of the Chinese release reads the sub-check lines in Chinese (the verdict is the same)."""
    from ffgrader.i18n import feedback_translator

    zh = feedback_translator("zh_CN")
    v = run(assignment, "t_split", f=1.0, b=5.0)
    lines = zh.translate(v.message).splitlines()
    assert lines[-2:] == ["子检查 'backward' 没有通过（3 分中的 1 分）。", "部分得分：3 分中得 2 分（通过的子检查：'forward'）。"]
    assert zh.translate(run(assignment, "t_split", f=0.0, b=0.0).message).splitlines()[-1] == "没有子检查通过：3 分中得 0 分。"
