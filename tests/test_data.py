"""Tests for nnlib.data: toy sets, encodings, splitting, scaling."""

import numpy as np
import pytest

from nnlib import data


# ----------------------------------------------------------------------------- truth tables
@pytest.mark.parametrize(
    "name, expected",
    [("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1]), ("nand", [1, 1, 1, 0]), ("nor", [1, 0, 0, 0]), ("xor", [0, 1, 1, 0])],
)
def test_truth_table_rows(name, expected):
    X, y = data.truth_table(name)
    assert X.shape == (4, 2) and X.dtype == np.float64
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, expected)
    assert y.shape == (4,)
    _, ys = data.truth_table(name.upper(), signed=True)
    np.testing.assert_array_equal(ys, 2 * np.array(expected) - 1)


def test_truth_table_unknown_name_lists_known():
    with pytest.raises(ValueError, match="xor"):
        data.truth_table("implies")
    with pytest.raises(TypeError):
        data.truth_table(3)


# ----------------------------------------------------------------------------- toy sets
@pytest.mark.parametrize("maker", [data.two_moons, data.circles])
def test_binary_toy_sets_shapes_balance_and_seed(maker):
    X, y = maker(101, noise=0.1, rng=3)
    assert X.shape == (101, 2) and y.shape == (101,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1}
    assert abs(int((y == 0).sum()) - int((y == 1).sum())) <= 1
    X2, y2 = maker(101, noise=0.1, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = maker(101, noise=0.1, rng=4)
    assert not np.allclose(X, X3)


def test_two_moons_noise_free_geometry():
    X, y = data.two_moons(50, noise=0.0, rng=0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert np.all(upper[:, 1] >= -1e-12) and np.all(lower[:, 1] <= 0.5 + 1e-12)


def test_circles_radii_follow_factor():
    X, y = data.circles(80, noise=0.0, factor=0.3, rng=1)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.3)
    with pytest.raises(ValueError, match="factor"):
        data.circles(10, factor=1.5)


def test_spirals_classes_and_radius():
    X, y = data.spirals(301, k=4, noise=0.0, rng=2)
    assert X.shape == (301, 2) and set(np.unique(y)) == {0, 1, 2, 3}
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1
    r = np.hypot(X[:, 0], X[:, 1])
    assert r.min() == pytest.approx(0.0) and r.max() == pytest.approx(1.0)
    # noise-free arms: the angle of each point is a fixed function of its radius and class
    theta = np.arctan2(X[:, 0], X[:, 1])
    expected = 2 * np.pi * y / 4 + 4.0 * r
    diff = np.angle(np.exp(1j * (theta - expected)))
    np.testing.assert_allclose(diff[r > 1e-9], 0.0, atol=1e-9)


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: data.two_moons(0), ValueError, "n"),
        (lambda: data.two_moons(10.5), TypeError, "n"),
        (lambda: data.two_moons(10, noise=-1), ValueError, "noise"),
        (lambda: data.two_moons(10, noise=float("nan")), ValueError, "noise"),
        (lambda: data.circles(10, rng="seed"), TypeError, "rng"),
        (lambda: data.spirals(2, k=3), ValueError, "k"),
        (lambda: data.two_moons(10, rng=None), TypeError, "rng"),
    ],
)
def test_toy_set_bad_input(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


# ----------------------------------------------------------------------------- 1-D targets
def test_target_functions_and_sampling():
    f = data.target_function("sin")
    x, y = data.sample_1d(f, 64, rng=0)
    assert x.shape == (64, 1) and y.shape == (64, 1)
    assert np.all(np.diff(x[:, 0]) >= 0)
    assert x.min() >= -np.pi and x.max() <= np.pi
    np.testing.assert_allclose(y, np.sin(x))
    xg, yg = data.sample_1d("cubic", 5, grid=True)
    np.testing.assert_allclose(xg[:, 0], np.linspace(-1.5, 1.5, 5))
    np.testing.assert_allclose(yg[:, 0], xg[:, 0] ** 3 - xg[:, 0])
    xn, yn = data.sample_1d("sin", 2000, rng=1, noise=0.1)
    resid = yn - np.sin(xn)
    assert 0.09 < resid.std() < 0.11
    for name in data.TARGET_FUNCTIONS:
        xs, ys = data.sample_1d(name, 20, rng=0)
        assert np.all(np.isfinite(ys))


def test_sample_1d_bad_input():
    with pytest.raises(ValueError, match="known"):
        data.target_function("nope")
    with pytest.raises(ValueError, match="domain"):
        data.sample_1d(lambda x: x, 10)
    with pytest.raises(ValueError, match="low < high"):
        data.sample_1d("sin", 10, domain=(1, 0))
    with pytest.raises(ValueError, match="shape"):
        data.sample_1d(lambda x: x[:2], 10, domain=(0, 1))
    with pytest.raises(TypeError, match="f must"):
        data.sample_1d(3, 10)


# ----------------------------------------------------------------------------- digits
def test_load_digits_scaled():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(np.unique(y), np.arange(10))
    X_raw, _ = data.load_digits(scale=False)
    np.testing.assert_allclose(X_raw / 16.0, X)


# ----------------------------------------------------------------------------- encodings
def test_one_hot_roundtrip_and_errors():
    y = np.array([2, 0, 1, 2])
    Y = data.one_hot(y, 3)
    assert Y.shape == (4, 3) and Y.dtype == np.float64
    np.testing.assert_array_equal(Y.argmax(1), y)
    np.testing.assert_array_equal(Y.sum(1), 1)
    np.testing.assert_array_equal(data.one_hot([1.0, 0.0]), [[0, 1], [1, 0]])
    with pytest.raises(ValueError, match=r"out of range.*\[0, 3\)"):
        data.one_hot([0, 3], 3)
    with pytest.raises(ValueError, match="out of range"):
        data.one_hot([-1, 0], 2)
    with pytest.raises(ValueError, match="NaN"):
        data.one_hot([0.0, np.nan], 2)
    with pytest.raises(ValueError, match="non-integral"):
        data.one_hot([0.5], 2)
    with pytest.raises(ValueError, match="1-D"):
        data.one_hot([[0, 1]], 2)
    with pytest.raises(ValueError, match="empty"):
        data.one_hot([], 2)


def test_multi_hot():
    Y = data.multi_hot([[0, 2], [], [1, 1]], 3)
    np.testing.assert_array_equal(Y, [[1, 0, 1], [0, 0, 0], [0, 1, 0]])
    with pytest.raises(ValueError, match="outside"):
        data.multi_hot([[0, 3]], 3)
    with pytest.raises(TypeError, match=r"label_lists\[1\]"):
        data.multi_hot([[0], 1], 3)
    with pytest.raises(ValueError, match="empty"):
        data.multi_hot([], 3)


# ----------------------------------------------------------------------------- split / scale
def test_train_test_split_partitions_rows():
    X = np.arange(40, dtype=float).reshape(20, 2)
    y = np.arange(20)
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, test_size=0.25, rng=0)
    assert Xtr.shape == (15, 2) and Xte.shape == (5, 2)
    # rows stay paired with their labels and nothing is lost or duplicated
    np.testing.assert_array_equal(Xtr[:, 0], 2 * ytr)
    np.testing.assert_array_equal(np.sort(np.concatenate([ytr, yte])), y)
    again = data.train_test_split(X, y, test_size=0.25, rng=0)
    np.testing.assert_array_equal(again[3], yte)
    assert data.train_test_split(X, y, test_size=3)[1].shape == (3, 2)


def test_train_test_split_stratified_keeps_class_mix():
    y = np.array([0] * 80 + [1] * 20)
    X = np.random.default_rng(0).normal(size=(100, 3))
    _, _, ytr, yte = data.train_test_split(X, y, test_size=0.25, rng=5, stratify=True)
    assert len(yte) == 25
    assert int((yte == 1).sum()) == 5 and int((ytr == 1).sum()) == 15
    # the class quota is met exactly whatever the seed
    for seed in range(5):
        _, _, _, yte_s = data.train_test_split(X, y, test_size=0.3, rng=seed, stratify=True)
        assert int((yte_s == 1).sum()) == 6


def test_train_test_split_errors():
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match="10 samples"):
        data.train_test_split(X, np.zeros(9))
    with pytest.raises(ValueError, match="test_size"):
        data.train_test_split(X, np.zeros(10), test_size=1.5)
    with pytest.raises(ValueError, match="test_size"):
        data.train_test_split(X, np.zeros(10), test_size=10)
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        data.train_test_split(X_nan, np.zeros(10))
    with pytest.raises(ValueError, match="2 dimension"):
        data.train_test_split(np.zeros(10), np.zeros(10))


def test_standardize_uses_train_statistics_and_handles_constant_column():
    rng = np.random.default_rng(0)
    Xtr = np.column_stack([rng.normal(5, 3, 200), np.full(200, 7.0)])
    Xte = np.column_stack([rng.normal(5, 3, 50), np.full(50, 7.0)])
    res = data.standardize(Xtr, Xte)
    train, test, mean, std = res
    np.testing.assert_allclose(train[:, 0].mean(), 0, atol=1e-12)
    np.testing.assert_allclose(train[:, 0].std(), 1)
    np.testing.assert_allclose(mean, Xtr.mean(0))
    assert std[1] == 1.0
    np.testing.assert_array_equal(train[:, 1], 0)
    np.testing.assert_allclose(test, (Xte - Xtr.mean(0)) / std)
    assert data.standardize(Xtr).test is None
    with pytest.raises(ValueError, match="3 features"):
        data.standardize(Xtr, np.zeros((4, 3)))
    with pytest.raises(ValueError, match="NaN"):
        data.standardize(np.array([[1.0], [np.nan]]))
    with pytest.raises(ValueError, match="empty batch"):
        data.standardize(np.zeros((0, 2)))
