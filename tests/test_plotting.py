"""Tests for nnlib.plotting: each figure draws what it claims, on the Agg backend, without warnings."""

import warnings

import matplotlib

matplotlib.use("Agg")  # before pyplot: tests never open windows

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PathCollection

from nnlib import data, plotting


@pytest.fixture(autouse=True)
def _no_warnings_and_close():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
    plt.close("all")


class _Cube:
    """A minimal activation-like object: __call__ and derivative."""

    name = "cube"

    def __call__(self, z):
        return np.asarray(z) ** 3

    def derivative(self, z):
        return 3 * np.asarray(z) ** 2


def test_plot_activation_object_draws_function_and_derivative():
    ax = plotting.plot_activation(_Cube(), z_range=(-2, 2), n=101)
    lines = ax.get_lines()
    f_line, df_line = [ln for ln in lines if ln.get_label() in ("cube(z)", "cube'(z)")]
    z = f_line.get_xdata()
    assert z[0] == -2 and z[-1] == 2 and z.size == 101
    np.testing.assert_allclose(f_line.get_ydata(), z**3)
    np.testing.assert_allclose(df_line.get_ydata(), 3 * z**2)
    assert ax.get_title() == "cube"


def test_plot_activation_by_name_uses_registry():
    fig, ax = plt.subplots()
    out = plotting.plot_activation("sigmoid", z_range=(-1e4, 1e4), ax=ax)  # huge range: no overflow
    assert out is ax
    f_line, df_line = ax.get_lines()[:2]
    z, s = f_line.get_xdata(), f_line.get_ydata()
    np.testing.assert_allclose(s, 0.5 * (1 + np.tanh(z / 2)), atol=1e-15)
    np.testing.assert_allclose(df_line.get_ydata(), s * (1 - s), atol=1e-15)


def test_plot_activation_plain_callable_has_no_derivative_line():
    ax = plotting.plot_activation(np.tanh, n=11)
    assert [ln.get_label() for ln in ax.get_lines() if "(z)" in ln.get_label()] == ["tanh(z)"]


def test_plot_decision_boundary_regions_and_points():
    X, y = data.two_moons(60, noise=0.05, rng=0)
    predict = lambda P: (P[:, 1] < 0.25).astype(int)  # a horizontal boundary at x2 = 0.25
    ax = plotting.plot_decision_boundary(predict, X, y, resolution=50)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) == 2
    drawn = np.vstack([s.get_offsets() for s in scatters])
    np.testing.assert_allclose(np.sort(drawn, axis=0), np.sort(X, axis=0))
    assert sorted(len(s.get_offsets()) for s in scatters) == sorted(np.bincount(y).tolist())
    # the filled regions: two class bands, split where the predictor flips
    contour = [c for c in ax.collections if not isinstance(c, PathCollection)]
    assert len(contour) == 1
    np.testing.assert_allclose(contour[0].levels, [-0.5, 0.5, 1.5])
    assert ax.get_xlim()[0] == pytest.approx(X[:, 0].min() - 0.5)


def test_plot_decision_boundary_accepts_probabilities_and_scores():
    X, y = data.spirals(90, k=3, noise=0.1, rng=1)
    W = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    ax = plotting.plot_decision_boundary(lambda P: P @ W.T, X, y, resolution=30)
    assert len([c for c in ax.collections if isinstance(c, PathCollection)]) == 3
    Xb, yb = data.truth_table("and")
    prob = lambda P: 1 / (1 + np.exp(-(P @ [5.0, 5.0] - 7.5)))[:, None]
    ax2 = plotting.plot_decision_boundary(prob, Xb, yb, resolution=20)
    assert len(ax2.collections) == 3
    # a constant classifier still draws (and does not warn about missing contour levels)
    plotting.plot_decision_boundary(lambda P: np.zeros(len(P), dtype=int), Xb, yb, resolution=10)


def test_plot_decision_boundary_bad_input():
    X, y = data.truth_table("xor")
    with pytest.raises(ValueError, match="2 features"):
        plotting.plot_decision_boundary(lambda P: P[:, 0], np.zeros((4, 3)), y)
    with pytest.raises(ValueError, match=r"X has 4 samples but y has shape \(3,\)"):
        plotting.plot_decision_boundary(lambda P: P[:, 0], X, y[:3])
    with pytest.raises(ValueError, match=r"predict_fn must return shape"):
        plotting.plot_decision_boundary(lambda P: P[:5, 0], X, y, resolution=5)
    with pytest.raises(TypeError, match="predict_fn"):
        plotting.plot_decision_boundary("model", X, y)
    with pytest.raises(ValueError, match="integer class labels"):
        plotting.plot_decision_boundary(lambda P: P[:, 0], X, y + 0.5)
    with pytest.raises(ValueError, match="y contains a non-finite"):
        plotting.plot_decision_boundary(lambda P: P[:, 0], X, np.array([0, 1, np.nan, 0]))


def test_plot_decision_boundary_signed_labels_from_a_sign_perceptron():
    from nnlib import perceptron

    X, t = data.truth_table("or", signed=True)
    res = perceptron.train_perceptron(X, t, rule="sign", lr=0.5)
    ax = plotting.plot_decision_boundary(res.predict, X, t, resolution=40)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [s.get_label() for s in scatters] == ["class -1", "class 1"]
    np.testing.assert_array_equal(res.predict(X), t)
    # band 0 is label -1 and band 1 is label +1: each label's points and region share one colour
    (regions,) = [c for c in ax.collections if not isinstance(c, PathCollection)]
    fills = regions.get_facecolor()[:, :3]
    for s, level in zip(scatters, [0, 1]):
        np.testing.assert_allclose(s.get_facecolor()[0, :3], fills[level])


class _FakeHistory:
    def __init__(self, loss, val_loss=()):
        self.loss, self.val_loss = list(loss), list(val_loss)


def test_plot_loss_curves_single_and_dict():
    ax = plotting.plot_loss_curves([3.0, 2.0, 1.5])
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(line.get_ydata(), [3.0, 2.0, 1.5])
    runs = {"sgd": _FakeHistory([1.0, 0.5], [1.1, 0.7]), "batch": np.array([1.0, 0.9, 0.8, 0.7])}
    ax = plotting.plot_loss_curves(runs, log=True)
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert labels == ["sgd train", "sgd validation", "batch"]
    assert ax.get_yscale() == "log"
    assert ax.get_lines()[1].get_linestyle() == "--"
    assert len(ax.get_legend().get_texts()) == 3


def test_plot_loss_curves_from_training_results():
    from nnlib import perceptron

    X, y = data.truth_table("and")
    res = perceptron.train_perceptron(X, y)
    ax = plotting.plot_loss_curves({"perceptron errors": res}, ylabel="mistakes")
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), res.history)
    assert ax.get_ylabel() == "mistakes"


def test_plot_loss_curves_bad_input():
    with pytest.raises(ValueError, match="non-finite"):
        plotting.plot_loss_curves([1.0, np.nan])
    with pytest.raises(TypeError, match="history"):
        plotting.plot_loss_curves(3.0)
    with pytest.raises(ValueError, match="log=True"):
        plotting.plot_loss_curves([1.0, 0.0], log=True)
    with pytest.raises(ValueError, match="empty"):
        plotting.plot_loss_curves({})


def test_plot_approximation_lines_and_training_points():
    f = data.target_function("sin")
    x, y = data.sample_1d(f, 40, rng=0)
    xs = np.linspace(-np.pi, np.pi, 50)[::-1]  # unsorted input is sorted for drawing
    approx = {"poly3": lambda X: X[:, 0] - X[:, 0] ** 3 / 6, "zero": np.zeros(50)}
    ax = plotting.plot_approximation(xs, f, approx, X_train=x, y_train=y)
    target, poly, zero = ax.get_lines()
    assert [target.get_label(), poly.get_label(), zero.get_label()] == ["target", "poly3", "zero"]
    xd = target.get_xdata()
    assert np.all(np.diff(xd) > 0)
    np.testing.assert_allclose(target.get_ydata(), np.sin(xd))
    np.testing.assert_allclose(poly.get_ydata(), xd - xd**3 / 6)
    (pts,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    np.testing.assert_allclose(pts.get_offsets(), np.column_stack([x[:, 0], y[:, 0]]))


def test_plot_approximation_bad_input():
    x = np.linspace(0, 1, 5)
    with pytest.raises(ValueError, match="f_approx.*4 values"):
        plotting.plot_approximation(x, np.sin, np.zeros(4))
    with pytest.raises(ValueError, match="together"):
        plotting.plot_approximation(x, np.sin, np.sin, X_train=x)
    with pytest.raises(ValueError, match=r"\(n,\) or \(n, 1\)"):
        plotting.plot_approximation(np.zeros((5, 2)), np.sin, np.sin)
