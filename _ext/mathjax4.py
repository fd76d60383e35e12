"""Serve MathJax 4 from the built site, with automatic line breaking of long formulas.

MathJax 3 (what sphinx-mathjax-offline bundles) lets a display equation run past its column on a
phone; MathJax 4 breaks display and inline math at the column width. The npm package `mathjax`
(pinned in package.json, installed by ``make node-deps``) is copied into ``_static/mathjax`` when
the HTML is written, with its default font (``@mathjax/mathjax-newcm-font``) under
``_static/mathjax/fonts`` so that nothing is fetched from a CDN. A missing ``node_modules`` stops
the build: a book whose math silently depends on the internet is worse than no build.

The page does not load MathJax itself: Sphinx's MathJax tag (on pages with math only) is
``_static/reader-math.js`` (from ``_ext/static``), which requests the bundle after the first paint
and typesets, in short slices, only the formulas within a screen of what is shown (the others when
the reader comes near them), so a phone shows the text at once and stays responsive (Lighthouse's
first paint and blocking time; see that file).

Lead formulas: typesetting in the browser after the first paint would make the text a reader
already sees reflow (raw TeX is wider than the formula): Lighthouse measured a layout shift of 0.3
on the backpropagation chapter. So the inline formulas of a page's first screen (the first
``LEAD_CHARS`` characters of its text) are typeset at build time by the same MathJax in node
(``mathjax_lead.cjs``), with the stylesheet they need inlined in the page; the browser typesets the
rest, which is below the first screen. Display math is always typeset in the browser (it breaks at
the column width, which only the browser knows).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from sphinx.errors import ExtensionError

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "node_modules"
MATHJAX = NODE_MODULES / "mathjax"
FONT = NODE_MODULES / "@mathjax" / "mathjax-newcm-font"

# The combined TeX-to-CHTML bundle plus what it loads on demand (TeX extensions, the menu, the
# accessibility explorer and its speech rules). The SVG/MathML bundles and node entry points are
# never requested by a page.
_SKIP = shutil.ignore_patterns(
    "*-svg.js", "*-svg-nofont.js", "mml-*.js", "tex-mml-*.js", "*-nofont.js", "node-main*", "*.mjs", "*.cjs",
    "*.d.mts", "*.md", "package.json",
)
_FONT_SKIP = shutil.ignore_patterns("cjs", "mjs", "svg", "svg.js", "tex-mml-*", "examples", "tsconfig*", "*.md")

# What the loader requests (relative to _static/): MathJax's startup, which then loads the
# components listed in MATHJAX4_OPTIONS["loader"]["load"].
BUNDLE = "mathjax/startup.js"

# Merged into mathjax3_config (Sphinx writes it as `window.MathJax = {...}` before the script).
MATHJAX4_OPTIONS = {
    # Only what the book uses: TeX in, HTML out, and the formula as hidden MathML for screen readers
    # (which read it natively). Not loaded, unlike the combined tex-chtml.js (282 kB compressed, the
    # largest script of a chapter): the contextual menu and the semantic enrichment with its
    # speech-rule engine, which ran over every formula and was the slowest part of opening a chapter
    # on a phone.
    "loader": {
        "paths": {"fonts": "[mathjax]/fonts"},
        "load": ["input/tex", "output/chtml", "a11y/assistive-mml"],
    },
    "output": {
        # Break long display math at the column width instead of letting it overflow.
        "displayOverflow": "linebreak",
        "linebreaks": {"inline": True, "width": "100%"},
        # One fixed size for every formula (not matched to the x-height of the reader's font, which
        # only the browser knows): the lead formulas typeset at build time look like the others.
        "matchFontHeight": False,
        "scale": 1.2,
    },
}


# Characters of a page's text that a phone shows on its first screen (412 x 823 px: about 30 lines).
LEAD_CHARS = 1500
LEAD_MARK = "reader-lead-math"
_INLINE_MATH = re.compile(r'<span class="math notranslate nohighlight">(\\\(.*?\\\))</span>', re.S)
_ANY_INLINE_MATH = re.compile(r'<span class="math notranslate nohighlight">.*?</span>', re.S)
_TAG = re.compile(r"<[^>]+>")


def lead_formulas(page: str) -> list[re.Match]:
    """The inline formulas within the first LEAD_CHARS characters of the page's article text."""
    start = page.find('<article class="bd-article"')
    if start < 0:
        return []
    found = []
    for m in _INLINE_MATH.finditer(page, start):
        # Formulas count as nothing, typeset or not: a second look at a typeset page finds the same.
        text = _TAG.sub(" ", _ANY_INLINE_MATH.sub(" ", page[start:m.start()]))
        if len(" ".join(html.unescape(text).split())) > LEAD_CHARS:
            break
        found.append(m)
    return found


def typeset_lead(outdir: Path) -> int:
    """Typeset the lead formulas of every built page in place; returns how many were typeset."""
    pages = {}
    for path in sorted(outdir.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        if "reader-math.js" in text and LEAD_MARK not in text:
            found = lead_formulas(text)
            if found:
                pages[path] = (text, found)
    if not pages:
        return 0
    items = [{"tex": html.unescape(m[1])[2:-2], "display": False} for _, found in pages.values() for m in found]
    env = {**os.environ, "MATHJAX_OUTPUT": json.dumps(MATHJAX4_OPTIONS["output"])}
    proc = subprocess.run(
        ["node", str(Path(__file__).with_name("mathjax_lead.cjs")), str(MATHJAX), str(FONT.parent)],
        input=json.dumps(items), capture_output=True, text=True, env=env, timeout=300,
    )
    if proc.returncode != 0:
        raise ExtensionError(f"typesetting the lead formulas failed:\n{proc.stderr[-2000:]}")
    result = json.loads(proc.stdout)
    typeset = iter(result["html"])
    for path, (text, found) in pages.items():
        fonts = os.path.relpath(outdir / "_static" / "mathjax" / "fonts" / "mathjax-newcm-font" / "chtml" / "woff2",
                                path.parent).replace(os.sep, "/")
        css = result["css"].replace("FONTURL", fonts)
        out, last = [], 0
        for m in found:
            out += [text[last:m.start(1)], next(typeset)]
            last = m.end(1)
        out.append(text[last:])
        page = "".join(out).replace("</head>", f'<style id="{LEAD_MARK}">{css}</style>\n</head>', 1)
        path.write_text(page, encoding="utf-8")
    return len(items)


def _mark_typesetting(app, pagename, templatename, context, doctree) -> None:
    """On a page with math, mark <html> before its first layout; reader-math.js clears the mark once
    every formula is typeset (reader.css skips the layout of off-screen sections meanwhile)."""
    from sphinx.builders.html._assets import _JavaScript

    scripts = context.get("script_files") or []
    for i, script in enumerate(scripts):
        if (getattr(script, "filename", "") or "").endswith("reader-math.js"):
            mark = 'document.documentElement.classList.add("reader-typesetting");'
            scripts.insert(i, _JavaScript("", priority=script.priority, body=mark))
            return


def _typeset_lead(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        typeset_lead(Path(app.outdir))


def _merge(into: dict, extra: dict) -> dict:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into.setdefault(key, value)
    return into


def _configure(app) -> None:
    if app.builder.format != "html":
        return
    if not (MATHJAX / "tex-chtml.js").exists() or not FONT.exists():
        raise ExtensionError(
            f"MathJax 4 is not installed in {NODE_MODULES}: run `make node-deps` (npm ci) before building the book"
        )


def _set_options(app, config) -> None:
    # At config-inited, before the HTML builder hashes its configuration: a change of these options
    # then rewrites every page.
    config.mathjax_path = "reader-math.js"
    config.mathjax_options = {**(config.mathjax_options or {}), "data-bundle": BUNDLE}
    config.mathjax3_config = _merge(dict(config.mathjax3_config or {}), MATHJAX4_OPTIONS)


def _copy(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(MATHJAX, target, ignore=_SKIP)
    shutil.copytree(FONT, target / "fonts" / "mathjax-newcm-font", ignore=_FONT_SKIP)


def setup(app):
    app.connect("config-inited", _set_options)
    app.connect("builder-inited", _configure)
    # After Sphinx's MathJax extension has added the loader to a page with math.
    app.connect("html-page-context", _mark_typesetting, priority=900)
    app.connect("build-finished", _copy)
    app.connect("build-finished", _typeset_lead)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
