"""Test support for the hidden checks: the real worker over a loopback channel, and scoring.

``loopback`` runs a (trusted) notebook's non-test code cells in the real worker (``ffgrader.sandboxed.worker``)
in a forked process without bwrap, over the real wire protocol (``ffgrader.launcher.Loopback``): the checks see
exactly the plain data they see when grading. It is for TESTS on trusted notebooks only; real grading runs
student code in the sandbox.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

import nbformat
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
HOMEWORK = ["hw1_neurons", "hw2_perceptron", "hw3_backprop", "hw4_training", "hw5_approximation", "hw6_generalization"]
GRADED = HOMEWORK  # every assignment: its hidden tests live in solutions/<hw>/checks.py


from ffgrader import checks as C
from ffgrader.session import loopback_student


def meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def is_test_cell(cell) -> bool:
    m = meta(cell)
    return cell.cell_type == "code" and bool(m.get("grade")) and not m.get("solution")


def load_nb(kind: str, hw: str):
    return nbformat.read(ROOT / kind / hw / f"{hw}.ipynb", as_version=4)


def load_checks(hw: str):
    return C.load(ROOT / "solutions" / hw / "checks.py")


def loopback(nb, assignment, replace=None, cell_timeout=60.0):
    """The real worker and protocol, in a forked process without bwrap (``ffgrader.session.loopback_student``),
    with the notebook's non-test cells run in it; ``replace``: grade_id -> new source (to plant a mistake).
    For trusted notebooks only: it isolates nothing."""
    student = loopback_student(None, call_timeout=60.0).start()
    student.cell_results = {}
    for cell in nb.cells:
        gid = meta(cell).get("grade_id")
        if cell.cell_type != "code" or is_test_cell(cell) or gid in assignment.SKIP_CELLS:
            continue
        source = (replace or {}).get(gid, cell.source)
        student.cell_results[gid] = student.run_cell(str(gid), source, cell_timeout)
    return student


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
    """Run every check of ``hw`` on a notebook (in the checks file's order, as grading does); returns
    (verdicts by grade_id, score, total, seed)."""
    nb = load_nb(kind, hw)
    assignment = load_checks(hw)
    own = student is None
    student = student or loopback(nb, assignment, replace=replace)
    seed = default_seed() if seed is None else seed
    master = np.random.default_rng(seed)
    pts = points(nb)
    try:
        verdicts = {gid: assignment.run(gid, student, np.random.default_rng(master.integers(2**63)))
                    for gid in assignment.checks if gid in pts}
    finally:
        if own:
            student.close()
    score = sum(pts[g] * (1.0 if v.passed else v.credit or 0.0) for g, v in verdicts.items())  # partial credit
    return verdicts, score, sum(pts.values()), seed


def sandbox_student(hw, kind, workdir: Path):
    """grader-core's SandboxStudent with ``hw``'s notebook cells run in it (the real grading path)."""
    from ffgrader.launcher import stage_library
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


def course_of(tmp_path: Path, hw: str) -> Path:
    """A fresh course folder under ``tmp_path``: the repository's nbgrader_config.py and ``solutions/<hw>``."""
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / hw, course / "solutions" / hw,
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return course
