"""nbgrader configuration of the course (instructor side). See book/appendix/instructor_guide.md, "Grading".

Directory names: ``solutions/<hw>/`` holds the instructor notebooks and each assignment's trusted hidden
checks ``checks.py`` (nbgrader's *source* directory) and ``exercises/<hw>/`` the generated student notebooks
(nbgrader's *release* directory), so the repository reads naturally to students and instructors alike.

Grading (``nbgrader autograde``) never runs student code in a Jupyter kernel of the instructor: the
course's ``SandboxedGrading`` runs it in a bubblewrap sandbox and computes every verdict in this process
(package ``ffgrader``). It refuses to grade when the sandbox cannot start (``make sandbox-deps``).
"""

import os
import sys
import warnings

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties, ClearOutput, DeduplicateIds, GetGrades, IgnorePattern, LimitOutput, OverwriteKernelspec,
)

import ffgrader
import nbgrader
from ffgrader.offline_math import TypesetMath, feedback_markdown, typeset_math
from ffgrader.nbgrader_pre import (FeedbackClearHiddenTests, FeedbackClearMarkScheme, OverwriteCells,
                                   RestoreCellRoles, SandboxedGrading, ScrubPaths)
# nbgrader's CheckCellMetadata and SaveAutoGrades without their per-cell repeated work (a schema validator built per
# cell, a commit per cell): the same checks and rows, measured in bench/grading_class.py
from ffgrader.nbgrader_speed import CheckCellMetadata, SaveAutoGrades, use_alembic_head
from ffgrader.sanitize import SanitizeNotebook, clean_html
from ffgrader.submissions import screen_submitted

# nbgrader's Gradebook.add_submission builds a new submission's rows before adding it to the session, and SQLAlchemy 2
# warns "Object of type <SubmittedAssignment> not in session" at each first grading of a student; the rows are
# added and committed right after. The course's log is quiet on honest work, so this one harmless message is off.
warnings.filterwarnings("ignore", message=r"Object of type <Submitted\w+> not in session", module=r"nbgrader\.api")

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file
# A new gradebook is stamped with nbgrader's schema revision read in this process, not by an `alembic` command
# (ffgrader/nbgrader_speed.py: about 1.8 s of CPU saved for each gradebook created).
use_alembic_head()

# The course root is the directory of this file, as an absolute path (nbgrader warns about a relative one).
c.CourseDirectory.root = os.path.dirname(os.path.abspath(globals().get("__file__", os.path.join(os.getcwd(), "x"))))
c.CourseDirectory.course_id = "ffnn"
# nbgrader's exchange (release_assignment, collect, release_feedback; the formgrader's Release/Collect buttons): on
# the class hub the shared one, which deploy/jupyterhub_config.py names in FFNN_EXCHANGE for every server; on one
# machine the course's own `exchange/` (made by the guide's first steps; in .gitignore).
c.Exchange.root = os.environ.get("FFNN_EXCHANGE") or os.path.join(c.CourseDirectory.root, "exchange")
# The course's late policy (tools/late_policy.py, in this directory): 10 % of the earned points per started
# day after the due date and 15 minutes' grace; due dates: `python -m tools.classroom register --duedate`.
# (Throw-away test courses that copy only this file and solutions/ keep nbgrader's default: no penalty.)
# The penalty is on the whole score: it follows grades changed after autograde (the formgrader's manual points)
# and extensions, and the formgrader's submission page and the feedback say why points were taken off.
_explain_penalty = []
if os.path.isfile(os.path.join(c.CourseDirectory.root, "tools", "late_policy.py")):
    if c.CourseDirectory.root not in sys.path:
        sys.path.insert(0, c.CourseDirectory.root)
    c.AssignLatePenalties.plugin_class = "tools.late_policy.PerDayPenalty"
    from tools.late_policy import PerDayPenalty, follow_grade_changes
    follow_grade_changes(lambda: PerDayPenalty(config=c))
    _explain_penalty = ["tools.late_policy.ExplainPenalty"]
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# The trusted checks never leave the instructor's side: not released, not copied next to a submission.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "checks.py"]

# Submissions are files, not links (ffgrader/submissions.py): `nbgrader collect` takes only real folders owned by
# the student they are named after and copies regular files within caps (20 MiB a file, 50 MiB, 200 files, 6 levels);
# before autograde copies submitted/<student>/<hw>, anything else in it is moved to quarantine/. Each skip is logged.
c.ExchangeFactory.collect = "ffgrader.submissions.ExchangeCollect"
# Per-student variants (ffgrader/exchange.py): the release also puts each gradebook student's copy of an assignment
# with VARIANTS into the exchange, and fetch gives each student their own (on the hub the students' configuration,
# deploy/setup.sh, sets the same fetch).
c.ExchangeFactory.release_assignment = "ffgrader.exchange.ReleaseAssignment"
c.ExchangeFactory.fetch_assignment = "ffgrader.exchange.FetchAssignment"
c.Autograde.pre_convert_hook = screen_submitted

# Student notebooks: students see `raise NotImplementedError()` in answer cells.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A deleted test cell is put back instead of silently dropping its points (the course's OverwriteCells also
# when the cells around it are deleted too; nbgrader's raises KeyError there).
c.OverwriteCells.add_missing_cells = True

# Sanitizing: cell roles (test / answer / locked, points) come from the gradebook, never from the submission.
c.Autograde.sanitize_preprocessors = [
    RestoreCellRoles, ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata,
]

# Grading: the sandbox runs the student's cells; the checks run here. A cell that hangs, crashes or
# exhausts memory costs that cell (or that check) only.
c.SandboxedGrading.cell_timeout = 30
c.SandboxedGrading.check_timeout = 60
c.Autograde.autograde_preprocessors = [
    SandboxedGrading,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]

# Feedback shows neither hidden tests, nor the mark scheme of manually graded answers, nor any absolute path; its
# formulas are typeset here, so that the page shows them offline with no script (ffgrader/offline_math.py). The
# regions are removed from the student's own cells too, where nbgrader's versions refuse the whole notebook.
c.GenerateFeedback.preprocessors = [GetGrades, FeedbackClearHiddenTests, FeedbackClearMarkScheme, ScrubPaths,
                                    TypesetMath, CSSHTMLHeaderPreprocessor]

# The formgrader draws each submission with nbgrader's "formgrade" template and the feedback with its "feedback"
# template; the course's versions of both (ffgrader/templates/) come first on the path (nbgrader's own directory
# is also on it so that ours can extend them). The formgrader's typesets the math offline (MathJax 2 from the
# jupyter-server-mathjax extension instead of a CDN) and sets each task's mark scheme apart, next to the
# student's answer; both carry a Content-Security-Policy (the feedback page runs no script at all).
_ours = os.path.join(os.path.dirname(ffgrader.__file__), "templates")
_nbgrader_templates = os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates")
c.HTMLExporter.extra_template_basedirs = [_ours, _nbgrader_templates]
c.HTMLExporter.extra_template_paths = [_nbgrader_templates]
# Whatever a student wrote is inert on both pages (ffgrader/sanitize.py): the notebook reduced to plain parts
# first, then nbconvert's sanitizing switch, with nh3 behind its clean_html filter instead of bleach.
c.HTMLExporter.preprocessors = [SanitizeNotebook] + _explain_penalty
c.HTMLExporter.optimistic_validation = True   # validate after SanitizeNotebook, not before (a forged notebook
                                              # would otherwise fail the formgrader's page with an error)
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.filters = {"clean_html": clean_html, "feedback_markdown": feedback_markdown, "typeset_math": typeset_math}
