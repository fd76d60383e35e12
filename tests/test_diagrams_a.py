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
