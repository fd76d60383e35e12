"""Claims of the chapter *The perceptron* (book/perceptron.md): the perceptron rule and its convergence
(Novikoff), the sign form of the rule, and the delta rules."""

from __future__ import annotations

import sympy as sp

from nnlib import symbolic_core as S
from nnlib.claims._common import descriptions_of, eta, grad, mat, section, vec, x

__all__ = ["SECTIONS", "DESCRIPTIONS"]  # its claims, by section (the builders' helpers are not API)


def sign_rule_cases(values=(-1, 1)):
    """(lhs, rhs) of sign_rule_identity over all (t, a) with t, a in ``values`` (target t, output a; the source
    calls the output z)."""
    cases = [(t, z) for t in values for z in values]
    lhs = sp.Matrix([[(1 - z * t) * t, t - z] for t, z in cases])
    rhs = sp.Matrix([[t - z, 0 if z == t else 2 * t] for t, z in cases])
    return lhs, rhs


@section({
    "perceptron_update_effect": ("after w ← w + η(t − a)x the net input of x changes by η(t − a)‖x‖²", "001 §2"),
    "sign_rule_identity": ("(1 − at)t = t − a = (0 if a = t else 2t) for t, a ∈ {−1, 1} (uses t² = 1)", "002"),
    "novikoff_steps": ("after a mistake w ← w + yx (y ∈ {−1, 1}): w*ᵀw grows by y w*ᵀx and "
                       "‖w‖² grows by 2y wᵀx + ‖x‖² (using y² = 1)", "001 §2 (感知器); Novikoff 1962"),
})
def perceptron_rule(claim):
    n = 3
    w, xv = vec("w", n, real=True), vec("x", n, real=True)
    t, y = sp.symbols("t y", real=True)
    w_new = w + eta * (t - y) * xv
    yield claim("perceptron_update_effect", (w_new.T * xv)[0] - (w.T * xv)[0], eta * (t - y) * (xv.T * xv)[0])

    lhs, rhs = sign_rule_cases()
    yield claim("sign_rule_identity", lhs, rhs)

    ws = vec("u", n, real=True)  # w*, the separating direction
    new = w + y * xv
    yield claim("novikoff_steps",
                sp.Matrix([[(ws.T * new)[0] - (ws.T * w)[0]],
                           [sp.expand((new.T * new)[0] - (w.T * w)[0]).subs(y**2, 1)]]).applyfunc(sp.expand),
                sp.Matrix([y * (ws.T * xv)[0], 2 * y * (w.T * xv)[0] + (xv.T * xv)[0]]).applyfunc(sp.expand))


@section({
    "delta_rule_linear": ("−η ∂/∂w ½(t − wᵀx)² = η(t − a)x", "002"),
    "delta_rule_sigmoid": ("−η ∂/∂w ½(t − σ(wᵀx))² = η(t − a) a(1 − a) x", "002; 003"),
    "delta_rule_general": ("−η ∂/∂w ½(t − f(wᵀx))² = η(t − a) f'(wᵀx) x for f = exp, sin, tanh, cubic "
                           "(any differentiable f; the page also checks an undefined SymPy function)", "002"),
})
def delta_rules(claim):
    n = 3
    w, xv = vec("w", n, real=True), vec("x", n, real=True)
    t = sp.Symbol("t", real=True)
    y_lin = (w.T * xv)[0]
    yield claim("delta_rule_linear", -eta * grad((t - y_lin)**2 / 2, w), eta * (t - y_lin) * xv)
    y_sig = S.sigmoid(y_lin)
    yield claim("delta_rule_sigmoid", -eta * grad((t - y_sig)**2 / 2, w),
                eta * (t - y_sig) * y_sig * (1 - y_sig) * xv)

    n = 2
    w, xv = vec("w", n, real=True), vec("x", n, real=True)
    s = (w.T * xv)[0]
    rows_l, rows_r = [], []
    for f in (sp.exp, sp.sin, sp.tanh, lambda u: u**3 - u):
        y = f(s)
        fprime = sp.diff(f(x), x).subs(x, s)
        rows_l += list(-eta * grad((t - y)**2 / 2, w))
        rows_r += list(eta * (t - y) * fprime * xv)
    yield claim("delta_rule_general", sp.Matrix(rows_l), sp.Matrix(rows_r))


@section({
    "delta_rule_layer": ("a layer of c = 2 logistic units, 2 samples, 3 inputs: −η ∂/∂W ½Σ_k ‖t_k − σ(W x_k)‖² = "
                         "η Σ_k δ_k x_kᵀ with δ_k = σ'(z_k) ⊙ (t_k − a_k)", "002 (单层神经网络, Δw_ij)"),
})
def delta_rule_layer(claim):
    W = mat("W", 2, 3, real=True)
    samples = [(vec(f"x{k}_", 3, real=True), vec(f"t{k}_", 2, real=True)) for k in (1, 2)]
    E, update = 0, sp.zeros(2, 3)
    for xk, tk in samples:
        zk = W * xk
        ak = zk.applyfunc(S.sigmoid)
        E += sum((tk - ak).applyfunc(lambda v: v**2)) / 2
        delta = sp.Matrix([ak[j] * (1 - ak[j]) * (tk[j] - ak[j]) for j in range(2)])   # σ'(z) = a(1 − a)
        update += eta * delta * xk.T
    yield claim("delta_rule_layer", -eta * sp.Matrix(2, 3, lambda j, i: sp.diff(E, W[j, i])), update)


SECTIONS = (perceptron_rule, delta_rules, delta_rule_layer)
DESCRIPTIONS = descriptions_of(SECTIONS)
