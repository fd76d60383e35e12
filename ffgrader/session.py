"""``SandboxStudent``: one student's notebook running in a sandbox, seen through the Student protocol.

The grader runs the notebook's cells with ``run_cell`` and then hands this object to the trusted checks
(``call``, ``value``, ``has``, ``define``). A request that hangs past its budget, kills the worker, or
gets a reply that breaks the protocol costs only that request: the sandbox is killed (every process in
it), a fresh one is started from a fresh copy of the submission, the cells and definitions that ran
before are replayed, and the caller gets ``StudentTimeout`` / ``StudentCrashed`` (or an errored cell).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ffgrader import protocol as P
from ffgrader.sandbox import ChannelClosed, ChannelTimeout, Limits, Sandbox, SandboxUnavailable, private_copy

MAX_RESTARTS = 12  # per notebook; after that every request fails at once (a notebook that always crashes)


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


class SandboxStudent:
    def __init__(self, submission_dir: Path | None, libdir: Path, *, limits: Limits = Limits(),
                 start_timeout: float = 60.0, call_timeout: float = 30.0, bwrap: str | None = None):
        self.submission_dir, self.libdir, self.limits, self.bwrap = submission_dir, Path(libdir), limits, bwrap
        self.start_timeout, self.call_timeout = start_timeout, call_timeout
        self.deadline = None                # absolute monotonic time a check must finish by (set by the runner)
        self.history: list[dict] = []       # requests replayed after a restart (cells, definitions)
        self.timings = Timings()
        self._box = None
        self._workdir = None
        self._next_id = 0
        self._restarts = 0

    # -- life cycle ------------------------------------------------------------------------------
    def start(self):
        t0 = time.monotonic()
        self._workdir = private_copy(self.submission_dir)
        self._box = Sandbox(self._workdir, self.libdir, self.limits, self.bwrap).start()
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
        self.timings.sandbox_start += time.monotonic() - t0
        return self

    def close(self):
        if self._box is not None:
            self._box.kill()
            self._box = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def _new_id(self):
        self._next_id += 1
        return self._next_id

    def _restart(self):
        """Kill the sandbox, start a fresh one, replay the history (dropping items that fail again)."""
        self.close()
        self._restarts += 1
        self.timings.restarts += 1
        if self._restarts > MAX_RESTARTS:
            return False
        self.start()
        t0 = time.monotonic()
        for item in list(self.history):
            try:
                self._raw(item, item.get("_timeout", self.call_timeout))
            except (ChannelClosed, ChannelTimeout, P.ProtocolError):
                # Nondeterministic crash during replay: drop it and start over without it.
                self.history.remove(item)
                self.timings.replay += time.monotonic() - t0
                return self._restart()
        self.timings.replay += time.monotonic() - t0
        return True

    # -- one request ------------------------------------------------------------------------------
    def _raw(self, request, timeout):
        if self._box is None:
            raise ChannelClosed("no worker")
        msg = {k: v for k, v in request.items() if not k.startswith("_")}
        msg["id"] = self._new_id()
        reply = self._box.request(msg, timeout)
        return P.check_reply(reply, msg["id"])

    def _request(self, request, timeout, what):
        """Send one request; on hang/crash/garbage: restart, then raise StudentTimeout/StudentCrashed."""
        if self._box is None and not (self._restarts <= MAX_RESTARTS and self._restart()):
            raise P.StudentCrashed(what, "too many crashes in this notebook")
        try:
            return self._raw(request, timeout)
        except ChannelTimeout:
            self._restart()
            raise P.StudentTimeout(what, timeout) from None
        except (ChannelClosed, P.ProtocolError) as e:
            self._restart()
            raise P.StudentCrashed(what, str(e)[:200]) from None

    def _budget(self):
        if self.deadline is None:
            return self.call_timeout
        return max(0.05, min(self.call_timeout, self.deadline - time.monotonic()))

    # -- cells ------------------------------------------------------------------------------------
    def run_cell(self, label: str, source: str, timeout: float) -> CellResult:
        request = {"op": "exec", "label": label, "source": source, "_timeout": timeout}
        t0 = time.monotonic()
        try:
            reply = self._request(request, timeout, f"cell {label}")
        except P.StudentTimeout:
            return CellResult(False, crashed=True, error=_err("CellTimeout", f"this cell did not finish within "
                                                              f"{timeout:g} s; it was stopped and skipped"))
        except P.StudentCrashed as e:
            return CellResult(False, crashed=True, error=_err("WorkerCrashed", f"this cell crashed the Python "
                                                              f"process ({e.detail}); it was skipped"))
        finally:
            self.timings.student_code += time.monotonic() - t0
        self.history.append(request)  # ran (maybe with an exception): replayed after a restart
        return CellResult(bool(reply["ok"]), reply.get("stdout", ""), reply.get("stderr", ""),
                          reply.get("display"), reply.get("error"))

    # -- the Student protocol ------------------------------------------------------------------------
    def call(self, name, *args, **kwargs):
        summary = ", ".join(P.summarize(a) for a in args)
        if kwargs:
            summary += (", " if summary else "") + ", ".join(f"{k}={P.summarize(v)}" for k, v in kwargs.items())
        request = {"op": "call", "name": _name(name), "args": P.encode(list(args)), "kwargs": P.encode(dict(kwargs))}
        reply = self._request(request, self._budget(), name)
        if reply["ok"]:
            if "result" not in reply:
                raise P.StudentCrashed(name, "reply without a result")
            return reply["result"]
        if reply.get("notdefined"):
            err = reply.get("error")
            raise P.NotDefined(name, err["evalue"] if err else "")
        err = reply.get("error") or {"ename": "Exception", "evalue": ""}
        raise P.StudentError(name, err["ename"], err["evalue"], summary)

    def value(self, name):
        reply = self._request({"op": "value", "name": _name(name)}, self._budget(), name)
        if reply["ok"] and "result" in reply:
            return reply["result"]
        if reply.get("notdefined"):
            raise P.NotDefined(name)
        err = reply.get("error") or {"ename": "Exception", "evalue": ""}
        raise P.StudentError(name, err["ename"], err["evalue"])

    def has(self, name) -> bool:
        reply = self._request({"op": "has", "name": _name(name)}, self._budget(), name)
        return reply.get("result") is True

    def define(self, name, source):
        request = {"op": "define", "name": _name(name), "source": str(source), "_timeout": self.call_timeout}
        reply = self._request(request, self._budget(), name)
        if not reply["ok"]:
            err = reply.get("error") or {"ename": "Exception", "evalue": ""}
            raise P.StudentError(name, err["ename"], err["evalue"])
        self.history = [h for h in self.history if not (h["op"] == "define" and h["name"] == request["name"])]
        self.history.append(request)


def _name(name):
    if type(name) is not str or not name.isidentifier():
        raise ValueError(f"name must be a Python identifier, got {name!r}")
    return name


def _err(ename, evalue):
    return {"ename": ename, "evalue": evalue, "traceback": [f"{ename}: {evalue}"]}
