"""Weight initialization (权重初始化): ``get(name)(fan_in, fan_out, rng) -> W`` of shape ``(fan_out, fan_in)``.

``W`` follows the course notation ``W^{(l)}`` with shape ``(M_l, M_{l-1})``, so ``fan_in = M_{l-1}``
and ``fan_out = M_l``. Every random initializer draws from the ``rng`` it is given (an int seed or a
``numpy.random.Generator``), never from numpy's global state, so a seed reproduces the weights.

Why the scale matters: with ``z = W a`` and independent zero-mean entries,
``Var(z_i) = fan_in * Var(W_ij) * E[a_j^2]``. If ``Var(W)`` is too large the net inputs grow layer
after layer (saturated sigmoids, exploding gradients); too small and they shrink to zero
(vanishing gradients). The named schemes pick ``Var(W)`` to keep that product near 1:

==================  =====================================  =====================================
name                distribution                           target variance ``Var(W_ij)``
==================  =====================================  =====================================
``zeros``           all 0                                  0 (only for biases / demonstrations:
                                                           identical neurons never become different)
``constant``        all ``value``                          0
``uniform``         U(-limit, limit), ``limit=0.05``       limit² / 3
``normal``          N(0, std²), ``std=0.01``               std²
``xavier_uniform``  U(-r, r), r = √(6 / (fan_in+fan_out))  2 / (fan_in + fan_out)  (Glorot & Bengio 2010)
``xavier_normal``   N(0, 2 / (fan_in+fan_out))             2 / (fan_in + fan_out)
``he_uniform``      U(-r, r), r = √(6 / fan_in)            2 / fan_in  (He et al. 2015, "MSRA")
``he_normal``       N(0, 2 / fan_in)                       2 / fan_in
==================  =====================================  =====================================

Xavier averages the forward (``fan_in``) and backward (``fan_out``) conditions and suits tanh/sigmoid
(near-linear around 0). He doubles the variance because a ReLU zeroes half of its inputs, which
halves ``E[a^2]``.
"""

from __future__ import annotations

import functools

import numpy as np

import inspect

from ._checks import as_float_dtype, as_float_scalar, as_int_scalar, as_rng, check_size, lookup

__all__ = [
    "zeros",
    "constant",
    "uniform",
    "normal",
    "xavier_uniform",
    "xavier_normal",
    "he_uniform",
    "he_normal",
    "get",
    "names",
    "target_variance",
]


def _shape(fan_in, fan_out) -> tuple[int, int]:
    shape = (as_int_scalar(fan_out, "fan_out", min_value=1), as_int_scalar(fan_in, "fan_in", min_value=1))
    check_size(shape[0] * shape[1], f"W of shape (fan_out, fan_in) = {shape}")
    return shape


def zeros(fan_in, fan_out, rng=None, *, dtype=np.float64) -> np.ndarray:
    """All-zero ``(fan_out, fan_in)`` matrix. ``rng`` is accepted for a uniform signature and ignored."""
    return np.zeros(_shape(fan_in, fan_out), dtype=as_float_dtype(dtype))


def constant(fan_in, fan_out, rng=None, *, value=0.0, dtype=np.float64) -> np.ndarray:
    """``(fan_out, fan_in)`` matrix filled with ``value`` (``rng`` ignored)."""
    value = as_float_scalar(value, "value")
    return np.full(_shape(fan_in, fan_out), value, dtype=as_float_dtype(dtype))


def _uniform(shape, limit, rng, dtype) -> np.ndarray:
    # Generator.random supports float32 output directly: no float64 temporary for float32 nets.
    dt = as_float_dtype(dtype)
    W = as_rng(rng).random(shape, dtype=dt)
    W *= dt.type(2 * limit)
    W -= dt.type(limit)
    return W


def _normal(shape, std, rng, dtype) -> np.ndarray:
    dt = as_float_dtype(dtype)
    W = as_rng(rng).standard_normal(shape, dtype=dt)
    W *= dt.type(std)
    return W


def uniform(fan_in, fan_out, rng=0, *, limit=0.05, dtype=np.float64) -> np.ndarray:
    """``W_ij ~ U(-limit, limit)``, variance ``limit**2 / 3``. Shape ``(fan_out, fan_in)``."""
    limit = as_float_scalar(limit, "limit", min_value=0.0, strict_min=True)
    return _uniform(_shape(fan_in, fan_out), limit, rng, dtype)


def normal(fan_in, fan_out, rng=0, *, std=0.01, dtype=np.float64) -> np.ndarray:
    """``W_ij ~ N(0, std**2)``. Shape ``(fan_out, fan_in)``."""
    std = as_float_scalar(std, "std", min_value=0.0, strict_min=True)
    return _normal(_shape(fan_in, fan_out), std, rng, dtype)


def xavier_uniform(fan_in, fan_out, rng=0, *, gain=1.0, dtype=np.float64) -> np.ndarray:
    """Glorot/Xavier uniform: ``U(-r, r)``, ``r = gain * sqrt(6 / (fan_in + fan_out))``.

    Variance ``gain**2 * 2 / (fan_in + fan_out)``. Shape ``(fan_out, fan_in)``.
    """
    shape = _shape(fan_in, fan_out)
    gain = as_float_scalar(gain, "gain", min_value=0.0, strict_min=True)
    return _uniform(shape, gain * np.sqrt(6.0 / (shape[0] + shape[1])), rng, dtype)


def xavier_normal(fan_in, fan_out, rng=0, *, gain=1.0, dtype=np.float64) -> np.ndarray:
    """Glorot/Xavier normal: ``N(0, gain**2 * 2 / (fan_in + fan_out))``. Shape ``(fan_out, fan_in)``."""
    shape = _shape(fan_in, fan_out)
    gain = as_float_scalar(gain, "gain", min_value=0.0, strict_min=True)
    return _normal(shape, gain * np.sqrt(2.0 / (shape[0] + shape[1])), rng, dtype)


def he_uniform(fan_in, fan_out, rng=0, *, dtype=np.float64) -> np.ndarray:
    """He/MSRA uniform: ``U(-r, r)``, ``r = sqrt(6 / fan_in)``; variance ``2 / fan_in``."""
    shape = _shape(fan_in, fan_out)
    return _uniform(shape, np.sqrt(6.0 / shape[1]), rng, dtype)


def he_normal(fan_in, fan_out, rng=0, *, dtype=np.float64) -> np.ndarray:
    """He/MSRA normal: ``N(0, 2 / fan_in)``. Shape ``(fan_out, fan_in)``."""
    shape = _shape(fan_in, fan_out)
    return _normal(shape, np.sqrt(2.0 / shape[1]), rng, dtype)


_REGISTRY = {
    "zeros": zeros,
    "constant": constant,
    "uniform": uniform,
    "normal": normal,
    "xavier_uniform": xavier_uniform,
    "glorot_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "glorot_normal": xavier_normal,
    "he_uniform": he_uniform,
    "msra_uniform": he_uniform,
    "he_normal": he_normal,
    "msra_normal": he_normal,
}


def names() -> list[str]:
    """Known initializer names (aliases included: ``glorot_*`` = ``xavier_*``, ``msra_*`` = ``he_*``)."""
    return sorted(_REGISTRY)


def get(name, **kwargs):
    """Return the initializer ``f(fan_in, fan_out, rng) -> W`` called ``name``.

    ``name`` may also be a callable with that signature (returned as is). Keyword arguments
    (``value``, ``limit``, ``std``, ``gain``, ``dtype``) are bound with ``functools.partial``.
    Unknown names raise ``ValueError`` listing the known ones.
    """
    if isinstance(name, type):
        raise TypeError(f"initializer must be a name or a function f(fan_in, fan_out, rng) -> W, got the class {name.__name__}")
    if callable(name) and not isinstance(name, str):
        return functools.partial(name, **kwargs) if kwargs else name
    fn = lookup(_REGISTRY, "initializer", name)
    accepted = [p.name for p in inspect.signature(fn).parameters.values() if p.kind is p.KEYWORD_ONLY]
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise TypeError(
            f"initializer {name!r} got unknown argument(s) {', '.join(unknown)}; it accepts: {', '.join(accepted)}"
        )
    return functools.partial(fn, **kwargs) if kwargs else fn


def target_variance(name, fan_in, fan_out, **kwargs) -> float:
    """The variance ``Var(W_ij)`` that initializer ``name`` targets (see the module table)."""
    fn = lookup(_REGISTRY, "initializer", name)
    get(name, **kwargs)  # the keywords the initializer accepts, and no others
    kwargs = {k: as_float_dtype(v) if k == "dtype" else as_float_scalar(v, k, min_value=0.0 if k != "value" else None)
              for k, v in kwargs.items()}
    fan_out, fan_in = _shape(fan_in, fan_out)
    if fn in (zeros, constant):
        return 0.0
    if fn is uniform:
        return kwargs.get("limit", 0.05) ** 2 / 3
    if fn is normal:
        return kwargs.get("std", 0.01) ** 2
    if fn in (xavier_uniform, xavier_normal):
        return kwargs.get("gain", 1.0) ** 2 * 2.0 / (fan_in + fan_out)
    return 2.0 / fan_in
