"""The bad-input contract of every public nnlib function, property-based.

Contract: a public function either does its job or raises ValueError/TypeError at its own entry,
with a message naming the argument — never a MemoryError, IndexError, AttributeError, KeyError,
OverflowError, a numpy UFuncTypeError from deep inside, or an attempt to allocate a huge array.
Flags are real bools. The property test swaps one argument of a valid call for a value drawn from
a pool of bad ones (wrong shapes and dtypes, NaN/inf, empty and 0-d arrays, None, huge sizes,
unknown names, bools, strings, objects). The examples the issue lists are explicit tests below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nnlib import activations as A  # noqa: E402
from nnlib import autodiff, data, gradcheck, init, layers, losses, optim, perceptron, plotting, symbolic  # noqa: E402
from nnlib.network import MLP  # noqa: E402

CONTRACT = (TypeError, ValueError)
HUGE = 10**12

# ------------------------------------------------------------------------------------------------
# The pool of bad values (factories: some calls modify their arguments)
# ------------------------------------------------------------------------------------------------

BAD_VALUES: list[tuple[str, Callable[[], Any]]] = [
    ("None", lambda: None),
    ("True", lambda: True),
    ("str", lambda: "nope"),
    ("unknown name", lambda: "relu6"),
    ("neg int", lambda: -1),
    ("zero", lambda: 0),
    ("huge int", lambda: HUGE),
    ("2.5", lambda: 2.5),
    ("nan", lambda: float("nan")),
    ("inf", lambda: float("inf")),
    ("-inf", lambda: -float("inf")),
    ("complex", lambda: 1 + 1j),
    ("empty list", lambda: []),
    ("ragged", lambda: [[1.0, 2.0], [3.0]]),
    ("object", lambda: object()),
    ("dict", lambda: {"a": 1}),
    ("0-d", lambda: np.array(3.0)),
    ("empty 2-d", lambda: np.zeros((0, 3))),
    ("empty 1-d", lambda: np.zeros(0)),
    ("4-d", lambda: np.ones((2, 3, 4, 5))),
    ("nan array", lambda: np.full((4, 3), np.nan)),
    ("inf array", lambda: np.full((4, 2), np.inf)),
    ("bool array", lambda: np.ones((4, 2), bool)),
    ("complex array", lambda: np.ones((4, 3), complex)),
    ("str array", lambda: np.array(["a", "b"])),
    ("object array", lambda: np.array([object(), object()])),
    ("float16", lambda: np.ones((4, 3), np.float16)),
    ("wrong shape", lambda: np.ones((7, 5))),
    ("huge values", lambda: np.full((4, 3), 1e308)),
    ("RandomState", lambda: np.random.RandomState(0)),
    ("class", lambda: optim.SGD),
    ("function", lambda: (lambda *a, **k: None)),
    ("tuple", lambda: (1, 2, 3)),
    ("read-only", lambda: _readonly((4, 3))),
]
NOT_BOOL = [b for b in BAD_VALUES if b[0] not in ("True",)]


def _readonly(shape):
    a = np.ones(shape)
    a.flags.writeable = False
    return a


# ------------------------------------------------------------------------------------------------
# Valid calls of every public function
# ------------------------------------------------------------------------------------------------


@dataclass
class Spec:
    name: str
    call: Callable[..., Any]
    valid: Callable[[], dict]
    flags: tuple = ()
    aliases: dict = field(default_factory=dict)
    skip: tuple = ()  # arguments whose any value is legal (e.g. labels of a plot)
    long_ok: tuple = ()  # iteration counts: a huge one is a long run the caller asked for, not a bug


def _rng(seed=0):
    return np.random.default_rng(seed)


def _X(n=6, d=3, seed=0):
    return _rng(seed).normal(size=(n, d))


def _labels(n=6, k=3, seed=1):
    return _rng(seed).integers(0, k, n)


def _net(**kw):
    return MLP([3, 4, 3], ["tanh", "identity"], "softmax_ce", rng=0, **kw)


def _is_real(cache):
    return isinstance(cache, str) and cache == "real"


def _act_spec(name, kwargs, z_shape=(4, 3)):
    def call_forward(z):
        return A.get(name, **kwargs).forward(z)

    def call_backward(da, cache):
        act = A.get(name, **kwargs)
        real = act.forward(np.ones(z_shape))[1]
        return act.backward(da, real if _is_real(cache) else cache)

    out = [
        Spec(f"{name}.forward", call_forward, lambda: {"z": _X(*z_shape)}),
        Spec(f"{name}.backward", call_backward,
             lambda: {"da": np.ones((z_shape[0], z_shape[1] // (kwargs.get("k", 2) if name == "maxout" else 1))),
                      "cache": "real"}),
    ]
    if name not in ("maxout", "softmax"):
        out.append(Spec(f"{name}.derivative", lambda z: A.get(name, **kwargs).derivative(z), lambda: {"z": _X(*z_shape)}))
    return out


ACTIVATION_CASES = [
    ("identity", {}), ("step", {}), ("sigmoid", {}), ("tanh", {}), ("hard_sigmoid", {}), ("hard_tanh", {}),
    ("relu", {}), ("leaky_relu", {}), ("prelu", {"size": 3}), ("rrelu", {}), ("elu", {}), ("softplus", {}),
    ("swish", {}), ("gelu", {}), ("maxout", {"k": 3}), ("softmax", {}), ("apl", {"size": 3}), ("srelu", {"size": 3}),
]


def _fit(**kw):
    X, y = _X(8), _labels(8)
    args = dict(X=X, Y=y, epochs=2, batch_size=3, optimizer=optim.SGD(0.1), shuffle=True, rng=0, validation=None,
                progress=False, early_stopping=None, restore_best=True, workspace=None)
    args.update(kw)
    return args


def _mlp_method(method):
    def call(**kw):
        return getattr(_net(), method)(**kw)

    return call


def _check_grad_call(net, X, Y, eps, max_entries, rng):
    return gradcheck.check_gradients(net, X, Y, eps, max_entries=max_entries, rng=rng)


def _sgd_step(params, grads, **kw):
    return optim.SGD(0.1, momentum=0.5).step(params, grads)


def _params():
    return [{"W": np.ones((2, 3)), "b": np.zeros(2)}]


def _value_op(op):
    def call(a, b):
        x = autodiff.Value(2.0) if isinstance(a, str) and a == "value" else a
        return op(x, b)

    return call


SPECS: list[Spec] = [
    # -- activations: module functions and registry
    Spec("sigmoid", A.sigmoid, lambda: {"z": _X()}),
    Spec("softmax", A.softmax, lambda: {"z": _X(), "axis": -1}),
    Spec("log_softmax", A.log_softmax, lambda: {"z": _X(), "axis": 1}),
    Spec("logsumexp", A.logsumexp, lambda: {"z": _X(), "axis": 0, "keepdims": False}, flags=("keepdims",)),
    Spec("activations.get", lambda name, gamma: A.get(name, gamma=gamma), lambda: {"name": "leaky_relu", "gamma": 0.1},
         aliases={"name": ("activation",)}),
    Spec("PReLU()", A.PReLU, lambda: {"gamma": 0.25, "size": 3}),
    Spec("RReLU()", A.RReLU, lambda: {"lower": 0.1, "upper": 0.3, "rng": 0, "training": True}, flags=("training",)),
    Spec("APL()", A.APL, lambda: {"s": 2, "size": 3, "a": [0.1, 0.2], "b": [-1.0, 1.0]},
         aliases={"s": ("APL",), "size": ("APL",)}),
    Spec("SReLU()", A.SReLU, lambda: {"t_l": -1.0, "a_l": 0.1, "t_r": 1.0, "a_r": 0.1, "size": 3},
         aliases={"t_l": ("t_r",), "t_r": ("t_l",)}),
    Spec("Maxout()", A.Maxout, lambda: {"k": 2}),
    Spec("ELU()", A.ELU, lambda: {"gamma": 1.0}),
    Spec("Swish()", A.Swish, lambda: {"beta": 1.0}),
    Spec("Softmax.jacobian", lambda z: A.Softmax().jacobian(z), lambda: {"z": _X()}),
    *[s for name, kw in ACTIVATION_CASES for s in _act_spec(name, kw, (4, 6) if name == "maxout" else (4, 3))],
    # -- losses
    *[Spec(f"{name}.{m}", (lambda name, m: lambda y_hat, y: getattr(losses.get(name), m)(y_hat, y))(name, m),
           (lambda name: lambda: {"y_hat": np.full((4, 3), 0.3) if name in ("bce", "cce") else _X(4),
                                  "y": (_labels(4) if name in ("cce", "softmax_ce") else
                                        _rng().integers(0, 2, (4, 3)).astype(float))})(name),
           aliases={"y_hat": ("z",)})
      for name in ("mse", "bce", "cce", "bce_logits", "softmax_ce") for m in ("forward", "backward")],
    Spec("softmax_ce.value_and_delta", lambda z, y: losses.SoftmaxCrossEntropy().value_and_delta(z, y),
         lambda: {"z": _X(4), "y": _labels(4)}),
    Spec("bce_logits.value_and_delta", lambda z, y: losses.BinaryCrossEntropyWithLogits().value_and_delta(z, y),
         lambda: {"z": _X(4), "y": np.ones((4, 3))}),
    Spec("losses.get", lambda name, eps: losses.get(name, eps=eps), lambda: {"name": "bce", "eps": 1e-7},
         aliases={"name": ("loss",)}),
    # -- layers
    Spec("dense_forward", layers.dense_forward, lambda: {"a_prev": _X(), "W": _X(2, 3), "b": np.zeros(2)}),
    Spec("dense_backward", lambda delta, cache: layers.dense_backward(
        delta, layers.dense_forward(_X(), _X(2, 3), np.zeros(2))[1] if _is_real(cache) else cache),
         lambda: {"delta": np.ones((6, 2)), "cache": "real"}),
    Spec("dropout_forward", layers.dropout_forward, lambda: {"a": _X(), "p": 0.5, "rng": 0}),
    Spec("dropout_backward", lambda dout, cache: layers.dropout_backward(
        dout, layers.dropout_forward(_X(), 0.5, 0)[1] if _is_real(cache) else cache),
         lambda: {"dout": np.ones((6, 3)), "cache": "real"}),
    Spec("Dense()", layers.Dense, lambda: {"W": _X(2, 3), "b": np.zeros(2), "activation": "relu"}),
    Spec("Dense.create", layers.Dense.create,
         lambda: {"fan_in": 3, "units": 2, "activation": "relu", "init": "he_normal", "rng": 0, "dtype": np.float64},
         aliases={"fan_in": ("fan_in", "W"), "units": ("units", "fan_out", "W"), "init": ("initializer",),
                  "activation": ("activation",)}),
    Spec("Dense.forward", lambda a_prev: layers.Dense(_X(2, 3), np.zeros(2), "tanh").forward(a_prev),
         lambda: {"a_prev": _X()}),
    # -- network
    Spec("MLP()", MLP, lambda: {"sizes": [3, 4, 3], "activations": ["relu", "identity"], "loss": "softmax_ce",
                                "init": "xavier_uniform", "rng": 0, "dtype": np.float64, "task": None,
                                "dropout": 0.0},
         aliases={"sizes": ("sizes",), "activations": ("activation",), "loss": ("loss",), "init": ("initializer",),
                  "task": ("task",), "rng": ("rng",), "dropout": ("dropout",)}),
    Spec("MLP.forward", _mlp_method("forward"), lambda: {"X": _X(), "training": True, "rng": 0},
         flags=("training",)),
    Spec("MLP.loss", _mlp_method("loss"), lambda: {"X": _X(), "Y": _labels()}),
    Spec("MLP.gradients", _mlp_method("gradients"), lambda: {"X": _X(), "Y": _labels()}),
    Spec("MLP.predict", _mlp_method("predict"), lambda: {"X": _X()}),
    Spec("MLP.accuracy", _mlp_method("accuracy"), lambda: {"X": _X(), "Y": _labels()}),
    Spec("MLP.fit", _mlp_method("fit"), _fit, flags=("shuffle", "progress", "restore_best"), long_ok=("epochs",),
         aliases={"validation": ("validation", "X_val", "Y_val"), "early_stopping": ("early_stopping",)}),
    Spec("MLP.fit(validation)", _mlp_method("fit"),
         lambda: _fit(validation=(_X(4), _labels(4)), early_stopping=2),
         flags=("shuffle", "progress", "restore_best"), long_ok=("epochs", "early_stopping"),
         aliases={"validation": ("validation", "X_val", "Y_val")}),
    # -- optim
    Spec("SGD()", optim.SGD, lambda: {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.0, "decay_bias": False,
                                      "schedule": None}, flags=("decay_bias",)),
    Spec("SGD.step", _sgd_step, lambda: {"params": _params(), "grads": _params()}),
    Spec("SGD.step(entries)", lambda W, gW: optim.SGD(0.1, momentum=0.9).step([{"W": W}], [{"W": gW}]),
         lambda: {"W": np.ones((2, 3)), "gW": np.ones((2, 3))}, aliases={"W": ("params",), "gW": ("grads",)}),
    Spec("SGD.set_epoch", lambda epoch: optim.SGD(0.1, schedule=optim.StepDecay(2)).set_epoch(epoch),
         lambda: {"epoch": 3}),
    Spec("Adam()", optim.Adam, lambda: {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.1,
                                        "decay_bias": False, "decoupled": False, "schedule": None},
         flags=("decay_bias", "decoupled")),
    Spec("Adam.step", lambda params, grads: optim.Adam(0.01, weight_decay=0.1).step(params, grads),
         lambda: {"params": _params(), "grads": _params()}),
    Spec("StepDecay()", optim.StepDecay, lambda: {"every": 2, "factor": 0.5}),
    Spec("StepDecay.__call__", lambda lr0, epoch: optim.StepDecay(2)(lr0, epoch), lambda: {"lr0": 0.1, "epoch": 3}),
    Spec("ExponentialDecay.__call__", lambda lr0, epoch: optim.ExponentialDecay(0.1)(lr0, epoch),
         lambda: {"lr0": 0.1, "epoch": 3}),
    # -- init
    *[Spec(f"init.{name}", getattr(init, name), lambda: {"fan_in": 3, "fan_out": 2, "rng": 0, "dtype": np.float64},
           aliases={"fan_in": ("fan_in", "W of shape"), "fan_out": ("fan_out", "W of shape")})
      for name in ("zeros", "uniform", "normal", "xavier_uniform", "xavier_normal", "he_uniform", "he_normal")],
    Spec("init.get", lambda name, **kw: init.get(name, **kw)(3, 2, 0), lambda: {"name": "normal", "std": 0.1},
         aliases={"name": ("initializer", "name"), "std": ("std",)}),
    Spec("init.target_variance", init.target_variance, lambda: {"name": "he_normal", "fan_in": 3, "fan_out": 2},
         aliases={"name": ("initializer",)}),
    # -- gradcheck
    Spec("numerical_gradient", gradcheck.numerical_gradient,
         lambda: {"f": lambda x: float(np.sum(x**2)), "x": _X(2, 2), "eps": 1e-6, "indices": [(0, 0), (1, 1)]}),
    Spec("relative_error", gradcheck.relative_error, lambda: {"a": _X(), "b": _X(seed=1)}),
    Spec("check_gradients", _check_grad_call,
         lambda: {"net": _net(), "X": _X(), "Y": _labels(), "eps": 1e-6, "max_entries": 3, "rng": 0}),
    # -- perceptron
    Spec("mp_neuron", perceptron.mp_neuron,
         lambda: {"X": np.array([[0, 1], [1, 1.0]]), "w": [1.0, 1.0], "theta": 1.5, "inhibitory": None,
                  "return_sum": False}, flags=("return_sum",)),
    Spec("perceptron.truth_table", perceptron.truth_table,
         lambda: {"w": [1.0, 1.0], "theta": 1.5, "target": lambda X: X[:, 0] & X[:, 1], "n_inhibitory": 0}),
    Spec("perceptron_predict", perceptron.perceptron_predict,
         lambda: {"X": _X(4, 2), "w": [1.0, -1.0], "b": 0.5, "signed": False}, flags=("signed",)),
    Spec("train_perceptron", perceptron.train_perceptron,
         lambda: {"X": data.truth_table("and")[0], "y": data.truth_table("and")[1], "w0": None, "b0": 0.0, "lr": 1.0,
                  "max_epochs": 20, "rule": "rosenblatt", "shuffle": False, "rng": 0},
         flags=("shuffle",), aliases={"rule": ("rule",)}, long_ok=("max_epochs",)),
    Spec("delta_rule_predict", perceptron.delta_rule_predict,
         lambda: {"X": _X(4, 2), "w": np.ones((3, 2)), "b": np.zeros(3), "unit": "sigmoid"},
         aliases={"unit": ("unit",)}),
    Spec("train_delta_rule", perceptron.train_delta_rule,
         lambda: {"X": _X(4, 2), "T": _rng().uniform(size=(4, 2)), "unit": "sigmoid", "mode": "stochastic", "lr": 0.1,
                  "epochs": 3, "tol": 1e-8, "w0": np.zeros((2, 2)), "b0": np.zeros(2), "shuffle": True, "rng": 0},
         flags=("shuffle",), aliases={"unit": ("unit",), "mode": ("mode",)}, long_ok=("epochs",)),
    # -- autodiff
    Spec("Value()", autodiff.Value, lambda: {"data": 1.0, "label": "x"}),
    *[Spec(f"Value {sym}", _value_op(fn), lambda: {"a": "value", "b": 3.0},
           aliases={"a": ("operand", "Value", "data"), "b": ("operand", "exponent", "Value", "base", sym)})
      for sym, fn in (("+", lambda a, b: a + b), ("*", lambda a, b: a * b), ("/", lambda a, b: a / b),
                      ("**", lambda a, b: a**b), ("-", lambda a, b: a - b))],
    Spec("sigmoid_example", autodiff.sigmoid_example, lambda: {"x": 1.0, "w": 0.0, "b": 0.0}),
    # -- data
    Spec("data.truth_table", data.truth_table, lambda: {"name": "xor", "signed": False}, flags=("signed",),
         aliases={"name": ("Boolean function", "name")}),
    Spec("two_moons", data.two_moons, lambda: {"n": 20, "noise": 0.1, "rng": 0}),
    Spec("circles", data.circles, lambda: {"n": 20, "noise": 0.1, "factor": 0.5, "rng": 0}),
    Spec("spirals", data.spirals, lambda: {"n": 30, "k": 3, "noise": 0.2, "rng": 0}),
    Spec("target_function", data.target_function, lambda: {"name": "sin"}, aliases={"name": ("target function",)}),
    Spec("sample_1d", data.sample_1d,
         lambda: {"f": "sin", "n": 10, "rng": 0, "domain": (-1.0, 1.0), "noise": 0.1, "grid": False},
         flags=("grid",), aliases={"f": ("target function", "f"), "domain": ("domain",)}),
    Spec("one_hot", data.one_hot, lambda: {"y": [0, 2, 1], "k": 3, "dtype": np.float64}),
    Spec("multi_hot", data.multi_hot, lambda: {"label_lists": [[0, 2], [], [1]], "k": 3, "dtype": np.float64}),
    Spec("train_test_split", data.train_test_split,
         lambda: {"X": _X(12), "y": _labels(12), "test_size": 0.25, "rng": 0, "stratify": True},
         flags=("stratify",)),
    Spec("standardize", data.standardize, lambda: {"X_train": _X(), "X_test": _X(3)}),
    # -- plotting
    Spec("plot_activation", lambda **kw: plotting.plot_activation(**kw),
         lambda: {"act": "tanh", "z_range": (-3.0, 3.0), "n": 21, "derivative": True}, flags=("derivative",),
         aliases={"act": ("act", "activation")}),
    Spec("plot_decision_boundary", lambda **kw: plotting.plot_decision_boundary(**kw),
         lambda: {"predict_fn": lambda P: (P[:, 0] > 0).astype(int), "X": _X(10, 2), "y": _labels(10, 2),
                  "resolution": 10, "margin": 0.5},
         aliases={"predict_fn": ("predict_fn",)}),
    Spec("plot_loss_curves", lambda **kw: plotting.plot_loss_curves(**kw),
         lambda: {"history": {"train": [1.0, 0.5]}, "log": False, "ylabel": "loss"}, flags=("log",)),
    Spec("plot_approximation", lambda **kw: plotting.plot_approximation(**kw),
         lambda: {"x": np.linspace(-1, 1, 9), "f_true": np.sin, "f_approx": {"net": np.tanh}}),
    # -- symbolic
    Spec("symbolic.get", symbolic.get, lambda: {"name": "logistic_derivative"}, aliases={"name": ("claim",)}),
    Spec("symbolic.verify", lambda claim, n_points, rng: symbolic.verify(claim, n_points=n_points, rng=rng),
         lambda: {"claim": "relu_derivative", "n_points": 4, "rng": 0}, long_ok=("n_points",)),
]


def _names(spec: Spec, arg: str) -> tuple:
    return (arg,) + tuple(spec.aliases.get(arg, ()))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_valid_call_works(spec):
    spec.call(**spec.valid())


@settings(max_examples=40, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_one_bad_argument_is_named_in_a_type_or_value_error(spec, data):
    kwargs = spec.valid()
    arg = data.draw(st.sampled_from(sorted(set(kwargs) - set(spec.skip))), label="argument")
    pool = NOT_BOOL if arg in spec.flags else BAD_VALUES
    if arg in spec.long_ok:
        pool = [b for b in pool if b[0] != "huge int"]
    label, make = data.draw(st.sampled_from(pool), label="bad value")
    kwargs[arg] = make()
    # Values near the float limit may overflow to inf in a product (the correctly rounded answer);
    # that is not a contract violation, so only for them the overflow warning is off.
    errstate = np.errstate(over="ignore") if label == "huge values" else np.errstate()
    try:
        with errstate:
            spec.call(**kwargs)
    except CONTRACT as exc:
        msg = str(exc)
        assert any(n in msg for n in _names(spec, arg)), f"{spec.name}({arg}={label}): message {msg!r}"
        return
    except Exception as exc:  # noqa: BLE001 - the point of the test
        pytest.fail(f"{spec.name}({arg}={label}) raised {type(exc).__name__}: {exc}")
    finally:
        plt.close("all")
    assert arg not in spec.flags, f"{spec.name}({arg}={label}): a flag must be True or False"


# ------------------------------------------------------------------------------------------------
# Every example of the issue, explicitly
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: MLP([10**9, 10**9], "identity", "mse"), r"sizes=.*limit"),
        (lambda: MLP([10**5, 10**5, 3], ["relu", "identity"], "mse"), r"sizes=.*limit"),
        (lambda: init.get("zeros")(10**12, 3), r"W of shape.*limit"),
        (lambda: A.PReLU(size=10**12), r"size=1000000000000.*limit"),
        (lambda: A.get("apl", size=10**6, s=10**4), r"APL hinges.*limit"),
        (lambda: data.two_moons(n=10**12), r"n=1000000000000 samples.*limit"),
        (lambda: data.one_hot([0, 10**12]), r"one_hot of 2 labels x k=1000000000001.*limit"),
        (lambda: data.multi_hot([[0]] * 10, k=10**12), r"multi_hot.*limit"),
        (lambda: data.sample_1d("sin", n=10**12), r"n=1000000000000.*limit"),
    ],
)
def test_size_guards_fire_before_allocating(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_activation_backward_with_a_wrong_cache():
    for name, kw in ACTIVATION_CASES:
        act = A.get(name, **kw)
        z = np.ones((4, 6)) if name == "maxout" else np.ones((4, 3))
        a, cache = act.forward(z)
        for bad in ((), (z,), (z, z, z), np.ones(3), "ab", None, A.get(name, **kw).forward(z)[1], tuple(cache)):
            with pytest.raises(TypeError, match=r"cache must be the cache returned by this"):
                act.backward(np.ones_like(a), bad)


def test_dense_backward_with_a_wrong_cache():
    for bad in ("ab", (np.ones(3), np.ones(3)), (np.ones((2, 3)), np.ones((2, 4))), None, (1, 2)):
        with pytest.raises(TypeError, match=r"cache must be the \(a_prev, W\) tuple returned by dense_forward"):
            layers.dense_backward(np.ones((2, 2)), bad)


def test_fit_with_the_optimizer_class():
    with pytest.raises(TypeError, match=r"optimizer must be an optimizer object .* SGD\(lr=0.1\)"):
        _net().fit(_X(), _labels(), optimizer=optim.SGD)


def test_numerical_gradient_indices():
    x = np.zeros((2, 2))
    f = lambda v: float(v.sum())  # noqa: E731
    with pytest.raises(ValueError, match=r"indices\[1\] = \(2, 0\) is out of range for x of shape \(2, 2\)"):
        gradcheck.numerical_gradient(f, x, indices=[(0, 0), (2, 0)])
    with pytest.raises(TypeError, match=r"indices must be a list of index tuples, got int"):
        gradcheck.numerical_gradient(f, x, indices=3)
    with pytest.raises(TypeError, match=r"indices\[0\] must be a tuple of 2 integers"):
        gradcheck.numerical_gradient(f, x, indices=[(0,)])
    np.testing.assert_array_equal(gradcheck.numerical_gradient(f, x, indices=[(1, 0)]), [[0, 0], [1, 0]])


@pytest.mark.parametrize("dtype", [np.float16, "float16", "float128?", "banana", int, None])
def test_dtypes_other_than_float32_and_float64(dtype):
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        MLP([3, 2], "identity", "mse", dtype=dtype)
    if dtype is not None:
        with pytest.raises(TypeError, match="dtype must be float32 or float64"):
            init.get("he_normal")(3, 2, 0, dtype=dtype)


def test_delta_rule_with_a_wrong_bias_shape():
    X = _X(4, 2)
    with pytest.raises(ValueError, match=r"b has shape \(2,\) but there are 3 units; expected a scalar or shape \(3,\)"):
        perceptron.delta_rule_predict(X, np.ones((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match=r"b has shape \(2,\) but there is 1 unit; expected a scalar"):
        perceptron.delta_rule_predict(X, np.ones(2), np.zeros(2))
    with pytest.raises(ValueError, match=r"b0 has shape \(3,\) but there are 2 units"):
        perceptron.train_delta_rule(X, np.zeros((4, 2)), b0=np.zeros(3))


def test_sample_1d_with_a_huge_domain():
    with pytest.raises(ValueError, match=r"domain .* too wide"):
        data.sample_1d(np.sin, 10, domain=(-1e308, 1e308))


@pytest.mark.parametrize("bad", [np.ones((2, 3), complex), [[1.0, 2.0, 3.0]] * 2, np.ones((2, 3), int)])
def test_sgd_with_complex_list_or_integer_parameters(bad):
    with pytest.raises(TypeError, match=r"params\[0\]\['W'\] must be a float32 or float64 numpy array"):
        optim.SGD(0.1).step([{"W": bad}], [{"W": np.ones((2, 3))}])


def test_sgd_refuses_read_only_parameters_and_bad_gradients_and_changes_nothing():
    W = np.ones((2, 3))
    W.flags.writeable = False
    for mom in (0.0, 0.9):
        with pytest.raises(ValueError, match=r"params\[0\]\['W'\] \(shape \(2, 3\)\) is read-only"):
            optim.SGD(0.1, momentum=mom).step([{"W": W}], [{"W": np.ones((2, 3))}])
    np.testing.assert_array_equal(W, 1.0)
    for g, exc, match in ((np.full((2, 3), np.nan), ValueError, "non-finite"),
                          (np.full((2, 3), np.inf), ValueError, "non-finite"),
                          (np.ones((2, 3), bool), TypeError, "boolean"),
                          (np.ones((2, 3), complex), TypeError, "complex")):
        params = [{"W": np.ones((2, 3)), "b": np.zeros(2)}]
        with pytest.raises(exc, match=rf"grads\[0\]\['b'\].*{match}|grads\[0\]\['W'\].*{match}"):
            optim.SGD(0.1).step(params, [{"W": np.zeros((2, 3)), "b": g[0, :2]}])
        np.testing.assert_array_equal(params[0]["W"], 1.0)  # nothing updated before the bad entry was found


def test_init_get_rejects_unknown_keyword_arguments():
    with pytest.raises(TypeError, match=r"initializer 'normal' got unknown argument\(s\) sd; it accepts: std, dtype"):
        init.get("normal", sd=0.1)


@pytest.mark.parametrize(
    "call,flag",
    [
        (lambda v: A.logsumexp(np.ones(3), keepdims=v), "keepdims"),
        (lambda v: _net().fit(_X(), _labels(), shuffle=v), "shuffle"),
        (lambda v: A.RReLU(training=v), "training"),
        (lambda v: perceptron.train_perceptron(*data.truth_table("and"), shuffle=v), "shuffle"),
        (lambda v: perceptron.perceptron_predict(_X(2, 2), [1.0, 1.0], signed=v), "signed"),
        (lambda v: perceptron.mp_neuron(np.ones((1, 2)), [1.0, 1.0], 1.0, return_sum=v), "return_sum"),
        (lambda v: perceptron.train_delta_rule(_X(4, 2), np.zeros(4), shuffle=v), "shuffle"),
        (lambda v: data.truth_table("and", signed=v), "signed"),
        (lambda v: data.sample_1d("sin", 5, grid=v), "grid"),
        (lambda v: data.load_digits(scale=v), "scale"),
        (lambda v: data.train_test_split(_X(8), _labels(8), stratify=v), "stratify"),
        (lambda v: optim.SGD(0.1, decay_bias=v), "decay_bias"),
    ],
)
@pytest.mark.parametrize("value", ["no", 0, 1, None, np.array([True])])
def test_flags_must_be_real_bools(call, flag, value):
    with pytest.raises(TypeError, match=f"{flag} must be True or False"):
        call(value)


def test_rng_is_checked_even_when_not_used():
    with pytest.raises(TypeError, match="rng must be"):
        _net().fit(_X(), _labels(), shuffle=False, rng="seed")
    with pytest.raises(TypeError, match="rng must be"):
        perceptron.train_perceptron(*data.truth_table("and"), shuffle=False, rng=None)


@pytest.mark.parametrize("target_value,shown", [(np.nan, "nan"), (2.7, "2.7"), (2, "2")])
def test_truth_table_targets_must_be_boolean(target_value, shown):
    with pytest.raises(ValueError, match=f"target must return 0/1 values, got {shown}"):
        perceptron.truth_table([1.0, 1.0], 1.5, lambda X: np.where(X[:, 0] == 1, target_value, 0))


@pytest.mark.parametrize("lr0", [float("nan"), None, float("inf"), "0.1"])
def test_schedules_check_the_learning_rate(lr0):
    for schedule in (optim.StepDecay(2), optim.ExponentialDecay(0.1)):
        with pytest.raises((TypeError, ValueError), match="lr0"):
            schedule(lr0, 1)


def test_step_decay_arguments():
    with pytest.raises(ValueError, match="factor must be finite"):
        optim.StepDecay(2, float("nan"))
    with pytest.raises(TypeError, match="every must be an integer"):
        optim.StepDecay(None)


def test_one_hot_bools_and_negative_labels():
    with pytest.raises(TypeError, match="y must hold integer class labels, got booleans"):
        data.one_hot(np.array([True, False]))
    with pytest.raises(ValueError, match=r"y contains the negative label -1 at index 1"):
        data.one_hot([0, -1, 2], k=3)


def test_multi_hot_refuses_nested_lists():
    with pytest.raises(TypeError, match=r"label_lists\[0\] must hold integer labels, got \[1\]"):
        data.multi_hot([[[1]], [0]], k=3)


def test_standardize_survives_an_overflowing_standard_deviation():
    X = np.array([[1e308, 1.0], [-1e308, 2.0], [5e307, 3.0]])
    res = data.standardize(X)
    assert np.isfinite(res.std).all() and res.std[0] > 1e307
    np.testing.assert_allclose(res.train.std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(res.train.mean(axis=0), 0.0, atol=1e-12)


def test_cross_entropy_without_a_probability_output_is_refused():
    with pytest.raises(ValueError, match=r"loss 'cce' expects probabilities, but the output activation 'identity'"):
        MLP([3, 5, 3], ["relu", "identity"], "cce")
    with pytest.raises(ValueError, match=r"loss 'bce' expects probabilities, but the output activation 'relu'"):
        MLP([3, 5, 1], ["relu", "relu"], "bce")


def test_value_overflow_is_a_value_error_naming_the_operation():
    big = autodiff.Value(1e200)
    with pytest.raises(ValueError, match=r"'\*' of \(1e\+200, 1e\+200\) overflows float64"):
        big * big
    with pytest.raises(ValueError, match=r"1e\+200 \*\* 2 overflows float64"):
        big**2
    with pytest.raises(ValueError, match=r"exp\(1000\) overflows"):
        autodiff.Value(1000.0).exp()
    assert math.isfinite((autodiff.Value(1e100) * 1e100).data)
