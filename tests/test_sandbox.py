"""The sandbox the student's code runs in (ffgrader.sandbox, ffgrader.worker, ffgrader.session).

Each test runs hostile code in a real bubblewrap sandbox and checks, from outside, what it could reach
and what a crash costs. The network test talks only to a listener on 127.0.0.1 that it starts itself.
"""

import os
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from ffgrader import protocol as P
from ffgrader import sandbox as S
from ffgrader.session import SandboxStudent
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
             "/root/.bashrc", "/root", "/home", "/work", str(Path.home()), "/etc/passwd", "/etc/shadow"]
    got = probe(student, f"""
import os
result = {{}}
for p in {paths!r}:
    try:
        result[p] = sorted(os.listdir(p))[:5] if os.path.isdir(p) else open(p).read(20)
    except OSError as e:
        result[p] = type(e).__name__
""")
    # Directories above the read-only Python mounts exist but hold only those mounts.
    mount_parents = {"/root": [".pyenv"], "/home": ["student"], "/work": [ROOT.name], str(ROOT): [".venv"],
                     str(Path.home()): [".pyenv"]}
    for p, v in got.items():
        if p in mount_parents and isinstance(v, list):
            assert v == mount_parents[p], (p, v)
        else:
            assert v in ("FileNotFoundError", "PermissionError"), (p, v)


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
for p in ["/usr/evil", "/opt/ffgrader-lib/ffgrader/checks.py", "/etc/evil", "/evil", "/bin/evil",
          "/sys/evil", "/work/main/.venv/evil"]:
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


def test_environment_and_identity_are_its_own(student, monkeypatch):
    got = probe(student, """
import os, socket
result = {"uid": os.getuid(), "env": sorted(os.environ), "home": os.environ["HOME"], "host": socket.gethostname(),
          "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())}
""")
    assert got["uid"] == 1000 and got["home"] == "/tmp/home" and got["host"] == "sandbox"
    assert not [k for k in got["env"] if k.startswith(("JUPYTER", "NBGRADER", "VIRTUAL_ENV", "SSH", "PYTEST"))]
    assert len(got["pids"]) <= 3  # bwrap's init and the worker: no host process is visible


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
    accepted = []
    threading.Thread(target=lambda: accepted.append(srv.accept()), daemon=True).start()
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
        time.sleep(0.2)
        assert not accepted
        c = socket.create_connection(("127.0.0.1", port), timeout=3)  # the listener itself works
        c.close()
        time.sleep(0.2)
        assert accepted
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
    assert not r.ok and r.error["ename"] in ("CellTimeout", "WorkerCrashed", "MemoryError", "SystemExit",
                                             "BlockingIOError"), (kind, r.error)
    after = run(student, "g = f(3)")
    assert after.ok, after.error
    assert student.value("g") == 6
    assert np.array_equal(student.call("f", np.arange(3.0)), [0.0, 2.0, 4.0])


def test_a_hanging_or_crashing_call_costs_that_call(student):
    assert run(student, DEFINE + "def hang(x):\n    while True:\n        pass\n"
                                 "def die(x):\n    import os\n    os._exit(3)\n").ok
    student.call_timeout = 1.5
    with pytest.raises(P.StudentTimeout):
        student.call("hang", 1.0)
    with pytest.raises(P.StudentCrashed):
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
    time.sleep(0.3)
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
    with pytest.raises(P.NotDefined):
        student.call("nothing")
    with pytest.raises(P.StudentError, match=r"float64 array of shape \(2, 2\)"):
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
    copy = S.private_copy(d)
    assert sorted(os.listdir(copy)) == []
