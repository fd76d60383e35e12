"""The short format of an assignment: one declaration per part in ``checks.py``, and the instructor notebook
built from one text file (trusted side: imported by the grader and by the instructor's tools, never staged
into the sandbox).

An assignment ``hw7_softmax`` in this format is two files the instructor writes:

- ``solutions/hw7_softmax.py``: the notebook as text, in jupytext's percent format. A cell starts with a
  ``# %%`` line; its title gives its role: ``# %% answer 1a`` is the answer cell of part 1a (with
  ``### BEGIN SOLUTION`` / ``### END SOLUTION``), ``# %% [markdown] task 3`` a written part graded by hand
  (with ``=== BEGIN MARK SCHEME ===`` / ``=== END MARK SCHEME ===``; an empty cell for the student's answer
  follows it), ``# %% test 1c points=2`` the visible test of a part checked by an ``@check`` function of
  ``checks.py``; ``# %% variant`` (left empty) the read-only cell that shows a student's parameters, written
  from ``VARIANTS`` of ``checks.py`` (``ffgrader.variants``); any other cell is read-only text or code. The
  builder refuses what ``ffgrader.cell_rules`` refuses (misspelt or misplaced nbgrader markers, a missing
  variant cell, partial-credit shares that do not add up), a part without points, and a ``compare``/``expr``
  whose function no answer cell defines.
  It lives beside the assignment's folder, not in it, so nbgrader never releases it.
- ``solutions/hw7_softmax/checks.py``: one line per graded part::

      compare("1a", "softmax", softmax, inputs=logits, edge=[{"z": BIG}], points=2)
      expr("2", "tanh_prime_expr", sp.Derivative(sp.tanh(x), x), [x], by_hand=True)

``python -m ffgrader.authoring notebook solutions/hw7_softmax.py`` writes
``solutions/hw7_softmax/hw7_softmax.ipynb``: the nbgrader roles, grade ids (``answer_<label>``,
``test_<label>``) and points, and after every answer cell a visible test cell written from the same
declaration, with fixed public inputs (``edge`` and one draw of ``inputs`` with seed 0). The hidden check of
the part runs the same comparison on the ``edge`` cases and on fresh draws of ``inputs`` (``trials``).

``compare``/``expr`` register the part's check with ``ffgrader.checks.check`` in the checks file's own
namespace (calling them several times with one label adds sub-checks to that part, run in order) and, with
``by_hand=True``, the part's answer cell in its ``BY_HAND``. References are called here, in the grader
process; the student's function receives plain data only (``ffgrader.checks.call``).
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import cell_rules
from . import variants as _variants
from . import visible_tests as V
from .checks import Sym, call, check, expect_array, expect_expr, expect_scalar

__all__ = ["compare", "expr", "Part", "build_notebook", "visible_source", "try_notebooks"]

_PARTS = "__ffgrader_parts__"  # label -> Part, in the namespace of the checks file that declares them
_LABEL = re.compile(r"^[A-Za-z0-9]+$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
WRITTEN_ANSWER = "*Write your answer here (double-click to edit).*"
PUBLIC_SEED = 0  # the visible tests' draw of ``inputs``: public, so never the hidden checks' seed


@dataclass
class _Compare:
    """One function of the student compared with a reference over generated inputs."""
    part: str
    name: str
    reference: object
    inputs: object
    edge: tuple
    trials: int
    rtol: float
    atol: float
    hint: str
    mistakes: dict
    ref_import: tuple  # (import line, expression) naming the reference in the student's kernel

    def cases(self, rng):
        return [dict(c) for c in self.edge] + [_case(self, self.inputs(rng)) for _ in range(self.trials)]

    def run(self, student, rng):
        for case in self.cases(rng):
            args = list(case.values())
            got = call(student, self.part, self.name, *args)
            expected = self.reference(*args)
            hint = self.hint
            if _problem(got, expected, self) is not None:
                # The student's output matches a declared mistake: say which one (it replaces the hint).
                hint = next((what for what, wrong in self.mistakes.items()
                             if _problem(got, _quietly(wrong, args), self) is None), hint)
            if np.ndim(expected) == 0:
                expect_scalar(self.part, got, float(expected), rtol=self.rtol, atol=self.atol, hint=hint)
            else:
                expect_array(self.part, got, expected, inputs=case, rtol=self.rtol, atol=self.atol, hint=hint)

    def visible(self):
        drawn = self.inputs(np.random.default_rng(PUBLIC_SEED))
        # Rounded: the visible test shows its inputs, and short numbers read better; the reference is computed
        # from the same literals in the student's kernel.
        drawn = {k: np.round(v, 3) if type(v) is np.ndarray and v.dtype.kind == "f" else v for k, v in drawn.items()}
        cases = [dict(c) for c in self.edge] + [_case(self, drawn)]
        imp, ref = self.ref_import
        check_fn = "G.check_scalar" if np.ndim(self.reference(*cases[0].values())) == 0 else "G.check_array"
        where = "" if check_fn == "G.check_scalar" else ", inputs=_case"
        return [imp, "for _case in [" + ",\n              ".join(_literal(c) for c in cases) + "]:",
                f"    {check_fn}({self.part!r}, G.call({self.part!r}, {self.name}, *_case.values(), strict=True),",
                f"                   {ref}(*_case.values()){where}{_hint(self.hint)})"]


@dataclass
class _Expr:
    """A SymPy answer: the student's function of the symbols, equivalent to ``expected``."""
    part: str
    name: str
    expected: object
    symbols: tuple
    positive: bool
    hint: str

    def run(self, student, rng):
        syms = [Sym(str(s), **_assumptions(s)) for s in self.symbols]
        got = call(student, self.part, self.name, *syms)
        expect_expr(self.part, got, self.expected.doit(), list(self.symbols), positive=self.positive, hint=self.hint)

    def visible(self):
        names = [str(s) for s in self.symbols]
        lines = [f"_{n} = sp.Symbol({n!r}{''.join(f', {k}=True' for k in _assumptions(s))})"
                 for n, s in zip(names, self.symbols)]
        local = "{" + ", ".join(f"{n!r}: _{n}" for n in names) + "}"
        args = ", ".join(f"_{n}" for n in names)
        return ["import sympy as sp", *lines,
                f"G.check_expr({self.part!r}, G.call({self.part!r}, {self.name}, {args}),",
                f"             sp.sympify({str(self.expected)!r}, locals={local}).doit(), [{args}],"
                f"{', positive=True' if self.positive else ''}{_hint(self.hint)})"]


@dataclass
class Part:
    """A graded part: its test cell ``test_<label>`` runs ``items`` in order (all must pass)."""
    label: str
    points: float | None = None
    items: list = field(default_factory=list)

    @property
    def grade_id(self):
        return f"test_{self.label}"

    @property
    def answer_id(self):
        return f"answer_{self.label}"

    def __call__(self, student, rng):
        for item in self.items:
            item.run(student, rng)


def compare(label, name, reference, *, inputs, edge=(), points=None, trials=3, rtol=1e-7, atol=1e-10, hint="",
            mistakes=None):
    """Part ``label``: the student's function ``name`` equals ``reference`` (an importable function, e.g. of
    nnlib) on every ``edge`` case and on ``trials`` fresh draws of ``inputs``.

    ``inputs(rng)`` returns one case: a dict parameter name -> value (numbers or numpy arrays), in the order of
    the function's parameters; ``edge`` is a list of such dicts checked every time (and shown in the visible
    test). ``mistakes`` maps a description to a function computing what a known mistake returns: a student
    whose output matches it gets that description as the hint. Results are compared value by value
    (``expect_array``/``expect_scalar``): inf or nan where the reference is finite fails.
    """
    part = _part(sys._getframe(1).f_globals, label, points, "compare")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"compare({label!r}, {name!r}, ...): name must be the student's function name")
    for what, fn in (("reference", reference), ("inputs", inputs)):
        if not callable(fn):
            raise TypeError(f"compare({label!r}, {name!r}, ...): {what} must be callable, got {type(fn).__name__}")
    mistakes = dict(mistakes or {})
    if not all(isinstance(k, str) and callable(v) for k, v in mistakes.items()):
        raise TypeError(f"compare({label!r}, {name!r}, ...): mistakes must map a description to a function")
    if not isinstance(trials, int) or trials < 1:
        raise ValueError(f"compare({label!r}, {name!r}, ...): trials must be a positive int, got {trials!r}")
    edge = tuple(edge)
    item = _Compare(f"{label} {name}", name, reference, inputs, edge, trials, rtol, atol, hint, mistakes,
                    _importable(reference, f"compare({label!r}, {name!r}, ...)"))
    for case in edge:
        _case(item, case)
    out = reference(*_case(item, inputs(np.random.default_rng(PUBLIC_SEED))).values())
    if not (type(out) is np.ndarray and out.dtype.kind == "f") and type(out) not in (float, np.float64):
        raise TypeError(f"compare({label!r}, {name!r}, ...): the reference must return a float array or a float, "
                        f"got {type(out).__name__} (write a part with another kind of answer as an @check function)")
    part.items.append(item)
    return part


def expr(label, name, expected, symbols, *, by_hand=False, points=None, positive=False, hint=""):
    """Part ``label``: the student's ``name(*symbols)`` returns a SymPy expression equivalent to ``expected``
    (a SymPy expression; an unevaluated ``sp.Derivative(f, x)`` keeps the answer out of the visible test's
    text). ``by_hand=True``: the answer cell runs with SymPy's calculus switched off when graded."""
    import sympy as sp

    ns = sys._getframe(1).f_globals
    part = _part(ns, label, points, "expr")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"expr({label!r}, {name!r}, ...): name must be the student's function name")
    if not isinstance(expected, sp.Basic):
        raise TypeError(f"expr({label!r}, {name!r}, ...): expected must be a SymPy expression")
    symbols = tuple(symbols)
    if not symbols or not all(isinstance(s, sp.Symbol) for s in symbols):
        raise TypeError(f"expr({label!r}, {name!r}, ...): symbols must be a non-empty list of SymPy symbols")
    part.items.append(_Expr(f"{label} {name}", name, expected, symbols, positive, hint))
    if by_hand:
        ns.setdefault("BY_HAND", {})[part.grade_id] = (part.answer_id,)
    return part


def _part(ns, label, points, who):
    if not isinstance(label, str) or not _LABEL.match(label):
        raise ValueError(f"{who}({label!r}, ...): the part label must be letters and digits, e.g. '1a'")
    if points is not None and (isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0):
        raise ValueError(f"{who}({label!r}, ...): points must be a positive number, got {points!r}")
    parts = ns.setdefault(_PARTS, {})
    part = parts.get(label)
    if part is None:
        part = parts[label] = Part(label)
        # Register as `@check("test_<label>")` written in the checks file would: check() records the check in
        # the namespace of the code that applies it, so apply it from code running in that namespace.
        eval("register(part)", ns, {"register": check(part.grade_id), "part": part})  # noqa: S307 - constant code
    if points is not None:
        if part.points is not None and part.points != points:
            raise ValueError(f"{who}({label!r}, ...): part {label} already has {part.points} points, not {points}")
        part.points = points
    return part


def _case(item, case):
    if not isinstance(case, dict) or not case or not all(isinstance(k, str) and _NAME.match(k) for k in case):
        raise ValueError(f"{item.part}: a case must be a dict parameter name -> value, got {case!r}")
    for k, v in case.items():
        _literal({k: v})
    return case


def _problem(got, expected, item):
    if np.ndim(expected) == 0:
        return V.scalar_problem(got, float(expected), item.rtol, item.atol)
    return V.array_problem(got, expected, item.rtol, item.atol)


def _quietly(fn, args):
    """A mistake's result: it may overflow on purpose (that is the mistake), which is no news for the log."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args)


def _hint(hint):
    return f", hint={hint!r}" if hint else ""


def _assumptions(symbol):
    return {k: True for k in ("real", "positive") if getattr(symbol, f"is_{k}")}


def _importable(fn, who):
    """``(import line, expression)`` that names ``fn`` in a fresh Python: a module-level function or the
    method of an object whose repr constructs it (``SoftmaxCrossEntropy().backward``). Checked here, so that
    the visible test written from it runs in the student's kernel."""
    owner = getattr(fn, "__self__", None)
    if owner is not None and not isinstance(owner, type) and not isinstance(owner, type(sys)):
        cls = type(owner)
        imp, text = f"from {cls.__module__} import {cls.__qualname__}", f"{owner!r}.{fn.__name__}"
    else:
        module, qual = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
        top = qual.split(".")[0]
        imp, text = f"from {module} import {top} as _ref_{top}", f"_ref_{top}{qual[len(top):]}"
    ns = {}
    try:
        exec(imp, ns)  # noqa: S102 - trusted: text built from the reference's own module and name
        found = eval(text, ns)  # noqa: S307
    except Exception as exc:  # noqa: BLE001 - any failure means the student's kernel could not name it either
        raise ValueError(f"{who}: the reference {fn!r} cannot be imported by name ({type(exc).__name__}: {exc}); "
                         "use a function of nnlib (or of another installed module), not one defined in "
                         "checks.py or a lambda") from None
    if getattr(found, "__qualname__", None) != getattr(fn, "__qualname__", None):
        raise ValueError(f"{who}: the reference {fn!r} is not reachable by name (got {found!r})")
    return imp, text


def _literal(value) -> str:
    """Python source that rebuilds a case value exactly (floats by repr)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_literal(v)}" for k, v in value.items()) + "}"
    if type(value) is np.ndarray and value.dtype.kind in "biuf":
        return f"np.array({value.tolist()!r})"
    if type(value) in (int, float, bool, str):
        return repr(value)
    raise TypeError(f"a case value must be a number, a string or a numpy array of numbers, got "
                    f"{type(value).__name__}")


def visible_source(part: Part) -> str:
    """The visible test cell of ``part``: its declaration run on the public inputs in the student's kernel."""
    lines = ["# Visible tests (written from checks.py): grading runs the same comparisons on fresh inputs.",
             "import numpy as np", "from ffgrader import visible_tests as G"]
    for item in part.items:
        lines += item.visible()
    lines.append(f'print("{part.label}: visible tests passed")')
    return "\n".join(lines)


# --- the notebook, from its text -----------------------------------------------------------------------

def _meta(grade_id, *, grade=False, solution=False, locked=True, task=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution,
            "task": task}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def build_notebook(source, checks_path=None):
    """The instructor notebook of ``source`` (``solutions/<hw>.py``) and its checks
    (default ``solutions/<hw>/checks.py``): an ``nbformat`` notebook with every nbgrader role set."""
    import jupytext
    import nbformat

    from .checks import load

    source = Path(source)
    checks_path = Path(checks_path) if checks_path else source.parent / source.stem / "checks.py"
    if not source.is_file():
        raise FileNotFoundError(f"notebook source not found: {source}")
    assignment = load(checks_path)
    registered = assignment.checks
    spec = _variants.spec_of(checks_path)
    parts = {p.label: p for p in registered.values() if isinstance(p, Part)}
    text = jupytext.read(source, fmt="py:percent")
    cells, answered, tasks, tested, defined = [], set(), set(), set(), set()
    for k, cell in enumerate(text.cells, start=1):
        title = str(cell.metadata.get("title", "")).split()
        role, label = (title + ["", ""])[:2]
        where = f"{source.name}, cell {k} ('# %% {' '.join(title)}')"
        first = len(cells)
        if role == "answer" and cell.cell_type == "code":
            if label not in parts and f"test_{label}" not in registered:
                raise ValueError(f"{where}: checks.py declares no part {label!r} "
                                 f"(declared: {', '.join(sorted(g[5:] for g in registered)) or 'none'})")
            if label in answered:
                raise ValueError(f"{where}: a second answer cell for part {label}")
            answered.add(label)
            defined |= cell_rules.bound_names(cell.source)
            cells.append(nbformat.v4.new_code_cell(cell.source, metadata=_meta(f"answer_{label}", solution=True,
                                                                                 locked=False)))
            if label in parts:
                part = parts[label]
                if part.points is None:
                    raise ValueError(f"{where}: part {label} has no points: give points=<n> in one of its "
                                     f"compare/expr lines of {checks_path.name}")
                cells.append(nbformat.v4.new_code_cell(visible_source(part), metadata=_meta(
                    part.grade_id, grade=True, points=part.points)))
                tested.add(part.grade_id)
        elif role == "test" and cell.cell_type == "code":
            # The visible test of a part checked by an @check function of checks.py (compare/expr parts write
            # their own).
            points = cell.metadata.get("points")
            gid = f"test_{label}"
            if gid not in registered or label in parts or gid in tested:
                raise ValueError(f"{where}: a test cell needs a check registered with @check({gid!r}) in "
                                 "checks.py (compare/expr parts get theirs written) and only one test cell")
            if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
                raise ValueError(f"{where}: write a test cell as '# %% test <label> points=<n>'")
            tested.add(gid)
            cells.append(nbformat.v4.new_code_cell(cell.source, metadata=_meta(gid, grade=True, points=points)))
        elif role == "task" and cell.cell_type == "markdown":
            points = cell.metadata.get("points")
            if not _LABEL.match(label) or label in tasks or not isinstance(points, (int, float)) or points <= 0:
                raise ValueError(f"{where}: write a written part as '# %% [markdown] task <label> points=<n>' "
                                 "with a new label")
            tasks.add(label)
            cells.append(nbformat.v4.new_markdown_cell(cell.source, metadata=_meta(f"task_{label}", task=True,
                                                                                   points=points)))
            cells.append(nbformat.v4.new_markdown_cell(WRITTEN_ANSWER))  # no role: the student's to edit
        elif role == "variant" and cell.cell_type == "code" and len(title) == 1:
            # Written from VARIANTS, as a test cell is from its declaration: one home for the default values.
            if not spec:
                raise ValueError(f"{where}: a variant cell needs VARIANTS in {checks_path.name}")
            if any(line.strip() and not line.lstrip().startswith("#") for line in cell.source.splitlines()):
                raise ValueError(f"{where}: leave the variant cell empty; it is written from VARIANTS in "
                                 f"{checks_path.name} (each student's copy shows their own values)")
            cells.append(nbformat.v4.new_code_cell(_variants.render(_variants.default(spec)),
                                                   metadata=_meta(_variants.VARIANT_CELL)))
        elif title:
            raise ValueError(f"{where}: unknown cell title; use 'answer <label>' or 'test <label> points=<n>' "
                             "(code), '[markdown] task <label> points=<n>', 'variant' (code), or no title for "
                             "read-only cells")
        elif cell.cell_type in ("code", "markdown"):
            new = nbformat.v4.new_code_cell if cell.cell_type == "code" else nbformat.v4.new_markdown_cell
            cells.append(new(cell.source, metadata=_meta(f"cell_{k:02d}")))
        if len(cells) > first:  # the cell this source cell became (not the visible test or answer written after)
            problems = cell_rules.marker_problems(cell_rules.role(cells[first]), cells[first].source,
                                                  need_solution=True)
            if problems:
                raise ValueError(f"{where}: " + "; ".join(problems))
    missing = sorted(set(parts) - answered) + sorted(g[5:] for g in set(registered) - tested
                                                      if g[5:] not in parts)
    if missing:
        raise ValueError(f"{source.name}: no '# %% answer <label>' (or '# %% test <label>') cell for the "
                         f"part(s) {', '.join(missing)} declared in {checks_path.name}")
    for part in parts.values():
        for item in part.items:
            if item.name not in defined:
                raise ValueError(f"{checks_path.name}: part {part.label} calls the student's {item.name!r}, which "
                                 f"no answer cell of {source.name} defines (they define: "
                                 f"{', '.join(sorted(defined)) or 'nothing'})")
    problems = cell_rules.variant_problems(cells, spec) + cell_rules.parts_problems(cells, assignment.parts)
    if problems:
        raise ValueError(f"{source.name}: " + "; ".join(f"{where}: {what}" for where, what in problems))
    for cell in cells:  # stable ids: a rebuild of an unchanged source writes the same notebook
        cell.id = cell.metadata.get("nbgrader", {}).get("grade_id") or f"written-{cells.index(cell)}"
    nb = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})
    nbformat.validate(nb)
    return nb


# --- trying the checks on the instructor's own notebooks ------------------------------------------------

def try_notebooks(assignment_dir, notebooks):
    """Grade the instructor's own ``notebooks`` (the solution, the released blank, a planted mistake) as
    autograding would: their cells in the sandbox, the checks of ``assignment_dir/checks.py`` here, the test
    cells and points taken from the solution notebook. Returns ``[(path, points, max_points, failures)]`` with
    ``failures`` the failed parts' messages. Nothing is written to a gradebook. Students' notebooks go through
    ``nbgrader autograde``, which also restores the cells' roles from the gradebook first."""
    import tempfile

    import nbformat
    from nbgrader.utils import determine_grade

    from . import launcher
    from .checks import load
    from .runner import grade_notebook

    assignment_dir = Path(assignment_dir)
    name = assignment_dir.name
    assignment = load(assignment_dir / "checks.py")
    solution = nbformat.read(str(assignment_dir / f"{name}.ipynb"), as_version=4)
    points = {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"].get("points", 0))
              for c in solution.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    nocalc = None
    if assignment.BY_HAND:
        import os

        import sympy

        from .nocalculus import sympy_without_calculus

        nocalc = sympy_without_calculus(launcher.inside_path(os.path.dirname(sympy.__file__)))
    results = []
    with tempfile.TemporaryDirectory(prefix="ffgrader-try-") as libdir:
        launcher.stage_library(Path(libdir), tuple(assignment.NNLIB_ALLOWED))
        for path in notebooks:
            nb = nbformat.read(str(path), as_version=4)
            grade_notebook(nb, assignment, submission_dir=None, libdir=Path(libdir), test_ids=set(points),
                           nocalculus_sympy=nocalc)
            failures, earned = [], 0.0
            for cell in nb.cells:
                gid = cell.metadata.get("nbgrader", {}).get("grade_id")
                if gid not in points or cell.cell_type != "code":
                    continue
                # Scored by nbgrader's own rule (an error is 0, a number as the result is partial credit), with
                # the solution's points: what autograding would record.
                scored = nbformat.from_dict({**cell, "metadata": {"nbgrader": {
                    "grade": True, "solution": False, "grade_id": gid, "points": points[gid]}}})
                got = determine_grade(scored)[0] if cell.outputs else 0.0  # no verdict is no points here
                earned += got
                if got < points[gid]:
                    failures.append(next((o.get("evalue") or o.get("text", "") for o in cell.outputs
                                          if o.get("output_type") in ("error", "stream")),
                                         f"[{gid}] not graded").rstrip("\n"))
            results.append((Path(path), earned, sum(points.values()), failures))
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ffgrader.authoring", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("notebook", help="write solutions/<hw>/<hw>.ipynb from solutions/<hw>.py and its checks.py")
    p.add_argument("source", type=Path, help="the notebook's text, solutions/<hw>.py")
    p = sub.add_parser("try", help="grade your own notebooks (solution, blank, planted mistakes) in the sandbox")
    p.add_argument("assignment", type=Path, help="the assignment's folder, solutions/<hw>")
    p.add_argument("notebooks", type=Path, nargs="+", help="notebooks to grade")
    args = parser.parse_args(argv)
    import nbformat

    try:
        if args.command == "try":
            short = []
            solution = (args.assignment / f"{args.assignment.name}.ipynb").resolve()
            for path, earned, total, failures in try_notebooks(args.assignment, args.notebooks):
                print(f"{path}: {earned:g} of {total:g} points")
                for message in failures:
                    print("    " + message.replace("\n", "\n    "))
                if path.resolve() == solution and earned < total:
                    short.append(f"{path}: the solution earns {earned:g} of {total:g} points: fix the solution or "
                                 "the checks before release (python -m tools.assignments check "
                                 f"{args.assignment.name} says more)")
            for line in short:
                print(f"error: {line}", file=sys.stderr)
            return 1 if short else 0
        nb = build_notebook(args.source)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    out = args.source.parent / args.source.stem / f"{args.source.stem}.ipynb"
    nbformat.write(nb, str(out))
    n = sum(1 for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
    print(f"wrote {out} ({len(nb.cells)} cells, {n} test cells)")
    return 0


if __name__ == "__main__":
    # Run as ffgrader.authoring, not __main__: the checks file's parts are ffgrader.authoring.Part objects.
    from ffgrader.authoring import main as _main

    sys.exit(_main())
