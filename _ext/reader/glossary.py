"""Glossary entries that link to where each term is introduced, and an index built from them.

The glossary page (``book/appendix/glossary``) is a set of tables: English | 中文 | chapter. The
chapter cell used to link to the top of the chapter. A key term gets its Chinese name at first use
(the project's rule), so the first paragraph, table cell or heading of the chapter that contains
the Chinese name (else the English name) is where the term is introduced: the link now goes
there, and the book's index (genindex) gets the English and the Chinese name of every term,
pointing at the same place. A term the chapter never names keeps the link to the chapter.

The index entries are "main" entries, and every synonym of a term (``synonyms.txt``) gets one too:
Sphinx's search lists main index entries that match the query first, so searching for a term (or
another name of it: 暂退法, early stopping) opens the chapter that defines it at that paragraph,
ahead of the glossary and the errata that merely mention it.
"""

from __future__ import annotations

import hashlib
import re

from docutils import nodes
from sphinx import addnodes
from sphinx.util import docname_join

from .search import SYNONYMS

GLOSSARY = "book/appendix/glossary"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def chinese_names(cell: str) -> list[str]:
    """'激活函数 (激励函数)' -> ['激活函数', '激励函数']; alternatives split at / ; ( ) 、"""
    parts = re.split(r"[/;()（）、,，]|\s或\s", cell)
    return [p.strip() for p in parts if _CJK.search(p) and "$" not in p and len(p.strip()) >= 2]


def english_names(cell: str) -> list[str]:
    parts = re.split(r"\s*[/;]\s*", cell)
    return [p.strip() for p in parts if p.strip()]


def _visible_text(node) -> str:
    """The text a reader sees: without raw HTML (e.g. the ✓ marks' attributes)."""
    return "".join(t.astext() for t in node.findall(nodes.Text) if not isinstance(t.parent, nodes.raw))


def _read(app, doctree) -> None:
    env = app.env
    docname = env.docname
    if not hasattr(env, "reader_zh_paragraphs"):
        env.reader_zh_paragraphs = {}
        env.reader_glossary = []
    # Every block a term can be introduced in, in document order: paragraphs, table cells, titles and
    # the terms of definition lists (a chapter's "saturation (饱和): ..." list defines its terms there).
    blocks, used = [], set()
    for node in doctree.findall(lambda n: isinstance(n, (nodes.paragraph, nodes.entry, nodes.title, nodes.term))):
        if isinstance(node, nodes.entry) and any(isinstance(c, nodes.paragraph) for c in node.children):
            continue  # its paragraphs are listed themselves
        if isinstance(node, nodes.title) and (not isinstance(node.parent, nodes.section) or not node.parent["ids"]):
            continue
        text = _visible_text(node)
        if isinstance(node, nodes.title):
            pid = node.parent["ids"][0]
        else:
            # An id from the text, not the position: editing one paragraph must not move the
            # anchors of all the others (the glossary page may not be rewritten in the same build).
            pid = node["ids"][0] if node["ids"] else "term-" + hashlib.sha1(text.encode()).hexdigest()[:8]
            while pid in used and pid not in node["ids"]:
                pid += "x"
            if pid not in node["ids"]:
                node["ids"].append(pid)
        used.add(pid)
        blocks.append((text, pid))
    env.reader_zh_paragraphs[docname] = blocks
    if docname == GLOSSARY:
        rows = []
        for row in doctree.findall(nodes.row):
            cells = [e for e in row.children if isinstance(e, nodes.entry)]
            xrefs = list(cells[2].findall(addnodes.pending_xref)) if len(cells) == 3 else []
            if not xrefs or xrefs[0].get("reftype") != "doc":
                continue
            target = docname_join(docname, xrefs[0]["reftarget"])
            row["reader_glossary_row"] = len(rows)  # kept in the pickled doctree, read back by _link
            rows.append((cells[0].astext(), cells[1].astext(), target))
        env.reader_glossary = rows


def _where(env, chinese: str, target: str, english: str = "") -> str | None:
    """The first block of ``target`` naming the term: by its Chinese name, else its English one."""
    blocks = env.reader_zh_paragraphs.get(target, [])
    for name in chinese_names(chinese):
        for text, pid in blocks:
            if name in text:
                return pid
    for name in english_names(re.sub(r"\s*\([^)]*\)", "", english)):
        pattern = re.compile(rf"\b{re.escape(name)}", re.I)
        for text, pid in blocks:
            if pattern.search(text):
                return pid
    return None


def glossary_entries(env) -> dict[str, list[tuple]]:
    """Per chapter, the index entries (every English, Chinese and synonym name of a glossary term)
    at the paragraph that introduces each term."""
    out: dict[str, list[tuple]] = {}
    for english, chinese, target in getattr(env, "reader_glossary", []):
        pid = _where(env, chinese, target, english)
        if pid is None:
            continue
        names = english_names(english) + chinese_names(chinese)
        names += [n for name in names for n in SYNONYMS.of(re.sub(r"\s*\([^)]*\)", "", name))]
        doc_entries = out.setdefault(target, [])
        for name in dict.fromkeys(names):
            entry = ("single", name.replace(";", ","), pid, "main", None)
            if entry not in doc_entries:
                doc_entries.append(entry)
    return out


def _index(app, env) -> None:
    """The book's index (genindex) lists every name of every term."""
    entries = env.get_domain("index").entries
    for target, new in glossary_entries(env).items():
        doc_entries = entries.setdefault(target, [])
        doc_entries.extend(e for e in new if e not in doc_entries)


def _search_entries(app, doctree, docname) -> None:
    """The same entries as index nodes of the chapter, where Sphinx's search index finds them: its
    search lists a main index entry that matches the query before the pages that merely contain it."""
    if app.builder.format != "html":
        return
    new = glossary_entries(app.env).get(docname)
    if new:
        doctree.insert(0, addnodes.index(entries=new, inline=False))


def _link(app, doctree, docname) -> None:
    if docname != GLOSSARY or app.builder.name != "html":
        return
    env = app.env
    rows = getattr(env, "reader_glossary", [])
    for row in doctree.findall(nodes.row):
        k = row.get("reader_glossary_row")
        refs = list(row.findall(nodes.reference))
        if k is None or k >= len(rows) or not refs or "#" in refs[0].get("refuri", "#"):
            continue
        english, chinese, target = rows[k]
        pid = _where(env, chinese, target, english)
        if pid:
            refs[0]["refuri"] += f"#{pid}"


def _outdated(app, env, added, changed, removed):
    """Any chapter read again may have moved a term: rewrite the glossary's links too; a glossary read
    again may credit other chapters with its terms: rewrite them (their search entries) too."""
    docs = set()
    if (added | changed | removed) - {GLOSSARY} and GLOSSARY in env.found_docs:
        docs.add(GLOSSARY)
    if GLOSSARY in added | changed:
        docs |= {t for _e, _c, t in getattr(env, "reader_glossary", []) if t in env.found_docs}
    return sorted(docs)


def _purge(app, env, docname) -> None:
    getattr(env, "reader_zh_paragraphs", {}).pop(docname, None)


def _merge(app, env, docnames, other) -> None:
    env.reader_zh_paragraphs = {**getattr(env, "reader_zh_paragraphs", {}), **getattr(other, "reader_zh_paragraphs", {})}
    if getattr(other, "reader_glossary", None):
        env.reader_glossary = other.reader_glossary


def setup(app):
    app.connect("doctree-read", _read)
    app.connect("env-updated", _index)
    app.connect("doctree-resolved", _link)
    app.connect("doctree-resolved", _search_entries)
    app.connect("env-get-outdated", _outdated)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
