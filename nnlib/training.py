"""Training a network (训练): the textbook step, and ``fit``, the loop of epochs and batches around it.

:func:`train_step` is one step of Algorithm 4.1 of the lecture, written with the network's public
methods::

    loss  = net.loss(X, Y)                  # forward: a_0 = X, z_l = a_{l-1} W_l^T + b_l, a_l = f_l(z_l); delta_L
    grads = net.backward()                  # delta_l = f'_l(z_l) ⊙ (delta_{l+1} W_{l+1}); dW_l = delta_l^T a_{l-1}, db_l
    optimizer.step(net.params(), grads)     # SGD: θ ← θ − α ∂L/∂θ (momentum, weight decay: nnlib.optim)

:func:`fit` (``MLP.fit``) runs that step over the batches of every epoch. It validates ``X`` and ``Y`` once,
then takes each step through :class:`nnlib._fast.Workspace`: the same numbers, written into work arrays kept
for the whole call (``tests/test_fast_path.py`` holds a step of it to :func:`train_step`). Around the steps:
shuffling, the per-epoch :class:`History`, validation, early stopping and learning-rate schedules.
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np

from . import _fast
from ._checks import as_bool, as_count, as_int_scalar, as_rng

__all__ = ["train_step", "fit", "History"]


def _check_net(net) -> None:
    """``net`` has the network interface ``fit`` uses (an MLP)."""
    if not all(callable(getattr(net, m, None)) for m in ("prepare", "loss", "backward", "params")):
        raise TypeError(f"net must be an nnlib.network.MLP, got {type(net).__name__} {net!r:.40}")


def _check_optimizer(optimizer) -> None:
    if isinstance(optimizer, type) or not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"optimizer must be an optimizer object with a step(params, grads) method, e.g. SGD(lr=0.1), "
                        f"got {optimizer!r:.60}")


def _checked_arguments(step):
    """train_step with its net and optimizer checked first (the body stays the four lines of Algorithm 4.1)."""
    @functools.wraps(step)
    def checked(net, X, Y, optimizer):
        _check_net(net)
        _check_optimizer(optimizer)
        return step(net, X, Y, optimizer)
    return checked


@_checked_arguments
def train_step(net, X, Y, optimizer) -> float:
    """One step of gradient descent with backpropagation on the batch ``(X, Y)``; returns its loss.

    Forward pass and output error (``net.loss``), error terms and gradients layer by layer
    (``net.backward``), then the update (``optimizer.step``, e.g. :class:`nnlib.optim.SGD`). Dropout is
    not applied here (``net.loss`` runs the network in evaluation mode): ``fit`` draws the masks.
    """
    loss = net.loss(X, Y)
    grads = net.backward()
    optimizer.step(net.params(), grads)
    return loss


class History:
    """Per-epoch record of a :func:`fit` run.

    ``loss``/``accuracy``: training values, averaged over the samples of the epoch as its batches
    were processed (free to compute; in stochastic mode they lag the end-of-epoch weights a little).
    ``val_loss``/``val_accuracy``: evaluated on ``validation`` at the end of each epoch.
    Accuracy lists stay empty for regression. ``lr``: learning rate used in each epoch.
    ``best_epoch``: index (from 0) of the lowest ``val_loss`` (None without validation);
    ``stopped_epoch``: index of the epoch after which early stopping ended the run (else None);
    ``diverged``: the training loss became non-finite (the run stopped there); ``stop_reason``
    says why the run ended.
    """

    def __init__(self):
        self.loss: list[float] = []
        self.accuracy: list[float] = []
        self.val_loss: list[float] = []
        self.val_accuracy: list[float] = []
        self.lr: list[float] = []
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.diverged = False
        self.stop_reason = ""
        self.seconds = 0.0

    @property
    def epochs(self) -> int:
        return len(self.loss)

    def __repr__(self):
        last = f", loss={self.loss[-1]:.4g}" if self.loss else ""
        acc = f", accuracy={self.accuracy[-1]:.4g}" if self.accuracy else ""
        return f"History(epochs={self.epochs}{last}{acc}, seconds={self.seconds:.3g})"


def _batches(n, batch_size, order=None):
    """Row selections of one epoch: slices of ``batch_size`` rows in order, or pieces of ``order``
    (a permutation) when shuffling. The last batch may be smaller."""
    for start in range(0, n, batch_size):
        yield slice(start, start + batch_size) if order is None else order[start : start + batch_size]


class _EpochRecord:
    """Sums of one epoch: loss weighted by the batch size (batches may differ in size) and correct counts."""

    def __init__(self):
        self.loss_sum = 0.0
        self.correct = 0.0
        self.samples = 0
        self.grads = None  # the last step's gradients

    def add(self, loss, n_batch, correct=0.0):
        self.loss_sum += loss * n_batch
        self.correct += correct
        self.samples += n_batch


def _optimizer_step(optimizer, params):
    """The function ``fit`` calls as ``step(params, grads)`` on every batch (``params``: the live arrays)."""
    from .optim import SGD

    if optimizer is None:
        optimizer = SGD(lr=0.1)
    _check_optimizer(optimizer)
    if type(optimizer).step is SGD.step:
        # fit builds params and grads itself: our SGD may skip its checks (and use BLAS axpy).
        return optimizer, _fast.SGDStep(optimizer, params)

    # Any other optimizer may keep the gradients it is given (say, last step's, to compare):
    # it gets copies, since the work arrays are overwritten by the next step.
    def step(params, grads):
        optimizer.step(params, [{k: np.array(g, copy=True) for k, g in g_l.items()} for g_l in grads])

    return optimizer, step


def _validation_set(net, validation):
    if validation is None:
        return None
    if not isinstance(validation, (tuple, list)) or len(validation) != 2:
        raise TypeError(f"validation must be a pair (X_val, Y_val), got {type(validation).__name__}")
    return net.prepare(validation[0], validation[1], names=("X_val", "Y_val"))


def fit(net, X, Y, epochs=1, batch_size=None, optimizer=None, shuffle=True, rng=0, validation=None, progress=False,
        early_stopping=None, restore_best=True, workspace=None, limit=None) -> History:
    """Train ``net`` with (mini-batch) gradient descent; returns a :class:`History` (``MLP.fit``)."""
    _check_net(net)
    if Y is None:
        raise TypeError("Y must be the targets of X, got None")
    X, Y = net.prepare(X, Y)
    n = X.shape[0]
    epochs = as_count(epochs, "epochs", min_value=1, limit=limit)
    bs = n if batch_size is None else min(as_int_scalar(batch_size, "batch_size", min_value=1), n)
    params = net.params()
    optimizer, step = _optimizer_step(optimizer, params)
    shuffle = as_bool(shuffle, "shuffle")
    progress = as_bool(progress, "progress")
    restore_best = as_bool(restore_best, "restore_best")
    gen = as_rng(rng)
    val = _validation_set(net, validation)
    patience = None if early_stopping is None else as_int_scalar(early_stopping, "early_stopping", min_value=1)
    if patience is not None and val is None:
        raise ValueError(f"early_stopping={patience} needs validation=(X_val, Y_val) to watch")
    classify = net.task != "regression" and not (
        net.task == "binary" and ((Y != 0) & (Y != 1)).any()  # soft targets: no accuracy
    )

    history = History()
    if workspace is None:
        workspace = _fast.Workspace(net)
    elif not isinstance(workspace, _fast.Workspace) or workspace.net is not net:
        raise TypeError(f"workspace must be a nnlib._fast.Workspace made for this network, got {workspace!r:.60}")
    else:
        workspace.refresh()
    set_epoch = getattr(optimizer, "set_epoch", None)
    best_params, grads = None, None
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, desc="fit", unit="epoch")
    t0 = time.perf_counter()
    # A diverging run overflows on purpose; it is detected from the loss and reported below.
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            for epoch in range(epochs):
                if set_epoch is not None:
                    set_epoch(epoch)
                history.lr.append(getattr(optimizer, "lr", float("nan")))
                record = _train_epoch(net, X, Y, bs, shuffle, gen, workspace, step, params, classify)
                history.loss.append(record.loss_sum / record.samples)
                if classify:
                    history.accuracy.append(record.correct / record.samples)
                grads = record.grads if record.grads is not None else grads
                if val is not None:
                    val_loss, val_acc = net.evaluate(*val)
                    history.val_loss.append(val_loss)
                    if classify:
                        history.val_accuracy.append(val_acc)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{history.loss[-1]:.4g}")
                if not np.isfinite(history.loss[-1]):
                    lr = getattr(optimizer, "lr", None)
                    history.diverged = True
                    history.stop_reason = (
                        f"diverged in epoch {epoch}: the training loss is not finite; lower the learning rate "
                        f"(optimizer={optimizer!r:.80}{'' if lr is None else f', lr={lr:g}'}) or change batch_size="
                        f"{batch_size}"
                    )
                    break
                if val is not None:
                    if history.best_epoch is None or history.val_loss[-1] < history.val_loss[history.best_epoch]:
                        history.best_epoch = epoch
                        if patience is not None and restore_best:
                            best_params = [{k: p.copy() for k, p in p_l.items()} for p_l in params]
                    elif patience is not None and epoch - history.best_epoch >= patience:
                        history.stopped_epoch = epoch
                        history.stop_reason = (
                            f"early stopping after epoch {epoch}: val_loss has not improved for "
                            f"early_stopping={patience} epochs (best epoch {history.best_epoch})"
                        )
                        break
            else:
                history.stop_reason = f"epochs={epochs} done"
        finally:
            net.set_training(False)
            if bar is not None:
                bar.close()
    if best_params is not None:
        for p_l, b_l in zip(params, best_params):
            for k, p in p_l.items():
                p[...] = b_l[k]
    if grads is not None:
        # The last step's gradients, copied out of the work arrays (which this call owned).
        for layer, g_l in zip(net.layers, grads):
            layer.grads = {k: np.array(g, copy=True) for k, g in g_l.items()}
    history.seconds = time.perf_counter() - t0
    return history


def _train_epoch(net, X, Y, bs, shuffle, gen, workspace, step, params, classify):
    """One pass over the training set; returns its :class:`_EpochRecord` (with the last ``grads``)."""
    n = X.shape[0]
    record = _EpochRecord()
    net.set_training(True)
    order = gen.permutation(n) if shuffle and n > 1 else None
    logits = net.fused_output is not None or net.outputs_logits  # what the step returns as `out`
    for rows in _batches(n, bs, order):
        # Shuffled batches are gathered one at a time into a kept array: the same bytes copied
        # as one permuted copy of X, but only a batch of extra memory instead of a data set.
        xb = X[rows] if order is None else workspace.gather(X, rows)
        yb = Y[rows]
        loss, out, grads = workspace.step(xb, yb, gen)
        record.add(loss, xb.shape[0], net.count_correct(out, yb, logits=logits) if classify and grads is not None else 0.0)
        if grads is None or not math.isfinite(loss):
            record.loss_sum = float("inf") if not np.isnan(loss) else loss
            break
        step(params, grads)
        record.grads = grads
    net.set_training(False)
    return record
