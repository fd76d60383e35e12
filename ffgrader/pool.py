"""Sandboxed workers started ahead of need, one grading process's warm pool (trusted side).

Starting a worker (bwrap, the interpreter and numpy; SymPy when a part needs it) takes a few tenths of a second, most of it spent
inside the sandbox while the grader waits. ``WarmPool.take`` hands out a worker that was started while the
previous notebook ran, and starts the next one at once, so that the start overlaps the student's cells, the
checks and nbgrader's own work on the trusted side.

What the pool does NOT change: each worker is a fresh bubblewrap sandbox (``launcher.Sandbox``) with its own
namespaces, tmpfs work directory and /tmp, cgroups and limits, started from nothing but the staged library; it
serves exactly ONE submission (``take`` hands it out once) and is killed with that submission
(``SandboxStudent.close``). A pre-started worker has seen no submission: its submission directory
(/opt/submission, a fresh empty host directory bound read-only) is filled by ``take`` for the student it is
given to, and the worker copies it into its work directory on the first request (``ffgrader.sandboxed.worker``).
No process, file, module or thread of one student's worker can reach the next student's.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ffgrader.launcher import Limits, Sandbox, private_copy


class WarmPool:
    """Up to ``ahead`` pre-started workers per kind (staged library, limits, bwrap, SymPy override)."""

    def __init__(self, ahead: int = 1):
        if isinstance(ahead, bool) or not isinstance(ahead, int) or ahead < 0:
            raise ValueError(f"ahead must be a non-negative int (workers started ahead), got {ahead!r}")
        self.ahead = ahead
        self._waiting: dict[tuple, list[Sandbox]] = {}
        self.started = self.handed_out = 0

    def take(self, submission_dir, libdir: Path, limits: Limits = Limits(), bwrap: str | None = None,
             sympy_override: Path | None = None) -> tuple[Sandbox, Path, bool]:
        """A running worker for ``submission_dir``, the private copy of it the worker sees (the caller kills
        the one and removes the other) and whether the worker had been started ahead; then the next worker of
        the same kind is started."""
        key = (str(libdir), limits, bwrap, str(sympy_override) if sympy_override is not None else None)
        box = None
        waiting = self._waiting.setdefault(key, [])
        while waiting and box is None:
            candidate = waiting.pop(0)
            if candidate.proc is not None and candidate.proc.poll() is None:
                box = candidate
            else:  # it died while waiting (killed from outside, out of memory): never hand it out
                self._discard(candidate)
        warm = box is not None
        if box is None:
            box = self._start(key)
        try:
            private_copy(submission_dir, limits, dest=box.workdir)
        except BaseException:
            self._discard(box)
            raise
        self.handed_out += 1
        try:
            while len(waiting) < self.ahead:
                waiting.append(self._start(key))
        except Exception:  # noqa: BLE001 - this student's worker runs; the next take starts one and reports why not
            pass
        return box, box.workdir, warm

    def _start(self, key) -> Sandbox:
        libdir, limits, bwrap, sympy_override = key
        workdir = Path(tempfile.mkdtemp(prefix="ffgrader-work-"))
        box = Sandbox(workdir, Path(libdir), limits, bwrap, Path(sympy_override) if sympy_override else None)
        try:
            box.start()
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        self.started += 1
        return box

    @staticmethod
    def _discard(box: Sandbox):
        box.kill()
        shutil.rmtree(box.workdir, ignore_errors=True)

    def waiting(self) -> list[Sandbox]:
        """The workers started ahead and not handed out yet."""
        return [box for boxes in self._waiting.values() for box in boxes]

    def close(self):
        """Kill the workers still waiting and remove their directories."""
        for waiting in self._waiting.values():
            while waiting:
                self._discard(waiting.pop())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
