"""Search as a reader uses it, in the browser, on the built site's own search page: a term (Chinese or
English) or any of its synonyms (``_ext/reader/synonyms.txt``, from the nndl / d2l-zh vocabulary)
finds the chapter that defines it first, ahead of the glossary and the errata that only mention it;
the snippets show the term (or the synonym on the page), with formulas as their characters and no TeX;
the search box's icon does not cover what is typed.

The splitter itself (``_ext/reader/search.py``) is also checked directly: the index side and the query
side must cut a Chinese run into the same pieces, and a text is indexed under the synonyms it names.
"""

from __future__ import annotations

import re
import sys
from urllib.parse import quote

import pytest

from _browser import DESKTOP, HTML, PHONE, ROOT, Visit

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

sys.path.insert(0, str(ROOT / "_ext"))
from reader.search import SYNONYMS, SearchEnglishChinese, readable_math, split_text  # noqa: E402

# query -> the chapter that defines it (must be the first result)
DEFINING = {
    "感知器": "book/perceptron",
    "损失函数": "book/losses",
    "反向传播": "book/backprop",
    "激活函数": "book/activations",
    "梯度消失": "book/training",
    "activation function": "book/activations",
    # synonyms a student types (not the book's own term)
    "激励函数": "book/activations",
    "感知机": "book/perceptron",
    "BP": "book/backprop",
}
# synonyms that must find something (and the page they find must hold one of the group's names)
SYNONYM_QUERIES = ["提前停止", "早停", "丢弃法", "暂退法", "随机失活", "数据增强", "动量法", "泛化误差"]


def test_index_and_query_split_chinese_runs_the_same_way():
    assert split_text("反向传播算法 (backpropagation)") == ["反向", "向传", "传播", "播算", "算法", "backpropagation"]
    assert split_text("ReLU函数") == ["函数", "ReLU"]
    assert split_text("层 layer") == ["层", "layer"]


def test_a_text_is_indexed_under_the_synonyms_it_names():
    words = set(SearchEnglishChinese(None).split("我们在训练中使用暂退法。"))
    for name in ("丢弃法", "随机失活"):
        assert set(split_text(name)) <= words, name
    assert "dropout" in words
    # Whole words only: BPTT does not name BP.
    assert "backpropagation" not in set(SearchEnglishChinese(None).split("BPTT"))
    assert SYNONYMS.of("早停") == ["early stopping", "提前停止", "早停", "早停法"]


def _search(pg, site, query, n=3):
    pg.goto(f"{site}/search.html?q={quote(query)}", wait_until="load")
    pg.wait_for_function(
        "() => { const s = document.querySelector('#search-results .search-summary');"
        " return s && /found|did not match/i.test(s.textContent); }", timeout=30_000)
    count = pg.locator("#search-results ul.search > li").count()
    # snippets are fetched page by page after the list appears
    pg.wait_for_function(
        "n => document.querySelectorAll('#search-results ul.search > li p.context').length >= n",
        arg=min(count, n), timeout=30_000)
    return pg.evaluate(
        """() => Array.from(document.querySelectorAll('#search-results ul.search > li')).map(li => ({
            href: li.querySelector('a').getAttribute('href'),
            snippet: (li.querySelector('p.context') || {textContent: ''}).textContent}))""")


def _page_of(href: str) -> str:
    return re.sub(r"\.html(#.*)?(\?.*)?$", "", href.split("?")[0]).lstrip("./")


@pytest.fixture(scope="module")
def searched(site, browser):
    found, errors = {}, []
    with Visit(browser, site, DESKTOP) as visit:
        for query in [*DEFINING, *SYNONYM_QUERIES]:
            found[query] = _search(visit.page, site, query)
        errors = list(visit.errors)
    return found, errors


@pytest.mark.parametrize("query", list(DEFINING))
def test_the_defining_chapter_comes_first(query, searched):
    results, errors = searched
    pages = [_page_of(r["href"]) for r in results[query]]
    assert pages and pages[0] == DEFINING[query], f"searching {query}: {pages[:5]}"
    assert len(pages) == len(set(pages)), f"searching {query}: a page listed twice: {pages}"
    assert not errors, errors


@pytest.mark.parametrize("query", [*DEFINING, *SYNONYM_QUERIES])
def test_snippets_show_the_term_and_no_tex(query, searched):
    results, _ = searched
    names = [n.lower() for n in SYNONYMS.of(query)]
    snippets = [r["snippet"] for r in results[query][:3] if r["snippet"]]
    assert snippets, f"{query}: no result snippets"
    without = [s[:100] for s in snippets if not any(n in s.lower() for n in names)]
    assert not without, f"{query}: snippets without the term or a synonym: {without}"
    raw_tex = [s[:120] for s in snippets if re.search(r"\\[a-zA-Z]+|\$|\\\(|\\\[", s)]
    assert not raw_tex, f"{query}: snippets with raw LaTeX: {raw_tex}"
    placeholders = [s[:120] for s in snippets if "…" in s.strip("… ")]
    assert not placeholders, f"{query}: formulas shown as … in snippets: {placeholders}"


@pytest.mark.parametrize("query", SYNONYM_QUERIES)
def test_synonyms_find_pages(query, searched):
    results, _ = searched
    assert results[query], f"searching {query} found nothing"


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_search_icon_does_not_cover_the_typed_text(device, site, browser):
    with Visit(browser, site, PHONE if device == "phone" else DESKTOP) as visit:
        pg = visit.open("search")
        box = pg.locator("form.bd-search input[name='q']:visible").first
        box.fill("WWW")
        gap = pg.evaluate("""(input) => {
            const form = input.closest('form');
            const icon = form.querySelector('i, svg, .icon-search');
            const range = document.createRange();
            const style = getComputedStyle(input);
            // where the first typed character starts: the input's left edge plus its padding
            const textLeft = input.getBoundingClientRect().left + parseFloat(style.paddingLeft) + parseFloat(style.borderLeftWidth);
            return icon ? textLeft - icon.getBoundingClientRect().right : 100;
        }""", box.element_handle())
    assert gap >= 0, f"the search icon covers {-gap:.0f} px of the typed text ({device})"


# ---- titles with formulas -----------------------------------------------------------------------

def test_formulas_read_as_text():
    assert readable_math(r"\hat{\mathbf y} - \mathbf y") == "ŷ - y"
    assert readable_math(r"\max(x, \alpha x)") == "max(x, αx)"
    assert readable_math(r"\partial L/\partial f") == "∂L/∂f"


def test_the_search_index_holds_no_tex():
    import json

    text = (HTML / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1:text.rindex(")")])
    titles = list(index["titles"]) + list(index["alltitles"])
    assert any("ŷ - y" in t for t in titles), "the heading 'the gradient is ŷ - y' is not in the index"
    tex = [t for t in titles if re.search(r"\\[A-Za-z]+|\$", t)]
    assert not tex, f"titles with TeX in the search index: {tex}"
