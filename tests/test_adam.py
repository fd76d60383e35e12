"""nnlib.optim.Adam: the update rule against a hand-written reference and torch's numbers, its
properties (first step, bias correction, scale invariance, decay), its checks, and training with it."""

import json
import math

import numpy as np
import pytest

from bench import adam_reference
from nnlib import data
from nnlib.network import MLP
from nnlib.optim import SGD, Adam, StepDecay


def reference_adam(theta, grads, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, decoupled=False):
    """Algorithm 1 of Kingma & Ba (2015), entry by entry in plain Python floats (no numpy).

    ``grads(theta, t)`` gives the gradient list for the current parameters; returns the list of iterates."""
    m, v, out = [0.0] * len(theta), [0.0] * len(theta), []
    theta = list(theta)
    for t in range(1, 1 + grads.steps):
        g = grads(theta, t)
        for i in range(len(theta)):
            gi = g[i]
            if weight_decay and decoupled:
                theta[i] = theta[i] * (1 - lr * weight_decay)
            elif weight_decay:
                gi = gi + weight_decay * theta[i]
            m[i] = beta1 * m[i] + (1 - beta1) * gi
            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
            m_hat = m[i] / (1 - beta1**t)
            v_hat = v[i] / (1 - beta2**t)
            theta[i] = theta[i] - lr * m_hat / (math.sqrt(v_hat) + eps)
        out.append(list(theta))
    return out


class Bowl:
    """Gradient of a bowl whose curvature depends on the parameters, plus a step-dependent push."""

    steps = 25

    def __call__(self, theta, t):
        return [(th - 0.3 * i) * (1.2 + math.sin(th)) + 0.2 * math.cos(t + i) for i, th in enumerate(theta)]


@pytest.mark.parametrize("kwargs", [
    dict(lr=0.05),
    dict(lr=0.01, beta1=0.0, beta2=0.5, eps=1e-3),
    dict(lr=0.05, weight_decay=0.2),
    dict(lr=0.05, weight_decay=0.2, decoupled=True),
])
def test_matches_a_hand_written_reference(kwargs):
    theta0 = [0.5, -1.0, 2.0, 0.0, 1e-3, -3.0]
    expected = reference_adam(theta0, Bowl(), **kwargs)
    W = np.array(theta0).reshape(2, 3)
    opt = Adam(**kwargs)
    for t in range(1, Bowl.steps + 1):
        g = np.array(Bowl()(list(W.ravel()), t)).reshape(2, 3)
        opt.step([{"W": W}], [{"W": g}])
        np.testing.assert_allclose(W.ravel(), expected[t - 1], rtol=1e-12, atol=1e-14)
    assert np.abs(W.ravel() - theta0).max() > 10 * kwargs["lr"]        # the run went somewhere


@pytest.fixture(scope="module")
def torch_reference():
    stored = json.loads(adam_reference.FIXTURE.read_text())
    assert set(stored["configs"]) == set(adam_reference.CONFIGS)
    return stored


@pytest.mark.parametrize("name", sorted(adam_reference.CONFIGS))
def test_matches_the_stored_trajectories_of_torch(torch_reference, name):
    """torch.optim.Adam / AdamW trajectories written by ``python -m bench.adam_reference --write``."""
    ours = adam_reference.run_nnlib(name)
    theirs = torch_reference["configs"][name]
    for k in torch_reference["steps"]:
        for key in ("W", "b"):
            np.testing.assert_allclose(ours[k][key], np.array(theirs[str(k)][key]), rtol=1e-12, atol=1e-13,
                                       err_msg=f"{name}, step {k}, {key}")


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e6])
def test_first_step_moves_every_entry_by_lr_whatever_the_gradient_scale(scale):
    W = np.zeros((2, 2))
    g = scale * np.array([[1.0, -2.0], [0.5, -0.01]])
    Adam(lr=0.1, eps=1e-12).step({"W": W}, {"W": g})
    np.testing.assert_allclose(W, -0.1 * np.sign(g), rtol=1e-5)


def test_bias_correction_makes_a_constant_gradient_give_constant_steps():
    """m_t = (1 − β1^t) g, v_t = (1 − β2^t) g²: after the correction every step is α g/(|g| + ε)."""
    W, g = np.zeros(3), np.array([0.2, -3.0, 1e-4])
    opt = Adam(lr=0.01, eps=1e-8)
    previous = W.copy()
    for _ in range(50):
        opt.step({"W": W}, {"W": g})
        np.testing.assert_allclose(W - previous, -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-9)
        previous = W.copy()
    m, v, t = opt._state[(0, "W")]
    assert t == 50
    np.testing.assert_allclose(m, (1 - 0.9**50) * g, rtol=1e-12)
    np.testing.assert_allclose(v, (1 - 0.999**50) * g * g, rtol=1e-12)


def test_rescaling_the_loss_does_not_change_the_trajectory():
    runs = []
    for c in (1.0, 1000.0):
        W = np.array([1.0, -2.0, 0.5])
        opt = Adam(lr=0.05, eps=1e-12)
        for t in range(1, 30):
            opt.step({"W": W}, {"W": c * (W * (1 + W**2) + np.cos(t))})
        runs.append(W)
    np.testing.assert_allclose(*runs, rtol=1e-8)
    # plain gradient descent is not scale invariant: the same factor ruins it
    W = np.array([1.0, -2.0, 0.5])
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, 30):
            W -= 0.05 * 1000.0 * (W * (1 + W**2) + np.cos(t))
    assert not np.all(np.isfinite(W)) or np.abs(W - runs[0]).max() > 1


def test_weight_decay_reaches_weights_only_and_decoupled_decay_is_a_plain_shrink():
    zero = [{"W": np.zeros((2, 2)), "b": np.zeros(2)}]
    for decoupled in (False, True):
        params = [{"W": np.full((2, 2), 2.0), "b": np.full(2, 2.0)}]
        opt = Adam(lr=0.1, weight_decay=0.5, decoupled=decoupled)
        for _ in range(3):
            opt.step(params, zero)
        np.testing.assert_array_equal(params[0]["b"], 2.0)
        if decoupled:   # the moments stay 0: only the factor (1 − αλ) acts
            np.testing.assert_allclose(params[0]["W"], 2.0 * (1 - 0.1 * 0.5) ** 3, rtol=1e-15)
        else:           # the decay is a gradient λW, normalised like any other: about α per step
            np.testing.assert_allclose(params[0]["W"], 2.0 - 3 * 0.1, rtol=1e-3)
    params = [{"W": np.full((2, 2), 2.0), "b": np.full(2, 2.0)}]
    opt = Adam(lr=0.1, weight_decay=0.5, decay_bias=True)
    opt.step(params, zero)
    np.testing.assert_allclose(params[0]["b"], 1.9, rtol=1e-6)


def test_updates_in_place_keeps_float32_and_keeps_state_per_array():
    W, b = np.ones((3, 2), np.float32), np.zeros(3, np.float32)
    opt = Adam(lr=0.01)
    ids = (id(W), id(b))
    for _ in range(3):
        opt.step([{"W": W, "b": b}], [{"W": np.ones((3, 2)), "b": -np.ones(3, np.float32)}])
    assert (id(W), id(b)) == ids and W.dtype == b.dtype == np.float32
    np.testing.assert_allclose(W, 1 - 0.03, rtol=1e-5)
    np.testing.assert_allclose(b, 0.03, rtol=1e-4)
    assert sorted(opt._state) == [(0, "W"), (0, "b")] and all(s[2] == 3 for s in opt._state.values())
    opt.reset()
    assert opt._state == {}


def test_a_bad_entry_changes_nothing():
    params = [{"W": np.ones((2, 3)), "b": np.zeros(2)}]
    opt = Adam(0.1)
    with pytest.raises(ValueError, match=r"grads\[0\]\['b'\] has shape \(3,\) but the parameter has shape \(2,\)"):
        opt.step(params, [{"W": np.ones((2, 3)), "b": np.ones(3)}])
    np.testing.assert_array_equal(params[0]["W"], 1.0)
    assert opt._state == {}
    W = np.ones(2)
    W.flags.writeable = False
    with pytest.raises(ValueError, match=r"read-only; Adam updates parameters in place"):
        opt.step({"W": W}, {"W": np.ones(2)})
    with pytest.raises(ValueError, match="non-finite"):
        opt.step(params, [{"W": np.full((2, 3), np.nan), "b": np.zeros(2)}])


@pytest.mark.parametrize("kwargs,match", [
    (dict(lr=0.0), "lr"), (dict(lr=-1), "lr"), (dict(beta1=1.0), "beta1"), (dict(beta1=-0.1), "beta1"),
    (dict(beta2=1.0), "beta2"), (dict(eps=0.0), "eps"), (dict(weight_decay=-1e-3), "weight_decay"),
    (dict(lr=float("nan")), "lr"), (dict(decoupled="yes"), "decoupled"), (dict(decay_bias=1), "decay_bias"),
    (dict(schedule=0.5), "schedule"),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        Adam(**kwargs)


@pytest.fixture(scope="module")
def digits():
    X, y = data.load_digits()
    return X[:300], y[:300]


def test_fit_with_adam_is_the_public_step_on_the_gradients(digits):
    """One epoch of fit (no shuffling, batches of 100) equals the manual loop gradients -> Adam.step."""
    X, y = digits
    net, manual = (MLP([64, 16, 10], ["relu", "softmax"], "cce", rng=0) for _ in range(2))
    net.fit(X, y, epochs=1, batch_size=100, optimizer=Adam(0.01, weight_decay=0.01), shuffle=False)
    opt = Adam(0.01, weight_decay=0.01)
    for start in range(0, 300, 100):
        _, grads = manual.gradients(X[start:start + 100], y[start:start + 100])
        opt.step(manual.params(), grads)
    for a, b in zip(net.params(), manual.params()):
        for key in a:
            np.testing.assert_allclose(a[key], b[key], rtol=1e-10, atol=1e-12)


def test_fit_applies_the_schedule_and_trains(digits):
    X, y = digits
    net = MLP([64, 16, 10], ["tanh", "softmax"], "cce", rng=0)
    hist = net.fit(X, y, epochs=6, batch_size=30, optimizer=Adam(0.02, schedule=StepDecay(3, 0.5)), rng=0)
    assert hist.lr == pytest.approx([0.02] * 3 + [0.01] * 3)
    assert hist.loss[-1] < 0.2 * hist.loss[0] and net.accuracy(X, y) > 0.9


def test_adam_crosses_a_badly_scaled_valley_that_sgd_crawls_along():
    """Curvatures 1 and 1e4: SGD's stable step is set by the steep direction; Adam's step is not."""
    H = np.array([1.0, 1e4])
    sgd_w, adam_w = np.array([1.0, 1.0]), np.array([1.0, 1.0])
    sgd, adam = SGD(lr=1.9 / H.max()), Adam(lr=0.05)
    for _ in range(300):
        sgd.step({"W": sgd_w}, {"W": H * sgd_w})
        adam.step({"W": adam_w}, {"W": H * adam_w})
    assert abs(sgd_w[0]) > 0.9                    # the flat direction has hardly moved
    assert np.abs(adam_w).max() < 0.05
