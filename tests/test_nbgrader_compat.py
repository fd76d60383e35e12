"""Existing nbgrader assignments under the course's configuration (issue 24, item 8).

1. An ordinary nbgrader assignment (test cells with plain ``assert``s and ``### BEGIN HIDDEN TESTS``, no
   ``checks.py``) is generated and graded with the ``nbgrader`` commands the instructor guide types: it is
   graded, in the sandbox, and the log says once what that format cannot guarantee (with a submission that
   defeats a hidden test, which is exactly that limit).
2. nbgrader's own autograde test suite (``nbgrader/tests/apps/test_nbgrader_autograde.py``, shipped inside the
   installed package) runs with the course's configuration in force, the way the guide says
   (``JUPYTER_CONFIG_PATH=tests/fixtures/nbgrader_suite``: nbgrader loads that config before each test's own);
   the tests that fail are exactly those the guide lists as deliberate differences.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from attacks.course import ROOT, load, run_nbgrader, scores, submit
from tools.env import tool_env

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]
# The plain assignment is graded once per module (its tests together); nbgrader's suite is one long test of its own.
PLAIN = pytest.mark.xdist_group("nbgrader_plain")

HW = "ps1"
GUIDE = ROOT / "book" / "appendix" / "instructor_guide.md"
SUITE_CONFIG = ROOT / "tests" / "fixtures" / "nbgrader_suite"


def _cell(kind, source, grade_id, *, grade=False, solution=False, locked=False, points=None):
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(source)
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution,
            "task": False}
    if points is not None:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def plain_assignment():
    """What an nbgrader instructor already has: asserts, hidden tests, no checks.py."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        _cell("markdown", "Write `squares(n)`: the list of the first n squares.", "intro", locked=True),
        _cell("code", "import numpy as np\nimport socket\nprint('graded on', socket.gethostname())", "setup",
              locked=True),
        _cell("code", "def squares(n):\n    ### BEGIN SOLUTION\n    return [k * k for k in range(n)]\n"
                      "    ### END SOLUTION", "squares", solution=True),
        _cell("code", "assert squares(3) == [0, 1, 4]\n### BEGIN HIDDEN TESTS\n"
                      "assert np.allclose(squares(6), [0, 1, 4, 9, 16, 25])\n### END HIDDEN TESTS",
              "test_squares", grade=True, locked=True, points=2),
        _cell("code", "assert squares(0) == []", "test_empty", grade=True, locked=True, points=1),
    ]
    return nb


def _with_answer(release, body):
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "squares":
            cell.source = body
    return nb


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    course = tmp_path_factory.mktemp("plain")
    (course / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text())
    (course / "solutions" / HW).mkdir(parents=True)
    nbformat.write(plain_assignment(), str(course / "solutions" / HW / f"{HW}.ipynb"))
    run_nbgrader(course, "generate_assignment", HW, cli=True)
    release = load(course / "exercises" / HW / f"{HW}.ipynb")
    subs = {
        "right": "def squares(n):\n    return [k * k for k in range(n)]",
        "visible_only": "def squares(n):\n    return [0, 1, 4][:n]",           # the hidden test catches it
        "untouched": None,
        # Defeats the hidden test from inside the student's process: the limit the log and the guide state.
        "defeats": "np.allclose = lambda *args, **kwargs: True\n\ndef squares(n):\n    return [0, 1, 4][:n]",
    }
    for student, body in subs.items():
        submit(course, student, HW, release if body is None else _with_answer(release, body))
    proc = run_nbgrader(course, "autograde", HW, cli=True)
    return {"course": course, "log": proc.stdout + proc.stderr, "scores": scores(course, HW, list(subs)),
            "release": release}


@PLAIN
def test_hidden_tests_are_not_released(plain):
    text = "\n".join(c.source for c in plain["release"].cells)
    assert "HIDDEN TESTS" not in text and "[0, 1, 4, 9, 16, 25]" not in text


@PLAIN
def test_plain_assignment_is_graded_by_its_asserts(plain):
    sc = plain["scores"]
    assert sc["right"] == {"test_squares": 2, "test_empty": 1}
    assert sc["visible_only"] == {"test_squares": 0, "test_empty": 1}   # hidden tests restored and run
    assert sc["untouched"] == {"test_squares": 0, "test_empty": 0}


@PLAIN
def test_plain_assignment_runs_in_the_sandbox(plain):
    nb = load(plain["course"] / "autograded" / "right" / HW / f"{HW}.ipynb")
    setup = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    assert "graded on sandbox" in "".join(o.get("text", "") for o in setup.outputs)


@PLAIN
def test_log_says_once_what_the_format_cannot_guarantee(plain):
    log = plain["log"]
    notes = [ln for ln in log.splitlines() if "has no checks.py" in ln]
    assert len(notes) == 1, log[-3000:]
    for words in ("ps1 has no checks.py", "in the sandbox", "hidden tests included", "run in the student's process",
                  "defeat", "inside the sandbox", "Bringing existing nbgrader assignments"):
        assert words in notes[0], words
    # Nothing else alarms on these honest submissions.
    assert [ln for ln in log.splitlines() if re.search(r"WARNING|ERROR|Traceback", ln) and ln not in notes] == []


@PLAIN
def test_a_hidden_test_can_be_defeated_from_the_students_process(plain):
    """The stated limit, shown: the same wrong answer as visible_only earns the hidden test's points."""
    assert plain["scores"]["defeats"] == {"test_squares": 2, "test_empty": 1}


# --- nbgrader's own autograde tests ---------------------------------------------------------------------------

SUITE = Path(__import__("nbgrader").__file__).parent / "tests" / "apps" / "test_nbgrader_autograde.py"


def documented_differences() -> set:
    """The test names listed in the guide's section "Bringing existing nbgrader assignments"."""
    text = GUIDE.read_text()
    section = text[text.index("## Bringing existing nbgrader assignments"):]
    section = section[:section.index("\n## ", 1)] if "\n## " in section[1:] else section
    listed = section[section.index("deliberate differences"):]
    # Each bullet names its tests in backticks before its colon.
    return {name for line in listed.splitlines() if line.startswith("- ")
            for name in re.findall(r"`(test_\w+)`", line.split(":")[0])}


@pytest.mark.xdist_group("nbgrader_suite")
def test_nbgrader_autograde_suite_under_the_course_configuration(tmp_path):
    assert SUITE.is_file(), SUITE
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # nbgrader's tests, not this repository's pytest settings
    report = tmp_path / "report.xml"
    env = {**tool_env(), "JUPYTER_CONFIG_PATH": str(SUITE_CONFIG)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-c", str(tmp_path / "pytest.ini"), "-p", "no:cacheprovider",
                           "-p", "no:xdist", "-q", f"--junitxml={report}", str(SUITE)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=5400)
    assert report.is_file(), proc.stdout[-3000:] + proc.stderr[-3000:]
    outcome = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        outcome[case.get("name")] = ("failed" if kinds & {"failure", "error"} else
                                     "skipped" if "skipped" in kinds else "passed")
    failed = {name for name, o in outcome.items() if o == "failed"}
    expected = documented_differences()
    assert expected, "the guide lists no deliberate differences"
    assert expected <= set(outcome), expected - set(outcome)  # every listed test exists in nbgrader's suite
    assert failed == expected, {"undocumented failures": failed - expected, "listed but passing": expected - failed,
                                "log": proc.stdout[-4000:]}
    assert sum(o == "passed" for o in outcome.values()) >= len(outcome) - len(expected) - 2  # nbgrader's own 2 skips
