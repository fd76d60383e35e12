"""Search in the Chinese edition: Sphinx's Chinese search (jieba word segmentation) that knows the course.

- jieba's dictionary learns every Chinese name of the glossary (``tools/glossary.py``) and of the synonym
  list of the reader extension (``_ext/reader/synonyms.txt`` when present), so 反向传播算法, 暂退法 or 发放率
  are indexed as words and not cut into unrelated pieces.
- A page that names a term is also indexed under its other names (the names of one glossary row, and the
  groups of the synonym list): 随机失活 finds the pages about 丢弃法.
- The browser cannot run jieba, and Sphinx's query splitter keeps a run of Chinese characters as one word,
  so 什么是反向传播 would find nothing. The query splitter here cuts a Chinese run into the longest words the
  index holds (forward maximum matching against the index's own terms), which are jieba's words of the
  same dictionary: the query and the index agree.

- Defining chapter first: the glossary's index entries point every glossary term at the paragraph that
  introduces it (the reader extension). A term the glossary does not list but a page defines — in bold, with
  its English name in parentheses, the course's way of introducing a term (**点积（dot product）**) — gets a
  main index entry at that section, which Sphinx's search ranks above pages that merely use the word.

Registered as the search language ``zh_CN`` (the Chinese build sets ``html_search_language: zh_CN``); the
English edition keeps its own splitter.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from sphinx.search.zh import SearchChinese

from .. import glossary as data  # before reader: tools.glossary puts the reader extension (_ext) on the path
from reader.search import Synonyms, synonym_groups as listed_groups  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SYNONYMS = ROOT / "_ext" / "reader" / "synonyms.txt"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

JS_SPLITTER = r"""
var splitQuery = (query) => {
  const index = (typeof Search !== "undefined" && Search._index) || {};
  const known = (w) => (index.terms && w in index.terms) || (index.titleterms && w in index.titleterms);
  // The words of a question ("什么是反向传播") say nothing about the topic: a page must not need them.
  const question = new Set(["什么", "什么是", "是", "的", "吗", "呢", "怎么", "怎样", "如何", "为什么", "哪些", "哪个"]);
  const cjk = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/gu;
  const words = [];
  for (const token of query.split(/[^\p{Letter}\p{Number}_]+/gu)) {
    if (!token) continue;
    token.split(cjk).filter((w) => w).forEach((w) => words.push(w));
    for (const run of token.match(cjk) || []) {
      let i = 0;
      while (i < run.length) {
        let n = Math.min(run.length - i, 12);
        while (n > 1 && !known(run.slice(i, i + n))) n--;
        const word = run.slice(i, i + n);
        if ((n > 1 || known(run[i])) && !question.has(word)) words.push(word);
        i += n;
      }
    }
  }
  return words;
};
"""


def synonym_groups() -> list[list[str]]:
    """Names that mean the same: each glossary row (its English and Chinese names) and each line of the
    reader extension's synonym list."""
    groups = []
    for row in data.rows():
        english = [re.sub(r"\s*\([^)]*\)", "", n).strip() for n in data.english_names(row.english)]
        groups.append([n for n in [*english, *row.names] if n])
    if SYNONYMS.exists():
        groups += listed_groups(SYNONYMS)
    return [g for g in groups if len(g) > 1]


def course_words(groups: list[list[str]]) -> list[str]:
    """Every Chinese name the course uses as a term (``groups``: ``synonym_groups()``)."""
    names = [n for row in data.rows() for n in row.names]
    names += [n for g in groups for n in g if _CJK.search(n)]
    return list(dict.fromkeys(n for n in names if " " not in n))


class SearchChineseCourse(SearchChinese):
    lang = "zh_CN"
    language_name = "Chinese (jieba, course terms)"
    js_splitter_code = JS_SPLITTER

    def init(self, options) -> None:
        super().init(options)
        import jieba

        jieba.setLogLevel(logging.WARNING)
        groups = synonym_groups()
        for word in course_words(groups):
            # A high frequency: the term wins over jieba's own cut of its characters.
            jieba.add_word(word, freq=200000)
        # Sphinx's SearchChinese (7.4) records every Latin word it splits in a list shared by the class, and looks
        # each word it stems up in that list: quadratic in the size of the book, and the largest part of the
        # Chinese build's indexing. The same words in this instance's own set: ``stem`` asks the same question.
        self.latin_terms = _Terms()
        self._synonyms = Synonyms(groups)
        self._split_names: dict[str, list[str]] = {}

    def split(self, input: str) -> list[str]:
        words = super().split(input)
        for name in self._synonyms.named_in(input):
            if name not in self._split_names:
                self._split_names[name] = super().split(name)
            words.extend(self._split_names[name])
        return words


class _Terms(set):
    """A set that SearchChinese can ``extend`` like the list it declares."""

    extend = set.update


_ALSO = re.compile(r"也称|又称|简称|或称|亦称|即")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]{2,}")


def defined_terms(text: str) -> list[str]:
    """The Chinese names a bold definition introduces: '点积（dot product，也称内积）' -> ['点积', '内积']."""
    if not re.search(r"[A-Za-z]", text):
        return []  # a definition names the English term too
    return list(dict.fromkeys(_CJK_RUN.findall(_ALSO.sub(" ", text))))


def _definitions(app, doctree, docname) -> None:
    from docutils import nodes
    from sphinx import addnodes

    from . import is_chinese

    if not is_chinese(app.config) or app.builder.format != "html":
        return
    listed = {e.name for e in data.zh_entries()}
    entries = []
    for strong in doctree.findall(nodes.strong):
        section = next((a for a in _ancestors(strong) if isinstance(a, nodes.section) and a["ids"]), None)
        if section is None:
            continue
        for name in defined_terms(strong.astext()):
            entry = ("single", name, section["ids"][0], "main", None)
            if name not in listed and entry not in entries:
                entries.append(entry)
    if entries:
        doctree.insert(0, addnodes.index(entries=entries, inline=False))


def _ancestors(node):
    while node is not None:
        yield node
        node = node.parent


def setup(app):
    app.add_search_language(SearchChineseCourse)
    app.connect("doctree-resolved", _definitions)
