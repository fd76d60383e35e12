"""Start the worker inside a bubblewrap sandbox, talk to it over two pipes, kill all of it at the end.

What the sandbox sees (everything else of the host does not exist in it):
- read-only: /usr (and the /bin, /lib* links), /etc/ld.so.cache, the Python installation
  (``sys.base_prefix``) and this virtualenv (for numpy/sympy), and a staged library directory with
  the ``ffgrader`` package and only the nnlib modules the assignment allows;
- read-write: a private copy of the submission directory (/home/student/work, thrown away after),
  and an empty /tmp; its own /proc (only its own processes) and a minimal /dev;
- no network (own network namespace: even the host's 127.0.0.1 is unreachable), no IPC, no UTS,
  own PID namespace (when its first process exits, every process in it is killed), no capabilities,
  user 1000 inside, a new session (no terminal to inject into).
Limits: a cgroup per sandbox (pids.max, memory.limit_in_bytes) when /sys/fs/cgroup is writable,
else RLIMIT_NPROC; always RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NOFILE, RLIMIT_CORE=0.
"""

from __future__ import annotations

import ast
import errno
import fcntl
import itertools
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ffgrader import protocol as P

FFGRADER_DIR = Path(__file__).resolve().parent
WORKDIR_IN = "/home/student/work"
LIBDIR_IN = "/opt/ffgrader-lib"
_counter = itertools.count()


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot start here: autograding refuses instead of running student code unprotected."""


class ChannelClosed(Exception):
    """The worker's end of the pipes is gone (it died) or it sent something that breaks the protocol."""


class ChannelTimeout(Exception):
    """No complete reply before the deadline."""


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 1536          # cgroup memory limit (resident), and the basis of RLIMIT_AS
    address_space_mb: int = 6144   # virtual memory (numpy/OpenBLAS reserve more than they use)
    pids: int = 64                 # processes + threads in the sandbox
    cpu_seconds: int = 600         # CPU time of the worker over its whole life (timeouts are per request)
    file_mb: int = 64              # largest file the student may write
    open_files: int = 256


def bwrap_path(configured: str | None = None) -> str:
    """The bwrap executable: ``configured`` if given (it must exist), else from PATH or /usr/bin."""
    if configured:
        path = configured if os.access(configured, os.X_OK) else None
    else:
        path = shutil.which("bwrap") or ("/usr/bin/bwrap" if os.path.exists("/usr/bin/bwrap") else None)
    if path is None:
        raise SandboxUnavailable(f"bwrap (bubblewrap) not found{f' at {configured}' if configured else ''}: "
                                 "run `make sandbox-deps` "
                                 "(or `apt-get install -y bubblewrap` as root); autograding refuses to run "
                                 "student code without the sandbox")
    return path


def check_available(bwrap: str | None = None) -> None:
    """Raise SandboxUnavailable naming what is missing, or return when a trial sandbox starts."""
    bwrap = bwrap_path(bwrap)
    proc = subprocess.run([bwrap, *_isolation_args(), "--ro-bind", "/usr", "/usr", *_usr_links(), "/usr/bin/true"],
                          capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        raise SandboxUnavailable(f"bubblewrap cannot create the sandbox here (rc={proc.returncode}: "
                                 f"{proc.stderr.strip()[:300]}); user namespaces must be allowed "
                                 "(sysctl kernel.unprivileged_userns_clone=1)")


def _isolation_args():
    return ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--uid", "1000", "--gid", "1000", "--hostname", "sandbox"]


def _usr_links():
    out = []
    for name in ("bin", "sbin", "lib", "lib64", "lib32", "libx32"):
        p = Path("/") / name
        if p.is_symlink():
            out += ["--symlink", os.readlink(p), f"/{name}"]
        elif p.is_dir():
            out += ["--ro-bind", str(p), f"/{name}"]
    return out


# ------------------------------------------------------------------------------------------------
# The staged library directory
# ------------------------------------------------------------------------------------------------

def stage_library(dest: Path, nnlib_allowed=(), nnlib_dir: Path | None = None) -> Path:
    """Copy ffgrader and the allowed nnlib modules (plus the nnlib modules they import) into dest.

    nnlib's own ``__init__`` is replaced by an empty one, so only the staged modules exist in the sandbox.
    """
    dest = Path(dest)
    (dest / "ffgrader").mkdir(parents=True, exist_ok=True)
    for f in FFGRADER_DIR.glob("*.py"):
        shutil.copy2(f, dest / "ffgrader" / f.name)
    if not nnlib_allowed:
        return dest
    if nnlib_dir is None:
        import nnlib  # the trusted process imports it to find it

        nnlib_dir = Path(nnlib.__file__).parent
    pkg = dest / "nnlib"
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text('"""nnlib modules this assignment allows (staged by ffgrader)."""\n')
    todo, done = list(nnlib_allowed), set()
    while todo:
        unit = todo.pop()
        if unit in done:
            continue
        src_dir, src_file = nnlib_dir / unit, nnlib_dir / f"{unit}.py"
        if src_dir.is_dir() and (src_dir / "__init__.py").is_file():
            shutil.copytree(src_dir, pkg / unit, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                            dirs_exist_ok=True)
            files = [(f, ["nnlib", unit, *f.relative_to(src_dir).with_suffix("").parts]) for f in src_dir.rglob("*.py")]
        elif src_file.is_file():
            shutil.copy2(src_file, pkg / src_file.name)
            files = [(src_file, ["nnlib", unit])]
        else:
            raise ValueError(f"NNLIB_ALLOWED names nnlib.{unit}, which does not exist")
        done.add(unit)
        for f, modpath in files:
            todo += _nnlib_units(f.read_text(), modpath)
    return dest


def _nnlib_units(source, modpath):
    """Top-level nnlib units (``_checks``, ``activations``) imported by the module ``modpath`` (a list)."""
    is_pkg = modpath[-1] == "__init__"
    package = modpath[:-1]  # the package a relative import starts from
    if is_pkg:
        modpath = modpath[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        targets = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                full = base + (node.module.split(".") if node.module else [])
            else:
                full = (node.module or "").split(".")
            targets = [full + [a.name] for a in node.names] if len(full) == 1 else [full]
        elif isinstance(node, ast.Import):
            targets = [a.name.split(".") for a in node.names]
        for t in targets:
            if len(t) >= 2 and t[0] == "nnlib":
                found.append(t[1])
    return found


# ------------------------------------------------------------------------------------------------
# cgroups
# ------------------------------------------------------------------------------------------------

def _own_cgroup(controller):
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, names, path = line.split(":", 2)
            if controller in names.split(","):
                return Path("/sys/fs/cgroup") / controller / path.lstrip("/")
    except OSError:
        pass
    return None


def _sweep_stale(parent: Path):
    """Remove cgroups left by a grading process that was killed before it could clean up (they are empty:
    their sandboxes died with the grader's pipes and PID namespaces)."""
    for path in parent.glob("ffgrader-*-*"):
        try:
            pid = int(path.name.split("-")[1])
        except ValueError:
            continue
        if pid != os.getpid() and not Path(f"/proc/{pid}").exists():
            _remove_cgroup(path)


def _make_cgroups(limits: Limits) -> list[Path]:
    """Per-sandbox cgroups nested under this process's own ones; [] where not writable."""
    made = []
    tag = f"ffgrader-{os.getpid()}-{next(_counter)}"
    for controller, settings in (("pids", {"pids.max": limits.pids}),
                                 ("memory", {"memory.limit_in_bytes": limits.memory_mb * 2**20,
                                             "memory.swappiness": 0})):
        parent = _own_cgroup(controller)
        if parent is None or not os.access(parent, os.W_OK):
            continue
        _sweep_stale(parent)
        path = parent / tag
        try:
            path.mkdir()
            for k, v in settings.items():
                try:
                    (path / k).write_text(str(v))
                except OSError:
                    if k != "memory.swappiness":
                        raise
            made.append(path)
        except OSError:
            _remove_cgroup(path)
    return made


def _kill_cgroup(path: Path):
    for _ in range(50):
        try:
            pids = [int(p) for p in (path / "cgroup.procs").read_text().split()]
        except OSError:
            return
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)


def _remove_cgroup(path: Path):
    for _ in range(50):
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            _kill_cgroup(path)
            time.sleep(0.02)


# ------------------------------------------------------------------------------------------------
# The sandbox
# ------------------------------------------------------------------------------------------------

class Sandbox:
    """One worker process in one sandbox. ``request(msg, timeout)`` sends a frame and waits for one."""

    def __init__(self, workdir: Path, libdir: Path, limits: Limits = Limits(), bwrap: str | None = None):
        self.workdir, self.libdir, self.limits, self.bwrap = Path(workdir), Path(libdir), limits, bwrap
        self.proc = None
        self.cgroups: list[Path] = []

    def command(self, fd_in: int, fd_out: int) -> list[str]:
        python = Path(sys.executable)  # the venv's python: its pyvenv.cfg finds the site-packages
        prefixes = sorted({os.path.realpath(sys.base_prefix), sys.prefix})
        # /tmp first: a course (and its venv) may itself live under /tmp, and bwrap applies mounts in order,
        # so the prefixes bound below stay visible on top of the empty /tmp.
        args = [bwrap_path(self.bwrap), *_isolation_args(), "--ro-bind", "/usr", "/usr", *_usr_links(),
                "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", "/tmp/home"]
        for etc in ("/etc/ld.so.cache", "/etc/localtime"):
            if os.path.exists(etc):
                args += ["--ro-bind", etc, etc]
        for p in prefixes:
            args += ["--ro-bind", p, p]
        if sys.base_prefix != os.path.realpath(sys.base_prefix):
            args += ["--symlink", os.path.realpath(sys.base_prefix), sys.base_prefix]
        args += ["--bind", str(self.workdir), WORKDIR_IN, "--ro-bind", str(self.libdir), LIBDIR_IN,
                 "--remount-ro", "/", "--chdir", WORKDIR_IN, "--clearenv"]
        env = {"HOME": "/tmp/home", "PATH": "/usr/bin:/bin", "PYTHONPATH": LIBDIR_IN, "LANG": "C.UTF-8",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/home/.mpl", "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONHASHSEED": "0", "PYTHONNOUSERSITE": "1"}
        for k, v in env.items():
            args += ["--setenv", k, v]
        return args + ["--", str(python), "-s", "-m", "ffgrader.worker", str(fd_in), str(fd_out)]

    def start(self):
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        self.cgroups = _make_cgroups(self.limits)
        limits, cgroups = self.limits, list(self.cgroups)
        use_nproc = not any(c.parent.name == "pids" or "pids" in c.parts for c in cgroups)

        def preexec():  # in the child, before exec: enter the cgroups, set the limits
            for cg in cgroups:
                with open(cg / "cgroup.procs", "w") as f:
                    f.write(str(os.getpid()))
            mb = 2**20
            resource.setrlimit(resource.RLIMIT_AS, (limits.address_space_mb * mb,) * 2)
            resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
            resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * mb,) * 2)
            resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files,) * 2)
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if use_nproc and os.getuid() != 0:
                resource.setrlimit(resource.RLIMIT_NPROC, (limits.pids + _user_process_count(),) * 2)

        try:
            self.proc = subprocess.Popen(self.command(req_r, resp_w), pass_fds=(req_r, resp_w),
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE, preexec_fn=preexec, start_new_session=True)
        except BaseException:
            for fd in (req_r, req_w, resp_r, resp_w):
                os.close(fd)
            self._drop_cgroups()
            raise
        os.close(req_r)
        os.close(resp_w)
        self.req_w, self.resp_r = req_w, resp_r
        for fd in (req_w, resp_r):
            fl = fcntl.fcntl(fd, fcntl.F_GETFL)
            fcntl.fcntl(fd, fcntl.F_SETFL, fl | os.O_NONBLOCK)
        self._stderr_fd = self.proc.stderr.fileno()
        fcntl.fcntl(self._stderr_fd, fcntl.F_SETFL, fcntl.fcntl(self._stderr_fd, fcntl.F_GETFL) | os.O_NONBLOCK)
        self._stderr = b""
        return self

    # -- channel ---------------------------------------------------------------------------------
    def _drain_stderr(self):
        """bwrap's own messages (and C-level writes to fd 2) — kept short, only for diagnostics."""
        try:
            while True:
                chunk = os.read(self._stderr_fd, 65536)
                if not chunk:
                    return
                if len(self._stderr) < 8192:
                    self._stderr += chunk[: 8192 - len(self._stderr)]
        except (BlockingIOError, OSError):
            return

    def diagnostics(self) -> str:
        self._drain_stderr()
        return self._stderr.decode("utf-8", "replace").strip()

    def request(self, msg: dict, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        self._write_all(P.frame(msg), deadline)
        header = self._read_exact(4, deadline)
        try:
            n = P.unframe_header(header)
        except P.ProtocolError as e:
            raise ChannelClosed(str(e)) from None
        try:
            return P.parse_frame(self._read_exact(n, deadline))
        except P.ProtocolError as e:
            raise ChannelClosed(str(e)) from None

    def _write_all(self, data: bytes, deadline: float):
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChannelTimeout
            _, w, _ = select.select([], [self.req_w], [], left)
            if not w:
                raise ChannelTimeout
            try:
                k = os.write(self.req_w, view)
            except BlockingIOError:
                continue
            except (BrokenPipeError, OSError) as e:
                raise ChannelClosed(f"worker gone ({errno.errorcode.get(getattr(e, 'errno', 0), e)})") from None
            view = view[k:]

    def _read_exact(self, n: int, deadline: float) -> bytes:
        chunks, got = [], 0
        while got < n:
            self._drain_stderr()
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChannelTimeout
            r, _, _ = select.select([self.resp_r], [], [], min(left, 1.0))
            if not r:
                continue
            try:
                chunk = os.read(self.resp_r, min(n - got, 1 << 20))
            except BlockingIOError:
                continue
            if not chunk:
                raise ChannelClosed("the worker exited")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    # -- end ---------------------------------------------------------------------------------------
    def kill(self):
        """Kill every process of the sandbox (its PID namespace and its cgroups), close the pipes."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            self.proc.stderr.close()
            for fd in (self.req_w, self.resp_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.proc = None
        self._drop_cgroups()

    def _drop_cgroups(self):
        for cg in self.cgroups:
            _kill_cgroup(cg)
            _remove_cgroup(cg)
        self.cgroups = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill()


def _user_process_count() -> int:
    uid, n = os.getuid(), 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                n += os.stat(f"/proc/{d}").st_uid == uid
            except OSError:
                pass
    return n


def private_copy(src, ignore=("checks.py",), ignore_suffixes=(".ipynb",)) -> Path:
    """A fresh temporary copy of a submission directory for one sandbox (never the original).

    Only regular files and directories are copied: a symlink in a submission (to the gradebook, to
    solutions/) is skipped, never followed; so are the instructor's checks.py and caches, and the
    notebooks themselves (after nbgrader's sanitizing, the notebook file holds the gradebook's test cells,
    hidden regions included; the worker gets the cells it must run through the protocol instead).
    """
    dest = Path(tempfile.mkdtemp(prefix="ffgrader-work-"))
    if src is None or not Path(src).is_dir():
        return dest
    src = Path(src)
    for root, dirs, files in os.walk(src, followlinks=False):
        rel = Path(root).relative_to(src)
        dirs[:] = [d for d in dirs if d not in ("__pycache__", ".ipynb_checkpoints")
                   and not (Path(root) / d).is_symlink()]
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            path = Path(root) / name
            if name in ignore or name.endswith(ignore_suffixes) or path.is_symlink() or not path.is_file():
                continue
            shutil.copyfile(path, dest / rel / name, follow_symlinks=False)
    return dest
