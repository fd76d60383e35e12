"""Static checks of the built book: every toc page was built, math is served from the site itself
(MathJax 4 and its font, no CDN), and every internal link points at a page (and anchor) that exists.

What a reader sees in the browser (no console errors, typeset math, nothing wider than its column,
screenshots) is checked page by page at phone and desktop width in ``test_reader_layout.py``.
``make test`` builds the book first; run alone, this module needs ``make book`` to have run.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest

from _browser import HTML, ROOT, built_pages, toc_pages
from html_helpers import anchors

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PAGES = toc_pages()


# Ids and hrefs of one HTML file (tests/html_helpers.py), parsed once per file: pages link to each other.
parse = functools.lru_cache(maxsize=None)(anchors)


def test_every_toc_page_was_built():
    missing = [p for p in PAGES if not (HTML / f"{p}.html").exists()]
    assert not missing, f"pages listed in _toc.yml but not in _build/html: {missing}"


def test_math_is_served_from_the_site_itself():
    mathjax = HTML / "_static" / "mathjax" / "startup.js"
    assert mathjax.exists(), "MathJax is not bundled into _build/html/_static/mathjax"
    # MathJax 4 (line breaking), the version package.json pins, with its font next to it.
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["mathjax"]
    assert pinned.startswith("4."), f"package.json pins mathjax {pinned}, not 4.x"
    assert f'"{pinned}"' in mathjax.read_text(encoding="utf-8"), f"_static/mathjax is not MathJax {pinned}"
    fonts = HTML / "_static" / "mathjax" / "fonts" / "mathjax-newcm-font" / "chtml" / "woff2"
    assert any(fonts.glob("*.woff2")), f"no MathJax font files in {fonts}"
    pages_with_math = [p for p in PAGES if 'class="math' in (HTML / f"{p}.html").read_text()]
    assert pages_with_math, "no page has math: the check above would be vacuous"
    # reader-math.js (after the first paint) loads _static/mathjax/startup.js (checked above), which
    # loads the components the page configuration lists, all from _static/mathjax.
    for component in ("core", "input/tex", "output/chtml", "a11y/assistive-mml"):
        assert (HTML / "_static" / "mathjax" / f"{component}.js").exists(), f"MathJax component {component} missing"
    for p in pages_with_math:
        html = (HTML / f"{p}.html").read_text()
        assert "cdn.jsdelivr.net" not in html and "mathjax@" not in html, f"{p} loads MathJax from a CDN"
        assert re.search(r'<script data-bundle="mathjax/startup.js" defer="defer" src="[./]*_static/reader-math.js', html), (
            f"{p} does not load the bundled MathJax through reader-math.js")
    for p in set(PAGES) - set(pages_with_math):
        assert "reader-math.js" not in (HTML / f"{p}.html").read_text(), f"{p} has no math but loads MathJax"


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
