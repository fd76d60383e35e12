"""The Chinese edition (中文版) of the book, built from the English source and gettext catalogs (issue 21).

The English pages are the one source. Their prose is extracted into message catalogs with Sphinx's gettext
builder and kept in step with ``sphinx-intl`` (one catalog per page, ``locales/zh_CN/LC_MESSAGES/<page>.po``);
the Chinese edition is the same Jupyter Book build with ``language = zh_CN``: code cells, their outputs, the
SymPy checks and the figures are shared, only the prose comes from the catalogs. Jupyter Book 1 has no
language switch on its command line (jupyter-book issue 1791), so this module calls Jupyter Book's own
``build_sphinx`` with the ``_config.yml`` of the English build plus the overrides below — the same thing as
``jupyter-book config sphinx`` + ``sphinx-build -D language=zh_CN``, without writing a ``conf.py``.

    python -m tools.i18n build            # the Chinese edition into _build/html/zh (after the English build)
    python -m tools.i18n html             # ... into _build/zh/html, own execution cache (`make book`)
    python -m tools.i18n install          # ... then copied into the English site (`make book` runs these two)
    python -m tools.i18n update           # English changed: refresh every catalog (new strings, fuzzy ones)
    python -m tools.i18n report [--check] # per page: translated / fuzzy / untranslated strings
    python -m tools.i18n pdf              # the Chinese PDF (_build/html/zh/feedforward-neural-networks.pdf)

Layout: the English edition stays at ``_build/html/`` and the Chinese one is served from ``_build/html/zh/``.
Sphinx builds it in ``_build/zh/html`` (myst-nb keeps its executed notebooks next to the output folder,
which must not land inside the English site) and the result is copied into ``_build/html/zh``.

Execution: the code cells are identical in both editions. While no figure catalog translates text drawn
inside figures, the Chinese build can read the English build's execution cache (``build``). Otherwise it
reads its own cache, keyed by the figure catalog (``own_cache``): `make book` fills it together with the
English one from a single execution (``tools/book_execute.py``); a page it lacks is executed by the
Chinese build itself, ``NNLIB_FIGURE_CATALOG`` telling ``nnlib.plotstyle`` to draw the labels in Chinese
(see ``locales/README.md``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .toc import pages as toc_pages

ROOT = Path(__file__).resolve().parents[1]
LANGUAGE = "zh_CN"
LOCALES = ROOT / "locales"
CATALOGS = LOCALES / LANGUAGE / "LC_MESSAGES"
# The one list of pages whose catalog is not translated yet (docnames, one a line).
PENDING = LOCALES / LANGUAGE / "pending.txt"
# Text drawn inside figures (axis labels, legends, node names): one catalog for every page's figures.
FIGURES = CATALOGS / "figures.po"
BUILD = ROOT / "_build"
ZH_BUILD = BUILD / "zh"
ZH_OUT = ZH_BUILD / "html"
SITE = BUILD / "html" / "zh"
REPORT = ZH_BUILD / "i18n-report.json"
POT = BUILD / "gettext"

# Catalog settings shared by the gettext build (extraction) and the Chinese build (translation): one
# catalog per page (not one per folder), no source line numbers (a line moved in the English text must not
# change every catalog of the book: translators of different pages never touch the same file).
GETTEXT = {
    "locale_dirs": ["locales/"],
    "gettext_compact": False,
    "gettext_location": False,
    "gettext_uuid": False,
}


def pending_pages(path: Path | None = None) -> list[str]:
    """The pages not translated yet (``pending.txt``: one docname a line, ``#`` comments)."""
    out = []
    for line in (path or PENDING).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


def figure_catalog(work: Path = ZH_BUILD) -> Path | None:
    """The compiled catalog of figure labels (``<work>/figures-<digest>.mo``), or None while it
    translates nothing (then the Chinese build shares the English execution cache)."""
    if not FIGURES.exists():
        return None
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with FIGURES.open("rb") as f:
        catalog = read_po(f)
    if not any(m.id and m.string and not m.fuzzy for m in catalog):
        return None
    digest = hashlib.sha256(FIGURES.read_bytes()).hexdigest()[:12]
    mo = work / f"figures-{digest}.mo"
    if not mo.exists():
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as f:
            write_mo(f, catalog)
    return mo


def own_cache(work: Path = ZH_BUILD) -> Path:
    """The Chinese edition's own execution cache, keyed by the figure catalog (``plain`` while it translates
    nothing): what the build uses when figure labels are translated, or when it runs beside the English
    build (two processes must not execute into one cache)."""
    mo = figure_catalog(work)
    return work / f".jupyter_cache-{mo.stem if mo is not None else 'plain'}"


def _overrides(builder: str, toc: Path, cache: Path, work: Path, own: bool = False) -> dict:
    overrides = {
        "external_toc_path": toc.as_posix(),
        "latex_individualpages": False,
        "nitpicky": True,
        **GETTEXT,
        "nb_execution_cache_path": str(cache),
    }
    if builder == "gettext":
        # myst-nb gives the gettext builder no image output (its default MIME priority for unknown builders),
        # so the alt texts of the plots would never reach the catalogs: images as for HTML.
        overrides["nb_mime_priority_overrides"] = [("gettext", "image/png", 5), ("gettext", "image/svg+xml", 4)]
    else:
        overrides["language"] = LANGUAGE
        # Sphinx's Chinese search (jieba) with the course's terms (tools/edition/search.py).
        overrides["html_search_language"] = LANGUAGE
        # Every string that is still English gets the class "untranslated" (tools/edition marks it).
        overrides["translation_progress_classes"] = "untranslated"
        if own or figure_catalog(work) is not None:  # labels in figures in Chinese: the notebooks run again
            overrides["nb_execution_cache_path"] = str(own_cache(work))
    return overrides


def translated_toc(toc: Path, work: Path) -> Path:
    """``toc`` with its part captions ("Chapters", "Appendices") in Chinese, written into ``work``.
    sphinx-external-toc adds the captions to the root page after Sphinx's Locale transform has run, so the
    root page's catalog, which holds them (the gettext build extracts them), never reaches them itself."""
    import yaml
    from babel.messages.pofile import read_po

    data = yaml.safe_load(toc.read_text(encoding="utf-8"))
    catalog = CATALOGS / f"{data['root']}.po"
    strings = {}
    if catalog.exists():
        with catalog.open("rb") as f:
            strings = {m.id: m.string for m in read_po(f) if m.id and m.string and not m.fuzzy}
    for part in data.get("parts", []):
        if part.get("caption") in strings:
            part["caption"] = strings[part["caption"]]
    work.mkdir(parents=True, exist_ok=True)
    out = work / "_toc.zh.yml"
    out.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def _sphinx(builder: str, outdir: Path, doctreedir: Path, *, toc: Path | None = None, cache: Path | None = None,
            work: Path = ZH_BUILD, own: bool = False) -> int:
    """Jupyter Book's own Sphinx build of the book (``_config.yml`` + ``toc``) with the Chinese overrides;
    ``cache``: the English build's execution cache."""
    from jupyter_book.sphinx import build_sphinx

    toc = toc or ROOT / "_toc.yml"
    cache = cache or BUILD / ".jupyter_cache"
    if builder != "gettext":
        toc = translated_toc(toc, work)
    overrides = _overrides(builder, toc, cache, work, own)
    mo = figure_catalog(work) if builder != "gettext" else None
    env = {"NNLIB_FIGURE_CATALOG": str(mo)} if mo else {}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        result = build_sphinx(
            ROOT, outdir, noconfig=True, path_config=str(ROOT / "_config.yml"), confoverrides=overrides,
            doctreedir=doctreedir, builder=builder, warningiserror=True, keep_going=True,
        )
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if isinstance(result, Exception):
        raise result
    return result


def html(work: Path = ZH_BUILD, toc: Path | None = None, cache: Path | None = None, own: bool = False) -> int:
    """Sphinx's build of the Chinese edition into ``work``/html (myst-nb keeps its executed notebooks next to
    that folder). ``toc`` and ``cache``: the English build's table of contents and execution cache; ``own``:
    execute into the edition's own cache, so that it can run while the English build does (`make book`)."""
    start = time.monotonic()
    # Always a whole build (the notebooks come from the execution cache, so it costs what an incremental
    # one does): an incremental Chinese build lost the index entries of the pages it did not re-read, and
    # with them the ranking that puts a term's defining page first.
    for old in (work / "html", work / ".doctrees"):
        shutil.rmtree(old, ignore_errors=True)
    rc = _sphinx("html", work / "html", work / ".doctrees", toc=toc, cache=cache, work=work, own=own)
    if not rc:
        translated = figure_catalog(work) is not None
        print(f"Chinese edition built into {work / 'html'} in {time.monotonic() - start:.0f} s"
              f" ({'own execution cache' if own or translated else 'English execution cache'}"
              f"{': figure labels translated' if translated else ''})")
    return rc


def install(site: Path, work: Path = ZH_BUILD) -> int:
    """The built Chinese edition (``work``/html) copied into the English site as ``site``/zh."""
    if not (site / "index.html").exists():
        print(f"{site} has no English edition: build it first (make book).", file=sys.stderr)
        return 1
    if not (work / "html" / "index.html").exists():
        print(f"{work / 'html'} holds no Chinese edition: build it first (python -m tools.i18n html).",
              file=sys.stderr)
        return 1
    if (site / "zh").exists():
        shutil.rmtree(site / "zh")
    shutil.copytree(work / "html", site / "zh")
    print(f"Chinese edition copied into {site / 'zh'}")
    print(format_report(json.loads((work / REPORT.name).read_text(encoding="utf-8"))))
    return 0


def build_edition(site: Path, work: Path, toc: Path | None = None, cache: Path | None = None) -> int:
    """The Chinese edition next to a built English site: :func:`html`, then :func:`install`. ``toc`` and
    ``cache``: the English build's table of contents and execution cache (``tools/publish.py`` builds the
    students' site so)."""
    if not (site / "index.html").exists():
        print(f"{site} has no English edition: build it first (make book).", file=sys.stderr)
        return 1
    return html(work, toc, cache) or install(site, work)


def build() -> int:
    """The Chinese edition after `make book`'s English build: _build/zh/html, copied to _build/html/zh."""
    return build_edition(BUILD / "html", ZH_BUILD)


PDF_NAME = "feedforward-neural-networks.pdf"


def pdf() -> int:
    """The Chinese edition as one PDF: its single-page build printed by tools/book_pdf.py (the English
    PDF's printer, pointed at the Chinese build), next to the Chinese site's pages. Chromium breaks the
    Chinese lines (between characters, not before 。，) and embeds the installed CJK font."""
    # The execution cache of the HTML build (`make book` gives the Chinese edition its own).
    rc = _sphinx("singlehtml", ZH_BUILD / "singlehtml", ZH_BUILD / ".doctrees", own=own_cache().exists())
    if rc:
        return rc
    out = ZH_OUT / PDF_NAME  # in Sphinx's output folder: every later build copies it along
    run = subprocess.run([sys.executable, "-m", "tools.book_pdf", "--html", str(ZH_BUILD / "singlehtml"),
                          "--out", str(out), "--lang", "zh-CN"], cwd=ROOT)
    if run.returncode:
        return run.returncode
    SITE.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out, SITE / PDF_NAME)
    return 0


def update() -> int:
    """Refresh every catalog after an English change: extract (gettext builder), then merge (sphinx-intl)."""
    from sphinx_intl.basic import update as intl_update

    rc = _sphinx("gettext", POT, POT / ".doctrees")
    if rc:
        return rc
    intl_update(str(LOCALES), str(POT), (LANGUAGE,), line_width=100)
    update_figure_catalog()
    return 0


# Calls whose string arguments are drawn inside a figure: (positional index or None, keywords).
_FIGURE_CALLS = {
    "set_xlabel": (0, ()), "set_ylabel": (0, ()), "set_zlabel": (0, ()), "set_title": (0, ()),
    "suptitle": (0, ()), "supxlabel": (0, ()), "supylabel": (0, ()), "xlabel": (0, ()), "ylabel": (0, ()),
    "title": (0, ()), "annotate": (0, ()), "text": (2, ()), "figtext": (2, ()),
}
_FIGURE_KEYWORDS = {"label", "title", "xlabel", "ylabel", "text", "labels", "names"}
_CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.S | re.M)


def figure_strings(source: str) -> list[str]:
    """The strings a piece of Python code passes to matplotlib's text functions (and ``label=`` etc.)."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []

    def strings(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        elif isinstance(node, (ast.List, ast.Tuple)):
            for elt in node.elts:
                yield from strings(elt)

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        position = _FIGURE_CALLS.get(name, (None,))[0]
        if position is not None and len(node.args) > position:
            found += strings(node.args[position])
        for kw in node.keywords:
            if kw.arg in _FIGURE_KEYWORDS:
                found += strings(kw.value)
    return [s for s in found if re.search(r"[A-Za-z]{2,}", re.sub(r"\$[^$]*\$", "", s))]


def cell_code(cell: str) -> str:
    """A MyST code cell without its options (``:tags: [...]`` lines or a ``---`` block)."""
    lines = cell.splitlines()
    if lines and lines[0].strip() == "---":
        end = next((i for i, l in enumerate(lines[1:], 1) if l.strip() == "---"), 0)
        lines = lines[end + 1:]
    while lines and re.match(r"^:[\w-]+:", lines[0]):
        lines = lines[1:]
    return "\n".join(lines)


def _figure_sources() -> dict[str, list[str]]:
    """page (or nnlib module) -> its figure strings, in order."""
    out = {}
    for page in toc_pages():
        text = (ROOT / f"{page}.md").read_text(encoding="utf-8")
        out[page] = [s for cell in _CODE_CELL.findall(text) for s in figure_strings(cell_code(cell))]
    for module in ("plotting", "diagrams"):
        path = ROOT / "nnlib" / f"{module}.py"
        out[f"nnlib/{module}"] = figure_strings(path.read_text(encoding="utf-8"))
    return {k: v for k, v in out.items() if v}


RUN_TIME = "drawn at run time"


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def update_figure_catalog(path: Path | None = None) -> None:
    """Bring ``figures.po`` in step with the figure strings of the pages' code and nnlib's drawing functions:
    new strings untranslated, changed ones fuzzy (babel's merge, as sphinx-intl does for the pages)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    path = path or FIGURES
    template = Catalog(project="Feedforward Neural Networks", fuzzy=False)
    for page, strings in _figure_sources().items():
        for s in strings:
            template.add(s, locations=[(page, None)])
    def state(cat):
        return [(m.id, m.string, sorted(m.flags), sorted(set(m.locations))) for m in cat if m.id]

    if path.exists():
        with path.open("rb") as f:
            catalog = read_po(f)
    else:
        catalog = Catalog(locale=LANGUAGE, project="Feedforward Neural Networks", fuzzy=False)
    before = state(catalog)
    # Strings drawn at run time (f-strings, variables) cannot be extracted from the code: a translator adds
    # them by hand with this comment, and the merge must keep them (it would make them obsolete).
    by_hand = [m for m in catalog if m.id and any(c.startswith(RUN_TIME) for c in m.auto_comments)]
    catalog.update(template, update_header_comment=False)
    catalog.obsolete.clear()
    for m in by_hand:
        if m.id not in catalog:
            catalog[m.id] = m
    if path.exists() and state(catalog) == before:
        print(f"Not Changed: {_shown(path)}")
        return  # no new date in the header: an unchanged catalog stays byte for byte the same
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False, include_lineno=False)
    print(f"Update: {_shown(path)} ({len([m for m in catalog if m.id])} figure strings)")


def figure_report(path: Path | None = None) -> dict[str, dict]:
    """Per page: the figure strings of its code that are untranslated or fuzzy in ``figures.po``."""
    from babel.messages.pofile import read_po

    path = path or FIGURES
    catalog = {}
    if path.exists():
        with path.open("rb") as f:
            catalog = {m.id: m for m in read_po(f) if m.id}
    out = {}
    for page, strings in _figure_sources().items():
        r = out.setdefault(page, {"untranslated": [], "fuzzy": []})
        for s in dict.fromkeys(strings):
            m = catalog.get(s)
            if m is not None and m.fuzzy:
                r["fuzzy"].append(s)
            elif m is None or not m.string:
                r["untranslated"].append(s)
    return out


def format_report(report: dict) -> str:
    pending = set(pending_pages())
    lines = [f"{'page':42} {'strings':>7} {'translated':>10} {'fuzzy':>6} {'untranslated':>12}"]
    for page, r in sorted(report["pages"].items()):
        mark = "  (pending)" if page in pending else ""
        lines.append(f"{page:42} {r['total']:7d} {r['translated']:10d} {r['fuzzy']:6d} {r['untranslated']:12d}{mark}")
    return "\n".join(lines)


def check(report: dict) -> list[str]:
    """Problems: a page that is not pending with untranslated or fuzzy strings, a pending page that is
    not a page of the book, a page of the book missing from the report."""
    pending = pending_pages()
    problems = []
    for page, r in figure_report().items():
        if page in report["pages"] and page not in pending and (r["untranslated"] or r["fuzzy"]):
            problems.append(f"{page}: figure labels not translated in {FIGURES.name}: "
                            f"{(r['untranslated'] + r['fuzzy'])[:3]}")
    for page in pending:
        if page not in report["pages"]:
            problems.append(f"{PENDING.name}: {page} is not a page of the book")
    for page in toc_pages():
        r = report["pages"].get(page)
        if r is None:
            problems.append(f"{page}: not in the Chinese edition's report")
        elif page not in pending and (r["untranslated"] or r["fuzzy"]):
            problems.append(f"{page}: {r['untranslated']} untranslated and {r['fuzzy']} fuzzy strings "
                            f"(first: {(r['untranslated_strings'] + r['fuzzy_strings'])[0][:80]!r})")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.i18n", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="build the Chinese edition into _build/html/zh (after the English build)")
    sub.add_parser("html", help="build the Chinese edition into _build/zh/html with its own execution cache "
                                "(it can run beside the English build; then: install)")
    sub.add_parser("install", help="copy _build/zh/html into the English site as _build/html/zh")
    sub.add_parser("update", help="refresh the catalogs from the English pages")
    sub.add_parser("pdf", help="the Chinese PDF, after the Chinese HTML build")
    rep = sub.add_parser("report", help="translated / fuzzy / untranslated strings per page")
    rep.add_argument("--check", action="store_true", help="exit 1 if a page not listed as pending is incomplete")
    args = parser.parse_args(argv)
    if args.command == "build":
        return build()
    if args.command == "html":
        return html(own=True)
    if args.command == "install":
        return install(BUILD / "html")
    if args.command == "update":
        return update()
    if args.command == "pdf":
        return pdf()
    if not REPORT.exists():
        print(f"No {REPORT.relative_to(ROOT)}: build the Chinese edition first (python -m tools.i18n build).",
              file=sys.stderr)
        return 1
    report = json.loads(REPORT.read_text(encoding="utf-8"))
    print(format_report(report))
    if args.check:
        problems = check(report)
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
