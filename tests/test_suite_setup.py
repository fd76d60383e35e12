"""How `make test` runs the suite: the xdist groups hold, the long groups start first, one BLAS thread.

``--dist loadgroup`` must keep an ``xdist_group`` on one worker: a group's session fixtures (the published
site, the attacks' grading run) are built once, on the worker that runs the group. pytest 9.2 with
pytest-xdist 3.8 silently ignores the marks (pytest-xdist issue 1386), hence the pin in requirements.txt.
The probe (tests/xdist_probe/) runs in a pytest of its own with the Makefile's PYTEST options and logs which
worker ran what: the test cannot pass without two workers (the ungrouped tests must land on both) and
every probe test present.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from conftest import LONG_FIRST, GroupGuard
from tools.env import ONE_BLAS_THREAD, tool_env

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "tests" / "xdist_probe" / "probe_groups.py"


def makefile_pytest_args() -> list[str]:
    """The options `make test` gives pytest (the Makefile's PYTEST after ``-m pytest``, without make variables)."""
    line = next(l for l in (ROOT / "Makefile").read_text().splitlines() if l.startswith("PYTEST :="))
    words = shlex.split(line.split(":=", 1)[1])
    return [w for w in words[words.index("pytest") + 1:] if not w.startswith("$(")]


@pytest.fixture(scope="module")
def probe_log(tmp_path_factory) -> list[tuple[str, int, str]]:
    log = tmp_path_factory.mktemp("probe") / "probe.log"
    env = {**os.environ, "XDIST_PROBE_LOG": str(log), "XDIST_PROBE_FIRST": ",".join(LONG_FIRST[:2])}
    proc = subprocess.run([sys.executable, "-m", "pytest", *makefile_pytest_args(), "-p", "no:cacheprovider", "-q",
                           str(PROBE)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert re.search(r"\b20 passed\b", proc.stdout), proc.stdout[-2000:]
    rows = [(kind, int(i), worker) for kind, i, worker in (line.split() for line in log.read_text().splitlines())]
    assert sorted((k, i) for k, i, _ in rows) == sorted(
        [("free", i) for i in range(8)] + [("grouped", i) for i in range(8)]
        + [("first", i) for i in range(2)] + [("second", i) for i in range(2)])
    assert all(re.fullmatch(r"gw\d+", w) for _, _, w in rows), rows
    return rows


def test_the_makefile_distributes_by_group_in_collection_order():
    args = makefile_pytest_args()
    assert int(args[args.index("-n") + 1]) >= 2
    assert args[args.index("--dist") + 1] == "loadgroup"
    assert "--no-loadscope-reorder" in args


def test_a_group_runs_on_one_worker(probe_log):
    free = {w for k, _, w in probe_log if k == "free"}
    grouped = {w for k, _, w in probe_log if k == "grouped"}
    # the run was distributed (else one worker would hold the group trivially) ...
    assert len(free) >= 2, f"ungrouped tests ran on {free} only"
    # ... and the group stayed together
    assert len(grouped) == 1, f"the group ran on {sorted(grouped)}"


def test_the_long_groups_start_first_on_different_workers(probe_log):
    first_of = {}
    for kind, _, worker in probe_log:
        first_of.setdefault(worker, kind)
    long_workers = {w for k, _, w in probe_log if k == "first"}, {w for k, _, w in probe_log if k == "second"}
    assert all(len(ws) == 1 for ws in long_workers), long_workers
    (w1,), (w2,) = long_workers
    assert w1 != w2, f"both long groups ran on {w1}"
    assert first_of[w1] == "first" and first_of[w2] == "second", first_of


def _report(group, worker, when="call"):
    return SimpleNamespace(node=SimpleNamespace(workerinput={"workerid": worker}), when=when,
                           user_properties=[("xdist_group", group)] if group else [])


def test_the_controller_fails_a_run_whose_group_was_split():
    guard = GroupGuard()
    for group, worker in [("a", "gw0"), ("a", "gw0"), ("b", "gw1"), (None, "gw0"), ("b", "gw1")]:
        guard.pytest_runtest_logreport(_report(group, worker))
    guard.pytest_runtest_logreport(_report("a", "gw1", when="setup"))  # set-up reports do not count
    assert guard.split() == {}
    guard.pytest_runtest_logreport(_report("a", "gw1"))
    assert guard.split() == {"a": ["gw0", "gw1"]}
    session = SimpleNamespace(exitstatus=pytest.ExitCode.OK,
                              config=SimpleNamespace(get_terminal_writer=lambda: SimpleNamespace(line=lambda *a, **k: None)))
    guard.pytest_sessionfinish(session)
    assert session.exitstatus == pytest.ExitCode.TESTS_FAILED


def test_one_blas_thread_here_and_in_subprocesses():
    np.ones(1) @ np.ones(1)  # BLAS is loaded
    blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    assert blas and all(p["num_threads"] == 1 for p in blas), blas
    code = ("import numpy, threadpoolctl; print(sorted({p['num_threads'] for p in threadpoolctl.threadpool_info() "
            "if p.get('user_api') == 'blas'}))")
    out = subprocess.run([sys.executable, "-c", code], env=tool_env(), capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[1]"
    assert all(tool_env()[k] == "1" for k in ONE_BLAS_THREAD)


def test_the_venv_holds_the_bytecode_of_what_clean_processes_import():
    """`make setup` byte-compiles the venv (uv installs without compiling, then compileall): the sandboxed workers
    and the hub's servers start with a clean environment and cannot write bytecode, so a missing or stale .pyc
    would be compiled again in every one of them. The packages' own test suites are not compiled (compileall's
    ``-x '/tests/'``): nothing in a clean environment imports them."""
    import importlib.util

    import matplotlib
    import nbgrader
    import sympy

    missing, stale = [], []
    for package in (np, sympy, nbgrader, matplotlib):
        sources = sorted(p for p in Path(package.__file__).parent.rglob("*.py") if "/tests/" not in p.as_posix())
        assert len(sources) > 20, package.__name__
        for src in sources:
            pyc = Path(importlib.util.cache_from_source(str(src)))
            if not pyc.is_file():
                missing.append(str(src))
            elif pyc.stat().st_mtime < src.stat().st_mtime:
                stale.append(str(src))
    assert not missing and not stale, {"missing": missing[:5], "stale": stale[:5], "counts": (len(missing), len(stale))}


class _Index:
    """A package index on 127.0.0.1 that knows no package: it records the paths asked for and answers 404. As an
    HTTP proxy it records the host asked for and refuses to connect."""

    def __init__(self):
        import http.server
        import threading

        self.paths: list[str] = []
        index = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                index.paths.append(self.path)
                self.send_error(404)

            def do_CONNECT(self):
                index.paths.append(f"CONNECT {self.path}")
                self.send_error(403)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("case", ["PIP_INDEX_URL", "UV_DEFAULT_INDEX", "pip.conf"],
                         ids=["pip's index", "UV_DEFAULT_INDEX wins", "pip.conf's [install] wins"])
def test_make_setup_installs_from_the_index_pip_is_configured_with(tmp_path, case):
    """`make setup` installs with uv, which reads no pip configuration: a mirror a user set for pip (here
    PIP_INDEX_URL, or a pip.conf) must still be where the requirements come from, unless uv's own index is set.
    The pip.conf names an index in three sections: `pip config list` prints [download]'s and [global]'s before
    [install]'s, but pip install takes [install]'s (and never [download]'s). The checkout's Makefile runs in a
    folder whose venv has uv (from this venv, so nothing is downloaded) and whose one requirement no index has;
    uv's cache is empty, so it must ask an index. Every other address goes to a proxy here that connects nowhere,
    so a Makefile that forgot pip's index fails this test without reaching PyPI."""
    import sysconfig

    for name in ("Makefile", "pyproject.toml"):
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    (tmp_path / "requirements.txt").write_text("ffnn-probe-requirement==1.0\n")
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / ".venv")], check=True, capture_output=True)
    site = next((tmp_path / ".venv" / "lib").glob("python*/site-packages"))
    (site / "this-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # "pip": the index pip install would use; the others must not be asked
    indexes = {name: _Index() for name in ("pip", "download", "global", "uv")}
    proxy = _Index()
    env = {k: v for k, v in tool_env().items() if not k.startswith("UV_") and not k.lower().endswith("_proxy")
           and k not in ("PIP_INDEX_URL", "PIP_CONFIG_FILE")}
    env.update({name: proxy.url for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")}, NO_PROXY="127.0.0.1")
    env.update(UV_CACHE_DIR=str(tmp_path / "uv-cache"),
               PATH=os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if Path(p) != Path(sys.prefix) / "bin"))
    if case == "pip.conf":
        conf = tmp_path / "pip.conf"
        conf.write_text("".join(f"[{section}]\nindex-url = {indexes[name].url}/simple/\n" for section, name
                                in [("download", "download"), ("global", "global"), ("install", "pip")]))
        env["PIP_CONFIG_FILE"] = str(conf)
    else:
        env["PIP_INDEX_URL"] = indexes["pip"].url + "/simple/"
    if case == "UV_DEFAULT_INDEX":
        env["UV_DEFAULT_INDEX"] = indexes["uv"].url + "/simple/"
    try:
        run = subprocess.run(["make", "setup"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    finally:
        for server in (*indexes.values(), proxy):
            server.close()
    out = run.stdout + run.stderr
    assert run.returncode != 0 and "ffnn-probe-requirement" in out, out[-3000:]
    asked = "uv" if case == "UV_DEFAULT_INDEX" else "pip"
    paths = {name: index.paths for name, index in indexes.items()}
    assert "/simple/ffnn-probe-requirement/" in paths[asked], (paths, out[-3000:])
    assert not any(p for name, p in paths.items() if name != asked) and not proxy.paths, (paths, proxy.paths)
    assert not (tmp_path / ".venv" / ".installed").exists()
