"""Realistic honest mistakes, graded by the hidden checks: each loses exactly the points of the part(s) that
grade the function it is in, with a message that names the part and says what and where; an equivalent
SymPy form earns full credit, a wrong one loses that part only.

Every mistake is planted in the instructor notebook (one answer cell edited) and graded with the in-process
test double of the Student protocol (grading_support.py), with fresh random inputs each run."""

from __future__ import annotations

import re

import pytest

import grading_support as S

pytestmark = pytest.mark.slow  # each case grades a whole notebook (a few seconds; SymPy equivalence in hw3)

# (hw, answer cell, text in the solution, replacement, grade_ids that must fail, text the first message contains)
MISTAKES = [
    # --- the list ---
    ("hw1_neurons", "answer_1b", "return 1.0 - t**2", "return 1.0 - t", {"test_1b"}, "first mismatch at index"),
    ("hw2_perceptron", "answer_1b", "return W + eta * delta.T @ X / N, b + eta * delta.mean(axis=0)",
     "return W + eta * delta.T @ X, b + eta * delta.sum(axis=0)", {"test_1b"}, "new W] first mismatch"),
    ("hw2_perceptron", "answer_2b", "w = w + eta * (t_k - z_k) * x_k", "w = w - eta * (t_k - z_k) * x_k", {"test_2b"},
     "2b train_sign_perceptron (AND): mistakes per epoch"),
    ("hw3_backprop", "dense", "delta.T @ a_prev, delta.sum(axis=0)", "a_prev.T @ delta, delta.sum(axis=0)",
     {"test-dense-backward", "test-dense-gradcheck"}, "dW] wrong shape: got (2, 1), expected (1, 2)"),
    ("hw3_backprop", "dense", "delta.T @ a_prev, delta.sum(axis=0)", "delta.T @ a_prev, delta",
     {"test-dense-backward", "test-dense-gradcheck"}, "db] wrong shape"),
    ("hw3_backprop", "mlp", "for l in range(L - 1, -1, -1):", "for l in range(L - 1, 0, -1):",
     {"test-mlp-grads", "test-mlp-gradcheck"}, "layer 1: expected a dict"),
    ("hw3_backprop", "mlp", "delta = (a - Y) / N", "delta = (a - Y)", {"test-mlp-grads", "test-mlp-gradcheck"},
     "first mismatch"),
    ("hw3_backprop", "bp-by-hand", "delta_h1 = delta_out * v1 * h1 * (1 - h1)", "delta_h1 = delta_out * v1",
     {"test-bp-hidden"}, "[3b delta_h1] not equivalent"),
    ("hw3_backprop", "bp-by-hand", "delta_out = -(t - y) * y * (1 - y)\ndE_dv1 = delta_out * h1",
     "delta_out = y**2 * (1 - y) - t * y * (1 - y)\ndE_dv1 = delta_out / (1 + sp.exp(-(w11 * x1 + w12 * x2 + th1)))",
     set(), None),
    # an exception inside the student's function is reported with the part and the argument shapes; Part 2,
    # which calls it, fails too: the grader never swaps a student's function for its own inside the sandbox
    ("hw3_backprop", "dense", "z = a_prev @ W.T + b", "z = a_prev @ W + b",
     {"test-dense-forward", "test-dense-backward", "test-dense-gradcheck", "test-mlp-loss", "test-mlp-grads",
      "test-mlp-gradcheck"},
     "[1a dense_forward (a_prev (1, 2), W (1, 2), b (1,))] your dense_forward raised ValueError("),
    # --- one mistake per autograded part ---
    ("hw1_neurons", "answer_1a", "return s * (1 - s)", "return s", {"test_1a"}, "[1a sigmoid_prime] first mismatch"),
    # overflow is judged from the values: this sigmoid warns at z = -1e4 but returns exactly 0 there
    ("hw1_neurons", "answer_1a", "    e = np.exp(-np.abs(z))  # <= 1: never overflows\n"
     "    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))", "    return 1 / (1 + np.exp(-z))",
     set(), None),
    ("hw1_neurons", "answer_1c", "return (z > 0).astype(float)", "return (z >= 0).astype(float)", {"test_1c"},
     "z["),
    ("hw1_neurons", "answer_1c", "return (z > 0).astype(float)", "return (z > 0)", {"test_1c"},
     "expected a float array, got dtype bool"),
    ("hw1_neurons", "answer_1d", "1.0, gamma * np.exp(np.minimum(z, 0.0)))", "1.0, np.exp(np.minimum(z, 0.0)))",
     {"test_1d"}, "[1d elu_prime] first mismatch"),
    ("hw1_neurons", "answer_1d", "return np.where(z > 0, z, gamma * np.expm1(zn))",
     "return np.where(z > 0, z, gamma * np.expm1(z))", set(), None),   # the overflowing branch is discarded
    ("hw1_neurons", "answer_1e", "return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))",
     "return np.log1p(np.exp(z))", {"test_1e"}, "NaN/inf where finite values were expected"),
    ("hw1_neurons", "answer_2a", "    if inhibitory is not None:\n", "    if False:\n", {"test_2a"},
     "columns 5-6 are inhibitory inputs)] row"),
    ("hw1_neurons", "answer_2a", "return fire.astype(int)", "return fire.astype(int).tolist()", {"test_2a"},
     "got a list of length 8"),
    ("hw1_neurons", "answer_2b", "return tuple(w), 3.0", "return tuple(w), 2.0", {"test_2b"},
     "row 3 of the truth table is wrong: inputs (0.0, 1.0, 1.0) gave 1, expected 0"),
    ("hw1_neurons", "answer_2c", "return (1.0, 1.0), 1.0", "return (1.0, 1.0), 2.0", {"test_2c"}, "row 1"),
    ("hw1_neurons", "answer_3a", "return s + beta * x * s * (1 - s)", "return s + x * s * (1 - s)", {"test_3a"},
     "[3a swish'] not equivalent"),
    ("hw1_neurons", "answer_3b", "return Phi + x * phi", "return Phi + phi", {"test_3b"}, "[3b GELU'] not equivalent"),
    ("hw1_neurons", "answer_3b", "return Phi + x * phi", "return sp.Derivative(x * Phi, x)", {"test_3b"},
     "unevaluated Derivative"),
    ("hw2_perceptron", "answer_1b", "delta = z * (1.0 - z) * (T - z)", "delta = T - z", {"test_1b"}, "did you forget"),
    ("hw2_perceptron", "answer_2a", "X @ w + b >= 0", "X @ w + b > 0", {"test_2a"}, "(where row 0 of X)"),
    ("hw2_perceptron", "answer_2b", "                b = b + eta * (t_k - z_k)\n        history", "        history",
     {"test_2b"}, "2b train_sign_perceptron"),
    ("hw2_perceptron", "answer_2c", "eta, w0, b0 = 0.5,", "eta, w0, b0 = -0.5,", {"test_2c"}, "eta must be a number > 0"),
    ("hw2_perceptron", "answer_3a", "            return False, epoch\n", "            return False, epoch + 1\n",
     {"test_3a"}, "3a detect_cycle (XOR"),
    ("hw2_perceptron", "answer_4", "np.array([[1.0, -2.0]])", "np.array([[1.0, -1.0]])", {"test_4_table"},
     "row 3 of the truth table is wrong"),
    ("hw2_perceptron", "answer_4", "b2 = np.array([0.0])", "b2 = 0.0", {"test_4_shapes", "test_4_table"},
     "[4 xor_relu_network: b2] must be a float array of shape (1,), got the float 0.0"),
    # the backward pass is still the derivative of the right loss (1c), and Part 2 composes this layer correctly
    ("hw3_backprop", "dense", "z = a_prev @ W.T + b", "z = a_prev @ W.T", {"test-dense-forward"},
     "1a dense_forward"),
    ("hw3_backprop", "mlp", "    e = np.exp(-np.abs(z))\n    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
     "    return 1 / (1 + np.exp(-z))", set(), None),   # values exact: a warning alone costs nothing
    ("hw3_backprop", "mlp", "    e = np.exp(-np.abs(z))\n    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
     "    return np.exp(z) / (1 + np.exp(z))", {"test-mlp-loss"}, "NaN/inf where finite values were expected"),
    # the gradients are still those of the right loss: only the loss's own part is lost
    ("hw3_backprop", "mlp", "loss = 0.5 * float(((a - Y) ** 2).sum()) / N", "loss = 0.5 * float(((a - Y) ** 2).sum())",
     {"test-mlp-loss"}, "2a loss"),
    ("hw3_backprop", "bp-by-hand", "delta_out = -(t - y) * y * (1 - y)", "delta_out = -(t - y)",
     {"test-bp-output", "test-bp-hidden"}, "[3a delta_out] not equivalent"),   # delta_h1 is built on delta_out
    ("hw3_backprop", "autodiff", "g2 = g3 * -1.0 ", "g2 = g3 ", {"test-autodiff-lecture", "test-autodiff-random"},
     "df_dw"),
    ("hw4_training", "answer_1a", "order = rng.permutation(N)", "order = np.arange(N)", {"test_1a"}, "not shuffled"),
    ("hw4_training", "answer_1b", "if key == \"W\" else g_l[key]", "if True else g_l[key]", {"test_1b"}, "layer 1 b"),
    ("hw4_training", "answer_1c", "v_new = momentum * v - lr * g", "v_new = v - lr * g", {"test_1c"}, "(step 2"),
    ("hw4_training", "answer_2", "losses.append(forward_backward(params, X, y, act)[0])",
     "losses.append(forward_backward(params, X[:1], y[:1], act)[0])", {"test_2", "test_2_momentum"},
     "losses per epoch"),
    ("hw4_training", "answer_3a", "np.sqrt(6.0 / (m_in + m_out))", "np.sqrt(6.0 / m_in)", {"test_3a"}, "xavier"),
    ("hw4_training", "answer_4a", "np.linalg.norm(g[\"W\"])", "np.linalg.norm(p[\"W\"])", {"test_4a"}, "4a gradient_norms"),
    ("hw4_training", "answer_7a", "std = np.where(std > 0, std, 1.0)", "std = np.ones_like(std)", {"test_7a"},
     "X_train] first mismatch"),
    ("hw4_training", "answer_7b", "\"lr\": 0.05", "\"lr\": 1e-5", {"test_7b"}, "[7b digits_config: test accuracy]"),
    # a redefined provided helper is not trusted: the accuracy is computed by the grader
    ("hw4_training", "answer_7b", "    return {\"hidden\": [64], \"act\": \"tanh\", \"lr\": 0.05,",
     "    globals()['accuracy'] = lambda *a, **k: 1.0\n    return {\"hidden\": [64], \"act\": \"tanh\", \"lr\": 1e-5,",
     {"test_7b"}, "test accuracy"),
    # so is a redefined forward_backward: train_sgd uses it and is compared with the grader's reference
    ("hw4_training", "answer_2", "def train_sgd(", "def forward_backward(params, X, y, act):\n"
     "    return 0.0, [{k: np.zeros_like(v) for k, v in p.items()} for p in params]\n\n\ndef train_sgd(",
     {"test_2", "test_2_momentum", "test_4a"}, "losses per epoch"),
    # a correct standardize that warns (0/0 in the branch np.where discards) earns full credit
    ("hw4_training", "answer_7a", "    std = np.where(std > 0, std, 1.0)\n    return (X_train - mean) / std, (X_test - mean) / std",
     "    return (np.where(std > 0, (X_train - mean) / std, 0.0),\n"
     "            np.where(std > 0, (X_test - mean) / std, X_test - mean))", set(), None),
    ("hw5_approximation", "answer_1a", "return a @ v + c", "return a @ v", {"test_1a"}, "first mismatch"),
    ("hw5_approximation", "answer_1a", "a = 0.5 * (1.0 + np.tanh(0.5 * z))", "a = 1 / (1 + np.exp(-z))", set(),
     None),   # warns at |z| = 1e4 but every value is exact
    ("hw5_approximation", "answer_1a", "a = 0.5 * (1.0 + np.tanh(0.5 * z))", "a = np.exp(z) / (1 + np.exp(z))",
     {"test_1a"}, "NaN/inf where finite values were expected"),
    ("hw5_approximation", "answer_1b", "s = 0.5 * (t[:-1] + t[1:])", "s = t[1:]", {"test_1b"}, "exceeds"),
    ("hw5_approximation", "answer_1b", "w = np.full(M, beta_h / h)", "w = np.full(M, beta_h)",
     {"test_1b", "test_1b_rate"}, "slope"),
    ("hw5_approximation", "answer_2a", "np.array([1.0, -2.0, 1.0]) / h", "np.array([1.0, -1.0, 1.0]) / h", {"test_2a"},
     "hat(x) on [t - 3h, t + 3h]] first mismatch"),
    ("hw5_approximation", "answer_2b", "v = np.concatenate([slopes[:1], np.diff(slopes)])", "v = slopes",
     {"test_2b", "test_2b_rate"}, "F at the knots"),
    ("hw5_approximation", "answer_3a", "float(np.max(np.abs(F(x) - f(x))))", "float(np.mean(np.abs(F(x) - f(x))))",
     {"test_3a"}, "3a sup_error"),
    ("hw5_approximation", "answer_3b", "np.log(np.asarray(errors, dtype=float))", "np.asarray(errors, dtype=float)",
     {"test_3b"}, "3b loglog_slope"),
    ("hw5_approximation", "answer_3c", "v, w, b, c = build(f, M)", "v, w, b, c = build(f, Ms[0])", {"test_3c"},
     "3c error_curve"),
    # equivalent SymPy forms: full credit
    # --- hw6: each mistake costs its own part; 3c and 5b keep their points on the student's own 3a and 5a ---
    ("hw6_generalization", "answer_1a", "rows[~in_test & ~in_val], rows[in_val], rows[in_test]",
     "rows[~in_test & ~in_val], rows[in_test], rows[in_val]", {"test_1a"}, "[1a split_by_group"),
    ("hw6_generalization", "answer_2", "penalty = 0.5 * lam *", "penalty = lam *", {"test_2a"},
     "[2a l2_penalty_and_grad: penalty"),
    ("hw6_generalization", "answer_2", 'np.zeros_like(p["b"], dtype=float)', 'lam * p["b"]', {"test_2b"},
     "parameter 'b'"),
    ("hw6_generalization", "answer_3a", "mask = keep / (1.0 - p)", "mask = keep.astype(float)", {"test_3a"},
     "[3a dropout_forward"),
    ("hw6_generalization", "answer_3c", "[0] if training else a", "[0] if training else a * (1 - p)", {"test_3c"},
     "[3c hidden_layer (evaluation"),
    ("hw6_generalization", "answer_4a", "elif epoch - best >= patience:", "elif epoch - best > patience:", {"test_4a"},
     "[4a early_stopping_epoch"),
    ("hw6_generalization", "answer_5a", "    src = images.reshape(-1, 8, 8)\n",
     "    return np.roll(images.reshape(-1, 8, 8), (dy, dx), axis=(1, 2)).reshape(-1, 64).astype(float)\n",
     {"test_5a"}, "no wrap-around"),
    ("hw6_generalization", "answer_5b", "np.concatenate([y] * (len(shifts) + 1))", "np.concatenate([y] * len(shifts))",
     {"test_5b"}, "y_aug"),
    ("hw1_neurons", "answer_3a", "return s + beta * x * s * (1 - s)",
     "return (1 + sp.exp(-beta * x) + beta * x * sp.exp(-beta * x)) / (1 + sp.exp(-beta * x))**2", set(), None),
    ("hw1_neurons", "answer_3b", "return Phi + x * phi",
     "return sp.erf(sp.sqrt(2) * x / 2) / 2 + sp.Rational(1, 2) + x * sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)",
     set(), None),
]


def _apply(hw, cell_id, old, new):
    nb = S.load_nb("solutions", hw)
    source = next(c.source for c in nb.cells if S.meta(c).get("grade_id") == cell_id)
    assert source.count(old) == 1, f"{hw}/{cell_id}: {old!r} not found once"
    return {cell_id: source.replace(old, new)}


def _part(message: str) -> str:
    return re.match(r"\[([^\] ]+)", message).group(1)


@pytest.mark.parametrize("hw, cell_id, old, new, expected, needle",
                         [m for m in MISTAKES if m[0] in S.GRADED],
                         ids=[f"{m[0][:3]}-{m[1]}-{i}" for i, m in enumerate(MISTAKES) if m[0] in S.GRADED])
def test_honest_mistake_loses_exactly_its_part(hw, cell_id, old, new, expected, needle):
    verdicts, score, total, seed = S.grade(hw, replace=_apply(hw, cell_id, old, new))
    failed = {g for g, v in verdicts.items() if not v.passed}
    messages = {g: verdicts[g].message for g in failed}
    assert failed == expected, f"{hw} (seed {seed}) {new!r}: failed {sorted(failed)}, expected {sorted(expected)}: {messages}"
    pts = S.points(S.load_nb("solutions", hw))
    # A check with parts (partial credit, e.g. hw3's Part 1b) loses only the share of its failed sub-checks.
    assert score == total - sum(pts[g] * (1 - (verdicts[g].credit or 0)) for g in expected)
    for g in failed:
        # the message names the part of the cell it grades: [1b ...] for test_1b, [3b ...] for test-bp-hidden
        assert _part(messages[g])[:1].isdigit(), messages[g]
    if needle:
        assert any(needle in m for m in messages.values()), f"{needle!r} not in {messages}"


HW3_ZERO_STUBS = {
    "dense": "def dense_forward(a_prev, W, b):\n    return np.zeros((a_prev.shape[0], W.shape[0])), (a_prev, W)\n"
             "def dense_backward(delta, cache):\n    a, W = cache\n"
             "    return np.zeros_like(a), np.zeros_like(W), np.zeros(W.shape[0])\n",
    "mlp": "def sigmoid(z):\n    return np.zeros_like(z)\n"
           "def mlp_loss_and_grads(params, X, Y):\n"
           "    return 0.0, [{'W': np.zeros_like(p['W']), 'b': np.zeros_like(p['b'])} for p in params]\n",
    "bp-by-hand": "delta_out = dE_dv1 = delta_h1 = dE_dw12 = sp.Integer(0)\n",
    "autodiff": "def reverse_mode(x, w, b):\n    return np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)\n",
}


@pytest.mark.skipif("hw3_backprop" not in S.GRADED, reason="hw3 checks not written yet")
def test_hw3_zero_stubs_earn_nothing():
    """Zero stubs with the right shapes: a constant loss with zero gradients must not pass a gradient check, and
    Part 2 built on placeholder layers is no glue to compare with."""
    verdicts, score, total, seed = S.grade("hw3_backprop", replace=HW3_ZERO_STUBS)
    passed = sorted(g for g, v in verdicts.items() if v.passed)
    assert score == 0 and not passed, f"seed {seed}: {passed}"
    for part in ("test-dense-gradcheck", "test-mlp-gradcheck"):  # judged against the right loss's derivatives
        assert "yours 0.0, finite differences of the loss" in verdicts[part].message, verdicts[part].message
