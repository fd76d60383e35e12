"""Glossary and index, on the built HTML: a glossary row's chapter link goes to the place in the
chapter that names the term (not the top of the chapter), and the book's index lists the glossary
terms in English and Chinese, pointing at those places.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from _browser import HTML

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

GLOSSARY = HTML / "book" / "appendix" / "glossary.html"


def _text(fragment: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", fragment))


def _block_with_id(page_html: str, anchor: str) -> str | None:
    """Text of the element carrying id=anchor (a paragraph, table cell or section)."""
    m = re.search(rf'<(\w+)[^>]*\bid="{re.escape(anchor)}"[^>]*>', page_html)
    if not m:
        return None
    tag = m.group(1)
    end = page_html.find(f"</{tag}>", m.end())
    return _text(page_html[m.end():end if tag != "section" else m.end() + 400])


def test_glossary_links_go_to_where_the_term_is_named():
    html = GLOSSARY.read_text(encoding="utf-8")
    rows = [r for t in re.findall(r"<table.*?</table>", html, re.S) for r in re.findall(r"<tr.*?</tr>", t, re.S)]
    checked, anchored, wrong = 0, 0, []
    for row in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        link = re.search(r'href="\.\./([^"#]+)(?:#([^"]+))?"', row)
        if len(cells) != 3 or not link:
            continue
        checked += 1
        english, chinese = _text(cells[0]), _text(cells[1])
        if not link.group(2):
            continue
        anchored += 1
        target = (GLOSSARY.parent.parent / link.group(1)).read_text(encoding="utf-8")
        block = _block_with_id(target, link.group(2))
        names = [n.strip() for n in re.split(r"[/;()（）、,，]", chinese + "/" + english) if len(n.strip()) >= 2]
        if block is None or not any(n.lower() in block.lower() for n in names):
            wrong.append(f"{english} -> {link.group(1)}#{link.group(2)}")
    assert checked >= 100, f"only {checked} glossary rows with a chapter link"
    assert not wrong, f"glossary links whose target does not name the term: {wrong[:10]}"
    # Every term is named where it is introduced (a chapter that never names a term it is credited with is a
    # content error): no link may fall back to the top of its chapter.
    assert anchored == checked, f"only {anchored} of {checked} glossary links point inside the chapter"


def test_index_lists_glossary_terms_in_both_languages():
    html = (HTML / "genindex.html").read_text(encoding="utf-8")
    entries = {_text(m.group(2)).strip(): m.group(1) for m in re.finditer(r'<a href="([^"]+)">(.*?)</a>', html)}
    for term, page in [("activation function", "activations"), ("激活函数", "activations"),
                       ("chain rule", "backprop"), ("epoch", "perceptron")]:
        assert term in entries, f"the index has no entry {term!r}"
        assert entries[term].startswith(f"book/{page}.html#"), f"{term!r} points at {entries[term]}"
    assert len([e for e in entries.values() if "#" in e]) >= 150, "index is nearly empty"
