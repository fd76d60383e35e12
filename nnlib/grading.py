"""Checks used by the homework test cells (nbgrader), hardened against a student kernel.

Every homework notebook starts with a locked cell ``from nnlib import grading as G``. Importing this
module snapshots the numpy, sympy and builtins objects it relies on; every check first verifies that
none of them was replaced since (``np.allclose = lambda *a, **k: True`` is detected) and then compares
using the captured references only. Values are checked by *exact type* before anything else, so a
return value whose ``__eq__``/``__bool__`` always says True, or an ``ndarray`` subclass, is rejected.

All checks raise ``AssertionError`` with a message that names the part, says WHAT is wrong (type,
shape, dtype, NaN, value) and WHERE (first mismatching index, truth-table row, layer/parameter), and
appends the optional ``hint``.

API
---
``check_array(part, value, expected, rtol=1e-7, atol=1e-10, hint="")``
    ``value`` must be a real ``numpy.ndarray`` (not a subclass) of a float dtype with
    ``expected``'s shape, free of NaN/inf where ``expected`` is finite, and close to ``expected``
    entry-wise (``|v - e| <= atol + rtol * |e|``).
``check_scalar(part, value, expected, rtol=1e-7, atol=1e-10, hint="")``
    ``value`` must be a Python ``int``/``float`` or a numpy integer/float scalar (or a 0-d float
    array), finite, and close to ``expected``.
``check_equal(part, value, expected, hint="")``
    Exact equality for ints, bools, strings and (nested) tuples/lists of them; types are compared
    exactly (``True`` is not ``1``) except that numpy integer/bool scalars count as ``int``/``bool``.
``check_expr(part, student_expr, expected_expr, symbols, hint="", positive=False)``
    SymPy equivalence. ``student_expr`` is a SymPy expression (or a string parsed with ``symbols``,
    a list of ``Symbol``); equivalent forms are accepted: ``simplify(student - expected) == 0``, with
    a numeric fallback at random points (positive points if ``positive``).
``check_truth_table(part, fn, table, hint="")``
    ``table`` is a sequence of ``(inputs, expected)`` rows; ``fn(*inputs)`` must equal ``expected``
    (as 0/1 or bool); the message names the first failing row.
``check_gradients(part, fn_or_net, params=None, grads=None, X=None, Y=None, eps=1e-6, rtol=1e-5, atol=1e-8, hint="")``
    Centred finite differences. Either ``fn_or_net`` is a zero-argument function returning the loss
    computed from the arrays in ``params`` (perturbed in place), and ``grads`` are the analytic
    gradients with the same structure (a dict name -> array, or a list of such dicts, one per
    layer); or ``fn_or_net`` is a network with ``gradients(X, Y) -> (loss, grads)``, ``loss(X, Y)``
    and ``params()`` (nnlib.network.MLP API). The message names the layer and parameter that is off.
``call(part, fn, *args, **kwargs)``
    Calls a student function; an exception becomes an ``AssertionError`` naming the part, and array
    arguments modified in place are reported.
``rng(seed)``
    A ``numpy.random.Generator`` built from the captured constructor (test cells use it for inputs).
``tampering()``
    The list of replaced names (empty when clean); every check calls it and fails if non-empty.
"""

from __future__ import annotations

import builtins as _builtins_mod
import math as _math_mod
import sys as _sys

import numpy as _np
import sympy as _sp

__all__ = [
    "check_array", "check_scalar", "check_equal", "check_expr", "check_truth_table",
    "check_gradients", "call", "rng", "tampering", "GradingError",
]

# --- references captured at import, before any student code runs ------------------------------

_BUILTIN_NAMES = (
    "isinstance", "issubclass", "type", "len", "abs", "float", "int", "bool", "str", "repr", "getattr",
    "setattr", "hasattr", "range", "zip", "enumerate", "min", "max", "sum", "round", "all", "any", "tuple",
    "list", "dict", "set", "print", "id", "callable", "sorted", "map", "filter", "iter", "next", "object",
    "Exception", "BaseException", "AssertionError", "ValueError", "TypeError", "super", "vars", "format",
    "hash", "divmod", "pow", "slice", "complex", "frozenset", "exec", "eval", "compile", "__import__",
)
_SYMPY_NAMES = (
    "sympify", "simplify", "Symbol", "symbols", "Expr", "Basic", "lambdify", "S", "N", "nsimplify",
    "preorder_traversal", "Integer", "Float", "Rational", "expand", "cancel", "together", "Matrix",
    "diff", "exp", "log", "sqrt", "Eq", "zoo", "nan", "oo",
)


def _snapshot_module(mod, names=None):
    d = vars(mod)
    if names is None:
        names = [k for k in d if not (k.startswith("__") and k.endswith("__"))]
    return {k: d[k] for k in names if k in d}


_SNAPSHOTS = {
    "numpy": (_np, _snapshot_module(_np)),
    "numpy.linalg": (_np.linalg, _snapshot_module(_np.linalg)),
    "numpy.random": (_np.random, _snapshot_module(_np.random)),
    "math": (_math_mod, _snapshot_module(_math_mod)),
    "builtins": (_builtins_mod, _snapshot_module(_builtins_mod, _BUILTIN_NAMES)),
    "sympy": (_sp, _snapshot_module(_sp, _SYMPY_NAMES)),
}
_SYS_MODULES = {name: mod for name, (mod, _) in _SNAPSHOTS.items()}
_MISSING = object()
_GENUINE_PACKAGES = frozenset({"numpy", "sympy", "math", "builtins", "mpmath", "_operator", "functools"})


def _foreign_at_import():
    """Callables that were already replaced *before* this import (e.g. by a cell added above the import cell):
    every genuine one is defined in the library itself, a student's lambda lives in ``__main__``."""
    out = []
    for modname, (_, snap) in _SNAPSHOTS.items():
        for k, v in snap.items():
            if callable(v) and not isinstance(v, type(_sys)):
                owner = getattr(v, "__module__", None)
                if not (isinstance(owner, str) and owner.split(".")[0] in _GENUINE_PACKAGES):
                    out.append(f"{modname}.{k}")
    return out


_FOREIGN = _foreign_at_import()

# The functions the checks call: bound here so a later rebinding in the student kernel is not used.
_type = type
_isinstance = isinstance
_len = len
_float = float
_int = int
_bool = bool
_repr = repr
_tuple = tuple
_list = list
_range = range
_zip = zip
_enumerate = enumerate
_min = min
_max = max
_ndarray = _np.ndarray
_generic = _np.generic
_integer = _np.integer
_floating = _np.floating
_bool_ = _np.bool_
_asarray = _np.asarray
_array = _np.array
_abs = _np.abs
_isfinite = _np.isfinite
_isnan = _np.isnan
_argwhere = _np.argwhere
_count_nonzero = _np.count_nonzero
_unravel = _np.unravel_index
_argmax = _np.argmax
_nditer_ndindex = _np.ndindex
_copy = _np.copy
_array_equal = _np.array_equal
_default_rng = _np.random.default_rng
_sympify = _sp.sympify
_simplify = _sp.simplify
_Basic = _sp.Basic
_Symbol = _sp.Symbol
_preorder = _sp.preorder_traversal
_sp_Float = _sp.Float
_sp_Integer = _sp.Integer
_sp_Rational = _sp.Rational
_sp_Zero = _sp.S.Zero
_math_isfinite = _math_mod.isfinite


class GradingError(AssertionError):
    """A failed check (an AssertionError, so nbgrader scores the cell 0)."""


def _fail(part, msg, hint=""):
    text = f"[{part}] {msg}"
    if hint:
        text += f"\nHint: {hint}"
    raise GradingError(text)


def tampering():
    """Names of captured numpy/sympy/math/builtins objects that were replaced or deleted since import."""
    bad = list(_FOREIGN)
    for modname, (mod, snap) in _SNAPSHOTS.items():
        if _sys.modules.get(modname, mod) is not _SYS_MODULES[modname] and modname != "builtins":
            bad.append(f"sys.modules[{modname!r}]")
        d = vars(mod)
        for k, v in snap.items():
            if d.get(k, _MISSING) is not v:
                bad.append(f"{modname}.{k}")
    g = _sys.modules.get(__name__)
    if g is None:
        bad.append(f"sys.modules[{__name__!r}]")
    else:
        gd = vars(g)
        for k, v in _OWN.items():
            if gd.get(k, _MISSING) is not v:
                bad.append(f"{__name__}.{k}")
    return bad


def _guard(part):
    bad = tampering()
    if bad:
        shown = ", ".join(bad[:5]) + (f" and {_len(bad) - 5} more" if _len(bad) > 5 else "")
        raise GradingError(
            f"[{part}] tampering detected: {shown} was replaced (not the library's own function). "
            "Do not reassign library functions; restart the kernel and run the notebook from the top."
        )


def _describe(value):
    t = _type(value)
    if t is _ndarray:
        return f"ndarray of shape {value.shape} and dtype {value.dtype}"
    name = f"{t.__module__}.{t.__qualname__}" if t.__module__ != "builtins" else t.__qualname__
    return f"a value of type {name}"


def _fmt_index(idx):
    return "(" + ", ".join(str(_int(i)) for i in idx) + (",)" if _len(idx) == 1 else ")")


# --- arrays and scalars -------------------------------------------------------------------------

def check_array(part, value, expected, rtol=1e-7, atol=1e-10, hint=""):
    """Check a float ndarray against the reference ``expected`` (any array-like, shape ``S``)."""
    _guard(part)
    exp = _asarray(expected, dtype=_float) if _type(expected) is not _ndarray else expected
    if _type(value) is not _ndarray:
        _fail(part, f"expected a numpy ndarray of shape {exp.shape} (float dtype), got {_describe(value)}.", hint)
    if value.dtype.kind != "f":
        _fail(part, f"expected a float array, got dtype {value.dtype} (shape {value.shape}). "
                    "Integer/object arrays lose precision or hide Python objects.", hint)
    if value.shape != exp.shape:
        _fail(part, f"shape mismatch: got {value.shape}, expected {exp.shape}.", hint)
    v = _array(value, dtype=_np.float64, copy=True)  # plain copy: later mutation cannot change the verdict
    e = _array(exp, dtype=_np.float64, copy=True)
    nan_v = ~_isfinite(v) & _isfinite(e)
    if _count_nonzero(nan_v):
        idx = _tuple(_argwhere(nan_v)[0])
        _fail(part, f"got a non-finite value {_float(v[idx])!r} at index {_fmt_index(idx)} where {_float(e[idx])!r} was expected "
                    f"({_int(_count_nonzero(nan_v))} non-finite entries in total; look for overflow or 0/0).", hint)
    bad_nonfinite = ~_isfinite(e) & ~((v == e) | (_isnan(v) & _isnan(e)))
    fin = _isfinite(e)
    err = _np.zeros(v.shape)
    err[fin] = _abs(v[fin] - e[fin])  # inf - inf would warn; non-finite entries were compared above
    tol = atol + rtol * _abs(_np.where(fin, e, 0.0))
    bad = bad_nonfinite | (_isfinite(e) & ~(err <= tol))
    n_bad = _int(_count_nonzero(bad))
    if n_bad:
        idx = _tuple(_argwhere(bad)[0])
        finite_err = err[_isfinite(e)]
        worst = _float(finite_err.max()) if finite_err.size else float("inf")
        _fail(part, f"values differ: first mismatch at index {_fmt_index(idx)}: got {_float(v[idx])!r}, expected {_float(e[idx])!r} "
                    f"({n_bad} of {v.size} entries off; max abs error {worst:.3g}; rtol={rtol}, atol={atol}).", hint)
    return True


def _as_real_scalar(part, value, hint):
    t = _type(value)
    if t is _bool or t is _bool_:
        _fail(part, f"expected a number, got a bool ({value!r}).", hint)
    if t is _float or t is _int or (_isinstance(value, _generic) and _isinstance(value, (_floating, _integer))):
        return _float(value)
    if t is _ndarray and value.ndim == 0 and value.dtype.kind in "fi":
        return _float(value[()])
    _fail(part, f"expected a real number (float), got {_describe(value)}.", hint)


def check_scalar(part, value, expected, rtol=1e-7, atol=1e-10, hint=""):
    """Check a real number against ``expected`` (``|v - e| <= atol + rtol * |e|``)."""
    _guard(part)
    v = _as_real_scalar(part, value, hint)
    e = _float(expected)
    if not _math_isfinite(v) and _math_isfinite(e):
        _fail(part, f"got {v!r}, expected {e!r} (look for overflow or 0/0).", hint)
    if not (abs(v - e) <= atol + rtol * abs(e)) and v != e:
        _fail(part, f"got {v!r}, expected {e!r} (abs error {abs(v - e):.3g}; rtol={rtol}, atol={atol}).", hint)
    return True


def _plain(part, value, where, hint):
    """Convert to plain Python data of exactly-known types, or fail (no user-defined __eq__ survives)."""
    t = _type(value)
    if t is _bool or t is _bool_:
        return ("bool", _bool(value))
    if t is _int or (_isinstance(value, _integer) and _isinstance(value, _generic)):
        return ("int", _int(value))
    if t is _float or (_isinstance(value, _floating) and _isinstance(value, _generic)):
        return ("float", _float(value))
    if t is str:
        return ("str", str.__str__(value))
    if t is _tuple or t is _list:
        return (t.__name__, _tuple(_plain(part, x, f"{where}[{i}]", hint) for i, x in _enumerate(value)))
    if t is type(None):
        return ("None", None)
    _fail(part, f"{where or 'the value'} is {_describe(value)}; expected an int, bool, str or a tuple of them.", hint)


def _unplain(p):
    kind, v = p
    if kind in ("tuple", "list"):
        inner = [_unplain(x) for x in v]
        return _tuple(inner) if kind == "tuple" else inner
    return v


def check_equal(part, value, expected, hint=""):
    """Exact equality for ints/bools/strings/tuples (types compared exactly, bool is not int)."""
    _guard(part)
    pv = _plain(part, value, "", hint)
    pe = _plain(part, expected, "", "")
    if pv != pe:  # both sides are builtin data: their == cannot be overridden
        _fail(part, f"got {_unplain(pv)!r} ({pv[0]}), expected {_unplain(pe)!r} ({pe[0]}).", hint)
    return True


def check_truth_table(part, fn, table, hint=""):
    """``table``: rows ``(inputs, expected)``; ``fn(*inputs)`` must give ``expected`` as 0/1 or bool."""
    _guard(part)
    for r, (inputs, expected) in _enumerate(table):
        inputs = _tuple(inputs) if _isinstance(inputs, (_tuple, _list)) else (inputs,)
        try:
            out = fn(*inputs)
        except Exception as exc:  # noqa: BLE001 - report the student's error with the row
            _fail(part, f"row {r} (inputs {inputs}): your function raised {_type(exc).__name__}: {exc}", hint)
        kind, v = _plain(part, out, f"the output for inputs {inputs}", hint)
        if kind not in ("bool", "int", "float"):
            _fail(part, f"row {r} (inputs {inputs}): expected a number 0/1, got {_describe(out)}.", hint)
        if _float(v) != _float(expected):
            _fail(part, f"row {r} of the truth table is wrong: inputs {inputs} gave {v!r}, expected {expected!r}.", hint)
    return True


# --- symbolic answers ---------------------------------------------------------------------------

def _to_expr(part, value, symbols, hint, what):
    if _type(value) is str:
        try:
            return _sympify(value, locals={s.name: s for s in symbols})
        except Exception as exc:  # noqa: BLE001
            _fail(part, f"could not parse {what} {value!r}: {exc}", hint)
    if _type(value) in (_int, _float):
        return _sympify(value)
    if not _isinstance(value, _Basic):
        _fail(part, f"{what} must be a SymPy expression (or a string), got {_describe(value)}.", hint)
    for node in _preorder(value):
        mod = _type(node).__module__ or ""
        if not (mod == "sympy" or mod.startswith("sympy.")):
            _fail(part, f"{what} contains a non-SymPy object of type {_type(node).__qualname__}.", hint)
    return value


def check_expr(part, student_expr, expected_expr, symbols, hint="", positive=False, samples=5, rtol=1e-8):
    """SymPy equivalence of ``student_expr`` and ``expected_expr`` over ``symbols``."""
    _guard(part)
    symbols = _tuple(symbols)
    s = _to_expr(part, student_expr, symbols, hint, "your answer")
    e = _to_expr(part, expected_expr, symbols, "", "the expected expression")
    free = s.free_symbols - set(symbols)
    if free:
        names = ", ".join(sorted(str(x) for x in free))
        _fail(part, f"your answer uses unknown symbol(s) {names}; allowed: {', '.join(str(x) for x in symbols)}.", hint)
    diff = _simplify(s - e)
    if diff is _sp_Zero or diff == 0:
        return True
    # simplify can miss identities (e.g. with piecewise or special functions): compare numerically.
    gen = _default_rng(12345)
    for _ in _range(samples):
        point = {x: _sp_Rational(_int(gen.integers(1, 200)), 97) * (1 if positive or gen.random() < 0.5 else -1)
                 for x in symbols}
        try:
            sv = complex(s.subs(point).evalf(30))
            ev = complex(e.subs(point).evalf(30))
        except Exception:  # noqa: BLE001 - undefined at this point: try another
            continue
        if not (abs(sv - ev) <= rtol * (1 + abs(ev))):
            shown = ", ".join(f"{k}={v}" for k, v in point.items())
            _fail(part, f"your expression {s} is not equivalent to the expected one: at {shown} it gives "
                        f"{sv.real if sv.imag == 0 else sv:.10g}, expected {ev.real if ev.imag == 0 else ev:.10g}.",
                  hint)
    return True


# --- gradients ----------------------------------------------------------------------------------

def _flatten_params(part, params, grads, hint):
    """Pair up (label, param array, grad array) from a dict or a list of dicts."""
    if _isinstance(params, dict):
        params, grads, single = [params], [grads], True
    else:
        single = False
    if not _isinstance(grads, (_list, _tuple)) or _len(grads) != _len(params):
        _fail(part, f"expected gradients for {_len(params)} layer(s), got {_describe(grads)}"
                    + (f" of length {_len(grads)}" if _isinstance(grads, (_list, _tuple)) else "") + ".", hint)
    out = []
    for l, (p, g) in _enumerate(_zip(params, grads)):
        if not _isinstance(g, dict):
            _fail(part, f"layer {l + 1}: gradients must be a dict like {{'W': dW, 'b': db}}, got {_describe(g)}.", hint)
        for name, arr in p.items():
            label = f"parameter {name!r}" if single else f"layer {l + 1} parameter {name!r}"
            if name not in g:
                _fail(part, f"{label}: no gradient returned (keys found: {sorted(g)}).", hint)
            out.append((label, arr, g[name]))
    return out


def check_gradients(part, fn_or_net, params=None, grads=None, X=None, Y=None, eps=1e-6, rtol=1e-5, atol=1e-8,
                    hint=""):
    """Compare analytic gradients with centred finite differences; names the layer/parameter that is off."""
    _guard(part)
    if params is None and hasattr(fn_or_net, "gradients") and hasattr(fn_or_net, "params"):
        net = fn_or_net
        _, grads = net.gradients(X, Y)
        params = net.params()

        def f():
            return net.loss(X, Y)
    else:
        f = fn_or_net
        if params is None or grads is None:
            _fail(part, "check_gradients needs params and grads when given a loss function.", "")
    for label, p, g in _flatten_params(part, params, grads, hint):
        if _type(p) is not _ndarray:
            _fail(part, f"{label}: the parameter is {_describe(p)}, expected an ndarray.", hint)
        if _type(g) is not _ndarray or g.dtype.kind != "f":
            _fail(part, f"{label}: the gradient must be a float ndarray of shape {p.shape}, got {_describe(g)}.", hint)
        if g.shape != p.shape:
            _fail(part, f"{label}: gradient shape {g.shape} differs from the parameter shape {p.shape}.", hint)
        analytic = _array(g, dtype=_np.float64, copy=True)
        numeric = _np.zeros(p.shape, dtype=_np.float64)
        for idx in _nditer_ndindex(*p.shape):
            old = p[idx]
            p[idx] = old + eps
            fp = _float(f())
            p[idx] = old - eps
            fm = _float(f())
            p[idx] = old
            numeric[idx] = (fp - fm) / (2 * eps)
        err = _abs(analytic - numeric)
        bad = ~(err <= atol + rtol * _np.maximum(_abs(analytic), _abs(numeric)))
        if _count_nonzero(bad):
            idx = _tuple(_argwhere(bad)[0])
            _fail(part, f"{label} gradient is off: at index {_fmt_index(idx)} the analytic value is {_float(analytic[idx]):.8g} but "
                        f"finite differences give {_float(numeric[idx]):.8g} ({_int(_count_nonzero(bad))} of {p.size} entries off).",
                  hint)
    return True


# --- calling student code -----------------------------------------------------------------------

def call(part, fn, *args, allow_mutation=False, **kwargs):
    """Call student ``fn``; exceptions and in-place modification of array arguments become clear failures."""
    _guard(part)
    copies = [(i, _copy(a)) for i, a in _enumerate(args) if _type(a) is _ndarray]
    try:
        out = fn(*args, **kwargs)
    except NotImplementedError:
        _fail(part, f"{getattr(fn, '__name__', 'the function')} is not implemented yet (it raised NotImplementedError).")
    except Exception as exc:  # noqa: BLE001 - the student's error, reported with the part
        _fail(part, f"{getattr(fn, '__name__', 'the function')} raised {_type(exc).__name__}: {exc}", hint="")
    if not allow_mutation:
        for i, c in copies:
            if not _array_equal(args[i], c, equal_nan=True):
                _fail(part, f"{getattr(fn, '__name__', 'the function')} modified its argument #{i + 1} in place; "
                            "compute new arrays instead.")
    return out


def rng(seed):
    """A numpy Generator from the constructor captured at import (for test inputs)."""
    return _default_rng(seed)


_OWN = {k: globals()[k] for k in __all__ if k != "GradingError"}
