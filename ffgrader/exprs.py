"""SymPy answers from the student: a whitelist parser for ``srepr`` text and a bounded equivalence test.

A student's expression crosses the sandbox as ``sympy.srepr`` text. ``parse`` reads it with Python's
``ast`` (never eval, sympify or pickle) and rebuilds it from a fixed set of SymPy classes, with
``evaluate=False`` so that nothing is computed while parsing (``Pow(10, 10**9)`` stays a tree). Symbols
are only those the check names. ``equivalent`` compares two expressions numerically at random points
(mpmath, 30 digits), then symbolically, each in a forked child that is killed when its budget ends.
"""

from __future__ import annotations

import ast
import json
import os
import random
import select
import signal
import time

import sympy as sp

MAX_TEXT = 100_000
MAX_NODES = 5_000
MAX_DEPTH = 60
MAX_INT_DIGITS = 60

# srepr head -> SymPy constructor (called with evaluate=False where it takes that keyword).
_FUNCS = {
    "Add": sp.Add, "Mul": sp.Mul, "Pow": sp.Pow,
    "exp": sp.exp, "log": sp.log, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "sinh": sp.sinh,
    "cosh": sp.cosh, "tanh": sp.tanh, "sech": sp.sech, "csch": sp.csch, "coth": sp.coth, "asinh": sp.asinh,
    "acosh": sp.acosh, "atanh": sp.atanh, "atan": sp.atan, "asin": sp.asin, "acos": sp.acos,
    "Abs": sp.Abs, "sign": sp.sign, "Heaviside": sp.Heaviside, "erf": sp.erf, "erfc": sp.erfc,
    "Max": sp.Max, "Min": sp.Min,
}
_LOGIC = {
    "StrictGreaterThan": sp.StrictGreaterThan, "GreaterThan": sp.GreaterThan,
    "StrictLessThan": sp.StrictLessThan, "LessThan": sp.LessThan, "Equality": sp.Equality,
    "Unequality": sp.Unequality, "And": sp.And, "Or": sp.Or, "Not": sp.Not,
}
_CONSTANTS = {"pi": sp.pi, "E": sp.E, "oo": sp.oo, "zoo": sp.zoo, "nan": sp.nan, "true": sp.true,
              "false": sp.false, "EulerGamma": sp.EulerGamma}
_NO_EVALUATE = {"Max", "Min", "And", "Or", "Not"}  # constructors that take no evaluate keyword


class ExprError(ValueError):
    """Text that is not a whitelisted SymPy expression."""


def parse(text, symbols):
    """Rebuild a SymPy expression from ``srepr`` text.

    ``symbols``: the Symbols the answer may use (a list of Symbols, or a dict name -> Symbol). A Symbol
    in the text is replaced by the check's Symbol of the same name (assumptions come from the check).
    Raises ExprError naming what is not allowed.
    """
    if type(text) is not str:
        raise ExprError(f"expression text must be str, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise ExprError(f"expression text of {len(text)} characters exceeds {MAX_TEXT}")
    table = symbols if isinstance(symbols, dict) else {s.name: s for s in symbols}
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
        raise ExprError(f"not an srepr expression ({type(e).__name__})") from None
    count = [0]
    return _build(tree.body, table, 0, count)


def _build(node, table, depth, count):
    count[0] += 1
    if count[0] > MAX_NODES:
        raise ExprError(f"expression has more than {MAX_NODES} nodes")
    if depth > MAX_DEPTH:
        raise ExprError(f"expression nested deeper than {MAX_DEPTH}")
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        if node.id == "I":
            raise ExprError("complex numbers (I) are not accepted")
        raise ExprError(f"name {node.id!r:.40} is not allowed")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Name) \
            and node.operand.id == "oo":
        return -sp.oo
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise ExprError(f"{type(node).__name__} is not allowed in an expression")
    head = node.func.id
    if head == "Symbol":
        return _symbol(node, table)
    if head == "Integer":
        return sp.Integer(_int_arg(node, 1)[0])
    if head == "Rational":
        p, q = _int_arg(node, 2)
        if q == 0:
            raise ExprError("Rational with denominator 0")
        return sp.Rational(p, q)
    if head == "Float":
        return _float(node)
    if head in ("Piecewise", "ExprCondPair"):
        if node.keywords:
            raise ExprError(f"{head} takes no keywords here")
        args = [_build(a, table, depth + 1, count) for a in node.args]
        if head == "ExprCondPair":
            if len(args) != 2:
                raise ExprError("ExprCondPair takes 2 arguments")
            return tuple(args)
        if not args or any(type(a) is not tuple for a in args):
            raise ExprError("Piecewise takes ExprCondPair arguments")
        try:
            return sp.Piecewise(*args, evaluate=False)
        except (TypeError, ValueError) as e:
            raise ExprError(f"malformed Piecewise: {e}") from None
    cls = _FUNCS.get(head) or _LOGIC.get(head)
    if cls is None:
        raise ExprError(f"{head!s:.40} is not an allowed SymPy function")
    if node.keywords:
        raise ExprError(f"{head} takes no keywords here")
    args = [_build(a, table, depth + 1, count) for a in node.args]
    if any(type(a) is tuple for a in args):
        raise ExprError("ExprCondPair outside Piecewise")
    try:
        return cls(*args) if head in _NO_EVALUATE else cls(*args, evaluate=False)
    except (TypeError, ValueError, AttributeError) as e:
        raise ExprError(f"malformed {head}: {e}") from None


def _symbol(node, table):
    if len(node.args) != 1 or not isinstance(node.args[0], ast.Constant) or type(node.args[0].value) is not str:
        raise ExprError("Symbol takes one name")
    for kw in node.keywords:  # assumptions in the text are accepted but the check's own Symbol is used
        if not isinstance(kw.value, ast.Constant) or type(kw.value.value) is not bool:
            raise ExprError("Symbol assumptions must be True/False")
    name = node.args[0].value
    if name not in table:
        allowed = ", ".join(sorted(table)) or "none"
        raise ExprError(f"the answer uses the symbol {name!r:.40}; allowed symbols: {allowed}")
    return table[name]


def _int_arg(node, n):
    if len(node.args) != n or node.keywords:
        raise ExprError(f"{node.func.id} takes {n} integer argument(s)")
    out = []
    for a in node.args:
        neg = isinstance(a, ast.UnaryOp) and isinstance(a.op, ast.USub)
        c = a.operand if neg else a
        if not isinstance(c, ast.Constant) or type(c.value) is not int:
            raise ExprError(f"{node.func.id} takes integer literals")
        if len(str(c.value)) > MAX_INT_DIGITS:
            raise ExprError(f"integer with more than {MAX_INT_DIGITS} digits")
        out.append(-c.value if neg else c.value)
    return out


def _float(node):
    if len(node.args) != 1 or not isinstance(node.args[0], ast.Constant) or type(node.args[0].value) is not str:
        raise ExprError("Float takes one string")
    text = node.args[0].value
    if len(text) > 80:
        raise ExprError("Float literal too long")
    prec = 53
    for kw in node.keywords:
        if kw.arg != "precision" or not isinstance(kw.value, ast.Constant) or type(kw.value.value) is not int:
            raise ExprError("Float takes only precision=<int>")
        prec = kw.value.value
    if not 1 <= prec <= 200:
        raise ExprError("Float precision out of range")
    try:
        return sp.Float(text, precision=prec)
    except (ValueError, TypeError):
        raise ExprError(f"malformed Float {text!r:.40}") from None


# ------------------------------------------------------------------------------------------------
# Equivalence, bounded in time
# ------------------------------------------------------------------------------------------------

def _cpu_seconds(pid):
    """User + system CPU time of a child process so far (Linux /proc), or None if unreadable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


# The budget is CPU time of the child, so a verdict does not depend on what else the machine is doing
# (a wall-clock budget made a correct SymPy answer "undecided", i.e. 0 points, on a loaded machine while a
# quiet serial run gave full marks). Wall-clock time is only a backstop against a child that sleeps.
WALL_BACKSTOP = 20.0


def run_killable(fn, args, budget):
    """Run ``fn(*args)`` (returning JSON-able data) in a forked child; None if it uses > budget s of CPU
    (or, as a backstop, runs > WALL_BACKSTOP * budget s of wall-clock time)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: compute, write JSON, leave without running any parent cleanup
        code = 0
        try:
            os.close(r)
            data = json.dumps(fn(*args)).encode()
            os.write(w, data)
        except BaseException:  # noqa: BLE001 - any failure is reported as "no answer"
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    backstop = time.monotonic() + WALL_BACKSTOP * budget
    chunks = []
    try:
        while True:
            if not select.select([r], [], [], min(0.05, budget))[0]:
                cpu = _cpu_seconds(pid)
                if time.monotonic() > backstop or (cpu is not None and cpu > budget):
                    return None
                continue
            chunk = os.read(r, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(r)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    try:
        return json.loads(b"".join(chunks).decode()) if chunks else None
    except ValueError:
        return None


def _points(symbols, positive, n, rnd):
    lo, hi = (0.3, 3.0) if positive else (-3.0, 3.0)
    return [{s: sp.Float(rnd.uniform(lo, hi), 30) for s in symbols} for _ in range(n)]


def _evaluator(expr, symbols):
    """A fast 30-digit evaluator of ``expr`` (mpmath code from lambdify), else substitution + evalf.

    lambdify generates and runs Python source, which is safe here: ``expr`` was rebuilt by ``parse`` from
    whitelisted heads and the check's own Symbols, or is the check's trusted reference.
    """
    try:
        import mpmath

        fn = sp.lambdify(symbols, expr, modules="mpmath")

        def fast(pt):
            with mpmath.workdps(30):
                return complex(fn(*[mpmath.mpf(str(pt[s])) for s in symbols]))

        return fast
    except Exception:  # noqa: BLE001 - a head mpmath has no function for: the slow exact path
        return lambda pt: complex(sp.N(expr.subs(pt), 30))


def _numeric(a, b, symbols, positive, seed, n=12):
    """[agreeing points, differing point text or None], from ``n`` random points."""
    rnd = random.Random(seed)
    agree = 0
    fa, fb = _evaluator(a, symbols), _evaluator(b, symbols)
    slow_a = lambda pt: complex(sp.N(a.subs(pt), 30))  # noqa: E731
    slow_b = lambda pt: complex(sp.N(b.subs(pt), 30))  # noqa: E731
    for pt in _points(symbols, positive, n, rnd):
        try:
            try:
                va, vb = fa(pt), fb(pt)
            except (TypeError, ValueError, NameError, AttributeError):  # e.g. Heaviside at mpmath level
                va, vb = slow_a(pt), slow_b(pt)
        except (TypeError, ValueError, ZeroDivisionError, OverflowError, ArithmeticError):
            continue
        if not all(map(_finite, (va, vb))) or abs(va.imag) > 1e-12 or abs(vb.imag) > 1e-12:
            continue
        if abs(va.real - vb.real) > 1e-9 * max(1.0, abs(va.real), abs(vb.real)):
            where = ", ".join(f"{s}={float(v):.4g}" for s, v in pt.items())
            return [agree, f"at {where}: yours = {va.real:.10g}, expected = {vb.real:.10g}"]
        agree += 1
    return [agree, None]


def _finite(z):
    return z == z and abs(z) != float("inf")


def _symbolic(a, b):
    return bool(sp.simplify(a - b) == 0)


def equivalent(a, b, symbols, *, positive=False, budget=5.0):
    """(True | False | None, reason). Numeric first (disagreement is decisive), then symbolic."""
    symbols = list(symbols.values()) if isinstance(symbols, dict) else list(symbols)
    start = time.monotonic()
    seed = random.SystemRandom().randrange(2**32)
    num = run_killable(_numeric, (a, b, symbols, positive, seed), budget * 0.6)
    if num is not None and num[1] is not None:
        return False, f"not equivalent: {num[1]}"
    if num is not None and num[0] >= 8:  # agreement to 30 digits at 8+ random points: simplify adds nothing
        return True, f"equivalent at {num[0]} random points (30 digits)"
    # CPU seconds, like the numeric stage: at least 40 % of the budget however long the numeric stage waited
    # for a core on a busy machine.
    left = budget - (time.monotonic() - start)
    sym = run_killable(_symbolic, (a, b), max(left, 0.4 * budget))
    if sym is True:
        return True, "equivalent (symbolically)"
    if num is not None and num[0] >= 6:
        return True, f"equivalent at {num[0]} random points (30 digits)"
    if sym is False and num is not None and num[0] == 0:
        return False, "not equivalent (could not evaluate it at any test point)"
    return None, "could not decide equivalence within the time budget"


def numeric_verdict(a, b, symbols, *, positive=False, budget=5.0, points=16):
    """(True | False | None, reason) from the numeric stage alone, given the whole ``budget``: a second
    opinion when ``equivalent`` was undecided (its numeric stage ran out of time on a busy machine)."""
    symbols = list(symbols.values()) if isinstance(symbols, dict) else list(symbols)
    seed = random.SystemRandom().randrange(2**32)
    num = run_killable(_numeric, (a, b, symbols, positive, seed, points), budget)
    if num is None:
        return None, "could not evaluate it within the time budget"
    if num[1] is not None:
        return False, f"not equivalent: {num[1]}"
    if num[0] >= 8:
        return True, f"equal at {num[0]} random points (30 digits)"
    return None, "too few test points"
