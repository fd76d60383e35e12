"""What the instructor's class reports share (tools/stats.py, tools/similarity.py): reading the class's notebooks
without trusting them, and the inert HTML page they are written into.

Reading: every notebook under ``submitted/`` or ``autograded/`` is a student's file. It is opened without
following links (``O_NOFOLLOW``, and the student's folders checked with ``lstat``), must be a regular file no
larger than the grader's per-file cap (``ffgrader.submissions.CAPS``), is read through the open descriptor up
to that cap, and is parsed as JSON; anything else is skipped with a reason the report shows. FIFOs and devices
are never opened for reading (``O_NONBLOCK`` and a check on the descriptor before any read).

Writing: a report is one self-contained HTML file (plots are inline SVG made here by matplotlib), served to
nobody and opened from disk. Every piece of text that came from a student or a notebook goes through
``esc`` (``html.escape``): student text is shown, never interpreted. The page carries a Content-Security-Policy
that allows no script at all and no request to anywhere (``default-src 'none'``), the same stance as the
feedback pages of ``ffgrader/sanitize.py``, so whatever might slip through could still not run or call home.
"""

from __future__ import annotations

import dataclasses
import errno
import html
import json
import os
import stat
from pathlib import Path

from ffgrader.submissions import CAPS

_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


@dataclasses.dataclass(frozen=True)
class Unreadable:
    student: str
    reason: str


def read_notebook(path, max_bytes: int = CAPS.file_bytes) -> dict:
    """The JSON of the notebook at ``path`` (a regular file, not a link, at most ``max_bytes``); ValueError with
    the reason otherwise."""
    try:
        fd = os.open(path, _FLAGS)
    except FileNotFoundError:
        raise ValueError("no notebook") from None
    except OSError as exc:
        raise ValueError("a symbolic link" if exc.errno == errno.ELOOP else f"cannot be opened ({exc.strerror})") \
            from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file")
        if st.st_size > max_bytes:
            raise ValueError(f"{st.st_size} bytes, over the {max_bytes} bytes read per notebook")
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            raise ValueError(f"grew over the {max_bytes} bytes read per notebook while being read")
    finally:
        os.close(fd)
    try:
        nb = json.loads(b"".join(chunks).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValueError("not a notebook (not valid JSON)") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("not a notebook (no list of cells)")
    return nb


def class_notebooks(course, folder: str, assignment: str):
    """``(notebooks {student: notebook JSON}, skipped [Unreadable])`` of ``course/folder/<student>/<assignment>/
    <assignment>.ipynb`` for every student folder there; folders that are links are skipped, not followed."""
    base = Path(course) / folder
    found, skipped = {}, []
    if not base.is_dir() or base.is_symlink():
        return found, skipped
    with os.scandir(base) as it:
        entries = sorted(it, key=lambda e: e.name)[:CAPS.entries]
    for entry in entries:
        sid = entry.name
        if entry.is_symlink() or not entry.is_dir(follow_symlinks=False):
            skipped.append(Unreadable(sid, "the student's folder is a link or not a folder"))
            continue
        hw_dir = Path(entry.path) / assignment
        try:
            hw_stat = os.lstat(hw_dir)
        except FileNotFoundError:
            continue                       # this student has nothing for this assignment
        if not stat.S_ISDIR(hw_stat.st_mode):
            skipped.append(Unreadable(sid, f"{assignment}/ is a link or not a folder"))
            continue
        try:
            found[sid] = read_notebook(hw_dir / f"{assignment}.ipynb")
        except ValueError as exc:
            skipped.append(Unreadable(sid, str(exc)))
    return found, skipped


def source(cell) -> str:
    """A cell's source as one string whatever the notebook stored (a list of lines, a string, or junk)."""
    value = cell.get("source") if isinstance(cell, dict) else None
    if isinstance(value, list):
        value = "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def grade_id(cell) -> str | None:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    gid = nbg.get("grade_id") if isinstance(nbg, dict) else None
    return gid if isinstance(gid, str) else None


def esc(value) -> str:
    return html.escape(str(value), quote=True)


STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 72rem; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: .5rem 0 1rem; } th, td { border: 1px solid #ccc; padding: .2rem .5rem; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: .5rem 0; } figure svg { max-width: 100%; height: auto; }
pre { margin: 0; font: 13px/1.35 ui-monospace, monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: .5rem; margin-bottom: 1.5rem; }
.side > div { border: 1px solid #ccc; overflow-x: auto; min-width: 0; }
.side h4 { margin: 0; padding: .2rem .5rem; background: #f2f2f2; font-size: .9rem; }
.line { display: block; padding: 0 .4rem; } .line.match { background: #ffe08a; }
.lineno { color: #888; user-select: none; display: inline-block; min-width: 2.5em; }
.note { color: #555; font-size: .9rem; }
"""


def page(title: str, body: str) -> str:
    """A whole report: ``body`` (already escaped HTML made by this package) inside a page that runs no script."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
            "<meta name=\"referrer\" content=\"no-referrer\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{esc(title)}</title>\n<style>{STYLE}</style></head>\n<body><main>\n"
            f"<h1>{esc(title)}</h1>\n{body}\n</main></body></html>\n")


def write(dest, text: str) -> Path:
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, dest)           # a report open in the browser is never half written
    return dest
