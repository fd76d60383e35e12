"""Claims of the chapter *Training* (book/training.md): gradient descent derived and its step size,
momentum, weight decay, curvature of the losses, the parameter count, the variances behind the
initializations, and the update rules of momentum (heavy ball) and Adam."""

from __future__ import annotations

import sympy as sp

from nnlib import symbolic_core as S
from nnlib.claims._common import descriptions_of, grad, mat, section, vec

__all__ = ["SECTIONS", "DESCRIPTIONS"]  # its claims, by section (the builders' helpers are not API)

_INIT_SOURCES = "002 (names MSRA, xavier); Glorot & Bengio 2010; He et al. 2015"


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


@section({
    "first_order_taylor": ("d/dε f(θ + εd) at ε = 0 equals ∇f(θ)ᵀd (f = exp(θ1)θ2 + sin(θ1θ2) + θ2³): "
                           "the first-order Taylor term", "003 (泰勒级数展开); 004 (梯度下降)"),
    "steepest_descent": ("‖g‖²‖d‖² − (gᵀd)² = Σ_{i<j} (g_i d_j − g_j d_i)² ≥ 0 (Lagrange), so gᵀd ≥ −‖g‖‖d‖ "
                         "with equality at d = −g: the steepest descent direction", "004 (梯度下降)"),
    "gd_quadratic_modes": ("f(θ) = ½θᵀHθ, H = Q diag(λ1, λ2) Qᵀ: θ − α∇f(θ) = Q diag(1 − αλ1, 1 − αλ2) Qᵀθ, "
                           "each eigen-direction is multiplied by 1 − αλ_i per step", "000 §4.6; 002"),
    "gd_step_factor": ("at α = c/λ the factor 1 − αλ is 1 − c: |1 − c| < 1 exactly for 0 < c < 2, so α < 2/λ_max "
                       "is the stability limit (c = 1.9 gives −0.9, c = 2.1 gives −1.1)", "000 §4.6; 002"),
    "momentum_velocity": ("the fixed point of v ← μv − αg is −αg/(1 − μ); μ = 0.9 gives 10×", "002"),
    "momentum_slides_form": ("slides' w_{t+1} = w_t + (1 − a)(−ηg) + a(w_t − w_{t−1}) is v ← μv − α'g with μ = a, "
                             "α' = (1 − a)η; its fixed-point step on a constant g is −ηg, not −ηg/(1 − a)", "002"),
})
def gradient_descent(claim):
    t1, t2, d1, d2, eps = sp.symbols("theta1 theta2 d1 d2 epsilon", real=True)
    f = lambda a, b: sp.exp(a) * b + sp.sin(a * b) + b**3
    directional = sp.diff(f(t1 + eps * d1, t2 + eps * d2), eps).subs(eps, 0)
    yield claim("first_order_taylor", directional, sp.diff(f(t1, t2), t1) * d1 + sp.diff(f(t1, t2), t2) * d2)

    n = 3
    g, d = vec("g", n, real=True), vec("d", n, real=True)
    lagrange = sum((g[i] * d[j] - g[j] * d[i])**2 for i in range(n) for j in range(i + 1, n))
    gd = (g.T * d)[0]
    yield claim("steepest_descent", sp.Matrix([(g.T * g)[0] * (d.T * d)[0] - gd**2, gd.subs(dict(zip(d, -g)))]),
                sp.Matrix([lagrange, -(g.T * g)[0]]))

    l1, l2, alpha, phi = sp.symbols("lambda1 lambda2 alpha phi", positive=True)
    Q = sp.Matrix([[sp.cos(phi), -sp.sin(phi)], [sp.sin(phi), sp.cos(phi)]])
    H = Q * sp.diag(l1, l2) * Q.T
    th = vec("theta", 2, real=True)
    fq = (th.T * H * th)[0] / 2
    yield claim("gd_quadratic_modes", th - alpha * grad(fq, th), Q * sp.diag(1 - alpha * l1, 1 - alpha * l2) * Q.T * th)

    lam, c = sp.symbols("lambda c", positive=True)
    factor = 1 - (c / lam) * lam
    yield claim("gd_step_factor", sp.Matrix([factor, factor.subs(c, sp.Rational(19, 10)),
                                             factor.subs(c, sp.Rational(21, 10)), factor.subs(c, 2)]),
                sp.Matrix([1 - c, -sp.Rational(9, 10), -sp.Rational(11, 10), -1]))

    mu = sp.Symbol("mu", positive=True)
    v, gs = sp.symbols("v g", real=True)
    (v_star,) = sp.solve(sp.Eq(v, mu * v - alpha * gs), v)
    yield claim("momentum_velocity", sp.Matrix([v_star, (1 / (1 - mu)).subs(mu, sp.Rational(9, 10))]),
                sp.Matrix([-alpha * gs / (1 - mu), 10]), sample={mu: (0, 0.99)})

    a, eta_ = sp.symbols("a eta", positive=True)
    w_t, w_prev = sp.symbols("w_t w_tm1", real=True)
    slides = w_t + (1 - a) * (-eta_ * gs) + a * (w_t - w_prev)
    mu_a, lr = a, (1 - a) * eta_
    book = w_t + (mu_a * (w_t - w_prev) - lr * gs)
    (v_slides,) = sp.solve(sp.Eq(v, a * v + (1 - a) * (-eta_ * gs)), v)
    yield claim("momentum_slides_form", sp.Matrix([slides, v_slides]), sp.Matrix([book, -eta_ * gs]),
                sample={a: (0, 0.99)})


@section({
    "weight_decay_gradient": ("∂/∂W (λ/2)‖W‖²_F = λW, so W − α(λW) = (1 − αλ)W", "000 §4.6 (Algorithm 4.1); 002"),
    "mse_hessian": ("Hessian of (1/2N)‖Aθ − t‖² is AᵀA/N (linear neuron, A = [X, 1], N = 3)", "000 §4.6"),
    "ce_convex_in_w2": ("−log σ(cw) = softplus(−cw), d²/dw² = c² σ(cw)(1 − σ(cw)) ≥ 0", "000 §4.6"),
    "parameter_count": ("P = Σ_l (M_{l−1} + 1) M_l counts the entries of all W and b", "000 §4.6"),
})
def objective(claim):
    lam, alpha = sp.symbols("lambda alpha", positive=True)
    W = mat("w", 2, 3, real=True)
    G = grad(lam / 2 * sum(v**2 for v in W), W)
    yield claim("weight_decay_gradient", sp.Matrix([*G, *(W - alpha * G)]),
                sp.Matrix([*(lam * W), *((1 - alpha * lam) * W)]))

    N = 3
    X, tt = mat("x", N, 2, real=True), vec("t", N, real=True)
    theta = vec("theta", 3, real=True)
    A = X.row_join(sp.ones(N, 1))
    E = sum(e**2 for e in (A * theta - tt)) / (2 * N)
    yield claim("mse_hessian", sp.hessian(E, list(theta)), A.T * A / N)

    c = sp.Symbol("c", positive=True)
    w = sp.Symbol("w", real=True)
    loss = -sp.log(S.sigmoid(c * w))
    sc = S.sigmoid(c * w)
    yield claim("ce_convex_in_w2", sp.Matrix([loss, sp.diff(loss, w, 2)]),
                sp.Matrix([S.softplus(-c * w), c**2 * sc * (1 - sc)]))

    # an L = 3 layer net with symbolic widths, counted from the shapes of W and b
    M = sp.symbols("M0:4", positive=True, integer=True)
    shapes = [((M[l], M[l - 1]), (M[l],)) for l in range(1, 4)]
    counted = sum(sp.Mul(*w_shape) + sp.Mul(*b_shape) for w_shape, b_shape in shapes)
    yield claim("parameter_count", counted, sum((M[l - 1] + 1) * M[l] for l in range(1, 4)),
                sample={m: (1, 50) for m in M})


# Source 004 says in its last paragraph that it does not cover initialization: the variance arguments
# come from the initialization papers (source 002 only names MSRA and Xavier).
@section({
    "uniform_variance": ("Var U(−r, r) = r²/3; r = √(6/(m+n)) gives 2/(m+n) (Xavier), r = √(6/m) gives 2/m (He)",
                         _INIT_SOURCES),
    "forward_variance": ("independent zero-mean weights (variance v), i.i.d. inputs (E a² = s): "
                         "Var(Σ_j w_j a_j) = M v s, M = 3", _INIT_SOURCES),
    "backward_variance": ("independent zero-mean weights (variance v) and error terms (E δ² = s): "
                          "Var(Σ_k w_kj δ_k) = M v s with M = M_l = 3 terms: the backward twin of forward_variance",
                          "Glorot & Bengio 2010; 002"),
    "relu_second_moment": ("z ~ N(0, σ²): E[ReLU(z)²] = σ²/2 = Var(z)/2", _INIT_SOURCES),
})
def initialization(claim):
    r, m, n = sp.symbols("r m n", positive=True)
    w = sp.Symbol("w", real=True)

    def var_uniform(rr):
        mean = sp.integrate(w / (2 * rr), (w, -rr, rr))
        return sp.integrate(w**2 / (2 * rr), (w, -rr, rr)) - mean**2
    yield claim("uniform_variance",
                sp.Matrix([var_uniform(r), var_uniform(sp.sqrt(6 / (m + n))), var_uniform(sp.sqrt(6 / m))]),
                sp.Matrix([r**2 / 3, 2 / (m + n), 2 / m]))

    M = 3
    ws, as_ = vec("w", M, real=True), vec("a", M, real=True)
    var_w, s2, mu_a = sp.Symbol("v", positive=True), sp.Symbol("s", positive=True), sp.Symbol("mu_a", real=True)
    moments = {**{wj: [0, var_w] for wj in ws}, **{aj: [mu_a, s2] for aj in as_}}
    zz = (ws.T * as_)[0]
    yield claim("forward_variance", expectation(zz**2, moments) - expectation(zz, moments)**2, M * var_w * s2)

    ds, mu_d = vec("delta", M, real=True), sp.Symbol("mu_d", real=True)
    moments = {**{wj: [0, var_w] for wj in ws}, **{dj: [mu_d, s2] for dj in ds}}
    back = (ws.T * ds)[0]
    yield claim("backward_variance", expectation(back**2, moments) - expectation(back, moments)**2, M * var_w * s2)

    sigma = sp.Symbol("sigma", positive=True)
    z = sp.Symbol("z", real=True)
    density = sp.exp(-z**2 / (2 * sigma**2)) / sp.sqrt(2 * sp.pi * sigma**2)
    yield claim("relu_second_moment",
                sp.Matrix([sp.integrate(S.relu(z)**2 * density, (z, -sp.oo, sp.oo)),
                           sp.integrate(z**2 * density, (z, -sp.oo, sp.oo))]),
                sp.Matrix([sigma**2 / 2, sigma**2]))


@section({
    "momentum_heavy_ball": ("v ← μv − αg_t, θ ← θ + v (nnlib's SGD) gives the iterates of the heavy ball "
                            "θ_{t+1} = θ_t − αg_t + μ(θ_t − θ_{t−1}), θ_1 = θ_0 − αg_0 (four steps, any gradients)",
                            "002 (附加冲量项); Polyak 1964"),
    "momentum_quadratic_rate": ("heavy ball on f = ½λθ²: θ_{t+1} = (1 + μ − αλ)θ_t − μθ_{t−1}, characteristic "
                                "polynomial r² − (1 + μ − αλ)r + μ; at αλ = 2(1 + μ) it has the root −1 (the stability "
                                "limit; 2/λ for μ = 0); with α = 4/(√λ₁ + √λ₂)², μ = ((√λ₂ − √λ₁)/(√λ₂ + √λ₁))² its "
                                "discriminant is 0 for λ₁ and λ₂ (a double root of modulus √μ for both)", "Polyak 1964"),
    "adam_bias_correction": ("a constant gradient g: m_t = Σ_{k=1}^t (1 − β)β^{t−k} g = (1 − β^t) g, so "
                             "m_t/(1 − β^t) = g for every t (the same for v_t with g²)", "Kingma & Ba 2015"),
    "adam_scale_invariance": ("Adam's step with ε = 0: the first is −α for any g > 0, and two steps on the gradients "
                              "(cg₁, −cg₂), c > 0, equal those on (g₁, −g₂)", "Kingma & Ba 2015"),
})
def momentum_and_adam(claim):
    mu, alpha = sp.symbols("mu alpha", positive=True)
    theta0 = sp.Symbol("theta0", real=True)
    g = sp.symbols("g0:4", real=True)
    velocity_form, v = [theta0], 0
    for t in range(4):
        v = mu * v - alpha * g[t]
        velocity_form.append(velocity_form[-1] + v)
    heavy_ball = [theta0, theta0 - alpha * g[0]]
    for t in range(1, 4):
        heavy_ball.append(heavy_ball[t] - alpha * g[t] + mu * (heavy_ball[t] - heavy_ball[t - 1]))
    yield claim("momentum_heavy_ball", sp.Matrix(velocity_form), sp.Matrix(heavy_ball))

    lam, r, l1, l2 = sp.symbols("lambda r lambda1 lambda2", positive=True)
    th = sp.symbols("theta0:3", real=True)
    recursion = th[1] - alpha * lam * th[1] + mu * (th[1] - th[0])      # one heavy-ball step on ½λθ²
    char = r**2 - (1 + mu - alpha * lam) * r + mu
    a_opt = 4 / (sp.sqrt(l1) + sp.sqrt(l2))**2
    mu_opt = ((sp.sqrt(l2) - sp.sqrt(l1)) / (sp.sqrt(l2) + sp.sqrt(l1)))**2
    disc = [((1 + mu_opt - a_opt * li)**2 - 4 * mu_opt) for li in (l1, l2)]
    yield claim("momentum_quadratic_rate",
                sp.Matrix([recursion, char.subs(r, -1).subs(alpha, 2 * (1 + mu) / lam), *disc]),
                sp.Matrix([(1 + mu - alpha * lam) * th[1] - mu * th[0], 0, 0, 0]))

    beta = sp.Symbol("beta", positive=True)
    t, k = sp.Symbol("t", integer=True, positive=True), sp.Symbol("k", integer=True)
    gs = sp.Symbol("g", real=True)
    m_t = sp.summation((1 - beta) * beta**(t - k) * gs, (k, 1, t))
    yield claim("adam_bias_correction", m_t / (1 - beta**t), gs, sample={beta: (0.05, 0.95), t: (1, 9)})

    b1, b2, c = sp.symbols("beta1 beta2 c", positive=True)
    g1, g2 = sp.symbols("g1 g2", positive=True)

    def steps(grads):
        m = v2 = 0
        out = []
        for t_, gt in enumerate(grads, start=1):
            m, v2 = b1 * m + (1 - b1) * gt, b2 * v2 + (1 - b2) * gt**2
            out.append(-alpha * (m / (1 - b1**t_)) / sp.sqrt(v2 / (1 - b2**t_)))
        return out
    yield claim("adam_scale_invariance", sp.Matrix([steps([g1])[0], *steps([c * g1, -c * g2])]),
                sp.Matrix([-alpha, *steps([g1, -g2])]), sample={b1: (0.05, 0.95), b2: (0.05, 0.999)})


SECTIONS = (gradient_descent, objective, initialization, momentum_and_adam)
DESCRIPTIONS = descriptions_of(SECTIONS)
