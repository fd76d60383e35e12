"""Start a worker inside a bubblewrap sandbox, talk to it over two pipes, kill all of it at the end
(trusted side).

What the sandbox sees (everything else of the host does not exist in it, not even its paths):
- read-only: /usr (and the /bin, /lib* links), /etc/ld.so.cache, the Python installation at /opt/python,
  this virtualenv's site-packages at /opt/site-packages (numpy, SymPy ...), the staged library at
  /opt/ffgrader-lib (``ffgrader.sandboxed``, ``ffgrader.visible_tests`` and only the nnlib modules the
  assignment allows) and a filtered copy of the submission directory at /opt/submission;
- read-write: the work directory /home/student/work (the worker copies the submission's files into it) and
  /tmp, two size-capped tmpfs that exist only in the sandbox's memory; no /proc, a minimal /dev;
- for a by-hand worker, /opt/site-packages/sympy is SymPy without its calculus (``ffgrader.nocalculus``).
Isolation: every namespace unshared (no network, not even the host's 127.0.0.1), user 1000 without
capabilities, no nested user namespaces (``--disable-userns`` and the seccomp filter), a seccomp filter that
refuses the system calls a Python notebook never needs (``SECCOMP_DENY``, built with libseccomp through
pyseccomp and handed to bwrap's ``--seccomp``), the worker is the sandbox's PID 1 (its command line shows
only in-sandbox paths; when it exits every process in the sandbox is killed), a new session.
Limits: a cgroup per sandbox (pids.max, memory.limit_in_bytes) when /sys/fs/cgroup is writable, else
RLIMIT_NPROC; always RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NOFILE, RLIMIT_CORE=0; the tmpfs sizes; and
a cap on the number of files, counted from outside through /proc/<worker>/root while the worker runs.
"""

from __future__ import annotations

import ast
import errno
import fcntl
import functools
import itertools
import os
import re
import resource
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ffgrader.sandboxed import wire as P

FFGRADER_DIR = Path(__file__).resolve().parent
WORKDIR_IN = "/home/student/work"
HOME_IN = "/home/student"
LIBDIR_IN = "/opt/ffgrader-lib"
PYTHON_IN = "/opt/python"
SITE_IN = "/opt/site-packages"
SUBMISSION_IN = "/opt/submission"
SYMPY_IN = f"{SITE_IN}/sympy"
_counter = itertools.count()

# System calls refused (EPERM) inside the sandbox: mounts and namespaces (no nested user namespace, no way
# out of the mount namespace), kernel keyrings, tracing and reading other processes' memory, BPF and perf,
# io_uring (it would bypass this filter), module and kexec loading, clock and swap changes, handle-based
# file opening. Everything else a Python notebook needs stays allowed.
SECCOMP_DENY = (
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "move_mount", "open_tree", "fsopen", "fsmount",
    "fsconfig", "fspick", "mount_setattr", "keyctl", "add_key", "request_key", "ptrace", "process_vm_readv",
    "process_vm_writev", "kcmp", "pidfd_getfd", "perf_event_open", "bpf", "userfaultfd", "io_uring_setup",
    "io_uring_enter", "io_uring_register", "init_module", "finit_module", "delete_module", "kexec_load",
    "kexec_file_load", "open_by_handle_at", "name_to_handle_at", "swapon", "swapoff", "reboot", "syslog", "acct",
    "quotactl", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "iopl", "ioperm", "personality",
    "fanotify_init", "lookup_dcookie", "vhangup", "uselib", "nfsservctl",
)
CLONE_NEWUSER = 0x10000000


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot start here: autograding refuses instead of running student code unprotected."""


class ChannelClosed(Exception):
    """The worker's end of the pipes is gone (it died) or it sent something that breaks the protocol."""


class ChannelTimeout(Exception):
    """No complete reply before the deadline."""


class OverLimit(ChannelClosed):
    """The worker exceeded a cap counted from outside (files in its work directory); it was killed."""


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 1536          # cgroup memory limit (resident), and the basis of RLIMIT_AS
    address_space_mb: int = 6144   # virtual memory (numpy/OpenBLAS reserve more than they use)
    pids: int = 64                 # processes + threads in the sandbox
    cpu_seconds: int = 600         # CPU time of the worker over its whole life (timeouts are per request)
    file_mb: int = 64              # largest file the student may write
    open_files: int = 256
    work_mb: int = 256             # size of the work directory's tmpfs, and of /tmp's
    work_files: int = 10_000       # files and directories in the work directory and /tmp together
    copy_files: int = 1000         # files of the submission directory copied in (the rest is left out)
    copy_mb: int = 64              # bytes of the submission directory copied in


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
    with _seccomp_file() as fd:
        proc = subprocess.run([bwrap, *_isolation_args(), "--seccomp", str(fd), "--ro-bind", "/usr", "/usr",
                               *_usr_links(), "/usr/bin/true"], capture_output=True, text=True, timeout=30,
                              pass_fds=(fd,))
    if proc.returncode != 0:
        raise SandboxUnavailable(f"bubblewrap cannot create the sandbox here (rc={proc.returncode}: "
                                 f"{proc.stderr.strip()[:300]}); user namespaces must be allowed "
                                 "(sysctl kernel.unprivileged_userns_clone=1)")


def _isolation_args():
    return ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
            "--cap-drop", "ALL", "--uid", "1000", "--gid", "1000", "--hostname", "sandbox", "--as-pid-1"]


def _usr_links():
    out = []
    for name in ("bin", "sbin", "lib", "lib64", "lib32", "libx32"):
        p = Path("/") / name
        if p.is_symlink():
            out += ["--symlink", os.readlink(p), f"/{name}"]
        elif p.is_dir():
            out += ["--ro-bind", str(p), f"/{name}"]
    return out


@functools.lru_cache(maxsize=1)
def seccomp_program() -> bytes:
    """The BPF program of the sandbox's seccomp filter (libseccomp, through pyseccomp): allow by default,
    EPERM for SECCOMP_DENY and for clone() with CLONE_NEWUSER; clone3 reports ENOSYS, so that the C library
    falls back to clone(), whose flags the filter can see."""
    try:
        import pyseccomp as sc
    except ImportError as e:  # pragma: no cover - requirements.txt installs it
        raise SandboxUnavailable(f"pyseccomp is not installed ({e}); run `make setup`") from None
    f = sc.SyscallFilter(sc.ALLOW)
    for name in SECCOMP_DENY:
        try:
            f.add_rule(sc.ERRNO(errno.EPERM), name)
        except (ValueError, RuntimeError, OSError):
            pass  # a system call this architecture does not have
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    f.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER))
    with tempfile.TemporaryFile() as t:
        f.export_bpf(t)
        t.seek(0)
        return t.read()


class _seccomp_file:
    """A file descriptor holding the BPF program, for bwrap's ``--seccomp FD`` (closed on exit)."""

    def __enter__(self):
        self.fd = os.memfd_create("ffgrader-seccomp", 0)
        os.write(self.fd, seccomp_program())
        os.lseek(self.fd, 0, os.SEEK_SET)
        return self.fd

    def __exit__(self, *exc):
        os.close(self.fd)


# ------------------------------------------------------------------------------------------------
# The staged library directory
# ------------------------------------------------------------------------------------------------

# What of ffgrader the sandbox holds: the worker and the wire protocol, and the public helpers that the
# notebooks' locked first cell imports (the students' own copy of them is in the course wheel).
# (i18n and the visible tests' message catalog: visible_tests translates its messages; the grader's catalog of the
# trusted checks' messages, feedback_zh_CN.py, is not staged.)
STAGED_FFGRADER = ("sandboxed/__init__.py", "sandboxed/worker.py", "sandboxed/wire.py", "visible_tests.py", "i18n.py",
                   "catalog_zh_CN.py")


def stage_library(dest: Path, nnlib_allowed=(), nnlib_dir: Path | None = None) -> Path:
    """Copy STAGED_FFGRADER and the allowed nnlib modules (plus the nnlib modules they import) into dest.

    ffgrader's and nnlib's ``__init__`` are replaced by empty ones, so only the staged modules exist there.
    """
    dest = Path(dest)
    (dest / "ffgrader").mkdir(parents=True, exist_ok=True)
    (dest / "ffgrader" / "__init__.py").write_text('"""The parts of ffgrader the sandbox holds."""\n')
    for rel in STAGED_FFGRADER:
        (dest / "ffgrader" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(FFGRADER_DIR / rel, dest / "ffgrader" / rel)
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


def staged_files(libdir: Path) -> list[str]:
    """Every file under a staged library directory, relative, sorted (what the sandbox holds of it)."""
    libdir = Path(libdir)
    return sorted(p.relative_to(libdir).as_posix() for p in libdir.rglob("*") if p.is_file())


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


def _settle(attempt: int):
    """Wait a little for killed processes to go: 1 ms first (a killed worker is usually gone by then), doubling up to
    50 ms (a fixed 20 ms per notebook was a tenth of the grader's own time per notebook)."""
    time.sleep(min(0.001 * 2 ** attempt, 0.05))


def _kill_cgroup(path: Path):
    for attempt in range(40):
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
        _settle(attempt)


def _remove_cgroup(path: Path):
    for attempt in range(40):
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            _kill_cgroup(path)
            _settle(attempt)


# ------------------------------------------------------------------------------------------------
# The sandbox
# ------------------------------------------------------------------------------------------------

def _host_paths():
    """(host path, path inside) of the Python installation and of the site-packages holding numpy/SymPy."""
    import sysconfig

    base = os.path.realpath(sys.base_prefix)
    binds = [(base, PYTHON_IN)]
    site = os.path.realpath(sysconfig.get_paths()["purelib"])
    if not (site + os.sep).startswith(base + os.sep):
        binds.append((site, SITE_IN))
    return binds


def _base_site_packages() -> list[str]:
    """The Python installation's own site-packages when the worker's packages come from a virtualenv's."""
    import sysconfig

    base = os.path.realpath(sys.base_prefix)
    own = os.path.realpath(sysconfig.get_paths(vars={"base": base, "platbase": base})["purelib"])
    site = os.path.realpath(sysconfig.get_paths()["purelib"])
    return [own] if own != site and os.path.isdir(own) and (own + os.sep).startswith(base + os.sep) else []


def inside_path(host: str) -> str:
    """Where the host path ``host`` (under the Python installation or site-packages) appears in the sandbox."""
    real = os.path.realpath(host)
    for h, inside in sorted(_host_paths(), key=lambda b: -len(b[0])):
        if real == h or real.startswith(h + os.sep):
            return inside + real[len(h):]
    raise ValueError(f"{host} is not visible in the sandbox")


class Channel:
    """Frames to and from one worker over two pipes: ``request(msg, timeout)`` sends one and waits for one.
    Subclasses start the worker (``Sandbox``: in bubblewrap; ``Loopback``: a forked process, for tests)."""

    limits = Limits()
    req_w = resp_r = None
    received = 0          # bytes read from the worker

    def file_count(self, cap=None):
        return None

    def _check_files(self):
        pass

    def diagnostics(self) -> str:
        return ""

    def _drain_stderr(self):
        pass

    def alive(self) -> bool:
        raise NotImplementedError

    def request(self, msg: dict, timeout: float) -> dict:
        if not self.alive():
            raise ChannelClosed("no worker")
        deadline = time.monotonic() + timeout
        self._write_all(P.frame(msg), deadline)
        header = self._read_exact(4, deadline)
        try:
            n = P.unframe_header(header)
        except P.ProtocolError as e:
            raise ChannelClosed(str(e)) from None
        body = self._read_exact(n, deadline)
        self._check_files()
        try:
            return P.parse_frame(body)
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
            r, _, _ = select.select([self.resp_r], [], [], min(left, 0.5))
            if not r:
                self._check_files()  # while the worker computes, not only after it answers
                continue
            try:
                chunk = os.read(self.resp_r, min(n - got, 1 << 20))
            except BlockingIOError:
                continue
            if not chunk:
                raise ChannelClosed("the worker exited")
            chunks.append(chunk)
            got += len(chunk)
            self.received += len(chunk)
        return b"".join(chunks)

    def _nonblocking(self, *fds):
        for fd in fds:
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill()


class Loopback(Channel):
    """The real worker and protocol in a forked child of this process, over OS pipes, without bwrap: for
    tests that grade trusted notebooks fast. It isolates nothing (the child is this process's copy)."""

    def __init__(self, workdir: Path | None = None, limits: Limits = Limits()):
        self.workdir, self.limits, self.pid = workdir, limits, None

    def alive(self):
        return self.pid is not None

    def start(self):
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        # made here, not in the child: the child leaves by os._exit, so only this side can remove it
        self.scratch = tempfile.mkdtemp(prefix="ffgrader-loopback-")
        pid = os.fork()
        if pid == 0:  # the worker: serve until the grader closes the request pipe, then leave at once
            code = 0
            try:
                os.close(req_w)
                os.close(resp_r)
                os.setpgid(0, 0)
                os.chdir(self.scratch)
                from ffgrader.sandboxed.worker import main

                main(["worker", str(req_r), str(resp_w), *([str(self.workdir)] if self.workdir else [])])
            except BaseException:  # noqa: BLE001 - the child never returns into the caller's code
                code = 1
            finally:
                os._exit(code)
        os.close(req_r)
        os.close(resp_w)
        self.pid, self.req_w, self.resp_r = pid, req_w, resp_r
        self._nonblocking(req_w, resp_r)
        return self

    def kill(self):
        if self.pid is None:
            return
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        for fd in (self.req_w, self.resp_r):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.pid = None


class Sandbox(Channel):
    """One worker process in one bubblewrap sandbox.

    ``sympy_override``: a SymPy package directory mounted over the installed one (the by-hand worker's).
    """

    def __init__(self, workdir: Path | None, libdir: Path, limits: Limits = Limits(), bwrap: str | None = None,
                 sympy_override: Path | None = None):
        self.workdir, self.libdir, self.limits, self.bwrap = workdir, Path(libdir), limits, bwrap
        self.sympy_override = sympy_override
        self.proc = None
        self.info_r = None
        self.cgroups: list[Path] = []
        self._pid = None
        self._info = b""

    def alive(self):
        return self.proc is not None

    def command(self, fd_in: int, fd_out: int, seccomp_fd: int, info_fd: int) -> list[str]:
        exe = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
        python = inside_path(exe)
        mb = 2**20
        # /tmp first: a course (and its venv) may itself live under /tmp on the host; nothing of the host is
        # bound at its own path, so later mounts cannot be hidden by it either.
        args = [bwrap_path(self.bwrap), *_isolation_args(), "--seccomp", str(seccomp_fd), "--info-fd", str(info_fd),
                "--ro-bind", "/usr", "/usr", *_usr_links(), "--dev", "/dev",
                "--size", str(self.limits.work_mb * mb), "--tmpfs", "/tmp",
                "--size", str(self.limits.work_mb * mb), "--tmpfs", HOME_IN, "--dir", WORKDIR_IN]
        for etc in ("/etc/ld.so.cache", "/etc/localtime"):
            if os.path.exists(etc):
                args += ["--ro-bind", etc, etc]
        for host, inside in _host_paths():
            args += ["--ro-bind", host, inside]
        for hidden in _base_site_packages():
            # the installation's own packages (a full SymPy among them) are not the worker's: with them in
            # view, a by-hand answer imported that SymPy's calculus from there
            args += ["--tmpfs", inside_path(hidden), "--remount-ro", inside_path(hidden)]
        if self.sympy_override is not None:
            import sympy

            args += ["--ro-bind", str(self.sympy_override), inside_path(os.path.dirname(sympy.__file__))]
        args += ["--ro-bind", str(self.libdir), LIBDIR_IN]
        if self.workdir is not None:
            args += ["--ro-bind", str(self.workdir), SUBMISSION_IN]
        args += ["--remount-ro", "/", "--chdir", WORKDIR_IN, "--clearenv"]
        paths = [LIBDIR_IN] + [inside for host, inside in _host_paths() if inside != PYTHON_IN]
        env = {"HOME": HOME_IN, "PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(paths), "LANG": "C.UTF-8",
               "LD_LIBRARY_PATH": f"{PYTHON_IN}/lib", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/.mpl",
               "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "PYTHONNOUSERSITE": "1"}
        if len(paths) == 1:  # no virtualenv: the installation's own site-packages
            env["PYTHONPATH"] += ":" + inside_path(__import__("sysconfig").get_paths()["purelib"])
        for k, v in env.items():
            args += ["--setenv", k, v]
        argv = [python, "-S", "-m", "ffgrader.sandboxed.worker", str(fd_in), str(fd_out)]
        return args + ["--", *argv, *([SUBMISSION_IN] if self.workdir is not None else [])]

    def start(self):
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        info_r, info_w = os.pipe()
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
            with _seccomp_file() as sfd:
                self.proc = subprocess.Popen(self.command(req_r, resp_w, sfd, info_w),
                                             pass_fds=(req_r, resp_w, sfd, info_w), stdin=subprocess.DEVNULL,
                                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=preexec,
                                             start_new_session=True)
        except BaseException:
            for fd in (req_r, req_w, resp_r, resp_w, info_r, info_w):
                os.close(fd)
            self._drop_cgroups()
            raise
        for fd in (req_r, resp_w, info_w):
            os.close(fd)
        self.req_w, self.resp_r, self.info_r = req_w, resp_r, info_r
        self._stderr_fd = self.proc.stderr.fileno()
        self._nonblocking(req_w, resp_r, info_r, self._stderr_fd)
        self._stderr = b""
        return self

    # -- what the worker holds, counted from outside ---------------------------------------------------
    def worker_pid(self):
        """The worker's host pid (bwrap's --info-fd), once bwrap has reported it."""
        if self._pid is None and self.info_r is not None:
            try:
                while True:
                    chunk = os.read(self.info_r, 4096)
                    if not chunk:
                        break
                    self._info += chunk[:4096]
            except (BlockingIOError, OSError):
                pass
            m = re.search(rb'"child-pid":\s*(\d+)', self._info)
            if m:
                self._pid = int(m.group(1))
        return self._pid

    def file_count(self, cap: int | None = None) -> int | None:
        """Files and directories under the sandbox's /home/student and /tmp (symlinks not followed), counting
        at most ``cap + 1``; None when the worker is not running."""
        pid = self.worker_pid()
        if pid is None:
            return None
        cap = self.limits.work_files if cap is None else cap
        n = 0
        todo = [f"/proc/{pid}/root{HOME_IN}", f"/proc/{pid}/root/tmp"]
        while todo and n <= cap:
            try:
                with os.scandir(todo.pop()) as it:
                    for entry in it:
                        n += 1
                        if n > cap:
                            break
                        if entry.is_dir(follow_symlinks=False):
                            todo.append(entry.path)
            except OSError:
                continue
        return n

    def _check_files(self):
        n = self.file_count()
        if n is not None and n > self.limits.work_files:
            self.kill()
            raise OverLimit(f"more than {self.limits.work_files} files in the work directory and /tmp")

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
        except (BlockingIOError, OSError, ValueError):
            return

    def diagnostics(self) -> str:
        self._drain_stderr()
        return self._stderr.decode("utf-8", "replace").strip()

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
            for fd in (self.req_w, self.resp_r, self.info_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.proc = None
            self.info_r = None
            self._pid = None
        self._drop_cgroups()

    def _drop_cgroups(self):
        for cg in self.cgroups:
            _kill_cgroup(cg)
            _remove_cgroup(cg)
        self.cgroups = []

def _user_process_count() -> int:
    uid, n = os.getuid(), 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                n += os.stat(f"/proc/{d}").st_uid == uid
            except OSError:
                pass
    return n


def private_copy(src, limits: Limits = Limits(), ignore=("checks.py",), ignore_suffixes=(".ipynb",),
                 dest: Path | None = None) -> Path:
    """A fresh temporary copy of a submission directory for one sandbox (never the original), made in ``dest``
    (an empty directory of the caller's: a pre-started sandbox's, ``ffgrader.pool``) or in a new one.

    Only regular files and directories are copied, at most ``limits.copy_files`` files and
    ``limits.copy_mb`` MiB (in name order; the rest is left out): a symlink or any other special file in a
    submission (to the gradebook, to solutions/) is skipped, never followed (each file is opened with
    O_NOFOLLOW and checked to be regular after opening); so are the instructor's checks.py and caches, and
    the notebooks themselves (after nbgrader's sanitizing, the notebook file holds the gradebook's test
    cells, hidden regions included; the worker gets the cells it must run through the protocol instead).
    """
    dest = Path(dest) if dest is not None else Path(tempfile.mkdtemp(prefix="ffgrader-work-"))
    if src is None or not Path(src).is_dir():
        return dest
    src = Path(src)
    files_left, bytes_left = limits.copy_files, limits.copy_mb * 2**20
    for root, dirs, files in os.walk(src, followlinks=False):
        rel = Path(root).relative_to(src)
        dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", ".ipynb_checkpoints")
                         and not (Path(root) / d).is_symlink())
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in sorted(files):
            if name in ignore or name.endswith(ignore_suffixes) or files_left <= 0:
                continue
            try:
                fd = os.open(Path(root) / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except OSError:
                continue
            try:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode) or st.st_size > bytes_left:
                    continue
                with open(fd, "rb", closefd=False) as fin, open(dest / rel / name, "wb") as fout:
                    shutil.copyfileobj(fin, fout)
                files_left -= 1
                bytes_left -= st.st_size
            finally:
                os.close(fd)
    return dest
