"""Stochastic gradient descent (随机梯度下降) with momentum, Adam, L2 weight decay and learning-rate schedules.

Parameters and gradients are the structures :class:`nnlib.network.MLP` uses: a list with one dict per
layer (``{"W": ..., "b": ..., "gamma": ...}``). :meth:`SGD.step` updates the arrays **in place**, so
the network's live arrays change and float32 parameters stay float32.

Update rule for a parameter ``θ`` with gradient ``g`` (learning rate ``α``, momentum ``μ``, weight decay ``λ``)::

    g ← g + λ θ            (only for weight matrices "W", unless decay_bias=True)
    v ← μ v − α g          (velocity, starts at 0)
    θ ← θ + v

With ``μ = 0`` this is plain gradient descent ``θ ← θ − α g``. With ``λ > 0`` and ``μ = 0`` it is
``θ ← (1 − αλ) θ − α g``: the weight-decay rule ``w_new = w_old (1 − ε)`` of the sources with
``ε = αλ``, i.e. gradient descent on ``L + (λ/2) Σ ||W||²``.

Why biases are not decayed by default (as in Algorithm 4.1 of the lecture, which decays ``W`` only):
weight decay fights over-fitting by keeping the *slopes* of the learned function small; a bias
only shifts a unit's threshold, does not make the function more wiggly, and one bias per unit
has far too few degrees of freedom to over-fit. Shrinking it towards 0 would only pull thresholds
towards the origin (bad for data that is not centred). Learnable activation parameters such as
PReLU's ``γ`` are treated like biases for the same reason.

:class:`Adam` takes the same ``step(params, grads)`` and keeps, per parameter array, running means of the
gradient and of its square; see its docstring for the update rule. ``MLP.fit`` calls any optimizer other than
:class:`SGD` through its public ``step`` (with copies of the gradients).
"""

from __future__ import annotations

import math

import numpy as np
from ._checks import as_bool, as_float_array, as_float_scalar, as_int_scalar, check_finite, describe

__all__ = ["SGD", "Adam", "StepDecay", "ExponentialDecay"]


class _Scheduled:
    """The learning rate of an optimizer: ``lr0``, an optional schedule, and ``set_epoch`` (called by ``fit``);
    and which parameters its weight decay applies to (``weight_decay``, ``decay_bias``)."""

    def decays(self, key: str) -> bool:
        """Whether the parameter called ``key`` (``"W"``, ``"b"``, ``"gamma"``, ...) is weight-decayed."""
        return self.weight_decay > 0 and (key == "W" or self.decay_bias)

    def _init_lr(self, lr, schedule) -> None:
        self.lr0 = as_float_scalar(lr, "lr", min_value=0.0, strict_min=True)
        if schedule is not None and not callable(schedule):
            raise TypeError(f"schedule must be callable as schedule(lr0, epoch) or None, got {type(schedule).__name__}")
        self.schedule = schedule
        self.lr = self.lr0
        self.epoch = 0

    def set_epoch(self, epoch) -> float:
        """Set the current epoch (from 0) and return the learning rate the schedule gives for it."""
        self.epoch = as_int_scalar(epoch, "epoch", min_value=0)
        lr = self.schedule(self.lr0, self.epoch) if self.schedule is not None else self.lr0
        self.lr = as_float_scalar(lr, "scheduled lr", min_value=0.0)
        return self.lr


def _checked_pairs(params, grads, who: str) -> list:
    """``[(l, key, parameter, gradient), ...]`` of a ``step(params, grads)`` call, all checked before any
    array changes (``who`` names the optimizer in the messages)."""
    if isinstance(params, dict) and isinstance(grads, dict):
        params, grads = [params], [grads]
    for arg, value in (("params", params), ("grads", grads)):
        if not isinstance(value, (list, tuple)) or not all(isinstance(d, dict) for d in value):
            raise TypeError(f"{arg} must be a list of dicts (one per layer) or a dict, got {type(value).__name__}")
    if len(params) != len(grads):
        raise ValueError(f"params has {len(params)} layers but grads has {len(grads)}; they must match")
    pairs = []
    for l, (p_l, g_l) in enumerate(zip(params, grads)):
        if p_l.keys() != g_l.keys():
            raise ValueError(
                f"layer {l}: params has keys {sorted(p_l)} but grads has keys {sorted(g_l)}; they must match"
            )
        for key, p in p_l.items():
            where = f"params[{l}][{key!r}]"
            if not isinstance(p, np.ndarray) or p.dtype not in (np.float32, np.float64):
                what = describe(p) if isinstance(p, np.ndarray) else type(p).__name__
                raise TypeError(f"{where} must be a float32 or float64 numpy array (updated in place), got {what}")
            if not p.flags.writeable:
                raise ValueError(f"{where} (shape {p.shape}) is read-only; {who} updates parameters in place")
            check_finite(p, where)  # a NaN parameter would spread through every later step
            g = as_float_array(g_l[key], f"grads[{l}][{key!r}]", allow_empty=True)
            if g.shape != p.shape:
                raise ValueError(
                    f"grads[{l}][{key!r}] has shape {g.shape} but the parameter has shape {p.shape}"
                )
            pairs.append((l, key, p, g))
    return pairs


class StepDecay:
    """Piecewise-constant schedule: ``lr(epoch) = lr0 * factor ** (epoch // every)``.

    ``epoch`` counts from 0, so the first ``every`` epochs use ``lr0``.
    """

    def __init__(self, every, factor=0.5):
        self.every = as_int_scalar(every, "every", min_value=1)
        self.factor = as_float_scalar(factor, "factor", min_value=0.0, max_value=1.0, strict_min=True)

    def __call__(self, lr0: float, epoch: int) -> float:
        lr0 = as_float_scalar(lr0, "lr0", min_value=0.0, strict_min=True)
        epoch = as_int_scalar(epoch, "epoch", min_value=0)
        return lr0 * self.factor ** (epoch // self.every)

    def __repr__(self):
        return f"StepDecay(every={self.every}, factor={self.factor})"


class ExponentialDecay:
    """Smooth schedule: ``lr(epoch) = lr0 * exp(-rate * epoch)`` (``rate >= 0``; 0 means constant).

    After ``1/rate`` epochs the learning rate has dropped by a factor ``e``.
    """

    def __init__(self, rate):
        self.rate = as_float_scalar(rate, "rate", min_value=0.0)

    def __call__(self, lr0: float, epoch: int) -> float:
        lr0 = as_float_scalar(lr0, "lr0", min_value=0.0, strict_min=True)
        epoch = as_int_scalar(epoch, "epoch", min_value=0)
        return lr0 * math.exp(-self.rate * epoch)

    def __repr__(self):
        return f"ExponentialDecay(rate={self.rate})"


class SGD(_Scheduled):
    """SGD with optional momentum (动量), L2 weight decay (权重衰减) and a learning-rate schedule.

    Parameters
    ----------
    lr : float
        Learning rate ``α > 0`` (for epoch 0 when a schedule is given).
    momentum : float
        ``μ`` in ``[0, 1)``; ``μ >= 1`` would let the velocity grow without bound.
    weight_decay : float
        ``λ >= 0``; adds ``λ W`` to the gradient of every weight matrix ``W``.
    decay_bias : bool
        Also decay biases and activation parameters (off by default, see the module docstring).
    schedule : callable, optional
        ``schedule(lr0, epoch) -> lr``, e.g. :class:`StepDecay` or :class:`ExponentialDecay`.
        :meth:`set_epoch` (called by ``MLP.fit`` at the start of each epoch) applies it.
    """

    def __init__(self, lr=0.1, momentum=0.0, weight_decay=0.0, decay_bias=False, schedule=None):
        self._init_lr(lr, schedule)
        self.momentum = as_float_scalar(momentum, "momentum", min_value=0.0, max_value=1.0, strict_max=True)
        self.weight_decay = as_float_scalar(weight_decay, "weight_decay", min_value=0.0)
        self.decay_bias = as_bool(decay_bias, "decay_bias")
        # One velocity per parameter array, keyed by position (layer index, name) in the structure.
        self._velocity: dict[tuple[int, str], np.ndarray] = {}

    def reset(self) -> None:
        """Forget the velocities (e.g. before training a re-initialized network)."""
        self._velocity.clear()

    def velocity(self, l: int, key: str, p: np.ndarray) -> np.ndarray:
        """The velocity of parameter ``key`` of layer ``l`` (zeros shaped like ``p`` until it has moved);
        updated in place by :meth:`step`."""
        if not isinstance(p, np.ndarray) or p.dtype not in (np.float32, np.float64):
            raise TypeError(f"p must be the parameter array (float32 or float64), got "
                            f"{describe(p) if isinstance(p, np.ndarray) else type(p).__name__}")
        v = self._velocity.get((l, key))
        if v is None or v.shape != p.shape or v.dtype != p.dtype:
            v = self._velocity[(l, key)] = np.zeros_like(p)
        return v

    def step(self, params, grads) -> None:
        """Update every array of ``params`` in place from the matching array of ``grads``.

        ``params`` and ``grads``: lists with one dict per layer (or a single dict), same keys and
        shapes. Parameters must be writable float32/float64 arrays; gradients real and finite (a
        NaN gradient would silently turn every parameter into NaN).
        """
        for l, key, p, g in _checked_pairs(params, grads, "SGD"):
            self._update(l, key, p, g)

    def _update(self, l: int, key: str, p: np.ndarray, g: np.ndarray) -> None:
        """One parameter array, by the update rule of the module docstring."""
        lr, mu, lam = self.lr, self.momentum, self.weight_decay
        if self.decays(key):
            g = g + lam * p
        if mu == 0.0:
            p -= lr * g
            return
        v = self.velocity(l, key, p)
        v *= mu
        v -= lr * g
        p += v

    def __repr__(self):
        return (
            f"SGD(lr={self.lr0}, momentum={self.momentum}, weight_decay={self.weight_decay}, "
            f"decay_bias={self.decay_bias}, schedule={self.schedule!r})"
        )


class Adam(_Scheduled):
    """Adam (Kingma & Ba 2015): a step per parameter scaled by running moments of its gradient.

    Update rule for a parameter array ``θ`` with gradient ``g`` at its ``t``-th step (``t = 1, 2, ...``),
    learning rate ``α``, decay rates ``β1, β2``, ``ε`` and weight decay ``λ``::

        g ← g + λ θ                       (coupled decay: only weight matrices "W", unless decay_bias=True)
        m ← β1 m + (1 − β1) g             (first moment, starts at 0)
        v ← β2 v + (1 − β2) g ⊙ g         (second moment, starts at 0)
        m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)     (bias correction: m and v start at 0)
        θ ← θ − α m̂ / (√v̂ + ε)

    With ``decoupled=True`` the decay is not added to ``g`` but applied to ``θ`` directly,
    ``θ ← (1 − αλ) θ`` before the step (AdamW, Loshchilov & Hutter 2019): the coupled form's ``λθ`` is
    divided by ``√v̂`` like the rest of the gradient, so weights with large gradients would be decayed less.
    The coupled form is ``torch.optim.Adam(weight_decay=λ)``, the decoupled one ``torch.optim.AdamW``.

    Parameters
    ----------
    lr : float
        Learning rate ``α > 0`` (for epoch 0 when a schedule is given). It sets the size of the steps, not a
        factor of the gradient: the first step moves every entry by ``α`` (up to ``ε``), whatever the
        gradient's scale, and later steps by about ``α`` where the gradient keeps its sign.
    beta1, beta2 : float
        Decay rates of the two moments, in ``[0, 1)``.
    eps : float
        ``ε > 0``, keeps the division finite where the gradient has been 0.
    weight_decay : float
        ``λ >= 0``.
    decay_bias : bool
        Also decay biases and activation parameters (off by default, as for :class:`SGD`).
    decoupled : bool
        Decay the parameters directly (AdamW) instead of through the gradient.
    schedule : callable, optional
        ``schedule(lr0, epoch) -> lr``, applied by :meth:`set_epoch` as for :class:`SGD`.
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, decay_bias=False,
                 decoupled=False, schedule=None):
        self._init_lr(lr, schedule)
        self.beta1 = as_float_scalar(beta1, "beta1", min_value=0.0, max_value=1.0, strict_max=True)
        self.beta2 = as_float_scalar(beta2, "beta2", min_value=0.0, max_value=1.0, strict_max=True)
        self.eps = as_float_scalar(eps, "eps", min_value=0.0, strict_min=True)
        self.weight_decay = as_float_scalar(weight_decay, "weight_decay", min_value=0.0)
        self.decay_bias = as_bool(decay_bias, "decay_bias")
        self.decoupled = as_bool(decoupled, "decoupled")
        # Per parameter array, keyed by its position (layer index, name): [m, v, t].
        self._state: dict[tuple[int, str], list] = {}

    def reset(self) -> None:
        """Forget the moments and step counts (e.g. before training a re-initialized network)."""
        self._state.clear()

    def step(self, params, grads) -> None:
        """Update every array of ``params`` in place from the matching array of ``grads``.

        Same arguments and checks as :meth:`SGD.step`; nothing changes when one of them is wrong.
        """
        for l, key, p, g in _checked_pairs(params, grads, "Adam"):
            self._update(l, key, p, g)

    def _update(self, l: int, key: str, p: np.ndarray, g: np.ndarray) -> None:
        """One parameter array, by the update rule of the class docstring."""
        lr, b1, b2, lam = self.lr, self.beta1, self.beta2, self.weight_decay
        state = self._state.get((l, key))
        if state is None or state[0].shape != p.shape or state[0].dtype != p.dtype:
            state = self._state[(l, key)] = [np.zeros_like(p), np.zeros_like(p), 0]
        m, v, _ = state
        state[2] += 1
        t = state[2]
        g = g.astype(p.dtype, copy=False)
        if self.decays(key):
            if self.decoupled:
                p *= 1.0 - lr * lam
            else:
                g = g + lam * p
        m *= b1
        m += (1.0 - b1) * g
        v *= b2
        v += (1.0 - b2) * (g * g)
        # The bias corrections as scalars: α/(1 − β1^t) on m, √(1 − β2^t) on √v (as torch computes them).
        step_size = lr / (1.0 - b1**t)
        denom = np.sqrt(v) / math.sqrt(1.0 - b2**t)
        denom += self.eps
        p -= step_size * (m / denom)

    def __repr__(self):
        return (
            f"Adam(lr={self.lr0}, beta1={self.beta1}, beta2={self.beta2}, eps={self.eps}, "
            f"weight_decay={self.weight_decay}, decay_bias={self.decay_bias}, decoupled={self.decoupled}, "
            f"schedule={self.schedule!r})"
        )
