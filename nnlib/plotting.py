"""Figures for the book: activations, decision boundaries, loss curves, 1-D approximations.

Every function draws on ``ax`` when given, otherwise on a new ``plt.subplots()`` axes (so that
the notebook shows it), and returns the Axes. Nothing here calls ``plt.show()`` or picks a
backend: the build sets ``MPLBACKEND=Agg``.

- ``plot_activation(act, z_range=(-5, 5))``: f(z) and f'(z) of an activation (a name from
  ``nnlib.activations.names()`` or an object with ``__call__`` and ``derivative``).
- ``plot_decision_boundary(predict_fn, X, y)``: class regions of a 2-D classifier plus the data.
- ``plot_loss_curves(history)``: one History, a list of per-epoch values, or a dict of them.
- ``plot_approximation(x, f_true, f_approx)``: a 1-D target and one or several approximations.
- ``plot_novikoff(W, u, gamma, R)``: the two quantities of the perceptron convergence proof after each
  mistake, with their bounds, which cross at k = (R/γ)².
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from nnlib._checks import as_bool, as_count, as_float_array, as_float_scalar, as_int_scalar, check_size
from nnlib.plotstyle import OKABE_ITO, legend

__all__ = ["plot_activation", "plot_approximation", "plot_decision_boundary", "plot_loss_curves", "plot_novikoff"]

# Colour-blind-safe class colours (the course style); each class also gets its own marker, so the
# classes stay apart in greyscale and on a region of their own colour.
_CLASS_COLORS = OKABE_ITO
_CLASS_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots()  # figsize from the course style (nnlib.plotstyle)
        return ax
    if not hasattr(ax, "plot"):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def _z_grid(z_range, n: int) -> np.ndarray:
    try:
        lo, hi = z_range
    except (TypeError, ValueError):
        raise TypeError(f"z_range must be a pair (low, high), got {z_range!r}") from None
    lo, hi = as_float_scalar(lo, "z_range[0]"), as_float_scalar(hi, "z_range[1]")
    if not lo < hi:
        raise ValueError(f"z_range must satisfy low < high, got ({lo}, {hi})")
    n = as_count(n, "n", min_value=2)  # points of a line: far below the memory budget up to the count limit
    return np.linspace(lo, hi, n)


# ----------------------------------------------------------------------------- activations
def plot_activation(act, z_range=(-5.0, 5.0), ax=None, n: int = 401, derivative: bool = True):
    """Plot f(z) (solid) and, when available, f'(z) (dashed) over ``z_range``.

    ``act``: an activation name (``"relu"``), an activation object (``__call__``, ``derivative``)
    or a plain vectorized callable (then only f is drawn). Returns the Axes with 1 or 2 lines.
    """
    if isinstance(act, str):
        from nnlib import activations  # imported here: plotting must not need it for other figures

        name, act = act, activations.get(act)
    else:
        if not callable(act) or isinstance(act, type):
            raise TypeError(f"act must be an activation name, an activation object or a callable, got {act!r:.40}")
        name = getattr(act, "name", None) or getattr(act, "__name__", None) or type(act).__name__
    derivative = as_bool(derivative, "derivative")
    z = _z_grid(z_range, n)
    a = as_float_array(act(z), "act(z)", allow_empty=True)
    if a.shape != z.shape:
        raise ValueError(f"act must be element-wise: z of shape {z.shape} gave an output of shape {a.shape}")
    ax = _axes(ax)
    ax.plot(z, a, label=f"{name}(z)")
    if derivative and hasattr(act, "derivative"):
        ax.plot(z, np.asarray(act.derivative(z), dtype=np.float64), linestyle="--", label=f"{name}'(z)")
    ax.axhline(0.0, color="0.8", linewidth=0.8, zorder=0)
    ax.axvline(0.0, color="0.8", linewidth=0.8, zorder=0)
    ax.set_xlabel("z")
    ax.set_ylabel("value")
    ax.set_title(str(name))
    legend(ax)
    return ax


# ----------------------------------------------------------------------------- decision boundary
def _predicted_classes(out: np.ndarray, n_points: int) -> np.ndarray:
    """Turn a classifier's output on the grid into integer classes.

    (G,) or (G, 1) integer-valued -> as is (any integers, e.g. -1/+1 of a sign unit); other floats
    -> threshold 0.5 (a probability of class 1, giving 0/1); (G, K) with K > 1 -> argmax.
    """
    out = np.asarray(out)
    if out.ndim not in (1, 2) or out.shape[0] != n_points:
        raise ValueError(f"predict_fn must return shape ({n_points},) or ({n_points}, K) for {n_points} grid points, got {out.shape}")
    if out.ndim == 2 and out.shape[1] > 1:
        return out.argmax(axis=1)
    out = out.reshape(-1)
    if out.dtype.kind in "biu":
        return out.astype(np.int64)
    out = as_float_array(out, "predict_fn output")
    if np.all(out == np.round(out)):
        return out.astype(np.int64)
    return (out >= 0.5).astype(np.int64)


def plot_decision_boundary(predict_fn, X, y, ax=None, resolution: int = 200, margin: float = 0.5):
    """Colour the plane by the class ``predict_fn`` assigns and scatter the samples on top.

    ``predict_fn`` maps an (G, 2) array of points to labels (G,), probabilities of class 1 (G,) or
    (G, 1), or scores (G, K). ``X`` (N, 2), ``y`` (N,) integer labels (0/1, 0..K-1 or -1/+1). The
    region colours and the points share one colour per label. The axes get one filled
    contour set (the regions) and one scatter collection per class present in ``y``.
    """
    if not callable(predict_fn) or isinstance(predict_fn, type):
        raise TypeError(f"predict_fn must be a function of an (G, 2) array of points, got {predict_fn!r:.40}")
    X = as_float_array(X, "X", ndim=2)
    if X.shape[1] != 2:
        raise ValueError(f"X must have 2 features to be drawn in the plane, got shape {X.shape}")
    y_arr = as_float_array(y, "y", ndim=1)
    if y_arr.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} samples but y has shape {y_arr.shape}; expected y of shape ({X.shape[0]},)")
    if np.any(y_arr != np.round(y_arr)):
        raise ValueError(f"y must hold integer class labels (any integers, e.g. 0/1 or -1/+1), got {y_arr[y_arr != np.round(y_arr)][0]!r}")
    labels = y_arr.astype(np.int64)
    resolution = as_int_scalar(resolution, "resolution", min_value=2)
    check_size(resolution * resolution * 2, f"a grid of resolution={resolution} squared")
    margin = as_float_scalar(margin, "margin", min_value=0.0)

    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    pred = _predicted_classes(predict_fn(grid), grid.shape[0]).reshape(gx.shape)

    # colour index = position in the sorted union of true and predicted labels, so labels need
    # not be 0..K-1 (a sign unit's -1/+1 works too)
    classes = np.union1d(np.unique(labels), np.unique(pred))
    k = classes.size
    colors = [_CLASS_COLORS[i % len(_CLASS_COLORS)] for i in range(k)]
    ax = _axes(ax)
    # explicit levels between the indices: one band per class, and no "no contour levels" warning
    # when the classifier predicts a single class everywhere
    ax.contourf(gx, gy, np.searchsorted(classes, pred), levels=np.arange(k + 1) - 0.5, colors=colors, alpha=0.18)
    for c in np.unique(labels):
        pts = X[labels == c]
        i = int(np.searchsorted(classes, c))
        ax.scatter(pts[:, 0], pts[:, 1], s=36, color=colors[i], marker=_CLASS_MARKERS[i % len(_CLASS_MARKERS)],
                   edgecolors="k", linewidths=0.8, label=f"class {c}", zorder=3)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    legend(ax)
    return ax


# ----------------------------------------------------------------------------- loss curves
def _curves(name: str, h) -> list[tuple[str, np.ndarray, dict]]:
    """(label, values, line style) for one history-like object."""
    if hasattr(h, "loss"):  # network.History
        out = [(f"{name} train" if name else "train", h.loss, {})]
        if getattr(h, "val_loss", None):
            out.append((f"{name} validation" if name else "validation", h.val_loss, {"linestyle": "--"}))
    elif hasattr(h, "history") and not isinstance(h, Mapping):  # perceptron / delta-rule results
        out = [(name or "history", h.history, {})]
    elif isinstance(h, (Sequence, np.ndarray)) and not isinstance(h, str):
        out = [(name or "loss", h, {})]
    else:
        raise TypeError(
            f"history{'[' + repr(name) + ']' if name else ''} must be a History, a result with .history, "
            f"or a sequence of per-epoch values; got {type(h).__name__}"
        )
    return [(label, as_float_array(v, f"history {label!r}", ndim=1), style) for label, v, style in out]


def plot_loss_curves(history, ax=None, log: bool = False, ylabel: str = "loss"):
    """Per-epoch curves, epochs numbered from 1.

    ``history``: a ``network.History`` (train loss, plus validation loss if recorded), a result
    with a ``.history`` list (``train_perceptron``, ``train_delta_rule``), a list/array of values,
    or a dict ``{name: any of those}`` to compare runs. ``log=True`` uses a log-scaled y axis
    (values must then be positive). Returns the Axes, one line per curve.
    """
    if isinstance(history, Mapping):
        if not history:
            raise ValueError("history is an empty dict; nothing to plot")
        curves = [c for name, h in history.items() for c in _curves(str(name), h)]
    else:
        curves = _curves("", history)
    log = as_bool(log, "log")
    if log:
        for label, v, _ in curves:
            if np.any(v <= 0):
                raise ValueError(f"log=True needs positive values, but curve {label!r} has min {v.min():g}")
    ax = _axes(ax)
    for label, v, style in curves:
        ax.plot(np.arange(1, v.size + 1), v, label=label, **style)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if len(curves) > 1 or curves[0][0] not in ("loss", "train", "history"):
        legend(ax)
    return ax


# ----------------------------------------------------------------------------- 1-D approximation
def _values_on(x: np.ndarray, f, name: str) -> np.ndarray:
    v = f(x.reshape(-1, 1)) if callable(f) else f
    v = as_float_array(v, name)
    if v.size != x.size:
        raise ValueError(f"{name} has {v.size} values (shape {v.shape}) but x has {x.size} points")
    return v.reshape(-1)


def plot_approximation(x, f_true, f_approx, ax=None, X_train=None, y_train=None):
    """Plot a 1-D target (black) and its approximation(s) on the points ``x``.

    ``x`` (n,) or (n, 1). ``f_true`` and ``f_approx`` are arrays of n values or callables taking
    an (n, 1) array (so ``net.forward`` and ``data.target_function(...)`` both work);
    ``f_approx`` may be a dict ``{label: array or callable}`` to compare several networks.
    ``X_train``, ``y_train`` (optional) are drawn as points. Returns the Axes.
    """
    x = as_float_array(x, "x", ndim=(1, 2))
    if x.ndim == 2 and x.shape[1] != 1:
        raise ValueError(f"x must be (n,) or (n, 1), got shape {x.shape}")
    x = x.reshape(-1)
    order = np.argsort(x, kind="stable")  # lines need increasing x
    approx = f_approx if isinstance(f_approx, Mapping) else {"approximation": f_approx}
    if not approx:
        raise ValueError("f_approx is an empty dict; nothing to plot")
    ax = _axes(ax)
    ax.plot(x[order], _values_on(x, f_true, "f_true")[order], color="k", linewidth=2, label="target")
    for label, f in approx.items():
        ax.plot(x[order], _values_on(x, f, f"f_approx[{label!r}]")[order], linestyle="--", label=str(label))
    if X_train is not None or y_train is not None:
        if X_train is None or y_train is None:
            raise ValueError("X_train and y_train must be given together")
        xt = as_float_array(X_train, "X_train").reshape(-1)
        yt = as_float_array(y_train, "y_train").reshape(-1)
        if xt.size != yt.size:
            raise ValueError(f"X_train has {xt.size} values but y_train has {yt.size}")
        ax.scatter(xt, yt, s=10, color="0.4", alpha=0.6, label="training data")
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    legend(ax)
    return ax


# ----------------------------------------------------------------------------- perceptron convergence
def plot_novikoff(W, u, gamma, R, eta: float = 1.0, ax=None):
    """The proof of the perceptron convergence theorem (Novikoff), drawn for one run.

    ``W`` (K + 1, D): the augmented weights after each of the K mistakes, ``W[0] = 0`` the start; ``u`` (D,)
    a unit vector that separates the data with margin ``gamma`` > 0; ``R`` > 0 bounds the inputs' norms;
    ``eta`` the learning rate. Draws, against the mistake count k = 1..K on log–log axes, the alignment
    u·w_k with its lower bound kηγ and the length ‖w_k‖ with its upper bound √k ηR. Since u·w_k ≤ ‖w_k‖,
    the bounds confine a run to k ≤ (R/γ)², where they cross (dotted vertical line). Returns the Axes with
    the lines in that order: u·w_k, kηγ, ‖w_k‖, √k ηR.
    """
    W = as_float_array(W, "W", ndim=2)
    if W.shape[0] < 2:
        raise ValueError(f"W must hold the start and at least one mistake, (K + 1, D) with K >= 1; got shape {W.shape}")
    if np.any(W[0] != 0):
        raise ValueError(f"W[0] must be the start w_0 = 0 (the bounds assume it), got {W[0]}")
    u = as_float_array(u, "u", ndim=1)
    if u.shape[0] != W.shape[1]:
        raise ValueError(f"u has shape {u.shape} but W has {W.shape[1]} columns; expected u of shape ({W.shape[1]},)")
    if not np.isclose(np.linalg.norm(u), 1.0, rtol=1e-9, atol=1e-12):
        raise ValueError(f"u must be a unit vector, got ‖u‖ = {np.linalg.norm(u):.6g}")
    gamma = as_float_scalar(gamma, "gamma", min_value=0.0, strict_min=True)
    R = as_float_scalar(R, "R", min_value=0.0, strict_min=True)
    eta = as_float_scalar(eta, "eta", min_value=0.0, strict_min=True)
    ax = _axes(ax)
    k = np.arange(1, W.shape[0])
    k_max = (R / gamma) ** 2
    kk = np.geomspace(1, max(k_max, k[-1]) * 1.5, 200)
    ax.loglog(k, W[1:] @ u, "o", ms=3, color=OKABE_ITO[0], label=r"$u^\top w_k$")
    ax.loglog(kk, kk * eta * gamma, "--", color=OKABE_ITO[0], label=r"$k\eta\gamma$ (lower bound)")
    ax.loglog(k, np.linalg.norm(W[1:], axis=1), "s", ms=3, color=OKABE_ITO[1], label=r"$\|w_k\|$")
    ax.loglog(kk, np.sqrt(kk) * eta * R, "--", color=OKABE_ITO[1], label=r"$\sqrt{k}\,\eta R$ (upper bound)")
    ax.axvline(k_max, color="0.3", ls=":", lw=1, label=r"$k = (R/\gamma)^2$")
    ax.set_xlabel("mistakes k")
    legend(ax)
    return ax


# The diagrams drawn by code (neuron, layered network, network structures, computational graph, the
# universal-approximation constructions) live in nnlib.diagrams; re-exported so every figure is here.
from nnlib.diagrams import (  # noqa: E402
    draw_computational_graph, draw_network, draw_neuron, draw_relu_hats, draw_sigmoid_steps, draw_structures,
)

__all__ += ["draw_neuron", "draw_network", "draw_structures", "draw_computational_graph", "draw_sigmoid_steps",
            "draw_relu_hats"]
from nnlib.diagrams import draw_mp_neuron  # noqa: E402

__all__ += ["draw_mp_neuron"]
