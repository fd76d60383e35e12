"""Authoring checks of an assignment (``python -m tools.assignments check [hw ...]``): the silent mistakes.

For ``solutions/<hw>/`` (the instructor notebook ``<hw>.ipynb`` and its hidden checks ``checks.py``) it reports,
one finding per line:

- ``checks.py`` missing or not loadable (the finding explains the format);
- grade ids that differ between the notebook's autograded test cells and the registered checks (both ways);
- names in ``BY_HAND`` / ``SKIP_CELLS`` / ``NNLIB_ALLOWED`` that name nothing;
- a notebook with no autograded test cell (nothing would be graded automatically);
- nbgrader's markers misspelt, unpaired or in the wrong kind of cell, a missing or extra variant cell, a cell
  other than the variant cell that assigns a parameter of ``VARIANTS``, partial-credit shares that do not add
  up to their cell's points (``ffgrader.cell_rules``);
- visible tests whose expected value is computed from the student's answer (``visible_self_comparisons``);
- a solution that does not earn full marks, a blank notebook (the release nbgrader makes) that earns anything,
  each on every one of the K seeds;
- weak checks: mutants of the solution (``tools.mutants``) that change what a check sees and still pass it.

How mutants are graded: the notebook's cells run once in the course's real worker over the loopback channel
(``ffgrader.session.loopback_student``: the worker and wire protocol grading uses, forked without bwrap: the
code is the instructor's own); the checks run in this process through ``ffgrader.checks.Assignment.run``, as
the grader runs them. For a mutant of answer cell k, the same worker runs the mutated cell and the cells after
it again (so later cells see the mutated functions, as in a notebook), and only the checks of that part run.
A fresh worker starts for each answer cell. No nbgrader application starts.

Which mutants count (the rule for equivalent mutants): every value a check receives from the student is
recorded (call results, ``value``/``has`` answers and the problems raised; not the results of calls made with
``keep=True``, which a check only hands back to the student). A mutant changes a check's behaviour when, on at
least one seed, what the check received differs from what the solution gave on the same seed (numbers
compared exactly; SymPy answers by equivalence). Such a mutant must fail on EVERY seed: a seed on which it
passes every check of its part makes it a survivor, listed under each of those checks that saw a change (the
check is weak there: the missing 1/N that passes when the batch happens to hold one sample). When one part
has several checks, each grading one aspect (hw3's loss, gradients, gradient check of one function), a
mutant that another check of the part fails on that seed is killed: its points are lost. A mutant that gives
the solution's values to every check on every seed is equivalent and is not reported.

A check's part: the answer cells between the previous group of test cells and its own test cell (nbgrader's
layout: answer cell(s), then the test cells that grade them).
"""

from __future__ import annotations

import ast
import difflib
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

from ffgrader import cell_rules, variants

DEFAULT_SEEDS = 3                  # K: every mutant must fail on each of these seeds
GUIDE = "book/appendix/writing_assignments.md"
CELL_TIMEOUT = 20.0                # a mutant that loops is stopped (and counts as failing)
CALL_TIMEOUT = 20.0

FORMAT_HELP = (
    "every assignment needs solutions/<hw>/checks.py, the hidden checks the grader runs (never released):\n"
    "    from ffgrader.checks import check, call, expect_array\n"
    "    NNLIB_ALLOWED = ()      # nnlib modules the student's code may import\n"
    "    SKIP_CELLS = ()         # grade ids of read-only demonstration cells not run when grading\n"
    "    BY_HAND = {}            # test grade id -> (answer grade ids,) derived by hand (no SymPy calculus)\n"
    "    @check(\"test_1a\")      # one check per autograded test cell, by its grade id\n"
    "    def _(student, rng):\n"
    "        z = rng.normal(size=20)\n"
    "        expect_array(\"1a sigmoid\", call(student, \"1a\", \"sigmoid\", z), 1 / (1 + np.exp(-z)))\n"
    f"See \"Writing an assignment\" ({GUIDE})."
)


@dataclass(frozen=True)
class Finding:
    assignment: str
    where: str        # a cell's or check's grade id, or the declaration concerned
    what: str

    def __str__(self):
        return f"{self.assignment}: {self.where}: {self.what}"


@dataclass
class CheckRow:
    """Mutant survival of one check."""
    check: str
    part: tuple                                        # the answer cells it grades
    changing: int = 0                                  # mutants that change what it sees
    equivalent: int = 0                                # mutants of its part that do not
    survivors: list = field(default_factory=list)     # (mutant label, seeds it passed on)

    @property
    def killed(self) -> int:
        return self.changing - len(self.survivors)


@dataclass
class Report:
    assignment: str
    findings: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    mutants: int = 0
    seconds: float = 0.0


# ------------------------------------------------------------------------------------------ the notebook
def _meta(cell) -> dict:
    m = cell.get("metadata", {}).get("nbgrader", {})
    return m if isinstance(m, dict) else {}


def _source(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def is_test(cell) -> bool:
    m = _meta(cell)
    return cell.cell_type == "code" and bool(m.get("grade")) and not m.get("solution")


def is_answer(cell) -> bool:
    return cell.cell_type == "code" and bool(_meta(cell).get("solution"))


def parts(nb) -> dict[str, tuple]:
    """Test grade id -> the answer cells it grades (those since the previous group of test cells)."""
    out, pending, current = {}, [], ()
    for cell in nb.cells:
        if is_answer(cell):
            pending.append(_meta(cell)["grade_id"])
        elif is_test(cell):
            if pending:
                current, pending = tuple(pending), []
            out[_meta(cell)["grade_id"]] = current
    return out


def student_names(nb) -> set[str]:
    """Names the answer cells bind at top level (functions, classes, values; not imports)."""
    return {name for cell in nb.cells if is_answer(cell) for name in cell_rules.bound_names(_source(cell), False)}


# ------------------------------------------------------------------------------ visible tests (static)
# The visible-test helpers (ffgrader.visible_tests) and the position of their expected value. check_gradients
# is left out on purpose: its "expected" is finite differences of a loss, and a loss built on the student's
# own forward pass still tests something real (that the gradients are the derivative of that loss).
EXPECTED_ARG = {"check_array": 2, "check_scalar": 2, "check_equal": 2, "check_expr": 2, "check_truth_table": 2}
COMPARISONS = {"allclose", "isclose", "array_equal", "array_equiv", "assert_allclose", "assert_array_equal",
               "assert_equal", "assert_almost_equal", "assert_array_almost_equal"}


class _Taint:
    """Which names of a test cell hold values computed from the student's answer (flow-insensitive, per scope)."""

    def __init__(self, sources: set[str]):
        self.sources = set(sources)
        self.env: dict[str, set[str]] = {}
        self.problems: list[tuple[int, str]] = []

    def of(self, node, shadow=frozenset()) -> set[str]:
        """The student names ``node``'s value depends on."""
        if node is None:
            return set()
        found = set()
        for n in ast.walk(node):
            if isinstance(n, ast.Lambda):
                args = {a.arg for a in n.args.args + n.args.kwonlyargs} | \
                       {a.arg for a in (n.args.vararg, n.args.kwarg) if a}
                found |= self.of(n.body, shadow | args)
            elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in shadow:
                if n.id in self.env:
                    found |= self.env[n.id]
                elif n.id in self.sources:
                    found.add(n.id)
        return found

    def bind(self, target, value):
        if isinstance(target, (ast.Tuple, ast.List)):
            items = None
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts):
                items = value.elts
            elif isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "zip" \
                    and len(value.args) == len(target.elts) and not value.keywords:
                items = value.args
            if items is not None and not any(isinstance(e, ast.Starred) for e in target.elts):
                for t, v in zip(target.elts, items):
                    self.bind(t, v)
                return
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "enumerate" \
                    and len(target.elts) == 2 and value.args:
                self.bind(target.elts[0], None)
                self.bind(target.elts[1], value.args[0])
                return
        taint = self.of(value)
        for n in ast.walk(target):
            if isinstance(n, ast.Name):
                if isinstance(n.ctx, ast.Store):
                    self.env[n.id] = set(taint)
                elif taint:  # x[i] = tainted, x.a = tainted: x holds student data from now on
                    self.env[n.id] = self.env.get(n.id, set()) | taint

    def run(self, body):
        for stmt in body:
            self.statement(stmt)

    def statement(self, stmt):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inner = _Taint(self.sources)
            inner.env = dict(self.env)
            a = stmt.args
            for arg in a.posonlyargs + a.args + a.kwonlyargs + [x for x in (a.vararg, a.kwarg) if x]:
                inner.env[arg.arg] = set()
            inner.run(stmt.body)
            self.problems += inner.problems
            # calling a helper that calls the student's code gives student data
            free = set()
            for n in ast.walk(stmt):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                    free |= self.env.get(n.id, set()) | ({n.id} & self.sources)
            self.env[stmt.name] = free
            return
        self.inspect(stmt)
        if isinstance(stmt, ast.Assign):
            for t in stmt.targets:
                self.bind(t, stmt.value)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            self.bind(stmt.target, stmt.value)
        elif isinstance(stmt, ast.AugAssign):
            for n in ast.walk(stmt.target):
                if isinstance(n, ast.Name):
                    self.env[n.id] = self.env.get(n.id, set()) | self.of(stmt.value) | self.of(n)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            self.bind(stmt.target, stmt.iter)
            self.run(stmt.body)
            self.run(stmt.body)  # a second pass: values carried from one iteration to the next
            self.run(stmt.orelse)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, item.context_expr)
            self.run(stmt.body)
        elif isinstance(stmt, (ast.If, ast.While)):
            self.run(stmt.body)
            self.run(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            for block in (stmt.body, *[h.body for h in stmt.handlers], stmt.orelse, stmt.finalbody):
                self.run(block)

    def inspect(self, stmt):
        """Record the comparisons of ``stmt`` whose expected side is student data."""
        heads = [stmt] if not isinstance(stmt, (ast.For, ast.While, ast.If, ast.With, ast.Try)) else \
            [getattr(stmt, a) for a in ("iter", "test") if getattr(stmt, a, None) is not None]
        for head in heads:
            for node in ast.walk(head):
                if isinstance(node, ast.Assert):  # assert a == b, assert np.all(a == b), ...
                    for comp in (n for n in ast.walk(node.test) if isinstance(n, ast.Compare)):
                        tainted = [self.of(side) for side in (comp.left, *comp.comparators)]
                        if tainted[0] and any(tainted[1:]):
                            self._problem(node, f"`{_short(comp)}` compares the student's answer with itself (both "
                                                f"sides are computed from {_names(set().union(*tainted))})")
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else \
                    node.func.id if isinstance(node.func, ast.Name) else None
                if name in EXPECTED_ARG:
                    expected = node.args[EXPECTED_ARG[name]] if len(node.args) > EXPECTED_ARG[name] else \
                        next((k.value for k in node.keywords if k.arg in ("expected", "table")), None)
                    taint = self.of(expected)
                    if taint:
                        self._problem(node, f"the expected value of {name} (`{_short(expected)}`) is computed from "
                                            f"the student's answer ({_names(taint)}): the test cannot fail")
                elif name in COMPARISONS and len(node.args) >= 2:
                    a, b = self.of(node.args[0]), self.of(node.args[1])
                    if a and b:
                        self._problem(node, f"`{_short(node)}` compares the student's answer with itself "
                                            f"({_names(a | b)} on both sides)")

    def _problem(self, node, text):
        self.problems.append((node.lineno, text))


def _short(node, n=70) -> str:
    text = ast.unparse(node)
    return text if len(text) <= n else text[: n - 1] + "…"


def _names(names) -> str:
    return ", ".join(sorted(names))


def visible_self_comparisons(source: str, sources: set[str]) -> list[str]:
    """Problems of one visible test cell: comparisons whose expected side is computed from ``sources`` (the
    names the answer cells define), e.g. ``assert f(x) == f(x)`` or ``expected = f(x)`` then ``check(got,
    expected)``. Each problem is "line N: what"."""
    try:
        tree = ast.parse(cell_rules.python_source(source))
    except SyntaxError as e:
        return [f"line {e.lineno}: the test cell is not valid Python ({e.msg})"]
    taint = _Taint(sources)
    taint.run(tree.body)
    seen, out = set(), []
    for line, text in taint.problems:
        if (line, text) not in seen:
            seen.add((line, text))
            out.append(f"line {line}: {text}")
    return out


# --------------------------------------------------------------------------- declarations (static)
def _nnlib_modules() -> set[str]:
    import nnlib

    base = Path(nnlib.__file__).parent
    return {p.stem for p in base.glob("*.py") if p.stem != "__init__"} | \
           {p.name for p in base.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}


def _suggest(name, choices) -> str:
    close = difflib.get_close_matches(str(name), sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def static_findings(name: str, nb, assignment) -> list[Finding]:
    """Mismatched grade ids, unknown declared names, no test cell, self-comparing visible tests, and what
    ``ffgrader.cell_rules`` refuses (markers out of place or misspelt, the variant cell, partial-credit shares)."""
    out = []
    tests = [_meta(c)["grade_id"] for c in nb.cells if is_test(c)]
    answers = {_meta(c)["grade_id"] for c in nb.cells if is_answer(c)}
    cell_ids = {_meta(c).get("grade_id") for c in nb.cells if _meta(c).get("grade_id")}
    registered = list(assignment.checks) if assignment is not None else []
    if not tests:
        out.append(Finding(name, "notebook", "no autograded test cell: give each autograded part a test cell with its points "
                                              "(see the cell roles in the guide)"))
    if assignment is not None:
        for gid in tests:
            if gid not in assignment.checks:
                out.append(Finding(name, gid, "this autograded test cell has no check in checks.py: every student "
                                              f"loses its points{_suggest(gid, registered)}"))
        for gid in registered:
            if gid not in tests:
                out.append(Finding(name, f"@check({gid!r})", "no autograded test cell of the notebook has this grade "
                                                            f"id: the check never runs{_suggest(gid, tests)}"))
        for test_id, cells in assignment.BY_HAND.items():
            if test_id not in tests:
                out.append(Finding(name, f"BY_HAND[{test_id!r}]", "not an autograded test cell of the notebook: "
                                                                  f"the by-hand rule is off{_suggest(test_id, tests)}"))
            for cell in cells:
                if cell not in answers:
                    out.append(Finding(name, f"BY_HAND[{test_id!r}]", f"{cell!r} is not an answer cell of the "
                                                                      f"notebook: the by-hand rule is off for it"
                                                                      f"{_suggest(cell, answers)}"))
        sources = {_meta(c)["grade_id"]: _source(c) for c in nb.cells if is_answer(c)}
        for cell in sorted({c for cells in assignment.BY_HAND.values() for c in cells} & set(sources)):
            used = calculus_calls(sources[cell])
            if used:
                out.append(Finding(name, cell, f"the solution of a by-hand part uses SymPy's calculus ({used}), "
                                               "which is switched off when that part is graded: it would earn 0"))
        for cell in assignment.SKIP_CELLS:
            if cell not in cell_ids:
                out.append(Finding(name, "SKIP_CELLS", f"{cell!r} is not a cell of the notebook: it would run when "
                                                       f"grading{_suggest(cell, cell_ids)}"))
            elif cell in answers or cell in tests:
                out.append(Finding(name, "SKIP_CELLS", f"{cell!r} is an {'answer' if cell in answers else 'test'} "
                                                       "cell: skip only read-only demonstration cells"))
        modules = _nnlib_modules()
        for module in assignment.NNLIB_ALLOWED:
            if module not in modules:
                out.append(Finding(name, "NNLIB_ALLOWED", f"{module!r} is not a module of nnlib{_suggest(module, modules)}"))
        for where, what in (cell_rules.variant_problems(nb.cells, variants.spec_of(assignment.path))
                            + cell_rules.parts_problems(nb.cells, assignment.parts)):
            out.append(Finding(name, where, what))
    for k, cell in enumerate(nb.cells, start=1):
        for problem in cell_rules.marker_problems(cell_rules.role(cell), _source(cell)):
            out.append(Finding(name, _meta(cell).get("grade_id") or f"cell {k}", problem))
    sources = student_names(nb)
    for cell in nb.cells:
        if is_test(cell):
            for problem in visible_self_comparisons(_source(cell), sources):
                out.append(Finding(name, _meta(cell)["grade_id"], f"visible test {problem}"))
    return out


def calculus_calls(source: str) -> str:
    """The SymPy calculus (``ffgrader.nocalculus``'s names) a cell's code refers to, e.g. ``sp.diff``."""
    from ffgrader.nocalculus import CALCULUS_CLASSES, CALCULUS_TOKENS

    try:
        tree = ast.parse(cell_rules.python_source(source))
    except SyntaxError:
        return ""
    found = []
    for node in ast.walk(tree):
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
        if name and (name in CALCULUS_CLASSES or set(name.lower().split("_")) & CALCULUS_TOKENS):
            found.append(ast.unparse(node))
    return ", ".join(dict.fromkeys(found))


# ----------------------------------------------------------------------------------- grading (dynamic)
class Recorder:
    """A Student (``ffgrader.session.SandboxStudent``'s protocol) that records what the check received."""

    def __init__(self, student):
        self.student, self.log = student, []

    @property
    def deadline(self):
        return self.student.deadline

    @deadline.setter
    def deadline(self, value):
        self.student.deadline = value

    def _do(self, kind, name, fn, record=True):
        from ffgrader.session import StudentProblem

        try:
            result = fn()
        except StudentProblem as exc:
            self.log.append((kind, name, ("raised", type(exc).__name__, getattr(exc, "exc_type", ""))))
            raise
        if record:
            self.log.append((kind, name, result))
        return result

    def call(self, name, *args, keep=False, **kwargs):
        return self._do("call", name, lambda: self.student.call(name, *args, keep=keep, **kwargs), record=not keep)

    def value(self, name):
        return self._do("value", name, lambda: self.student.value(name))

    def has(self, name):
        return self._do("has", name, lambda: self.student.has(name))

    def clean(self):
        """The clean twin (``SandboxStudent.clean``), recorded into the same log: the glue is received too."""
        twin = Recorder(self.student.clean())
        twin.log = self.log
        return twin


def same(a, b) -> bool:
    """Exactly the same decoded student data (arrays bit for bit, NaN equal to NaN; SymPy answers equivalent)."""
    from ffgrader.sandboxed.wire import Expr

    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and a.dtype == b.dtype and bool(
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return a == b or (a != a and b != b)
    if isinstance(a, Expr):
        return a.text == b.text or _equivalent(a.text, b.text)
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - an object without a usable ==: compare what it shows
        return repr(a) == repr(b)


def _equivalent(text_a: str, text_b: str) -> bool:
    """Two SymPy answers (srepr text of trusted code: the solution and its mutant) are equivalent."""
    import sympy

    from ffgrader import exprs

    expected = sympy.sympify(text_b)
    ok, _ = exprs.judge(text_a, expected, sorted(expected.free_symbols, key=str), budget=10.0)
    return ok is True


def same_log(a, b) -> bool:
    return len(a) == len(b) and all(x[:2] == y[:2] and same(x[2], y[2]) for x, y in zip(a, b))


def _runnable(nb, assignment) -> list:
    """The cells grading runs: code cells that are not autograded tests, not SKIP_CELLS, not empty."""
    skip = set(assignment.SKIP_CELLS)
    return [c for c in nb.cells if c.cell_type == "code" and not is_test(c)
            and _meta(c).get("grade_id") not in skip and _source(c).strip()]


class _Worker:
    """The notebook's cells in the real worker over the loopback channel (trusted code only)."""

    def __init__(self, cells):
        from ffgrader.session import loopback_student

        self.cells = cells
        self.student = loopback_student(None, call_timeout=CALL_TIMEOUT).start()
        self.failed = []
        self.run_from(0)

    def run_from(self, k, replace=None):
        for i, cell in enumerate(self.cells[k:], start=k):
            gid = _meta(cell).get("grade_id") or f"cell-{i}"
            source = replace if (replace is not None and i == k) else _source(cell)
            result = self.student.run_cell(gid, source, CELL_TIMEOUT)
            if not result.ok and replace is None:
                err = result.error or {}
                self.failed.append(f"{gid}: {err.get('ename')}: {str(err.get('evalue'))[:200]}")

    def close(self):
        self.student.close()


def _grade(assignment, student, check_id, seed):
    """(Verdict, what the check received) of one check on one seed."""
    rec = Recorder(student)
    verdict = assignment.run(check_id, rec, np.random.default_rng(seed))
    return verdict, rec.log


def blank_notebook(nb):
    """The notebook a student receives: nbgrader's own ClearSolutions on a copy (what generate_assignment runs)."""
    import copy

    from nbgrader.preprocessors import ClearSolutions

    blank = copy.deepcopy(nb)
    blank, _ = ClearSolutions().preprocess(blank, {})
    return blank


def check_assignment(hw_dir, seeds=DEFAULT_SEEDS, mutate=True, progress=None) -> Report:
    """Every authoring check of the assignment in ``hw_dir`` (``<hw>.ipynb`` and ``checks.py``)."""
    from ffgrader import checks as C

    t0 = time.monotonic()
    hw_dir = Path(hw_dir)
    name = hw_dir.name
    report = Report(name)
    say = progress or (lambda text: None)
    nb_path = hw_dir / f"{name}.ipynb"
    if not nb_path.is_file():
        report.findings.append(Finding(name, "notebook", f"{nb_path} not found (solutions/<hw>/<hw>.ipynb)"))
        return report
    nb = nbformat.read(nb_path, as_version=4)
    checks_path = hw_dir / "checks.py"
    assignment = None
    if not checks_path.is_file():
        report.findings.append(Finding(name, "checks.py", "missing: " + FORMAT_HELP))
    else:
        try:
            assignment = C.load(checks_path)
        except Exception as exc:  # noqa: BLE001 - whatever the instructor's file raises is the finding
            report.findings.append(Finding(name, "checks.py", f"cannot be loaded: {type(exc).__name__}: {exc}"))
    report.findings += static_findings(name, nb, assignment)
    if assignment is None:
        report.seconds = time.monotonic() - t0
        return report
    seed_list = list(range(seeds))
    tests = [_meta(c)["grade_id"] for c in nb.cells if is_test(c)]
    graded = [g for g in assignment.checks if g in tests]  # the grader's order

    # The solution: full marks on every seed; its logs are what the mutants are compared with.
    say(f"{name}: solution")
    cells = _runnable(nb, assignment)
    worker = _Worker(cells)
    for failure in worker.failed:
        report.findings.append(Finding(name, failure.split(":")[0], "the solution's cell raised: " +
                                       failure.split(": ", 1)[1]))
    base = {}
    try:
        for gid in graded:
            for seed in seed_list:
                verdict, log = _grade(assignment, worker.student, gid, seed)
                base[gid, seed] = log
                if not verdict.passed:
                    report.findings.append(Finding(name, gid, f"the solution fails this check on seed {seed}: "
                                                              f"{verdict.message[:300]}"))
    finally:
        worker.close()

    # The blank release: earns nothing on any seed.
    say(f"{name}: blank notebook")
    blank = _Worker(_runnable(blank_notebook(nb), assignment))
    try:
        for gid in graded:
            passed = [s for s in seed_list if _grade(assignment, blank.student, gid, s)[0].passed]
            if passed:
                report.findings.append(Finding(name, gid, "the blank notebook (the release) passes this check on "
                                                          f"seed(s) {', '.join(map(str, passed))}: it earns points "
                                                          "for nothing"))
    finally:
        blank.close()

    if mutate:
        _mutation(report, nb, assignment, cells, graded, seed_list, base, say)
    report.seconds = time.monotonic() - t0
    return report


def _mutation(report, nb, assignment, cells, graded, seed_list, base, say):
    from .mutants import mutants

    part_of = parts(nb)
    solution_failed = {f.where for f in report.findings if "the solution fails" in f.what}
    rows = {gid: CheckRow(gid, part_of.get(gid, ())) for gid in graded}
    report.rows = list(rows.values())
    for k, cell in enumerate(cells):
        gid = _meta(cell).get("grade_id")
        if not is_answer(cell):
            continue
        checks = [c for c in graded if gid in part_of.get(c, ()) and c not in solution_failed]
        found = mutants(_source(cell), gid)
        report.mutants += len(found)
        if not checks or not found:
            continue
        say(f"{report.assignment}: {len(found)} mutants of {gid} against {', '.join(checks)}")
        worker = _Worker(cells)
        try:
            for mutant in found:
                worker.run_from(k, replace=mutant.source)
                passed, changed = {}, {}
                for check_id in checks:
                    passed[check_id], changed[check_id] = [], False
                    for seed in seed_list:
                        verdict, log = _grade(assignment, worker.student, check_id, seed)
                        if verdict.passed:  # (a failing check received something else; no need to compare)
                            passed[check_id].append(seed)
                            changed[check_id] = changed[check_id] or not same_log(log, base[check_id, seed])
                        else:
                            changed[check_id] = True
                # seeds on which the mutant passes every check of its part: its points are earned by wrong code
                surviving = [s for s in seed_list if all(s in passed[c] for c in checks)]
                for check_id in checks:
                    row = rows[check_id]
                    if not changed[check_id]:
                        row.equivalent += 1
                        continue
                    row.changing += 1
                    if surviving:
                        row.survivors.append((mutant.label, surviving))
                        report.findings.append(Finding(report.assignment, check_id, "weak check: the mutant "
                                                       f"{mutant.label} changes what this check receives and passes "
                                                       f"every check of {', '.join(part_of[check_id])} on seed(s) "
                                                       f"{', '.join(map(str, surviving))}"))
        finally:
            worker.close()


# ----------------------------------------------------------------------------------------- output
def markdown_table(reports) -> str:
    """The mutant-survival table (one row per check) as MyST markdown."""
    lines = ["| Assignment | Check | Part (answer cells) | Mutants that change it | Killed | Survivors |",
             "| --- | --- | --- | ---: | ---: | --- |"]
    for r in reports:
        for row in r.rows:
            surv = "; ".join(f"`{label}`" for label, _ in row.survivors) or "0"
            lines.append(f"| {r.assignment} | `{row.check}` | {', '.join(f'`{p}`' for p in row.part)} | "
                         f"{row.changing} | {row.killed} | {surv} |")
    return "\n".join(lines) + "\n"


def summary(report) -> str:
    surv = sum(len(r.survivors) for r in report.rows)
    changing = sum(r.changing for r in report.rows)
    return (f"{report.assignment}: {len(report.findings)} finding(s); {report.mutants} mutants, {changing} "
            f"check-mutant pairs that change behaviour, {surv} survive; {report.seconds:.1f} s")
