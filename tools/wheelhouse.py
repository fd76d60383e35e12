"""Environments built once per machine and reused: a wheelhouse, and the dependencies of the course wheel.

Checking the published course means installing it the way a student does: a fresh virtual environment with
the course wheel and what its metadata requires. Doing that from the package index on every test run costs
minutes (resolving against the index, unpacking and byte-compiling numpy, scipy, sympy, matplotlib and
scikit-learn). Here:

* :func:`wheelhouse` downloads the wheels of a set of requirements once (``pip download``) into the user's
  cache, keyed by the requirements and the Python version;
* :func:`dependencies` installs, once per key, what a course wheel requires (its ``Requires-Dist``, read from
  the wheel) plus ``extra`` requirements, from that wheelhouse with ``--no-index``: a *dependencies
  environment* without the course package itself;
* :func:`student_venv` makes a new, empty virtual environment that sees the dependencies environment
  (one ``.pth`` line) and installs the course wheel into it with ``--no-deps --no-index``: seconds instead
  of minutes, and still nothing of a checkout on its path. ``pip check`` in it proves the dependencies
  satisfy the wheel's metadata.

The cache lives in ``$FFNN_CACHE`` or ``$XDG_CACHE_HOME/ffnn-course`` (default ``~/.cache/ffnn-course``);
builds take a file lock (two test workers, two checkouts) and appear atomically. Delete the directory to
start over.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from contextlib import contextmanager
from email.parser import Parser
from pathlib import Path

from .env import tool_env

PIP = ("-m", "pip", "--disable-pip-version-check", "--quiet")


def cache_dir() -> Path:
    if os.environ.get("FFNN_CACHE"):
        return Path(os.environ["FFNN_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ffnn-course"


def _key(*parts) -> str:
    text = json.dumps([f"{sys.version_info.major}.{sys.version_info.minor}", *parts], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=tool_env(), **kw)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed (rc={proc.returncode}):\n{proc.stdout[-3000:]}\n"
                           f"{proc.stderr[-3000:]}")
    return proc.stdout


def _build_once(target: Path, build) -> Path:
    """``target`` if it is complete, else ``build(tmp_dir)`` renamed to ``target`` (under a lock)."""
    with _locked(target):
        if (target / ".complete").is_file():
            return target
        tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
        try:
            build(tmp)
            (tmp / ".complete").write_text("")
            shutil.rmtree(target, ignore_errors=True)
            tmp.rename(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def requirements_of(wheel: Path) -> list[str]:
    """The ``Requires-Dist`` lines of a wheel's metadata (what pip would install with it)."""
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        message = Parser().parsestr(z.read(meta).decode("utf-8"))
    return sorted(message.get_all("Requires-Dist") or [])


def wheelhouse(requirements: list[str]) -> Path:
    """A directory holding wheels for ``requirements`` and everything they depend on (downloaded once)."""
    target = cache_dir() / "wheelhouse" / _key(sorted(requirements))
    return _build_once(target, lambda tmp: _run([sys.executable, *PIP, "download", "--only-binary=:all:",
                                                 "--dest", str(tmp), *requirements]))


def _site_packages(venv: Path) -> Path:
    return venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"


def dependencies(wheel: Path, extra: tuple[str, ...] = ()) -> Path:
    """A virtual environment with what ``wheel`` requires and ``extra``, but not the wheel's own package."""
    requirements = requirements_of(wheel) + sorted(extra)
    house = wheelhouse(requirements)
    target = cache_dir() / "deps" / _key(requirements)

    def build(tmp: Path):
        _run([sys.executable, "-m", "venv", str(tmp)])
        # No byte-compiling of all of scipy and sympy: a module is compiled when something imports it.
        _run([str(tmp / "bin" / "python"), *PIP, "install", "--no-index", "--find-links", str(house), "--no-compile",
              *requirements])
        (tmp / "requirements.json").write_text(json.dumps(requirements, indent=1))

    return _build_once(target, build)


def student_venv(dest: Path, wheel: Path, extra: tuple[str, ...] = ()) -> Path:
    """A new virtual environment at ``dest`` with ``wheel`` installed and its dependencies (and ``extra``)
    importable from the shared dependencies environment. Returns its python."""
    deps = dependencies(wheel, extra)
    # Without pip of its own (ensurepip would install one more package): this pip works on it (--python).
    _run([sys.executable, "-m", "venv", "--without-pip", str(dest)])
    py = dest / "bin" / "python"
    # addsitedir also reads the .pth files of the dependencies' site-packages, as their own venv would.
    (_site_packages(dest) / "_ffnn_dependencies.pth").write_text(
        f"import site; site.addsitedir({str(_site_packages(deps))!r})\n")
    _run([sys.executable, *PIP, "--python", str(py), "install", "--no-deps", "--no-index", "--no-compile", str(wheel)])
    _run([sys.executable, *PIP, "--python", str(py), "check"])  # the wheel's Requires-Dist are all met
    return py
