"""The glossary as data: the rows of ``book/appendix/glossary.md`` and the pinyin of every Chinese name.

The page is the one home of the terms (tables English | 中文 | chapter, the format ``_ext/reader/glossary.py``
reads to link each row to the paragraph that introduces the term). ``book/appendix/glossary_pinyin.yml``
gives the reading of every Chinese name of those tables — tone numbers, one syllable per Chinese
character, Latin parts as lower-case words (``Softmax函数`` -> ``softmax han2 shu4``) — so that the Chinese
edition can sort the glossary by pinyin (issue 21) without guessing the readings of polyphonic
characters (率 lü4 in 学习率, 差 cha1 in 误差, 重 zhong4 in 权重).

    python tools/glossary.py zh     # the Chinese glossary (中文 | English | 章节), sorted by pinyin
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import NamedTuple

import yaml

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "book" / "appendix" / "glossary.md"
PINYIN = ROOT / "book" / "appendix" / "glossary_pinyin.yml"

sys.path.insert(0, str(ROOT / "_ext"))
from reader.glossary import chinese_names, english_names  # noqa: E402  (the names the link extension sees)

_SYLLABLE = re.compile(r"([a-zv]+)([1-5])")
_ROW = re.compile(r"^\|(?P<en>[^|]+)\|(?P<zh>[^|]+)\|\s*\{doc\}`(?P<doc>[^`]+)`\s*\|\s*$")


class Row(NamedTuple):
    section: str
    english: str
    chinese: str  # the cell as written
    names: tuple  # its Chinese names, in order (chinese_names of the link extension)
    doc: str      # the chapter, relative to the glossary page


class Entry(NamedTuple):
    name: str
    pinyin: str
    english: str
    doc: str
    main: str  # the row's first Chinese name (a synonym points to it)


def rows(path: Path = GLOSSARY) -> list[Row]:
    """Every term row of the glossary page, in page order."""
    out, section = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        m = _ROW.match(line)
        if m and section:
            zh = m["zh"].strip()
            out.append(Row(section, m["en"].strip(), zh, tuple(chinese_names(zh)), m["doc"].strip()))
    if not out:
        raise ValueError(f"{path}: no glossary rows (English | 中文 | {{doc}}`chapter`) found")
    return out


def readings(path: Path = PINYIN) -> dict[str, str]:
    """Chinese name -> pinyin (tone numbers, space-separated)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ValueError(f"{path}: expected a mapping of Chinese name -> pinyin string")
    return data


def sort_key(pinyin: str) -> tuple:
    """Dictionary order: syllable by syllable, letters first (ü written v sorts after u), then the tone.

    A Latin word (ReLU, Softmax) sorts by its letters among the syllables, before any tone."""
    key = []
    for token in pinyin.split():
        m = _SYLLABLE.fullmatch(token)
        key.append((m[1], int(m[2])) if m else (token.lower(), 0))
    return tuple(key)


def _top_level(cell: str) -> list[str]:
    """Split at ';' and '/' outside parentheses: 'a (b, c) / d; e' -> ['a (b, c)', 'd', 'e']."""
    parts, depth, cur = [], 0, ""
    for ch in cell:
        depth += ch in "(（"
        depth -= ch in ")）"
        if depth == 0 and ch in ";/":
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return [p for p in [*parts, cur.strip()] if p]


def _pairs(row: Row) -> list[tuple[str, str, str]]:
    """(Chinese name, its English, the main name it is a synonym of) for the names of a row.

    The row's terms are paired in order when the English and the Chinese cell list as many (``local minimum /
    global minimum; saddle point`` with ``局部最优 (局部极小) / 全局最优; 鞍点``); a name in parentheses is a
    synonym of the name before them. Otherwise every name gets the whole English cell."""
    english = english_names(row.english)
    groups = _top_level(row.chinese)
    out = []
    for i, group in enumerate(groups):
        head = re.split(r"[(（]", group)[0].strip()
        alternatives = re.findall(r"[(（]([^)）]*)[)）]", group)
        en = english[i] if len(english) == len(groups) else ", ".join(english)
        for k, name in enumerate([head, *(a for alt in alternatives for a in re.split(r"[,，、]", alt))]):
            name = name.strip()
            if name in row.names:
                out.append((name, en, head if k and head in row.names else name))
    seen = {n for n, _, _ in out}
    out += [(n, ", ".join(english), n) for n in row.names if n not in seen]
    return out


def zh_entries(table: list[Row] | None = None, pinyin: dict[str, str] | None = None) -> list[Entry]:
    """One entry per Chinese name (synonyms included, pointing to their main name), sorted by pinyin."""
    table = rows() if table is None else table
    pinyin = readings() if pinyin is None else pinyin
    missing = [n for r in table for n in r.names if n not in pinyin]
    if missing:
        raise KeyError(f"no pinyin in {PINYIN.name} for: {', '.join(missing)}")
    entries = [Entry(name, pinyin[name], en, r.doc, main) for r in table for name, en, main in _pairs(r)]
    return sorted(entries, key=lambda e: (sort_key(e.pinyin), e.name))


def zh_markdown(entries: list[Entry] | None = None) -> str:
    """The Chinese glossary as MyST tables under initial-letter headings (A, B, C, ...)."""
    entries = zh_entries() if entries is None else entries
    lines, letter = [], None
    for e in entries:
        initial = e.pinyin[0].upper()
        if initial != letter:
            letter = initial
            lines += ["", f"## {letter}", "", "| 中文 | English | 章节 |", "| --- | --- | --- |"]
        see = "" if e.name == e.main else f" (见 {e.main})"
        lines.append(f"| {e.name}{see} | {e.english} | {{doc}}`{e.doc}` |")
    return "\n".join(lines).lstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    if argv != ["zh"]:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    sys.stdout.write(zh_markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
