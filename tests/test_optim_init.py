"""nnlib.init (variances, seeding, registry) and nnlib.optim (SGD, momentum, weight decay, schedules)."""

import math

import numpy as np
import pytest

from nnlib import init
from nnlib.optim import SGD, ExponentialDecay, StepDecay

# ----------------------------------------------------------------------------------------- init

RANDOM = ["uniform", "normal", "xavier_uniform", "xavier_normal", "he_uniform", "he_normal"]


@pytest.mark.parametrize("name", RANDOM)
@pytest.mark.parametrize("fan_in,fan_out", [(400, 300), (1000, 50)])
def test_init_variance_matches_target(name, fan_in, fan_out):
    W = init.get(name)(fan_in, fan_out, 123)
    assert W.shape == (fan_out, fan_in) and W.dtype == np.float64
    target = init.target_variance(name, fan_in, fan_out)
    # 1e5+ samples: the sample variance is within ~1% of the target; 4% leaves room, still catches
    # a wrong formula (e.g. fan_out instead of fan_in changes He's variance by 20x).
    assert W.var() == pytest.approx(target, rel=0.04)
    assert abs(W.mean()) < 4 * math.sqrt(target / W.size) + 1e-12


def test_init_target_formulas():
    assert init.target_variance("xavier_uniform", 30, 70) == pytest.approx(2 / 100)
    assert init.target_variance("he_normal", 50, 7) == pytest.approx(2 / 50)


@pytest.mark.parametrize("name", ["xavier_uniform", "he_uniform"])
def test_uniform_limits(name):
    W = init.get(name)(200, 100, 0)
    limit = math.sqrt(6 / 300) if name.startswith("xavier") else math.sqrt(6 / 200)
    assert np.abs(W).max() <= limit
    assert np.abs(W).max() > 0.99 * limit  # the whole interval is used


@pytest.mark.parametrize("name", RANDOM)
def test_init_seeding(name):
    f = init.get(name)
    a, b, c = f(20, 10, 7), f(20, 10, 7), f(20, 10, 8)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    g = np.random.default_rng(5)
    np.testing.assert_array_equal(f(20, 10, g), f(20, 10, np.random.default_rng(5)))


def test_init_does_not_touch_global_state():
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    init.he_normal(10, 10, 1)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_init_float32_and_constants():
    W = init.xavier_normal(64, 32, 0, dtype=np.float32)
    assert W.dtype == np.float32
    assert not init.zeros(3, 2).any() and init.zeros(3, 2).shape == (2, 3)
    np.testing.assert_array_equal(init.get("constant", value=0.5)(3, 2, 0), np.full((2, 3), 0.5))


def test_init_registry_errors():
    with pytest.raises(ValueError, match="xavier_uniform") as exc:
        init.get("kaiming")
    assert "kaiming" in str(exc.value) and "he_normal" in str(exc.value)
    with pytest.raises(TypeError, match="rng"):
        init.he_normal(3, 3, None)
    with pytest.raises(TypeError, match="rng"):
        init.he_normal(3, 3, np.random.RandomState(0))
    with pytest.raises(ValueError, match="fan_in"):
        init.he_normal(0, 3, 0)
    with pytest.raises(TypeError, match="fan_out"):
        init.he_normal(3, 2.5, 0)
    assert init.get("glorot_uniform") is init.xavier_uniform and init.get("MSRA-normal") is init.he_normal


# ---------------------------------------------------------------------------------------- optim


def _state(seed=0):
    rng = np.random.default_rng(seed)
    params = [{"W": rng.normal(size=(3, 2)), "b": rng.normal(size=3)}, {"W": rng.normal(size=(1, 3)), "b": rng.normal(size=1)}]
    grads = [{k: rng.normal(size=v.shape) for k, v in p.items()} for p in params]
    return params, grads


def test_sgd_plain_step_in_place():
    params, grads = _state()
    before = [{k: v.copy() for k, v in p.items()} for p in params]
    ids = [id(p["W"]) for p in params]
    SGD(lr=0.1).step(params, grads)
    assert [id(p["W"]) for p in params] == ids  # live arrays updated, not rebound
    for p, p0, g in zip(params, before, grads):
        for k in p:
            np.testing.assert_allclose(p[k], p0[k] - 0.1 * g[k], rtol=0, atol=1e-15)


def test_sgd_momentum_matches_hand_computation():
    # v1 = -a g1;  v2 = mu v1 - a g2;  theta2 = theta0 + v1 + v2
    theta = np.array([1.0, -2.0])
    g1, g2 = np.array([0.5, 1.0]), np.array([-1.0, 2.0])
    opt = SGD(lr=0.1, momentum=0.9)
    p = {"W": theta.copy()}
    opt.step(p, {"W": g1})
    np.testing.assert_allclose(p["W"], theta - 0.1 * g1)
    opt.step(p, {"W": g2})
    v1 = -0.1 * g1
    v2 = 0.9 * v1 - 0.1 * g2
    np.testing.assert_allclose(p["W"], theta + v1 + v2, rtol=0, atol=1e-15)


def test_momentum_accelerates_on_constant_gradient():
    # Constant gradient: velocity tends to -a g / (1 - mu), 10x the plain step for mu = 0.9.
    p1, p2 = {"W": np.zeros(1)}, {"W": np.zeros(1)}
    plain, heavy = SGD(0.01), SGD(0.01, momentum=0.9)
    for _ in range(200):
        plain.step(p1, {"W": np.ones(1)})
        heavy.step(p2, {"W": np.ones(1)})
    assert p1["W"][0] == pytest.approx(-2.0)
    assert p2["W"][0] < 8 * p1["W"][0]


def test_weight_decay_shrinks_W_not_b():
    params, grads = _state(1)
    W0, b0 = params[0]["W"].copy(), params[0]["b"].copy()
    SGD(lr=0.1, weight_decay=0.01).step(params, grads)
    np.testing.assert_allclose(params[0]["W"], W0 - 0.1 * (grads[0]["W"] + 0.01 * W0), atol=1e-15)
    np.testing.assert_allclose(params[0]["b"], b0 - 0.1 * grads[0]["b"], atol=1e-15)
    # with zero gradients weight decay alone is w_new = w_old (1 - lr*lambda)
    p = {"W": W0.copy(), "b": b0.copy()}
    SGD(lr=0.1, weight_decay=0.5).step(p, {"W": np.zeros_like(W0), "b": np.zeros_like(b0)})
    np.testing.assert_allclose(p["W"], W0 * 0.95)
    np.testing.assert_array_equal(p["b"], b0)


def test_weight_decay_with_momentum_and_decay_bias():
    W0, b0 = np.array([[1.0, -1.0]]), np.array([2.0])
    p = {"W": W0.copy(), "b": b0.copy()}
    z = {"W": np.zeros_like(W0), "b": np.zeros_like(b0)}
    opt = SGD(lr=0.1, momentum=0.5, weight_decay=1.0, decay_bias=True)
    opt.step(p, z)
    np.testing.assert_allclose(p["W"], 0.9 * W0)
    np.testing.assert_allclose(p["b"], 0.9 * b0)
    opt.step(p, z)  # v2 = 0.5 * (-0.1 W0) - 0.1 * (0.9 W0)
    np.testing.assert_allclose(p["W"], 0.9 * W0 - 0.05 * W0 - 0.09 * W0)


def test_sgd_keeps_float32():
    p = {"W": np.ones((2, 2), np.float32), "b": np.ones(2, np.float32)}
    g = {k: np.full_like(v, 0.5) for k, v in p.items()}
    SGD(0.1, momentum=0.9, weight_decay=0.1).step(p, g)
    assert p["W"].dtype == np.float32 and p["b"].dtype == np.float32


def test_sgd_validation():
    for bad in (0.0, -1.0, float("nan"), 10**400):  # 10**400: an OverflowError from float() before
        with pytest.raises(ValueError, match="lr"):
            SGD(lr=bad)
    with pytest.raises(ValueError, match="momentum"):
        SGD(0.1, momentum=1.0)
    with pytest.raises(ValueError, match="momentum"):
        SGD(0.1, momentum=-0.1)
    with pytest.raises(ValueError, match="weight_decay"):
        SGD(0.1, weight_decay=-1e-3)
    with pytest.raises(TypeError, match="lr"):
        SGD(lr="0.1")
    with pytest.raises(TypeError, match="schedule"):
        SGD(0.1, schedule=3)
    params, grads = _state()
    grads[1]["W"] = np.zeros((3, 1))
    with pytest.raises(ValueError, match=r"grads\[1\]\['W'\] has shape \(3, 1\).*\(1, 3\)"):
        SGD(0.1).step(params, grads)
    with pytest.raises(ValueError, match="2 layers.*1"):
        SGD(0.1).step(params, grads[:1])


def test_schedules():
    s = StepDecay(every=3, factor=0.5)
    assert [s(1.0, e) for e in range(7)] == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    x = ExponentialDecay(rate=0.1)
    assert x(2.0, 0) == 2.0 and x(2.0, 10) == pytest.approx(2.0 * math.exp(-1))
    assert ExponentialDecay(0.0)(0.3, 50) == 0.3
    opt = SGD(0.2, schedule=StepDecay(2, 0.1))
    assert [opt.set_epoch(e) for e in range(5)] == pytest.approx([0.2, 0.2, 0.02, 0.02, 0.002])
    p = {"W": np.ones(1)}
    opt.step(p, {"W": np.ones(1)})
    assert p["W"][0] == pytest.approx(1 - 0.002)  # the scheduled rate is the one applied
    with pytest.raises(ValueError, match="every"):
        StepDecay(0)
    with pytest.raises(ValueError, match="factor"):
        StepDecay(2, 1.5)
    with pytest.raises(ValueError, match="rate"):
        ExponentialDecay(-0.1)
