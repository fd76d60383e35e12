"""Claims of the chapter *Losses and output layers* (book/losses.md): the losses as negative
log-likelihoods, their gradients through the output layer, and the softmax output layer."""

from __future__ import annotations

import sympy as sp

from nnlib import symbolic_core as S
from nnlib.claims._common import descriptions_of, grad, section, vec

__all__ = ["SECTIONS", "DESCRIPTIONS"]  # its claims, by section (the builders' helpers are not API)


@section({
    "softmax_ce_gradient": ("∂/∂z of −Σ y_k log softmax(z)_k = ŷ − y (one-hot y)", "001 §2; 004"),
    "sigmoid_bce_gradient": ("∂/∂z of BCE(σ(z), y) = σ(z) − y", "004"),
    "mse_gradient": ("∂/∂ŷ ½‖y − ŷ‖² = ŷ − y", "001; 004"),
    "bce_from_likelihood": ("−log of the Bernoulli likelihood ŷ^y(1−ŷ)^(1−y) = BCE", "004"),
    "cce_from_likelihood": ("−log of the categorical likelihood Π ŷ_k^{y_k} = −Σ y_k log ŷ_k", "004"),
    "mse_from_gaussian_likelihood": ("−log N(y; ŷ, 1) = ½(y − ŷ)² + const", "004"),
})
def likelihoods_and_gradients(claim):
    K = 3
    z = vec("z", K, real=True)
    # soft or one-hot targets: only sum(y) = 1 is used
    y12 = vec("y", K - 1, real=True)
    y = sp.Matrix([y12[0], y12[1], 1 - y12[0] - y12[1]])
    yield claim("softmax_ce_gradient", grad(S.cce(y, S.softmax(z)), z), S.softmax(z) - y,
                sample={y12[0]: (0, 0.5), y12[1]: (0, 0.5)})
    zs = sp.Symbol("z", real=True)
    ys = sp.Symbol("y", real=True)
    yield claim("sigmoid_bce_gradient", sp.diff(S.bce(ys, S.sigmoid(zs)), zs), S.sigmoid(zs) - ys,
                sample={ys: (0, 1)})
    yv, yh = vec("y", K, real=True), vec("yhat", K, real=True)
    yield claim("mse_gradient", grad(S.mse(yv, yh), yh), yh - yv)
    # ŷ = 1/(1+s) with s > 0 ranges over (0, 1) and lets SymPy know both ŷ and 1 − ŷ are positive
    s_ = sp.Symbol("s", positive=True)
    p = 1 / (1 + s_)
    yield claim("bce_from_likelihood", -sp.log(p**ys * (1 - p)**(1 - ys)), S.bce(ys, p),
                sample={ys: (0, 1)})
    pk = vec("p", K, positive=True)
    yield claim("cce_from_likelihood", -sp.log(sp.Mul(*[pk[k]**yv[k] for k in range(K)])),
                S.cce(yv, pk))
    sigma = sp.Symbol("sigma", positive=True)
    yh1 = sp.Symbol("yhat", real=True)
    gauss = sp.exp(-(ys - yh1)**2 / (2 * sigma**2)) / sp.sqrt(2 * sp.pi * sigma**2)
    yield claim("mse_from_gaussian_likelihood", -sp.log(gauss),
                (ys - yh1)**2 / (2 * sigma**2) + sp.log(2 * sp.pi * sigma**2) / 2)


@section({
    "softmax_jacobian_properties": ("the softmax Jacobian is symmetric and its rows sum to 0", "004; 001 §2"),
    "softmax_vjp": ("gᵀ J_softmax = (ŷ ⊙ (g − (g·ŷ) 1))ᵀ: the backward pass without the K×K matrix", "004"),
    "softmax_hardmax_limit": ("softmax(βz) → hardmax(z) as β → ∞, ties shared: z = (1, 3, 1/2, 3) gives "
                              "(0, 1/2, 0, 1/2)", "004"),
})
def softmax_output(claim):
    K = 3
    z = vec("z", K, real=True)
    f = S.softmax(z)
    J = f.jacobian(z)
    yield claim("softmax_jacobian_properties", sp.Matrix([*(J - J.T), *(J * sp.ones(K, 1))]),
                sp.zeros(K * K + K, 1))
    g = vec("g", K, real=True)
    yield claim("softmax_vjp", (g.T * J).T, f.multiply_elementwise(g - (g.T * f)[0] * sp.ones(K, 1)))
    b = sp.Symbol("beta", positive=True)
    zc = sp.Matrix([1, 3, sp.Rational(1, 2), 3])
    yield claim("softmax_hardmax_limit", S.softmax(b * zc).applyfunc(lambda e: sp.limit(e, b, sp.oo)),
                sp.Matrix([0, sp.Rational(1, 2), 0, sp.Rational(1, 2)]))


@section({
    "multilabel_bce_gradient": ("K = 3 independent sigmoid outputs with the summed BCE: ∂/∂z = σ(z) − y, entry by entry "
                                "(the multi-label output error term)", "004 (multi-label output layer)"),
})
def multi_label(claim):
    K = 3
    z, y = vec("z", K, real=True), vec("y", K, real=True)
    loss = sum(S.bce(y[k], S.sigmoid(z[k])) for k in range(K))
    yield claim("multilabel_bce_gradient", grad(loss, z), z.applyfunc(S.sigmoid) - y,
                sample={y[k]: (0, 1) for k in range(K)})


SECTIONS = (likelihoods_and_gradients, softmax_output, multi_label)
DESCRIPTIONS = descriptions_of(SECTIONS)
