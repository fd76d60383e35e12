"""`nbgrader generate_feedback` with the course's nbgrader_config.py is quiet on honest work: the HTML exporter
configures ``NbConvertBase.display_data_priority`` for every preprocessor it runs, and each of the course's feedback
preprocessors accepts it (nbgrader's base class declares the trait without ``config=True``, so traitlets warned
"Config option `display_data_priority` not recognized by `ScrubPaths`", and so on, for every notebook)."""

from __future__ import annotations

import logging
from pathlib import Path

from nbgrader.converters import GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parent.parent


def test_feedback_preprocessors_take_the_exporters_config_without_a_warning(caplog):
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    feedback = GenerateFeedback(coursedir=CourseDirectory(config=config), config=config)
    exporter = feedback.exporter_class(parent=feedback, config=feedback.config)
    assert "display_data_priority" in exporter.config.NbConvertBase  # what the exporter hands every preprocessor
    with caplog.at_level(logging.WARNING):
        for pp in feedback.preprocessors:
            exporter.register_preprocessor(pp)
    names = {type(p).__name__ for p in exporter._preprocessors}
    assert {"FeedbackClearHiddenTests", "FeedbackClearMarkScheme", "ScrubPaths", "TypesetMath"} <= names, names
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not said, said


def test_a_misspelt_option_of_a_feedback_preprocessor_is_still_reported(caplog):
    """The fix accepts the exporter's one option; a real mistake in the course's config still warns."""
    from traitlets.config import Config

    from ffgrader.nbgrader_pre import ScrubPaths

    with caplog.at_level(logging.WARNING):
        ScrubPaths(config=Config({"ScrubPaths": {"enabeld": False}}))
    assert any("enabeld" in r.getMessage() and "not recognized" in r.getMessage() for r in caplog.records), \
        caplog.records
