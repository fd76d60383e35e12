"""Per-student variants through nbgrader's exchange (``ffgrader.variants``): plugins of nbgrader's pluggable
exchange, set in the course's ``nbgrader_config.py`` and in the hub's student configuration (deploy/setup.sh).

- ``ReleaseAssignment`` (``c.ExchangeFactory.release_assignment``, the instructor's side: ``nbgrader
  release_assignment`` and the formgrader's Release button) releases the assignment as nbgrader does and then, for
  an assignment whose ``checks.py`` declares ``VARIANTS``, writes every gradebook student's copy of each notebook
  that has a ``variant`` cell into ``outbound/<hw>/.variants/<variant_key(course, hw, student)>/``, with the same
  modes as nbgrader's copy. It needs the course secret (``ffgrader.seeds``) and reads it here, in the instructor's
  process; only the drawn values leave. A student added to the gradebook later gets theirs at the next release
  (``--force``).
- ``FetchAssignment`` (``c.ExchangeFactory.fetch_assignment``, the student's side: ``nbgrader fetch_assignment``
  and the Assignment List's Fetch button) copies the release without ``.variants/`` and then puts the fetching
  user's own copy, if there is one, in place of each default notebook it just copied. It needs no secret: the
  folder's name is a plain hash of the course, the assignment and the user name (nbgrader's ``get_username``, the
  name ``nbgrader submit`` files the submission under). No copy for the user (not in the gradebook at release
  time) leaves the class's default variant.

Variants are not secrets: anyone who can compute a classmate's key can read that classmate's copy, as they could
read the classmate's screen. The grader takes the variant from the gradebook id a submission is filed under,
never from the notebook, so a fetched classmate's copy only costs whoever works on it the variant's parts.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from pathlib import Path

import nbformat
from nbgrader.exchange.default import ExchangeFetchAssignment, ExchangeReleaseAssignment
from nbgrader.utils import compute_checksum, get_username

from . import seeds, variants

VARIANTS_DIR = ".variants"


def variant_key(course_id: str, assignment: str, student: str) -> str:
    """The folder name of ``student``'s copy of ``assignment`` in the exchange (no secret involved)."""
    for name, value in (("course_id", course_id), ("assignment", assignment), ("student", student)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} must be a non-empty str, got {value!r}")
    return hashlib.sha256(json.dumps([course_id, assignment, student]).encode("utf-8")).hexdigest()


def personalize(nb, values: dict):
    """``nb`` (a released notebook) with its variant cell set to ``values`` and that cell's nbgrader checksum
    recomputed, so that ``nbgrader validate`` on the student's side sees an untouched read-only cell."""
    if not variants.apply(nb, values):
        raise ValueError(f"the notebook has no code cell with grade id {variants.VARIANT_CELL!r}")
    for cell in nb.cells:
        if variants.is_variant_cell(cell) and "checksum" in cell.metadata["nbgrader"]:
            cell.metadata["nbgrader"]["checksum"] = compute_checksum(cell)
    return nb


def roster(db_url: str) -> dict:
    """{student id: lms_user_id or None} of the gradebook at ``db_url`` ({} for an SQLite file not made yet:
    opening it would create it)."""
    from nbgrader.api import Gradebook

    if db_url.startswith("sqlite:///") and not os.path.isfile(db_url[len("sqlite:///"):]):
        return {}

    with Gradebook(db_url) as gb:
        return {s.id: s.lms_user_id for s in gb.students}


class ReleaseAssignment(ExchangeReleaseAssignment):
    """nbgrader's release, plus each gradebook student's variant under ``.variants/``."""

    def copy_files(self):
        aid = self.coursedir.assignment_id
        checks = Path(self.coursedir.format_path(self.coursedir.source_directory, ".", aid)) / "checks.py"
        spec = variants.spec_of(checks) if checks.is_file() else {}
        src = Path(self.src_path)
        notebooks = {}
        for path in sorted(src.rglob("*.ipynb")) if spec else ():
            nb = nbformat.read(str(path), as_version=4)
            if any(variants.is_variant_cell(c) for c in nb.cells):
                notebooks[path.relative_to(src)] = nb
        if spec and not notebooks:
            self.fail(f"{checks} declares VARIANTS but no notebook in {src} has a code cell with grade id "
                      f"{variants.VARIANT_CELL!r}: regenerate the release (python -m tools.assignments generate)")
        super().copy_files()
        if spec:
            self.release_variants(spec, notebooks)

    def release_variants(self, spec: dict, notebooks: dict):
        aid, dest = self.coursedir.assignment_id, Path(self.dest_path)
        notebooks = {rel: nb for rel, nb in notebooks.items() if (dest / rel).is_file()}   # not ignored by the copy
        students = sorted(roster(self.coursedir.db_url))
        if not notebooks:
            return
        if not students:
            self.log.warning("No student in the gradebook: %s is released with its default variant only "
                             "(import the roster, then release again with --force)", aid)
            return
        secret = seeds.course_secret(self.coursedir.root)
        for sid in students:
            values = variants.draw(secret, aid, sid, spec)
            folder = dest / VARIANTS_DIR / variant_key(self.coursedir.course_id, aid, sid)
            for rel, nb in notebooks.items():
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(personalize(nb, values), str(folder / rel))
        # the modes nbgrader gave its own copy (its set_perms), for the per-student copies too
        first = dest / next(iter(notebooks))
        self.set_perms(str(dest / VARIANTS_DIR), fileperms=stat.S_IMODE(os.stat(first).st_mode),
                       dirperms=stat.S_IMODE(os.stat(dest).st_mode))
        self.log.info("Released the variants of %d student(s) in %s", len(students), dest / VARIANTS_DIR)


class FetchAssignment(ExchangeFetchAssignment):
    """nbgrader's fetch without ``.variants/``, then the fetching user's own variant in place of the default."""

    def do_copy(self, src, dest):
        key = variant_key(self.coursedir.course_id, self.coursedir.assignment_id, get_username())
        mine = Path(src) / VARIANTS_DIR / key
        # With --replace (copy only what is missing), a notebook the student already has is their work: kept.
        theirs = {rel for rel in self._variant_files(mine) if (Path(dest) / rel).exists()}
        ignore = shutil.ignore_patterns(*self.coursedir.ignore, VARIANTS_DIR)
        if os.path.isdir(self.dest_path):
            self.copy_if_missing(src, dest, ignore=ignore)
        else:
            shutil.copytree(src, dest, ignore=ignore)
        put = [rel for rel in self._variant_files(mine) if rel not in theirs and (Path(dest) / rel).is_file()]
        for rel in put:
            shutil.copyfile(mine / rel, Path(dest) / rel)
        if put:
            self.log.info("Your variant of %s: %s", self.coursedir.assignment_id, ", ".join(map(str, put)))
        elif not mine.is_dir():
            self.log.info("No personal variant of %s for %s: the class's default", self.coursedir.assignment_id,
                          get_username())

    @staticmethod
    def _variant_files(folder: Path) -> list[Path]:
        if not folder.is_dir() or folder.is_symlink():
            return []
        return sorted(p.relative_to(folder) for p in folder.rglob("*.ipynb") if p.is_file() and not p.is_symlink())
