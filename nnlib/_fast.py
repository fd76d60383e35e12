"""The speed-ups of ``MLP.fit``, kept out of the textbook code.

Everything here computes what the readable versions compute, only with less memory traffic:

* ``dense_forward_into`` / ``dense_backward_into``: the products of :mod:`nnlib.layers` written
  into kept work arrays, the bias folded into the BLAS call (``gemm`` with ``beta = 1``);
* ``INPLACE``: ReLU and identity kernels that overwrite ``z`` with ``a`` and ``da`` with ``delta``;
* ``softmax_xent``: :meth:`nnlib.losses.SoftmaxCrossEntropy.value_and_delta` on the transposed
  logits (numpy reduces a long last axis with vector instructions, a short one row by row);
* ``sgd_step`` / :class:`SGDStep`: :meth:`nnlib.optim.SGD.step` with BLAS ``axpy`` (no temporary
  for ``lr * g``), what does not change between steps (which arrays decay, their flat views) worked
  out once per ``fit`` call;
* :class:`Workspace`: one step of :func:`nnlib.training.train_step` (forward, output error, backward)
  through all of the above, with the per-layer choices (in-place kernel, dropout, BLAS routine) made
  once per ``fit`` call.

What it needs from the network, its layers, the loss and the optimizer it asks through their public
methods (``MLP.fused_output``, ``MLP.output_error``, ``Dense.activate``, ``Dense.activation_delta``,
``SGD.decays``, ``SGD.velocity``); the formulas it shares with them come from :mod:`nnlib._kernels`.

At batch size 1 a step is a few dozen numpy calls on arrays of a few hundred numbers, so there
the cost is the calls themselves: the code below looks up nothing per step that it can look up
per ``fit`` call.

``tests/test_fast_path.py`` holds every one of them to the public functions chained by hand;
``bench/`` measures what they buy.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import blas as _blas

from . import _kernels
from . import activations as _activations

__all__ = ["Workspace", "SGDStep", "sgd_step", "softmax_xent", "dense_forward_into", "dense_backward_into", "INPLACE"]

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
    """``(da_prev, dW, db)`` of the textbook backward pass (``nnlib.layers``), written into ``work`` (a :class:`LayerWork`)."""
    dW, db = work.dW, work.db
    gemm = _GEMM.get(W.dtype) if delta.shape[0] == 1 and delta.dtype == a_prev.dtype == W.dtype else None
    if gemm is not None:
        # One sample: dW = delta^T a_prev is an outer product (inner dimension 1), which numpy's
        # matmul computes without BLAS, several times slower than gemm (see the benchmark report).
        # In column-major terms dW^T = a_prev^T delta; with one row, a_prev.T and delta.T are
        # contiguous in both orders, so BLAS gets them without a copy.
        gemm(1.0, a_prev.T, delta.T, trans_b=True, c=dW.T, overwrite_c=True)
        db[...] = delta[0]  # the sum over one sample is that sample's row
    else:
        np.matmul(delta.T, a_prev, out=dW)
        # Σ_n delta_n as a matrix-vector product: BLAS reads delta once, where numpy's column sum
        # of a C-ordered array walks it row by row.
        np.matmul(work.ones, delta, out=db)
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
    e = z.T.copy()  # (K, N)
    # np.maximum.reduce / np.add.reduce are e.max / e.sum without their Python-level wrapper: at
    # batch size 1 a step is a few dozen calls on tiny arrays, and each call's overhead counts.
    e -= np.maximum.reduce(e, axis=0)
    flat = e.reshape(-1)  # a view: entry (y_n, n) of e is flat[y_n * N + n]
    if n == 1:
        target = labels
    else:
        target = labels * n + (np.arange(n) if columns is None else columns)
    zy = flat[target]  # z_y − m
    np.exp(e, out=e)  # in place: the shifted logits are not needed afterwards
    s = np.add.reduce(e, axis=0)
    # -log p_y = log Σ exp(z − m) − (z_y − m): no log of an underflowed probability.
    loss = float(np.add.reduce(np.log(s) - zy)) / n
    s *= n
    e /= s  # p / N
    flat[target] -= 1.0 / n
    return loss, e.T


# ---------------------------------------------------------------------------------------------
# SGD with BLAS axpy
# ---------------------------------------------------------------------------------------------


def _axpy(alpha, x, y) -> None:
    """``y += alpha * x`` in place, in one pass over memory when both are contiguous and of one dtype."""
    y_flat = _flat_view(y)
    if y_flat is not None and isinstance(x, np.ndarray) and x.dtype == y.dtype and x.flags.c_contiguous:
        _AXPY[y.dtype](x.reshape(-1), y_flat, a=alpha)
    else:
        y += alpha * x


def _flat_view(p):
    """``p`` as the 1-d view ``axpy`` writes into, or None (a 0-d or strided array, a dtype BLAS lacks)."""
    if p.size > 1 and p.flags.c_contiguous and p.dtype in _AXPY:
        return p.reshape(-1)
    return None


class SGDStep:
    """:meth:`nnlib.optim.SGD.step` on the parameters of one ``fit`` call, without the checks (``fit``
    builds the gradients itself): which arrays decay and the flat views ``axpy`` writes into are
    worked out here, once. The learning rate is read on every call (a schedule changes it)."""

    def __init__(self, opt, params):
        self.opt = opt
        self.plan = [
            (l, key, p, _flat_view(p), _AXPY.get(p.dtype), opt.decays(key))
            for l, p_l in enumerate(params) for key, p in p_l.items()
        ]

    def __call__(self, params, grads) -> None:
        """One update of the parameters given at construction (``params``: the same list, as in ``SGD.step``)."""
        opt = self.opt
        lr, mu, lam = opt.lr, opt.momentum, opt.weight_decay
        for l, key, p, p_flat, axpy, decay in self.plan:
            g = grads[l][key]
            if mu == 0.0:
                if decay:
                    p *= 1.0 - lr * lam
                if p_flat is not None and g.dtype == p.dtype:
                    axpy(g.reshape(-1), p_flat, a=-lr)  # g.reshape(-1): a view, or a copy when g is strided
                else:
                    p += -lr * g
                continue
            v = opt.velocity(l, key, p)
            v *= mu
            _axpy(-lr, g, v)
            if decay:
                _axpy(-lr * lam, p, v)
            p += v


def sgd_step(opt, params, grads) -> None:
    """:meth:`nnlib.optim.SGD.step` without the checks: one :class:`SGDStep`."""
    SGDStep(opt, params)(params, grads)


# ---------------------------------------------------------------------------------------------
# Work arrays and one training step
# ---------------------------------------------------------------------------------------------


class LayerWork:
    """Work arrays of one layer for batches of ``n`` rows.

    Fresh arrays of a few MB per step are not free: numpy returns them to the allocator, which
    gives the pages back to the kernel, and the next step faults them in again (see the benchmark
    report for what that costs). ``z``: (n, M_l) net input, overwritten by ``a`` where an in-place
    kernel exists; ``da_prev``: (n, M_{l-1}) gradient passed down (None for the first layer);
    ``dW``, ``db``: the layer's gradients; ``ones``: (n,) for ``db = 1^T delta``; ``grads``: the
    dict ``{"W": dW, "b": db}`` a step returns for a layer whose activation has no parameters.
    """

    def __init__(self, W, n, need_da_prev=True):
        m, m_prev = W.shape
        self.z = np.empty((n, m), W.dtype)
        self.da_prev = np.empty((n, m_prev), W.dtype) if need_da_prev else None
        self.dW = np.empty((m, m_prev), W.dtype)  # C-ordered whatever W's order: gemm writes into dW.T in place
        self.db = np.empty(m, W.dtype)
        self.ones = np.ones(n, W.dtype)
        self.grads = {"W": self.dW, "b": self.db}


class Workspace:
    """The work arrays of one ``fit`` call (per batch size: at most two, the full batches and the
    last one) and the training step that writes into them. Made by ``fit``, dropped when it returns
    (or kept by a caller that passes it to ``fit`` again)."""

    def __init__(self, net):
        self.net = net
        self._layers: dict[int, list[LayerWork]] = {}
        self._x: dict[int, np.ndarray] = {}
        self._columns: dict[int, np.ndarray] = {}
        self.refresh()

    def arrays(self, n):
        work = self._layers.get(n)
        if work is None:
            work = self._layers[n] = [LayerWork(layer.W, n, l > 0) for l, layer in enumerate(self.net.layers)]
            self._columns[n] = np.arange(n)
        return work

    def refresh(self):
        """Fit the workspace to the network as it is now (called once per ``fit``: a network may
        change between calls, never during one): drop the arrays that no longer match its layers,
        and choose per layer what every step of the call does the same way."""
        net = self.net
        for n, work in list(self._layers.items()):
            if len(work) != len(net.layers) or any(
                w.dW.shape != layer.W.shape or w.dW.dtype != layer.W.dtype for w, layer in zip(work, net.layers)
            ):
                del self._layers[n]
        last = len(net.layers) - 1
        self._fused = net.fused_output
        # Per layer: (layer, ends in the fused loss?, in-place kernel pair or None, dropout rate).
        # INPLACE is keyed by exact class: a subclass may change f or f'.
        self._plan = [
            (
                layer,
                l == last and self._fused is not None,
                INPLACE.get(type(layer.activation)),
                net.dropout[l] if l < last else 0.0,
            )
            for l, layer in enumerate(net.layers)
        ]

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
        n = X.shape[0]
        work = self._layers.get(n) or self.arrays(n)
        plan = self._plan
        saved = []  # per layer: (a_prev, activation cache, dropout mask)
        a = X
        for (layer, fused_out, kernel, p), w in zip(plan, work):
            z = dense_forward_into(a, layer.W, layer.b, w.z)
            if fused_out:
                saved.append((a, None, None))
                a = z
                break
            a_prev = a
            if kernel:
                a, cache = kernel[0](z)
                cache = _activations.Cache(cache, layer.activation, a.shape)  # (activation_delta takes tagged caches only)
            else:
                a, cache = layer.activate(z)
            mask = None
            if p > 0.0:
                mask = _kernels.dropout_mask(a.shape, p, rng, a.dtype)
                a = a * mask
            saved.append((a_prev, cache, mask))
        out = a
        if self._fused == "softmax":
            loss, g = softmax_xent(out, Y, self._columns[n])
        elif self._fused == "sigmoid":
            loss, g = _kernels.bce_logits(out, Y)
        else:
            # (a fused loss of non-finite logits is non-finite itself; otherwise no gradient comes back)
            loss, g = self.net.output_error(out, Y)
            if g is None:
                return math.inf, out, None
        grads = [None] * len(plan)
        own = False  # is g one of our work arrays (free to overwrite)?
        for l in range(len(plan) - 1, -1, -1):
            layer, fused_out, kernel, _ = plan[l]
            a_prev, cache, mask = saved[l]
            if fused_out:
                delta = g
            else:
                if mask is not None:
                    g, own = g * mask, True
                delta = kernel[1](g, cache) if kernel and own else layer.activation_delta(g, cache)
            w = work[l]
            g, dW, db = dense_backward_into(delta, a_prev, layer.W, w, l > 0)
            own = True
            act_grads = getattr(layer.activation, "grads", None)
            grads[l] = {"W": dW, "b": db, **act_grads} if act_grads else w.grads
        return loss, out, grads
