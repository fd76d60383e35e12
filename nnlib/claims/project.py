"""Claims of the chapter *Project* (book/project.md): why softmax regression may start from zero weights
and is convex, and the statistics behind reading a test accuracy."""

from __future__ import annotations

import sympy as sp

from nnlib import symbolic_core as S
from nnlib.claims._common import descriptions_of, section, vec

__all__ = ["SECTIONS", "DESCRIPTIONS"]  # its claims, by section (the builders' helpers are not API)


@section({
    "softmax_equal_logits_loss": ("10 equal logits c (zero weights give c = 0): softmax gives every class "
                                  "1/10, and the cross-entropy is ln 10 whatever the label", "004; 001 §2"),
    "softmax_ce_hessian_variance": ("the Hessian of −log softmax(z)_y in z is diag(p) − ppᵀ, and "
                                    "vᵀ(diag(p) − ppᵀ)v = Σ_k p_k (v_k − Σ_j p_j v_j)² ≥ 0 (K = 3): the loss is "
                                    "convex in the logits, so softmax regression is convex in W and b", "001 §2; 004"),
})
def softmax_regression(claim):
    c = sp.Symbol("c", real=True)
    probs = S.softmax(c * sp.ones(10, 1))
    # the cross-entropy of every one-hot label (SymPy cancels e^c at once: what is left to check is 1/10 and ln 10)
    losses = [S.cce(sp.Matrix([int(k == label) for k in range(10)]), probs) for label in range(10)]
    yield claim("softmax_equal_logits_loss", sp.Matrix([*probs, *losses]),
                sp.Matrix([*[sp.Rational(1, 10)] * 10, *[sp.log(10)] * 10]))
    K = 3
    z, v = vec("z", K, real=True), vec("v", K, real=True)
    p = S.softmax(z)
    loss = -sp.log(p[0])  # label 0; the Hessian is the same for every label (the label term is linear in z)
    H = sp.hessian(loss, z)
    mean = sum(p[k] * v[k] for k in range(K))
    yield claim("softmax_ce_hessian_variance", sp.Matrix([(v.T * H * v)[0], *(H - (sp.diag(*p) - p * p.T))]),
                sp.Matrix([sum(p[k] * (v[k] - mean)**2 for k in range(K)), *sp.zeros(K * K, 1)]))


@section({
    "accuracy_standard_error": ("n independent answers, each right with probability p: the fraction right has "
                                "mean p and variance p(1 − p)/n", "binomial distribution"),
    "max_of_k_density": ("the largest of k independent standard normal draws has distribution function Φ^k "
                         "and density k φ Φ^(k−1) (φ, Φ: the standard normal density and distribution function)",
                         "order statistics"),
})
def reading_a_test_accuracy(claim):
    p = sp.Symbol("p", positive=True)
    n = sp.Symbol("n", positive=True, integer=True)
    mean = p * 1 + (1 - p) * 0            # one answer: 1 if right, 0 if wrong
    second = p * 1**2 + (1 - p) * 0**2
    # the fraction right is the mean of n independent answers: the mean is kept, the variance divided by n
    yield claim("accuracy_standard_error", sp.Matrix([mean, (second - mean**2) / n]),
                sp.Matrix([p, p * (1 - p) / n]), sample={p: (0.01, 0.99)})
    x = sp.Symbol("x", real=True)
    k = sp.Symbol("k", positive=True, integer=True)
    Phi = (1 + sp.erf(x / sp.sqrt(2))) / 2
    phi = sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)
    yield claim("max_of_k_density", sp.diff(Phi**k, x), k * phi * Phi**(k - 1))


SECTIONS = (softmax_regression, reading_a_test_accuracy)
DESCRIPTIONS = descriptions_of(SECTIONS)
