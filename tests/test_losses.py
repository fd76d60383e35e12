"""Losses: values, gradients against centred finite differences, the fused softmax/sigmoid +
cross-entropy gradients against the chain rule, label handling and input errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib import activations as A
from nnlib import losses as L
from nnlib.gradcheck import numerical_gradient, relative_error

SETTINGS = settings(max_examples=30, deadline=None)
TOL = 1e-6

shapes = st.tuples(st.integers(1, 6), st.integers(1, 5))
seeds = st.integers(0, 2**32 - 1)


def fd(loss, y_hat, y):
    return numerical_gradient(lambda x: loss.forward(x, y), y_hat.copy(), 1e-6)


def labels(rng, n, k):
    return rng.integers(0, k, size=n)


def one_hot(lab, k):
    return np.eye(k)[lab]


# ------------------------------------------------------------------------- gradients

@SETTINGS
@given(shape=shapes, seed=seeds, flat=st.booleans())
def test_mse_value_and_gradient(shape, seed, flat):
    rng = np.random.default_rng(seed)
    if flat:
        shape = shape[:1]
    y_hat, y = rng.normal(size=shape), rng.normal(size=shape)
    loss = L.get("mse")
    n = shape[0]
    assert loss(y_hat, y) == pytest.approx(np.sum((y - y_hat) ** 2) / (2 * n), rel=1e-12)  # the ½ convention
    g = loss.backward(y_hat, y)
    np.testing.assert_allclose(g, (y_hat - y) / n, rtol=1e-12)
    assert relative_error(g, fd(loss, y_hat, y)) < TOL


@SETTINGS
@given(shape=shapes, seed=seeds)
def test_bce_from_probabilities_gradient(shape, seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.95, shape)
    y = rng.uniform(0, 1, shape) if seed % 2 else rng.integers(0, 2, shape).astype(float)  # soft or hard
    loss = L.get("bce")
    expected = -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) / shape[0]
    assert loss(p, y) == pytest.approx(expected, rel=1e-12)
    assert relative_error(loss.backward(p, y), fd(loss, p, y)) < TOL


@SETTINGS
@given(shape=shapes, seed=seeds)
def test_bce_with_logits_gradient_and_chain(shape, seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=3, size=shape)
    y = rng.uniform(0, 1, shape)
    loss = L.get("bce_logits")
    assert relative_error(loss.backward(z, y), fd(loss, z, y)) < TOL
    # Same value and gradient as sigmoid followed by BCE on probabilities.
    sig = A.get("sigmoid")
    p, cache = sig.forward(z)
    bce = L.get("bce")
    assert loss(z, y) == pytest.approx(bce(p, y), rel=1e-9)
    np.testing.assert_allclose(loss.backward(z, y), sig.backward(bce.backward(p, y), cache), rtol=1e-9, atol=1e-15)


@SETTINGS
@given(shape=shapes, seed=seeds, as_int=st.booleans())
def test_cce_from_probabilities_gradient(shape, seed, as_int):
    rng = np.random.default_rng(seed)
    n, k = shape[0], shape[1] + 1  # K >= 2: with one class p = 1 and the +eps step leaves [0, 1]
    p = A.softmax(rng.normal(size=(n, k)))
    lab = labels(rng, n, k)
    y = lab if as_int else one_hot(lab, k)
    loss = L.get("cce")
    assert loss(p, y) == pytest.approx(-np.mean(np.log(p[np.arange(n), lab])), rel=1e-12)
    assert relative_error(loss.backward(p, y), fd(loss, p, y)) < TOL


@SETTINGS
@given(shape=shapes, seed=seeds, as_int=st.booleans())
def test_softmax_ce_gradient_equals_chain_of_softmax_and_cce(shape, seed, as_int):
    rng = np.random.default_rng(seed)
    n, k = shape
    z = rng.normal(scale=3, size=shape)
    lab = labels(rng, n, k)
    y = lab if as_int else one_hot(lab, k)
    fused = L.get("softmax_ce")
    g = fused.backward(z, y)
    np.testing.assert_allclose(g, (A.softmax(z) - one_hot(lab, k)) / n, rtol=1e-12, atol=1e-15)
    assert relative_error(g, fd(fused, z, y)) < TOL
    # Chain: CCE gradient on probabilities, pulled back through the softmax Jacobian.
    sm = A.get("softmax")
    p, cache = sm.forward(z)
    cce = L.get("cce")
    assert fused(z, y) == pytest.approx(cce(p, y), rel=1e-9)
    np.testing.assert_allclose(sm.backward(cce.backward(p, y), cache), g, rtol=1e-8, atol=1e-14)


def test_integer_and_one_hot_labels_agree():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 4))
    lab = np.array([3, 0, 1, 1, 2])
    for name, x in (("softmax_ce", z), ("cce", A.softmax(z))):
        loss = L.get(name)
        assert loss(x, lab) == loss(x, one_hot(lab, 4))
        np.testing.assert_array_equal(loss.backward(x, lab), loss.backward(x, one_hot(lab, 4)))
        assert loss(x, lab.astype(float)) == loss(x, lab)  # integral floats are labels too


def test_known_values():
    # Uniform prediction over K classes: cross-entropy log K whatever the labels.
    assert L.get("softmax_ce")(np.zeros((3, 5)), [0, 4, 2]) == pytest.approx(np.log(5), rel=1e-14)
    assert L.get("cce")(np.full((2, 4), 0.25), [1, 3]) == pytest.approx(np.log(4), rel=1e-14)
    assert L.get("bce_logits")(np.zeros((4, 1)), np.ones((4, 1))) == pytest.approx(np.log(2), rel=1e-14)
    # ½‖y − ŷ‖² averaged over the batch: ((1² + 2²) + 3²)/2/2.
    assert L.get("mse")(np.array([[1.0, 2.0], [3.0, 0.0]]), np.zeros((2, 2))) == pytest.approx(3.5)


def test_clipping_keeps_probability_losses_finite():
    p = np.array([[0.0, 1.0], [1.0, 0.0]])
    y = np.array([[1.0, 0.0], [1.0, 0.0]])
    bce = L.get("bce")
    v = bce(p, y)
    assert np.isfinite(v) and v == pytest.approx(-np.log(1e-12) * 2 / 2, rel=1e-6)
    assert np.all(np.isfinite(bce.backward(p, y)))
    cce = L.get("cce", eps=1e-7)
    assert cce(p, [0, 0]) == pytest.approx(-np.log(1e-7) / 2, rel=1e-9)
    assert np.all(np.isfinite(cce.backward(p, [0, 0])))


@pytest.mark.parametrize("name", ["mse", "bce", "cce", "bce_logits", "softmax_ce"])
def test_float32_gradients_stay_float32(name):
    y_hat = np.full((3, 2), 0.4, dtype=np.float32)
    y = np.array([0, 1, 1]) if name in ("cce", "softmax_ce") else np.ones((3, 2), dtype=np.float32)
    loss = L.get(name)
    assert isinstance(loss(y_hat, y), float)
    assert loss.backward(y_hat, y).dtype == np.float32


# ------------------------------------------------------------------------- registry

def test_registry():
    assert {"mse", "bce", "cce", "bce_logits", "softmax_ce"} <= set(L.names())
    assert isinstance(L.get("BCE"), L.BinaryCrossEntropy)
    loss = L.get("mse")
    assert L.get(loss) is loss
    with pytest.raises(ValueError, match=r"unknown loss 'hinge'; known loss names: bce, .*softmax_ce"):
        L.get("hinge")
    with pytest.raises(TypeError, match=r"loss 'mse' takes no arguments, got eps"):
        L.get("mse", eps=1e-3)
    with pytest.raises(ValueError, match=r"eps must be > 0.0, got 0.0"):
        L.get("bce", eps=0.0)


# ------------------------------------------------------------------------- bad input

ALL = ["mse", "bce", "cce", "bce_logits", "softmax_ce"]
ARG = {"mse": "y_hat", "bce": "y_hat", "cce": "y_hat", "bce_logits": "z", "softmax_ce": "z"}


def good_pair(name):
    y_hat = np.full((3, 2), 0.5)
    y = np.array([0, 1, 1]) if name in ("cce", "softmax_ce") else np.array([[0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    return y_hat, y


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("method", ["forward", "backward"])
def test_bad_predictions_are_rejected(name, method):
    loss, arg = L.get(name), ARG[name]
    fn = getattr(loss, method)
    y_hat, y = good_pair(name)
    with pytest.raises(TypeError, match=rf"{arg} must be a numeric array"):
        fn("0.5", y)
    with pytest.raises(TypeError, match=rf"{arg} must be real, got a complex array"):
        fn(y_hat + 0j, y)
    with pytest.raises(TypeError, match=rf"{arg} must be a real numeric array, got shape \(3, 2\) and dtype object"):
        fn(y_hat.astype(object), y)
    bad = y_hat.copy()
    bad[2, 1] = np.inf
    with pytest.raises(ValueError, match=rf"{arg} contains a non-finite value \(inf\) at index \(2, 1\)"):
        fn(bad, y)
    with pytest.raises(ValueError, match=rf"{arg} is an empty batch \(shape \(0, 2\)"):
        fn(np.zeros((0, 2)), y[:0])
    with pytest.raises(ValueError, match=rf"{arg} must have 1 or 2 dimension|{arg} must have 2 dimension"):
        fn(np.zeros((3, 2, 1)), y)


@pytest.mark.parametrize("name", ["mse", "bce", "bce_logits"])
def test_target_shape_and_range(name):
    loss, arg = L.get(name), ARG[name]
    with pytest.raises(ValueError, match=rf"{arg} has shape \(3, 1\) but y has shape \(3,\).*reshape y to \(3, 1\)"):
        loss(np.full((3, 1), 0.5), np.ones(3))
    with pytest.raises(ValueError, match=rf"{arg} has shape \(3, 2\) but y has shape \(2, 2\)"):
        loss.backward(np.full((3, 2), 0.5), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"y contains a non-finite value \(nan\) at index 1"):
        loss(np.full(3, 0.5), np.array([0.0, np.nan, 1.0]))
    with pytest.raises(TypeError, match=r"y must be a numeric array"):
        loss(np.full(3, 0.5), "abc")
    if name != "mse":
        with pytest.raises(ValueError, match=r"y contains 2.0 at index 1; binary targets must be in \[0, 1\]"):
            loss(np.full(3, 0.5), np.array([0.0, 2.0, 1.0]))
        assert loss(np.full(3, 0.5), np.array([True, False, True])) > 0  # boolean targets are fine


@pytest.mark.parametrize("name", ["bce", "cce"])
def test_probabilities_out_of_range(name):
    with pytest.raises(ValueError, match=r"y_hat contains 1.5 at index \(0, 1\); probabilities must be in \[0, 1\]"):
        L.get(name)(np.array([[0.5, 1.5]]), np.array([[0.0, 1.0]]))


@pytest.mark.parametrize("name", ["cce", "softmax_ce"])
@pytest.mark.parametrize("method", ["forward", "backward"])
def test_bad_labels(name, method):
    fn = getattr(L.get(name), method)
    x = np.full((3, 4), 0.25)
    with pytest.raises(ValueError, match=r"y contains the label 4 at index 2, out of range: expected integer labels in \[0, 4\)"):
        fn(x, np.array([0, 3, 4]))
    with pytest.raises(ValueError, match=r"y contains the label -1 at index 0"):
        fn(x, np.array([-1, 0, 1]))
    with pytest.raises(ValueError, match=r"y contains the non-integer label 0.5 at index 1"):
        fn(x, np.array([0.0, 0.5, 1.0]))
    with pytest.raises(ValueError, match=r"y has 2 labels .* but (y_hat|z) has 3 samples"):
        fn(x, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"y has shape \(3, 3\): one-hot labels need 4 columns"):
        fn(x, np.eye(3))
    with pytest.raises(ValueError, match=r"y is not one-hot: row 1 has 2 ones"):
        fn(x, np.array([[1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]]))
    with pytest.raises(ValueError, match=r"y is not one-hot: entry 0.5 at index \(0, 0\)"):
        fn(x, np.array([[0.5, 0.5, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1]]))
    with pytest.raises(TypeError, match=r"y must hold integer labels or one-hot rows, got shape \(3,\) and dtype <U1"):
        fn(x, np.array(["a", "b", "c"]))
    with pytest.raises(TypeError, match=r"y must hold integer labels or one-hot rows, got shape \(3,\) and dtype bool"):
        fn(x, np.array([True, False, True]))
    with pytest.raises(ValueError, match=r"y contains a non-finite value \(nan\) at index 1"):
        fn(x, np.array([0.0, np.nan, 1.0]))
