"""Activation functions (激活函数) with their forward and backward passes side by side.

Every activation is a small class:

* ``forward(z) -> (a, cache)``: ``z`` is the net input (净输入), any shape for element-wise
  activations, ``(N, M)`` in a network; ``a`` (活性值) has the same shape (except Maxout).
* ``backward(da, cache) -> dz``: the vector-Jacobian product ``dL/dz`` given ``da = dL/da``.
  Learnable activations (PReLU, APL, SReLU) also fill ``self.grads`` with gradients of the loss
  w.r.t. ``self.params``, summed over the batch (the batch mean is already in ``da``).
* ``__call__(z) -> a`` and, for element-wise activations, ``derivative(z) -> f'(z)``.
* ``params`` / ``grads``: dicts of arrays (empty unless learnable). ``params`` holds the live
  arrays: optimizers update them in place, never rebind them.

``get(name, **kwargs)`` builds an activation from its name, ``names()`` lists the names.

Conventions at kinks: where the function is not differentiable we return a one-sided derivative,
the value used in the sources' tables (ReLU'(0) = 0, hard-tanh'(±1) = 0, SReLU'(t_l) = a_l).
dtype: float64 by default; float32 in gives float32 out (parameters are cast to the input's dtype
in the computation, never stored in a lower precision).

Numerical stability: ``sigmoid``, ``softplus``, ``softmax``, ``log_softmax``, ``logsumexp``,
``elu``, ``swish`` and ``gelu`` never overflow for finite input (tested for |z| up to 1e4).
Results that are smaller than the smallest float *underflow* to 0, which is the correctly
rounded answer (numpy ignores underflow by default, and so do we).
"""

from __future__ import annotations

import inspect
import math

import numpy as np
from scipy import special as _special

from ._checks import (
    as_float_array,
    as_float_scalar,
    as_int_scalar,
    as_rng,
    check_same_shape,
    lookup,
)

__all__ = [
    "Activation",
    "Identity", "Step", "Sigmoid", "Tanh", "HardSigmoid", "HardTanh", "ReLU", "LeakyReLU",
    "PReLU", "RReLU", "ELU", "Softplus", "Swish", "GELU", "Maxout", "Softmax", "APL", "SReLU",
    "sigmoid", "softmax", "log_softmax", "logsumexp", "get", "names",
]


# --------------------------------------------------------------------------------------------
# Stable module-level functions
# --------------------------------------------------------------------------------------------

def _sigmoid(z: np.ndarray) -> np.ndarray:
    # exp(-|z|) <= 1 never overflows; the two algebraically equal forms cover the two signs.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid(z) -> np.ndarray:
    """Logistic function σ(z) = 1 / (1 + e^{-z}), element-wise, without overflow."""
    return _sigmoid(as_float_array(z, "z"))


def _check_axis(axis, arr: np.ndarray) -> int:
    axis = as_int_scalar(axis, "axis")
    if not -arr.ndim <= axis < arr.ndim:
        raise ValueError(f"axis {axis} is out of range for z with {arr.ndim} dimension(s) (shape {arr.shape})")
    return axis


def _logsumexp(z: np.ndarray, axis: int, keepdims: bool) -> np.ndarray:
    # Shift by the max so the largest exponent is exp(0) = 1: no overflow, and the sum is >= 1.
    m = np.max(z, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def logsumexp(z, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """log Σ_j exp(z_j) along ``axis`` (default: last), stable for any finite input."""
    z = as_float_array(z, "z", min_ndim=1)
    return _logsumexp(z, _check_axis(axis, z), bool(keepdims))


def _log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    # (z − m) − log Σ exp(z − m) rather than z − logsumexp(z): the latter adds and subtracts m,
    # losing the digits below ulp(m) (0.001 in float32 at |z| = 1e4).
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def log_softmax(z, axis: int = -1) -> np.ndarray:
    """log softmax(z) = z − logsumexp(z) along ``axis`` (default: last); finite for finite z."""
    z = as_float_array(z, "z", min_ndim=1)
    return _log_softmax(z, _check_axis(axis, z))


def _softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax(z, axis: int = -1) -> np.ndarray:
    """softmax(z)_k = exp(z_k) / Σ_j exp(z_j) along ``axis`` (default: last), stable."""
    z = as_float_array(z, "z", min_ndim=1)
    return _softmax(z, _check_axis(axis, z))


# --------------------------------------------------------------------------------------------
# Base class
# --------------------------------------------------------------------------------------------

class Activation:
    """Base class. Element-wise subclasses implement ``_f(z)`` and ``_df(z, a)`` only."""

    name = "activation"
    elementwise = True
    min_ndim = 0  # element-wise activations accept scalars too (handy for plots and tables)

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    # -- public API ---------------------------------------------------------------------------
    def __call__(self, z) -> np.ndarray:
        return self.forward(z)[0]

    def forward(self, z):
        """z: any shape → (a, cache), a = f(z) of the same shape."""
        return self._forward_unchecked(self._check_z(z))

    def backward(self, da, cache) -> np.ndarray:
        """da = dL/da (shape of a) → dz = dL/dz = da ⊙ f'(z)."""
        return self._backward_unchecked(self._check_da(da, cache[1]), cache)

    # -- unchecked kernels ----------------------------------------------------------------------
    # MLP's training loop validates X once and then calls these: re-checking every z and da for
    # NaN costs a full pass over each array, twice per layer and step.
    #
    # Two optional kernels more, for MLP.fit's reused work arrays (nnlib.layers.Buffers):
    # ``_forward_inplace(z) -> (a, cache)`` may overwrite ``z`` with ``a``, and
    # ``_backward_inplace(da, cache) -> delta`` may overwrite ``da``. None means "not offered";
    # the layer then calls the two kernels below.
    _forward_inplace = None
    _backward_inplace = None

    def _forward_unchecked(self, z):
        a = self._f(z)
        return a, (z, a)

    def _backward_unchecked(self, da, cache):
        z, a = cache
        return da * self._df(z, a)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # A subclass that overrides a public pass but not its unchecked twin keeps its own logic
        # in the hot loop too (it just pays for its checks there).
        if "forward" in cls.__dict__ and "_forward_unchecked" not in cls.__dict__:
            cls._forward_unchecked = cls.forward
        if "backward" in cls.__dict__ and "_backward_unchecked" not in cls.__dict__:
            cls._backward_unchecked = cls.backward
        # A subclass that changes f or f' must not inherit its parent's buffer kernels, which
        # compute the parent's function.
        if {"forward", "_forward_unchecked", "_f"} & cls.__dict__.keys() and "_forward_inplace" not in cls.__dict__:
            cls._forward_inplace = None
        if {"backward", "_backward_unchecked", "_df", "_f"} & cls.__dict__.keys() and "_backward_inplace" not in cls.__dict__:
            cls._backward_inplace = None

    def derivative(self, z) -> np.ndarray:
        """f'(z) element-wise (the diagonal of the Jacobian)."""
        z = self._check_z(z)
        return self._df(z, self._f(z))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    # -- helpers ------------------------------------------------------------------------------
    def _check_z(self, z) -> np.ndarray:
        return as_float_array(z, "z", min_ndim=self.min_ndim)

    @staticmethod
    def _check_da(da, a) -> np.ndarray:
        da = as_float_array(da, "da", allow_empty=True)
        check_same_shape(da, "da", a, "the activation output a")
        return da

    def _f(self, z):  # pragma: no cover - abstract
        raise NotImplementedError

    def _df(self, z, a):  # pragma: no cover - abstract
        raise NotImplementedError


def _param(value, name: str, size: int | None) -> np.ndarray:
    """A learnable parameter: a float64 array of shape (size,) (one per neuron) or () (shared)."""
    if size is None:
        return np.array(as_float_scalar(value, name), dtype=np.float64)
    size = as_int_scalar(size, "size", min_value=1)
    arr = as_float_array(value, name, ndim=(0, 1)).astype(np.float64)
    if arr.ndim == 1 and arr.shape != (size,):
        raise ValueError(f"{name} has shape {arr.shape} but size={size}; expected a scalar or shape ({size},)")
    return np.array(np.broadcast_to(arr, (size,)), dtype=np.float64)


def _check_units(z: np.ndarray, size: int | None, who: str) -> None:
    if size is not None and (z.ndim == 0 or z.shape[-1] != size):
        raise ValueError(
            f"z has shape {z.shape} but {who} was built with size={size}; "
            f"expected z of shape (N, {size}) (one parameter per neuron on the last axis)"
        )


def _sum_to(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a per-element gradient over the batch axes down to a parameter's shape."""
    if shape == ():
        return np.asarray(g.sum(), dtype=np.float64)
    return g.reshape(-1, shape[-1]).sum(axis=0).astype(np.float64)


# --------------------------------------------------------------------------------------------
# Element-wise activations without parameters
# --------------------------------------------------------------------------------------------

class Identity(Activation):
    """Linear (identity) activation f(z) = z, f'(z) = 1."""

    name = "identity"

    def _f(self, z):
        return z.copy()

    def _df(self, z, a):
        return np.ones_like(z)

    # In MLP.fit's work arrays a = z itself and delta = da: nothing to compute or copy.
    def _forward_inplace(self, z):
        return z, (z, z)

    def _backward_inplace(self, da, cache):
        return da


class Step(Activation):
    """Binary step / linear threshold unit: f(z) = 1 if z >= 0 else 0.

    The McCulloch–Pitts neuron fires when its net input reaches the threshold (the threshold θ
    is folded into the bias, so the step is at 0). f'(z) = 0 for z ≠ 0 and is undefined at 0; we
    return 0 everywhere, so no gradient flows through a step unit: this is why perceptrons are
    trained with the perceptron rule, not with backpropagation.
    """

    name = "step"

    def _f(self, z):
        return (z >= 0).astype(z.dtype)

    def _df(self, z, a):
        return np.zeros_like(z)


class Sigmoid(Activation):
    """Logistic function σ(z) = 1/(1+e^{-z}); σ'(z) = σ(z)(1 − σ(z))."""

    name = "sigmoid"

    def _f(self, z):
        return _sigmoid(z)

    def _df(self, z, a):
        return a * (1.0 - a)


class Tanh(Activation):
    """tanh(z) = (e^z − e^{-z})/(e^z + e^{-z}) = 2σ(2z) − 1; tanh'(z) = 1 − tanh²(z)."""

    name = "tanh"

    def _f(self, z):
        return np.tanh(z)

    def _df(self, z, a):
        return 1.0 - a * a


class HardSigmoid(Activation):
    """Hard-logistic max(min(0.25 z + 0.5, 1), 0): the first-order Taylor expansion of σ at 0, clipped.

    f'(z) = 0.25 on (−2, 2) and 0 outside (0 at the kinks ±2).
    """

    name = "hard_sigmoid"

    def _f(self, z):
        return np.clip(0.25 * z + 0.5, 0.0, 1.0)

    def _df(self, z, a):
        return np.where((z > -2.0) & (z < 2.0), 0.25, 0.0).astype(z.dtype)


class HardTanh(Activation):
    """Hard-tanh max(min(z, 1), −1); f'(z) = 1 on (−1, 1), 0 outside (0 at ±1)."""

    name = "hard_tanh"

    def _f(self, z):
        return np.clip(z, -1.0, 1.0)

    def _df(self, z, a):
        return ((z > -1.0) & (z < 1.0)).astype(z.dtype)


class ReLU(Activation):
    """Rectified linear unit max(0, z); f'(z) = 1 for z > 0, else 0 (including z = 0)."""

    name = "relu"

    def _f(self, z):
        return np.maximum(z, 0.0)

    def _df(self, z, a):
        return (z > 0).astype(z.dtype)

    def _backward_unchecked(self, da, cache):
        # Multiplying by the boolean mask directly skips the float copy of f'(z).
        return da * (cache[0] > 0)

    def _forward_inplace(self, z):
        a = np.maximum(z, 0.0, out=z)
        return a, (a, a)  # a > 0 exactly where z > 0: the backward pass needs no z

    def _backward_inplace(self, da, cache):
        return np.multiply(da, cache[0] > 0, out=da)


class LeakyReLU(Activation):
    """Leaky ReLU: z for z > 0, γ z otherwise (γ = 0.01 by default); f' = 1 or γ."""

    name = "leaky_relu"

    def __init__(self, gamma: float = 0.01) -> None:
        super().__init__()
        self.gamma = as_float_scalar(gamma, "gamma")

    def __repr__(self) -> str:
        return f"LeakyReLU(gamma={self.gamma})"

    def _f(self, z):
        return np.where(z > 0, z, self.gamma * z)

    def _df(self, z, a):
        return np.where(z > 0, 1.0, self.gamma).astype(z.dtype)


class ELU(Activation):
    """Exponential linear unit: z for z > 0, γ (e^z − 1) otherwise; f' = 1 or γ e^z.

    The sources call the scale α; ``alpha`` is accepted as an alias of ``gamma``.
    """

    name = "elu"

    def __init__(self, gamma: float = 1.0, *, alpha: float | None = None) -> None:
        super().__init__()
        if alpha is not None:
            gamma = alpha
        self.gamma = as_float_scalar(gamma, "gamma", min_value=0.0)

    def __repr__(self) -> str:
        return f"ELU(gamma={self.gamma})"

    def _f(self, z):
        # exp only of the non-positive part: e^z for z = 1e4 would overflow in the unused branch.
        return np.where(z > 0, z, self.gamma * np.expm1(np.minimum(z, 0.0)))

    def _df(self, z, a):
        return np.where(z > 0, 1.0, self.gamma * np.exp(np.minimum(z, 0.0))).astype(z.dtype)


class Softplus(Activation):
    """Softplus log(1 + e^z), a smooth ReLU; f'(z) = σ(z). Computed as logaddexp(0, z)."""

    name = "softplus"

    def _f(self, z):
        return np.logaddexp(0.0, z)

    def _df(self, z, a):
        return _sigmoid(z)


class Swish(Activation):
    """Swish z σ(βz) (β = 1 gives SiLU); f'(z) = σ(βz) + βz σ(βz)(1 − σ(βz))."""

    name = "swish"

    def __init__(self, beta: float = 1.0) -> None:
        super().__init__()
        self.beta = as_float_scalar(beta, "beta")

    def __repr__(self) -> str:
        return f"Swish(beta={self.beta})"

    def _f(self, z):
        return z * _sigmoid(self.beta * z)

    def _df(self, z, a):
        s = _sigmoid(self.beta * z)
        return s + self.beta * z * s * (1.0 - s)


_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class GELU(Activation):
    """Gaussian error linear unit, exact form z Φ(z) with Φ the standard normal CDF.

    Φ(z) = ½(1 + erf(z/√2)) is evaluated with ``scipy.special.ndtr`` (accurate in both tails);
    f'(z) = Φ(z) + z φ(z) with φ(z) = e^{−z²/2}/√(2π).
    """

    name = "gelu"

    def _f(self, z):
        return z * _special.ndtr(z)

    def _df(self, z, a):
        # φ(40) ≈ 1e-348 is already 0 in float64; clipping keeps z² finite for any float input.
        zc = np.clip(z, -40.0, 40.0)
        return _special.ndtr(z) + z * (_INV_SQRT_2PI * np.exp(-0.5 * zc * zc))


# --------------------------------------------------------------------------------------------
# Element-wise activations with learnable or random slopes
# --------------------------------------------------------------------------------------------

class PReLU(Activation):
    """Parametric ReLU: z for z > 0, γ z otherwise, with a learnable slope γ.

    ``size=None``: one γ shared by all neurons (shape ``()``); ``size=M``: one γ per neuron
    (shape ``(M,)``, broadcast along the last axis of z, so z must be ``(..., M)``).
    ``backward`` fills ``grads["gamma"] = Σ_batch da ⊙ min(z, 0)`` (same shape as γ).
    """

    name = "prelu"

    def __init__(self, gamma: float = 0.25, size: int | None = None) -> None:
        super().__init__()
        self.size = None if size is None else as_int_scalar(size, "size", min_value=1)
        self.params["gamma"] = _param(gamma, "gamma", self.size)
        self.grads["gamma"] = np.zeros_like(self.params["gamma"])

    def __repr__(self) -> str:
        return f"PReLU(size={self.size})"

    def _check_z(self, z):
        z = super()._check_z(z)
        _check_units(z, self.size, "PReLU")
        return z

    def _f(self, z):
        g = self.params["gamma"].astype(z.dtype, copy=False)
        return np.where(z > 0, z, g * z)

    def _df(self, z, a):
        g = self.params["gamma"].astype(z.dtype, copy=False)
        return np.where(z > 0, np.ones_like(z), g * np.ones_like(z))

    def backward(self, da, cache):
        z, a = cache
        da = self._check_da(da, a)
        # ∂a/∂γ = z on the negative side, 0 on the positive side.
        self.grads["gamma"] = _sum_to(da * np.minimum(z, 0.0), self.params["gamma"].shape)
        return da * self._df(z, a)


class RReLU(Activation):
    """Randomized leaky ReLU: z for z > 0, r z otherwise.

    Training mode (default): a fresh slope r ~ U(lower, upper) is drawn for every element at each
    ``forward`` from ``rng`` and kept in the cache, so ``backward`` uses the same slopes.
    Eval mode (``eval()``): the fixed mean slope (lower + upper)/2. ``derivative(z)`` always
    returns the eval-mode derivative (a random derivative would be of no use).
    """

    name = "rrelu"

    def __init__(self, lower: float = 1 / 8, upper: float = 1 / 3, *, rng=0, training: bool = True) -> None:
        super().__init__()
        self.lower = as_float_scalar(lower, "lower", min_value=0.0, max_value=1.0)
        self.upper = as_float_scalar(upper, "upper", min_value=0.0, max_value=1.0)
        if self.lower > self.upper:
            raise ValueError(f"lower must be <= upper, got lower={self.lower}, upper={self.upper}")
        self.rng = as_rng(rng)
        self.training = bool(training)

    def __repr__(self) -> str:
        return f"RReLU(lower={self.lower}, upper={self.upper}, training={self.training})"

    def train(self) -> "RReLU":
        self.training = True
        return self

    def eval(self) -> "RReLU":
        self.training = False
        return self

    @property
    def mean_slope(self) -> float:
        return 0.5 * (self.lower + self.upper)

    def forward(self, z):
        z = self._check_z(z)
        if self.training:
            r = self.rng.uniform(self.lower, self.upper, size=z.shape).astype(z.dtype)
        else:
            r = np.full_like(z, self.mean_slope)
        slope = np.where(z > 0, 1.0, r).astype(z.dtype)
        return slope * z, (z, slope)

    def backward(self, da, cache):
        z, slope = cache
        da = self._check_da(da, slope)
        return da * slope

    def _f(self, z):
        return np.where(z > 0, z, self.mean_slope * z)

    def _df(self, z, a):
        return np.where(z > 0, 1.0, self.mean_slope).astype(z.dtype)


class APL(Activation):
    """Adaptive piecewise linear unit: f(z) = max(0, z) + Σ_{s=1}^{S} a_s max(0, −z + b_s).

    Learnable hinge heights ``a`` and positions ``b``: shape ``(S,)`` shared by all neurons
    (``size=None``) or ``(S, M)`` one set per neuron (``size=M``; z must be ``(..., M)``).
    Defaults: a = 0 (the unit starts as a ReLU), b evenly spread on [−1, 1].
    ∂f/∂z = 1[z > 0] − Σ_s a_s 1[b_s − z > 0],  ∂f/∂a_s = max(0, b_s − z),  ∂f/∂b_s = a_s 1[b_s − z > 0].
    """

    name = "apl"
    min_ndim = 1  # the hinges are laid out along a last (neuron) axis

    def __init__(self, s: int = 2, size: int | None = None, a=None, b=None) -> None:
        super().__init__()
        self.s = as_int_scalar(s, "s", min_value=1)
        self.size = None if size is None else as_int_scalar(size, "size", min_value=1)
        shape = (self.s,) if self.size is None else (self.s, self.size)
        a = np.zeros(self.s) if a is None else a
        b = np.linspace(-1.0, 1.0, self.s) if self.s > 1 and b is None else (np.zeros(1) if b is None else b)
        for key, val in (("a", a), ("b", b)):
            arr = as_float_array(val, key)
            try:
                arr = np.broadcast_to(arr if arr.ndim != 1 or self.size is None else arr[:, None], shape)
            except ValueError:
                raise ValueError(f"{key} has shape {arr.shape}; expected shape {shape} (S={self.s}, size={self.size})") from None
            self.params[key] = np.array(arr, dtype=np.float64)
            self.grads[key] = np.zeros(shape)

    def __repr__(self) -> str:
        return f"APL(s={self.s}, size={self.size})"

    def _check_z(self, z):
        z = super()._check_z(z)
        _check_units(z, self.size, "APL")
        return z

    def _ab(self, dtype):
        # (S, M) or (S, 1): broadcasts against z[..., None, :] of shape (..., 1, M).
        a, b = self.params["a"], self.params["b"]
        if self.size is None:
            a, b = a[:, None], b[:, None]
        return a.astype(dtype, copy=False), b.astype(dtype, copy=False)

    def _f(self, z):
        a, b = self._ab(z.dtype)
        hinge = np.maximum(b - z[..., None, :], 0.0)  # (..., S, M)
        return np.maximum(z, 0.0) + np.sum(a * hinge, axis=-2)

    def _df(self, z, a_out):
        a, b = self._ab(z.dtype)
        active = (b - z[..., None, :] > 0).astype(z.dtype)
        return (z > 0).astype(z.dtype) - np.sum(a * active, axis=-2)

    def forward(self, z):
        z = self._check_z(z)
        return self._f(z), (z, None)

    def backward(self, da, cache):
        z, _ = cache
        da = self._check_da(da, z)
        a, b = self._ab(z.dtype)
        zz = z[..., None, :]
        hinge = np.maximum(b - zz, 0.0)
        active = (b - zz > 0).astype(z.dtype)
        g = da[..., None, :]
        lead = tuple(range(z.ndim - 1))  # batch axes
        ga = np.sum(g * hinge, axis=lead)  # (S, M)
        gb = np.sum(g * a * active, axis=lead)
        if self.size is None:
            ga, gb = ga.sum(axis=-1), gb.sum(axis=-1)
        self.grads["a"] = ga.astype(np.float64)
        self.grads["b"] = gb.astype(np.float64)
        return da * ((z > 0).astype(z.dtype) - np.sum(a * active, axis=-2))


class SReLU(Activation):
    """S-shaped ReLU with four learnable parameters t_l, a_l, t_r, a_r:

        f(z) = t_l + a_l (z − t_l)  for z <= t_l
               z                    for t_l < z < t_r
               t_r + a_r (z − t_r)  for z >= t_r

    Shared (``size=None``, scalars) or per neuron (``size=M``, shape ``(M,)``).
    Gradients: ∂f/∂z = a_l | 1 | a_r; ∂f/∂t_l = 1 − a_l and ∂f/∂a_l = z − t_l on the left piece;
    ∂f/∂t_r = 1 − a_r and ∂f/∂a_r = z − t_r on the right piece; 0 elsewhere.
    """

    name = "srelu"

    def __init__(self, t_l: float = -1.0, a_l: float = 0.1, t_r: float = 1.0, a_r: float = 0.1,
                 size: int | None = None) -> None:
        super().__init__()
        self.size = None if size is None else as_int_scalar(size, "size", min_value=1)
        for key, val in (("t_l", t_l), ("a_l", a_l), ("t_r", t_r), ("a_r", a_r)):
            self.params[key] = _param(val, key, self.size)
            self.grads[key] = np.zeros_like(self.params[key])
        if np.any(self.params["t_l"] > self.params["t_r"]):
            raise ValueError(f"t_l must be <= t_r, got t_l={self.params['t_l']} and t_r={self.params['t_r']}")

    def __repr__(self) -> str:
        return f"SReLU(size={self.size})"

    def _check_z(self, z):
        z = super()._check_z(z)
        _check_units(z, self.size, "SReLU")
        return z

    def _pieces(self, z):
        p = {k: v.astype(z.dtype, copy=False) for k, v in self.params.items()}
        right = z >= p["t_r"]
        left = (z <= p["t_l"]) & ~right
        return p, left, right

    def _f(self, z):
        p, left, right = self._pieces(z)
        out = np.where(left, p["t_l"] + p["a_l"] * (z - p["t_l"]), z)
        return np.where(right, p["t_r"] + p["a_r"] * (z - p["t_r"]), out)

    def _df(self, z, a):
        p, left, right = self._pieces(z)
        one = np.ones_like(z)
        return np.where(left, p["a_l"] * one, np.where(right, p["a_r"] * one, one))

    def backward(self, da, cache):
        z, a = cache
        da = self._check_da(da, a)
        p, left, right = self._pieces(z)
        shape = self.params["t_l"].shape
        self.grads["t_l"] = _sum_to(np.where(left, da * (1.0 - p["a_l"]), 0.0), shape)
        self.grads["a_l"] = _sum_to(np.where(left, da * (z - p["t_l"]), 0.0), shape)
        self.grads["t_r"] = _sum_to(np.where(right, da * (1.0 - p["a_r"]), 0.0), shape)
        self.grads["a_r"] = _sum_to(np.where(right, da * (z - p["t_r"]), 0.0), shape)
        return da * self._df(z, a)


# --------------------------------------------------------------------------------------------
# Activations that mix neurons
# --------------------------------------------------------------------------------------------

class _NotElementwise(Activation):
    elementwise = False
    min_ndim = 1

    def derivative(self, z):
        raise TypeError(
            f"{self.name} is not element-wise, so it has no scalar derivative f'(z); "
            f"use backward(da, cache) (vector-Jacobian product)"
            + (" or jacobian(z)" if hasattr(self, "jacobian") else "")
        )


class Maxout(_NotElementwise):
    """Maxout unit with K pieces: a_m = max_k z_{m,k}.

    Layout: a 2-D input ``(N, M*K)`` holds the K pieces of unit m in the *consecutive* columns
    ``m*K, ..., m*K + K − 1`` (i.e. it is ``z.reshape(N, M, K)``); a 3-D input ``(N, M, K)`` is
    used as is. Output ``(N, M)``. The gradient of each unit is routed to its arg-max piece only
    (first one on ties); the other pieces get 0.
    """

    name = "maxout"

    def __init__(self, k: int = 2) -> None:
        super().__init__()
        self.k = as_int_scalar(k, "k", min_value=1)

    def __repr__(self) -> str:
        return f"Maxout(k={self.k})"

    def _check_z(self, z):
        z = as_float_array(z, "z", ndim=(2, 3))
        if z.ndim == 2 and z.shape[1] % self.k:
            raise ValueError(
                f"z has shape {z.shape}: maxout with k={self.k} needs (N, M*{self.k}) columns, "
                f"and {z.shape[1]} is not a multiple of {self.k}"
            )
        if z.ndim == 3 and z.shape[2] != self.k:
            raise ValueError(f"z has shape {z.shape}: a 3-D maxout input must be (N, M, k={self.k})")
        return z

    def forward(self, z):
        z = self._check_z(z)
        zr = z.reshape(z.shape[0], -1, self.k)
        idx = np.argmax(zr, axis=-1)[..., None]  # (N, M, 1)
        a = np.take_along_axis(zr, idx, axis=-1)[..., 0]
        return a, (z.shape, idx)

    def backward(self, da, cache):
        shape, idx = cache
        da = as_float_array(da, "da", ndim=2)
        check_same_shape(da, "da", idx[..., 0], "the maxout output a")
        dz = np.zeros((shape[0], idx.shape[1], self.k), dtype=da.dtype)
        np.put_along_axis(dz, idx, da[..., None], axis=-1)
        return dz.reshape(shape)


class Softmax(_NotElementwise):
    """Softmax over the last axis: a_k = exp(z_k) / Σ_j exp(z_j), z of shape (..., M).

    Jacobian ∂a_i/∂z_j = a_i (δ_ij − a_j), i.e. diag(a) − a aᵀ (symmetric). ``backward`` applies it
    without building it: dz = a ⊙ (da − Σ_j da_j a_j).
    """

    name = "softmax"

    def _f(self, z):
        return _softmax(z, -1)

    def jacobian(self, z) -> np.ndarray:
        """(..., M) → (..., M, M) Jacobians, one per sample."""
        z = self._check_z(z)
        a = _softmax(z, -1)
        return a[..., :, None] * (np.eye(a.shape[-1], dtype=a.dtype) - a[..., None, :])

    def backward(self, da, cache):
        z, a = cache
        da = self._check_da(da, a)
        return a * (da - np.sum(da * a, axis=-1, keepdims=True))


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------

_REGISTRY: dict[str, type[Activation]] = {
    "identity": Identity, "linear": Identity,
    "step": Step, "binary_step": Step,
    "sigmoid": Sigmoid, "logistic": Sigmoid,
    "tanh": Tanh,
    "hard_sigmoid": HardSigmoid, "hard_logistic": HardSigmoid,
    "hard_tanh": HardTanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "prelu": PReLU,
    "rrelu": RReLU,
    "elu": ELU,
    "softplus": Softplus,
    "swish": Swish,
    "gelu": GELU,
    "maxout": Maxout,
    "softmax": Softmax,
    "apl": APL,
    "srelu": SReLU,
}


def names() -> list[str]:
    """All accepted activation names (aliases included), sorted."""
    return sorted(_REGISTRY)


def get(name, **kwargs) -> Activation:
    """A new activation from its name, e.g. ``get("leaky_relu", gamma=0.1)``.

    An ``Activation`` instance is returned unchanged (so ``MLP`` can take names or objects).
    """
    if isinstance(name, Activation):
        if kwargs:
            raise TypeError(f"get() got an Activation instance {name!r}; keyword arguments {sorted(kwargs)} are not allowed")
        return name
    cls = lookup(_REGISTRY, "activation", name)
    accepted = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise TypeError(
            f"activation {name!r} got unknown argument(s) {', '.join(unknown)}; "
            f"it accepts: {', '.join(accepted) if accepted else 'no arguments'}"
        )
    return cls(**kwargs)
