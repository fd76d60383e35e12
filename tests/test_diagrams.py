"""nnlib.diagrams: each drawing reflects its input (node counts, labels carrying the values)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from nnlib import autodiff, diagrams


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _count(ax, kind):
    return sum(isinstance(p, kind) for p in ax.patches)


def _texts(ax):
    return [t.get_text() for t in ax.texts]


@pytest.mark.parametrize("D", [1, 3, 6])
def test_neuron_has_one_circle_per_input_plus_bias_and_body(D):
    ax = diagrams.draw_neuron(D, activation="f")
    assert _count(ax, Circle) == D + 2          # x_1..x_D, the constant input of b, the Σ body
    texts = _texts(ax)
    for d in range(1, D + 1):
        assert f"$w_{{{d}}}$" in texts and f"$x_{{{d}}}$" in texts
    assert "$b$" in texts and "$z$" in texts and "$f$" in texts
    assert f"$w_{{{D + 1}}}$" not in texts


@pytest.mark.parametrize("sizes", [[2, 3, 1], [3, 4, 4, 2], [1, 1]])
def test_network_draws_sum_of_sizes_neurons_in_the_notation_table(sizes):
    ax = diagrams.draw_network(sizes)
    assert _count(ax, Circle) == sum(sizes)
    texts = _texts(ax)
    for l, m in enumerate(sizes):
        assert f"$M_{{{l}}} = {m}$" in texts
    for l in range(1, len(sizes)):  # W^(l) with the shape (M_l, M_{l-1}) of CONTRIBUTING's table
        assert f"$W^{{({l})}}$\n$({sizes[l]}, {sizes[l - 1]})$" in texts
    # every pair of neurons in consecutive layers is connected: one line each
    assert len(ax.lines) == sum(a * b for a, b in zip(sizes, sizes[1:]))


def test_network_accepts_an_mlp_and_truncates_wide_layers():
    from nnlib.network import MLP

    net = MLP([64, 32, 10], ["tanh", "softmax"], "cce", rng=0)
    ax = diagrams.draw_network(net, max_neurons=8)
    # layers of 64 and 32 show 6 + the last neuron; the 10-wide output too (10 > 8)
    assert _count(ax, Circle) == 7 + 7 + 7
    texts = _texts(ax)
    assert texts.count(r"$\vdots$") == 3
    assert "$M_{0} = 64$" in texts and "$W^{(1)}$\n$(32, 64)$" in texts and "$W^{(2)}$\n$(10, 32)$" in texts
    assert "$x_{64}$" in texts and "$x_{7}$" not in texts


def test_structures_three_panels():
    axes = diagrams.draw_structures()
    assert len(axes) == 3
    assert [_count(ax, Circle) for ax in axes] == [6, 5, 6]
    titles = [ax.get_title() for ax in axes]
    assert titles[0].startswith("feedforward") and titles[1].startswith("memory") and titles[2].startswith("graph")
    # the memory network has self-loops (recurrent edges); the feedforward one only forward edges
    ff_arrows = [p for p in axes[0].patches if isinstance(p, FancyArrowPatch)]
    assert len(ff_arrows) == 3 * 2 + 2 * 1


def test_computational_graph_of_the_lecture_example_carries_values_and_gradients():
    table = autodiff.sigmoid_example()
    out = table.nodes["h6"]
    ax = diagrams.draw_computational_graph(out)
    nodes = out.graph()
    assert _count(ax, FancyBboxPatch) == len(nodes)
    texts = _texts(ax)
    for n in nodes:
        assert diagrams.node_label(n) in texts
    w_text = diagrams.node_label(table.nodes["w"])
    assert "value 0\n" in w_text and w_text.endswith("grad 0.25")
    assert diagrams.node_label(out).endswith("value 0.5\ngrad 1")
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == sum(len(n.children) for n in nodes)


def test_computational_graph_follows_a_different_value():
    a, b = autodiff.Value(2.0, "a"), autodiff.Value(-3.0, "b")
    c = a * b + a.tanh()
    c.label = "c"
    c.backward()
    ax = diagrams.draw_computational_graph(c, digits=3)
    texts = _texts(ax)
    assert _count(ax, FancyBboxPatch) == len(c.graph())
    expected_grad_a = -3.0 + (1 - np.tanh(2.0) ** 2)
    assert f"a\nvalue 2\ngrad {expected_grad_a:.3g}" in texts
    assert f"b\nvalue -3\ngrad {2.0:.3g}" in texts


def test_relu_hats_sum_is_the_linear_interpolant():
    f = lambda x: np.sin(3 * x)
    x, pieces, F = diagrams.relu_hat_pieces(f, -np.pi, np.pi, 12)
    assert pieces.shape == (13, x.size)
    t = np.linspace(-np.pi, np.pi, 13)
    assert np.allclose(F, np.interp(x, t, f(t)))
    ax = diagrams.draw_relu_hats(f, -np.pi, np.pi, 12)
    assert len(ax.lines) == 13 + 2                       # one per hat, f, and the sum
    assert np.allclose(ax.lines[-1].get_ydata(), F)


def test_sigmoid_steps_sum_is_the_staircase():
    f = np.cos
    x, pieces, const, F = diagrams.sigmoid_step_pieces(f, 0.0, 3.0, 6, beta_h=20.0)
    t = np.linspace(0.0, 3.0, 7)
    s, beta = 0.5 * (t[:-1] + t[1:]), 20.0 / (t[1] - t[0])
    staircase = f(t[0]) + (1 / (1 + np.exp(-beta * (x[:, None] - s)))) @ np.diff(f(t))
    assert pieces.shape == (6, x.size) and const == f(0.0)
    assert np.allclose(F, staircase)
    ax = diagrams.draw_sigmoid_steps(f, 0.0, 3.0, 6)
    assert len(ax.lines) == 6 + 1 + 2                    # one per neuron, the constant, f, the sum
    assert np.allclose(ax.lines[-1].get_ydata(), F)


@pytest.mark.parametrize("call, exc, words", [
    (lambda: diagrams.draw_neuron(0), ValueError, "n_inputs"),
    (lambda: diagrams.draw_neuron(2, activation=3), TypeError, "activation"),
    (lambda: diagrams.draw_network([3]), TypeError, "sizes"),
    (lambda: diagrams.draw_network([3, 0, 2]), ValueError, "sizes[1]"),
    (lambda: diagrams.draw_network([3, 2], max_neurons=2), ValueError, "max_neurons"),
    (lambda: diagrams.draw_computational_graph(1.0), TypeError, "autodiff.Value"),
    (lambda: diagrams.draw_relu_hats(np.sin, 1.0, 0.0, 4), ValueError, "lo < hi"),
    (lambda: diagrams.draw_sigmoid_steps("sin", 0.0, 1.0, 4), TypeError, "callable"),
    (lambda: diagrams.draw_sigmoid_steps(np.sin, 0.0, 1.0, 4, beta_h=0.0), ValueError, "beta_h"),
    (lambda: diagrams.draw_structures(axes=[None, None]), ValueError, "3 Axes"),
    (lambda: diagrams.draw_neuron(2, ax="not an axes"), TypeError, "ax"),
])
def test_bad_arguments_are_named(call, exc, words):
    with pytest.raises(exc, match=None) as info:
        call()
    assert words in str(info.value)
