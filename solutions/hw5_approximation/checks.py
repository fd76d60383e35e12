"""Hidden checks of homework 5 (trusted: run in the grader process, never in the student's kernel).

Targets ``f`` and networks ``F`` are handed to the student's functions as ``Fn`` markers (a whitelisted
numpy expression that the worker compiles; the same text is evaluated here for the reference), builders as
``Lookup`` tables of weights drawn here. Networks are evaluated here with nnlib's dense layer and activations, so
a mistake in ``forward_1d`` (1a) is not counted again in 1b/2b; ``error_curve`` (3c) is right if it matches the
reference, or the same computation around the student's own ``forward_1d`` and/or ``sup_error`` (called with
plain inputs), so a mistake in 1a or 3a is not counted twice. Besides the fixed targets, every run adds a
random one.
"""

import numpy as np

from ffgrader.checks import (Fail, Fn, Lookup, Partial, StudentError, call, check, describe, expect_array,
                             expect_scalar, first_match)
from ffgrader.visible_tests import array_problem
from nnlib import activations as A
from nnlib import layers as L

NNLIB_ALLOWED = ()
SKIP_CELLS = ("demo_3", "demo_4")          # demonstrations (plots, training with nnlib): not run when grading
BY_HAND = {}

X_GRID = np.linspace(0.0, 1.0, 2001)

# name -> (f(x) as a numpy expression for Fn, max |f'|, max |f''| on [0, 1])
TARGETS = {
    "sin(2 pi x)": ("np.sin(2 * np.pi * x)", 2 * np.pi, 4 * np.pi**2),
    "exp(x)": ("np.exp(x)", np.e, np.e),
    "cos(5x)": ("np.cos(5 * x)", 5.0, 25.0),
    "8x^3 - 6x^2 + x": ("8 * x**3 - 6 * x**2 + x", 13.0, 36.0),
    "1/(1 + 25(x - 1/2)^2)": ("1 / (1 + 25 * (x - 0.5) ** 2)", 3.2476, 50.0),
}
# F(x) = act(outer(x, w) + b) @ v + c as an Fn body, for each activation (the reference network, handed to the
# student's sup_error in 3c)
NETWORK = {"sigmoid": "(0.5 * (1.0 + np.tanh(0.5 * (np.outer(x, w) + b)))) @ v + c",
           "relu": "np.maximum(np.outer(x, w) + b, 0.0) @ v + c"}


def _target(body):
    """The marker handed to the student and, since Fn compiles its text here too, the reference function."""
    return Fn(("x",), body)


def _random_target(rng):
    a, k, phi = float(np.round(rng.uniform(0.5, 2.0), 3)), float(np.round(rng.uniform(1.0, 6.0), 3)), \
        float(np.round(rng.uniform(0.0, 3.0), 3))
    return f"{a}*sin({k}x + {phi})", (f"{a} * np.sin({k} * x + {phi})", a * k, a * k * k)


def _targets(rng, names):
    out = [(n, TARGETS[n]) for n in names]
    return out + [_random_target(rng)]


def _ref_forward(x, v, w, b, c, act):
    z, _ = L.dense_forward(np.reshape(x, (-1, 1)), np.reshape(w, (-1, 1)), b)
    return A.get(act)(z) @ v + c


def _weights(part, out, M, n=4):
    """Student weights (v, w, b[, c]): finite float arrays of shape (M,) and a real c."""
    what = "(v, w, b, c)" if n == 4 else "(v, w, b)"
    if type(out) is not tuple or len(out) != n:
        raise Fail(f"[{part}] expected a tuple {what}, got {describe(out)}.")
    for name, arr in zip(("v", "w", "b"), out[:3]):
        if type(arr) is not np.ndarray or arr.dtype.kind != "f" or arr.shape != (M,):
            raise Fail(f"[{part}] {name} must be a float array of shape (M,) = ({M},), got {describe(arr)}.\n"
                       "Hint: one entry per hidden neuron")
        if not np.all(np.isfinite(arr)):
            raise Fail(f"[{part}] {name} contains NaN/inf at index {int(np.argmax(~np.isfinite(arr)))}.")
    if n == 4 and (type(out[3]) not in (int, float) or not np.isfinite(out[3])):
        raise Fail(f"[{part}] c (the output bias) must be a finite real number, got {describe(out[3])}.")
    return out


def _max_error(out, act, f):
    err = np.abs(_ref_forward(X_GRID, *out, act) - f(X_GRID))
    i = int(np.argmax(err))
    return float(err[i]), float(X_GRID[i])


def _slope(Ms, errors):
    return float(np.polyfit(np.log(Ms), np.log(errors), 1)[0])


# --- Part 1 -------------------------------------------------------------------------------------------

@check("test_1a")
def _(student, rng):
    for act in ("sigmoid", "relu"):
        for N, M, scale in ((1, 1, 1.0), (int(rng.integers(5, 60)), int(rng.integers(2, 20)), 3.0),
                            (300, 64, 200.0)):
            x = rng.uniform(-2, 3, N)
            v, w, b, c = rng.normal(size=M), rng.normal(size=M) * scale, rng.normal(size=M) * scale / 2, float(rng.normal())
            part = f"1a forward_1d ({act}, N={N}, M={M}{', large weights' if scale > 10 else ''})"
            got = call(student, part, "forward_1d", x, v, w, b, c, act)
            expect_array(part, got, _ref_forward(x, v, w, b, c, act), inputs={"x": x},
                         hint="F(x) = c + act(outer(x, w) + b) @ v: did you add the output bias c?")
    x = np.linspace(0, 1, 11)
    part = "1a forward_1d (steep sigmoid, |z| up to 1e4)"
    got = call(student, part, "forward_1d", x, np.ones(2), np.array([1e4, -1e4]), np.array([-5e3, 5e3]), 0.0,
               "sigmoid")
    expect_array(part, got, _ref_forward(x, np.ones(2), np.array([1e4, -1e4]), np.array([-5e3, 5e3]), 0.0, "sigmoid"),
                 inputs={"x": x}, hint="no overflow to inf/nan: use a stable sigmoid, e.g. 0.5 * (1 + tanh(z / 2))")
    part = "1a forward_1d (act='tanh')"
    try:
        out = student.call("forward_1d", x, np.ones(2), np.ones(2), np.zeros(2), 0.0, "tanh")
    except StudentError as exc:
        if exc.exc_type != "ValueError":
            raise Fail(f"[{part}] raised {exc.exc_type}({exc.message!r}); expected a ValueError.") from None
    else:
        raise Fail(f"[{part}] returned {describe(out)} instead of raising ValueError.\n"
                   "Hint: only 'sigmoid' and 'relu' are valid names")


def _staircase(student, part, ref, f, M):
    out = _weights(part, call(student, part, "sigmoid_staircase", ref, M), M)
    return out, _max_error(out, "sigmoid", f)


@check("test_1b")
def _(student, rng):
    Ms = (10, 24, 64, int(rng.integers(5, 50)))
    for name, (body, lip, _) in _targets(rng, list(TARGETS)):
        ref = f = _target(body)
        for M in Ms:
            part = f"1b sigmoid_staircase (f = {name}, M={M})"
            _, (err, at) = _staircase(student, part, ref, f, M)
            tol = 0.6 * lip / M
            if not err <= tol:
                raise Fail(f"[{part}] max error {err:.3g} at x={at:.3f} exceeds {tol:.3g} (= 0.6 h max|f'|, h = 1/{M}).\n"
                           "Hint: steps centred between the knots (s_m = (t_(m-1) + t_m)/2), heights f(t_m) - f(t_(m-1)), "
                           "c = f(0), and steep compared with h (w_m about 20/h, b_m = -w_m s_m)")


@check("test_1b_rate")
def _(student, rng):
    Ms = np.array([4, 8, 16, 32, 64])
    for name, (body, _, _) in _targets(rng, ["exp(x)", "cos(5x)"]):
        ref = f = _target(body)
        errs = np.array([_staircase(student, f"1b sigmoid_staircase rate (f = {name}, M={M})", ref, f, int(M))[1][0]
                         for M in Ms])
        part = f"1b sigmoid_staircase rate (f = {name})"
        if not np.all(errs > 0):
            raise Fail(f"[{part}] a max error is exactly 0: {errs.tolist()}")
        p = _slope(Ms, errs)
        if not -1.25 <= p <= -0.75:
            raise Fail(f"[{part}] log-log slope of the max error is {p:.2f}, expected about -1 (between -1.25 and "
                       f"-0.75); errors for M = {Ms.tolist()}: {np.round(errs, 4).tolist()}.\n"
                       "Hint: the steepness w must grow with M (w = beta/h), otherwise the steps blur as h shrinks")


# --- Part 2 -------------------------------------------------------------------------------------------

@check("test_2a")
def _(student, rng):
    cases = [(0.0, 1.0 / 64), (1.0, 0.3)] + [(float(np.round(rng.uniform(0, 1), 4)), float(np.round(rng.uniform(0.01, 0.3), 4)))
                                            for _ in range(2)]
    for t, h in cases:
        part = f"2a hat_weights (t={t}, h={h})"
        out = _weights(part, call(student, part, "hat_weights", t, h), 3, n=3)
        x = np.linspace(t - 3 * h, t + 3 * h, 601)
        expect_array(part + ": hat(x) on [t - 3h, t + 3h]", _ref_forward(x, *out, 0.0, "relu"),
                     np.maximum(0.0, 1.0 - np.abs(x - t) / h), rtol=1e-9, atol=1e-9, inputs={"x": x},
                     hint="hinges at t - h, t, t + h with output weights 1/h, -2/h, 1/h")


def _interpolant(student, part, ref, M):
    return _weights(part, call(student, part, "relu_interpolant", ref, M), M)


@check("test_2b")
def _(student, rng):
    for name, (body, _, _) in _targets(rng, list(TARGETS)):
        ref = f = _target(body)
        for M in (1, 7, 64, int(rng.integers(2, 40))):
            part = f"2b relu_interpolant (f = {name}, M={M})"
            out = _interpolant(student, part, ref, M)
            t = np.linspace(0.0, 1.0, M + 1)
            expect_array(part + ": F at the knots t_0..t_M", _ref_forward(t, *out, "relu"), f(t), rtol=1e-9, atol=1e-9,
                         inputs={"t": t}, hint="c = f(0); hinges at t_0..t_(M-1); output weight = slope change "
                                               "(first: the first slope)")


@check("test_2b_rate")
def _(student, rng):
    Ms = (4, 8, 16, 32, 64)
    for name, (body, _, curv) in _targets(rng, ["exp(x)", "cos(5x)", "8x^3 - 6x^2 + x"]):
        ref = f = _target(body)
        errs = []
        for M in Ms:
            part = f"2b relu_interpolant bound (f = {name}, M={M})"
            err, at = _max_error(_interpolant(student, part, ref, M), "relu", f)
            bound = curv / (8 * M**2)
            if not err <= 1.02 * bound + 1e-12:
                raise Fail(f"[{part}] max error {err:.3g} at x={at:.3f} exceeds the interpolation bound "
                           f"h^2 max|f''|/8 = {bound:.3g}.\nHint: between two knots F must be the straight line "
                           "through (t_(m-1), f(t_(m-1))) and (t_m, f(t_m))")
            errs.append(err)
        p = _slope(np.array(Ms), np.array(errs))
        if not -2.3 <= p <= -1.7:
            raise Fail(f"[2b relu_interpolant rate (f = {name})] log-log slope of the max error is {p:.2f}, "
                       "expected about -2 (between -2.3 and -1.7).")


# --- Part 3 -------------------------------------------------------------------------------------------

@check("test_3a")
def _(student, rng):
    c0 = float(np.round(rng.uniform(0.21, 0.29), 4))      # a narrow bump between the grid points 0.2 and 0.3
    k, a = float(np.round(rng.uniform(1, 8), 3)), float(np.round(rng.uniform(0.01, 0.2), 4))
    cases = [(f"np.exp(-2000 * (x - {c0}) ** 2)", "0 * x", 11, "narrow bump between grid points"),
             ("-3 * x", "0 * x", 2001, "negative error"),
             (f"np.sin({k} * x) + {a} * x", f"np.sin({k} * x)", int(rng.integers(50, 3000)), f"error {a} x")]
    for F_body, f_body, n, label in cases:
        F, f = _target(F_body), _target(f_body)
        x = np.linspace(0.0, 1.0, n)
        part = f"3a sup_error ({label}, n={n})"
        got = call(student, part, "sup_error", F, f, n)
        expect_scalar(part, got, float(np.max(np.abs(F(x) - f(x)))), rtol=1e-12,
                      hint="the maximum (not the mean) of |F(x) - f(x)| over np.linspace(0, 1, n)")


@check("test_3b")
def _(student, rng):
    Ms = np.array([3, 5, 10, 20, 50, 120])
    e = 0.7 * Ms**-1.3 * np.exp(0.2 * rng.normal(size=Ms.size))
    for label, ms, errs in (("noisy data, arrays", Ms, e), ("lists", Ms.tolist(), e.tolist()),
                            ("exact power law 3 M^-2", [4, 8, 16, 32, 64], [3.0 * M**-2.0 for M in (4, 8, 16, 32, 64)])):
        part = f"3b loglog_slope ({label})"
        got = call(student, part, "loglog_slope", ms, errs)
        if type(got) is not float:
            raise Fail(f"[{part}] expected a Python float, got {describe(got)}.")
        expect_scalar(part, got, _slope(np.asarray(ms, dtype=float), np.asarray(errs, dtype=float)), rtol=1e-9,
                      hint="the least-squares slope of log(errors) against log(Ms), not the slope between end points")


def _curve_references(student, part, act, f, weights, n):
    """Acceptable error curves: the reference, and the same with the student's own forward_1d (1a) and/or
    sup_error (3a) in place of the reference ones, computed on demand."""
    x = np.linspace(0.0, 1.0, n)

    def student_F(wts):
        out = call(student, part, "forward_1d", x, *wts, act)
        if type(out) is not np.ndarray or out.shape != x.shape:
            raise ValueError("forward_1d gave no usable values")
        return out

    def student_sup(F):
        out = call(student, part, "sup_error", F, f, n)
        if type(out) not in (int, float):
            raise ValueError("sup_error gave no number")
        return float(out)

    def network(wts):
        return Fn(("x",), NETWORK[act], dict(zip("vwbc", wts)))

    def alive(curve):  # a curve of placeholders (one value for every M) is no glue to compare with
        if len(set(curve)) == 1 and len(curve) > 1:
            raise ValueError("placeholder functions: no glue to compare with")
        return curve

    return [lambda: [float(np.max(np.abs(_ref_forward(x, *w, act) - f(x)))) for w in weights],
            lambda: alive([float(np.max(np.abs(student_F(w) - f(x)))) for w in weights]),
            lambda: alive([student_sup(network(w)) for w in weights]),
            lambda: alive([student_sup(Partial("forward_1d", (*w, act))) for w in weights])]


@check("test_3c")
def _(student, rng):
    cases = [("relu", "exp(x)", [3, 5], 57), ("sigmoid", "cos(5x)", [2, 7, 9, 40], 2001),
             (str(rng.choice(["relu", "sigmoid"])), "sin(2 pi x)", sorted({int(m) for m in rng.integers(1, 60, 4)}),
              int(rng.integers(20, 3000)))]
    for act, name, Ms, n in cases:
        f = _target(TARGETS[name][0])
        weights = [(rng.normal(size=M), rng.normal(size=M) * 5, rng.normal(size=M), float(rng.normal())) for M in Ms]
        build = Lookup(1, [(M, w) for M, w in zip(Ms, weights)])   # build(f, M) -> (v, w, b, c), drawn here
        part = f"3c error_curve ({act}, f = {name}, Ms={list(Ms)}, n={n})"
        got = call(student, part, "error_curve", build, act, f, Ms, n)
        problem = first_match(_curve_references(student.clean(), part, act, f, weights, n),
                              lambda ref: array_problem(got, np.array(ref), 1e-9, 1e-10))
        if problem:
            raise Fail(f"[{part}] {problem}\nHint: entry i is the max error of the network build(f, Ms[i]), "
                       "evaluated with act")
