"""The Chinese edition as `make book` builds it (_build/html/zh), read without a browser.

- Every page of the book is translated, except those listed in locales/zh_CN/pending.txt (the one list of
  what is left): 0 untranslated and 0 fuzzy strings, figure labels included (the build's report).
- Each page of one edition links to the same page of the other, and the sections have the same anchors.
- Formulas and numbers are the same in both editions of a translated page.
- The glossary is sorted by pinyin, with 发放率 and never 燃烧率 as a term.
"""

from __future__ import annotations

import collections
import html
import json
import pickle
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools import glossary as glossary_data  # noqa: E402
from tools import i18n  # noqa: E402
from tools import toc  # noqa: E402

EN = ROOT / "_build" / "html"
ZH = EN / "zh"
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("zh")]  # needs the built book (make book)


@pytest.fixture(scope="module")
def report():
    if not i18n.REPORT.exists() or not (ZH / "index.html").exists():
        pytest.fail("the Chinese edition is missing: run `make book` (it builds both editions)")
    return json.loads(i18n.REPORT.read_text(encoding="utf-8"))


def translated_pages() -> list[str]:
    pending = set(i18n.pending_pages())
    return [p for p in toc.pages() if p not in pending]


class _Page(HTMLParser):
    """The language switch, the html lang, the section ids and the text of a built page."""

    def __init__(self):
        super().__init__()
        self.switch, self.lang, self.sections, self.ids = None, None, [], set()
        self.text, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "a" and "data-edition-switch" in a:
            self.switch = a
        if tag == "section" and a.get("id"):
            self.sections.append(a["id"])
        if a.get("id"):
            self.ids.add(a["id"])
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def parse(path: Path) -> _Page:
    p = _Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def test_translated_pages_have_no_untranslated_or_fuzzy_strings(report):
    problems = i18n.check(report)
    assert not problems, "\n".join(problems)
    for page in translated_pages():
        r = report["pages"][page]
        assert r["total"] > 0 and r["translated"] == r["total"], page


def test_pending_list_is_exactly_what_is_left(report):
    """Every page listed as pending is a page of the book and still has untranslated strings (a finished
    page must leave the list, so that the list is the truth about what is left)."""
    pages = toc.pages()
    pending = i18n.pending_pages()
    assert len(pending) == len(set(pending))
    for page in pending:
        assert page in pages, f"pending.txt lists {page}, which is not in _toc.yml"
        r = report["pages"][page]
        assert r["untranslated"] + r["fuzzy"] > 0, f"{page} is complete: remove it from pending.txt"
    assert set(translated_pages()) >= {"book/homework", "book/appendix/glossary", "book/appendix/errata",
                                       "book/appendix/references", "book/appendix/linear_algebra"}


@pytest.mark.parametrize("page", toc.pages())
def test_each_page_links_to_the_same_page_of_the_other_edition(page):
    en, zh = EN / f"{page}.html", ZH / f"{page}.html"
    assert en.exists() and zh.exists(), page
    pen, pzh = parse(en), parse(zh)
    assert pen.lang == "en" and pzh.lang == "zh-CN"
    for here, other, parsed, lang in ((en, zh, pen, "zh-CN"), (zh, en, pzh, "en")):
        assert parsed.switch is not None, f"{here}: no language switch"
        assert parsed.switch["hreflang"] == lang
        target = (here.parent / parsed.switch["href"]).resolve()
        assert target == other.resolve(), f"{here}: switch goes to {target}"
    # The same sections, with the same anchors (the Chinese glossary adds its pinyin letters).
    zh_sections = [s for s in pzh.sections if not s.startswith("pinyin-")]
    if page == glossary_data.GLOSSARY.relative_to(ROOT).with_suffix("").as_posix():
        assert set(pen.sections) <= pzh.ids
    else:
        assert zh_sections == pen.sections


def _doctree(folder: Path, page: str):
    with (folder / f"{page}.doctree").open("rb") as f:
        return pickle.load(f)


def _prose(tree) -> str:
    """The text of a doctree outside formulas, code and raw HTML."""
    from docutils import nodes

    skip = (nodes.math, nodes.math_block, nodes.literal, nodes.literal_block, nodes.raw)
    return " ".join(n.astext() for n in tree.findall(nodes.Text)
                    if not any(isinstance(a, skip) for a in _ancestors(n)))


def _ancestors(node):
    while node is not None:
        yield node
        node = node.parent


_TEXT = re.compile(r"\\text\{[^{}]*\}")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")


@pytest.mark.parametrize("page", translated_pages())
def test_formulas_and_numbers_are_the_same_in_both_editions(page):
    from docutils import nodes

    trees = [_doctree(ROOT / "_build" / ".doctrees", page), _doctree(ROOT / "_build" / "zh" / ".doctrees", page)]
    formulas, numbers = [], []
    for tree in trees:
        math = ["".join(_TEXT.sub("", n.astext()).split())
                for n in tree.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block)))]
        formulas.append(collections.Counter(math))
        numbers.append(set(_NUMBER.findall(_prose(tree))))
    assert formulas[0] == formulas[1]
    assert sum(formulas[0].values()) > 0 or page in ("book/homework", "book/appendix/references",
                                                     "book/appendix/glossary", "book/appendix/instructor_guide",
                                                     "book/appendix/writing_assignments")
    # Chinese counts large numbers in 万 and 亿: 86 billion is 860 亿 (the same digits, another power of 10).
    scaled = {n.rstrip("0").rstrip(".") for n in numbers[1] if "." not in n}
    missing = {n for n in numbers[0] - numbers[1] if "." in n or n.rstrip("0") not in scaled}
    assert not missing, f"{page}: numbers of the English text missing in the Chinese one: {sorted(missing)[:20]}"


@pytest.mark.parametrize("page", translated_pages())
def test_translated_pages_read_in_chinese(page):
    """The page is Chinese prose: outside formulas and code, most of its letters are Chinese characters
    (the references keep the English titles of the works they cite, the glossary has an English column)."""
    text = _prose(_doctree(ROOT / "_build" / "zh" / ".doctrees", page))
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    latin = len(re.findall(r"[A-Za-z]", text))
    assert cjk > 200, page
    if page not in ("book/appendix/references", "book/appendix/glossary"):
        assert cjk > latin, (page, cjk, latin)


def test_glossary_is_sorted_by_pinyin():
    rows = re.findall(r"<tr[^>]*>\s*<td[^>]*><p>(.*?)</p></td>", (ZH / "book/appendix/glossary.html").read_text(
        encoding="utf-8"), re.S)
    names = [html.unescape(re.sub(r"（见 .*?）", "", re.sub(r"<[^>]+>", "", r))).strip() for r in rows]
    expected = [e.name for e in glossary_data.zh_entries()]
    assert names == expected
    assert "发放率" in names and "燃烧率" not in names
    keys = [glossary_data.sort_key(e.pinyin) for e in glossary_data.zh_entries()]
    assert keys == sorted(keys)
    # Each name links to the chapter its English row links to.
    page = (ZH / "book/appendix/glossary.html").read_text(encoding="utf-8")
    row = re.search(r"<tr[^>]*>\s*<td[^>]*><p>发放率</p></td>.*?</tr>", page, re.S).group(0)
    assert "activations.html" in row


@pytest.mark.parametrize("page", toc.pages())
def test_untranslated_strings_are_marked_on_the_page(page, report):
    """A reader of the Chinese edition sees which paragraphs are still English: a note at the top of the
    page with their number, and a mark in the margin of each."""
    text = (ZH / f"{page}.html").read_text(encoding="utf-8")
    r = report["pages"][page]
    left = r["untranslated"] + r["fuzzy"]
    marked = len(re.findall(r'class="[^"]*\buntranslated\b', text))
    if left:
        assert f"{left} 处仍以英文显示" in text
        assert marked > 0, (page, left)
    else:
        assert "edition-untranslated" not in text and marked == 0, page
