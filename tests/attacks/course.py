"""A throw-away nbgrader course for grading tests: the repository's config, a fresh gradebook, and either
the fixture assignment (tests/fixtures/gradecourse) or real assignments from solutions/.

``run_nbgrader`` drives nbgrader's application in this process, as nbgrader's own test suite does (the same
``NbGraderApp`` with the same arguments, minus a Python start-up and nbgrader's ~2 s of imports per command);
``cli=True`` runs the ``nbgrader`` command itself, for the commands the instructor guide tells people to
type. ``make_course`` generates each assignment's course once per test session (per xdist worker) and
copies it.
"""

from __future__ import annotations

import atexit
import hashlib
import html
import io
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from tools.env import tool_env

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "gradecourse"
BIN = Path(sys.executable).parent


def run_nbgrader(course, *args, check=True, cli=False):
    """``nbgrader ARGS`` in ``course``: a CompletedProcess-like result (its log in stdout and stderr)."""
    if cli:
        proc = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=tool_env(), capture_output=True,
                              text=True)
    else:
        proc = _in_process(course, list(args))
    if check and proc.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def autograde_shards(course, hw, parts, everyone):
    """``nbgrader autograde hw`` once per part of the students, all at once (as ``tools.classroom autograde
    --jobs`` runs it: each process told to skip every other student); one CompletedProcess-like result with
    the logs of all, and the worst return code."""
    procs = []
    with tempfile.TemporaryDirectory() as logs:
        for k, part in enumerate(parts):
            others = sorted(set(everyone) - set(part))
            log = open(Path(logs) / f"{k}.log", "w+")
            procs.append((log, subprocess.Popen(
                [str(BIN / "nbgrader"), "autograde", hw, "--CourseDirectory.student_id_exclude=" + ",".join(others)],
                cwd=course, env=tool_env(), stdout=log, stderr=subprocess.STDOUT, text=True)))
        codes, out = [], ""
        for log, proc in procs:
            codes.append(proc.wait())
            log.seek(0)
            out += log.read()
            log.close()
    return subprocess.CompletedProcess(["nbgrader", "autograde", hw], max(codes), out, out)


def _in_process(course, args):
    from jupyter_core.application import NoStart
    from nbgrader.apps.nbgraderapp import NbGraderApp

    saved_cwd, saved_env = os.getcwd(), os.environ.copy()
    os.environ.update(tool_env())
    os.chdir(course)
    log = io.StringIO()
    app = NbGraderApp.instance()
    code = 0
    try:
        app.initialize(args)
        app.init_logging(logging.StreamHandler, [log], color=False, subapps=True)
        app.start()
    except NoStart:
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        app.reset()
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    out = log.getvalue()
    return subprocess.CompletedProcess(["nbgrader", *args], code, out, out)


def _template(hw: str, extra_config: str) -> Path:
    """The generated course of ``hw`` (config + source + release + gradebook), made once per session."""
    key = hashlib.sha256(f"{hw}|{extra_config}".encode()).hexdigest()[:12]
    base = Path(os.environ.get("FFGRADER_TEST_TEMPLATES") or tempfile.gettempdir()) / f"ffgrader-courses-{os.getpid()}"
    template = base / f"{hw}-{key}"
    if not (template / "gradebook.db").is_file():
        if not base.exists():
            atexit.register(shutil.rmtree, base, True)
        shutil.rmtree(template, ignore_errors=True)
        template.mkdir(parents=True)
        shutil.copy(ROOT / "nbgrader_config.py", template)
        src = FIXTURE / "solutions" / hw if (FIXTURE / "solutions" / hw).is_dir() else ROOT / "solutions" / hw
        shutil.copytree(src, template / "solutions" / hw,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        if extra_config:
            with open(template / "nbgrader_config.py", "a") as f:
                f.write("\n" + extra_config + "\n")
        run_nbgrader(template, "generate_assignment", hw, "--force")
    return template


def make_course(course: Path, hw: str, *, extra_config: str = "") -> Path:
    """A fresh course in ``course``: a copy of the assignment's generated course (config, solutions/,
    exercises/ and a gradebook that knows the assignment)."""
    shutil.copytree(_template(hw, extra_config), course, dirs_exist_ok=True)
    return course


def load(path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def gid(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def cell_by_id(nb, grade_id):
    return next(c for c in nb.cells if gid(c) == grade_id)


def autograded_points(nb) -> dict:
    return {gid(c): c.metadata.nbgrader["points"] for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata.nbgrader.get("solution")}


def submit(course, student, hw, nb_or_text, extra_files=None):
    d = course / "submitted" / student / hw
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{hw}.ipynb"
    if isinstance(nb_or_text, (str, bytes)):
        path.write_bytes(nb_or_text.encode() if isinstance(nb_or_text, str) else nb_or_text)
    else:
        nbformat.write(nb_or_text, str(path))
    for name, data in (extra_files or {}).items():
        (d / name).write_text(data)
    return d


def scores(course, hw, students) -> dict:
    """student -> {grade_id: auto_score} of the autograded code cells (None if the student is not graded)."""
    from nbgrader.api import Gradebook, MissingEntry

    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for s in students:
            try:
                nb = gb.find_submission_notebook(hw, hw, s)
            except MissingEntry:
                out[s] = None
                continue
            out[s] = {g.name: g.auto_score for g in nb.grades if g.cell_type == "code"}
    return out


def gradebook_rows(course, student=None) -> dict:
    """Every table of the gradebook as sorted rows (optionally only rows that mention ``student``)."""
    con = sqlite3.connect(str(course / "gradebook.db"))
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        out = {}
        for t in tables:
            rows = sorted(map(repr, con.execute(f"SELECT * FROM {t}")))
            out[t] = [r for r in rows if student is None or student in r]
        return out
    finally:
        con.close()


def tree_bytes(path: Path) -> dict:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()} \
        if path.exists() else {}


def feedback_texts(course, hw) -> dict:
    """student -> visible text of the feedback HTML (tags removed, entities decoded)."""
    out = {}
    for f in sorted((course / "feedback").glob(f"*/{hw}/*.html")):
        out[f.parts[-3]] = html.unescape(re.sub(r"<[^>]+>", " ", f.read_text()))
    return out


def hidden_lines(solution_nb, checks_path: Path | None = None) -> list[str]:
    """Lines a student must never see: hidden-test regions, mark schemes, and the checks file."""
    lines = []
    for cell in solution_nb.cells:
        for pat in (r"BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", r"=== BEGIN MARK SCHEME ===\n(.*?)=== END MARK"):
            for region in re.findall(pat, cell.source, re.S):
                lines += [ln.strip() for ln in region.splitlines() if len(ln.strip()) > 20]
    if checks_path is not None and checks_path.exists():
        for ln in checks_path.read_text().splitlines():
            s = ln.strip()
            if len(s) > 30 and not s.startswith(("#", "import ", "from ", '"""')) and ("expect_" in s or "rng." in s):
                lines.append(s)
    return lines
