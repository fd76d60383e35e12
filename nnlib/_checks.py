"""Validation helpers shared by every public nnlib function.

Each helper either returns a clean value (a float array, a ``Generator``, integer labels) or raises
``TypeError`` (wrong kind of object) / ``ValueError`` (right kind, wrong shape or value) with a
message that names the argument, what it got (shape, dtype, offending value and index) and what
was expected. Callers pass the *argument name as the user sees it* (``"W"``, ``"a_prev"``, ``"y"``)
so that the message points at the user's code, not at ours.

Conventions kept here so that every module behaves the same way:

* float64 is the default; float32 input stays float32 (no silent upcast in the hot path);
  integers and float16 become float64.
* ``bool`` arrays are *not* numbers unless the caller says so (``allow_bool=True``):
  ``np.array([True, False])`` passed as weights is almost always a bug.
* NaN/inf are rejected with the index of the first bad entry (finding it is the hard part when a
  training run blows up).
* An empty batch (``shape[0] == 0``) is an error unless ``allow_empty=True``.
* Sizes are multiplied out against one memory budget (:data:`MEMORY_BUDGET`) and loop counts checked
  against one limit (:data:`MAX_COUNT`, raised by a caller's ``limit=``) before any work starts; beyond
  them a :class:`LimitError` (a ``ValueError``) names the argument and what it would cost.
* Strings are names, never code (:func:`as_identifier`): nothing a caller passes is parsed or evaluated.
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Iterable

import numpy as np

__all__ = [
    "as_float_array",
    "as_float_scalar",
    "finite_float",
    "as_int_scalar",
    "check_finite",
    "check_same_shape",
    "check_labels",
    "to_one_hot",
    "as_rng",
    "as_bool",
    "as_float_dtype",
    "check_size",
    "check_budget",
    "as_count",
    "as_identifier",
    "LimitError",
    "OrderError",
    "MEMORY_BUDGET",
    "MAX_COUNT",
    "unknown_name_error",
    "lookup",
    "describe",
]


def describe(x) -> str:
    """Short ``shape (..) and dtype ..`` description of an array-like for error messages."""
    arr = np.asarray(x) if not isinstance(x, np.ndarray) else x
    return f"shape {tuple(arr.shape)} and dtype {arr.dtype}"


def _as_array_or_typeerror(x, name: str) -> np.ndarray:
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a numeric array, got a {type(x).__name__} {x!r:.40}")
    try:
        # Ragged nested lists make numpy raise ValueError: report it as a type problem of `name`.
        return np.asarray(x)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{name} must be a numeric array (rectangular), got {type(x).__name__}: {exc}") from None


def check_finite(arr: np.ndarray, name: str) -> np.ndarray:
    """Raise ``ValueError`` naming ``name`` and the first NaN/inf index; return ``arr`` unchanged."""
    if arr.dtype.kind in "fc" and arr.size and not np.isfinite(arr).all():
        flat = int(np.flatnonzero(~np.isfinite(arr))[0])
        idx = np.unravel_index(flat, arr.shape) if arr.ndim else ()
        idx = tuple(int(i) for i in idx)
        where = idx if len(idx) != 1 else idx[0]
        raise ValueError(
            f"{name} contains a non-finite value ({float(arr[idx].real)}) at index {where}; "
            f"{name} has {describe(arr)} and must be all finite (no NaN/inf)"
        )
    return arr


def as_float_array(
    x,
    name: str,
    *,
    ndim: int | Iterable[int] | None = None,
    min_ndim: int | None = None,
    allow_empty: bool = False,
    allow_bool: bool = False,
    finite: bool = True,
    dtype=None,
) -> np.ndarray:
    """Return ``x`` as a real floating array, validating it on the way.

    Parameters
    ----------
    x : array-like
        Anything ``np.asarray`` accepts.
    name : str
        The argument name used in error messages.
    ndim : int or iterable of int, optional
        Allowed numbers of dimensions.
    min_ndim : int, optional
        Minimum number of dimensions.
    allow_empty : bool
        If False (default) an array with ``size == 0`` (e.g. an empty batch) is an error.
    allow_bool : bool
        Accept boolean arrays (converted to float64).
    finite : bool
        Reject NaN/inf (default True).
    dtype : numpy dtype, optional
        Force this floating dtype instead of the default rule (float32 stays float32, float64
        stays float64, everything else numeric becomes float64).

    Returns
    -------
    numpy.ndarray
        A float32 or float64 array (a view of ``x`` when no conversion was needed).

    Raises
    ------
    TypeError
        strings, objects, complex numbers, booleans (unless allowed), ragged sequences.
    ValueError
        wrong number of dimensions, empty array, NaN/inf.
    """
    arr = _as_array_or_typeerror(x, name)
    kind = arr.dtype.kind
    if kind == "b" and not allow_bool:
        raise TypeError(f"{name} must be a real numeric array, got a boolean array with {describe(arr)}")
    if kind == "c":
        raise TypeError(f"{name} must be real, got a complex array with {describe(arr)}")
    if kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got {describe(arr)}")
    if dtype is not None:
        target = as_float_dtype(dtype, f"dtype for {name}")
    elif arr.dtype in (np.float32, np.float64):
        target = arr.dtype
    else:
        target = np.dtype(np.float64)
    arr = arr.astype(target, copy=False)

    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, numbers.Integral) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(d) for d in allowed)
            raise ValueError(f"{name} must have {want} dimension(s), got {arr.ndim} ({describe(arr)})")
    if min_ndim is not None and arr.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got {arr.ndim} ({describe(arr)})")
    if not allow_empty and arr.size == 0:
        what = "an empty batch" if arr.ndim >= 1 and arr.shape[0] == 0 else "an empty array"
        raise ValueError(f"{name} is {what} ({describe(arr)}); at least one element is required")
    if finite:
        check_finite(arr, name)
    return arr


def as_float_scalar(
    value,
    name: str,
    *,
    min_value: float | None = None,
    max_value: float | None = None,
    strict_min: bool = False,
    strict_max: bool = False,
) -> float:
    """Return ``value`` as a finite Python float inside the given bounds.

    ``strict_min=True`` means ``value > min_value`` (e.g. a learning rate), otherwise ``>=``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.ndarray)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r:.40}")
    if isinstance(value, np.ndarray):
        if value.shape != () or value.dtype.kind not in "iuf":
            raise TypeError(f"{name} must be a real number, got an array with {describe(value)}")
    v = finite_float(value, name)
    if min_value is not None and (v <= min_value if strict_min else v < min_value):
        raise ValueError(f"{name} must be {'>' if strict_min else '>='} {min_value}, got {v}")
    if max_value is not None and (v >= max_value if strict_max else v > max_value):
        raise ValueError(f"{name} must be {'<' if strict_max else '<='} {max_value}, got {v}")
    return v


def finite_float(value, name: str) -> float:
    """``float(value)`` of a real number, which must be finite: NaN, ±inf and an int beyond float's range
    (``10**400``, which ``float`` refuses with an OverflowError) are a ValueError naming ``name``."""
    try:
        v = float(value)
    except OverflowError:
        raise ValueError(f"{name} must be finite, got a number beyond float's range ({str(value)[:20]}...)") from None
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def as_int_scalar(value, name: str, *, min_value: int | None = None, max_value: int | None = None) -> int:
    """Return ``value`` as a Python int (bools and non-integral floats are rejected)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r:.40}")
    v = int(value)
    if min_value is not None and v < min_value:
        raise ValueError(f"{name} must be >= {min_value}, got {v}")
    if max_value is not None and v > max_value:
        raise ValueError(f"{name} must be <= {max_value}, got {v}")
    return v


def check_same_shape(a, a_name: str, b, b_name: str) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have exactly the same shape (no broadcasting)."""
    sa, sb = np.shape(a), np.shape(b)
    if sa != sb:
        raise ValueError(f"{a_name} has shape {sa} but {b_name} has shape {sb}; they must have the same shape")


def as_float_dtype(dtype, name: str = "dtype") -> np.dtype:
    """``dtype`` as float32 or float64 (the only precisions nnlib computes in)."""
    try:
        dt = np.dtype(dtype) if dtype is not None and not isinstance(dtype, (bool, dict)) else None
    except (TypeError, ValueError):
        dt = None
    # (np.dtype(None) would be float64, and a dtype compares equal to None: test identity first)
    if dt is None or dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"{name} must be float32 or float64, got {dtype!r:.40}")
    return dt


def check_labels(y, name: str, n_classes: int, *, n_samples: int | None = None, against: str = "the batch") -> np.ndarray:
    """Validate class labels and return them as integer labels of shape ``(N,)`` (int64).

    Accepted forms:

    * integer labels, shape ``(N,)``, values in ``[0, n_classes)``; a float array with integral
      values (``np.array([0., 2.])``) is accepted too, as data loaders often produce them;
    * one-hot rows, shape ``(N, n_classes)``: every entry 0 or 1 and exactly one 1 per row.

    ``n_samples`` (optional) is the batch size the labels must match.
    """
    n_classes = as_int_scalar(n_classes, "n_classes", min_value=1)
    arr = _as_array_or_typeerror(y, name)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold integer labels or one-hot rows, got {describe(arr)}")
    if arr.ndim == 1:
        if arr.size == 0:
            raise ValueError(f"{name} is an empty batch ({describe(arr)}); at least one label is required")
        if arr.dtype.kind == "f":
            check_finite(arr, name)
            frac = arr != np.round(arr)
            if frac.any():
                i = int(np.flatnonzero(frac)[0])
                raise ValueError(
                    f"{name} contains the non-integer label {arr[i].item()!r} at index {i}; "
                    f"expected integer labels in [0, {n_classes})"
                )
        bad = (arr < 0) | (arr >= n_classes)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{name} contains the label {arr[i].item()!r} at index {i}, out of range: "
                f"expected integer labels in [0, {n_classes}) for n_classes={n_classes}"
            )
        labels = arr.astype(np.int64)
    elif arr.ndim == 2:
        if arr.shape[0] == 0:
            raise ValueError(f"{name} is an empty batch ({describe(arr)}); at least one label is required")
        if arr.shape[1] != n_classes:
            raise ValueError(
                f"{name} has shape {arr.shape}: one-hot labels need {n_classes} columns (n_classes={n_classes})"
            )
        check_finite(arr, name)
        not01 = (arr != 0) & (arr != 1)
        if not01.any():
            i, j = (int(v) for v in np.argwhere(not01)[0])
            raise ValueError(
                f"{name} is not one-hot: entry {arr[i, j].item()!r} at index ({i}, {j}); one-hot rows hold only 0 and 1"
            )
        sums = arr.sum(axis=1)
        bad_rows = sums != 1
        if bad_rows.any():
            i = int(np.flatnonzero(bad_rows)[0])
            raise ValueError(f"{name} is not one-hot: row {i} has {int(sums[i])} ones; each row needs exactly one")
        labels = arr.argmax(axis=1).astype(np.int64)
    else:
        raise ValueError(
            f"{name} must be integer labels (N,) or one-hot rows (N, {n_classes}), got {describe(arr)}"
        )
    if n_samples is not None and labels.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {labels.shape[0]} labels ({describe(arr)}) but {against} has {n_samples} samples"
        )
    return labels


def to_one_hot(y, name: str, n_classes: int, *, n_samples: int | None = None, dtype=np.float64,
               against: str = "the batch") -> np.ndarray:
    """Validate labels like :func:`check_labels` and return one-hot rows ``(N, n_classes)``."""
    labels = check_labels(y, name, n_classes, n_samples=n_samples, against=against)
    out = np.zeros((labels.shape[0], n_classes), dtype=dtype)
    out[np.arange(labels.shape[0]), labels] = 1
    return out


def as_rng(rng) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` from an int seed or a Generator (returned as is).

    ``None`` and the legacy ``RandomState`` are refused on purpose: results must be reproducible
    and must never depend on numpy's global random state.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, (bool, np.bool_)):
        if int(rng) < 0:
            raise ValueError(f"rng seed must be a non-negative integer, got {int(rng)}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be an int seed or a numpy.random.Generator, got {type(rng).__name__} {rng!r:.40}"
    )


def unknown_name_error(kind: str, name, known: Iterable[str]) -> ValueError:
    """Build (not raise) the error for an unknown registry name, listing the known names.

    Usage: ``raise unknown_name_error("activation", name, names())``.
    """
    known = sorted(known)
    if len(known) > 30:  # a registry of hundreds of names (the book's claims): the closest ones
        close = difflib.get_close_matches(str(name), known, n=5)
        hint = f"did you mean {', '.join(map(repr, close))}?" if close else f"none of the {len(known)} known names is close"
        return ValueError(f"unknown {kind} {name!r:.60}; {hint}")
    return ValueError(f"unknown {kind} {name!r:.60}; known {kind} names: {', '.join(known)}")


def lookup(registry: dict, kind: str, name):
    """Return ``registry[name]`` (case-insensitive, ``-`` treated as ``_``) or raise a helpful error."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name must be a string, got {type(name).__name__} {name!r:.40}")
    key = name.strip().lower().replace("-", "_")
    if key not in registry:
        raise unknown_name_error(kind, name, registry)
    return registry[key]


def as_bool(value, name: str) -> bool:
    """Return ``value`` as a Python bool; only ``True``/``False`` (or numpy bools) are accepted.

    A flag decided by truthiness would read ``shuffle="no"`` as True.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r:.40}")
    return bool(value)


class LimitError(ValueError):
    """A size or a count beyond nnlib's limits (a typo such as ``10**12``), refused before any work.

    A ``ValueError``, so ``except ValueError`` still catches it; the message names the argument, what it
    would cost, and the keyword that raises the limit where a caller may raise it.
    """


class OrderError(RuntimeError):
    """A method called before the one whose result it needs (``backward`` before ``forward``)."""


#: Bytes one public call may allocate in total (1 GiB): sizes are multiplied out against it *before*
#: numpy allocates anything, so a typo fails with a message instead of a MemoryError or a swapping machine.
MEMORY_BUDGET = 2**30

#: Iterations one public call may run (epochs, sample points, symbols) unless the caller passes a larger
#: ``limit=``: a count above it is far beyond anything the course runs, and most likely a typo.
MAX_COUNT = 10**6


def check_budget(nbytes: int, what: str, budget: int | None = None, *, hint: str = "check the sizes") -> int:
    """Raise :class:`LimitError` when ``what`` would need more than ``budget`` bytes (default
    :data:`MEMORY_BUDGET`); return ``nbytes``. ``what`` names the arguments that set the size."""
    budget = MEMORY_BUDGET if budget is None else as_int_scalar(budget, "budget", min_value=1)
    if nbytes > budget:
        raise LimitError(f"{what} would need {nbytes:,} bytes, more than the memory budget (limit) of {budget:,} "
                         f"bytes; {hint}")
    return nbytes


def check_size(count: int, what: str, *, itemsize: int = 8, budget: int | None = None) -> int:
    """Raise :class:`LimitError` when ``count`` elements of ``itemsize`` bytes exceed the memory budget;
    return ``count``."""
    check_budget(int(count) * itemsize, f"{what} ({int(count):,} elements)", budget)
    return count


def as_count(value, name: str, *, min_value: int = 0, limit: int | None = None) -> int:
    """An iteration count (epochs, points): an int in ``[min_value, limit]``, ``limit`` default
    :data:`MAX_COUNT`. Above it: :class:`LimitError` telling how to ask for more (``limit=``)."""
    v = as_int_scalar(value, name, min_value=min_value)
    limit = MAX_COUNT if limit is None else as_int_scalar(limit, "limit", min_value=1)
    if v > limit:
        raise LimitError(f"{name}={v:,} is more than the limit of {limit:,}; pass limit={v} to run that many")
    return v


def as_identifier(name, what: str) -> str:
    """``name`` if it is a plain Python identifier (a symbol's name), else ``TypeError``/``ValueError``.

    Strings are never parsed or evaluated: ``"__import__('os')"`` is refused, not run.
    """
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a symbol name (a str) or a SymPy expression, got {type(name).__name__} {name!r:.40}")
    if not name.isidentifier() or name.startswith("__"):
        raise ValueError(f"{what} must be a plain identifier such as 'x' or 'z_1' (no expressions), got {name!r:.60}")
    return name
