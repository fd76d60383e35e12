"""Grade one notebook: run its cells in the sandbox, then the trusted checks here, in the grader process.

``grade_notebook`` is independent of nbgrader's machinery (the preprocessor in ``nbgrader_pre`` calls it):
1. every code cell that is not an autograded test cell and not in the assignment's ``SKIP_CELLS`` runs
   in the sandboxed worker, in order, with a time budget; its prints, warnings and errors become the
   cell's outputs (a cell that hangs or kills the worker is marked errored, the rest continues);
2. test-cell source never runs and never enters the sandbox; instead the check registered for the test
   cell's grade_id runs here with a ``SandboxStudent`` and a fresh ``numpy.random.Generator`` seeded from
   ``secrets``; the cell's outputs become a pass note or one ``error`` output (ename ``CheckFailed``), so
   nbgrader's SaveAutoGrades gives full points or 0;
3. a by-hand part whose answer cell lets SymPy do the calculus (``ffgrader.scan``) gets 0 with the reason.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import numpy as np
from nbformat.notebooknode import NotebookNode

from ffgrader.sandbox import Limits
from ffgrader.scan import calculus_findings
from ffgrader.session import SandboxStudent

PASS_NOTE = "[{gid}] passed: the grader's checks of this part ran outside your notebook and all passed.\n"


def _gid(cell):
    meta = cell.get("metadata")
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbg.get("grade_id") if isinstance(nbg, dict) else None


def _outputs(result, count):
    outs = []
    if result.stdout:
        outs.append(NotebookNode(output_type="stream", name="stdout", text=result.stdout))
    if result.stderr:
        outs.append(NotebookNode(output_type="stream", name="stderr", text=result.stderr))
    if result.display is not None:
        outs.append(NotebookNode(output_type="execute_result", execution_count=count, metadata={},
                                 data={"text/plain": result.display}))
    if result.error is not None:
        outs.append(error_output(result.error["ename"], result.error["evalue"], result.error["traceback"]))
    return outs


def error_output(ename, evalue, traceback=None):
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=list(traceback) if traceback else [f"{ename}: {evalue}"])


def by_hand_findings(nb, assignment) -> dict:
    """test grade_id -> reasons, for the BY_HAND parts whose answer cells use SymPy calculus.

    Scanned: the answer cells the assignment lists, and every cell the student added (no nbgrader
    metadata), since a helper there could do the calculus for the answer cell.
    """
    by_id = {_gid(c): c for c in nb.cells if c.cell_type == "code" and _gid(c)}
    added = [c for c in nb.cells if c.cell_type == "code" and _gid(c) is None]
    out = {}
    for test_id, answer_ids in assignment.BY_HAND.items():
        reasons = []
        for aid in answer_ids:
            if aid in by_id:
                reasons += [f"answer cell {aid}, {r}" for r in calculus_findings(by_id[aid].source)]
        for k, c in enumerate(added):
            reasons += [f"a cell you added (#{k + 1}), {r}" for r in calculus_findings(c.source)]
        if reasons:
            out[test_id] = reasons
    return out


def grade_notebook(nb, assignment, *, submission_dir: Path | None, libdir: Path, test_ids, limits=Limits(),
                   cell_timeout=30.0, check_timeout=60.0, start_timeout=60.0, bwrap=None, log=None):
    """Run the notebook and its checks; rewrite the outputs of ``nb`` in place. Returns the Timings."""
    test_ids, skip = set(test_ids), set(assignment.SKIP_CELLS)
    findings = by_hand_findings(nb, assignment)
    student = SandboxStudent(submission_dir, libdir, limits=limits, start_timeout=start_timeout,
                             call_timeout=check_timeout, bwrap=bwrap)
    with student:
        count = 0
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            cell.outputs = []
            gid = _gid(cell)
            source = cell.source if isinstance(cell.source, str) else ""
            if gid in test_ids or gid in skip or not source.strip():
                cell.execution_count = None
                continue
            count += 1
            cell.execution_count = count
            result = student.run_cell(gid or f"added-{count}", source, cell_timeout)
            cell.outputs = _outputs(result, count)
        t0 = time.monotonic()
        for cell in nb.cells:
            gid = _gid(cell)
            if cell.cell_type != "code" or gid not in test_ids:
                continue
            if gid in findings:
                reasons = "; ".join(findings[gid][:5])
                msg = (f"[{gid}] this part must be derived by hand, but SymPy does the calculus: {reasons}. "
                       "This part earns 0.")
                cell.outputs = [error_output("ByHandRule", msg)]
                continue
            rng = np.random.default_rng(secrets.randbits(128))
            student.deadline = time.monotonic() + check_timeout
            try:
                verdict = assignment.run(gid, student, rng)
            finally:
                student.deadline = None
            if verdict.passed:
                cell.outputs = [NotebookNode(output_type="stream", name="stdout", text=PASS_NOTE.format(gid=gid))]
            else:
                cell.outputs = [error_output("CheckFailed", verdict.message)]
        student.timings.checks = time.monotonic() - t0
    if log is not None:
        t = student.timings
        log.info("ffgrader: sandbox start %.2f s (%d restarts), student code %.2f s, replay %.2f s, checks %.2f s",
                 t.sandbox_start, t.restarts, t.student_code, t.replay, t.checks)
    return student.timings
