"""The example checks.py of "Writing an assignment" (its section on the full @check API) works as written: it is
loaded as an assignment's checks file and graded against a student's right and wrong answers through the real
worker (loopback channel)."""

import os
import re

import numpy as np

import grading_support as S
from ffgrader.checks import load
from ffgrader.session import loopback_student

GUIDE = S.ROOT / "book" / "appendix" / "writing_assignments.md"

RIGHT = """\
import numpy as np

def relu(z):
    return np.maximum(z, 0.0)

def trapezoid(f, n):
    x = np.linspace(0.0, 1.0, n + 1)
    y = f(x)
    return float((y[0] / 2 + y[1:-1].sum() + y[-1] / 2) / n)
"""
WRONG = """\
import numpy as np

def relu(z):
    return np.where(z >= 0, z, 0)           # right values, another form: passes

def trapezoid(f, n):
    x = np.linspace(0.0, 1.0, n + 1)
    return float(f(x[:-1]).sum() / n)       # the left rectangle rule
"""


def _example(tmp_path):
    text = GUIDE.read_text(encoding="utf-8")
    section = text[text.index("## The full API: `@check` functions"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    path = tmp_path / "checks.py"
    path.write_text(code, encoding="utf-8")
    return load(path)


def _grade(assignment, source):
    student = loopback_student(call_timeout=20).start()
    try:
        assert student.run_cell("answers", source, 20).ok
        return {gid: assignment.run(gid, student, np.random.default_rng(seed))
                for seed, gid in enumerate(assignment.checks)}
    finally:
        student.close()


def test_the_guides_example_checks_grade_right_and_wrong_answers(tmp_path):
    assignment = _example(tmp_path)
    assert list(assignment.checks) == ["test_relu", "test_integral"]
    assert assignment.NNLIB_ALLOWED == () and assignment.BY_HAND == {}
    right = _grade(assignment, RIGHT)
    assert all(v.passed for v in right.values()), {g: v.message for g, v in right.items()}
    wrong = _grade(assignment, WRONG)
    assert wrong["test_relu"].passed  # np.where(z >= 0, z, 0) has the right values
    assert not wrong["test_integral"].passed and wrong["test_integral"].message.startswith("[2 trapezoid] got ")


def test_an_edited_checks_file_is_read_again_even_at_the_same_size_and_second(tmp_path):
    # Python reuses a .pyc whose source kept its size and modification second; the checks must come from the text
    path = tmp_path / "checks.py"
    path.write_text("NNLIB_ALLOWED = ('relu',)\n")
    stamp = path.stat().st_mtime_ns
    assert load(path).NNLIB_ALLOWED == ("relu",)
    path.write_text("NNLIB_ALLOWED = ('tanh',)\n")
    os.utime(path, ns=(stamp, stamp))
    assert load(path).NNLIB_ALLOWED == ("tanh",)
    assert not (tmp_path / "__pycache__").exists()  # nothing of the trusted checks is left beside them
