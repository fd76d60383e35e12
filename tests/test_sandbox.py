"""The sandbox the student's code runs in (ffgrader.launcher, ffgrader.sandboxed.worker, ffgrader.session).

Each test runs hostile code in a real bubblewrap sandbox and checks, from outside, what it could reach
and what a crash costs. The network test talks only to a listener on 127.0.0.1 that it starts itself.
"""

import os
import shutil
import socket
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from ffgrader import launcher as S
from ffgrader.sandboxed import wire as P
from ffgrader.session import Budget, NotDefined, OverBudget, SandboxStudent, StudentCrashed, StudentError, \
    StudentTimeout, loopback_student
from grading_support import processes_with

pytestmark = pytest.mark.xdist_group("sandbox")


@pytest.fixture(scope="module")
def libdir(tmp_path_factory):
    return S.stage_library(tmp_path_factory.mktemp("lib"), ("data",))


@pytest.fixture
def submission(tmp_path):
    d = tmp_path / "submitted" / "alice" / "hw"
    d.mkdir(parents=True)
    (d / "data.csv").write_text("1,2\n")
    return d


@pytest.fixture
def student(submission, libdir):
    s = SandboxStudent(submission, libdir, call_timeout=5).start()
    yield s
    s.close()


def run(student, source, timeout=10):
    return student.run_cell("t", source, timeout)


def probe(student, source):
    """Run ``source`` defining ``result``; return the decoded value of ``result``."""
    r = run(student, source)
    assert r.ok, r.error
    return student.value("result")


# ------------------------------------------------------------------------------------------------
# What it can see and write
# ------------------------------------------------------------------------------------------------

def test_sees_no_repository_solutions_gradebook_or_home(student, tmp_path):
    (tmp_path / "gradebook.db").write_text("secret")
    paths = [str(ROOT), str(ROOT / "solutions"), str(ROOT / "nnlib"), str(tmp_path / "gradebook.db"),
             "/root/.bashrc", "/root", "/home/alice", "/work", str(Path.home()), "/etc/passwd", "/etc/shadow",
             str(tmp_path)]
    got = probe(student, f"""
import os
result = {{}}
for p in {paths!r}:
    try:
        result[p] = sorted(os.listdir(p))[:5] if os.path.isdir(p) else open(p).read(20)
    except OSError as e:
        result[p] = type(e).__name__
""")
    for p, v in got.items():  # nothing of the host is mounted at its own path: none of these exists
        assert v == "FileNotFoundError", (p, v)


def test_no_host_path_is_visible(student):
    """Family 7: no /proc (no /proc/1/cmdline, mountinfo or environ), the interpreter, its packages and the
    worker's command line at neutral in-sandbox paths."""
    got = probe(student, """
import os, sys, numpy, sympy
result = {"proc": os.path.exists("/proc"), "argv": sys.argv, "executable": sys.executable, "path": sys.path,
          "env": sorted(os.environ.values()), "files": [numpy.__file__, sympy.__file__, os.__file__],
          "cwd": os.getcwd()}
""")
    assert got["proc"] is False
    text = repr(got)
    for host in (str(ROOT), str(Path(sys.base_prefix).resolve()), sys.prefix, "/root/", "/tmp/pytest"):
        assert host not in text, (host, text)
    assert got["cwd"] == S.WORKDIR_IN and got["executable"].startswith(S.PYTHON_IN)


def test_writes_stay_in_its_private_copy(student, submission, libdir):
    before = {p: p.read_bytes() for p in submission.iterdir()}
    hostname = socket.gethostname()
    got = probe(student, """
import os
try:  # its own UTS namespace: allowed, and invisible outside
    open("/proc/sys/kernel/hostname", "w").write("pwned")
except OSError:
    pass
result = {}
for p in ["/usr/evil", "/opt/ffgrader-lib/ffgrader/visible_tests.py", "/etc/evil", "/evil", "/bin/evil",
          "/sys/evil", "/opt/site-packages/evil", "/opt/python/evil", "/opt/submission/data.csv"]:
    try:
        open(p, "w").write("x")
        result[p] = "written"
    except OSError as e:
        result[p] = type(e).__name__
open("data.csv", "w").write("overwritten")
open("new.txt", "w").write("new")
open("/tmp/t.txt", "w").write("tmp is writable")
result["cwd"] = sorted(os.listdir("."))
""")
    assert "written" not in {v for k, v in got.items() if k != "cwd"}, got
    assert got["cwd"] == ["data.csv", "new.txt"]
    assert {p: p.read_bytes() for p in submission.iterdir()} == before  # the original is untouched
    assert "ffgrader" in os.listdir(libdir)
    assert socket.gethostname() == hostname


def test_the_sandbox_holds_only_the_worker_the_wire_and_the_visible_tests(student, libdir):
    """Issue 22: only what must run inside is staged; the trusted side is not importable there."""
    assert S.staged_files(libdir) == [
        "ffgrader/__init__.py", "ffgrader/catalog_zh_CN.py", "ffgrader/i18n.py", "ffgrader/sandboxed/__init__.py",
        "ffgrader/sandboxed/wire.py", "ffgrader/sandboxed/worker.py", "ffgrader/visible_tests.py",
        "nnlib/__init__.py", "nnlib/_checks.py", "nnlib/data.py"]
    got = probe(student, """
import importlib
result = {}
for m in ["ffgrader.sandboxed.worker", "ffgrader.visible_tests", "ffgrader.checks", "ffgrader.launcher",
          "ffgrader.session", "ffgrader.runner", "ffgrader.exprs", "ffgrader.nbgrader_pre", "ffgrader.nocalculus",
          "ffgrader.feedback_zh_CN"]:
    try:
        importlib.import_module(m)
        result[m] = "ok"
    except ImportError:
        result[m] = "ImportError"
""")
    assert got == {"ffgrader.sandboxed.worker": "ok", "ffgrader.visible_tests": "ok", "ffgrader.checks": "ImportError",
                   "ffgrader.launcher": "ImportError", "ffgrader.session": "ImportError",
                   "ffgrader.runner": "ImportError", "ffgrader.exprs": "ImportError",
                   "ffgrader.nbgrader_pre": "ImportError", "ffgrader.nocalculus": "ImportError",
                   "ffgrader.feedback_zh_CN": "ImportError"}  # the grader's catalog (the checks' hints) stays out


def test_seccomp_refuses_namespaces_mounts_keyrings_and_tracing(student):
    """Family 7: no nested user namespace (bwrap's --disable-userns and the seccomp filter), no mount, no
    keyring, no ptrace; ordinary processes still work."""
    got = probe(student, """
import ctypes, os, subprocess
libc = ctypes.CDLL(None, use_errno=True)
result = {}
for name, call in (("unshare_user", lambda: libc.unshare(0x10000000)),
                   ("unshare_mount", lambda: libc.unshare(0x00020000)),
                   ("mount", lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)),
                   ("keyctl", lambda: libc.syscall(250, 0, 0, 0, 0, 0)),
                   ("ptrace", lambda: libc.ptrace(0, 0, None, None)),
                   ("bpf", lambda: libc.syscall(321, 0, 0, 0))):
    rc = call()
    result[name] = (rc, os.strerror(ctypes.get_errno()) if rc == -1 else "")
result["subprocess"] = subprocess.run(["/usr/bin/true"]).returncode
pid = os.fork()
if pid == 0:
    os._exit(7)
result["fork"] = os.waitpid(pid, 0)[1] >> 8
""")
    for name in ("unshare_user", "unshare_mount", "mount", "keyctl", "ptrace", "bpf"):
        assert got[name] == [-1, "Operation not permitted"] or got[name] == (-1, "Operation not permitted"), \
            (name, got[name])
    assert got["subprocess"] == 0 and got["fork"] == 7


def test_the_work_directory_lives_in_the_sandbox_and_is_capped(submission, libdir):
    """Family 5: bytes end at the tmpfs's size (nothing reaches the host's disk), files at the file cap
    (counted from outside while the cell runs: the cell is stopped, the rest goes on)."""
    limits = S.Limits(work_mb=16, work_files=500)
    s = SandboxStudent(submission, libdir, limits=limits, call_timeout=5).start()
    try:
        host_copy = s._workdir
        r = s.run_cell("bytes", """
written = 0
try:
    for i in range(64):
        with open(f"big{i}.bin", "wb") as f:
            f.write(b"x" * 2**20)
        written += 1
except OSError as e:
    print(written, type(e).__name__, e.errno)
""", 20)
        assert r.ok and r.stdout.split()[1:] == ["OSError", "28"], r  # ENOSPC
        assert int(r.stdout.split()[0]) <= 16
        assert sum(f.stat().st_size for f in host_copy.rglob("*") if f.is_file()) < 2**20  # the host copy as it was
        r = s.run_cell("files", "import os\nos.makedirs('junk')\nfor i in range(100_000):\n"
                                "    open(f'junk/{i}', 'w').close()\n", 30)
        assert not r.ok and r.crashed and "more than 500 files" in r.error["evalue"], r.error
        assert s.run_cell("after", "x = 2", 10).ok and s.value("x") == 2
    finally:
        s.close()


def test_environment_and_identity_are_its_own(student, monkeypatch):
    got = probe(student, """
import os, socket
result = {"uid": os.getuid(), "env": sorted(os.environ), "home": os.environ["HOME"], "host": socket.gethostname()}
""")
    assert got["uid"] == 1000 and got["home"] == "/home/student" and got["host"] == "sandbox"
    assert not [k for k in got["env"] if k.startswith(("JUPYTER", "NBGRADER", "VIRTUAL_ENV", "SSH", "PYTEST"))]


def test_only_the_allowed_nnlib_modules_import(student):
    got = probe(student, """
result = {}
for m in ["nnlib.data", "nnlib.activations", "nnlib.layers", "nnlib.grading"]:
    try:
        __import__(m)
        result[m] = "ok"
    except ImportError as e:
        result[m] = "ImportError"
""")
    assert got == {"nnlib.data": "ok", "nnlib.activations": "ImportError", "nnlib.layers": "ImportError",
                   "nnlib.grading": "ImportError"}


def test_no_network_not_even_the_hosts_loopback(student):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    port = srv.getsockname()[1]
    try:
        got = probe(student, f"""
import socket
s = socket.socket()
s.settimeout(3)
try:
    s.connect(("127.0.0.1", {port}))
    result = "connected"
except OSError as e:
    result = type(e).__name__
""")
        assert got in ("ConnectionRefusedError", "OSError", "TimeoutError"), got
        # A connection that reached the listener would be complete in its backlog before connect() returned:
        # nothing to wait for.
        srv.setblocking(False)
        with pytest.raises(BlockingIOError):
            srv.accept()
        c = socket.create_connection(("127.0.0.1", port), timeout=3)  # the listener itself works
        srv.settimeout(10)
        srv.accept()[0].close()
        c.close()
    finally:
        srv.close()


# ------------------------------------------------------------------------------------------------
# What a misbehaving cell or call costs: that cell or that call, nothing else
# ------------------------------------------------------------------------------------------------

DEFINE = "import numpy as np\ndef f(z):\n    return 2 * z\n"
BOMBS = {
    "infinite loop": "while True:\n    pass\n",
    "SIGINT ignored": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n",
    "os._exit": "import os\nos._exit(0)\n",
    "exit()": "exit()\n",
    "segfault": "import ctypes\nctypes.string_at(0)\n",
    "memory bomb": "a = []\nwhile True:\n    a.append(bytearray(10**8))\n",
    "fork bomb": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
    "SIGKILL self": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
}


@pytest.mark.parametrize("kind", list(BOMBS))
def test_a_bomb_costs_its_cell_only(student, kind):
    assert run(student, DEFINE).ok
    r = run(student, BOMBS[kind], timeout=4)
    if kind == "SIGKILL self":  # the worker is the PID namespace's init: a signal from inside does nothing
        assert r.ok, r.error
    else:
        assert not r.ok and r.error["ename"] in ("CellTimeout", "WorkerCrashed", "MemoryError", "SystemExit",
                                                 "BlockingIOError", "NameError"), (kind, r.error)
    after = run(student, "g = f(3)")
    assert after.ok, after.error
    assert student.value("g") == 6
    assert np.array_equal(student.call("f", np.arange(3.0)), [0.0, 2.0, 4.0])


def test_a_hanging_or_crashing_call_costs_that_call(student):
    assert run(student, DEFINE + "def hang(x):\n    while True:\n        pass\n"
                                 "def die(x):\n    import os\n    os._exit(3)\n").ok
    student.call_timeout = 1.5
    with pytest.raises(StudentTimeout):
        student.call("hang", 1.0)
    with pytest.raises(StudentCrashed):
        student.call("die", 1.0)
    assert student.call("f", 2.5) == 5.0  # definitions were replayed in the new sandbox
    assert student.timings.restarts == 2


def test_detached_processes_are_gone_afterwards(submission, libdir):
    marker = str(900000 + os.getpid() % 10000)
    s = SandboxStudent(submission, libdir, call_timeout=5).start()
    cgroups = list(s._box.cgroups)
    r = s.run_cell("detach", f"""
import os, subprocess
subprocess.Popen(["/usr/bin/sleep", "{marker}"], start_new_session=True, stdout=subprocess.DEVNULL)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/usr/bin/sleep", ["sleep", "{marker}"])
    os._exit(0)
""", 10)
    assert r.ok, r.error
    for _ in range(100):  # a loaded machine may not have exec'd the sleeps yet when the cell returns
        if len(processes_with(marker)) >= 2:
            break
        time.sleep(0.05)
    assert len(processes_with(marker)) >= 2, "the detached sleeps should run while the sandbox lives"
    s.close()
    for _ in range(100):  # killing the PID namespace's first process ends the rest: wait for it, no longer
        if not processes_with(marker):
            break
        time.sleep(0.05)
    assert processes_with(marker) == []
    assert all(not c.exists() for c in cgroups)


def test_limits_are_applied(student):
    got = probe(student, """
import resource
result = {"fsize": resource.getrlimit(resource.RLIMIT_FSIZE)[0], "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0]}
try:
    open("big.bin", "wb").write(b"x" * (80 * 2**20))
    result["big"] = "written"
except OSError as e:
    result["big"] = type(e).__name__
""")
    assert got["fsize"] == S.Limits().file_mb * 2**20 and got["nofile"] == S.Limits().open_files
    assert got["big"] != "written"


def test_forged_protocol_bytes_cost_only_that_cell(student):
    """The student's code shares the worker's process: writing to the reply pipe is possible, and useless."""
    assert run(student, DEFINE).ok
    r = run(student, """
import os, sys, json, struct
fd = int(sys.argv[2])
fake = json.dumps({"id": 99, "ok": True, "stdout": "all checks passed", "stderr": ""}).encode()
os.write(fd, struct.pack(">I", len(fake)) + fake)
""")
    assert not r.ok and r.crashed and r.error["ename"] == "WorkerCrashed"
    assert student.call("f", 1.0) == 2.0
    r = run(student, "import os, sys\nos.write(int(sys.argv[2]), b'\\xff' * 4)\n")
    assert not r.ok and r.crashed
    assert student.call("f", 1) == 2


def test_results_are_plain_data_only(student):
    assert run(student, """
import numpy as np, sympy as sp
class Liar(float):
    def __eq__(self, other):
        return True
class Sub(np.ndarray):
    pass
def liar():
    return Liar(0.0)
def sub():
    return np.arange(3.0).view(Sub)
def fn():
    return lambda: 0
def expr():
    z = sp.Symbol("z")
    return sp.exp(z) + 1
def printer():
    print("to stdout")
    os.write(1, b"straight to fd 1")
    return 1
import os
""").ok
    assert isinstance(student.call("liar"), P.Opaque) and student.call("liar").type_name == "Liar"
    got = student.call("sub")
    assert type(got) is np.ndarray and got.tolist() == [0.0, 1.0, 2.0]  # only the data crossed
    assert isinstance(student.call("fn"), P.Opaque)
    assert isinstance(student.call("expr"), P.Expr) and "exp(Symbol('z'))" in student.call("expr").text
    assert student.call("printer") == 1
    with pytest.raises(NotDefined):
        student.call("nothing")
    with pytest.raises(StudentError, match=r"float64 array of shape \(2, 2\)"):
        run(student, "def bad(x):\n    return x @ np.ones(3)\n")
        student.call("bad", np.ones((2, 2)))


def test_cell_outputs_are_captured_per_cell(student):
    r = run(student, "import warnings\nprint('hello')\nwarnings.warn('careful')\n1 + 1")
    assert r.ok and r.stdout == "hello\n" and "careful" in r.stderr and r.display == "2"
    r = run(student, "raise ValueError('wrong shape')")
    assert not r.ok and r.error["ename"] == "ValueError" and r.error["evalue"] == "wrong shape"
    assert not any("ffgrader" in line or "/work/" in line for line in r.error["traceback"]), r.error["traceback"]


def test_refuses_without_bubblewrap(monkeypatch):
    monkeypatch.setattr(S.shutil, "which", lambda name: None)
    monkeypatch.setattr(S.os.path, "exists", lambda p: False)
    with pytest.raises(S.SandboxUnavailable, match="bwrap.*make sandbox-deps"):
        S.check_available()


def test_a_submission_symlink_is_not_followed(tmp_path, libdir):
    d = tmp_path / "sub"
    d.mkdir()
    secret = tmp_path / "checks_secret.py"
    secret.write_text("HIDDEN = 42")
    (d / "link.py").symlink_to(secret)
    (d / "checks.py").write_text("instructor only")
    copy = S.private_copy(d)  # a new temporary directory: removed here, as SandboxStudent.close does
    try:
        assert sorted(os.listdir(copy)) == []
    finally:
        shutil.rmtree(copy)


def test_markers_become_plain_callables_in_the_worker(student):
    """What a check may hand the student: Fn (a whitelisted numpy expression), Seq, Lookup, Partial, Held."""
    assert run(student, "import numpy as np\ndef ap(f, *a):\n    return f(*a)\n"
                        "def both(f):\n    return [f(1, 2), f(3, 4)]\ndef scale(x, k):\n    return k * x\n").ok
    x = np.linspace(0, 1, 5)
    assert np.allclose(student.call("ap", P.Fn(("x",), "np.sin(2 * np.pi * x) + c", {"c": 1.0}), x),
                       np.sin(2 * np.pi * x) + 1.0)
    assert student.call("both", P.Seq([10, 20])) == [10, 20]
    assert student.call("ap", P.Lookup(1, [(3, "three"), (5, "five")]), "f", 5) == "five"
    assert np.allclose(student.call("ap", P.Partial("scale", (3.0,)), x), 3 * x)
    kept = student.call("scale", np.ones(2), 2.0, keep=True)
    assert np.allclose(student.call("ap", P.Partial("scale", (kept.held(),)), 5.0), [10.0, 10.0])
    with pytest.raises(StudentError, match="IndexError"):
        student.call("both", P.Seq([1]))


def test_loopback_runs_the_real_worker_and_protocol():
    s = loopback_student(call_timeout=5).start()
    try:
        assert s.run_cell("a", "import numpy as np\ndef f(x):\n    return np.asarray(x) * 2\n", 10).ok
        assert np.array_equal(s.call("f", [1.0, 2.0]), [2.0, 4.0])
        assert isinstance(s.call("f", P.Sym("z")), P.Expr)
        r = s.run_cell("b", "while True:\n    pass\n", 1)
        assert r.crashed and r.error["ename"] == "CellTimeout"
        assert s.call("f", 3) == 6  # a new worker, the history replayed
    finally:
        s.close()


def test_the_clean_twin_has_run_the_cells_and_answered_nothing_else():
    """``clean()``: the worker a check's glue talks to knows nothing of the calls made to the first one (a student's
    function that counts its calls starts from zero there); one twin while the cells stay the same, a new one after
    another cell ran, closed with the first, and its first start is no restart."""
    s = loopback_student(call_timeout=5).start()
    try:
        assert s.run_cell("a", "_seen = []\ndef f():\n    _seen.append(1)\n    return len(_seen)\n", 10).ok
        assert [s.call("f") for _ in range(3)] == [1, 2, 3]
        twin = s.clean()
        assert twin.call("f") == 1 and twin.call("f") == 2 and s.call("f") == 4
        assert s.clean() is twin and twin.timings.restarts == 0 and s.timings.restarts == 0
        assert s.run_cell("b", "def g():\n    return len(_seen)\n", 10).ok
        again = s.clean()
        assert again is not twin and twin._box is None and again.call("g") == 0
    finally:
        s.close()
    assert again._box is None


def test_a_replay_cut_short_by_the_budget_is_not_dropped(submission, libdir):
    """A cell replayed after a restart, stopped because the cells' budget ran out (not by its own timeout), stays
    in the history: the checks replay it with their own budget (before, an honest imports cell was lost that way,
    and every part that needed it scored 0)."""
    budget = Budget(cells_seconds=5.0)
    s = SandboxStudent(submission, libdir, call_timeout=30, budget=budget).start()
    try:
        budget.begin("cells")
        slow = "import time\n_t = time.monotonic()\nwhile time.monotonic() - _t < 2:\n    pass\ndef f(x):\n    return 2 * x\n"
        assert s.run_cell("slow", slow, 30).ok
        assert s.run_cell("hang", "while True:\n    pass\n", 2).error["ename"] == "CellTimeout"
        assert s.run_cell("next", "g = 1\n", 30).error["ename"] == "NotRun"  # the replay of `slow` ran out
        budget.begin("checks")
        assert s.call("f", 3) == 6
    finally:
        s.close()


def test_a_notebook_budget_costs_only_what_was_not_run(submission, libdir):
    """Family 5: the cells' total time and the bytes read from the worker are capped per notebook."""
    budget = Budget(cells_seconds=4.0, received_bytes=2**20)
    s = SandboxStudent(submission, libdir, call_timeout=5, budget=budget).start()
    try:
        budget.begin("cells")
        assert s.run_cell("ok", "import numpy as np\ndef big():\n    return np.zeros(300_000)\n", 5).ok
        results = [s.run_cell(f"hang{k}", "while True:\n    pass\n", 2) for k in range(4)]
        assert results[0].error["ename"] == "CellTimeout"
        assert results[-1].error["ename"] == "NotRun" and "time budget of 4 s" in results[-1].error["evalue"]
        budget.begin("checks")
        with pytest.raises(OverBudget, match="more than 1 MiB"):
            s.call("big")
    finally:
        s.close()
