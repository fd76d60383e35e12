"""Content checks for homework 1, 2, 4 and 5: solutions pass, student versions fail cleanly, mutants are caught.

For each assignment one kernel runs the instructor notebook top to bottom (every test cell must pass), then
plays a series of "one function wrong" mutants: it re-runs one answer cell with a small bug, re-runs every
test cell, and asserts that exactly the test cells of that part fail, each with a message naming the part;
then it restores the answer. A second kernel runs the generated student notebook: every test cell must fail
because of ``NotImplementedError`` (nothing else may crash).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
HOMEWORK = ["hw1_neurons", "hw2_perceptron", "hw4_training", "hw5_approximation"]

# (part, answer cell grade_id, text in the solution, replacement): one bug per autograded part.
MUTANTS = {
    "hw1_neurons": [
        ("1a", "answer_1a", "return s * (1 - s)", "return s"),
        ("1b", "answer_1b", "return 1.0 - t**2", "return 1.0 - t"),
        ("1c", "answer_1c", "return (z > 0).astype(float)", "return (z >= 0).astype(float)"),
        ("1d", "answer_1d", "1.0, gamma * np.exp(np.minimum(z, 0.0)))", "1.0, np.exp(np.minimum(z, 0.0)))"),
        ("1e", "answer_1e", "return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))", "return np.log1p(np.exp(z))"),
        ("2a", "answer_2a", "    if inhibitory is not None:\n", "    if False:\n"),
        ("2b", "answer_2b", "return (2.0, 1.0, 1.0), 3.0", "return (2.0, 1.0, 1.0), 2.0"),
        ("2c", "answer_2c", "return (1.0, 1.0), 1.0", "return (1.0, 1.0), 2.0"),
        ("3a", "answer_3a", "return s + beta * x * s * (1 - s)", "return s + x * s * (1 - s)"),
        ("3b", "answer_3b", "return Phi + x * phi", "return Phi + phi"),
    ],
    "hw2_perceptron": [
        ("1b", "answer_1b", "delta = z * (1.0 - z) * (T - z)", "delta = T - z"),
        ("2a", "answer_2a", "X @ w + b >= 0", "X @ w + b > 0"),
        ("2b", "answer_2b", "                b = b + eta * (t_k - z_k)\n        history", "        history"),
        ("2c", "answer_2c", "eta, w0, b0 = 0.5,", "eta, w0, b0 = -0.5,"),
        ("3a", "answer_3a", "            return False, epoch\n", "            return False, epoch + 1\n"),
        ("4", "answer_4", "W2 = np.array([[1.0, -2.0]])", "W2 = np.array([[1.0, -1.0]])"),
    ],
    "hw4_training": [
        ("1a", "answer_1a", "order = rng.permutation(N)", "order = np.arange(N)"),
        ("1b", "answer_1b", "if key == \"W\" else g_l[key]", "if True else g_l[key]"),
        ("1c", "answer_1c", "v_new = momentum * v - lr * g", "v_new = v - lr * g"),
        ("2", "answer_2", "losses.append(forward_backward(params, X, y, act)[0])",
         "losses.append(forward_backward(params, X[:1], y[:1], act)[0])"),
        ("3a", "answer_3a", "np.sqrt(6.0 / (m_in + m_out))", "np.sqrt(6.0 / m_in)"),
        ("4a", "answer_4a", "np.linalg.norm(g[\"W\"])", "np.linalg.norm(p[\"W\"])"),
        ("7a", "answer_7a", "std = np.where(std > 0, std, 1.0)", "std = np.ones_like(std)"),
        ("7b", "answer_7b", "\"lr\": 0.05", "\"lr\": 1e-5"),
    ],
    "hw5_approximation": [
        ("1a", "answer_1a", "return a @ v + c", "return a @ v"),
        ("1b", "answer_1b", "s = 0.5 * (t[:-1] + t[1:])", "s = t[1:]"),
        ("2a", "answer_2a", "np.array([1.0, -2.0, 1.0]) / h", "np.array([1.0, -1.0, 1.0]) / h"),
        ("2b", "answer_2b", "v = np.concatenate([slopes[:1], np.diff(slopes)])", "v = slopes"),
        ("3a", "answer_3a", "float(np.max(np.abs(F(x) - f(x))))", "float(np.mean(np.abs(F(x) - f(x))))"),
        ("3b", "answer_3b", "np.log(np.asarray(errors, dtype=float))", "np.asarray(errors, dtype=float)"),
        ("3c", "answer_3c", "v, w, b, c = build(f, M)", "v, w, b, c = build(f, Ms[0])"),
    ],
}


def _load(kind: str, hw: str) -> nbformat.NotebookNode:
    path = ROOT / kind / hw / f"{hw}.ipynb"
    assert path.exists(), f"{path.relative_to(ROOT)} is missing"
    return nbformat.read(path, as_version=4)


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _part(cell) -> str | None:
    """Part of a test cell from its grade_id: test_1a -> 1a, test_4_table -> 4."""
    m = _meta(cell)
    if not m.get("grade") or cell.cell_type != "code":
        return None
    return m["grade_id"].removeprefix("test_").split("_")[0]


def _error(cell) -> dict | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out
    return None


def _client(nb) -> NotebookClient:
    return NotebookClient(nb, timeout=30, kernel_name="python3", allow_errors=True,
                          resources={"metadata": {"path": str(ROOT)}})


def _run_tests(client, nb, idx) -> dict[int, dict | None]:
    """Re-run the test cells ``idx``; map cell index -> error output (None when the cell passed)."""
    result = {}
    for i in idx:
        nb.cells[i].outputs = []
        client.execute_cell(nb.cells[i], i)
        result[i] = _error(nb.cells[i])
    return result


def _names_part(evalue: str, part: str) -> bool:
    return re.search(r"\[" + re.escape(part) + r"[ :\]]", evalue) is not None


@pytest.mark.nbgrader
@pytest.mark.xdist_group("homework")
@pytest.mark.parametrize("hw", HOMEWORK)
def test_metadata(hw):
    """Valid nbgrader cells: unique ids, points on grade/task cells, locked tests, import cell first."""
    from nbgrader.nbgraderformat import MetadataValidator

    nb = _load("solutions", hw)
    MetadataValidator().validate_nb(nb)
    first = nb.cells[0]
    assert first.cell_type == "code" and _meta(first).get("locked") and "from nnlib import grading as G" in first.source
    ids = [_meta(c)["grade_id"] for c in nb.cells if _meta(c)]
    assert len(ids) == len(set(ids))
    tests = [c for c in nb.cells if _part(c)]
    assert tests and all(_meta(c)["locked"] and _meta(c)["points"] > 0 for c in tests)
    for c in nb.cells:
        if _meta(c).get("solution") and c.cell_type == "code":
            assert "import nnlib" not in c.source and "from nnlib" not in c.source, c.source[:80]
    total = sum(_meta(c).get("points", 0) for c in nb.cells if _meta(c).get("grade") or _meta(c).get("task"))
    assert f"**Total: {total:g} points**" in nb.cells[1].source
    # The split announced to students must match the metadata nbgrader grades by.
    auto = sum(_meta(c)["points"] for c in tests)
    stated = re.search(r"\((\d+) autograded", nb.cells[1].source)
    assert stated and int(stated.group(1)) == auto, f"{hw}: header says {stated and stated.group(1)} autograded, cells give {auto}"
    # every autograded part has a mutant below
    assert {_part(c) for c in tests} == {m[0] for m in MUTANTS[hw]}


@pytest.mark.nbgrader
@pytest.mark.xdist_group("homework")
@pytest.mark.parametrize("hw", HOMEWORK)
def test_solution_passes_and_mutants_fail_their_part(hw):
    nb = _load("solutions", hw)
    by_id = {_meta(c).get("grade_id"): i for i, c in enumerate(nb.cells)}
    test_idx = [i for i, c in enumerate(nb.cells) if _part(c)]
    client = _client(nb)
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, i)
                err = _error(cell)
                assert err is None, f"{hw} cell {i} ({_meta(cell).get('grade_id')}) failed: {err and err['evalue']}"
        for part, answer_id, old, new in MUTANTS[hw]:
            cell = nb.cells[by_id[answer_id]]
            original = cell.source
            assert original.count(old) == 1, f"mutant {hw}/{part}: {old!r} not found once in {answer_id}"
            cell.source = original.replace(old, new)
            client.execute_cell(cell, by_id[answer_id])
            assert _error(cell) is None, f"mutant {hw}/{part} does not even run: {_error(cell)['evalue']}"
            results = _run_tests(client, nb, test_idx)
            cell.source = original
            client.execute_cell(cell, by_id[answer_id])
            failed = {i for i, e in results.items() if e is not None}
            expected = {i for i in test_idx if _part(nb.cells[i]) == part}
            assert failed & expected, f"mutant {hw}/{part} ({new!r}) was not caught by part {part}'s tests"
            assert failed <= expected, (
                f"mutant {hw}/{part} also failed other parts: "
                f"{sorted(_meta(nb.cells[i])['grade_id'] for i in failed - expected)}")
            for i in failed:
                e = results[i]
                assert e["ename"] in ("GradingError", "AssertionError"), f"{hw}/{part}: {e['ename']}: {e['evalue']}"
                assert _names_part(e["evalue"], part), f"{hw}/{part}: message does not name the part: {e['evalue']}"
        # restored: everything passes again
        assert all(e is None for e in _run_tests(client, nb, test_idx).values())


@pytest.mark.nbgrader
@pytest.mark.xdist_group("homework")
@pytest.mark.parametrize("hw", HOMEWORK)
def test_student_notebook_fails_with_not_implemented(hw):
    nb = _load("exercises", hw)
    text = nbformat.writes(nb)
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME"):
        assert marker not in text
    _client(nb).execute()
    tests = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        err = _error(cell)
        if _part(cell):
            tests += 1
            assert err is not None, f"{hw}: test cell {_meta(cell)['grade_id']} passed on the unanswered notebook"
            assert "NotImplementedError" in err["ename"] + err["evalue"], (
                f"{hw}: test cell {_meta(cell)['grade_id']} failed with {err['ename']}: {err['evalue']}")
        else:
            assert err is None, f"{hw}: non-test cell {i} crashed: {err['ename']}: {err['evalue']}"
    assert tests >= 5
