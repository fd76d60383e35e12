"""``nbgrader zip_collect`` for the download layouts of Canvas and Moodle, mapped onto the course roster.

An LMS names each downloaded file after ITS id of the student, not the course's login name:

* Canvas ("Download Submissions"): ``doejane_12345_6789012_hw1_neurons.ipynb`` (name, Canvas user id,
  submission id, the student's file name; ``doejane_LATE_12345_...`` when late; ``hw1_neurons-1.ipynb``
  for a resubmission);
* Moodle ("Download all submissions"): ``Jane Doe_123456_assignsubmission_file_hw1_neurons.ipynb``, or, with
  "Download submissions in folders", ``Jane Doe_123456_assignsubmission_file/hw1_neurons.ipynb``.

The collectors read the LMS id from the name, look it up in the gradebook's roster (``lms_user_id`` of
``python -m tools.classroom roster students.csv``) and file the notebook under the student's course id.
A file whose LMS id is not in the roster is skipped with a warning naming it. Run from the course
directory (``python -m`` puts it on the import path)::

    python -m nbgrader zip_collect hw1_neurons --collector=tools.lms.CanvasCollector
    python -m nbgrader zip_collect hw1_neurons --collector=tools.lms.MoodleCollector
"""

from __future__ import annotations

import os
import re

from nbgrader.api import Gradebook
from nbgrader.plugins import FileNameCollectorPlugin
from traitlets import Unicode

# The student's own file name may have gained an LMS suffix ("-1" on Canvas); nbgrader matches the rest
# against the released notebook names.
CANVAS = (r"^(?P<name>[^_/]+)(?:_LATE)?_(?P<lms_id>\d+)_(?P<submission_id>\d+)_"
          r"(?P<file_id>.+?)(?:-\d+)?\.ipynb$")
MOODLE = r"^(?P<name>[^/]+?)_(?P<lms_id>\d+)_assignsubmission_file_?(?:/|_)?(?P<file_id>[^/]+?)\.ipynb$"


class RosterCollector(FileNameCollectorPlugin):
    """Base: ``lms_regexp`` gives ``lms_id`` and ``file_id``; the course id comes from the roster."""

    lms_regexp = Unicode("", help="Regular expression with (?P<lms_id>...) and (?P<file_id>...)").tag(config=True)
    db_url = Unicode("", help="Gradebook URL (default: the course's gradebook.db)").tag(config=True)

    def _roster(self) -> dict:
        if not hasattr(self, "_ids"):
            url = self.db_url or self.parent.coursedir.db_url
            with Gradebook(url) as gb:
                self._ids = {str(s.lms_user_id): s.id for s in gb.students if s.lms_user_id}
        return self._ids

    def collect(self, submitted_file):
        if os.path.splitext(submitted_file)[1] not in self.valid_ext:
            return None
        parts = os.path.normpath(submitted_file).split(os.sep)
        # The archive may be extracted into a folder of its own: try "a/b/c", then "b/c", then "c".
        m = next((m for k in range(max(0, len(parts) - 3), len(parts))
                  for m in [re.match(self.lms_regexp, "/".join(parts[k:]))] if m), None)
        rel = "/".join(parts[-2:])
        if not m:
            self.log.warning("%s: %s is not an LMS download name (%s)", type(self).__name__, rel, self.lms_regexp)
            return None
        lms_id = m.group("lms_id")
        sid = self._roster().get(lms_id)
        if sid is None:
            self.log.warning("%s: LMS id %s (%s) is not in the roster (lms_user_id): skipped", type(self).__name__,
                             lms_id, rel)
            return None
        return {"student_id": sid, "file_id": m.group("file_id") + ".ipynb"}


class CanvasCollector(RosterCollector):
    lms_regexp = Unicode(CANVAS).tag(config=True)


class MoodleCollector(RosterCollector):
    lms_regexp = Unicode(MOODLE).tag(config=True)
