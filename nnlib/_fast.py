"""The speed-ups of ``MLP.fit``, kept out of the textbook code.

Everything here computes what the readable versions compute, only with less memory traffic:

* ``dense_forward_into`` / ``dense_backward_into``: the products of :mod:`nnlib.layers` written
  into kept work arrays, the bias folded into the BLAS call (``gemm`` with ``beta = 1``);
* ``INPLACE``: ReLU and identity kernels that overwrite ``z`` with ``a`` and ``da`` with ``delta``;
* ``softmax_xent``: :meth:`nnlib.losses.SoftmaxCrossEntropy.value_and_delta` on the transposed
  logits (numpy reduces a long last axis with vector instructions, a short one row by row);
* ``sgd_step``: :meth:`nnlib.optim.SGD.step` with BLAS ``axpy`` (no temporary for ``lr * g``);
* :class:`Workspace`: one forward/backward step of a network through all of the above.

``tests/test_fast_path.py`` holds every one of them to the public functions chained by hand;
``bench/`` measures what they buy.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import blas as _blas

from . import activations as _activations
from .layers import _dropout_mask
from .losses import BinaryCrossEntropyWithLogits

__all__ = ["Workspace", "sgd_step", "softmax_xent", "dense_forward_into", "dense_backward_into", "INPLACE"]

_GEMM = {np.dtype(np.float64): _blas.dgemm, np.dtype(np.float32): _blas.sgemm}
_AXPY = {np.dtype(np.float64): _blas.daxpy, np.dtype(np.float32): _blas.saxpy}


# ---------------------------------------------------------------------------------------------
# Dense layer
# ---------------------------------------------------------------------------------------------


def dense_forward_into(a_prev, W, b, out):
    """``out[...] = a_prev @ W.T + b`` with ``out`` (N, M_l) of W's dtype; returns ``out``."""
    gemm = _GEMM.get(W.dtype) if a_prev.dtype == W.dtype else None
    if gemm is None:
        np.matmul(a_prev, W.T, out=out)
        out += b
        return out
    # One BLAS call instead of a product and a pass of "+ b" over z: start from b in every row
    # and let gemm add the product to it (beta = 1). In column-major terms, which BLAS speaks,
    # the C-ordered z (N, M) is z^T = W a_prev^T: the .T views below are those arrays, no copies.
    out[...] = b
    gemm(1.0, W.T, a_prev.T, beta=1.0, c=out.T, trans_a=True, overwrite_c=True)
    return out


def dense_backward_into(delta, a_prev, W, work, need_da_prev=True):
    """``(da_prev, dW, db)`` of :func:`nnlib.layers._backward`, written into ``work`` (a :class:`LayerWork`)."""
    dW = np.matmul(delta.T, a_prev, out=work.dW)
    # Σ_n delta_n as a matrix-vector product: BLAS reads delta once, where numpy's column sum
    # of a C-ordered array walks it row by row.
    db = np.matmul(work.ones, delta, out=work.db)
    da_prev = np.matmul(delta, W, out=work.da_prev) if need_da_prev else None
    return da_prev, dW, db


# ---------------------------------------------------------------------------------------------
# In-place activation kernels, for exactly these classes (a subclass may change f or f')
# ---------------------------------------------------------------------------------------------


def _relu_forward_inplace(z):
    a = np.maximum(z, 0.0, out=z)
    return a, (a, a)  # a > 0 exactly where z > 0: the backward pass needs no z


def _relu_backward_inplace(da, cache):
    return np.multiply(da, cache[0] > 0, out=da)


def _identity_forward_inplace(z):
    return z, (z, z)


def _identity_backward_inplace(da, cache):
    return da


INPLACE = {
    _activations.ReLU: (_relu_forward_inplace, _relu_backward_inplace),
    _activations.Identity: (_identity_forward_inplace, _identity_backward_inplace),
}


# ---------------------------------------------------------------------------------------------
# Fused softmax cross-entropy on the transposed logits
# ---------------------------------------------------------------------------------------------


def softmax_xent(z, labels, columns=None):
    """``(loss, delta)`` of :meth:`nnlib.losses.SoftmaxCrossEntropy.value_and_delta` for integer labels.

    Works on ``z.T`` (K, N); the returned ``delta`` is a transposed view, which the matrix
    products of the backward pass take as is. ``columns``: ``np.arange(N)``, if the caller keeps one.
    """
    n = z.shape[0]
    if columns is None:
        columns = np.arange(n)
    e = z.T.copy()  # (K, N)
    e -= e.max(axis=0)
    flat = e.reshape(-1)  # a view: entry (y_n, n) of e is flat[y_n * N + n]
    target = labels * n + columns
    zy = flat[target]  # z_y − m
    np.exp(e, out=e)  # in place: the shifted logits are not needed afterwards
    s = e.sum(axis=0)
    # -log p_y = log Σ exp(z − m) − (z_y − m): no log of an underflowed probability.
    loss = float((np.log(s) - zy).sum()) / n
    e *= 1.0 / (n * s)
    flat[target] -= 1.0 / n
    return loss, e.T


# ---------------------------------------------------------------------------------------------
# SGD with BLAS axpy
# ---------------------------------------------------------------------------------------------


def _axpy(alpha, x, y) -> None:
    """``y += alpha * x`` in place, in one pass over memory when both are contiguous and of one dtype."""
    if (
        isinstance(x, np.ndarray) and x.dtype == y.dtype and y.size > 1
        and x.flags.c_contiguous and y.flags.c_contiguous and y.dtype in _AXPY
    ):
        # reshape(-1) of a contiguous array is a view, so axpy writes straight into y.
        _AXPY[y.dtype](x.reshape(-1), y.reshape(-1), a=alpha)
    else:
        y += alpha * x


def sgd_step(opt, params, grads) -> None:
    """:meth:`nnlib.optim.SGD.step` without the checks (``fit`` builds both lists itself)."""
    lr, mu, lam = opt.lr, opt.momentum, opt.weight_decay
    for l, (p_l, g_l) in enumerate(zip(params, grads)):
        for key, p in p_l.items():
            g = g_l[key]
            decay = opt._decays(key)
            if mu == 0.0:
                if decay:
                    p *= 1.0 - lr * lam
                _axpy(-lr, g, p)
                continue
            v = opt._velocity_for(l, key, p)
            v *= mu
            _axpy(-lr, g, v)
            if decay:
                _axpy(-lr * lam, p, v)
            p += v


# ---------------------------------------------------------------------------------------------
# Work arrays and one training step
# ---------------------------------------------------------------------------------------------


class LayerWork:
    """Work arrays of one layer for batches of ``n`` rows.

    Fresh arrays of a few MB per step are not free: numpy returns them to the allocator, which
    gives the pages back to the kernel, and the next step faults them in again (see the benchmark
    report for what that costs). ``z``: (n, M_l) net input, overwritten by ``a`` where an in-place
    kernel exists; ``da_prev``: (n, M_{l-1}) gradient passed down (None for the first layer);
    ``dW``, ``db``: the layer's gradients; ``ones``: (n,) for ``db = 1^T delta``.
    """

    def __init__(self, W, n, need_da_prev=True):
        m, m_prev = W.shape
        self.z = np.empty((n, m), W.dtype)
        self.da_prev = np.empty((n, m_prev), W.dtype) if need_da_prev else None
        self.dW = np.empty_like(W)
        self.db = np.empty(m, W.dtype)
        self.ones = np.ones(n, W.dtype)


class Workspace:
    """The work arrays of one ``fit`` call (per batch size: at most two, the full batches and the
    last one) and the training step that writes into them. Made by ``fit``, dropped when it returns."""

    def __init__(self, net):
        self.net = net
        self._layers: dict[int, list[LayerWork]] = {}
        self._x: dict[int, np.ndarray] = {}
        self._columns: dict[int, np.ndarray] = {}

    def arrays(self, n):
        work = self._layers.get(n)
        if work is None:
            work = self._layers[n] = [LayerWork(layer.W, n, l > 0) for l, layer in enumerate(self.net.layers)]
            self._columns[n] = np.arange(n)
        return work

    def refresh(self):
        """Drop the arrays that no longer fit the network's layers (called once per ``fit``)."""
        for n, work in list(self._layers.items()):
            if any(w.dW.shape != layer.W.shape or w.dW.dtype != layer.W.dtype for w, layer in zip(work, self.net.layers)):
                del self._layers[n]

    def gather(self, X, rows):
        """``X[rows]`` written into a kept (n, M_0) array: a shuffled batch without a new array per step."""
        n = rows.shape[0]
        out = self._x.get(n)
        if out is None:
            out = self._x[n] = np.empty((n, X.shape[1]), X.dtype)
        # mode="clip": with the default "raise" numpy buffers `out` through a temporary as large as
        # the batch. The rows come from a permutation, so they are in range and nothing is clipped.
        return np.take(X, rows, axis=0, out=out, mode="clip")

    def step(self, X, Y, rng=None):
        """Loss, output and gradients of one batch in training mode (dropout masks from ``rng``).

        Returns ``(loss, out, grads)``; ``out`` is the logits ``z_L`` for a fused output, and
        ``grads`` is None when the output is not finite (the run diverged: nothing to step on).
        The gradients live in the work arrays until the next step.
        """
        net = self.net
        layers, work = net.layers, self.arrays(X.shape[0])
        last = len(layers) - 1
        fused = net._fused
        saved = []  # per layer: (a_prev, activation cache, in-place kernel, dropout mask)
        a = X
        for l, (layer, w) in enumerate(zip(layers, work)):
            z = dense_forward_into(a, layer.W, layer.b, w.z)
            if l == last and fused is not None:
                saved.append((a, None, None, None))
                a = z
                break
            kernel = INPLACE.get(type(layer.activation))
            a_prev = a
            a, cache = kernel[0](z) if kernel else layer._act_forward(z)
            mask = None
            if l < last and net.dropout[l] > 0.0:
                mask = _dropout_mask(a.shape, net.dropout[l], rng, a.dtype)
                a = a * mask
            saved.append((a_prev, cache, kernel, mask))
        out = a
        # (a fused loss of non-finite logits is non-finite itself; a loss object would refuse them)
        if fused is None and not np.isfinite(out).all():
            return float("inf"), out, None
        if fused == "softmax":
            loss, g = softmax_xent(out, Y, self._columns[X.shape[0]])
        elif fused == "sigmoid":
            loss, g = BinaryCrossEntropyWithLogits._value_and_delta(out, Y)
        else:
            Yt = net._loss_targets(Y, out.dtype)
            loss, g = float(net.loss_fn.forward(out, Yt)), net.loss_fn.backward(out, Yt)
        grads = [None] * len(layers)
        own = False  # is g one of our work arrays (free to overwrite)?
        for l in range(last, -1, -1):
            layer, w = layers[l], work[l]
            a_prev, cache, kernel, mask = saved[l]
            if l == last and fused is not None:
                delta = g
            else:
                if mask is not None:
                    g, own = g * mask, True
                if kernel and own:
                    delta = kernel[1](g, cache)
                else:
                    delta = layer._act_backward(g, cache)
            g, dW, db = dense_backward_into(delta, a_prev, layer.W, w, l > 0)
            own = True
            grads[l] = {"W": dW, "b": db, **getattr(layer.activation, "grads", {})}
        return loss, out, grads
