"""Registry of every formula the book states, as SymPy claims (see :mod:`nnlib.symbolic`).

Filled in incrementally; the names and descriptions below are the contract the chapters cite.
The claims are built per section on first use (:func:`claim`), so a page pays only for the sections it
cites; :func:`registry` builds them all.
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
    # softmax
    "softmax_jacobian": ("∂softmax_i/∂z_j = f_i(δ_ij − f_j), i.e. diag(f) − f fᵀ", "001 §2; 004"),
    "softmax_shift_invariance": ("softmax(z + c) = softmax(z)", "004"),
    "sigmoid_is_two_class_softmax": ("σ(z) = softmax([z, 0])₁", "004"),
    "softmax_jacobian_properties": ("the softmax Jacobian is symmetric and its rows sum to 0", "004; 001 §2"),
    "softmax_vjp": ("gᵀ J_softmax = (ŷ ⊙ (g − (g·ŷ) 1))ᵀ: the backward pass without the K×K matrix", "004"),
    "softmax_hardmax_limit": ("softmax(βz) → hardmax(z) as β → ∞, ties shared: z = (1, 3, 1/2, 3) gives "
                              "(0, 1/2, 0, 1/2)", "004"),
    # losses
    "softmax_ce_gradient": ("∂/∂z of −Σ y_k log softmax(z)_k = ŷ − y (one-hot y)", "001 §2; 004"),
    "sigmoid_bce_gradient": ("∂/∂z of BCE(σ(z), y) = σ(z) − y", "004"),
    "mse_gradient": ("∂/∂ŷ ½‖y − ŷ‖² = ŷ − y", "001; 004"),
    "bce_from_likelihood": ("−log of the Bernoulli likelihood ŷ^y(1−ŷ)^(1−y) = BCE", "004"),
    "cce_from_likelihood": ("−log of the categorical likelihood Π ŷ_k^{y_k} = −Σ y_k log ŷ_k", "004"),
    "mse_from_gaussian_likelihood": ("−log N(y; ŷ, 1) = ½(y − ŷ)² + const", "004"),
    # neurons, perceptron and XOR
    "threshold_as_bias": ("I(wᵀx ≥ θ) = I(wᵀx + b ≥ 0) with b = −θ", "001 §2; 000 §4.1"),
    "mcculloch_pitts_gates": ("MP units: inhibitory x4 gives (x̄1x2 + x2x̄3)x̄4; AND (θ=2), OR (θ=1), "
                              "x1 AND NOT x2, NOT x on all inputs", "001 §2"),
    "perceptron_update_effect": ("after w ← w + η(t − y)x the net input of x changes by η(t − y)‖x‖²", "001 §2"),
    "sign_rule_identity": ("(1 − zt)t = t − z = (0 if z = t else 2t) for t, z ∈ {−1, 1} (uses t² = 1)", "002"),
    "xor_affine_identity": ("g(0,1) + g(1,0) = g(0,0) + g(1,1) for every affine g = w1x1 + w2x2 + b", "001 §2; 002"),
    "xor_two_layer": ("XOR = OR ∧ NAND; the step network (OR, NAND → AND) and ReLU(s) − 2ReLU(s − 1), "
                      "s = x1 + x2, compute XOR on all four inputs", "001 §2; 002"),
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
    "small_network_gradients": ("2-2-1 sigmoid net, ½(y − ŷ)²: ∂L/∂w⁽²⁾_j = δ⁽²⁾a⁽¹⁾_j, ∂L/∂b⁽²⁾ = δ⁽²⁾, "
                                "∂L/∂w⁽¹⁾_jk = δ⁽¹⁾_j x_k, δ⁽¹⁾_j = σ'(z⁽¹⁾_j) w⁽²⁾_j δ⁽²⁾", "000 §4.4; 003"),
    "batch_delta_recursion": ("rows form Δ⁽¹⁾ = f'(Z⁽¹⁾) ⊙ (Δ⁽²⁾ W⁽²⁾) for a batch of 2, mean MSE",
                              "CONTRIBUTING; 004"),
    "finite_difference_orders": ("(f(x+ε) − f(x−ε))/2ε = f' + f‴ε²/6 + O(ε⁴), (f(x+ε) − f(x))/ε = f' + f''ε/2 "
                                 "+ O(ε²), f = σ", "004; CS231n"),
    "autodiff_example": ("∂σ(wx + b)/∂w at x=1, w=0, b=0 equals 1/4 (chain of h1..h6); ∂/∂b = 1/4, ∂/∂x = 0",
                         "000 §4.5"),
    "parameter_count": ("P = Σ_l (M_{l−1} + 1) M_l counts the entries of all W and b", "000 §4.6"),
    "mcculloch_pitts_example": ("threshold unit w = (−1, 2, −1), θ = 1/2 gives table 2-1", "001 §2"),
    # training
    "weight_decay_gradient": ("∂/∂W (λ/2)‖W‖²_F = λW, so W − α(λW) = (1 − αλ)W", "000 §4.6 (Algorithm 4.1); 002"),
    "momentum_velocity": ("the fixed point of v ← μv − αg is −αg/(1 − μ); μ = 0.9 gives 10×", "002"),
    "uniform_variance": ("Var U(−r, r) = r²/3; r = √(6/(m+n)) gives 2/(m+n) (Xavier), r = √(6/m) gives 2/m (He)",
                         "002; 004"),
    "forward_variance": ("independent zero-mean weights (variance v), i.i.d. inputs (E a² = s): "
                         "Var(Σ_j w_j a_j) = M v s, M = 3", "004"),
    "relu_second_moment": ("z ~ N(0, σ²): E[ReLU(z)²] = σ²/2 = Var(z)/2", "004 (He initialization)"),
    "mse_hessian": ("Hessian of (1/2N)‖Aθ − t‖² is AᵀA/N (linear neuron, A = [X, 1], N = 3)", "000 §4.6"),
    "ce_convex_in_w2": ("−log σ(cw) = softplus(−cw), d²/dw² = c² σ(cw)(1 − σ(cw)) ≥ 0", "000 §4.6"),
    # universal approximation
    "relu_hat": ("(ReLU(x − t + h) − 2ReLU(x − t) + ReLU(x − t − h))/h = max(0, 1 − |x − t|/h), h > 0",
                 "000 §4.3; 004"),
    "relu_interpolant_knots": ("f(t0) + Σ c_m ReLU(x − t_m) and Σ f(t_m) hat_m both equal f(t_k) at every knot "
                               "(M = 3)", "000 §4.3"),
    "linear_interpolation_error": ("quadratic f: f − L = f''(x − a)(x − a − h)/2, = −f''h²/8 at the midpoint",
                                   "000 §4.3"),
    "relu_tent": ("2ReLU(x) − 4ReLU(x − 1/2) is the tent 2x, 2 − 2x on [0, 1]; composed twice: 4 pieces",
                  "Telgarsky 2016"),
    # linear algebra and matrix calculus
    "transpose_product": ("(AB)ᵀ = BᵀAᵀ for symbolic 2×3 and 3×2 matrices", "004"),
    "row_column_forms": ("(W Aᵀ + b1ᵀ)ᵀ = A Wᵀ + 1bᵀ: the column and row (batch) forms of a layer",
                         "CONTRIBUTING; 004"),
    "hadamard_diag": ("diag(a) b = a ⊙ b", "004"),
    "linear_form_gradient": ("∇ₓ aᵀx = a", "004"),
    "quadratic_form_gradient": ("∇ₓ xᵀAx = (A + Aᵀ)x for a general (non-symmetric) 3×3 A", "004"),
    "half_squared_norm_gradient": ("∇ₓ ½‖x‖² = x", "004"),
    "bilinear_matrix_gradient": ("∇_W uᵀWv = uvᵀ (W 2×3)", "004"),
    "linear_map_jacobian": ("z = Wa + b: ∂z/∂a = W, ∂z/∂b = I in numerator layout (Wᵀ, I in denominator layout)",
                            "000 §4.4; 004"),
    "elementwise_jacobian": ("∂σ(z)/∂z = diag(σ(z)(1 − σ(z))) for element-wise σ", "000 §4.4; 004"),
    "vector_chain_rule": ("J_{f∘g} = J_f J_g (numerator layout), = J_gᵀ J_fᵀ transposed (denominator layout)",
                          "004"),
}

import itertools
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from nnlib import symbolic_core as S  # the engine only: nnlib.symbolic imports this module
from nnlib.symbolic_core import Claim

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


def maxout(*pieces):
    """max_k z_k of the given net inputs (a maxout unit)."""
    return sp.Max(*pieces)


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
    yield _claim("logistic_derivative_bound",
                 sp.Matrix([sp.Rational(1, 4) - sp.diff(f, x), 1 - sp.diff(t, x)]),
                 sp.Matrix([(f - sp.Rational(1, 2))**2, t**2]))
    half, quarter = sp.Rational(1, 2), sp.Rational(1, 4)
    taylor_sigma = sp.series(f, x, 0, 2).removeO()
    taylor_tanh = sp.series(t, x, 0, 2).removeO()
    yield _claim("hard_logistic_taylor",
                 sp.Matrix([f.subs(x, 0), sp.diff(f, x).subs(x, 0), taylor_sigma, taylor_tanh,
                            S.hard_logistic(x), S.hard_tanh(x)]),
                 sp.Matrix([half, quarter, half + quarter * x, x,
                            sp.Piecewise((0, x < -2), (half + quarter * x, x < 2), (1, True)),
                            sp.Piecewise((-1, x < -1), (x, x < 1), (1, True))]))
    yield _claim("relu_as_maxout", S.relu(x), maxout(0, x))
    s_ = sp.Symbol("s", positive=True)
    g01 = 1 / (1 + s_)  # every slope in (0, 1)
    yield _claim("leaky_relu_forms", sp.Matrix([S.leaky_relu(x, gamma), S.leaky_relu(x, g01)]),
                 sp.Matrix([sp.Max(0, x) + gamma * sp.Min(0, x), maxout(g01 * x, x)]))
    xp, xn = sp.Symbol("x", positive=True), sp.Symbol("x", negative=True)
    yield _claim("swish_limits",
                 sp.Matrix([S.swish(x, 0), sp.limit(S.swish(xp, beta), beta, sp.oo),
                            sp.limit(S.swish(xn, beta), beta, sp.oo), S.swish(0, beta)]),
                 sp.Matrix([x / 2, S.relu(xp), S.relu(xn), S.relu(sp.Integer(0))]))
    t_l, a_l, a_r = sp.symbols("t_l alpha_l alpha_r", real=True)
    t_r = t_l + sp.Symbol("d", positive=True)  # t_l < t_r
    srelu = sp.Piecewise((t_l + a_l * (x - t_l), x <= t_l), (x, x < t_r), (t_r + a_r * (x - t_r), True))
    yield _claim("srelu_derivative", sp.diff(srelu, x),
                 sp.Piecewise((a_l, x <= t_l), (1, x < t_r), (a_r, True)), almost_everywhere=True)
    z1, z2 = sp.symbols("z1 z2", real=True)
    yield _claim("maxout_derivative", sp.Matrix([sp.diff(maxout(z1, z2), z1), sp.diff(maxout(z1, z2), z2)]),
                 sp.Matrix([indicator(z1 > z2), indicator(z2 > z1)]), almost_everywhere=True)


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
    J = f.jacobian(z)
    yield _claim("softmax_jacobian_properties", sp.Matrix([*(J - J.T), *(J * sp.ones(K, 1))]),
                 sp.zeros(K * K + K, 1))
    g = vec("g", K, real=True)
    yield _claim("softmax_vjp", (g.T * J).T, f.multiply_elementwise(g - (g.T * f)[0] * sp.ones(K, 1)))
    b = sp.Symbol("beta", positive=True)
    zc = sp.Matrix([1, 3, sp.Rational(1, 2), 3])
    yield _claim("softmax_hardmax_limit", S.softmax(b * zc).applyfunc(lambda e: sp.limit(e, b, sp.oo)),
                 sp.Matrix([0, sp.Rational(1, 2), 0, sp.Rational(1, 2)]))


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


# --- neurons, perceptron and XOR ---------------------------------------------------------------

def mp_unit(x, w, theta, inhibitory=()):
    """McCulloch-Pitts unit: 1 if no inhibitory input is on and Σ w_i x_i ≥ θ, else 0 (exact)."""
    if any(inhibitory):
        return 0
    return 1 if sum(sp.Rational(wi) * xi for wi, xi in zip(w, x)) >= sp.Rational(theta) else 0


def step(v):
    """Threshold activation I(v ≥ 0) of an exact number."""
    return 1 if v >= 0 else 0


def sign_rule_cases(values=(-1, 1)):
    """(lhs, rhs) of sign_rule_identity over all (t, z) with t, z in ``values``."""
    cases = [(t, z) for t in values for z in values]
    lhs = sp.Matrix([[(1 - z * t) * t, t - z] for t, z in cases])
    rhs = sp.Matrix([[t - z, 0 if z == t else 2 * t] for t, z in cases])
    return lhs, rhs


def _neurons():
    n = 3
    w, xv = vec("w", n, real=True), vec("x", n, real=True)
    theta, b = sp.symbols("theta b", real=True)
    s = (w.T * xv)[0]
    yield _claim("threshold_as_bias", indicator(s >= theta), indicator(s + b >= 0).subs(b, -theta))

    rows4 = list(itertools.product([0, 1], repeat=4))
    units = [mp_unit(r[:3], (-1, 2, -1), sp.Rational(1, 2), inhibitory=r[3:]) for r in rows4]
    booleans = [int(bool(((not a) and b_) or (b_ and not c)) and not d) for a, b_, c, d in rows4]
    rows2 = list(itertools.product([0, 1], repeat=2))
    for a, b_ in rows2:
        units += [mp_unit((a, b_), (1, 1), 2), mp_unit((a, b_), (1, 1), 1),
                  mp_unit((a,), (1,), 1, inhibitory=(b_,)), mp_unit((), (), 0, inhibitory=(a,))]
        booleans += [a & b_, a | b_, a & (1 - b_), 1 - a]
    yield _claim("mcculloch_pitts_gates", sp.Matrix(units), sp.Matrix(booleans))

    t, y = sp.symbols("t y", real=True)
    w_new = w + eta * (t - y) * xv
    yield _claim("perceptron_update_effect", (w_new.T * xv)[0] - (w.T * xv)[0], eta * (t - y) * (xv.T * xv)[0])

    lhs, rhs = sign_rule_cases()
    yield _claim("sign_rule_identity", lhs, rhs)

    w1, w2 = sp.symbols("w1 w2", real=True)
    g = lambda x1, x2: w1 * x1 + w2 * x2 + b
    yield _claim("xor_affine_identity", g(0, 1) + g(1, 0), g(0, 0) + g(1, 1))

    half = sp.Rational(1, 2)
    relu = lambda v: max(v, 0)
    nets, xor = [], []
    for x1, x2 in rows2:
        h_or, h_nand = step(x1 + x2 - half), step(-x1 - x2 + 3 * half)   # hidden layer W1 x + b1
        s12 = x1 + x2
        nets.append([step(h_or + h_nand - 3 * half), relu(s12) - 2 * relu(s12 - 1), (x1 | x2) & (1 - (x1 & x2))])
        xor.append([x1 ^ x2] * 3)
    yield _claim("xor_two_layer", sp.Matrix(nets), sp.Matrix(xor))


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


def small_network():
    """The 2-2-1 all-sigmoid network of the backpropagation chapter, one sample, loss ½(y − ŷ)².

    Returns a dict with the inputs, parameters, a1, y_hat, the loss and the output error term delta2."""
    xv, y = vec("x", 2, real=True), sp.Symbol("y", real=True)
    W1, b1 = mat("w1_", 2, 2, real=True), vec("b1_", 2, real=True)
    w2, b2 = vec("w2_", 2, real=True), sp.Symbol("b2", real=True)
    a1 = (W1 * xv + b1).applyfunc(S.sigmoid)
    y_hat = S.sigmoid((w2.T * a1)[0] + b2)
    return dict(x=xv, y=y, W1=W1, b1=b1, w2=w2, b2=b2, a1=a1, y_hat=y_hat, loss=(y - y_hat)**2 / 2,
                delta2=(y_hat - y) * y_hat * (1 - y_hat))


def small_network_formula(net, delta1):
    """The chapter's gradients [∂L/∂w⁽²⁾, ∂L/∂b⁽²⁾, ∂L/∂W⁽¹⁾ (row-major), ∂L/∂b⁽¹⁾] given δ⁽¹⁾."""
    d2, a1, xv = net["delta2"], net["a1"], net["x"]
    return sp.Matrix([*(d2 * a1), d2, *[delta1[j] * xv[k] for j in range(2) for k in range(2)], *delta1])


def _small_network():
    net = small_network()
    loss, a1, w2 = net["loss"], net["a1"], net["w2"]
    delta1 = [a1[j] * (1 - a1[j]) * w2[j] * net["delta2"] for j in range(2)]
    direct = sp.Matrix([*grad(loss, w2), sp.diff(loss, net["b2"]), *grad(loss, net["W1"]), *grad(loss, net["b1"])])
    yield _claim("small_network_gradients", direct, small_network_formula(net, delta1))

    # rows form of the recursion: batch of N = 2, tanh hidden layer, identity output, mean MSE
    N = 2
    V = mat("v", N, 2, real=True)  # free symbols standing for Z⁽¹⁾
    W2, c2 = mat("W2_", 2, 2, real=True), vec("b2_", 2, real=True)
    Y = mat("Y", N, 2, real=True)
    A1 = V.applyfunc(sp.tanh)
    Z2 = A1 * W2.T + sp.ones(N, 1) * c2.T
    L = sum(r**2 for r in (Z2 - Y)) / (2 * N)
    Delta2 = (Z2 - Y) / N
    yield _claim("batch_delta_recursion", grad(L, V),
                 A1.applyfunc(lambda a: 1 - a**2).multiply_elementwise(Delta2 * W2))

    eps = sp.Symbol("epsilon", positive=True)
    f = S.sigmoid
    central = (f(x + eps) - f(x - eps)) / (2 * eps)
    forward = (f(x + eps) - f(x)) / eps
    d = [sp.diff(f(x), x, k) for k in range(4)]
    yield _claim("finite_difference_orders",
                 sp.Matrix([sp.series(central, eps, 0, 4).removeO(), sp.series(forward, eps, 0, 2).removeO()]),
                 sp.Matrix([d[1] + d[3] * eps**2 / 6, d[1] + d[2] * eps / 2]))


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
    f = 1 / (sp.exp(-(w * xs + b)) + 1)
    direct = [sp.diff(f, v).subs(at) for v in (w, b, xs)]
    yield _claim("autodiff_example", sp.Matrix([direct[0], chain.subs(at), direct[1], direct[2]]),
                 sp.Matrix([sp.Rational(1, 4), sp.Rational(1, 4), sp.Rational(1, 4), 0]))

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


# --- training ----------------------------------------------------------------------------------

def expectation(expr, moments):
    """E[expr] for a polynomial in independent random symbols: moments[s] = [E s, E s², ...].

    Independence is exactly the factorisation E[Π s^k] = Π E[s^k] used monomial by monomial."""
    expr = sp.expand(expr)
    total = 0
    for term in sp.Add.make_args(expr):
        coeff, factors = term.as_coeff_mul()
        value = coeff
        for fac in factors:
            base, power = fac.as_base_exp()
            if base in moments:
                value *= moments[base][int(power) - 1]
            else:
                value *= fac
        total += value
    return total


def _training():
    lam, alpha = sp.symbols("lambda alpha", positive=True)
    W = mat("w", 2, 3, real=True)
    G = grad(lam / 2 * sum(v**2 for v in W), W)
    yield _claim("weight_decay_gradient", sp.Matrix([*G, *(W - alpha * G)]),
                 sp.Matrix([*(lam * W), *((1 - alpha * lam) * W)]))

    mu = sp.Symbol("mu", positive=True)
    v, g = sp.symbols("v g", real=True)
    (v_star,) = sp.solve(sp.Eq(v, mu * v - alpha * g), v)
    yield _claim("momentum_velocity", sp.Matrix([v_star, (1 / (1 - mu)).subs(mu, sp.Rational(9, 10))]),
                 sp.Matrix([-alpha * g / (1 - mu), 10]), sample={mu: (0, 0.99)})

    r, m, n = sp.symbols("r m n", positive=True)
    w = sp.Symbol("w", real=True)

    def var_uniform(rr):
        mean = sp.integrate(w / (2 * rr), (w, -rr, rr))
        return sp.integrate(w**2 / (2 * rr), (w, -rr, rr)) - mean**2
    yield _claim("uniform_variance",
                 sp.Matrix([var_uniform(r), var_uniform(sp.sqrt(6 / (m + n))), var_uniform(sp.sqrt(6 / m))]),
                 sp.Matrix([r**2 / 3, 2 / (m + n), 2 / m]))

    M = 3
    ws, as_ = vec("w", M, real=True), vec("a", M, real=True)
    var_w, s2, mu_a = sp.Symbol("v", positive=True), sp.Symbol("s", positive=True), sp.Symbol("mu_a", real=True)
    moments = {**{wj: [0, var_w] for wj in ws}, **{aj: [mu_a, s2] for aj in as_}}
    zz = (ws.T * as_)[0]
    yield _claim("forward_variance", expectation(zz**2, moments) - expectation(zz, moments)**2, M * var_w * s2)

    sigma = sp.Symbol("sigma", positive=True)
    z = sp.Symbol("z", real=True)
    density = sp.exp(-z**2 / (2 * sigma**2)) / sp.sqrt(2 * sp.pi * sigma**2)
    yield _claim("relu_second_moment",
                 sp.Matrix([sp.integrate(S.relu(z)**2 * density, (z, -sp.oo, sp.oo)),
                            sp.integrate(z**2 * density, (z, -sp.oo, sp.oo))]),
                 sp.Matrix([sigma**2 / 2, sigma**2]))

    N = 3
    X, tt = mat("x", N, 2, real=True), vec("t", N, real=True)
    theta = vec("theta", 3, real=True)
    A = X.row_join(sp.ones(N, 1))
    E = sum(e**2 for e in (A * theta - tt)) / (2 * N)
    yield _claim("mse_hessian", sp.hessian(E, list(theta)), A.T * A / N)

    c = sp.Symbol("c", positive=True)
    loss = -sp.log(S.sigmoid(c * w))
    sc = S.sigmoid(c * w)
    yield _claim("ce_convex_in_w2", sp.Matrix([loss, sp.diff(loss, w, 2)]),
                 sp.Matrix([S.softplus(-c * w), c**2 * sc * (1 - sc)]))


# --- universal approximation -------------------------------------------------------------------

def relu_hat(x, t, h):
    """The hat of the book: (ReLU(x − t + h) − 2 ReLU(x − t) + ReLU(x − t − h)) / h."""
    return (S.relu(x - t + h) - 2 * S.relu(x - t) + S.relu(x - t - h)) / h


def _approximation():
    t = sp.Symbol("t", real=True)
    h = sp.Symbol("h", positive=True)
    yield _claim("relu_hat", relu_hat(x, t, h), sp.Max(0, 1 - sp.Abs(x - t) / h))

    M = 3
    t0 = sp.Symbol("t0", real=True)
    knots = [t0 + k * h for k in range(M + 1)]
    fv = vec("f", M + 1, real=True)
    g = [(fv[m] - fv[m - 1]) / h for m in range(1, M + 1)]
    c = [g[0]] + [g[m] - g[m - 1] for m in range(1, M)]
    F = lambda v: fv[0] + sum(c[m] * sp.Max(0, v - knots[m]) for m in range(M))
    hats = lambda v: sum(fv[m] * relu_hat(v, knots[m], h) for m in range(M + 1))
    yield _claim("relu_interpolant_knots", sp.Matrix([*[F(tk) for tk in knots], *[hats(tk) for tk in knots]]),
                 sp.Matrix([*fv, *fv]))

    a = sp.Symbol("a", real=True)
    c0, c1, c2 = sp.symbols("c0 c1 c2", real=True)
    f = c2 * x**2 + c1 * x + c0
    fx = lambda v: f.subs(x, v)
    L = fx(a) + (fx(a + h) - fx(a)) * (x - a) / h
    f2 = sp.diff(f, x, 2)
    yield _claim("linear_interpolation_error", sp.Matrix([f - L, (f - L).subs(x, a + h / 2)]),
                 sp.Matrix([f2 * (x - a) * (x - a - h) / 2, -f2 * h**2 / 8]))

    half = sp.Rational(1, 2)
    tent = lambda v: 2 * sp.Max(0, v) - 4 * sp.Max(0, v - half)
    yield _claim("relu_tent", sp.Matrix([tent(x), tent(tent(x))]),
                 sp.Matrix([sp.Piecewise((0, x < 0), (2 * x, x <= half), (2 - 2 * x, True)),
                            sp.Piecewise((0, x < 0), (4 * x, x <= half / 2), (2 - 4 * x, x <= half),
                                         (4 * x - 2, x <= 3 * half / 2), (4 - 4 * x, x <= 1), (0, True))]))


# --- linear algebra and matrix calculus --------------------------------------------------------

def _linear_algebra():
    A, B = mat("a", 2, 3, real=True), mat("b", 3, 2, real=True)
    yield _claim("transpose_product", (A * B).T, B.T * A.T)

    N, Mp, M = 2, 3, 2
    Ab, W, b = mat("A", N, Mp, real=True), mat("W", M, Mp, real=True), vec("b", M, real=True)
    yield _claim("row_column_forms", (W * Ab.T + b * sp.ones(1, N)).T, Ab * W.T + sp.ones(N, 1) * b.T)

    av, bv = vec("p", 4, real=True), vec("q", 4, real=True)
    yield _claim("hadamard_diag", sp.diag(*av) * bv, av.multiply_elementwise(bv))

    n = 3
    xv, cv = vec("x", n, real=True), vec("c", n, real=True)
    Am = mat("m", n, n, real=True)
    yield _claim("linear_form_gradient", grad((cv.T * xv)[0], xv), cv)
    yield _claim("quadratic_form_gradient", grad((xv.T * Am * xv)[0], xv), (Am + Am.T) * xv)
    yield _claim("half_squared_norm_gradient", grad((xv.T * xv)[0] / 2, xv), xv)

    Wm, u, v = mat("w", 2, 3, real=True), vec("u", 2, real=True), vec("v", 3, real=True)
    yield _claim("bilinear_matrix_gradient", grad((u.T * Wm * v)[0], Wm), u * v.T)

    a, bb = vec("a", 3, real=True), vec("b", 2, real=True)
    z = Wm * a + bb
    yield _claim("linear_map_jacobian", sp.Matrix([*z.jacobian(a), *z.jacobian(bb)]),
                 sp.Matrix([*Wm, *sp.eye(2)]))

    zs = vec("z", 3, real=True)
    yield _claim("elementwise_jacobian", zs.applyfunc(S.sigmoid).jacobian(zs),
                 sp.diag(*[S.sigmoid(t) * (1 - S.sigmoid(t)) for t in zs]))

    xs, ys = vec("x", 2, real=True), vec("y", 3, real=True)
    g = sp.Matrix([xs[0] * xs[1], sp.sin(xs[0]), xs[1]**2])          # R² -> R³
    fy = lambda y: sp.Matrix([y[0] + y[1] * y[2], sp.exp(y[0])])      # R³ -> R²
    Jf = fy(ys).jacobian(ys).subs(dict(zip(ys, g)))
    Jg = g.jacobian(xs)
    J = fy(g).jacobian(xs)
    yield _claim("vector_chain_rule", sp.Matrix([*J, *J.T]), sp.Matrix([*(Jf * Jg), *(Jg.T * Jf.T)]))


# The first claim of each section (in DESCRIPTIONS order) and the builder of that section. A page
# that cites a claim builds only its section: the SymPy work of the others is not done.
_SECTIONS = (
    ("logistic_derivative", _activations), ("softmax_jacobian", _softmax), ("softmax_ce_gradient", _losses),
    ("threshold_as_bias", _neurons), ("delta_rule_linear", _rules), ("linear_layers_collapse", _collapse),
    ("delta_output_mse_sigmoid", _backprop), ("small_network_gradients", _small_network),
    ("autodiff_example", _misc), ("weight_decay_gradient", _training), ("relu_hat", _approximation),
    ("transpose_product", _linear_algebra),
)


def _section_of() -> dict:
    starts, out, builder = dict(_SECTIONS), {}, None
    for name in DESCRIPTIONS:
        builder = starts.get(name, builder)
        out[name] = builder
    return out


_SECTION_OF = _section_of()


@lru_cache(maxsize=None)
def _build(builder) -> dict:
    built = {c.name: c for c in builder()}
    expected = {name for name, b in _SECTION_OF.items() if b is builder}
    if set(built) != expected:
        raise RuntimeError(f"{builder.__name__} built {sorted(built)} but DESCRIPTIONS places "
                           f"{sorted(expected)} in its section")
    return built


def claim(name: str) -> Claim:
    """The Claim called ``name``; only its section of the registry is built (and then cached)."""
    if name not in DESCRIPTIONS:
        raise KeyError(name)
    return _build(_SECTION_OF[name])[name]


@lru_cache(maxsize=1)
def registry() -> dict:
    """name -> Claim for every claim of the book, in DESCRIPTIONS order."""
    return {name: claim(name) for name in DESCRIPTIONS}


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

    # (f) 002: the penalty paired with weight decay w ← w(1 − ε) has the wrong coefficient
    wv = vec("w", 3, real=True)
    epsilon = sp.Symbol("epsilon", positive=True)
    step_of = lambda coeff: wv - eta * grad(coeff * (wv.T * wv)[0], wv)  # one descent step on the penalty
    w, r = _pair("weight_decay_coefficient_002", wv * (1 - epsilon), step_of(2 * epsilon / eta),
                 step_of(epsilon / (2 * eta)), sample={epsilon: (0, 1)})
    out.append(Erratum(
        "weight_decay_coefficient_002", "002", "网络设置 (权重衰减 and the penalised E_new)",
        r"w^{new} = w^{old}(1 - \varepsilon), \quad E_{new}(w) = E(w) + \frac{2\varepsilon}{\eta} w^\top w",
        r"E_{new}(w) = E(w) + \frac{\varepsilon}{2\eta} w^\top w"
        r" \ (\text{then } w - \eta\,\nabla_w \tfrac{\varepsilon}{2\eta} w^\top w = w(1 - \varepsilon))", w, r))

    # (g) 001: the cross-entropy sums over the N samples instead of the C classes
    C = 3  # classes; the source's N (samples) is taken as 2 here, any N != C shows the problem
    z = vec("z", C, real=True)
    y12 = vec("y", C - 1, real=True)
    y = sp.Matrix([y12[0], y12[1], 1 - y12[0] - y12[1]])  # one sample's label, Σ_c y_c = 1
    p = S.softmax(z)
    loss = lambda upper: -sum(y[i] * sp.log(p[i]) for i in range(upper))
    w, r = _pair("cross_entropy_sum_001", p - y, grad(loss(2), z), grad(loss(C), z),
                 sample={y12[0]: (0, 0.5), y12[1]: (0, 0.5)})
    out.append(Erratum(
        "cross_entropy_sum_001", "001", "§2.4.2 目标函数的选取 (softmax cross-entropy)",
        r"\text{Loss} = -\sum_{i=1}^{N} y_i \log \hat y_i \quad (N = \text{number of samples})",
        r"\text{Loss} = -\sum_{c=1}^{C} y_c \log \hat y_c \ \text{for one sample, so that }"
        r" \frac{\partial\,\text{Loss}}{\partial z_c} = \hat y_c - y_c", w, r))
    return out


@lru_cache(maxsize=1)
def errata() -> dict:
    """key -> Erratum for every mistake found in the sources."""
    return {e.key: e for e in _errata()}


# --- added for issue 14: facts the chapters state that were not yet checked ---------------------
# (appended as new sections; DESCRIPTIONS, _SECTIONS and _SECTION_OF are extended, not rewritten)

DESCRIPTIONS.update({
    # activations
    "swish_scaling": ("swish_β(x) = swish_1(βx)/β: the graph for β is the β = 1 graph shrunk by 1/β in both "
                      "axes, so min swish_β = (min swish_1)/β ≈ −0.2785/β for every β > 0", "000 §4.1"),
    "elu_range": ("for z ≤ 0, ELU = γ(e^z − 1) increases (derivative γe^z > 0) from the limit −γ (z → −∞) to 0; "
                  "with z on z > 0 the range is (−γ, ∞)", "000 §4.1; 001 table 2-3"),
    "activation_means_gaussian": ("z ~ N(0, 1): E ReLU(z) = 1/√(2π) ≈ 0.399, E LeakyReLU_γ(z) = (1 − γ)/√(2π), "
                                  "E ELU_1(z) = 1/√(2π) + √e Φ(−1) − 1/2 ≈ 0.160, E GELU(z) = 1/(2√π) ≈ 0.282",
                                  "000 §4.1 (zero-centred outputs)"),
    # gradient descent, derived
    "first_order_taylor": ("d/dε f(θ + εd) at ε = 0 equals ∇f(θ)ᵀd (f = exp(θ1)θ2 + sin(θ1θ2) + θ2³): "
                           "the first-order Taylor term", "003 (泰勒级数展开); 004 (梯度下降)"),
    "steepest_descent": ("‖g‖²‖d‖² − (gᵀd)² = Σ_{i<j} (g_i d_j − g_j d_i)² ≥ 0 (Lagrange), so gᵀd ≥ −‖g‖‖d‖ "
                         "with equality at d = −g: the steepest descent direction", "004 (梯度下降)"),
    "gd_quadratic_modes": ("f(θ) = ½θᵀHθ, H = Q diag(λ1, λ2) Qᵀ: θ − α∇f(θ) = Q diag(1 − αλ1, 1 − αλ2) Qᵀθ, "
                           "each eigen-direction is multiplied by 1 − αλ_i per step", "000 §4.6; 002"),
    "gd_step_factor": ("at α = c/λ the factor 1 − αλ is 1 − c: |1 − c| < 1 exactly for 0 < c < 2, so α < 2/λ_max "
                       "is the stability limit (c = 1.9 gives −0.9, c = 2.1 gives −1.1)", "000 §4.6; 002"),
    "momentum_slides_form": ("slides' w_{t+1} = w_t + (1 − a)(−ηg) + a(w_t − w_{t−1}) is v ← μv − α'g with μ = a, "
                             "α' = (1 − a)η; its fixed-point step on a constant g is −ηg, not −ηg/(1 − a)", "002"),
    # perceptron convergence (Novikoff)
    "novikoff_steps": ("after a mistake w ← w + yx (y ∈ {−1, 1}): w*ᵀw grows by y w*ᵀx and "
                       "‖w‖² grows by 2y wᵀx + ‖x‖² (using y² = 1)", "001 §2 (感知器); Novikoff 1962"),
    # backward variance and the general delta rule
    "backward_variance": ("independent zero-mean weights (variance v) and error terms (E δ² = s): "
                          "Var(Σ_k w_kj δ_k) = M v s with M = M_l = 3 terms: the backward twin of forward_variance",
                          "004 (Xavier initialization); 002"),
    "delta_rule_general": ("−η ∂/∂w ½(t − f(wᵀx))² = η(t − y) f'(wᵀx) x for f = exp, sin, tanh, cubic "
                           "(any differentiable f; the page also checks an undefined SymPy function)", "002"),
})


def _content_activations():
    yield _claim("swish_scaling", S.swish(x, beta), S.swish(beta * x, 1) / beta)
    g = gamma_pos
    neg = g * (sp.exp(x) - 1)  # the branch z ≤ 0
    yield _claim("elu_range", sp.Matrix([sp.limit(neg, x, -sp.oo), neg.subs(x, 0), sp.diff(neg, x)]),
                 sp.Matrix([-g, 0, g * sp.exp(x)]))
    z = sp.Symbol("z", real=True)
    phi = sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi)
    E_pos = sp.integrate(z * phi, (z, 0, sp.oo))              # E[z; z > 0]
    E_neg = sp.integrate(z * phi, (z, -sp.oo, 0))             # E[z; z ≤ 0]
    E_elu_neg = sp.integrate((sp.exp(z) - 1) * phi, (z, -sp.oo, 0))
    E_gelu = sp.integrate(z * S.gaussian_cdf(z) * phi, (z, -sp.oo, sp.oo))
    r2pi = 1 / sp.sqrt(2 * sp.pi)
    yield _claim("activation_means_gaussian",
                 sp.Matrix([E_pos, E_pos + gamma * E_neg, E_pos + E_elu_neg, E_gelu]),
                 sp.Matrix([r2pi, (1 - gamma) * r2pi, r2pi + sp.sqrt(sp.E) * S.gaussian_cdf(-1) - sp.Rational(1, 2),
                            1 / (2 * sp.sqrt(sp.pi))]))


def _gradient_descent():
    t1, t2, d1, d2, eps = sp.symbols("theta1 theta2 d1 d2 epsilon", real=True)
    f = lambda a, b: sp.exp(a) * b + sp.sin(a * b) + b**3
    directional = sp.diff(f(t1 + eps * d1, t2 + eps * d2), eps).subs(eps, 0)
    yield _claim("first_order_taylor", directional, sp.diff(f(t1, t2), t1) * d1 + sp.diff(f(t1, t2), t2) * d2)

    n = 3
    g, d = vec("g", n, real=True), vec("d", n, real=True)
    lagrange = sum((g[i] * d[j] - g[j] * d[i])**2 for i in range(n) for j in range(i + 1, n))
    gd = (g.T * d)[0]
    yield _claim("steepest_descent", sp.Matrix([(g.T * g)[0] * (d.T * d)[0] - gd**2, gd.subs(dict(zip(d, -g)))]),
                 sp.Matrix([lagrange, -(g.T * g)[0]]))

    l1, l2, alpha, phi = sp.symbols("lambda1 lambda2 alpha phi", positive=True)
    Q = sp.Matrix([[sp.cos(phi), -sp.sin(phi)], [sp.sin(phi), sp.cos(phi)]])
    H = Q * sp.diag(l1, l2) * Q.T
    th = vec("theta", 2, real=True)
    fq = (th.T * H * th)[0] / 2
    yield _claim("gd_quadratic_modes", th - alpha * grad(fq, th), Q * sp.diag(1 - alpha * l1, 1 - alpha * l2) * Q.T * th)

    lam, c = sp.symbols("lambda c", positive=True)
    factor = 1 - (c / lam) * lam
    yield _claim("gd_step_factor", sp.Matrix([factor, factor.subs(c, sp.Rational(19, 10)),
                                              factor.subs(c, sp.Rational(21, 10)), factor.subs(c, 2)]),
                 sp.Matrix([1 - c, -sp.Rational(9, 10), -sp.Rational(11, 10), -1]))

    a, eta_ = sp.symbols("a eta", positive=True)
    w_t, w_prev, gg = sp.symbols("w_t w_tm1 g", real=True)
    slides = w_t + (1 - a) * (-eta_ * gg) + a * (w_t - w_prev)
    mu, lr = a, (1 - a) * eta_
    book = w_t + (mu * (w_t - w_prev) - lr * gg)
    v = sp.Symbol("v", real=True)
    (v_star,) = sp.solve(sp.Eq(v, a * v + (1 - a) * (-eta_ * gg)), v)
    yield _claim("momentum_slides_form", sp.Matrix([slides, v_star]), sp.Matrix([book, -eta_ * gg]),
                 sample={a: (0, 0.99)})


def _perceptron_theory():
    n = 3
    w, ws, xv = vec("w", n, real=True), vec("u", n, real=True), vec("x", n, real=True)
    y = sp.Symbol("y", real=True)
    new = w + y * xv
    yield _claim("novikoff_steps",
                 sp.Matrix([[(ws.T * new)[0] - (ws.T * w)[0]],
                            [sp.expand((new.T * new)[0] - (w.T * w)[0]).subs(y**2, 1)]]).applyfunc(sp.expand),
                 sp.Matrix([y * (ws.T * xv)[0], 2 * y * (w.T * xv)[0] + (xv.T * xv)[0]]).applyfunc(sp.expand))


def _content_misc():
    M = 3
    ws, ds = vec("w", M, real=True), vec("delta", M, real=True)
    var_w, s2, mu_d = sp.Symbol("v", positive=True), sp.Symbol("s", positive=True), sp.Symbol("mu_d", real=True)
    moments = {**{wj: [0, var_w] for wj in ws}, **{dj: [mu_d, s2] for dj in ds}}
    back = (ws.T * ds)[0]
    yield _claim("backward_variance", expectation(back**2, moments) - expectation(back, moments)**2, M * var_w * s2)

    n = 2
    w, xv = vec("w", n, real=True), vec("x", n, real=True)
    t = sp.Symbol("t", real=True)
    s = (w.T * xv)[0]
    rows_l, rows_r = [], []
    for f in (sp.exp, sp.sin, sp.tanh, lambda u: u**3 - u):
        y = f(s)
        fprime = sp.diff(f(x), x).subs(x, s)
        rows_l += list(-eta * grad((t - y)**2 / 2, w))
        rows_r += list(eta * (t - y) * fprime * xv)
    yield _claim("delta_rule_general", sp.Matrix(rows_l), sp.Matrix(rows_r))


_SECTIONS = _SECTIONS + (("swish_scaling", _content_activations), ("first_order_taylor", _gradient_descent),
                         ("novikoff_steps", _perceptron_theory), ("backward_variance", _content_misc))
_SECTION_OF = _section_of()


# --- more errata of the sources (issue 14), appended: _errata is extended, not rewritten --------

# Citations corrected: source 004 says in its last paragraph that it does *not* cover initialization;
# the variance arguments come from the initialization papers (source 002 only names MSRA and Xavier).
for _name in ("uniform_variance", "forward_variance", "relu_second_moment"):
    DESCRIPTIONS[_name] = (DESCRIPTIONS[_name][0], "002 (names MSRA, xavier); Glorot & Bengio 2010; He et al. 2015")
DESCRIPTIONS["backward_variance"] = (DESCRIPTIONS["backward_variance"][0], "Glorot & Bengio 2010; 002")


def _more_errata():
    out = []

    # (h) 001: ŷ − y needs Σ_k y_k = 1
    z = vec("z", 3, real=True)
    y = vec("y", 3, real=True)
    p = S.softmax(z)
    loss = -sum(y[k] * sp.log(p[k]) for k in range(3))
    w, r = _pair("ce_gradient_needs_sum_one_001", grad(loss, z), p - y, p * sum(y) - y,
                 sample={yk: (0, 1) for yk in y})
    out.append(Erratum(
        "ce_gradient_needs_sum_one_001", "001", "§2.4.2 目标函数的选取 (derivation of ∂Loss/∂z_i)",
        r"\sum_{j \ne i} y_j \hat y_i + y_i \hat y_i - y_i = \hat y_i - y_i",
        r"\frac{\partial\,\text{Loss}}{\partial z_i} = \hat y_i \sum_j y_j - y_i"
        r" \ (= \hat y_i - y_i \text{ only when } \textstyle\sum_j y_j = 1)", w, r))

    # (i) 001: PReLU written as max(x, αx)
    a = sp.Symbol("alpha", positive=True)
    w, r = _pair("prelu_max_form_001", S.prelu(x, a), sp.Max(x, a * x), sp.Max(0, x) + a * sp.Min(0, x),
                 sample={a: (0.1, 3)})
    out.append(Erratum(
        "prelu_max_form_001", "001", "§2.2.5 ReLU (PReLU)",
        r"\text{PReLU}(x) = \begin{cases} x, & x > 0 \\ \alpha x, & \text{else}\end{cases} \ \text{is equivalent to} \ \max(x, \alpha x)",
        r"\text{PReLU}(x) = \max(0, x) + \alpha \min(0, x) \ (= \max(x, \alpha x) \text{ only for } \alpha \le 1)", w, r))

    # (j) 003: the chain rule for l < L follows a single path
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
    out.append(Erratum(
        "single_path_chain_003", "003", "section 参数更新, 当 l < L 时",
        r"\frac{\partial J}{\partial w_{ij}^{[l]}} = \frac{\partial J}{\partial e_i}\frac{\partial e_i}{\partial h_i^{[L]}}"
        r"\frac{\partial h_i^{[L]}}{\partial z_i^{[L]}}\frac{\partial z_i^{[L]}}{\partial h_i^{[L-1]}}\cdots"
        r"\frac{\partial z_i^{[l]}}{\partial w_{ij}^{[l]}} \ \text{(one path, through neuron } i \text{ of every layer)}",
        r"\frac{\partial J}{\partial w_{ij}^{[l]}} = \Big(\sum_{k} w_{ki}^{[l+1]}\, \frac{\partial J}{\partial z_k^{[l+1]}}\Big)"
        r"\, f'(z_i^{[l]})\, h_j^{[l-1]} \ \text{(a sum over every neuron } k \text{ of layer } l+1)", w, r))

    # (k) 003: the first-order Taylor step "guarantees" a decrease
    th = sp.Symbol("theta", real=True)
    lam, al = sp.symbols("lambda alpha", positive=True)
    Jq = lambda v: lam * v**2 / 2
    g = lam * th
    w, r = _pair("taylor_guarantee_003", Jq(th - al * g), Jq(th) - al * g**2,
                 Jq(th) - al * g**2 + al**2 * lam * g**2 / 2)
    out.append(Erratum(
        "taylor_guarantee_003", "003", "section 损失函数与随机梯度下降 (泰勒级数展开, ΔΘ = −α dJ/dΘ)",
        r"J(\Theta_{k+1}) = J(\Theta_k) - \alpha \Big(\frac{dJ}{d\Theta}\Big)^2"
        r" \ \text{, so every step lowers the loss}",
        r"J(\Theta_{k+1}) = J(\Theta_k) - \alpha \lVert g\rVert^2 + \tfrac{\alpha^2}{2} g^\top H g \ \text{(exact for a quadratic);}"
        r" \text{ it rises when } \alpha > 2/\lambda", w, r))

    # (l) 002: batch update sums the gradient of the total error over the samples
    n = 3
    wv_, xk, tk = sp.Symbol("w", real=True), vec("x", n, real=True), vec("t", n, real=True)
    Ek = [(tk[k] - wv_ * xk[k])**2 / 2 for k in range(n)]
    E = sum(Ek)
    w, r = _pair("batch_sum_double_count_002", -eta * sp.diff(E, wv_),
                 -eta * sum(sp.diff(E, wv_) for _ in range(n)), -eta * sum(sp.diff(e_, wv_) for e_ in Ek))
    out.append(Erratum(
        "batch_sum_double_count_002", "002", "多层神经网络, 推导过程 (权重更新, 批量)",
        r"\Delta w_* = -\eta \sum_{k=1}^{n} \frac{\partial E}{\partial w_*}, \quad E = \frac12 \sum_{k,j} (t_j^k - z_j^k)^2",
        r"\Delta w_* = -\eta \sum_{k=1}^{n} \frac{\partial E^k}{\partial w_*} = -\eta \frac{\partial E}{\partial w_*},"
        r" \quad E^k = \frac12 \sum_j (t_j^k - z_j^k)^2", w, r))

    # (m) 004: softmax "divides each element by the sum of all elements"
    zz = vec("z", 3, real=True)
    w, r = _pair("softmax_normalization_004", S.softmax(zz), zz / sum(zz),
                 zz.applyfunc(sp.exp) / sum(zz.applyfunc(sp.exp)))
    out.append(Erratum(
        "softmax_normalization_004", "004", "section 输出层 (softmax 层)",
        r"a_i = \frac{z_i}{\sum_k z_k} \ \text{(“divides each element by the sum of all elements of the input”)}",
        r"a_i = \frac{e^{z_i}}{\sum_k e^{z_k}}", w, r))

    # (n) 003: "whatever activation, the class with the largest z wins"
    tshift = sp.Symbol("t", real=True)
    o = lambda v: S.gelu(v) + tshift  # outputs, shifted by a common t (which cannot matter)
    lhs = sp.sign(o(sp.Integer(-3)) - o(sp.Rational(-3, 4)))
    w, r = _pair("argmax_any_activation_003", lhs, sp.sign(sp.Integer(-3) - sp.Rational(-3, 4)), sp.Integer(1),
                 symbols=(tshift,))
    out.append(Erratum(
        "argmax_any_activation_003", "003", "section 多层感知机 (单层网络的限制)",
        r"\arg\max_k f(z_k) = \arg\max_k z_k \ \text{for every activation } f",
        r"\text{only for increasing } f\text{: GELU on } z = (-3, -\tfrac34) \text{ gives }"
        r" \operatorname{sign}(\mathrm{GELU}(-3) - \mathrm{GELU}(-\tfrac34)) = +1", w, r))

    # (o) 000: GELU with the CDF of N(μ, σ²)
    mu, sg = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)
    w, r = _pair("gelu_standard_normal_000", S.gelu(x), x * S.gaussian_cdf((x - mu) / sg), x * S.gaussian_cdf((x - 0) / 1))
    out.append(Erratum(
        "gelu_standard_normal_000", "000", "常用的激活函数 (GELU)",
        r"\mathrm{GELU}(x) = x P(X \le x), \ X \sim \mathcal N(\mu, \sigma^2)",
        r"\mathrm{GELU}(x) = x\,\Phi(x), \ X \sim \mathcal N(0, 1) \ \text{(Hendrycks \& Gimpel 2016)}", w, r))

    # (p) 003: the shape given to W^[l]
    hp, hl, hn = sp.symbols("h_lm1 h_l h_lp1", positive=True, integer=True)
    w, r = _pair("weight_shape_003", (1 + hp) * hl, (1 + hl) * hn, (1 + hp) * hl,
                 sample={hp: (1, 50), hl: (1, 50), hn: (1, 50)})
    out.append(Erratum(
        "weight_shape_003", "003", "section 损失函数与随机梯度下降 (augmented W^[l])",
        r"\mathbf W^{[l]} \in \mathbb R^{(1+h_l) \times h_{l+1}}, \ \text{next to} \ \mathbf Z^{[l]} = \mathbf H^{[l-1]} \mathbf W^{[l-1]}",
        r"\mathbf Z^{[l]} = \mathbf H^{[l-1]} \mathbf W^{[l]}, \ \mathbf W^{[l]} \in \mathbb R^{(1+h_{l-1}) \times h_l}"
        r" \ \text{(as in } z_i^{[l]} = \textstyle\sum_j w_{ij}^{[l]} h_j^{[l-1]} + b_i^{[l]}\text{)}", w, r))

    # (q) 001: "greater than the threshold" against the formula's ≥ (AND with w = (c, c), θ = 2c)
    c = sp.Symbol("c", positive=True)
    rows = list(itertools.product([0, 1], repeat=2))
    sums = [c * (x1 + x2) for x1, x2 in rows]
    w, r = _pair("mp_threshold_strict_001", sp.Matrix([int(x1 and x2) for x1, x2 in rows]),
                 sp.Matrix([sp.Piecewise((1, s > 2 * c), (0, True)) for s in sums]),
                 sp.Matrix([sp.Piecewise((1, s >= 2 * c), (0, True)) for s in sums]), symbols=(c,))
    out.append(Erratum(
        "mp_threshold_strict_001", "001", "§2.2.2 线性阈值神经元 (the rule in words)",
        r"y = 1 \ \text{if the sum is greater than } \theta \ (\text{sum} > \theta)",
        r"y = 1 \ \text{if } \text{sum} \ge \theta \ \text{(the chapter's own formula; AND: } w = (1, 1), \theta = 2\text{)}", w, r))
    return out


_errata_issue14_base = _errata


def _errata():  # noqa: F811 -- the original list, then the errata added for issue 14
    return _errata_issue14_base() + _more_errata()


# --- generalization (issue 14) ----------------------------------------------------------------

DESCRIPTIONS.update({
    "dropout_inverted_moments": ("inverted dropout m = 0 w.p. p, 1/(1 − p) w.p. 1 − p: E[a m] = a and "
                                 "Var(a m) = a² p/(1 − p), so evaluation mode uses a unchanged", "001 §2.1.2 (Dropout)"),
})


def _generalization():
    p = sp.Symbol("p", positive=True)
    a = sp.Symbol("a", real=True)
    values, probs = (0, 1 / (1 - p)), (p, 1 - p)
    mean = sum(pr * a * v for v, pr in zip(values, probs))
    second = sum(pr * (a * v)**2 for v, pr in zip(values, probs))
    yield _claim("dropout_inverted_moments", sp.Matrix([mean, second - mean**2]),
                 sp.Matrix([a, a**2 * p / (1 - p)]), sample={p: (0.01, 0.95)})


_SECTIONS = _SECTIONS + (("dropout_inverted_moments", _generalization),)
_SECTION_OF = _section_of()
