"""nnlib.network.MLP: whole-network gradient checks, XOR, digits, fit modes, validation of inputs."""

import time
import warnings

import numpy as np
import pytest

from nnlib import activations, losses
from nnlib.gradcheck import check_gradients
from nnlib.network import MLP, History
from nnlib.optim import SGD, StepDecay

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])

# Every registered activation except the non-differentiable step (aliases are the same classes).
GRAD_ACTIVATIONS = sorted({n for n in activations.names() if type(activations.get(n)) is not activations.Step})


def _batch(n=6, d=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


def _assert_grads_ok(net, X, Y, tol=1e-6):
    report = check_gradients(net, X, Y)
    # every parameter of every layer was compared (a missing gradient would make the check fail)
    expected = [(l + 1, k) for l, p in enumerate(net.params()) for k in p]
    assert [(r.layer, r.param) for r in report.rows] == expected
    assert report.max_error < tol, str(report)


# ------------------------------------------------------------------------------ gradient checks


def _bias_away_from_kinks(net, X):
    """Push hidden net inputs away from 0 (where ReLU-like units have their kink): FD across a kink
    would compare against a one-sided derivative. Sets b so that no |z| < 0.05 at layer 1..L-1."""
    a = X
    for layer in net.layers[:-1]:
        z = a @ layer.W.T + layer.b
        close = np.abs(z).min(axis=0) < 0.05
        layer.b[close] += 0.1
        a = layer.activation(a @ layer.W.T + layer.b)


@pytest.mark.parametrize("name", GRAD_ACTIVATIONS)
def test_gradients_every_hidden_activation(name):
    X, Y = _batch(), _batch(6, 2, seed=1)
    net = MLP([3, 5, 4, 2], (name, "identity"), "mse", rng=1)
    _bias_away_from_kinks(net, X)
    _assert_grads_ok(net, X, Y)


@pytest.mark.parametrize("name", [n for n in GRAD_ACTIVATIONS if n not in ("maxout",)])
def test_gradients_every_output_activation(name):
    X, Y = _batch(seed=2), _batch(6, 3, seed=3)
    net = MLP([3, 4, 3], ("tanh", name), "mse", rng=2, task="regression")  # real-valued targets
    _assert_grads_ok(net, X, Y)


def test_gradients_maxout_output():
    X, Y = _batch(seed=4), _batch(6, 2, seed=5)
    net = MLP([3, 4, 2], ("tanh", activations.get("maxout", k=3)), "mse", rng=3)
    assert net.layers[-1].W.shape == (6, 4)
    _assert_grads_ok(net, X, Y)


LOSS_CASES = [
    # (output activation, loss, K, targets kind, fused?)
    ("identity", "mse", 2, "real", False),
    ("sigmoid", "mse", 1, "binary", False),
    ("softmax", "mse", 3, "labels", False),
    ("sigmoid", "bce", 1, "binary", True),
    ("sigmoid", "bce", 3, "multilabel", True),
    ("identity", "bce_logits", 2, "multilabel", True),
    ("softmax", "cce", 4, "labels", True),
    ("softmax", "cce", 4, "onehot", True),
    ("identity", "softmax_ce", 4, "labels", True),
]


def _targets(kind, n, K, seed=7):
    rng = np.random.default_rng(seed)
    if kind == "real":
        return rng.normal(size=(n, K))
    if kind in ("binary",):
        return rng.integers(0, 2, size=n).astype(float)
    if kind == "multilabel":
        return rng.integers(0, 2, size=(n, K)).astype(float)
    if kind == "soft":
        return rng.uniform(0.1, 0.9, size=n)
    labels = rng.integers(0, K, size=n)
    return labels if kind == "labels" else np.eye(K)[labels]


@pytest.mark.parametrize("out,loss,K,kind,fused", LOSS_CASES)
def test_gradients_every_loss(out, loss, K, kind, fused):
    X = _batch(8, 3, seed=6)
    Y = _targets(kind, 8, K)
    net = MLP([3, 5, 4, K], ("tanh", out), loss, rng=4)
    assert (net.fused_output is not None) == fused
    _assert_grads_ok(net, X, Y)


def test_gradients_generic_bce_path():
    # BCE through loss.backward and the activation's backward (no fused shortcut): a hard-sigmoid
    # output also lies in [0, 1], soft targets as well.
    X = _batch(8, 3, seed=8)
    Y = _targets("soft", 8, 1)
    net = MLP([3, 4, 1], ("tanh", "hard_sigmoid"), "bce", rng=5, task="binary")
    assert net.fused_output is None
    assert (net.forward(X) > 0).all() and (net.forward(X) < 1).all()  # no clipping, no kink
    _assert_grads_ok(net, X, Y)


@pytest.mark.parametrize("out,loss,K,kind", [("softmax", "cce", 3, "labels"), ("sigmoid", "bce", 2, "multilabel")])
def test_fused_loss_equals_unfused_loss(out, loss, K, kind):
    X = _batch(10, 3, seed=9)
    Y = _targets(kind, 10, K)
    net = MLP([3, 6, K], ("relu", out), loss, rng=6)
    assert net.loss(X, Y) == pytest.approx(losses.get(loss).forward(net.forward(X), Y), rel=1e-12)


def test_learnable_activation_gradients_and_count():
    X, Y = _batch(), _batch(6, 2, seed=10)
    prelu = activations.get("prelu", size=5, gamma=0.3)
    net = MLP([3, 5, 2], (prelu, "identity"), "mse", rng=7)
    assert net.layers[0].activation is prelu
    assert "gamma" in net.params()[0]
    assert net.parameter_count() == (3 + 1) * 5 + (5 + 1) * 2 + 5
    _assert_grads_ok(net, X, Y)


def test_float32_network_stays_float32():
    X = _batch(5, 3).astype(np.float32)
    net = MLP([3, 4, 3], ("tanh", "softmax"), "cce", dtype=np.float32)
    assert net.forward(X).dtype == np.float32
    loss, grads = net.gradients(X, [0, 1, 2, 0, 1])
    assert all(g.dtype == np.float32 for layer in grads for g in layer.values())
    net.fit(X, [0, 1, 2, 0, 1], epochs=2, batch_size=2)
    assert all(p.dtype == np.float32 for layer in net.params() for p in layer.values())


# ----------------------------------------------------------------------------------- XOR, digits


def test_hand_set_relu_network_computes_xor_exactly():
    # h = relu([x1 + x2, x1 + x2 - 1]); y = h1 - 2 h2
    net = MLP([2, 2, 1], ("relu", "identity"), "mse")
    p = net.params()
    p[0]["W"][...] = [[1, 1], [1, 1]]
    p[0]["b"][...] = [0, -1]
    p[1]["W"][...] = [[1, -2]]
    p[1]["b"][...] = [0]
    np.testing.assert_array_equal(net.forward(XOR_X)[:, 0], XOR_Y)
    assert net.loss(XOR_X, XOR_Y.astype(float)) == 0.0


@pytest.mark.parametrize("acts,loss", [(("tanh", "sigmoid"), "bce"), (("tanh", "softmax"), "cce"), (("sigmoid", "sigmoid"), "mse")])
def test_mlp_learns_xor(acts, loss):
    K = 2 if loss == "cce" else 1
    Y = XOR_Y if loss == "cce" else XOR_Y.astype(float)
    net = MLP([2, 4, K], acts, loss, rng=0)
    net.fit(XOR_X, Y, epochs=3000, optimizer=SGD(0.5, momentum=0.9), rng=0)
    assert net.accuracy(XOR_X, Y) == 1.0
    np.testing.assert_array_equal(net.predict(XOR_X), XOR_Y)


def test_linear_network_cannot_learn_xor():
    # Without a nonlinearity the two layers collapse into one affine map: training reaches the best
    # affine fit of XOR, the constant 1/2 (loss ½·(½)² = 1/8), and no further. A training that does
    # not train would stay at the initial loss; one that learned XOR would go below 1/8.
    Y = XOR_Y.astype(float)
    net = MLP([2, 4, 1], ("identity", "identity"), "mse", rng=0)
    start = net.loss(XOR_X, Y)
    net.fit(XOR_X, Y, epochs=2000, optimizer=SGD(0.1))
    assert start > 0.13
    assert net.loss(XOR_X, Y) == pytest.approx(0.125, abs=1e-6)
    np.testing.assert_allclose(net.forward(XOR_X), 0.5, atol=1e-3)
    # the same training with a nonlinearity does learn it
    net = MLP([2, 4, 1], ("tanh", "sigmoid"), "bce", rng=0)
    net.fit(XOR_X, Y, epochs=2000, optimizer=SGD(1.0))
    np.testing.assert_array_equal(net.predict(XOR_X), XOR_Y)


def _digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    mu, sd = Xtr.mean(axis=0), Xtr.std(axis=0)
    sd[sd == 0] = 1.0  # constant border pixels
    return (Xtr - mu) / sd, (Xte - mu) / sd, ytr, yte


def test_digits_accuracy():
    Xtr, Xte, ytr, yte = _digits()
    net = MLP([64, 64, 10], ("relu", "softmax"), "cce", init="he_uniform", rng=0)
    t0 = time.perf_counter()
    hist = net.fit(Xtr, ytr, epochs=20, batch_size=32, optimizer=SGD(0.05, momentum=0.9), rng=0, validation=(Xte, yte))
    seconds = time.perf_counter() - t0
    acc = net.accuracy(Xte, yte)
    print(f"\ndigits: test accuracy {acc:.4f} after 20 epochs in {seconds:.2f} s")
    assert acc >= 0.95
    assert hist.val_accuracy[-1] == pytest.approx(acc)
    assert hist.loss[-1] < hist.loss[0] / 10


# -------------------------------------------------------------------------------- fit and history


class CountingSGD(SGD):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.steps = 0

    def step(self, params, grads):
        self.steps += 1
        super().step(params, grads)


def _blobs(n=60, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    centres = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    return centres[y] + 0.5 * rng.normal(size=(n, 2)), y


@pytest.mark.parametrize("batch_size,steps_per_epoch", [(1, 60), (None, 1), (16, 4)])
def test_fit_modes_reduce_loss(batch_size, steps_per_epoch):
    X, y = _blobs()
    net = MLP([2, 8, 3], ("tanh", "softmax"), "cce", rng=1)
    before = net.loss(X, y)
    opt = CountingSGD(0.05 if batch_size == 1 else 0.5)
    hist = net.fit(X, y, epochs=15, batch_size=batch_size, optimizer=opt, rng=3)
    assert opt.steps == 15 * steps_per_epoch
    assert net.loss(X, y) < 0.3 * before
    assert len(hist.loss) == len(hist.accuracy) == hist.epochs == 15
    assert hist.loss[-1] < hist.loss[0]
    assert net.accuracy(X, y) > 0.9


def test_fit_shuffling_uses_rng():
    X, y = _blobs()

    def train(rng, shuffle=True):
        net = MLP([2, 5, 3], ("tanh", "softmax"), "cce", rng=0)
        net.fit(X, y, epochs=3, batch_size=8, optimizer=SGD(0.1), rng=rng, shuffle=shuffle)
        return net.params()[0]["W"]

    np.testing.assert_array_equal(train(1), train(1))
    np.testing.assert_array_equal(train(np.random.default_rng(4)), train(4))
    assert not np.allclose(train(1), train(2))
    np.testing.assert_array_equal(train(1, shuffle=False), train(2, shuffle=False))


def test_fit_validation_history_and_schedule():
    X, y = _blobs()
    Xv, yv = _blobs(30, seed=1)
    net = MLP([2, 6, 3], ("relu", "softmax"), "cce", rng=0)
    hist = net.fit(X, y, epochs=5, batch_size=10, optimizer=SGD(0.2, schedule=StepDecay(2, 0.5)), validation=(Xv, yv))
    assert isinstance(hist, History)
    assert hist.lr == pytest.approx([0.2, 0.2, 0.1, 0.1, 0.05])
    assert len(hist.val_loss) == len(hist.val_accuracy) == 5
    assert hist.val_loss[-1] == pytest.approx(net.loss(Xv, yv))
    assert hist.val_accuracy[-1] == pytest.approx(net.accuracy(Xv, yv))


def test_fit_regression_and_progress(capsys):
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(100, 1))
    Y = np.sin(X[:, 0])
    net = MLP([1, 16, 1], ("tanh", "identity"), "mse", rng=0)
    before = net.loss(X, Y)
    hist = net.fit(X, Y, epochs=200, batch_size=20, optimizer=SGD(0.1, momentum=0.9), progress=True)
    assert net.loss(X, Y) < 0.05 * before
    assert hist.accuracy == []  # no accuracy for a regressor
    assert net.predict(X).shape == (100, 1)
    with pytest.raises(ValueError, match="regressor"):
        net.accuracy(X, Y)
    with pytest.raises(ValueError, match="regressor"):
        net.predict_proba(X)


def test_weight_decay_in_fit_shrinks_weights():
    X, y = _blobs()

    def norm(wd):
        net = MLP([2, 8, 3], ("tanh", "softmax"), "cce", rng=0)
        net.fit(X, y, epochs=30, batch_size=10, optimizer=SGD(0.2, weight_decay=wd))
        return sum(float(np.sum(p["W"] ** 2)) for p in net.params())

    assert norm(0.05) < 0.8 * norm(0.0)


# -------------------------------------------------------------------------- predictions, counts


def test_predict_and_proba_shapes():
    X = _batch(7, 3)
    multi = MLP([3, 4, 5], ("relu", "softmax"), "cce")
    P = multi.predict_proba(X)
    assert P.shape == (7, 5) and np.allclose(P.sum(axis=1), 1)
    np.testing.assert_array_equal(multi.predict(X), P.argmax(axis=1))
    logits = MLP([3, 4, 5], ("relu", "identity"), "softmax_ce")
    assert np.allclose(logits.predict_proba(X).sum(axis=1), 1)
    binary = MLP([3, 4, 1], ("relu", "identity"), "bce_logits")
    p = binary.predict_proba(X)
    assert p.shape == (7, 1) and ((p > 0) & (p < 1)).all()
    np.testing.assert_array_equal(binary.predict(X), (p[:, 0] > 0.5).astype(int))


def test_parameter_count_formula():
    sizes = [7, 5, 3, 2]
    net = MLP(sizes, ("tanh", "softmax"), "cce")
    assert net.parameter_count() == sum((sizes[l - 1] + 1) * sizes[l] for l in range(1, 4)) == 40 + 18 + 8
    assert net.parameter_count() == sum(p.size for layer in net.params() for p in layer.values())
    mx = MLP([4, 3, 2], (activations.get("maxout", k=2), "identity"), "mse")
    assert mx.parameter_count() == (4 + 1) * 3 * 2 + (3 + 1) * 2


def test_activation_specs():
    net = MLP([2, 3, 3, 3, 1], ("relu", "sigmoid"), "bce")
    assert [l.activation.name for l in net.layers] == ["relu", "relu", "relu", "sigmoid"]
    shared = activations.get("prelu")
    net = MLP([2, 3, 3, 1], (shared, "identity"), "mse")
    a1, a2 = net.layers[0].activation, net.layers[1].activation
    assert a1 is not a2  # repeated objects are copied: layers never share learnable state
    net = MLP([2, 3, 1], "sigmoid", "mse")
    assert [l.activation.name for l in net.layers] == ["sigmoid", "sigmoid"]


def test_init_and_rng_of_network():
    a = MLP([4, 6, 2], ("tanh", "softmax"), "cce", rng=3).params()
    b = MLP([4, 6, 2], ("tanh", "softmax"), "cce", rng=3).params()
    c = MLP([4, 6, 2], ("tanh", "softmax"), "cce", rng=4).params()
    np.testing.assert_array_equal(a[0]["W"], b[0]["W"])
    assert not np.allclose(a[0]["W"], c[0]["W"])
    assert not a[0]["b"].any()
    z = MLP([4, 6, 2], ("tanh", "softmax"), "cce", init="zeros")
    assert not z.params()[0]["W"].any()


# ----------------------------------------------------------------------------- stability, errors


def test_huge_logits_are_stable():
    net = MLP([1, 3], "identity", "softmax_ce")
    net.params()[0]["W"][...] = [[1e4], [-1e4], [0.0]]
    X = np.array([[1.0], [-1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grads = net.gradients(X, [1, 0])  # both samples confidently wrong by 2e4
        assert loss == pytest.approx(2e4)
        assert all(np.isfinite(g).all() for g in grads[0].values())
        sig = MLP([1, 1], "sigmoid", "bce")
        sig.params()[0]["W"][...] = 1e4
        assert sig.loss(np.array([[1.0], [-1.0]]), [0.0, 1.0]) == pytest.approx(1e4)
        assert np.isfinite(sig.gradients(np.array([[1.0]]), [0.0])[1][0]["W"]).all()


def test_bad_inputs_raise_helpful_errors():
    net = MLP([3, 4, 2], ("relu", "softmax"), "cce")
    X, y = _batch(5, 3), np.array([0, 1, 1, 0, 1])
    with pytest.raises(ValueError, match=r"X has shape \(5, 4\).*sizes\[0\]=3.*\(4, 3\)"):
        net.loss(np.ones((5, 4)), y)
    with pytest.raises(ValueError, match=r"Y has 4 labels.*5 samples"):
        net.loss(X, y[:4])
    Xn = X.copy()
    Xn[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"X contains a non-finite value.*\(2, 1\)"):
        net.fit(Xn, y)
    with pytest.raises(ValueError, match="X is an empty batch"):
        net.forward(np.ones((0, 3)))
    with pytest.raises(ValueError, match="Y contains the label 2 at index 3, out of range"):
        net.loss(X, [0, 1, 1, 2, 0])
    with pytest.raises(ValueError, match="Y contains the label -1"):
        net.fit(X, [0, 1, -1, 1, 0])
    with pytest.raises(ValueError, match="X_val"):
        net.fit(X, y, validation=(np.ones((2, 2)), [0, 1]))
    reg = MLP([3, 2], "identity", "mse")
    with pytest.raises(ValueError, match=r"Y contains a non-finite value.*\(0, 1\)"):
        reg.loss(X, np.array([[0, np.nan]] * 5))
    with pytest.raises(ValueError, match=r"Y has shape \(5, 3\).*2 outputs"):
        reg.loss(X, np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"Y has 4 samples.*X has 5"):
        reg.fit(X, np.ones((4, 2)))
    bin_net = MLP([3, 1], "sigmoid", "bce")
    with pytest.raises(ValueError, match=r"Y has the value 2.0.*\[0, 1\]"):
        bin_net.loss(X, [0, 1, 2, 0, 1])
    with pytest.raises(ValueError, match="batch_size"):
        net.fit(X, y, batch_size=0)
    with pytest.raises(ValueError, match="epochs"):
        net.fit(X, y, epochs=0)
    with pytest.raises(TypeError, match="optimizer"):
        net.fit(X, y, optimizer="sgd")
    with pytest.raises(RuntimeError, match="backward"):
        MLP([3, 2], "identity", "mse").backward()


def test_bad_construction_raises_helpful_errors():
    with pytest.raises(ValueError, match=r"sizes\[1\] must be >= 1.*sizes=\[3, 0, 2\]"):
        MLP([3, 0, 2], ("relu", "softmax"), "cce")
    with pytest.raises(ValueError, match="at least 2 entries"):
        MLP([3], "relu", "mse")
    with pytest.raises(TypeError, match="sizes"):
        MLP("34", "relu", "mse")
    with pytest.raises(TypeError, match=r"sizes\[1\] must be an integer"):
        MLP([3, 2.5], "relu", "mse")
    with pytest.raises(ValueError, match="unknown activation 'rleu'; known activation names: .*relu"):
        MLP([3, 4, 2], ("rleu", "softmax"), "cce")
    with pytest.raises(ValueError, match="activations has 3 entries but sizes define L=2"):
        MLP([3, 4, 2], ("relu", "relu", "softmax"), "cce")
    with pytest.raises(ValueError, match="unknown loss 'cross_entropy'"):
        MLP([3, 4, 2], ("relu", "softmax"), "cross_entropy")
    with pytest.raises(ValueError, match="softmax twice"):
        MLP([3, 4, 2], ("relu", "softmax"), "softmax_ce")
    with pytest.raises(ValueError, match="at least 2 outputs"):
        MLP([3, 1], "softmax", "cce")
    with pytest.raises(TypeError, match="rng"):
        MLP([3, 2], "identity", "mse", rng=None)
    with pytest.raises(ValueError, match="unknown initializer"):
        MLP([3, 2], "identity", "mse", init="kaiming")


def test_custom_init_callable():
    def ones(fan_in, fan_out, rng):
        return np.ones((fan_out, fan_in))

    net = MLP([3, 2, 1], ("relu", "identity"), "mse", init=ones)
    assert all((p["W"] == 1).all() for p in net.params())
    with pytest.raises(ValueError, match=r"returned shape \(3, 2\); expected \(2, 3\)"):
        MLP([3, 2], "identity", "mse", init=lambda i, o, r: np.ones((i, o)))


def test_rrelu_trains_in_training_mode_and_evaluates_deterministically():
    X, y = _blobs()
    net = MLP([2, 6, 3], ("rrelu", "softmax"), "cce", rng=0)
    net.fit(X, y, epochs=2, batch_size=10)
    assert net.layers[0].activation.training is False  # back in eval mode after fit
    np.testing.assert_array_equal(net.forward(X), net.forward(X))


# --- the hooks the training loop uses (nnlib.training, nnlib._fast): public, cheap, and they refuse bad input ---

def test_training_hooks_refuse_bad_input_at_their_entry():
    from nnlib.layers import Dense
    from nnlib.optim import SGD

    net = MLP([3, 4, 2], ["tanh", "identity"], "softmax_ce", rng=0)
    X, y = np.ones((5, 3)), np.array([0, 1, 0, 1, 1])
    Xp, yp = net.prepare(X, y)
    assert Xp.shape == (5, 3) and yp.tolist() == y.tolist() and net.prepare(X).shape == (5, 3)
    with pytest.raises(ValueError, match="X_val has shape"):
        net.prepare(np.ones((5, 4)), y, names=("X_val", "Y_val"))
    with pytest.raises(TypeError, match="names must be a pair"):
        net.prepare(X, y, names="X")
    with pytest.raises(TypeError, match="flag"):
        net.set_training("yes")
    out = net.forward(X)
    with pytest.raises(TypeError, match=r"out must be the network's output, a real floating array \(N, 2\)"):
        net.output_error(out[:, :1], yp)
    with pytest.raises(TypeError, match="Y must be the prepared targets of the batch"):
        net.output_error(out, [0, 1, 0, 1, 1])
    with pytest.raises(TypeError, match="Y must be the prepared targets"):
        net.count_correct(out, yp[:3])
    with pytest.raises(ValueError, match="regressor"):
        MLP([3, 2], "identity", "mse").count_correct(out, yp)
    layer = Dense(np.ones((4, 3)), np.zeros(4), "relu")
    with pytest.raises(ValueError, match="expected a 2-d array with 4 columns"):
        layer.activate(np.ones((2, 3)))
    with pytest.raises(TypeError, match="da must be a numpy array"):
        layer.activation_delta([[1.0] * 4], None)
    # complex, boolean and object arrays are refused (a complex da came back complex, silently); integers are
    # converted to the layer's dtype, as maxout's output now is too (it kept the input's dtype)
    a, cache = layer.activate(np.ones((2, 4), dtype=int))
    assert a.dtype == np.float64 and layer.activation_delta(np.ones((2, 4), dtype=int), cache).dtype == np.float64
    for bad in (np.ones((2, 4), dtype=complex), np.ones((2, 4), dtype=bool), np.ones((2, 4), dtype=object)):
        with pytest.raises(TypeError, match="z must hold real numbers"):
            layer.activate(bad)
        with pytest.raises(TypeError, match="da must hold real numbers"):
            layer.activation_delta(bad, cache)
    maxout = Dense.create(3, 2, "maxout", rng=0)
    assert maxout.activate(np.ones((2, maxout.W.shape[0]), dtype=int))[0].dtype == np.float64
    for bad in ([1.0], np.ones(2, dtype=complex), np.ones(2, dtype=int)):  # a complex velocity came back
        with pytest.raises(TypeError, match=r"p must be the parameter array \(float32 or float64\)"):
            SGD(0.1, momentum=0.5).velocity(0, "W", bad)


@pytest.mark.parametrize("sizes, acts, loss", [([3, 4, 3], ["tanh", "softmax"], "cce"),
                                              ([3, 4, 3], ["tanh", "softmax"], "mse"),
                                              ([3, 4, 1], ["tanh", "sigmoid"], "bce"),
                                              ([3, 4, 2], ["tanh", "identity"], "mse")])
def test_the_batch_hooks_refuse_what_prepare_would_not_give(sizes, acts, loss):
    """output_error and count_correct are public (a hand-written training loop calls them): a complex, integer or
    object output, labels of the wrong dtype, a negative label (numpy's indexing would wrap it to the last
    class), a label past the last class or a cross-entropy target outside [0, 1] is an error naming Y or out,
    not a silently wrong loss or an IndexError from numpy."""
    net = MLP(sizes, acts, loss, rng=0)
    X = np.random.default_rng(0).normal(size=(5, 3))
    K = sizes[-1]
    Xp, Yp = net.prepare(X, np.array([0, 1, 2, 0, 1]) if net.task == "multiclass" else np.full((5, K), 0.5))
    out = net.forward(Xp)
    loss_value, delta = net.output_error(out, Yp)
    assert np.isfinite(loss_value) and delta.shape == out.shape
    with pytest.raises(ValueError, match=r"out is an empty batch"):  # NaN and a RuntimeWarning before
        net.output_error(out[:0], Yp[:0])
    hooks = [net.output_error] + ([net.count_correct] if net.task != "regression" else [])
    for hook in hooks:
        for bad in (out.astype(complex), out.astype(int), out.astype(object)):
            with pytest.raises(TypeError, match=r"out must be the network's output, a real floating array"):
                hook(bad, Yp)
        wrong_kind = Yp.astype(float) if net.task == "multiclass" else Yp.astype(int)
        for bad in (Yp.astype(complex), Yp.astype(str), wrong_kind):
            with pytest.raises(TypeError, match="Y must be the prepared targets of the batch"):
                hook(out, bad)
        if net.task == "multiclass":
            hook(out, Yp.astype(">i8"))  # labels of another byte order are still the same labels
            for label in (-1, K):
                with pytest.raises(ValueError, match=rf"Y contains the label {label} at index 2; labels must be in "
                                                     rf"\[0, {K}\)"):
                    hook(out, np.where(np.arange(5) == 2, label, Yp))
        elif loss == "bce":
            with pytest.raises(ValueError, match=r"targets in \[0, 1\]"):
                hook(out, Yp - 1.0)
        else:
            with pytest.raises(ValueError, match="finite targets"):
                hook(out, np.where(np.arange(5)[:, None] == 2, np.nan, Yp))


def test_the_hooks_agree_with_the_public_methods():
    net = MLP([3, 5, 3], ["tanh", "softmax"], "cce", rng=1)
    X, y = np.random.default_rng(0).normal(size=(7, 3)), np.array([0, 1, 2, 0, 1, 2, 0])
    loss, acc = net.evaluate(X, y)
    assert loss == pytest.approx(net.loss(X, y)) and acc == pytest.approx(net.accuracy(X, y))
    assert net.fused_output == "softmax" and not net.outputs_logits
    Xp, yp = net.prepare(X, y)
    z = net.forward(X)  # softmax probabilities; the fused loss works on the logits
    value, delta = net.output_error(np.log(z), yp)  # log-probabilities are logits up to a constant per row
    assert value == pytest.approx(loss) and delta.shape == (7, 3)
    assert net.count_correct(z, yp, logits=False) == pytest.approx(acc * 7)
    reg = MLP([3, 2], "identity", "mse")
    Yr = np.zeros((7, 2))
    lr, none = reg.evaluate(X, Yr)
    assert none is None and lr == pytest.approx(reg.loss(X, Yr))
    bad = reg.forward(X)
    bad[0, 0] = np.inf
    assert reg.output_error(bad, Yr) == (float("inf"), None)
