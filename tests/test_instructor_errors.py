"""What an instructor sees when nbgrader refuses an assignment: one ``error:`` line with nbgrader's own reason
and what to do, never nbgrader's traceback (``tools.assignments generate``, ``tools.classroom register``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from tools import assignments

ROOT = Path(__file__).resolve().parent.parent
HW = "hw7_new"


def notebook(*cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def code(source: str, grade_id: str, *, solution=False, grade=False, locked=False, points=None):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id,
                                 "schema_version": 3, **({"points": points} if points is not None else {})}
    return cell


def course(tmp_path: Path, nb) -> Path:
    """A course directory with the repository's nbgrader config and one assignment, ``HW``."""
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    shutil.copytree(ROOT / "ffgrader", tmp_path / "ffgrader", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "solutions" / HW).mkdir(parents=True)
    nbformat.write(nb, str(tmp_path / "solutions" / HW / f"{HW}.ipynb"))
    return tmp_path


def one_error_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.mark.parametrize("cell, reason", [
    (code("x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION\n", "setup", locked=True),
     "Solution region detected in a non-solution cell; please make sure all solution regions are within "
     "solution cells"),
    (code("def f():\n    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTON\n", "answer_1", solution=True),
     "no end solution statement found"),
], ids=["solution_in_read_only_cell", "misspelt_end_solution"])
def test_generate_says_nbgraders_reason_in_one_line(tmp_path, monkeypatch, capsys, cell, reason):
    root = course(tmp_path, notebook(cell))
    monkeypatch.setattr(assignments, "ROOT", root)
    assert assignments.main(["generate", HW]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert reason in line and f"solutions/{HW}/{HW}.ipynb" in line, line
    assert repr(cell.source.splitlines()[0]) in line, line  # the cell, by its first line
    assert not (root / "exercises").exists()


def test_register_after_submissions_with_changed_cells_says_what_to_do(tmp_path, capsys):
    """nbgrader refuses to add or remove cells of a notebook that has submissions: one line saying so, with the
    instructor's two ways out, instead of nbgrader's forty lines of traceback."""
    from nbgrader.api import Gradebook

    from tools import classroom

    answer = code("def f():\n    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTION\n", "answer_1", solution=True)
    test = code("assert f() == 2\n", "test_1", grade=True, locked=True, points=1)
    root = course(tmp_path, notebook(answer, test))
    assert classroom.main(["--course", str(root), "register", HW]) == 0
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        gb.add_student("alice")
        gb.add_submission(HW, "alice")
    extra = code("assert f() > 0\n", "test_2", grade=True, locked=True, points=1)
    nbformat.write(notebook(answer, test, extra), str(root / "solutions" / HW / f"{HW}.ipynb"))
    capsys.readouterr()
    assert classroom.main(["--course", str(root), "register", HW]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert f"{HW} already has submissions" in line and "keep the cells as they were registered" in line, line
    assert f"`nbgrader db assignment remove {HW} --force`" in line and "register" in line, line
