"""Serve MathJax 4 from the built site, with automatic line breaking of long formulas.

MathJax 3 (what sphinx-mathjax-offline bundles) lets a display equation run past its column on a
phone; MathJax 4 breaks display and inline math at the column width. The npm package `mathjax`
(pinned in package.json, installed by ``make node-deps``) is copied into ``_static/mathjax`` when
the HTML is written, with its default font (``@mathjax/mathjax-newcm-font``) under
``_static/mathjax/fonts`` so that nothing is fetched from a CDN. A missing ``node_modules`` stops
the build: a book whose math silently depends on the internet is worse than no build.
"""

from __future__ import annotations

import shutil
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

# Merged into mathjax3_config (Sphinx writes it as `window.MathJax = {...}` before the script).
MATHJAX4_OPTIONS = {
    "loader": {"paths": {"fonts": "[mathjax]/fonts"}},
    # Semantic enrichment (generated speech, the expression explorer) runs the speech-rule engine
    # over every formula: the slowest part of opening a chapter on a phone. Screen readers get the
    # formula as hidden MathML instead (assistiveMml), which they read natively.
    "options": {"menuOptions": {"settings": {"enrich": False, "assistiveMml": True}}},
    "output": {
        # Break long display math at the column width instead of letting it overflow.
        "displayOverflow": "linebreak",
        "linebreaks": {"inline": True, "width": "100%"},
    },
}


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
    app.config.mathjax_path = "mathjax/tex-chtml.js"
    app.config.mathjax3_config = _merge(dict(app.config.mathjax3_config or {}), MATHJAX4_OPTIONS)


def _copy(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(MATHJAX, target, ignore=_SKIP)
    shutil.copytree(FONT, target / "fonts" / "mathjax-newcm-font", ignore=_FONT_SKIP)


def setup(app):
    # After myst-parser has set processHtmlClass in builder-inited (default priority 500).
    app.connect("builder-inited", _configure, priority=900)
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
