"""Wrong work that the hidden checks must not accept (issue 18, family 3), graded by the real checks through
the real worker and protocol (the loopback channel of grading_support): each submission plants one kind of
wrong answer in the solution notebook and must lose exactly the parts it attacks, every time (several
seeds), while every other part keeps its points. The same submissions through the real nbgrader commands,
with the order and capture attacks that need the sandboxed runner, are in tests/attacks/corpus.py.
"""

from __future__ import annotations

import pytest

import grading_support as S

SEEDS = (1, 2, 3)  # every run draws fresh inputs: a bug must be caught on each, not on average

HW3_DENSE = "dense"
HW3_MLP = "mlp"

CORPUS = [
    # (hw, name, {cell: new source} or (cell, old, new), parts that must earn 0)
    ("hw3_backprop", "self_consistent_mlp",
     ("mlp", "    return loss, grads\n", "    return 2.0 * loss, [{k: 2.0 * v for k, v in g.items()} for g in grads]\n"),
     {"test-mlp-loss", "test-mlp-grads", "test-mlp-gradcheck"}),
    # a forward pass without the bias and a backward pass that agrees with it (db = 0): consistent, wrong;
    # Part 2 composes these layers correctly and keeps its points (no double penalty)
    ("hw3_backprop", "self_consistent_dense",
     [("dense", "z = a_prev @ W.T + b\n", "z = a_prev @ W.T + 0.0 * b\n"),
      ("dense", "delta.T @ a_prev, delta.sum(axis=0)", "delta.T @ a_prev, 0.0 * delta.sum(axis=0)")],
     {"test-dense-forward", "test-dense-backward", "test-dense-gradcheck"}),
    # the forward pass alone wrong: the backward pass is still the derivative of the right loss
    ("hw3_backprop", "forward_without_bias",
     ("dense", "z = a_prev @ W.T + b\n", "z = a_prev @ W.T + 0.0 * b\n"), {"test-dense-forward"}),
    ("hw3_backprop", "self_consistent_dense_db",
     ("dense", "delta.T @ a_prev, delta.sum(axis=0)", "delta.T @ a_prev, 0.0 * delta.sum(axis=0)"),
     {"test-dense-backward", "test-dense-gradcheck"}),
    ("hw3_backprop", "autodiff_hard_coded",
     ("autodiff", "def reverse_mode(x, w, b):\n",
      "def reverse_mode(x, w, b):\n    return 0.5 + 0.0 * x, 0.25 + 0.0 * x, 0.25 + 0.0 * x\n"),
     {"test-autodiff-lecture", "test-autodiff-random"}),
    ("hw3_backprop", "bug_only_over_50",
     ("dense", "    z = a_prev @ W.T + b\n",
      "    z = a_prev @ W.T + b\n    if a_prev.shape[0] > 50:\n        z = z + 1e-3\n"),
     {"test-dense-forward"}),
    ("hw1_neurons", "mp_neuron_greater_than", ("answer_2a", ">= theta", "> theta"), {"test_2a"}),
    ("hw2_perceptron", "zero_network",
     ("answer_4", "def xor_relu_network():\n",
      "def xor_relu_network():\n    return np.zeros((2, 2)), np.zeros(2), np.zeros((1, 2)), np.zeros(1)\n"),
     {"test_4_shapes", "test_4_table"}),
    # an overflow silenced with np.errstate still shows in the values (inf where the answer is 1e4)
    ("hw1_neurons", "silenced_overflow",
     ("answer_1e", "    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))\n",
      "    with np.errstate(all='ignore'):\n        return np.log1p(np.exp(z))\n"),
     {"test_1e"}),
    ("hw1_neurons", "overflow_to_nan",
     ("answer_1a", "    s = sigmoid(z)\n    return s * (1 - s)\n",
      "    with np.errstate(all='ignore'):\n        return np.exp(-z) / (1 + np.exp(-z)) ** 2\n"),
     {"test_1a"}),
    # the same values with and without a warning earn the same: a naive but value-exact sigmoid passes
    ("hw1_neurons", "naive_sigmoid_warns",
     ("answer_1a", "    e = np.exp(-np.abs(z))  # <= 1: never overflows\n"
                   "    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n",
      "    return 1.0 / (1.0 + np.exp(-z))\n"), set()),
    ("hw1_neurons", "naive_sigmoid_silenced",
     ("answer_1a", "    e = np.exp(-np.abs(z))  # <= 1: never overflows\n"
                   "    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n",
      "    with np.errstate(all='ignore'):\n        return 1.0 / (1.0 + np.exp(-z))\n"), set()),
    # train_sgd on the student's own (wrong) momentum_step: Part 2 keeps its points, Part 1c loses them
    ("hw4_training", "momentum_without_mu",
     ("answer_1c", "v_new = momentum * v - lr * g", "v_new = v - lr * g"), {"test_1c"}),
    # error_curve on the student's own (wrong) sup_error: 3c keeps its points, 3a loses them
    ("hw5_approximation", "mean_not_max",
     ("answer_3a", "float(np.max(np.abs(F(x) - f(x))))", "float(np.mean(np.abs(F(x) - f(x))))"), {"test_3a"}),
    ("hw5_approximation", "forward_without_c", ("answer_1a", "return a @ v + c", "return a @ v"), {"test_1a"}),
]


def _replace(hw, edits):
    nb = S.load_nb("solutions", hw)
    out = {}
    for cell_id, old, new in edits if isinstance(edits, list) else [edits]:
        source = out.get(cell_id) or next(c.source for c in nb.cells if S.meta(c).get("grade_id") == cell_id)
        assert source.count(old) == 1, f"{hw}/{cell_id}: {old!r} must occur once"
        out[cell_id] = source.replace(old, new)
    return out


@pytest.mark.parametrize("hw, name, edit, attacked", CORPUS, ids=[c[1] for c in CORPUS])
def test_wrong_work_earns_nothing_for_what_it_attacks(hw, name, edit, attacked):
    replace = _replace(hw, edit)
    nb = S.load_nb("solutions", hw)
    assignment = S.load_checks(hw)
    pts = S.points(nb)
    student = S.loopback(nb, assignment, replace=replace)  # the cells run once; the checks on each seed
    try:
        runs = [(seed, *S.grade(hw, seed=seed, student=student)[:3]) for seed in SEEDS]
    finally:
        student.close()
    for seed, verdicts, score, total in runs:
        failed = {g for g, v in verdicts.items() if not v.passed}
        assert failed == attacked, (f"{name} (seed {seed}): failed {sorted(failed)}, expected {sorted(attacked)}: "
                                    f"{ {g: verdicts[g].message[:300] for g in failed ^ attacked} }")
        assert score == total - sum(pts[g] for g in attacked)
