"""bench/cputime.py charges each test file and xdist group with the CPU its tests and their children burned, in one
process and through xdist's workers (bench/xdist_totals.py, which bench/assertcount.py shares)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < {s}:\n    pass\n"


@pytest.mark.parametrize("workers", [["-p", "no:xdist"], ["-n", "2"]], ids=["one process", "two xdist workers"])
def test_cpu_of_a_test_and_of_the_child_it_reaps_is_charged_to_its_file_and_group(tmp_path, workers):
    (tmp_path / "test_child.py").write_text(
        "import subprocess, sys, pytest\n"
        "@pytest.mark.xdist_group('probe')\n"
        f"def test_child():\n    subprocess.run([sys.executable, '-c', {BURN.format(s=0.6)!r}], check=True)\n")
    (tmp_path / "test_self.py").write_text("def test_self():\n" + "".join(
        "    " + line + "\n" for line in BURN.format(s=0.3).splitlines()))
    (tmp_path / "test_idle.py").write_text("def test_idle():\n    pass\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    xdist_group: probe\n")
    out = tmp_path / "cpu.json"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-c", str(tmp_path / "pytest.ini"), "-p", "no:cacheprovider",
                           *workers, "-p", "bench.cputime", f"--cpu-times={out}", "-q", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    data = json.loads(out.read_text())
    files = {Path(f).name: v for f, v in data["files"].items()}
    assert set(files) == {"test_child.py", "test_self.py", "test_idle.py"}, files
    assert files["test_child.py"]["children_s"] >= 0.5 and files["test_child.py"]["self_s"] < 0.3, files
    assert files["test_self.py"]["self_s"] >= 0.25 and files["test_self.py"]["children_s"] < 0.1, files
    assert files["test_idle.py"]["cpu_s"] < 0.2, files
    assert data["groups"]["probe"]["children_s"] >= 0.5 and "(none)" in data["groups"], data["groups"]
    assert list(data["files"]) == sorted(data["files"], key=lambda f: -data["files"][f]["cpu_s"])  # costliest first
