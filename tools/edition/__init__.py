"""The two editions of the book, English and Chinese (中文版), as one Sphinx extension (issue 21).

Loaded by both builds (``_config.yml``: ``local_extensions``); ``tools/i18n.py`` runs the Chinese one.

- A language switch in the header of every page of both editions, to the same page of the other edition;
  a click carries the section (``#anchor``) and the search query along. Section anchors are the same in
  both editions: Sphinx keeps the ids made from the English headings when it translates a title.
- The translation report of the Chinese build: per page, how many translatable strings are translated,
  fuzzy (the English changed since; the catalog keeps the old translation but Sphinx does not use it) or
  untranslated (``_build/zh/i18n-report.json``, printed by ``python -m tools.i18n build``).
- The glossary sorted by pinyin in the Chinese edition (``glossary.py``).
- Chinese search with jieba and the course's terms (``search.py``).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.util.nodes import extract_messages

from . import glossary, search

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ZH = "zh_CN"
# The Chinese edition lives in this folder of the English site.
ZH_DIR = "zh"



def is_chinese(config) -> bool:
    return (config.language or "").replace("-", "_").startswith("zh")


def switch_href(pagename: str, chinese: bool) -> str:
    """The relative URL of the same page in the other edition (zh/ is a folder of the English site)."""
    depth = pagename.count("/")
    if chinese:
        return "../" * (depth + 1) + pagename + ".html"
    return "../" * depth + ZH_DIR + "/" + pagename + ".html"


def _config_inited(app, config) -> None:
    config.templates_path = [*config.templates_path, str(HERE / "templates")]
    config.html_static_path = [*config.html_static_path, str(HERE / "static")]
    if config.html_theme not in ("sphinx_book_theme", "pydata_sphinx_theme"):
        return  # the switch is a header template of the book's theme
    options = dict(config.html_theme_options or {})
    end = options.get("article_header_end", ["article-header-buttons.html"])
    end = [s.strip() for s in end.split(",")] if isinstance(end, str) else list(end)
    if "edition-switch.html" not in end:
        end.insert(0, "edition-switch.html")
    options["article_header_end"] = end
    config.html_theme_options = options


def _page_context(app, pagename, templatename, context, doctree) -> None:
    chinese = is_chinese(app.config)
    href = switch_href(pagename, chinese)
    other = "en" if chinese else "zh-CN"
    context["edition_switch"] = {
        "href": href,
        "hreflang": other,
        "label": "English" if chinese else "中文",
        "title": "Read this page in English" if chinese else "阅读本页的中文版",
    }
    context["metatags"] = context.get("metatags", "") + f'\n<link rel="alternate" hreflang="{other}" href="{href}">'
    report = getattr(app.env, "edition_report", {}).get(pagename) if chinese else None
    left = report and report["untranslated"] + report["fuzzy"]
    if left and "body" in context:
        # The reader is told, at the top of the page, that English paragraphs follow (marked in the margin).
        context["body"] = (f'<p class="edition-untranslated" lang="zh-CN">本页尚未全部译成中文：'
                           f'{left} 处仍以英文显示（左侧标有虚线）。</p>\n') + context["body"]


# --- the translation report -------------------------------------------------------------------------

_NOT_PROSE = [
    re.compile(r"\$\$.*?\$\$", re.S),          # display math
    re.compile(r"\$[^$]+\$"),                  # inline math
    re.compile(r"\{[\w:-]+\}`[^`]*`"),         # roles: {doc}`...`, {ref}`...`
    re.compile(r"`[^`]*`"),                    # code
    re.compile(r"<https?://[^>]*>|https?://\S+"),
    re.compile(r"\]\([^)]*\)"),                # link targets
    re.compile(r"\{\{[^}]*\}\}"),              # substitutions
    # A measured quantity: a number with its unit reads the same in both editions ("89 ms", "421 kB"),
    # so a benchmark table regenerated with new numbers does not make the Chinese page incomplete.
    re.compile(r"(?<![\w.])[-+−]?\d[\d.,]*\s?(?:[kMGT]i?B|B|[mµun]?s|min|h|px|r?em|[kMG]?Hz|x|×|%)?(?![\w.])"),
]


def needs_translation(msg: str, math: bool = False) -> bool:
    """A string with English words outside math, code, roles, links and measured quantities (a cell
    holding only ``a * b``, ``89 ms`` or only Chinese is the same in both editions). In a display formula only ``\\text{...}`` is prose."""
    if math:
        msg = " ".join(re.findall(r"\\text\{([^{}]*)\}", msg))
    for pattern in _NOT_PROSE:
        msg = pattern.sub(" ", msg)
    return re.search(r"[A-Za-z]{2,}", msg) is not None


def _fuzzy_ids(app, docname: str) -> set[str]:
    """The strings the page's catalog holds as fuzzy (Sphinx leaves them untranslated)."""
    from babel.messages.pofile import read_po

    out = set()
    for folder in app.config.locale_dirs:
        path = Path(app.srcdir) / folder / app.config.language / "LC_MESSAGES" / f"{docname}.po"
        if path.exists():
            with path.open("rb") as f:
                out |= {m.id for m in read_po(f) if m.id and m.fuzzy}
    return out


def _count(app, doctree) -> None:
    """After Sphinx's Locale transform: which strings of the page came out translated."""
    if not is_chinese(app.config) or app.builder.name == "gettext":
        return
    docname = app.env.docname
    fuzzy = _fuzzy_ids(app, docname)
    r = {"total": 0, "translated": 0, "fuzzy": 0, "untranslated": 0, "fuzzy_strings": [], "untranslated_strings": []}
    for node, msg in extract_messages(doctree):
        if node.get("translated"):
            r["total"] += 1
            r["translated"] += 1
        elif needs_translation(msg, math=isinstance(node, nodes.math_block)):
            r["total"] += 1
            kind = "fuzzy" if msg in fuzzy else "untranslated"
            r[kind] += 1
            r[f"{kind}_strings"].append(msg)
    if not hasattr(app.env, "edition_report"):
        app.env.edition_report = {}
    app.env.edition_report[docname] = r


def _purge(app, env, docname) -> None:
    getattr(env, "edition_report", {}).pop(docname, None)


def _merge(app, env, docnames, other) -> None:
    report = getattr(env, "edition_report", {})
    report.update({d: r for d, r in getattr(other, "edition_report", {}).items() if d in docnames})
    env.edition_report = report


def _write_report(app, exception) -> None:
    if exception or not is_chinese(app.config) or app.builder.name != "html":
        return
    report = {d: r for d, r in getattr(app.env, "edition_report", {}).items() if d in app.env.found_docs}
    out = Path(app.outdir).parent / "i18n-report.json"
    out.write_text(json.dumps({"language": app.config.language, "pages": report}, ensure_ascii=False, indent=1),
                   encoding="utf-8")


class _Marker(SphinxTransform):
    """Before Sphinx's Locale transform (priority 20): strings that are not translated by catalogs, and the
    display formulas, which this transform translates itself.

    Sphinx translates a literal node (a display formula is one) by parsing ``::`` and the indented msgstr
    as reStructuredText; a MyST page parses that as a paragraph "::", so Sphinx's way would destroy every
    translated formula. Here the formula's catalog entry (its ``\\text{...}`` words translated, the TeX
    otherwise identical) replaces the formula's text as it is; Sphinx's transform skips the formula, and
    it is handed back (``_Unmark``) for the translation report."""

    default_priority = 10

    def apply(self, **kwargs) -> None:
        glossary.mark_untranslatable(self.env.docname, self.document)
        if not is_chinese(self.config) or self.app.builder.name == "gettext":
            return
        from sphinx.locale import init as init_locale
        from sphinx.util.i18n import docname_to_domain
        from sphinx.util.nodes import is_translatable

        for node in self.document.findall(nodes.image):
            if node.get("alt"):
                node["edition_alt"] = node["alt"]
        dirs = [str(Path(self.env.srcdir) / d) for d in self.config.locale_dirs]
        catalog, has_catalog = init_locale(dirs, self.config.language,
                                           docname_to_domain(self.env.docname, self.config.gettext_compact))
        for node in list(self.document.findall(nodes.math_block)):
            if not is_translatable(node):
                continue
            msg = node.rawsource or node.astext()
            # The catalog's own table, as Sphinx's Locale reads it: gettext() cannot tell a formula whose
            # translation is the same text (\\text{Loss}) from a missing one.
            msgstr = getattr(catalog, "_catalog", {}).get(msg, "") if has_catalog else ""
            node["translatable"] = False
            node["edition_math"] = True
            node["translated"] = bool(msgstr.strip()) or not needs_translation(msg, math=True)
            if msgstr.strip() and msgstr != msg:
                node.rawsource = msgstr
                node.children = []
                node += nodes.Text(msgstr)


class _Unmark(SphinxTransform):
    """After Sphinx's Locale transform: the display formulas count in the translation report again, and a
    string with nothing to translate (a cell of code, math or Chinese) is not marked as untranslated."""

    default_priority = 25

    def apply(self, **kwargs) -> None:
        for node in self.document.findall(nodes.math_block):
            if node.get("edition_math"):
                node["translatable"] = True
        if not is_chinese(self.config) or self.app.builder.name == "gettext":
            return
        # Sphinx's Locale replaces an image's alt text without marking the image translated: compare with the
        # English alt text _Marker kept (a Chinese alt text naming "ReLU" or "h1" is still a translation).
        for node in self.document.findall(nodes.image):
            if node.get("edition_alt") and node.get("alt") != node["edition_alt"]:
                node["translated"] = True
        for node, msg in extract_messages(self.document):
            if node.get("translated") is False and not needs_translation(msg, math=isinstance(node, nodes.math_block)):
                node["translated"] = True


def _env_version() -> int:
    # A change of this extension's code re-reads every page (its counts and marks live in the environment).
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(HERE.glob("*.py"))))
    return int(digest.hexdigest()[:8], 16)


def _assets_fingerprint(app, config) -> None:
    # Sphinx copies static files only when some page is out of date: a changed stylesheet, script or
    # template of this extension changes this "html" config value, which rewrites every page.
    files = sorted(p for d in ("static", "templates") for p in (HERE / d).iterdir())
    config.edition_assets_fingerprint = hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()[:16]


def setup(app):
    app.add_config_value("edition_assets_fingerprint", "", "html", [str])
    app.connect("config-inited", _assets_fingerprint)
    app.connect("config-inited", _config_inited)
    # Before the theme drops header templates that render empty (pydata-sphinx-theme, priority 500).
    app.connect("html-page-context", _page_context, priority=400)
    app.add_js_file("edition.js", defer="defer")
    app.add_css_file("edition.css")
    app.add_transform(_Marker)
    app.add_transform(_Unmark)
    app.connect("doctree-read", _count)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("build-finished", _write_report)
    glossary.setup(app)
    search.setup(app)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": _env_version()}
