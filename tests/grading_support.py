"""Test support for the hidden checks: an in-process test double of the Student protocol, and scoring.

``InProcessStudent`` runs a (trusted) notebook's non-test code cells in a namespace of this process and answers
``call``/``value``/``has``/``define`` like grader-core's sandboxed worker: arguments are decoded from the
protocol markers (Sym, Rng, Ref) and copied, results are encoded as plain data (exact ndarray copies, SymPy
expressions as ``Expr(srepr)``, anything else as ``Opaque``). It is for TESTS on trusted notebooks only; real
grading runs student code in the sandbox.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import secrets
import warnings
from pathlib import Path

import nbformat
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
HOMEWORK = ["hw1_neurons", "hw2_perceptron", "hw3_backprop", "hw4_training", "hw5_approximation"]
GRADED = HOMEWORK  # every assignment: its hidden tests live in solutions/<hw>/checks.py


from ffgrader import checks as C
from ffgrader.protocol import (Expr, NotDefined, Opaque, Ref, Rng, StudentError, Sym)

_ARRAY_KINDS = "biuf"


def meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def is_test_cell(cell) -> bool:
    m = meta(cell)
    return cell.cell_type == "code" and bool(m.get("grade")) and not m.get("solution")


def load_nb(kind: str, hw: str):
    return nbformat.read(ROOT / kind / hw / f"{hw}.ipynb", as_version=4)


def load_checks(hw: str):
    return C.load(ROOT / "solutions" / hw / "checks.py")


class InProcessStudent:
    """The Student protocol, answered by executing a notebook's non-test cells in this process."""

    def __init__(self, nb, skip=(), replace=None):
        """``replace``: grade_id -> new source for that cell (to plant a mistake)."""
        self.ns: dict = {"__name__": "__main__"}
        self.cell_errors: dict = {}
        self.stderr = io.StringIO()
        for cell in nb.cells:
            if cell.cell_type != "code" or is_test_cell(cell) or meta(cell).get("grade_id") in skip:
                continue
            source = (replace or {}).get(meta(cell).get("grade_id"), cell.source)
            try:
                with self._quiet():
                    exec(compile(source, f"<cell {meta(cell).get('grade_id')}>", "exec"), self.ns)  # noqa: S102
            except Exception as exc:  # noqa: BLE001 - recorded like the worker does, then continue
                self.cell_errors[meta(cell).get("grade_id")] = f"{type(exc).__name__}: {exc}"

    @contextlib.contextmanager
    def _quiet(self):
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
        for w in caught:  # a warning is shown, never an error
            self.stderr.write(f"{w.category.__name__}: {w.message}\n")

    # -- protocol --
    def has(self, name):
        return name in self.ns

    def value(self, name):
        if name not in self.ns:
            raise NotDefined(name)
        return _encode(self.ns[name])

    def define(self, name, source):
        self.ns[name] = eval(source, self.ns)  # noqa: S307 - trusted grader source

    def call(self, name, *args, **kwargs):
        fn = self.ns.get(name)
        if fn is None or not callable(fn):
            raise NotDefined(name)
        a = [self._decode(x) for x in args]
        k = {key: self._decode(x) for key, x in kwargs.items()}
        try:
            with self._quiet():
                out = fn(*a, **k)
        except Exception as exc:  # noqa: BLE001
            raise StudentError(name, type(exc).__name__, str(exc), _arg_summary(fn, a, k)) from None
        return _encode(out)

    def _decode(self, x):
        if isinstance(x, Sym):
            import sympy as sp
            return sp.Symbol(x.name, **x.assumptions)
        if isinstance(x, Rng):
            return np.random.default_rng(x.seed)
        if isinstance(x, Ref):
            if x.name not in self.ns:
                raise NotDefined(x.name)
            return self.ns[x.name]
        if type(x) is np.ndarray:
            return x.copy()
        if type(x) in (list, tuple):
            return type(x)(self._decode(v) for v in x)
        if type(x) is dict:
            return {k: self._decode(v) for k, v in x.items()}
        return x


def _arg_summary(fn, args, kwargs):
    try:
        names = [p.name for p in inspect.signature(fn).parameters.values()]
    except (TypeError, ValueError):
        names = []
    from ffgrader.student import args_summary
    return args_summary(args, kwargs, names)


def _encode(v, depth=0):
    """Plain data only, like the worker's JSON protocol: the data crosses, never the object."""
    if depth > 20:
        return Opaque(type(v).__name__, "")
    if v is None or type(v) in (bool, int, float, str):
        return v
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, np.ndarray) and v.dtype.kind in _ARRAY_KINDS:
        return np.array(v, copy=True)  # a subclass becomes a plain ndarray with the same data
    if type(v) in (list, tuple):
        return type(v)(_encode(x, depth + 1) for x in v)
    if type(v) is dict and all(type(k) is str for k in v):
        return {k: _encode(x, depth + 1) for k, x in v.items()}
    if "sympy" in type(v).__module__:
        import sympy as sp
        if isinstance(v, sp.Basic):
            return Expr(sp.srepr(v))
    return Opaque(type(v).__qualname__, repr(v)[:60])


def points(nb) -> dict[str, float]:
    """grade_id -> points of every autograded test cell."""
    return {meta(c)["grade_id"]: float(meta(c)["points"]) for c in nb.cells if is_test_cell(c)}


def default_seed() -> int:
    """The checks' master seed in tests: fixed, so CI is reproducible (the grader itself draws a fresh one per
    run); ``FFGRADER_TEST_SEED=random`` draws fresh seeds to hunt for inputs a check does not cover, and any
    other value is used as the seed (a failure message prints the seed it ran with)."""
    env = os.environ.get("FFGRADER_TEST_SEED", "20261201")
    return secrets.randbits(64) if env == "random" else int(env)


def grade(hw, kind="solutions", replace=None, seed=None, student=None):
    """Run every check of ``hw`` on a notebook; returns (verdicts by grade_id, score, total, seed)."""
    nb = load_nb(kind, hw)
    assignment = load_checks(hw)
    student = student or InProcessStudent(nb, skip=assignment.SKIP_CELLS, replace=replace)
    seed = default_seed() if seed is None else seed
    master = np.random.default_rng(seed)
    pts = points(nb)
    verdicts = {gid: assignment.run(gid, student, np.random.default_rng(master.integers(2**63))) for gid in pts}
    score = sum(pts[g] for g, v in verdicts.items() if v.passed)
    return verdicts, score, sum(pts.values()), seed


def sandbox_student(hw, kind, workdir: Path):
    """grader-core's SandboxStudent with ``hw``'s notebook cells run in it (the real grading path)."""
    from ffgrader.sandbox import stage_library
    from ffgrader.session import SandboxStudent

    nb = load_nb(kind, hw)
    assignment = load_checks(hw)
    lib = stage_library(workdir / "lib", assignment.NNLIB_ALLOWED)
    sub = workdir / "submission"
    sub.mkdir(parents=True)
    nbformat.write(nb, sub / f"{hw}.ipynb")
    student = SandboxStudent(sub, lib).start()
    student.cell_results = {}
    for cell in nb.cells:
        gid = meta(cell).get("grade_id")
        if cell.cell_type == "code" and not is_test_cell(cell) and gid not in assignment.SKIP_CELLS:
            student.cell_results[gid] = student.run_cell(str(gid), cell.source, 60.0)
    return student


def processes_with(marker: str) -> list[int]:
    """Host pids whose command line contains ``marker`` (to show a sandbox left no process behind)."""
    found = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{d}/cmdline").read_bytes():
                    found.append(int(d))
            except OSError:
                pass
    return found
