"""Hidden checks of homework 3 (trusted: run in the grader process, never in the student's kernel).

Fresh random layer sizes and data every run, always including a batch of one sample and a batch of more
than 50; references from nnlib. The gradient checks (1c, 2c) compare the student's gradients with finite
differences of the RIGHT loss (computed here), so a (loss, gradients) pair that is consistent but wrong earns
nothing. Part 2 composes Part 1: its output is right if it matches the reference, or the reference algorithm
computed here around the student's own dense_forward/dense_backward (called with plain inputs, the student's
own cache handed back with ``Held``), so a mistake in Part 1 is not counted twice. Part 3's answers are SymPy
values, judged by ffgrader.exprs after the shorthands y, h1, h2 are replaced by their definitions. Part 4a
checks the lecture's example and fresh inputs of the same kind (a hard-coded answer earns nothing).
"""

import numpy as np
import sympy as sp

from ffgrader.checks import (Fail, call, check, describe, expect_array, expect_equal, expect_expr,
                             first_match, grad_check)
from ffgrader.visible_tests import array_problem, scalar_problem
from nnlib import activations as A
from nnlib import layers as L
from nnlib import losses as Lo

NNLIB_ALLOWED = ()
SKIP_CELLS = ()
BY_HAND = {"test-bp-output": ("bp-by-hand",), "test-bp-hidden": ("bp-by-hand",)}


def _tuple(part, out, n, what):
    if type(out) not in (tuple, list) or len(out) != n:
        raise Fail(f"[{part}] expected {what}, got {describe(out)}.")
    return out


def _layer(rng, N, Mp, M, scale=1.0):
    return rng.normal(size=(N, Mp)) * scale, rng.normal(size=(M, Mp)), rng.normal(size=M)


def _sizes(rng):
    """A single sample, a small random batch, and a batch of more than 50 (every run)."""
    return [(1, 2, 1), (int(rng.integers(2, 9)), int(rng.integers(1, 6)), int(rng.integers(1, 7))),
            (int(rng.integers(51, 160)), int(rng.integers(5, 12)), int(rng.integers(2, 5)))]


@check("test-dense-forward")
def _(student, rng):
    for N, Mp, M in _sizes(rng):
        a, W, b = _layer(rng, N, Mp, M, scale=1e3 if N > 50 else 1.0)
        part = f"1a dense_forward (a_prev {a.shape}, W {W.shape}, b {b.shape})"
        z = _tuple(part, call(student, part, "dense_forward", a, W, b), 2, "(z, cache)")[0]
        expect_array(part + ": z", z, L.dense_forward(a, W, b)[0], hint="z = a_prev @ W.T + b, shape (N, M_l)")


def _backward(student, part, a, W, b, delta):
    """The student's dense_backward on the cache their own dense_forward made (handed back unchanged)."""
    fwd = call(student, part + " (its dense_forward)", "dense_forward", a, W, b, keep=True)
    _tuple(part + " (its dense_forward)", fwd.value, 2, "(z, cache)")
    return _tuple(part, call(student, part, "dense_backward", delta, fwd.held(1)), 3, "(da_prev, dW, db)")


# Partial credit: the parameters' gradients and the delta passed back are separate skills (one point each).
@check("test-dense-backward", parts={"dW and db": 1, "da_prev": 1})
def _(student, rng, sub):
    cases = []
    for N, Mp, M in _sizes(rng):
        a, W, b = _layer(rng, N, Mp, M)
        delta = rng.normal(size=(N, M))
        part = f"1b dense_backward (delta {delta.shape}, a_prev {a.shape}, W {W.shape})"
        cases.append((part, _backward(student, part, a, W, b, delta),
                      L.dense_backward(delta, L.dense_forward(a, W, b)[1])))
    for name, which, k in (("dW and db", ("dW", "db"), (1, 2)), ("da_prev", ("da_prev",), (0,))):
        with sub(name):
            for part, out, ref in cases:
                for label, i in zip(which, k):
                    expect_array(f"{part}: {label}", out[i], ref[i],
                                 hint="dW = delta.T @ a_prev (shape of W), db = delta.sum(axis=0), da_prev = delta @ W")


@check("test-dense-gradcheck")
def _(student, rng):
    N, Mp, M = int(rng.integers(2, 6)), int(rng.integers(2, 5)), int(rng.integers(1, 4))
    a, W, b = _layer(rng, N, Mp, M)
    R = rng.normal(size=(N, M))                      # L = sum(z * R), so dL/dz = R
    part = f"1c gradient check (a_prev {a.shape}, W {W.shape})"
    params = {"W": W, "b": b, "a_prev": a}
    da, dW, db = _backward(student, part, a, W, b, R)

    def loss_at(p):  # the right loss, computed here
        return float((L.dense_forward(p["a_prev"], p["W"], p["b"])[0] * R).sum())

    grad_check(part, loss_at, params, {"W": dW, "b": db, "a_prev": da}, rng=rng,
               hint="the gradients of L = sum(z * R) with respect to W, b and a_prev, for z = a_prev @ W.T + b")


def _mlp(rng, sizes, N):
    params = [{"W": rng.normal(size=(m, k)) / k**0.5, "b": rng.normal(size=m)} for k, m in zip(sizes[:-1], sizes[1:])]
    return params, rng.normal(size=(N, sizes[0])), rng.normal(size=(N, sizes[-1]))


def _chain(params, X, Y, forward, backward):
    """Part 2's MLP (sigmoid hidden layers, identity output, MSE loss) on the dense layer pair
    ``forward(a_prev, W, b) -> (z, cache)``, ``backward(delta, cache) -> (da_prev, dW, db)``: (loss, grads)."""
    sig, mse = A.get("sigmoid"), Lo.get("mse")
    caches, a = [], X
    for l, p in enumerate(params):
        z, c = forward(a, p["W"], p["b"])
        a, ac = sig.forward(z) if l < len(params) - 1 else (z, None)
        caches.append((c, ac))
    loss, da = mse.forward(a, Y), mse.backward(a, Y)
    grads = [None] * len(params)
    for l in range(len(params) - 1, -1, -1):
        c, ac = caches[l]
        delta = da if ac is None else sig.backward(da, ac)
        da, dW, db = backward(delta, c)
        grads[l] = {"W": dW, "b": db}
    return loss, grads


def _reference(params, X, Y):
    """nnlib's dense layers, sigmoid and MSE loss chained by hand: (loss, grads)."""
    return _chain(params, X, Y, L.dense_forward, L.dense_backward)


def _glue(student, part, params, X, Y):
    """The same chain computed here around the student's own dense_forward and dense_backward (called with
    plain inputs; their own cache handed back with Held): what a correct mlp_loss_and_grads built on them
    returns. Placeholder layers (all zeros) are no glue to compare with."""
    zs = []

    def forward(a, W, b):
        fwd = call(student, part, "dense_forward", a, W, b, keep=True)
        z = fwd.value[0] if type(fwd.value) in (tuple, list) and len(fwd.value) == 2 else None
        if type(z) is not np.ndarray or z.shape != (a.shape[0], W.shape[0]) or z.dtype.kind != "f":
            raise ValueError("dense_forward gave no usable z")
        zs.append(z)
        return z, fwd

    def backward(delta, fwd):
        out = call(student, part, "dense_backward", delta, fwd.held(1))
        if type(out) not in (tuple, list) or len(out) != 3 or not all(type(v) is np.ndarray for v in out):
            raise ValueError("dense_backward gave no usable gradients")
        return out

    loss, grads = _chain(params, X, Y, forward, backward)
    if not any(np.any(z) for z in zs) or not any(np.any(np.asarray(v, dtype=float)) for g in grads for v in g.values()):
        raise ValueError("placeholder layers (all zeros): no glue to compare with")
    return float(loss), grads


def _student_mlp(student, part, params, X, Y):
    out = _tuple(part, call(student, part, "mlp_loss_and_grads", params, X, Y), 2, "(loss, grads)")
    loss, grads = out
    if type(grads) not in (list, tuple) or len(grads) != len(params):
        raise Fail(f"[{part}] grads must be a list of {len(params)} dicts (one per layer), got {describe(grads)}.")
    return loss, grads


def _references(student, part, params, X, Y):
    """The reference (loss, grads), then the glue around the student's dense layers (computed on demand)."""
    # The glue in a clean worker (session.SandboxStudent.clean): the student's layers must not know what their
    # mlp_loss_and_grads was asked and answered.
    return [lambda: _reference(params, X, Y), lambda: _glue(student.clean(), part, params, X, Y)]


def _grads_problem(got, ref, rtol=1e-6):
    for l, (g, r) in enumerate(zip(got, ref), start=1):
        if type(g) is not dict:
            return f"layer {l}: expected a dict {{'W': dW, 'b': db}}, got {describe(g)}."
        for k in ("W", "b"):
            problem = array_problem(g.get(k), r[k], rtol, 1e-10)
            if problem:
                return f"layer {l} d{k}: {problem}"
    return None


def _arch(rng):
    return [int(rng.integers(1, 5)), int(rng.integers(2, 7)), int(rng.integers(1, 4))]


@check("test-mlp-loss")
def _(student, rng):
    z = rng.permutation(np.concatenate([[-1e4, -800.0, -30.0, 0.0, 30.0, 800.0, 1e4], rng.normal(0, 5, 9)]))
    got = call(student, "2a sigmoid", "sigmoid", z)
    expect_array("2a sigmoid", got, A.sigmoid(z), inputs={"z": z},
                 hint="no overflow to inf/nan for |z| up to 1e4: for z < 0 use exp(z) / (1 + exp(z))")
    for sizes, N in ((_arch(rng), int(rng.integers(2, 9))), ([2, 3, 3, 1], 1), (_arch(rng), int(rng.integers(51, 120)))):
        params, X, Y = _mlp(rng, sizes, N)
        part = f"2a loss (layer sizes {sizes}, N={N})"
        loss, _ = _student_mlp(student, part, params, X, Y)
        problem = first_match(_references(student, part, params, X, Y), lambda ref: scalar_problem(loss, ref[0]))
        if problem:
            raise Fail(f"[{part}] {problem}\nHint: mean over the batch of 1/2 ||y - y_hat||^2")


@check("test-mlp-grads")
def _(student, rng):
    for sizes, N in ((_arch(rng), int(rng.integers(3, 12))), ([2, 3, 4, 3, 1], int(rng.integers(51, 120))),
                     ([1, 6, 1], 1)):
        params, X, Y = _mlp(rng, sizes, N)
        setting = f"layer sizes {sizes}, N={N}"
        _, grads = _student_mlp(student, f"2b mlp_loss_and_grads ({setting})", params, X, Y)
        expect_equal(f"2b number of layers in grads ({setting})", len(grads), len(params))
        problem = first_match(_references(student, f"2b ({setting})", params, X, Y),
                              lambda ref: _grads_problem(grads, ref[1]))
        if problem:
            raise Fail(f"[2b mlp_loss_and_grads ({setting})] {problem}\nHint: divide by N once (in the output "
                       "delta); sigmoid' = a (1 - a) with a of the layer below")


@check("test-mlp-gradcheck")
def _(student, rng):
    sizes = [2, int(rng.integers(3, 6)), int(rng.integers(2, 5)), 3]
    params, X, Y = _mlp(rng, sizes, int(rng.integers(3, 8)))
    part = f"2c gradient check (layer sizes {sizes})"
    loss, grads = _student_mlp(student, part, params, X, Y)
    try:  # the derivatives of the right loss ...
        grad_check(part, lambda p: _reference(p, X, Y)[0], params, grads, rng=rng, max_entries=6,
                   hint="your gradients must be the derivatives of the mean squared error of the network")
    except Fail:
        # ... or exactly what the reference algorithm gives around your own Part 1 layers (a mistake there is
        # graded in Part 1); a pair that is merely consistent with itself earns nothing.
        problem = first_match([lambda: _glue(student.clean(), part, params, X, Y)],
                              lambda ref: scalar_problem(loss, ref[0]) or _grads_problem(grads, ref[1]))
        if problem:
            raise


# --- Part 3: backpropagation by hand -------------------------------------------------------------

x1, x2, t, v1, v2, w11, w12, w21, w22, th1, th2, th3 = sp.symbols("x1 x2 t v1 v2 w11 w12 w21 w22 theta1 theta2 theta3")
y, h1, h2 = sp.symbols("y h1 h2")
SYMBOLS = [x1, x2, t, v1, v2, w11, w12, w21, w22, th1, th2, th3]


def _sig(u):
    return 1 / (1 + sp.exp(-u))


U1, U2 = w11 * x1 + w12 * x2 + th1, w21 * x1 + w22 * x2 + th2
H1, H2 = _sig(U1), _sig(U2)
S_OUT = v1 * H1 + v2 * H2 + th3
Y_OUT = _sig(S_OUT)
E = (t - Y_OUT) ** 2 / 2
_S, _U = sp.Symbol("S"), sp.Symbol("U")
SHORTHANDS = {y: Y_OUT, h1: H1, h2: H2}


def _answer(student, part, name, expected, hint):
    if not student.has(name):
        raise Fail(f"[{part}] {name} is not defined: run the answer cell (did it raise an error?).")
    got = student.value(name)
    # 12 symbols and nested sigmoids: when exprs.equivalent cannot decide within the budget on a busy machine,
    # expect_expr decides with a compiled numeric comparison (never a 0 for want of time)
    expect_expr(part, got, expected, SYMBOLS + [y, h1, h2], subs=SHORTHANDS, budget=6.0, hint=hint)


@check("test-bp-output")
def _(student, rng):
    _answer(student, "3a delta_out", "delta_out", sp.diff((t - _sig(_S)) ** 2 / 2, _S).subs(_S, S_OUT),
            "chain rule: dE/dy * dy/ds with dy/ds = y(1 - y)")
    _answer(student, "3a dE_dv1", "dE_dv1", sp.diff(E, v1), "dE/dv1 = delta_out * h1")


@check("test-bp-hidden")
def _(student, rng):
    E_of_u1 = (t - _sig(v1 * _sig(_U) + v2 * H2 + th3)) ** 2 / 2
    _answer(student, "3b delta_h1", "delta_h1", sp.diff(E_of_u1, _U).subs(_U, U1), "delta_h1 = delta_out * v1 * h1 (1 - h1)")
    _answer(student, "3b dE_dw12", "dE_dw12", sp.diff(E, w12), "w12 connects x2 to hidden unit 1")


# --- Part 4: reverse mode ----------------------------------------------------------------------

def _check_reverse(student, part, x, w, b):
    out = _tuple(part, call(student, part, "reverse_mode", x, w, b), 3, "(f, df_dw, df_db)")
    f = A.sigmoid(w * x + b)
    for name, got, exp in zip(("f", "df_dw", "df_db"), out, (f, f * (1 - f) * x, f * (1 - f))):
        expect_array(f"{part}: {name}", got, exp, inputs={"x": x, "w": w, "b": b},
                     hint="multiply the local derivatives from h6 back to w (or b)")


@check("test-autodiff-lecture")
def _(student, rng):
    _check_reverse(student, "4a reverse_mode at x=1, w=0, b=0", np.array([1.0]), np.array([0.0]), np.array([0.0]))
    for _ in range(3):  # the same single-entry inputs elsewhere: the example's numbers alone earn nothing
        x, w, b = (np.array([float(np.round(v, 3))]) for v in rng.normal(0, 1.5, 3))
        _check_reverse(student, f"4a reverse_mode at x={x[0]}, w={w[0]}, b={b[0]}", x, w, b)


@check("test-autodiff-random")
def _(student, rng):
    n = int(rng.integers(3, 10))
    _check_reverse(student, f"4b reverse_mode (arrays of shape ({n},))", *rng.normal(size=(3, n)))
    shape = (int(rng.integers(2, 4)), int(rng.integers(2, 6)))
    _check_reverse(student, f"4b reverse_mode (2-D arrays of shape {shape})", *(rng.normal(size=(3, *shape)) * 3))
