"""Grade one notebook: run its cells in the sandbox, then the trusted checks here, in the grader process.

``grade_notebook`` is independent of nbgrader's machinery (the preprocessor in ``nbgrader_pre`` calls it):
1. every code cell that is not an autograded test cell and not in the assignment's ``SKIP_CELLS`` runs
   in the sandboxed worker, in order, with a time budget per cell and one for all cells together; its
   prints, warnings and errors become the cell's outputs (a cell that hangs or kills the worker is marked
   errored, the rest continues); cells the student added beyond ``Caps.added_cells`` are not run;
2. when the assignment has by-hand parts (``BY_HAND``), a second worker whose SymPy has no calculus
   (``ffgrader.nocalculus``) runs the same cells, each right after the first worker, up to the last by-hand
   answer cell (not those that hung or crashed the first worker): the checks of those parts ask that worker,
   so no derivative computed by SymPy can reach their answers;
3. test-cell source never runs and never enters the sandbox; instead the checks registered for the
   assignment run here, in the checks file's order (never the submission's), each with a fresh
   ``numpy.random.Generator`` seeded from ``secrets`` and a time budget, and all of them within one budget;
   the cell's outputs become a pass note or one ``error`` output (ename ``CheckFailed``), so nbgrader's
   SaveAutoGrades gives full points or 0; a check with parts (``ffgrader.checks.check(..., parts=...)``)
   that passes some of them gives the message and the points earned as the cell's result (nbgrader's
   partial credit);
4. the outputs kept in the notebook are capped (``Caps.output_bytes`` for the whole notebook).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from nbformat.notebooknode import NotebookNode

from ffgrader import seeds, variants
from ffgrader.launcher import Limits
from ffgrader.session import Budget, SandboxStudent

PASS_NOTE = "[{gid}] passed: the grader's checks of this part ran outside your notebook and all passed.\n"
BY_HAND_NOTE = "switched off while a by-hand answer is graded"
MESSAGE_CHARS = 5000  # of one check's failure message


@dataclass(frozen=True)
class Caps:
    """Per-notebook caps (besides the sandbox's ``Limits`` and the time ``Budget``)."""
    output_bytes: int = 1_000_000   # characters of outputs kept in the graded notebook (and so its feedback)
    added_cells: int = 200          # code cells of the student's own that run (gradebook cells always run)


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


def partial_outputs(message, credit, cell, count=None):
    """A partly passed check: the message (which sub-checks failed) and the points earned as the cell's result,
    which nbgrader's SaveAutoGrades reads as the cell's partial credit."""
    points = round(float(cell.metadata["nbgrader"]["points"]) * credit, 6)
    return [NotebookNode(output_type="stream", name="stdout", text=message.rstrip("\n") + "\n"),
            NotebookNode(output_type="execute_result", execution_count=count, metadata={},
                         data={"text/plain": repr(points)})]


def error_output(ename, evalue, traceback=None):
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=list(traceback) if traceback else [f"{ename}: {evalue}"])


class _OutputCap:
    """Keeps outputs until the notebook's total reaches ``limit`` characters; later ones become one note."""

    def __init__(self, limit):
        self.left, self.limit, self.noted = limit, limit, False

    def keep(self, outs):
        kept = []
        for out in outs:
            size = sum(len(str(out.get(k, ""))) for k in ("text", "evalue", "data", "traceback"))
            if size <= self.left:
                self.left -= size
                kept.append(out)
            elif not self.noted:
                self.noted = True
                kept.append(NotebookNode(output_type="stream", name="stderr",
                                         text=f"[output dropped: this notebook's outputs passed {self.limit} "
                                              "characters; later outputs are not kept]\n"))
        return kept


def _check_order(assignment, test_ids):
    """The checks file's order (the instructor's), then any other test cell of the gradebook by name."""
    ordered = [g for g in assignment.checks if g in test_ids]
    return ordered + sorted(set(test_ids) - set(ordered))


def grade_notebook(nb, assignment, *, submission_dir: Path | None, libdir: Path | None, test_ids,
                   limits=Limits(), cell_timeout=30.0, check_timeout=60.0, start_timeout=60.0, bwrap=None, log=None,
                   budget: Budget | None = None, caps: Caps = Caps(), nocalculus_sympy: Path | None = None,
                   channel=None, translator=None, seed_of=None, variant=None, watch=None, only=None, pool=None):
    """Run the notebook and its checks; rewrite the outputs of ``nb`` in place. Returns the Timings.

    ``nocalculus_sympy``: the SymPy package of the by-hand worker (``ffgrader.nocalculus``); required when the
    assignment has BY_HAND parts, unless ``channel`` (a test's Loopback factory) replaces the sandbox.
    ``translator``: an ``ffgrader.i18n.Translator`` for the messages written into the notebook (the language of
    the student's release); it changes words only, never a verdict.
    ``seed_of``: grade_id -> the seed of that check (``ffgrader.seeds.Plan.seed``); ``variant``: the trusted
    parameters of the student the submission is filed under (``ffgrader.variants``): the notebook's variant
    cell is rewritten with them before anything runs, and the checks read them as ``student.variant``;
    ``watch``: (grade_id, student) -> the student object the check talks to (the replay's recorder);
    ``only``: the grade ids whose checks run (a regrade of one part); the other test cells get no outputs.
    ``pool``: an ``ffgrader.pool.WarmPool`` of the grading process (pre-started sandboxes, one per student).
    """
    say = translator.translate if translator is not None else (lambda text: text)
    cpu0 = time.process_time()  # this (the grader's) process only: the workers and SymPy children are apart
    test_ids, skip = set(test_ids), set(assignment.SKIP_CELLS)
    budget = budget or Budget()
    cap = _OutputCap(caps.output_bytes)
    if variant is not None and not variants.apply(nb, variant):
        # the student deleted the cell: the parameters are defined all the same, before everything else
        # (with an id of its own: nbformat 4.5 wants one, and warns in the log about a cell without)
        taken = {c.get("id") for c in nb.cells}
        cell_id = next(f"ffgrader-variant-{k}" for k in range(len(taken) + 1) if f"ffgrader-variant-{k}" not in taken)
        nb.cells.insert(0, NotebookNode(cell_type="code", id=cell_id, source=variants.render(variant), metadata={},
                                        outputs=[], execution_count=None))
    code = [c for c in nb.cells if c.cell_type == "code"]
    runnable, added = [], 0
    for cell in code:
        cell.outputs, cell.execution_count = [], None
        gid = _gid(cell)
        source = cell.source if isinstance(cell.source, str) else ""
        if gid in test_ids or gid in skip or not source.strip():
            continue
        if gid is None:
            added += 1
            if added > caps.added_cells:
                cell.outputs = cap.keep([error_output("NotRun", say(f"this notebook has more than {caps.added_cells} "
                                                                    "code cells of its own; this one was not run"))])
                continue
        runnable.append(cell)
    by_hand_tests = {t for t in assignment.BY_HAND if t in test_ids}
    by_hand_answers = {a for t in by_hand_tests for a in assignment.BY_HAND[t]}
    last = max((i for i, c in enumerate(runnable) if _gid(c) in by_hand_answers), default=-1)

    def student(sympy_override=None):
        return SandboxStudent(submission_dir, libdir, limits=limits, start_timeout=start_timeout,
                              call_timeout=check_timeout, bwrap=bwrap, sympy_override=sympy_override,
                              budget=budget, channel=channel, pool=pool)

    main = student()
    hand = None
    if by_hand_tests and last >= 0:
        if nocalculus_sympy is None and channel is None:
            raise ValueError("this assignment has BY_HAND parts: pass nocalculus_sympy (ffgrader.nocalculus)")
        hand = student(nocalculus_sympy)
    for worker in (main, hand):
        if worker is not None:
            worker.variant = dict(variant) if variant is not None else None
    hand_errors = []
    main.launch()
    if hand is not None:
        hand.launch()  # its interpreter starts while the main worker runs the cells
    try:
        main.ready()
        if hand is not None:
            hand.ready()
        budget.begin("cells")
        # Cell by cell in both workers (the by-hand one up to the last by-hand answer), so that a notebook that
        # uses up its cells' time budget loses the same cells in both.
        for count, cell in enumerate(runnable, start=1):
            cell.execution_count = count
            label = _gid(cell) or f"added-{count}"
            result = main.run_cell(label, cell.source, cell_timeout)
            cell.outputs = cap.keep(_outputs(result, count))
            # A cell that hung or crashed the first worker is dropped there (it is not replayed): the by-hand
            # worker drops it too instead of paying its timeout twice.
            if hand is not None and count <= last + 1 and not result.crashed:
                result = hand.run_cell(label, cell.source, cell_timeout)
                if result.error is not None and BY_HAND_NOTE in result.error.get("evalue", ""):
                    hand_errors.append(f"{_gid(cell) or 'a cell you added'}: {result.error['evalue']}")
        t0 = time.monotonic()
        budget.begin("checks")
        for gid in _check_order(assignment, test_ids):
            cell = next((c for c in code if _gid(c) == gid), None)
            if cell is None or (only is not None and gid not in only):
                continue
            who = hand if gid in by_hand_tests and hand is not None else main
            seed = seed_of(gid) if seed_of is not None else secrets.randbits(128)
            who.deadline = time.monotonic() + check_timeout
            try:
                with seeds.check_scope(seed):
                    verdict = assignment.run(gid, watch(gid, who) if watch else who, np.random.default_rng(seed))
            finally:
                who.deadline = None
            if verdict.passed:
                outs = [NotebookNode(output_type="stream", name="stdout", text=say(PASS_NOTE.format(gid=gid)))]
            else:
                message = verdict.message
                if who is hand and hand_errors:
                    message += ("\nThis part is graded with SymPy's calculus switched off (it must be derived "
                                "by hand); in that run " + "; ".join(hand_errors[:3]))
                outs = [error_output("CheckFailed", say(message)[:MESSAGE_CHARS])]
                if verdict.credit:
                    outs = partial_outputs(say(message)[:MESSAGE_CHARS], verdict.credit, cell, count=len(runnable) + 1)
            cell.outputs = outs  # never capped: a missing error output would read as a pass
        main.timings.checks = time.monotonic() - t0
    finally:
        main.close()
        if hand is not None:
            hand.close()
    main.timings.grader_cpu = time.process_time() - cpu0
    if log is not None:
        t = main.timings
        log.info("ffgrader: sandbox start %.2f s (%d restarts), student code %.2f s, replay %.2f s, checks %.2f s, "
                 "grader cpu %.2f s, %d worker(s) pre-started", t.sandbox_start, t.restarts, t.student_code, t.replay,
                 t.checks, t.grader_cpu, t.prestarted + (hand.timings.prestarted if hand is not None else 0))
    return main.timings
