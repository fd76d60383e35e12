"""The book's table of contents (``_toc.yml``), read in one place.

``pages``: every page in reading order (the first page, then each part's chapters, each followed by its
sections). ``chapters``: the number of each page that carries one, as the book prints it in equation and
figure numbers (4.3, Fig. 4.2): the first page is chapter 0 and the pages of the part captioned "Chapters"
are 1, 2, ... in order. The book's builds, the Chinese edition, the published site and the tests all ask here.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = "Chapters"  # the caption of the numbered part


def load(root: Path = ROOT) -> dict:
    """``_toc.yml`` of the book at ``root``, as a dict."""
    path = Path(root) / "_toc.yml"
    toc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(toc, dict) or "root" not in toc:
        raise ValueError(f"{path} has no 'root' page: not a Jupyter Book table of contents")
    return toc


def pages(toc: dict | None = None) -> list[str]:
    """The docnames of ``toc`` (default: the book's) in reading order."""
    toc = load() if toc is None else toc
    out = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                out.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return out


def chapters(toc: dict | None = None) -> dict[str, int]:
    """Docname -> chapter number: the first page 0, the part captioned "Chapters" 1, 2, ..."""
    toc = load() if toc is None else toc
    parts = [p for p in toc.get("parts", []) if p.get("caption") == CHAPTERS]
    if len(parts) != 1:
        raise ValueError(f"_toc.yml must have exactly one part captioned {CHAPTERS!r}, found {len(parts)}")
    return {toc["root"]: 0, **{c["file"]: k for k, c in enumerate(parts[0].get("chapters", []), start=1)}}
