"""Pages that show quickly on a phone: less to download, nothing blocking the first paint, no jumps.

What Lighthouse (``make bench-reader``) blamed, and what this extension changes:

- The theme loaded Font Awesome's 1.5 MB ``fontawesome.js`` (540 kB compressed) on every page to
  draw about twenty icons. ``templates/layout.html`` drops it: the theme's CSS draws the same
  ``<i class="fa-...">`` icons from its webfonts. After the build, the icon rules of the theme's CSS
  are cut to the icons the site uses and the three webfonts are subset to those glyphs (about 270 kB
  of fonts become a few kB; the render-blocking stylesheet loses a third).
- Sphinx's search scripts and the whole search index were loaded, render-blocking, on every page;
  the template loads them on the search page only.
- The other extensions' scripts in ``<head>`` were render-blocking: they are deferred (they only act
  on the parsed page). ``documentation_options.js`` stays as it is: inline scripts read it at once;
  so does everything on the search page, whose search scripts need doctools.js at once.
- Plots had no intrinsic size in the HTML (only an inline style that the reader CSS overrides to keep
  the aspect ratio on a phone), so the text below them jumped when each one arrived. They get
  ``width``/``height`` attributes (the browser reserves the box), and all but the first are loaded
  lazily.

MathJax is loaded after the first paint and typesets in short slices the formulas near the screen
(``_ext/mathjax4.py``).
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


def _defer_scripts(app, pagename, templatename, context, doctree):
    """Defer every external script of the page that is not already async or deferred."""
    from sphinx.builders.html._assets import _JavaScript

    scripts = context.get("script_files")
    # The search page's own scripts (searchtools.js, written by its template after these) run at
    # once and need doctools.js: that page keeps Sphinx's order.
    if not scripts or pagename == "search":
        return
    for i, script in enumerate(scripts):
        name = getattr(script, "filename", "") or ""
        attrs = dict(getattr(script, "attributes", {}) or {})
        if not name or attrs.get("body") or "async" in attrs or "defer" in attrs:
            continue
        if name.split("?")[0].endswith(KEEP_BLOCKING):
            continue
        attrs["defer"] = "defer"
        scripts[i] = _JavaScript(name, priority=script.priority, **attrs)


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


def setup(app):
    app.connect("config-inited", _add_templates)
    # After the other extensions (and Sphinx's MathJax) have added their scripts to the page.
    app.connect("html-page-context", _defer_scripts, priority=950)
    app.connect("html-page-context", _size_images)
    app.connect("build-finished", _subset_icons)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
