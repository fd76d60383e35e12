"""Quiet on honest work (issue 24, item 9): grading honest or untouched hw3 notebooks with `nbgrader autograde`
(the command the instructor guide types) logs no warning at all; a tampered cell gives exactly one line that
names the student, the cell and what changed; `nbgrader validate` of a perfect notebook prints nothing about
its test cells' outputs.

Before the fix, three honest hw3 notebooks printed 72 "Restoring the nbgrader metadata of cell ..." (the
released metadata's `cell_type` key was read as a change) and 6 "checksum ... has changed" (a task cell's
mark scheme, removed at release, was read as an edit), and validate printed "Cell output is True, which
cannot be converted to a float" for each of the ten visible tests (the visible checks returned True).
"""

import re
import subprocess

import pytest

from attacks.course import BIN, ROOT, cell_by_id, load
from shared_courses import HW3 as HW, HW3_GROUP, HW3_MISTAKES
from tools.env import tool_env

# The class is graded once (tests/shared_courses.py), with the tests of the other modules that read it.
pytestmark = [pytest.mark.nbgrader, pytest.mark.slow, HW3_GROUP]

# A warning or error line of nbgrader's log, of Python's warnings module, or a traceback.
ALARM = re.compile(r"WARNING|ERROR|CRITICAL|Warning:|Traceback|changed|Restoring|checksum", re.I)


@pytest.fixture(scope="module")
def graded(graded_hw3):
    """alice: the solution; bob: half done; carol: the release untouched; li: the Chinese release untouched;
    dave: a tampered visible test; two students with an honest mistake in Part 1b (shared_courses.graded_hw3)."""
    return graded_hw3


def test_honest_and_untouched_submissions_log_no_warning(graded):
    alarms = [ln for ln in graded["log"] if ALARM.search(ln)]
    assert [ln for ln in alarms if "dave" not in ln] == [], alarms
    # The three were graded (not skipped): the solution full, the half-done one partly, the release 0.
    sc = graded["scores"]
    assert all(v > 0 for v in sc["alice"].values()) and all(v == 0 for v in sc["carol"].values())
    assert 0 < sum(sc["bob"].values()) < sum(sc["alice"].values())
    assert all(v == 0 for v in sc["li"].values())
    # Honest mistakes are graded quietly too (they lose points, the log stays silent).
    assert all(sum(sc[s].values()) < sum(sc["alice"].values()) for s in HW3_MISTAKES)


def test_a_tampered_cell_gives_one_line_naming_student_cell_and_change(graded):
    lines = [ln for ln in graded["log"] if ALARM.search(ln)]
    assert len(lines) == 1, lines
    line = lines[0]
    for words in ("dave", "test-dense-forward", "source edited", "dave was here", "points 2 -> 50"):
        assert words in line, (words, line)
    # The cell was put back: dave's points are the solution's, the test cell reads as released.
    assert graded["scores"]["dave"] == graded["scores"]["alice"]
    graded_nb = load(graded["course"] / "autograded" / "dave" / HW / f"{HW}.ipynb")
    assert "dave was here" not in cell_by_id(graded_nb, "test-dense-forward").source


def test_validate_of_a_perfect_notebook_prints_nothing_alarming(tmp_path):
    """What a student runs (the Validate button runs the same app): the notebook alone in a folder."""
    nb = tmp_path / f"{HW}.ipynb"
    nb.write_text((ROOT / "solutions" / HW / f"{HW}.ipynb").read_text())
    proc = subprocess.run([str(BIN / "nbgrader"), "validate", nb.name], cwd=tmp_path, env=tool_env(),
                          capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Success! Your notebook passes all the tests." in out, out[-3000:]
    assert "Cell output" not in out and "cannot be converted" not in out and "partial credit" not in out, out

