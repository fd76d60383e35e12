"""Stable module-level functions: ``sigmoid``, ``softmax``, ``log_softmax``, ``logsumexp``.

The public functions validate their input; the ``_``-prefixed twins take a clean float array
(the activation classes, the losses and the network call those after validating once).
None of them overflows for finite input (tested for |z| up to 1e4); results smaller than the
smallest float underflow to 0, which is the correctly rounded answer.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_bool, as_float_array, as_int_scalar

__all__ = ["sigmoid", "softmax", "log_softmax", "logsumexp"]


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


def _logsumexp(z: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    # Shift by the max so the largest exponent is exp(0) = 1: no overflow, and the sum is >= 1.
    m = np.max(z, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def logsumexp(z, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """log Σ_j exp(z_j) along ``axis`` (default: last), stable for any finite input."""
    z = as_float_array(z, "z", min_ndim=1)
    return _logsumexp(z, _check_axis(axis, z), as_bool(keepdims, "keepdims"))


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
