"""The course's CheckCellMetadata and SaveAutoGrades (ffgrader.nbgrader_speed) against nbgrader's own.

They do the per-notebook work once instead of per cell; what they decide must not change. Both versions run on
the same notebooks: the same gradebook rows (auto scores, needs-manual-grade flags, auto comments), the same
validation errors. And one transaction per notebook: a notebook that fails half-way writes no score.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.nbgraderformat import SchemaTooOldError, ValidationError
from nbgrader.preprocessors import CheckCellMetadata as NbgraderCheck
from nbgrader.preprocessors import SaveAutoGrades as NbgraderSave
from nbgrader.utils import compute_checksum
from sqlalchemy import text

from ffgrader.nbgrader_speed import CheckCellMetadata, SaveAutoGrades
from tools.env import tool_env

ROOT = Path(__file__).resolve().parent.parent

GRADES = {"t_fail": 2.0, "t_pass": 3.0, "t_partial": 4.0, "t_manual_before": 1.0, "written": 5.0}


def _meta(gid, grade, solution, points=None, locked=False, task=False):
    meta = {"grade": grade, "solution": solution, "locked": locked, "task": task, "grade_id": gid,
            "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _notebook():
    untouched = new_code_cell("# YOUR CODE HERE\nraise NotImplementedError()", metadata=_meta("answer_blank", False, True))
    untouched.metadata.nbgrader["checksum"] = compute_checksum(untouched)
    answered = new_code_cell("def f(x):\n    return 2 * x", metadata=_meta("answer_done", False, True))
    answered.metadata.nbgrader["checksum"] = compute_checksum(new_code_cell(
        "# YOUR CODE HERE\nraise NotImplementedError()", metadata=_meta("answer_done", False, True)))
    cells = [
        untouched, answered,
        new_code_cell("", metadata=_meta("t_fail", True, False, 2.0, locked=True),
                      outputs=[new_output("error", ename="CheckFailed", evalue="no", traceback=[])]),
        new_code_cell("", metadata=_meta("t_pass", True, False, 3.0, locked=True),
                      outputs=[new_output("stream", name="stdout", text="passed\n")]),
        new_code_cell("", metadata=_meta("t_partial", True, False, 4.0, locked=True),
                      outputs=[new_output("execute_result", data={"text/plain": "1.5"}, execution_count=1)]),
        new_code_cell("", metadata=_meta("t_manual_before", True, False, 1.0, locked=True)),
        new_markdown_cell("my derivation", metadata=_meta("written", True, True, 5.0)),
    ]
    return new_notebook(cells=cells)


@pytest.fixture(autouse=True)
def _venv_tools(monkeypatch):
    monkeypatch.setenv("PATH", tool_env()["PATH"])  # a new gradebook runs nbgrader's `alembic` by name


def _gradebook(path):
    url = f"sqlite:///{path}"
    with Gradebook(url) as gb:
        gb.add_assignment("hw")
        gb.add_student("s")
        gb.update_or_create_notebook("nb", "hw")
        for gid, points in GRADES.items():
            gb.update_or_create_grade_cell(gid, "nb", "hw", max_score=points,
                                           cell_type="markdown" if gid == "written" else "code")
        for sid in ("answer_blank", "answer_done", "written"):
            gb.update_or_create_solution_cell(sid, "nb", "hw")
        gb.add_submission("hw", "s")
        gb.find_grade("t_manual_before", "nb", "hw", "s").manual_score = 0.5  # a grader's earlier score
        gb.db.commit()
    return url


def _rows(url):
    with Gradebook(url) as gb:
        sub = gb.find_submission_notebook("nb", "hw", "s")
        grades = {g.name: (g.auto_score, g.manual_score, g.needs_manual_grade) for g in sub.grades}
        comments = {c.name: c.auto_comment for c in sub.comments}
    return grades, comments


def _resources(url):
    return {"nbgrader": {"notebook": "nb", "assignment": "hw", "student": "s", "db_url": url}}


def test_save_auto_grades_writes_what_nbgraders_own_writes(tmp_path):
    ours, theirs = _gradebook(tmp_path / "ours.db"), _gradebook(tmp_path / "theirs.db")
    SaveAutoGrades().preprocess(_notebook(), _resources(ours))
    NbgraderSave().preprocess(_notebook(), _resources(theirs))
    grades, comments = _rows(ours)
    assert (grades, comments) == _rows(theirs)
    # and what they write is the grading: 0 / full / partial, manual work flagged, an untouched answer noted
    assert grades["t_fail"][0] == 0 and grades["t_pass"][0] == 3 and grades["t_partial"][0] == 1.5
    assert grades["t_manual_before"][2] is True and grades["written"][2] is True and grades["t_pass"][2] is False
    assert comments == {"answer_blank": "No response.", "answer_done": None, "written": None}


def test_a_notebook_that_fails_half_way_writes_no_score(tmp_path):
    url = _gradebook(tmp_path / "gb.db")
    nb = _notebook()
    nb.cells.append(new_code_cell("", metadata=_meta("not_in_gradebook", True, False, 1.0, locked=True)))
    with pytest.raises(MissingEntry):
        SaveAutoGrades().preprocess(nb, _resources(url))
    grades, comments = _rows(url)
    assert all(auto is None for auto, _, _ in grades.values()) and set(comments.values()) == {None}


@pytest.mark.parametrize("break_it, error", [
    (lambda nb: nb.cells[2].metadata.nbgrader.update(points="two"), ValidationError),
    (lambda nb: nb.cells[2].metadata.nbgrader.pop("points"), ValidationError),
    (lambda nb: nb.cells[3].metadata.nbgrader.update(grade_id="t_fail"), ValidationError),
    (lambda nb: nb.cells[2].metadata.nbgrader.update(schema_version=1), SchemaTooOldError),
    (lambda nb: nb.cells[6].metadata.nbgrader.update(solution=False), ValidationError),
])
def test_check_cell_metadata_refuses_what_nbgraders_own_refuses(break_it, error):
    nb = _notebook()
    assert CheckCellMetadata().preprocess(copy.deepcopy(nb), {})[0] == nb
    break_it(nb)
    with pytest.raises(error) as theirs:
        NbgraderCheck().preprocess(copy.deepcopy(nb), {})
    with pytest.raises(error) as ours:
        CheckCellMetadata().preprocess(copy.deepcopy(nb), {})
    assert str(ours.value) == str(theirs.value)


# --- a new gradebook's schema revision ------------------------------------------------------------------------


def test_alembic_head_is_what_the_alembic_command_reports(tmp_path):
    """nbgrader stamps a new gradebook with the first revision that `alembic heads` prints."""
    import subprocess

    from nbgrader.dbutil import write_alembic_ini

    from ffgrader.nbgrader_speed import alembic_head

    ini = tmp_path / "alembic.ini"
    write_alembic_ini(str(ini), f"sqlite:///{tmp_path / 'unused.db'}")
    out = subprocess.run(["alembic", "-c", str(ini), "heads"], env=tool_env(), capture_output=True, text=True,
                         check=True).stdout
    assert alembic_head() == out.split("\n")[0].split(" ")[0] and len(alembic_head()) == 12, out


def test_with_the_course_configuration_a_new_gradebook_starts_no_process(tmp_path, monkeypatch):
    """Loading nbgrader_config.py (as every nbgrader command does) makes a new gradebook take its revision from
    alembic_head: no `alembic` process, the same stamp; an existing gradebook opens as before."""
    import subprocess

    import nbgrader.api

    from ffgrader.nbgrader_speed import alembic_head
    from tools.gradebook_db import course_config

    monkeypatch.setattr(nbgrader.api, "get_alembic_version", nbgrader.api.get_alembic_version)  # undone after
    course_config(ROOT)

    def no_process(*args, **kwargs):
        raise AssertionError(f"a process was started: {args[:1]}")

    for name in ("check_output", "run", "Popen"):
        monkeypatch.setattr(subprocess, name, no_process)
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url) as gb:
        gb.add_student("s")
        version = gb.db.execute(text("select version_num from alembic_version")).scalar_one()
    assert version == alembic_head()
    with Gradebook(url) as gb:  # opened again: not stamped twice
        assert [s.id for s in gb.students] == ["s"]
        assert gb.db.execute(text("select count(*) from alembic_version")).scalar_one() == 1
