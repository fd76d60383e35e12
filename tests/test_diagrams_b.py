"""nnlib.diagrams, the figures of the Backpropagation and Generalization chapters: what is drawn follows
from the arguments (units, crosses, edges, nodes, shapes) and agrees with the library's arrays."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from nnlib import diagrams, layers
from nnlib.network import MLP


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _lines(ax, gid):
    return [line for line in ax.lines if line.get_gid() == gid]


@pytest.mark.parametrize("sizes,kept", [
    ([4, 5, 5, 3], [[1, 0, 1, 1, 0], [0, 1, 1, 0, 1]]),
    ([2, 3, 1], [[1, 1, 1]]),
    ([3, 4, 2], [[0, 0, 0, 0]]),
])
def test_dropout_crosses_dropped_units_and_drops_their_edges(sizes, kept):
    kept = [np.array(k, bool) for k in kept]
    ax = diagrams.draw_dropout(sizes, kept)
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    assert len(circles) == sum(sizes)
    n_dropped = sum(int((~k).sum()) for k in kept)
    assert sum(c.get_linestyle() == "--" for c in circles) == n_dropped
    assert len(_lines(ax, "dropped")) == 2 * n_dropped
    masks = [np.ones(sizes[0], bool), *kept, np.ones(sizes[-1], bool)]
    expected_edges = sum(int(a.sum()) * int(b.sum()) for a, b in zip(masks, masks[1:]))
    assert len(_lines(ax, "edge")) == expected_edges


def test_dropout_figure_of_a_real_mask():
    """The masks of layers.dropout_forward, drawn: one cross per zero of the mask."""
    net = MLP([6, 8, 8, 2], ["relu", "relu", "softmax"], "cce", rng=0)
    masks = [layers.dropout_forward(np.ones(8), 0.5, rng=s)[1] != 0 for s in (3, 4)]
    ax = diagrams.draw_dropout(net, masks)
    assert len(_lines(ax, "dropped")) == 2 * sum(int((~m).sum()) for m in masks) > 0


@pytest.mark.parametrize("kept,exc,match", [
    ([np.ones(5, bool)], TypeError, "kept must be a sequence of 2 boolean arrays"),
    ([np.ones(5, bool), np.ones(4, bool)], ValueError, r"kept\[1\] must be a boolean array of shape \(5,\)"),
    ([np.ones(5), np.ones(5, bool)], ValueError, r"kept\[0\] must be a boolean array"),
    ("01", TypeError, "kept must be a sequence"),
])
def test_dropout_refuses_masks_that_do_not_fit(kept, exc, match):
    with pytest.raises(exc, match=match):
        diagrams.draw_dropout([4, 5, 5, 3], kept)


def test_dropout_draws_every_neuron_so_layers_are_small():
    with pytest.raises(ValueError, match="at most 10 per layer"):
        diagrams.draw_dropout([4, 11, 3], [np.ones(11, bool)])


def test_layer_graph_nodes_have_the_shapes_of_the_library_arrays():
    sizes, N = [5, 4, 3, 2], 7
    nodes = diagrams.layer_graph_nodes(sizes, batch="N")
    L = len(sizes) - 1
    assert len(nodes["operations"]) == 2 * L + 1
    assert [n for n, _ in nodes["variables"]] == ["x", "z1", "a1", "z2", "a2", "z3", "a3", "y", "L"]
    net = MLP(sizes, ["tanh", "relu", "softmax"], "cce", rng=0)
    X, y = np.random.default_rng(0).normal(size=(N, 5)), np.arange(N) % 2
    _, grads = net.gradients(X, y)
    shape = {name: tuple(N if s == "N" else s for s in shp)
             for name, shp in nodes["variables"] + nodes["parameters"] + nodes["gradients"]}
    for l, (layer, g) in enumerate(zip(net.layers, grads), start=1):
        assert shape[f"W{l}"] == layer.W.shape == g["W"].shape == shape[f"dW{l}"]
        assert shape[f"b{l}"] == layer.b.shape == g["b"].shape == shape[f"db{l}"]
    a = X
    for l, layer in enumerate(net.layers, start=1):
        z, cache = layers.dense_forward(a, layer.W, layer.b)
        da_prev, dW, db = layers.dense_backward(np.ones_like(z), cache)
        assert shape[f"z{l}"] == z.shape == shape[f"delta{l}"]
        assert dW.shape == shape[f"dW{l}"] and db.shape == shape[f"db{l}"]
        if l > 1:
            assert da_prev.shape == shape[f"da{l - 1}"] == shape[f"a{l - 1}"]
        a = layer.forward(a)
    assert shape["x"] == X.shape and shape[f"a{L}"] == a.shape and shape["L"] == ()


@pytest.mark.parametrize("sizes", [[4, 3, 2], [3, 5, 4, 2], [2, 1]])
def test_layer_graph_counts(sizes):
    L = len(sizes) - 1
    ax = diagrams.draw_layer_graph(sizes)
    assert sum(isinstance(p, Circle) for p in ax.patches) == 2 * L + 1
    forward_boxes = (2 * L + 3) + 2 * L            # x, z, a per layer, y, loss; W and b per layer
    backward_boxes = 2 * L + 2 * L                 # dL/dŷ, δ per layer, dL/da of hidden layers; dW, db
    assert sum(isinstance(p, FancyBboxPatch) for p in ax.patches) == forward_boxes + backward_boxes
    backward = [p for p in ax.patches if isinstance(p, FancyArrowPatch) and p.get_gid() == "backward"]
    assert len(backward) == 4 * L and all(p.get_linestyle() == "--" for p in backward)
    texts = [t.get_text() for t in ax.texts]
    for l in range(1, L + 1):
        assert f"({sizes[l]}, {sizes[l - 1]})" in texts and f"(N, {sizes[l]})" in texts
        assert f"$\\delta^{{({l})}}$" in texts


def test_layer_graph_without_the_backward_lane_and_with_another_batch_name():
    ax = diagrams.draw_layer_graph([4, 3, 2], backward=False, batch="B")
    assert not [p for p in ax.patches if isinstance(p, FancyArrowPatch) and p.get_gid() == "backward"]
    assert sum(isinstance(p, FancyBboxPatch) for p in ax.patches) == 7 + 4
    assert "(B, 3)" in [t.get_text() for t in ax.texts]


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(backward="yes"), TypeError, "backward must be True or False"),
    (dict(batch=""), TypeError, "batch must be a non-empty str"),
    (dict(batch=3), TypeError, "batch must be a non-empty str"),
])
def test_layer_graph_arguments_are_checked(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        diagrams.draw_layer_graph([4, 3, 2], **kwargs)
