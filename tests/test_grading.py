"""nnlib.grading: every check passes right answers, fails wrong ones with a message that says what and where,
and cannot be fooled by replaced numpy/builtins functions or objects whose __eq__ lies."""

import builtins
import importlib

import numpy as np
import pytest
import sympy as sp

from nnlib import grading as G


class LiesEqual:
    def __eq__(self, other):
        return True

    def __bool__(self):
        return True

    def __float__(self):
        return 1.0


class SneakyArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)


def raises(fn, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


# --- check_array ------------------------------------------------------------------------------

def test_check_array_accepts_close_values():
    rng = np.random.default_rng(0)
    e = rng.normal(size=(4, 3))
    assert G.check_array("1a", e + 1e-12, e)
    assert G.check_array("1a", e.astype(np.float32), e, rtol=1e-6, atol=1e-6)


def test_check_array_reports_first_mismatch_and_hint():
    e = np.zeros((2, 3))
    v = e.copy()
    v[1, 2] = 0.5
    msg = raises(G.check_array, "layer 2 dW", v, e, hint="did you average over the batch?")
    assert "[layer 2 dW]" in msg and "(1, 2)" in msg and "0.5" in msg and "average over the batch" in msg


@pytest.mark.parametrize("value, needle", [
    ([0.0, 0.0], "type list"),
    (np.zeros(2, dtype=int), "dtype int64"),
    (np.zeros(3), "shape mismatch: got (3,), expected (2,)"),
    (np.array([np.nan, 0.0]), "non-finite value nan at index (0,)"),
    (np.zeros(2, dtype=object), "dtype object"),
    (LiesEqual(), "LiesEqual"),
])
def test_check_array_rejects_wrong_type_shape_nan(value, needle):
    assert needle in raises(G.check_array, "p", value, np.zeros(2))


def test_check_array_rejects_ndarray_subclass_with_lying_eq():
    v = np.full(2, 7.0).view(SneakyArray)
    assert "SneakyArray" in raises(G.check_array, "p", v, np.zeros(2))


def test_check_array_matches_infinities_exactly():
    e = np.array([np.inf, 1.0])
    assert G.check_array("p", e.copy(), e)
    assert "index (0,)" in raises(G.check_array, "p", np.array([-np.inf, 1.0]), e)


# --- scalars, equality, truth tables ----------------------------------------------------------

def test_check_scalar():
    assert G.check_scalar("s", 0.25, 0.25)
    assert G.check_scalar("s", np.float32(0.25), 0.25)
    assert G.check_scalar("s", np.array(0.25), 0.25)
    assert "got 0.3, expected 0.25" in raises(G.check_scalar, "s", 0.3, 0.25)
    assert "bool" in raises(G.check_scalar, "s", True, 1.0)
    assert "LiesEqual" in raises(G.check_scalar, "s", LiesEqual(), 1.0)
    assert "inf" in raises(G.check_scalar, "s", float("inf"), 1.0)


def test_check_equal_exact_types():
    assert G.check_equal("e", (1, (True, "a")), (np.int64(1), (np.bool_(True), "a")))
    assert "expected True (bool)" in raises(G.check_equal, "e", 1, True)
    assert "LiesEqual" in raises(G.check_equal, "e", LiesEqual(), 3)
    assert "got (1, 2)" in raises(G.check_equal, "e", (1, 2), (1, 3))


def test_check_truth_table_names_failing_row():
    table = [((0, 0), 0), ((0, 1), 1), ((1, 0), 1), ((1, 1), 0)]
    assert G.check_truth_table("xor", lambda a, b: a ^ b, table)
    msg = raises(G.check_truth_table, "xor", lambda a, b: a | b, table)
    assert "row 3" in msg and "(1, 1)" in msg
    assert "LiesEqual" in raises(G.check_truth_table, "xor", lambda a, b: LiesEqual(), table)
    assert "ZeroDivisionError" in raises(G.check_truth_table, "xor", lambda a, b: 1 / 0, table)


# --- symbolic ---------------------------------------------------------------------------------

def test_check_expr_accepts_equivalent_forms_and_strings():
    x, w, b = sp.symbols("x w b")
    s = 1 / (1 + sp.exp(-(w * x + b)))
    assert G.check_expr("d", s * (1 - s) * x, sp.diff(s, w), [x, w, b])
    assert G.check_expr("d", "x*exp(-w*x-b)/(1+exp(-w*x-b))**2", sp.diff(s, w), [x, w, b])


def test_check_expr_rejects_wrong_and_unknown_symbols():
    x, y = sp.symbols("x y")
    msg = raises(G.check_expr, "d", x**2, x**3, [x])
    assert "not equivalent" in msg and "x=" in msg
    assert "unknown symbol(s) y" in raises(G.check_expr, "d", x + y, x, [x])
    assert "could not parse" in raises(G.check_expr, "d", "x +* 2", x, [x])
    assert "LiesEqual" in raises(G.check_expr, "d", LiesEqual(), x, [x])


# --- gradients --------------------------------------------------------------------------------

def _quadratic_problem():
    rng = np.random.default_rng(1)
    W = rng.normal(size=(2, 3))
    b = rng.normal(size=2)
    X = rng.normal(size=(5, 3))

    def loss():
        z = X @ W.T + b
        return 0.5 * float((z**2).sum()) / len(X)

    z = X @ W.T + b
    grads = {"W": z.T @ X / len(X), "b": z.sum(0) / len(X)}
    return loss, W, b, grads


def test_check_gradients_passes_correct_and_names_wrong_layer_parameter():
    loss, W, b, g = _quadratic_problem()
    assert G.check_gradients("bp", loss, [{"W": W, "b": b}], [g])
    wrong = {"W": g["W"], "b": g["b"] * len(W)}  # forgot to average the bias over the batch
    msg = raises(G.check_gradients, "bp", loss, [{"W": W}, {"b": b}], [{"W": g["W"]}, {"b": wrong["b"]}])
    assert "layer 2 parameter 'b'" in msg
    assert "shape" in raises(G.check_gradients, "bp", loss, {"W": W}, {"W": g["W"].T})
    assert "no gradient" in raises(G.check_gradients, "bp", loss, {"W": W, "b": b}, {"W": g["W"]})


def test_check_gradients_restores_parameters():
    loss, W, b, g = _quadratic_problem()
    W0 = W.copy()
    G.check_gradients("bp", loss, {"W": W, "b": b}, g)
    np.testing.assert_array_equal(W, W0)


# --- call ---------------------------------------------------------------------------------------

def test_call_reports_errors_and_mutation():
    def not_done(x):
        raise NotImplementedError()

    def mutates(x):
        x[0] = 1.0
        return x

    assert "not implemented" in raises(G.call, "p", not_done, np.zeros(2))
    assert "modified its argument #1" in raises(G.call, "p", mutates, np.zeros(2))
    assert G.call("p", lambda x: x + 1, np.zeros(2))[0] == 1.0


# --- tampering --------------------------------------------------------------------------------

@pytest.mark.parametrize("module, name, replacement", [
    (np, "allclose", lambda *a, **k: True),
    (np, "isclose", lambda *a, **k: True),
    (np, "abs", lambda x: 0 * x),
    (np.linalg, "norm", lambda *a, **k: 0.0),
    (builtins, "sorted", lambda *a, **k: []),
    (builtins, "abs", lambda x: 0),
    (sp, "simplify", lambda e: 0),
])
def test_replaced_functions_are_detected(monkeypatch, module, name, replacement):
    assert G.tampering() == []
    monkeypatch.setattr(module, name, replacement)
    qual = {"builtins": "builtins", "numpy": "numpy", "numpy.linalg": "numpy.linalg", "sympy": "sympy"}[module.__name__]
    msg = raises(G.check_array, "1a", np.zeros(2), np.zeros(2))
    assert f"tampering detected: {qual}.{name} was replaced" in msg


def test_deleted_function_and_replaced_grading_function_are_detected(monkeypatch):
    monkeypatch.delattr(np, "isnan")
    assert "numpy.isnan" in G.tampering()
    monkeypatch.undo()
    monkeypatch.setattr(G, "check_scalar", lambda *a, **k: True)
    assert "tampering detected: nnlib.grading.check_scalar" in raises(G.check_array, "p", np.zeros(1), np.zeros(1))


def test_reimport_is_clean():
    assert importlib.reload(G).tampering() == []


def test_functions_replaced_before_import_are_detected(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    fresh = importlib.reload(G)
    try:
        assert "numpy.allclose" in fresh.tampering()
        assert "tampering detected: numpy.allclose" in raises(fresh.check_scalar, "p", 1.0, 1.0)
    finally:
        monkeypatch.undo()
        importlib.reload(G)
