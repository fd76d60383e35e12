"""The course's late policy, as an nbgrader late-submission plugin.

A submission later than its assignment's due date loses ``per_day`` of the points it earned for every
started day of lateness (a grace period first forgives small clock differences), and at most
``max_days`` days are counted: from then on the submission is worth 0. With the defaults: up to 15
minutes late costs nothing, 1 minute to 24 hours late (after the grace) costs 10 %, 24-48 h 20 %, ...,
more than 10 days late 100 %.

nbgrader computes the lateness from the submission's timestamp (``timestamp.txt`` of ``nbgrader
submit``/``collect``, or the LMS download time given to ``zip_collect``) and the due date stored in the
gradebook (``python -m tools.classroom register --duedate HW=...``); this plugin only turns seconds into
points. Configured in nbgrader_config.py::

    c.AssignLatePenalties.plugin_class = "tools.late_policy.PerDayPenalty"
"""

from __future__ import annotations

import math

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
    late = seconds_late - 60.0 * grace_minutes
    if late <= 0:
        return 0.0
    days = min(math.ceil(late / 86400.0), max_days)
    return min(score, round(score * per_day * days, 6))


class PerDayPenalty(LateSubmissionPlugin):
    """nbgrader plugin: ``per_day`` of the earned score per started day late, after ``grace_minutes``."""

    per_day = Float(0.10, help="Fraction of the earned score lost per started day late.").tag(config=True)
    grace_minutes = Float(15.0, help="Lateness forgiven (clock differences, upload time).").tag(config=True)
    max_days = Integer(10, help="Days after which a submission earns nothing.").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        p = penalty(float(score), float(total_seconds_late), per_day=self.per_day,
                    grace_minutes=self.grace_minutes, max_days=self.max_days)
        self.log.info("Late policy: %s is %.0f s late, penalty %.2f of %.2f", student_id, total_seconds_late, p,
                      score)
        return p
