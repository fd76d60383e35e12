"""SymPy answers from the student: judged in a limited child process, never in the grader process.

A student's expression crosses the sandbox as ``sympy.srepr`` text. ``judge`` forks a child with a CPU
budget (RLIMIT_CPU and a watch on its CPU time) and an address-space limit, and everything SymPy does with
the text happens there: ``parse`` reads it with Python's ``ast`` (never eval, sympify or pickle) and
rebuilds it from a fixed set of SymPy classes, with ``evaluate=False`` where the class takes it (symbols are
only those the check names); the check's shorthands are substituted; ``equivalent`` compares with the
trusted reference at random points (``nnlib.symbolic_core.compare_numerically``, mpmath, 30 digits), then
symbolically. A constructor that computes anyway (``Max(x, Pow(3, 10**8, evaluate=False))`` compares its
arguments) costs the child's budget, not the grader's time. The grader process only forks, waits and reads
a few lines of JSON.
"""

from __future__ import annotations

import ast
import json
import os
import random
import resource
import select
import signal
import time

import sympy as sp

from .seeds import sub_seed

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
# Limited child processes
# ------------------------------------------------------------------------------------------------

def _cpu_seconds(pid):
    """User + system CPU time of a child process so far (Linux /proc), or None if unreadable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _address_space():
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


# The budget is CPU time of the child, so a verdict does not depend on what else the machine is doing
# (a wall-clock budget made a correct SymPy answer "undecided", i.e. 0 points, on a loaded machine while a
# quiet serial run gave full marks). Wall-clock time is only a backstop against a child that sleeps.
WALL_BACKSTOP = 20.0
MEMORY_MB = 1024  # address space a child may add to what it inherits


def run_limited(fn, args, budget, memory_mb=MEMORY_MB) -> list:
    """Run ``fn(emit, *args)`` in a forked child limited to ``budget`` s of CPU and ``memory_mb`` MiB more
    address space; ``emit(data)`` sends a JSON-able record to the parent at once. Returns the records
    received before the child finished or was killed (its CPU time over the budget, or, as a backstop, its
    wall-clock time over WALL_BACKSTOP * budget)."""
    r, w = os.pipe()
    limit = _address_space() + memory_mb * 2**20
    pid = os.fork()
    if pid == 0:  # child: compute, write JSON lines, leave without running any parent cleanup
        code = 0
        try:
            os.close(r)
            cpu = max(1, int(budget + 0.999))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            if limit:
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

            def emit(data):
                os.write(w, json.dumps(data).encode() + b"\n")

            fn(emit, *args)
        except BaseException:  # noqa: BLE001 - any failure ends the records here
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    backstop = time.monotonic() + WALL_BACKSTOP * budget
    data = b""
    try:
        while True:
            if not select.select([r], [], [], min(0.05, budget))[0]:
                cpu = _cpu_seconds(pid)
                if time.monotonic() > backstop or (cpu is not None and cpu > budget):
                    break
                continue
            chunk = os.read(r, 65536)
            if not chunk or len(data) > 2**20:
                break
            data += chunk
    finally:
        os.close(r)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    records = []
    for line in data.split(b"\n"):
        try:
            records.append(json.loads(line.decode()))
        except ValueError:
            continue  # an incomplete last line: the child was killed while writing it
    return records


def run_killable(fn, args, budget):
    """``fn(*args)`` (returning JSON-able data) in a limited child; None if it did not finish in budget."""
    records = run_limited(lambda emit, *a: emit({"value": fn(*a)}), args, budget)
    return records[-1]["value"] if records else None


# ------------------------------------------------------------------------------------------------
# Equivalence
# ------------------------------------------------------------------------------------------------

def _ranges(symbols, positive):
    lo, hi = (0.3, 3.0) if positive else (-3.0, 3.0)
    return {s: (lo, hi) for s in symbols}


def _numeric(a, b, symbols, positive, seed, n=12):
    """[agreeing points, differing point text or None], from ``n`` random points (30 digits)."""
    from nnlib.symbolic_core import compare_numerically

    agree, where, detail = compare_numerically(a, b, symbols, n_points=n, rng=seed, digits=30, rtol=1e-9,
                                               ranges=_ranges(symbols, positive))
    if where is None:
        return [agree, None]
    at = ", ".join(f"{k}={float(v):.4g}" for k, v in where.items())
    return [agree, f"at {at}: {detail.replace('lhs', 'yours').replace('rhs', 'expected')}"]


def _symbolic(a, b):
    return bool(sp.simplify(a - b) == 0)


def _decide(emit, a, b, symbols, positive, seed):
    """The equivalence test itself (in a limited child): records for ``_verdict``."""
    num = _numeric(a, b, symbols, positive, seed)
    emit({"numeric": num})
    if num[1] is None and num[0] < 8:
        emit({"symbolic": _symbolic(a, b)})


def _verdict(records):
    num = next((r["numeric"] for r in records if "numeric" in r), None)
    sym = next((r["symbolic"] for r in records if "symbolic" in r), None)
    if num is not None and num[1] is not None:
        return False, f"not equivalent: {num[1]}"
    if num is not None and num[0] >= 8:  # agreement to 30 digits at 8+ random points: simplify adds nothing
        return True, f"equivalent at {num[0]} random points (30 digits)"
    if sym is True:
        return True, "equivalent (symbolically)"
    if num is not None and num[0] >= 6:
        return True, f"equivalent at {num[0]} random points (30 digits)"
    if sym is False and num is not None and num[0] == 0:
        return False, "not equivalent (could not evaluate it at any test point)"
    return None, "could not decide equivalence within the time budget"


def equivalent(a, b, symbols, *, positive=False, budget=5.0):
    """(True | False | None, reason) for two SymPy expressions: numeric first (a disagreement is decisive),
    then symbolic, in a child limited to ``budget`` CPU seconds."""
    symbols = list(symbols.values()) if isinstance(symbols, dict) else list(symbols)
    seed = sub_seed("exprs")  # the check's own seed when grading (reproducible); else a fresh one
    seed = random.SystemRandom().randrange(2**32) if seed is None else seed
    return _verdict(run_limited(_decide, (a, b, symbols, positive, seed), budget))


BANNED = ("Derivative", "Integral", "Subs", "Limit")


def _judge(emit, answer, expected, symbols, base, subs, positive, seed):
    if isinstance(answer, str):
        try:
            answer = parse(answer, symbols)
        except ExprError as e:
            emit({"refused": f"your expression could not be read: {e}"})
            return
    else:
        answer = sp.Float(answer) if type(answer) is float else sp.Integer(answer)
    if subs:
        answer = answer.subs(subs)
    emit({"parsed": True})
    _decide(emit, answer, expected, base, positive, seed)


def judge(answer, expected, symbols, *, subs=None, positive=False, budget=5.0):
    """(True | False | None, reason) for a student's answer: ``answer`` is srepr text (from the worker) or
    a plain int/float; ``expected`` the trusted reference in ``symbols``; ``subs`` (symbol -> trusted
    expression) replaces shorthands such as ``y`` before the comparison. Everything runs in one child
    process limited to ``budget`` CPU seconds (``run_limited``); None means undecided in that budget."""
    if isinstance(answer, str):
        for banned in BANNED:
            if banned + "(" in answer:
                return False, f"your expression contains an unevaluated {banned}; write the result out by hand."
    elif type(answer) not in (int, float):
        raise TypeError(f"answer must be srepr text or an int/float, got {type(answer).__name__}")
    symbols = list(symbols.values()) if isinstance(symbols, dict) else list(symbols)
    base = [s for s in symbols if not subs or s not in subs]
    seed = sub_seed("exprs")  # the check's own seed when grading (reproducible); else a fresh one
    seed = random.SystemRandom().randrange(2**32) if seed is None else seed
    records = run_limited(_judge, (answer, expected, symbols, base, subs, positive, seed), budget)
    refused = next((r["refused"] for r in records if "refused" in r), None)
    if refused:
        return False, refused
    if not any("parsed" in r for r in records):
        return None, "reading your expression did not finish within the time budget"
    return _verdict(records)
