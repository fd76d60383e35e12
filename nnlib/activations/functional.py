"""Stable module-level functions: ``sigmoid``, ``softmax``, ``log_softmax``, ``logsumexp``.

They validate their input and compute with the formulas of :mod:`nnlib._kernels` (which the activation
classes, the losses and the network call directly, after validating once). None of them overflows for
finite input (tested for |z| up to 1e4); results smaller than the smallest float underflow to 0, which is
the correctly rounded answer.
"""

from __future__ import annotations

import numpy as np

from .. import _kernels
from .._checks import as_bool, as_float_array, as_int_scalar

__all__ = ["sigmoid", "softmax", "log_softmax", "logsumexp"]


def sigmoid(z) -> np.ndarray:
    """Logistic function σ(z) = 1 / (1 + e^{-z}), element-wise, without overflow."""
    return _kernels.sigmoid(as_float_array(z, "z"))


def _check_axis(axis, arr: np.ndarray) -> int:
    axis = as_int_scalar(axis, "axis")
    if not -arr.ndim <= axis < arr.ndim:
        raise ValueError(f"axis {axis} is out of range for z with {arr.ndim} dimension(s) (shape {arr.shape})")
    return axis


def logsumexp(z, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """log Σ_j exp(z_j) along ``axis`` (default: last), stable for any finite input."""
    z = as_float_array(z, "z", min_ndim=1)
    return _kernels.logsumexp(z, _check_axis(axis, z), as_bool(keepdims, "keepdims"))


def log_softmax(z, axis: int = -1) -> np.ndarray:
    """log softmax(z) = z − logsumexp(z) along ``axis`` (default: last); finite for finite z."""
    z = as_float_array(z, "z", min_ndim=1)
    return _kernels.log_softmax(z, _check_axis(axis, z))


def softmax(z, axis: int = -1) -> np.ndarray:
    """softmax(z)_k = exp(z_k) / Σ_j exp(z_j) along ``axis`` (default: last), stable."""
    z = as_float_array(z, "z", min_ndim=1)
    return _kernels.softmax(z, _check_axis(axis, z))
