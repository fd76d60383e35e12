"""Verification without noise: the pages' ``check(...)`` cells still run when the book is built (a
claim that is not proved raises, and the build fails), but they no longer interrupt the text.

A code cell whose source is nothing but ``check("name", ...)`` calls (``nnlib.symbolic.check``) is
removed from the page. In its place the paragraph before it gets a small "✓" mark that links to
one collapsed note at the end of the section: "N claims verified by SymPy when this page was
built", listing the claims with the printed verification tables. ``check_erratum`` cells (the
errata page shows the refuted and corrected versions on purpose) are left as they are.
"""

from __future__ import annotations

import ast
import html

from docutils import nodes

# Only `check`: pages define helpers of their own called `show` (the activations page plots with one).
CHECK_FUNCTIONS = {"check"}


def claim_names(source: str) -> list[str] | None:
    """The claim names if ``source`` only calls check(...) with string literals, else None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    names: list[str] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "nnlib.symbolic":
            continue  # `from nnlib.symbolic import check` in the same cell
        call = getattr(stmt, "value", None)
        if not (isinstance(stmt, ast.Expr) and isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id in CHECK_FUNCTIONS and not call.keywords
                and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in call.args)):
            return None
        names.extend(a.value for a in call.args)
    return names or None


def _part(cell, element: str):
    for child in cell.children:
        if isinstance(child, nodes.Element) and child.get("nb_element") == element:
            return child
    return None


def _section_id(section) -> str:
    return (section["ids"] or ["page"])[0] if section is not None else "page"


def _quiet(app, doctree) -> None:
    groups: dict[int, dict] = {}
    for cell in list(doctree.findall(nodes.container)):
        if cell.get("nb_element") != "cell_code":
            continue
        source = _part(cell, "cell_code_source")
        names = claim_names(source.astext()) if source is not None else None
        if not names:
            continue
        output = _part(cell, "cell_code_output")
        section = next((a for a in _ancestors(cell) if isinstance(a, nodes.section)), None)
        group = groups.setdefault(id(section), {"section": section, "claims": [], "outputs": [], "last": None})
        group["claims"].extend(n for n in names if n not in group["claims"])
        group["outputs"].append(output.astext() if output is not None else "")
        anchor = f"verified-{_section_id(section)}"
        title = "Verified by SymPy when the book was built: " + ", ".join(names)
        mark = nodes.raw(
            # The name starts with what the link shows (axe: label-content-name-mismatch).
            "", f' <a class="reader-verified-mark" href="#{anchor}" title="{html.escape(title)}" '
            f'aria-label="✓ {html.escape(title)}">✓</a>', format="html")
        previous = cell.parent[cell.parent.index(cell) - 1] if cell.parent.index(cell) > 0 else None
        if isinstance(previous, nodes.paragraph):
            previous += mark
        else:
            cell.parent.insert(cell.parent.index(cell), nodes.paragraph("", "", mark, classes=["reader-verified-line"]))
        cell.parent.remove(cell)
    for group in groups.values():
        section = group["section"] or doctree
        claims = group["claims"]
        tables = html.escape("\n\n".join(t.strip() for t in group["outputs"] if t.strip()))
        note = nodes.raw(
            "",
            f'<details class="reader-verified" id="verified-{_section_id(group["section"])}">'
            f'<summary>✓ {len(claims)} claim{"s" if len(claims) != 1 else ""} in this section verified by SymPy '
            f'when the book was built</summary><p class="reader-verified-claims">'
            + ", ".join(f"<code>{html.escape(c)}</code>" for c in claims)
            + f"</p><pre>{tables}</pre></details>",
            format="html",
        )
        # At the end of the section's own text, before its first subsection.
        first_sub = next((i for i, c in enumerate(section.children) if isinstance(c, nodes.section)), None)
        if first_sub is None:
            section += note
        else:
            section.insert(first_sub, note)


def _ancestors(node):
    while node.parent is not None:
        node = node.parent
        yield node


def setup(app):
    app.connect("doctree-read", _quiet)
