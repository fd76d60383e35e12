"""Drawing functions added for the chapters neurons .. universal approximation (stream chapters-a).

Each test reads back what was drawn (patches, texts, line data) and compares it with the arguments, so a
figure cannot silently disagree with the numbers its page states.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.patches import Circle, FancyArrowPatch

from nnlib import diagrams


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(ax):
    return [t.get_text() for t in ax.texts]


# ----------------------------------------------------------------------------- draw_mp_neuron
@pytest.mark.parametrize("w, theta, K, weight_texts, theta_text", [
    ([-1, 2, -1], 0.5, 1, ["$w_{1} = -1$", "$w_{2} = 2$", "$w_{3} = -1$"], r"$\geq \theta = \frac{1}{2}$"),
    ([1, 1], 2, 0, ["$w_{1} = 1$", "$w_{2} = 1$"], r"$\geq \theta = 2$"),
    ([0.25], -1.5, 2, [r"$w_{1} = \frac{1}{4}$"], r"$\geq \theta = -\frac{3}{2}$"),
    ([0.3, -2], 0.1, 0, ["$w_{1} = 0.3$", "$w_{2} = -2$"], r"$\geq \theta = 0.1$"),
])
def test_mp_neuron_draws_its_weights_threshold_and_inhibitory_inputs(w, theta, K, weight_texts, theta_text):
    ax = diagrams.draw_mp_neuron(w, theta, n_inhibitory=K)
    n = len(w)
    assert sum(isinstance(p, Circle) for p in ax.patches) == n + K + 1
    texts = _texts(ax)
    assert [t for t in texts if t.startswith("$w_")] == weight_texts
    assert theta_text in texts and texts.count("inhibitory") == K
    assert [f"$x_{{{i}}}$" for i in range(1, n + K + 1)] == [t for t in texts if t.startswith("$x_")]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == n + K + 1                                   # one edge per input, and the output
    # inhibitory edges are the red ones and end in a bar, excitatory edges in an arrowhead
    red = [p for p in arrows if p.get_edgecolor() == to_rgba("C3")]
    assert len(red) == K
    assert all(type(p.get_arrowstyle()).__name__ == "BracketB" for p in red)
    assert all(type(p.get_arrowstyle()).__name__ == "CurveFilledB" for p in arrows if p not in red)


def test_mp_neuron_draws_on_a_given_axes():
    fig, ax = plt.subplots()
    assert diagrams.draw_mp_neuron([1], 1, ax=ax) is ax


@pytest.mark.parametrize("call, exc, words", [
    (lambda: diagrams.draw_mp_neuron([], 1), ValueError, "w must be"),
    (lambda: diagrams.draw_mp_neuron([1, np.nan], 1), ValueError, "finite"),
    (lambda: diagrams.draw_mp_neuron([[1, 2]], 1), ValueError, "1-D"),
    (lambda: diagrams.draw_mp_neuron([1], "one"), TypeError, "theta"),
    (lambda: diagrams.draw_mp_neuron([1], 1, n_inhibitory=-1), ValueError, "n_inhibitory"),
    (lambda: diagrams.draw_mp_neuron([1], 1, ax="no axes"), TypeError, "ax"),
])
def test_mp_neuron_bad_arguments_are_named(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    assert words in str(info.value)


# ----------------------------------------------------------------------------- plot_novikoff
def _run():
    """Weights after each mistake of a tiny run: start 0, then three updates y x with unit-norm u."""
    W = np.array([[0.0, 0.0], [1.0, 0.5], [1.5, 1.5], [2.5, 1.0]])
    u = np.array([0.6, 0.8])
    return W, u


def test_novikoff_plot_draws_the_proof_quantities_and_bounds():
    from nnlib import plotting

    W, u = _run()
    gamma, R, eta = 0.4, 1.3, 1.0
    ax = plotting.plot_novikoff(W, u, gamma, R, eta=eta)
    align, lower, length, upper = ax.lines[:4]
    k = np.arange(1, 4)
    assert np.array_equal(align.get_xdata(), k) and np.allclose(align.get_ydata(), W[1:] @ u)
    assert np.allclose(length.get_ydata(), np.linalg.norm(W[1:], axis=1))
    kk = lower.get_xdata()
    assert np.allclose(lower.get_ydata(), kk * eta * gamma) and np.allclose(upper.get_ydata(), np.sqrt(kk) * eta * R)
    # the bounds are drawn far enough to cross, and the dotted line marks where: k = (R/γ)²
    assert kk.max() > (R / gamma) ** 2
    vline = ax.lines[4]
    assert np.allclose(vline.get_xdata(), (R / gamma) ** 2)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_novikoff_plot_scales_with_the_learning_rate():
    from nnlib import plotting

    W, u = _run()
    ax = plotting.plot_novikoff(0.5 * W, u, 0.4, 1.3, eta=0.5)
    assert np.allclose(ax.lines[1].get_ydata(), ax.lines[1].get_xdata() * 0.5 * 0.4)


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(W=np.zeros((1, 2))), ValueError, "at least one mistake"),
    (dict(W=np.array([[1.0, 0.0], [1.0, 1.0]])), ValueError, "W[0] must be the start"),
    (dict(u=np.array([1.0, 1.0])), ValueError, "unit vector"),
    (dict(u=np.array([1.0, 0.0, 0.0])), ValueError, "u has shape (3,)"),
    (dict(gamma=0.0), ValueError, "gamma"),
    (dict(R=-1.0), ValueError, "R"),
    (dict(eta=0.0), ValueError, "eta"),
    (dict(W=np.array([[0.0, 0.0], [np.inf, 1.0]])), ValueError, "W"),
    (dict(ax="no axes"), TypeError, "ax"),
])
def test_novikoff_plot_bad_arguments_are_named(kwargs, exc, words):
    from nnlib import plotting

    W, u = _run()
    args = dict(W=W, u=u, gamma=0.4, R=1.3)
    args.update(kwargs)
    with pytest.raises(exc) as info:
        plotting.plot_novikoff(**args)
    assert words in str(info.value)
