"""The book as one PDF (``make pdf``, run by ``make test`` before this module): a real, whole book
with its Chinese glyphs and its math fonts embedded, the formulas typeset (no TeX source), the
figures numbered, the folded outputs shown, bookmarks for every chapter and section, no link to the
temporary server it was printed from, no empty page, and a link to it from the site.

Checked with Debian's poppler-utils (pdfinfo, pdffonts, pdftotext), installed by ``make browser-deps``,
and pypdf (bookmarks, links, pages). ``BOOK_HTML`` points it at another edition's build.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape

import pytest

from _browser import HTML

from tools import toc

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PDF = HTML / "feedforward-neural-networks.pdf"


def _tool(name: str, *args: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        pytest.fail(f"{name} not found: `make browser-deps` installs Debian's poppler-utils")
    return subprocess.run([exe, *args, str(PDF), *(["-"] if name == "pdftotext" else [])],
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def text():
    if not PDF.exists():
        pytest.fail(f"{PDF} is missing: run `make pdf` (make test does it for you)")
    return _tool("pdftotext", "-layout")


def test_the_pdf_is_the_whole_book(text):
    pages = int(re.search(r"Pages:\s+(\d+)", _tool("pdfinfo")).group(1))
    assert pages >= 80, f"only {pages} pages"
    for title in ["Activation functions", "Backpropagation", "Training and optimization", "Glossary", "Errata"]:
        assert title in text, f"chapter {title!r} missing from the PDF"


def test_fonts_are_embedded_including_chinese():
    rows = [r.split() for r in _tool("pdffonts").splitlines()[2:] if r.strip()]
    not_embedded = [r[0] for r in rows if "no" == r[-5]]
    assert not not_embedded, f"fonts not embedded: {not_embedded}"
    names = " ".join(r[0] for r in rows)
    assert re.search(r"WenQuanYi|ZenHei|Noto.*CJK|Droid.*Fallback", names), f"no CJK font embedded: {names}"


def test_chinese_math_figures_and_outputs_are_in_the_text(text):
    for term in ["反向传播", "激活函数", "梯度消失"]:
        assert term in text, f"{term} not in the PDF text (glyphs missing?)"
    assert not re.search(r"\\(frac|partial|sum|mathbf|begin)\b|\$\$", text), "raw TeX in the PDF"
    numbers = set(re.findall(r"Fig\.\s*(\d+\.\d+|\d+)", text))  # by chapter (4.2), or plain (3)
    assert len(numbers) >= 20, f"only {len(numbers)} numbered figures in the PDF"
    # Every output the site folds (hide-output cells) is printed.
    flat = " ".join(text.split())
    folded = []
    for page in sorted((HTML / "book").rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        for m in re.finditer(r'<details class="[^"]*\bbelow-input\b.*?<div class="cell_output.*?<pre>(.*?)</pre>', html, re.S):
            first = " ".join(unescape(re.sub(r"<[^>]+>", "", m.group(1))).split())[:40]
            if first:
                folded.append(first)
    assert folded, "no folded outputs found on the site: the check would be vacuous"
    missing = [f for f in folded if f not in flat]
    assert not missing, f"folded outputs not printed: {missing}"


def test_the_site_links_to_the_pdf():
    intro = (HTML / "book" / "intro.html").read_text(encoding="utf-8")
    assert 'href="../feedforward-neural-networks.pdf"' in intro


@pytest.fixture(scope="module")
def reader():
    from pypdf import PdfReader

    if not PDF.exists():
        pytest.fail(f"{PDF} is missing: run `make pdf` (make test does it for you)")
    return PdfReader(str(PDF))


def _titles(page: str) -> list[str]:
    """The chapter title and the section titles of a built page, as a reader sees them."""
    html = (HTML / f"{page}.html").read_text(encoding="utf-8")
    article = html[html.find('<article class="bd-article"'):]
    heads = re.findall(r"<h([12])[^>]*>(.*?)</h\1>", article, re.S)
    clean = lambda h: " ".join(unescape(re.sub(r"<mjx-assistive-mml.*?</mjx-assistive-mml>|<[^>]+>", "", h)).replace("#", "").split())  # noqa: E731
    return [clean(h) for _level, h in heads]


def test_bookmarks_for_every_chapter_and_section(reader):
    def walk(items, out):
        for item in items:
            if isinstance(item, list):
                walk(item, out)
            else:
                out.append(" ".join(item.title.split()))
        return out

    marks = walk(reader.outline, [])
    assert len(marks) >= 50, f"only {len(marks)} bookmarks"
    flat = "\n".join(marks)
    missing = []
    for page in toc.pages():
        if page == "book/appendix/instructor_guide":
            continue  # printed too, but its section titles are commands: checked by the chapter title below
        for title in _titles(page):
            # Formulas in titles are drawn from their glyphs: compare the words around them.
            words = [w for w in re.split(r"\s+", title) if w.isascii() and w.isalpha() and len(w) > 2][:3]
            if words and not any(all(w in m for w in words) for m in marks):
                missing.append(f"{page}: {title}")
    assert not missing, f"chapters/sections without a bookmark: {missing[:10]} (bookmarks: {flat[:300]})"


def test_no_link_to_the_server_it_was_printed_from(reader):
    bad, outside = [], 0
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            uri = action.get_object().get("/URI") if action else None
            if uri is None:
                continue
            outside += 1
            if re.match(r"https?://(127\.0\.0\.1|localhost)", str(uri)):
                bad.append(str(uri))
    assert not bad, f"{len(bad)} links to the print server: {bad[:5]}"
    assert outside >= 5, "no external link at all: the check would be vacuous"


def test_no_empty_pages(reader, text):
    # Each page's text from pdftotext (pages end with a form feed; pypdf's extraction of every page took
    # 30 s); a page with little text must hold an image (pypdf, asked only for those pages).
    pages = text.split("\f")[:len(reader.pages)]
    assert len(pages) == len(reader.pages), (len(pages), len(reader.pages))
    empty = []
    for number, (page, page_text) in enumerate(zip(reader.pages, pages), 1):
        words = re.sub(r"\b\d+\s*/\s*\d+\s*$", "", " ".join(page_text.split()))  # the page number
        if len(words) < 40 and not page.images:
            empty.append((number, words[:60]))
    assert not empty, f"pages with next to nothing on them: {empty}"
