"""Search that finds Chinese terms: an English index (Porter stemming, as before) in which every run
of Chinese characters is also indexed as its overlapping character pairs (bigrams).

Sphinx's default (English) splitter keeps a whole run such as 反向传播算法 as one "word", so a
search for 反向传播 found only pages where that exact run stood alone; its own Chinese splitter
needs jieba and a dictionary that knows our terms. Bigrams need neither: 反向传播 becomes 反向,
向传, 传播 both in the index and in the query, and Sphinx returns the pages holding all three.
Registered as the search language ``zh`` (``html_search_language: zh`` in _config.yml); the same
splitting runs in the browser (``JS_SPLITTER``).
"""

from __future__ import annotations

import re

from sphinx.search.en import SearchEnglish

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
        return split_text(input)

    def word_filter(self, word: str) -> bool:
        if _CJK.fullmatch(word):
            return True  # the English filter drops words shorter than 3 characters
        return super().word_filter(word)

    def stem(self, word: str) -> str:
        if _CJK.search(word):
            return word
        return super().stem(word)


def setup(app):
    app.add_search_language(SearchEnglishChinese)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
