"""Numerical stability: no overflow, no division by zero, no invalid operation and no warning
for net inputs up to |z| = 1e4, in float64 and float32; and the asymptotic values are right.

``strict()`` turns numpy floating-point overflow/divide/invalid events into exceptions and every
Python warning into an error. Underflow (e.g. exp(-1e4) → 0) is left at numpy's default (ignored):
rounding a tiny positive number to 0 is the correctly rounded result, not a failure.
"""

import contextlib
import warnings

import numpy as np
import pytest

from nnlib import activations as A
from nnlib import losses as L

BIG = [-1e4, -1e3, -800.0, -100.0, -1.0, 0.0, 1.0, 100.0, 800.0, 1e3, 1e4]
DTYPES = [np.float64, np.float32]


@contextlib.contextmanager
def strict():
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        warnings.simplefilter("error")
        yield


def big(dtype, shape=None):
    z = np.array(BIG, dtype=dtype)
    return z if shape is None else z.reshape(shape)


def test_strict_mode_really_catches_overflow():
    """Guard: the context manager must make the naive formulas fail."""
    z = big(np.float64)
    with strict(), pytest.raises(FloatingPointError):
        1.0 / (1.0 + np.exp(-z))  # naive sigmoid overflows at z = -1e4
    with strict(), pytest.raises(FloatingPointError):
        np.log(np.sum(np.exp(z)))  # naive logsumexp


@pytest.mark.parametrize("dtype", DTYPES)
def test_module_functions_at_extremes(dtype):
    z = big(dtype)
    pair = np.array([[1e4, 0.0], [-1e4, 1e4], [1e4, 1e4], [-1e4, -1e4]], dtype=dtype)
    with strict():
        s = A.sigmoid(z)
        sm = A.softmax(pair)
        lsm = A.log_softmax(pair)
        lse = A.logsumexp(pair)
    for out in (s, sm, lsm, lse):
        assert out.dtype == dtype and np.all(np.isfinite(out))
    assert s[0] == 0.0 and s[-1] == 1.0 and s[5] == 0.5
    np.testing.assert_allclose(sm, [[1, 0], [0, 1], [0.5, 0.5], [0.5, 0.5]])
    np.testing.assert_allclose(lsm, [[0, -1e4], [-2e4, 0], [-np.log(2)] * 2, [-np.log(2)] * 2], rtol=1e-6)
    np.testing.assert_allclose(lse, [1e4, 1e4, 1e4 + np.log(2), -1e4 + np.log(2)], rtol=1e-6)
    # log_softmax stays exact where softmax itself underflows: log(softmax) would give -inf.
    assert lsm[1, 0] == pytest.approx(-2e4)


NAMES = [n for n in A.names() if n not in ("maxout",)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_every_activation_forward_backward_at_extremes(name, dtype):
    act = A.get(name)
    if name == "rrelu":
        act.eval()
    z = big(dtype, (1, -1))
    with strict():
        a, cache = act.forward(z)
        dz = act.backward(np.ones_like(a), cache)
        d = act.derivative(z) if act.elementwise else None
    assert a.dtype == dz.dtype == dtype
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(dz))
    if d is not None:
        assert np.all(np.isfinite(d))


def test_maxout_at_extremes():
    act = A.get("maxout", k=2)
    with strict():
        a, cache = act.forward(big(np.float64)[:10].reshape(1, 10))
        dz = act.backward(np.ones_like(a), cache)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(dz))


def test_asymptotic_values():
    z = np.array([-1e4, 1e4])
    with strict():
        np.testing.assert_array_equal(A.get("tanh")(z), [-1, 1])
        np.testing.assert_array_equal(A.get("softplus")(z), [0, 1e4])
        np.testing.assert_array_equal(A.get("softplus").derivative(z), [0, 1])
        np.testing.assert_array_equal(A.get("elu")(z), [-1, 1e4])
        np.testing.assert_array_equal(A.get("swish")(z), [0, 1e4])
        np.testing.assert_array_equal(A.get("gelu")(z), [0, 1e4])
        np.testing.assert_array_equal(A.get("gelu").derivative(z), [0, 1])
        np.testing.assert_array_equal(A.get("sigmoid").derivative(z), [0, 0])
    # softplus(z) = log(1 + e^z) ≈ e^z for very negative z: relative accuracy kept in the tail.
    assert A.get("softplus")(np.array([-30.0]))[0] == pytest.approx(np.exp(-30.0), rel=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_losses_from_logits_at_extremes(dtype):
    z = np.array([[1e4], [-1e4], [1e4], [-1e4]], dtype=dtype)
    y = np.array([[0.0], [1.0], [1.0], [0.0]], dtype=dtype)
    bce = L.get("bce_logits")
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]], dtype=dtype)
    sce = L.get("softmax_ce")
    with strict():
        v, g = bce(z, y), bce.backward(z, y)
        v2, g2 = sce(logits, [1, 1]), sce.backward(logits, [1, 1])
    assert v == pytest.approx((1e4 + 1e4) / 4, rel=1e-6)  # two confident mistakes of 1e4 each
    assert g.dtype == g2.dtype == dtype
    np.testing.assert_allclose(g, [[0.25], [-0.25], [0], [0]], atol=1e-7)
    assert v2 == pytest.approx(2e4 / 2, rel=1e-6)
    np.testing.assert_allclose(g2, [[0.5, -0.5, 0], [0, 0, 0]], atol=1e-7)


@pytest.mark.parametrize("dtype", DTYPES)
def test_losses_from_probabilities_at_0_and_1(dtype):
    p = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=dtype)
    y = np.array([[1.0, 0.0], [1.0, 0.0]], dtype=dtype)
    with strict():
        for loss in (L.get("bce"), L.get("cce")):
            target = y if loss.name == "bce" else [0, 0]
            v, g = loss(p, target), loss.backward(p, target)
            assert np.isfinite(v) and np.all(np.isfinite(g)) and g.dtype == dtype


def test_sigmoid_tail_accuracy():
    # The stable form keeps full relative accuracy where 1 - σ(-z) would cancel to 0.
    z = np.array([-30.0, -700.0])
    s = A.sigmoid(z)
    np.testing.assert_allclose(s, np.exp(z), rtol=1e-12)
