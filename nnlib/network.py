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

import numpy as np

from . import _kernels, training
from . import activations as _activations
from . import losses as _losses
from ._checks import (
    OrderError, as_bool, as_float_array, as_float_dtype, as_float_scalar, as_int_scalar, as_rng, check_budget,
    check_labels, describe,
)
from .layers import Dense
from .training import History

__all__ = ["MLP", "History"]

_TASKS = ("multiclass", "binary", "regression")
# Output activations whose values a probability loss accepts (cross-entropy of anything else, say
# of a ReLU output, is not a loss); custom activations are trusted.
_PROBABILITY_LOSSES = {"cce": ("softmax",), "bce": ("sigmoid", "hard_sigmoid")}


def _loss_name(loss) -> str:
    return getattr(loss, "name", None) or type(loss).__name__.lower()


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
    dropout : float or sequence of floats
        Inverted-dropout probability of the hidden layers' activations (one float for all of them,
        or one per hidden layer; 0 = none). Applied in training only (``fit`` and
        ``forward(X, training=True, rng=...)``); ``forward``/``predict`` use every unit.
    budget : int, optional
        Bytes the parameters and their gradients may take (default ``nnlib._checks.MEMORY_BUDGET``, 1 GiB);
        checked before anything is allocated.
    """

    def __init__(self, sizes, activations, loss, init="xavier_uniform", rng=0, *, dtype=np.float64, task=None,
                 dropout=0.0, budget=None):
        self.sizes = self._check_sizes(sizes)
        L = len(self.sizes) - 1
        self.dtype = dt = as_float_dtype(dtype)
        # every W (M_l x M_{l-1}) and b (M_l), and a gradient of each
        n_params = sum(m * (m_prev + 1) for m_prev, m in zip(self.sizes, self.sizes[1:]))
        self._budget = budget
        check_budget(2 * n_params * dt.itemsize, f"MLP(sizes={self.sizes}): {n_params:,} parameters and their gradients",
                     budget, hint="check the sizes (or pass a larger budget=)")
        acts = self._expand_activations(activations, L)
        self.loss_fn = self._resolve_loss(loss)
        self.dropout = self._check_dropout(dropout, L)
        out = acts[-1].name
        lname = _loss_name(self.loss_fn)
        if (out, lname) in (("softmax", "softmax_ce"), ("sigmoid", "bce_logits")):
            raise ValueError(
                f"output activation {out!r} with loss {lname!r} would apply {out} twice: the {lname} loss "
                f"expects logits. Use output activation 'identity' with {lname!r}, or "
                f"{'cce' if out == 'softmax' else 'bce'!r} with the {out} output"
            )
        if lname in _PROBABILITY_LOSSES and out in _activations.names() and out not in _PROBABILITY_LOSSES[lname]:
            want = _PROBABILITY_LOSSES[lname][0]
            raise ValueError(
                f"loss {lname!r} expects probabilities, but the output activation {out!r} does not produce them; "
                f"use output activation {want!r}, or output 'identity' with loss "
                f"{'softmax_ce' if lname == 'cce' else 'bce_logits'!r}"
            )
        gen = as_rng(rng)
        self.layers = [
            Dense.create(self.sizes[l - 1], self.sizes[l], acts[l - 1], init, gen, dt) for l in range(1, L + 1)
        ]
        # Fused output: softmax/sigmoid and its cross-entropy give delta_L = (ŷ − y)/N in one step,
        # computed from the logits z_L by the loss classes that own the formula.
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
        elif not isinstance(task, str) or task not in _TASKS:
            raise ValueError(f"task must be one of {', '.join(_TASKS)}, got {task!r:.40}")
        if task == "multiclass" and self.sizes[-1] < 2:
            raise ValueError(f"a multiclass network needs at least 2 outputs, got sizes[-1]={self.sizes[-1]}")
        self.task = task
        self.training = False
        self._pending = None

    # -- construction helpers -------------------------------------------------------------------
    @staticmethod
    def _check_sizes(sizes):
        try:
            if isinstance(sizes, (str, bytes)):
                raise TypeError
            sizes = list(sizes)
        except TypeError:
            raise TypeError(f"sizes must be a sequence of layer widths [M_0, ..., M_L], got {sizes!r:.40}") from None
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
    def _check_dropout(dropout, L):
        hidden = L - 1
        if isinstance(dropout, (list, tuple)):
            if len(dropout) != hidden:
                raise ValueError(f"dropout has {len(dropout)} entries but the network has {hidden} hidden layer(s)")
            rates = [as_float_scalar(p, f"dropout[{i}]", min_value=0.0, max_value=1.0, strict_max=True)
                     for i, p in enumerate(dropout)]
        else:
            p = as_float_scalar(dropout, "dropout", min_value=0.0, max_value=1.0, strict_max=True)
            if p > 0 and hidden == 0:
                raise ValueError(f"dropout={p} but the network has no hidden layer (dropout is applied to hidden activations)")
            rates = [p] * hidden
        return rates

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
        if isinstance(loss, type) or not (callable(getattr(loss, "forward", None)) and callable(getattr(loss, "backward", None))):
            raise TypeError(f"loss must be a name or a loss object with forward/backward, got {loss!r:.60}")
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
        # a pass over the N rows keeps z and a of every layer (the caches of backward): N x sum M_l, twice
        check_budget(2 * X.shape[0] * sum(self.sizes[1:]) * self.dtype.itemsize,
                     f"{name} of {X.shape[0]:,} rows through layers of widths {self.sizes[1:]}", self._budget,
                     hint="pass fewer rows at a time")
        return X

    def _prep_Y(self, Y, n, name="Y"):
        K = self.sizes[-1]
        if self.task == "multiclass":
            return check_labels(Y, name, K, n_samples=n, against="X" if name == "Y" else "X_val")
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

    def prepare(self, X, Y=None, *, names=("X", "Y")):
        """``X`` (or ``(X, Y)``) validated and converted as ``fit``, ``loss`` and ``accuracy`` take them:
        ``X`` (N, M_0) in the network's dtype; ``Y`` integer labels (N,) for a classifier with several
        classes, else (N, M_L) targets. ``names``: what error messages call the two arguments."""
        if not (isinstance(names, tuple) and len(names) == 2 and all(isinstance(n, str) for n in names)):
            raise TypeError(f"names must be a pair of str, got {names!r:.40}")
        X = self._prep_X(X, names[0])
        return X if Y is None else (X, self._prep_Y(Y, X.shape[0], names[1]))

    def _loss_targets(self, Y, dtype):
        """Prepared labels in the form the loss object takes (one-hot rows for e.g. MSE on classes)."""
        if self.task == "multiclass" and _loss_name(self.loss_fn) not in ("cce", "softmax_ce"):
            return np.eye(self.sizes[-1], dtype=dtype)[Y]
        return Y

    def set_training(self, flag: bool) -> None:
        """Training mode (dropout in ``fit``, RReLU's random slopes) or evaluation mode (the default)."""
        flag = as_bool(flag, "flag")
        self.training = flag
        for layer in self.layers:
            act = layer.activation
            if hasattr(act, "train") and hasattr(act, "eval"):
                act.train() if flag else act.eval()

    @property
    def fused_output(self):
        """``"softmax"`` or ``"sigmoid"`` when the output activation and the cross-entropy are computed together
        from the logits z_L (``delta_L = (ŷ − y)/N``, the loss by log-sum-exp), else None."""
        return self._fused

    @property
    def outputs_logits(self) -> bool:
        """True when the network's output is logits: output ``identity`` with ``softmax_ce``/``bce_logits``."""
        return self._logits_out

    # -- forward ----------------------------------------------------------------------------------
    def _forward(self, X, logits=False, rng=None):
        """Unchecked forward. With ``logits`` the last activation is skipped (returns z_L).
        With ``rng`` (training), the hidden activations go through inverted dropout."""
        a = X
        for l, layer in enumerate(self.layers[:-1]):
            a = layer._forward(a)
            if rng is not None and self.dropout[l] > 0.0:
                a = a * _kernels.dropout_mask(a.shape, self.dropout[l], rng, a.dtype)
        return self.layers[-1]._forward(a, activate=not logits)

    def forward(self, X, training=False, rng=None):
        """Output ``a^{(L)}`` (N, M_L) for inputs ``X`` (N, M_0).

        ``training=True``: as in a training step (dropout masks and RReLU slopes drawn from
        ``rng``, an int seed or a Generator, required then); the default is evaluation mode.
        """
        training = as_bool(training, "training")
        gen = None if rng is None else as_rng(rng)
        if training and gen is None:
            raise TypeError("forward(X, training=True) needs rng (an int seed or a numpy.random.Generator) "
                            "for the dropout masks")
        X = self._prep_X(X)
        self.set_training(training)
        try:
            self._pending = None
            return self._forward(X, rng=gen if training else None)
        finally:
            self.set_training(False)

    def __call__(self, X):
        return self.forward(X)

    # -- loss and gradients ------------------------------------------------------------------------
    def _check_batch(self, out, Y):
        """``out`` and ``Y`` of :meth:`output_error` and :meth:`count_correct`: the forms :meth:`forward` and
        :meth:`prepare` give them. Only what costs a few reductions per batch: the dtypes, the shapes, the
        labels' range, the targets' finiteness (and [0, 1] for a cross-entropy); a NaN output is allowed
        (its loss is infinite)."""
        K = self.sizes[-1]
        if type(out) is not np.ndarray or out.ndim != 2 or out.shape[1] != K or out.dtype.kind != "f":
            raise TypeError(f"out must be the network's output, a real floating array (N, {K}), got "
                            f"{describe(out) if isinstance(out, np.ndarray) else type(out).__name__}")
        n = out.shape[0]
        labels = self.task == "multiclass"
        kinds, shape = ("iu", (n,)) if labels else ("f", (n, K))
        if type(Y) is not np.ndarray or Y.dtype.kind not in kinds or Y.shape != shape:
            form = f"integer labels ({n},)" if labels else f"real targets ({n}, {K})"
            raise TypeError(f"Y must be the prepared targets of the batch, {form} (see prepare), got "
                            f"{describe(Y) if isinstance(Y, np.ndarray) else type(Y).__name__}")
        if n == 0:
            return
        if labels:
            if Y.min() < 0 or Y.max() >= K:
                bad = int(np.flatnonzero((Y < 0) | (Y >= K))[0])
                raise ValueError(f"Y contains the label {int(Y[bad])} at index {bad}; labels must be in [0, {K})")
        elif _loss_name(self.loss_fn) in ("bce", "bce_logits"):
            if not (Y.min() >= 0 and Y.max() <= 1):  # (NaN fails both)
                raise ValueError("Y must hold binary cross-entropy targets in [0, 1] (see prepare), got values "
                                 f"from {Y.min()!r} to {Y.max()!r}")
        elif not np.isfinite(Y).all():
            raise ValueError("Y must hold finite targets (see prepare)")

    def output_error(self, out, Y):
        """``(loss, delta)`` of a batch from the network's output ``out`` (N, M_L) — the logits z_L when
        :attr:`fused_output` — and its targets ``Y`` as :meth:`prepare` returns them: the mean loss and its
        gradient w.r.t. ``out`` (``delta_L`` itself for a fused output). A non-finite output gives an
        infinite loss and no gradient (None). ``fit`` calls this on every batch of data it has validated
        once, so the checks are the cheap ones of :meth:`_check_batch`, not :meth:`prepare`'s."""
        self._check_batch(out, Y)
        if out.shape[0] == 0:  # the mean over no samples is 0/0
            raise ValueError("out is an empty batch (0 rows); the loss is a mean over at least one sample")
        if self._fused == "softmax":
            return _kernels.softmax_ce(out, Y)
        if self._fused == "sigmoid":
            return _kernels.bce_logits(out, Y)
        if not np.isfinite(out).all():
            return float("inf"), None
        Y = self._loss_targets(Y, out.dtype)
        kind = type(self.loss_fn)
        if kind is _losses.MSE:
            return _kernels.mse(out, Y)
        if kind is _losses.BinaryCrossEntropy:
            return _kernels.bce(out, Y, self.loss_fn.eps)
        if kind is _losses.CategoricalCrossEntropy:
            return _kernels.cce(out, Y, self.loss_fn.eps)
        return float(self.loss_fn.forward(out, Y)), self.loss_fn.backward(out, Y)  # another loss: its own checks

    def _loss(self, X, Y):
        """Unchecked loss of a prepared batch; leaves the output error for :meth:`backward`."""
        out = self._forward(X, logits=self._fused is not None)
        loss, delta = self.output_error(out, Y)
        self._pending = None if delta is None else ("z" if self._fused is not None else "a", delta)
        return loss, out

    def backward(self):
        """Gradients after :meth:`loss`: a list with one dict per layer (``W``, ``b``, activation params).

        ``delta_L`` comes from the loss (fused: ``(ŷ − y)/N`` w.r.t. the logits); each layer then
        turns ``da`` into ``delta = f'(z) ⊙ da`` and passes ``delta W`` down.
        """
        if self._pending is None:
            raise OrderError("backward() needs a preceding loss(X, Y) (or gradients(X, Y)) on the same batch")
        kind, g = self._pending
        self._pending = None
        layers = self.layers
        last = len(layers) - 1
        if kind == "z":
            da = layers[last]._backward_z(g, last > 0)
        else:
            da = layers[last]._backward(g, last > 0)
        for l in range(last - 1, -1, -1):
            da = layers[l]._backward(da, l > 0)
        return [layer.grads for layer in layers]

    def loss(self, X, Y) -> float:
        """Mean loss over the batch (N samples); keeps the caches so :meth:`backward` can follow."""
        self.set_training(False)
        X = self._prep_X(X)
        return self._loss(X, self._prep_Y(Y, X.shape[0]))[0]

    def gradients(self, X, Y):
        """``(loss, grads)`` for the batch ``(X, Y)``; ``grads`` has the structure of :meth:`params`."""
        loss = self.loss(X, Y)
        return loss, self.backward()

    def params(self):
        """The live parameter arrays: one dict per layer, ``{"W": ..., "b": ..., **activation params}``."""
        return [layer.params() for layer in self.layers]

    def parameter_count(self) -> int:
        """Number of learnable scalars: Σ_l (M_{l-1} + 1) M_l (times K for maxout) + activation params."""
        return sum(layer.parameter_count() for layer in self.layers)

    # -- prediction --------------------------------------------------------------------------------
    def _proba_from_output(self, out):
        if self.task == "multiclass":
            return _kernels.softmax(out, -1) if self._logits_out else out
        return _kernels.sigmoid(out) if self._logits_out else out

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

    def count_correct(self, out, Y, *, logits=None):
        """Number of correct predictions (multi-label: correct entries / M_L) in a batch: the network's
        output ``out`` (N, M_L) — logits when ``logits`` (default: as :attr:`outputs_logits`) — against the
        targets ``Y`` as :meth:`prepare` returns them (checked as by :meth:`output_error`: ``fit`` counts
        every batch)."""
        if self.task == "regression":
            raise ValueError("count_correct is defined for classifiers; this network is a regressor (task='regression')")
        self._check_batch(out, Y)
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
        self.set_training(False)
        return self.count_correct(self._forward(X), Y) / X.shape[0]

    def evaluate(self, X, Y):
        """``(loss, accuracy)`` of the set ``(X, Y)`` in evaluation mode (accuracy None for a regressor)."""
        if Y is None:
            raise TypeError("Y must be the targets of X, got None")
        X, Y = self.prepare(X, Y)
        self.set_training(False)
        loss, out = self._loss(X, Y)
        self._pending = None
        if self.task == "regression":
            return loss, None
        return loss, self.count_correct(out, Y, logits=self._fused is not None or self._logits_out) / X.shape[0]

    # -- training ----------------------------------------------------------------------------------
    def fit(self, X, Y, epochs=1, batch_size=None, optimizer=None, shuffle=True, rng=0, validation=None,
            progress=False, early_stopping=None, restore_best=True, workspace=None, limit=None) -> History:
        """Train with (mini-batch) gradient descent (:func:`nnlib.training.fit`); returns a :class:`History`.

        ``batch_size``: ``None`` → batch gradient descent (the whole set per step); ``1`` →
        stochastic gradient descent (one sample per step); ``n`` → mini-batches of ``n`` (the last
        one may be smaller; values above N are clipped to N). ``shuffle``: a fresh permutation
        from ``rng`` every epoch (``rng`` also draws the dropout masks). ``optimizer``:
        :class:`nnlib.optim.SGD` (default ``SGD(lr=0.1)``) or any object with ``step(params, grads)``;
        its ``set_epoch(epoch)`` is called at the start of each epoch when present (learning-rate
        schedules). ``validation``: ``(X_val, Y_val)``, evaluated after every epoch.
        ``early_stopping``: a patience: stop when ``val_loss`` has not improved for that many
        epochs (needs ``validation``); then ``restore_best`` puts back the weights of the best
        epoch. ``progress``: show a tqdm bar over the epochs.

        A run whose training loss becomes non-finite (a learning rate too large) stops at that
        epoch with ``history.diverged`` set and ``history.stop_reason`` saying what to change.
        Each step is :func:`nnlib.training.train_step` computed into the work arrays of a
        :class:`nnlib._fast.Workspace`, made for this call unless ``workspace`` (one made for this
        network) is given: a caller that runs ``fit`` again and again (a benchmark, training in chunks
        of epochs) can keep it and skip re-allocating. ``epochs`` above ``limit`` (default
        ``nnlib._checks.MAX_COUNT``, 10**6) is refused as a typo; pass a larger ``limit`` to run that long.
        """
        return training.fit(self, X, Y, epochs=epochs, batch_size=batch_size, optimizer=optimizer, shuffle=shuffle,
                            rng=rng, validation=validation, progress=progress, early_stopping=early_stopping,
                            restore_best=restore_best, workspace=workspace, limit=limit)

    # -- training ----------------------------------------------------------------------------------
    def __repr__(self):
        acts = [layer.activation.name for layer in self.layers]
        return f"MLP(sizes={self.sizes}, activations={acts}, loss={_loss_name(self.loss_fn)!r}, task={self.task!r})"
