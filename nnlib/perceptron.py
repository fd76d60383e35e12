"""Single neurons before backpropagation: McCulloch–Pitts, Rosenblatt's perceptron, the delta rule.

Shapes: inputs ``X`` are ``(N, D)`` (one sample per row), a single unit has weights ``w`` ``(D,)``
and a scalar bias ``b``; the delta rule also trains ``c`` output units at once with ``W`` of shape
``(c, D)`` and ``b`` ``(c,)`` (course notation ``W`` is ``(M_l, M_{l-1})``).

- ``mp_neuron(X, w, theta, inhibitory=None)``: the McCulloch–Pitts linear threshold neuron
  (线性阈值神经元). ``truth_table(w, theta, target)`` enumerates every Boolean input and returns the
  rows of source 001's table 2-1 (x, the net input z, ŷ, y).
- ``train_perceptron(X, y, ...)``: Rosenblatt's learning rule (感知机学习算法), either the 0/1 form
  (W ← W + X on a missed positive, W ← W − X on a missed negative) or the sign-activation form
  Δw = η(t − ŷ)x with t, ŷ ∈ {−1, +1}. Reports convergence, or non-convergence by detecting a
  repeated weight state at an epoch boundary (e.g. XOR) or by running out of ``max_epochs``.
- ``train_delta_rule(X, T, unit="linear"|"sigmoid", mode="batch"|"stochastic")``: the Widrow–Hoff
  delta rule (δ 规则) Δw = η δ x with δ = f'(z)(t − ŷ).

Notation is the book's: ``z`` is the net input (净输入) ``w·x + b``, ``ŷ`` (``y_hat``) the unit's
output, ``t`` the target. The sources write the net input as "sum" and (source 002) the output as
``z``; their symbols appear in the docstrings where we cite them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnlib import _kernels
from nnlib._checks import as_bool, as_count, as_float_array, as_float_scalar, as_int_scalar, as_rng, check_size

__all__ = [
    "DeltaRuleResult",
    "PerceptronResult",
    "TruthTable",
    "delta_rule_predict",
    "mp_neuron",
    "perceptron_predict",
    "train_delta_rule",
    "train_perceptron",
    "truth_table",
]


# ============================================================================ McCulloch–Pitts
def _binary(x, name: str, ndim: int) -> np.ndarray:
    """0/1 array of the given ndim (bool accepted); anything else is an error."""
    arr = as_float_array(x, name, ndim=ndim, allow_bool=True)
    bad = (arr != 0) & (arr != 1)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} must be binary (0/1) but has {arr[idx]!r} at index {idx} ({name} shape {arr.shape})")
    return arr


@_kernels.exact_products
def mp_neuron(X, w, theta, inhibitory=None, return_sum: bool = False):
    """McCulloch–Pitts linear threshold neuron on a batch of Boolean inputs.

    ``X`` (N, n) 0/1 excitatory inputs, ``w`` (n,) weights, ``theta`` the threshold,
    ``inhibitory`` (N, K) 0/1 inhibitory inputs or None (no inhibitory synapse).

    The net input is ``z = X @ w`` (source 001 calls it "sum"); the output ŷ is 1 when ``z >= theta``
    and no inhibitory input is active, else 0: an inhibitory input has an absolute veto, whatever
    the weighted sum. Returns ``y_hat`` (N,) int64, and also ``z`` (N,) when ``return_sum``.
    """
    # Source 001 says "greater than θ" in the prose but writes sum >= θ in the formula; we follow
    # the formula (with θ = 1/2 and integer sums, as in table 2-1, the two agree).
    X = _binary(X, "X", 2)
    w = as_float_array(w, "w", ndim=1)
    if w.shape[0] != X.shape[1]:
        raise ValueError(f"w has shape {w.shape} but X has {X.shape[1]} inputs (X shape {X.shape}); expected w of shape ({X.shape[1]},)")
    theta = as_float_scalar(theta, "theta")
    return_sum = as_bool(return_sum, "return_sum")
    z = X @ w
    fires = z >= theta
    if inhibitory is not None:
        inh = _binary(inhibitory, "inhibitory", 2)
        if inh.shape[0] != X.shape[0]:
            raise ValueError(f"inhibitory has {inh.shape[0]} rows but X has {X.shape[0]} (shapes {inh.shape} and {X.shape})")
        fires &= ~inh.any(axis=1)
    y_hat = fires.astype(np.int64)
    return (y_hat, z) if return_sum else y_hat


def _all_inputs(n: int) -> np.ndarray:
    """All 2**n Boolean rows in counting order (000, 001, 010, ...), as in table 2-1."""
    codes = np.arange(2**n)[:, None]
    return ((codes >> np.arange(n - 1, -1, -1)) & 1).astype(np.float64)


@dataclass
class TruthTable:
    """Rows of an MP neuron's truth table: ``columns`` names and ``rows`` tuples of ints/floats."""

    columns: list[str]
    rows: list[tuple]
    X: np.ndarray
    sums: np.ndarray
    y_hat: np.ndarray
    y: np.ndarray | None

    @property
    def perfect(self) -> bool:
        """True when the neuron reproduces the target on every row."""
        return self.y is not None and bool(np.array_equal(self.y_hat, self.y))

    def to_markdown(self) -> str:
        def fmt(v):
            return f"{v:g}" if isinstance(v, float) else str(v)

        lines = ["| " + " | ".join(self.columns) + " |", "|" + "---|" * len(self.columns)]
        lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in self.rows]
        return "\n".join(lines)


def truth_table(w, theta, target=None, n_inhibitory: int = 0) -> TruthTable:
    """Enumerate every Boolean input of an MP neuron (excitatory inputs, then inhibitory ones).

    ``target`` is an optional callable mapping the (2**n, n) excitatory 0/1 matrix to the true
    outputs (2**n,), e.g. ``lambda X: (1 - X[:, 0]) * X[:, 1] | X[:, 1] * (1 - X[:, 2])``.
    Columns: ``x_1..x_n``, ``i_1..i_K`` (if any), ``sum``, ``y_hat`` and ``y`` (if ``target``).
    Source 001's table 2-1: ``truth_table([-1, 2, -1], 0.5, target)``.
    """
    w = as_float_array(w, "w", ndim=1)
    n = w.shape[0]
    k = as_int_scalar(n_inhibitory, "n_inhibitory", min_value=0)
    if n + k > 16:
        raise ValueError(f"truth_table enumerates 2**(n+K) rows; n={n} inputs + K={k} inhibitory is too many (max 16)")
    full = _all_inputs(n + k)
    X, inh = full[:, :n], full[:, n:]
    y_hat, z = mp_neuron(X, w, theta, inhibitory=inh if k else None, return_sum=True)
    y = None
    if target is not None:
        if not callable(target):
            raise TypeError(f"target must be a callable on the (2**n, n) input matrix, got {type(target).__name__}")
        y = np.asarray(target(X.astype(np.int64)))
        if y.shape != (X.shape[0],):
            raise ValueError(f"target must return shape ({X.shape[0]},), got {y.shape}")
        if y.dtype.kind not in "biuf":
            raise TypeError(f"target must return 0/1 values, got dtype {y.dtype}")
        bad = ~np.isin(y, (0, 1))  # NaN, 2.7 or 2 are no Boolean outputs (and must not be cast to one)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"target must return 0/1 values, got {y[i].item()!r} for input row {i} {X[i].astype(int).tolist()}")
        y = y.astype(np.int64)
    columns = [f"x_{i + 1}" for i in range(n)] + [f"i_{j + 1}" for j in range(k)] + ["sum", "y_hat"]
    if y is not None:
        columns.append("y")
    # integer sums print as integers, the way the source's table shows them
    sums = [int(v) if float(v).is_integer() else float(v) for v in z]
    bits = full.astype(np.int64)
    rows = [
        tuple(int(v) for v in bits[r]) + (sums[r], int(y_hat[r])) + ((int(y[r]),) if y is not None else ())
        for r in range(full.shape[0])
    ]
    return TruthTable(columns, rows, full, z, y_hat, y)


# ============================================================================ Rosenblatt perceptron
@dataclass
class PerceptronResult:
    """Outcome of ``train_perceptron``.

    ``history[e]`` is the number of misclassified samples (= updates) in epoch ``e + 1``;
    ``path`` (epochs + 1, D + 1) holds ``[b, w]`` at every epoch boundary, starting with the init.
    """

    converged: bool
    epochs: int
    w: np.ndarray
    b: float
    history: list[int]
    reason: str
    path: np.ndarray = field(repr=False)
    rule: str = "rosenblatt"

    def predict(self, X) -> np.ndarray:
        return perceptron_predict(X, self.w, self.b, signed=self.rule == "sign")


@_kernels.exact_products
def perceptron_predict(X, w, b=0.0, signed: bool = False) -> np.ndarray:
    """Threshold unit output for ``X`` (N, D): 1 where ``X @ w + b >= 0``, else 0 (or -1 if ``signed``).

    ``sign(0) = +1``, as in source 002's f(s) = 1 for s >= 0.
    """
    X = as_float_array(X, "X", ndim=2)
    w = as_float_array(w, "w", ndim=1)
    if w.shape[0] != X.shape[1]:
        raise ValueError(f"w has shape {w.shape} but X has {X.shape[1]} features; expected w of shape ({X.shape[1]},)")
    b = as_float_scalar(b, "b")
    signed = as_bool(signed, "signed")
    on = X @ w + b >= 0
    return np.where(on, 1, -1 if signed else 0).astype(np.int64)


def _targets(y, n: int, signed: bool) -> np.ndarray:
    """Targets as 0/1 (or -1/+1 when ``signed``); both encodings are accepted on input."""
    y = as_float_array(y, "y", ndim=1)
    if y.shape[0] != n:
        raise ValueError(f"X has {n} samples but y has shape {y.shape}; expected y of shape ({n},)")
    values = set(np.unique(y).tolist())
    if values <= {0.0, 1.0}:
        t01 = y
    elif values <= {-1.0, 1.0}:
        t01 = (y + 1) / 2
    else:
        raise ValueError(f"y must hold binary targets 0/1 or -1/+1, got values {sorted(values)}")
    return 2 * t01 - 1 if signed else t01


def train_perceptron(
    X,
    y,
    w0=None,
    b0: float = 0.0,
    lr: float = 1.0,
    max_epochs: int = 100,
    rule: str = "rosenblatt",
    shuffle: bool = False,
    rng=0,
    limit: int | None = None,
) -> PerceptronResult:
    """Train one threshold unit with the perceptron learning rule, one sample at a time.

    ``X`` (N, D), ``y`` (N,) binary targets (0/1 or -1/+1, either is accepted), ``w0`` (D,) initial
    weights (zeros by default), ``b0`` initial bias (the negative threshold, source 001's b).

    ``rule="rosenblatt"`` (source 001, algorithm 2-1): output 1 if ``w·x + b >= 0`` else 0; on a
    missed positive ``w += lr*x, b += lr``; on a missed negative ``w -= lr*x, b -= lr``.
    ``rule="sign"`` (source 002, which calls the output z): output ŷ = sign(w·x + b) in {-1, +1},
    target t in {-1, +1}, ``Δw = lr*(t - ŷ)*x`` and ``Δb = lr*(t - ŷ)``; on a miss t - ŷ = 2t, so this is the Rosenblatt
    rule with a step of 2*lr (the two give identical weights when ``lr_sign = lr_rosenblatt / 2``).

    Samples are visited in order (or reshuffled every epoch with ``rng`` when ``shuffle``). Training
    stops when an epoch makes no mistake (converged), when the weights at the start of an epoch
    repeat an earlier epoch's (with a fixed order the run is then periodic and can never converge:
    by the perceptron convergence theorem the data are not linearly separable, e.g. XOR), or after
    ``max_epochs`` (at most ``limit``, default ``nnlib._checks.MAX_COUNT``: a larger count is refused as a typo
    unless ``limit`` is raised explicitly).
    """
    if not isinstance(rule, str) or rule not in ("rosenblatt", "sign"):
        raise ValueError(f"unknown perceptron rule {rule!r:.40}; known: 'rosenblatt', 'sign'")
    X = as_float_array(X, "X", ndim=2)
    n, d = X.shape
    t = _targets(y, n, signed=rule == "sign")
    w = np.zeros(d) if w0 is None else as_float_array(w0, "w0", ndim=1).astype(np.float64, copy=True)
    if w.shape[0] != d:
        raise ValueError(f"w0 has shape {w.shape} but X has {d} features; expected w0 of shape ({d},)")
    b = as_float_scalar(b0, "b0")
    lr = as_float_scalar(lr, "lr", min_value=0.0, strict_min=True)
    max_epochs = as_count(max_epochs, "max_epochs", min_value=1, limit=limit)
    check_size((max_epochs + 1) * (d + 1), f"the weight path of max_epochs={max_epochs} x {d + 1} weights")
    shuffle = as_bool(shuffle, "shuffle")
    gen = as_rng(rng)

    history: list[int] = []
    path = [np.concatenate([[b], w])]
    seen = {path[0].tobytes(): 0}
    for epoch in range(1, max_epochs + 1):
        order = gen.permutation(n) if shuffle else np.arange(n)
        mistakes = 0
        # The perceptron is an online rule: each update changes the prediction for the next sample,
        # so this loop over samples is the algorithm itself, not a missed vectorization.
        for k in order:
            z = X[k] @ w + b  # net input
            if rule == "rosenblatt":
                y_hat = 1.0 if z >= 0 else 0.0
                step = lr * (t[k] - y_hat)  # +lr on a missed positive, -lr on a missed negative, else 0
            else:
                y_hat = 1.0 if z >= 0 else -1.0
                # Source 002 derives Δw = η(1 − z t) t x = η(t − z t²) x = η(t − z) x (t² = 1); its
                # worked line "η(t − (t))x = 2ηt x" has lost a minus sign: on a miss ŷ = −t, so
                # t − ŷ = t − (−t) = 2t (the source writes the output as z).
                step = lr * (t[k] - y_hat)
            if step != 0.0:
                mistakes += 1
                w += step * X[k]
                b += step
        history.append(mistakes)
        state = np.concatenate([[b], w])
        path.append(state)
        if mistakes == 0:
            return PerceptronResult(True, epoch, w, float(b), history, f"converged: epoch {epoch} made no mistake", np.array(path), rule)
        key = state.tobytes()
        if not shuffle and key in seen:
            first = seen[key]
            return PerceptronResult(
                False, epoch, w, float(b), history,
                f"cycle: the weights after epoch {epoch} equal those after epoch {first}; the run is periodic "
                f"(period: {epoch - first} epoch(s)) and never converges, so the data are not linearly separable",
                np.array(path), rule,
            )
        seen[key] = epoch
    return PerceptronResult(
        False, max_epochs, w, float(b), history,
        f"max_epochs={max_epochs} reached with {history[-1]} mistake(s) in the last epoch",
        np.array(path), rule,
    )


# ============================================================================ delta rule
# unit name -> (f, f' given the net input z and the output ŷ = f(z)); f'(z) = ŷ(1 − ŷ) for the
# sigmoid (source 002 writes the net input as "sum" and the output as z).
_UNITS = {
    "linear": (lambda z: z, lambda z, y_hat: np.ones_like(y_hat)),
    "sigmoid": (_kernels.sigmoid, lambda z, y_hat: y_hat * (1.0 - y_hat)),
}


@dataclass
class DeltaRuleResult:
    """Outcome of ``train_delta_rule``.

    ``W`` (c, D) and ``b`` (c,), or ``w`` (D,) and scalar ``b`` when the targets were 1-D;
    ``history[e]`` is the loss E = 1/(2N) Σ_k ||t_k − z_k||² after epoch ``e + 1`` (``history`` has
    one more entry in front: the loss at the initial weights).
    """

    converged: bool
    epochs: int
    w: np.ndarray
    b: np.ndarray | float
    history: list[float]
    reason: str
    unit: str
    mode: str

    def predict(self, X) -> np.ndarray:
        return delta_rule_predict(X, self.w, self.b, self.unit)


def _check_unit(unit) -> None:
    if not isinstance(unit, str) or unit not in _UNITS:
        raise ValueError(f"unknown unit {unit!r:.40}; known: {sorted(_UNITS)}")


@_kernels.exact_products
def delta_rule_predict(X, w, b, unit: str = "linear") -> np.ndarray:
    """Output ŷ = f(X @ W.T + b) of a single layer of linear or sigmoid units.

    ``w`` (D,) with a scalar ``b`` gives ŷ (N,); ``W`` (c, D) with ``b`` (c,) (or a scalar) gives ŷ (N, c).
    """
    _check_unit(unit)
    X = as_float_array(X, "X", ndim=2)
    W = as_float_array(w, "w", ndim=(1, 2))
    single = W.ndim == 1
    W2 = W[None, :] if single else W
    if W2.shape[1] != X.shape[1]:
        raise ValueError(f"w has shape {W.shape} but X has {X.shape[1]} features; expected (c, {X.shape[1]}) or ({X.shape[1]},)")
    b2 = _bias(b, "b", W2.shape[0], single)
    y_hat = _UNITS[unit][0](X @ W2.T + b2)
    return y_hat[:, 0] if single else y_hat


def _bias(b, name: str, c: int, single: bool) -> np.ndarray:
    """A bias per unit, shape (c,), from a scalar (or (1,) for one unit) or a (c,) array."""
    arr = as_float_array(b, name, ndim=(0, 1), dtype=np.float64)
    if arr.ndim == 1 and arr.shape != (c,):
        want = "a scalar" if single else f"a scalar or shape ({c},)"
        raise ValueError(f"{name} has shape {arr.shape} but there {'is 1 unit' if c == 1 else f'are {c} units'}; expected {want}")
    return np.array(np.broadcast_to(arr, (c,)))


def train_delta_rule(
    X,
    T,
    unit: str = "linear",
    mode: str = "batch",
    lr: float = 0.1,
    epochs: int = 1000,
    tol: float = 1e-8,
    w0=None,
    b0=None,
    shuffle: bool = True,
    rng=0,
    limit: int | None = None,
) -> DeltaRuleResult:
    """Widrow–Hoff delta rule for one layer of linear or sigmoid units (source 002).

    ``X`` (N, D) inputs, ``T`` (N,) or (N, c) targets. With the net input z = W x + b, the output
    ŷ = f(z) and δ = f'(z)(t − ŷ) (f' = 1 for a linear unit, ŷ(1 − ŷ) for a sigmoid unit), the
    update is Δw = η δ x, Δb = η δ: gradient descent on E = ½ Σ (t − ŷ)². (Source 002 writes
    δ = f'(sum)(t − z), with "sum" the net input and z the output.)

    ``mode="stochastic"``: update after every sample (in a fresh random order each epoch when
    ``shuffle``). ``mode="batch"``: accumulate over the whole set, then update once per epoch,
    vectorized as ``ΔW = η δᵀX / N``. We average over the batch (the course's losses are means)
    where source 002 sums; its η is our η/N. Stops when the largest weight change of an epoch is
    below ``tol`` (source 002's |w^{t+1} − w^t| < ε), or after ``epochs`` (at most ``limit``, default
    ``nnlib._checks.MAX_COUNT``; raise it explicitly for a longer run).
    """
    # Source 002's batch algorithm initialises the accumulator with "Δw ≠ 0"; it must start at 0.
    _check_unit(unit)
    if not isinstance(mode, str) or mode not in ("batch", "stochastic"):
        raise ValueError(f"unknown mode {mode!r:.40}; known: 'batch', 'stochastic'")
    X = as_float_array(X, "X", ndim=2, dtype=np.float64)
    n, d = X.shape
    T_arr = as_float_array(T, "T", ndim=(1, 2), dtype=np.float64)
    if T_arr.shape[0] != n:
        raise ValueError(f"X has {n} samples but T has shape {T_arr.shape}; expected T with {n} rows")
    single = T_arr.ndim == 1
    T2 = T_arr[:, None] if single else T_arr
    c = T2.shape[1]
    if unit == "sigmoid" and (T2.min() < 0 or T2.max() > 1):
        raise ValueError(f"a sigmoid unit outputs values in (0, 1) but T ranges over [{T2.min()}, {T2.max()}]")
    if w0 is None:
        W = np.zeros((c, d))
    else:
        W = as_float_array(w0, "w0", ndim=(1, 2), dtype=np.float64)
        allowed = [(c, d)] + ([(d,)] if single else [])
        if W.shape not in allowed:
            raise ValueError(f"w0 has shape {W.shape} but X has {d} features and T has {c} column(s); expected {' or '.join(map(str, allowed))}")
        W = W.reshape(c, d).copy()
    if b0 is None:
        b = np.zeros(c)
    else:
        b = _bias(b0, "b0", c, single)
    lr = as_float_scalar(lr, "lr", min_value=0.0, strict_min=True)
    epochs = as_count(epochs, "epochs", min_value=1, limit=limit)
    tol = as_float_scalar(tol, "tol", min_value=0.0)
    shuffle = as_bool(shuffle, "shuffle")
    gen = as_rng(rng)
    f, df = _UNITS[unit]

    def loss() -> float:
        y_hat = f(X @ W.T + b)
        return float(0.5 * np.mean(np.sum((T2 - y_hat) ** 2, axis=1)))

    history = [loss()]
    # a too-large lr makes the weights blow up; that is reported as "diverged", not as overflow warnings
    with np.errstate(over="ignore", invalid="ignore"):
        converged, reason, epoch = _delta_epochs(X, T2, W, b, f, df, mode, lr, epochs, tol, shuffle, gen, loss, history)
    w_out = W[0].copy() if single else W
    b_out = float(b[0]) if single else b
    return DeltaRuleResult(converged, epoch, w_out, b_out, history, reason, unit, mode)


def _delta_epochs(X, T2, W, b, f, df, mode, lr, epochs, tol, shuffle, gen, loss, history):
    """The epoch loop of ``train_delta_rule``; updates ``W``, ``b`` and ``history`` in place."""
    n = X.shape[0]
    converged, reason = False, f"epochs={epochs} reached"
    for epoch in range(1, epochs + 1):
        W_before, b_before = W.copy(), b.copy()
        if mode == "batch":
            z = X @ W.T + b  # (N, c) net input
            y_hat = f(z)
            delta = df(z, y_hat) * (T2 - y_hat)  # (N, c): δ = f'(z)(t − ŷ)
            W += lr * (delta.T @ X) / n  # Σ_k δ_k x_kᵀ, averaged
            b += lr * delta.mean(axis=0)
        else:
            order = gen.permutation(n) if shuffle else np.arange(n)
            # stochastic updating is sequential by definition: sample k sees the weights sample k−1 left
            for k in order:
                z = W @ X[k] + b  # (c,)
                y_hat = f(z)
                delta = df(z, y_hat) * (T2[k] - y_hat)
                W += lr * np.outer(delta, X[k])
                b += lr * delta
        history.append(loss())
        if not np.isfinite(history[-1]):
            reason = f"diverged at epoch {epoch} (loss is not finite); lower lr={lr}"
            break
        change = max(np.abs(W - W_before).max(), np.abs(b - b_before).max())
        if change < tol:
            converged, reason = True, f"converged: largest weight change {change:.3g} < tol={tol:g} at epoch {epoch}"
            break
    return converged, reason, epoch
