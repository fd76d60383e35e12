"""Fully connected (dense) layers: forward and backward side by side.

Batches are rows (see CONTRIBUTING.md). For layer ``l`` with ``N`` samples::

    a_prev : (N, M_{l-1})      activation (活性值) of the previous layer, a0 = X
    W      : (M_l, M_{l-1})    weights
    b      : (M_l,)            biases
    z      : (N, M_l)          net input (净输入)   z = a_prev @ W.T + b
    delta  : (N, M_l)          error term (误差项)  dL/dz

and the backward pass is three matrix products::

    dW      = delta.T @ a_prev     # (M_l, M_{l-1}) = sum over samples of delta_n a_n^T
    db      = delta.sum(0)         # (M_l,)
    da_prev = delta @ W            # (N, M_{l-1})   = W^T delta_n for each sample

The loss is a mean over the batch, so the ``1/N`` is already inside ``delta``.

Maxout: a maxout activation with ``K`` pieces takes the max over groups of ``K`` net inputs, so a
Maxout layer with ``M_l`` outputs has ``M_l * K`` net inputs and ``W`` of shape ``(M_l * K, M_{l-1})``.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import blas as _blas

from ._checks import as_float_array, as_int_scalar, describe

__all__ = ["dense_forward", "dense_backward", "Dense", "Buffers", "activation_pieces"]


# ---------------------------------------------------------------------------------------------
# Validation (kept out of the unchecked kernels the network calls in its hot loop)
# ---------------------------------------------------------------------------------------------


def _check_W_b(W, b, dtype=None):
    W = as_float_array(W, "W", ndim=2, dtype=dtype)
    b = as_float_array(b, "b", ndim=1, dtype=W.dtype)
    if b.shape[0] != W.shape[0]:
        raise ValueError(
            f"b has shape {b.shape} but W has shape {W.shape}; expected b of shape ({W.shape[0]},) "
            f"(one bias per row of W, i.e. per neuron of the layer)"
        )
    return W, b


def _check_a_prev(a_prev, W, name="a_prev"):
    a_prev = as_float_array(a_prev, name, ndim=2)
    if a_prev.shape[1] != W.shape[1]:
        raise ValueError(
            f"W has shape {W.shape} but {name} has shape {a_prev.shape} ({a_prev.shape[1]} features); "
            f"expected W of shape (M_l, {a_prev.shape[1]}) or {name} with {W.shape[1]} features"
        )
    return a_prev


# ---------------------------------------------------------------------------------------------
# Unchecked kernels (the caller guarantees shapes and dtypes)
# ---------------------------------------------------------------------------------------------


_GEMM = {np.dtype(np.float64): _blas.dgemm, np.dtype(np.float32): _blas.sgemm}


def _forward(a_prev, W, b, out=None):
    """``z = a_prev @ W.T + b``; with ``out`` (N, M_l) of W's dtype, written into it."""
    gemm = _GEMM.get(W.dtype) if out is not None and a_prev.dtype == W.dtype else None
    if gemm is None:
        z = np.matmul(a_prev, W.T, out=out)
        z += b  # in place: one (N, M_l) array instead of two
        return z
    # One BLAS call instead of a product and a pass of "+ b" over z: start from b in every row
    # and let gemm add the product to it (beta = 1). In column-major terms, which BLAS speaks,
    # the C-ordered z (N, M) is z^T = W a_prev^T: the .T views below are those arrays, no copies.
    out[...] = b
    gemm(1.0, W.T, a_prev.T, beta=1.0, c=out.T, trans_a=True, overwrite_c=True)
    return out


def _backward(delta, a_prev, W, need_da_prev=True, buffers=None):
    """``buffers``: optional :class:`Buffers` the three results are written into."""
    if buffers is None:
        dW = delta.T @ a_prev
        db = delta.sum(axis=0)
        # The first layer's da_prev would be dL/dX: skipping it saves the widest matrix product.
        da_prev = delta @ W if need_da_prev else None
        return da_prev, dW, db
    dW = np.matmul(delta.T, a_prev, out=buffers.dW)
    # Σ_n delta_n as a matrix-vector product: BLAS reads delta once, where numpy's column sum
    # of a C-ordered array walks it row by row (2x slower at N = 1797, M = 128).
    db = np.matmul(buffers.ones, delta, out=buffers.db)
    da_prev = np.matmul(delta, W, out=buffers.da_prev) if need_da_prev else None
    return da_prev, dW, db


class Buffers:
    """Work arrays of one layer for batches of ``n`` rows, reused by every step of ``MLP.fit``.

    Fresh arrays of a few MB per step are not free: numpy returns them to the allocator, which
    gives the pages back to the kernel, and the next step faults them in again. For the digits
    network at full batch that cost 1.5 ms of a 4.8 ms float64 step. Writing into the same arrays
    every step removes it and leaves only the arithmetic.

    ``z``: (n, M_l) net input, overwritten by the activation ``a`` when the activation can do
    that (``_forward_inplace``: one array less to stream through the cache); ``da_prev``:
    (n, M_{l-1}) gradient passed down (None for the first layer);
    ``dW``, ``db``: the layer's gradients; ``ones``: (n,) for ``db = 1^T delta``; ``x``: the
    gathered rows of a shuffled batch (first layer only, made on first use by :meth:`gather`).
    """

    def __init__(self, W, n, need_da_prev=True):
        m, m_prev = W.shape
        self.n = n
        self.z = np.empty((n, m), W.dtype)
        # The first layer passes nothing down (see _backward): no (n, M_0) array for it.
        self.da_prev = np.empty((n, m_prev), W.dtype) if need_da_prev else None
        self.dW = np.empty_like(W)
        self.db = np.empty(m, W.dtype)
        self.ones = np.ones(n, W.dtype)
        self.x = None

    def gather(self, X, rows):
        """``X[rows]`` written into ``self.x``: a shuffled batch without a new (n, M_0) array per step
        (which also kept two batches alive at once: the new one and the one still cached)."""
        if self.x is None:
            self.x = np.empty((self.n, X.shape[1]), X.dtype)
        # mode="clip": with the default "raise" numpy buffers `out` through a temporary as large as
        # the batch. The rows come from a permutation, so they are in range and nothing is clipped.
        return np.take(X, rows, axis=0, out=self.x, mode="clip")

    def fits(self, W) -> bool:
        return self.dW.shape == W.shape and self.dW.dtype == W.dtype


# ---------------------------------------------------------------------------------------------
# Public CS231n-style pair
# ---------------------------------------------------------------------------------------------


def dense_forward(a_prev, W, b):
    """Affine map of a batch: ``z = a_prev @ W.T + b``.

    Parameters
    ----------
    a_prev : array (N, M_{l-1})
    W : array (M_l, M_{l-1})
    b : array (M_l,)

    Returns
    -------
    z : array (N, M_l)
    cache : tuple ``(a_prev, W)`` for :func:`dense_backward`
    """
    W, b = _check_W_b(W, b)
    a_prev = _check_a_prev(a_prev, W)
    if a_prev.dtype != W.dtype:
        # Mixed precision would silently upcast to float64; compute in the parameters' dtype.
        a_prev = a_prev.astype(W.dtype)
    return _forward(a_prev, W, b), (a_prev, W)


def dense_backward(delta, cache):
    """Backward pass of :func:`dense_forward`.

    Parameters
    ----------
    delta : array (N, M_l)
        ``dL/dz`` for this layer.
    cache : tuple ``(a_prev, W)`` returned by :func:`dense_forward`.

    Returns
    -------
    da_prev : array (N, M_{l-1})   ``delta @ W``
    dW : array (M_l, M_{l-1})      ``delta.T @ a_prev``
    db : array (M_l,)              ``delta.sum(0)``
    """
    try:
        a_prev, W = cache
    except (TypeError, ValueError):
        raise TypeError(f"cache must be the (a_prev, W) tuple returned by dense_forward, got {type(cache).__name__}") from None
    delta = as_float_array(delta, "delta", ndim=2, dtype=W.dtype)
    if delta.shape != (a_prev.shape[0], W.shape[0]):
        raise ValueError(
            f"delta has shape {delta.shape} but the forward pass had a_prev {a_prev.shape} and W {W.shape}; "
            f"expected delta of shape ({a_prev.shape[0]}, {W.shape[0]})"
        )
    return _backward(delta, a_prev, W)


# ---------------------------------------------------------------------------------------------
# Layer object
# ---------------------------------------------------------------------------------------------


def _resolve_activation(activation):
    if isinstance(activation, str):
        from . import activations

        return activations.get(activation)
    if not (hasattr(activation, "forward") and hasattr(activation, "backward")):
        raise TypeError(
            f"activation must be a name or an object with forward(z) and backward(da, cache), "
            f"got {type(activation).__name__}"
        )
    return activation


def activation_pieces(activation) -> int:
    """Net inputs per output neuron: ``K`` for a maxout activation with ``K`` pieces, else 1."""
    if type(activation).__name__.lower() == "maxout" or getattr(activation, "name", None) == "maxout":
        return as_int_scalar(activation.k, "maxout k", min_value=1)
    return 1


class Dense:
    """A fully connected layer ``a = f(a_prev @ W.T + b)``.

    Parameters
    ----------
    W : array (M_l * K, M_{l-1})
        ``K = 1`` except for maxout with ``K`` pieces.
    b : array (M_l * K,)
    activation : str or activation object
        Name from :func:`nnlib.activations.names` or an object with ``forward``/``backward``.

    ``forward`` caches ``a_prev``, ``z`` and the activation's cache; ``backward`` fills
    ``self.grads = {"W": dW, "b": db, **activation.grads}``.
    """

    def __init__(self, W, b, activation="identity", *, dtype=None):
        W, b = _check_W_b(W, b, dtype=dtype)
        # Own copies: a layer must not silently alias (and later update) the caller's arrays.
        self.W = np.array(W, copy=True)
        self.b = np.array(b, copy=True)
        self.activation = _resolve_activation(activation)
        k = activation_pieces(self.activation)
        if self.W.shape[0] % k:
            raise ValueError(
                f"W has shape {self.W.shape}: a maxout activation with k={k} pieces needs M_l*k rows, "
                f"a multiple of {k}"
            )
        self.grads: dict[str, np.ndarray] = {}
        self.a_prev = self.z = self._act_cache = None

    @classmethod
    def create(cls, fan_in, units, activation="identity", init="xavier_uniform", rng=0, dtype=np.float64):
        """New layer with ``units`` outputs; ``W`` from ``nnlib.init`` (fan-in/out count the ``K`` maxout
        pieces), ``b = 0``."""
        from . import init as _init

        act = _resolve_activation(activation)
        rows = as_int_scalar(units, "units", min_value=1) * activation_pieces(act)
        if isinstance(init, str):
            W = _init.get(init)(fan_in, rows, rng, dtype=dtype)
        else:  # a user's f(fan_in, fan_out, rng) need not know about dtype
            W = as_float_array(_init.get(init)(fan_in, rows, rng), "init(fan_in, fan_out, rng)", ndim=2, dtype=dtype)
            if W.shape != (rows, fan_in):
                raise ValueError(
                    f"init(fan_in={fan_in}, fan_out={rows}, rng) returned shape {W.shape}; expected ({rows}, {fan_in})"
                )
        return cls(W, np.zeros(rows, dtype=W.dtype), act)

    # -- shapes --------------------------------------------------------------------------------
    @property
    def fan_in(self) -> int:
        return self.W.shape[1]

    @property
    def units(self) -> int:
        """``M_l``: outputs of the layer (net inputs divided by the maxout pieces)."""
        return self.W.shape[0] // activation_pieces(self.activation)

    def params(self) -> dict:
        """Live parameter arrays: ``W``, ``b`` and the activation's learnable ones (e.g. ``gamma``)."""
        return {"W": self.W, "b": self.b, **getattr(self.activation, "params", {})}

    def parameter_count(self) -> int:
        return sum(int(np.size(p)) for p in self.params().values())

    # -- forward / backward --------------------------------------------------------------------
    # The unchecked passes of nnlib activations (the layer has already checked shapes and dtypes);
    # any other object with forward/backward is called through its public methods.
    def _act_forward(self, z, overwrite=False):
        act = self.activation
        if overwrite and getattr(act, "_forward_inplace", None) is not None:
            return act._forward_inplace(z)
        return getattr(act, "_forward_unchecked", act.forward)(z)

    def _act_backward(self, da, cache, overwrite=False):
        act = self.activation
        if overwrite and getattr(act, "_backward_inplace", None) is not None:
            return act._backward_inplace(da, cache)
        return getattr(act, "_backward_unchecked", act.backward)(da, cache)

    def _forward(self, a_prev, buffers=None):
        """Unchecked forward (shapes and dtype already right). Returns ``a`` (N, M_l).

        With ``buffers`` (:class:`Buffers` for N rows) ``z`` is written into ``buffers.z``, and
        ``a`` too where the activation can overwrite ``z`` (``self.z`` then holds ``a``).
        """
        self.a_prev = a_prev
        if buffers is None:
            self.z = _forward(a_prev, self.W, self.b)
        else:
            self.z = _forward(a_prev, self.W, self.b, out=buffers.z)
        a, self._act_cache = self._act_forward(self.z, overwrite=buffers is not None)
        return a

    def _backward_z(self, delta, need_da_prev=True, buffers=None):
        """Backward from ``delta = dL/dz`` (N, M_l*K). Returns ``da_prev`` (or None)."""
        da_prev, dW, db = _backward(delta, self.a_prev, self.W, need_da_prev, buffers)
        self.grads = {"W": dW, "b": db}
        return da_prev

    def _backward(self, da, need_da_prev=True, buffers=None, overwrite=False):
        """Unchecked backward from ``da = dL/da`` (N, M_l). Returns ``da_prev`` (or None).

        ``buffers``: where the gradients go (see :class:`Buffers`). ``overwrite``: ``da`` is a work
        array of the caller's, so the activation may turn it into ``delta`` in place.
        """
        delta = self._act_backward(da, self._act_cache, overwrite)
        da_prev = self._backward_z(delta, need_da_prev, buffers)
        act_grads = getattr(self.activation, "grads", None)
        if act_grads:
            self.grads.update(act_grads)
        return da_prev

    def forward(self, a_prev):
        """``a_prev`` (N, M_{l-1}) -> ``a`` (N, M_l); caches ``a_prev`` and ``z`` for :meth:`backward`."""
        a_prev = _check_a_prev(a_prev, self.W)
        if a_prev.dtype != self.W.dtype:
            a_prev = a_prev.astype(self.W.dtype)
        return self._forward(a_prev)

    def backward(self, da):
        """``da = dL/da`` (N, M_l) -> ``da_prev`` (N, M_{l-1}); stores ``self.grads``."""
        if self.z is None:
            raise RuntimeError("Dense.backward called before forward")
        n = self.a_prev.shape[0]
        da = as_float_array(da, "da", ndim=2, dtype=self.W.dtype)
        if da.shape != (n, self.units):
            raise ValueError(
                f"da has {describe(da)} but the last forward pass produced a of shape ({n}, {self.units}); "
                f"they must match"
            )
        return self._backward(da)

    def __call__(self, a_prev):
        return self.forward(a_prev)

    def __repr__(self):
        act = getattr(self.activation, "name", type(self.activation).__name__)
        return f"Dense({self.fan_in} -> {self.units}, activation={act})"
