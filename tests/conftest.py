"""Shared fixtures: only what the nbgrader tests need (a course directory and a way to run nbgrader)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run ("ci", the default: a red run is reproducible
# and a green one stays green); HYPOTHESIS_PROFILE=dev draws fresh ones to hunt for new failures.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))  # the repository's own tools/ package

from tools.env import tool_env  # noqa: E402


def run_nbgrader(course, *args, check=True):
    proc = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=tool_env(), capture_output=True,
                          text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture
def course(tmp_path):
    """A throw-away nbgrader course: the repository's config and solutions, a fresh gradebook."""
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path

# The reader tests' site server, Chromium and crawl (tests/_browser.py): defined here so that each
# exists once per session, shared by every browser test module.
from _browser import browser, crawl, site  # noqa: E402,F401
