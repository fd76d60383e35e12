"""The authoring checker (``python -m tools.assignments check``, ``tools/check_assignments.py``): each silent
mistake of issue 24, planted into a copy of a real assignment, is reported with the assignment, the cell or
check and what is wrong; the shipped assignments report nothing, and every one of their checks kills the
mutants of its part on every seed; the guide's mutant-survival table is the command's output.

The shipped assignments are checked once per session (``shipped``: about a minute); each planted mistake is
checked without the mutant analysis unless the mistake is a weak check.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from ffgrader import checks as C
from tools import assignments as T
from tools import check_assignments as A
from tools.mutants import OPERATORS, mutants

import grading_support as S

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("check_assignments")]  # one worker builds `shipped` once

ROOT = S.ROOT
GUIDE = ROOT / "book" / "appendix" / "writing_assignments.md"
HW = "hw1_neurons"   # the assignment the mistakes are planted into (its checks are the quickest)


@pytest.fixture(scope="session")
def shipped():
    """The checker's reports on every assignment of solutions/ (none named here), with its default seeds."""
    return [A.check_assignment(ROOT / "solutions" / name) for name in T.assignments()]


def planted(tmp_path, hw=HW, checks=None, cells=None):
    """A copy of ``hw`` in tmp_path; ``checks``: [(old, new)] replaced once each in checks.py; ``cells``:
    {grade_id: function(cell)} applied to the notebook's cells."""
    dest = tmp_path / hw
    shutil.copytree(ROOT / "solutions" / hw, dest, ignore=shutil.ignore_patterns("__pycache__"))
    text = (dest / "checks.py").read_text(encoding="utf-8")
    for old, new in checks or []:
        assert text.count(old) == 1, f"{old!r} must occur once in {hw}/checks.py"
        text = text.replace(old, new)
    (dest / "checks.py").write_text(text, encoding="utf-8")
    nb = nbformat.read(dest / f"{hw}.ipynb", as_version=4)
    for gid, edit in (cells or {}).items():
        cell = next(c for c in nb.cells if S.meta(c).get("grade_id") == gid)
        edit(cell)
    nb.cells = [c for c in nb.cells if not c.metadata.get("drop")]
    nbformat.write(nb, dest / f"{hw}.ipynb")
    return dest


def findings(path, **kwargs):
    """The checker's findings as the lines it prints; without mutants and on one seed unless asked."""
    kwargs.setdefault("mutate", False)
    kwargs.setdefault("seeds", 1)
    return [str(f) for f in A.check_assignment(path, **kwargs).findings]


def one(found, *needles):
    hits = [f for f in found if all(n in f for n in needles)]
    assert hits, f"no finding with {needles}: {found}"
    return hits[0]


def rename(new):
    def edit(cell):
        cell.metadata.nbgrader["grade_id"] = new
    return edit


def replace_source(old, new):
    def edit(cell):
        assert cell.source.count(old) == 1, (old, cell.source)
        cell.source = cell.source.replace(old, new)
    return edit


def drop(cell):
    cell.metadata["drop"] = True


# --- the shipped assignments ----------------------------------------------------------------------------

def test_the_shipped_assignments_report_nothing_and_their_checks_kill_every_mutant(shipped):
    assert [r.assignment for r in shipped] == T.assignments() and len(shipped) >= 6
    for report in shipped:
        assert report.findings == [], "\n".join(map(str, report.findings))
        assert report.mutants >= 20, f"{report.assignment}: only {report.mutants} mutants"
        assert sum(row.changing for row in report.rows) >= 10, report.assignment
        registered = [g for g in S.load_checks(report.assignment).checks]
        assert [row.check for row in report.rows] == registered
        for row in report.rows:
            assert row.survivors == [] and row.killed == row.changing, (report.assignment, row)


def test_the_guides_table_is_the_commands_output(shipped):
    """book/appendix/writing_assignments.md shows the table `check --markdown` prints (0 survivors per row)."""
    page = GUIDE.read_text(encoding="utf-8")
    section = page.split("\n## Checking an assignment before release\n", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("|")) + "\n"
    assert table == A.markdown_table(shipped), "regenerate it: python -m tools.assignments check --no-release --markdown"
    rows = [line for line in table.splitlines()[2:]]
    assert len(rows) == sum(len(r.rows) for r in shipped) and all(line.endswith("| 0 |") for line in rows)


# --- each mistake, planted ----------------------------------------------------------------------------------

def test_a_misspelt_assignment_name_is_refused_by_both_commands():
    for command in ("generate", "check"):
        with pytest.raises(SystemExit, match=r"^hw1_nuerons: no such assignment \(not .*hw1_neurons"):
            T.main([command, "hw1_nuerons"])


def test_a_test_cell_whose_grade_id_has_no_check(tmp_path):
    found = findings(planted(tmp_path, cells={"test_1b": rename("test_1bb")}))
    line = one(found, f"{HW}: test_1bb:", "no check in checks.py")
    assert "did you mean 'test_1b'" in line
    one(found, f"{HW}: @check('test_1b'):", "no autograded test cell")


def test_a_check_whose_grade_id_has_no_test_cell(tmp_path):
    found = findings(planted(tmp_path, checks=[('@check("test_1e")', '@check("test_1f")')]))
    one(found, f"{HW}: @check('test_1f'):", "no autograded test cell of the notebook has this grade id")
    one(found, f"{HW}: test_1e:", "has no check in checks.py")


def test_a_misspelt_by_hand_test_is_refused_by_the_grader_and_reported(tmp_path):
    path = planted(tmp_path, checks=[('"test_3a": ("answer_3a",)', '"test_3A": ("answer_3a",)')])
    with pytest.raises(ValueError, match=r"checks.py: BY_HAND names 'test_3A', for which no check is registered "
                                         r"\(registered: 'test_1a', "):
        C.load(path / "checks.py")
    one(findings(path), f"{HW}: checks.py: cannot be loaded: ValueError:", "BY_HAND names 'test_3A'")


def test_a_misspelt_by_hand_answer_cell(tmp_path):
    found = findings(planted(tmp_path, checks=[('"test_3b": ("answer_3b",)', '"test_3b": ("answer_3bb",)')]))
    line = one(found, f"{HW}: BY_HAND['test_3b']:", "'answer_3bb' is not an answer cell", "by-hand rule is off")
    assert "did you mean 'answer_3b'" in line


def test_a_by_hand_solution_that_uses_sympy_calculus(tmp_path):
    """Grading switches SymPy's calculus off for by-hand parts: such a solution would earn 0 there."""
    found = findings(planted(tmp_path, cells={"answer_3a": replace_source(
        "return s + beta * x * s * (1 - s)", "return sp.diff(x * s, x)")}))
    one(found, f"{HW}: answer_3a: the solution of a by-hand part uses SymPy's calculus (sp.diff)")


def test_unknown_skip_cells_and_nnlib_modules(tmp_path):
    found = findings(planted(tmp_path, checks=[("SKIP_CELLS = ()", 'SKIP_CELLS = ("demo_1",)'),
                                               ("NNLIB_ALLOWED = ()", 'NNLIB_ALLOWED = ("activation",)')]))
    one(found, f"{HW}: SKIP_CELLS:", "'demo_1' is not a cell of the notebook")
    line = one(found, f"{HW}: NNLIB_ALLOWED:", "'activation' is not a module of nnlib")
    assert "did you mean 'activations'" in line
    found = findings(planted(tmp_path / "b", checks=[("SKIP_CELLS = ()", 'SKIP_CELLS = ("answer_1c",)')]))
    one(found, f"{HW}: SKIP_CELLS:", "'answer_1c' is an answer cell")


@pytest.mark.parametrize("test_line", [
    "assert np.all(tanh_prime(_z) == tanh_prime(_z))",
    "_expected = tanh_prime(_z)\nG.check_array('1b', G.call('1b', tanh_prime, _z), _expected)",
    "for _zz, _want in zip([_z], [tanh_prime(_z)]):\n    assert np.allclose(tanh_prime(_zz), _want)",
    "def _mine(z):\n    return tanh_prime(z)\nG.check_array('1b', tanh_prime(_z), _mine(_z))",
], ids=["assert_f_eq_f", "expected_is_f_x", "zip_loop", "helper"])
def test_a_visible_test_that_compares_the_answer_with_itself(tmp_path, test_line):
    found = findings(planted(tmp_path, cells={"test_1b": replace_source('print("1b: visible tests passed")',
                                                                         test_line)}))
    one(found, f"{HW}: test_1b: visible test line ", "tanh_prime")


def test_self_comparison_analysis_keeps_references_and_student_chosen_settings_apart():
    names = {"f", "and_setup"}
    assert A.visible_self_comparisons("G.check_array('p', G.call('p', f, x), _A.sigmoid(x))", names) == []
    # the expected value computed by the reference from data the student chose (hw2's learning rate): fine
    ok = "_eta = G.call('p', and_setup)[0]\n_ref = _P.train(X, lr=0.5)\nG.check_equal('p', _eta > 0, True)"
    assert A.visible_self_comparisons(ok, names) == []
    # element-wise binding: only the student's item is tainted (hw2's test_4_shapes)
    ok = "for _n, _a, _s in zip(('W',), f(), ((2, 2),)):\n    G.check_array(_n, _a, np.zeros(_s))"
    assert A.visible_self_comparisons(ok, names) == []
    bad = "for _n, _a, _s in zip(('W',), f(), f()):\n    G.check_array(_n, _a, np.zeros(_s))"
    assert A.visible_self_comparisons(bad, names) and "line 2" in A.visible_self_comparisons(bad, names)[0]


def test_a_solution_that_does_not_earn_full_marks(tmp_path):
    found = findings(planted(tmp_path, cells={"answer_1b": replace_source("return 1.0 - t**2", "return 1.0 - t")}),
                     seeds=2)
    assert one(found, f"{HW}: test_1b: the solution fails this check on seed 0:").count("[1b") >= 1
    one(found, f"{HW}: test_1b: the solution fails this check on seed 1:")
    assert not [f for f in found if "test_1a" in f]


def test_a_blank_notebook_that_earns_points(tmp_path):
    # the answer written outside the solution markers: nbgrader releases it with the notebook
    path = planted(tmp_path, cells={"answer_2c": replace_source(
        "    ### BEGIN SOLUTION\n    return (1.0, 1.0), 1.0\n    ### END SOLUTION",
        "    return (1.0, 1.0), 1.0\n    ### BEGIN SOLUTION\n    ### END SOLUTION")})
    found = findings(path, seeds=2)
    one(found, f"{HW}: test_2c: the blank notebook (the release) passes this check on seed(s) 0, 1:")
    assert len([f for f in found if "blank notebook" in f]) == 1, found


def test_nbgrader_markers_misspelt_or_out_of_place(tmp_path):
    # nbgrader finds a region by its exact words: the misspelt mark scheme would be released with the notebook
    path = planted(tmp_path, cells={
        "task_4": replace_source("=== BEGIN MARK SCHEME ===", "=== BEGIN MARKSCHEME ==="),
        "answer_1c": lambda cell: setattr(cell, "source",
                                          cell.source.replace("### END SOLUTION", "### END SOLUTON", 1)),
        "p2b": lambda cell: setattr(cell, "source", cell.source + "\n\n### BEGIN SOLUTION\n### END SOLUTION")})
    found = A.static_findings(HW, nbformat.read(path / f"{HW}.ipynb", as_version=4), C.load(path / "checks.py"))
    found = [str(f) for f in found]
    one(found, f"{HW}: task_4: line", "'=== BEGIN MARKSCHEME ===' is not nbgrader's marker 'BEGIN MARK SCHEME'")
    one(found, f"{HW}: task_4: line", "an unpaired END MARK SCHEME marker")
    one(found, f"{HW}: answer_1c:", "'### END SOLUTON' is not nbgrader's marker 'END SOLUTION'")
    one(found, f"{HW}: answer_1c: line 8: an unpaired BEGIN SOLUTION marker")
    one(found, f"{HW}: p2b:", "'### BEGIN SOLUTION'", "in a read-only cell")
    assert len(found) == 5, found


def test_variant_cell_missing_or_its_parameter_assigned_elsewhere(tmp_path):
    # hw1 declares VARIANTS = {"AND_INPUT": ...}: without the variant cell a correct answer is checked against
    # the student's own value while the notebook shows the default
    path = planted(tmp_path, cells={"variant": rename("cell_99")})
    found = findings(path)
    one(found, f"{HW}: notebook: checks.py declares VARIANTS (AND_INPUT) but no code cell has the grade id "
               "'variant'")
    path = planted(tmp_path / "again", cells={"answer_2b": lambda cell: setattr(
        cell, "source", "AND_INPUT = 1\n" + cell.source)})
    found = [str(f) for f in A.static_findings(HW, nbformat.read(path / f"{HW}.ipynb", as_version=4),
                                               C.load(path / "checks.py"))]
    one(found, f"{HW}: answer_2b: assigns AND_INPUT of VARIANTS: that would replace the student's own values "
               "(which only the 'variant' cell defines)")


def test_partial_credit_shares_that_do_not_add_up_to_the_cells_points(tmp_path):
    hw = "hw3_backprop"  # test-dense-backward: parts {"dW and db": 1, "da_prev": 1}, 2 points
    path = planted(tmp_path, hw=hw, cells={"test-dense-backward": lambda cell: cell.metadata.nbgrader.update(
        points=3)})
    found = [str(f) for f in A.static_findings(hw, nbformat.read(path / f"{hw}.ipynb", as_version=4),
                                               C.load(path / "checks.py"))]
    assert found == [f"{hw}: test-dense-backward: the cell is worth 3 points but its check's parts add up to 2: the "
                     "feedback would say 'Partial credit: ... of 2 points' while the gradebook counts 3"]


def test_a_notebook_without_autograded_test_cells(tmp_path):
    nb = S.load_nb("solutions", HW)
    gone = [S.meta(c)["grade_id"] for c in nb.cells if S.is_test_cell(c)]
    path = planted(tmp_path, cells={g: drop for g in gone},
                   checks=[("BY_HAND = {\"test_3a\": (\"answer_3a\",), \"test_3b\": (\"answer_3b\",)}", "BY_HAND = {}")])
    text = (path / "checks.py").read_text()
    for g in gone:  # their checks are no longer registered, so that only the missing test cells are wrong
        text = text.replace(f'@check("{g}")', "@(lambda fn: fn)")
    (path / "checks.py").write_text(text)
    found = findings(path)
    one(found, f"{HW}: notebook: no autograded test cell:")


def test_checks_py_missing_explains_the_format_and_names_the_guide(tmp_path):
    path = planted(tmp_path)
    (path / "checks.py").unlink()
    found = findings(path)
    line = one(found, f"{HW}: checks.py: missing:")
    for needle in ("@check(", "(student, rng)", "BY_HAND", "SKIP_CELLS", "NNLIB_ALLOWED",
                   '"Writing an assignment" (book/appendix/writing_assignments.md)'):
        assert needle in line, needle
    assert len(line.splitlines()) <= 12


def test_a_weak_check_is_reported_with_its_surviving_mutants_and_seeds(tmp_path):
    """The issue's case: a delta rule without 1/N passes when the batch happens to hold one sample."""
    weak = "    sizes = [(int(rng.integers(1, 3)), 3, 2)]\n"
    path = planted(tmp_path, hw="hw2_perceptron", checks=[(
        "    sizes = [(1, 2, 1), tuple(int(v) for v in rng.integers(2, 12, 3)), (int(rng.integers(20, 60)), 5, 4)]\n",
        weak)])
    report = A.check_assignment(path, seeds=6)
    row = next(r for r in report.rows if r.check == "test_1b")
    labels = {label: seeds for label, seeds in row.survivors}
    dropped = {k: v for k, v in labels.items() if "drop /" in k}
    assert any("delta.T @ X / N -> eta * delta.T @ X" in k or "/ N ->" in k for k in dropped), labels
    assert any("delta.mean(axis=0) -> delta.sum(axis=0)" in k for k in dropped), labels
    for seeds in dropped.values():  # it passes only on the seeds that drew N = 1; the others kill it
        assert 0 < len(seeds) < 6
    line = one([str(f) for f in report.findings], "hw2_perceptron: test_1b: weak check: the mutant answer_1b:",
               "delta.mean(axis=0) -> delta.sum(axis=0)", "passes every check of answer_1b on seed(s)")
    assert re.search(r"seed\(s\) \d", line)
    assert "test_1b" in A.markdown_table([report]) and row.killed < row.changing
    # the other checks of the assignment are untouched and stay clean
    assert [r.check for r in report.rows if r.survivors] == ["test_1b"]


def test_mutants_cover_the_issues_operators():
    source = ("def f(x, W, N, p):\n    ### BEGIN SOLUTION\n"
              "    s = x - x.max(axis=1, keepdims=True)\n"
              "    z = (W.T @ s) / N + 0.5 * x.mean(axis=0) + p['b']\n"
              "    for i in range(1, N):\n        z[i] = z[i - 1] if z[i] >= 0 else -z[0]\n"
              "    return z[:N], s\n    ### END SOLUTION\n")
    found = mutants(source, "answer")
    ops = {m.operator for m in found}
    assert ops == set(OPERATORS) == {"drop /", "drop factor", "sign", "transpose", "off by one", "max shift",
                                     "comparison", "axis", "W for b", "order"}
    labels = [m.label for m in found]
    for expected in ("answer:3 max shift: x - x.max(axis=1, keepdims=True) -> x",
                     "answer:4 drop /: W.T @ s / N -> W.T @ s", "answer:4 drop /: x.mean(axis=0) -> x.sum(axis=0)",
                     "answer:4 transpose: W.T -> W", "answer:5 off by one: range(1, N) -> range(1, N + 1)",
                     "answer:5 off by one: range(1, N) -> range(0, N)", "answer:6 comparison: z[i] >= 0 -> z[i] > 0",
                     "answer:3 axis: x.max(axis=1, keepdims=True) -> x.max(axis=0, keepdims=True)",
                     "answer:7 off by one: z[:N] -> z[:N + 1]", "answer:6 sign: -z[0] -> z[0]",
                     "answer:4 W for b: p['b'] -> p['W']", "answer:7 order: return (z[:N], s) -> return (s, z[:N])"):
        assert expected in labels, (expected, labels)
    # only the solution region is mutated: the signature line never changes
    assert all(m.source.startswith("def f(x, W, N, p):") for m in found) and all(m.line >= 3 for m in found)
    assert len(set(m.source for m in found)) == len(found)


# --- the command ---------------------------------------------------------------------------------------------

def test_the_command_fails_loudly_one_line_per_finding(tmp_path):
    """What an instructor runs on a new assignment directory: non-zero exit, one line per finding."""
    path = planted(tmp_path, cells={"test_1b": rename("test_1bb")},
                   checks=[("SKIP_CELLS = ()", 'SKIP_CELLS = ("demo",)')])
    proc = subprocess.run([sys.executable, "-m", "tools.assignments", "check", str(path), "--no-mutants"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith(f"{HW}: ") and ": " in line[len(HW) + 2:]]
    assert f"{HW}: SKIP_CELLS: 'demo' is not a cell of the notebook: it would run when grading" in lines
    assert any(line.startswith(f"{HW}: test_1bb: this autograded test cell has no check") for line in lines)
    assert any(line.startswith(f"{HW}: @check('test_1b'): no autograded test cell") for line in lines)
    assert "3 authoring finding(s)" in proc.stderr and f"{HW}: 3 finding(s)" in proc.stdout
    assert "exercises/ is up to date" not in proc.stdout  # a directory outside solutions/ has no release to compare
    bad = subprocess.run([sys.executable, "-m", "tools.assignments", "check", "hw_nonexistent"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "hw_nonexistent: no such assignment" in bad.stderr


def test_make_target_runs_the_command():
    text = (ROOT / "Makefile").read_text()
    target = re.search(r"^check-assignments:.*\n((?:\t.*\n)+)", text, re.M)
    assert target and "-m tools.assignments check" in target.group(1)
    assert "check-assignments" in re.search(r"^\.PHONY:.*$", text, re.M).group(0)
