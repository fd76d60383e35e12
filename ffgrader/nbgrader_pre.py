"""nbgrader preprocessors of the course (they run in the nbgrader process; see nbgrader_config.py).

- ``RestoreCellRoles`` (autograde, sanitizing, before nbgrader's OverwriteCells): every cell's nbgrader
  metadata is rewritten from the gradebook: a cell that carries a known grade_id gets that cell's roles
  (grade/solution/locked/points), anything else loses its nbgrader metadata and is just a student cell.
  A student cannot turn a test cell into a manually graded one, change its points, or invent grade cells.
- ``SandboxedGrading`` (autograde, instead of nbgrader's Execute): runs the notebook in the sandbox and the
  trusted checks of ``<source>/<assignment>/checks.py`` here (``ffgrader.runner``). Refuses, with a message
  naming what is missing, when the sandbox cannot start or the checks file is absent.
- ``ScrubPaths`` (generate_feedback): absolute paths in outputs become ``…/basename``.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import tempfile
from pathlib import Path

from nbformat.notebooknode import NotebookNode
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float, Integer, Unicode

from ffgrader import sandbox
from ffgrader.runner import grade_notebook


def _trusted_cells(resources):
    """From the gradebook: {grade_id: dict(roles)} of the source notebook, and its source cells."""
    nbg = resources["nbgrader"]
    with Gradebook(nbg["db_url"]) as gb:
        source_nb = gb.find_notebook(nbg["notebook"], nbg["assignment"])
        solution = {c.name for c in source_nb.solution_cells}
        grade = {c.name: (float(c.max_score), c.cell_type) for c in source_nb.grade_cells}
        task = {c.name: float(c.max_score) for c in source_nb.task_cells}
        roles = {}
        for sc in source_nb.source_cells:
            roles[sc.name] = {"grade": sc.name in grade, "solution": sc.name in solution, "locked": bool(sc.locked),
                              "task": sc.name in task, "cell_type": sc.cell_type,
                              "points": grade[sc.name][0] if sc.name in grade else task.get(sc.name)}
    return roles


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


class SandboxedGrading(NbGraderPreprocessor):
    cell_timeout = Float(30.0, help="Seconds a notebook cell may run in the sandbox.").tag(config=True)
    check_timeout = Float(60.0, help="Seconds one hidden check may take (all its student calls).").tag(config=True)
    start_timeout = Float(60.0, help="Seconds the sandboxed worker may take to start.").tag(config=True)
    memory_mb = Integer(sandbox.Limits.memory_mb, help="Memory limit of the sandbox (MiB).").tag(config=True)
    pids = Integer(sandbox.Limits.pids, help="Processes/threads allowed in the sandbox.").tag(config=True)
    cpu_seconds = Integer(sandbox.Limits.cpu_seconds, help="CPU seconds of one worker.").tag(config=True)
    file_mb = Integer(sandbox.Limits.file_mb, help="Largest file the student's code may write.").tag(config=True)
    bwrap = Unicode("", help="Path of the bwrap executable ('' = search PATH, then /usr/bin).").tag(config=True)

    def preprocess(self, nb, resources):
        sandbox.check_available(self.bwrap or None)  # SandboxUnavailable: never grade unprotected
        from ffgrader.checks import load

        nbg = resources["nbgrader"]
        coursedir = CourseDirectory(config=self.config)
        source = Path(coursedir.format_path(coursedir.source_directory, ".", nbg["assignment"]))
        checks_path = source / "checks.py"
        if not checks_path.is_file():
            raise FileNotFoundError(f"{checks_path} not found: every assignment needs its trusted checks file "
                                    "(see the instructor guide)")
        assignment = load(checks_path)
        roles = _trusted_cells(resources)
        limits = sandbox.Limits(memory_mb=self.memory_mb, pids=self.pids, cpu_seconds=self.cpu_seconds,
                                file_mb=self.file_mb)
        submission = resources.get("metadata", {}).get("path") or None
        # The sandbox's read-only library: ffgrader and the allowed nnlib modules, staged for this notebook.
        libdir = Path(tempfile.mkdtemp(prefix="ffgrader-lib-"))
        try:
            sandbox.stage_library(libdir, tuple(assignment.NNLIB_ALLOWED))
            timings = grade_notebook(nb, assignment, submission_dir=submission, libdir=libdir,
                                     test_ids=autograded_test_ids(roles), limits=limits,
                                     cell_timeout=self.cell_timeout, check_timeout=self.check_timeout,
                                     start_timeout=self.start_timeout, bwrap=self.bwrap or None, log=self.log)
        finally:
            shutil.rmtree(libdir, ignore_errors=True)
        resources.setdefault("ffgrader", {})["timings"] = dataclasses.asdict(timings)
        return nb, resources


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
