"""nbgrader's per-notebook steps without the work they repeat for every student (nbgrader_config.py uses these).

Measured on a class (bench/grading_class.py, and a profile of ``nbgrader autograde`` over 30 students), two of
nbgrader's own steps cost more per notebook than the student's code and the checks together:

- ``CheckCellMetadata`` runs twice per notebook and validates each cell with ``jsonschema.validate``, which
  checks the schema itself and builds a validator on every call. Here the validator is built once per
  process (``_validator``); every cell is validated against the same schema, with the same errors.
- ``SaveAutoGrades`` commits the gradebook once per grade and comment cell (an fsync each on SQLite, a round
  trip each on PostgreSQL). Here a notebook's scores are written in one transaction, committed at the end:
  the same rows and values, and a notebook whose grading fails half-way leaves no half-written scores.
"""

from __future__ import annotations

import functools

import jsonschema
from jsonschema.exceptions import best_match
from nbgrader.api import Gradebook
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


class _OneCommit:
    """The gradebook's session, with nbgrader's commit after every cell turned into a flush (the rows are written
    to the transaction at once; SaveAutoGrades commits it when the notebook is done)."""

    def __init__(self, session):
        self._session = session

    def commit(self):
        self._session.flush()

    def __getattr__(self, name):
        return getattr(self._session, name)


class SaveAutoGrades(_NbgraderSaveAutoGrades):
    """nbgrader's SaveAutoGrades, one commit per notebook instead of one per cell."""

    def preprocess(self, nb, resources):
        nbg = resources["nbgrader"]
        self.notebook_id, self.assignment_id = nbg["notebook"], nbg["assignment"]
        self.student_id, self.db_url = nbg["student"], nbg["db_url"]
        self.gradebook = Gradebook(self.db_url)
        with self.gradebook:
            session = self.gradebook.db
            self.gradebook.db = _OneCommit(session)
            try:
                nb, resources = super(_NbgraderSaveAutoGrades, self).preprocess(nb, resources)
            except BaseException:
                session.rollback()
                raise
            finally:
                self.gradebook.db = session
            session.commit()
        return nb, resources
