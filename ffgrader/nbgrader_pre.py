"""nbgrader preprocessors of the course (they run in the nbgrader process; see nbgrader_config.py).

- ``RestoreCellRoles`` (autograde, sanitizing, before nbgrader's OverwriteCells): every cell's nbgrader
  metadata is rewritten from the gradebook: a cell that carries a known grade_id gets that cell's roles
  (grade/solution/locked/points), anything else loses its nbgrader metadata and is just a student cell.
  A student cannot turn a test cell into a manually graded one, change its points, or invent grade cells.
- ``OverwriteCells`` (autograde, sanitizing): nbgrader's, except that a test cell deleted together with the
  cells around it is put back too (nbgrader's own raises KeyError there, and the student gets no grade and
  no feedback); every missing gradebook cell is reported in the log. A per-student variant cell
  (``ffgrader.variants``) holding the filed student's own values is no change.
- ``SandboxedGrading`` (autograde, instead of nbgrader's Execute): runs the notebook in the sandbox and the
  trusted checks of ``<source>/<assignment>/checks.py`` here (``ffgrader.runner``), within the per-notebook
  caps configured on it. Refuses, with a message naming what is missing, when the sandbox cannot start or
  the checks file is absent. The checks' seeds and the variant come from the id of the folder the submission
  is filed under (``ffgrader.reproducible``); each grading is recorded in grading_seeds/. What does not change between the notebooks of one run (the checks module, the
  staged library, the gradebook's cell roles, the by-hand SymPy) is set up once (``_assignment_setup``,
  ``_trusted_roles``: memoized on their inputs, the files' modification times included).
- ``ScrubPaths`` (generate_feedback): absolute paths in outputs become ``…/basename``.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import os
import re
import shutil
import tempfile
from pathlib import Path

from nbformat.notebooknode import NotebookNode
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.preprocessors import OverwriteCells as _NbgraderOverwriteCells
from traitlets import Bool, Float, Integer, Unicode

from ffgrader import i18n, launcher, reproducible, variants
from ffgrader.runner import Caps, grade_notebook
from ffgrader.session import Budget


def _trusted_cells(resources):
    """From the gradebook: {grade_id: dict(roles)} of the source notebook (set up once per run)."""
    nbg = resources["nbgrader"]
    return dict(_trusted_roles(nbg["db_url"], nbg["notebook"], nbg["assignment"]))


@functools.lru_cache(maxsize=64)
def _trusted_roles(db_url, notebook, assignment):
    with Gradebook(db_url) as gb:
        source_nb = gb.find_notebook(notebook, assignment)
        solution = {c.name for c in source_nb.solution_cells}
        grade = {c.name: (float(c.max_score), c.cell_type) for c in source_nb.grade_cells}
        task = {c.name: float(c.max_score) for c in source_nb.task_cells}
        roles = {}
        for sc in source_nb.source_cells:
            roles[sc.name] = {"grade": sc.name in grade, "solution": sc.name in solution, "locked": bool(sc.locked),
                              "task": sc.name in task, "cell_type": sc.cell_type,
                              "points": grade[sc.name][0] if sc.name in grade else task.get(sc.name)}
    return tuple(roles.items())


def autograded_test_ids(roles) -> set:
    return {g for g, r in roles.items() if r["grade"] and not r["solution"] and r["cell_type"] == "code"}


class RestoreCellRoles(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        try:
            roles = _trusted_cells(resources)
        except MissingEntry:
            raise RuntimeError(f"notebook {resources['nbgrader']['notebook']} is not in the gradebook: "
                               "run generate_assignment first") from None
        seen = set()
        for cell in nb.cells:
            meta = cell.get("metadata")
            if not isinstance(meta, dict):
                cell.metadata = NotebookNode()
                continue
            nbg = meta.get("nbgrader")
            gid = nbg.get("grade_id") if isinstance(nbg, dict) else None
            if not isinstance(gid, str) or gid not in roles or gid in seen:
                if "nbgrader" in meta:
                    self.log.warning("Dropping nbgrader metadata of a cell that is not in the gradebook (%r)",
                                     gid if isinstance(gid, str) else type(nbg).__name__)
                    del meta["nbgrader"]
                continue
            seen.add(gid)
            r = roles[gid]
            new = NotebookNode(grade=r["grade"], grade_id=gid, locked=r["locked"], schema_version=3,
                               solution=r["solution"], task=r["task"])
            if r["grade"] or r["task"]:
                new["points"] = r["points"]
            if nbg.get("checksum") is not None and isinstance(nbg.get("checksum"), str):
                new["checksum"] = nbg["checksum"]  # OverwriteCells replaces it with the gradebook's
            if nbg != new:
                self.log.warning("Restoring the nbgrader metadata of cell %s from the gradebook", gid)
            meta["nbgrader"] = new
        return nb, resources


class OverwriteCells(_NbgraderOverwriteCells):
    """nbgrader's OverwriteCells (locked and test cells from the gradebook) with a missing-cell repair that
    cannot fail: a missing grade cell goes after the nearest earlier gradebook cell that the submission still
    has (or first), whatever else is missing around it.

    A locked markdown cell of a release in another language (``ffgrader.i18n``: the notebook's metadata) is the
    gradebook's English cell translated with the grader's own catalog: an untouched Chinese cell is no change,
    a changed one is put back in Chinese (the student and the feedback keep reading the instructions in the
    language of their release). The language picks the words only; a forged one gives the English cells."""

    def preprocess(self, nb, resources):
        self._prose = i18n.feedback_prose(i18n.notebook_language(nb.metadata))
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        translated = None
        grading = cell.metadata.get("nbgrader", {}) if isinstance(cell.get("metadata"), dict) else {}
        if getattr(self, "_prose", None) and cell.cell_type == "markdown" and grading.get("locked") and grading.get("grade_id"):
            try:
                source = self.gradebook.find_source_cell(grading["grade_id"], self.notebook_id,
                                                         self.assignment_id)
            except MissingEntry:
                source = None
            if source is not None and source.cell_type == "markdown":
                translated = i18n.translate_markdown(source.source, self._prose)[0]
                if cell.source == translated:
                    cell.source = source.source  # the release's own text: nothing changed
        variant = self._variant(grading, resources)
        if variant is not None and cell.source == variant[0]:
            cell.source = variant[1]  # the student's own variant, as released to them: nothing changed
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if translated is not None and cell.cell_type == "markdown":
            cell.source = translated
        return cell, resources

    def _variant(self, grading, resources):
        """(this student's variant cell, the gradebook's) for the variant cell, else None (ffgrader.variants)."""
        if grading.get("grade_id") != variants.VARIANT_CELL:
            return None
        nbg = resources["nbgrader"]
        coursedir = CourseDirectory(config=self.config)
        checks = Path(coursedir.format_path(coursedir.source_directory, ".", nbg["assignment"])) / "checks.py"
        if not checks.is_file():
            return None
        mine = reproducible.variant_source(coursedir.root, nbg["assignment"], nbg["student"], checks)
        try:
            source = self.gradebook.find_source_cell(grading["grade_id"], self.notebook_id, self.assignment_id)
        except MissingEntry:
            return None
        return (mine, source.source) if mine is not None else None

    def add_missing_grade_cells(self, nb, resources):
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        order = [c.name for c in source_nb.source_cells]
        by_name = {c.name: c for c in source_nb.source_cells}
        solutions = {c.name for c in source_nb.solution_cells}
        for missing in sorted({c.name for c in source_nb.solution_cells} - _present(nb)):
            if missing not in {g.name for g in source_nb.grade_cells}:
                self.log.warning("Answer cell %s is missing from the submission: its parts earn nothing", missing)
        for grade in source_nb.grade_cells:
            if grade.name in _present(nb):
                continue
            self.log.warning("Grade cell %s is missing from the submission: put back (its part earns nothing "
                             "without its answer)", grade.name)
            cell = self.missing_cell_transform(by_name[grade.name], grade.max_score,
                                               is_solution=grade.name in solutions)
            earlier = order[:order.index(grade.name)]
            present = {c.metadata.get("nbgrader", {}).get("grade_id"): k for k, c in enumerate(nb.cells)
                       if isinstance(c.get("metadata"), dict) and isinstance(c.metadata.get("nbgrader"), dict)}
            at = max((present[g] for g in earlier if g in present), default=-1)
            nb.cells.insert(at + 1, cell)
        return nb, resources


def _present(nb):
    return {c.metadata["nbgrader"].get("grade_id") for c in nb.cells
            if isinstance(c.get("metadata"), dict) and isinstance(c.metadata.get("nbgrader"), dict)}


class SandboxedGrading(NbGraderPreprocessor):
    cell_timeout = Float(30.0, help="Seconds a notebook cell may run in the sandbox.").tag(config=True)
    check_timeout = Float(60.0, help="Seconds one hidden check may take (all its student calls).").tag(config=True)
    start_timeout = Float(60.0, help="Seconds the sandboxed worker may take to start.").tag(config=True)
    cells_timeout = Float(Budget.cells_seconds, help="Seconds all cells of one notebook may take together "
                                                     "(restarts and replays included).").tag(config=True)
    checks_timeout = Float(Budget.checks_seconds, help="Seconds all checks of one notebook may take "
                                                       "together.").tag(config=True)
    received_mb = Integer(Budget.received_bytes // 2**20, help="MiB of results the grader reads from one "
                                                               "notebook's workers.").tag(config=True)
    output_bytes = Integer(Caps.output_bytes, help="Characters of outputs kept in one graded "
                                                   "notebook.").tag(config=True)
    added_cells = Integer(Caps.added_cells, help="Code cells of the student's own that run (the gradebook's "
                                                 "cells always run).").tag(config=True)
    memory_mb = Integer(launcher.Limits.memory_mb, help="Memory limit of the sandbox (MiB).").tag(config=True)
    pids = Integer(launcher.Limits.pids, help="Processes/threads allowed in the sandbox.").tag(config=True)
    cpu_seconds = Integer(launcher.Limits.cpu_seconds, help="CPU seconds of one worker.").tag(config=True)
    file_mb = Integer(launcher.Limits.file_mb, help="Largest file the student's code may write.").tag(config=True)
    work_mb = Integer(launcher.Limits.work_mb, help="Size of the work directory (and of /tmp) in the "
                                                    "sandbox, MiB.").tag(config=True)
    work_files = Integer(launcher.Limits.work_files, help="Files the work directory and /tmp may hold "
                                                          "together.").tag(config=True)
    bwrap = Unicode("", help="Path of the bwrap executable ('' = search PATH, then /usr/bin).").tag(config=True)
    reseed = Bool(False, help="Draw new seeds for the hidden checks (recorded in grading_seeds/); by default the "
                              "recorded draw is used again, so every input repeats.").tag(config=True)
    # Set by tools.regrade (not configuration): the parts to grade, the replay's recorder, whether to record.
    only, watch, record = None, None, True

    def preprocess(self, nb, resources):
        _sandbox_ready(self.bwrap or None)  # SandboxUnavailable: never grade unprotected
        nbg = resources["nbgrader"]
        coursedir = CourseDirectory(config=self.config)
        source = Path(coursedir.format_path(coursedir.source_directory, ".", nbg["assignment"]))
        checks_path = source / "checks.py"
        if not checks_path.is_file():
            raise FileNotFoundError(f"{checks_path} not found: every assignment needs its trusted checks file "
                                    "(see the instructor guide)")
        assignment, libdir, nocalc = _assignment_setup(str(checks_path.resolve()), checks_path.stat().st_mtime_ns)
        roles = _trusted_cells(resources)
        limits = launcher.Limits(memory_mb=self.memory_mb, pids=self.pids, cpu_seconds=self.cpu_seconds,
                                 file_mb=self.file_mb, work_mb=self.work_mb, work_files=self.work_files)
        budget = Budget(cells_seconds=self.cells_timeout, checks_seconds=self.checks_timeout,
                        received_bytes=self.received_mb * 2**20)
        submission = resources.get("metadata", {}).get("path") or None
        # Seeds and variant from the id of the folder the submission is filed under (never from the notebook).
        plan, variant = reproducible.setup(coursedir.root, nbg["assignment"], nbg["student"], nbg["notebook"],
                                           checks_path, reseed=self.reseed)
        test_ids = autograded_test_ids(roles)
        timings = grade_notebook(nb, assignment, submission_dir=submission, libdir=libdir,
                                 test_ids=test_ids, limits=limits, seed_of=plan.seed, variant=variant,
                                 only=self.only, watch=self.watch,
                                 cell_timeout=self.cell_timeout, check_timeout=self.check_timeout,
                                 start_timeout=self.start_timeout, bwrap=self.bwrap or None, log=self.log,
                                 budget=budget, caps=Caps(output_bytes=self.output_bytes, added_cells=self.added_cells),
                                 nocalculus_sympy=nocalc,
                                 # The language of the release the student handed in (its metadata: student data,
                                 # so it picks words only; unknown or forged values are English).
                                 translator=i18n.feedback_translator(i18n.notebook_language(nb.metadata)))
        resources.setdefault("ffgrader", {})["timings"] = dataclasses.asdict(timings)
        if self.record:
            plan.save(reproducible.outcomes(nb, test_ids if self.only is None else self.only & test_ids), variant)
        return nb, resources


@functools.lru_cache(maxsize=4)
def _sandbox_ready(bwrap):
    launcher.check_available(bwrap)


@functools.lru_cache(maxsize=16)
def _assignment_setup(checks_path, mtime_ns):
    """The checks module, the staged library directory (removed when the process exits) and, for an
    assignment with by-hand parts, the SymPy without calculus: once per assignment and run."""
    from ffgrader.checks import load

    assignment = load(checks_path)
    libdir = Path(tempfile.mkdtemp(prefix="ffgrader-lib-"))
    atexit.register(shutil.rmtree, libdir, True)
    launcher.stage_library(libdir, tuple(assignment.NNLIB_ALLOWED))
    nocalc = None
    if assignment.BY_HAND:
        from ffgrader.nocalculus import sympy_without_calculus

        import sympy

        nocalc = sympy_without_calculus(launcher.inside_path(os.path.dirname(sympy.__file__)))
    return assignment, libdir, nocalc


_PATH = re.compile(r"(?<![\w.~:/\\-])(/(?:[\w.@+-]+/)+)([\w.@+-]*)")


def scrub_paths(text: str, extra=()) -> str:
    """Absolute paths (the instructor's course root, home, temp dirs, the sandbox's) -> ``…/basename``."""
    for p in sorted({str(x) for x in extra if x}, key=len, reverse=True):
        text = text.replace(p, "…")
    return _PATH.sub(lambda m: "…/" + m.group(2), text)


class ScrubPaths(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        coursedir = CourseDirectory(config=self.config)
        self._extra = [coursedir.root, os.path.realpath(coursedir.root), str(Path.home()), tempfile.gettempdir()]
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        for out in cell.get("outputs", []):
            for key in ("text", "evalue"):
                if isinstance(out.get(key), str):
                    out[key] = scrub_paths(out[key], self._extra)
            if isinstance(out.get("traceback"), list):
                out["traceback"] = [scrub_paths(t, self._extra) if isinstance(t, str) else "" for t in out.traceback]
            data = out.get("data")
            if isinstance(data, dict):
                for mime, value in list(data.items()):
                    if isinstance(value, str) and mime.startswith("text/"):
                        data[mime] = scrub_paths(value, self._extra)
        return cell, resources
