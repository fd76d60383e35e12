"""The book as one PDF (``make pdf``, run by ``make test`` before this module): a real, whole book
with its Chinese glyphs and its math fonts embedded, the formulas typeset (no TeX source), the
figures numbered, the folded outputs shown, and a link to it from the site.

Checked with Debian's poppler-utils (pdfinfo, pdffonts, pdftotext), installed by ``make browser-deps``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape

import pytest

from _browser import HTML

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
    numbers = {int(n) for n in re.findall(r"Fig\.\s*(\d+)", text)}
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
