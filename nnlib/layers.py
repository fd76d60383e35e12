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

from . import _kernels, activations
from ._checks import OrderError, as_float_array, as_float_scalar, as_int_scalar, as_rng, describe
from .activations import Activation, Cache

__all__ = ["dense_forward", "dense_backward", "dropout_forward", "dropout_backward", "Dense", "activation_pieces"]


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
# The formulas (the caller guarantees shapes and dtypes). MLP.fit runs the same products through
# the faster kernels of nnlib._fast, which tests/test_fast_path.py holds to these.
# ---------------------------------------------------------------------------------------------


def _forward(a_prev, W, b):
    """Net input of a batch: ``z = a_prev @ W.T + b`` (N, M_l)."""
    return a_prev @ W.T + b


def _backward(delta, a_prev, W, need_da_prev=True):
    """``(da_prev, dW, db)`` from ``delta = dL/dz`` (N, M_l)."""
    dW = delta.T @ a_prev  # Σ_n delta_n a_n^T
    db = delta.sum(axis=0)
    # The first layer's da_prev would be dL/dX: nobody needs it, and it is the widest product.
    da_prev = delta @ W if need_da_prev else None
    return da_prev, dW, db


# Both run with numpy's "invalid" check off (their operands are finite; _kernels.exact_products says which
# float32 BLAS kernel raises that flag for a correct product). Wrapped here rather than with "@" so that the
# book's chapter on backpropagation prints the two functions exactly as above.
_forward, _backward = _kernels.exact_products(_forward), _kernels.exact_products(_backward)


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
    if not (isinstance(cache, tuple) and len(cache) == 2 and all(isinstance(c, np.ndarray) for c in cache)
            and cache[0].ndim == 2 and cache[1].ndim == 2 and cache[0].shape[1] == cache[1].shape[1]):
        raise TypeError(f"cache must be the (a_prev, W) tuple returned by dense_forward, got {type(cache).__name__} {cache!r:.60}")
    a_prev, W = cache
    delta = as_float_array(delta, "delta", ndim=2, dtype=W.dtype)
    if delta.shape != (a_prev.shape[0], W.shape[0]):
        raise ValueError(
            f"delta has shape {delta.shape} but the forward pass had a_prev {a_prev.shape} and W {W.shape}; "
            f"expected delta of shape ({a_prev.shape[0]}, {W.shape[0]})"
        )
    return _backward(delta, a_prev, W)


# ---------------------------------------------------------------------------------------------
# Inverted dropout (随机丢弃)
# ---------------------------------------------------------------------------------------------


def dropout_forward(a, p, rng):
    """Inverted dropout of activations ``a`` (any shape) with drop probability ``p`` in [0, 1).

    Returns ``(out, cache)`` with ``out = a ⊙ m``, where ``m`` is 0 with probability ``p`` and
    ``1/(1 − p)`` otherwise (drawn from ``rng``, an int seed or a ``numpy.random.Generator``).
    ``p = 0`` is the identity. Used in training only; at test time the network uses ``a`` as is.
    """
    a = as_float_array(a, "a")
    p = as_float_scalar(p, "p", min_value=0.0, max_value=1.0, strict_max=True)
    gen = as_rng(rng)
    if p == 0.0:
        return a.copy(), None
    mask = _kernels.dropout_mask(a.shape, p, gen, a.dtype)
    return a * mask, mask


def dropout_backward(dout, cache):
    """Backward pass of :func:`dropout_forward`: ``da = dout ⊙ m`` (the same mask)."""
    if cache is not None and not (isinstance(cache, np.ndarray) and cache.dtype in (np.float32, np.float64)):
        raise TypeError(f"cache must be the mask returned by dropout_forward (a float array or None), got {cache!r:.40}")
    dout = as_float_array(dout, "dout", dtype=None if cache is None else cache.dtype)
    if cache is None:
        return dout.copy()
    if dout.shape != cache.shape:
        raise ValueError(f"dout has shape {dout.shape} but the cache (mask) of the forward pass has shape {cache.shape}; they must match")
    return dout * cache


# ---------------------------------------------------------------------------------------------
# Layer object
# ---------------------------------------------------------------------------------------------


def _resolve_activation(activation):
    if isinstance(activation, str):
        return activations.get(activation)
    if not (hasattr(activation, "forward") and hasattr(activation, "backward")):
        raise TypeError(
            f"activation must be a name or an object with forward(z) and backward(da, cache), "
            f"got {type(activation).__name__}"
        )
    return activation


def _batch_array(name, value, columns, dtype) -> np.ndarray:
    """``value`` as a training step hands it to the layer's hooks: a real numpy array (N, columns), in the
    layer's dtype (integers are converted; complex, boolean and object arrays are refused, as the checked
    passes refuse them). Costs nothing when it is already right: no pass over the values."""
    if type(value) is not np.ndarray:
        raise TypeError(f"{name} must be a numpy array (N, {columns}), got {type(value).__name__}")
    if value.ndim != 2 or value.shape[1] != columns:
        raise ValueError(f"{name} has {describe(value)}; expected a 2-d array with {columns} columns")
    if value.dtype.kind not in "fiu":
        raise TypeError(f"{name} must hold real numbers, got {describe(value)}")
    return value if value.dtype == dtype else value.astype(dtype)


def _uses_batch_passes(act, which: str) -> bool:
    return isinstance(act, Activation) and getattr(type(act), which) is getattr(Activation, which)


def activation_pieces(activation) -> int:
    """Net inputs per output neuron: ``K`` for a maxout activation with ``K`` pieces, else 1."""
    if isinstance(activation, activations.Maxout):
        return activation.k
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
        clash = sorted({"W", "b"} & set(getattr(self.activation, "params", {})))
        if clash:
            # The layer's params() and grads put the activation's parameters next to W and b.
            raise ValueError(
                f"activation {type(self.activation).__name__} has learnable parameter(s) named {clash}, "
                f"which would hide the layer's own W/b; rename them"
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

    # -- forward / backward (unchecked: the network has validated X once) ----------------------
    def _forward(self, a_prev, activate=True):
        """``a = f(a_prev @ W.T + b)`` (N, M_l); caches ``a_prev``, ``z`` and the activation's cache.
        ``activate=False``: returns ``z`` (a fused output layer's logits)."""
        self.a_prev = a_prev
        self.z = _forward(a_prev, self.W, self.b)
        if not activate:
            return self.z
        a, self._act_cache = self.activate(self.z)
        return a

    def _backward_z(self, delta, need_da_prev=True):
        """Backward from ``delta = dL/dz`` (N, M_l*K). Returns ``da_prev`` (or None)."""
        da_prev, dW, db = _backward(delta, self.a_prev, self.W, need_da_prev)
        self.grads = {"W": dW, "b": db}
        return da_prev

    def _backward(self, da, need_da_prev=True):
        """Backward from ``da = dL/da`` (N, M_l): ``delta = f'(z) ⊙ da``, then the three products."""
        delta = self.activation_delta(da, self._act_cache)
        da_prev = self._backward_z(delta, need_da_prev)
        self.grads.update(getattr(self.activation, "grads", {}))
        return da_prev

    # -- the activation's passes, as a training step calls them ------------------------------
    # nnlib's activations are called through their unchecked batch passes (the layer's own net input
    # has the right shape by construction, and a training step has validated X once); any other object
    # with forward/backward (or an Activation subclass that overrides the public pair) through its public
    # methods. Only the type, shape and dtype of the array are checked here, which costs nothing per step.
    def activate(self, z):
        """``(a, cache)``: the activation of this layer's net input ``z`` (N, M_l·K) and what its
        backward pass needs (nnlib._fast's training step calls it on its own product)."""
        z = _batch_array("z", z, self.W.shape[0], self.W.dtype)
        act = self.activation
        if not _uses_batch_passes(act, "forward"):
            return act.forward(z)
        a, cache = act._forward(z)
        return a, Cache(cache, act, a.shape)  # tagged: activation_delta can tell it from any other object

    def activation_delta(self, da, cache):
        """``delta = f'(z) ⊙ da``: the error term from ``da = dL/da`` (N, M_l) and the ``cache`` of
        :meth:`activate` (for learnable activations this also fills ``activation.grads``)."""
        da = _batch_array("da", da, self.units, self.W.dtype)
        act = self.activation
        if not _uses_batch_passes(act, "backward"):
            return act.backward(da, cache)
        if not (isinstance(cache, Cache) and cache.owner is act and cache.out_shape == da.shape):
            raise TypeError(f"cache must be what activate(z) returned for this batch (da has shape {da.shape}), "
                            f"got {type(cache).__name__}")
        return act._backward(da, cache)

    def forward(self, a_prev):
        """``a_prev`` (N, M_{l-1}) -> ``a`` (N, M_l); caches ``a_prev`` and ``z`` for :meth:`backward`."""
        a_prev = _check_a_prev(a_prev, self.W)
        if a_prev.dtype != self.W.dtype:
            a_prev = a_prev.astype(self.W.dtype)
        return self._forward(a_prev)

    def backward(self, da):
        """``da = dL/da`` (N, M_l) -> ``da_prev`` (N, M_{l-1}); stores ``self.grads``."""
        if self.z is None:
            raise OrderError("Dense.backward called before forward")
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
