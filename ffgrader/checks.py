"""The API hidden checks are written in: ``solutions/<hw>/checks.py`` (trusted, grader process only).

A check is a function ``(student, rng) -> None`` registered for the nbgrader grade_id of the test cell it
grades::

    @check("test_1a")
    def _(student, rng):
        z = np.concatenate([rng.normal(0, 3, 20), [-1e4, 0.0, 1e4]])
        expect_array("1a sigmoid", call(student, "1a sigmoid", "sigmoid", z), A.sigmoid(z), inputs={"z": z})

It passes by returning and fails by raising ``Fail`` (an AssertionError) whose message names the part, the
input and expected vs got. ``student`` (``ffgrader.session.SandboxStudent``) answers ``call``/``value``/``has``
from the sandboxed worker; everything it returns is decoded plain data, so the ``expect_*`` helpers check exact
types (a list is not an array) and judge values (an overflow shows as inf/nan where the reference is finite).
References are computed here, with nnlib, from fresh random inputs drawn from ``rng``.

What may be sent to the student: plain data (numbers, strings, arrays, lists, tuples, dicts) and the markers
``Sym``, ``Rng``, ``Ref`` (the student's own object), ``Fn`` (a whitelisted numpy expression, e.g. a target
function), ``Seq``/``Lookup`` (tabulated answers) and ``Partial``/``Held`` (the student's own function or object
with arguments bound). Nothing trusted, no code of the grader, ever enters the sandbox; whatever a check sends
the student may keep, so send nothing it should not see.

Checks run in the order they are registered in the file (never the submission's cell order), each on the
worker state the notebook's cells left; a check must not rely on another check having run.

``load(path)`` imports a checks file and returns an ``Assignment``; ``Assignment.run(grade_id, student, rng)``
runs one check and turns whatever it raises into a verdict, so one broken check costs only its own points.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import visible_tests as _S
from .sandboxed.wire import Expr, Fn, Held, Lookup, Opaque, Partial, Ref, Rng, Seq, Sym
from .session import Kept, NotDefined, OverBudget, StudentError, StudentProblem

__all__ = ["check", "load", "Assignment", "Verdict", "Fail", "call", "expect_array", "expect_scalar", "expect_equal",
           "expect_expr", "expect_truth_table", "expect_type", "not_degenerate", "grad_check", "describe",
           "first_match", "Sym", "Rng", "Ref", "Fn", "Seq", "Lookup", "Partial", "Held", "Kept", "StudentError"]

_REGISTRY = "__ffgrader_checks__"  # the per-module dict @check fills (a checks file's own namespace)
_PARTS = "__ffgrader_parts__"       # grade_id -> {sub-check: points} of the checks registered with parts


class Fail(AssertionError):
    """A failed check; its message is shown to the student."""


def _fail(part, msg, hint=""):
    raise Fail(f"[{part}] {msg}" + (f"\nHint: {hint}" if hint else ""))


def describe(value) -> str:
    """A description of decoded student data (``Opaque`` says which type the student returned)."""
    if isinstance(value, Opaque):
        return f"a value of type {value.type_name}"
    if isinstance(value, Expr):
        return "a SymPy expression"
    return _S.describe(value)


# --- registry -------------------------------------------------------------------------------------

def check(grade_id: str, parts: dict | None = None):
    """Register the decorated function as the check of the test cell ``grade_id`` (in its module).

    ``parts`` (partial credit): the cell's points split across named sub-checks, e.g. ``{"forward": 2,
    "backward": 1}``. The function then takes a third argument, ``sub``, and runs each sub-check in its own
    ``with sub("forward"):`` block: a failure inside a block costs that sub-check's share only and the others
    go on; the feedback names each failed sub-check. The shares are relative (the cell earns its points times
    the passed shares over all shares); they normally add up to the cell's points."""
    if not isinstance(grade_id, str) or not grade_id:
        raise TypeError(f"check(grade_id): grade_id must be a non-empty str, got {grade_id!r}")
    if parts is not None:
        if not isinstance(parts, dict) or not parts or not all(
                isinstance(k, str) and k and isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0
                for k, v in parts.items()):
            raise TypeError(f"check({grade_id!r}, parts=...): parts must map sub-check names (non-empty str) to "
                            f"positive points, got {parts!r}")

    def register(fn):
        module = sys._getframe(1).f_globals
        table = module.setdefault(_REGISTRY, {})
        if grade_id in table:
            raise ValueError(f"two checks registered for grade_id {grade_id!r}")
        table[grade_id] = fn
        if parts is not None:
            module.setdefault(_PARTS, {})[grade_id] = dict(parts)
        return fn

    return register


@dataclass(frozen=True)
class Verdict:
    grade_id: str
    passed: bool
    message: str
    credit: float | None = None   # partial credit: the fraction of the cell's points earned (0 < credit < 1)


_UNFINISHED = object()


class _SubChecks:
    """The ``sub`` of a check with parts: ``with sub(name):`` records that sub-check's verdict."""

    def __init__(self, grade_id, parts):
        self.grade_id, self.parts, self.results = grade_id, parts, {}

    @contextlib.contextmanager
    def __call__(self, name):
        if name not in self.parts:
            raise ValueError(f"sub-check {name!r} is not declared in the parts of check {self.grade_id!r}")
        if name in self.results:
            raise ValueError(f"sub-check {name!r} of check {self.grade_id!r} ran twice")
        self.results[name] = _UNFINISHED
        try:
            yield
        except Fail as exc:
            self.results[name] = str(exc)
        except StudentProblem as exc:
            self.results[name] = f"[{self.grade_id}] {_problem_text(exc)}"
        else:
            self.results[name] = None

    def verdict(self, crashed=None) -> Verdict:
        grade_id, total = self.grade_id, float(sum(self.parts.values()))
        # A sub-check the check never reached, or left by an exception of another kind, fails with what
        # stopped the check (or, if nothing did, as not checked: an authoring mistake).
        failed = {n: (self.results[n] if self.results.get(n, _UNFINISHED) is not _UNFINISHED
                      else crashed or f"[{grade_id}] not checked.")
                  for n in self.parts if self.results.get(n, _UNFINISHED) is not None}
        if not failed:
            return Verdict(grade_id, True, f"[{grade_id}] passed")
        if crashed is not None and set(failed.values()) == {crashed} and len(failed) == len(self.parts):
            return Verdict(grade_id, False, crashed)  # stopped before any sub-check: as a check without parts
        earned = sum(p for n, p in self.parts.items() if n not in failed)
        # Each failed sub-check's own message (it starts with its part label), what that sub-check was worth,
        # then the credit: one message per line, so that each translates on its own.
        lines = []
        for n, msg in failed.items():
            lines += [msg, f"Sub-check {n!r} failed ({self.parts[n]:g} of {total:g} points)."]
        passed = [n for n in self.parts if n not in failed]
        lines.append(f"Partial credit: {earned:g} of {total:g} points (passed: {', '.join(map(repr, passed))})."
                     if passed else f"No sub-check passed: 0 of {total:g} points.")
        return Verdict(grade_id, False, "\n".join(lines), credit=(earned / total) if earned else None)


@dataclass
class Assignment:
    """What a checks file declares."""
    path: Path
    checks: dict = field(default_factory=dict)           # grade_id -> check function
    NNLIB_ALLOWED: tuple = ()                            # nnlib modules importable inside the sandbox
    SKIP_CELLS: tuple = ()                               # grade_ids of locked cells not run when grading
    BY_HAND: dict = field(default_factory=dict)          # test grade_id -> answer cell grade_ids (no SymPy calculus)
    parts: dict = field(default_factory=dict)            # grade_id -> {sub-check: points} (partial credit)

    def run(self, grade_id: str, student, rng: np.random.Generator) -> Verdict:
        """Run one check; a Fail, a student problem or a crash of the check itself becomes a failed verdict."""
        fn = self.checks.get(grade_id)
        if fn is None:
            return Verdict(grade_id, False, f"[{grade_id}] no check is registered for this test cell.")
        sub = _SubChecks(grade_id, self.parts[grade_id]) if grade_id in self.parts else None
        try:
            fn(student, rng) if sub is None else fn(student, rng, sub)
        except Fail as exc:
            return Verdict(grade_id, False, str(exc)) if sub is None else sub.verdict(str(exc))
        except StudentProblem as exc:  # a student call the check did not wrap with call()
            msg = f"[{grade_id}] {_problem_text(exc)}"
            return Verdict(grade_id, False, msg) if sub is None else sub.verdict(msg)
        except Exception as exc:  # noqa: BLE001 - unexpected student data broke the check: 0 for this cell only
            msg = (f"[{grade_id}] your answer could not be checked "
                   f"({type(exc).__name__}: {exc}); check the types your functions return.")
            return Verdict(grade_id, False, msg) if sub is None else sub.verdict(msg)
        return Verdict(grade_id, True, f"[{grade_id}] passed") if sub is None else sub.verdict()


def load(path) -> Assignment:
    """Import the checks file at ``path`` (trusted code) and collect what it registered and declares."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checks file not found: {path}")
    name = f"_ffgrader_checks_{path.parent.name}_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    # Compiled from the file's text each time, never through a cached .pyc: Python trusts a .pyc whose source has
    # the same size and modification second, so an edit that keeps the size within one second was ignored.
    exec(compile(path.read_bytes(), str(path), "exec", dont_inherit=True), vars(module))
    ns = vars(module)
    by_hand = ns.get("BY_HAND", {})
    if not isinstance(by_hand, dict) or not all(isinstance(v, tuple) for v in by_hand.values()):
        raise TypeError(f"{path.name}: BY_HAND must map a test grade_id to a tuple of answer grade_ids")
    for attr in ("NNLIB_ALLOWED", "SKIP_CELLS"):
        if not isinstance(ns.get(attr, ()), tuple):
            raise TypeError(f"{path.name}: {attr} must be a tuple of str")
    # A misspelt BY_HAND key would switch the by-hand rule off without a word: refuse to grade instead.
    registered = ns.get(_REGISTRY, {})
    unknown = ", ".join(repr(t) for t in by_hand if t not in registered)
    if unknown:
        known = ", ".join(map(repr, registered)) or "none"
        raise ValueError(f"{path.name}: BY_HAND names {unknown}, for which no check is registered "
                         f"(registered: {known})")
    return Assignment(path=path, checks=dict(ns.get(_REGISTRY, {})), NNLIB_ALLOWED=tuple(ns.get("NNLIB_ALLOWED", ())),
                      SKIP_CELLS=tuple(ns.get("SKIP_CELLS", ())), BY_HAND=dict(by_hand),
                      parts=dict(ns.get(_PARTS, {})))


# --- calling the student ---------------------------------------------------------------------------

def _problem_text(exc, name=None) -> str:
    if isinstance(exc, StudentError):
        fn = name or getattr(exc, "name", None) or "function"
        etype, msg = getattr(exc, "exc_type", "Exception"), getattr(exc, "message", str(exc))
        args = getattr(exc, "arg_summary", "") or "no arguments"
        if etype == "NotImplementedError" and "switched off while a by-hand answer" in msg:
            return (f"your {fn} uses SymPy's calculus, which is switched off while a part to be derived by hand "
                    f"is graded ({msg[:200]}).")
        if etype == "NotImplementedError":
            return f"your {fn} is not implemented yet (it raised NotImplementedError)."
        if etype == "FloatingPointError":
            return (f"your {fn} overflowed or computed 0/0 ({msg}) when called with {args}: use a numerically stable "
                    "form (the part asks for no overflow for |z| up to 1e4).")
        return f"your {fn} raised {etype}({msg!r}) when called with {args}."
    if isinstance(exc, NotDefined):
        fn = getattr(exc, "name", None) or name
        return f"{fn} is not defined: run its answer cell (did it raise an error, or is the name misspelt?)."
    if isinstance(exc, OverBudget):
        return f"not graded: {exc.what}."
    kind = type(exc).__name__
    if kind == "StudentTimeout":
        return f"your {name or 'code'} did not finish within the time budget (an endless loop?)."
    if kind == "StudentCrashed":
        return f"your {name or 'code'} crashed the Python process ({exc})."
    return f"{kind}: {exc}"


def call(student, part, name, *args, keep=False, **kwargs):
    """``student.call(name, ...)``; a problem in the student's code fails ``part`` with what and where.

    ``keep=True`` returns a ``Kept`` (``.value``, and ``.held(*path)``: a marker handing (part of) the very
    object back to another call, e.g. the student's own forward cache to their backward pass).
    """
    if not student.has(name):
        _fail(part, f"{name} is not defined: run its answer cell (did it raise an error, or is the name misspelt?).")
    try:
        return student.call(name, *args, keep=keep, **kwargs)
    except StudentProblem as exc:
        _fail(part, _problem_text(exc, name))


def first_match(candidates, problem):
    """The first of ``candidates`` (zero-argument functions computing an acceptable reference) for which
    ``problem(reference)`` returns None, or the first problem found. Used where one part composes another
    part's functions: the output is right if it matches the reference, or the reference glue computed here
    around the student's own sub-functions (so a mistake in those is not counted twice; compute that glue with
    ``student.clean()``, which the student's functions cannot have told what the composite returned). A
    candidate that raises (the student's sub-function failed) is skipped."""
    first = None
    for make in candidates:
        try:
            ref = make()
        except (Fail, StudentProblem, TypeError, ValueError, KeyError, IndexError):
            continue
        found = problem(ref)
        if found is None:
            return None
        first = first or found
    return first or "no reference could be computed"


# --- expectations ------------------------------------------------------------------------------------

def expect_type(part, got, kind, what="the result", hint=""):
    """``got`` has the plain type ``kind`` (tuple, list, dict, ...); a tuple's or list's length is not checked."""
    if type(got) is not kind:
        _fail(part, f"{what} must be a {kind.__name__}, got {describe(got)}.", hint)
    return got


def expect_array(part, got, expected, *, inputs=None, rtol=1e-7, atol=1e-10, hint=""):
    problem = _S.array_problem(got, expected, rtol, atol, inputs) if not isinstance(got, (Opaque, Expr)) else \
        f"expected a numpy array of shape {np.shape(expected)} with a float dtype, got {describe(got)}."
    if problem:
        _fail(part, problem, hint)


def expect_scalar(part, got, expected, *, rtol=1e-7, atol=1e-10, hint=""):
    problem = _S.scalar_problem(got, expected, rtol, atol) if not isinstance(got, (Opaque, Expr)) else \
        f"expected a real number, got {describe(got)}."
    if problem:
        _fail(part, problem, hint)


def expect_equal(part, got, expected, *, hint=""):
    problem = _S.equal_problem(got, expected) if not isinstance(got, (Opaque, Expr)) else \
        f"expected {expected!r}, got {describe(got)}."
    if problem:
        _fail(part, problem, hint)


def expect_truth_table(part, got, rows, expected, *, hint=""):
    """``got``: the student's outputs for ``rows`` (one per row, 0/1 or bool); names the first wrong row."""
    if type(got) is not np.ndarray or got.shape != (len(rows),):
        _fail(part, f"expected a numpy array of shape ({len(rows)},) (one output per row), got {describe(got)}.", hint)
    if got.dtype.kind not in "biuf":
        _fail(part, f"expected numbers 0/1, got dtype {got.dtype}.", hint)
    for r, (x, e) in enumerate(zip(rows, expected)):
        if float(got[r]) != float(e):
            inputs = tuple(x.tolist() if isinstance(x, np.ndarray) else x)
            e = e.item() if isinstance(e, np.generic) else e
            _fail(part, f"row {r} of the truth table is wrong: inputs {inputs} gave {got[r].item()!r}, "
                        f"expected {e!r}.", hint)


def expect_expr(part, got, expected, symbols, *, positive=False, subs=None, budget=5.0, hint=""):
    """A SymPy answer (``Expr`` text from the worker, or a plain number) equivalent to the trusted ``expected``.

    ``symbols`` are the SymPy symbols the answer may use; ``subs`` (symbol -> trusted expression) replaces
    shorthands such as hw3's ``y`` before the comparison. Reading the text and deciding equivalence happen in
    a child process limited to ``budget`` CPU seconds (``ffgrader.exprs.judge``; give large expressions in
    many symbols more): an answer that cannot be decided in it earns nothing, and costs the grader nothing.
    """
    from . import exprs

    if isinstance(got, Expr):
        answer = got.text
    elif type(got) in (int, float):
        answer = got
    else:
        _fail(part, f"expected a SymPy expression, got {describe(got)}.", hint)
    ok, reason = exprs.judge(answer, expected, symbols, subs=subs, positive=positive, budget=budget)
    if ok is None:
        _fail(part, f"could not decide whether your expression is right within the time budget ({reason}); "
                    "simplify it by hand.", hint)
    if not ok:
        _fail(part, reason if reason.startswith("your expression") else
              f"not equivalent to the expected expression: {reason}", hint)


def not_degenerate(part, values, *, inputs=None, what="your result", hint=""):
    """Fail when ``values`` is all zeros, constant, or one of ``inputs`` returned unchanged: it earns nothing."""
    arr = np.asarray(values, dtype=float) if type(values) is np.ndarray else None
    if arr is None or arr.size == 0:
        return
    if not np.any(arr):
        _fail(part, f"{what} is all zeros for these inputs: a placeholder earns nothing.", hint)
    if arr.size > 1 and np.all(arr == arr.flat[0]):
        _fail(part, f"{what} is the constant {float(arr.flat[0])!r} for every input.", hint)
    for name, x in (inputs or {}).items():
        if np.shape(x) == arr.shape and np.array_equal(arr, np.asarray(x, dtype=float)):
            _fail(part, f"{what} is the input {name} returned unchanged.", hint)


def grad_check(part, loss_at, params, grads, *, eps=1e-6, rtol=1e-5, atol=1e-8, max_entries=12, rng=None,
               hint=""):
    """The student's ``grads`` against centred finite differences of the TRUSTED ``loss_at(params) -> float``
    (the reference loss, or the reference glue around the student's own sub-functions): a gradient is right
    when it is the derivative of the right loss, not merely of the student's own (a self-consistent but wrong
    (loss, grads) pair fails). ``params``: a dict name -> array or a list of them (one per layer); at most
    ``max_entries`` entries per array are probed (drawn with ``rng``). Finite differences:
    ``nnlib.gradcheck.numerical_gradient``. A zero gradient where the loss moves fails as any other."""
    from nnlib.gradcheck import numerical_gradient

    layers, single = ([params], True) if isinstance(params, dict) else (list(params), False)
    g_layers = [grads] if single else grads
    if type(g_layers) not in (list, tuple) or len(g_layers) != len(layers):
        _fail(part, f"expected gradients for {len(layers)} layer(s), got {describe(grads)}.", hint)
    rng = rng if rng is not None else np.random.default_rng(0)
    for l, (p, g) in enumerate(zip(layers, g_layers), start=1):
        if type(g) is not dict:
            _fail(part, f"layer {l}: expected a dict of gradients, got {describe(g)}.", hint)
        for key, arr in p.items():
            label = f"parameter {key!r}" if single else f"layer {l} parameter {key!r}"
            gk = g.get(key)
            if gk is None:
                _fail(part, f"no gradient for {label}.", hint)
            if type(gk) is not np.ndarray or gk.shape != arr.shape or gk.dtype.kind != "f":
                _fail(part, f"the gradient of {label} must be a float array of shape {arr.shape}, got "
                            f"{describe(gk)}.", hint)
            flat = np.arange(arr.size)
            probe = flat if arr.size <= max_entries else np.sort(rng.choice(flat, max_entries, replace=False))
            idx = [tuple(int(i) for i in np.unravel_index(f, arr.shape)) for f in probe]
            num = numerical_gradient(lambda _: float(loss_at(params)), arr, eps, indices=idx)
            for i in idx:
                if not abs(gk[i] - num[i]) <= atol + rtol * max(abs(num[i]), abs(float(gk[i]))):
                    _fail(part, f"gradient of {label} at index {_S.fmt_index(i)}: yours {float(gk[i])!r}, "
                                f"finite differences of the loss {float(num[i])!r}.", hint)
