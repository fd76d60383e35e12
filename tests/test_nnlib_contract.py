"""The examples of issue 23, one test each: sizes against one memory budget, bounded loops a caller can raise,
no string ever evaluated, checks on the public names that had none, and two accuracy fixes.

The automatic fuzz of the whole public API is tests/test_fuzz_public_api.py; this file pins what the issue
listed, with the exact error type and the words a reader needs (the argument and what it would cost).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nnlib import activations as A  # noqa: E402
from nnlib import autodiff, claims, data, diagrams, init, layers, losses, optim, perceptron, plotting, symbolic  # noqa: E402
from nnlib._checks import MAX_COUNT, MEMORY_BUDGET, LimitError  # noqa: E402
from nnlib.network import MLP  # noqa: E402

# The size budgets every public function enforces, and the error they raise, live in nnlib._checks
# (tests/test_structure.py).
WHITE_BOX = ("nnlib._checks",)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --- sizes: multiplied out against one budget before anything is allocated -------------------------------

@pytest.mark.parametrize("call,names", [
    (lambda: MLP([3, 40000, 40000, 3], "relu", "mse"), r"MLP\(sizes=\[3, 40000, 40000, 3\]\)"),
    (lambda: data.two_moons(n=2**30), r"n=1073741824 samples"),
    (lambda: A.PReLU(size=2**30), r"size=1073741824"),
    (lambda: plotting.plot_activation("relu", n=2**30), r"n=1,073,741,824"),
    (lambda: diagrams.draw_neuron(n_inputs=10**12), r"n_inputs=1,000,000,000,000"),
    (lambda: diagrams.sigmoid_step_pieces(np.sin, 0, 1, M=10**12), r"M=1,000,000,000,000"),
    (lambda: diagrams.draw_network([5000, 5000, 2], max_neurons=10**12), r"max_neurons=1,000,000,000,000"),
    (lambda: diagrams.draw_network([100] * 50, max_neurons=100), r"edges drawn for sizes"),
    (lambda: claims.vec("w", 10**12), r"n=1,000,000,000,000"),
])
def test_a_size_beyond_the_budget_is_refused_before_allocating(call, names):
    with pytest.raises(LimitError, match=names) as info:
        call()
    assert isinstance(info.value, ValueError)  # except ValueError still catches it
    assert "limit" in str(info.value)


def test_the_budget_error_says_how_many_bytes():
    with pytest.raises(LimitError) as info:
        MLP([3, 40000, 40000, 3], "relu", "mse")
    n_params = 40000 * 4 + 40000 * 40001 + 3 * 40001
    assert f"{2 * 8 * n_params:,} bytes" in str(info.value)
    assert f"{MEMORY_BUDGET:,} bytes" in str(info.value)


def test_the_caller_may_raise_or_lower_the_budget_of_a_network():
    sizes = [3, 300, 3]
    need = 2 * 8 * (300 * 4 + 3 * 301)
    with pytest.raises(LimitError, match="MLP"):
        MLP(sizes, "relu", "mse", budget=need - 1)
    net = MLP(sizes, "relu", "mse", budget=need)
    assert net.parameter_count() == need // 16


def test_float32_halves_the_bytes_of_a_network():
    sizes = [3, 300, 3]
    need64 = 2 * 8 * (300 * 4 + 3 * 301)
    MLP(sizes, "relu", "mse", dtype=np.float32, budget=need64 // 2)


# --- loop counts: an upper bound, raised explicitly by the caller ---------------------------------------------

def _xor():
    return data.truth_table("xor")


@pytest.mark.parametrize("call,name", [
    (lambda: MLP([2, 2, 1], ["tanh", "sigmoid"], "bce").fit(*_xor(), epochs=10**12), "epochs"),
    (lambda: perceptron.train_perceptron(*_xor(), max_epochs=10**12), "max_epochs"),
    (lambda: perceptron.train_delta_rule(*_xor(), epochs=10**12, tol=0), "epochs"),
    (lambda: symbolic.verify("relu_derivative", n_points=10**12), "n_points"),
])
def test_a_count_beyond_the_limit_is_refused_with_the_keyword_that_raises_it(call, name):
    with pytest.raises(LimitError, match=rf"{name}=1,000,000,000,000 is more than the limit"):
        call()


def test_limit_raises_the_bound_and_the_loop_then_runs():
    X, y = _xor()
    with pytest.raises(LimitError):
        perceptron.train_perceptron(X, y, max_epochs=MAX_COUNT + 1)
    run = perceptron.train_perceptron(X, y, max_epochs=MAX_COUNT + 1, limit=MAX_COUNT + 1)
    assert not run.converged  # XOR: stops when the weights repeat, long before the bound
    net = MLP([2, 2, 1], ["tanh", "sigmoid"], "bce", rng=0)
    with pytest.raises(LimitError, match="epochs=3"):
        net.fit(X, y, epochs=3, limit=2)
    assert len(net.fit(X, y, epochs=3, limit=3).loss) == 3


# --- strings are names, never code ----------------------------------------------------------------------------

@pytest.mark.parametrize("builder", [symbolic.hard_tanh, symbolic.sigmoid, symbolic.relu, symbolic.softplus,
                                     lambda s: symbolic.softmax([s, "x"]), lambda s: symbolic.bce(s, "p"),
                                     lambda s: symbolic.leaky_relu("x", gamma=s), lambda s: claims.vec(s, 2)])
def test_a_string_of_code_is_refused_and_never_runs(builder, tmp_path):
    marker = tmp_path / "ran"
    code = f"__import__('pathlib').Path({str(marker)!r}).write_text('x')"
    with pytest.raises(ValueError, match="plain identifier"):
        builder(code)
    assert not marker.exists()


def test_compare_numerically_refuses_strings_it_would_lambdify(tmp_path):
    marker = tmp_path / "ran"
    code = f"__import__('pathlib').Path({str(marker)!r}).write_text('x')"
    x = symbolic.expr("x")
    with pytest.raises(TypeError, match="never strings"):
        symbolic.compare_numerically(code, x, [x])
    assert not marker.exists()


def test_a_symbol_name_is_still_a_symbol():
    x = symbolic.expr("x")
    assert symbolic.hard_tanh("x") == symbolic.hard_tanh(x)
    assert symbolic.verify(symbolic.Claim("t", symbolic.hard_tanh("x"), symbolic.hard_tanh(x))).proved


# --- public names that had no checks ----------------------------------------------------------------------------

def test_textbook_f_converts_integer_input_instead_of_truncating():
    prelu = A.get("prelu")
    np.testing.assert_allclose(prelu.f(np.array([-4, 2])), [-1.0, 2.0])  # gamma 0.25, not 0
    np.testing.assert_allclose(A.get("sigmoid").f(np.array([0, 200], dtype=np.uint8)), [0.5, 1 / (1 + np.exp(-200.0))])
    np.testing.assert_allclose(A.get("relu").df(np.array([-1, 2]), np.array([0, 2])), [0.0, 1.0])


def test_textbook_f_and_df_name_their_bad_arguments():
    with pytest.raises(TypeError, match="z must be"):
        A.get("tanh").f("nope")
    with pytest.raises(ValueError, match="a has shape"):
        A.get("tanh").df(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="PReLU was built with size=3"):
        A.PReLU(size=3).f(np.ones((2, 4)))


def test_claims_has_all_and_an_unknown_claim_is_a_value_error():
    assert "claim" in claims.__all__ and "registry" in claims.__all__
    with pytest.raises(ValueError, match="unknown claim 'nope'"):
        claims.claim("nope")
    with pytest.raises(ValueError, match="did you mean 'relu_derivative'"):
        claims.claim("relu_derivativ")


def test_dense_refuses_float16():
    with pytest.raises(TypeError, match="float32 or float64"):
        layers.Dense(np.ones((2, 3)), np.zeros(2), dtype=np.float16)


def test_sgd_step_refuses_a_nan_parameter_and_changes_nothing():
    W = np.ones((2, 3))
    W[1, 2] = np.nan
    b = np.zeros(2)
    with pytest.raises(ValueError, match=r"params\[0\]\['W'\] contains a non-finite value \(nan\) at index \(1, 2\)"):
        optim.SGD(0.1).step([{"W": W, "b": b}], [{"W": np.ones((2, 3)), "b": np.ones(2)}])
    assert (b == 0).all()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0, True, 1j])
def test_target_variance_checks_its_keywords(bad):
    with pytest.raises((TypeError, ValueError), match="std"):
        init.target_variance("normal", 3, 2, std=bad)


def test_target_variance_refuses_unknown_keywords():
    with pytest.raises(TypeError, match="unknown argument"):
        init.target_variance("normal", 3, 2, sd=0.1)
    assert init.target_variance("normal", 3, 2, std=0.1) == pytest.approx(0.01)


def test_value_division_by_a_subnormal_is_a_clear_overflow_error():
    with pytest.raises(autodiff.FloatOverflowError, match="'/' of"):
        autodiff.Value(1.0) / 1e-320
    q = autodiff.Value(1e-300) / 1e-10  # the local derivative −a/b² no longer underflows b² to 0
    q.backward()
    assert np.isfinite(q.data)
    with pytest.raises(ValueError, match="division by a Value equal to 0"):
        autodiff.Value(1.0) / 0.0


def test_plot_and_diagram_helpers_check_their_arguments():
    with pytest.raises(TypeError, match="node must be an nnlib.autodiff.Value"):
        diagrams.node_label(3)
    with pytest.raises(ValueError, match="f\\(t\\) has shape"):
        diagrams.sigmoid_step_pieces(lambda t: t[:2], 0, 1, 4)
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        from nnlib import plotstyle
        plotstyle.legend(None)


def test_loss_base_class_says_what_is_missing():
    with pytest.raises(TypeError, match="value_and_delta"):
        losses.Loss()(np.ones((2, 2)), np.ones((2, 2)))


# --- accuracy ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_softmax_keeps_relative_accuracy_near_zero(dtype):
    z = np.array([[0.0, -11.5], [3.0, -9.0]], dtype=dtype)
    exact = -np.log1p(np.exp(np.array([-11.5, -12.0])))  # log p of the larger entry, float64
    got = A.log_softmax(z)[:, 0].astype(np.float64)
    assert np.all(np.abs(got - exact) <= 4 * np.finfo(dtype).eps * np.abs(exact)), (got, exact)
    lse = A.logsumexp(z).astype(np.float64)
    np.testing.assert_allclose(lse, [0, 3.0] - exact, rtol=4 * np.finfo(dtype).eps)


def test_float32_cce_agrees_with_the_fused_loss_of_the_same_logits():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, 64)
    z = rng.normal(size=(64, 5)).astype(np.float32)
    z[np.arange(64), y] -= 20.0  # confidently wrong (a dropout step does this): p_y ~ 1e-9, below float32's eps
    p = A.softmax(z)
    assert (p[np.arange(64), y] < np.finfo(np.float32).eps).all() and (p[np.arange(64), y] > 1e-12).all()
    public = losses.get("cce")(p, y)
    fused = losses.get("softmax_ce")(z, y)
    assert public == pytest.approx(fused, rel=1e-6)


def test_a_batch_whose_caches_exceed_the_budget_is_refused_before_the_forward_pass():
    net = MLP([2, 4096, 2], "relu", "mse", rng=0, budget=2**20 * 8)
    X = np.zeros((2000, 2))  # 2000 rows x 4098 units x 2 caches x 8 bytes = 131 MB > 8 MiB
    with pytest.raises(LimitError, match=r"X of 2,000 rows through layers of widths \[4096, 2\]"):
        net.predict(X)
    assert net.predict(X[:100]).shape == (100, 2)
