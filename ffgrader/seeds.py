"""Reproducible grading: the course secret, each check's seed, and the record of the seeds a grade used.

Every hidden check draws its random inputs from a ``numpy.random.Generator`` whose seed is
``HMAC-SHA256(course secret, [assignment, student id, grade id, draw])`` (``check_seed``): the same
submission graded twice draws the same inputs and gets the same verdict, a complaint can be replayed, and
without the secret nobody can predict another student's inputs. ``draw`` is 0 until the instructor asks for
new inputs on purpose (``autograde --SandboxedGrading.reseed=True``); the record keeps whichever draw was
used, so later runs reproduce it.

The secret is 32 random bytes in ``<course>/course_secret.key`` (mode 0600, created on first use, in
``.gitignore``). It is read by the grading process only: it is never in ``solutions/``, never released,
never copied next to a submission and never sent to the sandbox (only plain data derived from it, the
inputs, reach the student's code). Losing it changes every later draw and every variant; back it up with
the gradebook.

The record of one graded notebook is ``<course>/grading_seeds/<assignment>/<student>/<notebook>.json``
(beside the gradebook, not beside the submission: nothing a student hands in can pose as a record).
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import hmac
import json
import os
import secrets
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

SECRET_FILE = "course_secret.key"
RECORDS_DIR = "grading_seeds"
_SECRET_BYTES = 32


def course_secret(course_dir) -> bytes:
    """The course's secret key, created (0600) on first use. Refuses a key that others can read, a link,
    or a file that is not a key, naming the file and the fix."""
    course_dir = Path(course_dir)
    if not course_dir.is_dir():
        raise FileNotFoundError(f"course directory {course_dir} does not exist")
    path = course_dir / SECRET_FILE
    if not os.path.lexists(path):
        _create_secret(path)
    st = os.lstat(path)
    if not stat.S_ISREG(st.st_mode):
        raise PermissionError(f"{path} is not a regular file (a link?): the course secret must be a plain file")
    if st.st_mode & 0o077:
        raise PermissionError(f"{path} is readable by others (mode {stat.S_IMODE(st.st_mode):o}): run "
                              f"`chmod 600 {path}` (whoever reads it can predict every student's inputs)")
    text = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != _SECRET_BYTES:
        raise ValueError(f"{path} does not hold a course secret ({_SECRET_BYTES * 2} hex digits); restore it from "
                         "your backup (a new one changes every student's variant and inputs)")
    return key


def _create_secret(path: Path):
    # Written to a private temporary file, then linked into place: two grading processes starting at once
    # both end up with the one key that won the link.
    fd, tmp = tempfile.mkstemp(prefix=".course_secret-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (secrets.token_hex(_SECRET_BYTES) + "\n").encode("ascii"))
        os.fsync(fd)
        os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)


def keyed(secret: bytes, purpose: str, *parts: str) -> int:
    """A 128-bit integer: HMAC-SHA256 of the parts (JSON-encoded, so no two part lists collide)."""
    if not isinstance(secret, bytes) or len(secret) < 16:
        raise ValueError("secret must be the course secret (bytes from course_secret)")
    if not all(isinstance(p, str) for p in parts):
        raise TypeError(f"the parts of a derivation must be str, got {[type(p).__name__ for p in parts]}")
    message = json.dumps([purpose, *parts], ensure_ascii=True).encode("ascii")
    return int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest()[:16], "big")


def check_seed(secret: bytes, assignment: str, student: str, grade_id: str, draw: int = 0) -> int:
    """The seed of one hidden check of one student's submission."""
    if isinstance(draw, bool) or not isinstance(draw, int) or draw < 0:
        raise ValueError(f"draw must be a non-negative int, got {draw!r}")
    return keyed(secret, "check", assignment, student, grade_id, str(draw))


# --- seeds below a check (SymPy's random comparison points) -------------------------------------------
# The runner opens a scope per check; helpers that need randomness but are not handed the check's rng (the
# SymPy equivalence test) take their seeds from it, in call order, so they are reproducible too.
_SCOPE: contextvars.ContextVar = contextvars.ContextVar("ffgrader_check_scope", default=None)


@contextlib.contextmanager
def check_scope(seed: int):
    token = _SCOPE.set([int(seed), 0])
    try:
        yield
    finally:
        _SCOPE.reset(token)


def sub_seed(purpose: str) -> int | None:
    """The next 32-bit seed for ``purpose`` within the current check, or None outside a check."""
    scope = _SCOPE.get()
    if scope is None:
        return None
    scope[1] += 1
    digest = hashlib.sha256(f"{scope[0]}:{purpose}:{scope[1]}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


# --- the record ------------------------------------------------------------------------------------------

def record_path(course_dir, assignment: str, student: str, notebook: str) -> Path:
    for what, name in (("assignment", assignment), ("student", student), ("notebook", notebook)):
        if not isinstance(name, str) or not name or "/" in name or "\\" in name or name in (".", ".."):
            raise ValueError(f"{what} {name!r} cannot name a record (empty, or a path)")
    return Path(course_dir) / RECORDS_DIR / assignment / student / f"{notebook}.json"


@dataclass
class Plan:
    """The seeds of one notebook's grading: the draw in force and the seed of each check."""
    secret: bytes = field(repr=False)
    course_dir: Path
    assignment: str
    student: str
    notebook: str
    draw: int = 0

    @classmethod
    def open(cls, course_dir, assignment, student, notebook, *, reseed=False) -> "Plan":
        """The draw of the last recorded grading (0 if none); ``reseed``: a fresh random draw instead."""
        plan = cls(course_secret(course_dir), Path(course_dir), assignment, student, notebook)
        if reseed:
            plan.draw = secrets.randbits(62) + 1
        else:
            previous = read_record(course_dir, assignment, student, notebook)
            plan.draw = int(previous["draw"]) if previous else 0
        return plan

    def seed(self, grade_id: str) -> int:
        return check_seed(self.secret, self.assignment, self.student, grade_id, self.draw)

    def save(self, scores: dict, variant: dict | None = None) -> Path:
        """Write the record: ``scores`` grade_id -> points earned, each with its seed (the checks not in
        ``scores`` keep their entries when the draw has not changed: a regrade of one part)."""
        path = record_path(self.course_dir, self.assignment, self.student, self.notebook)
        old = read_record(self.course_dir, self.assignment, self.student, self.notebook) or {}
        checks = dict(old.get("checks", {})) if old.get("draw") == self.draw else {}
        checks.update({gid: {"seed": str(self.seed(gid)), "score": score} for gid, score in scores.items()})
        data = {"assignment": self.assignment, "student": self.student, "notebook": self.notebook,
                "draw": self.draw, "variant": variant or {}, "checks": dict(sorted(checks.items()))}
        _write_private(path, json.dumps(data, indent=1, sort_keys=True) + "\n")
        return path


def read_record(course_dir, assignment, student, notebook) -> dict | None:
    path = record_path(course_dir, assignment, student, notebook)
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("draw"), int) or data["draw"] < 0:
        raise ValueError(f"{path}: not a grading record (no non-negative 'draw')")
    return data


def _write_private(path: Path, text: str):
    top = path.parents[2]  # <course>/grading_seeds: the instructor's only
    for d in (top, path.parent.parent, path.parent):
        d.mkdir(mode=0o700, exist_ok=True)
    os.chmod(top, 0o700)
    fd, tmp = tempfile.mkstemp(prefix=".record-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
