"""Visible-test helpers for the homework notebooks: ``from ffgrader import visible_tests as G``.

Students run these in their own kernel to see what is wrong with an answer before they submit. They are
NOT what grades a submission: the grader never runs test cells, it runs the trusted checks of
``solutions/<hw>/checks.py`` outside the student's kernel (``ffgrader.checks``). So nothing here has to resist
tampering; it has to give good messages. Every message names the part, says WHAT is wrong (type, shape,
dtype, NaN, value) and WHERE (index, row, layer), and shows expected vs got. The same comparison functions
(``array_problem`` ...) build the messages of the hidden checks, so both speak the same language.

At import only numpy is used: this module also loads inside the grading sandbox (the notebooks' locked first
cell imports it), where the course library ``nnlib`` is not importable, and it does not depend on nbgrader.
``check_gradients`` and ``check_expr`` import their one home in nnlib when called (finite differences:
``nnlib.gradcheck.numerical_gradient``; numeric equivalence: ``nnlib.symbolic_core.compare_numerically``),
which the course wheel installs next to this module.

API
---
``call(part, fn, *args, strict=False, **kwargs)``
    Call a student function. An exception becomes a ``CheckFailed`` naming the part, the function and the
    shapes of the arguments; ``strict=True`` also turns numpy overflow / invalid-operation warnings into a
    failure (the property "no overflow for |z| up to 1e4"). Array arguments modified in place are reported.
``check_array(part, value, expected, rtol=1e-7, atol=1e-10, hint="", inputs=None)``
    ``value`` must be a float ``numpy.ndarray`` (exactly, not a list or subclass) of ``expected``'s shape, finite
    where ``expected`` is, and close entry-wise. ``inputs`` (name -> array of the same shape) are shown at the
    first mismatching index.
``check_scalar(part, value, expected, rtol=1e-7, atol=1e-10, hint="")``
``check_equal(part, value, expected, hint="")``
    Exact equality of ints, bools, strings, None and nested tuples/lists of them (``True`` is not ``1``).
``check_truth_table(part, fn, table, hint="")``
    ``table``: rows ``(inputs, expected)``; names the first failing row.
``check_expr(part, expr, expected, symbols, hint="", positive=False)``
    A SymPy answer compared at random points (equivalent forms pass); unevaluated derivatives are refused.
``check_gradients(part, loss, params, grads, eps=1e-6, rtol=1e-5, atol=1e-8, hint="")``
    Centred finite differences of ``loss()`` (a zero-argument function of the arrays in ``params``, perturbed
    in place) against ``grads`` (same structure: a dict name -> array or a list of such dicts, one per layer).
    A loss that does not change at all (e.g. zero stubs) fails: it proves nothing.
``require(part, namespace, *names)``
    Fail unless every name is defined (e.g. ``require("3a", globals(), "delta_out")``).
``rng(seed)``
    ``numpy.random.default_rng(seed)``.

The checks raise on failure and return None: a test cell that ends with one shows no output, so nbgrader's
``validate`` does not read a displayed ``True`` as a partial-credit score ("Cell output is True, which cannot
be converted to a float").
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .i18n import kernel_language, translate

__all__ = ["CheckFailed", "call", "check_array", "check_scalar", "check_equal", "check_truth_table", "check_expr",
           "check_gradients", "require", "rng", "describe", "array_problem", "scalar_problem", "equal_problem", "args_summary"]


class CheckFailed(AssertionError):
    """A failed visible test (an AssertionError, so a notebook cell shows it as an error)."""


def _fail(part, msg, hint=""):
    # In the language of the student's release (ffgrader.i18n: FFNN_LANG, the notebook's metadata, the locale).
    raise CheckFailed(translate(f"[{part}] {msg}" + (f"\nHint: {hint}" if hint else ""), kernel_language()))


def require(part, namespace, *names):
    """Fail with a clear message unless every one of ``names`` is defined in ``namespace``."""
    missing = [n for n in names if n not in namespace]
    if missing:
        _fail(part, f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not defined: run the answer cell "
                    "above (did it raise an error?).")
    return None


def rng(seed):
    """A numpy Generator for test inputs."""
    return np.random.default_rng(seed)


# --- descriptions shared with the hidden checks ---------------------------------------------------

def describe(value) -> str:
    """A short, type-exact description of a value: 'a list of length 3', 'float64 array of shape (2, 3)'."""
    t = type(value)
    if t is np.ndarray:
        return f"a {value.dtype} array of shape {value.shape}"
    if t in (list, tuple, dict):
        return f"a {t.__name__} of length {len(value)}"
    if t is type(None):
        return "None"
    if t in (bool, int, float, str):
        text = repr(value)
        return f"the {t.__name__} {text if len(text) <= 40 else text[:37] + '...'}"
    name = getattr(t, "__qualname__", str(t))
    module = getattr(t, "__module__", "")
    return f"a value of type {module + '.' if module not in ('builtins', '') else ''}{name}"


def fmt_index(idx) -> str:
    return "(" + ", ".join(str(int(i)) for i in idx) + (",)" if len(idx) == 1 else ")")


def _fmt(x) -> str:
    return repr(float(x)) if np.isfinite(x) else str(float(x))


def array_problem(value, expected, rtol=1e-7, atol=1e-10, inputs=None) -> str | None:
    """What is wrong with ``value`` as a float array close to ``expected``; None when it is right."""
    exp = np.asarray(expected, dtype=np.float64)
    if type(value) is not np.ndarray:
        extra = " (convert with np.asarray(..., dtype=float))" if type(value) in (list, tuple) else ""
        return f"expected a numpy array of shape {exp.shape} with a float dtype, got {describe(value)}{extra}."
    if value.dtype.kind != "f":
        return (f"expected a float array, got dtype {value.dtype} (shape {value.shape}); "
                "return floats, e.g. with .astype(float).")
    if value.shape != exp.shape:
        return f"wrong shape: got {value.shape}, expected {exp.shape}."
    v = np.array(value, dtype=np.float64, copy=True)
    fin = np.isfinite(exp)
    same_nonfinite = (v == exp) | (np.isnan(v) & np.isnan(exp))
    err = np.zeros(v.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        err[fin] = np.abs(v[fin] - exp[fin])
        bad = np.where(fin, ~(err <= atol + rtol * np.abs(np.where(fin, exp, 0.0))), ~same_nonfinite)
    n_bad = int(np.count_nonzero(bad))
    if not n_bad:
        return None
    idx = tuple(np.argwhere(bad)[0])
    where = f"index {fmt_index(idx)}" if v.ndim else "the value"
    shown = _inputs_at(inputs, idx, v.shape)
    nonfinite = int(np.count_nonzero(~np.isfinite(v) & fin))
    # Whole sentences with placeholders (not pieces added up): ffgrader.i18n translates them as templates.
    counts = ""
    if v.ndim:
        error = f"; max abs error {float(err[fin & np.isfinite(v)].max()):.3g}" if np.any(fin & np.isfinite(v)) else ""
        counts = f" ({n_bad} of {v.size} entries wrong{error})"
    tail = (f". {nonfinite} entries are NaN/inf where finite values were expected: look for overflow or 0/0"
            if nonfinite else "")
    return f"first mismatch at {where}{shown}: got {_fmt(v[idx])}, expected {_fmt(exp[idx])}{counts}{tail}."


def _inputs_at(inputs, idx, shape) -> str:
    if not inputs:
        return ""
    parts = []
    for name, arr in inputs.items():
        a = np.asarray(arr)
        if a.shape == shape and a.ndim:
            value = a[idx].item() if a.dtype.kind in "biuf" else a[idx]
            parts.append(f"{name}[{', '.join(str(int(i)) for i in idx)}] = {value!r}")
        elif a.ndim >= 1 and len(idx) >= 1 and a.shape[0] == shape[0]:
            parts.append(f"row {int(idx[0])} of {name}")
    return f" (where {', '.join(parts)})" if parts else ""


def as_real(value):
    """``value`` as a Python float if it is a real number (int/float, numpy scalar, 0-d float array), else None."""
    t = type(value)
    if t is bool or t is np.bool_:
        return None
    if t in (int, float) or (isinstance(value, np.generic) and isinstance(value, (np.floating, np.integer))):
        try:
            return float(value)
        except OverflowError:  # an int beyond float's range (10**400): as far from any finite answer as inf
            return math.inf if value > 0 else -math.inf
    if t is np.ndarray and value.ndim == 0 and value.dtype.kind in "fi":
        return float(value[()])
    return None


def scalar_problem(value, expected, rtol=1e-7, atol=1e-10) -> str | None:
    v = as_real(value)
    if v is None:
        return f"expected a real number (a float), got {describe(value)}."
    e = float(expected)
    if not math.isfinite(v) and math.isfinite(e):
        return f"got {v!r}, expected {e!r} (look for overflow or 0/0)."
    if v != e and not (abs(v - e) <= atol + rtol * abs(e)):
        return f"got {v!r}, expected {e!r} (abs error {abs(v - e):.3g})."
    return None


def plain(value, where="the value"):
    """``(kind, data)`` for ints/bools/strings/None/tuples/lists, or a string saying what else it is."""
    t = type(value)
    if t is bool or t is np.bool_:
        return ("bool", bool(value))
    if t is int or isinstance(value, np.integer):
        return ("int", int(value))
    if t is float or isinstance(value, np.floating):
        return ("float", float(value))
    if t is str or t is type(None):
        return (t.__name__, value)
    if t in (tuple, list):
        items = []
        for i, x in enumerate(value):
            p = plain(x, f"{where}[{i}]")
            if isinstance(p, str):
                return p
            items.append(p)
        return (t.__name__, tuple(items))
    return f"{where} is {describe(value)}; expected ints, bools, strings or tuples/lists of them."


def _unplain(p):
    kind, v = p
    if kind in ("tuple", "list"):
        inner = [_unplain(x) for x in v]
        return tuple(inner) if kind == "tuple" else inner
    return v


def equal_problem(value, expected) -> str | None:
    pv, pe = plain(value), plain(expected)
    if isinstance(pv, str):
        return pv
    if pv != pe:
        return f"got {_unplain(pv)!r} ({pv[0]}), expected {_unplain(pe)!r} ({pe[0]})."
    return None


def args_summary(args, kwargs=None, names=None) -> str:
    """'z: float64 array of shape (25,), gamma: the float 0.1' (positional names from ``names`` if given)."""
    items = []
    for i, a in enumerate(args):
        name = names[i] if names and i < len(names) else f"argument {i + 1}"
        items.append(f"{name}: {_short(a)}")
    for k, a in (kwargs or {}).items():
        items.append(f"{k}: {_short(a)}")
    return ", ".join(items) if items else "no arguments"


def _short(a) -> str:
    t = type(a)
    if t is np.ndarray:
        return f"{a.dtype} array of shape {a.shape}"
    if t in (list, tuple) and a and all(type(x) is dict for x in a):
        return f"{t.__name__} of {len(a)} dicts with keys {sorted(a[0])}"
    if callable(a):
        return f"the function {getattr(a, '__name__', t.__name__)}"
    return describe(a).removeprefix("a ").removeprefix("the ")


# --- visible-test checks ----------------------------------------------------------------------------

def check_array(part, value, expected, rtol=1e-7, atol=1e-10, hint="", inputs=None):
    problem = array_problem(value, expected, rtol, atol, inputs)
    if problem:
        _fail(part, problem, hint)
    return None


def check_scalar(part, value, expected, rtol=1e-7, atol=1e-10, hint=""):
    problem = scalar_problem(value, expected, rtol, atol)
    if problem:
        _fail(part, problem, hint)
    return None


def check_equal(part, value, expected, hint=""):
    problem = equal_problem(value, expected)
    if problem:
        _fail(part, problem, hint)
    return None


def check_truth_table(part, fn, table, hint=""):
    for r, (inputs, expected) in enumerate(table):
        inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
        out = call(f"{part}, row {r} (inputs {inputs})", fn, *inputs)
        v = as_real(out)
        if v is None:
            _fail(part, f"row {r} (inputs {inputs}): expected a number 0/1, got {describe(out)}.", hint)
        if v != float(expected):
            _fail(part, f"row {r} of the truth table is wrong: inputs {inputs} gave {out!r}, expected {expected!r}.",
                  hint)
    return None


def call(part, fn, *args, strict=False, **kwargs):
    """Call ``fn``; its exception (or, with ``strict``, a numpy overflow/invalid warning) fails ``part``."""
    name = getattr(fn, "__name__", "the function")
    copies = [(i, a.copy()) for i, a in enumerate(args) if type(a) is np.ndarray]
    names = _param_names(fn)
    try:
        if strict:
            with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
                warnings.simplefilter("error", RuntimeWarning)
                out = fn(*args, **kwargs)
        else:
            out = fn(*args, **kwargs)
    except NotImplementedError:
        _fail(part, f"{name} is not implemented yet (it raised NotImplementedError).")
    except (FloatingPointError, RuntimeWarning) as exc:
        _fail(part, f"{name} overflowed or computed 0/0 ({exc}) when called with {args_summary(args, kwargs, names)}.",
              "use a form that never exponentiates a large positive number (the tests use |z| up to 1e4)")
    except CheckFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - the student's error, reported with the part and the inputs
        _fail(part, f"{name} raised {type(exc).__name__}: {exc} when called with {args_summary(args, kwargs, names)}.")
    for i, c in copies:
        if not np.array_equal(args[i], c, equal_nan=True):
            _fail(part, f"{name} modified its argument {names[i] if i < len(names) else '#' + str(i + 1)} in place; "
                        "compute new arrays instead.")
    return out


def _param_names(fn):
    try:
        import inspect
        return [p.name for p in inspect.signature(fn).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []


# --- symbolic answers ---------------------------------------------------------------------------------

def check_expr(part, expr, expected, symbols, hint="", positive=False, points=12, seed=0):
    """``expr`` (a SymPy expression or a number) equals ``expected`` at random points of ``symbols``."""
    import sympy as sp

    from nnlib.symbolic_core import compare_numerically

    if isinstance(expr, (int, float)) and type(expr) is not bool:
        expr = sp.sympify(expr)
    if not isinstance(expr, sp.Basic):
        _fail(part, f"expected a SymPy expression, got {describe(expr)}.", hint)
    if expr.has(sp.Derivative, sp.Integral, sp.Subs):
        _fail(part, "your expression contains an unevaluated Derivative/Integral/Subs; write the result out by hand.",
              hint)
    unknown = sorted(str(s) for s in expr.free_symbols - set(symbols))
    if unknown:
        _fail(part, f"your expression uses unknown symbol(s) {', '.join(unknown)}; "
                    f"use only {', '.join(str(s) for s in symbols)}.", hint)
    lo, hi = (0.1, 2.0) if positive else (-2.0, 2.0)
    agree, where, detail = compare_numerically(expr, sp.sympify(expected), list(symbols), n_points=points, rng=seed,
                                               digits=20, rtol=1e-9, ranges={s: (lo, hi) for s in symbols})
    if where is not None:
        shown = ", ".join(f"{k}={float(v):.4g}" for k, v in where.items())
        _fail(part, f"not equivalent to the expected expression: at {shown} "
                    f"{detail.replace('lhs', 'yours').replace('rhs', 'expected')}.", hint)
    return None


# --- gradient checks ----------------------------------------------------------------------------------

def _flatten(params, grads):
    """[(label, param array, grad)] for a dict or a list of dicts (one per layer)."""
    if isinstance(params, dict):
        params, grads, single = [params], [grads], True
    else:
        single = False
    if not isinstance(grads, (list, tuple)) or len(grads) != len(params):
        raise CheckFailed(f"expected gradients for {len(params)} layer(s), got {describe(grads)}.")
    out = []
    for l, (p, g) in enumerate(zip(params, grads), start=1):
        if type(g) is not dict:
            raise CheckFailed(f"layer {l}: expected a dict of gradients, got {describe(g)}.")
        for key, arr in p.items():
            label = f"parameter {key!r}" if single else f"layer {l} parameter {key!r}"
            out.append((label, arr, g.get(key)))
    return out


def check_gradients(part, loss, params, grads, eps=1e-6, rtol=1e-5, atol=1e-8, hint=""):
    from nnlib.gradcheck import numerical_gradient

    try:
        entries = _flatten(params, grads)
    except CheckFailed as exc:
        _fail(part, str(exc), hint)
    moved = 0.0
    for label, p, g in entries:
        if g is None:
            _fail(part, f"no gradient for {label}.", hint)
        if type(g) is not np.ndarray or g.shape != p.shape:
            _fail(part, f"the gradient of {label} must be an array of shape {p.shape}, got {describe(g)}.", hint)
        num = numerical_gradient(lambda _: float(loss()), p, eps)
        moved = max(moved, float(np.max(np.abs(num), initial=0.0)))
        for idx in np.ndindex(p.shape):
            if not abs(g[idx] - num[idx]) <= atol + rtol * max(abs(num[idx]), abs(g[idx])):
                _fail(part, f"gradient of {label} at index {fmt_index(idx)}: yours {float(g[idx])!r}, "
                            f"finite differences {float(num[idx])!r}.", hint)
    if moved == 0.0:
        _fail(part, "the loss does not change at all when the parameters change, so the gradient check proves "
                    "nothing (are your functions still stubs returning zeros?).", hint)
    return None
