"""gradcheck: numerical_gradient on functions with known gradients, relative_error, and
check_gradients on networks whose gradients are right (must pass) or subtly wrong (must fail)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nnlib import activations as A
from nnlib import losses as L
from nnlib.gradcheck import GradCheckReport, check_gradients, numerical_gradient, relative_error

SETTINGS = settings(max_examples=30, deadline=None)

arrays_any_shape = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4),
    elements=st.floats(-3, 3, allow_nan=False, allow_subnormal=False),
)


# ------------------------------------------------------------------------- numerical_gradient

@SETTINGS
@given(x=arrays_any_shape)
def test_numerical_gradient_of_known_function_any_shape(x):
    f = lambda v: float(np.sum(v**3) + np.sum(np.sin(v)))  # noqa: E731
    before = x.copy()
    g = numerical_gradient(f, x)
    assert g.shape == x.shape and g.dtype == np.float64
    np.testing.assert_allclose(g, 3 * before**2 + np.cos(before), rtol=1e-7, atol=1e-8)
    np.testing.assert_array_equal(x, before)  # restored bit for bit


def test_numerical_gradient_error_is_second_order():
    # Centred differences: error ~ f'''·eps²/6. For exp at 0 with eps = 1e-3 that is ≈ 1.7e-7,
    # whereas a one-sided difference would be off by ≈ 5e-4.
    x = np.zeros(1)
    g = numerical_gradient(lambda v: float(np.exp(v[0])), x, eps=1e-3)
    assert abs(g[0] - 1.0) == pytest.approx(1e-6 / 6, rel=1e-2)


def test_numerical_gradient_perturbs_in_place_and_restores_on_error():
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    seen = []

    def f(_):
        seen.append(w.copy())  # f reads the live array, not its argument
        if len(seen) == 3:
            raise RuntimeError("boom")
        return float(w.sum())

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, w)
    np.testing.assert_array_equal(w, [[1.0, 2.0], [3.0, 4.0]])
    assert seen[0][0, 0] == 1.0 + 1e-6 and seen[1][0, 0] == 1.0 - 1e-6


def test_numerical_gradient_subset_of_indices():
    x = np.arange(6.0).reshape(2, 3)
    g = numerical_gradient(lambda v: float(np.sum(v**2)), x, indices=[(1, 2), (0, 0)])
    np.testing.assert_allclose(g, [[0, 0, 0], [0, 0, 10]], atol=1e-8)


def test_numerical_gradient_bad_input():
    f = lambda v: float(v.sum())  # noqa: E731
    with pytest.raises(TypeError, match=r"x must be float64 .* got x with shape \(2,\) and dtype float32"):
        numerical_gradient(f, np.zeros(2, dtype=np.float32))
    with pytest.raises(TypeError, match="x must be a numpy array .* got list"):
        numerical_gradient(f, [0.0, 1.0])
    with pytest.raises(TypeError, match="f must be callable, got int"):
        numerical_gradient(3, np.zeros(2))
    with pytest.raises(ValueError, match="eps must be > 0.0, got -1e-06"):
        numerical_gradient(f, np.zeros(2), eps=-1e-6)
    with pytest.raises(ValueError, match=r"x contains a non-finite value \(nan\) at index 1"):
        numerical_gradient(f, np.array([0.0, np.nan]))
    with pytest.raises(TypeError, match=r"f must return a real scalar, got ndarray with shape \(2,\)"):
        numerical_gradient(lambda v: v * 2, np.zeros(2))
    with pytest.raises(ValueError, match=r"f returned a non-finite value inf"):
        numerical_gradient(lambda v: float(np.inf), np.zeros(2))
    ro = np.zeros(2)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match=r"x \(shape \(2,\)\) is read-only"):
        numerical_gradient(f, ro)


# ------------------------------------------------------------------------- relative_error

@SETTINGS
@given(a=arrays_any_shape, seed=st.integers(0, 2**32 - 1))
def test_relative_error_properties(a, seed):
    b = a + np.random.default_rng(seed).normal(size=a.shape)
    assert relative_error(a, a) == 0.0
    e = relative_error(a, b)
    assert e == relative_error(b, a)
    assert 0.0 <= e <= 1.0
    assert relative_error(a, 2 * a) == pytest.approx(1 / 3) if np.any(a) else True


def test_relative_error_definition_and_errors():
    assert relative_error([1.0, 2.0], [1.0, 2.5]) == pytest.approx(0.5 / 4.5)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error([1e-300], [-1e-300]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"a has shape \(2,\) but b has shape \(3,\)"):
        relative_error(np.zeros(2), np.zeros(3))
    with pytest.raises(TypeError, match="b must be a numeric array"):
        relative_error(np.zeros(2), "ab")


# ------------------------------------------------------------------------- check_gradients

class TinyNet:
    """A two-layer network written out by hand, with the MLP API used by check_gradients.

    Layer 1: Dense + PReLU (learnable slope), layer 2: Dense + identity, softmax cross-entropy.
    ``bug`` scales one gradient slightly, to prove that the check catches it.
    """

    def __init__(self, rng, bug=None):
        self.W1, self.b1 = rng.normal(size=(4, 3)), rng.normal(size=4) * 0.1
        self.W2, self.b2 = rng.normal(size=(3, 4)), rng.normal(size=3) * 0.1
        self.act = A.get("prelu", gamma=0.2, size=4)
        self.loss_fn = L.get("softmax_ce")
        self.bug = bug

    def params(self):
        return [{"W": self.W1, "b": self.b1, **self.act.params}, {"W": self.W2, "b": self.b2}]

    def _forward(self, X):
        z1 = X @ self.W1.T + self.b1
        a1, c1 = self.act.forward(z1)
        return a1, c1, a1 @ self.W2.T + self.b2

    def loss(self, X, Y):
        return self.loss_fn(self._forward(X)[2], Y)

    def gradients(self, X, Y):
        a1, c1, z2 = self._forward(X)
        delta2 = self.loss_fn.backward(z2, Y)
        g2 = {"W": delta2.T @ a1, "b": delta2.sum(0)}
        delta1 = self.act.backward(delta2 @ self.W2, c1)
        g1 = {"W": delta1.T @ X, "b": delta1.sum(0), "gamma": self.act.grads["gamma"]}
        grads = [g1, g2]
        if self.bug:
            layer, key = self.bug
            grads[layer - 1][key] = grads[layer - 1][key] * 1.001
        return self.loss_fn(z2, Y), grads


def data(rng, n=6):
    return rng.normal(size=(n, 3)), rng.integers(0, 3, size=n)


def test_check_gradients_passes_on_correct_gradients():
    rng = np.random.default_rng(0)
    net = TinyNet(rng)
    X, Y = data(rng)
    before = [{k: v.copy() for k, v in d.items()} for d in net.params()]
    report = check_gradients(net, X, Y)
    assert isinstance(report, GradCheckReport)
    assert [(r.layer, r.param) for r in report.rows] == [(1, "W"), (1, "b"), (1, "gamma"), (2, "W"), (2, "b")]
    assert report.max_error < 1e-7 and report.ok(1e-6)
    assert report.loss == pytest.approx(net.loss(X, Y))
    for d, b in zip(net.params(), before):  # every parameter restored
        for k in d:
            np.testing.assert_array_equal(d[k], b[k])
    # the printed table: a header, a rule, one line per row showing its numbers, the summary
    lines = str(report).splitlines()
    assert len(lines) == 2 + len(report.rows) + 1
    for line, r in zip(lines[2:], report.rows):
        assert line.split() == [str(r.layer), r.param, *str(r.shape).split(), str(r.checked),
                                f"{r.rel_error:.2e}", f"{r.abs_error:.2e}"]
    assert f"{report.max_error:.2e}" in lines[-1]
    assert "<table>" in report._repr_html_()


@pytest.mark.parametrize("bug", [(1, "W"), (1, "gamma"), (2, "b")])
def test_check_gradients_catches_a_wrong_gradient(bug):
    rng = np.random.default_rng(1)
    net = TinyNet(rng, bug=bug)
    X, Y = data(rng)
    report = check_gradients(net, X, Y)
    assert not report.ok(1e-6)
    worst = max(report.rows, key=lambda r: r.rel_error)
    assert (worst.layer, worst.param) == bug
    assert worst.rel_error == pytest.approx(0.001 / 2.001, rel=1e-3)
    assert all(r.rel_error < 1e-7 for r in report.rows if (r.layer, r.param) != bug)


def test_check_gradients_random_subset():
    rng = np.random.default_rng(2)
    net = TinyNet(rng, bug=(2, "W"))
    X, Y = data(rng)
    report = check_gradients(net, X, Y, max_entries=2, rng=3)
    assert [r.checked for r in report.rows] == [2, 2, 2, 2, 2]
    assert not report.ok()


def test_check_gradients_on_the_course_mlp():
    """Integration with nnlib.network.MLP (tanh and PReLU hidden layers, softmax + CCE output)."""
    from nnlib.network import MLP

    rng = np.random.default_rng(4)
    X = rng.normal(size=(5, 3))
    Y = rng.integers(0, 3, size=5)
    net = MLP([3, 4, 4, 3], [A.get("tanh"), A.get("prelu", size=4), A.get("softmax")], "cce", rng=0)
    report = check_gradients(net, X, Y)
    assert report.ok(1e-6), str(report)
    assert {(r.layer, r.param) for r in report.rows} >= {(1, "W"), (2, "gamma"), (3, "b")}


def test_check_gradients_bad_input():
    with pytest.raises(TypeError, match="net must provide a callable params"):
        check_gradients(object(), np.zeros((1, 3)), [0])
    rng = np.random.default_rng(0)
    net = TinyNet(rng)
    with pytest.raises(ValueError, match="max_entries must be >= 1, got 0"):
        check_gradients(net, *data(rng), max_entries=0)
    with pytest.raises(ValueError, match="tol must be > 0.0"):
        GradCheckReport().ok(0.0)
    assert not GradCheckReport().ok()  # an empty report proves nothing


def test_relative_error_is_scale_free_down_to_subnormals_and_up_to_overflow():
    for a in (2.2e-308, 5e-324 * 3, 1e-300, 1.0, 1e307):
        assert relative_error([a], [2 * a]) == pytest.approx(1 / 3, rel=1e-6 if a > 1e-310 else 0.2)
    assert relative_error([1e308, -1e308], [1e308, 1e308]) == 1.0  # |a − b| = 2e308 would overflow
