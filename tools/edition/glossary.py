"""The glossary of the Chinese edition: one list sorted by pinyin (中文 | English | 章节) under initial letters.

The English page groups its terms by topic in tables English | 中文 | chapter. Those tables are data, not
prose: they are kept out of the catalogs (``mark_untranslatable``, before Sphinx translates the page), and in
the Chinese edition they are replaced, once every link is resolved, by the entries of ``tools/glossary.py``
(every Chinese name, synonyms pointing to their main name, in pinyin order from ``glossary_pinyin.yml``).
Each entry's chapter link is the resolved link of its row on the English page, so it goes to the paragraph
that introduces the term, as in the English edition.
"""

from __future__ import annotations

from docutils import nodes

GLOSSARY = "book/appendix/glossary"
HEADER = ("English", "中文", "chapter")


def _term_tables(doctree) -> list[nodes.table]:
    out = []
    for table in doctree.findall(nodes.table):
        head = next(table.findall(nodes.thead), None)
        if head is not None and tuple(e.astext().strip() for e in head.findall(nodes.entry)) == HEADER:
            out.append(table)
    return out


def _term_sections(doctree) -> list[nodes.section]:
    return [t.parent for t in _term_tables(doctree) if isinstance(t.parent, nodes.section)]


def mark_untranslatable(docname: str, doctree) -> None:
    if docname != GLOSSARY:
        return
    for table in _term_tables(doctree):
        for node in table.findall(nodes.TextElement):
            node["translatable"] = False
    for section in _term_sections(doctree):
        section[0]["translatable"] = False  # the topic headings: the Chinese edition replaces them


def _entry(*children) -> nodes.entry:
    entry = nodes.entry()
    entry += nodes.paragraph("", "", *children)
    return entry


def _table(entries, links) -> nodes.table:
    table = nodes.table(classes=["zh-glossary"])
    group = nodes.tgroup(cols=3)
    table += group
    for width in (3, 4, 2):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    row = nodes.row()
    for text in ("中文", "English", "章节"):
        row += _entry(nodes.Text(text))
    head += row
    body = nodes.tbody()
    for e in entries:
        row = nodes.row()
        name = [nodes.Text(e.name)]
        if e.name != e.main:
            name.append(nodes.Text(f"（见 {e.main}）"))
        row += _entry(*name)
        row += _entry(nodes.Text(e.english))
        link = links.get(e.name)
        row += _entry(link.deepcopy()) if link is not None else _entry(nodes.Text(e.doc))
        body += row
    group += [head, body]
    return table


def _resolved(app, doctree, docname) -> None:
    from . import is_chinese

    if docname != GLOSSARY or not is_chinese(app.config) or app.builder.format != "html":
        return
    from .. import glossary as data

    sections = _term_sections(doctree)
    if not sections:
        return
    # Chinese cell as written -> the resolved chapter link of its row.
    row_links = {}
    for table in _term_tables(doctree):
        for row in next(table.findall(nodes.tbody)).findall(nodes.row):
            cells = [c for c in row.children if isinstance(c, nodes.entry)]
            refs = list(cells[2].findall(nodes.reference))
            if refs:
                row_links[cells[1].astext().strip()] = refs[0]
    links = {}
    for r in data.rows():
        for name in r.names:
            if r.chinese in row_links:
                links.setdefault(name, row_links[r.chinese])
    entries = data.zh_entries()
    parent = sections[0].parent
    at = parent.index(sections[0])
    old_ids = [i for s in sections for i in s["ids"]]
    for s in sections:
        parent.remove(s)
    by_letter: dict[str, list] = {}
    for e in entries:
        by_letter.setdefault(e.pinyin[0].upper(), []).append(e)
    new = []
    for letter, group in by_letter.items():
        section = nodes.section(ids=[f"pinyin-{letter.lower()}"], names=[f"pinyin-{letter.lower()}"])
        section += nodes.title("", letter)
        section += _table(group, links)
        new.append(section)
    new[0]["ids"] += old_ids  # links to the English topic sections land on the list
    for k, section in enumerate(new):
        parent.insert(at + k, section)
    _page_toc(app.env, docname, new)


def _page_toc(env, docname, sections) -> None:
    """The page's contents panel lists the letters instead of the English topics."""
    from sphinx import addnodes

    toc = env.tocs.get(docname)
    if toc is None or not len(toc) or not isinstance(toc[0], nodes.list_item):
        return
    items = nodes.bullet_list()
    for s in sections:
        ref = nodes.reference("", "", nodes.Text(s[0].astext()), internal=True, refuri=docname,
                              anchorname="#" + s["ids"][0])
        items += nodes.list_item("", addnodes.compact_paragraph("", "", ref))
    top = toc[0]
    for child in list(top.children):
        if isinstance(child, nodes.bullet_list):
            top.remove(child)
    top += items


def setup(app):
    app.connect("doctree-resolved", _resolved, priority=900)
