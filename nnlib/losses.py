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

from ._checks import as_float_array, as_float_scalar, lookup, to_one_hot
from .activations.functional import _log_softmax, _sigmoid, _softmax

__all__ = [
    "Loss", "MSE", "BinaryCrossEntropy", "CategoricalCrossEntropy",
    "BinaryCrossEntropyWithLogits", "SoftmaxCrossEntropy", "get", "names",
]


class Loss:
    """Base class: ``forward`` (mean loss, a Python float), ``backward`` (gradient w.r.t. y_hat)."""

    name = "loss"

    def __call__(self, y_hat, y) -> float:
        return self.forward(y_hat, y)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def forward(self, y_hat, y) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, y_hat, y) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

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

    def forward(self, y_hat, y) -> float:
        y_hat, y = self._pair(y_hat, y)
        r = y_hat - y
        with np.errstate(over="ignore"):  # residuals beyond 1e154: the loss is inf, and says so
            return float(0.5 * np.sum(r * r) / y_hat.shape[0])

    def backward(self, y_hat, y) -> np.ndarray:
        y_hat, y = self._pair(y_hat, y)
        return (y_hat - y) / y_hat.shape[0]


class _Clipped(Loss):
    """Probabilities are clipped to [eps, 1 − eps] before the log, so log(0) never happens.

    The effective eps is ``max(eps, machine epsilon of the dtype)``: with float32, 1 − 1e-12
    rounds to 1 and would not protect log(1 − ŷ). ``backward`` is the derivative of the loss at
    the clipped ŷ (a large but finite number when ŷ is 0 or 1).
    """

    def __init__(self, eps: float = 1e-12) -> None:
        self.eps = as_float_scalar(eps, "eps", min_value=0.0, max_value=0.5, strict_min=True, strict_max=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(eps={self.eps})"

    def _clip(self, p: np.ndarray, upper: bool = True) -> np.ndarray:
        eps = max(self.eps, float(np.finfo(p.dtype).eps))
        return np.clip(p, eps, 1.0 - eps if upper else 1.0)


class BinaryCrossEntropy(_Clipped):
    """Binary cross-entropy from probabilities ŷ = σ(z) (one or several independent outputs).

    L = −1/N Σ_n Σ_k [y log ŷ + (1 − y) log(1 − ŷ)], ŷ clipped to [eps, 1 − eps] (eps = 1e-12).
    """

    name = "bce"

    def forward(self, y_hat, y) -> float:
        y_hat, y = self._pair(y_hat, y, binary=True)
        self._probs(y_hat)
        p = self._clip(y_hat)
        return float(-np.sum(y * np.log(p) + (1.0 - y) * np.log1p(-p)) / y_hat.shape[0])

    def backward(self, y_hat, y) -> np.ndarray:
        y_hat, y = self._pair(y_hat, y, binary=True)
        self._probs(y_hat)
        p = self._clip(y_hat)
        return (p - y) / (p * (1.0 - p)) / y_hat.shape[0]


class CategoricalCrossEntropy(_Clipped):
    """Categorical cross-entropy from probabilities ŷ (N, K) (e.g. softmax outputs).

    L = −1/N Σ_n Σ_k y_nk log ŷ_nk, ŷ clipped from below at eps = 1e-12 (log 1 = 0 needs no upper clip); y one-hot
    (N, K) or integer labels (N,).
    """

    name = "cce"

    def forward(self, y_hat, y) -> float:
        y_hat, y = self._categorical(y_hat, y)
        self._probs(y_hat)
        return float(-np.sum(y * np.log(self._clip(y_hat, upper=False))) / y_hat.shape[0])

    def backward(self, y_hat, y) -> np.ndarray:
        y_hat, y = self._categorical(y_hat, y)
        self._probs(y_hat)
        return -y / self._clip(y_hat, upper=False) / y_hat.shape[0]


class BinaryCrossEntropyWithLogits(Loss):
    """BCE of σ(z) computed from the logits z, stable for any finite z.

    Per element: −[y log σ(z) + (1−y) log(1−σ(z))] = max(z, 0) − y z + log(1 + e^{−|z|});
    ∂L/∂z = (σ(z) − y)/N.
    """

    name = "bce_logits"

    def forward(self, z, y) -> float:
        z, y = self._pair(z, y, y_hat_name="z", binary=True)
        per = np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))
        return float(np.sum(per) / z.shape[0])

    def backward(self, z, y) -> np.ndarray:
        z, y = self._pair(z, y, y_hat_name="z", binary=True)
        return (_sigmoid(z) - y) / z.shape[0]

    def value_and_delta(self, z, y):
        """``(loss, dL/dz)`` in one pass: what a network with a sigmoid output and binary
        cross-entropy needs at its output layer (the two derivatives collapse to ``(σ(z) − y)/N``)."""
        z, y = self._pair(z, y, y_hat_name="z", binary=True)
        return self._value_and_delta(z, y)

    @staticmethod
    def _value_and_delta(z, y):
        n = z.shape[0]
        loss = float(np.sum(np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))) / n)
        return loss, (_sigmoid(z) - y) / n


class SoftmaxCrossEntropy(Loss):
    """Cross-entropy of softmax(z) computed from the logits z (N, K), via log_softmax.

    L = −1/N Σ_n Σ_k y_nk log softmax(z_n)_k; ∂L/∂z = (softmax(z) − y)/N — the chain of the
    softmax Jacobian and −y/ŷ collapses to ŷ − y.
    """

    name = "softmax_ce"

    def forward(self, z, y) -> float:
        z, y = self._categorical(z, y, name="z")
        return float(-np.sum(y * _log_softmax(z, -1)) / z.shape[0])

    def backward(self, z, y) -> np.ndarray:
        z, y = self._categorical(z, y, name="z")
        return (_softmax(z, -1) - y) / z.shape[0]

    def value_and_delta(self, z, y):
        """``(loss, dL/dz)`` in one pass from the logits ``z`` (N, K) and labels ``y`` (one-hot or
        integer): what a network with a softmax output and cross-entropy needs at its output layer.
        ``−log softmax(z)_y`` comes from log-sum-exp, so an underflowed probability is never logged."""
        z, Y = self._categorical(z, y, name="z")
        return self._value_and_delta(z, Y.argmax(axis=1))

    @staticmethod
    def _value_and_delta(z, labels):
        """``labels``: integer labels (N,), already validated."""
        n = z.shape[0]
        rows = np.arange(n)
        log_p = _log_softmax(z, -1)
        loss = float(-np.sum(log_p[rows, labels]) / n)
        delta = np.exp(log_p)
        delta[rows, labels] -= 1.0
        delta /= n
        return loss, delta


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
