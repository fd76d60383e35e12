"""MLP.fit end to end: what History records, the divergence stop, dropout, validation and early
stopping, and the layer bias next to learnable activation parameters (APL)."""

import copy

import numpy as np
import pytest

from nnlib import layers
from nnlib.gradcheck import check_gradients, numerical_gradient, relative_error
from nnlib.network import MLP
from nnlib.optim import SGD


def _blobs(n=60, d=3, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    X = rng.normal(size=(n, d)) + 2.0 * np.eye(k, d)[y]
    return X, y


# ------------------------------------------------------------------------------------------------
# APL next to the layer bias
# ------------------------------------------------------------------------------------------------


def test_apl_parameters_do_not_hide_the_layer_bias():
    net = MLP([3, 4, 2], ["apl", "identity"], "mse", rng=0)
    # W (4, 3) + b (4,) + APL hinges a_s (2,) and b_s (2,) + W (2, 4) + b (2,)
    assert net.parameter_count() == 12 + 4 + 2 + 2 + 8 + 2 == 30
    assert set(net.params()[0]) == {"W", "b", "a_s", "b_s"}
    X = np.random.default_rng(1).normal(size=(20, 3))
    Y = np.random.default_rng(2).normal(size=(20, 2))
    report = check_gradients(net, X, Y)
    assert {(r.layer, r.param) for r in report.rows} >= {(1, "b"), (1, "b_s")} and report.ok(1e-6)
    net.fit(X, Y, epochs=5, optimizer=SGD(0.1))
    assert np.abs(net.layers[0].b).max() > 0  # the layer bias trains


def test_an_activation_parameter_named_like_the_bias_is_refused():
    from nnlib.activations import PReLU

    class Clash(PReLU):
        def __init__(self):
            super().__init__()
            self.params["b"] = np.zeros(())

    with pytest.raises(ValueError, match=r"named \['b'\].*hide the layer's own W/b"):
        layers.Dense(np.ones((2, 2)), np.zeros(2), Clash())


# ------------------------------------------------------------------------------------------------
# History
# ------------------------------------------------------------------------------------------------


def test_history_loss_is_the_sample_mean_of_the_epoch():
    """Full batch: epoch 0's loss is the loss at the initial weights. Mini-batches of 7, 7, 6: the
    average of the batch losses weighted by their sizes."""
    X, y = _blobs(n=20)
    net = MLP([3, 5, 3], ["tanh", "identity"], "softmax_ce", rng=0)
    twin = copy.deepcopy(net)
    h = net.fit(X, y, epochs=1, optimizer=SGD(0.5), shuffle=False)
    assert h.loss[0] == pytest.approx(twin.loss(X, y), rel=1e-12)
    assert h.accuracy[0] == pytest.approx(twin.accuracy(X, y))

    net = copy.deepcopy(twin)
    h = net.fit(X, y, epochs=1, batch_size=7, optimizer=SGD(0.5), shuffle=False)
    total = 0.0
    for start in range(0, 20, 7):
        xb, yb = X[start : start + 7], y[start : start + 7]
        loss, grads = twin.gradients(xb, yb)
        total += loss * len(yb)
        SGD(0.5).step(twin.params(), grads)
    assert h.loss[0] == pytest.approx(total / 20, rel=1e-12)


# ------------------------------------------------------------------------------------------------
# Divergence
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "acts,loss",
    [
        (["relu", "identity"], "mse"),
        (["relu", "identity"], "softmax_ce"),
        (["relu", "sigmoid"], "bce"),
        (["prelu", "identity"], "mse"),
        (["srelu", "identity"], "mse"),
        (["apl", "identity"], "mse"),
        (["rrelu", "identity"], "mse"),
        (["maxout", "identity"], "mse"),
        (["identity", "softmax"], "cce"),
    ],
    ids=lambda v: "-".join(v) if isinstance(v, list) else v,
)
def test_fit_stops_cleanly_on_a_diverging_run(acts, loss):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 3)) * 10
    if loss in ("softmax_ce", "cce"):
        Y = rng.integers(0, 2, 16)
    elif loss == "bce":
        Y = rng.integers(0, 2, (16, 2)).astype(float)
    else:
        Y = rng.normal(size=(16, 2)) * 100
    net = MLP([3, 8, 2], acts, loss, rng=0)
    h = net.fit(X, Y, epochs=200, batch_size=4, optimizer=SGD(1e3, momentum=0.9))
    assert h.diverged and h.epochs < 200 and not np.isfinite(h.loss[-1])
    assert "optimizer=SGD(lr=1000.0" in h.stop_reason and "batch_size=4" in h.stop_reason
    if loss == "softmax_ce":
        return
    # A run that does not diverge says so too.
    h = MLP([3, 8, 2], acts, loss, rng=0).fit(X / 10, Y / 100 if loss == "mse" else Y, epochs=3,
                                              optimizer=SGD(1e-3))
    assert not h.diverged and h.epochs == 3 and h.stop_reason == "epochs=3 done"


# ------------------------------------------------------------------------------------------------
# Dropout
# ------------------------------------------------------------------------------------------------


def test_dropout_forward_is_inverted_and_p0_is_the_identity():
    a = np.random.default_rng(0).normal(size=(400, 50)) + 3.0
    out, cache = layers.dropout_forward(a, 0.0, 1)
    np.testing.assert_array_equal(out, a)
    np.testing.assert_array_equal(layers.dropout_backward(np.ones_like(a), cache), np.ones_like(a))
    out, mask = layers.dropout_forward(a, 0.25, 1)
    kept = out != 0
    assert abs(1 - kept.mean() - 0.25) < 0.01  # about a quarter dropped
    np.testing.assert_allclose(out[kept], a[kept] / 0.75)  # the kept ones scaled by 1/(1 − p)
    assert abs(out.mean() / a.mean() - 1) < 0.02  # the expected activation is unchanged
    out2, _ = layers.dropout_forward(a, 0.25, 1)
    np.testing.assert_array_equal(out, out2)  # the seed decides the mask


def test_dropout_backward_matches_finite_differences():
    rng = np.random.default_rng(3)
    a, G = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    _, cache = layers.dropout_forward(a, 0.5, 7)
    num = numerical_gradient(lambda x: float(np.sum(G * layers.dropout_forward(x, 0.5, 7)[0])), a.copy())
    assert relative_error(layers.dropout_backward(G, cache), num) < 1e-8


def test_dropout_bad_arguments():
    with pytest.raises(ValueError, match=r"p must be < 1.0"):
        layers.dropout_forward(np.ones(3), 1.0, 0)
    with pytest.raises(TypeError, match="rng"):
        layers.dropout_forward(np.ones(3), 0.5, None)
    with pytest.raises(TypeError, match="cache must be the mask"):
        layers.dropout_backward(np.ones(3), "mask")
    with pytest.raises(ValueError, match=r"dout has shape \(2,\)"):
        layers.dropout_backward(np.ones(2), layers.dropout_forward(np.ones(3), 0.5, 0)[1])
    with pytest.raises(ValueError, match=r"dropout has 2 entries but the network has 1 hidden"):
        MLP([3, 4, 2], ["relu", "identity"], "mse", dropout=[0.1, 0.2])
    with pytest.raises(ValueError, match="no hidden layer"):
        MLP([3, 2], "identity", "mse", dropout=0.5)


def test_network_dropout_only_in_training_mode():
    X, y = _blobs()
    net = MLP([3, 16, 3], ["relu", "identity"], "softmax_ce", rng=0, dropout=0.5)
    plain = MLP([3, 16, 3], ["relu", "identity"], "softmax_ce", rng=0)
    np.testing.assert_array_equal(net.forward(X), plain.forward(X))  # eval mode by default
    np.testing.assert_array_equal(net.predict(X), plain.predict(X))
    t1, t2 = net.forward(X, training=True, rng=4), net.forward(X, training=True, rng=4)
    np.testing.assert_array_equal(t1, t2)
    assert not np.allclose(t1, plain.forward(X))
    with pytest.raises(TypeError, match="needs rng"):
        net.forward(X, training=True)
    h = net.fit(X, y, epochs=30, optimizer=SGD(0.2), rng=0)
    assert h.loss[-1] < h.loss[0] and net.accuracy(X, y) > 0.8


# ------------------------------------------------------------------------------------------------
# Validation and early stopping
# ------------------------------------------------------------------------------------------------


def test_early_stopping_stops_and_restores_the_best_weights():
    """Validation labels that contradict the training labels: val_loss is lowest at epoch 0 and only
    rises, so the run stops after `patience` more epochs and puts back the weights of epoch 0."""
    X, y = _blobs(n=60)
    y_val = (y + 1) % 3
    net = MLP([3, 8, 3], ["tanh", "identity"], "softmax_ce", rng=0)
    twin = copy.deepcopy(net)
    h = net.fit(X, y, epochs=50, optimizer=SGD(0.5), shuffle=False, validation=(X, y_val), early_stopping=3)
    assert h.best_epoch == 0 and h.stopped_epoch == 3 and h.epochs == 4
    assert len(h.val_loss) == len(h.val_accuracy) == 4
    assert all(h.val_loss[i] > h.val_loss[0] for i in range(1, 4))
    assert "early_stopping=3" in h.stop_reason
    twin.fit(X, y, epochs=1, optimizer=SGD(0.5), shuffle=False)
    for p, q in zip(net.params(), twin.params()):
        for k in p:
            np.testing.assert_array_equal(p[k], q[k])
    assert net.loss(X, y_val) == pytest.approx(h.val_loss[0], rel=1e-12)


def test_without_restore_best_the_last_weights_stay():
    X, y = _blobs(n=60)
    net = MLP([3, 8, 3], ["tanh", "identity"], "softmax_ce", rng=0)
    h = net.fit(X, y, epochs=50, optimizer=SGD(0.5), shuffle=False, validation=(X, (y + 1) % 3),
                early_stopping=2, restore_best=False)
    assert h.stopped_epoch == 2 and net.loss(X, (y + 1) % 3) > h.val_loss[0]


def test_validation_without_early_stopping_runs_every_epoch():
    X, y = _blobs(n=60)
    Xv, yv = _blobs(n=30, seed=1)
    h = MLP([3, 8, 3], ["tanh", "identity"], "softmax_ce", rng=0).fit(X, y, epochs=6, validation=(Xv, yv))
    assert h.epochs == 6 and len(h.val_loss) == 6 and h.stopped_epoch is None
    assert h.best_epoch == int(np.argmin(h.val_loss))


def test_fit_argument_errors():
    X, y = _blobs(n=10)
    net = MLP([3, 4, 3], ["tanh", "identity"], "softmax_ce")
    with pytest.raises(ValueError, match="early_stopping=2 needs validation"):
        net.fit(X, y, early_stopping=2)
    with pytest.raises(ValueError, match="early_stopping must be >= 1"):
        net.fit(X, y, validation=(X, y), early_stopping=0)
    with pytest.raises(TypeError, match="optimizer must be an optimizer object.*got <class"):
        net.fit(X, y, optimizer=SGD)
    for flag in ("shuffle", "progress", "restore_best"):
        with pytest.raises(TypeError, match=f"{flag} must be True or False, got str 'no'"):
            net.fit(X, y, **{flag: "no"})
    with pytest.raises(TypeError, match="rng must be"):
        net.fit(X, y, shuffle=False, rng="seed")
    with pytest.raises(TypeError, match="validation must be a pair"):
        net.fit(X, y, validation=X)
