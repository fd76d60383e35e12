"""Gradient checking (梯度检验): compare backpropagation with centred finite differences.

* ``numerical_gradient(f, x, eps)``: ∂f/∂x by (f(x + eps e_i) − f(x − eps e_i)) / (2 eps) for every
  entry i of ``x`` (any shape). ``x`` is perturbed *in place* — so ``f`` may ignore its argument
  and read the live array (a network parameter) — and every entry is restored exactly.
* ``relative_error(a, b) = max|a − b| / max(|a| + |b|)``: scale-free, 0 when equal.
* ``check_gradients(net, X, Y)``: for an ``MLP`` (``net.params()``, ``net.gradients(X, Y)``,
  ``net.loss(X, Y)``) returns a :class:`GradCheckReport` with one row per layer and parameter.

The centred difference has error O(eps²) and a rounding error of order (machine eps)·|f|/eps, so
eps = 1e-6 in float64 gives about 1e-8 to 1e-10 relative error for smooth functions. Near a kink
(ReLU at 0, hard-tanh at ±1, maxout ties) the two sides disagree and large errors are expected.
Stochastic layers (RReLU in training mode) must be put in eval mode first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._checks import as_float_scalar, as_int_scalar, as_rng, check_same_shape, as_float_array

__all__ = ["numerical_gradient", "relative_error", "check_gradients", "GradCheckReport", "GradCheckRow"]



def _scalar_value(f, x, where: str) -> float:
    value = f(x)
    arr = np.asarray(value)
    if arr.shape != () or arr.dtype.kind not in "iuf":
        raise TypeError(f"f must return a real scalar, got {type(value).__name__} with shape {arr.shape} ({where})")
    v = float(arr)
    if not np.isfinite(v):
        raise ValueError(f"f returned a non-finite value {v} ({where})")
    return v


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6, *, indices=None) -> np.ndarray:
    """Centred finite-difference gradient of the scalar function ``f`` at ``x``.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``. It is called with the (perturbed) array ``x`` itself.
    x : numpy.ndarray, float64, any shape
        Perturbed in place and restored bit for bit before returning (also on error).
    eps : float
        Step size (> 0).
    indices : iterable of index tuples, optional
        Only these entries are computed (the others stay 0); the default is all entries.

    Returns
    -------
    numpy.ndarray
        float64 array of the shape of ``x``.
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a numpy array (it is perturbed in place), got {type(x).__name__}")
    if x.dtype != np.float64:
        raise TypeError(
            f"x must be float64 for finite differences (eps=1e-6 is below float32 resolution), got x with "
            f"shape {x.shape} and dtype {x.dtype}"
        )
    if not x.flags.writeable:
        raise ValueError(f"x (shape {x.shape}) is read-only; it must be writable to be perturbed in place")
    as_float_array(x, "x", allow_empty=True)  # NaN/inf check with the index of the first bad entry
    eps = as_float_scalar(eps, "eps", min_value=0.0, strict_min=True)
    grad = np.zeros(x.shape, dtype=np.float64)
    indices = np.ndindex(*x.shape) if indices is None else _check_indices(indices, x.shape)
    for idx in indices:
        old = x[idx]
        try:
            x[idx] = old + eps
            f_plus = _scalar_value(f, x, f"at x{list(idx)} + eps")
            x[idx] = old - eps
            f_minus = _scalar_value(f, x, f"at x{list(idx)} - eps")
        finally:
            x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def _check_indices(indices, shape) -> list[tuple]:
    """``indices`` as a list of in-range index tuples of an array of ``shape``."""
    if isinstance(indices, (str, bytes)) or not isinstance(indices, (list, tuple)):
        raise TypeError(f"indices must be a list of index tuples, got {type(indices).__name__} {indices!r:.40}")
    out = []
    for i, idx in enumerate(indices):
        idx = (idx,) if isinstance(idx, (int, np.integer)) and not isinstance(idx, bool) else idx
        if not isinstance(idx, tuple) or len(idx) != len(shape) or not all(
            isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_)) for k in idx
        ):
            raise TypeError(f"indices[{i}] must be a tuple of {len(shape)} integers (x has shape {shape}), got {idx!r:.40}")
        if not all(0 <= k < m for k, m in zip(idx, shape)):
            raise ValueError(f"indices[{i}] = {tuple(int(k) for k in idx)} is out of range for x of shape {shape}")
        out.append(tuple(int(k) for k in idx))
    return out


def relative_error(a, b) -> float:
    """max|a − b| / max(|a| + |b|): 0 for identical arrays, at most 1 (0 when both are all zero).

    Both arrays are divided by their largest magnitude first, so neither overflow (1e308) nor
    subnormal numbers (2e-308) change the ratio.
    """
    a = as_float_array(a, "a", allow_empty=True, dtype=np.float64)
    b = as_float_array(b, "b", allow_empty=True, dtype=np.float64)
    check_same_shape(a, "a", b, "b")
    if a.size == 0:
        return 0.0
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    if scale == 0.0:
        return 0.0
    a, b = a / scale, b / scale
    return float(np.max(np.abs(a - b)) / np.max(np.abs(a) + np.abs(b)))


@dataclass(frozen=True)
class GradCheckRow:
    """One parameter of one layer: ``layer`` counts from 1 like W^{(1)} in the text."""

    layer: int
    param: str
    shape: tuple
    rel_error: float
    abs_error: float
    checked: int  # number of entries compared


@dataclass
class GradCheckReport:
    """Result of :func:`check_gradients`: ``rows``, ``max_error``, ``ok(tol)``; prints as a table."""

    rows: list[GradCheckRow] = field(default_factory=list)
    loss: float = float("nan")
    eps: float = 1e-6

    @property
    def max_error(self) -> float:
        return max((r.rel_error for r in self.rows), default=0.0)

    def ok(self, tol: float = 1e-6) -> bool:
        tol = as_float_scalar(tol, "tol", min_value=0.0, strict_min=True)
        return bool(self.rows) and self.max_error < tol

    def __str__(self) -> str:
        head = f"{'layer':>5}  {'param':<6} {'shape':<12} {'checked':>7}  {'rel. error':>10}  {'abs. error':>10}"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            lines.append(
                f"{r.layer:>5}  {r.param:<6} {str(r.shape):<12} {r.checked:>7}  {r.rel_error:>10.2e}  {r.abs_error:>10.2e}"
            )
        lines.append(f"max relative error {self.max_error:.2e} (eps={self.eps:g}, loss={self.loss:.6g})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:  # a small table in notebooks
        cells = "".join(
            f"<tr><td>{r.layer}</td><td>{r.param}</td><td>{r.shape}</td><td>{r.checked}</td>"
            f"<td>{r.rel_error:.2e}</td><td>{r.abs_error:.2e}</td></tr>"
            for r in self.rows
        )
        return (
            "<table><tr><th>layer</th><th>param</th><th>shape</th><th>checked</th><th>rel. error</th>"
            f"<th>abs. error</th></tr>{cells}</table><p>max relative error {self.max_error:.2e}</p>"
        )


def check_gradients(net, X, Y, eps: float = 1e-6, *, max_entries: int | None = None, rng=0) -> GradCheckReport:
    """Compare ``net.gradients(X, Y)`` with centred finite differences of ``net.loss(X, Y)``.

    Parameters
    ----------
    net : MLP-like
        Provides ``params()`` (list, one dict per layer, of the live float64 arrays),
        ``gradients(X, Y) -> (loss, grads)`` with the same structure, and ``loss(X, Y) -> float``.
    X, Y : arrays
        A (small) batch.
    eps : float
        Finite-difference step.
    max_entries : int, optional
        Check at most this many randomly chosen entries per parameter (drawn from ``rng``); the
        default checks all of them.

    Returns
    -------
    GradCheckReport
    """
    for attr in ("params", "gradients", "loss"):
        if not callable(getattr(net, attr, None)):
            raise TypeError(f"net must provide a callable {attr}() (the MLP API), got {type(net).__name__}")
    if max_entries is not None:
        max_entries = as_int_scalar(max_entries, "max_entries", min_value=1)
    gen = as_rng(rng)
    loss, grads = net.gradients(X, Y)
    params = net.params()
    if len(grads) != len(params):
        raise ValueError(f"net.gradients returned {len(grads)} layers of gradients but net.params() has {len(params)}")
    report = GradCheckReport(loss=float(loss), eps=as_float_scalar(eps, "eps", min_value=0.0, strict_min=True))

    def f(_):
        return net.loss(X, Y)

    for l, (p_layer, g_layer) in enumerate(zip(params, grads), start=1):
        for key, p in p_layer.items():
            if key not in g_layer:
                raise ValueError(f"layer {l}: parameter {key!r} has no gradient (gradient keys: {sorted(g_layer)})")
            g = np.asarray(g_layer[key], dtype=np.float64)
            check_same_shape(g, f"gradient {key!r} of layer {l}", p, f"parameter {key!r}")
            if max_entries is None or p.size <= max_entries:
                idx = None
                mask = np.ones(p.shape, dtype=bool)
            else:
                flat = gen.choice(p.size, size=max_entries, replace=False)
                idx = [np.unravel_index(i, p.shape) for i in flat]
                mask = np.zeros(p.shape, dtype=bool)
                mask[tuple(np.array(idx).T)] = True
            num = numerical_gradient(f, p, eps, indices=idx)
            report.rows.append(
                GradCheckRow(
                    layer=l,
                    param=key,
                    shape=tuple(p.shape),
                    rel_error=relative_error(g[mask], num[mask]),
                    abs_error=float(np.max(np.abs(g[mask] - num[mask]), initial=0.0)),
                    checked=int(mask.sum()),
                )
            )
    return report
