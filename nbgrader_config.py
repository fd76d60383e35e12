"""nbgrader configuration of the course (instructor side). See book/appendix/instructor_guide.md.

Directory names: ``solutions/<hw>/`` holds the instructor notebooks (nbgrader's *source* directory) and
``exercises/<hw>/`` the generated student notebooks (nbgrader's *release* directory), so the repository
reads naturally to students and instructors alike.
"""

import os
import sys

# The course's own preprocessors live next to this file (nbgrader_ext/); nbgrader runs from the course root.
_HERE = os.path.dirname(os.path.abspath(globals().get("__file__", os.path.join(os.getcwd(), "x"))))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties, CheckCellMetadata, ClearHiddenTests, Execute, GetGrades, IgnorePattern, LimitOutput,
    SaveAutoGrades,
)

from nbgrader_ext.feedback import ScrubHiddenTestOutputs  # noqa: E402
from nbgrader_ext.tamper import TamperScan  # noqa: E402

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

c.CourseDirectory.course_id = "ffnn"
c.CourseDirectory.root = "."
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# Student notebooks: students see `raise NotImplementedError()` in answer cells.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Per-cell limit: an infinite loop costs one timeout per cell that runs it, then the kernel is interrupted
# and the remaining cells are still executed and graded.
c.Execute.timeout = 30
c.Execute.interrupt_on_timeout = True

# A deleted test cell is put back (and run) instead of silently dropping its points.
c.OverwriteCells.add_missing_cells = True

# Static tampering scan after execution, before the grades are saved.
c.Autograde.autograde_preprocessors = [
    Execute,
    TamperScan,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]

# Feedback shows hidden tests neither as source nor through tracebacks.
c.GenerateFeedback.preprocessors = [GetGrades, ScrubHiddenTestOutputs, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
