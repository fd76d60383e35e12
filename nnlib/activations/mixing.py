"""Activations that mix the neurons of a sample: maxout (over groups of K net inputs) and softmax.

They have no scalar derivative ``f'(z)``; their backward pass is a vector-Jacobian product, so
they implement the batch passes ``_forward``/``_backward`` of the base class directly.
"""

from __future__ import annotations

import numpy as np

from .. import _kernels
from .._checks import as_int_scalar, check_size, describe
from .base import NotElementwise

__all__ = ["Maxout", "Softmax"]


class Maxout(NotElementwise):
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

    min_ndim = 2

    def _check_shape(self, z):
        if z.ndim > 3:
            raise ValueError(f"z must have 2 or 3 dimension(s), got {z.ndim} ({describe(z)})")
        if z.ndim == 2 and z.shape[1] % self.k:
            raise ValueError(
                f"z has shape {z.shape}: maxout with k={self.k} needs (N, M*{self.k}) columns, "
                f"and {z.shape[1]} is not a multiple of {self.k}"
            )
        if z.ndim == 3 and z.shape[2] != self.k:
            raise ValueError(f"z has shape {z.shape}: a 3-D maxout input must be (N, M, k={self.k})")

    def _forward(self, z):
        zr = z.reshape(z.shape[0], -1, self.k)
        idx = np.argmax(zr, axis=-1)[..., None]  # (N, M, 1): the winning piece of every unit
        a = np.take_along_axis(zr, idx, axis=-1)[..., 0]
        return a, (z.shape, idx)

    def _backward(self, da, cache):
        shape, idx = cache
        dz = np.zeros((shape[0], idx.shape[1], self.k), dtype=da.dtype)
        np.put_along_axis(dz, idx, da[..., None], axis=-1)
        return dz.reshape(shape)


class Softmax(NotElementwise):
    """Softmax over the last axis: a_k = exp(z_k) / Σ_j exp(z_j), z of shape (..., M).

    Jacobian ∂a_i/∂z_j = a_i (δ_ij − a_j), i.e. diag(a) − a aᵀ (symmetric). ``backward`` applies it
    without building it: dz = a ⊙ (da − Σ_j da_j a_j).
    """

    name = "softmax"

    def f(self, z):
        return _kernels.softmax(z, -1)

    def jacobian(self, z) -> np.ndarray:
        """(..., M) → (..., M, M) Jacobians, one per sample."""
        z = self._check_z(z)
        check_size(z.size * z.shape[-1], f"jacobian of z with shape {z.shape}")
        a = _kernels.softmax(z, -1)
        return a[..., :, None] * (np.eye(a.shape[-1], dtype=a.dtype) - a[..., None, :])

    def _backward(self, da, cache):
        z, a = cache
        return a * (da - np.sum(da * a, axis=-1, keepdims=True))
