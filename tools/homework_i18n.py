"""The homework in Chinese: gettext catalogs of the notebooks' prose and of the messages students read.

The English solution notebook (``solutions/<hw>/<hw>.ipynb``) stays the one source. This module extracts

* the prose of its markdown cells, paragraph by paragraph (a mark scheme is instructor-only: not extracted,
  kept as it is), and the stub nbgrader writes into written-answer cells (``YOUR ANSWER HERE``);
* the messages a student reads — the f-strings of the visible tests and of the grader
  (``ffgrader/visible_tests.py``, ``checks.py``, ``runner.py``, ``exprs.py``), of the assignment's trusted checks
  (``solutions/<hw>/checks.py``) and the parts and hints its test cells pass to the visible tests — as
  templates with their ``{expression}`` placeholders (message context ``feedback``)

into ``locales/zh_CN/LC_MESSAGES/homework/<hw>.po`` (the shared messages into ``homework/ffgrader.po``),
merged with babel as sphinx-intl merges the book's catalogs (a changed string becomes fuzzy, a new one
untranslated). Code cells are never translated: both releases share them byte for byte.

    python -m tools.homework_i18n update          # catalogs in step with the notebooks and the code
    python -m tools.homework_i18n compile         # ffgrader/{catalog,feedback}_zh_CN.py for ffgrader.i18n
    python -m tools.homework_i18n report [--check]
    python -m tools.assignments generate --lang zh_CN   # the Chinese release: exercises/zh_CN/<hw>/

A released notebook in Chinese is the English release with its markdown paragraphs replaced from the
catalog, the metadata ``{"ffnn": {"lang": "zh_CN"}}`` (the grader's feedback follows it) and the checksums of
the translated locked cells recomputed (``nbgrader validate`` would report them as changed); grade ids,
points and code cells are those of the English release, so one gradebook grades both.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import re
import sys
from pathlib import Path

from ffgrader.i18n import blocks, strip_markup, translate_markdown

ROOT = Path(__file__).resolve().parent.parent
LANGUAGE = "zh_CN"
CATALOGS = ROOT / "locales" / LANGUAGE / "LC_MESSAGES" / "homework"
SHARED = "ffgrader"  # the catalog of the messages every assignment shares
# Message contexts (the notebook's prose has none): printed by the visible tests / written only by the grader.
VISIBLE, FEEDBACK = "visible-tests", "feedback"
VISIBLE_SOURCE = "ffgrader/visible_tests.py"
MESSAGE_SOURCES = (VISIBLE_SOURCE, "ffgrader/checks.py", "ffgrader/runner.py", "ffgrader/exprs.py")
# Compiled catalogs of the messages (stdlib only, read by ffgrader.i18n): the visible tests' (students' wheel,
# sandbox) and all of them (the grader's side only).
COMPILED = {VISIBLE: ROOT / "ffgrader" / f"catalog_{LANGUAGE}.py", FEEDBACK: ROOT / "ffgrader" / f"feedback_{LANGUAGE}.py"}
# Two messages of one word and placeholders (the prose filter takes two words): copied from
# ffgrader/visible_tests.py, and tests/test_zh_homework.py fails when they no longer translate what it writes.
HINT = "Hint: {hint}"
DESCRIBE_PLAIN = "the {t.__name__} {text if len(text) <= 40 else text[:37] + '...'}"
ANSWER_STUB = "YOUR ANSWER HERE"  # nbgrader's text stub (nbgrader_config.py: ClearSolutions.text_stub)

# --- the notebook's prose -----------------------------------------------------------------------------------


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _words(text: str) -> bool:
    """A message that needs a translation: two English words in a row outside math and code."""
    return re.search(r"[A-Za-z]{2,}[\s,;:.()'\-]+[A-Za-z]{2,}", strip_markup(text)) is not None


def notebook_strings(nb: dict) -> list[str]:
    """The translatable paragraphs of a notebook's markdown cells, in order, without repeats."""
    found = {}
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for text, translatable in blocks(_source(cell)):
                if translatable:
                    found.setdefault(text, None)
    return list(found)


def translate_notebook(nb: dict, translations: dict[str, str], lang: str = LANGUAGE) -> tuple[dict, list[str]]:
    """A copy of ``nb`` with its markdown paragraphs translated, the language in its metadata and the
    checksums of changed locked cells recomputed. Returns it and the paragraphs left in English."""
    from nbformat import from_dict
    from nbgrader.utils import compute_checksum

    nb = copy.deepcopy(nb)
    missing = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        old = _source(cell)
        new, left = translate_markdown(old, translations)
        missing += left
        if new != old:
            cell["source"] = new
            grading = cell.get("metadata", {}).get("nbgrader", {})
            if "checksum" in grading:
                grading["checksum"] = compute_checksum(from_dict(cell))
    nb.setdefault("metadata", {})["ffnn"] = {"lang": lang}
    return nb, missing


# --- the messages -----------------------------------------------------------------------------------------


def _expr(node) -> str:
    """A placeholder's name: the expression's source (its braces made parentheses, so it stays one placeholder)."""
    return ast.unparse(node).replace("{", "(").replace("}", ")")


def _template(node) -> str | None:
    """The template of a string node: a constant, an f-string (placeholders ``{expression}``), or a sum of
    strings and expressions (``"... " + x``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        out = ""
        for v in node.values:
            if isinstance(v, ast.Constant):
                out += v.value
            else:
                out += "{" + _expr(v.value) + \
                       (":" + ast.unparse(v.format_spec)[2:-1] if v.format_spec is not None else "") + "}"
        return out
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _template(node.left), _template(node.right)
        if left is None and right is None:
            return None
        left = left if left is not None else "{" + _expr(node.left) + "}"
        right = right if right is not None else "{" + _expr(node.right) + "}"
        return left + right
    return None


def _docstrings(tree) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _clean(template: str, formatted: bool = False) -> str | None:
    """The template if it is prose: two words in a row, or (an f-string) one word of 4 letters next to a space
    and a placeholder ("index {fmt_index(idx)}", "Hint: {hint}"; not "added-{count}")."""
    template = template.strip("\n")
    if template.count("{") != template.count("}"):
        return None
    text = _without_placeholders(template)
    if " " not in template.strip():
        return None  # an identifier, a grade id or a path ("test-bp-output"), not a sentence
    if _words(text) or (formatted and "{" in template and re.search(r"[A-Za-z]{4,} | [A-Za-z]{4,}", text)):
        return template
    return None


def _without_placeholders(template: str) -> str:
    return re.sub(r"\{[^{}]*\}", " ", template)


def message_templates(source: str) -> list[str]:
    """The message templates of a piece of Python source, in order, without repeats: every string (or
    f-string, or sum of strings) that holds prose, except docstrings and strings inside larger ones."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    skip = _docstrings(tree)
    found = {}

    def visit(node):
        if id(node) in skip:
            return
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
            return  # a notebook's own print() is code, shared by both releases (not a visible test's message)
        template = _template(node) if isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp)) else None
        if template is not None:
            cleaned = _clean(template, formatted=isinstance(node, ast.JoinedStr))
            if cleaned is not None:
                found.setdefault(cleaned, None)
            if isinstance(node, ast.BinOp):
                if cleaned is None:  # not prose as a whole (a message + its hint): its pieces may be
                    for child in (node.left, node.right):
                        visit(child)
            elif isinstance(node, ast.JoinedStr):
                for v in node.values:
                    if isinstance(v, ast.FormattedValue):
                        visit(v.value)
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return list(found)


def test_cell_sources(nb: dict) -> str:
    """The code of the notebook's visible-test cells (the parts and hints they hand to the visible tests)."""
    return "\n\n".join(_source(c) for c in nb["cells"] if c["cell_type"] == "code"
                       and c.get("metadata", {}).get("nbgrader", {}).get("grade")
                       and not c["metadata"]["nbgrader"].get("solution"))


# --- catalogs ---------------------------------------------------------------------------------------------


def assignments(root: Path = ROOT) -> list[str]:
    from tools.assignments import assignments as names

    return names(root)


def _load_nb(name: str, root: Path = ROOT) -> dict:
    return json.loads((root / "solutions" / name / f"{name}.ipynb").read_text(encoding="utf-8"))


def templates(root: Path = ROOT) -> dict[str, list[tuple[str, str | None, str]]]:
    """catalog name -> [(msgid, context, location)]: what each catalog must hold. Context ``visible-tests``:
    a message the visible tests print in the student's kernel (it ships in the students' wheel);
    ``feedback``: one only the grader writes (its catalog stays on the instructor's side)."""
    nbs = {name: _load_nb(name, root) for name in assignments(root)}
    visible = set(message_templates((root / VISIBLE_SOURCE).read_text(encoding="utf-8")))
    for nb in nbs.values():
        visible |= set(message_templates(test_cell_sources(nb)))
    out, shared = {SHARED: []}, {HINT, DESCRIBE_PLAIN}
    for rel in MESSAGE_SOURCES:
        for t in message_templates((root / rel).read_text(encoding="utf-8")):
            if t not in shared:
                shared.add(t)
                out[SHARED].append((t, VISIBLE if t in visible else FEEDBACK, rel))
    # Messages of one word and placeholders, which the prose filter does not take: the hint line every failure
    # may end with, and the description of a plain value ("the float 0.5").
    for t in (HINT, DESCRIBE_PLAIN):
        out[SHARED].append((t, VISIBLE, VISIBLE_SOURCE))
    out[SHARED].append((ANSWER_STUB, None, "nbgrader_config.py"))
    for name, nb in nbs.items():
        entries = [(t, None, f"solutions/{name}/{name}.ipynb") for t in notebook_strings(nb)]
        checks = root / "solutions" / name / "checks.py"
        msgs = message_templates(test_cell_sources(nb))
        msgs += message_templates(checks.read_text(encoding="utf-8")) if checks.is_file() else []
        seen = set(shared)
        for t in msgs:
            if t not in seen:
                seen.add(t)
                entries.append((t, VISIBLE if t in visible else FEEDBACK, f"solutions/{name}"))
        out[name] = entries
    return out


def _read(path: Path):
    from babel.messages.pofile import read_po

    with path.open("rb") as f:
        return read_po(f)


def update(root: Path = ROOT, catalogs: Path = CATALOGS) -> list[Path]:
    """Bring every homework catalog in step with the notebooks and the code (new strings untranslated,
    changed ones fuzzy, vanished ones dropped); an unchanged catalog is not rewritten."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    written = []
    for name, entries in templates(root).items():
        path = catalogs / f"{name}.po"
        template = Catalog(project="Feedforward Neural Networks", fuzzy=False)
        for msgid, context, location in entries:
            template.add(msgid, context=context, locations=[(location, None)],
                         flags=("python-brace-format",) if context and "{" in msgid else ())
        catalog = _read(path) if path.exists() else Catalog(locale=LANGUAGE, project="Feedforward Neural Networks",
                                                            fuzzy=False)

        def state(cat):
            return [(m.id, m.context, m.string, sorted(m.flags)) for m in cat if m.id]

        before = state(catalog)
        catalog.update(template, update_header_comment=False)
        catalog.obsolete.clear()
        if path.exists() and state(catalog) == before:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            write_po(f, catalog, width=100, omit_header=False, include_lineno=False, sort_output=False)
        written.append(path)
    return written


def report(catalogs: Path = CATALOGS) -> dict[str, dict]:
    """catalog -> counts and the untranslated / fuzzy strings."""
    out = {}
    for path in sorted(catalogs.glob("*.po")):
        r = {"total": 0, "translated": 0, "fuzzy": [], "untranslated": []}
        for m in _read(path):
            if not m.id:
                continue
            r["total"] += 1
            if m.fuzzy:
                r["fuzzy"].append(m.id)
            elif not m.string:
                r["untranslated"].append(m.id)
            else:
                r["translated"] += 1
        out[path.stem] = r
    return out


def missing_catalogs(root: Path = ROOT, catalogs: Path = CATALOGS) -> list[str]:
    """The assignments of ``root``'s solutions/ that have no catalog in ``catalogs`` at all (a new assignment):
    ``report`` has no row for them, and their Chinese release would be English throughout."""
    return [name for name in assignments(root) if not (catalogs / f"{name}.po").is_file()]


def translations(name: str, catalogs: Path = CATALOGS) -> dict[str, str]:
    """msgid -> translation of an assignment's prose (its catalog and the shared one); fuzzy ones are not used."""
    out = {}
    for stem in (SHARED, name):
        path = catalogs / f"{stem}.po"
        if path.exists():
            out.update({m.id: m.string for m in _read(path) if m.id and m.string and not m.fuzzy
                        and m.context is None})
    return out


def messages(contexts=(VISIBLE, FEEDBACK), catalogs: Path = CATALOGS) -> dict[str, str]:
    """template -> translation of every translated, not fuzzy message of ``contexts`` in every catalog."""
    out = {}
    for path in sorted(catalogs.glob("*.po")):
        out.update({m.id: m.string for m in _read(path) if m.id and m.string and not m.fuzzy
                    and m.context in contexts})
    return dict(sorted(out.items()))


def compiled_text(kind: str, catalogs: Path = CATALOGS) -> str:
    """The source of the compiled catalog ``kind`` (VISIBLE: the visible tests' messages; FEEDBACK: all)."""
    contexts = (VISIBLE,) if kind == VISIBLE else (VISIBLE, FEEDBACK)
    what = ("The visible tests' messages in Chinese (shipped in the students' wheel)" if kind == VISIBLE else
            "Every message of the visible tests and of the grader in Chinese (the grader's side only: it holds\n"
            "the messages of the trusted checks, never staged into the sandbox nor published)")
    body = json.dumps(messages(contexts, catalogs), ensure_ascii=False, indent=0, sort_keys=True)
    text = (f'"""{what}: message template -> translation.\n\n'
            "Generated by `python -m tools.homework_i18n compile` from locales/zh_CN/LC_MESSAGES/homework/*.po;\n"
            'do not edit (tests/test_zh_homework.py checks that it is in step with the catalogs).\n"""\n\n'
            f"MESSAGES = {body}\n")
    if kind == FEEDBACK:  # the notebooks' paragraphs too: the grader restores a locked cell in the release's language
        prose = json.dumps(messages((None,), catalogs), ensure_ascii=False, indent=0, sort_keys=True)
        text += f"\n# The notebooks' paragraphs (the prose of the markdown cells): English -> translation.\nPROSE = {prose}\n"
    return text


def compile_messages(catalogs: Path = CATALOGS) -> list[Path]:
    for kind, out in COMPILED.items():
        out.write_text(compiled_text(kind, catalogs), encoding="utf-8")
    return list(COMPILED.values())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.homework_i18n", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("update", help="refresh the homework catalogs from the notebooks and the code")
    sub.add_parser("compile", help="write ffgrader/catalog_zh_CN.py and feedback_zh_CN.py from the catalogs")
    rep = sub.add_parser("report", help="translated / fuzzy / untranslated strings per catalog")
    rep.add_argument("--check", action="store_true", help="exit 1 on any untranslated or fuzzy string")
    args = parser.parse_args(argv)
    if args.command == "update":
        for p in update():
            print(f"Update: {p.relative_to(ROOT)}")
        return 0
    if args.command == "compile":
        for p in compile_messages():
            print(f"wrote {p.relative_to(ROOT)}")
        return 0
    rep_ = report(CATALOGS)
    print(f"{'catalog':24} {'strings':>7} {'translated':>10} {'fuzzy':>6} {'untranslated':>12}")
    for name, r in rep_.items():
        print(f"{name:24} {r['total']:7d} {r['translated']:10d} {len(r['fuzzy']):6d} {len(r['untranslated']):12d}")
    missing = missing_catalogs(ROOT, CATALOGS)
    for name in missing:
        path = CATALOGS / f"{name}.po"
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"{name}: no catalog ({shown} does not exist), so its Chinese release is all English: start it with "
              "`python -m tools.homework_i18n update`, translate it, then run `python -m tools.homework_i18n compile`")
    bad = sum(len(r["fuzzy"]) + len(r["untranslated"]) for r in rep_.values()) + len(missing)
    return 1 if args.check and bad else 0


if __name__ == "__main__":
    sys.exit(main())
