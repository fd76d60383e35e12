"""Element-wise activations with learnable (PReLU, APL, SReLU) or random (RReLU) parameters.

Their backward pass is more than ``da ⊙ f'(z)``: it also fills ``self.grads`` with the gradient of
the loss w.r.t. ``self.params``, summed over the batch (the batch mean is already in ``da``), so
they override the batch passes ``_forward``/``_backward`` of :class:`~nnlib.activations.base.Activation`.
``params`` holds the live arrays: optimizers update them in place, never rebind them.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_bool, as_float_array, as_float_scalar, as_int_scalar, as_rng, check_size
from .base import Activation, check_units, make_param, param_size, sum_to

__all__ = ["PReLU", "RReLU", "APL", "SReLU"]


class PReLU(Activation):
    """Parametric ReLU: z for z > 0, γ z otherwise, with a learnable slope γ.

    ``size=None``: one γ shared by all neurons (shape ``()``); ``size=M``: one γ per neuron
    (shape ``(M,)``, broadcast along the last axis of z, so z must be ``(..., M)``).
    ``backward`` fills ``grads["gamma"] = Σ_batch da ⊙ min(z, 0)`` (same shape as γ).
    """

    name = "prelu"

    def __init__(self, gamma: float = 0.25, size: int | None = None) -> None:
        super().__init__()
        self.size = param_size(size)
        self.params["gamma"] = make_param(gamma, "gamma", self.size)
        self.grads["gamma"] = np.zeros_like(self.params["gamma"])

    def __repr__(self) -> str:
        return f"PReLU(size={self.size})"

    def _check_shape(self, z):
        check_units(z, self.size, "PReLU")

    def f(self, z):
        g = self.params["gamma"].astype(z.dtype, copy=False)
        return np.where(z > 0, z, g * z)

    def df(self, z, a):
        g = self.params["gamma"].astype(z.dtype, copy=False)
        return np.where(z > 0, np.ones_like(z), g * np.ones_like(z))

    def _backward(self, da, cache):
        z, a = cache
        # ∂a/∂γ = z on the negative side, 0 on the positive side.
        self.grads["gamma"] = sum_to(da * np.minimum(z, 0.0), self.params["gamma"].shape)
        return da * self.df(z, a)


class RReLU(Activation):
    """Randomized leaky ReLU: z for z > 0, r z otherwise.

    Training mode (default): a fresh slope r ~ U(lower, upper) is drawn for every element at each
    ``forward`` from ``rng`` and kept in the cache, so ``backward`` uses the same slopes.
    Eval mode (``eval()``): the fixed mean slope (lower + upper)/2, which is also what ``f``,
    ``df`` and ``derivative(z)`` give (a random derivative would be of no use).
    """

    name = "rrelu"

    def __init__(self, lower: float = 1 / 8, upper: float = 1 / 3, *, rng=0, training: bool = True) -> None:
        super().__init__()
        self.lower = as_float_scalar(lower, "lower", min_value=0.0, max_value=1.0)
        self.upper = as_float_scalar(upper, "upper", min_value=0.0, max_value=1.0)
        if self.lower > self.upper:
            raise ValueError(f"lower must be <= upper, got lower={self.lower}, upper={self.upper}")
        self.rng = as_rng(rng)
        self.training = as_bool(training, "training")

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

    def f(self, z):
        return np.where(z > 0, z, self.mean_slope * z)

    def df(self, z, a):
        return np.where(z > 0, 1.0, self.mean_slope).astype(z.dtype)

    def _forward(self, z):
        if self.training:
            r = self.rng.uniform(self.lower, self.upper, size=z.shape).astype(z.dtype)
        else:
            r = np.full_like(z, self.mean_slope)
        slope = np.where(z > 0, 1.0, r).astype(z.dtype)
        return slope * z, (z, slope)

    def _backward(self, da, cache):
        return da * cache[1]


class APL(Activation):
    """Adaptive piecewise linear unit: f(z) = max(0, z) + Σ_{s=1}^{S} a^s max(0, −z + b^s).

    Learnable hinge heights ``a^s`` and positions ``b^s`` (``params["a_s"]``, ``params["b_s"]``; the
    constructor takes them as ``a`` and ``b``): shape ``(S,)`` shared by all neurons (``size=None``)
    or ``(S, M)`` one set per neuron (``size=M``; z must be ``(..., M)``). They are not called
    ``a``/``b`` in ``params`` because a layer's ``params()`` puts them next to its bias ``b``.
    Defaults: a^s = 0 (the unit starts as a ReLU), b^s evenly spread on [−1, 1].
    ∂f/∂z = 1[z > 0] − Σ_s a^s 1[b^s − z > 0],  ∂f/∂a^s = max(0, b^s − z),  ∂f/∂b^s = a^s 1[b^s − z > 0].
    """

    name = "apl"
    min_ndim = 1  # the hinges are laid out along a last (neuron) axis

    def __init__(self, s: int = 2, size: int | None = None, a=None, b=None) -> None:
        super().__init__()
        self.s = as_int_scalar(s, "s", min_value=1)
        self.size = param_size(size)
        check_size(self.s * (self.size or 1), f"APL hinges s={self.s} x size={self.size}")
        shape = (self.s,) if self.size is None else (self.s, self.size)
        a = np.zeros(self.s) if a is None else a
        b = np.linspace(-1.0, 1.0, self.s) if self.s > 1 and b is None else (np.zeros(1) if b is None else b)
        for arg, key, val in (("a", "a_s", a), ("b", "b_s", b)):
            arr = as_float_array(val, arg)
            try:
                arr = np.broadcast_to(arr if arr.ndim != 1 or self.size is None else arr[:, None], shape)
            except ValueError:
                raise ValueError(f"{arg} has shape {arr.shape}; expected shape {shape} (S={self.s}, size={self.size})") from None
            self.params[key] = np.array(arr, dtype=np.float64)
            self.grads[key] = np.zeros(shape)

    def __repr__(self) -> str:
        return f"APL(s={self.s}, size={self.size})"

    def _check_shape(self, z):
        check_units(z, self.size, "APL")
        check_size(z.size * self.s, f"the APL hinges of z with shape {z.shape} x s={self.s}")

    def _ab(self, dtype):
        # (S, M) or (S, 1): broadcasts against z[..., None, :] of shape (..., 1, M).
        a, b = self.params["a_s"], self.params["b_s"]
        if self.size is None:
            a, b = a[:, None], b[:, None]
        return a.astype(dtype, copy=False), b.astype(dtype, copy=False)

    def f(self, z):
        a, b = self._ab(z.dtype)
        hinge = np.maximum(b - z[..., None, :], 0.0)  # (..., S, M)
        return np.maximum(z, 0.0) + np.sum(a * hinge, axis=-2)

    def df(self, z, a):
        a, b = self._ab(z.dtype)
        active = (b - z[..., None, :] > 0).astype(z.dtype)
        return (z > 0).astype(z.dtype) - np.sum(a * active, axis=-2)

    def _backward(self, da, cache):
        z, a_out = cache
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
        self.grads["a_s"] = ga.astype(np.float64)
        self.grads["b_s"] = gb.astype(np.float64)
        return da * self.df(z, a_out)


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
        self.size = param_size(size)
        for key, val in (("t_l", t_l), ("a_l", a_l), ("t_r", t_r), ("a_r", a_r)):
            self.params[key] = make_param(val, key, self.size)
            self.grads[key] = np.zeros_like(self.params[key])
        if np.any(self.params["t_l"] > self.params["t_r"]):
            raise ValueError(f"t_l must be <= t_r, got t_l={self.params['t_l']} and t_r={self.params['t_r']}")

    def __repr__(self) -> str:
        return f"SReLU(size={self.size})"

    def _check_shape(self, z):
        check_units(z, self.size, "SReLU")

    def _pieces(self, z):
        p = {k: v.astype(z.dtype, copy=False) for k, v in self.params.items()}
        right = z >= p["t_r"]
        left = (z <= p["t_l"]) & ~right
        return p, left, right

    def f(self, z):
        p, left, right = self._pieces(z)
        out = np.where(left, p["t_l"] + p["a_l"] * (z - p["t_l"]), z)
        return np.where(right, p["t_r"] + p["a_r"] * (z - p["t_r"]), out)

    def df(self, z, a):
        p, left, right = self._pieces(z)
        one = np.ones_like(z)
        return np.where(left, p["a_l"] * one, np.where(right, p["a_r"] * one, one))

    def _backward(self, da, cache):
        z, a = cache
        p, left, right = self._pieces(z)
        shape = self.params["t_l"].shape
        self.grads["t_l"] = sum_to(np.where(left, da * (1.0 - p["a_l"]), 0.0), shape)
        self.grads["a_l"] = sum_to(np.where(left, da * (z - p["t_l"]), 0.0), shape)
        self.grads["t_r"] = sum_to(np.where(right, da * (1.0 - p["a_r"]), 0.0), shape)
        self.grads["a_r"] = sum_to(np.where(right, da * (z - p["t_r"]), 0.0), shape)
        return da * self.df(z, a)
