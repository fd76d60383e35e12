"""Claims of the chapter *Universal approximation* (book/universal_approximation.md): the ReLU hat, the
piecewise-linear interpolant built from ReLUs, its error, and the sawtooth of composed tents."""

from __future__ import annotations

import sympy as sp

from nnlib import symbolic_core as S
from nnlib.claims._common import descriptions_of, section, vec, x

__all__ = ["SECTIONS", "DESCRIPTIONS"]  # its claims, by section (the builders' helpers are not API)


def relu_hat(x, t, h):
    """The hat of the book: (ReLU(x − t + h) − 2 ReLU(x − t) + ReLU(x − t − h)) / h."""
    return (S.relu(x - t + h) - 2 * S.relu(x - t) + S.relu(x - t - h)) / h


@section({
    "relu_hat": ("(ReLU(x − t + h) − 2ReLU(x − t) + ReLU(x − t − h))/h = max(0, 1 − |x − t|/h), h > 0",
                 "000 §4.3; 004"),
    "relu_interpolant_knots": ("f(t0) + Σ c_m ReLU(x − t_m) and Σ f(t_m) hat_m both equal f(t_k) at every knot "
                               "(M = 3)", "000 §4.3"),
    "linear_interpolation_error": ("quadratic f: f − L = f''(x − a)(x − a − h)/2, = −f''h²/8 at the midpoint",
                                   "000 §4.3"),
    "relu_tent": ("2ReLU(x) − 4ReLU(x − 1/2) is the tent 2x, 2 − 2x on [0, 1]; composed twice: 4 pieces",
                  "Telgarsky 2016"),
})
def constructions(claim):
    t = sp.Symbol("t", real=True)
    h = sp.Symbol("h", positive=True)
    yield claim("relu_hat", relu_hat(x, t, h), sp.Max(0, 1 - sp.Abs(x - t) / h))

    M = 3
    t0 = sp.Symbol("t0", real=True)
    knots = [t0 + k * h for k in range(M + 1)]
    fv = vec("f", M + 1, real=True)
    g = [(fv[m] - fv[m - 1]) / h for m in range(1, M + 1)]
    c = [g[0]] + [g[m] - g[m - 1] for m in range(1, M)]
    F = lambda v: fv[0] + sum(c[m] * sp.Max(0, v - knots[m]) for m in range(M))
    hats = lambda v: sum(fv[m] * relu_hat(v, knots[m], h) for m in range(M + 1))
    yield claim("relu_interpolant_knots", sp.Matrix([*[F(tk) for tk in knots], *[hats(tk) for tk in knots]]),
                sp.Matrix([*fv, *fv]))

    a = sp.Symbol("a", real=True)
    c0, c1, c2 = sp.symbols("c0 c1 c2", real=True)
    f = c2 * x**2 + c1 * x + c0
    fx = lambda v: f.subs(x, v)
    L = fx(a) + (fx(a + h) - fx(a)) * (x - a) / h
    f2 = sp.diff(f, x, 2)
    yield claim("linear_interpolation_error", sp.Matrix([f - L, (f - L).subs(x, a + h / 2)]),
                sp.Matrix([f2 * (x - a) * (x - a - h) / 2, -f2 * h**2 / 8]))

    half = sp.Rational(1, 2)
    tent = lambda v: 2 * sp.Max(0, v) - 4 * sp.Max(0, v - half)
    yield claim("relu_tent", sp.Matrix([tent(x), tent(tent(x))]),
                sp.Matrix([sp.Piecewise((0, x < 0), (2 * x, x <= half), (2 - 2 * x, True)),
                           sp.Piecewise((0, x < 0), (4 * x, x <= half / 2), (2 - 4 * x, x <= half),
                                        (4 * x - 2, x <= 3 * half / 2), (4 - 4 * x, x <= 1), (0, True))]))


@section({
    "square_activation_quadratic": ("Σ_m v_m (w_m x + b_m)² = (Σ v_m w_m²) x² + (2Σ v_m w_m b_m) x + Σ v_m b_m² "
                                    "(M = 4): with φ(z) = z² every width gives a quadratic", "Leshno et al. 1993"),
})
def polynomial_activation(claim):
    M = 4
    w, b, v = vec("w", M, real=True), vec("b", M, real=True), vec("v", M, real=True)
    F = sum(v[m] * (w[m] * x + b[m])**2 for m in range(M))
    A = sum(v[m] * w[m]**2 for m in range(M))
    B = 2 * sum(v[m] * w[m] * b[m] for m in range(M))
    C0 = sum(v[m] * b[m]**2 for m in range(M))
    yield claim("square_activation_quadratic", F, A * x**2 + B * x + C0)


SECTIONS = (constructions, polynomial_activation)
DESCRIPTIONS = descriptions_of(SECTIONS)
