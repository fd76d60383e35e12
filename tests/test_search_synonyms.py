"""Which synonym groups a text names (``reader.search.Synonyms.named_in``), the question both search indexers
ask of every paragraph and title: the quick answer (a substring test before each pattern) must be the answer
of searching every pattern, on the book's own texts in both languages and on the letters that
``re.IGNORECASE`` matches across scripts. And the Chinese indexer (``tools/edition/search.py``) stems every
word as Sphinx's ``SearchChinese`` does, without growing the list that Sphinx's class shares between builds.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
from reader.search import SYNONYMS, Synonyms  # noqa: E402

from tools.edition import search as zh_search  # noqa: E402


def every_pattern(synonyms: Synonyms, text: str) -> list[str]:
    """The answer by brute force: every name of each group one of whose patterns is found in ``text``."""
    return [name for names, patterns in synonyms.groups if any(p.search(text) for p in patterns) for name in names]


def book_texts() -> list[str]:
    """The paragraphs of the English pages and every translated string of the Chinese catalogs."""
    texts = [p for page in sorted((ROOT / "book").rglob("*.md"))
             for p in page.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    for catalog in sorted((ROOT / "locales" / "zh_CN" / "LC_MESSAGES").rglob("*.po")):
        with catalog.open("rb") as f:
            texts += [m.string for m in read_po(f) if m.id and isinstance(m.string, str) and m.string]
    return texts


@pytest.fixture(scope="module")
def course_synonyms() -> Synonyms:
    return Synonyms(zh_search.synonym_groups())


def test_the_book_names_the_same_groups_either_way(course_synonyms):
    texts = book_texts()
    assert len(texts) > 3000
    named = 0
    for synonyms in (SYNONYMS, course_synonyms):
        for text in texts:
            expected = every_pattern(synonyms, text)
            assert synonyms.named_in(text) == expected, text[:200]
            named += bool(expected)
    assert named > 1000  # the texts do name terms: the comparison is not between two empty lists


@pytest.mark.parametrize("text, named", [
    ("BP 算法", ["BP", "反向传播"]),
    ("BPTT", []),                                   # a whole word: BPTT does not name BP
    ("the-BP", []),
    ("\u212aernel trick", ["kernel", "核函数"]),      # KELVIN SIGN: re.IGNORECASE matches it to k
    ("\u017foftmax", ["softmax", "归一化指数函数"]),  # LONG S matches s
    ("S\u0130GMO\u0130D", ["sigmoid", "S型函数"]),     # CAPITAL I WITH DOT ABOVE matches i
    ("s\u0131gmoid", ["sigmoid", "S型函数"]),          # DOTLESS I matches i
    ("sigmoids", []),
    ("DROPOUT and 核函数", ["kernel", "核函数", "dropout", "丢弃法"]),
    ("丢弃法", ["dropout", "丢弃法"]),
    ("", []),
])
def test_letters_that_ignorecase_matches_across_scripts(text, named):
    synonyms = Synonyms([["BP", "反向传播"], ["kernel", "核函数"], ["softmax", "归一化指数函数"], ["dropout", "丢弃法"],
                         ["sigmoid", "S型函数"]])
    assert synonyms.named_in(text) == every_pattern(synonyms, text) == named


def test_the_chinese_indexer_stems_as_sphinx_does_and_shares_no_state():
    from sphinx.search.zh import SearchChinese

    shared = list(SearchChinese.latin_terms)
    course, plain = zh_search.SearchChineseCourse({}), SearchChinese({})
    text = "我们用 ReLU 和 Adam 训练 MLP，BP 算法（backpropagation）给出 gradients；its ies"
    words = course.split(text)
    plain_words = plain.split(text)
    assert set(plain_words) <= set(words)
    # What Sphinx's class does (its list holds these words now, from plain.split): the same stems.
    assert [course.stem(w) for w in plain_words] == [plain.stem(w) for w in plain_words]
    # A Latin word of the text whose stem would be shorter than 3 letters is kept whole; one never split is stemmed.
    assert course.stem("its") == plain.stem("its") == "its" and course.stem("ties") == plain.stem("ties") == "tie"
    assert "反向传播" in words and "反向传播" not in plain_words  # BP names its group
    # The course's instance keeps its Latin words to itself: the list Sphinx's class shares grew by the plain
    # instance's words only.
    assert SearchChinese.latin_terms[len(shared):] == re.findall(r"[a-zA-Z0-9_]+", text)
    assert isinstance(course.latin_terms, set) and {"ReLU", "backpropagation"} <= course.latin_terms
