"""One notebook's sandboxed worker, as the trusted checks see it: the Student protocol (trusted side).

``SandboxStudent`` runs cells (``run_cell``) and answers the checks' ``call``/``value``/``has``. Every
argument is plain data or a marker of ``ffgrader.sandboxed.wire``; nothing the grader sends is code. When a
request hangs, crashes the worker or breaks the protocol, the worker is killed; the next request starts a
fresh one from a fresh copy of the submission and replays the cells that ran before (a cell that crashed
is not replayed), and the caller gets ``StudentTimeout`` / ``StudentCrashed`` (or an errored cell).

A ``Budget`` holds the notebook's caps that span many requests: the seconds its cells may take together,
the seconds its checks may take together, and the bytes the grader reads from its workers. A request
never waits past the phase's deadline; once a cap is used up, every further request of that phase fails at
once with ``OverBudget``, which costs the parts not graded yet and nothing else.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from ffgrader.launcher import (ChannelClosed, ChannelTimeout, Limits, Loopback, OverLimit, Sandbox, SandboxUnavailable,
                               private_copy)
from ffgrader.sandboxed import wire as P

MAX_RESTARTS = 200  # per worker: a safety net; the time budget ends a notebook that keeps crashing sooner


class StudentProblem(Exception):
    """Base class: the student's code could not produce a value."""


class StudentError(StudentProblem):
    """The student's function raised. ``arg_summary`` names the shapes/dtypes it was called with."""

    def __init__(self, name, exc_type, message, arg_summary=""):
        self.name, self.exc_type, self.message, self.arg_summary = name, exc_type, message, arg_summary
        with_args = f" when called with {arg_summary}" if arg_summary else ""
        super().__init__(f"your {name} raised {exc_type}({message!r}){with_args}")


class StudentTimeout(StudentProblem):
    def __init__(self, name, seconds):
        self.name, self.seconds = name, seconds
        super().__init__(f"{name} did not finish within {seconds:g} s (the worker was restarted)")


class StudentCrashed(StudentProblem):
    def __init__(self, name, detail=""):
        self.name, self.detail = name, detail
        super().__init__(f"the notebook's process died while running {name}"
                         + (f" ({detail})" if detail else "") + " (the worker was restarted)")


class NotDefined(StudentProblem):
    def __init__(self, name, detail=""):
        self.name = name
        super().__init__(f"{name} is not defined by the notebook" + (f" ({detail})" if detail else ""))


class OverBudget(StudentProblem):
    """A per-notebook cap is used up: nothing more of this phase runs."""

    def __init__(self, what):
        self.what = what
        super().__init__(what)


@dataclass
class Budget:
    """Caps of one notebook across all its requests (seconds are wall-clock, a safety net against hanging
    code; CPU time of the worker is limited by RLIMIT_CPU)."""
    cells_seconds: float = 300.0       # all cells together, restarts and replays included
    checks_seconds: float = 300.0      # all checks together
    received_bytes: int = 64 * 2**20   # what the grader reads from the notebook's workers (its decoding CPU)
    phase: str = "cells"
    _deadline: float | None = field(default=None, repr=False)
    received: int = 0

    def begin(self, phase: str):
        self.phase = phase
        self._deadline = time.monotonic() + (self.cells_seconds if phase == "cells" else self.checks_seconds)

    def left(self) -> float:
        return float("inf") if self._deadline is None else self._deadline - time.monotonic()

    def exhausted(self, pending: int = 0) -> str | None:
        if self.received + pending > self.received_bytes:
            return (f"this notebook's workers sent more than {self.received_bytes // 2**20} MiB of results; "
                    "nothing more of it is graded")
        if self.left() <= 0:
            return self.time_note()
        return None

    def time_note(self) -> str:
        total = self.cells_seconds if self.phase == "cells" else self.checks_seconds
        return (f"this notebook's {'cells' if self.phase == 'cells' else 'checks'} used up their time budget "
                f"of {total:g} s together; the rest was not run")


@dataclass
class CellResult:
    ok: bool
    stdout: str = ""
    stderr: str = ""
    display: str | None = None
    error: dict | None = None      # {"ename", "evalue", "traceback"}
    crashed: bool = False           # the cell killed or hung the worker (it was restarted)


@dataclass
class Timings:
    sandbox_start: float = 0.0      # bwrap + interpreter + numpy/sympy imports, summed over (re)starts
    student_code: float = 0.0       # the notebook's cells (first run)
    replay: float = 0.0             # cells re-run after restarts
    checks: float = 0.0             # filled by the runner
    restarts: int = 0
    prestarted: int = 0             # workers handed out already started (ffgrader.pool), restarts included
    grader_cpu: float = 0.0         # CPU seconds of the grading process itself for this notebook (the runner)


@dataclass(frozen=True)
class Kept:
    """What a call returned (``value``, decoded) and a handle to the object itself, kept in the worker."""
    value: object
    request_id: int

    def held(self, *path):
        return P.Held(self.request_id, tuple(path))


class SandboxStudent:
    """``channel``: a factory ``(workdir) -> Channel`` (default: a bubblewrap ``Sandbox`` on ``libdir``);
    ``pool``: an ``ffgrader.pool.WarmPool`` that hands out pre-started sandboxes of that kind instead (each
    worker still serves this one student and is killed with it)."""

    def __init__(self, submission_dir: Path | None, libdir: Path | None = None, *, limits: Limits = Limits(),
                 start_timeout: float = 60.0, call_timeout: float = 30.0, bwrap: str | None = None,
                 sympy_override: Path | None = None, budget: Budget | None = None, channel=None, pool=None):
        self.submission_dir, self.limits = submission_dir, limits
        self.start_timeout, self.call_timeout = start_timeout, call_timeout
        self.budget = budget or Budget()
        # What a clean twin of this worker is made from (``clean``); its requests count against the same caps.
        self._twin_args = dict(libdir=libdir, limits=limits, start_timeout=start_timeout, call_timeout=call_timeout,
                               bwrap=bwrap, sympy_override=sympy_override, budget=self.budget, channel=channel,
                               pool=pool)
        self._clean, self._clean_of = None, []
        self.deadline = None                # absolute monotonic time a check must finish by (set by the runner)
        self.variant = None                 # the trusted parameters of this submission's variant (set by the runner)
        self.history: list[dict] = []       # cell requests replayed after a restart
        self.timings = Timings()
        self._take = None
        if channel is None and pool is not None and libdir is not None:
            self._take = lambda: pool.take(submission_dir, libdir, limits, bwrap, sympy_override)
        if channel is None:
            if libdir is None:
                raise TypeError("SandboxStudent needs libdir (the staged library) or a channel factory")

            def channel(workdir):
                return Sandbox(workdir, libdir, limits, bwrap, sympy_override)
        self._channel = channel
        self._box = None
        self._workdir = None
        self._next_id = 0
        self._restarts = 0
        self._started = False

    # -- life cycle ------------------------------------------------------------------------------
    def start(self):
        return self.launch().ready()

    def launch(self):
        """Start the worker without waiting for it (``ready`` waits): two workers can start side by side."""
        self._t0 = time.monotonic()
        if self._take is not None:
            self._box, self._workdir, warm = self._take()
            self.timings.prestarted += warm
            return self
        self._workdir = private_copy(self.submission_dir, self.limits)
        self._box = self._channel(self._workdir).start()
        return self

    def ready(self):
        try:
            reply = self._box.request({"id": self._new_id(), "op": "ping"}, self.start_timeout)
        except (ChannelClosed, ChannelTimeout) as e:
            detail = self._box.diagnostics()
            self.close()
            raise SandboxUnavailable(f"the sandboxed worker did not start ({type(e).__name__}: {e}); "
                                     f"bwrap said: {detail[:500] or 'nothing'}") from None
        if reply.get("ok") is not True:
            self.close()
            raise SandboxUnavailable(f"the sandboxed worker failed to start: {str(reply)[:300]}")
        self._started = True
        self.timings.sandbox_start += time.monotonic() - self._t0
        return self

    def clean(self) -> "SandboxStudent":
        """A second worker of this notebook that has run its cells and has answered nothing else: for what a check
        computes around the student's own functions (the glue of ``first_match``). In the worker the checks talk
        to, the student's functions may remember earlier calls (the composite function's arguments and answer)
        and steer the glue onto that answer. Started on first use (the cells replayed), kept while the cells
        that ran stay the same, closed with this one."""
        if self._clean is not None and (len(self._clean_of) != len(self.history)
                                        or any(a is not b for a, b in zip(self._clean_of, self.history))):
            self._clean.close()
            self._clean = None
        if self._clean is None:
            twin = SandboxStudent(self.submission_dir, **self._twin_args)
            twin.history, twin.variant = list(self.history), self.variant
            self._clean, self._clean_of = twin, list(self.history)
        self._clean.deadline = self.deadline
        return self._clean

    def close(self):
        if self._clean is not None:
            self._clean.close()
            self._clean = None
        self._drop_worker()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def _drop_worker(self):
        if self._box is not None:
            self.budget.received += self._box.received
            self._box.kill()
            self._box = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def _new_id(self):
        self._next_id += 1
        return self._next_id

    def _revive(self, what):
        """A fresh worker with the history replayed (cells that fail again during the replay are dropped)."""
        while self._box is None:
            over = self.budget.exhausted()
            if over:
                raise OverBudget(over)
            if self._restarts >= MAX_RESTARTS:
                raise StudentCrashed(what, f"more than {MAX_RESTARTS} restarts in this notebook")
            if self._started:  # a twin's first start (``clean``) replays the cells too, but restarts nothing
                self._restarts += 1
                self.timings.restarts += 1
            if self._workdir is not None:
                shutil.rmtree(self._workdir, ignore_errors=True)
                self._workdir = None
            self.start()
            t0 = time.monotonic()
            try:
                for item in list(self.history):
                    allowed = min(item["_timeout"], max(0.05, self.budget.left()))
                    try:
                        self._raw(item, allowed)
                    except (ChannelClosed, ChannelTimeout, P.ProtocolError) as e:
                        self._drop_worker()
                        if isinstance(e, ChannelTimeout) and allowed < item["_timeout"]:
                            # Cut short by the phase's budget, not by its own timeout: the cell stays in the history
                            # (the checks replay it with their own budget; an honest imports cell that ran when the
                            # budget was nearly used up must not cost every part that needs its imports).
                            raise OverBudget(self.budget.exhausted() or self.budget.time_note()) from None
                        self.history.remove(item)  # it failed this time: drop it and start over without it
                        break
            finally:
                self.timings.replay += time.monotonic() - t0

    # -- one request ------------------------------------------------------------------------------
    def _raw(self, request, timeout):
        msg = {k: v for k, v in request.items() if not k.startswith("_")}
        msg["id"] = self._new_id()
        reply = self._box.request(msg, timeout)
        return P.check_reply(reply, msg["id"]), msg["id"]

    def _request(self, request, timeout, what):
        """Send one request; on hang/crash/garbage: drop the worker, raise StudentTimeout/StudentCrashed."""
        over = self.budget.exhausted()
        if over:
            raise OverBudget(over)
        if self._box is None:
            self._revive(what)
        timeout = max(0.05, min(timeout, self.budget.left()))
        try:
            reply, rid = self._raw(request, timeout)
        except ChannelTimeout:
            self._drop_worker()
            over = self.budget.exhausted()
            raise (OverBudget(over) if over else StudentTimeout(what, timeout)) from None
        except OverLimit as e:
            self._drop_worker()
            raise StudentCrashed(what, str(e)) from None
        except (ChannelClosed, P.ProtocolError) as e:
            self._drop_worker()
            raise StudentCrashed(what, str(e)[:200]) from None
        if self._box is not None and self.budget.exhausted(self._box.received):
            over = self.budget.exhausted(self._box.received)
            self._drop_worker()
            raise OverBudget(over)
        return reply, rid

    def _budget(self):
        if self.deadline is None:
            return self.call_timeout
        return max(0.05, min(self.call_timeout, self.deadline - time.monotonic()))

    # -- cells ------------------------------------------------------------------------------------
    def run_cell(self, label: str, source: str, timeout: float) -> CellResult:
        request = {"op": "exec", "label": label, "source": source, "_timeout": timeout}
        t0 = time.monotonic()
        try:
            reply, _ = self._request(request, timeout, f"cell {label}")
        except OverBudget as e:
            return CellResult(False, error=_err("NotRun", str(e)))
        except StudentTimeout:
            return CellResult(False, crashed=True, error=_err("CellTimeout", f"this cell did not finish within "
                                                              f"{timeout:g} s; it was stopped and skipped"))
        except StudentCrashed as e:
            return CellResult(False, crashed=True, error=_err("WorkerCrashed", f"this cell crashed the Python "
                                                              f"process ({e.detail}); it was skipped"))
        finally:
            self.timings.student_code += time.monotonic() - t0
        self.history.append(request)  # ran (maybe with an exception): replayed after a restart
        return CellResult(bool(reply["ok"]), reply.get("stdout", ""), reply.get("stderr", ""),
                          reply.get("display"), reply.get("error"))

    # -- the Student protocol ------------------------------------------------------------------------
    def call(self, name, *args, keep=False, **kwargs):
        """``name(*args, **kwargs)`` in the worker; its result as plain data (``Kept`` with ``keep=True``)."""
        summary = ", ".join(P.summarize(a) for a in args)
        if kwargs:
            summary += (", " if summary else "") + ", ".join(f"{k}={P.summarize(v)}" for k, v in kwargs.items())
        request = {"op": "call", "name": _name(name), "args": P.encode(list(args)), "kwargs": P.encode(dict(kwargs))}
        reply, rid = self._request(request, self._budget(), name)
        if reply["ok"]:
            if "result" not in reply:
                raise StudentCrashed(name, "reply without a result")
            return Kept(reply["result"], rid) if keep else reply["result"]
        if reply.get("notdefined"):
            err = reply.get("error")
            raise NotDefined(name, err["evalue"] if err else "")
        err = reply.get("error") or {"ename": "Exception", "evalue": ""}
        raise StudentError(name, err["ename"], err["evalue"], summary)

    def value(self, name):
        reply, _ = self._request({"op": "value", "name": _name(name)}, self._budget(), name)
        if reply["ok"] and "result" in reply:
            return reply["result"]
        if reply.get("notdefined"):
            raise NotDefined(name)
        err = reply.get("error") or {"ename": "Exception", "evalue": ""}
        raise StudentError(name, err["ename"], err["evalue"])

    def has(self, name) -> bool:
        reply, _ = self._request({"op": "has", "name": _name(name)}, self._budget(), name)
        return reply.get("result") is True


def loopback_student(submission_dir=None, **kwargs) -> SandboxStudent:
    """A SandboxStudent whose worker is the real one in a forked process without bwrap (``Loopback``): the
    same protocol, for tests of trusted notebooks. Never for student code."""
    return SandboxStudent(submission_dir, channel=lambda workdir: Loopback(workdir), **kwargs)


def _name(name):
    if type(name) is not str or not name.isidentifier():
        raise ValueError(f"name must be a Python identifier, got {name!r}")
    return name


def _err(ename, evalue):
    return {"ename": ename, "evalue": evalue, "traceback": [f"{ename}: {evalue}"]}
