"""nbgrader preprocessors of the course (they run in the nbgrader process; see nbgrader_config.py).

- ``RestoreCellRoles`` (autograde, sanitizing, before nbgrader's OverwriteCells): every cell's nbgrader
  metadata is rewritten from the gradebook: a cell that carries a known grade_id gets that cell's roles
  (grade/solution/locked/points), anything else loses its nbgrader metadata and is just a student cell.
  A student cannot turn a test cell into a manually graded one, change its points, or invent grade cells.
- ``OverwriteCells`` (autograde, sanitizing): nbgrader's, except that a test cell deleted together with the
  cells around it is put back too (nbgrader's own raises KeyError there, and the student gets no grade and
  no feedback). Whatever a submission changed in a gradebook cell (roles, points, source, a deleted cell) is
  logged as one line per cell naming the student, the cell and the change; the source a student received
  (without hidden tests and mark scheme, translated, or the filed student's own variant cell of
  ``ffgrader.variants``) is no change, so honest work logs nothing.
- ``SandboxedGrading`` (autograde, instead of nbgrader's Execute): runs the notebook in the sandbox and the
  trusted checks of ``<source>/<assignment>/checks.py`` here (``ffgrader.runner``), within the per-notebook
  caps configured on it. Refuses, with a message naming what is missing, when the sandbox cannot start. An
  assignment without ``checks.py`` (an ordinary nbgrader assignment) is graded by running its test cells in
  the sandbox too, with one log line saying what that format cannot guarantee (``PLAIN_NOTE``). The checks'
  seeds and the variant come from the id of the folder the submission is filed under
  (``ffgrader.reproducible``); each grading is recorded in grading_seeds/. What does not change between the
  notebooks of one run (the checks module, the staged library, the gradebook's cell roles, the by-hand SymPy)
  is set up once (``_assignment_setup``, ``_trusted_roles``: memoized on their inputs, the files'
  modification times included).
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
from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, NbGraderPreprocessor
from nbgrader.preprocessors import OverwriteCells as _NbgraderOverwriteCells
from traitlets import Bool, Float, Integer, Unicode

from ffgrader import i18n, launcher, reproducible, variants
from ffgrader.offline_math import FeedbackPreprocessor
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


_ROLE_KEYS = ("grade", "solution", "locked", "task")


def _role_changes(nbg, new) -> list:
    """What a submitted cell's nbgrader metadata says differently from the gradebook (roles and points only:
    a checksum, the cell-type note or a missing ``task`` key of an older release is not a change)."""
    changes = [f"{k} {bool(new[k])} -> {nbg.get(k)!r}" for k in _ROLE_KEYS
               if nbg.get(k, False if k == "task" else None) != new[k]]
    if "points" in new:
        try:
            same = float(nbg.get("points")) == float(new["points"])
        except (TypeError, ValueError, OverflowError):  # the submission's metadata: anything at all (10**400)
            same = False
        if not same:
            changes.append(f"points {new['points']:g} -> {str(nbg.get('points'))[:20]}")
    return changes


def tamper_record(resources) -> dict:
    """grade_id -> [what changed] of the notebook being sanitized (RestoreCellRoles and OverwriteCells fill it,
    OverwriteCells logs it: one line per cell)."""
    return resources.setdefault("ffgrader", {}).setdefault("changed_cells", {})


def submission_name(resources) -> str:
    nbg = resources.get("nbgrader", {})
    return f"{nbg.get('student', '?')}'s {nbg.get('assignment', '?')}/{nbg.get('notebook', '?')}.ipynb"


class RestoreCellRoles(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        try:
            roles = _trusted_cells(resources)
        except MissingEntry:
            raise RuntimeError(f"notebook {resources['nbgrader']['notebook']} is not in the gradebook: "
                               "run generate_assignment first") from None
        changed = tamper_record(resources)
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
                    what = (f"duplicate of cell {gid}" if gid in seen else
                            f"unknown grade id {gid!r}" if isinstance(gid, str) else "malformed nbgrader metadata")
                    changed.setdefault(gid if isinstance(gid, str) else "?", []).append(
                        f"{what}: now an ordinary student cell")
                    del meta["nbgrader"]
                continue
            seen.add(gid)
            r = roles[gid]
            new = NotebookNode(grade=r["grade"], grade_id=gid, locked=r["locked"], schema_version=3,
                               solution=r["solution"], task=r["task"], cell_type=r["cell_type"])
            if r["grade"] or r["task"]:
                new["points"] = r["points"]
            if nbg.get("checksum") is not None and isinstance(nbg.get("checksum"), str):
                new["checksum"] = nbg["checksum"]  # OverwriteCells replaces it with the gradebook's
            found = _role_changes(nbg, new)
            if found:
                changed.setdefault(gid, []).append("nbgrader metadata " + ", ".join(found) + " (roles restored)")
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
        self._changed = tamper_record(resources)
        self._source_nb = None  # the notebook's gradebook record: one query per notebook, not one per cell
        self._released = _ReleasedForm(config=self.config)
        nb, resources = super().preprocess(nb, resources)
        # One line per changed cell, naming the student, the cell and what changed (an honest or untouched
        # submission logs nothing).
        for gid, what in sorted(self._changed.items()):
            self.log.warning("%s: cell %s changed: %s", submission_name(resources), gid, "; ".join(what))
        return nb, resources

    def report_change(self, name, attr, old, new):
        if attr == "checksum":
            return  # the source itself is compared (and described) in preprocess_cell
        self._changed.setdefault(name, []).append(f"{attr} {old} -> {new} (put back)")

    def preprocess_cell(self, cell, resources, cell_index):
        translated = None
        grading = cell.metadata.get("nbgrader", {}) if isinstance(cell.get("metadata"), dict) else {}
        gid = grading.get("grade_id")
        source = self._source_cell(gid) if gid else None
        variant = self._variant(grading, resources)
        if variant is not None and cell.source == variant[0]:
            cell.source = variant[1]  # the student's own variant, as released to them: nothing changed
        if source is not None and source.locked:
            # What the student received is the gradebook's source without its hidden tests and mark scheme
            # (generate_assignment removes them after saving the cell), or its translation: that is no change.
            released = self._released(source.source, source.cell_type)
            if getattr(self, "_prose", None) and cell.cell_type == "markdown" and source.cell_type == "markdown" \
                    and grading.get("locked"):
                translated = i18n.translate_markdown(source.source, self._prose)[0]
                received = {released, i18n.translate_markdown(released, self._prose)[0], translated}
            else:
                received = {released}
            if cell.source in received or cell.source == source.source:
                cell.source = source.source
            elif cell.cell_type == source.cell_type:
                self._changed.setdefault(gid, []).append(_edit_summary(released, cell.source) + " (put back)")
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
        source = self._source_cell(grading["grade_id"])
        return (mine, source.source) if mine is not None and source is not None else None

    def _source_notebook(self):
        if getattr(self, "_source_nb", None) is None:
            self._source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        return self._source_nb

    def _source_cell(self, gid):
        return next((c for c in self._source_notebook().source_cells if c.name == gid), None)

    def add_missing_grade_cells(self, nb, resources):
        source_nb = self._source_notebook()
        order = [c.name for c in source_nb.source_cells]
        by_name = {c.name: c for c in source_nb.source_cells}
        solutions = {c.name for c in source_nb.solution_cells}
        for missing in sorted({c.name for c in source_nb.solution_cells} - _present(nb)):
            if missing not in {g.name for g in source_nb.grade_cells}:
                self._changed.setdefault(missing, []).append("answer cell deleted: its parts earn nothing")
        for grade in source_nb.grade_cells:
            if grade.name in _present(nb):
                continue
            self._changed.setdefault(grade.name, []).append(
                "deleted: put back (its part earns nothing without its answer)")
            cell = self.missing_cell_transform(by_name[grade.name], grade.max_score,
                                               is_solution=grade.name in solutions)
            earlier = order[:order.index(grade.name)]
            present = {c.metadata.get("nbgrader", {}).get("grade_id"): k for k, c in enumerate(nb.cells)
                       if isinstance(c.get("metadata"), dict) and isinstance(c.metadata.get("nbgrader"), dict)}
            at = max((present[g] for g in earlier if g in present), default=-1)
            nb.cells.insert(at + 1, cell)
        return nb, resources

    def add_missing_task_cells(self, nb, resources):
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        for name in sorted({c.name for c in source_nb.task_cells} - _present(nb)):
            self._changed.setdefault(name, []).append("deleted: put back at the end of the notebook")
        return super().add_missing_task_cells(nb, resources)


class _ReleasedForm:
    """The source a student received for a gradebook cell: nbgrader's own ClearHiddenTests and ClearMarkScheme
    (with the course's delimiters) applied to the gradebook's source."""

    def __init__(self, config):
        self._steps = (ClearHiddenTests(config=config), ClearMarkScheme(config=config))

    def __call__(self, source, cell_type):
        # Marked as a test and task cell, so neither step complains about where its region is.
        cell = NotebookNode(cell_type=cell_type, source=source, metadata=NotebookNode(
            nbgrader=NotebookNode(grade=True, task=True, solution=False, locked=True, grade_id="x", points=0)))
        try:
            for step in self._steps:
                cell = step.preprocess_cell(cell, {}, 0)[0]
        except RuntimeError:  # unbalanced delimiters: generate_assignment would have refused it
            return source
        return cell.source


def _edit_summary(released, submitted) -> str:
    """'source edited (line 3: 'assert True'; 4 lines -> 2)': the first changed line, quoted and cut short."""
    old, new = str(released).splitlines(), str(submitted).splitlines()
    k = next((i for i, (x, y) in enumerate(zip(old, new)) if x != y), min(len(old), len(new)))
    line = new[k] if k < len(new) else "(removed)"
    return (f"source edited (line {k + 1}: {line.strip()[:60]!r}"
            + (f"; {len(old)} lines -> {len(new)}" if len(old) != len(new) else "") + ")")


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
    warm_pool = Integer(1, help="Sandboxed workers each grading process starts ahead of need (0: each when "
                                "needed); every worker still serves one student only (ffgrader.pool).").tag(config=True)
    reseed = Bool(False, help="Draw new seeds for the hidden checks (recorded in grading_seeds/); by default the "
                              "recorded draw is used again, so every input repeats.").tag(config=True)
    # Set by tools.regrade (not configuration): the parts to grade, the replay's recorder, whether to record.
    only, watch, record = None, None, True

    def preprocess(self, nb, resources):
        _sandbox_ready(self.bwrap or None)  # SandboxUnavailable: never grade unprotected
        nbg = resources["nbgrader"]
        # The sandbox runs Python only. The kernelspec is the gradebook's (OverwriteKernelspec) unless the source
        # notebook had none; another language is refused, as nbgrader's Execute refuses a kernel it cannot start.
        spec = nb.metadata.get("kernelspec")
        if isinstance(spec, dict) and spec and not _python_kernel(spec):
            raise ValueError(f"{nbg['notebook']}: kernel {str(spec.get('name'))[:40]!r} (language "
                             f"{str(spec.get('language'))[:40]!r}) is not Python, the only language the sandbox runs")
        coursedir = CourseDirectory(config=self.config)
        source = Path(coursedir.format_path(coursedir.source_directory, ".", nbg["assignment"]))
        checks_path = source / "checks.py"
        roles = _trusted_cells(resources)
        checked = checks_path.is_file()
        if checked:
            assignment, libdir, nocalc = _assignment_setup(str(checks_path.resolve()), checks_path.stat().st_mtime_ns)
            test_ids = autograded_test_ids(roles)
        else:
            # An ordinary nbgrader assignment: its test cells run in the sandbox like every other cell.
            # Once per command: nbgrader makes a preprocessor per notebook, all with the command's exporter.
            _say_plain_once(self.parent, self.log, nbg["assignment"])
            assignment, libdir, nocalc = _plain_setup(str(source.resolve()))
            test_ids = set()
        limits = launcher.Limits(memory_mb=self.memory_mb, pids=self.pids, cpu_seconds=self.cpu_seconds,
                                 file_mb=self.file_mb, work_mb=self.work_mb, work_files=self.work_files)
        budget = Budget(cells_seconds=self.cells_timeout, checks_seconds=self.checks_timeout,
                        received_bytes=self.received_mb * 2**20)
        submission = resources.get("metadata", {}).get("path") or None
        # nbgrader's own per-cell timeout (Execute.timeout), where an instructor set it, caps ours too.
        # (A value from the command line is still a string here: traitlets parses it when a trait reads it.)
        try:
            execute_timeout = float(self.config.Execute.get("timeout")) if "Execute" in self.config else 0.0
        except (TypeError, ValueError):
            execute_timeout = 0.0
        cell_timeout = min(self.cell_timeout, execute_timeout) if execute_timeout > 0 else self.cell_timeout
        # Seeds and variant from the id of the folder the submission is filed under (never from the notebook);
        # an assignment without checks has neither.
        plan, variant = (reproducible.setup(coursedir.root, nbg["assignment"], nbg["student"], nbg["notebook"],
                                            checks_path, reseed=self.reseed) if checked else (None, None))
        timings = grade_notebook(nb, assignment, submission_dir=submission, libdir=libdir,
                                 test_ids=test_ids, limits=limits, seed_of=plan.seed if plan else None,
                                 variant=variant, only=self.only, watch=self.watch,
                                 cell_timeout=cell_timeout, check_timeout=self.check_timeout,
                                 start_timeout=self.start_timeout, bwrap=self.bwrap or None, log=self.log,
                                 budget=budget, caps=Caps(output_bytes=self.output_bytes, added_cells=self.added_cells),
                                 nocalculus_sympy=nocalc, pool=_warm_pool(self.warm_pool) if self.warm_pool else None,
                                 # The language of the release the student handed in (its metadata: student data,
                                 # so it picks words only; unknown or forged values are English).
                                 translator=i18n.feedback_translator(i18n.notebook_language(nb.metadata)))
        resources.setdefault("ffgrader", {})["timings"] = dataclasses.asdict(timings)
        if self.record and plan is not None:
            plan.save(reproducible.outcomes(nb, test_ids if self.only is None else self.only & test_ids), variant)
        return nb, resources


def _python_kernel(spec) -> bool:
    language = spec.get("language")
    if isinstance(language, str) and language:
        return language.lower() == "python"
    return isinstance(spec.get("name"), str) and spec["name"].lower().startswith("python")


PLAIN_NOTE = (
    "{assignment} has no checks.py: graded as an ordinary nbgrader assignment, in the sandbox. Its test cells "
    "(hidden tests included) run in the student's process, so a student's code can read them and defeat them "
    "(a cell that passes is whatever did not raise there), and each verdict is computed inside the sandbox "
    "from what the student's process reports. The sandbox still protects this machine and the other "
    "students; the scores are only as trustworthy as plain nbgrader's. See the instructor guide, \"Bringing "
    "existing nbgrader assignments\".")


@functools.lru_cache(maxsize=64)
def _say_plain_once(run, log, assignment):
    log.warning(PLAIN_NOTE.format(assignment=assignment))


@functools.lru_cache(maxsize=16)
def _plain_setup(source_dir):
    """An assignment without checks (no hidden checks, no by-hand parts) and its staged library."""
    from ffgrader.checks import Assignment

    libdir = Path(tempfile.mkdtemp(prefix="ffgrader-lib-"))
    atexit.register(shutil.rmtree, libdir, True)
    launcher.stage_library(libdir, ())
    return Assignment(path=Path(source_dir) / "checks.py"), libdir, None


@functools.lru_cache(maxsize=4)
def _warm_pool(ahead):
    """The grading process's pool of pre-started workers (nbgrader makes a preprocessor per notebook); the
    workers still waiting are killed when the process exits."""
    from ffgrader.pool import WarmPool

    pool = WarmPool(ahead)
    atexit.register(pool.close)
    return pool


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


# In the feedback, a cell that is not a grade cell is the student's own: RestoreCellRoles took nbgrader's metadata
# off every cell that is not one of the gradebook's. nbgrader refuses a notebook with a hidden-test or mark-scheme
# region in such a cell (a guard against an author's misplaced region), which left a student who typed the marker
# lines without any feedback and made generate_feedback fail. These two remove the region all the same, so
# nothing between the markers is shown, and go on.
class FeedbackClearHiddenTests(FeedbackPreprocessor, ClearHiddenTests):
    enforce_metadata = Bool(False, help="Refuse a hidden-test region outside a grade cell (off: removed)").tag(
        config=True)


class FeedbackClearMarkScheme(FeedbackPreprocessor, ClearMarkScheme):
    enforce_metadata = Bool(False, help="Refuse a mark-scheme region outside a task cell (off: removed)").tag(
        config=True)


class ScrubPaths(FeedbackPreprocessor):
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
