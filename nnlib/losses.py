"""Loss functions (损失函数): ``forward(y_hat, y) -> float`` and ``backward(y_hat, y) -> dL/dy_hat``.

Every loss is a **mean over the batch** (the first axis, N samples) of a per-sample loss that is
*summed* over the outputs; ``backward`` therefore carries the factor 1/N, and the error term
(误差项) of the output layer is ready to be propagated without further scaling.

=================================  =============================================  ==========================
class (registry name)              per-sample loss                                ``backward``
=================================  =============================================  ==========================
``MSE`` (``mse``)                  ½‖y − ŷ‖²                                      (ŷ − y)/N
``BinaryCrossEntropy`` (``bce``)   −Σ_k [y_k log ŷ_k + (1−y_k) log(1−ŷ_k)]         (ŷ − y)/(ŷ(1−ŷ)N)
``CategoricalCrossEntropy``        −Σ_k y_k log ŷ_k = −log ŷ_{label}              −y/(ŷN)
(``cce``)
``BinaryCrossEntropyWithLogits``   BCE of σ(z), computed from the logits z        (σ(z) − y)/N
(``bce_logits``)
``SoftmaxCrossEntropy``            CCE of softmax(z), from the logits z           (softmax(z) − y)/N
(``softmax_ce``)
=================================  =============================================  ==========================

Shapes: ``y_hat`` is ``(N,)`` or ``(N, K)``. Regression and binary targets have the shape of
``y_hat``; binary targets are in [0, 1]. Categorical targets are one-hot ``(N, K)`` or integer
labels ``(N,)`` (validated: a label out of range is an error naming the label and its index).
"""

from __future__ import annotations

import numpy as np

from . import _kernels
from ._checks import as_float_array, as_float_scalar, lookup, to_one_hot

__all__ = [
    "Loss", "MSE", "BinaryCrossEntropy", "CategoricalCrossEntropy",
    "BinaryCrossEntropyWithLogits", "SoftmaxCrossEntropy", "get", "names",
]


class Loss:
    """Base class: ``forward`` (mean loss, a Python float), ``backward`` (gradient w.r.t. y_hat) and
    ``value_and_delta`` (both, from one pass). nnlib's losses validate their arguments and compute with
    the formulas of :mod:`nnlib._kernels`."""

    name = "loss"

    def __call__(self, y_hat, y) -> float:
        return self.forward(y_hat, y)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def value_and_delta(self, y_hat, y):
        """``(loss, dL/dy_hat)`` of a batch."""
        raise TypeError(f"{type(self).__name__} defines no value_and_delta(y_hat, y): a loss subclass must")

    def forward(self, y_hat, y) -> float:
        return self.value_and_delta(y_hat, y)[0]

    def backward(self, y_hat, y) -> np.ndarray:
        return self.value_and_delta(y_hat, y)[1]

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _pair(y_hat, y, *, y_hat_name="y_hat", binary=False):
        """Validate a regression/binary pair of arrays with identical shapes."""
        y_hat = as_float_array(y_hat, y_hat_name, ndim=(1, 2))
        y = as_float_array(y, "y", ndim=(1, 2), allow_bool=binary, dtype=y_hat.dtype)
        if y.shape != y_hat.shape:
            hint = ""
            if y.size == y_hat.size:
                hint = f" (reshape y to {y_hat.shape}: broadcasting is not done on purpose)"
            raise ValueError(
                f"{y_hat_name} has shape {y_hat.shape} but y has shape {y.shape}; they must have the same shape{hint}"
            )
        if binary:
            bad = (y < 0) | (y > 1)
            if bad.any():
                i = tuple(int(v) for v in np.argwhere(bad)[0])
                raise ValueError(f"y contains {y[i].item()} at index {i if len(i) > 1 else i[0]}; binary targets must be in [0, 1]")
        return y_hat, y

    @staticmethod
    def _probs(p: np.ndarray, name: str = "y_hat") -> None:
        bad = (p < 0) | (p > 1)
        if bad.any():
            i = tuple(int(v) for v in np.argwhere(bad)[0])
            raise ValueError(
                f"{name} contains {p[i].item()} at index {i if len(i) > 1 else i[0]}; probabilities must be in [0, 1] "
                f"(pass logits to the *_logits / softmax_ce losses instead)"
            )

    @staticmethod
    def _categorical(y_hat, y, name="y_hat"):
        y_hat = as_float_array(y_hat, name, ndim=2)
        y = to_one_hot(y, "y", y_hat.shape[1], n_samples=y_hat.shape[0], dtype=y_hat.dtype, against=name)
        return y_hat, y


class MSE(Loss):
    """Mean squared error with the ½ convention: L = 1/(2N) Σ_n ‖y_n − ŷ_n‖².

    The ½ cancels the 2 of the derivative, so ∂L/∂ŷ = (ŷ − y)/N.
    """

    name = "mse"

    def value_and_delta(self, y_hat, y):
        return _kernels.mse(*self._pair(y_hat, y))


class _Clipped(Loss):
    """Probabilities are clipped to [eps, 1 − eps] before the log, so log(0) never happens.

    The upper bound 1 − eps uses ``max(eps, machine epsilon of the dtype)``: with float32, 1 − 1e-12
    rounds to 1 and would not protect log(1 − ŷ). The lower bound is eps itself in both precisions
    (1e-12 is a float32 number), so a small float32 probability keeps its exact log. ``backward`` is the derivative of the loss at
    the clipped ŷ (a large but finite number when ŷ is 0 or 1).
    """

    def __init__(self, eps: float = 1e-12) -> None:
        self.eps = as_float_scalar(eps, "eps", min_value=0.0, max_value=0.5, strict_min=True, strict_max=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(eps={self.eps})"


class BinaryCrossEntropy(_Clipped):
    """Binary cross-entropy from probabilities ŷ = σ(z) (one or several independent outputs).

    L = −1/N Σ_n Σ_k [y log ŷ + (1 − y) log(1 − ŷ)], ŷ clipped to [eps, 1 − eps] (eps = 1e-12).
    """

    name = "bce"

    def value_and_delta(self, y_hat, y):
        y_hat, y = self._pair(y_hat, y, binary=True)
        self._probs(y_hat)
        return _kernels.bce(y_hat, y, self.eps)


class CategoricalCrossEntropy(_Clipped):
    """Categorical cross-entropy from probabilities ŷ (N, K) (e.g. softmax outputs).

    L = −1/N Σ_n Σ_k y_nk log ŷ_nk, ŷ clipped from below at eps = 1e-12 (log 1 = 0 needs no upper clip); y one-hot
    (N, K) or integer labels (N,).
    """

    name = "cce"

    def value_and_delta(self, y_hat, y):
        y_hat, y = self._categorical(y_hat, y)
        self._probs(y_hat)
        return _kernels.cce(y_hat, y, self.eps)


class BinaryCrossEntropyWithLogits(Loss):
    """BCE of σ(z) computed from the logits z, stable for any finite z.

    Per element: −[y log σ(z) + (1−y) log(1−σ(z))] = max(z, 0) − y z + log(1 + e^{−|z|});
    ∂L/∂z = (σ(z) − y)/N.
    """

    name = "bce_logits"

    def value_and_delta(self, z, y):
        """``(loss, dL/dz)`` in one pass: what a network with a sigmoid output and binary
        cross-entropy needs at its output layer (the two derivatives collapse to ``(σ(z) − y)/N``)."""
        return _kernels.bce_logits(*self._pair(z, y, y_hat_name="z", binary=True))


class SoftmaxCrossEntropy(Loss):
    """Cross-entropy of softmax(z) computed from the logits z (N, K), via log_softmax.

    L = −1/N Σ_n Σ_k y_nk log softmax(z_n)_k; ∂L/∂z = (softmax(z) − y)/N — the chain of the
    softmax Jacobian and −y/ŷ collapses to ŷ − y.
    """

    name = "softmax_ce"

    def value_and_delta(self, z, y):
        """``(loss, dL/dz)`` in one pass from the logits ``z`` (N, K) and labels ``y`` (one-hot or
        integer): what a network with a softmax output and cross-entropy needs at its output layer.
        ``−log softmax(z)_y`` comes from log-sum-exp, so an underflowed probability is never logged."""
        z, Y = self._categorical(z, y, name="z")
        return _kernels.softmax_ce(z, Y.argmax(axis=1))


_REGISTRY: dict[str, type[Loss]] = {
    "mse": MSE,
    "bce": BinaryCrossEntropy, "binary_cross_entropy": BinaryCrossEntropy,
    "cce": CategoricalCrossEntropy, "categorical_cross_entropy": CategoricalCrossEntropy,
    "bce_logits": BinaryCrossEntropyWithLogits,
    "softmax_ce": SoftmaxCrossEntropy, "softmax_cross_entropy": SoftmaxCrossEntropy,
}


def names() -> list[str]:
    """All accepted loss names (aliases included), sorted."""
    return sorted(_REGISTRY)


def get(name, **kwargs) -> Loss:
    """A new loss from its name (``mse``, ``bce``, ``cce``, ``bce_logits``, ``softmax_ce``).

    A ``Loss`` instance is returned unchanged. ``bce``/``cce`` accept ``eps``.
    """
    if isinstance(name, Loss):
        if kwargs:
            raise TypeError(f"get() got a Loss instance {name!r}; keyword arguments {sorted(kwargs)} are not allowed")
        return name
    cls = lookup(_REGISTRY, "loss", name)
    if kwargs and not issubclass(cls, _Clipped):
        raise TypeError(f"loss {name!r} takes no arguments, got {', '.join(sorted(kwargs))}")
    unknown = sorted(set(kwargs) - {"eps"})
    if unknown:
        raise TypeError(f"loss {name!r} got unknown argument(s) {', '.join(unknown)}; it accepts: eps")
    return cls(**kwargs)
