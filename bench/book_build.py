"""Book build time: a clean ``jupyter-book build`` and rebuilds that should hit the execution cache.

The repository (without .venv, _build and caches) is copied to a temporary directory and built there
with ``--path-output`` inside that directory, so the working tree's _build is never touched. Three
builds: clean; again with no change (every page from the cache); after appending a line to one code
cell of one page (jupyter-cache re-executes only that page). The number of re-executed pages is read
from myst-nb's log ("Executing notebook using ...").
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.env import tool_env

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
IGNORE = shutil.ignore_patterns(".venv", "_build", ".git", ".pytest_cache", ".hypothesis", "__pycache__",
                                ".ipynb_checkpoints")



def _build(src: Path, out: Path):
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(src), "--path-output", str(out), "--builder", "html"],
        cwd=src, env=tool_env(), capture_output=True, text=True,
    )
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"jupyter-book build failed (rc={proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    # myst-nb logs "<page>: Executing notebook using ..." for each page it (re-)executes.
    executed = sorted({
        (re.findall(r"(book/[\w/.-]+?)(?:\.md|\.ipynb)", line) or [line.strip()[:80]])[0]
        for line in (proc.stdout + proc.stderr).splitlines() if "Executing notebook using" in line
    })
    return dt, executed


def _edit_one_code_cell(page: Path):
    """Append a harmless statement to the first ``{code-cell}`` of a MyST page (changes its cache key)."""
    text = page.read_text(encoding="utf-8")
    m = re.search(r"^```\{code-cell\}[^\n]*\n(?::[^\n]*\n)*", text, re.M)
    if m is None:
        raise ValueError(f"{page} has no code cell to edit")
    page.write_text(text[: m.end()] + "_bench_edit = 1\n" + text[m.end():], encoding="utf-8")


def run(page="book/xor.md", log=print):
    with tempfile.TemporaryDirectory(prefix="ffnn-book-bench-") as tmp:
        src = Path(tmp) / "repo"
        shutil.copytree(ROOT, src, ignore=IGNORE)
        out = Path(tmp) / "out"
        clean, ex_clean = _build(src, out)
        log(f"book: clean build {clean:.1f}s ({len(ex_clean)} pages executed)")
        noop, ex_noop = _build(src, out)
        log(f"book: no-change rebuild {noop:.1f}s ({len(ex_noop)} pages executed)")
        _edit_one_code_cell(src / page)
        rebuild, ex_edit = _build(src, out)
        log(f"book: rebuild after editing {page} {rebuild:.1f}s (executed: {ex_edit})")
    return {
        "clean_s": clean,
        "pages_executed_clean": len(ex_clean),
        "noop_s": noop,
        "reexecuted_noop": len(ex_noop),
        "edited_page": page,
        "rebuild_s": rebuild,
        "reexecuted": len(ex_edit),
        "reexecuted_pages": ex_edit,
    }


if __name__ == "__main__":
    print(run())
