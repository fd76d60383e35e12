"""Static checks of the built book: every toc page was built, its math typeset by the pinned MathJax 4
(fonts and stylesheet from the site, no CDN), and every internal link points at a page (and anchor)
that exists.

What a reader sees in the browser (no console errors, typeset math, nothing wider than its column,
screenshots) is checked page by page at phone and desktop width in ``test_reader_layout.py`` and
``test_reader_math.py``.
``make test`` builds the book first; run alone, this module needs ``make book`` to have run.
"""

from __future__ import annotations

import functools
import json
import re
from urllib.parse import unquote, urldefrag, urlparse

import pytest

from _browser import HTML, ROOT, built_pages
from html_helpers import anchors

from tools import toc

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PAGES = toc.pages()


# Ids and hrefs of one HTML file (tests/html_helpers.py), parsed once per file: pages link to each other.
parse = functools.lru_cache(maxsize=None)(anchors)


def test_every_toc_page_was_built():
    missing = [p for p in PAGES if not (HTML / f"{p}.html").exists()]
    assert not missing, f"pages listed in _toc.yml but not in _build/html: {missing}"


def test_math_is_typeset_by_the_pinned_mathjax():
    # The renderer the build runs is the MathJax 4 package.json pins (npm ci installs exactly it), and
    # every page with math carries its output and the stylesheet served from the site.
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["mathjax"]
    installed = json.loads((ROOT / "node_modules" / "mathjax" / "package.json").read_text())["version"]
    assert pinned.startswith("4.") and installed == pinned, f"package.json pins mathjax {pinned}, node_modules has {installed}"
    pages_with_math = [p for p in PAGES if 'class="math notranslate' in (HTML / f"{p}.html").read_text()]
    assert pages_with_math, "no page has math: the check would be vacuous"
    for p in pages_with_math:
        html = (HTML / f"{p}.html").read_text()
        assert "<mjx-container" in html, f"{p}: no typeset formula in the HTML"
        assert "cdn.jsdelivr.net" not in html and "mathjax@" not in html, f"{p} refers to a MathJax CDN"
        assert re.search(r'<link[^>]+href="[./]*_static/reader-math\.css', html), f"{p} lacks the math stylesheet"


@pytest.mark.parametrize("page", built_pages())
def test_internal_links_resolve(page):
    source = HTML / f"{page}.html"
    bad = []
    for href in parse(source).hrefs:
        scheme = urlparse(href).scheme
        if scheme in ("http", "https", "mailto", "javascript", "data"):
            continue
        target, anchor = urldefrag(href)
        target_path = (source.parent / unquote(target)).resolve() if target else source
        if target_path.is_dir():
            target_path = target_path / "index.html"
        if not target_path.exists():
            bad.append(f"{href} (no file {target_path.relative_to(HTML) if target_path.is_relative_to(HTML) else target_path})")
            continue
        if anchor and target_path.suffix == ".html" and unquote(anchor) not in parse(target_path).ids:
            bad.append(f"{href} (no anchor #{anchor})")
    assert not bad, f"{page}: broken internal links: {bad}"
