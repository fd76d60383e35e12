"""Search that finds Chinese terms and their synonyms: an English index (Porter stemming) in which
every run of Chinese characters is also indexed as its overlapping character pairs (bigrams), and a
text that names a term is also indexed under the term's other names (``synonyms.txt``).

Sphinx's default (English) splitter keeps a whole run such as 反向传播算法 as one "word", so a
search for 反向传播 found only pages where that exact run stood alone; its own Chinese splitter
needs jieba and a dictionary that knows our terms. Bigrams need neither: 反向传播 becomes 反向,
向传, 传播 both in the index and in the query, and Sphinx returns the pages holding all three.
Registered as the search language ``zh`` (``html_search_language: zh`` in _config.yml, and the
language of the Chinese edition); the same splitting runs in the browser (``JS_SPLITTER``).

Segmentation of the Chinese edition: bigrams, not jieba (which Sphinx's own zh search uses when it is
installed). jieba cuts the index by its dictionary, but the browser cannot run jieba on the query, so
a query only matches where jieba happened to cut the same word; it also needs our terms (暂退法,
发放率) in its dictionary. Bigrams are the same on both sides, need no dictionary and find every
term of two or more characters (a page holding all of a query's bigrams; the snippet then shows the
term itself, see static/reader-search.js).

Titles with formulas: Sphinx indexes a section title as its text, which for a formula is its TeX, and
the search page shows that text as the result's title ("the gradient is \\hat{\\mathbf y} - \\mathbf y").
The indexer is handed titles whose formulas are readable Unicode text instead ("ŷ - y", pylatexenc's
LaTeX-to-text conversion); the page itself keeps its typeset heading.

Synonyms: a text naming any name of a group (丢弃法, 暂退法, 随机失活, dropout) is indexed under all
of them, so a reader finds the page by whichever name they know; the query stays as Sphinx parses it.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from pathlib import Path

from docutils import nodes
from sphinx.search.en import SearchEnglish

SYNONYMS_FILE = Path(__file__).with_name("synonyms.txt")

# CJK Unified Ideographs (+ extension A) and the compatibility block.
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def cjk_bigrams(run: str) -> list[str]:
    """Overlapping pairs of a run of Chinese characters (the character itself if it stands alone)."""
    if len(run) == 1:
        return [run]
    return [run[i:i + 2] for i in range(len(run) - 1)]


def split_text(text: str) -> list[str]:
    words: list[str] = []
    for token in re.findall(r"\w+", text):
        runs = _CJK.findall(token)
        if not runs:
            words.append(token)
            continue
        for run in runs:
            words.extend(cjk_bigrams(run))
        words.extend(w for w in _CJK.split(token) if w)  # Latin letters glued to Chinese (ReLU函数)
    return words


def synonym_groups(path: Path = SYNONYMS_FILE) -> list[list[str]]:
    """The groups of synonyms.txt: one group a line, names separated by " / "."""
    groups = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            names = [n.strip() for n in line.split(" / ") if n.strip()]
            if len(names) < 2:
                raise ValueError(f"{path}: a synonym group needs two names or more: {line!r}")
            groups.append(names)
    return groups


def _pattern(name: str) -> re.Pattern:
    # Latin names are whole words (BP is not a part of BPTT); Chinese names match anywhere.
    if _CJK.search(name):
        return re.compile(re.escape(name))
    return re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])", re.I)


# Besides the ASCII letters of other case, re.IGNORECASE matches an ASCII letter to these four (Python's
# re documentation): a text folded with them and lowered holds every ASCII name it matches as a substring.
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


class Synonyms:
    """Groups of names that mean the same, and which groups a text names.

    The indexers ask ``named_in`` of every paragraph and title of the book, against some 500 names in the
    Chinese edition: a substring test rules a name out before its pattern is searched for (a Chinese name's
    pattern is the substring itself), so that most names cost a substring test, not a regex search."""

    def __init__(self, groups: list[list[str]]):
        self.groups = [(names, [_pattern(n) for n in names]) for names in groups]
        self._chinese = [(n, i) for i, (names, _) in enumerate(self.groups) for n in names if _CJK.search(n)]
        self._latin = [(n.lower() if n.isascii() else "", i, p) for i, (names, patterns) in enumerate(self.groups)
                       for n, p in zip(names, patterns) if not _CJK.search(n)]

    def of(self, name: str) -> list[str]:
        """Every name of the groups ``name`` belongs to (itself included)."""
        found = [names for names, _ in self.groups if any(n.lower() == name.lower() for n in names)]
        return list(dict.fromkeys(n for names in found for n in names)) or [name]

    def named_in(self, text: str) -> list[str]:
        """Every name of every group of which ``text`` names one (in the order of the groups)."""
        hit = {i for n, i in self._chinese if n in text}
        folded = text.translate(_FOLD).lower()
        hit.update(i for n, i, p in self._latin if i not in hit and n in folded and p.search(text))
        return [name for i in sorted(hit) for name in self.groups[i][0]]


SYNONYMS = Synonyms(synonym_groups())


# The browser's query splitter: the same rules as split_text.
JS_SPLITTER = r"""
var splitQuery = (query) => {
  const cjk = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/gu;
  const words = [];
  for (const token of query.split(/[^\p{Letter}\p{Number}_]+/gu)) {
    if (!token) continue;
    const runs = token.match(cjk);
    if (!runs) { words.push(token); continue; }
    for (const run of runs) {
      if (run.length === 1) words.push(run);
      for (let i = 0; i + 1 < run.length; i++) words.push(run.slice(i, i + 2));
    }
    token.split(cjk).filter((w) => w).forEach((w) => words.push(w));
  }
  return words;
};
"""


class SearchEnglishChinese(SearchEnglish):
    lang = "zh"
    language_name = "English with Chinese terms"
    js_splitter_code = JS_SPLITTER

    def split(self, input: str) -> list[str]:
        words = split_text(input)
        for name in SYNONYMS.named_in(input):
            words.extend(split_text(name))
        return words

    def word_filter(self, word: str) -> bool:
        if _CJK.fullmatch(word):
            return True  # the English filter drops words shorter than 3 characters
        return super().word_filter(word)

    def stem(self, word: str) -> str:
        if _CJK.search(word):
            return word
        return super().stem(word)


def readable_math(tex: str) -> str:
    """A formula as plain Unicode text a reader can read where it cannot be typeset (search results):
    ``\\hat{\\mathbf y} - \\mathbf y`` -> ``ŷ - y``, ``\\max(x, \\alpha x)`` -> ``max(x, αx)``."""
    from pylatexenc.latex2text import LatexNodes2Text

    text = LatexNodes2Text(math_mode="text").latex_to_text(tex)
    # Math alphanumerics (𝐲, ℒ) as the letters a reader types; a hat over y as one character.
    return " ".join(unicodedata.normalize("NFKC", text).split())


def readable_text(node: nodes.Node) -> str:
    """The text of a title (or any node) with its formulas as readable text."""
    if isinstance(node, nodes.math):
        return readable_math(node.astext())
    if isinstance(node, nodes.Text):
        return node.astext()
    return "".join(readable_text(child) for child in node.children)


def readable_titles(doctree: nodes.document) -> nodes.document:
    """The doctree the search indexer reads: a copy whose titles hold readable text instead of
    formulas (the doctree itself when no title has one: a copy costs time on long chapters)."""
    def math_in_titles(tree):
        return [m for title in tree.findall(nodes.title) for m in title.findall(nodes.math)]

    if not math_in_titles(doctree):
        return doctree
    copy = doctree.deepcopy()
    for math in math_in_titles(copy):
        math.replace_self(nodes.Text(readable_math(math.astext())))
    return copy


def _index_readable_titles(app) -> None:
    """Sphinx's HTML builder feeds its indexer through ``index_page`` (a public builder method), with
    the page title as rendered HTML (for a title with a formula: the typeset markup) and the doctree
    (titles as TeX). This builder's ``index_page`` hands it readable text for both."""
    builder = app.builder
    if not hasattr(builder, "index_page"):
        return
    index_page = builder.index_page

    def readable_index_page(pagename, doctree, title):
        if "<mjx-container" in (title or ""):
            title = html.escape(readable_text(app.env.longtitles[pagename]))
        index_page(pagename, readable_titles(doctree), title)

    builder.index_page = readable_index_page


def _fingerprint(app, config) -> None:
    # In the HTML configuration: a change of the synonyms or of the splitter rewrites every page (and
    # with them the search index, which Sphinx only updates for the pages it writes).
    digest = hashlib.sha256(SYNONYMS_FILE.read_bytes() + Path(__file__).read_bytes())
    config.reader_search_fingerprint = digest.hexdigest()[:16]


def setup(app):
    app.add_config_value("reader_search_fingerprint", "", "html", [str])
    app.connect("config-inited", _fingerprint)
    app.connect("builder-inited", _index_readable_titles)
    app.add_search_language(SearchEnglishChinese)
