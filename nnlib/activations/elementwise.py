"""Element-wise activations without learnable parameters: ``a_i = f(z_i)``, ``dz_i = da_i f'(z_i)``.

Each class is the two formulas of the text, ``f(z)`` and ``df(z, a) = f'(z)``; the base class
(:mod:`nnlib.activations.base`) does the rest. At a kink we return a one-sided derivative, the
value of the sources' tables (ReLU'(0) = 0, hard-tanh'(±1) = 0).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special as _special

from .. import _kernels
from .._checks import as_float_scalar
from .base import Activation

__all__ = ["Identity", "Step", "Sigmoid", "Tanh", "HardSigmoid", "HardTanh", "ReLU", "LeakyReLU", "ELU",
           "Softplus", "Swish", "GELU"]


class Identity(Activation):
    """Linear (identity) activation f(z) = z, f'(z) = 1."""

    name = "identity"

    def f(self, z):
        return z.copy()

    def df(self, z, a):
        return np.ones_like(z)


class Step(Activation):
    """Binary step / linear threshold unit: f(z) = 1 if z >= 0 else 0.

    The McCulloch–Pitts neuron fires when its net input reaches the threshold (the threshold θ
    is folded into the bias, so the step is at 0). f'(z) = 0 for z ≠ 0 and is undefined at 0; we
    return 0 everywhere, so no gradient flows through a step unit: this is why perceptrons are
    trained with the perceptron rule, not with backpropagation.
    """

    name = "step"

    def f(self, z):
        return (z >= 0).astype(z.dtype)

    def df(self, z, a):
        return np.zeros_like(z)


class Sigmoid(Activation):
    """Logistic function σ(z) = 1/(1+e^{-z}); σ'(z) = σ(z)(1 − σ(z))."""

    name = "sigmoid"

    def f(self, z):
        return _kernels.sigmoid(z)

    def df(self, z, a):
        return a * (1.0 - a)


class Tanh(Activation):
    """tanh(z) = (e^z − e^{-z})/(e^z + e^{-z}) = 2σ(2z) − 1; tanh'(z) = 1 − tanh²(z)."""

    name = "tanh"

    def f(self, z):
        return np.tanh(z)

    def df(self, z, a):
        return 1.0 - a * a


class HardSigmoid(Activation):
    """Hard-logistic max(min(0.25 z + 0.5, 1), 0): the first-order Taylor expansion of σ at 0, clipped.

    f'(z) = 0.25 on (−2, 2) and 0 outside (0 at the kinks ±2).
    """

    name = "hard_sigmoid"

    def f(self, z):
        return np.clip(0.25 * z + 0.5, 0.0, 1.0)

    def df(self, z, a):
        return np.where((z > -2.0) & (z < 2.0), 0.25, 0.0).astype(z.dtype)


class HardTanh(Activation):
    """Hard-tanh max(min(z, 1), −1); f'(z) = 1 on (−1, 1), 0 outside (0 at ±1)."""

    name = "hard_tanh"

    def f(self, z):
        return np.clip(z, -1.0, 1.0)

    def df(self, z, a):
        return ((z > -1.0) & (z < 1.0)).astype(z.dtype)


class ReLU(Activation):
    """Rectified linear unit max(0, z); f'(z) = 1 for z > 0, else 0 (including z = 0)."""

    name = "relu"

    def f(self, z):
        return np.maximum(z, 0.0)

    def df(self, z, a):
        return (z > 0).astype(z.dtype)


class LeakyReLU(Activation):
    """Leaky ReLU: z for z > 0, γ z otherwise (γ = 0.01 by default); f' = 1 or γ."""

    name = "leaky_relu"

    def __init__(self, gamma: float = 0.01) -> None:
        super().__init__()
        self.gamma = as_float_scalar(gamma, "gamma")

    def __repr__(self) -> str:
        return f"LeakyReLU(gamma={self.gamma})"

    def f(self, z):
        return np.where(z > 0, z, self.gamma * z)

    def df(self, z, a):
        return np.where(z > 0, 1.0, self.gamma).astype(z.dtype)


class ELU(Activation):
    """Exponential linear unit: z for z > 0, γ (e^z − 1) otherwise; f' = 1 or γ e^z.

    The sources call the scale α; ``alpha`` is accepted as an alias of ``gamma``.
    """

    name = "elu"

    def __init__(self, gamma: float = 1.0, *, alpha: float | None = None) -> None:
        super().__init__()
        name = "gamma"
        if alpha is not None:
            gamma, name = alpha, "alpha"
        self.gamma = as_float_scalar(gamma, name, min_value=0.0)

    def __repr__(self) -> str:
        return f"ELU(gamma={self.gamma})"

    def f(self, z):
        # exp only of the non-positive part: e^z for z = 1e4 would overflow in the unused branch.
        return np.where(z > 0, z, self.gamma * np.expm1(np.minimum(z, 0.0)))

    def df(self, z, a):
        return np.where(z > 0, 1.0, self.gamma * np.exp(np.minimum(z, 0.0))).astype(z.dtype)


class Softplus(Activation):
    """Softplus log(1 + e^z), a smooth ReLU; f'(z) = σ(z). Computed as logaddexp(0, z)."""

    name = "softplus"

    def f(self, z):
        return np.logaddexp(0.0, z)

    def df(self, z, a):
        return _kernels.sigmoid(z)


class Swish(Activation):
    """Swish z σ(βz) (β = 1 gives SiLU); f'(z) = σ(βz) + βz σ(βz)(1 − σ(βz))."""

    name = "swish"

    def __init__(self, beta: float = 1.0) -> None:
        super().__init__()
        self.beta = as_float_scalar(beta, "beta")

    def __repr__(self) -> str:
        return f"Swish(beta={self.beta})"

    def f(self, z):
        if self.beta == 0.0:  # σ(0) = ½ (and no 0·∞ inside σ at z = ±∞)
            return 0.5 * z
        s = _kernels.sigmoid(self.beta * z)
        with np.errstate(invalid="ignore"):  # z = ±∞ where σ(βz) = 0: ∞·0, whose limit is 0 (below)
            a = z * s
        return _at_infinity(a, z, lambda: np.where(s == 0.0, 0.0, z))

    def df(self, z, a):
        if self.beta == 0.0:
            return np.full_like(z, 0.5)
        s = _kernels.sigmoid(self.beta * z)
        # z = ±∞: βz·σ(1 − σ) is ∞·0 there, and the limit of f' is σ(βz), 0 or 1
        with np.errstate(invalid="ignore"):
            d = s + self.beta * z * s * (1.0 - s)
        return _at_infinity(d, z, lambda: s)


def _at_infinity(out, z, limit):
    """``out`` with ``limit()`` (an array like ``out``) where ``z`` is ±∞; ``out`` itself when z is finite, which
    one pass over z tells (the formulas' own passes are several)."""
    if np.isfinite(z).all():
        return out
    return np.where(np.isinf(z), limit(), out)


_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class GELU(Activation):
    """Gaussian error linear unit, exact form z Φ(z) with Φ the standard normal CDF.

    Φ(z) = ½(1 + erf(z/√2)) is evaluated with ``scipy.special.ndtr`` (accurate in both tails);
    f'(z) = Φ(z) + z φ(z) with φ(z) = e^{−z²/2}/√(2π).
    """

    name = "gelu"

    def f(self, z):
        # Φ(z) is exactly 0 below −40 (≈ 4e-350 in float64): −40·Φ(z) is the same 0 there, and 0 (the limit)
        # rather than −∞·0 = NaN at z = −∞.
        return np.maximum(z, -40.0) * _special.ndtr(z)

    def df(self, z, a):
        # φ(40) ≈ 1e-348 is already 0 in float64; clipping keeps z² finite for any float input, and z·φ(z)
        # its limit 0 at z = ±∞ (z·φ(40) would be ∞·0 = NaN there).
        zc = np.clip(z, -40.0, 40.0)
        return _special.ndtr(z) + zc * (_INV_SQRT_2PI * np.exp(-0.5 * zc * zc))
