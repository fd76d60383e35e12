"""Hidden checks of homework 1 (trusted: run in the grader process, never in the student's kernel).

Every check draws fresh inputs from ``rng`` and adds the edge cases the parts announce (|z| up to 1e4, z = 0
exactly); references come from nnlib, here. Part 1's "no overflow for |z| <= 1e4" is judged from the values
returned (inf or nan where the exact value is finite fails), never from warnings, which the student's code
controls. Part 2's thresholds include values that some weighted sums reach exactly, so ``>`` for ``>=`` fails.
Part 2b has per-student variants (``ffgrader.variants``): the neuron computes ``x_k AND (x_i OR x_j)`` with
``k = AND_INPUT`` of the student the submission is filed under, so a classmate's weights fail.
"""

import itertools

import numpy as np
import sympy as sp

from ffgrader.checks import Fail, Sym, call, check, expect_array, expect_expr, expect_truth_table
from nnlib import activations as A
from ffgrader.variants import values_of
from nnlib import perceptron as P

NNLIB_ALLOWED = ()
SKIP_CELLS = ()
BY_HAND = {"test_3a": ("answer_3a",), "test_3b": ("answer_3b",)}
# Per-student parameters (the first value is the default, in exercises/ and the published download).
VARIANTS = {"AND_INPUT": (1, 2, 3)}

EDGE = np.array([-1e4, -800.0, -40.0, -1e-3, 0.0, 1e-3, 40.0, 800.0, 1e4])


def _z(rng, scale):
    """A random 2-D batch of net inputs holding every edge value (and an exact 0), in random order."""
    rows, cols = int(rng.integers(2, 5)), int(rng.integers(5, 9))
    z = np.concatenate([EDGE, rng.normal(0, scale, rows * cols - EDGE.size)])
    return rng.permutation(z).reshape(rows, cols)


def _compare(student, part, name, z, expected, *args):
    got = call(student, f"{part} {name}", name, z, *args)
    expect_array(f"{part} {name}", got, expected, inputs={"z": z},
                 hint="every entry must match, including |z| = 1e4 (no overflow to inf or nan) and z = 0")
    return got


@check("test_1a")
def _(student, rng):
    z = _z(rng, 5.0)
    _compare(student, "1a", "sigmoid", z, A.sigmoid(z))
    _compare(student, "1a", "sigmoid_prime", z, A.get("sigmoid").derivative(z))


@check("test_1b")
def _(student, rng):
    z = _z(rng, 3.0)
    _compare(student, "1b", "tanh_prime", z, A.get("tanh").derivative(z))


@check("test_1c")
def _(student, rng):
    z = _z(rng, 4.0)
    _compare(student, "1c", "relu", z, A.get("relu")(z))
    _compare(student, "1c", "relu_prime", z, A.get("relu").derivative(z))
    _compare(student, "1c", "leaky_relu", z, A.get("leaky_relu", gamma=0.01)(z))  # the default gamma
    _compare(student, "1c", "leaky_relu_prime", z, A.get("leaky_relu", gamma=0.01).derivative(z))
    g = float(np.round(rng.uniform(0.05, 0.5), 3))
    _compare(student, "1c", "leaky_relu", z, A.get("leaky_relu", gamma=g)(z), g)
    _compare(student, "1c", "leaky_relu_prime", z, A.get("leaky_relu", gamma=g).derivative(z), g)


@check("test_1d")
def _(student, rng):
    z = _z(rng, 4.0)
    _compare(student, "1d", "elu", z, A.get("elu", gamma=1.0)(z))
    _compare(student, "1d", "elu_prime", z, A.get("elu", gamma=1.0).derivative(z))
    g = float(np.round(rng.uniform(0.2, 3.0), 3))
    _compare(student, "1d", "elu", z, A.get("elu", gamma=g)(z), g)
    _compare(student, "1d", "elu_prime", z, A.get("elu", gamma=g).derivative(z), g)


@check("test_1e")
def _(student, rng):
    z = _z(rng, 6.0)
    _compare(student, "1e", "softplus", z, A.get("softplus")(z))
    _compare(student, "1e", "softplus_prime", z, A.get("softplus").derivative(z))


def _rows(n):
    return np.array(list(itertools.product((0.0, 1.0), repeat=n)))


@check("test_2a")
def _(student, rng):
    part = "2a mp_neuron"
    X3, w = _rows(3), np.array([-1.0, 2.0, -1.0])            # the lecture's example, table 2-1
    for theta in (0.5, 1.0, 0.0):                              # 1 and 0 are reached exactly by some rows
        got = call(student, part, "mp_neuron", X3, w, theta)
        expect_truth_table(f"{part} (w={w.tolist()}, theta={theta})", got, X3, P.mp_neuron(X3, w, theta),
                           hint="output 1 when the weighted sum is >= theta (equal counts)")
    X6 = _rows(6)                                              # 4 excitatory + 2 inhibitory inputs
    settings = [(np.ones(4), 0.5), (np.ones(4), 2.0)] + [_firing_setting(rng, X6[:, :4], exact=k % 2 == 0)
                                                           for k in range(4)]
    for w, theta in settings:
        setting = f"w={w.tolist()}, theta={theta}"
        got = call(student, part, "mp_neuron", X6[:, :4], w, theta)
        expect_truth_table(f"{part} ({setting}, no inhibitory input)", got, X6[:, :4],
                           P.mp_neuron(X6[:, :4], w, theta))
        got = call(student, part, "mp_neuron", X6[:, :4], w, theta, X6[:, 4:])
        expect_truth_table(f"{part} ({setting}, columns 5-6 are inhibitory inputs)", got, X6,
                           P.mp_neuron(X6[:, :4], w, theta, inhibitory=X6[:, 4:]),
                           hint="an active inhibitory input forces the output to 0")


def _firing_setting(rng, X, exact):
    """Random integer weights and a threshold with which the neuron fires on some rows of X but not all
    (otherwise an inhibitory veto, or its absence, would not change a single output); with ``exact`` the
    threshold is a weighted sum that some row reaches exactly, else it lies halfway between integers."""
    while True:
        w = rng.integers(-3, 4, size=X.shape[1]).astype(float)
        sums = X @ w
        theta = float(rng.choice(sums)) if exact else float(rng.integers(-2, 4)) + 0.5
        fires = P.mp_neuron(X, w, theta)
        if 0 < fires.sum() < len(fires):
            return w, theta


def _design(part, out, n):
    """(w, theta) returned by a design function, as a trusted float array and float."""
    if type(out) not in (tuple, list) or len(out) != 2:
        raise Fail(f"[{part}] expected a pair (w, theta), got {type(out).__name__}.")
    w, theta = out
    try:
        w = np.array(w, dtype=float) if type(w) in (tuple, list, np.ndarray) else None
    except (TypeError, ValueError):
        w = None
    if w is None or w.shape != (n,) or not np.all(np.isfinite(w)):
        raise Fail(f"[{part}] w must be a sequence of {n} finite numbers, got {out[0]!r}.")
    if type(theta) not in (int, float) or not np.isfinite(theta):
        raise Fail(f"[{part}] theta must be a finite number, got {theta!r}.")
    return w, float(theta)


@check("test_2b")
def _(student, rng):
    part = "2b design_and_or"
    w, theta = _design(part, call(student, part, "design_and_or"), 3)
    X = _rows(3)
    k = values_of(student, VARIANTS)["AND_INPUT"]
    i, j = (m for m in (1, 2, 3) if m != k)
    target = np.array([int(r[k - 1] and (r[i - 1] or r[j - 1])) for r in X])
    expect_truth_table(f"{part} (your w={w.tolist()}, theta={theta})", P.mp_neuron(X, w, theta), X, target,
                       hint=f"y = x{k} AND (x{i} OR x{j}): which rows must reach the threshold?")


@check("test_2c")
def _(student, rng):
    part = "2c design_inhibited"
    w, theta = _design(part, call(student, part, "design_inhibited"), 2)
    X = _rows(3)
    target = np.array([int((not r[0]) and (r[1] or r[2])) for r in X])
    expect_truth_table(f"{part} (your w={w.tolist()}, theta={theta}; x1 inhibitory)",
                       P.mp_neuron(X[:, 1:], w, theta, inhibitory=X[:, :1]), X, target)


X_, BETA_ = sp.symbols("x beta", real=True)


@check("test_3a")
def _(student, rng):
    got = call(student, "3a swish'", "swish_prime_expr", Sym("x", real=True), Sym("beta", real=True))
    expect_expr("3a swish'", got, sp.diff(X_ / (1 + sp.exp(-BETA_ * X_)), X_), [X_, BETA_],
                hint="product rule: (x σ(βx))' = σ(βx) + x·β·σ'(βx), and σ' = σ(1-σ)")


@check("test_3b")
def _(student, rng):
    got = call(student, "3b GELU'", "gelu_prime_expr", Sym("x", real=True))
    expect_expr("3b GELU'", got, sp.diff(X_ * (1 + sp.erf(X_ / sp.sqrt(2))) / 2, X_), [X_],
                hint="product rule; Φ'(x) is the standard normal density exp(-x²/2)/√(2π)")

