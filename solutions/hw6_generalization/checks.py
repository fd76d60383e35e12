"""Hidden checks of homework 6, generalization (trusted: run in the grader process, never in the student's kernel).

Fresh random inputs every run, always with the edge cases the parts announce: groups whose rows are scattered
through the data set (a split by rows leaks), lam = 0, drop probability 0 and 0.9, a single sample and a batch
of more than 50, ties and plateaus in the validation losses, shifts of 0 and of 8 or more pixels. References are
computed here with nnlib (the dropout mask, the dense layer, tanh, finite differences); the split, the early-
stopping rule and the shift are short definitions written out below. The gradient of the L2 penalty and the
backward pass of dropout are judged by finite differences of the RIGHT function computed here, so a consistent
but wrong (value, gradient) pair earns nothing. Parts 3c and 5b use another part's function: their output is
right if it matches the reference, or the same computation done here around the student's own dropout_forward
or shift_images (called with plain inputs), so a mistake is counted once; glue around a placeholder (a mask that
drops nothing, a shift that changes nothing) is refused.
"""

import numpy as np

from ffgrader.checks import (Fail, Rng, call, check, describe, expect_array, expect_equal, expect_scalar, first_match,
                             grad_check)
from ffgrader.visible_tests import array_problem
from nnlib import activations as A
from nnlib import layers as L

NNLIB_ALLOWED = ()
SKIP_CELLS = ("demo_4",)          # the learning-curve demonstration: students run it, grading does not
BY_HAND = {}


def _pair(part, out, what):
    if type(out) not in (tuple, list) or len(out) != 2:
        raise Fail(f"[{part}] expected {what}, got {describe(out)}.")
    return out


def _seed(rng):
    return int(rng.integers(0, 2**62))


# --- Part 1: a split by groups ---------------------------------------------------------------------

def _groups(rng, n_groups, max_rows):
    """Group ids (distinct, not 0..n-1) with 1..max_rows rows each, the rows shuffled through the data set."""
    ids = rng.choice(10 * n_groups + 10, size=n_groups, replace=False)
    sizes = rng.integers(1, max_rows + 1, size=n_groups)
    return rng.permutation(np.repeat(ids, sizes))


def _split_reference(groups, n_val, n_test, seed):
    order = np.random.default_rng(seed).permutation(np.unique(groups))
    test, val = order[:n_test], order[n_test:n_test + n_val]
    rows = np.arange(len(groups))
    in_test, in_val = np.isin(groups, test), np.isin(groups, val)
    return rows[~in_test & ~in_val], rows[in_val], rows[in_test]


def _check_split(student, groups, n_val, n_test, seed):
    n_groups = len(np.unique(groups))
    part = f"1a split_by_group ({len(groups)} rows in {n_groups} groups, n_val={n_val}, n_test={n_test})"
    out = call(student, part, "split_by_group", groups, n_val, n_test, Rng(seed))
    if type(out) not in (tuple, list) or len(out) != 3:
        raise Fail(f"[{part}] expected (train_idx, val_idx, test_idx), got {describe(out)}.")
    names = ("training", "validation", "test")
    for name, idx in zip(names, out):
        if type(idx) is not np.ndarray or idx.ndim != 1 or idx.dtype.kind not in "iu":
            raise Fail(f"[{part}] the {name} indices must be a 1-D integer numpy array, got {describe(idx)}.")
        if idx.size and (idx.min() < 0 or idx.max() >= len(groups)):
            raise Fail(f"[{part}] the {name} indices must be row numbers 0..{len(groups) - 1}, got {int(idx.min())}"
                       f"..{int(idx.max())}.")
        if np.any(np.diff(idx) <= 0):
            raise Fail(f"[{part}] the {name} indices must be in increasing order, each row once.")
    every = np.concatenate(out)
    if len(every) != len(groups) or len(np.unique(every)) != len(groups):
        raise Fail(f"[{part}] every row must be in exactly one of the three sets: the sets hold {len(every)} "
                   f"indices, {len(np.unique(every))} distinct, for {len(groups)} rows.")
    sets = [set(groups[idx].tolist()) for idx in out]
    for i, j in ((0, 1), (0, 2), (1, 2)):
        both = sorted(sets[i] & sets[j])
        if both:
            raise Fail(f"[{part}] leakage: group {both[0]} has rows in the {names[i]} and the {names[j]} set "
                       f"({len(both)} group(s) are split).\nHint: assign whole groups, never single rows")
    expect_equal(part + ": number of groups in (validation, test)", (len(sets[1]), len(sets[2])), (n_val, n_test))
    for name, got, exp in zip(names, out, _split_reference(groups, n_val, n_test, seed)):
        expect_equal(f"{part}: {name} rows", got.tolist(), exp.tolist(),
                     hint="order = rng.permutation(np.unique(groups)); the first n_test groups of order are the test "
                          "set, the next n_val the validation set, the rest the training set")


@check("test_1a")
def _(student, rng):
    n = int(rng.integers(8, 60))
    cases = [(_groups(rng, n, 6), int(rng.integers(1, n // 3 + 1)), int(rng.integers(1, n // 3 + 1))),
             (_groups(rng, 3, 4), 1, 1),                       # one group in each set
             (_groups(rng, int(rng.integers(5, 12)), 1), 0, 2),  # one row per group, no validation set
             (_groups(rng, int(rng.integers(60, 120)), 5), 10, 12)]
    for groups, n_val, n_test in cases:
        _check_split(student, groups, n_val, n_test, _seed(rng))


# --- Part 2: the L2 penalty --------------------------------------------------------------------------

def _net(rng):
    sizes = [int(v) for v in rng.integers(1, 7, size=int(rng.integers(2, 5)))]
    return [{"W": rng.normal(0, 2, size=(m, k)), "b": rng.normal(size=m)} for k, m in zip(sizes[:-1], sizes[1:])]


def _penalty(params, lam):
    return 0.5 * lam * sum(float(np.sum(p["W"] ** 2)) for p in params)


def _l2(student, part, params, lam):
    return _pair(part, call(student, part, "l2_penalty_and_grad", params, lam), "(penalty, grads)")


def _lams(rng):
    return [0.0, float(np.round(rng.uniform(1e-4, 0.1), 5)), float(rng.choice([1.0, 3.5]))]


@check("test_2a")
def _(student, rng):
    for lam in _lams(rng):
        params = _net(rng)
        part = f"2a l2_penalty_and_grad: penalty (lam={lam}, {len(params)} layer(s))"
        penalty = _l2(student, part, params, lam)[0]
        expect_scalar(part, penalty, _penalty(params, lam), rtol=1e-9,
                      hint="(lam / 2) * the sum over layers of the squared entries of W; biases are not penalized")


@check("test_2b")
def _(student, rng):
    for lam in _lams(rng)[1:] + [0.0]:
        params = _net(rng)
        part = f"2b l2_penalty_and_grad: gradients (lam={lam}, {len(params)} layer(s))"
        grads = _l2(student, part, params, lam)[1]
        hint = "the derivative of (lam/2)·sum ||W||² is lam·W for each W and 0 for each b"
        grad_check(part, lambda p: _penalty(p, lam), params, grads, rng=rng, max_entries=40, hint=hint)
        for l, (g, p) in enumerate(zip(grads, params), start=1):
            expect_array(f"{part}: layer {l} W", g["W"], lam * p["W"], hint=hint)
            expect_array(f"{part}: layer {l} b", g["b"], np.zeros_like(p["b"]), hint=hint)


# --- Part 3: inverted dropout ------------------------------------------------------------------------

def _mask(shape, p, seed):
    """The mask of nnlib's inverted dropout for this seed (all ones when nothing is dropped)."""
    if p == 0.0:
        return np.ones(shape)
    return L.dropout_forward(np.ones(shape), p, rng=seed)[1]


def _shapes(rng):
    return [(int(rng.integers(2, 9)),), (1, int(rng.integers(2, 9))),
            (int(rng.integers(51, 120)), int(rng.integers(2, 12))), (2, 3, int(rng.integers(2, 6)))]


def _probs(rng):
    return [0.0, float(np.round(rng.uniform(0.1, 0.6), 3)), 0.5, 0.9]


@check("test_3a")
def _(student, rng):
    for shape, p in zip(_shapes(rng), rng.permutation(_probs(rng))):
        p, seed = float(p), _seed(rng)
        a = rng.normal(size=shape)
        part = f"3a dropout_forward (a of shape {shape}, p={p})"
        out, mask = _pair(part, call(student, part, "dropout_forward", a, p, Rng(seed)), "(out, mask)")
        ref = _mask(shape, p, seed)
        hint = ("u = rng.random(a.shape); the mask is 1/(1-p) where u >= p and 0 elsewhere; out = a * mask "
                "(the mean of out over masks is a)")
        expect_array(part + ": mask", mask, ref, hint=hint)
        expect_array(part + ": out", out, a * ref, hint=hint)


@check("test_3b")
def _(student, rng):
    for shape, p in zip(_shapes(rng), _probs(rng)):
        seed = _seed(rng)
        a, dout, mask = rng.normal(size=shape), rng.normal(size=shape), _mask(shape, p, seed)
        part = f"3b dropout_backward (dout of shape {shape}, p={p})"
        da = call(student, part, "dropout_backward", dout, mask)
        hint = "the forward pass multiplies a by the mask, so dL/da = dout * mask"
        # the right loss: L(a) = sum(dout * out(a)) with this very mask
        grad_check(part, lambda q: float(np.sum(dout * (q["a"] * mask))), {"a": a}, {"a": da}, rng=rng,
                   max_entries=30, hint=hint)
        expect_array(part, da, dout * mask, hint=hint)


def _glue_hidden(student, part, z, p, seed):
    """The reference layer around the student's own dropout_forward: tanh computed here, dropped by theirs."""
    a = A.get("tanh")(z)
    out = call(student, part + " (its dropout_forward)", "dropout_forward", a, p, Rng(seed))
    if type(out) not in (tuple, list) or len(out) != 2 or type(out[0]) is not np.ndarray or out[0].shape != a.shape:
        raise ValueError("dropout_forward gave no usable output")
    dropped = np.asarray(out[0], dtype=float)
    if np.array_equal(dropped, a) or not np.any(dropped):
        raise ValueError("a placeholder dropout_forward (nothing dropped, or all zeros): no glue to compare with")
    return dropped


@check("test_3c")
def _(student, rng):
    for N in (1, int(rng.integers(2, 10)), int(rng.integers(51, 90))):
        Mp, M = int(rng.integers(2, 8)), int(rng.integers(20, 40))
        a_prev, W, b = rng.normal(size=(N, Mp)), rng.normal(size=(M, Mp)), rng.normal(size=M)
        p, seed = float(rng.choice([0.2, 0.5, 0.75])), _seed(rng)
        z = L.dense_forward(a_prev, W, b)[0]
        setting = f"a_prev {a_prev.shape}, W {W.shape}, p={p}"
        part = f"3c hidden_layer (evaluation, {setting})"
        got = call(student, part, "hidden_layer", a_prev, W, b, p, Rng(seed), False)
        expect_array(part, got, A.get("tanh")(z),
                     hint="at evaluation time inverted dropout changes nothing: return tanh(a_prev @ W.T + b) as is")
        part = f"3c hidden_layer (training, {setting})"
        got = call(student, part, "hidden_layer", a_prev, W, b, p, Rng(seed), True)
        found = first_match([lambda: A.get("tanh")(z) * _mask(z.shape, p, seed),
                             lambda: _glue_hidden(student.clean(), part, z, p, seed)],
                            lambda ref: array_problem(got, ref))
        if found:
            raise Fail(f"[{part}] {found}\nHint: a = tanh(a_prev @ W.T + b), then your dropout_forward(a, p, rng) "
                       "(the first thing drawn from rng is the mask)")


# --- Part 4: early stopping ----------------------------------------------------------------------------

def _early_stopping(losses, patience):
    """The rule of nnlib's MLP.fit(early_stopping=patience), epochs counted from 1: a loss improves only if it
    is strictly below the best so far; stop after `patience` epochs in a row without improvement."""
    best = None
    for epoch, loss in enumerate(losses, start=1):
        if best is None or loss < losses[best - 1]:
            best = epoch
        elif epoch - best >= patience:
            return epoch, best
    return len(losses), best


def _loss_cases(rng):
    """Random curves from few distinct values (ties and plateaus on every run) plus the crafted edge cases."""
    cases = []
    for _ in range(25):
        n = int(rng.integers(1, 40))
        trend = np.maximum(0.0, 1.0 - np.arange(n) / rng.integers(3, 20))
        cases.append(((trend + rng.integers(0, 4, size=n) / 4).round(2).tolist(), int(rng.integers(1, 7))))
    k = int(rng.integers(2, 6))
    low = float(np.round(rng.uniform(0.2, 0.6), 2))
    cases += [
        ([low + 0.5, low] + [low] * (k + 2), k),                      # a plateau AT the best value: ties are no improvement
        ([low + 0.5, low] + [low + 0.1] * (k - 1) + [low - 0.01, low + 0.2], k),   # improves on the last allowed epoch
        ([low + 0.5, low] + [low + 0.1] * (k - 1) + [low, low + 0.2] + [low + 0.3] * k, k),   # a tie on that epoch
        ([low + 0.5, low] + [low + 0.1] * k + [low - 0.3], k),        # stops before a lower loss comes
        (sorted(rng.uniform(0.1, 2.0, size=k + 5).tolist(), reverse=True), k),   # improves every epoch: never stops
        ([float(np.round(rng.uniform(0.1, 1), 2))], int(rng.integers(1, 4))),     # a single epoch
        ([0.5, 0.5, 0.5, 0.5], 1),                                    # constant: the first epoch stays the best
        ([low, low - 1e-12, low - 1e-12], 1),                         # any decrease counts, however small
        (rng.uniform(0.1, 1.0, size=5).tolist(), 10),                 # patience longer than the run
    ]
    return cases


@check("test_4a")
def _(student, rng):
    for i, (losses, patience) in enumerate(_loss_cases(rng)):
        shown = losses if len(losses) <= 12 else losses[:12] + ["..."]
        part = f"4a early_stopping_epoch (val_losses={shown}, patience={patience})"
        arg = np.array(losses) if i % 2 else losses          # a list or a numpy array, as the part announces
        got = call(student, part, "early_stopping_epoch", arg, patience)
        expect_equal(part, got, _early_stopping(losses, patience),
                     hint="(stop_epoch, best_epoch) counted from 1; a loss equal to the best is no improvement")


# --- Part 5: data augmentation --------------------------------------------------------------------------

def _shift(images, dx, dy):
    """Each 8×8 image moved dx pixels right and dy down (negative: left, up); what comes in is 0."""
    out = np.zeros((images.shape[0], 8, 8))
    src = images.reshape(-1, 8, 8)
    if abs(dx) < 8 and abs(dy) < 8:
        out[:, max(dy, 0):8 + min(dy, 0), max(dx, 0):8 + min(dx, 0)] = \
            src[:, max(-dy, 0):8 + min(-dy, 0), max(-dx, 0):8 + min(-dx, 0)]
    return out.reshape(-1, 64)


def _images(rng, n):
    return np.round(rng.random((n, 64)) * 16) / 16 + 1 / 32      # no pixel is 0: every lost pixel shows


@check("test_5a")
def _(student, rng):
    small = [int(v) for v in rng.integers(-3, 4, size=2)]
    cases = [(1, small[0] or 1, small[1]), (int(rng.integers(2, 9)), 0, 0), (int(rng.integers(51, 120)), 1, -1),
             (3, -int(rng.integers(1, 8)), int(rng.integers(1, 8))), (2, int(rng.choice([8, 9, -8])), 0),
             (2, 0, int(rng.choice([-9, -8, 8])))]
    for n, dx, dy in cases:
        images = _images(rng, n)
        part = f"5a shift_images ({n} image(s), dx={dx}, dy={dy})"
        got = call(student, part, "shift_images", images, dx, dy)
        expect_array(part, got, _shift(images, dx, dy),
                     hint="pixel (r, c) is entry 8*r + c; it moves to (r + dy, c + dx); pixels shifted in are 0, "
                          "pixels shifted out are lost (no wrap-around)")


def _augment_glue(student, part, X, y, shifts):
    """The reference augmentation around the student's own shift_images (called with plain inputs)."""
    copies = []
    for dx, dy in shifts:
        s = call(student, part + f" (its shift_images, dx={dx}, dy={dy})", "shift_images", X, dx, dy)
        if type(s) is not np.ndarray or s.shape != X.shape:
            raise ValueError("shift_images gave no usable images")
        if np.array_equal(s, X) or not np.any(s):
            raise ValueError("a placeholder shift_images (nothing moves, or all zeros): no glue to compare with")
        copies.append(s)
    return np.vstack([X] + copies), np.concatenate([y] * (len(shifts) + 1))


@check("test_5b")
def _(student, rng):
    for n, k in ((1, 1), (int(rng.integers(5, 30)), int(rng.integers(2, 5)))):
        X, y = _images(rng, n), rng.integers(0, 10, size=n)
        shifts = [(int(a), int(b)) for a, b in rng.integers(-2, 3, size=(k, 2))]
        shifts = [(dx, dy) if (dx, dy) != (0, 0) else (1, 0) for dx, dy in shifts]
        part = f"5b augment ({n} image(s), shifts={shifts})"
        out = _pair(part, call(student, part, "augment", X, y, shifts), "(X_aug, y_aug)")
        ref = (np.vstack([X] + [_shift(X, dx, dy) for dx, dy in shifts]), np.concatenate([y] * (k + 1)))

        def problem(expected):
            found = array_problem(out[0], expected[0])
            if found:
                return f"X_aug: {found}"
            if type(out[1]) is not np.ndarray or out[1].dtype.kind not in "iu" or out[1].shape != expected[1].shape:
                return f"y_aug must be an integer numpy array of shape {expected[1].shape}, got {describe(out[1])}."
            if not np.array_equal(out[1], expected[1]):
                return f"y_aug: first mismatch at index {int(np.argmax(out[1] != expected[1]))}."
            return None

        found = first_match([lambda: ref, lambda: _augment_glue(student.clean(), part, X, y, shifts)], problem)
        if found:
            raise Fail(f"[{part}] {found}\nHint: the original images first, then one shifted copy of all of them per "
                       "shift, in the order given; each copy keeps its labels")
