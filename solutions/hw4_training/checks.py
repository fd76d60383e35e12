"""Hidden checks of homework 4 (trusted: run in the grader process, never in the student's kernel).

The notebook's provided cell (forward_backward, accuracy, ...) runs in the student's worker, where the student
could have changed it: no reference here comes from there. Training references use nnlib's SGD and the copy of
the provided forward/backward pass below. ``train_sgd`` is given its mini-batches as plain data (``Seq``: the
index arrays of each epoch, drawn here); its result is right if it matches the reference, or the reference
training loop computed here around the student's own ``momentum_step`` (called with plain inputs), so a
mistake in Part 1 is not counted twice in Part 2.
"""

import numpy as np

from ffgrader.checks import Fail, Rng, Seq, call, check, describe, expect_array, expect_equal, first_match
from ffgrader.visible_tests import array_problem
from nnlib import data as D
from nnlib import init as I
from nnlib import network as Nw
from nnlib import optim as O

NNLIB_ALLOWED = ()
SKIP_CELLS = ("demo_3", "demo_4")          # demonstrations: students run them, grading does not
BY_HAND = {}

# --- trusted copy of the notebook's provided cell ----------------------------------------------------

ACTS = {
    "sigmoid": (lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)), lambda a: a * (1.0 - a)),
    "tanh": (np.tanh, lambda a: 1.0 - a**2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda a: (a > 0).astype(float)),
}


def forward(params, X, act):
    f, a = ACTS[act][0], [X]
    for l, p in enumerate(params):
        z = a[-1] @ p["W"].T + p["b"]
        a.append(z if l == len(params) - 1 else f(z))
    return a


def forward_backward(params, X, y, act):
    a = forward(params, X, act)
    logits = a[-1] - a[-1].max(axis=1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    N = X.shape[0]
    loss = -logp[np.arange(N), y].mean()
    delta = np.exp(logp)
    delta[np.arange(N), y] -= 1.0
    delta /= N
    grads = [None] * len(params)
    for l in reversed(range(len(params))):
        grads[l] = {"W": delta.T @ a[l], "b": delta.sum(axis=0)}
        if l > 0:
            delta = (delta @ params[l]["W"]) * ACTS[act][1](a[l])
    return loss, grads


def accuracy(params, X, y, act):
    return float(np.mean(forward(params, X, act)[-1].argmax(axis=1) == y))


def _batches(N, bs, rng):
    order = rng.permutation(N)
    return [order[i:i + bs] for i in range(0, N, bs)]


def _epochs(N, bs, seed, epochs):
    """The mini-batches of every epoch, as minibatch_indices draws them from one Generator(seed)."""
    rng = np.random.default_rng(seed)
    return [_batches(N, bs, rng) for _ in range(epochs)]


def _copy(params):
    return [{k: v.copy() for k, v in p.items()} for p in params]


def _ref_train(params, X, y, act, lr, epochs, bs, seed, momentum=0.0, weight_decay=0.0):
    params, losses = _copy(params), []
    opt = O.SGD(lr=lr, momentum=momentum, weight_decay=weight_decay)
    for batches in _epochs(X.shape[0], bs, seed, epochs):
        for idx in batches:
            opt.step(params, forward_backward(params, X[idx], y[idx], act)[1])
        losses.append(forward_backward(params, X, y, act)[0])
    return params, losses


def _glue_train(student, part, params, X, y, act, lr, epochs, bs, seed, momentum, weight_decay):
    """The reference training loop around the student's own momentum_step: what a correct train_sgd built on
    it returns."""
    velocity, losses, start = None, [], params
    for batches in _epochs(X.shape[0], bs, seed, epochs):
        for idx in batches:
            grads = forward_backward(params, X[idx], y[idx], act)[1]
            out = call(student, part, "momentum_step", params, grads, velocity, lr, momentum, weight_decay)
            if type(out) not in (tuple, list) or len(out) != 2 or type(out[0]) not in (list, tuple):
                raise ValueError("momentum_step gave no usable (params, velocity)")
            params, velocity = list(out[0]), out[1]
            if not all(type(p) is dict and set(p) == {"W", "b"} for p in params):
                raise ValueError("momentum_step gave no usable params")
        losses.append(forward_backward(params, X, y, act)[0])
    if _params_problem(params, start) is None:
        raise ValueError("a placeholder momentum_step (it changes nothing): no glue to compare with")
    return params, losses


def _random_net(rng, sizes):
    params = [{"W": rng.normal(size=(m, n)), "b": rng.normal(size=m)} for n, m in zip(sizes[:-1], sizes[1:])]
    grads = [{"W": rng.normal(size=p["W"].shape), "b": rng.normal(size=p["b"].shape)} for p in params]
    return params, grads


def _check_params(part, got, expected, hint=""):
    if type(got) not in (list, tuple):
        raise Fail(f"[{part}] expected a list with one dict per layer, got {describe(got)}.")
    expect_equal(part + ": number of layers", len(got), len(expected))
    for l, (g, e) in enumerate(zip(got, expected), start=1):
        if type(g) is not dict or sorted(g) != sorted(e):
            raise Fail(f"[{part}: layer {l}] expected a dict with keys {sorted(e)}, got {describe(g)}"
                       + (f" with keys {sorted(g)}" if type(g) is dict else "") + ".")
        for key in e:
            expect_array(f"{part}: layer {l} {key}", g[key], e[key], hint=hint)


def _sizes(rng, depth):
    return [int(v) for v in rng.integers(2, 7, size=depth + 1)]


# --- Part 1 -------------------------------------------------------------------------------------------

def _check_batches(student, N, bs, seed):
    part = f"1a minibatch_indices (N={N}, batch_size={bs})"
    batches = call(student, part, "minibatch_indices", N, bs, Rng(seed))
    if type(batches) not in (list, tuple):
        raise Fail(f"[{part}] expected a list of integer arrays, got {describe(batches)}.")
    for i, b in enumerate(batches):
        if type(b) is not np.ndarray or b.dtype.kind not in "iu" or b.ndim != 1:
            raise Fail(f"[{part}] batch {i} must be a 1-D integer numpy array, got {describe(b)}.")
    expect_equal(part + ": batch sizes", [int(len(b)) for b in batches], [min(bs, N - i) for i in range(0, N, bs)],
                 hint="consecutive batches of batch_size; only the last one may be smaller")
    order = np.concatenate(batches)
    expect_equal(part + ": indices", sorted(int(i) for i in order), list(range(N)), hint="each index exactly once")
    return order


@check("test_1a")
def _(student, rng):
    seed, other = (int(s) for s in rng.integers(0, 2**62, size=2))
    a = _check_batches(student, 100, 32, seed)
    if np.array_equal(a, np.arange(100)):
        raise Fail("[1a minibatch_indices (N=100)] the indices are not shuffled (0, 1, 2, ...).\n"
                   "Hint: shuffle with rng.permutation(N)")
    expect_equal("1a minibatch_indices: reproducible with the same rng seed",
                 _check_batches(student, 100, 32, seed).tolist(), a.tolist(),
                 hint="draw from the rng you are given, not from np.random")
    if np.array_equal(_check_batches(student, 100, 32, other), a):
        raise Fail("[1a minibatch_indices] two different rng seeds gave the same order.\n"
                   "Hint: draw from the rng you are given, not from np.random or a fixed seed")
    N = int(rng.integers(5, 50))
    for n, bs in ((N, int(rng.integers(1, N + 5))), (7, 10), (12, 1)):
        _check_batches(student, n, bs, int(rng.integers(0, 2**62)))


@check("test_1b")
def _(student, rng):
    for depth, wd in ((2, 0.0), (3, float(rng.choice([0.5, 2.0])))):
        params, grads = _random_net(rng, _sizes(rng, depth))
        lr = float(np.round(rng.uniform(0.01, 0.5), 3))
        exp = _copy(params)
        O.SGD(lr=lr, weight_decay=wd).step(exp, grads)
        got = call(student, "1b sgd_step", "sgd_step", params, grads, lr, wd)
        _check_params(f"1b sgd_step (lr={lr}, weight_decay={wd})", got, exp,
                      hint="W -= lr*(g + λW); b -= lr*g (no decay on biases)")


@check("test_1c")
def _(student, rng):
    # one run without weight decay and one with momentum and weight decay both on, so that a wrong sign or a
    # missing factor of either shows on every run (not only when the draw happens to switch it on)
    for mus, wd in (([0.0, 0.5, 0.9], 0.0), ([0.5, 0.9], float(rng.choice([0.05, 0.1])))):
        sizes = _sizes(rng, 2)
        params, _ = _random_net(rng, sizes)
        lr, mu = float(np.round(rng.uniform(0.01, 0.3), 3)), float(rng.choice(mus))
        opt, exp, got, vel = O.SGD(lr=lr, momentum=mu, weight_decay=wd), _copy(params), _copy(params), None
        for s in range(int(rng.integers(2, 5))):
            _, g = _random_net(rng, sizes)
            opt.step(exp, g)
            part = f"1c momentum_step (step {s + 1}, lr={lr}, momentum={mu}, weight_decay={wd})"
            out = call(student, part, "momentum_step", got, g, vel, lr, mu, wd)
            if type(out) not in (tuple, list) or len(out) != 2:
                raise Fail(f"[{part}] expected (new_params, new_velocity), got {describe(out)}.")
            got, vel = out
            _check_params(part, got, exp, hint="v = μv - lr·g̃, θ = θ + v (velocity None means zeros)")


# --- Part 2 -------------------------------------------------------------------------------------------

def _params_problem(got, expected):
    if type(got) not in (list, tuple) or len(got) != len(expected):
        return f"expected a list with one dict per layer ({len(expected)}), got {describe(got)}."
    for l, (g, e) in enumerate(zip(got, expected), start=1):
        if type(g) is not dict or sorted(g) != sorted(e):
            return f"layer {l}: expected a dict with keys {sorted(e)}, got {describe(g)}."
        for key in e:
            problem = array_problem(g[key], e[key], 1e-7, 1e-10)
            if problem:
                return f"layer {l} {key}: {problem}"
    return None


def _check_train(student, rng, part, momentum, wd):
    act = str(rng.choice(["sigmoid", "tanh", "relu"]))
    sizes = [2] + [int(v) for v in rng.integers(3, 9, size=int(rng.integers(1, 3)))] + [3]
    X, y = rng.normal(size=(40, 2)), rng.integers(0, 3, size=40)
    p0, _ = _random_net(rng, sizes)
    lr, epochs, bs = float(np.round(rng.uniform(0.05, 0.5), 3)), int(rng.integers(2, 5)), int(rng.choice([8, 10, 16, 40]))
    seed = int(rng.integers(0, 2**62))
    setting = f"act={act}, sizes={sizes}, lr={lr}, epochs={epochs}, batch_size={bs}, momentum={momentum}, weight_decay={wd}"
    batches = Seq([[b for b in epoch] for epoch in _epochs(X.shape[0], bs, seed, epochs)])
    out = call(student, f"{part} ({setting})", "train_sgd", p0, X, y, act, lr, epochs, bs, Rng(seed), momentum, wd,
               batches=batches)
    if type(out) not in (tuple, list) or len(out) != 2:
        raise Fail(f"[{part}] expected (params, losses), got {describe(out)}.")
    got_p, got_l = out
    if type(got_l) not in (list, tuple, np.ndarray) or not all(type(v) in (int, float) for v in np.ravel(got_l).tolist()):
        raise Fail(f"[{part}: losses] expected one float per epoch, got {describe(got_l)}.")
    got_l = np.asarray(got_l, dtype=float)

    def problem(ref):
        p, losses = ref
        found = array_problem(got_l, np.array(losses), 1e-6, 1e-10)
        if found:
            return f"losses per epoch: {found}"
        found = _params_problem(got_p, p)
        return f"final params: {found}" if found else None

    found = first_match([lambda: _ref_train(p0, X, y, act, lr, epochs, bs, seed, momentum, wd),
                         lambda: _glue_train(student.clean(), part, p0, X, y, act, lr, epochs, bs, seed, momentum, wd)],
                        problem)
    if found:
        raise Fail(f"[{part} ({setting})] {found}\nHint: one loss per epoch, on the whole training set, after the "
                   "epoch's updates; take each epoch's mini-batches from batches(N, batch_size, rng) and use the "
                   "provided forward_backward unchanged")


@check("test_2")
def _(student, rng):
    _check_train(student, rng, "2 train_sgd", 0.0, 0.0)


@check("test_2_momentum")
def _(student, rng):
    _check_train(student, rng, "2 train_sgd", float(rng.choice([0.5, 0.9])), float(rng.choice([0.0, 0.01])))


# --- Part 3, 4, 7 -------------------------------------------------------------------------------------------

def _check_init(student, sizes, seed):
    gen = np.random.default_rng(seed)
    exp = [{"W": I.xavier_uniform(n, m, gen), "b": np.zeros(m)} for n, m in zip(sizes[:-1], sizes[1:])]
    got = call(student, "3a init_params", "init_params", sizes, "xavier", Rng(seed))
    _check_params(f"3a init_params (xavier, sizes={sizes})", got, exp,
                  hint="r = sqrt(6/(M_{l-1}+M_l)); W = rng.random((M_l, M_{l-1})) * 2 * r - r, layers in order")
    zero = [{"W": np.zeros((m, n)), "b": np.zeros(m)} for n, m in zip(sizes[:-1], sizes[1:])]
    got = call(student, "3a init_params", "init_params", sizes, "zeros", Rng(seed))
    _check_params(f"3a init_params (zeros, sizes={sizes})", got, zero)


@check("test_3a")
def _(student, rng):
    _check_init(student, [int(v) for v in rng.integers(1, 40, size=int(rng.integers(3, 6)))], int(rng.integers(2**62)))
    _check_init(student, [1, 1], int(rng.integers(2**62)))


@check("test_4a")
def _(student, rng):
    for act, depth in (("sigmoid", int(rng.integers(4, 7))), ("tanh", int(rng.integers(2, 4)))):
        sizes = [5] + [int(v) for v in rng.integers(3, 9, size=depth - 1)] + [3]
        X, y = rng.normal(size=(30, sizes[0])), rng.integers(0, sizes[-1], size=30)
        net = Nw.MLP(sizes, [act] * (len(sizes) - 2) + ["identity"], "softmax_ce", rng=int(rng.integers(2**31)))
        params = _copy(net.params())
        _, grads = net.gradients(X, y)
        exp = np.array([np.linalg.norm(g["W"]) for g in grads])
        part = f"4a gradient_norms ({act}, sizes={sizes})"
        expect_array(part, call(student, part, "gradient_norms", params, X, y, act), exp, rtol=1e-6,
                     hint="the norm of the gradient dL/dW of each layer (layer 1 first), not of W itself")


def _digits():
    X, y = D.load_digits()
    return X, y


@check("test_7a")
def _(student, rng):
    X, _ = _digits()
    idx = rng.permutation(len(X))
    n_train = int(rng.integers(600, 1200))
    Xtr, Xte = X[idx[:n_train]], X[idx[n_train:]]
    ref = D.standardize(Xtr, Xte)
    part = f"7a standardize (X_train {Xtr.shape}, X_test {Xte.shape})"
    out = call(student, part, "standardize", Xtr, Xte)
    if type(out) not in (tuple, list) or len(out) != 2:
        raise Fail(f"[{part}] expected (X_train_s, X_test_s), got {describe(out)}.")
    expect_array(f"{part}: X_train", out[0], ref.train,
                 hint="(x - mean_train) / std_train; constant pixels (std 0) are divided by 1")
    expect_array(f"{part}: X_test", out[1], ref.test, hint="the test set uses the TRAINING mean and std")


KEYS = ["act", "batch_size", "epochs", "hidden", "lr", "momentum", "weight_decay"]


@check("test_7b")
def _(student, rng):
    part = "7b digits_config"
    cfg = call(student, part, "digits_config")
    if type(cfg) is not dict:
        raise Fail(f"[{part}] expected a dict, got {describe(cfg)}.")
    expect_equal(part + ": keys", sorted(cfg), KEYS)
    hidden = cfg["hidden"]
    if type(hidden) not in (list, tuple) or not hidden or not all(type(h) is int and h > 0 for h in hidden):
        raise Fail(f"[{part}] hidden must be a non-empty list of positive ints, got {hidden!r}.")
    if cfg["act"] not in ACTS:
        raise Fail(f"[{part}] act must be one of {sorted(ACTS)}, got {cfg['act']!r}.")
    for k in ("lr", "momentum", "weight_decay"):
        if type(cfg[k]) not in (int, float) or not np.isfinite(cfg[k]) or cfg[k] < 0:
            raise Fail(f"[{part}] {k} must be a non-negative number, got {cfg[k]!r}.")
    for k in ("epochs", "batch_size"):
        if type(cfg[k]) is not int or cfg[k] < 1:
            raise Fail(f"[{part}] {k} must be a positive int, got {cfg[k]!r}.")
    X, y = _digits()
    Xtr, Xte, ytr, yte = D.train_test_split(X, y, test_size=0.25, rng=0, stratify=True)
    s = D.standardize(Xtr, Xte)
    sizes = [64] + list(hidden) + [10]
    updates = cfg["epochs"] * -(-len(ytr) // cfg["batch_size"])
    if updates > 3000 or sum(hidden) > 256:
        raise Fail(f"[{part}: budget] {updates} updates and {sum(hidden)} hidden units; keep within 3000 and 256.")
    gen = np.random.default_rng(0)
    p0 = [{"W": I.xavier_uniform(n, m, gen), "b": np.zeros(m)} for n, m in zip(sizes[:-1], sizes[1:])]
    with np.errstate(all="ignore"):  # a diverging configuration simply scores a low accuracy
        p, losses = _ref_train(p0, s.train, ytr, cfg["act"], float(cfg["lr"]), cfg["epochs"], cfg["batch_size"], 0,
                               float(cfg["momentum"]), float(cfg["weight_decay"]))
        acc = accuracy(p, s.test, yte, cfg["act"])
    if not acc >= 0.95:
        raise Fail(f"[{part}: test accuracy] {acc:.3f} < 0.95 (losses per epoch {np.round(losses, 3).tolist()}).")
