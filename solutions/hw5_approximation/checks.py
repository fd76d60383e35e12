"""Hidden checks of homework 5 (trusted: run in the grader process, never in the student's kernel).

Targets ``f``, networks ``F`` and builders are callables: each is created in the worker from trusted source
with ``student.define`` and passed to the student's functions as ``Ref(name)``; the same source is evaluated
here for the reference. Networks are evaluated here with nnlib's dense layer and activations, so a mistake in
``forward_1d`` (1a) is not counted again in 1b/2b, and 3c runs ``error_curve`` with reference ``forward_1d`` and
``sup_error`` in the worker (``helpers_for``). Besides the fixed targets, every run adds a random one.
"""

import numpy as np

from ffgrader.checks import (Fail, call, check, describe, expect_array, expect_scalar, helpers_for)
from ffgrader.protocol import Ref, StudentError
from nnlib import activations as A
from nnlib import layers as L

NNLIB_ALLOWED = ()
SKIP_CELLS = ("demo_3", "demo_4")          # demonstrations (plots, training with nnlib): not run when grading
BY_HAND = {}

X_GRID = np.linspace(0.0, 1.0, 2001)

# name -> (trusted source, max |f'|, max |f''| on [0, 1])
TARGETS = {
    "sin(2 pi x)": ("lambda x: np.sin(2 * np.pi * x)", 2 * np.pi, 4 * np.pi**2),
    "exp(x)": ("np.exp", np.e, np.e),
    "cos(5x)": ("lambda x: np.cos(5 * x)", 5.0, 25.0),
    "8x^3 - 6x^2 + x": ("lambda x: 8 * x**3 - 6 * x**2 + x", 13.0, 36.0),
    "1/(1 + 25(x - 1/2)^2)": ("lambda x: 1 / (1 + 25 * (x - 0.5) ** 2)", 3.2476, 50.0),
}

REF_FORWARD_1D = ("lambda x, v, w, b, c, act: (0.5 * (1.0 + np.tanh(0.5 * (np.outer(x, w) + b))) if act == 'sigmoid' "
                  "else np.maximum(np.outer(x, w) + b, 0.0)) @ v + c")
REF_SUP_ERROR = ("lambda F, f, n=2001: float(np.max(np.abs(F(np.linspace(0.0, 1.0, n)) "
                 "- f(np.linspace(0.0, 1.0, n)))))")


def _trusted(source):
    """The grader's own copy of a callable whose (trusted) source is also defined in the worker."""
    return eval(source, {"np": np})  # noqa: S307 - our own literal source, never student data


def _random_target(rng):
    a, k, phi = float(np.round(rng.uniform(0.5, 2.0), 3)), float(np.round(rng.uniform(1.0, 6.0), 3)), \
        float(np.round(rng.uniform(0.0, 3.0), 3))
    return f"{a}*sin({k}x + {phi})", (f"lambda x: {a} * np.sin({k} * x + {phi})", a * k, a * k * k)


def _targets(rng, names):
    out = [(n, TARGETS[n]) for n in names]
    return out + [_random_target(rng)]


def _define_target(student, i, source):
    name = f"_target_{i}"
    student.define(name, source)
    return Ref(name), _trusted(source)


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
            got = call(student, part, "forward_1d", x, v, w, b, c, act, strict=True)
            expect_array(part, got, _ref_forward(x, v, w, b, c, act), inputs={"x": x},
                         hint="F(x) = c + act(outer(x, w) + b) @ v: did you add the output bias c?")
    x = np.linspace(0, 1, 11)
    part = "1a forward_1d (steep sigmoid, |z| up to 1e4)"
    got = call(student, part, "forward_1d", x, np.ones(2), np.array([1e4, -1e4]), np.array([-5e3, 5e3]), 0.0,
               "sigmoid", strict=True)
    expect_array(part, got, _ref_forward(x, np.ones(2), np.array([1e4, -1e4]), np.array([-5e3, 5e3]), 0.0, "sigmoid"),
                 inputs={"x": x}, hint="use a stable sigmoid, e.g. 0.5 * (1 + tanh(z / 2))")
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
    for i, (name, (source, lip, _)) in enumerate(_targets(rng, list(TARGETS))):
        ref, f = _define_target(student, i, source)
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
    for i, (name, (source, _, _)) in enumerate(_targets(rng, ["exp(x)", "cos(5x)"])):
        ref, f = _define_target(student, i, source)
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
    for i, (name, (source, _, _)) in enumerate(_targets(rng, list(TARGETS))):
        ref, f = _define_target(student, i, source)
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
    for i, (name, (source, _, curv)) in enumerate(_targets(rng, ["exp(x)", "cos(5x)", "8x^3 - 6x^2 + x"])):
        ref, f = _define_target(student, i, source)
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
    cases = [(f"lambda x: np.exp(-2000 * (x - {c0}) ** 2)", "lambda x: 0 * x", 11, "narrow bump between grid points"),
             ("lambda x: -3 * x", "lambda x: 0 * x", 2001, "negative error"),
             (f"lambda x: np.sin({k} * x) + {a} * x", f"lambda x: np.sin({k} * x)", int(rng.integers(50, 3000)),
              f"error {a} x")]
    for i, (F_src, f_src, n, label) in enumerate(cases):
        student.define(f"_F_{i}", F_src)
        student.define(f"_f_{i}", f_src)
        F, f = _trusted(F_src), _trusted(f_src)
        x = np.linspace(0.0, 1.0, n)
        part = f"3a sup_error ({label}, n={n})"
        got = call(student, part, "sup_error", Ref(f"_F_{i}"), Ref(f"_f_{i}"), n)
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


def _random_build(seed):
    return (f"lambda f, M: (lambda r: (r.normal(size=M), r.normal(size=M) * 5, r.normal(size=M), float(r.normal())))"
            f"(np.random.default_rng({seed} + int(M)))")


@check("test_3c")
def _(student, rng):
    cases = [("relu", "exp(x)", [3, 5], 57), ("sigmoid", "cos(5x)", (2, 7, 9, 40), 2001),
             (str(rng.choice(["relu", "sigmoid"])), "sin(2 pi x)", sorted(int(m) for m in rng.integers(1, 60, 4)),
              int(rng.integers(20, 3000)))]
    with helpers_for(student, "3c error_curve", "error_curve", forward_1d=REF_FORWARD_1D, sup_error=REF_SUP_ERROR):
        for i, (act, name, Ms, n) in enumerate(cases):
            build_src = _random_build(int(rng.integers(0, 2**40)))
            student.define(f"_build_{i}", build_src)
            ref_f, f = _define_target(student, i, TARGETS[name][0])
            build = _trusted(build_src)
            part = f"3c error_curve ({act}, f = {name}, Ms={list(Ms)}, n={n})"
            got = call(student, part, "error_curve", Ref(f"_build_{i}"), act, ref_f, Ms, n)
            x = np.linspace(0.0, 1.0, n)
            expected = [float(np.max(np.abs(_ref_forward(x, *build(f, M), act) - f(x)))) for M in Ms]
            expect_array(part, got, np.array(expected), rtol=1e-9,
                         hint="entry i is the max error of the network build(f, Ms[i]), evaluated with act")
