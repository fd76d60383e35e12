"""The formulas nnlib's modules share, on arrays their callers have already validated (private to nnlib).

The public functions and classes (``activations.functional``, ``losses``, ``layers``) check their arguments
once and call these; so do the network and the training loop, which validate ``X`` and ``Y`` once at their
entry and then run these in the hot loop. Nothing here checks shapes, dtypes or finiteness.

None of the stable functions overflows for finite input (tested for |z| up to 1e4); results smaller than
the smallest float underflow to 0, which is the correctly rounded answer.
"""

from __future__ import annotations

import numpy as np

__all__ = ["exact_products", "sigmoid", "logsumexp", "log_softmax", "softmax", "dropout_mask", "mse", "clip_eps", "bce", "cce", "bce_logits", "softmax_ce"]

# ---------------------------------------------------------------------------------------------
# Matrix products
# ---------------------------------------------------------------------------------------------


def exact_products(func):
    """Decorator: run ``func`` with numpy's "invalid" check off. For functions whose operands are finite
    (the public functions check their arguments, a network its data) and whose floating-point work is
    matrix products and what cannot be invalid for finite numbers (sums, comparisons, the stable
    activations of this module).

    Why: OpenBLAS's float32 matrix-vector kernel for AVX-512 CPUs (``sgemv_t``, SkylakeX and later, in
    the OpenBLAS 0.3.31 that numpy 2.4's wheels ship) adds two output rows in vector lanes, two of which
    hold stack bytes the kernel never wrote. Those lanes are thrown away, so the product is exact; but
    when the stale bytes happen to form a signalling NaN the CPU raises the invalid-operation flag and
    numpy warns "invalid value encountered in matmul" about a correct result. It needs an inner
    dimension of 5 and an output count of 2 or 3 modulo 4, and it comes and goes with whatever ran
    before on the stack (``tests/test_matmul_flags.py`` provokes it on purpose).

    ``fit`` needs none of it: its loop runs with the check off already, and entering ``errstate`` for each
    product of its fast path would slow a step at batch size 1 measurably.

    Nothing real is hidden: with finite operands a product becomes NaN only through inf - inf, after
    an overflow, and numpy still reports the overflow. (Parameters that training made infinite are
    reported by ``fit`` itself, which stops at the first non-finite loss.)
    """
    return np.errstate(invalid="ignore")(func)


# ---------------------------------------------------------------------------------------------
# Stable sigmoid, softmax, log-softmax, log-sum-exp
# ---------------------------------------------------------------------------------------------


def sigmoid(z: np.ndarray) -> np.ndarray:
    # exp(-|z|) <= 1 never overflows; the two algebraically equal forms cover the two signs.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _shifted_and_log_sum(z: np.ndarray, axis: int):
    """m (the max along ``axis``), ``z − m`` and ``log Σ exp(z − m) = log1p(Σ_{j ≠ argmax} exp(z_j − m))``.

    Shifting by the max makes the largest exponent exp(0) = 1: no overflow. Leaving that 1 out of the sum
    and adding it back with log1p keeps the relative accuracy of a log-probability near 0 (log p = −1e-5
    would otherwise keep only the digits of 1 + 1e-5 that survive rounding: 1e-2 relative in float32).
    """
    top = np.argmax(z, axis=axis, keepdims=True)
    m = np.take_along_axis(z, top, axis=axis)
    shifted = z - m
    e = np.exp(shifted)
    np.put_along_axis(e, top, 0.0, axis=axis)
    return m, shifted, np.log1p(np.sum(e, axis=axis, keepdims=True))


def logsumexp(z: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    m, _, log_sum = _shifted_and_log_sum(z, axis)
    out = m + log_sum
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    # (z − m) − log Σ exp(z − m) rather than z − logsumexp(z): the latter adds and subtracts m,
    # losing the digits below ulp(m) (0.001 in float32 at |z| = 1e4).
    _, shifted, log_sum = _shifted_and_log_sum(z, axis)
    return shifted - log_sum


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


# ---------------------------------------------------------------------------------------------
# Inverted dropout
# ---------------------------------------------------------------------------------------------


def dropout_mask(shape, p: float, rng: np.random.Generator, dtype) -> np.ndarray:
    """Keep each entry with probability ``1 − p``; kept entries are scaled by ``1/(1 − p)`` so that
    the expected output equals the input and nothing has to change at test time."""
    keep = rng.random(shape) >= p
    return keep.astype(dtype) * (1.0 / (1.0 - p))


# ---------------------------------------------------------------------------------------------
# Losses: (mean loss over the batch, its gradient) — see the table of nnlib.losses
# ---------------------------------------------------------------------------------------------


def mse(y_hat: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """½‖y − ŷ‖² per sample, mean over the N rows; gradient (ŷ − y)/N."""
    r = y_hat - y
    n = y_hat.shape[0]
    with np.errstate(over="ignore"):  # residuals beyond 1e154: the loss is inf, and says so
        loss = float(0.5 * np.sum(r * r) / n)
    r /= n
    return loss, r


def clip_eps(eps: float, dtype) -> float:
    """The clipping margin of the probability losses: ``eps``, but at least the dtype's machine epsilon
    (with float32, 1 − 1e-12 rounds to 1 and would not protect log(1 − ŷ))."""
    return max(eps, float(np.finfo(dtype).eps))


def bce(p: np.ndarray, y: np.ndarray, eps: float) -> tuple[float, np.ndarray]:
    """Binary cross-entropy of probabilities ``p`` clipped to [eps, 1 − eps]; gradient w.r.t. ``p``."""
    e = clip_eps(eps, p.dtype)
    q = np.clip(p, e, 1.0 - e)
    n = p.shape[0]
    loss = float(-np.sum(y * np.log(q) + (1.0 - y) * np.log1p(-q)) / n)
    return loss, (q - y) / (q * (1.0 - q)) / n


def cce(p: np.ndarray, y: np.ndarray, eps: float) -> tuple[float, np.ndarray]:
    """Categorical cross-entropy of probabilities ``p`` (N, K) against one-hot ``y`` (N, K), ``p`` clipped
    from below at eps (log 1 = 0 needs no upper clip); gradient w.r.t. ``p``."""
    # eps, not the dtype's machine epsilon: 1e-12 is a float32 number, and a clip at 1.2e-7 would make
    # the loss of a float32 network differ from the fused softmax_ce loss of the same logits
    q = np.clip(p, p.dtype.type(max(eps, float(np.finfo(p.dtype).tiny))), 1.0)
    n = p.shape[0]
    return float(-np.sum(y * np.log(q)) / n), -y / q / n


def bce_logits(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """BCE of σ(z) from the logits: max(z, 0) − y z + log(1 + e^{−|z|}) per element; gradient (σ(z) − y)/N."""
    n = z.shape[0]
    loss = float(np.sum(np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))) / n)
    return loss, (sigmoid(z) - y) / n


def softmax_ce(z: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Cross-entropy of softmax(z) (N, K) for integer ``labels`` (N,); gradient (softmax(z) − onehot)/N.
    ``−log softmax(z)_y`` comes from log-sum-exp, so an underflowed probability is never logged."""
    n = z.shape[0]
    rows = np.arange(n)
    log_p = log_softmax(z, -1)
    loss = float(-np.sum(log_p[rows, labels]) / n)
    delta = np.exp(log_p)
    delta[rows, labels] -= 1.0
    delta /= n
    return loss, delta
