"""The process that runs a student's notebook inside the sandbox:
``python -m ffgrader.sandboxed.worker IN OUT [SUBMISSION]``.

It reads requests from file descriptor IN and writes replies to OUT (frames of ``wire``); the student's
prints go to a per-request capture, never to the protocol channel. Nothing here is trusted by the grader:
the student's code runs in this very process and may patch any of it. What this module guarantees is only
that an *honest* notebook's results are encoded faithfully. It receives no code from the grader: cells come
from the submission itself, and a call's arguments are plain data and the markers of ``wire``.

Requests: {"id", "op": "exec", "label", "source"} | {"id", "op": "call", "name", "args", "kwargs"} |
{"id", "op": "value"|"has", "name"} | {"id", "op": "ping"}.
"""

from __future__ import annotations

import ast
import io
import os
import shutil
import sys
import traceback
from collections import OrderedDict

import numpy as np

from ffgrader.sandboxed import wire as P

CAPTURE_LIMIT = 100_000  # characters of stdout/stderr kept per request
KEPT_RESULTS = 32        # results of the latest calls the grader may hand back (Held)
_CELL_PREFIX = "<cell "


class _Capture(io.TextIOBase):
    """A text stream keeping the first CAPTURE_LIMIT characters written to it."""

    def __init__(self):
        self.parts, self.size, self.dropped = [], 0, False

    def writable(self):
        return True

    def write(self, s):
        s = str(s)
        room = CAPTURE_LIMIT - self.size
        if room > 0:
            self.parts.append(s[:room])
            self.size += min(len(s), room)
        if len(s) > room:
            self.dropped = True
        return len(s)

    def text(self):
        return "".join(self.parts) + ("\n[output truncated]" if self.dropped else "")


class Worker:
    def __init__(self, fd_in, fd_out, submission=None):
        self.submission = submission  # copied into the work directory when the first request arrives
        self.rin = os.fdopen(fd_in, "rb", buffering=0)
        self.fd_out = fd_out
        self.ns = {"__name__": "__main__", "__builtins__": __builtins__}
        self.kept = OrderedDict()  # request id -> raw result of a call

    # -- channel ---------------------------------------------------------------------------------
    def _read_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.rin.read(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def receive(self):
        n = P.unframe_header(self._read_exact(4))
        return P.parse_frame(self._read_exact(n))

    def send(self, msg):
        data = P.frame(msg)
        view = memoryview(data)
        while view:
            k = os.write(self.fd_out, view)
            view = view[k:]

    # -- requests --------------------------------------------------------------------------------
    def serve(self):
        while True:
            try:
                req = self.receive()
            except EOFError:
                return
            if self.submission is not None:
                # Not before: a worker started ahead of need (ffgrader.pool) gets its submission's files when the
                # grader hands it to a student, i.e. just before that student's first request.
                if os.path.isdir(self.submission):  # the submission's files (read-only) -> the work directory
                    shutil.copytree(self.submission, os.getcwd(), symlinks=True, dirs_exist_ok=True)
                self.submission = None
            reply = {"id": req.get("id", -1), "ok": True}
            out, err = _Capture(), _Capture()
            saved = sys.stdout, sys.stderr
            sys.stdout, sys.stderr = out, err
            try:
                reply.update(getattr(self, "op_" + req["op"])(req))
            except BaseException as e:  # noqa: BLE001 - a student exception of any kind is a reply
                reply["ok"] = False
                reply["error"] = _error(e)
            finally:
                sys.stdout, sys.stderr = saved
            reply["stdout"], reply["stderr"] = out.text(), err.text()
            try:
                self.send(reply)
            except (TypeError, ValueError) as e:  # result not JSON-able after all
                self.send({"id": reply["id"], "ok": False, "stdout": reply["stdout"], "stderr": reply["stderr"],
                           "error": {"ename": "ResultError", "evalue": str(e)[:500], "traceback": []}})

    def op_ping(self, req):
        return {}

    def op_exec(self, req):
        tree = ast.parse(req["source"], filename=f"{_CELL_PREFIX}{req['label']}>")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        filename = f"{_CELL_PREFIX}{req['label']}>"
        exec(compile(tree, filename, "exec"), self.ns)  # noqa: S102 - this process IS the student's
        display = None
        if last is not None:
            value = eval(compile(ast.Expression(last.value), filename, "eval"), self.ns)  # noqa: S307
            if value is not None:
                display = repr(value)[:CAPTURE_LIMIT]
        return {"display": display}

    def _lookup(self, name):
        if name in self.ns:
            return self.ns[name]
        raise LookupError(name)

    def op_has(self, req):
        return {"result": P.encode(req["name"] in self.ns)}

    def op_value(self, req):
        try:
            value = self._lookup(req["name"])
        except LookupError:
            return {"ok": False, "notdefined": True}
        return {"result": P.encode(to_plain(value))}

    def op_call(self, req):
        try:
            fn = self._lookup(req["name"])
        except LookupError:
            return {"ok": False, "notdefined": True}
        if not callable(fn):
            return {"ok": False, "notdefined": True,
                    "error": {"ename": "TypeError", "evalue": f"{req['name']} is a {type(fn).__name__}, not a function",
                              "traceback": []}}
        args = [self._resolve(a) for a in P.decode(req["args"])]
        kwargs = {k: self._resolve(v) for k, v in P.decode(req["kwargs"]).items()}
        result = fn(*args, **kwargs)
        self.kept[req["id"]] = result
        while len(self.kept) > KEPT_RESULTS:
            self.kept.popitem(last=False)
        return {"result": P.encode(to_plain(result))}

    def _resolve(self, v):
        t = type(v)
        if t is P.Sym:
            import sympy   # on demand: SymPy's import is about half of a worker's start, and most parts never need it
            return sympy.Symbol(v.name, **v.assumptions)
        if t is P.Rng:
            return np.random.default_rng(v.seed)
        if t is P.Ref:
            return self._lookup(v.name)
        if t is P.Fn:
            return P.compile_fn(v)
        if t is P.Seq:
            return _sequence([self._resolve(x) for x in v.values])
        if t is P.Lookup:
            return _table(v.index, [(k, self._resolve(x)) for k, x in v.pairs])
        if t is P.Partial:
            bound = [self._resolve(x) for x in v.args]
            name = v.name
            return lambda *a, **k: self._lookup(name)(*a, *bound, **k)
        if t is P.Held:
            if v.request_id not in self.kept:
                raise LookupError(f"the result of request {v.request_id} is no longer kept")
            value = self.kept[v.request_id]
            for step in v.path:
                value = value[step]
            return value
        if t is list:
            return [self._resolve(x) for x in v]
        if t is tuple:
            return tuple(self._resolve(x) for x in v)
        if t is dict:
            return {k: self._resolve(x) for k, x in v.items()}
        return v


def _sequence(values):
    calls = iter(range(len(values)))

    def next_value(*args, **kwargs):
        k = next(calls, None)
        if k is None:
            raise IndexError(f"this function may be called {len(values)} time(s); it was called once more")
        return P.fresh(values[k])

    return next_value


def _table(index, pairs):
    def value_for(*args, **kwargs):
        if len(args) <= index:
            raise TypeError(f"this function needs at least {index + 1} positional argument(s)")
        key = args[index]
        for k, v in pairs:
            if type(key) is not bool and key == k:
                return P.fresh(v)
        raise KeyError(f"no value for argument {key!r} (known: {[k for k, _ in pairs]})")

    return value_for


def to_plain(value, depth=0):
    """The plain-data form of a result: exact builtin/numpy types, SymPy as srepr text, else Opaque."""
    t = type(value)
    if depth > P.MAX_DEPTH:
        return P.Opaque(t.__name__, "nested too deeply")
    if value is None or t in (bool, int, float, str):
        return value
    if t in (np.float64, np.float32, np.float16, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
             np.uint32, np.uint64, np.bool_):
        return value.item()
    if isinstance(value, np.ndarray):
        base = np.ndarray.copy(np.ndarray.view(value, np.ndarray))  # only the data of a subclass
        if base.dtype.name not in P.DTYPES:
            return P.Opaque(f"ndarray of dtype {base.dtype}", f"shape {base.shape}")
        return base
    if t in (list, tuple):
        return t(to_plain(v, depth + 1) for v in value)
    if t is dict and all(type(k) is str for k in value):
        return {k: to_plain(v, depth + 1) for k, v in value.items()}
    sympy = sys.modules.get("sympy")     # a SymPy object exists only if something imported SymPy
    if sympy is not None and isinstance(value, sympy.Basic):
        return P.Expr(sympy.srepr(value))
    try:
        text = repr(value)[:80]
    except Exception:  # noqa: BLE001
        text = "?"
    return P.Opaque(t.__name__[:100], text)


def _error(e):
    """An nbformat-like error for exception ``e``, with only the student's cell frames in the traceback."""
    tb = e.__traceback__
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith(_CELL_PREFIX):
        tb = tb.tb_next  # skip this module's frames
    try:
        lines = traceback.format_exception(type(e), e, tb)
        evalue = str(e)
    except Exception:  # noqa: BLE001 - a student exception whose __str__ raises
        lines, evalue = [type(e).__name__], "?"
    return {"ename": type(e).__name__[:200], "evalue": evalue[:20_000],
            "traceback": [line[:2000] for line in "".join(lines).splitlines()][-100:]}


def main(argv):
    fd_in, fd_out = int(argv[1]), int(argv[2])
    for fd in (fd_in, fd_out):
        os.set_inheritable(fd, False)  # not passed on to any subprocess the student starts
    Worker(fd_in, fd_out, argv[3] if len(argv) > 3 else None).serve()


if __name__ == "__main__":
    main(sys.argv)
