"""Static checks of the built book: every toc page was built, math is served from the site itself
(MathJax 4 and its font, no CDN), and every internal link points at a page (and anchor) that exists.

What a reader sees in the browser (no console errors, typeset math, nothing wider than its column,
screenshots) is checked page by page at phone and desktop width in ``test_reader_layout.py``.
``make test`` builds the book first; run alone, this module needs ``make book`` to have run.
"""

from __future__ import annotations

import functools
import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest

from _browser import HTML, ROOT, built_pages, toc_pages

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PAGES = toc_pages()


class _Anchors(HTMLParser):
    """Collects ids (link targets) and hrefs/srcs of one HTML file."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


@functools.lru_cache(maxsize=None)
def parse(path: Path) -> _Anchors:
    parser = _Anchors()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_every_toc_page_was_built():
    missing = [p for p in PAGES if not (HTML / f"{p}.html").exists()]
    assert not missing, f"pages listed in _toc.yml but not in _build/html: {missing}"


def test_math_is_served_from_the_site_itself():
    mathjax = HTML / "_static" / "mathjax" / "tex-chtml.js"
    assert mathjax.exists(), "MathJax is not bundled into _build/html/_static/mathjax"
    # MathJax 4 (line breaking), the version package.json pins, with its font next to it.
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["mathjax"]
    assert pinned.startswith("4."), f"package.json pins mathjax {pinned}, not 4.x"
    assert f'"{pinned}"' in mathjax.read_text(encoding="utf-8"), f"_static/mathjax is not MathJax {pinned}"
    fonts = HTML / "_static" / "mathjax" / "fonts" / "mathjax-newcm-font" / "chtml" / "woff2"
    assert any(fonts.glob("*.woff2")), f"no MathJax font files in {fonts}"
    pages_with_math = [p for p in PAGES if 'class="math' in (HTML / f"{p}.html").read_text()]
    assert pages_with_math, "no page has math: the check above would be vacuous"
    for p in pages_with_math:
        html = (HTML / f"{p}.html").read_text()
        assert "cdn.jsdelivr.net" not in html and "mathjax@" not in html, f"{p} loads MathJax from a CDN"
        assert "_static/mathjax/tex-chtml.js" in html, f"{p} does not load the bundled MathJax"


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
