"""The course's late policy, as an nbgrader late-submission plugin.

A submission later than its assignment's due date loses ``per_day`` of the points it earned for every
started day of lateness (a grace period first forgives small clock differences), and at most
``max_days`` days are counted: from then on the submission is worth 0. With the defaults: up to 15
minutes late costs nothing, 1 minute to 24 hours late (after the grace) costs 10 %, 24-48 h 20 %, ...,
more than 10 days late 100 %.

nbgrader computes the lateness from the submission's timestamp (``timestamp.txt`` of ``nbgrader
submit``/``collect``, or the LMS download time given to ``zip_collect``) and the student's due date: the
assignment's (``python -m tools.classroom register --duedate HW=...``) plus the student's extension, if any
(``python -m tools.classroom extend HW STUDENT --hours 48``; nbgrader's ``SubmittedAssignment.extension``).
Configured in nbgrader_config.py::

    c.AssignLatePenalties.plugin_class = "tools.late_policy.PerDayPenalty"

The penalty is a fraction of the WHOLE score, manual points included. nbgrader stores it as points per
notebook (``SubmittedNotebook.late_submission_penalty``), computed once by ``AssignLatePenalties`` during
autograde, before any hand grading; points a grader adds later in the formgrader would escape it. So the
stored penalty follows every change of a grade, of a timestamp or of an extension
(:func:`follow_grade_changes`, a SQLAlchemy ``before_flush`` hook installed by nbgrader_config.py in every
process that loads the course's configuration: the formgrader, autograde, feedback), and the export and the
feedback recompute it from the current grades (:func:`reapply`). :class:`ExplainPenalty` puts the reason
(hours late, the rule) on the formgrader's page of a submission and on the student's feedback.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nbconvert.preprocessors import Preprocessor
from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float, Integer


def penalty(score: float, seconds_late: float, *, per_day: float = 0.10, grace_minutes: float = 15.0,
            max_days: int = 10) -> float:
    """Points taken off ``score`` for a submission ``seconds_late`` after the due date."""
    for name, value in (("score", score), ("seconds_late", seconds_late), ("per_day", per_day),
                        ("grace_minutes", grace_minutes)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise TypeError(f"{name} must be a finite number, got {value!r}")
    if not 0 <= per_day <= 1:
        raise ValueError(f"per_day must be a fraction in [0, 1], got {per_day}")
    if seconds_late < 0 or score < 0 or grace_minutes < 0:
        raise ValueError(f"score, seconds_late and grace_minutes must be >= 0, got {score}, {seconds_late}, "
                         f"{grace_minutes}")
    return min(score, round(score * per_day * days_counted(seconds_late, grace_minutes, max_days), 6))


def days_counted(seconds_late: float, grace_minutes: float = 15.0, max_days: int = 10) -> int:
    """Started days of lateness after the grace period, at most ``max_days``."""
    late = seconds_late - 60.0 * grace_minutes
    return 0 if late <= 0 else min(math.ceil(late / 86400.0), max_days)


@dataclass(frozen=True)
class Verdict:
    """The policy applied to one submission's total: what the export, the formgrader and the feedback show."""

    raw_score: float
    max_score: float
    seconds_late: float
    days: int
    fraction: float          # of the raw score taken off
    penalty: float
    rule: str
    extension_hours: float = 0.0

    @property
    def score(self) -> float:
        return max(0.0, round(self.raw_score - self.penalty, 6))

    @property
    def reason(self) -> str:
        """One sentence for people: empty when nothing was taken off."""
        if self.penalty <= 0:
            return ""
        ext = f" (after an extension of {self.extension_hours:g} h)" if self.extension_hours else ""
        return (f"Late penalty: submitted {self.seconds_late / 3600:.1f} h after the due date{ext}, "
                f"{self.days} started day(s) late, {100 * self.fraction:g} % of {self.raw_score:g} points = "
                f"-{self.penalty:g}; score {self.score:g} / {self.max_score:g}. Rule: {self.rule}.")


class PerDayPenalty(LateSubmissionPlugin):
    """nbgrader plugin: ``per_day`` of the earned score per started day late, after ``grace_minutes``."""

    per_day = Float(0.10, help="Fraction of the earned score lost per started day late.").tag(config=True)
    grace_minutes = Float(15.0, help="Lateness forgiven (clock differences, upload time).").tag(config=True)
    max_days = Integer(10, help="Days after which a submission earns nothing.").tag(config=True)

    @property
    def rule(self) -> str:
        return (f"{100 * self.per_day:g} % of the score (manual points included) per started day late, after "
                f"{self.grace_minutes:g} minutes' grace; after {self.max_days} days nothing is left")

    def verdict(self, raw_score, max_score, seconds_late, extension_hours=0.0) -> Verdict:
        p = penalty(float(raw_score), float(seconds_late), per_day=self.per_day, grace_minutes=self.grace_minutes,
                    max_days=self.max_days)
        days = days_counted(float(seconds_late), self.grace_minutes, self.max_days)
        return Verdict(float(raw_score), float(max_score or 0.0), float(seconds_late), days,
                       min(1.0, self.per_day * days), p, self.rule, float(extension_hours))

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        p = penalty(float(score), float(total_seconds_late), per_day=self.per_day,
                    grace_minutes=self.grace_minutes, max_days=self.max_days)
        self.log.info("Late policy: %s is %.0f s late, penalty %.2f of %.2f", student_id, total_seconds_late, p,
                      score)
        return p


def _grade_points(grade) -> float:
    """nbgrader's ``Grade.score`` (a SQL expression) from the attributes as they are now, before a flush."""
    base = grade.manual_score if grade.manual_score is not None else grade.auto_score
    return 0.0 if base is None else float(base) + float(grade.extra_credit or 0.0)


def _set_penalties(submission, plugin) -> tuple[float, float]:
    """Store the policy's penalty of every notebook of ``submission`` (points of each notebook's current
    total); returns (raw total, seconds late)."""
    seconds = float(submission.total_seconds_late)
    raw = 0.0
    for nb in submission.notebooks:
        points = sum(_grade_points(g) for g in nb.grades)
        raw += points
        if seconds > 0:
            p = plugin.late_submission_penalty(submission.student.id, points, seconds)
            nb.late_submission_penalty = min(max(float(p or 0.0), 0.0), points)
        else:
            nb.late_submission_penalty = None
    return raw, seconds


def reapply(gb, assignment: str, student: str, plugin: PerDayPenalty) -> Verdict:
    """Recompute and store the penalty of ``student``'s ``assignment`` from its current grades (manual
    points included) and due date (extension included); returns the verdict on the total."""
    sub = gb.find_submission(assignment, student)
    raw, seconds = _set_penalties(sub, plugin)
    gb.db.commit()
    ext = sub.extension.total_seconds() / 3600.0 if sub.extension else 0.0
    return plugin.verdict(raw, sub.max_score, seconds, ext)


# The one hook of this process. nbgrader re-reads nbgrader_config.py many times in one process (the
# formgrader on every request), so a new call replaces the hook instead of stacking copies of it.
_follower = None


def follow_grade_changes(make_plugin) -> None:
    """Keep every stored late penalty equal to the policy applied to the current grades.

    Installs a SQLAlchemy ``before_flush`` hook: when a flush carries a changed grade (a manual score or
    extra credit from the formgrader, an autograded score) or a changed submission (timestamp, extension),
    the penalties of that submission's notebooks are recomputed in the same transaction. ``make_plugin``
    returns the configured late-policy plugin (called at flush time, so it sees the final configuration).
    """
    global _follower
    from nbgrader.api import Grade, SubmittedAssignment
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if _follower is not None and event.contains(Session, "before_flush", _follower):
        event.remove(Session, "before_flush", _follower)

    def before_flush(session, flush_context, instances):
        with session.no_autoflush:
            subs = {}
            for obj in session.dirty:
                sub = obj.notebook.assignment if isinstance(obj, Grade) and obj.notebook is not None else \
                    obj if isinstance(obj, SubmittedAssignment) else None
                if sub is not None and sub.assignment is not None:
                    subs[id(sub)] = sub
            if subs:
                plugin = make_plugin()
                for sub in subs.values():
                    _set_penalties(sub, plugin)

    _follower = before_flush
    event.listen(Session, "before_flush", before_flush)


class ExplainPenalty(Preprocessor):
    """The formgrader's page of a submission and the student's feedback: apply the policy to the current
    grades (storing the penalty) and put the verdict, with its reason, into ``resources["late_policy"]``
    for the templates (ffgrader/templates/*/index.html.j2)."""

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook, MissingEntry
        from nbgrader.coursedir import CourseDirectory

        info = resources.get("nbgrader") or {}
        if "submission_id" in resources and "student" in resources:          # the formgrader's page
            db_url = CourseDirectory(parent=self).db_url
            assignment, student, notebook = resources["assignment_id"], resources["student"], \
                resources.get("notebook_id")
        elif info.get("db_url") and info.get("student"):                     # generate_feedback
            db_url, assignment, student, notebook = info["db_url"], info["assignment"], info["student"], \
                info.get("notebook")
        else:
            return nb, resources
        with Gradebook(db_url) as gb:
            try:
                verdict = reapply(gb, assignment, student, PerDayPenalty(parent=self))
            except MissingEntry:
                return nb, resources
            mine = next((n for n in gb.find_submission(assignment, student).notebooks if n.name == notebook), None)
            if mine is not None and info:
                # what nbgrader's GetGrades shows at the top of the feedback, from the penalty just stored
                info["late_penalty"] = mine.late_submission_penalty or 0.0
                info["score"] = mine.score - info["late_penalty"]
        resources["late_policy"] = {"reason": verdict.reason, "score": verdict.score, "raw_score": verdict.raw_score,
                                    "max_score": verdict.max_score, "penalty": verdict.penalty,
                                    "hours_late": verdict.seconds_late / 3600.0, "rule": verdict.rule}
        return nb, resources
