"""Tests for nnlib.perceptron: McCulloch–Pitts neuron, perceptron rule, delta rule."""


import numpy as np
import pytest

from nnlib import data, perceptron as P
from nnlib.gradcheck import numerical_gradient

# Source 001, table 2-1 (y = not(x1) x2 + x2 not(x3), w = [-1, 2, -1], theta = 1/2), transcribed
# row by row: x1 x2 x3 sum y_hat y
TABLE_2_1 = [
    (0, 0, 0, 0, 0, 0),
    (0, 0, 1, -1, 0, 0),
    (0, 1, 0, 2, 1, 1),
    (0, 1, 1, 1, 1, 1),
    (1, 0, 0, -1, 0, 0),
    (1, 0, 1, -2, 0, 0),
    (1, 1, 0, 1, 1, 1),
    (1, 1, 1, 0, 0, 0),
]


def _table_target(X):
    x1, x2, x3 = X[:, 0], X[:, 1], X[:, 2]
    return ((1 - x1) & x2) | (x2 & (1 - x3))


# ----------------------------------------------------------------------------- McCulloch–Pitts
def test_mp_truth_table_reproduces_table_2_1():
    table = P.truth_table([-1, 2, -1], 0.5, target=_table_target)
    assert table.columns == ["x_1", "x_2", "x_3", "sum", "y_hat", "y"]
    assert table.rows == TABLE_2_1
    assert table.perfect
    md = table.to_markdown().splitlines()
    assert md[0] == "| x_1 | x_2 | x_3 | sum | y_hat | y |" and md[-1] == "| 1 | 1 | 1 | 0 | 0 | 0 |"


def test_mp_threshold_is_inclusive_and_inhibitory_input_vetoes():
    X = np.array([[1, 0], [1, 1], [0, 0]])
    y, s = P.mp_neuron(X, [1, 1], 1, return_sum=True)
    np.testing.assert_array_equal(s, [1, 2, 0])
    np.testing.assert_array_equal(y, [1, 1, 0])  # sum == theta fires
    inh = np.array([[0], [1], [1]])
    np.testing.assert_array_equal(P.mp_neuron(X, [1, 1], 1, inhibitory=inh), [1, 0, 0])


def test_mp_truth_table_with_inhibitory_input():
    # OR of x1, x2 with one inhibitory line: every row with i_1 = 1 must be 0
    table = P.truth_table([1, 1], 1, n_inhibitory=1)
    assert table.columns == ["x_1", "x_2", "i_1", "sum", "y_hat"]
    assert len(table.rows) == 8
    for x1, x2, i1, s, y_hat in table.rows:
        assert s == x1 + x2
        assert y_hat == int((x1 or x2) and not i1)
    assert not table.perfect  # no target given


def test_mp_bad_input():
    with pytest.raises(ValueError, match="binary"):
        P.mp_neuron([[0, 2]], [1, 1], 0.5)
    with pytest.raises(ValueError, match=r"w has shape \(3,\) but X has 2 inputs"):
        P.mp_neuron([[0, 1]], [1, 1, 1], 0.5)
    with pytest.raises(ValueError, match="inhibitory has 2 rows"):
        P.mp_neuron([[0, 1]], [1, 1], 0.5, inhibitory=[[0], [1]])
    with pytest.raises(ValueError, match="theta"):
        P.mp_neuron([[0, 1]], [1, 1], float("nan"))
    with pytest.raises(TypeError, match="target"):
        P.truth_table([1, 1], 1, target=[0, 1, 1, 1])


# ----------------------------------------------------------------------------- perceptron
@pytest.mark.parametrize("fn", ["and", "or", "nand", "nor"])
def test_perceptron_learns_separable_functions(fn):
    X, y = data.truth_table(fn)
    res = P.train_perceptron(X, y, w0=[0.5, -0.5], b0=0.0)
    assert res.converged and "converged" in res.reason
    assert res.history[-1] == 0 and all(h > 0 for h in res.history[:-1])
    assert res.epochs == len(res.history)
    np.testing.assert_array_equal(res.predict(X), y)
    np.testing.assert_array_equal(P.perceptron_predict(X, res.w, res.b), y)
    assert res.path.shape == (res.epochs + 1, 3)
    np.testing.assert_array_equal(res.path[0], [0.0, 0.5, -0.5])


def test_perceptron_and_update_rule_step_by_step():
    # first epoch of AND from zero weights, in order 00, 01, 10, 11:
    # 00: s=0 -> 1, target 0 -> w -= x, b -= 1 -> b=-1
    # 01, 10: s=-1 -> 0, correct; 11: s=-1 -> 0, target 1 -> w += x, b += 1 -> w=(1,1), b=0
    X, y = data.truth_table("and")
    res = P.train_perceptron(X, y, max_epochs=1)
    assert not res.converged and res.history == [2]
    np.testing.assert_array_equal(res.w, [1.0, 1.0])
    assert res.b == 0.0
    assert "max_epochs=1" in res.reason


def test_sign_rule_equals_rosenblatt_with_half_step():
    X, y = data.truth_table("and", signed=True)
    a = P.train_perceptron(X, y, rule="rosenblatt", lr=1.0)
    s = P.train_perceptron(X, y, rule="sign", lr=0.5)
    assert a.converged and s.converged and a.epochs == s.epochs
    np.testing.assert_array_equal(a.path, s.path)
    np.testing.assert_array_equal(s.predict(X), y)  # sign outputs in {-1, +1}
    s2 = P.train_perceptron(X, y, rule="sign", lr=1.0)
    np.testing.assert_array_equal(s2.path, 2 * a.path)


def test_perceptron_reports_xor_cycle_early():
    X, y = data.truth_table("xor")
    res = P.train_perceptron(X, y, max_epochs=10_000)
    assert not res.converged
    assert "cycle" in res.reason and "not linearly separable" in res.reason
    # found within a few epochs of a 10,000-epoch budget (counted, not timed)
    assert res.epochs < 50 and len(res.history) == res.epochs
    assert all(h > 0 for h in res.history)
    # the reported state really repeats an earlier epoch boundary
    assert any(np.array_equal(res.path[-1], p) for p in res.path[:-1])
    # with shuffling, cycle detection is off and the budget stops it
    res2 = P.train_perceptron(X, y, max_epochs=30, shuffle=True, rng=1)
    assert not res2.converged and res2.epochs == 30 and "max_epochs" in res2.reason
    assert (res2.predict(X) != y).any()


def test_perceptron_bad_input():
    X, y = data.truth_table("and")
    with pytest.raises(ValueError, match="binary targets"):
        P.train_perceptron(X, [0, 1, 2, 1])
    with pytest.raises(ValueError, match=r"X has 4 samples but y has shape \(3,\)"):
        P.train_perceptron(X, [0, 1, 1])
    with pytest.raises(ValueError, match="w0 has shape"):
        P.train_perceptron(X, y, w0=[1, 2, 3])
    with pytest.raises(ValueError, match="rule"):
        P.train_perceptron(X, y, rule="hebb")
    with pytest.raises(ValueError, match="lr"):
        P.train_perceptron(X, y, lr=0)
    with pytest.raises(ValueError, match="X contains a non-finite"):
        P.train_perceptron(np.where(X == 1, np.nan, X), y)
    with pytest.raises(TypeError, match="max_epochs"):
        P.train_perceptron(X, y, max_epochs=2.5)


# ----------------------------------------------------------------------------- delta rule
def _regression(n=60, d=3, noise=0.3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w_true, b_true = rng.normal(size=d), 0.7
    t = X @ w_true + b_true + noise * rng.normal(size=n)
    return X, t


def _lstsq(X, t):
    A = np.column_stack([X, np.ones(len(X))])
    sol = np.linalg.lstsq(A, t, rcond=None)[0]
    return sol[:-1], sol[-1]


def test_delta_rule_linear_batch_reaches_least_squares():
    X, t = _regression()
    res = P.train_delta_rule(X, t, unit="linear", mode="batch", lr=0.5, epochs=5000, tol=1e-12)
    assert res.converged, res.reason
    w_ls, b_ls = _lstsq(X, t)
    np.testing.assert_allclose(res.w, w_ls, atol=1e-9)
    assert res.b == pytest.approx(b_ls, abs=1e-9)
    h = np.array(res.history)
    assert np.all(np.diff(h) <= 1e-15)  # gradient descent on a quadratic with a small step: monotone
    assert h[-1] < 0.1 * h[0]
    np.testing.assert_allclose(res.predict(X), X @ w_ls + b_ls, atol=1e-8)


def test_delta_rule_stochastic_and_batch_converge_to_same_solution():
    # consistent targets (no noise): the LMS fixed point is exact, so constant-step SGD converges too
    X, t = _regression(noise=0.0, seed=1)
    w_ls, b_ls = _lstsq(X, t)
    for mode, lr in [("batch", 0.5), ("stochastic", 0.05)]:
        res = P.train_delta_rule(X, t, mode=mode, lr=lr, epochs=3000, tol=1e-12, rng=0)
        assert res.converged, (mode, res.reason)
        np.testing.assert_allclose(res.w, w_ls, atol=1e-8)
        assert res.history[-1] < 1e-15
    # with noisy targets SGD at a constant step hovers near the solution rather than on it
    Xn, tn = _regression(noise=0.3, seed=1)
    w_ls, _ = _lstsq(Xn, tn)
    sgd = P.train_delta_rule(Xn, tn, mode="stochastic", lr=0.01, epochs=200, tol=0.0, rng=0)
    assert not sgd.converged
    np.testing.assert_allclose(sgd.w, w_ls, atol=0.05)


def test_delta_rule_sigmoid_unit_learns_and_gradient_matches():
    X, y = data.truth_table("and")
    for mode in ["batch", "stochastic"]:
        res = P.train_delta_rule(X, y, unit="sigmoid", mode=mode, lr=2.0, epochs=3000, tol=0.0, rng=0)
        assert res.history[-1] < 0.2 * res.history[0]
        np.testing.assert_array_equal(res.predict(X) > 0.5, y.astype(bool))
    # one batch step equals -lr * dE/dw for E = 1/(2N) sum (t - sigmoid(Xw + b))^2 (central differences)
    rng = np.random.default_rng(3)
    Xr, tr = rng.normal(size=(7, 2)), rng.uniform(size=7)
    w0, b0 = rng.normal(size=2), 0.3

    def E(w, b):
        z = 1 / (1 + np.exp(-(Xr @ w + b)))
        return 0.5 * np.mean((tr - z) ** 2)

    g = numerical_gradient(lambda w: E(w, b0), w0.copy())
    gb = numerical_gradient(lambda b: E(w0, b[0]), np.array([b0]))[0]
    one = P.train_delta_rule(Xr, tr, unit="sigmoid", lr=0.1, epochs=1, tol=0.0, w0=w0, b0=b0)
    np.testing.assert_allclose(one.w - w0, -0.1 * g, rtol=1e-6)
    assert one.b - b0 == pytest.approx(-0.1 * gb, rel=1e-6)


def test_delta_rule_multi_output_and_large_inputs():
    X, t = _regression(noise=0.0, seed=2)
    T = np.column_stack([t, -2 * t + 1])
    res = P.train_delta_rule(X, T, lr=0.5, epochs=5000, tol=1e-12)
    assert res.w.shape == (2, 3) and res.b.shape == (2,)
    np.testing.assert_allclose(res.predict(X), T, atol=1e-8)
    # saturated sigmoid units at |sum| ~ 1e4: no overflow warnings (pyproject turns them into errors)
    big = P.train_delta_rule(np.array([[1e4], [-1e4]]), [1.0, 0.0], unit="sigmoid", epochs=3, w0=[1.0])
    assert np.all(np.isfinite(big.history))


def test_delta_rule_divergence_is_reported_not_warned():
    X, t = _regression()
    res = P.train_delta_rule(X * 100, t, lr=10.0, epochs=500)
    assert not res.converged and "diverged" in res.reason


def test_delta_rule_bad_input():
    X, t = _regression(n=10)
    with pytest.raises(ValueError, match=r"X has 10 samples but T has shape \(9,\)"):
        P.train_delta_rule(X, t[:9])
    with pytest.raises(ValueError, match="unit"):
        P.train_delta_rule(X, t, unit="relu")
    with pytest.raises(ValueError, match="mode"):
        P.train_delta_rule(X, t, mode="minibatch")
    with pytest.raises(ValueError, match=r"w0 has shape \(2,\)"):
        P.train_delta_rule(X, t, w0=[1.0, 2.0])
    with pytest.raises(ValueError, match="sigmoid"):
        P.train_delta_rule(X, t * 10, unit="sigmoid")
    bad = t.copy()
    bad[4] = np.inf
    with pytest.raises(ValueError, match="T contains a non-finite value"):
        P.train_delta_rule(X, bad)
