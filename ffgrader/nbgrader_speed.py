"""nbgrader's per-notebook steps without the work they repeat for every student (nbgrader_config.py uses these).

Measured on a class (bench/grading_class.py, and a profile of ``nbgrader autograde`` over 30 students), two of
nbgrader's own steps cost more per notebook than the student's code and the checks together:

- ``CheckCellMetadata`` runs twice per notebook and validates each cell with ``jsonschema.validate``, which
  checks the schema itself and builds a validator on every call. Here the validator is built once per
  process (``_validator``); every cell is validated against the same schema, with the same errors.
- ``SaveAutoGrades`` looks up each grade and comment cell's row with its own query and commits after each
  (an fsync each on SQLite, a round trip each on PostgreSQL). Here the notebook's rows are read with one query
  each for grades and comments and written in one transaction, committed at the end: nbgrader's own rules set
  the same values in the same rows, and a notebook whose grading fails half-way leaves no half-written scores.

And one step that every new gradebook pays: ``nbgrader.api.Gradebook`` stamps a new database with the newest
migration of nbgrader's schema, which ``nbgrader.api.get_alembic_version`` finds by starting the ``alembic``
command (about 1.8 s of CPU: a Python process that imports alembic, SQLAlchemy and nbgrader). ``alembic_head``
reads the same revision from the same migration scripts with alembic's API, in the process that already has
SQLAlchemy loaded (about 0.2 s, once per process); ``use_alembic_head`` makes nbgrader use it.
"""

from __future__ import annotations

import functools

import jsonschema
import nbgrader.api
from jsonschema.exceptions import best_match
from nbgrader.api import Comment, Grade, GradeCell, Gradebook, SolutionCell
from nbgrader.nbgraderformat import MetadataValidator, SchemaTooNewError, SchemaTooOldError, ValidationError
from nbgrader.nbgraderformat.common import BaseMetadataValidator
from nbgrader.preprocessors import CheckCellMetadata as _NbgraderCheckCellMetadata
from nbgrader.preprocessors import SaveAutoGrades as _NbgraderSaveAutoGrades


@functools.lru_cache(maxsize=1)
def _schema_validator():
    """The jsonschema validator of nbgrader's cell metadata schema (built and the schema checked once)."""
    schema = MetadataValidator().schema
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


class _CachedSchema(BaseMetadataValidator):
    """nbgrader's BaseMetadataValidator.validate_cell (the schema version, then the JSON schema) with the
    validator built once: what ``jsonschema.validate`` raises, the same error (its best match)."""

    def validate_cell(self, cell):
        if "nbgrader" not in cell.metadata:
            return
        schema = cell.metadata["nbgrader"].get("schema_version", 0)
        if schema < self.schema_version:
            raise SchemaTooOldError(f"Outdated schema version: {schema} (expected {self.schema_version})",
                                    schema, self.schema_version)
        if schema > self.schema_version:
            raise SchemaTooNewError(f"Schema version is too new: {schema} (expected {self.schema_version})",
                                    schema, self.schema_version)
        error = best_match(_schema_validator().iter_errors(cell.metadata["nbgrader"]))
        if error is not None:
            raise error


class _Validator(MetadataValidator, _CachedSchema):
    """nbgrader's current metadata validator; its ``super().validate_cell`` is ``_CachedSchema``'s."""


class CheckCellMetadata(_NbgraderCheckCellMetadata):
    """nbgrader's CheckCellMetadata with the schema validator built once per process."""

    def preprocess(self, nb, resources):
        try:
            _Validator().validate_nb(nb)
        except ValidationError:
            return super().preprocess(nb, resources)  # nbgrader's own message and log
        return nb, resources


@functools.lru_cache(maxsize=1)
def alembic_head() -> str:
    """The head revision of nbgrader's migration scripts: what ``alembic heads`` prints first (nbgrader's
    ``get_alembic_version``), read in this process."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    config = Config()
    config.set_main_option("script_location", ALEMBIC_DIR)
    heads = ScriptDirectory.from_config(config).get_heads()
    if len(heads) != 1:  # nbgrader's migrations have one head; several would need nbgrader's own choice
        raise RuntimeError(f"nbgrader's migration scripts in {ALEMBIC_DIR} have {len(heads)} heads: {heads}")
    return heads[0]


def use_alembic_head() -> None:
    """New gradebooks get their schema revision from ``alembic_head`` instead of an ``alembic`` process
    (nbgrader_config.py calls this; nbgrader looks the function up in its module when it stamps a database)."""
    nbgrader.api.get_alembic_version = alembic_head


class _Deferred:
    """The gradebook's session with nbgrader's commit after every cell postponed: the session flushes by itself
    before its next query, and SaveAutoGrades commits once when the notebook is done."""

    def __init__(self, session):
        self._session = session

    def commit(self):
        pass

    def __getattr__(self, name):
        return getattr(self._session, name)


class _Prefetched:
    """The gradebook with one submitted notebook's grades and comments read in one query each (nbgrader's
    SaveAutoGrades looks each cell's up with a query of six joins), and its commits deferred."""

    def __init__(self, gradebook, notebook, assignment, student):
        self._gradebook = gradebook
        session = gradebook.db
        submitted = gradebook.find_submission_notebook(notebook, assignment, student)
        self._grades = dict((name, grade) for grade, name in session.query(Grade, GradeCell.name)
                            .join(GradeCell, GradeCell.id == Grade.cell_id).filter(Grade.notebook_id == submitted.id))
        self._comments = dict((name, comment) for comment, name in session.query(Comment, SolutionCell.name)
                              .join(SolutionCell, SolutionCell.id == Comment.cell_id)
                              .filter(Comment.notebook_id == submitted.id))
        self.db = _Deferred(session)

    def find_grade(self, grade_cell, *ids):
        found = self._grades.get(grade_cell)
        return found if found is not None else self._gradebook.find_grade(grade_cell, *ids)

    def find_comment(self, solution_cell, *ids):
        found = self._comments.get(solution_cell)
        return found if found is not None else self._gradebook.find_comment(solution_cell, *ids)

    def __getattr__(self, name):
        return getattr(self._gradebook, name)


class SaveAutoGrades(_NbgraderSaveAutoGrades):
    """nbgrader's SaveAutoGrades (its per-cell rules run unchanged), with the notebook's grades and comments read at
    once and written in one transaction."""

    def preprocess(self, nb, resources):
        nbg = resources["nbgrader"]
        self.notebook_id, self.assignment_id = nbg["notebook"], nbg["assignment"]
        self.student_id, self.db_url = nbg["student"], nbg["db_url"]
        gradebook = Gradebook(self.db_url)
        with gradebook:
            self.gradebook = _Prefetched(gradebook, self.notebook_id, self.assignment_id, self.student_id)
            try:
                nb, resources = super(_NbgraderSaveAutoGrades, self).preprocess(nb, resources)
            except BaseException:
                gradebook.db.rollback()
                raise
            finally:
                self.gradebook = gradebook
            gradebook.db.commit()
        return nb, resources
