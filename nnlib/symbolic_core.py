"""The SymPy verification engine: :class:`Claim`, :func:`verify` and the symbolic activations.

:mod:`nnlib.symbolic` (the module the book imports) adds the registry of the book's claims
(:mod:`nnlib.claims`, which is built from this module) and the page helpers ``check``/``check_erratum``.
Keeping the engine here lets ``claims`` import it without importing ``symbolic`` back (no cycle).
See :mod:`nnlib.symbolic` for what ``proved``, ``refuted`` and ``undecided`` mean.
"""

from __future__ import annotations

import dataclasses
import numbers
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

import mpmath
import numpy as np
import sympy as sp

from ._checks import as_count, as_float_scalar, as_identifier, as_int_scalar, as_rng

__all__ = [
    "Claim", "Result", "ClaimNotProved", "verify", "compare_numerically", "expr",
    "sigmoid", "logistic", "tanh", "relu", "leaky_relu", "prelu", "elu", "softplus",
    "hard_logistic", "hard_tanh", "swish", "gelu", "gaussian_cdf", "softmax", "mse", "bce", "cce",
]

def expr(value, name: str = "x"):
    """``value`` as a SymPy expression: an expression or a real number as it is, a ``str`` only as the *name*
    of a real symbol (``"z_1"``). A string is never parsed, so ``"__import__('os')"`` is refused, not run."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str (what messages call the value), got {type(name).__name__}")
    if isinstance(value, str):
        return sp.Symbol(as_identifier(value, name), real=True)
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        # NaN/inf refused: SymPy cannot order them (a Max or a Piecewise of nan fails deep inside)
        return sp.sympify(as_float_scalar(value, f"value {name!r}") if isinstance(value, float) else value)
    raise TypeError(f"{name} must be a SymPy expression, a real number or a symbol name, got {type(value).__name__} "
                    f"{value!r:.40}")


def _column(values, name: str):
    """A column Matrix of expressions from a Matrix or a sequence of expressions/symbol names."""
    if isinstance(values, sp.MatrixBase):
        return sp.Matrix(values)
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
        raise TypeError(f"{name} must be a SymPy Matrix or a list of expressions, got {type(values).__name__}")
    as_count(len(values), f"len({name})", min_value=1, limit=1000)
    return sp.Matrix([expr(v, f"{name}[{i}]") for i, v in enumerate(values)])


# ---------------------------------------------------------------------------------------------
# Symbolic activations and losses. Piecewise functions are written with Piecewise (the "cases"
# form of the sources) so that differentiation works branch by branch.
# ---------------------------------------------------------------------------------------------


def sigmoid(x):
    """Logistic function σ(x) = 1 / (1 + exp(-x))."""
    x = expr(x)
    return 1 / (1 + sp.exp(-x))


logistic = sigmoid


def tanh(x):
    """Hyperbolic tangent, written with exponentials as in the sources."""
    x = expr(x)
    return (sp.exp(x) - sp.exp(-x)) / (sp.exp(x) + sp.exp(-x))


def relu(x):
    """max(0, x)."""
    x = expr(x)
    return sp.Piecewise((x, x > 0), (0, True))


def leaky_relu(x, gamma=sp.Rational(1, 100)):
    """x for x > 0, γx otherwise (PReLU is the same with a learnable γ)."""
    x, gamma = expr(x), expr(gamma, "gamma")
    return sp.Piecewise((x, x > 0), (gamma * x, True))


prelu = leaky_relu


def elu(x, gamma=1):
    """x for x > 0, γ(exp(x) − 1) otherwise."""
    x, gamma = expr(x), expr(gamma, "gamma")
    return sp.Piecewise((x, x > 0), (gamma * (sp.exp(x) - 1), True))


def softplus(x):
    """log(1 + exp(x))."""
    x = expr(x)
    return sp.log(1 + sp.exp(x))


def hard_logistic(x):
    """max(min(x/4 + 1/2, 1), 0): the first-order Taylor expansion of σ around 0, clipped."""
    x = expr(x)
    return sp.Max(sp.Min(x / 4 + sp.Rational(1, 2), 1), 0)


def hard_tanh(x):
    """max(min(x, 1), -1)."""
    x = expr(x)
    return sp.Max(sp.Min(x, 1), -1)


def swish(x, beta=1):
    """x σ(βx)."""
    x, beta = expr(x), expr(beta, "beta")
    return x * sigmoid(beta * x)


def gaussian_cdf(x):
    """Φ(x) = P(X ≤ x) for X ~ N(0, 1), via erf."""
    x = expr(x)
    return (1 + sp.erf(x / sp.sqrt(2))) / 2


def gelu(x):
    """x Φ(x)."""
    x = expr(x)
    return x * gaussian_cdf(x)


def softmax(z):
    """Softmax of a column vector (sympy Matrix of shape (K, 1)) -> Matrix (K, 1)."""
    z = _column(z, "z")
    e = z.applyfunc(sp.exp)
    return e / sum(e)


def mse(y, y_hat):
    """½‖y − ŷ‖² of one sample (column vectors)."""
    y, y_hat = _column(y, "y"), _column(y_hat, "y_hat")
    if y.shape != y_hat.shape:
        raise ValueError(f"y has shape {y.shape} but y_hat has shape {y_hat.shape}; they must have the same shape")
    d = y - y_hat
    return (d.T * d)[0, 0] / 2


def bce(y, y_hat):
    """−y log ŷ − (1 − y) log(1 − ŷ) of one sample (scalars)."""
    y, y_hat = expr(y, "y"), expr(y_hat, "y_hat")
    return -y * sp.log(y_hat) - (1 - y) * sp.log(1 - y_hat)


def cce(y, y_hat):
    """−Σ_k y_k log ŷ_k of one sample (column vectors)."""
    y, y_hat = _column(y, "y"), _column(y_hat, "y_hat")
    if y.shape != y_hat.shape:
        raise ValueError(f"y has shape {y.shape} but y_hat has shape {y_hat.shape}; they must have the same shape")
    return -sum(yk * sp.log(pk) for yk, pk in zip(y, y_hat))


# ---------------------------------------------------------------------------------------------
# Claims and their verification
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A formula as a checkable statement ``lhs == rhs``.

    symbols: the free symbols, created with their assumptions (``real``, ``positive``, ...); they
        drive both SymPy's simplification and the random points of the numeric check.
    sample: optional ``{symbol: (low, high)}`` ranges for the numeric check (e.g. probabilities in
        (0, 1)); symbols without a range use their assumptions (positive -> (0.1, 3), else (-4, 4)).
    almost_everywhere: the identity is claimed except on a set of measure zero (the kinks of
        piecewise functions, where a derivative does not exist); branches of the folded difference
        whose condition is a finite set of points are then ignored.
    """

    name: str
    lhs: Any
    rhs: Any
    symbols: tuple = ()
    description: str = ""
    source: str = ""
    sample: Mapping = field(default_factory=dict)
    almost_everywhere: bool = False

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"Claim name must be a non-empty str, got {self.name!r}")
        for side in ("lhs", "rhs"):
            value = getattr(self, side)
            if not isinstance(value, (sp.Basic, sp.MatrixBase, int, float)):
                raise TypeError(
                    f"Claim {self.name!r}: {side} must be a SymPy expression or Matrix, "
                    f"got {type(value).__name__}")
        lm, rm = isinstance(self.lhs, sp.MatrixBase), isinstance(self.rhs, sp.MatrixBase)
        if lm != rm or (lm and self.lhs.shape != self.rhs.shape):
            raise ValueError(
                f"Claim {self.name!r}: lhs and rhs must both be scalars or matrices of the same shape, "
                f"got lhs shape {getattr(self.lhs, 'shape', ())} and rhs shape "
                f"{getattr(self.rhs, 'shape', ())}")

    def variant(self, suffix: str, **changes) -> "Claim":
        """A modified copy (e.g. a source's wrong version), named ``<name>:<suffix>``."""
        if not isinstance(suffix, str) or not suffix:
            raise TypeError(f"suffix must be a non-empty str, got {type(suffix).__name__} {suffix!r:.40}")
        unknown = sorted(set(changes) - ({f.name for f in dataclasses.fields(self)} - {"name"}))
        if unknown:
            raise TypeError(f"variant() got unknown field(s) {', '.join(unknown)}: changes must be fields of Claim")
        return dataclasses.replace(self, name=f"{self.name}:{suffix}", **changes)

    def free_symbols(self) -> list:
        syms = set(self.symbols) | set(_entries(self.lhs, self.rhs, free=True))
        return sorted(syms, key=lambda s: s.name)


@dataclass
class Result:
    """Outcome of :func:`verify`: status is ``proved``, ``refuted`` or ``undecided``."""

    name: str
    status: str
    method: str
    counterexample: dict | None = None
    detail: str = ""
    seconds: float = 0.0

    @property
    def proved(self) -> bool:
        return self.status == "proved"

    def __str__(self):
        s = f"{self.name}: {self.status} ({self.method})"
        if self.counterexample is not None:
            s += f"; counterexample {self.counterexample}"
        return s + (f"; {self.detail}" if self.detail else "")


class ClaimNotProved(AssertionError):
    """Raised by :func:`check` when a claim is refuted or undecided."""


def _entries(lhs, rhs, free=False):
    if isinstance(lhs, sp.MatrixBase):
        pairs = list(zip(lhs, rhs))
    else:
        pairs = [(lhs, rhs)]
    if free:
        out = set()
        for a, b in pairs:
            out |= sp.sympify(a).free_symbols | sp.sympify(b).free_symbols
        return out
    return [(sp.sympify(a), sp.sympify(b)) for a, b in pairs]


_PIECEWISE_HEADS = (sp.Piecewise, sp.Max, sp.Min, sp.Heaviside, sp.Abs, sp.sign)


def _reduces_to_zero(expr) -> bool:
    """True only if a SymPy rewrite chain turns expr into exactly 0 (no numerics involved)."""
    if expr == 0:
        return True
    # cheap exact steps first: rational functions of the atoms (exp(-z), tanh(z), ...) cancel
    for transform in (lambda e: sp.cancel(sp.together(e)), sp.simplify,
                      lambda e: sp.simplify(e.rewrite(sp.exp)),
                      lambda e: sp.simplify(sp.expand(sp.together(e)))):
        try:
            if transform(expr) == 0:
                return True
        except Exception:  # a failing rewrite only means "not shown"
            continue
    return False


def _negligible(cond, almost_everywhere) -> bool:
    """True if the branch condition is empty, or of measure zero when the claim allows it."""
    if cond == sp.false:
        return True
    free = cond.free_symbols
    if len(free) != 1:
        return False
    try:
        s = cond.as_set()
    except Exception:
        return False
    if s == sp.EmptySet:
        return True
    return almost_everywhere and isinstance(s, sp.FiniteSet)


def _pick(pw, x, at):
    """The branch of Piecewise pw that applies at the exact point x = at."""
    for branch, cond in pw.args:
        value = cond.subs(x, at)
        if value == sp.true:
            return branch
        if value != sp.false:
            raise ValueError(f"condition {cond} undecided at {x} = {at}")
    raise ValueError(f"no branch of {pw} applies at {x} = {at}")


def _ordered(roots):
    """The distinct roots in increasing order, or None if the symbols' assumptions do not decide
    the order of every pair (e.g. t - h < t < t + h is decided for h > 0, a < b is not)."""
    out = []
    for r in roots:
        pos = 0
        for u in out:
            d = sp.simplify(r - u)
            if d == 0:
                break
            if d.is_positive:
                pos += 1
            elif not d.is_negative:
                return None
        else:
            out.insert(pos, r)
    return out


def _cut(expr, x, rels, almost_everywhere, hints):
    """Decide expr by cutting the real axis of the variable x at the roots of all conditions.

    Returns True/False, or None when x does not decide every condition on every interval."""
    roots = set()
    for rel in rels:
        diff = rel.lhs - rel.rhs
        if x not in diff.free_symbols:
            continue  # decided (or not) by the assumptions alone, checked by _pick
        if sp.denom(sp.together(diff)).has(x):
            return None  # a pole could change the sign between two roots
        sol = sp.solveset(diff, x, sp.Reals)
        if not isinstance(sol, sp.FiniteSet) or not all(r.is_real for r in sol):
            return None
        roots |= set(sol)
    pts = _ordered(roots)
    if pts is None:
        return None
    if pts:
        probes = [pts[0] - 1, *[(a + b) / 2 for a, b in zip(pts, pts[1:])], pts[-1] + 1]
    else:
        probes = [sp.Integer(0)]
    if not almost_everywhere:
        probes += pts
    try:
        pieces = [expr.replace(lambda e: isinstance(e, sp.Piecewise), lambda pw: _pick(pw, x, at))
                  for at in probes]
    except ValueError:
        return None
    ok = True
    for piece, at in zip(pieces, probes):
        if not _reduces_to_zero(piece.subs(x, at) if at in roots else piece):
            hints.append({x: at})
            ok = False
    return ok


def _intervals_zero(expr, almost_everywhere, hints):
    """Decide a piecewise expression by cutting the axis of one variable x at the roots of the conditions.

    The roots of all conditions in x (found exactly by solveset) cut the real line into open
    intervals on which every condition has a fixed truth value; the branch active on each interval
    (read off at an exact point inside it) must reduce to 0. The roots themselves are checked too
    unless the claim is only made almost everywhere. With several variables the roots may be
    expressions in the others (e.g. x = t - h, t, t + h), as long as the symbols' assumptions decide
    their order and every condition at every probe point; each variable is tried in turn. Returns
    None when this does not apply. Points where a branch does not reduce are appended to ``hints``
    (candidate counterexamples, possibly in terms of the other symbols).
    """
    expr = expr.rewrite(sp.Piecewise)
    rels = set()
    for pw in expr.atoms(sp.Piecewise):
        for _, cond in pw.args:
            rels |= cond.atoms(sp.core.relational.Relational)
    variables = set().union(*(r.free_symbols for r in rels)) if rels else set()
    for x in sorted(variables, key=lambda s: s.name):
        decided = _cut(expr, x, rels, almost_everywhere, hints)
        if decided is not None:
            return decided
    return None


def _symbolic_zero(expr, almost_everywhere, hints) -> bool:
    if expr.has(*_PIECEWISE_HEADS):
        decided = _intervals_zero(expr, almost_everywhere, hints)
        if decided is not None:
            return decided
        expr = sp.piecewise_fold(expr.rewrite(sp.Piecewise))
    if isinstance(expr, sp.Piecewise):
        covered = sp.false
        for branch, cond in expr.args:
            effective = sp.And(cond, sp.Not(covered))
            covered = sp.Or(covered, cond)
            if _negligible(effective, almost_everywhere):
                continue
            if not _reduces_to_zero(branch):
                return False
        return True
    return _reduces_to_zero(expr)


def _sample(sym, rng, ranges):
    if sym in ranges:
        lo, hi = ranges[sym]
    elif sym.is_positive:
        lo, hi = 0.1, 3.0
    elif sym.is_negative:
        lo, hi = -3.0, -0.1
    elif sym.is_nonnegative:
        lo, hi = 0.0, 3.0
    else:
        lo, hi = -4.0, 4.0
    if sym.is_integer:
        return int(rng.integers(int(np.ceil(lo)), int(np.floor(hi)) + 1))
    # a random double is a rational number: mpmath then carries it exactly at 50 digits
    return float(rng.uniform(lo, hi))


def _evaluator(symbols, exprs, digits):
    """Callable point -> list of mpmath values: lambdify(mpmath), falling back to evalf per point
    (for functions the mpmath printer does not know)."""
    def by_evalf(point):
        subs = {s: sp.Float(p, digits) for s, p in zip(symbols, point)}
        return [mpmath.mpmathify(complex(sp.N(e.subs(subs), digits))) for e in exprs]

    try:
        f = sp.lambdify(symbols, exprs, modules="mpmath")
    except Exception:
        return by_evalf

    def run(point):
        with mpmath.workdps(digits):
            try:
                return [mpmath.mpmathify(v) for v in f(*[mpmath.mpf(p) for p in point])]
            except (ZeroDivisionError, OverflowError):
                raise
            except Exception:
                return by_evalf(point)
    return run


def _hint_value(hint, at, digits):
    """A hinted coordinate: a number, or an expression in the other symbols (a symbolic root such
    as x = t - h), evaluated at their sampled values to ``digits`` digits so that the point lies on
    the root to working precision, not merely to double precision."""
    hint = sp.sympify(hint)
    if not hint.free_symbols:
        return float(hint)
    with mpmath.workdps(digits):
        return mpmath.mpf(sp.N(hint.subs(at), digits)._mpf_)


def _numeric(claim, pairs, n_points, rng, digits, hints=()):
    """Compare both sides at random points. Returns (n_consistent, counterexample or None, detail)."""
    return compare_numerically([a for a, _ in pairs], [b for _, b in pairs], claim.free_symbols(),
                               n_points=n_points, rng=rng, digits=digits, ranges=claim.sample, hints=hints)


#: Sample points one verification may evaluate (each is an mpmath evaluation at 50 digits).
_MAX_POINTS = 10_000


def _sympy_only(value, name, kind=sp.Basic):
    """``value`` if it is a SymPy object of ``kind`` (or a real number); strings are refused, never parsed."""
    if isinstance(value, kind) or kind is sp.Basic and isinstance(value, numbers.Real) and not isinstance(value, bool):
        return value
    raise TypeError(f"{name} must hold SymPy {kind.__name__} objects (never strings), got {type(value).__name__} "
                    f"{value!r:.40}")


def _interval(r, name):
    if not isinstance(r, (tuple, list)) or len(r) != 2:
        raise TypeError(f"{name} must be a pair (low, high), got {r!r:.40}")
    lo, hi = as_float_scalar(r[0], f"{name}[0]"), as_float_scalar(r[1], f"{name}[1]")
    if not lo < hi:
        raise ValueError(f"{name} must satisfy low < high, got ({lo}, {hi})")
    return lo, hi


def compare_numerically(lhs, rhs, symbols, *, n_points=24, rng=0, digits=50, rtol=None, ranges=None, hints=()):
    """Evaluate ``lhs`` and ``rhs`` (SymPy expressions, or lists of them compared entry by entry) at
    ``n_points`` random points of ``symbols`` (plus the ``hints`` points first), with mpmath at ``digits``
    digits. A point where either side is singular, not finite or not evaluable says nothing either way.

    Returns ``(n_consistent, counterexample or None, detail)``: the number of points where all entries
    agree to the relative tolerance ``rtol`` (default 10**-(3/5 digits)), or the first point (symbol name
    -> value) where they differ and the two values. ``ranges``: symbol -> (lo, hi) sampling intervals
    (default from the symbols' assumptions). The one numeric equivalence test of the course: the claims of
    the book, the grader's SymPy answers (``ffgrader.exprs``) and the visible tests use it.
    """
    lhs = [_sympy_only(e, "lhs") for e in (lhs if isinstance(lhs, (list, tuple)) else [lhs])]
    rhs = [_sympy_only(e, "rhs") for e in (rhs if isinstance(rhs, (list, tuple)) else [rhs])]
    if len(lhs) != len(rhs):
        raise ValueError(f"lhs has {len(lhs)} entries but rhs has {len(rhs)}; they are compared entry by entry")
    if isinstance(symbols, (sp.Symbol, str, bytes)) or not isinstance(symbols, (list, tuple, set, frozenset)):
        symbols = [symbols]
    symbols = [_sympy_only(s, "symbols", sp.Symbol) for s in symbols]
    n_points = as_count(n_points, "n_points", limit=_MAX_POINTS)
    digits = as_int_scalar(digits, "digits", min_value=15, max_value=1000)
    rng = as_rng(rng)
    if ranges is not None and not isinstance(ranges, Mapping):
        raise TypeError(f"ranges must be a dict symbol -> (low, high), got {type(ranges).__name__}")
    ranges = {_sympy_only(s, "ranges", sp.Symbol): _interval(r, f"ranges[{s}]") for s, r in (ranges or {}).items()}
    if rtol is not None:
        rtol = as_float_scalar(rtol, "rtol", min_value=0.0, strict_min=True)
    if not isinstance(hints, (list, tuple)) or not all(isinstance(h, Mapping) for h in hints):
        raise TypeError(f"hints must be a list of dicts symbol -> value, got {hints!r:.40}")
    run = _evaluator(symbols, lhs + rhs, digits)
    tol = mpmath.mpf(10) ** (-(digits * 3 // 5)) if rtol is None else mpmath.mpf(rtol)
    consistent = 0
    # points suggested by the symbolic pass come first: they sit inside the suspicious interval
    for i in range(len(hints) + n_points):
        point = [_sample(s, rng, ranges) for s in symbols]
        if i < len(hints):
            at = {s: sp.Float(p, digits) for s, p in zip(symbols, point)}
            point = [_hint_value(hints[i][s], at, digits) if s in hints[i] else p
                     for s, p in zip(symbols, point)]
        try:
            values = run(point)
        except (ZeroDivisionError, ValueError, TypeError, OverflowError):
            continue  # a singular or unsupported point says nothing either way
        with mpmath.workdps(digits):
            for k, (a, b) in enumerate(zip(values[: len(lhs)], values[len(lhs):])):
                if not (mpmath.isfinite(a) and mpmath.isfinite(b)):
                    break
                if abs(a - b) > tol * max(1, abs(a), abs(b)):
                    where = {s.name: float(p) if isinstance(p, mpmath.mpf) else p
                             for s, p in zip(symbols, point)}
                    entry = f"entry {k}: " if len(lhs) > 1 else ""
                    detail = (f"{entry}lhs = {mpmath.nstr(a, 12)}, rhs = {mpmath.nstr(b, 12)}")
                    return consistent, where, detail
            else:
                consistent += 1
    return consistent, None, ""


def verify(claim, *, n_points: int = 24, rng=0, digits: int = 50) -> Result:
    """Decide ``claim`` (a :class:`Claim`; :func:`nnlib.symbolic.verify` also takes a registry name).

    rng: numpy Generator or int seed for the numeric points (never the global state).
    """
    if not isinstance(claim, Claim):
        raise TypeError(f"claim must be a Claim or a claim name, got {type(claim).__name__}")
    n_points = as_count(n_points, "n_points", min_value=1, limit=_MAX_POINTS)
    rng = as_rng(rng)
    t0 = time.perf_counter()
    pairs = _entries(claim.lhs, claim.rhs)
    # Numbers first: a false claim is refuted cheaply, without a simplify() of a large nonzero
    # expression (which can take minutes). Only numerically consistent claims go to SymPy.
    consistent, where, detail = _numeric(claim, pairs, n_points, rng, digits)
    if where is None:
        hints: list = []
        symbolic = True
        for a, b in pairs:
            # no short-circuit: every entry contributes its candidate counterexamples
            symbolic &= _symbolic_zero(sp.sympify(a - b), claim.almost_everywhere, hints)
        if hints:  # suspicious intervals the random points may have missed
            extra, where, detail = _numeric(claim, pairs, 0, rng, digits, hints[:8])
            consistent += extra
    dt = time.perf_counter() - t0
    if where is not None:
        return Result(claim.name, "refuted", f"mpmath, {digits} digits", where, detail, dt)
    if symbolic:
        how = "piecewise + simplify" if any(
            a.has(*_PIECEWISE_HEADS) or b.has(*_PIECEWISE_HEADS) for a, b in pairs) else "simplify"
        if len(pairs) > 1:
            how += f", {len(pairs)} entries"
        return Result(claim.name, "proved", how, None, f"numeric spot check at {consistent} points", dt)
    return Result(claim.name, "undecided",
                  f"SymPy could not simplify; numerically consistent at {consistent} points",
                  None, f"mpmath, {digits} digits", dt)
