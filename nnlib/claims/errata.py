"""The sources' wrong statements (book/appendix/errata.md), each decided by a pair of claims.

An erratum is a function named by its key that returns an :class:`Erratum`: the source's statement as a
claim that must be refuted, and the corrected statement as one that must be proved. To add one, write the
function below and list it in ``ERRATA`` (the errata page shows them in that order).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from nnlib import symbolic_core as S
from nnlib.claims._common import eta, grad, mat, vec, x
from nnlib.symbolic_core import Claim

__all__ = [
    "TITLES", "Erratum", "softmax_offdiagonal", "tanh_labelled_sigmoid", "sign_rule_minus", "bp_update_sign_002",
    "bp_update_sign_003", "hidden_bias_index", "loss_index_002", "parameter_count_parentheses", "theta_length",
    "weight_decay_coefficient_002", "cross_entropy_sum_001", "ce_gradient_needs_sum_one_001", "prelu_max_form_001",
    "single_path_chain_003", "taylor_guarantee_003", "batch_sum_double_count_002", "softmax_normalization_004",
    "argmax_any_activation_003", "gelu_standard_normal_000", "weight_shape_003", "mp_threshold_strict_001",
    "weight_sum_transpose_002", "dot_product_outer_004", "tanh_flatness_001", "gradient_sign_001",
    "linear_merge_004", "update_order_003", "ERRATA", "errata", "errata_keys",
]

TITLES = {
    "000": "第4讲：前馈神经网络 (lecture slides)",
    "001": "第2章 神经网络 (book chapter 2)",
    "002": "深度学习:从理论到实践 第一章 (course slides)",
    "003": "神经网络与深度学习2 (blog post)",
    "004": "深度前馈神经网络导论 (An Introduction to Deep Feedforward Neural Networks, translation)",
}


@dataclass(frozen=True)
class Erratum:
    """A mistake in a source: ``wrong`` (the source's statement) must be refuted, ``right`` proved."""

    key: str
    source: str  # key of TITLES
    location: str
    stated: str  # the source's statement (LaTeX)
    correct: str  # the corrected statement (LaTeX)
    wrong: Claim
    right: Claim

    @property
    def title(self) -> str:
        return TITLES[self.source]


def _pair(key, lhs, wrong_rhs, right_rhs, **kw):
    return (Claim(f"{key}:source", lhs, wrong_rhs, description="as stated in the source", **kw),
            Claim(f"{key}:corrected", lhs, right_rhs, description="corrected", **kw))


def softmax_offdiagonal():
    """Off-diagonal softmax Jacobian entry."""
    z = vec("z", 3, real=True)
    y = S.softmax(z)
    i, j = 0, 1  # any i != j
    w, r = _pair("softmax_offdiagonal", sp.diff(y[j], z[i]), 1 - y[i] * y[j], -y[i] * y[j])
    return Erratum(
        "softmax_offdiagonal", "001", "§2.2.7 Softmax, case (2) i ≠ j",
        r"\frac{\partial y_j}{\partial z_i} = \frac{0 - e^{z_i}e^{z_j}}{(\sum_t e^{z_t})^2} = 1 - y_i y_j",
        r"\frac{\partial y_j}{\partial z_i} = -y_i y_j \quad (i \ne j)", w, r)


def tanh_labelled_sigmoid():
    """Tanh written under the name sigmoid."""
    expr = (1 - sp.exp(-2 * x)) / (1 + sp.exp(-2 * x))
    w, r = _pair("tanh_labelled_sigmoid", expr, S.sigmoid(x), S.tanh(x))
    return Erratum(
        "tanh_labelled_sigmoid", "003", "section 常见的激活函数, tanh函数（双曲正切）",
        r"sigmoid(x) = \frac{1-e^{-2x}}{1+e^{-2x}}",
        r"\tanh(x) = \frac{1-e^{-2x}}{1+e^{-2x}}", w, r)


def sign_rule_minus():
    """Sign perceptron rule: the misclassified case z = -t lost its minus sign."""
    t, z_, xi = sp.symbols("t z x_i", real=True)
    cases = [(tv, zv) for tv in (-1, 1) for zv in (-1, 1)]
    target = sp.Matrix([2 * eta * tv * xi if zv != tv else 0 for tv, zv in cases])
    w, r = _pair("sign_rule_minus", target,
                 sp.Matrix([eta * (tv - tv) * xi if zv != tv else 0 for tv, zv in cases]),
                 sp.Matrix([eta * (tv - zv) * xi for tv, zv in cases]))
    return Erratum(
        "sign_rule_minus", "002", "单层感知器, 补充: 前页公式的推导 (sign activation)",
        r"z^k \ne t^k:\ \Delta w_{ij} = \eta\,(t^k - (t^k))\,x_i^k = 2\eta t^k x_i^k",
        r"z^k = -t^k:\ \Delta w_{ij} = \eta\,(t^k - (-t^k))\,x_i^k = 2\eta t^k x_i^k,"
        r"\ \text{so } \Delta w_{ij} = \eta (t^k - z^k) x_i^k \text{ for } t, z \in \{-1, 1\}", w, r)


def bp_update_sign_002():
    """Two-layer BP of 002: δ_j = ∂E/∂a_j, yet the algorithm adds +η δ_j z_h."""
    zh, th, wh, bj = sp.symbols("z_h t_j w_hj theta_j", real=True)
    a_j = wh * zh + bj
    E = (th - S.sigmoid(a_j))**2 / 2
    delta_j = -(th - S.sigmoid(a_j)) * S.sigmoid(a_j) * (1 - S.sigmoid(a_j))  # the slide's δ_j
    w, r = _pair("bp_update_sign_002", -eta * sp.diff(E, wh), eta * delta_j * zh, -eta * delta_j * zh)
    return Erratum(
        "bp_update_sign_002", "002", "多层神经网络, Stochastic/Batch Backpropagation algorithms",
        r"\delta_j = \frac{\partial E}{\partial a_j} = -(t_j - z_j) f'(a_j),"
        r"\quad w_{hj} \leftarrow w_{hj} + \eta\, \delta_j z_h",
        r"w_{hj} \leftarrow w_{hj} - \eta\, \delta_j z_h \ (= w_{hj} - \eta\,\partial E/\partial w_{hj})", w, r)


def bp_update_sign_003():
    """003: δ = −∂J/∂z, Δw = αδh, then the update subtracts Δw."""
    h, yv, wl = sp.symbols("h_j y_i w_ij", real=True)
    alpha = sp.Symbol("alpha", positive=True)
    h_out = S.sigmoid(wl * h)
    J = (yv - h_out)**2 / 2
    delta = (yv - h_out) * h_out * (1 - h_out)  # δ_i^[L] = e_i h_i (1 − h_i)
    w, r = _pair("bp_update_sign_003", -alpha * sp.diff(J, wl), -alpha * delta * h, alpha * delta * h)
    return Erratum(
        "bp_update_sign_003", "003", "section 参数更新 (step 3 of the BP derivation)",
        r"w_{ij}^{[l]} \leftarrow w_{ij}^{[l]} - \Delta w_{ij}^{[l]} = w_{ij}^{[l]} - \alpha\,\delta_i^{[l]} h_j^{[l-1]}",
        r"w_{ij}^{[l]} \leftarrow w_{ij}^{[l]} + \alpha\,\delta_i^{[l]} h_j^{[l-1]}"
        r"\ (\text{likewise } b_i^{[l]} \leftarrow b_i^{[l]} + \alpha\,\delta_i^{[l]})", w, r)


def hidden_bias_index():
    """003: every hidden unit gets the bias b_1."""
    X = vec("x", 4, real=True).T
    W1 = mat("w", 4, 5, real=True)
    b = vec("b", 5, real=True).T
    stated = sp.Matrix([[(X * W1)[k] + b[0] for k in range(5)]])
    fixed = sp.Matrix([[(X * W1)[k] + b[k] for k in range(5)]])
    w, r = _pair("hidden_bias_index", X * W1 + b, stated, fixed)
    return Erratum(
        "hidden_bias_index", "003", "section 多层感知机, the five hidden net inputs",
        r"z_k^{[1]} = \sum_i x_i w_{ik}^{[1]} + b_1^{[1]} \quad (k = 1, \dots, 5)",
        r"z_k^{[1]} = \sum_i x_i w_{ik}^{[1]} + b_k^{[1]}, \text{ i.e. } Z^{[1]} = X W^{[1]} + b^{[1]}", w, r)


def loss_index_002():
    """002: loss index mismatch in the two-layer derivation."""
    tt, zz = vec("t", 3, real=True), vec("z", 3, real=True)
    E_ok = sum((tt[k] - zz[k])**2 for k in range(3)) / 2
    E_src = sum((tt[k] - zz[1])**2 for k in range(3)) / 2  # Σ_i (t_i − z_j)², here j = 2
    w, r = _pair("loss_index_002", grad(E_ok, zz), grad(E_src, zz), -(tt - zz))
    return Erratum(
        "loss_index_002", "002", "多层神经网络, 推导过程 (loss of the two-layer net)",
        r"E(W) = \frac12 \sum_i (t_i - z_j)^2",
        r"E(W) = \frac12 \sum_j (t_j - z_j)^2, \quad \frac{\partial E}{\partial z_j} = -(t_j - z_j)", w, r)


def parameter_count_parentheses():
    """Parameter count: OCR lost the parentheses; N counts the input layer."""
    M = sp.symbols("M1:5", positive=True, integer=True)  # M_1 .. M_4, N = 4 layers
    counted = sum(M[l] * M[l + 1] + M[l + 1] for l in range(3))  # |W| + |b| per layer
    w, r = _pair("parameter_count_parentheses", counted,
                 sum(M[l] + 1 * M[l + 1] for l in range(3)),
                 sum((M[l] + 1) * M[l + 1] for l in range(3)), sample={m: (1, 50) for m in M})
    return Erratum(
        "parameter_count_parentheses", "000", "优化问题 (参数数量)",
        r"P = \sum_{l=1}^{N-1} M_l + 1 \quad M_{l+1}",
        r"P = \sum_{l=1}^{N-1} (M_l + 1)\, M_{l+1}", w, r)


def theta_length():
    """003: the stacked parameter vector Θ is said to end at index (1 + h_{L-1}) q."""
    h0, h1, q = sp.symbols("d h_1 q", positive=True, integer=True)  # L = 2: d -> h_1 -> q
    length = (h0 * h1 + h1) + (h1 * q + q)
    w, r = _pair("theta_length", length, (1 + h1) * q, (1 + h0) * h1 + (1 + h1) * q,
                 sample={h0: (1, 50), h1: (1, 50), q: (1, 50)})
    return Erratum(
        "theta_length", "003", "section 损失函数与随机梯度下降, the vector Θ",
        r"\Theta = [\theta_1, \dots, \theta_{(1+h_{L-1}) \times q}]^\top",
        r"\Theta \in \mathbb R^{P},\ P = \sum_{l=1}^{L} (1 + h_{l-1})\, h_l \quad (h_0 = d,\ h_L = q)", w, r)


def weight_decay_coefficient_002():
    """002: the penalty paired with weight decay w ← w(1 − ε) has the wrong coefficient."""
    wv = vec("w", 3, real=True)
    epsilon = sp.Symbol("epsilon", positive=True)
    step_of = lambda coeff: wv - eta * grad(coeff * (wv.T * wv)[0], wv)  # one descent step on the penalty
    w, r = _pair("weight_decay_coefficient_002", wv * (1 - epsilon), step_of(2 * epsilon / eta),
                 step_of(epsilon / (2 * eta)), sample={epsilon: (0, 1)})
    return Erratum(
        "weight_decay_coefficient_002", "002", "网络设置 (权重衰减 and the penalised E_new)",
        r"w^{new} = w^{old}(1 - \varepsilon), \quad E_{new}(w) = E(w) + \frac{2\varepsilon}{\eta} w^\top w",
        r"E_{new}(w) = E(w) + \frac{\varepsilon}{2\eta} w^\top w"
        r" \ (\text{then } w - \eta\,\nabla_w \tfrac{\varepsilon}{2\eta} w^\top w = w(1 - \varepsilon))", w, r)


def cross_entropy_sum_001():
    """001: the cross-entropy sums over the N samples instead of the C classes."""
    C = 3  # classes; the source's N (samples) is taken as 2 here, any N != C shows the problem
    z = vec("z", C, real=True)
    y12 = vec("y", C - 1, real=True)
    y = sp.Matrix([y12[0], y12[1], 1 - y12[0] - y12[1]])  # one sample's label, Σ_c y_c = 1
    p = S.softmax(z)
    loss = lambda upper: -sum(y[i] * sp.log(p[i]) for i in range(upper))
    w, r = _pair("cross_entropy_sum_001", p - y, grad(loss(2), z), grad(loss(C), z),
                 sample={y12[0]: (0, 0.5), y12[1]: (0, 0.5)})
    return Erratum(
        "cross_entropy_sum_001", "001", "§2.4.2 目标函数的选取 (softmax cross-entropy)",
        r"\text{Loss} = -\sum_{i=1}^{N} y_i \log \hat y_i \quad (N = \text{number of samples})",
        r"\text{Loss} = -\sum_{c=1}^{C} y_c \log \hat y_c \ \text{for one sample, so that }"
        r" \frac{\partial\,\text{Loss}}{\partial z_c} = \hat y_c - y_c", w, r)


def ce_gradient_needs_sum_one_001():
    """001: ŷ − y needs Σ_k y_k = 1."""
    z = vec("z", 3, real=True)
    y = vec("y", 3, real=True)
    p = S.softmax(z)
    loss = -sum(y[k] * sp.log(p[k]) for k in range(3))
    w, r = _pair("ce_gradient_needs_sum_one_001", grad(loss, z), p - y, p * sum(y) - y,
                 sample={yk: (0, 1) for yk in y})
    return Erratum(
        "ce_gradient_needs_sum_one_001", "001", "§2.4.2 目标函数的选取 (derivation of ∂Loss/∂z_i)",
        r"\sum_{j \ne i} y_j \hat y_i + y_i \hat y_i - y_i = \hat y_i - y_i",
        r"\frac{\partial\,\text{Loss}}{\partial z_i} = \hat y_i \sum_j y_j - y_i"
        r" \ (= \hat y_i - y_i \text{ only when } \textstyle\sum_j y_j = 1)", w, r)


def prelu_max_form_001():
    """001: PReLU written as max(x, αx)."""
    a = sp.Symbol("alpha", positive=True)
    w, r = _pair("prelu_max_form_001", S.prelu(x, a), sp.Max(x, a * x), sp.Max(0, x) + a * sp.Min(0, x),
                 sample={a: (0.1, 3)})
    return Erratum(
        "prelu_max_form_001", "001", "§2.2.5 ReLU (PReLU)",
        r"\text{PReLU}(x) = \begin{cases} x, & x > 0 \\ \alpha x, & \text{else}\end{cases} \ \text{is equivalent to} \ \max(x, \alpha x)",
        r"\text{PReLU}(x) = \max(0, x) + \alpha \min(0, x) \ (= \max(x, \alpha x) \text{ only for } \alpha \le 1)", w, r)


def single_path_chain_003():
    """003: the chain rule for l < L follows a single path."""
    xs = vec("x", 2, real=True)
    yv = vec("y", 2, real=True)
    W1, W2 = mat("u", 2, 2, real=True), mat("v", 2, 2, real=True)  # w^[1]_ij, w^[2]_ij: row i, column j
    h1 = (W1 * xs).applyfunc(S.sigmoid)
    h2 = (W2 * h1).applyfunc(S.sigmoid)
    e = yv - h2
    J = sum(ek**2 for ek in e) / 2
    direct = sp.Matrix([sp.diff(J, W1[i, j]) for i in range(2) for j in range(2)])
    single = sp.Matrix([e[i] * (-1) * h2[i] * (1 - h2[i]) * W2[i, i] * h1[i] * (1 - h1[i]) * xs[j]
                        for i in range(2) for j in range(2)])
    summed = sp.Matrix([sum(e[k] * (-1) * h2[k] * (1 - h2[k]) * W2[k, i] for k in range(2)) * h1[i] * (1 - h1[i]) * xs[j]
                        for i in range(2) for j in range(2)])
    w, r = _pair("single_path_chain_003", direct, single, summed)
    return Erratum(
        "single_path_chain_003", "003", "section 参数更新, 当 l < L 时",
        r"\frac{\partial J}{\partial w_{ij}^{[l]}} = \frac{\partial J}{\partial e_i}\frac{\partial e_i}{\partial h_i^{[L]}}"
        r"\frac{\partial h_i^{[L]}}{\partial z_i^{[L]}}\frac{\partial z_i^{[L]}}{\partial h_i^{[L-1]}}\cdots"
        r"\frac{\partial z_i^{[l]}}{\partial w_{ij}^{[l]}} \ \text{(one path, through neuron } i \text{ of every layer)}",
        r"\frac{\partial J}{\partial w_{ij}^{[l]}} = \Big(\sum_{k} w_{ki}^{[l+1]}\, \frac{\partial J}{\partial z_k^{[l+1]}}\Big)"
        r"\, f'(z_i^{[l]})\, h_j^{[l-1]} \ \text{(a sum over every neuron } k \text{ of layer } l+1)", w, r)


def taylor_guarantee_003():
    """003: the first-order Taylor step "guarantees" a decrease."""
    th = sp.Symbol("theta", real=True)
    lam, al = sp.symbols("lambda alpha", positive=True)
    Jq = lambda v: lam * v**2 / 2
    g = lam * th
    w, r = _pair("taylor_guarantee_003", Jq(th - al * g), Jq(th) - al * g**2,
                 Jq(th) - al * g**2 + al**2 * lam * g**2 / 2)
    return Erratum(
        "taylor_guarantee_003", "003", "section 损失函数与随机梯度下降 (泰勒级数展开, ΔΘ = −α dJ/dΘ)",
        r"J(\Theta_{k+1}) = J(\Theta_k) - \alpha \Big(\frac{dJ}{d\Theta}\Big)^2"
        r" \ \text{, so every step lowers the loss}",
        r"J(\Theta_{k+1}) = J(\Theta_k) - \alpha \lVert g\rVert^2 + \tfrac{\alpha^2}{2} g^\top H g \ \text{(exact for a quadratic);}"
        r" \text{ it rises when } \alpha > 2/\lambda", w, r)


def batch_sum_double_count_002():
    """002: the batch update's summand lost its sample index (E there is the error of one sample).

    Read literally the summand does not depend on k: n copies of one gradient (refuted against the
    gradient of the total error); with the index restored, the sum of the per-sample gradients (proved).
    """
    n = 3
    wv_, xk, tk = sp.Symbol("w", real=True), vec("x", n, real=True), vec("t", n, real=True)
    Ek = [(tk[k] - wv_ * xk[k])**2 / 2 for k in range(n)]
    E = sum(Ek)
    w, r = _pair("batch_sum_double_count_002", -eta * sp.diff(E, wv_),
                 -eta * sum(sp.diff(E, wv_) for _ in range(n)), -eta * sum(sp.diff(e_, wv_) for e_ in Ek))
    return Erratum(
        "batch_sum_double_count_002", "002", "多层神经网络, 推导过程 (权重更新, 批量)",
        r"\Delta w_* = -\eta \sum_{k=1}^{n} \frac{\partial E}{\partial w_*} \ (\text{the summand does not depend on } k)",
        r"\Delta w_* = -\eta \sum_{k=1}^{n} \frac{\partial E^k}{\partial w_*} = -\eta \frac{\partial E}{\partial w_*},"
        r" \quad E^k = \frac12 \sum_j (t_j^k - z_j^k)^2", w, r)


def softmax_normalization_004():
    """004: softmax "divides each element by the sum of all elements"."""
    zz = vec("z", 3, real=True)
    w, r = _pair("softmax_normalization_004", S.softmax(zz), zz / sum(zz),
                 zz.applyfunc(sp.exp) / sum(zz.applyfunc(sp.exp)))
    return Erratum(
        "softmax_normalization_004", "004", "section 输出层 (softmax 层)",
        r"a_i = \frac{z_i}{\sum_k z_k} \ \text{(“divides each element by the sum of all elements of the input”)}",
        r"a_i = \frac{e^{z_i}}{\sum_k e^{z_k}}", w, r)


def argmax_any_activation_003():
    """003: "whatever activation, the class with the largest z wins"."""
    tshift = sp.Symbol("t", real=True)
    o = lambda v: S.gelu(v) + tshift  # outputs, shifted by a common t (which cannot matter)
    lhs = sp.sign(o(sp.Integer(-3)) - o(sp.Rational(-3, 4)))
    w, r = _pair("argmax_any_activation_003", lhs, sp.sign(sp.Integer(-3) - sp.Rational(-3, 4)), sp.Integer(1),
                 symbols=(tshift,))
    return Erratum(
        "argmax_any_activation_003", "003", "section 多层感知机 (单层网络的限制)",
        r"\arg\max_k f(z_k) = \arg\max_k z_k \ \text{for every activation } f",
        r"\text{only for increasing } f\text{: GELU on } z = (-3, -\tfrac34) \text{ gives }"
        r" \operatorname{sign}(\mathrm{GELU}(-3) - \mathrm{GELU}(-\tfrac34)) = +1", w, r)


def gelu_standard_normal_000():
    """000: GELU with the CDF of N(μ, σ²)."""
    mu, sg = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)
    w, r = _pair("gelu_standard_normal_000", S.gelu(x), x * S.gaussian_cdf((x - mu) / sg), x * S.gaussian_cdf((x - 0) / 1))
    return Erratum(
        "gelu_standard_normal_000", "000", "常用的激活函数 (GELU)",
        r"\mathrm{GELU}(x) = x P(X \le x), \ X \sim \mathcal N(\mu, \sigma^2)",
        r"\mathrm{GELU}(x) = x\,\Phi(x), \ X \sim \mathcal N(0, 1) \ \text{(Hendrycks \& Gimpel 2016)}", w, r)


def weight_shape_003():
    """003: the shape given to W^[l]."""
    hp, hl, hn = sp.symbols("h_lm1 h_l h_lp1", positive=True, integer=True)
    w, r = _pair("weight_shape_003", (1 + hp) * hl, (1 + hl) * hn, (1 + hp) * hl,
                 sample={hp: (1, 50), hl: (1, 50), hn: (1, 50)})
    return Erratum(
        "weight_shape_003", "003", "section 损失函数与随机梯度下降 (augmented W^[l])",
        r"\mathbf W^{[l]} \in \mathbb R^{(1+h_l) \times h_{l+1}}, \ \text{next to} \ \mathbf Z^{[l]} = \mathbf H^{[l-1]} \mathbf W^{[l-1]}",
        r"\mathbf Z^{[l]} = \mathbf H^{[l-1]} \mathbf W^{[l]}, \ \mathbf W^{[l]} \in \mathbb R^{(1+h_{l-1}) \times h_l}"
        r" \ \text{(as in } z_i^{[l]} = \textstyle\sum_j w_{ij}^{[l]} h_j^{[l-1]} + b_i^{[l]}\text{)}", w, r)


def mp_threshold_strict_001():
    """001: "greater than the threshold" against the formula's ≥ (AND with w = (c, c), θ = 2c)."""
    c = sp.Symbol("c", positive=True)
    rows = list(itertools.product([0, 1], repeat=2))
    sums = [c * (x1 + x2) for x1, x2 in rows]
    w, r = _pair("mp_threshold_strict_001", sp.Matrix([int(x1 and x2) for x1, x2 in rows]),
                 sp.Matrix([sp.Piecewise((1, s > 2 * c), (0, True)) for s in sums]),
                 sp.Matrix([sp.Piecewise((1, s >= 2 * c), (0, True)) for s in sums]), symbols=(c,))
    return Erratum(
        "mp_threshold_strict_001", "001", "§2.2.2 线性阈值神经元 (the rule in words)",
        r"y = 1 \ \text{if the sum is greater than } \theta \ (\text{sum} > \theta)",
        r"y = 1 \ \text{if } \text{sum} \ge \theta \ \text{(the chapter's own formula; AND: } w = (1, 1), \theta = 2\text{)}", w, r)


def weight_sum_transpose_002():
    """002: Σ_i w_ij x_i written as W¹x although W¹ = [w_ij] has one row per input (it is (W¹)ᵀx)."""
    n = 2  # square, so that the slide's products exist
    X = vec("x", n, real=True)
    W1, W2 = mat("u", n, n, real=True), mat("v", n, n, real=True)  # [w_ij], [w_jk]: row = sending unit
    y = sp.Matrix([sum(W1[i, j] * X[i] for i in range(n)) for j in range(n)])
    z = sp.Matrix([sum(W2[j, k] * y[j] for j in range(n)) for k in range(n)])
    w, r = _pair("weight_sum_transpose_002", sp.Matrix.vstack(y, z),
                 sp.Matrix.vstack(W1 * X, W2 * W1 * X), sp.Matrix.vstack(W1.T * X, W2.T * W1.T * X))
    return Erratum(
        "weight_sum_transpose_002", "002", "激励函数——思考 (two linear layers)",
        r"y_j = \sum_{i} w_{ij} x_i = W^1 \mathbf x, \quad z_k = \sum_j w_{jk} y_j = W^2 W^1 \mathbf x",
        r"\mathbf y = (W^1)^\top \mathbf x, \quad \mathbf z = (W^2)^\top (W^1)^\top \mathbf x = (W^1 W^2)^\top \mathbf x"
        r" \ (W^1 = [w_{ij}])", w, r)


def dot_product_outer_004():
    """004: the dot product "defined as u times v transpose" (u vᵀ, the outer product); the article then
    calls it commutative, which u vᵀ is not and uᵀv is."""
    u, v = vec("u", 3, real=True), vec("v", 3, real=True)
    w = Claim("dot_product_outer_004:source", u * v.T, v * u.T, description="as stated in the source")
    r = Claim("dot_product_outer_004:corrected", u.T * v, v.T * u, description="corrected")
    return Erratum(
        "dot_product_outer_004", "004", "线性代数, 点积",
        r"\mathbf u \cdot \mathbf v = \mathbf u \mathbf v^\top \ \text{(“u 乘以 v 的转置”), said to be commutative}",
        r"\mathbf u \cdot \mathbf v = \mathbf u^\top \mathbf v = \mathbf v^\top \mathbf u"
        r" \ (\mathbf u \mathbf v^\top \text{ is the outer product})", w, r)


def tanh_flatness_001():
    """001: tanh "fixes the sigmoid's flatness"; tanh′ − σ′ changes sign at |z| = 2 arcosh((1 + √3)/2) ≈ 1.663.

    In c = cosh(z/2) ≥ 1: σ′(z) = 1/(4c²) and tanh′(z) = 1/(2c² − 1)² (rows 1 and 2, proved in z), and
    1/(2c² − 1)² − 1/(4c²) factors with the roots c± = (1 ± √3)/2 of c² − c − 1/2 (row 3, a rational identity
    in c; written with exponentials every row reduces in a fraction of a second). The source's reading is
    "tanh′ − σ′ ≥ 0", i.e. equal to its modulus.
    """
    z = sp.Symbol("z", real=True)
    c = sp.Symbol("c", positive=True)
    half = (sp.exp(z / 2) + sp.exp(-z / 2)) / 2  # cosh(z/2) in exponentials, like the sources' σ and tanh
    c_plus, c_minus = (1 + sp.sqrt(3)) / 2, (1 - sp.sqrt(3)) / 2
    gap = 1 / (2 * c**2 - 1)**2 - 1 / (4 * c**2)
    lhs = sp.Matrix([sp.diff(S.sigmoid(z), z) * 4 * half**2, sp.diff(S.tanh(z), z) * (2 * half**2 - 1)**2, gap])
    factored = 2 * (c_plus - c) * (c - c_minus) * (2 * c + 2 * c**2 - 1) / (4 * (2 * c**2 - 1)**2 * c**2)
    w, r = _pair("tanh_flatness_001", lhs, sp.Matrix([1, 1, sp.Abs(gap)]), sp.Matrix([1, 1, factored]),
                 sample={c: (1, 5)})
    return Erratum(
        "tanh_flatness_001", "001", "§2.2.4 Tanh 神经元",
        r"\tanh'(z) \ge \sigma'(z) \ \text{for all } z \ \text{(“改进了 Sigmoid 变化过于平缓的问题”)}",
        r"\tanh'(z) - \sigma'(z) = \frac{2(c_+ - c)(c - c_-)(2c + \cosh z)}{4\cosh^2 z\, c^2},\ c = \cosh\tfrac z2,"
        r"\ c_\pm = \tfrac{1 \pm \sqrt 3}{2}: \ \tanh' > \sigma' \text{ only for } |z| < 2\operatorname{arcosh} c_+ \approx 1.663", w, r)


def gradient_sign_001():
    """001: with positive inputs the weight gradients share the sign "of the whole expression f"; it is the
    sign of the upstream gradient ∂L/∂f."""
    w1, w2, b, t = sp.symbols("w1 w2 b t", real=True)
    x1, x2 = sp.symbols("x1 x2", positive=True)
    f = w1 * x1 + w2 * x2 + b
    L = (f - t)**2 / 2
    signs = sp.Matrix([sp.sign(sp.diff(L, w1)), sp.sign(sp.diff(L, w2))])
    upstream = sp.diff(L, b)  # ∂L/∂f, since ∂f/∂b = 1
    w, r = _pair("gradient_sign_001", signs, sp.Matrix([sp.sign(f)] * 2), sp.Matrix([sp.sign(upstream)] * 2))
    return Erratum(
        "gradient_sign_001", "001", "§2.2.3 (2) Sigmoid 函数并非以 0 为中心",
        r"x_i > 0: \ \operatorname{sign}\frac{\partial L}{\partial w_i} = \operatorname{sign} f \ \text{(“取决于整个表达式 f 的符号”)}",
        r"\operatorname{sign}\frac{\partial L}{\partial w_i} = \operatorname{sign}\Big(\frac{\partial L}{\partial f}\, x_i\Big)"
        r" = \operatorname{sign}\frac{\partial L}{\partial f}", w, r)


def linear_merge_004():
    """004: two layers with g(z) = cz merged into weights W2 W1 and bias W2 b1 + b2 (right only for c = 1)."""
    c = sp.Symbol("c", real=True)
    a = vec("a", 2, real=True)
    W1, W2 = mat("u", 2, 2, real=True), mat("v", 2, 2, real=True)
    b1, b2 = vec("b", 2, real=True), vec("d", 2, real=True)
    g = lambda v: c * v  # the article's linear activation
    w, r = _pair("linear_merge_004", g(W2 * g(W1 * a + b1) + b2),
                 g(W2 * W1 * a + W2 * b1 + b2), g(c * W2 * W1 * a + c * W2 * b1 + b2))
    return Erratum(
        "linear_merge_004", "004", "线性与非线性激活 (merging two linear layers, g(z) = cz)",
        r"\text{merged layer: } \mathbf W^{[l]}\mathbf W^{[l-1]}, \ \mathbf W^{[l]}\mathbf b^{[l-1]} + \mathbf b^{[l]}",
        r"\text{merged layer: } c\,\mathbf W^{[l]}\mathbf W^{[l-1]}, \ c\,\mathbf W^{[l]}\mathbf b^{[l-1]} + \mathbf b^{[l]}"
        r" \ \text{(the article's are right for } c = 1\text{)}", w, r)


def update_order_003():
    """003: adjusting the weights layer by layer while propagating back uses the updated w[l+1] in δ[l]."""
    x_, y_, w1, w2 = sp.symbols("x y w1 w2", real=True)
    alpha = sp.Symbol("alpha", positive=True)
    h1 = S.sigmoid(w1 * x_)
    h2 = S.sigmoid(w2 * h1)
    J = (y_ - h2)**2 / 2
    d2 = (y_ - h2) * h2 * (1 - h2)  # δ[2] = −∂J/∂z[2], the post's sign
    d1 = lambda w2_used: w2_used * d2 * h1 * (1 - h1)
    w, r = _pair("update_order_003", -alpha * sp.diff(J, w1),
                 alpha * d1(w2 + alpha * d2 * h1) * x_, alpha * d1(w2) * x_)
    return Erratum(
        "update_order_003", "003", "BP算法的基本思想 ④ and 参数更新 (update order)",
        r"w^{[2]} \leftarrow w^{[2]} + \alpha\delta^{[2]}h^{[1]}, \ \text{then } \delta^{[1]} = w^{[2]}\delta^{[2]}h^{[1]}(1 - h^{[1]})"
        r" \text{ with the new } w^{[2]}",
        r"\delta^{[1]} \text{ from the old } w^{[2]} \text{ (all error terms first, then every update):}"
        r" \ \Delta w^{[1]} = -\alpha\,\partial J/\partial w^{[1]}", w, r)


ERRATA = (
    softmax_offdiagonal,
    tanh_labelled_sigmoid,
    sign_rule_minus,
    bp_update_sign_002,
    bp_update_sign_003,
    hidden_bias_index,
    loss_index_002,
    parameter_count_parentheses,
    theta_length,
    weight_decay_coefficient_002,
    cross_entropy_sum_001,
    ce_gradient_needs_sum_one_001,
    prelu_max_form_001,
    single_path_chain_003,
    taylor_guarantee_003,
    batch_sum_double_count_002,
    softmax_normalization_004,
    argmax_any_activation_003,
    gelu_standard_normal_000,
    weight_shape_003,
    mp_threshold_strict_001,
    weight_sum_transpose_002,
    dot_product_outer_004,
    tanh_flatness_001,
    gradient_sign_001,
    linear_merge_004,
    update_order_003,
)


@lru_cache(maxsize=1)
def errata() -> dict:
    """key -> Erratum for every mistake found in the sources (all built on the first call)."""
    out = {}
    for build in ERRATA:
        e = build()
        if e.key != build.__name__ or e.source not in TITLES:
            raise RuntimeError(f"erratum {build.__name__} returned key {e.key!r}, source {e.source!r}")
        out[e.key] = e
    return out


def errata_keys() -> list[str]:
    """The keys of :func:`errata`, in order, without building any (e.g. to parametrize tests)."""
    return [build.__name__ for build in ERRATA]
