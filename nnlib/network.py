"""Multilayer perceptron (多层感知器) / feedforward neural network (前馈神经网络) trained by backpropagation.

``MLP(sizes, activations, loss)`` stacks ``L = len(sizes) - 1`` :class:`nnlib.layers.Dense` layers;
``sizes = [M_0, M_1, ..., M_L]`` with ``M_0 = D`` input features. Batches are rows: ``X`` is
``(N, D)``, the output ``a^{(L)}`` is ``(N, M_L)``.

Training step (Algorithm 4.1 of the lecture, vectorized over a batch)::

    forward:   a0 = X;  z_l = a_{l-1} W_l^T + b_l;  a_l = f_l(z_l)
    output:    delta_L = dL/dz_L
    backward:  dW_l = delta_l^T a_{l-1};  db_l = sum_n delta_l;  delta_{l-1} = f'_{l-1}(z_{l-1}) ⊙ (delta_l W_l)
    update:    optimizer.step(params, grads)

Fused output gradient: for softmax + cross-entropy (and sigmoid + binary cross-entropy) the output
error term simplifies to ``delta_L = (ŷ − y) / N``. The network uses that form (and computes the loss
from the logits ``z_L`` with log-sum-exp), which is cheaper and never divides by a probability that
underflowed to 0. The same happens when the output activation is ``identity`` and the loss is the
logits version (``softmax_ce``, ``bce_logits``).

Tasks, inferred from the output activation and the loss (override with ``task=``):

* ``"multiclass"``: softmax output or ``cce``/``softmax_ce`` loss. ``Y``: integer labels ``(N,)`` or
  one-hot ``(N, K)``. ``predict`` → labels ``(N,)``.
* ``"binary"``: sigmoid output or ``bce``/``bce_logits`` loss. ``Y``: 0/1 targets ``(N,)`` (when
  ``M_L = 1``) or ``(N, M_L)`` (multi-label). ``predict`` → 0/1 labels (threshold ½).
* ``"regression"``: anything else. ``Y``: ``(N, M_L)`` or ``(N,)`` when ``M_L = 1``.
  ``predict`` → the output values; ``accuracy`` is not defined.
"""

from __future__ import annotations

import copy
import time

import numpy as np

from . import activations as _activations
from ._checks import as_float_array, as_int_scalar, as_rng, check_labels, describe
from .layers import Buffers, Dense, _forward as _dense_forward

__all__ = ["MLP", "History"]

_LOSS_NAMES = {
    "MSE": "mse",
    "BinaryCrossEntropy": "bce",
    "CategoricalCrossEntropy": "cce",
    "BinaryCrossEntropyWithLogits": "bce_logits",
    "SoftmaxCrossEntropy": "softmax_ce",
}
_TASKS = ("multiclass", "binary", "regression")


def _loss_name(loss) -> str:
    return getattr(loss, "name", None) or _LOSS_NAMES.get(type(loss).__name__, type(loss).__name__.lower())


class History:
    """Per-epoch record of a :meth:`MLP.fit` run.

    ``loss``/``accuracy``: training values, averaged over the batches of the epoch as they were
    processed (free to compute; in stochastic mode they lag the end-of-epoch weights a little).
    ``val_loss``/``val_accuracy``: evaluated on ``validation`` at the end of each epoch.
    Accuracy lists stay empty for regression. ``lr``: learning rate used in each epoch.
    """

    def __init__(self):
        self.loss: list[float] = []
        self.accuracy: list[float] = []
        self.val_loss: list[float] = []
        self.val_accuracy: list[float] = []
        self.lr: list[float] = []
        self.seconds = 0.0

    @property
    def epochs(self) -> int:
        return len(self.loss)

    def __repr__(self):
        last = f", loss={self.loss[-1]:.4g}" if self.loss else ""
        acc = f", accuracy={self.accuracy[-1]:.4g}" if self.accuracy else ""
        return f"History(epochs={self.epochs}{last}{acc}, seconds={self.seconds:.3g})"


# --------------------------------------------------------------------------------------------
# Fused output layers: loss value and delta_L = dL/dz_L from the logits in one pass
# --------------------------------------------------------------------------------------------


def _softmax_xent(z, labels):
    """Mean cross-entropy of softmax(z) (N, K) against integer labels (N,); returns (loss, (p − y)/N).

    Works on the transpose ``z.T`` (K, N): numpy reduces a short last axis (K = 10 classes) row
    by row, but a long one (N samples) with vector instructions, 5x faster here. The returned
    ``delta`` is a transposed view, which the matrix products of the backward pass take as is.
    """
    n = z.shape[0]
    e = z.T.copy()  # (K, N)
    e -= e.max(axis=0)
    flat = e.reshape(-1)  # a view: entry (y_n, n) of e is flat[y_n * N + n]
    target = labels * n + np.arange(n)
    zy = flat[target]  # z_y − m
    np.exp(e, out=e)  # in place: the shifted logits are not needed afterwards
    s = e.sum(axis=0)
    # -log p_y = log Σ exp(z − m) − (z_y − m): no log of an underflowed probability.
    loss = float((np.log(s) - zy).sum()) / n
    e *= 1.0 / (n * s)
    flat[target] -= 1.0 / n
    return loss, e.T


def _sigmoid_bce(z, y):
    """Binary cross-entropy of sigmoid(z) against targets y, both (N, K): summed over K, mean over N.

    Returns ``(loss, (σ(z) − y)/N)``. ``log(1 + e^z) − y z = max(z, 0) − y z + log1p(e^{−|z|})``
    never overflows.
    """
    n = z.shape[0]
    loss = float((np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))).sum() / n)
    delta = _activations._sigmoid(z)
    delta -= y
    delta *= 1.0 / n
    return loss, delta


# --------------------------------------------------------------------------------------------


class MLP:
    """Fully connected feedforward network.

    Parameters
    ----------
    sizes : sequence of int
        ``[M_0, ..., M_L]``, at least two entries, all >= 1.
    activations : str, activation object, or sequence
        One per layer (length ``L``); or a pair ``(hidden, output)`` used for layers ``1..L-1`` and
        ``L``; or a single name/object for every layer. Names as in :func:`nnlib.activations.names`.
    loss : str or loss object
        ``mse``, ``bce``, ``cce``, ``bce_logits``, ``softmax_ce`` or an object with
        ``forward(y_hat, y)`` / ``backward(y_hat, y)``.
    init : str or callable
        Weight initializer from :mod:`nnlib.init`; biases start at 0.
    rng : int or numpy.random.Generator
        Seed for the initial weights.
    dtype : float64 (default) or float32
        Precision of the parameters; inputs are converted to it once, at the entry points.
    task : {"multiclass", "binary", "regression"}, optional
        Override the task inferred from the output activation and loss.
    """

    def __init__(self, sizes, activations, loss, init="xavier_uniform", rng=0, *, dtype=np.float64, task=None):
        self.sizes = self._check_sizes(sizes)
        L = len(self.sizes) - 1
        acts = self._expand_activations(activations, L)
        dt = np.dtype(dtype)
        if dt not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float32 or float64, got {dt}")
        self.dtype = dt
        self.loss_fn = self._resolve_loss(loss)
        gen = as_rng(rng)
        self.layers = [
            Dense.create(self.sizes[l - 1], self.sizes[l], acts[l - 1], init, gen, dt) for l in range(1, L + 1)
        ]
        out = self.layers[-1].activation.name
        lname = _loss_name(self.loss_fn)
        if (out, lname) in (("softmax", "softmax_ce"), ("sigmoid", "bce_logits")):
            raise ValueError(
                f"output activation {out!r} with loss {lname!r} would apply {out} twice: the {lname} loss "
                f"expects logits. Use output activation 'identity' with {lname!r}, or "
                f"{'cce' if out == 'softmax' else 'bce'!r} with the {out} output"
            )
        if out == "softmax" and lname == "cce" or out == "identity" and lname == "softmax_ce":
            self._fused = "softmax"
        elif out == "sigmoid" and lname == "bce" or out == "identity" and lname == "bce_logits":
            self._fused = "sigmoid"
        else:
            self._fused = None
        self._logits_out = out == "identity" and lname in ("softmax_ce", "bce_logits")
        if task is None:
            if out == "softmax" or lname in ("cce", "softmax_ce"):
                task = "multiclass"
            elif out == "sigmoid" or lname in ("bce", "bce_logits"):
                task = "binary"
            else:
                task = "regression"
        elif task not in _TASKS:
            raise ValueError(f"task must be one of {', '.join(_TASKS)}, got {task!r}")
        if task == "multiclass" and self.sizes[-1] < 2:
            raise ValueError(f"a multiclass network needs at least 2 outputs, got sizes[-1]={self.sizes[-1]}")
        self.task = task
        self.training = False
        self._pending = None
        self._buffers: dict[int, list[Buffers]] = {}  # fit's work arrays, by batch rows

    # Work arrays are scratch, not state: copies and pickles start without them.
    def __getstate__(self):
        state = self.__dict__.copy()
        state["_buffers"] = {}
        return state

    # -- construction helpers -------------------------------------------------------------------
    @staticmethod
    def _check_sizes(sizes):
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
            raise TypeError(f"sizes must be a sequence of layer widths [M_0, ..., M_L], got {type(sizes).__name__}")
        if len(sizes) < 2:
            raise ValueError(f"sizes must have at least 2 entries (inputs and outputs), got {list(sizes)}")
        out = []
        for l, m in enumerate(sizes):
            try:
                out.append(as_int_scalar(m, f"sizes[{l}]", min_value=1))
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"{exc} (sizes={list(sizes)})") from None
        return out

    @staticmethod
    def _expand_activations(activations, L):
        if isinstance(activations, str) or isinstance(activations, _activations.Activation):
            spec = [activations] * L
        else:
            try:
                seq = list(activations)
            except TypeError:
                raise TypeError(
                    f"activations must be a name, an activation object or a sequence of them, "
                    f"got {type(activations).__name__}"
                ) from None
            if len(seq) == L:
                spec = seq
            elif len(seq) == 2 and L > 2:
                spec = [seq[0]] * (L - 1) + [seq[1]]
            else:
                raise ValueError(
                    f"activations has {len(seq)} entries but sizes define L={L} layers; give one per layer "
                    f"({L}), a pair (hidden, output), or a single name"
                )
        acts, seen = [], set()
        for a in spec:
            act = _activations.get(a) if isinstance(a, str) else a
            if not isinstance(act, _activations.Activation):
                raise TypeError(f"activations entries must be names or Activation objects, got {type(act).__name__}")
            if id(act) in seen:
                # Layers must not share state (caches, learnable slopes): copy repeated objects.
                act = copy.deepcopy(act)
            seen.add(id(act))
            acts.append(act)
        return acts

    @staticmethod
    def _resolve_loss(loss):
        if isinstance(loss, str):
            from . import losses

            return losses.get(loss)
        if not (hasattr(loss, "forward") and hasattr(loss, "backward")):
            raise TypeError(f"loss must be a name or an object with forward/backward, got {type(loss).__name__}")
        return loss

    # -- input preparation (validation happens once here, never inside the hot loop) ------------
    def _prep_X(self, X, name="X"):
        X = as_float_array(X, name, ndim=2, dtype=self.dtype)
        W = self.layers[0].W
        if X.shape[1] != self.sizes[0]:
            raise ValueError(
                f"{name} has shape {X.shape} ({X.shape[1]} features) but the network expects "
                f"sizes[0]={self.sizes[0]} features (first-layer W has shape {W.shape})"
            )
        return X

    def _prep_Y(self, Y, n, name="Y"):
        K = self.sizes[-1]
        if self.task == "multiclass":
            return check_labels(Y, name, K, n_samples=n)
        Y = as_float_array(Y, name, ndim=(1, 2), dtype=self.dtype)
        if Y.shape[0] != n:
            raise ValueError(f"{name} has {Y.shape[0]} samples ({describe(Y)}) but X has {n} samples")
        if Y.ndim == 1:
            if K != 1:
                raise ValueError(f"{name} has shape {Y.shape} but the network has {K} outputs; expected ({n}, {K})")
            Y = Y.reshape(n, 1)
        elif Y.shape[1] != K:
            raise ValueError(f"{name} has shape {Y.shape} but the network has {K} outputs; expected ({n}, {K})")
        # Cross-entropy needs probabilities as targets; MSE on a sigmoid output accepts any value.
        if _loss_name(self.loss_fn) in ("bce", "bce_logits") and ((Y < 0) | (Y > 1)).any():
            bad = np.argwhere((Y < 0) | (Y > 1))[0]
            raise ValueError(
                f"{name} has the value {float(Y[tuple(bad)])!r} at index {tuple(int(i) for i in bad)}; "
                f"binary cross-entropy targets must lie in [0, 1]"
            )
        return Y

    def _set_training(self, flag: bool):
        self.training = flag
        for layer in self.layers:
            act = layer.activation
            if hasattr(act, "train") and hasattr(act, "eval"):
                act.train() if flag else act.eval()

    def _buffers_for(self, n):
        """One :class:`nnlib.layers.Buffers` per layer for batches of ``n`` rows, made on first use."""
        bufs = self._buffers.get(n)
        if bufs is None or not all(buf.fits(layer.W) for buf, layer in zip(bufs, self.layers)):
            bufs = self._buffers[n] = [Buffers(layer.W, n, l > 0) for l, layer in enumerate(self.layers)]
        return bufs

    # -- forward ----------------------------------------------------------------------------------
    def _forward(self, X, logits=False, buffers=None):
        """Unchecked forward. With ``logits`` the last activation is skipped (returns z_L).

        ``buffers``: a list from :meth:`_buffers_for` to write into (``fit`` only: the results
        are overwritten by the next step).
        """
        bufs = buffers or [None] * len(self.layers)
        a = X
        for layer, buf in zip(self.layers[:-1], bufs):
            a = layer._forward(a, buf)
        last = self.layers[-1]
        if logits:
            last.a_prev = a
            last.z = _dense_forward(a, last.W, last.b, out=None if bufs[-1] is None else bufs[-1].z)
            return last.z
        return last._forward(a, bufs[-1])

    def forward(self, X):
        """Output ``a^{(L)}`` (N, M_L) for inputs ``X`` (N, M_0); caches what ``backward`` needs."""
        self._set_training(False)
        self._pending = None
        return self._forward(self._prep_X(X))

    __call__ = forward

    # -- loss and gradients ------------------------------------------------------------------------
    def _loss(self, X, Y, buffers=None):
        """Unchecked loss of a prepared batch; leaves the output error for :meth:`_backward`."""
        if self._fused == "softmax":
            z = self._forward(X, logits=True, buffers=buffers)
            loss, delta = _softmax_xent(z, Y)
            self._pending = ("z", delta)
            return loss, z
        if self._fused == "sigmoid":
            z = self._forward(X, logits=True, buffers=buffers)
            loss, delta = _sigmoid_bce(z, Y)
            self._pending = ("z", delta)
            return loss, z
        out = self._forward(X, buffers=buffers)
        if self.task == "multiclass" and _loss_name(self.loss_fn) not in ("cce", "softmax_ce"):
            Y = np.eye(self.sizes[-1], dtype=out.dtype)[Y]  # e.g. MSE on one-hot targets
        loss = float(self.loss_fn.forward(out, Y))
        self._pending = ("a", self.loss_fn.backward(out, Y))
        return loss, out

    def _backward(self, buffers=None):
        if self._pending is None:
            raise RuntimeError("backward() needs a preceding loss(X, Y) (or gradients(X, Y)) on the same batch")
        kind, g = self._pending
        self._pending = None
        layers = self.layers
        bufs = buffers or [None] * len(layers)
        last = len(layers) - 1
        if kind == "z":
            da = layers[last]._backward_z(g, last > 0, bufs[last])
        else:  # g came from the loss object: not ours to overwrite
            da = layers[last]._backward(g, last > 0, bufs[last])
        for l in range(last - 1, -1, -1):
            # With buffers, da is the layer above's da_prev work array: free to overwrite.
            da = layers[l]._backward(da, l > 0, bufs[l], overwrite=buffers is not None)
        return [layer.grads for layer in layers]

    def loss(self, X, Y) -> float:
        """Mean loss over the batch (N samples); keeps the caches so :meth:`backward` can follow."""
        self._set_training(False)
        X = self._prep_X(X)
        return self._loss(X, self._prep_Y(Y, X.shape[0]))[0]

    def backward(self):
        """Gradients after :meth:`loss`: a list with one dict per layer (``W``, ``b``, activation params)."""
        return self._backward()

    def gradients(self, X, Y):
        """``(loss, grads)`` for the batch ``(X, Y)``; ``grads`` has the structure of :meth:`params`."""
        loss = self.loss(X, Y)
        return loss, self._backward()

    def params(self):
        """The live parameter arrays: one dict per layer, ``{"W": ..., "b": ..., **activation params}``."""
        return [layer.params() for layer in self.layers]

    def parameter_count(self) -> int:
        """Number of learnable scalars: Σ_l (M_{l-1} + 1) M_l (times K for maxout) + activation params."""
        return sum(layer.parameter_count() for layer in self.layers)

    # -- prediction --------------------------------------------------------------------------------
    def _proba_from_output(self, out):
        if self.task == "multiclass":
            return _activations._softmax(out, -1) if self._logits_out else out
        return _activations._sigmoid(out) if self._logits_out else out

    def predict_proba(self, X):
        """Class probabilities: (N, K) for multiclass, P(y=1) as (N, M_L) for binary/multi-label."""
        if self.task == "regression":
            raise ValueError("predict_proba is defined for classifiers; this network is a regressor (task='regression')")
        return self._proba_from_output(self.forward(X))

    def _labels_from_output(self, out, logits=None):
        """``out``: network output, or the logits z_L when ``logits`` (default: the output is logits
        exactly when the output activation is identity with a logits loss)."""
        if self.task == "multiclass":
            return out.argmax(axis=1)  # argmax of logits = argmax of probabilities
        thr = 0.0 if (self._logits_out if logits is None else logits) else 0.5
        lab = (out > thr).astype(np.int64)
        return lab[:, 0] if lab.shape[1] == 1 else lab

    def predict(self, X):
        """Labels ``(N,)`` (multiclass, single binary output), 0/1 ``(N, M_L)`` (multi-label), or values."""
        out = self.forward(X)
        if self.task == "regression":
            return out
        return self._labels_from_output(out)

    def _correct(self, out, Y, logits=None):
        """Number of correct predictions (multi-label: correct entries / M_L) of a prepared batch."""
        if self.task == "multiclass":
            return float(np.count_nonzero(out.argmax(axis=1) == Y))
        pred = self._labels_from_output(out, logits).reshape(Y.shape)
        return float(np.count_nonzero(pred == Y)) / Y.shape[1]

    def accuracy(self, X, Y) -> float:
        """Fraction of correctly classified samples (multi-label: of correct entries)."""
        if self.task == "regression":
            raise ValueError("accuracy is defined for classifiers; this network is a regressor (task='regression')")
        X = self._prep_X(X)
        Y = self._prep_Y(Y, X.shape[0])
        if self.task == "binary" and ((Y != 0) & (Y != 1)).any():
            raise ValueError("Y must hold 0/1 labels to compute an accuracy")
        self._set_training(False)
        return self._correct(self._forward(X), Y) / X.shape[0]

    # -- training ----------------------------------------------------------------------------------
    def fit(
        self,
        X,
        Y,
        epochs=1,
        batch_size=None,
        optimizer=None,
        shuffle=True,
        rng=0,
        validation=None,
        progress=False,
    ) -> History:
        """Train with (mini-batch) gradient descent; returns a :class:`History`.

        ``batch_size``: ``None`` → batch gradient descent (the whole set per step); ``1`` →
        stochastic gradient descent (one sample per step); ``n`` → mini-batches of ``n`` (the last
        one may be smaller; values above N are clipped to N). ``shuffle``: a fresh permutation
        from ``rng`` every epoch. ``optimizer``: :class:`nnlib.optim.SGD` (default ``SGD(lr=0.1)``)
        or anything with ``step(params, grads)``; its ``set_epoch(epoch)`` is called at the start of
        each epoch when present (learning-rate schedules). ``validation``: ``(X_val, Y_val)``.
        ``progress``: show a tqdm bar over the epochs.

        Every step writes its activations and gradients into the same work arrays (one set per
        batch size: per layer ``z``, which the activation may overwrite with ``a``, the error term
        passed down, the gradients, and the gathered rows of a shuffled batch; about what
        backpropagation must hold for one batch anyway), which the network keeps for later calls
        of ``fit``; see :class:`nnlib.layers.Buffers` for why.
        """
        from .optim import SGD

        X = self._prep_X(X)
        n = X.shape[0]
        Y = self._prep_Y(Y, n)
        epochs = as_int_scalar(epochs, "epochs", min_value=1)
        bs = n if batch_size is None else min(as_int_scalar(batch_size, "batch_size", min_value=1), n)
        if optimizer is None:
            optimizer = SGD(lr=0.1)
        elif not callable(getattr(optimizer, "step", None)):
            raise TypeError(f"optimizer must have a step(params, grads) method, got {type(optimizer).__name__}")
        gen = as_rng(rng) if shuffle else None  # a Generator costs 20 µs to make: only when used
        if validation is not None:
            try:
                Xv, Yv = validation
            except (TypeError, ValueError):
                raise TypeError("validation must be a pair (X_val, Y_val)") from None
            Xv = self._prep_X(Xv, "X_val")
            Yv = self._prep_Y(Yv, Xv.shape[0], "Y_val")
        classify = self.task != "regression" and not (
            self.task == "binary" and ((Y != 0) & (Y != 1)).any()  # soft targets: no accuracy
        )

        history = History()
        params = self.params()
        # Our own SGD may skip re-checking the structure of params/grads on every step (fit builds
        # both); a subclass that overrides step() is called through it.
        if type(optimizer).step is SGD.step:
            step = optimizer._step_unchecked
        else:
            # Any other optimizer may keep the gradients it is given (say, last step's, to compare):
            # it gets copies, since the work arrays are overwritten by the next step.
            def step(params, grads):
                optimizer.step(params, [{k: np.array(g, copy=True) for k, g in g_l.items()} for g_l in grads])
        set_epoch = getattr(optimizer, "set_epoch", None)
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=epochs, desc="fit", unit="epoch")
        t0 = time.perf_counter()
        try:
            for epoch in range(epochs):
                if set_epoch is not None:
                    set_epoch(epoch)
                history.lr.append(getattr(optimizer, "lr", float("nan")))
                # Shuffled batches are gathered one at a time: the same bytes copied as one
                # permuted copy of X, but only a batch of extra memory instead of a whole data set.
                perm = gen.permutation(n) if shuffle and n > 1 else None
                self._set_training(True)
                total, correct = 0.0, 0.0
                for start in range(0, n, bs):
                    bufs = self._buffers_for(min(bs, n - start))
                    if perm is None:
                        xb, yb = X[start : start + bs], Y[start : start + bs]
                    else:
                        idx = perm[start : start + bs]
                        xb, yb = bufs[0].gather(X, idx), Y[idx]
                    loss, out = self._loss(xb, yb, bufs)
                    step(params, self._backward(bufs))
                    total += loss * xb.shape[0]
                    if classify:
                        correct += self._correct(out, yb, self._fused is not None or self._logits_out)
                self._set_training(False)
                history.loss.append(total / n)
                if classify:
                    history.accuracy.append(correct / n)
                if validation is not None:
                    val_loss, val_out = self._loss(Xv, Yv)
                    self._pending = None
                    history.val_loss.append(val_loss)
                    if classify:
                        logits = self._fused is not None or self._logits_out
                        history.val_accuracy.append(self._correct(val_out, Yv, logits) / Xv.shape[0])
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{history.loss[-1]:.4g}")
                if not np.isfinite(history.loss[-1]):
                    # Diverged (learning rate too large?): more epochs would only spread NaN.
                    break
        finally:
            self._set_training(False)
            for layer in self.layers:
                # The caches point into the work arrays (and the last batch); the gradients are
                # copied out so that the next fit does not change them under the caller.
                layer.a_prev = layer.z = layer._act_cache = None
                layer.grads = {k: np.array(g, copy=True) for k, g in layer.grads.items()}
            if bar is not None:
                bar.close()
        history.seconds = time.perf_counter() - t0
        return history

    def __repr__(self):
        acts = [layer.activation.name for layer in self.layers]
        return f"MLP(sizes={self.sizes}, activations={acts}, loss={_loss_name(self.loss_fn)!r}, task={self.task!r})"
