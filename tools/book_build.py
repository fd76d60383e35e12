"""`make book`: every page executed once for both editions (``tools/book_execute.py``, on both cores), then
the English edition into _build/html and, at the same time on the other core, the Chinese edition into
_build/zh/html (``python -m tools.i18n html``), each reading its own execution cache.

The Sphinx builds execute a page only if the execution step left it out of their cache (it executes what
MyST-NB would find missing, so this is the fallback); then what follows about ports applies.

Two processes that start Jupyter kernels at the same time can give one TCP port to two kernels:
jupyter_client picks a free port by binding and closing it, and the kernel binds it a moment later. Its
port cache (jupyter/jupyter_client#487) only keeps the kernels of one process apart. The kernel that loses
dies with ``ZMQError: Address already in use``, and its page fails to execute. An edition whose build
failed that way is built once more, alone, after the other has finished, so nothing can take its ports.
Both builds are whole ones (every page read again: ``english`` says why), so the rebuild reads the failed
page again; the pages that did execute come from the edition's cache. Any other failure is reported as it is.

Usage: ``python -m tools.book_build`` (what ``make book`` runs before ``python -m tools.i18n install``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
EN_LOG = BUILD / "en-html.log"
ZH_LOG = BUILD / "zh-html.log"
# What a kernel that lost its port to another process leaves in the build's output.
PORT_RACE = ("ZMQError: Address already in use", "Kernel died before replying to kernel_info")


def english() -> list[str]:
    """The English build, every page read again (``--all``, a fresh Sphinx environment).

    An incremental build writes only the pages that changed, and Sphinx 7.4 then dumps a search index that has
    lost the index entries of every page it did not write (sphinx-doc/sphinx#12599): after a second `make book`
    the glossary's terms no longer rank their defining chapter first (457 entries in the index fell to 6).
    Reading every page again costs the Sphinx build's reading (the pages come from the execution cache), and
    a fresh clone reads them all anyway. The Chinese build is always a whole one (``tools.i18n html``)."""
    jupyter_book = str(Path(sys.executable).parent / "jupyter-book")
    return [jupyter_book, "build", str(ROOT), "--builder", "html", "-W", "-n", "--keep-going", "--all"]


def chinese() -> list[str]:
    # tools.i18n html always builds the whole edition.
    return [sys.executable, "-m", "tools.i18n", "html"]


def lost_a_port(log: Path) -> bool:
    """Did a kernel of this build die because another process had taken one of its ports?"""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return False
    return all(sign in text for sign in PORT_RACE)


def _start(cmd: list[str], log: Path) -> subprocess.Popen:
    """``cmd`` started in the background, its output into ``log``."""
    with open(log, "wb") as out:
        return subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def _run_shown(cmd: list[str], log: Path) -> int:
    """``cmd`` run to its end, its output shown as it comes and kept in ``log``; its exit status."""
    with open(log, "wb") as out, subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                                                  stderr=subprocess.STDOUT) as proc:
        for chunk in iter(lambda: os.read(proc.stdout.fileno(), 65536), b""):
            out.write(chunk)
            sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
        return proc.wait()


def build(english_cmd=english, chinese_cmd=chinese, en_log: Path = EN_LOG, zh_log: Path = ZH_LOG) -> int:
    """Both editions at once; an edition that lost a kernel's port is built again alone. 0 if both built."""
    start = time.monotonic()
    en_log.parent.mkdir(parents=True, exist_ok=True)
    zh = _start(chinese_cmd(), zh_log)
    try:
        en_rc = _run_shown(english_cmd(), en_log)
    except BaseException:  # interrupted (Ctrl-C): the Chinese build stops too
        zh.terminate()
        zh.wait()
        raise
    zh_rc = zh.wait()
    if en_rc and lost_a_port(en_log):
        print("\nA kernel of the English build lost its port to the Chinese build's (jupyter_client picks ports "
              "before its kernels bind them): building the English edition again, alone.\n", flush=True)
        en_rc = _run_shown(english_cmd(), en_log)
    if zh_rc and lost_a_port(zh_log):
        print("A kernel of the Chinese build lost its port to the English build's: building the Chinese edition "
              "again, alone.", flush=True)
        zh_rc = _start(chinese_cmd(), zh_log).wait()
    print(f"--- the Chinese edition's build ({zh_log}) ---", flush=True)
    print(zh_log.read_text(encoding="utf-8", errors="replace"), end="", flush=True)
    if en_rc:
        print("The English build failed (above).", file=sys.stderr)
        return 1
    if zh_rc:
        print(f"The Chinese build failed ({zh_log.name}, above).", file=sys.stderr)
        return 1
    print(f"Book built into _build/html in {time.monotonic() - start:.0f} s (both editions)")
    return 0


def main() -> int:
    from . import book_execute

    if book_execute.run():
        print("Executing the pages failed (above): the book is not built.", file=sys.stderr)
        return 1
    return build()


if __name__ == "__main__":
    sys.exit(main())
