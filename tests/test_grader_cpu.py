"""The grading process's own CPU per notebook is bounded whatever the notebook does (issue 18, family 4).

A hostile notebook of the fixture assignment is graded by ``ffgrader.runner.grade_notebook`` in the real
sandbox: a SymPy answer that takes SymPy hours to build (``Max(z, Pow(3, 10**8))``), results as large as the
protocol carries (a 4-million-entry array, a list of 199,000 floats), and 150 cells of its own printing
100 kB each. Measured: CPU time of this process (``time.process_time``: the workers and the SymPy children are
other processes with their own limits), not wall-clock time. The bound is the instructor guide's: 1 s plus
0.05 s per MiB the grader reads from the notebook's workers, at most ``Budget.received_bytes`` (64 MiB).
"""

import copy
import time

import nbformat
import pytest

from attacks.course import FIXTURE, cell_by_id
from ffgrader import launcher, nocalculus
from ffgrader.checks import load
from ffgrader.runner import Caps, grade_notebook
from ffgrader.session import Budget

pytestmark = pytest.mark.xdist_group("sandbox")

HOSTILE = {
    "answer_1": "def double(x):\n    return np.zeros((2000, 2000))\n",
    "answer_2": "z = sp.Symbol('z')\n\ndef dexp():\n    return sp.Max(z, sp.Pow(3, 10**8, evaluate=False), evaluate=False)\n",
    "answer_3": "def total(x):\n    print('x' * 100_000)\n    return [0.5] * 199_000\n",
}


def test_a_hostile_notebook_costs_the_grader_a_bounded_cpu_time(tmp_path):
    import os

    import sympy

    nb = nbformat.read(FIXTURE / "solutions" / "fx" / "fx.ipynb", as_version=4)
    for gid, source in HOSTILE.items():
        cell_by_id(nb, gid).source = source
    nb.cells += [nbformat.v4.new_code_cell("print('y' * 100_000)") for _ in range(150)]
    assignment = load(FIXTURE / "solutions" / "fx" / "checks.py")
    libdir = launcher.stage_library(tmp_path / "lib")
    nocalc = nocalculus.sympy_without_calculus(launcher.inside_path(os.path.dirname(sympy.__file__)))
    budget = Budget()
    graded = copy.deepcopy(nb)
    before = time.process_time()
    timings = grade_notebook(graded, assignment, submission_dir=None, libdir=libdir,
                             test_ids={"test_1", "test_2", "test_3"}, cell_timeout=20, check_timeout=30,
                             budget=budget, caps=Caps(), nocalculus_sympy=nocalc)
    used = time.process_time() - before
    read_mib = budget.received / 2**20
    bound = 1.0 + 0.05 * budget.received_bytes / 2**20
    assert used <= bound, (used, read_mib, timings)
    assert abs(timings.grader_cpu - used) < 0.5
    assert read_mib > 20  # it did send what it could: the bound was tested with real load
    for gid in ("test_1", "test_2", "test_3"):
        assert cell_by_id(graded, gid).outputs[0].output_type == "error", gid
    assert "time budget" in cell_by_id(graded, "test_2").outputs[0].evalue
