"""Claims of the chapter *Activation functions* (book/activations.md): why a nonlinearity, the derivative
table of the activations, their shapes and limits, maxout, and softmax with its Jacobian."""

from __future__ import annotations

import sympy as sp

from nnlib import symbolic_core as S
from nnlib.claims._common import (beta, descriptions_of, gamma, gamma_pos, indicator, mat, maxout, section,
                                  vec, x)

__all__ = ["SECTIONS", "DESCRIPTIONS"]  # its claims, by section (the builders' helpers are not API)


@section({
    "linear_layers_collapse": ("W2(W1x + b1) + b2 = (W2W1)x + (W2b1 + b2)", "002"),
})
def linear_collapse(claim):
    M0, M1, M2 = 2, 3, 2
    a0 = vec("x", M0, real=True)
    W1, b1 = mat("W1_", M1, M0, real=True), vec("b1_", M1, real=True)
    W2, b2 = mat("W2_", M2, M1, real=True), vec("b2_", M2, real=True)
    yield claim("linear_layers_collapse", W2 * (W1 * a0 + b1) + b2, (W2 * W1) * a0 + (W2 * b1 + b2))


# the derivative table of 000 and homework 4-4, with the shapes and limits the chapter states
@section({
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
    "logistic_derivative_bound": ("1/4 − σ'(x) = (σ(x) − 1/2)² and 1 − tanh'(x) = tanh(x)²: σ' ≤ 1/4 = σ'(0), "
                                  "tanh' ≤ 1", "000 §4.1; 000 §4.6 (vanishing gradient)"),
    "hard_logistic_taylor": ("σ(0) = 1/2, σ'(0) = 1/4: first-order Taylor polynomials 1/2 + x/4 of σ and x of "
                             "tanh at 0; hard-logistic / hard-tanh are them clipped at x = ±2 / ±1", "000 §4.1"),
    "relu_as_maxout": ("max(0, x) = maxout of the pieces (z1, z2) = (0, x)", "000 §4.1 (Maxout); 001 §2"),
    "leaky_relu_forms": ("LeakyReLU(x) = max(0, x) + γ min(0, x) for every γ, = max(γx, x) = maxout of (γx, x) "
                         "for 0 < γ < 1", "000 §4.1; 001 §2"),
    "swish_limits": ("swish with β = 0 is x/2; as β → ∞ swish(x) → ReLU(x) (limits for x > 0, x < 0, x = 0)",
                     "000 §4.1"),
    "srelu_derivative": ("SReLU'(x) = α_l for x < t_l, 1 on (t_l, t_r), α_r for x > t_r (t_l < t_r)", "001 table 2-3"),
    "maxout_derivative": ("∂ max(z1, z2)/∂z_i = I(z_i is the maximum), K = 2, except on the tie z1 = z2",
                          "000 §4.1 (Maxout)"),
})
def derivatives(claim):
    f = S.sigmoid(x)
    t = S.tanh(x)
    s = S.sigmoid(beta * x)
    phi = sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)
    yield claim("logistic_derivative", sp.diff(f, x), f * (1 - f))
    yield claim("tanh_derivative", sp.diff(t, x), 1 - t**2)
    yield claim("tanh_logistic_relation", t, 2 * S.sigmoid(2 * x) - 1)
    yield claim("relu_derivative", sp.diff(sp.Max(0, x), x), indicator(x > 0), almost_everywhere=True)
    yield claim("leaky_relu_derivative", sp.diff(S.leaky_relu(x, gamma_pos), x),
                sp.Piecewise((1, x > 0), (gamma_pos, True)), almost_everywhere=True)
    p = S.prelu(x, gamma)
    yield claim("prelu_derivative", sp.Matrix([sp.diff(p, x), sp.diff(p, gamma)]),
                sp.Matrix([sp.Piecewise((1, x > 0), (gamma, True)), sp.Min(0, x)]),
                almost_everywhere=True)
    yield claim("elu_derivative", sp.diff(S.elu(x, gamma_pos), x),
                indicator(x > 0) + indicator(x <= 0) * gamma_pos * sp.exp(x), almost_everywhere=True)
    yield claim("softplus_derivative", sp.diff(S.softplus(x), x), 1 / (1 + sp.exp(-x)))
    yield claim("hard_logistic_derivative", sp.diff(S.hard_logistic(x), x),
                sp.Piecewise((sp.Rational(1, 4), sp.Abs(x) < 2), (0, True)), almost_everywhere=True)
    yield claim("hard_tanh_derivative", sp.diff(S.hard_tanh(x), x),
                indicator(sp.Abs(x) < 1), almost_everywhere=True)
    yield claim("swish_derivative", sp.diff(S.swish(x, beta), x), s + beta * x * s * (1 - s))
    yield claim("gelu_derivative", sp.diff(S.gelu(x), x), S.gaussian_cdf(x) + x * phi)
    yield claim("logistic_derivative_bound",
                sp.Matrix([sp.Rational(1, 4) - sp.diff(f, x), 1 - sp.diff(t, x)]),
                sp.Matrix([(f - sp.Rational(1, 2))**2, t**2]))
    half, quarter = sp.Rational(1, 2), sp.Rational(1, 4)
    taylor_sigma = sp.series(f, x, 0, 2).removeO()
    taylor_tanh = sp.series(t, x, 0, 2).removeO()
    yield claim("hard_logistic_taylor",
                sp.Matrix([f.subs(x, 0), sp.diff(f, x).subs(x, 0), taylor_sigma, taylor_tanh,
                           S.hard_logistic(x), S.hard_tanh(x)]),
                sp.Matrix([half, quarter, half + quarter * x, x,
                           sp.Piecewise((0, x < -2), (half + quarter * x, x < 2), (1, True)),
                           sp.Piecewise((-1, x < -1), (x, x < 1), (1, True))]))
    yield claim("relu_as_maxout", S.relu(x), maxout(0, x))
    s_ = sp.Symbol("s", positive=True)
    g01 = 1 / (1 + s_)  # every slope in (0, 1)
    yield claim("leaky_relu_forms", sp.Matrix([S.leaky_relu(x, gamma), S.leaky_relu(x, g01)]),
                sp.Matrix([sp.Max(0, x) + gamma * sp.Min(0, x), maxout(g01 * x, x)]))
    xp, xn = sp.Symbol("x", positive=True), sp.Symbol("x", negative=True)
    yield claim("swish_limits",
                sp.Matrix([S.swish(x, 0), sp.limit(S.swish(xp, beta), beta, sp.oo),
                           sp.limit(S.swish(xn, beta), beta, sp.oo), S.swish(0, beta)]),
                sp.Matrix([x / 2, S.relu(xp), S.relu(xn), S.relu(sp.Integer(0))]))
    t_l, a_l, a_r = sp.symbols("t_l alpha_l alpha_r", real=True)
    t_r = t_l + sp.Symbol("d", positive=True)  # t_l < t_r
    srelu = sp.Piecewise((t_l + a_l * (x - t_l), x <= t_l), (x, x < t_r), (t_r + a_r * (x - t_r), True))
    yield claim("srelu_derivative", sp.diff(srelu, x),
                sp.Piecewise((a_l, x <= t_l), (1, x < t_r), (a_r, True)), almost_everywhere=True)
    z1, z2 = sp.symbols("z1 z2", real=True)
    yield claim("maxout_derivative", sp.Matrix([sp.diff(maxout(z1, z2), z1), sp.diff(maxout(z1, z2), z2)]),
                sp.Matrix([indicator(z1 > z2), indicator(z2 > z1)]), almost_everywhere=True)


@section({
    "softmax_jacobian": ("∂softmax_i/∂z_j = f_i(δ_ij − f_j), i.e. diag(f) − f fᵀ", "001 §2; 004"),
    "softmax_shift_invariance": ("softmax(z + c) = softmax(z)", "004"),
    "sigmoid_is_two_class_softmax": ("σ(z) = softmax([z, 0])₁", "004"),
})
def softmax(claim):
    K = 3
    z = vec("z", K, real=True)
    f = S.softmax(z)
    c = sp.Symbol("c", real=True)
    yield claim("softmax_jacobian", f.jacobian(z),
                sp.Matrix(K, K, lambda i, j: f[i] * (sp.KroneckerDelta(i, j) - f[j])))
    yield claim("softmax_shift_invariance", S.softmax(z + c * sp.ones(K, 1)), f)
    z1, z2 = z[0], z[1]
    yield claim("sigmoid_is_two_class_softmax", S.softmax(sp.Matrix([z1, z2]))[0], S.sigmoid(z1 - z2))


@section({
    "swish_scaling": ("swish_β(x) = swish_1(βx)/β: the graph for β is the β = 1 graph shrunk by 1/β in both "
                      "axes, so min swish_β = (min swish_1)/β ≈ −0.2785/β for every β > 0", "000 §4.1"),
    "elu_range": ("for z ≤ 0, ELU = γ(e^z − 1) increases (derivative γe^z > 0) from the limit −γ (z → −∞) to 0; "
                  "with z on z > 0 the range is (−γ, ∞)", "000 §4.1; 001 table 2-3"),
    "activation_means_gaussian": ("z ~ N(0, 1): E ReLU(z) = 1/√(2π) ≈ 0.399, E LeakyReLU_γ(z) = (1 − γ)/√(2π), "
                                  "E ELU_1(z) = 1/√(2π) + √e Φ(−1) − 1/2 ≈ 0.160, E GELU(z) = 1/(2√π) ≈ 0.282",
                                  "000 §4.1 (zero-centred outputs)"),
})
def ranges_and_means(claim):
    yield claim("swish_scaling", S.swish(x, beta), S.swish(beta * x, 1) / beta)
    g = gamma_pos
    neg = g * (sp.exp(x) - 1)  # the branch z ≤ 0
    yield claim("elu_range", sp.Matrix([sp.limit(neg, x, -sp.oo), neg.subs(x, 0), sp.diff(neg, x)]),
                sp.Matrix([-g, 0, g * sp.exp(x)]))
    z = sp.Symbol("z", real=True)
    phi = sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi)
    E_pos = sp.integrate(z * phi, (z, 0, sp.oo))              # E[z; z > 0]
    E_neg = sp.integrate(z * phi, (z, -sp.oo, 0))             # E[z; z ≤ 0]
    E_elu_neg = sp.integrate((sp.exp(z) - 1) * phi, (z, -sp.oo, 0))
    E_gelu = sp.integrate(z * S.gaussian_cdf(z) * phi, (z, -sp.oo, sp.oo))
    r2pi = 1 / sp.sqrt(2 * sp.pi)
    yield claim("activation_means_gaussian",
                sp.Matrix([E_pos, E_pos + gamma * E_neg, E_pos + E_elu_neg, E_gelu]),
                sp.Matrix([r2pi, (1 - gamma) * r2pi, r2pi + sp.sqrt(sp.E) * S.gaussian_cdf(-1) - sp.Rational(1, 2),
                           1 / (2 * sp.sqrt(sp.pi))]))


@section({
    "tanh_derivative_squeezed": ("tanh'(x) = 4σ'(2x): the logistic bell, four times as high and half as wide, "
                                 "so tanh' < σ' for |x| > 1.663", "001 §2.2.4 (tanh 'fixes' the flatness)"),
})
def tanh_against_logistic(claim):
    yield claim("tanh_derivative_squeezed", sp.diff(S.tanh(x), x), 4 * sp.diff(S.sigmoid(x), x).subs(x, 2 * x))


@section({
    "elu_max_min_form": ("ELU(x) = max(0, x) + min(0, γ(eˣ − 1)) for γ > 0 (the slides' form of the two cases)",
                         "000 §4.1 (ELU)"),
})
def elu_forms(claim):
    yield claim("elu_max_min_form", S.elu(x, gamma_pos),
                sp.Max(0, x) + sp.Min(0, gamma_pos * (sp.exp(x) - 1)))


SECTIONS = (linear_collapse, derivatives, softmax, ranges_and_means, tanh_against_logistic, elu_forms)
DESCRIPTIONS = descriptions_of(SECTIONS)
