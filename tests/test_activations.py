"""Activations: derivatives and backward passes against centred finite differences, parameter
gradients of the learnable ones, softmax Jacobian, maxout routing, registry and input errors."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nnlib import activations as A
from nnlib.gradcheck import numerical_gradient, relative_error

SETTINGS = settings(max_examples=25, deadline=None)
TOL = 1e-6
H = 1e-6

# (name, kwargs, kinks): kinks are where f is not differentiable; drawn inputs are moved away.
ELEMENTWISE = [
    ("identity", {}, []),
    ("step", {}, [0.0]),
    ("sigmoid", {}, []),
    ("tanh", {}, []),
    ("hard_sigmoid", {}, [-2.0, 2.0]),
    ("hard_tanh", {}, [-1.0, 1.0]),
    ("relu", {}, [0.0]),
    ("leaky_relu", {"gamma": 0.1}, [0.0]),
    ("prelu", {"gamma": 0.3}, [0.0]),
    ("rrelu", {"training": False}, [0.0]),
    ("elu", {}, [0.0]),
    ("elu", {"gamma": 0.7}, [0.0]),
    ("softplus", {}, []),
    ("swish", {"beta": 1.5}, []),
    ("gelu", {}, []),
    ("apl", {"s": 3, "a": [0.5, -0.3, 0.2], "b": [-1.0, 0.5, 1.5]}, [0.0, -1.0, 0.5, 1.5]),
    ("srelu", {"t_l": -1.5, "a_l": 0.2, "t_r": 1.0, "a_r": 0.4}, [-1.5, 1.0]),
]
IDS = [f"{n}{kw}" if kw else n for n, kw, _ in ELEMENTWISE]

batches = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6),
    elements=st.floats(-5, 5, allow_nan=False, allow_subnormal=False),
)


def away(z, kinks, margin=1e-3):
    """Move entries closer than ``margin`` to a kink to 2*margin past it."""
    z = np.array(z, dtype=np.float64)
    for k in kinks:
        z = np.where(np.abs(z - k) < margin, k + 2 * margin, z)
    return z


def vjp_fd(act, z, da):
    """Finite-difference VJP: gradient of Σ f(z) ⊙ da with respect to z."""
    return numerical_gradient(lambda x: float(np.sum(act(x) * da)), z.copy(), H)


# ------------------------------------------------------------------------- element-wise ones

@pytest.mark.parametrize("name,kwargs,kinks", ELEMENTWISE, ids=IDS)
@SETTINGS
@given(z=batches)
def test_derivative_matches_centred_differences(name, kwargs, kinks, z):
    act = A.get(name, **kwargs)
    z = away(z, kinks)
    fd = (act(z + H) - act(z - H)) / (2 * H)
    d = act.derivative(z)
    assert d.shape == z.shape and d.dtype == np.float64
    assert relative_error(d, fd) < TOL


@pytest.mark.parametrize("name,kwargs,kinks", ELEMENTWISE, ids=IDS)
@SETTINGS
@given(z=batches, seed=st.integers(0, 2**32 - 1))
def test_backward_is_the_vjp(name, kwargs, kinks, z, seed):
    act = A.get(name, **kwargs)
    z = away(z, kinks)
    da = np.random.default_rng(seed).normal(size=z.shape)
    a, cache = act.forward(z)
    dz = act.backward(da, cache)
    assert dz.shape == z.shape
    np.testing.assert_allclose(dz, da * act.derivative(z), rtol=1e-12, atol=1e-15)
    assert relative_error(dz, vjp_fd(act, z, da)) < TOL


@pytest.mark.parametrize("act, f_limits, df_limits", [
    (A.Swish(), (0.0, math.inf), (0.0, 1.0)),
    (A.Swish(beta=-2.0), (-math.inf, 0.0), (1.0, 0.0)),
    (A.Swish(beta=0.0), (-math.inf, math.inf), (0.5, 0.5)),
    (A.GELU(), (0.0, math.inf), (0.0, 1.0)),
])
def test_formulas_give_their_limits_at_infinity(act, f_limits, df_limits):
    """f and df map ±inf like any number (forward refuses them): z·σ(βz) and z·Φ(z) are ∞·0 = NaN there as
    written, so the limits are put in, with no RuntimeWarning; NaN stays NaN."""
    import warnings

    z = np.array([-np.inf, np.inf, np.nan, -3.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a, d = act.f(z), act.df(z, act.f(z))
    assert a[:2].tolist() == list(f_limits) and np.isnan(a[2])
    assert d[:2].tolist() == list(df_limits)
    assert np.allclose(a[3:], act(z[3:])) and np.allclose(d[3:], act.derivative(z[3:]))


def test_step_is_a_threshold_with_zero_derivative():
    act = A.get("step")
    z = np.array([-2.0, -1e-9, 0.0, 1e-9, 3.0])
    np.testing.assert_array_equal(act(z), [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(act.derivative(z), np.zeros(5))


def test_closed_forms_and_identities():
    z = np.linspace(-6, 6, 101)
    s = A.sigmoid(z)
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-z)), rtol=1e-14)
    np.testing.assert_allclose(A.get("tanh")(z), 2 * A.sigmoid(2 * z) - 1, atol=1e-14)
    np.testing.assert_allclose(A.get("sigmoid").derivative(z), s * (1 - s), rtol=1e-14)
    np.testing.assert_allclose(A.get("softplus").derivative(z), s, rtol=1e-14)
    np.testing.assert_allclose(A.get("hard_sigmoid")(z), np.clip(0.25 * z + 0.5, 0, 1))
    np.testing.assert_allclose(A.get("swish", beta=1.0)(z), z * s, rtol=1e-14)
    # GELU is exact: compare with math.erfc point by point (Φ(x) = erfc(−x/√2)/2; the form
    # (1 + erf(x/√2))/2 loses relative accuracy in the left tail by cancellation).
    ref = np.array([x * 0.5 * math.erfc(-x / math.sqrt(2)) for x in z])
    np.testing.assert_allclose(A.get("gelu")(z), ref, rtol=1e-13, atol=1e-300)
    # Maxout with pieces (z, 0) is ReLU (the source's remark that ReLU is a special maxout).
    pieces = np.stack([z, np.zeros_like(z)], axis=-1).reshape(1, -1)
    np.testing.assert_array_equal(A.get("maxout", k=2)(pieces)[0], A.get("relu")(z))
    # APL with all a_s = 0 is ReLU; SReLU with slopes 1 is the identity.
    np.testing.assert_array_equal(A.get("apl", s=2)(z[None]), A.get("relu")(z[None]))
    np.testing.assert_allclose(A.get("srelu", a_l=1.0, a_r=1.0)(z), z, atol=1e-15)


# ------------------------------------------------------------------------- learnable parameters

def param_fd(act, key, z, da):
    return numerical_gradient(lambda _: float(np.sum(act(z) * da)), act.params[key], H)


@SETTINGS
@given(z=batches, seed=st.integers(0, 2**32 - 1), per_neuron=st.booleans())
def test_prelu_gamma_gradient(z, seed, per_neuron):
    rng = np.random.default_rng(seed)
    m = z.shape[1]
    act = A.get("prelu", gamma=rng.uniform(0, 0.5, m) if per_neuron else 0.2, size=m if per_neuron else None)
    z = away(z, [0.0])
    da = rng.normal(size=z.shape)
    act.backward(da, act.forward(z)[1])
    g = act.grads["gamma"]
    assert g.shape == act.params["gamma"].shape == ((m,) if per_neuron else ())
    np.testing.assert_allclose(g, (da * np.minimum(z, 0)).sum(axis=0) if per_neuron else (da * np.minimum(z, 0)).sum())
    assert relative_error(g, param_fd(act, "gamma", z, da)) < TOL


@SETTINGS
@given(z=batches, seed=st.integers(0, 2**32 - 1), per_neuron=st.booleans())
def test_apl_parameter_gradients(z, seed, per_neuron):
    rng = np.random.default_rng(seed)
    m, s = z.shape[1], 3
    shape = (s, m) if per_neuron else (s,)
    act = A.get("apl", s=s, size=m if per_neuron else None, a=rng.normal(size=shape), b=rng.uniform(-3, 3, shape))
    z = away(z, [0.0])
    b = np.broadcast_to(act.params["b_s"].reshape(s, -1), (s, m))
    for k in range(s):  # move z off every hinge b_s (per column)
        z = np.where(np.abs(z - b[k]) < 1e-3, b[k] + 2e-3, z)
    z = away(z, [0.0])
    da = rng.normal(size=z.shape)
    dz = act.backward(da, act.forward(z)[1])
    assert relative_error(dz, vjp_fd(act, z, da)) < TOL
    for key in ("a_s", "b_s"):
        assert act.grads[key].shape == shape
        assert relative_error(act.grads[key], param_fd(act, key, z, da)) < TOL


@SETTINGS
@given(z=batches, seed=st.integers(0, 2**32 - 1), per_neuron=st.booleans())
def test_srelu_parameter_gradients(z, seed, per_neuron):
    rng = np.random.default_rng(seed)
    m = z.shape[1]
    size = m if per_neuron else None
    n = m if per_neuron else None
    t_l, t_r = rng.uniform(-3, -0.5, n), rng.uniform(0.5, 3, n)
    act = A.get("srelu", t_l=t_l, a_l=rng.uniform(0, 1, n), t_r=t_r, a_r=rng.uniform(0, 2, n), size=size)
    z = np.where(np.abs(z - t_l) < 1e-3, t_l + 2e-3, z)
    z = np.where(np.abs(z - t_r) < 1e-3, t_r + 2e-3, z)
    da = rng.normal(size=z.shape)
    dz = act.backward(da, act.forward(z)[1])
    assert relative_error(dz, vjp_fd(act, z, da)) < TOL
    for key in ("t_l", "a_l", "t_r", "a_r"):
        assert act.grads[key].shape == act.params[key].shape
        assert relative_error(act.grads[key], param_fd(act, key, z, da)) < TOL


def test_learnable_params_are_live_arrays():
    """Optimizers update params in place: forward must read the same array object."""
    act = A.get("prelu", gamma=0.25, size=3)
    gamma = act.params["gamma"]
    z = -np.ones((2, 3))
    gamma -= 0.05  # an in-place SGD step
    np.testing.assert_allclose(act(z), -0.2 * np.ones((2, 3)))
    act.backward(np.ones((2, 3)), act.forward(z)[1])
    assert act.params["gamma"] is gamma


# ------------------------------------------------------------------------- RReLU

def test_rrelu_training_draws_slopes_and_backward_reuses_them():
    z = -np.linspace(0.5, 3, 40).reshape(4, 10)
    act = A.get("rrelu", lower=0.1, upper=0.4, rng=7)
    a1, cache = act.forward(z)
    slopes = a1 / z
    assert slopes.min() >= 0.1 and slopes.max() <= 0.4 and slopes.std() > 0.01
    da = np.random.default_rng(0).normal(size=z.shape)
    np.testing.assert_allclose(act.backward(da, cache), da * slopes, rtol=1e-12)
    assert not np.allclose(act(z), a1)  # a fresh draw each forward
    np.testing.assert_array_equal(A.get("rrelu", lower=0.1, upper=0.4, rng=7)(z), a1)  # reproducible
    act.eval()
    np.testing.assert_allclose(act(z), 0.25 * z)
    np.testing.assert_allclose(act(-z), -z)
    act.train()
    assert act.training


# ------------------------------------------------------------------------- softmax

@SETTINGS
@given(z=batches, seed=st.integers(0, 2**32 - 1))
def test_softmax_backward_is_jacobian_product(z, seed):
    act = A.get("softmax")
    da = np.random.default_rng(seed).normal(size=z.shape)
    a, cache = act.forward(z)
    J = act.jacobian(z)
    assert J.shape == (z.shape[0], z.shape[1], z.shape[1])
    np.testing.assert_allclose(J, np.transpose(J, (0, 2, 1)), atol=1e-15)  # symmetric
    np.testing.assert_allclose(J.sum(axis=-1), 0, atol=1e-15)  # softmax sums to 1
    # J[n, i, j] = da_i / dz_j, so the VJP is Σ_i da_i J[n, i, j].
    dz = act.backward(da, cache)
    np.testing.assert_allclose(dz, np.einsum("ni,nij->nj", da, J), atol=1e-14)
    assert relative_error(dz, vjp_fd(act, z, da)) < TOL
    # The Jacobian itself against finite differences, column j = ∂a/∂z_j.
    for j in range(z.shape[1]):
        e = np.zeros_like(z)
        e[:, j] = H
        col = (act(z + e) - act(z - e)) / (2 * H)
        assert relative_error(J[:, :, j], col) < TOL


def test_softmax_has_no_elementwise_derivative():
    with pytest.raises(TypeError, match="softmax is not element-wise.*jacobian"):
        A.get("softmax").derivative(np.zeros((1, 3)))


# ------------------------------------------------------------------------- maxout

@SETTINGS
@given(n=st.integers(1, 5), m=st.integers(1, 4), k=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_maxout_layout_routing_and_gradient(n, m, k, seed):
    rng = np.random.default_rng(seed)
    # Distinct values 0.1 apart (plus small noise): no ties, so finite differences are valid.
    z = (rng.permutation(n * m * k) * 0.1 + rng.uniform(-0.01, 0.01, n * m * k)).reshape(n, m * k)
    act = A.get("maxout", k=k)
    a, cache = act.forward(z)
    assert a.shape == (n, m)
    # Unit j uses the consecutive columns j*k ... j*k + k - 1.
    expected = np.stack([z[:, j * k:(j + 1) * k].max(axis=1) for j in range(m)], axis=1)
    np.testing.assert_array_equal(a, expected)
    np.testing.assert_array_equal(act(z.reshape(n, m, k)), a)  # 3-D layout (N, M, K)
    da = rng.normal(size=(n, m))
    dz = act.backward(da, cache)
    assert dz.shape == z.shape
    winners = z.reshape(n, m, k) == a[..., None]
    np.testing.assert_array_equal(dz.reshape(n, m, k)[~winners], 0.0)  # losers get nothing
    np.testing.assert_array_equal(dz.reshape(n, m, k)[winners], da.ravel())  # winner gets da
    assert relative_error(dz, vjp_fd(act, z, da)) < TOL


def test_maxout_tie_goes_to_first_piece():
    act = A.get("maxout", k=3)
    a, cache = act.forward(np.array([[1.0, 1.0, 0.0]]))
    np.testing.assert_array_equal(act.backward(np.array([[2.0]]), cache), [[2.0, 0.0, 0.0]])


# ------------------------------------------------------------------------- dtype

ALL = [(n, kw) for n, kw, _ in ELEMENTWISE] + [("softmax", {}), ("maxout", {"k": 2})]


@pytest.mark.parametrize("name,kwargs", ALL, ids=[f"{n}{kw}" for n, kw in ALL])
def test_float32_in_float32_out(name, kwargs):
    act = A.get(name, **kwargs)
    z = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    a, cache = act.forward(z)
    assert a.dtype == np.float32
    assert act.backward(np.ones_like(a), cache).dtype == np.float32
    if act.elementwise:
        assert act.derivative(z).dtype == np.float32
    # float64 is the default for other inputs (ints become float64).
    assert act(np.arange(-4, 4).reshape(2, 4)).dtype == np.float64


# ------------------------------------------------------------------------- registry

def test_registry_names_and_aliases():
    required = {
        "identity", "step", "sigmoid", "logistic", "tanh", "hard_sigmoid", "hard_logistic", "hard_tanh",
        "relu", "leaky_relu", "prelu", "rrelu", "elu", "softplus", "swish", "gelu", "maxout", "softmax",
        "apl", "srelu",
    }
    assert required <= set(A.names())
    assert type(A.get("logistic")) is type(A.get("sigmoid")) is A.Sigmoid
    assert type(A.get("hard_logistic")) is A.HardSigmoid
    assert type(A.get("linear")) is A.Identity
    assert A.get("Leaky-ReLU", gamma=0.2).gamma == 0.2
    assert A.get("elu", alpha=0.5).gamma == 0.5
    act = A.get("relu")
    assert A.get(act) is act
    assert A.get("prelu") is not A.get("prelu")  # learnable state is never shared
    assert A.get("prelu").params["gamma"] == 0.25 and A.get("leaky_relu").gamma == 0.01


def test_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match=r"unknown activation 'relu6'.*known activation names: apl, .*softmax"):
        A.get("relu6")
    with pytest.raises(TypeError, match="activation name must be a string"):
        A.get(3)
    with pytest.raises(TypeError, match=r"'relu' got unknown argument\(s\) gamma"):
        A.get("relu", gamma=0.1)


# ------------------------------------------------------------------------- bad input

BAD_Z = [
    ("text", TypeError, r"z must be a numeric array"),
    (np.array([[1 + 1j, 0j]]), TypeError, r"z must be real, got a complex array with shape \(1, 2\)"),
    (np.array([[None, 1.0]], dtype=object), TypeError, r"z must be a real numeric array, got shape \(1, 2\) and dtype object"),
    (np.array([[True, False]]), TypeError, r"z must be a real numeric array, got a boolean array"),
    (np.array([[0.0, 1.0], [np.nan, 2.0]]), ValueError, r"z contains a non-finite value \(nan\) at index \(1, 0\)"),
    (np.array([[0.0, np.inf]]), ValueError, r"z contains a non-finite value \(inf\) at index \(0, 1\)"),
    (np.zeros((0, 4)), ValueError, r"z is an empty batch \(shape \(0, 4\)"),
    ([[1.0, 2.0], [3.0]], TypeError, r"z must be a numeric array \(rectangular\)"),
]


@pytest.mark.parametrize("name,kwargs", ALL, ids=[f"{n}{kw}" for n, kw in ALL])
@pytest.mark.parametrize("z,exc,msg", BAD_Z, ids=[b[2][:18] for b in BAD_Z])
def test_bad_z_is_rejected_with_its_name(name, kwargs, z, exc, msg):
    act = A.get(name, **kwargs)
    with pytest.raises(exc, match=msg):
        act.forward(z)
    if act.elementwise:
        with pytest.raises(exc, match=msg):
            act.derivative(z)


@pytest.mark.parametrize("name,kwargs", ALL, ids=[f"{n}{kw}" for n, kw in ALL])
def test_backward_rejects_da_of_the_wrong_shape(name, kwargs):
    act = A.get(name, **kwargs)
    a, cache = act.forward(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"da has shape \(3, 5\) but .*shape " + str(a.shape).replace("(", r"\(").replace(")", r"\)")):
        act.backward(np.ones((3, 5)), cache)
    with pytest.raises(ValueError, match=r"da contains a non-finite value \(nan\)"):
        act.backward(np.full(a.shape, np.nan), cache)


def test_module_functions_reject_bad_input():
    for fn in (A.sigmoid, A.softmax, A.log_softmax, A.logsumexp):
        with pytest.raises(TypeError, match="z must be"):
            fn(["a", "b"])
        with pytest.raises(ValueError, match=r"z contains a non-finite value \(nan\) at index 1"):
            fn([0.0, np.nan])
    with pytest.raises(ValueError, match=r"axis 2 is out of range for z with 2 dimension\(s\) \(shape \(2, 3\)\)"):
        A.softmax(np.zeros((2, 3)), axis=2)
    with pytest.raises(ValueError, match=r"z must have at least 1 dimension"):
        A.logsumexp(1.0)


def test_constructor_arguments_are_validated():
    with pytest.raises(ValueError, match=r"z has shape \(2, 3\) but PReLU was built with size=4"):
        A.get("prelu", size=4)(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"gamma has shape \(3,\) but size=4"):
        A.get("prelu", gamma=[0.1, 0.2, 0.3], size=4)
    with pytest.raises(TypeError, match="gamma must be a real number, got str"):
        A.get("leaky_relu", gamma="0.1")
    with pytest.raises(ValueError, match=r"gamma must be finite, got nan"):
        A.get("elu", gamma=float("nan"))
    with pytest.raises(ValueError, match="lower must be <= upper, got lower=0.5, upper=0.2"):
        A.get("rrelu", lower=0.5, upper=0.2)
    with pytest.raises(TypeError, match="rng must be an int seed or a numpy.random.Generator, got NoneType"):
        A.get("rrelu", rng=None)
    with pytest.raises(ValueError, match=r"z has shape \(2, 5\): maxout with k=2 needs \(N, M\*2\) columns"):
        A.get("maxout", k=2)(np.ones((2, 5)))
    with pytest.raises(ValueError, match=r"z has shape \(2, 3, 4\): a 3-D maxout input must be \(N, M, k=2\)"):
        A.get("maxout", k=2)(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"k must be >= 1, got 0"):
        A.get("maxout", k=0)
    with pytest.raises(ValueError, match=r"b has shape \(2,\); expected shape \(3,\)"):
        A.get("apl", s=3, b=[0.0, 1.0])
    with pytest.raises(ValueError, match=r"z has shape \(2, 3\) but APL was built with size=2"):
        A.get("apl", size=2)(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"t_l must be <= t_r, got t_l=2.0 and t_r=1.0"):
        A.get("srelu", t_l=2.0, t_r=1.0)
