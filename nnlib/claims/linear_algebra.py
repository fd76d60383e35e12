"""Claims of the appendix *Linear algebra and matrix calculus* (book/appendix/linear_algebra.md):
transposes, the row and column forms of a layer, gradients of forms, Jacobians and the chain rule."""

from __future__ import annotations

import sympy as sp

from nnlib import symbolic_core as S
from nnlib.claims._common import descriptions_of, grad, mat, section, vec

__all__ = ["SECTIONS", "DESCRIPTIONS"]  # its claims, by section (the builders' helpers are not API)


@section({
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
})
def matrix_calculus(claim):
    A, B = mat("a", 2, 3, real=True), mat("b", 3, 2, real=True)
    yield claim("transpose_product", (A * B).T, B.T * A.T)

    N, Mp, M = 2, 3, 2
    Ab, W, b = mat("A", N, Mp, real=True), mat("W", M, Mp, real=True), vec("b", M, real=True)
    yield claim("row_column_forms", (W * Ab.T + b * sp.ones(1, N)).T, Ab * W.T + sp.ones(N, 1) * b.T)

    av, bv = vec("p", 4, real=True), vec("q", 4, real=True)
    yield claim("hadamard_diag", sp.diag(*av) * bv, av.multiply_elementwise(bv))

    n = 3
    xv, cv = vec("x", n, real=True), vec("c", n, real=True)
    Am = mat("m", n, n, real=True)
    yield claim("linear_form_gradient", grad((cv.T * xv)[0], xv), cv)
    yield claim("quadratic_form_gradient", grad((xv.T * Am * xv)[0], xv), (Am + Am.T) * xv)
    yield claim("half_squared_norm_gradient", grad((xv.T * xv)[0] / 2, xv), xv)

    Wm, u, v = mat("w", 2, 3, real=True), vec("u", 2, real=True), vec("v", 3, real=True)
    yield claim("bilinear_matrix_gradient", grad((u.T * Wm * v)[0], Wm), u * v.T)

    a, bb = vec("a", 3, real=True), vec("b", 2, real=True)
    z = Wm * a + bb
    yield claim("linear_map_jacobian", sp.Matrix([*z.jacobian(a), *z.jacobian(bb)]),
                sp.Matrix([*Wm, *sp.eye(2)]))

    zs = vec("z", 3, real=True)
    yield claim("elementwise_jacobian", zs.applyfunc(S.sigmoid).jacobian(zs),
                sp.diag(*[S.sigmoid(t) * (1 - S.sigmoid(t)) for t in zs]))

    xs, ys = vec("x", 2, real=True), vec("y", 3, real=True)
    g = sp.Matrix([xs[0] * xs[1], sp.sin(xs[0]), xs[1]**2])          # R² -> R³
    fy = lambda y: sp.Matrix([y[0] + y[1] * y[2], sp.exp(y[0])])      # R³ -> R²
    Jf = fy(ys).jacobian(ys).subs(dict(zip(ys, g)))
    Jg = g.jacobian(xs)
    J = fy(g).jacobian(xs)
    yield claim("vector_chain_rule", sp.Matrix([*J, *J.T]), sp.Matrix([*(Jf * Jg), *(Jg.T * Jf.T)]))


@section({
    "dot_outer_trace": ("uᵀv = vᵀu = Σᵢ uᵢvᵢ = trace(uvᵀ): the dot product is a number and symmetric; "
                        "the outer product uvᵀ is the 3×3 matrix [uᵢvⱼ]", "004 (点积; errata 23)"),
    "outer_product_sum": ("AB = Σₖ aₖ bₖᵀ (column k of A times row k of B), A 2×3, B 3×2: "
                          "a batch weight gradient Δᵀ A_prev = Σₙ δₙ aₙᵀ is a sum of outer products", "004 (分块矩阵)"),
    "scalar_chain_rule": ("z = f(y), y = g(x): ∂z/∂xᵢ = Σⱼ ∂z/∂yⱼ ∂yⱼ/∂xᵢ, i.e. ∇ₓz = J_gᵀ ∇_y z "
                          "(g: R² → R³, f: R³ → R)", "004 (矩阵演算, 链式法则)"),
})
def products_and_chains(claim):
    u, v = vec("u", 3, real=True), vec("v", 3, real=True)
    dot = (u.T * v)[0]
    yield claim("dot_outer_trace", sp.Matrix([dot, (v.T * u)[0], (u * v.T).trace(), (u * v.T)[0, 1]]),
                sp.Matrix([sum(u[i] * v[i] for i in range(3))] * 3 + [u[0] * v[1]]))

    A, B = mat("a", 2, 3, real=True), mat("b", 3, 2, real=True)
    yield claim("outer_product_sum", A * B, sum((A[:, k] * B[k, :] for k in range(3)), sp.zeros(2, 2)))

    xs, ys = vec("x", 2, real=True), vec("y", 3, real=True)
    g = sp.Matrix([xs[0] * xs[1], sp.sin(xs[0]), xs[1]**2])
    f = ys[0] * ys[1] + sp.exp(ys[2])
    grad_y = grad(f, ys).subs(dict(zip(ys, g)))
    z = f.subs(dict(zip(ys, g)))
    sums = sp.Matrix([sum(grad_y[j] * sp.diff(g[j], xs[i]) for j in range(3)) for i in range(2)])
    yield claim("scalar_chain_rule", sp.Matrix([*grad(z, xs), *sums]),
                sp.Matrix([*(g.jacobian(xs).T * grad_y), *(g.jacobian(xs).T * grad_y)]))


SECTIONS = (matrix_calculus, products_and_chains)
DESCRIPTIONS = descriptions_of(SECTIONS)
