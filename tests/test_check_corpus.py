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

HW6_SPLIT = "def split_by_group(groups, n_val, n_test, rng):\n"
HW6_ROW_SPLIT = ("    order = rng.permutation(len(groups))\n"
                 "    return np.sort(order[n_test + n_val:]), np.sort(order[n_test:n_test + n_val]), np.sort(order[:n_test])\n")
HW6_DROPOUT = "def dropout_forward(a, p, rng):\n"
HW6_STOP = "def early_stopping_epoch(val_losses, patience):\n"
HW6_SHIFT = "def shift_images(images, dx, dy):\n"
# placeholders of the right types and shapes for every function of hw6 (a return before the solution)
HW6_STUBS = [
    ("answer_1a", HW6_SPLIT, "    return np.arange(len(groups)), np.zeros(0, dtype=int), np.zeros(0, dtype=int)\n"),
    ("answer_2", "def l2_penalty_and_grad(params, lam):\n",
     "    return 0.0, [{'W': np.zeros_like(p['W']), 'b': np.zeros_like(p['b'])} for p in params]\n"),
    ("answer_3a", HW6_DROPOUT, "    return np.zeros_like(a), np.zeros_like(a)\n"),
    ("answer_3b", "def dropout_backward(dout, mask):\n", "    return np.zeros_like(dout)\n"),
    ("answer_3c", "def hidden_layer(a_prev, W, b, p, rng, training):\n",
     "    return np.zeros((a_prev.shape[0], W.shape[0]))\n"),
    ("answer_4a", HW6_STOP, "    return len(val_losses), 1\n"),
    ("answer_5a", HW6_SHIFT, "    return np.zeros(images.shape)\n"),
    ("answer_5b", "def augment(X, y, shifts):\n", "    return np.vstack([X] * (len(shifts) + 1)), np.concatenate([y] * (len(shifts) + 1))\n"),
]

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
    # hw6: a penalty without the 1/2 and the gradient that goes with it: consistent, wrong
    ("hw6_generalization", "l2_self_consistent_without_half",
     [("answer_2", "penalty = 0.5 * lam *", "penalty = lam *"), ("answer_2", '"W": lam * p["W"]', '"W": 2 * lam * p["W"]')],
     {"test_2a", "test_2b"}),
    ("hw6_generalization", "split_by_rows_leaks", ("answer_1a", HW6_SPLIT, HW6_SPLIT + HW6_ROW_SPLIT), {"test_1a"}),
    # a mask that drops nothing: 3a loses, and 3c built on it is no glue to compare with
    ("hw6_generalization", "dropout_drops_nothing",
     ("answer_3a", HW6_DROPOUT, HW6_DROPOUT + "    return a.copy(), np.ones_like(a)\n"), {"test_3a", "test_3c"}),
    ("hw6_generalization", "dropout_backward_ignores_mask", ("answer_3b", "return dout * mask", "return dout.copy()"),
     {"test_3b"}),
    ("hw6_generalization", "early_stopping_ties_improve",
     ("answer_4a", "val_losses[epoch - 1] < val_losses[best - 1]", "val_losses[epoch - 1] <= val_losses[best - 1]"),
     {"test_4a"}),
    ("hw6_generalization", "early_stopping_argmin",
     ("answer_4a", HW6_STOP, HW6_STOP + "    return len(val_losses), int(np.argmin(val_losses)) + 1\n"), {"test_4a"}),
    ("hw6_generalization", "shift_changes_nothing",
     ("answer_5a", HW6_SHIFT, HW6_SHIFT + "    return images.astype(float).copy()\n"), {"test_5a", "test_5b"}),
    ("hw6_generalization", "shift_only_first_50",
     [("answer_5a", "out[:, max(dy", "out[:50, max(dy"), ("answer_5a", "src[:, max(-dy", "src[:50, max(-dy")], {"test_5a"}),
    ("hw6_generalization", "zero_stubs", [(cell, head, head + body) for cell, head, body in HW6_STUBS],
     {"test_1a", "test_2a", "test_2b", "test_3a", "test_3b", "test_3c", "test_4a", "test_5a", "test_5b"}),
]


def _replace(hw, edits):
    nb = S.load_nb("solutions", hw)
    out = {}
    for cell_id, old, new in edits if isinstance(edits, list) else [edits]:
        source = out.get(cell_id) or next(c.source for c in nb.cells if S.meta(c).get("grade_id") == cell_id)
        assert source.count(old) == 1, f"{hw}/{cell_id}: {old!r} must occur once"
        out[cell_id] = source.replace(old, new)
    return out


# (attack, test cell): the fraction of the cell's points its passing sub-checks still earn
PARTIAL = {("self_consistent_dense", "test-dense-backward"): 0.5,
           ("self_consistent_dense_db", "test-dense-backward"): 0.5}


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
        # A part split into sub-checks (partial credit) keeps the share its untouched sub-checks earn: both
        # dense attacks break dW/db only, so "da_prev" of test-dense-backward still earns its half.
        kept = sum(pts[g] * (verdicts[g].credit or 0.0) for g in attacked)
        assert kept == sum(pts[g] * PARTIAL.get((name, g), 0.0) for g in attacked), (name, seed, kept)
        assert score == total - sum(pts[g] for g in attacked) + kept
