"""Search that finds Chinese terms, in the browser: the built site's own search page, queried with
the Chinese names of key terms, lists the pages that contain them (the chapter that introduces the
term and the glossary among them), and the result snippets show no raw LaTeX.

The splitter itself (``_ext/zh_search.py``) is also checked directly: the index side and the query
side must cut a Chinese run into the same pieces.
"""

from __future__ import annotations

import re
import sys

import pytest

from _browser import DESKTOP, HTML, ROOT, Visit, browser, site  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

sys.path.insert(0, str(ROOT / "_ext"))
from zh_search import split_text  # noqa: E402

# query -> pages that must be among the results (where the term is introduced, and the glossary)
EXPECTED = {
    "反向传播": {"book/backprop", "book/appendix/glossary"},
    "激活函数": {"book/activations", "book/appendix/glossary"},
    "梯度消失": {"book/training", "book/appendix/glossary"},
}


def test_index_and_query_split_chinese_runs_the_same_way():
    assert split_text("反向传播算法 (backpropagation)") == ["反向", "向传", "传播", "播算", "算法", "backpropagation"]
    assert split_text("ReLU函数") == ["函数", "ReLU"]
    assert split_text("层 layer") == ["层", "layer"]


def _results(pg):
    pg.wait_for_function(
        "() => { const s = document.querySelector('#search-results .search-summary');"
        " return s && /found|did not match/i.test(s.textContent); }",
        timeout=30_000,
    )
    return pg.evaluate(
        """() => Array.from(document.querySelectorAll('#search-results ul.search > li')).map(li => ({
            href: li.querySelector('a').getAttribute('href'),
            snippet: (li.querySelector('p.context') || {textContent: ''}).textContent}))"""
    )


def _page_of(href: str) -> str:
    return re.sub(r"\.html(#.*)?(\?.*)?$", "", href.split("?")[0]).lstrip("./")


@pytest.mark.parametrize("query", list(EXPECTED))
def test_chinese_term_finds_its_pages(query, site, browser):
    with Visit(browser, site, DESKTOP) as visit:
        pg = visit.page
        pg.goto(f"{site}/search.html?q={query}", wait_until="load")
        results = _results(pg)
        # snippets are fetched page by page after the list appears
        pg.wait_for_function(
            "n => document.querySelectorAll('#search-results ul.search > li p.context').length >= n",
            arg=min(len(results), 3), timeout=30_000,
        )
        results = _results(pg)
        errors = list(visit.errors)
    found = {_page_of(r["href"]) for r in results}
    missing = EXPECTED[query] - found
    assert not missing, f"searching {query} did not find {sorted(missing)}; found {sorted(found)}"
    for page in found:
        html = (HTML / f"{page}.html").read_text(encoding="utf-8")
        assert query in re.sub(r"<[^>]+>", "", html), f"{query}: result {page} does not contain the term"
    snippets = [r["snippet"] for r in results if r["snippet"]]
    assert snippets, f"{query}: no result snippets"
    raw_tex = [s[:120] for s in snippets if re.search(r"\\[a-zA-Z]+|\$|\\\(|\\\[", s)]
    assert not raw_tex, f"{query}: snippets with raw LaTeX: {raw_tex}"
    assert not errors, errors
