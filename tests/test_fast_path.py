"""The speed-ups of nnlib._fast (work arrays, gemm with the bias inside, in-place ReLU/identity,
transposed softmax cross-entropy, BLAS axpy, per-batch gathering of shuffled rows) and the network's
unchecked passes give what the public, validated pieces give when chained by hand:
dense_forward/dense_backward, each activation's forward/backward, dropout_forward/dropout_backward
and the loss's forward/backward.

Tolerances are per dtype: float64 agrees to ~1e-12 relative; float32 to a few ulps times the depth
(the fused softmax/sigmoid cross-entropy gradient takes a different, better conditioned route than
the reference's loss-then-activation chain, so the two differ by rounding only).
"""

import copy
import inspect
import sys

import numpy as np
import pytest

from nnlib import _fast, activations, losses, training
from nnlib.layers import dense_backward, dense_forward, dropout_backward, dropout_forward
from nnlib.network import MLP
from nnlib.optim import SGD

# These are the fast path's own tests: they call nnlib._fast directly (tests/test_structure.py).
WHITE_BOX = ("nnlib._fast",)

TOL = {np.float64: dict(rtol=1e-9, atol=1e-12), np.float32: dict(rtol=2e-4, atol=2e-6)}

# (hidden activation, output activation, loss): the output/loss pairs cover the fused softmax and
# sigmoid cross-entropies (probabilities or logits) and the unfused MSE.
CASES = [
    ("relu", "identity", "softmax_ce"),
    ("tanh", "softmax", "cce"),
    ("sigmoid", "sigmoid", "bce"),
    ("leaky_relu", "identity", "bce_logits"),
    ("elu", "identity", "mse"),
    ("gelu", "tanh", "mse"),
    ("softplus", "identity", "softmax_ce"),
    ("swish", "softmax", "cce"),
    ("prelu", "identity", "softmax_ce"),
    ("maxout", "identity", "softmax_ce"),
    ("hard_tanh", "sigmoid", "bce"),
]
SIZES = [5, 7, 6, 3]
N = 9


def _data(task, dtype, seed=0, n=N):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, SIZES[0])).astype(dtype)
    if task == "multiclass":
        Y = rng.integers(0, SIZES[-1], n)
    elif task == "binary":
        Y = rng.integers(0, 2, (n, SIZES[-1])).astype(dtype)
    else:
        Y = rng.normal(size=(n, SIZES[-1])).astype(dtype)
    return X, Y


def _net(hidden, out, loss, dtype, seed=1):
    net = MLP(SIZES, [hidden, hidden, out], loss, rng=seed, dtype=dtype)
    # Non-zero biases, so a wrong db or a missing "+ b" shows.
    rng = np.random.default_rng(seed + 100)
    for layer in net.layers:
        layer.b[:] = rng.normal(scale=0.3, size=layer.b.shape)
    return net


def reference_gradients(net, X, Y):
    """Loss and per-layer gradients from the public layer, activation and loss functions."""
    loss_fn = losses.get(
        {"SoftmaxCrossEntropy": "softmax_ce", "CategoricalCrossEntropy": "cce", "BinaryCrossEntropy": "bce",
         "BinaryCrossEntropyWithLogits": "bce_logits", "MSE": "mse"}[type(net.loss_fn).__name__]
    )
    a, tape = X, []
    for layer in net.layers:
        act = copy.deepcopy(layer.activation)  # its grads dict is filled by backward below
        z, dense_cache = dense_forward(a, layer.W, layer.b)
        a, act_cache = act.forward(z)
        tape.append((dense_cache, act, act_cache))
    loss = loss_fn.forward(a, Y)
    da = loss_fn.backward(a, Y)
    grads = []
    for dense_cache, act, act_cache in reversed(tape):
        if act.elementwise and not act.params:
            # da ⊙ f'(z) through the public derivative: a route independent of the backward kernels.
            delta = da * act.derivative(act_cache[0])
        else:
            delta = act.backward(da, act_cache)
        da, dW, db = dense_backward(delta, dense_cache)
        grads.append({"W": dW, "b": db, **{k: np.asarray(v) for k, v in act.grads.items()}})
    return float(loss), grads[::-1]


def _assert_same(fast, ref, dtype, what):
    assert len(fast) == len(ref)
    for l, (gf, gr) in enumerate(zip(fast, ref)):
        assert gf.keys() == gr.keys(), f"{what} layer {l + 1}: keys {sorted(gf)} vs {sorted(gr)}"
        for k in gf:
            scale = max(1.0, float(np.max(np.abs(gr[k]))))
            np.testing.assert_allclose(
                gf[k], gr[k], rtol=TOL[dtype]["rtol"], atol=TOL[dtype]["atol"] * scale,
                err_msg=f"{what}: layer {l + 1} {k}",
            )


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("hidden,out,loss", CASES, ids=["-".join(c) for c in CASES])
def test_gradients_match_reference_chain(hidden, out, loss, dtype):
    net = _net(hidden, out, loss, dtype)
    X, Y = _data(net.task, dtype)
    ref_loss, ref = reference_gradients(net, X, Y)
    fast_loss, fast = net.gradients(X, Y)
    assert fast_loss == pytest.approx(ref_loss, rel=10 * TOL[dtype]["rtol"])
    _assert_same(fast, ref, dtype, f"{hidden}/{out}/{loss}")
    for g, p in zip(fast, net.params()):
        for k in g:
            # float32 in, float32 gradients out (activation parameters are kept in float64).
            assert g[k].dtype == (np.dtype(dtype) if k in ("W", "b") else np.float64)
            assert g[k].shape == p[k].shape


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("hidden,out,loss", CASES, ids=["-".join(c) for c in CASES])
def test_workspace_step_matches_reference_chain(hidden, out, loss, dtype):
    """fit's step (work arrays, gemm, in-place kernels, transposed softmax) == the public chain."""
    net = _net(hidden, out, loss, dtype)
    X, Y = _data(net.task, dtype)
    ref_loss, ref = reference_gradients(net, X, Y)
    ws = _fast.Workspace(net)
    for repeat in range(2):  # the second step reuses the arrays the first one wrote
        fast_loss, _, fast = ws.step(X, net.prepare(X, Y)[1])
        assert fast_loss == pytest.approx(ref_loss, rel=10 * TOL[dtype]["rtol"])
        _assert_same(fast, ref, dtype, f"workspace {hidden}/{out}/{loss} step {repeat + 1}")


def test_fast_kernels_match_the_textbook_ones():
    rng = np.random.default_rng(5)
    for dtype in (np.float64, np.float32):
        a, W, b = (rng.normal(size=s).astype(dtype) for s in ((6, 4), (3, 4), (3,)))
        z, cache = dense_forward(a, W, b)
        out = _fast.dense_forward_into(a, W, b, np.empty((6, 3), dtype))
        np.testing.assert_allclose(out, z, **TOL[dtype])
        delta = rng.normal(size=(6, 3)).astype(dtype)
        work = _fast.LayerWork(W, 6)
        for got, want in zip(_fast.dense_backward_into(delta, a, W, work), dense_backward(delta, cache)):
            np.testing.assert_allclose(got, want, **TOL[dtype])
        # One sample (gemm for the outer product dW), with delta as a C-ordered row and as the
        # transposed view the fused softmax returns.
        one = _fast.LayerWork(W, 1)
        _, cache1 = dense_forward(a[:1], W, b)
        for d1 in (delta[:1].copy(), delta[:1].T.copy().T):
            want = dense_backward(d1, cache1)
            for got, w in zip(_fast.dense_backward_into(d1, a[:1], W, one), want):
                np.testing.assert_allclose(got, w, **TOL[dtype])
        labels = rng.integers(0, 3, 6)
        loss, d = _fast.softmax_xent(z, labels)
        ref_loss, ref_d = losses.SoftmaxCrossEntropy().value_and_delta(z, labels)
        assert loss == pytest.approx(ref_loss, rel=TOL[dtype]["rtol"])
        np.testing.assert_allclose(d, ref_d, **TOL[dtype])
        np.testing.assert_allclose(ref_d, losses.SoftmaxCrossEntropy().backward(z, labels), **TOL[dtype])
    for cls, (fwd, bwd) in _fast.INPLACE.items():
        act = cls()
        z = rng.normal(size=(4, 5))
        a_ref, cache_ref = act.forward(z)
        da = rng.normal(size=(4, 5))
        dz_ref = act.backward(da, cache_ref)
        a, cache = fwd(z.copy())
        np.testing.assert_array_equal(a, a_ref)
        np.testing.assert_array_equal(bwd(da.copy(), cache), dz_ref)


def test_fit_with_dropout_matches_reference_masks():
    """Dropout inside fit's step == dropout_forward/backward with masks from the same rng."""
    net = MLP(SIZES, ["tanh", "relu", "identity"], "softmax_ce", rng=2, dropout=[0.3, 0.5])
    twin = copy.deepcopy(net)
    X, Y = _data("multiclass", np.float64)
    net.fit(X, Y, epochs=1, optimizer=SGD(0.1), shuffle=False, rng=11)
    gen = np.random.default_rng(11)
    a, tape = X, []
    for l, layer in enumerate(twin.layers):
        z, dc = dense_forward(a, layer.W, layer.b)
        a, ac = layer.activation.forward(z)
        mc = None
        if l < 2:
            a, mc = dropout_forward(a, twin.dropout[l], gen)
        tape.append((dc, layer.activation, ac, mc))
    loss_fn = losses.get("softmax_ce")
    da = loss_fn.backward(a, Y)
    grads = []
    for dc, act, ac, mc in reversed(tape):
        if mc is not None:
            da = dropout_backward(da, mc)
        da, dW, db = dense_backward(act.backward(da, ac), dc)
        grads.append({"W": dW, "b": db})
    SGD(0.1).step(twin.params(), grads[::-1])
    for pf, pr in zip(net.params(), twin.params()):
        for k in pf:
            np.testing.assert_allclose(pf[k], pr[k], rtol=1e-10, atol=1e-12)


def test_sgd_fast_step_matches_sgd_step():
    rng = np.random.default_rng(3)
    for kw in (dict(lr=0.1), dict(lr=0.05, momentum=0.9, weight_decay=0.01, decay_bias=True)):
        params = [{"W": rng.normal(size=(3, 4)), "b": rng.normal(size=3), "gamma": np.array(0.2)}]
        twin = copy.deepcopy(params)
        fast, slow = SGD(**kw), SGD(**kw)
        for _ in range(3):
            grads = [{k: rng.normal(size=p.shape) for k, p in params[0].items()}]
            _fast.sgd_step(fast, params, grads)
            slow.step(twin, grads)
        for k in params[0]:
            np.testing.assert_allclose(params[0][k], twin[0][k], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("hidden,out,loss", CASES[:5] + CASES[8:10], ids=lambda c: str(c))
@pytest.mark.parametrize("opt", [dict(lr=0.05), dict(lr=0.05, momentum=0.9, weight_decay=1e-2)], ids=["sgd", "momentum"])
@pytest.mark.parametrize("bs", [4, 1], ids=["batch4", "batch1"])
def test_fit_steps_match_reference_updates(hidden, out, loss, dtype, opt, bs):
    """Three steps of fit == three hand-made SGD updates from the reference gradients. Batches of
    4, 4, 3 (the short last batch counts too) and of one sample (where dW is an outer product,
    computed by gemm instead of numpy's matmul)."""
    net = _net(hidden, out, loss, dtype)
    ref_net = copy.deepcopy(net)
    X, Y = _data(net.task, dtype, n=3 * bs - 1 if bs > 1 else 3)
    net.fit(X, Y, epochs=1, batch_size=bs, optimizer=SGD(**opt), shuffle=False)

    lr, mu, lam = opt["lr"], opt.get("momentum", 0.0), opt.get("weight_decay", 0.0)
    velocity = [{k: np.zeros_like(p) for k, p in layer.items()} for layer in ref_net.params()]
    for start in range(0, X.shape[0], bs):
        _, grads = reference_gradients(ref_net, X[start : start + bs], Y[start : start + bs])
        for p_l, g_l, v_l in zip(ref_net.params(), grads, velocity):
            for k, p in p_l.items():
                g = g_l[k].astype(p.dtype) + (lam * p if k == "W" else 0.0)
                v_l[k] = mu * v_l[k] - lr * g
                p += v_l[k]
    for l, (pf, pr) in enumerate(zip(net.params(), ref_net.params())):
        for k in pf:
            assert pf[k].dtype == pr[k].dtype
            np.testing.assert_allclose(pf[k], pr[k], rtol=TOL[dtype]["rtol"] * 10, atol=TOL[dtype]["atol"] * 10,
                                       err_msg=f"layer {l + 1} {k} after fit")
        assert any(not np.array_equal(pf[k], p0) for k, p0 in _net(hidden, out, loss, dtype).params()[l].items())


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_fit_with_fortran_ordered_weights_trains_like_c_ordered_ones(dtype):
    """The BLAS calls write into the work arrays in place whatever the layout of W (a gemm that had
    to copy its output array would leave the gradient unwritten)."""
    net = _net("relu", "identity", "softmax_ce", dtype)
    twin = copy.deepcopy(net)
    for layer in net.layers:
        layer.W = np.asfortranarray(layer.W)
    X, Y = _data("multiclass", dtype, n=5)
    for bs in (1, 2):
        net.fit(X, Y, epochs=1, batch_size=bs, optimizer=SGD(0.1), shuffle=False)
        twin.fit(X, Y, epochs=1, batch_size=bs, optimizer=SGD(0.1), shuffle=False)
        for pf, pt in zip(net.params(), twin.params()):
            for k in pf:
                np.testing.assert_allclose(pf[k], pt[k], **TOL[dtype])


def test_fit_with_shuffle_uses_the_same_batches_as_a_permuted_copy():
    """Per-batch gathering of shuffled rows trains exactly like shuffling the whole set first."""
    net = _net("relu", "identity", "softmax_ce", np.float64)
    twin = copy.deepcopy(net)
    X, Y = _data("multiclass", np.float64, n=10)
    net.fit(X, Y, epochs=1, batch_size=3, optimizer=SGD(0.1), shuffle=True, rng=7)
    perm = np.random.default_rng(7).permutation(10)
    twin.fit(X[perm], Y[perm], epochs=1, batch_size=3, optimizer=SGD(0.1), shuffle=False)
    for pf, pt in zip(net.params(), twin.params()):
        for k in pf:
            np.testing.assert_array_equal(pf[k], pt[k])


def test_sgd_step_updates_non_contiguous_and_scalar_parameters_in_place():
    """The BLAS shortcut only applies to contiguous arrays; views and 0-d parameters still update in place."""
    base = np.arange(12.0).reshape(3, 4)
    view = base[:, ::2]  # non-contiguous view into base
    gamma = np.array(0.25)
    g_view, g_gamma = np.ones((3, 2)), np.array(2.0)
    W = np.ones((4, 3), dtype=np.float32)
    before = base.copy()
    SGD(lr=0.5).step([{"W": view, "gamma": gamma}, {"W": W}], [{"W": g_view, "gamma": g_gamma},
                                                              {"W": np.full((4, 3), 2.0, np.float32)}])
    np.testing.assert_array_equal(base[:, ::2], before[:, ::2] - 0.5)
    np.testing.assert_array_equal(base[:, 1::2], before[:, 1::2])  # the other columns untouched
    assert float(gamma) == pytest.approx(0.25 - 1.0)
    assert W.dtype == np.float32 and np.array_equal(W, np.zeros((4, 3), np.float32))


def test_activations_override_the_batch_passes_never_the_public_pair():
    """One validating wrapper: forward/backward live in the base class only."""
    for name in activations.names():
        cls = type(activations.get(name))
        assert cls.forward is activations.Activation.forward, name
        assert cls.backward is activations.Activation.backward, name


def test_public_activation_checks_still_apply():
    """The unchecked kernels did not remove validation from the public API."""
    relu = activations.get("relu")
    with pytest.raises(ValueError, match="z"):
        relu.forward(np.array([[1.0, np.nan]]))
    a, cache = relu.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="da"):
        relu.backward(np.ones((3, 2)), cache)


# ------------------------------------------------------------------------------------------------
# fit's work arrays (nnlib._fast.Workspace): reused every step, never visible to the caller
# ------------------------------------------------------------------------------------------------


def _digits_like(n=2048, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 64)).astype(dtype), rng.integers(0, 10, n)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_a_later_epoch_allocates_no_batch_sized_arrays(dtype):
    """Epochs after the first write into the work arrays the first one made: the peak of a 4-epoch
    fit exceeds that of a 1-epoch fit by less than half of one (N, M_1) array. Fresh arrays every
    step would add several such arrays."""
    import tracemalloc

    X, y = _digits_like(dtype=dtype)
    one_z = X.shape[0] * 128 * np.dtype(dtype).itemsize
    peaks = []
    for epochs in (1, 4):
        net = MLP([64, 128, 64, 10], ["relu", "relu", "identity"], "softmax_ce", rng=0, dtype=dtype)
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            net.fit(X, y, epochs=epochs, shuffle=False)
            peaks.append(tracemalloc.get_traced_memory()[1] - base)
        finally:
            tracemalloc.stop()
    assert peaks[1] - peaks[0] < 0.5 * one_z, f"peaks {peaks}; one z of layer 1 is {one_z} bytes"


def test_fit_leaves_its_inputs_alone_and_its_gradients_unshared():
    X, y = _digits_like(n=300)
    X0 = X.copy()
    net = MLP([64, 32, 10], ["relu", "identity"], "softmax_ce", rng=0)
    net.fit(X, y, epochs=2, batch_size=64, shuffle=False)
    np.testing.assert_array_equal(X, X0)  # in-place ReLU and gemm write only into fit's own arrays
    kept = [{k: g for k, g in layer.grads.items()} for layer in net.layers]
    values = [{k: g.copy() for k, g in layer.grads.items()} for layer in net.layers]
    assert all(layer.z is None and layer.a_prev is None for layer in net.layers)
    net.fit(X[::-1].copy(), y[::-1].copy(), epochs=1, batch_size=64, shuffle=False)
    for l, (k_l, v_l) in enumerate(zip(kept, values)):
        for k in k_l:
            np.testing.assert_array_equal(k_l[k], v_l[k], err_msg=f"layer {l + 1} {k} changed by a later fit")


def test_an_optimizer_of_ones_own_may_keep_the_gradients_it_is_given():
    """fit reuses its gradient arrays; an optimizer that stores them must still see each step's own."""

    class Recording(SGD):
        def __init__(self):
            super().__init__(lr=0.05)
            self.seen, self.copies = [], []

        def step(self, params, grads):
            self.seen.append(grads)
            self.copies.append([{k: g.copy() for k, g in g_l.items()} for g_l in grads])
            super().step(params, grads)

    net = _net("relu", "identity", "softmax_ce", np.float64)
    ref_net = copy.deepcopy(net)
    X, Y = _data("multiclass", np.float64, n=12)
    opt = Recording()
    net.fit(X, Y, epochs=1, batch_size=4, optimizer=opt, shuffle=False)
    assert len(opt.seen) == 3
    for step, (seen, copies) in enumerate(zip(opt.seen, opt.copies)):
        _, ref = reference_gradients(ref_net, X[4 * step : 4 * step + 4], Y[4 * step : 4 * step + 4])
        _assert_same(seen, ref, np.float64, f"step {step + 1}")
        _assert_same(seen, copies, np.float64, f"step {step + 1} (overwritten later?)")
        SGD(lr=0.05).step(ref_net.params(), ref)


def test_a_subclass_that_changes_f_does_not_inherit_the_in_place_kernels():
    class DoubleReLU(activations.ReLU):
        name = "double_relu"

        def f(self, z):
            return 2.0 * np.maximum(z, 0.0)

        def df(self, z, a):
            return 2.0 * (z > 0)

    assert activations.ReLU in _fast.INPLACE and DoubleReLU not in _fast.INPLACE
    net = MLP(SIZES, [DoubleReLU(), DoubleReLU(), "identity"], "softmax_ce", rng=3)
    X, Y = _data("multiclass", np.float64)
    twin = copy.deepcopy(net)
    net.fit(X, Y, epochs=1, optimizer=SGD(0.1), shuffle=False)  # one full batch: one step
    _, ref = reference_gradients(twin, X, Y)
    SGD(0.1).step(twin.params(), ref)
    for pf, pr in zip(net.params(), twin.params()):
        for k in pf:
            np.testing.assert_allclose(pf[k], pr[k], rtol=1e-10, atol=1e-12)


def test_a_trained_network_keeps_no_work_arrays():
    """The work arrays belong to one fit call: a trained network pickles to its parameters and last
    gradients (about twice an untrained one), and its copies train and predict alike."""
    import pickle

    X, y = _digits_like(n=2000)
    net = MLP([64, 16, 10], ["relu", "identity"], "softmax_ce", rng=0)
    fresh = len(pickle.dumps(net))
    net.fit(X, y, epochs=1, batch_size=512, shuffle=True)
    assert len(pickle.dumps(net)) < 2.5 * fresh
    for other in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        np.testing.assert_array_equal(other.predict(X), net.predict(X))
        other.fit(X, y, epochs=1, batch_size=64, shuffle=False)  # and they train


def test_a_kept_workspace_trains_like_a_fresh_one_and_allocates_nothing_new():
    import tracemalloc

    X, y = _digits_like(n=1000)
    net = MLP([64, 256, 10], ["relu", "identity"], "softmax_ce", rng=0)
    twin = copy.deepcopy(net)
    ws = _fast.Workspace(net)
    for _ in range(2):
        net.fit(X, y, epochs=1, batch_size=300, workspace=ws)
        twin.fit(X, y, epochs=1, batch_size=300)
    for p, q in zip(net.params(), twin.params()):
        for k in p:
            np.testing.assert_array_equal(p[k], q[k])

    def peak(**kw):
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            net.fit(X, y, epochs=1, batch_size=300, shuffle=False, **kw)
            return tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()

    kept, fresh = peak(workspace=ws), peak()
    assert kept < 0.5 * fresh, (kept, fresh)  # the work arrays are what a fresh call allocates
    with pytest.raises(TypeError, match="workspace must be a nnlib._fast.Workspace made for this network"):
        twin.fit(X, y, workspace=ws)


# --- fit's step is the textbook step (nnlib.training.train_step), computed faster -----------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("hidden,out,loss", CASES, ids=["-".join(c) for c in CASES])
@pytest.mark.parametrize("opt", [dict(lr=0.05), dict(lr=0.05, momentum=0.9, weight_decay=1e-2)], ids=["sgd", "momentum"])
def test_a_fit_step_is_the_textbook_training_step(hidden, out, loss, dtype, opt):
    """Two steps of fit on one full batch leave the parameters train_step leaves (same data, same SGD)."""
    net = _net(hidden, out, loss, dtype)
    twin = copy.deepcopy(net)
    X, Y = _data(net.task, dtype)
    net.fit(X, Y, epochs=2, batch_size=None, optimizer=SGD(**opt), shuffle=False)
    sgd = SGD(**opt)
    losses_ = [training.train_step(twin, X, Y, sgd) for _ in range(2)]
    assert all(np.isfinite(losses_)) and losses_[1] != losses_[0]
    for l, (pf, pt) in enumerate(zip(net.params(), twin.params())):
        for k in pf:
            scale = max(1.0, float(np.max(np.abs(pt[k]))))
            np.testing.assert_allclose(pf[k], pt[k], rtol=TOL[dtype]["rtol"], atol=TOL[dtype]["atol"] * scale,
                                       err_msg=f"layer {l + 1} {k}")


def test_the_textbook_step_is_forward_loss_backward_update():
    """train_step reads as Algorithm 4.1: the network's loss, its backward pass, the optimizer's step."""
    source = inspect.getsource(training.train_step)
    body = [line.strip() for line in source.split('"""')[2].splitlines() if line.strip()]
    assert body == ["loss = net.loss(X, Y)", "grads = net.backward()", "optimizer.step(net.params(), grads)",
                    "return loss"], body


@pytest.mark.parametrize("loss", ["mse", "bce", "cce", "softmax_ce", "bce_logits"])
def test_fit_validates_its_data_once_not_per_batch(loss, monkeypatch):
    """The validators of nnlib._checks run a fixed number of times per fit call: 1 batch or 30, the same."""
    calls = []
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("nnlib"):
            for name in ("as_float_array", "check_labels", "to_one_hot"):
                original = getattr(module, name, None)
                if callable(original) and getattr(original, "__module__", "") == "nnlib._checks":
                    monkeypatch.setattr(module, name, _counting(original, calls))
    out = {"mse": "sigmoid", "bce": "sigmoid", "cce": "softmax"}.get(loss, "identity")
    X, Y = _data(MLP([5, 4, 3], ["tanh", out], loss).task, np.float64, n=30)
    counts = []
    for batch_size in (None, 1):
        net = MLP([5, 4, 3], ["tanh", out], loss, rng=0)
        calls.clear()
        net.fit(X, Y, epochs=1, batch_size=batch_size, optimizer=SGD(0.1))
        counts.append(len(calls))
    assert counts[0] == counts[1] and 0 < counts[0] <= 4, counts


def _counting(function, calls):
    def counted(*args, **kwargs):
        calls.append(function.__name__)
        return function(*args, **kwargs)
    return counted
