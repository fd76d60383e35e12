"""Equations and figures numbered by chapter, as textbooks (d2l, nndl) number them: "by (4.3)", "Fig. 4.2".

``_toc.yml`` numbers the Chapters part (``numbered: 1``: the chapters, not their sections), and
Sphinx numbers every figure and labelled equation within its chapter (``numfig`` with
``numfig_secnum_depth: 1`` and ``math_numfig``, the defaults Jupyter Book keeps), so neurons is 1 and
the project 10, as their exercises are numbered. Two things Sphinx does not do are done here:

- The book's first page (the root document, outside every numbered part) is chapter 0, as its
  exercises are (0.1, 0.2, ...): its numbers get the prefix 0.
- The pages of the unnumbered parts (homework, appendices) share one counter with the root
  document in Sphinx; with the root's numbers moved to chapter 0, theirs start again at 1.

Runs after Sphinx has assigned the numbers (``env-get-updated``, after the toctree collector) and
changes only ``env.toc_fignumbers``, which every writer (HTML, singlehtml) and the {eq}/{numref}
resolvers read.
"""

from __future__ import annotations

# After Sphinx's own listener (the toctree collector's, at the default priority 500).
PRIORITY = 900
ROOT_CHAPTER = 0


def renumber(fignumbers: dict, root: str, root_chapter: int = ROOT_CHAPTER) -> dict:
    """``env.toc_fignumbers`` ({docname: {figtype: {id: (numbers)}}}) with the root document's
    unprefixed numbers (n,) as (root_chapter, n) and every other unprefixed number (m,) counted
    without the root's: (m - how many of the root's numbers of that type come before m,)."""
    root_numbers = {figtype: sorted(n[0] for n in ids.values() if len(n) == 1)
                    for figtype, ids in fignumbers.get(root, {}).items()}
    out = {}
    for docname, types in fignumbers.items():
        out[docname] = {}
        for figtype, ids in types.items():
            before = root_numbers.get(figtype, [])
            new = {}
            for node_id, number in ids.items():
                if len(number) != 1:
                    new[node_id] = number
                elif docname == root:
                    new[node_id] = (root_chapter, number[0])
                else:
                    new[node_id] = (number[0] - sum(1 for r in before if r < number[0]),)
            out[docname][figtype] = new
    return out


def _chapter_zero(app, env):
    if env.config.numfig and env.toc_secnumbers:  # nothing to do for a book without numbered chapters
        root = env.config.root_doc
        if not env.toc_secnumbers.get(root, {}).get(""):  # the root is not itself a numbered chapter
            env.toc_fignumbers = renumber(env.toc_fignumbers, root)
    return []


def setup(app):
    app.connect("env-get-updated", _chapter_zero, priority=PRIORITY)
