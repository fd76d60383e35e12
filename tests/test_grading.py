"""ffgrader.checks / ffgrader.visible_tests: messages that say what and where, exact types, values (not
warnings) judged, degenerate answers earn nothing, gradients judged against the right loss; and for every
assignment: one check per autograded cell. Students' functions are run by the real worker over the loopback
channel (grading_support.py); that the solution scores full marks and the untouched notebook 0 is asserted on
the real nbgrader run of test_nbgrader_pipeline.py."""

import numpy as np
import pytest
import sympy as sp

import grading_support as S
from ffgrader import checks as C
from ffgrader import visible_tests as G
from ffgrader.sandboxed.wire import Expr, Opaque
from ffgrader.session import SandboxStudent, loopback_student

GRADED = S.GRADED


def fails(fn, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


# --- ffgrader.visible_tests ----------------------------------------------------------------------

def test_check_array_accepts_close_values():
    e = np.random.default_rng(0).normal(size=(4, 3))
    assert G.check_array("1a", e + 1e-12, e) is None
    assert G.check_array("1a", e.astype(np.float32), e, rtol=1e-6, atol=1e-6) is None


@pytest.mark.parametrize("value, needle", [
    ([0.0, 0.0], "got a list of length 2 (convert with np.asarray"),
    (np.zeros(2, dtype=int), "got dtype int64"),
    (np.zeros(3), "wrong shape: got (3,), expected (2,)"),
    (np.array([np.nan, 0.0]), "first mismatch at index (0,)"),
    (np.zeros(2, dtype=object), "dtype object"),
])
def test_check_array_says_what_is_wrong(value, needle):
    assert needle in fails(G.check_array, "p", value, np.zeros(2))


def test_check_array_names_index_input_and_hint():
    z = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    got = z.copy()
    got[1, 2] = 0.5
    msg = fails(G.check_array, "layer 2 dW", got, z, hint="average over the batch", inputs={"z": z})
    assert msg.startswith("[layer 2 dW] first mismatch at index (1, 2)")
    assert "z[1, 2] = 5.0" in msg and "got 0.5, expected 5.0" in msg and "Hint: average over the batch" in msg


def test_nan_where_finite_expected_is_called_out():
    assert "NaN/inf where finite values were expected" in fails(G.check_array, "p", np.array([np.inf]), np.ones(1))


def test_scalar_equal_truth_table():
    assert G.check_scalar("s", np.float32(0.25), 0.25) is None and G.check_scalar("s", np.array(0.25), 0.25) is None
    assert "got 0.3, expected 0.25" in fails(G.check_scalar, "s", 0.3, 0.25)
    assert "got the bool True" in fails(G.check_scalar, "s", True, 1.0)
    assert "got inf, expected 0.25 (look for overflow" in fails(G.check_scalar, "s", 10**400, 0.25)  # not OverflowError
    assert G.check_equal("e", (1, (True, "a")), (np.int64(1), (np.bool_(True), "a"))) is None
    assert "expected True (bool)" in fails(G.check_equal, "e", 1, True)
    table = [((0, 0), 0), ((0, 1), 1), ((1, 0), 1), ((1, 1), 0)]
    assert G.check_truth_table("xor", lambda a, b: a ^ b, table) is None
    msg = fails(G.check_truth_table, "xor", lambda a, b: a | b, table)
    assert "row 3" in msg and "(1, 1)" in msg


def test_call_reports_not_implemented_errors_shapes_mutation_and_overflow():
    def stub(z):
        raise NotImplementedError()

    def bad(z):
        return z @ np.ones((5, 5))

    def mutates(z):
        z[0] = 1.0
        return z

    def naive_sigmoid(z):
        return 1 / (1 + np.exp(-z))

    assert "stub is not implemented yet" in fails(G.call, "1a", stub, np.zeros(2))
    msg = fails(G.call, "1a", bad, np.zeros((3, 4)))
    assert "bad raised ValueError" in msg and "z: float64 array of shape (3, 4)" in msg
    assert "modified its argument z in place" in fails(G.call, "p", mutates, np.zeros(2))
    z = np.array([-1e4, 0.0, 1e4])
    with np.errstate(over="ignore"):
        assert G.call("1a", naive_sigmoid, z)[1] == 0.5   # not strict: works, with a warning only
    assert "overflowed" in fails(G.call, "1a sigmoid", naive_sigmoid, z, strict=True)


def test_check_expr_visible():
    x, w, b = sp.symbols("x w b")
    s = 1 / (1 + sp.exp(-(w * x + b)))
    assert G.check_expr("d", s * (1 - s) * x, sp.diff(s, w), [x, w, b]) is None
    assert "not equivalent" in fails(G.check_expr, "d", s * x, sp.diff(s, w), [x, w, b])
    assert "unevaluated Derivative" in fails(G.check_expr, "d", sp.Derivative(s, w), sp.diff(s, w), [x, w, b])
    assert "unknown symbol(s) y" in fails(G.check_expr, "d", x + sp.Symbol("y"), x, [x])


def _quadratic():
    rng = np.random.default_rng(1)
    W, b, X = rng.normal(size=(2, 3)), rng.normal(size=2), rng.normal(size=(5, 3))

    def loss():
        return 0.5 * float(((X @ W.T + b) ** 2).sum()) / len(X)

    z = X @ W.T + b
    return loss, W, b, {"W": z.T @ X / len(X), "b": z.sum(0) / len(X)}


def test_check_gradients_names_layer_and_rejects_a_constant_loss():
    loss, W, b, g = _quadratic()
    W0 = W.copy()
    assert G.check_gradients("bp", loss, [{"W": W, "b": b}], [g]) is None
    np.testing.assert_array_equal(W, W0)  # parameters restored
    msg = fails(G.check_gradients, "bp", loss, [{"W": W}, {"b": b}], [{"W": g["W"]}, {"b": g["b"] * 5}])
    assert "layer 2 parameter 'b'" in msg
    zeros = {"W": np.zeros_like(W), "b": np.zeros_like(b)}
    assert "does not change at all" in fails(G.check_gradients, "bp", lambda: 0.0, {"W": W, "b": b}, zeros)


# --- ffgrader.checks (hidden checks) -----------------------------------------------------------

@pytest.fixture(scope="module")
def student():
    """The real worker (loopback) with a few functions of a student."""
    s = loopback_student(call_timeout=10).start()
    assert s.run_cell("defs", """
import numpy as np
def broken(z):
    raise ValueError("bad input")
def naive_softplus(z):
    with np.errstate(all="ignore"):
        return np.log1p(np.exp(z))
def naive_sigmoid(z):
    return 1 / (1 + np.exp(-z))
""", 20).ok
    yield s
    s.close()


def test_the_loopback_worker_leaves_no_scratch_directory_behind(tmp_path, monkeypatch):
    # the forked worker ends with os._exit; a scratch directory made in it outlived every test run
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    s = loopback_student(call_timeout=10).start()
    assert s.run_cell("write", "open('left.txt', 'w').write('x')", 20).ok
    assert any(p.name.startswith("ffgrader-loopback-") for p in tmp_path.iterdir())
    s.close()
    assert list(tmp_path.iterdir()) == []


def test_expect_array_on_decoded_data():
    C.expect_array("1a", np.ones(3), np.ones(3))
    assert "got a list of length 3" in fails(C.expect_array, "2a mp_neuron", [1, 0, 1], np.ones(3))
    assert "got a value of type MyArray" in fails(C.expect_array, "1a", Opaque("MyArray", "..."), np.ones(3))
    with pytest.raises(C.Fail):
        C.expect_array("1a", np.ones(3), np.zeros(3))


def test_student_error_is_wrapped_with_part_and_argument_shapes(student):
    msg = fails(C.call, student, "1a sigmoid", "broken", np.zeros(25))
    assert msg == "[1a sigmoid] your broken raised ValueError('bad input') when called with float64 array of shape (25,)."
    assert "mp_neuron is not defined" in fails(C.call, student, "2a", "mp_neuron", np.zeros(2))


def test_overflow_is_judged_from_values_not_from_warnings(student):
    """An overflow the student silences still shows as inf where the answer is finite; a value-exact answer
    passes whether it warned or not (the worker's warnings are the student's to control)."""
    z = np.array([-1e4, 0.0, 1e4])
    got = C.call(student, "1e softplus", "naive_softplus", z)
    msg = fails(C.expect_array, "1e softplus", got, np.array([0.0, np.log(2.0), 1e4]), inputs={"z": z})
    assert "NaN/inf where finite values were expected" in msg and "z[2] = 10000.0" in msg
    C.expect_array("1a sigmoid", C.call(student, "1a sigmoid", "naive_sigmoid", z), np.array([0.0, 0.5, 1.0]))


def test_not_degenerate_and_grad_check_reject_placeholders():
    z = np.linspace(-1, 1, 5)
    C.not_degenerate("p", np.sin(z), inputs={"z": z})
    assert "all zeros" in fails(C.not_degenerate, "p", np.zeros(5))
    assert "the constant 2.0" in fails(C.not_degenerate, "p", np.full(5, 2.0))
    assert "the input z returned unchanged" in fails(C.not_degenerate, "p", z.copy(), inputs={"z": z})
    loss, W, b, g = _quadratic()
    params = [{"W": W, "b": b}]

    def loss_at(p):
        return loss()

    C.grad_check("1c", loss_at, params, [g])
    assert "layer 1 parameter 'b'" in fails(C.grad_check, "1c", loss_at, params, [{"W": g["W"], "b": 2 * g["b"]}])
    zeros = [{"W": np.zeros_like(W), "b": np.zeros_like(b)}]
    assert "finite differences of the loss" in fails(C.grad_check, "1c", loss_at, params, zeros)
    assert "must be a float array of shape (2,)" in fails(C.grad_check, "1c", loss_at, params,
                                                           [{"W": g["W"], "b": [0, 0]}])
    # a pair that is consistent with itself but not with the right loss: twice the loss, twice the gradients
    twice = [{"W": 2 * g["W"], "b": 2 * g["b"]}]
    assert "finite differences of the loss" in fails(C.grad_check, "1c", loss_at, params, twice)


def test_first_match_accepts_the_reference_or_the_glue_and_names_the_first_problem():
    def wrong():
        raise C.Fail("[x] the student's sub-function failed")

    assert C.first_match([lambda: 1.0, lambda: 2.0], lambda ref: None if ref == 2.0 else f"not {ref}") is None
    assert C.first_match([lambda: 1.0, wrong], lambda ref: None if ref == 2.0 else f"not {ref}") == "not 1.0"


def test_expect_expr_equivalent_wrong_and_refused_forms():
    x = sp.Symbol("x", real=True)
    C.expect_expr("3b", Expr(sp.srepr(sp.exp(x) * sp.exp(x))), sp.exp(2 * x), [x])
    assert "not equivalent" in fails(C.expect_expr, "3b", Expr(sp.srepr(sp.exp(x))), sp.exp(2 * x), [x])
    assert "unevaluated Derivative" in fails(C.expect_expr, "3b", Expr(sp.srepr(sp.Derivative(x**2, x))), 2 * x, [x])
    assert "expected a SymPy expression, got a value of type str" in fails(
        C.expect_expr, "3b", Opaque("str", "'2*x'"), 2 * x, [x])


def test_registry_and_load(tmp_path):
    f = tmp_path / "checks.py"
    f.write_text("from ffgrader.checks import check, Fail\nSKIP_CELLS = ('demo',)\nBY_HAND = {'t2': ('a2',)}\n"
                 "@check('t1')\ndef _(student, rng):\n    pass\n"
                 "@check('t2')\ndef _(student, rng):\n    raise Fail('[2] no')\n"
                 "@check('t3')\ndef _(student, rng):\n    student.nothing()\n")
    a = C.load(f)
    assert sorted(a.checks) == ["t1", "t2", "t3"] and a.SKIP_CELLS == ("demo",) and a.BY_HAND == {"t2": ("a2",)}
    assert a.run("t1", None, None).passed
    assert a.run("t2", None, None).message == "[2] no"
    crashed = a.run("t3", None, None)
    assert not crashed.passed and crashed.message.startswith("[t3] your answer could not be checked")
    f.write_text("from ffgrader.checks import check\n@check('t1')\ndef _(s, r): pass\n@check('t1')\ndef _(s, r): pass\n")
    with pytest.raises(ValueError, match="two checks registered for grade_id 't1'"):
        C.load(f)


# --- every assignment ----------------------------------------------------------------------------

@pytest.mark.parametrize("hw", GRADED)
def test_every_autograded_cell_has_exactly_one_check(hw):
    nb = S.load_nb("solutions", hw)
    assignment = S.load_checks(hw)
    assert set(assignment.checks) == set(S.points(nb))
    cell_ids = {S.meta(c).get("grade_id") for c in nb.cells}
    assert set(assignment.SKIP_CELLS) <= cell_ids
    for test_id, answers in assignment.BY_HAND.items():
        assert test_id in assignment.checks and set(answers) <= cell_ids
    for c in nb.cells:  # hidden tests live in checks.py only
        assert "BEGIN HIDDEN TESTS" not in c.source and "nnlib import grading" not in c.source


@pytest.mark.parametrize("hw", GRADED)
def test_checks_send_no_code_into_the_sandbox(hw):
    """Issue 18, family 3: the check API has no way to put trusted code into the worker any more, and no
    checks file tries (no define, no helpers, no code strings evaluated there)."""
    text = (S.ROOT / "solutions" / hw / "checks.py").read_text()
    for gone in ("define(", "helpers_for", "via=", "strict=", "eval(", "lambda x:"):
        assert gone not in text, (hw, gone)
    assert not hasattr(C, "helpers_for") and not hasattr(SandboxStudent, "define")


def test_release_check_finds_hidden_check_code_in_a_student_notebook(tmp_path):
    import json

    from tools import assignments as T

    checks_file = tmp_path / "checks.py"
    checks_file.write_text('@check("test_1a")\ndef _(student, rng):\n    got = call(student, "1a", "sigmoid", z)\n')
    nb = tmp_path / "hw.ipynb"
    cell = {"cell_type": "code", "source": ['got = call(student, "1a", "sigmoid", z)\n'], "metadata": {}}
    nb.write_text(json.dumps({"cells": [cell]}))
    assert T.check_leaks(checks_file, nb) == ['got = call(student, "1a", "sigmoid", z)']
    cell["source"] = ["print('clean')\n"]
    nb.write_text(json.dumps({"cells": [cell]}))
    assert T.check_leaks(checks_file, nb) == []
    assert "checks.py" in T.NOT_RELEASED
    for hw in S.HOMEWORK:  # the committed exercises hold no checks file and no check line
        assert not list((S.ROOT / "exercises" / hw).rglob("checks.py"))
        assert T.check_leaks(S.ROOT / "solutions" / hw / "checks.py", S.ROOT / "exercises" / hw / f"{hw}.ipynb") == []
