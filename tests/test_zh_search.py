"""Search in the Chinese edition, in the browser: the built site's own search page (Sphinx's Chinese search,
jieba with the course's terms, tools/edition/search.py) finds the page that defines a term first, for the
glossary's terms, their synonyms and the terms a page defines in bold.

A term whose defining page is not translated yet (locales/zh_CN/pending.txt) is left out: the list below
covers the whole book, and the test grows with the translation.
"""

from __future__ import annotations

import re
import sys

import pytest

from _browser import DESKTOP, HTML, ROOT, Visit

sys.path.insert(0, str(ROOT))
from tools import glossary as glossary_data  # noqa: E402
from tools import i18n  # noqa: E402
from tools import toc  # noqa: E402
from tools.edition.search import defined_terms  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser_zh")]

# Glossary terms and the synonyms students type: the defining page is the glossary's chapter for the name.
GLOSSARY_TERMS = [
    "神经元", "权重", "偏置", "净输入", "激活函数", "激励函数", "发放率", "感知器", "感知机", "多层感知器",
    "万能近似定理", "损失函数", "代价函数", "独热编码", "反向传播", "反向传播算法", "误差反向传播", "BP算法",
    "链式法则", "雅可比矩阵", "梯度", "偏导数", "梯度下降", "动量", "梯度消失", "梯度爆炸", "丢弃法", "暂退法",
    "随机失活", "提前停止", "早停", "数据增强", "数据增广", "泛化错误", "稠密层", "Softmax函数",
]
# Terms a translated page defines in bold and the glossary does not list.
PAGE_TERMS = {name: "book/appendix/linear_algebra" for name in ["点积", "内积", "外积", "转置", "全微分", "向量化函数"]}
# A question as a student types it: the query is cut into the index's words (one run of characters for
# Sphinx's own splitter, which finds nothing).
PHRASES = {"什么是反向传播": "book/backprop"}
SEGMENTED = {"点积的定义": "book/appendix/linear_algebra", "雅可比矩阵与链式法则": "book/appendix/linear_algebra"}


def expected_pages() -> dict[str, str]:
    docs = {e.name: e.doc for e in glossary_data.zh_entries()}
    out = {}
    for name in GLOSSARY_TERMS:
        assert name in docs, f"{name} is not a name of the glossary"
        out[name] = (glossary_data.GLOSSARY.parent / docs[name]).resolve().relative_to(ROOT).as_posix()
    return {**out, **PAGE_TERMS, **PHRASES}


EXPECTED = expected_pages()
PENDING = set(i18n.pending_pages())
ACTIVE = {q: page for q, page in EXPECTED.items() if page not in PENDING}


def test_the_list_covers_the_book():
    assert len(GLOSSARY_TERMS) + len(PAGE_TERMS) >= 30
    pages = set(toc.pages())
    assert set(EXPECTED.values()) <= pages
    # The bold definitions of the translated linear-algebra page name these terms.
    assert defined_terms("点积（dot product，也称内积）") == ["点积", "内积"]
    assert defined_terms("点积") == []  # a Chinese word in bold without its English name is emphasis
    assert ACTIVE, "no term's defining page is translated"


RESULTS = "els => els.map(e => e.getAttribute('href'))"
SUMMARY = ("() => { const s = document.querySelector('#search-results .search-summary');"
           " return s && s.textContent.trim().length > 0; }")


def _pages(hrefs: list[str]) -> list[str]:
    return [re.sub(r"\.html(#.*)?$", "", h.split("?")[0]).lstrip("./") for h in hrefs]


def _results(pg, site: str, query: str) -> list[str]:
    pg.goto(f"{site}/zh/search.html?q={query}", wait_until="load")
    # Sphinx writes the summary ("搜索完成，匹配到 3 页。") when the list is complete, not before.
    pg.wait_for_function(SUMMARY, timeout=60_000)
    return _pages(pg.eval_on_selector_all("#search-results ul.search > li a", RESULTS))


def _first_result(pg, site: str, query: str) -> str | None:
    """The first page the search page lists for ``query`` (None: nothing found). Sphinx shows its results
    best first, one at a time, and fetches each result's page for its snippet as it shows it: the first
    result is known as soon as it is shown, and leaving the page then spares fetching and parsing the other
    result pages."""
    pg.goto(f"{site}/zh/search.html?q={query}", wait_until="load")
    pg.wait_for_function(f"() => document.querySelector('#search-results ul.search > li a') || ({SUMMARY})()",
                         timeout=60_000)
    return next(iter(_pages(pg.eval_on_selector_all("#search-results ul.search > li a", RESULTS))), None)


def test_defining_page_comes_first(site, browser):
    if not (HTML / "zh" / "search.html").exists():
        pytest.fail("the Chinese edition is missing: run `make book`")
    wrong = {}
    with Visit(browser, site, DESKTOP) as visit:
        for query, page in ACTIVE.items():
            if _first_result(visit.page, site, query) != page:
                wrong[query] = _results(visit.page, site, query)[:3]  # the whole list, for the message
        assert not visit.errors, visit.errors
        assert not visit.external, visit.external
    assert not wrong, f"first result is not the defining page: {wrong}"


def test_a_question_is_cut_into_words(site, browser):
    with Visit(browser, site, DESKTOP) as visit:
        for query, page in SEGMENTED.items():
            assert page in _results(visit.page, site, query), query
            # Every result's snippet made from its page (the test above leaves after the first result).
            visit.page.wait_for_function("() => Array.from(document.querySelectorAll('#search-results ul.search > li'))"
                                         ".every((li) => li.querySelector('p.context'))", timeout=60_000)
        assert not visit.errors, visit.errors
