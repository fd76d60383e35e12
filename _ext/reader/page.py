"""The page around the text: assets in one order, nothing blocking the first paint, plots that
reserve their size, icon fonts cut to the icons used, a description and an icon for every page.

What Lighthouse (``make bench-reader``) blamed, and what is done about it here:

- The theme loaded Font Awesome's 1.5 MB ``fontawesome.js`` on every page to draw about twenty icons.
  ``templates/layout.html`` drops it: the theme's CSS draws the same ``<i class="fa-...">`` icons from
  its webfonts. After the build the icon rules of the theme's CSS are cut to the icons the site uses
  and the three webfonts are subset to those glyphs (about 270 kB of fonts become a few kB).
- Sphinx's search scripts and index were loaded on every page: the template loads them on the search
  page only.
- The extensions' scripts in ``<head>`` blocked the first paint: each page's script list is re-added
  with ``defer`` (through ``app.add_js_file`` in ``html-page-context``, Sphinx's per-page API), except
  ``documentation_options.js``, which inline snippets read at once, and on the search page, whose
  search scripts need doctools.js at once.
- Laying out a whole chapter (about 20,000 elements, mostly typeset math) at load was the longest
  task: ``reader.css`` leaves the sections below the first screen unrendered until they come near it,
  and the theme's script, which measured every code block of the page when it had loaded, measures
  only the rendered ones (``lazy_theme_tab_stops``; ``reader.js`` does the others as they are shown).
- The theme's ``theme.css`` only @imports ``basic.css`` (a second round trip before the first paint):
  ``templates/layout.html`` links ``basic.css`` in its place.
- Plots had no intrinsic size in the HTML: each ``<img>`` node gets ``width``/``height`` from its
  pixel size when the doctree is resolved, and all but the first on a page load lazily.

Every page also gets a ``<meta name="description">`` (its first paragraph, shortened) and the site
icon (``html_favicon``).
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.util import logging

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
logger = logging.getLogger(__name__)

# Scripts an inline snippet reads as soon as it is parsed: deferring them would break that snippet.
KEEP_BLOCKING = ("documentation_options.js",)

_IMG = re.compile(r'<img (?P<attrs>[^>]*?)style="width: (?P<w>\d+(?:\.\d+)?)px; height: (?P<h>\d+(?:\.\d+)?)px;"')
# One icon rule of Font Awesome's CSS: `.fa-x:before,.fa-alias:before{content:"\f00c"}`.
_ICON_RULE = re.compile(r'(?P<sel>(?:\.fa-[a-z0-9-]+:before,?)+)\{content:"(?P<glyph>\\[0-9a-f]+|[^"]+)"\}')
_ICON_NAME = re.compile(r"\bfa-[a-z0-9-]+")
_CSS_GLYPH = re.compile(r'"(\\[ef][0-9a-f]{3}|[\ue000-\uf8ff])"')
FONTS = ("fa-solid-900", "fa-regular-400", "fa-brands-400")


def _add_templates(app, config):
    config.templates_path = [str(TEMPLATES), *config.templates_path]


def _script_key(script) -> tuple:
    return (script.filename or "", tuple(sorted((k, v) for k, v in script.attributes.items() if k != "priority")))


def page_scripts(app, pagename, templatename, context, doctree):
    """One copy of each script, and every external one deferred (public API: a script re-added with
    ``app.add_js_file`` during ``html-page-context`` belongs to this page only).

    sphinx-thebe registers its inline configuration once per read phase and Jupyter Book runs that
    phase twice: the duplicate ``const`` declaration was an uncaught error in every page."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        if _script_key(script) not in seen:
            seen.add(_script_key(script))
            unique.append(script)
    scripts[:] = unique  # the builder's own list for this page
    # The search page's own scripts (searchtools.js, written by its template after these) run at
    # once and need doctools.js: that page keeps Sphinx's order.
    if pagename == "search":
        return
    for script in list(scripts):
        attrs = dict(script.attributes)
        name = script.filename or ""
        if not name or "body" in attrs or "async" in attrs or "defer" in attrs or name.endswith(KEEP_BLOCKING):
            continue
        scripts.remove(script)
        attrs.pop("priority", None)
        app.add_js_file(name.removeprefix("_static/"), priority=script.priority, defer="defer", **attrs)


def _size_images(app, pagename, templatename, context, doctree):
    """Give each plot its intrinsic size as attributes, and load all but the page's first lazily."""
    body = context.get("body")
    if not body or "<img " not in body:
        return
    count = 0

    def sized(m):
        nonlocal count
        count += 1
        w, h = round(float(m["w"])), round(float(m["h"]))
        lazy = ' loading="lazy"' if count > 1 else ""
        return f'<img {m["attrs"]}width="{w}" height="{h}"{lazy} decoding="async" style="width: {m["w"]}px; height: {m["h"]}px;"'

    context["body"] = _IMG.sub(sized, body)


def _glyph(text: str) -> int:
    return int(text[1:], 16) if text.startswith("\\") else ord(text)


def used_icons(outdir: Path) -> set[str]:
    """Every `fa-*` class named by a built page or by a script of the site (theme scripts create some)."""
    names: set[str] = set()
    for path in outdir.rglob("*.html"):
        names.update(_ICON_NAME.findall(path.read_text(encoding="utf-8", errors="ignore")))
    for path in (outdir / "_static").rglob("*.js"):
        if path.name != "fontawesome.js" and "mathjax" not in path.parts:
            names.update(_ICON_NAME.findall(path.read_text(encoding="utf-8", errors="ignore")))
    return names


def prune_icon_css(css: str, used: set[str]) -> tuple[str, set[int]]:
    """Drop the icon rules of unused icons; return the CSS and every glyph the rest can draw."""
    glyphs: set[int] = set()

    def keep(m):
        names = {s.removesuffix(":before").lstrip(".") for s in m["sel"].split(",") if s}
        if names & used:
            glyphs.add(_glyph(m["glyph"]))
            return m[0]
        return ""

    pruned = _ICON_RULE.sub(keep, css)
    # Icons the CSS itself draws (admonitions, dropdowns, external links: --pst-icon-* variables and
    # `content` of other rules) stay whatever the pages name.
    glyphs.update(_glyph(g) for g in _CSS_GLYPH.findall(pruned))
    return pruned, glyphs


def subset_font(path: Path, glyphs: set[int]) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(path))
    options = subset.Options()
    options.flavor = "woff2" if path.suffix == ".woff2" else None
    options.layout_features = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(glyphs))
    subsetter.subset(font)
    font.flavor = options.flavor
    font.save(str(path))


def _subset_icons(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    static = outdir / "_static"
    css_path = static / "styles" / "pydata-sphinx-theme.css"
    webfonts = static / "vendor" / "fontawesome" / "webfonts"
    if not css_path.exists() or not webfonts.exists():
        return
    used = used_icons(outdir)
    css, glyphs = prune_icon_css(css_path.read_text(encoding="utf-8"), used)
    for other in (static / "styles" / "sphinx-book-theme.css",):
        if other.exists():
            glyphs.update(_glyph(g) for g in _CSS_GLYPH.findall(other.read_text(encoding="utf-8")))
    css_path.write_text(css, encoding="utf-8")
    for name in FONTS:
        for path in (webfonts / f"{name}.woff2", webfonts / f"{name}.ttf"):
            if path.exists():
                subset_font(path, glyphs)
    logger.info(f"icons: {len(used)} fa- classes used, fonts subset to {len(glyphs)} glyphs")


# pydata-sphinx-theme's tab stops for code blocks and outputs that scroll sideways: when the page has
# loaded, it measures every one of them (and again after any change to the article). Measuring an element
# lays out the section around it, and reader.css leaves the sections below the first screen unrendered
# until they come near it: the theme's measuring laid out the whole chapter in one long task. Patched to
# measure only what is rendered; reader.js measures each section's elements when it is first shown.
_THEME_TAB_STOPS = re.compile(
    r"(?P<el>\w)\.tabIndex=(?P=el)\.scrollWidth>(?P=el)\.clientWidth\|\|(?P=el)\.scrollHeight>(?P=el)\.clientHeight\?0:-1")
_RENDERED = "{el}.checkVisibility({{contentVisibilityAuto:!0}})&&({rule})"


def lazy_theme_tab_stops(js: str) -> str:
    """The theme's script with its tab-stop rule applied to rendered elements only."""
    if ".checkVisibility({contentVisibilityAuto:!0})&&(" in js:
        return js  # patched by an earlier build (Sphinx keeps an unchanged static file)
    patched, count = _THEME_TAB_STOPS.subn(lambda m: _RENDERED.format(el=m["el"], rule=m[0]), js)
    if count != 1:
        raise ValueError("pydata-sphinx-theme.js: its tab-stop rule for scrollable elements was not found "
                         "(a new theme version?): check _ext/reader/page.py")
    return patched


def _patch_theme_script(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    path = Path(app.outdir) / "_static" / "scripts" / "pydata-sphinx-theme.js"
    if path.exists():
        path.write_text(lazy_theme_tab_stops(path.read_text(encoding="utf-8")), encoding="utf-8")


# A search engine shows about 155 characters of a description.
DESCRIPTION_CHARS = 155


def description(doctree) -> str:
    """The first paragraph of a page as plain text (formulas as their TeX without backslashes would
    read badly: they are left out), cut at a word boundary."""
    from docutils import nodes

    for para in doctree.findall(nodes.paragraph):
        text = " ".join(t.astext() for t in para.findall(nodes.Text)
                        if not isinstance(t.parent, (nodes.math, nodes.raw, nodes.literal)))
        text = " ".join(text.split())
        if len(text) >= 40:
            if len(text) > DESCRIPTION_CHARS:
                text = text[:DESCRIPTION_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + " …"
            return text
    return ""


def page_meta(app, pagename, templatename, context, doctree):
    """A description on every page: its own first paragraph, else that of the book's first page."""
    from html import escape

    text = description(doctree) if doctree is not None else ""
    if not text:
        text = description(app.env.get_doctree(app.config.root_doc))
    if text:
        context["metatags"] = context.get("metatags", "") + f'\n<meta name="description" content="{escape(text)}" />'


def _favicon(app, config):
    if not config.html_favicon:
        config.html_favicon = str(HERE / "static" / "favicon.svg")


def setup(app):
    app.connect("config-inited", _add_templates)
    app.connect("config-inited", _favicon)
    # Last: after every extension has added its scripts to the page.
    app.connect("html-page-context", page_scripts, priority=950)
    app.connect("html-page-context", page_meta)
    app.connect("html-page-context", _size_images)
    app.connect("build-finished", _subset_icons)
    app.connect("build-finished", _patch_theme_script)
