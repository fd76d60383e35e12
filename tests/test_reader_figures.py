"""Figures as a book has them, checked on the built HTML: every image on a page is inside a numbered
figure with a caption, has alt text that describes it (not a file name, not the caption again),
and every figure is referred to by its number somewhere in the text ({numref}).
"""

from __future__ import annotations

import re
from collections import defaultdict
from html.parser import HTMLParser

import pytest

from _browser import HTML, built_pages

from tools import toc

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PAGES = built_pages()


class _Figures(HTMLParser):
    """Images of the article body with their enclosing figure (id, number, caption) and the
    targets of links whose text names a figure number."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.images: list[dict] = []
        self.figures: dict[str, dict] = {}
        self.fig_links: list[str] = []
        self.fig_link_texts: list[tuple[str, str]] = []  # (href, link text)
        self._link: list | None = None
        self._caption: dict | None = None
        self._in_article = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("img", "br", "hr", "meta", "link", "input", "source"):
            self._void(tag, attrs)
            return
        self.stack.append((tag, attrs))
        classes = (attrs.get("class") or "").split()
        if tag == "article" and "bd-article" in classes:
            self._in_article = len(self.stack)
        if tag == "figure" and self._in_article:
            fig = {"id": attrs.get("id") or "", "number": "", "caption": "", "images": 0}
            self.figures[fig["id"] or f"#anon{len(self.figures)}"] = fig
            attrs["_fig"] = fig
        if tag == "figcaption":
            self._caption = self._current_figure()
        if tag == "a" and attrs.get("href"):
            self._link = [attrs["href"], ""]

    def handle_startendtag(self, tag, attrs):  # <img ... />: no end tag to pop
        if tag in ("img", "br", "hr", "meta", "link", "input", "source"):
            self._void(tag, dict(attrs))
        else:
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def _void(self, tag, attrs):
        if tag == "img" and self._in_article:
            fig = self._current_figure()
            self.images.append({"src": attrs.get("src", ""), "alt": (attrs.get("alt") or "").strip(), "figure": fig})
            if fig is not None:
                fig["images"] += 1

    def _current_figure(self):
        for tag, attrs in reversed(self.stack):
            if tag == "figure":
                return attrs.get("_fig")
        return None

    def handle_endtag(self, tag):
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break
        if tag == "figcaption":
            self._caption = None
        if tag == "a" and self._link is not None:
            if re.search(r"\bFig(ure)?\.?\s*\d", self._link[1]):
                self.fig_links.append(self._link[0])
                self.fig_link_texts.append((self._link[0], self._link[1]))
            self._link = None
        if self._in_article and len(self.stack) < self._in_article:
            self._in_article = 0

    def handle_data(self, data):
        if self._link is not None:
            self._link[1] += data
        if self._caption is not None:
            self._caption["caption"] += data
            m = re.match(r"\s*Fig(ure)?\.?\s*(\d+(\.\d+)*)", self._caption["caption"])
            if m and not self._caption["number"]:
                self._caption["number"] = m.group(2)


def parse(page: str) -> _Figures:
    p = _Figures()
    p.feed((HTML / f"{page}.html").read_text(encoding="utf-8"))
    return p


PARSED = {}


def figures(page):
    if page not in PARSED:
        PARSED[page] = parse(page)
    return PARSED[page]


def _looks_like_a_file_name(alt: str) -> bool:
    return bool(re.search(r"\.(png|jpe?g|svg|gif)\b", alt, re.I) or re.fullmatch(r"[0-9a-f]{16,}", alt))


@pytest.mark.parametrize("page", PAGES)
def test_every_image_is_a_numbered_figure_with_real_alt_text(page):
    bad = []
    for img in figures(page).images:
        fig, alt = img["figure"], img["alt"]
        where = img["src"].rsplit("/", 1)[-1][:24]
        if fig is None:
            bad.append(f"{where}: not inside a <figure>")
            continue
        if not fig["number"]:
            bad.append(f"{where}: figure {fig['id'] or '(no name)'} has no number in its caption")
        if len(re.sub(r"^\s*Fig(ure)?\.?\s*[\d.]+\s*", "", fig["caption"]).split()) < 5:
            bad.append(f"{where}: caption too short: {fig['caption']!r}")
        if not fig["id"]:
            bad.append(f"{where}: figure has no name to refer to")
        if _looks_like_a_file_name(alt) or len(alt.split()) < 6:
            bad.append(f"{where}: alt text does not describe the image: {alt!r}")
        elif alt.lower() in fig["caption"].lower():
            bad.append(f"{where}: alt text only repeats the caption")
    assert not bad, f"{page}: " + "; ".join(bad)


def test_every_figure_is_referred_to_by_number():
    referred: dict[str, set] = defaultdict(set)
    named = {}
    for page in PAGES:
        for href in figures(page).fig_links:
            target, _, anchor = href.partition("#")
            target_page = target.rsplit("/", 1)[-1].removesuffix(".html") if target else page.rsplit("/", 1)[-1]
            referred[anchor].add(target_page)
        for fid, fig in figures(page).figures.items():
            if fig["images"] and fig["id"]:
                named[fid] = page
    assert len(named) >= 20, f"only {len(named)} named figures in the book: the check would be vacuous"
    missing = [f"{fid} ({page})" for fid, page in named.items() if page.rsplit("/", 1)[-1] not in referred.get(fid, ())]
    assert not missing, f"figures never referred to by number in the text: {missing}"


def test_figures_are_numbered_within_their_chapter_and_references_say_so():
    numbers = {}  # (page, figure id) -> number in its caption
    for page, k in toc.chapters().items():
        shown = [fig["number"] for fig in figures(page).figures.values() if fig["images"]]
        expected = [f"{k}.{n}" for n in range(1, len(shown) + 1)]
        assert shown == expected, f"{page} (chapter {k}): figure numbers {shown}"
    for page in PAGES:
        for fid, fig in figures(page).figures.items():
            numbers[(page.rsplit("/", 1)[-1], fid)] = fig["number"]
    checked = 0
    for page in PAGES:
        for href, text in figures(page).fig_link_texts:
            target, _, anchor = href.partition("#")
            target_page = target.rsplit("/", 1)[-1].removesuffix(".html") if target else page.rsplit("/", 1)[-1]
            said = re.search(r"Fig(?:ure)?\.?\s*(\d+(?:\.\d+)*)", text).group(1)
            assert said == numbers.get((target_page, anchor)), f"{page}: {text!r} links to figure {numbers.get((target_page, anchor))}"
            checked += 1
    assert checked >= 20, f"only {checked} figure references: the check would be vacuous"
