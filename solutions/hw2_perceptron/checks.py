"""Hidden checks of homework 2 (trusted: run in the grader process, never in the student's kernel).

Fresh random data, weights and learning rates every run (initial weights on a grid of multiples of the
learning rate, so the perceptron's cycle detection compares exact values); references from nnlib.
Part 4 has per-student variants (``ffgrader.variants``): the XOR network must output ``XOR_HIGH``, the value of
the student the submission is filed under, so a classmate's hand-designed weights fail.
"""

import numpy as np

from ffgrader.checks import (Fail, call, check, describe, expect_array, expect_equal, expect_scalar,
                             expect_truth_table)
from ffgrader.variants import values_of
from nnlib import layers as L
from nnlib import perceptron as P

NNLIB_ALLOWED = ()
SKIP_CELLS = ()
BY_HAND = {}
# Per-student parameters (the first value is the default, in exercises/ and the published download).
VARIANTS = {"XOR_HIGH": (1.0, 2.0, 3.0, 5.0)}

X_BOOL = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
T_AND = np.array([-1.0, -1.0, -1.0, 1.0])
T_XOR = np.array([-1.0, 1.0, 1.0, -1.0])


def _pair(part, out, what):
    """``out`` as the tuple ``what`` names, e.g. "(W, b)"; anything else fails with what was returned."""
    if type(out) not in (tuple, list) or len(out) != len(what.split(",")):
        raise Fail(f"[{part}] expected {what}, got {describe(out)}.")
    return out


@check("test_1b")
def _(student, rng):
    sizes = [(1, 2, 1), tuple(int(v) for v in rng.integers(2, 12, 3)), (int(rng.integers(20, 60)), 5, 4)]
    for N, D, c in sizes:
        X, T = rng.normal(size=(N, D)), rng.random((N, c))
        W, b = rng.normal(size=(c, D)), rng.normal(size=c)
        eta = float(np.round(rng.uniform(0.05, 1.0), 3))
        setting = f"N={N}, D={D}, c={c}, eta={eta}"
        part = f"1b delta_rule_step ({setting})"
        ref = P.train_delta_rule(X, T, unit="sigmoid", mode="batch", lr=eta, epochs=1, tol=0.0, w0=W, b0=b)
        Wn, bn = _pair(part, call(student, part, "delta_rule_step", W, b, X, T, eta), "(W, b)")
        expect_array(f"{part}: new W", Wn, ref.w,
                     hint="ΔW = η/N Σ_k δ_k x_kᵀ with δ = z(1-z)(t-z): did you forget f'(sum) or the 1/N?")
        expect_array(f"{part}: new b", bn, ref.b, hint="the bias input is 1")


@check("test_2a")
def _(student, rng):
    D = int(rng.integers(2, 6))
    X = rng.normal(size=(int(rng.integers(10, 30)), D))
    X[0] = 0.0                                    # net input exactly 0 (with b = 0): f(0) = +1
    w = rng.normal(size=D)
    for b in (0.0, float(rng.normal())):
        part = f"2a sign_output (X of shape {X.shape}, b={b:.3g})"
        got = call(student, part, "sign_output", X, w, b)
        expect_array(part, got, P.perceptron_predict(X, w, b, signed=True).astype(float), inputs={"X": X},
                     hint="f(s) = +1 for s >= 0 (including s = 0), -1 otherwise, as floats")


def _grid(rng, eta, n):
    return rng.integers(-4, 5, size=n).astype(float) * eta


def _check_training(student, part, X, t, w0, b0, eta):
    ref = P.train_perceptron(X, t, w0=w0, b0=b0, lr=eta, max_epochs=100, rule="sign")
    setting = f"w0={w0.tolist()}, b0={b0}, eta={eta}"
    out = call(student, part, "train_sign_perceptron", X, t, w0, b0, eta, 100)
    w, b, hist = _pair(part, out, "(w, b, history)")
    if type(hist) not in (list, tuple):
        raise Fail(f"[{part}] history must be a list of mistake counts, got {describe(hist)}.")
    expect_equal(f"{part}: mistakes per epoch ({setting})", list(hist), [int(h) for h in ref.history],
                 hint="update after every sample, in order, and stop after the first epoch without mistakes")
    expect_array(f"{part}: final w ({setting})", w, ref.w, hint="Δw = η (t - z) x for each misclassified sample")
    expect_scalar(f"{part}: final b ({setting})", b, ref.b, hint="the bias is updated like a weight with input 1")


@check("test_2b")
def _(student, rng):
    part = "2b train_sign_perceptron"
    eta = float(rng.choice([0.125, 0.25, 0.5, 1.0]))
    _check_training(student, part + " (AND)", X_BOOL, T_AND, _grid(rng, eta, 2), float(_grid(rng, eta, 1)[0]), eta)
    # from zero weights the first net input is exactly 0: f(0) = +1 shows on every run, not only on some grids
    _check_training(student, part + " (AND from zero weights)", X_BOOL, T_AND, np.zeros(2), 0.0, eta)
    X = rng.normal(size=(int(rng.integers(8, 20)), 3))
    t = np.where(X @ rng.normal(size=3) + 0.3 >= 0, 1.0, -1.0)       # linearly separable
    _check_training(student, part + " (random separable data)", X, t, rng.normal(size=3), float(rng.normal()),
                    float(np.round(rng.uniform(0.05, 0.5), 3)))


@check("test_2c")
def _(student, rng):
    part = "2c and_setup"
    out = _pair(part, call(student, part, "and_setup"), "(eta, w0, b0)")
    eta, w0, b0 = out
    if type(eta) not in (int, float) or not eta > 0:
        raise Fail(f"[{part}] eta must be a number > 0, got {eta!r}.")
    if type(b0) not in (int, float) or not np.isfinite(b0):
        raise Fail(f"[{part}] b0 must be a finite number, got {b0!r}.")
    if type(w0) not in (list, tuple, np.ndarray) or np.shape(w0) != (2,):
        raise Fail(f"[{part}] w0 must hold 2 initial weights, got {describe(w0)}.")
    w0 = np.array(w0, dtype=float)
    res = P.train_perceptron(X_BOOL, T_AND, w0=w0, b0=float(b0), lr=float(eta), max_epochs=100, rule="sign")
    setting = f"eta={eta}, w0={w0.tolist()}, b0={b0}"
    if not res.converged:
        raise Fail(f"[{part}] with {setting} the perceptron did not converge within 100 epochs ({res.reason}).")
    expect_truth_table(f"{part} (trained with {setting})", P.perceptron_predict(X_BOOL, res.w, res.b, signed=True),
                       X_BOOL, T_AND)


@check("test_3a")
def _(student, rng):
    part = "3a detect_cycle"
    for _ in range(3):
        eta = float(rng.choice([0.125, 0.25, 0.5, 1.0]))
        w0, b0 = _grid(rng, eta, 2), float(_grid(rng, eta, 1)[0])
        for name, t in (("XOR", T_XOR), ("AND", T_AND)):
            ref = P.train_perceptron(X_BOOL, t, w0=w0, b0=b0, lr=eta, max_epochs=100, rule="sign")
            where = f"{part} ({name}, w0={w0.tolist()}, b0={b0}, eta={eta})"
            got = _pair(where, call(student, where, "detect_cycle", X_BOOL, t, w0, b0, eta, 100), "(converged, epoch)")
            expect_equal(where, tuple(got), (bool(ref.converged), int(ref.epochs)), hint=ref.reason)


def _network(part, out):
    if type(out) not in (tuple, list) or len(out) != 4:
        raise Fail(f"[{part}] expected (W1, b1, W2, b2), got {describe(out)}.")
    return out


@check("test_4_shapes")
def _(student, rng):
    part = "4 xor_relu_network"
    net = _network(part, call(student, part, "xor_relu_network"))
    for name, arr, shape in zip(("W1", "b1", "W2", "b2"), net, ((2, 2), (2,), (1, 2), (1,))):
        if type(arr) is not np.ndarray or arr.dtype.kind != "f" or arr.shape != shape:
            raise Fail(f"[{part}: {name}] must be a float array of shape {shape}, got {describe(arr)}.\n"
                       "Hint: two hidden units, one output")
        if not np.all(np.isfinite(arr)):
            raise Fail(f"[{part}: {name}] contains NaN/inf.")
    # The shapes earn the point only for a network: one whose output depends on its input at all (arrays of
    # zeros, or any weights whose hidden units never pass anything on, are a placeholder).
    y = L.Dense(net[2], net[3], "identity")(L.Dense(net[0], net[1], "relu")(X_BOOL))[:, 0]
    if np.all(y == y[0]):
        raise Fail(f"[{part}] your network outputs {float(y[0])!r} for every input: these are placeholder "
                   "weights, not a network.\nHint: two hidden units, one output")


@check("test_4_table")
def _(student, rng):
    part = "4 xor_relu_network"
    W1, b1, W2, b2 = _network(part, call(student, part, "xor_relu_network"))
    try:
        hidden = L.Dense(np.array(W1, dtype=float), np.array(b1, dtype=float), "relu")
        out = L.Dense(np.array(W2, dtype=float), np.array(b2, dtype=float), "identity")
        y = out(hidden(X_BOOL))
    except (TypeError, ValueError) as exc:
        raise Fail(f"[{part}] your arrays do not form a 2-2-1 network: {exc}") from None
    high = values_of(student, VARIANTS)["XOR_HIGH"]
    expect_truth_table(part, y[:, 0], X_BOOL, np.array([0.0, high, high, 0.0]),
                       hint=f"the output must be exactly 0 or XOR_HIGH = {high!r} (no threshold is applied)")
