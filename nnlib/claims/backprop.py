"""Claims of the chapter *Backpropagation* (book/backprop.md): the error terms δ and the gradients of a
worked 2-2-1 network and of a symbolic two-layer network (column and batch forms), biases folded into the
weights, finite differences, the reverse-mode autodiff example, the gate patterns of a computational graph
and the sum over paths."""

from __future__ import annotations

import sympy as sp

from nnlib import symbolic_core as S
from nnlib.claims._common import descriptions_of, grad, mat, section, vec, x

__all__ = ["SECTIONS", "DESCRIPTIONS"]  # its claims, by section (the builders' helpers are not API)


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


@section({
    "small_network_gradients": ("2-2-1 sigmoid net, ½(y − ŷ)²: ∂L/∂w⁽²⁾_j = δ⁽²⁾a⁽¹⁾_j, ∂L/∂b⁽²⁾ = δ⁽²⁾, "
                                "∂L/∂w⁽¹⁾_jk = δ⁽¹⁾_j x_k, δ⁽¹⁾_j = σ'(z⁽¹⁾_j) w⁽²⁾_j δ⁽²⁾", "000 §4.4; 003"),
    "batch_delta_recursion": ("rows form Δ⁽¹⁾ = f'(Z⁽¹⁾) ⊙ (Δ⁽²⁾ W⁽²⁾) for a batch of 2, mean MSE",
                              "CONTRIBUTING; 004"),
    "finite_difference_orders": ("(f(x+ε) − f(x−ε))/2ε = f' + f‴ε²/6 + O(ε⁴), (f(x+ε) − f(x))/ε = f' + f''ε/2 "
                                 "+ O(ε²), f = σ", "004; CS231n"),
})
def worked_network(claim):
    net = small_network()
    loss, a1, w2 = net["loss"], net["a1"], net["w2"]
    delta1 = [a1[j] * (1 - a1[j]) * w2[j] * net["delta2"] for j in range(2)]
    direct = sp.Matrix([*grad(loss, w2), sp.diff(loss, net["b2"]), *grad(loss, net["W1"]), *grad(loss, net["b1"])])
    yield claim("small_network_gradients", direct, small_network_formula(net, delta1))

    # rows form of the recursion: batch of N = 2, tanh hidden layer, identity output, mean MSE
    N = 2
    V = mat("v", N, 2, real=True)  # free symbols standing for Z⁽¹⁾
    W2, c2 = mat("W2_", 2, 2, real=True), vec("b2_", 2, real=True)
    Y = mat("Y", N, 2, real=True)
    A1 = V.applyfunc(sp.tanh)
    Z2 = A1 * W2.T + sp.ones(N, 1) * c2.T
    L = sum(r**2 for r in (Z2 - Y)) / (2 * N)
    Delta2 = (Z2 - Y) / N
    yield claim("batch_delta_recursion", grad(L, V),
                A1.applyfunc(lambda a: 1 - a**2).multiply_elementwise(Delta2 * W2))

    eps = sp.Symbol("epsilon", positive=True)
    f = S.sigmoid
    central = (f(x + eps) - f(x - eps)) / (2 * eps)
    forward = (f(x + eps) - f(x)) / eps
    d = [sp.diff(f(x), x, k) for k in range(4)]
    yield claim("finite_difference_orders",
                sp.Matrix([sp.series(central, eps, 0, 4).removeO(), sp.series(forward, eps, 0, 2).removeO()]),
                sp.Matrix([d[1] + d[3] * eps**2 / 6, d[1] + d[2] * eps / 2]))


@section({
    "delta_output_mse_sigmoid": ("δ_out = ∂L/∂z_out = (ŷ − y) ⊙ σ'(z_out) for ½‖y−ŷ‖²", "003; 002"),
    "delta_recursion": ("δ⁽¹⁾ = f'(z⁽¹⁾) ⊙ (W⁽²⁾ᵀ δ⁽²⁾), vs direct differentiation of a 2-layer net", "000 §4.4"),
    "weight_gradient_outer_product": ("∂L/∂W⁽ˡ⁾ = δ⁽ˡ⁾ a⁽ˡ⁻¹⁾ᵀ for both layers of a 2-layer net", "000 §4.4"),
    "bias_gradient": ("∂L/∂b⁽ˡ⁾ = δ⁽ˡ⁾ for both layers of a 2-layer net", "000 §4.4"),
    "batch_weight_gradient": ("batch form ∂(mean loss)/∂W = Δᵀ A_prev with Δ carrying 1/N", "CONTRIBUTING; 004"),
})
def two_layer(claim):
    net = two_layer_net()
    a0, y, W1, b1, W2, b2 = (net[k] for k in ("a0", "y", "W1", "b1", "W2", "b2"))
    z1, a1, z2, a2, loss = (net[k] for k in ("z1", "a1", "z2", "a2", "loss"))
    # the book's formulas, with f' written out (not obtained by differentiating)
    delta2 = (a2 - y).multiply_elementwise(a2.applyfunc(lambda v: v * (1 - v)))
    delta1 = a1.applyfunc(lambda v: 1 - v**2).multiply_elementwise(W2.T * delta2)

    # δ⁽²⁾ against differentiating the loss as a function of free symbols u standing for z⁽²⁾
    u2 = vec("u", z2.rows, real=True)
    L_of_z2 = S.mse(y, u2.applyfunc(S.sigmoid))
    yield claim("delta_output_mse_sigmoid", grad(L_of_z2, u2).subs(dict(zip(u2, z2))), delta2)
    # δ⁽¹⁾: the loss as a function of z⁽¹⁾ (symbols v), differentiated directly
    v1 = vec("v", z1.rows, real=True)
    L_of_z1 = S.mse(y, (W2 * v1.applyfunc(sp.tanh) + b2).applyfunc(S.sigmoid))
    yield claim("delta_recursion", grad(L_of_z1, v1).subs(dict(zip(v1, z1))), delta1)
    direct = sp.Matrix([*grad(loss, W1), *grad(loss, W2)])
    formula = sp.Matrix([*(delta1 * a0.T), *(delta2 * a1.T)])
    yield claim("weight_gradient_outer_product", direct, formula)
    yield claim("bias_gradient", sp.Matrix([*grad(loss, b1), *grad(loss, b2)]),
                sp.Matrix([*delta1, *delta2]))

    # batch (rows) form of one linear layer with mean squared error: dW = Δᵀ A_prev, Δ = (Z − Y)/N
    N, Mp, M = 2, 3, 2
    A, Y = mat("A", N, Mp, real=True), mat("Y", N, M, real=True)
    W, b = mat("W", M, Mp, real=True), vec("b", M, real=True)
    Z = A * W.T + sp.ones(N, 1) * b.T
    R = Z - Y
    L = sum(r**2 for r in R) / (2 * N)
    Delta = R / N
    yield claim("batch_weight_gradient", sp.Matrix([*grad(L, W), *grad(L, b)]),
                sp.Matrix([*(Delta.T * A), *(Delta.T * sp.ones(N, 1))]))


@section({
    "autodiff_example": ("∂σ(wx + b)/∂w at x=1, w=0, b=0 equals 1/4 (chain of h1..h6); ∂/∂b = 1/4, ∂/∂x = 0",
                         "000 §4.5"),
})
def autodiff(claim):
    # f(x; w, b) = 1/(exp(-(wx + b)) + 1) at x = 1, w = 0, b = 0
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
    yield claim("autodiff_example", sp.Matrix([direct[0], chain.subs(at), direct[1], direct[2]]),
                sp.Matrix([sp.Rational(1, 4), sp.Rational(1, 4), sp.Rational(1, 4), 0]))


@section({
    "bias_augmented_gradient": ("W̃ = [b W], ã = (1, a): W̃ã = Wa + b and ∂L/∂W̃ = δ ãᵀ (its first column is δ = ∂L/∂b), "
                                "W 2×3, for L with ∂L/∂z = δ", "003 (bias folded into W)"),
})
def augmented(claim):
    W, b, a, d = mat("w", 2, 3, real=True), vec("b", 2, real=True), vec("a", 3, real=True), vec("delta", 2, real=True)
    Wt, at = b.row_join(W), sp.Matrix([1]).col_join(a)
    L = (d.T * (Wt * at))[0]                       # a loss whose gradient with respect to z = W̃ã is δ
    yield claim("bias_augmented_gradient", sp.Matrix([*(Wt * at), *grad(L, Wt)]),
                sp.Matrix([*(W * a + b), *(d * at.T)]))


@section({
    "gate_patterns": ("with upstream gradient g: ∂g(u + v)/∂u = ∂g(u + v)/∂v = g (add distributes), ∂g·uv/∂u = gv, "
                      "∂g·uv/∂v = gu (multiply swaps), ∂g·max(u, v)/∂u = g I(u > v) (max routes; u ≠ v)",
                      "CS231n notes (backprop intuitions); 000 §4.5"),
    "sum_over_paths": ("1-2-2-1 network (tanh, logistic, linear output): ∂ŷ/∂x = Σ over the 4 paths x → i → j → ŷ of "
                       "w⁽¹⁾_i tanh'(z⁽¹⁾_i) w⁽²⁾_ji σ'(z⁽²⁾_j) w⁽³⁾_j", "001 §2.4.4 (several paths add up); Nielsen ch. 2"),
})
def graph_views(claim):
    u, v, g = sp.symbols("u v g", real=True)
    yield claim("gate_patterns",
                sp.Matrix([sp.diff(g * (u + v), u), sp.diff(g * (u + v), v), sp.diff(g * u * v, u),
                           sp.diff(g * u * v, v), sp.diff(g * sp.Max(u, v), u)]),
                sp.Matrix([g, g, g * v, g * u, g * sp.Piecewise((1, u > v), (0, True))]), almost_everywhere=True)

    w1, b1 = vec("u", 2, real=True), vec("c", 2, real=True)
    W2, b2 = mat("v", 2, 2, real=True), vec("d", 2, real=True)
    w3, b3 = vec("w", 2, real=True), sp.Symbol("e", real=True)
    # SymPy's own tanh, and the logistic function as (1 + tanh(q/2))/2 (claim tanh_logistic_relation): the
    # same functions as S.tanh and S.sigmoid, in the form whose derivatives SymPy cancels in a second, not ten
    q = sp.Symbol("q", real=True)
    logistic = sp.Lambda(q, (1 + sp.tanh(q / 2)) / 2)
    z1 = w1 * x + b1
    z2 = W2 * z1.applyfunc(sp.tanh) + b2
    y_hat = (w3.T * z2.applyfunc(logistic))[0] + b3
    # the local derivative of each activation node, as a function of its own input
    tanh_d, sig_d = sp.Lambda(q, sp.diff(sp.tanh(q), q)), sp.Lambda(q, sp.diff(logistic(q), q))
    paths = sum(w1[i] * tanh_d(z1[i]) * W2[j, i] * sig_d(z2[j]) * w3[j] for i in range(2) for j in range(2))
    yield claim("sum_over_paths", sp.diff(y_hat, x), paths)


SECTIONS = (worked_network, two_layer, augmented, autodiff, graph_views)
DESCRIPTIONS = descriptions_of(SECTIONS)
