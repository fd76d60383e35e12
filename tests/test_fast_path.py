"""The fast path (MLP.gradients / MLP.fit: unchecked kernels, fused output gradient, BLAS axpy
update, per-batch shuffling) gives what the public, validated pieces give when chained by hand:
dense_forward/dense_backward, each activation's forward/backward and the loss's forward/backward.

Tolerances are per dtype: float64 agrees to ~1e-12 relative; float32 to a few ulps times the depth
(the fused softmax/sigmoid cross-entropy gradient takes a different, better conditioned route than
the reference's loss-then-activation chain, so the two differ by rounding only).
"""

import copy

import numpy as np
import pytest

from nnlib import activations, losses
from nnlib.layers import dense_backward, dense_forward
from nnlib.network import MLP
from nnlib.optim import SGD

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
            assert g[k].dtype == (p[k].dtype if k in ("W", "b") else g[k].dtype)
            assert g[k].shape == p[k].shape


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("hidden,out,loss", CASES[:5] + CASES[8:10], ids=lambda c: str(c))
@pytest.mark.parametrize("opt", [dict(lr=0.05), dict(lr=0.05, momentum=0.9, weight_decay=1e-2)], ids=["sgd", "momentum"])
def test_fit_steps_match_reference_updates(hidden, out, loss, dtype, opt):
    """Three mini-batch steps of fit == three hand-made SGD updates from the reference gradients."""
    net = _net(hidden, out, loss, dtype)
    ref_net = copy.deepcopy(net)
    X, Y = _data(net.task, dtype, n=3 * 4 - 1)  # batches of 4, 4, 3: the short last batch counts too
    net.fit(X, Y, epochs=1, batch_size=4, optimizer=SGD(**opt), shuffle=False)

    lr, mu, lam = opt["lr"], opt.get("momentum", 0.0), opt.get("weight_decay", 0.0)
    velocity = [{k: np.zeros_like(p) for k, p in layer.items()} for layer in ref_net.params()]
    for start in range(0, X.shape[0], 4):
        _, grads = reference_gradients(ref_net, X[start : start + 4], Y[start : start + 4])
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


def test_unchecked_kernels_of_overriding_activations_are_their_own():
    """An activation that overrides forward/backward (PReLU grads, maxout routing, softmax VJP) must not
    fall back to the element-wise base kernels in the hot loop."""
    for name in ("prelu", "rrelu", "apl", "srelu", "maxout", "softmax"):
        act = activations.get(name)
        cls = type(act)
        for public, fast in (("forward", "_forward_unchecked"), ("backward", "_backward_unchecked")):
            if any(public in k.__dict__ for k in cls.__mro__[: cls.__mro__.index(activations.Activation)]):
                assert getattr(cls, fast) is not getattr(activations.Activation, fast), f"{name}.{fast}"


def test_public_activation_checks_still_apply():
    """The unchecked kernels did not remove validation from the public API."""
    relu = activations.get("relu")
    with pytest.raises(ValueError, match="z"):
        relu.forward(np.array([[1.0, np.nan]]))
    a, cache = relu.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="da"):
        relu.backward(np.ones((3, 2)), cache)


# ------------------------------------------------------------------------------------------------
# fit's work arrays (nnlib.layers.Buffers): reused every step, never visible to the caller
# ------------------------------------------------------------------------------------------------


def _digits_like(n=2048, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 64)).astype(dtype), rng.integers(0, 10, n)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_a_later_epoch_allocates_no_batch_sized_arrays(dtype):
    """After the first fit, a full-batch epoch writes into the kept work arrays: what it allocates on
    top stays below half of one (N, M_1) array (a boolean ReLU mask, N x 10 logits, the gradients
    copied out at the end). Fresh arrays every step would be several such arrays."""
    import tracemalloc

    X, y = _digits_like(dtype=dtype)
    net = MLP([64, 128, 64, 10], ["relu", "relu", "identity"], "softmax_ce", rng=0, dtype=dtype)
    net.fit(X, y, epochs=1, shuffle=False)
    one_z = X.shape[0] * 128 * np.dtype(dtype).itemsize
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        net.fit(X, y, epochs=2, shuffle=False)
        extra = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert extra < 0.5 * one_z, f"a later epoch allocated {extra} bytes; one z of layer 1 is {one_z}"


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

        def _f(self, z):
            return 2.0 * np.maximum(z, 0.0)

        def _df(self, z, a):
            return 2.0 * (z > 0)

        def _backward_unchecked(self, da, cache):
            return da * self._df(*cache)

    assert activations.ReLU._forward_inplace is not None and activations.ReLU._backward_inplace is not None
    assert DoubleReLU._forward_inplace is None and DoubleReLU._backward_inplace is None
    net = MLP(SIZES, [DoubleReLU(), DoubleReLU(), "identity"], "softmax_ce", rng=3)
    X, Y = _data("multiclass", np.float64)
    twin = copy.deepcopy(net)
    net.fit(X, Y, epochs=1, optimizer=SGD(0.1), shuffle=False)  # one full batch: one step
    _, ref = reference_gradients(twin, X, Y)
    SGD(0.1).step(twin.params(), ref)
    for pf, pr in zip(net.params(), twin.params()):
        for k in pf:
            np.testing.assert_allclose(pf[k], pr[k], rtol=1e-10, atol=1e-12)


def test_copies_and_pickles_of_a_trained_network_start_without_work_arrays():
    import pickle

    X, y = _digits_like(n=200)
    net = MLP([64, 16, 10], ["relu", "identity"], "softmax_ce", rng=0)
    net.fit(X, y, epochs=1, batch_size=64, shuffle=False)
    assert sorted(net._buffers) == [8, 64]  # 200 = 3 * 64 + 8
    for other in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert other._buffers == {}
        np.testing.assert_array_equal(other.predict(X), net.predict(X))
        other.fit(X, y, epochs=1, batch_size=64, shuffle=False)  # and they train
