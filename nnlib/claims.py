"""Registry of every formula the book states, as SymPy claims (see :mod:`nnlib.symbolic`).

Filled in incrementally; the names and descriptions below are the contract the chapters cite.
"""

from __future__ import annotations

# name -> (one-line description, source reference)
DESCRIPTIONS: dict[str, tuple[str, str]] = {
    # activations and their derivatives (derivative table of 000, homework 4-4)
    "logistic_derivative": ("σ'(x) = σ(x)(1 − σ(x))", "000 table 4.3; 001 §2"),
    "tanh_derivative": ("tanh'(x) = 1 − tanh(x)²", "000 table 4.3; 001 §2"),
    "tanh_logistic_relation": ("tanh(x) = 2σ(2x) − 1", "000 §4.1"),
    "relu_derivative": ("ReLU'(x) = I(x > 0) for x ≠ 0", "000 table 4.3"),
    "leaky_relu_derivative": ("LeakyReLU'(x) = 1 if x > 0 else γ", "000 §4.1; 001 §2"),
    "prelu_derivative": ("PReLU: ∂/∂x = I(x>0) + γ I(x≤0), ∂/∂γ = min(0, x)", "000 §4.1; 001 §2"),
    "elu_derivative": ("ELU'(x) = I(x > 0) + I(x ≤ 0) γ exp(x)", "000 table 4.3"),
    "softplus_derivative": ("softplus'(x) = σ(x)", "000 table 4.3"),
    "hard_logistic_derivative": ("hard-logistic'(x) = 1/4 on |x| < 2, else 0", "000 §4.1"),
    "hard_tanh_derivative": ("hard-tanh'(x) = 1 on |x| < 1, else 0", "000 §4.1"),
    "swish_derivative": ("swish'(x) = σ(βx) + βx σ(βx)(1 − σ(βx))", "000 homework 4-4"),
    "gelu_derivative": ("GELU'(x) = Φ(x) + x φ(x), Φ(x) = (1 + erf(x/√2))/2", "000 homework 4-4"),
    # softmax
    "softmax_jacobian": ("∂softmax_i/∂z_j = f_i(δ_ij − f_j), i.e. diag(f) − f fᵀ", "001 §2; 004"),
    "softmax_shift_invariance": ("softmax(z + c) = softmax(z)", "004"),
    "sigmoid_is_two_class_softmax": ("σ(z) = softmax([z, 0])₁", "004"),
    # losses
    "softmax_ce_gradient": ("∂/∂z of −Σ y_k log softmax(z)_k = ŷ − y (one-hot y)", "001 §2; 004"),
    "sigmoid_bce_gradient": ("∂/∂z of BCE(σ(z), y) = σ(z) − y", "004"),
    "mse_gradient": ("∂/∂ŷ ½‖y − ŷ‖² = ŷ − y", "001; 004"),
    "bce_from_likelihood": ("−log of the Bernoulli likelihood ŷ^y(1−ŷ)^(1−y) = BCE", "004"),
    "cce_from_likelihood": ("−log of the categorical likelihood Π ŷ_k^{y_k} = −Σ y_k log ŷ_k", "004"),
    "mse_from_gaussian_likelihood": ("−log N(y; ŷ, 1) = ½(y − ŷ)² + const", "004"),
    # learning rules
    "delta_rule_linear": ("−η ∂/∂w ½(t − wᵀx)² = η(t − y)x", "002"),
    "delta_rule_sigmoid": ("−η ∂/∂w ½(t − σ(wᵀx))² = η(t − y) y(1 − y) x", "002; 003"),
    # networks and backprop
    "linear_layers_collapse": ("W2(W1x + b1) + b2 = (W2W1)x + (W2b1 + b2)", "002"),
    "delta_output_mse_sigmoid": ("δ_out = ∂L/∂z_out = (ŷ − y) ⊙ σ'(z_out) for ½‖y−ŷ‖²", "003; 002"),
    "delta_recursion": ("δ⁽¹⁾ = f'(z⁽¹⁾) ⊙ (W⁽²⁾ᵀ δ⁽²⁾), vs direct differentiation of a 2-layer net", "000 §4.4"),
    "weight_gradient_outer_product": ("∂L/∂W⁽ˡ⁾ = δ⁽ˡ⁾ a⁽ˡ⁻¹⁾ᵀ for both layers of a 2-layer net", "000 §4.4"),
    "bias_gradient": ("∂L/∂b⁽ˡ⁾ = δ⁽ˡ⁾ for both layers of a 2-layer net", "000 §4.4"),
    "batch_weight_gradient": ("batch form ∂(mean loss)/∂W = Δᵀ A_prev with Δ carrying 1/N", "CONTRIBUTING; 004"),
    "autodiff_example": ("∂σ(wx + b)/∂w at x=1, w=0, b=0 equals 1/4 (chain of h1..h6)", "000 §4.5"),
    "parameter_count": ("P = Σ_l (M_{l−1} + 1) M_l counts the entries of all W and b", "000 §4.6"),
    "mcculloch_pitts_example": ("threshold unit w = (−1, 2, −1), θ = 1/2 gives table 2-1", "001 §2"),
}

import itertools
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from nnlib import symbolic as S
from nnlib.symbolic import Claim

x = sp.Symbol("x", real=True)
gamma = sp.Symbol("gamma", real=True)
gamma_pos = sp.Symbol("gamma", positive=True)
beta = sp.Symbol("beta", positive=True)
eta = sp.Symbol("eta", positive=True)


def indicator(cond):
    """I(cond) as a Piecewise, the notation of the derivative table."""
    return sp.Piecewise((1, cond), (0, True))


def vec(name, n, **assumptions):
    """Column vector of n scalar symbols name1..name_n."""
    return sp.Matrix([sp.Symbol(f"{name}{i + 1}", **assumptions) for i in range(n)])


def mat(name, rows, cols, **assumptions):
    """rows x cols matrix of scalar symbols name_ij (1-based)."""
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}{i + 1}{j + 1}", **assumptions))


def grad(expr, wrt):
    """Gradient of a scalar w.r.t. the entries of a Matrix, with the same shape as wrt."""
    return wrt.applyfunc(lambda s: sp.diff(expr, s))


def _claim(name, lhs, rhs, **kw):
    desc, src = DESCRIPTIONS[name]
    return Claim(name, lhs, rhs, description=desc, source=src, **kw)


# --- activations -------------------------------------------------------------------------------

def _activations():
    f = S.sigmoid(x)
    t = S.tanh(x)
    s = S.sigmoid(beta * x)
    phi = sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)
    yield _claim("logistic_derivative", sp.diff(f, x), f * (1 - f))
    yield _claim("tanh_derivative", sp.diff(t, x), 1 - t**2)
    yield _claim("tanh_logistic_relation", t, 2 * S.sigmoid(2 * x) - 1)
    yield _claim("relu_derivative", sp.diff(sp.Max(0, x), x), indicator(x > 0), almost_everywhere=True)
    yield _claim("leaky_relu_derivative", sp.diff(S.leaky_relu(x, gamma_pos), x),
                 sp.Piecewise((1, x > 0), (gamma_pos, True)), almost_everywhere=True)
    p = S.prelu(x, gamma)
    yield _claim("prelu_derivative", sp.Matrix([sp.diff(p, x), sp.diff(p, gamma)]),
                 sp.Matrix([sp.Piecewise((1, x > 0), (gamma, True)), sp.Min(0, x)]),
                 almost_everywhere=True)
    yield _claim("elu_derivative", sp.diff(S.elu(x, gamma_pos), x),
                 indicator(x > 0) + indicator(x <= 0) * gamma_pos * sp.exp(x), almost_everywhere=True)
    yield _claim("softplus_derivative", sp.diff(S.softplus(x), x), 1 / (1 + sp.exp(-x)))
    yield _claim("hard_logistic_derivative", sp.diff(S.hard_logistic(x), x),
                 sp.Piecewise((sp.Rational(1, 4), sp.Abs(x) < 2), (0, True)), almost_everywhere=True)
    yield _claim("hard_tanh_derivative", sp.diff(S.hard_tanh(x), x),
                 indicator(sp.Abs(x) < 1), almost_everywhere=True)
    yield _claim("swish_derivative", sp.diff(S.swish(x, beta), x), s + beta * x * s * (1 - s))
    yield _claim("gelu_derivative", sp.diff(S.gelu(x), x), S.gaussian_cdf(x) + x * phi)


# --- softmax -----------------------------------------------------------------------------------

def _softmax():
    K = 3
    z = vec("z", K, real=True)
    f = S.softmax(z)
    c = sp.Symbol("c", real=True)
    yield _claim("softmax_jacobian", f.jacobian(z),
                 sp.Matrix(K, K, lambda i, j: f[i] * (sp.KroneckerDelta(i, j) - f[j])))
    yield _claim("softmax_shift_invariance", S.softmax(z + c * sp.ones(K, 1)), f)
    z1, z2 = z[0], z[1]
    yield _claim("sigmoid_is_two_class_softmax", S.softmax(sp.Matrix([z1, z2]))[0], S.sigmoid(z1 - z2))


# --- losses ------------------------------------------------------------------------------------

def _losses():
    K = 3
    z = vec("z", K, real=True)
    # soft or one-hot targets: only sum(y) = 1 is used
    y12 = vec("y", K - 1, real=True)
    y = sp.Matrix([y12[0], y12[1], 1 - y12[0] - y12[1]])
    yield _claim("softmax_ce_gradient", grad(S.cce(y, S.softmax(z)), z), S.softmax(z) - y,
                 sample={y12[0]: (0, 0.5), y12[1]: (0, 0.5)})
    zs = sp.Symbol("z", real=True)
    ys = sp.Symbol("y", real=True)
    yield _claim("sigmoid_bce_gradient", sp.diff(S.bce(ys, S.sigmoid(zs)), zs), S.sigmoid(zs) - ys,
                 sample={ys: (0, 1)})
    yv, yh = vec("y", K, real=True), vec("yhat", K, real=True)
    yield _claim("mse_gradient", grad(S.mse(yv, yh), yh), yh - yv)
    # ŷ = 1/(1+s) with s > 0 ranges over (0, 1) and lets SymPy know both ŷ and 1 − ŷ are positive
    s_ = sp.Symbol("s", positive=True)
    p = 1 / (1 + s_)
    yield _claim("bce_from_likelihood", -sp.log(p**ys * (1 - p)**(1 - ys)), S.bce(ys, p),
                 sample={ys: (0, 1)})
    pk = vec("p", K, positive=True)
    yield _claim("cce_from_likelihood", -sp.log(sp.Mul(*[pk[k]**yv[k] for k in range(K)])),
                 S.cce(yv, pk))
    sigma = sp.Symbol("sigma", positive=True)
    yh1 = sp.Symbol("yhat", real=True)
    gauss = sp.exp(-(ys - yh1)**2 / (2 * sigma**2)) / sp.sqrt(2 * sp.pi * sigma**2)
    yield _claim("mse_from_gaussian_likelihood", -sp.log(gauss),
                 (ys - yh1)**2 / (2 * sigma**2) + sp.log(2 * sp.pi * sigma**2) / 2)


# --- learning rules ----------------------------------------------------------------------------

def _rules():
    n = 3
    w, xv = vec("w", n, real=True), vec("x", n, real=True)
    t = sp.Symbol("t", real=True)
    y_lin = (w.T * xv)[0]
    yield _claim("delta_rule_linear", -eta * grad((t - y_lin)**2 / 2, w), eta * (t - y_lin) * xv)
    y_sig = S.sigmoid(y_lin)
    yield _claim("delta_rule_sigmoid", -eta * grad((t - y_sig)**2 / 2, w),
                 eta * (t - y_sig) * y_sig * (1 - y_sig) * xv)


# --- networks and backpropagation --------------------------------------------------------------

def _collapse():
    M0, M1, M2 = 2, 3, 2
    a0 = vec("x", M0, real=True)
    W1, b1 = mat("W1_", M1, M0, real=True), vec("b1_", M1, real=True)
    W2, b2 = mat("W2_", M2, M1, real=True), vec("b2_", M2, real=True)
    yield _claim("linear_layers_collapse", W2 * (W1 * a0 + b1) + b2, (W2 * W1) * a0 + (W2 * b1 + b2))


def two_layer_net(M0=2, M1=3, M2=2):
    """A fully symbolic 2-layer net: tanh hidden layer, logistic output, loss ½‖y − ŷ‖².

    Returns a dict with the parameters, the forward quantities and the loss (one sample, column form).
    """
    a0 = vec("x", M0, real=True)
    y = vec("y", M2, real=True)
    W1, b1 = mat("W1_", M1, M0, real=True), vec("b1_", M1, real=True)
    W2, b2 = mat("W2_", M2, M1, real=True), vec("b2_", M2, real=True)
    z1 = W1 * a0 + b1
    a1 = z1.applyfunc(sp.tanh)
    z2 = W2 * a1 + b2
    a2 = z2.applyfunc(S.sigmoid)
    return dict(a0=a0, y=y, W1=W1, b1=b1, W2=W2, b2=b2, z1=z1, a1=a1, z2=z2, a2=a2,
                loss=S.mse(y, a2))


def _backprop():
    net = two_layer_net()
    a0, y, W1, b1, W2, b2 = (net[k] for k in ("a0", "y", "W1", "b1", "W2", "b2"))
    z1, a1, z2, a2, loss = (net[k] for k in ("z1", "a1", "z2", "a2", "loss"))
    # the book's formulas, with f' written out (not obtained by differentiating)
    delta2 = (a2 - y).multiply_elementwise(a2.applyfunc(lambda v: v * (1 - v)))
    delta1 = a1.applyfunc(lambda v: 1 - v**2).multiply_elementwise(W2.T * delta2)

    # δ⁽²⁾ against differentiating the loss as a function of free symbols u standing for z⁽²⁾
    u2 = vec("u", z2.rows, real=True)
    L_of_z2 = S.mse(y, u2.applyfunc(S.sigmoid))
    yield _claim("delta_output_mse_sigmoid", grad(L_of_z2, u2).subs(dict(zip(u2, z2))), delta2)
    # δ⁽¹⁾: the loss as a function of z⁽¹⁾ (symbols v), differentiated directly
    v1 = vec("v", z1.rows, real=True)
    L_of_z1 = S.mse(y, (W2 * v1.applyfunc(sp.tanh) + b2).applyfunc(S.sigmoid))
    yield _claim("delta_recursion", grad(L_of_z1, v1).subs(dict(zip(v1, z1))), delta1)
    direct = sp.Matrix([*grad(loss, W1), *grad(loss, W2)])
    formula = sp.Matrix([*(delta1 * a0.T), *(delta2 * a1.T)])
    yield _claim("weight_gradient_outer_product", direct, formula)
    yield _claim("bias_gradient", sp.Matrix([*grad(loss, b1), *grad(loss, b2)]),
                 sp.Matrix([*delta1, *delta2]))

    # batch (rows) form of one linear layer with mean squared error: dW = Δᵀ A_prev, Δ = (Z − Y)/N
    N, Mp, M = 2, 3, 2
    A, Y = mat("A", N, Mp, real=True), mat("Y", N, M, real=True)
    W, b = mat("W", M, Mp, real=True), vec("b", M, real=True)
    Z = A * W.T + sp.ones(N, 1) * b.T
    R = Z - Y
    L = sum(r**2 for r in R) / (2 * N)
    Delta = R / N
    yield _claim("batch_weight_gradient", sp.Matrix([*grad(L, W), *grad(L, b)]),
                 sp.Matrix([*(Delta.T * A), *(Delta.T * sp.ones(N, 1))]))


def _misc():
    # autodiff worked example: f(x; w, b) = 1/(exp(-(wx + b)) + 1) at x = 1, w = 0, b = 0
    xs, w, b = sp.symbols("x w b", real=True)
    at = {xs: 1, w: 0, b: 0}
    h1 = xs * w
    h2 = h1 + b
    h3 = -h2
    h4 = sp.exp(h3)
    h5 = h4 + 1
    # local derivatives of the table, multiplied along the path f <- h6 <- ... <- h1 <- w
    chain = 1 * (-1 / h5**2) * 1 * sp.exp(h3) * (-1) * 1 * xs
    direct = sp.diff(1 / (sp.exp(-(w * xs + b)) + 1), w)
    yield _claim("autodiff_example", sp.Matrix([direct.subs(at), chain.subs(at)]),
                 sp.Matrix([sp.Rational(1, 4), sp.Rational(1, 4)]))

    # parameter count of an L = 3 layer net with symbolic widths, from the shapes of W and b
    M = sp.symbols("M0:4", positive=True, integer=True)
    shapes = [((M[l], M[l - 1]), (M[l],)) for l in range(1, 4)]
    counted = sum(sp.Mul(*w_shape) + sp.Mul(*b_shape) for w_shape, b_shape in shapes)
    yield _claim("parameter_count", counted, sum((M[l - 1] + 1) * M[l] for l in range(1, 4)),
                 sample={m: (1, 50) for m in M})

    # McCulloch-Pitts unit of 001 table 2-1: w = (-1, 2, -1), θ = 1/2 computes x̄1 x2 + x2 x̄3
    rows = list(itertools.product([0, 1], repeat=3))
    unit = [1 if -x1 + 2 * x2 - x3 >= sp.Rational(1, 2) else 0 for x1, x2, x3 in rows]
    boolean = [int(bool((not x1) and x2) or bool(x2 and not x3)) for x1, x2, x3 in rows]
    yield _claim("mcculloch_pitts_example", sp.Matrix(unit), sp.Matrix(boolean))


@lru_cache(maxsize=1)
def registry() -> dict:
    """name -> Claim for every claim of the book, in DESCRIPTIONS order."""
    built = {c.name: c for part in (_activations, _softmax, _losses, _rules, _collapse, _backprop,
                                  _misc)
             for c in part()}
    missing = set(DESCRIPTIONS) - set(built)
    if missing:
        raise RuntimeError(f"claims described but not built: {sorted(missing)}")
    return {name: built[name] for name in DESCRIPTIONS}


# --- errata: the sources' wrong statements, each decided by a pair of claims -------------------

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


def _errata():
    out = []

    # (a) off-diagonal softmax Jacobian entry
    z = vec("z", 3, real=True)
    y = S.softmax(z)
    i, j = 0, 1  # any i != j
    w, r = _pair("softmax_offdiagonal", sp.diff(y[j], z[i]), 1 - y[i] * y[j], -y[i] * y[j])
    out.append(Erratum(
        "softmax_offdiagonal", "001", "§2.2.7 Softmax, case (2) i ≠ j",
        r"\frac{\partial y_j}{\partial z_i} = \frac{0 - e^{z_i}e^{z_j}}{(\sum_t e^{z_t})^2} = 1 - y_i y_j",
        r"\frac{\partial y_j}{\partial z_i} = -y_i y_j \quad (i \ne j)", w, r))

    # (b) tanh written under the name sigmoid
    expr = (1 - sp.exp(-2 * x)) / (1 + sp.exp(-2 * x))
    w, r = _pair("tanh_labelled_sigmoid", expr, S.sigmoid(x), S.tanh(x))
    out.append(Erratum(
        "tanh_labelled_sigmoid", "003", "section 常见的激活函数, tanh函数（双曲正切）",
        r"sigmoid(x) = \frac{1-e^{-2x}}{1+e^{-2x}}",
        r"\tanh(x) = \frac{1-e^{-2x}}{1+e^{-2x}}", w, r))

    # (c1) sign perceptron rule: the misclassified case z = -t lost its minus sign
    t, z_, xi = sp.symbols("t z x_i", real=True)
    cases = [(tv, zv) for tv in (-1, 1) for zv in (-1, 1)]
    target = sp.Matrix([2 * eta * tv * xi if zv != tv else 0 for tv, zv in cases])
    w, r = _pair("sign_rule_minus", target,
                 sp.Matrix([eta * (tv - tv) * xi if zv != tv else 0 for tv, zv in cases]),
                 sp.Matrix([eta * (tv - zv) * xi for tv, zv in cases]))
    out.append(Erratum(
        "sign_rule_minus", "002", "单层感知器, 补充: 前页公式的推导 (sign activation)",
        r"z^k \ne t^k:\ \Delta w_{ij} = \eta\,(t^k - (t^k))\,x_i^k = 2\eta t^k x_i^k",
        r"z^k = -t^k:\ \Delta w_{ij} = \eta\,(t^k - (-t^k))\,x_i^k = 2\eta t^k x_i^k,"
        r"\ \text{so } \Delta w_{ij} = \eta (t^k - z^k) x_i^k \text{ for } t, z \in \{-1, 1\}", w, r))

    # (c2) two-layer BP of 002: δ_j = ∂E/∂a_j, yet the algorithm adds +η δ_j z_h
    zh, th, wh, bj = sp.symbols("z_h t_j w_hj theta_j", real=True)
    a_j = wh * zh + bj
    E = (th - S.sigmoid(a_j))**2 / 2
    delta_j = -(th - S.sigmoid(a_j)) * S.sigmoid(a_j) * (1 - S.sigmoid(a_j))  # the slide's δ_j
    w, r = _pair("bp_update_sign_002", -eta * sp.diff(E, wh), eta * delta_j * zh, -eta * delta_j * zh)
    out.append(Erratum(
        "bp_update_sign_002", "002", "多层神经网络, Stochastic/Batch Backpropagation algorithms",
        r"\delta_j = \frac{\partial E}{\partial a_j} = -(t_j - z_j) f'(a_j),"
        r"\quad w_{hj} \leftarrow w_{hj} + \eta\, \delta_j z_h",
        r"w_{hj} \leftarrow w_{hj} - \eta\, \delta_j z_h \ (= w_{hj} - \eta\,\partial E/\partial w_{hj})", w, r))

    # (c3) 003: δ = −∂J/∂z, Δw = αδh, then the update subtracts Δw
    h, yv, wl = sp.symbols("h_j y_i w_ij", real=True)
    alpha = sp.Symbol("alpha", positive=True)
    h_out = S.sigmoid(wl * h)
    J = (yv - h_out)**2 / 2
    delta = (yv - h_out) * h_out * (1 - h_out)  # δ_i^[L] = e_i h_i (1 − h_i)
    w, r = _pair("bp_update_sign_003", -alpha * sp.diff(J, wl), -alpha * delta * h, alpha * delta * h)
    out.append(Erratum(
        "bp_update_sign_003", "003", "section 参数更新 (step 3 of the BP derivation)",
        r"w_{ij}^{[l]} \leftarrow w_{ij}^{[l]} - \Delta w_{ij}^{[l]} = w_{ij}^{[l]} - \alpha\,\delta_i^{[l]} h_j^{[l-1]}",
        r"w_{ij}^{[l]} \leftarrow w_{ij}^{[l]} + \alpha\,\delta_i^{[l]} h_j^{[l-1]}"
        r"\ (\text{likewise } b_i^{[l]} \leftarrow b_i^{[l]} + \alpha\,\delta_i^{[l]})", w, r))

    # (d1) 003: every hidden unit gets the bias b_1
    X = vec("x", 4, real=True).T
    W1 = mat("w", 4, 5, real=True)
    b = vec("b", 5, real=True).T
    stated = sp.Matrix([[(X * W1)[k] + b[0] for k in range(5)]])
    fixed = sp.Matrix([[(X * W1)[k] + b[k] for k in range(5)]])
    w, r = _pair("hidden_bias_index", X * W1 + b, stated, fixed)
    out.append(Erratum(
        "hidden_bias_index", "003", "section 多层感知机, the five hidden net inputs",
        r"z_k^{[1]} = \sum_i x_i w_{ik}^{[1]} + b_1^{[1]} \quad (k = 1, \dots, 5)",
        r"z_k^{[1]} = \sum_i x_i w_{ik}^{[1]} + b_k^{[1]}, \text{ i.e. } Z^{[1]} = X W^{[1]} + b^{[1]}", w, r))

    # (d2) 002: loss index mismatch in the two-layer derivation
    tt, zz = vec("t", 3, real=True), vec("z", 3, real=True)
    E_ok = sum((tt[k] - zz[k])**2 for k in range(3)) / 2
    E_src = sum((tt[k] - zz[1])**2 for k in range(3)) / 2  # Σ_i (t_i − z_j)², here j = 2
    w, r = _pair("loss_index_002", grad(E_ok, zz), grad(E_src, zz), -(tt - zz))
    out.append(Erratum(
        "loss_index_002", "002", "多层神经网络, 推导过程 (loss of the two-layer net)",
        r"E(W) = \frac12 \sum_i (t_i - z_j)^2",
        r"E(W) = \frac12 \sum_j (t_j - z_j)^2, \quad \frac{\partial E}{\partial z_j} = -(t_j - z_j)", w, r))

    # (e) parameter count: OCR lost the parentheses; N counts the input layer
    M = sp.symbols("M1:5", positive=True, integer=True)  # M_1 .. M_4, N = 4 layers
    counted = sum(M[l] * M[l + 1] + M[l + 1] for l in range(3))  # |W| + |b| per layer
    w, r = _pair("parameter_count_parentheses", counted,
                 sum(M[l] + 1 * M[l + 1] for l in range(3)),
                 sum((M[l] + 1) * M[l + 1] for l in range(3)), sample={m: (1, 50) for m in M})
    out.append(Erratum(
        "parameter_count_parentheses", "000", "优化问题 (参数数量)",
        r"P = \sum_{l=1}^{N-1} M_l + 1 \quad M_{l+1}",
        r"P = \sum_{l=1}^{N-1} (M_l + 1)\, M_{l+1}", w, r))

    # (e2) 003: the stacked parameter vector Θ is said to end at index (1 + h_{L-1}) q
    h0, h1, q = sp.symbols("d h_1 q", positive=True, integer=True)  # L = 2: d -> h_1 -> q
    length = (h0 * h1 + h1) + (h1 * q + q)
    w, r = _pair("theta_length", length, (1 + h1) * q, (1 + h0) * h1 + (1 + h1) * q,
                 sample={h0: (1, 50), h1: (1, 50), q: (1, 50)})
    out.append(Erratum(
        "theta_length", "003", "section 损失函数与随机梯度下降, the vector Θ",
        r"\Theta = [\theta_1, \dots, \theta_{(1+h_{L-1}) \times q}]^\top",
        r"\Theta \in \mathbb R^{P},\ P = \sum_{l=1}^{L} (1 + h_{l-1})\, h_l \quad (h_0 = d,\ h_L = q)", w, r))
    return out


@lru_cache(maxsize=1)
def errata() -> dict:
    """key -> Erratum for every mistake found in the sources."""
    return {e.key: e for e in _errata()}
