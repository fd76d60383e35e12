"""Progress of a long grading run (nbgrader issue #1456): students done / total, rate, ETA, failures so far.

``tools.classroom.autograde`` feeds it the log lines of its ``nbgrader autograde`` processes
(``ShardLog``) and it writes to ``stream``: on a terminal one line that updates in place (``\\r``), in a log
file or a pipe one line every ``interval`` seconds (and one at the end), so a night's grading log shows how far
it got. The clock is a parameter: tests drive it without waiting.
"""

from __future__ import annotations

import re
import sys
import threading
import time

# The lines of nbgrader 0.9's converter that mark a student's start, success and failure.
_START = re.compile(r"Creating/updating student with ID '([^']*)'")
_OK = re.compile(r"Setting destination file permissions")
_FAIL = re.compile(r"There was an error processing assignment")


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}"


class Progress:
    """Counts students of one run; thread-safe (one reader thread per grading process calls it)."""

    def __init__(self, label: str, total: int, stream=None, tty=None, interval: float = 30.0, clock=time.monotonic):
        if isinstance(total, bool) or not isinstance(total, int) or total < 0:
            raise ValueError(f"total must be a number of students >= 0, got {total!r}")
        self.label, self.total, self.clock, self.interval = label, total, clock, interval
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.done, self.failed = 0, []
        self.started = clock()
        self._last_line = None
        self._lock = threading.Lock()

    def finish_student(self, student: str, ok: bool = True):
        with self._lock:
            self.done += 1
            if not ok:
                self.failed.append(student)
            self._show(final=False)

    def close(self):
        with self._lock:
            self._show(final=True)

    def line(self) -> str:
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.done / elapsed
        left = self.total - self.done
        eta = _clock(left / rate) if rate > 0 and left > 0 else ("0:00:00" if left <= 0 else "unknown")
        failed = f"{len(self.failed)} failed" + (f" ({', '.join(self.failed[:5])}{', ...' if len(self.failed) > 5 else ''})"
                                                if self.failed else "")
        return (f"{self.label}: {self.done}/{self.total} students done, {rate * 60:.1f}/min, "
                f"elapsed {_clock(elapsed)}, ETA {eta}, {failed}")

    def _show(self, final: bool):
        now = self.clock()
        if self.tty:
            self.stream.write("\r\x1b[K" + self.line() + ("\n" if final else ""))
        elif final or self._last_line is None or now - self._last_line >= self.interval:
            self.stream.write(self.line() + "\n")
            self._last_line = now
        self.stream.flush()


class ShardLog:
    """Reads one grading process's output: keeps it (for the error report) and tells ``progress`` who is done."""

    def __init__(self, progress: Progress, keep_chars: int = 20_000):
        self.progress, self.keep_chars = progress, keep_chars
        self.current, self.text = None, ""

    def feed(self, line: str):
        self.text = (self.text + line)[-self.keep_chars:]
        m = _START.search(line)
        if m:
            self._end(ok=True)               # a student whose success line was not seen still finished
            self.current = m.group(1)
        elif self.current is not None and _FAIL.search(line):
            self._end(ok=False)
        elif self.current is not None and _OK.search(line):
            self._end(ok=True)

    def _end(self, ok: bool):
        if self.current is not None:
            self.progress.finish_student(self.current, ok)
            self.current = None

    def close(self, rc: int):
        """The process ended: a student still open failed if the process did."""
        self._end(ok=rc == 0)

    def read(self, pipe):
        for line in iter(pipe.readline, ""):
            self.feed(line)
        pipe.close()
