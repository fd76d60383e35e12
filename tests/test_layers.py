"""nnlib.layers: dense_forward/dense_backward and the Dense layer (incl. maxout), vs finite differences."""

import numpy as np
import pytest

from nnlib import activations
from nnlib.gradcheck import numerical_gradient, relative_error
from nnlib.layers import Dense, dense_backward, dense_forward


def _data(n=4, d=3, m=5, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, d)).astype(dtype), rng.normal(size=(m, d)).astype(dtype), rng.normal(size=m).astype(dtype))


def test_dense_forward_matches_per_sample_column_form():
    a_prev, W, b = _data()
    z, _ = dense_forward(a_prev, W, b)
    assert z.shape == (4, 5)
    for n in range(4):  # the single-sample formula of the sources: z = W a + b
        np.testing.assert_allclose(z[n], W @ a_prev[n] + b, rtol=1e-14, atol=1e-14)


def test_dense_backward_vs_finite_differences():
    a_prev, W, b = _data()
    G = np.random.default_rng(9).normal(size=(4, 5))  # upstream dL/dz for L = sum(G * z)

    def loss():
        return float(np.sum(G * dense_forward(a_prev, W, b)[0]))

    _, cache = dense_forward(a_prev, W, b)
    da_prev, dW, db = dense_backward(G, cache)
    assert da_prev.shape == a_prev.shape and dW.shape == W.shape and db.shape == b.shape
    for analytic, x in ((da_prev, a_prev), (dW, W), (db, b)):
        assert relative_error(analytic, numerical_gradient(lambda _: loss(), x)) < 1e-8
    # and the outer-product form dW = sum_n delta_n a_n^T
    np.testing.assert_allclose(dW, sum(np.outer(G[n], a_prev[n]) for n in range(4)), atol=1e-13)


def test_dense_shape_errors_name_arguments():
    a_prev, W, b = _data()
    with pytest.raises(ValueError, match=r"W has shape \(5, 3\).*a_prev has shape \(4, 2\)"):
        dense_forward(a_prev[:, :2], W, b)
    with pytest.raises(ValueError, match=r"b has shape \(4,\).*W has shape \(5, 3\)"):
        dense_forward(a_prev, W, b[:4])
    with pytest.raises(ValueError, match="a_prev.*empty batch"):
        dense_forward(a_prev[:0], W, b)
    with pytest.raises(ValueError, match="a_prev.*non-finite"):
        bad = a_prev.copy()
        bad[1, 2] = np.nan
        dense_forward(bad, W, b)
    with pytest.raises(ValueError, match="a_prev must have 2"):
        dense_forward(a_prev[0], W, b)
    with pytest.raises(TypeError, match="W"):
        dense_forward(a_prev, "W", b)
    _, cache = dense_forward(a_prev, W, b)
    with pytest.raises(ValueError, match=r"delta has shape \(4, 4\).*expected delta of shape \(4, 5\)"):
        dense_backward(np.zeros((4, 4)), cache)


def test_dense_float32_stays_float32():
    a_prev, W, b = _data(dtype=np.float32)
    z, cache = dense_forward(a_prev, W, b)
    assert z.dtype == np.float32
    assert all(g.dtype == np.float32 for g in dense_backward(np.ones_like(z), cache))


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "softplus", "elu", "prelu", "softmax"])
def test_dense_layer_backward_vs_finite_differences(act):
    a_prev, W, b = _data(seed=2)
    layer = Dense(W, b, act)
    G = np.random.default_rng(3).normal(size=(4, 5))

    def loss():
        return float(np.sum(G * layer.forward(a_prev)))

    loss()
    da_prev = layer.backward(G)
    checks = [(da_prev, a_prev)] + [(layer.grads[k], p) for k, p in layer.params().items()]
    assert set(layer.grads) == set(layer.params())
    for analytic, x in checks:
        assert relative_error(analytic, numerical_gradient(lambda _: loss(), x)) < 1e-7
    assert layer.z.shape == (4, 5) and layer.a_prev is not None  # forward cached z and a^(l-1)


def test_dense_maxout_produces_MK_net_inputs():
    layer = Dense.create(3, 4, activations.get("maxout", k=3), rng=0)
    assert layer.W.shape == (12, 3) and layer.b.shape == (12,) and layer.units == 4
    a_prev = np.random.default_rng(0).normal(size=(6, 3))
    a = layer.forward(a_prev)
    assert a.shape == (6, 4)
    np.testing.assert_allclose(a, layer.z.reshape(6, 4, 3).max(axis=2))
    G = np.random.default_rng(1).normal(size=(6, 4))

    def loss():
        return float(np.sum(G * layer.forward(a_prev)))

    loss()
    layer.backward(G)
    assert relative_error(layer.grads["W"], numerical_gradient(lambda _: loss(), layer.W)) < 1e-7
    with pytest.raises(ValueError, match="maxout.*k=3"):
        Dense(np.zeros((4, 3)), np.zeros(4), activations.get("maxout", k=3))


def test_dense_layer_validation():
    layer = Dense(np.ones((2, 3)), np.zeros(2), "relu")
    with pytest.raises(ValueError, match=r"W has shape \(2, 3\).*a_prev has shape \(5, 4\)"):
        layer.forward(np.ones((5, 4)))
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((5, 2)))
    layer.forward(np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"da.*\(5, 3\).*\(5, 2\)"):
        layer.backward(np.ones((5, 3)))
    with pytest.raises(ValueError, match="unknown activation 'rleu'"):
        Dense(np.ones((2, 3)), np.zeros(2), "rleu")
    W = np.ones((2, 3))
    layer = Dense(W, np.zeros(2))
    W[0, 0] = 5.0
    assert layer.W[0, 0] == 1.0  # the layer owns a copy of the caller's array
