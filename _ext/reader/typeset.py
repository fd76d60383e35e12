"""Every formula typeset once, when the book is built: the HTML a reader gets holds the math.

Sphinx's math renderer API (``add_html_math_renderer``, selected by ``html_math_renderer``) writes
each inline and display formula as MathJax 4's CHTML output, produced in node by the npm package
``mathjax`` (``make node-deps``) through ``mathjax.cjs``: real characters in the page (find-in-page
and copying work), the formula as hidden MathML for screen readers, the fonts and one stylesheet
served from ``_static`` (no CDN, no script). Nothing typesets anything in the browser, so printing,
find-in-page, deep links and the contents panels see the final page from the first paint.

Display formulas and the column. MathJax measures each formula (its own font metrics) at build time.
A display formula wider than a phone's column is also set in lines broken at its top-level
relations and operators (``breaking.py``), for a phone and, if needed, for a desktop column; the
page carries these versions and a CSS container query on the formula's own box shows the widest one
that fits the box, so a formula that fits is never broken and none is broken one token per line.
If even the narrowest version is wider than the box, the box scrolls sideways (reader.js then makes
it a named, keyboard-focusable region). Equation numbers sit at the right of the box, outside it.

All formulas of the book (collected from every page when it is read) are typeset in one node process
the first time a page with math is written in a build, so the stylesheet written next to the pages
always covers every page, rewritten or not.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

from . import breaking
from .page import subset_font

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"
MATHJAX = NODE_MODULES / "mathjax"
FONT = NODE_MODULES / "@mathjax" / "mathjax-newcm-font"
SERVICE = Path(__file__).with_name("mathjax.cjs")
CSS_NAME = "reader-math.css"
FONT_DIR = "mathjax-fonts"  # under _static

# Size of a formula relative to the text around it (CSS, and the widths below).
SCALE = 1.1
# Columns a display formula is broken for, in em of the text (16 px): a 320 px phone (288 px of
# column) and a desktop column (the theme gives about 43 em). A formula narrower than the phone
# column is never broken; one wider than the desktop column also gets a desktop version.
TARGETS_EM = (18.0, 42.0)
# Room for an equation number at the right of its box, in em of the text.
EQNO_EM = 3.0
# Horizontal padding of MathJax's display container (2 px each side), in em.
PAD_EM = 0.25


def display_parts(text: str) -> list[str]:
    """The equations of a display block: Sphinx's rule (blank lines separate equations)."""
    return [p for p in text.split("\n\n") if p.strip()]


def display_tex(node) -> str:
    """The TeX Sphinx's own MathJax renderer would typeset for a math_block."""
    if node.get("nowrap"):
        return node.astext()
    parts = display_parts(node.astext())
    wrapped = [r"\begin{split}" + p + r"\end{split}" if r"\\" in p else p for p in parts]
    if len(wrapped) > 1:
        return r"\begin{align}\begin{aligned}" + r"\\".join(wrapped) + r"\end{aligned}\end{align}"
    return wrapped[0] if wrapped else ""


def unwrap_split(tex: str) -> str:
    """The equation inside the ``split`` environment display_tex put around it (for one with a
    ``\\\\`` anywhere, e.g. in ``cases``); its own line breaks, if any, stay inside."""
    begin, end = r"\begin{split}", r"\end{split}"
    if tex.startswith(begin) and tex.endswith(end):
        return tex[len(begin):-len(end)]
    return tex


def _numbered(node, config) -> bool:
    return bool(node.get("label") or node.get("number") or config.math_number_all)


def formula_keys(doctree, config) -> list[tuple]:
    """(tex, display, numbered) of every formula of a doctree, as the renderer looks them up."""
    keys = []
    for node in doctree.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block))):
        if isinstance(node, nodes.math_block):
            keys.append((display_tex(node), True, _numbered(node, config), bool(node.get("nowrap"))))
        else:
            keys.append((node.astext(), False, False, False))
    return keys


@dataclass
class Rendered:
    """One formula as HTML: inline, or display versions from the narrowest to the widest (one line)."""

    versions: list[tuple[str, float]] = field(default_factory=list)  # (html, width in em of the text)
    error: str | None = None


class MathJaxNode:
    """The node process that typesets: started on first use, one per build."""

    def __init__(self, macros: dict):
        for path, what in ((MATHJAX / "startup.js", "mathjax"), (FONT, "@mathjax/mathjax-newcm-font")):
            if not path.exists():
                raise ExtensionError(f"npm package {what} is not installed in {NODE_MODULES}: "
                                     "run `make node-deps` (npm ci) before building the book")
        node = shutil.which("node")
        if node is None:
            raise ExtensionError("node is not installed: the book's math is typeset with MathJax in node")
        env = {"PATH": "", "READER_MATH_MACROS": json.dumps(macros)}
        self.proc = subprocess.Popen(
            [node, str(SERVICE), str(MATHJAX), str(FONT.parent)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, encoding="utf-8", env=env, bufsize=1)

    def ask(self, request: dict) -> dict:
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise ExtensionError(f"the MathJax process ended (exit code {self.proc.wait()})")
        answer = json.loads(line)
        if "fatal" in answer:
            raise ExtensionError(f"MathJax failed: {answer['fatal']}")
        return answer

    def render(self, items: list[tuple[str, bool]]) -> list[dict]:
        if not items:
            return []
        return self.ask({"op": "render", "items": [{"tex": t, "display": d} for t, d in items]})["results"]

    def css(self) -> str:
        return self.ask({"op": "css"})["css"]

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)


class MathRenderer:
    """Typesets the formulas of the whole book once per build and hands their HTML to the writer."""

    def __init__(self, app):
        self.app = app
        self.node: MathJaxNode | None = None
        self.done: dict[tuple, Rendered] = {}
        self.thresholds: set[int] = set()

    def _node(self) -> MathJaxNode:
        if self.node is None:
            self.node = MathJaxNode(dict(self.app.config.reader_math_macros or {}))
        return self.node

    def _widths(self, texs: list[str]) -> list[float]:
        results = self._node().render([(t, True) for t in texs])
        return [r["width"] for r in results]

    def get(self, key: tuple, location=None) -> Rendered:
        if key not in self.done:
            # First formula of the build: typeset every formula of the book (all pages, as read).
            wanted = {key}
            for keys in getattr(self.app.env, "reader_math", {}).values():
                wanted.update(keys)
            self._typeset(sorted(wanted - set(self.done)))
        result = self.done[key]
        if result.error:
            logger.warning(f"MathJax cannot typeset {key[0]!r}: {result.error}", location=location)
        return result

    def _typeset(self, keys: list[tuple]) -> None:
        node = self._node()
        results = node.render([(k[0], k[1]) for k in keys])
        for key, res in zip(keys, results):
            rendered = Rendered(error=res["error"])
            if not res["error"]:
                rendered.versions = [(res["html"], res["width"] * SCALE)]
                if key[1] and not key[3]:
                    rendered.versions = self.display_versions(key, res["html"], res["width"] * SCALE)
                self.thresholds.update(version_thresholds(rendered.versions))
            self.done[key] = rendered

    def display_versions(self, key: tuple, html: str, width: float) -> list[tuple[str, float]]:
        """The one-line display formula and, if it is wider than a column, broken versions."""
        tex, _display, numbered, _nowrap = key
        versions = [(html, width)]
        parts = [unwrap_split(p) for p in display_parts(tex)]
        room = EQNO_EM if numbered else 0.0
        if len(parts) != 1 or width + PAD_EM <= TARGETS_EM[0] - room:
            return versions
        for target in sorted(TARGETS_EM, reverse=True):
            limit = (target - room - PAD_EM) / SCALE
            if width <= limit * SCALE:
                continue
            broken = breaking.layout(parts[0], limit, self._widths)
            if broken is None:
                break
            (res,) = self._node().render([(broken, True)])
            if res["error"]:
                logger.warning(f"the broken form of {tex!r} does not typeset: {res['error']}")
                break
            w = res["width"] * SCALE
            if w < versions[0][1] - 0.5:
                versions.insert(0, (res["html"], w))
        return versions

    def css(self) -> str:
        return self._node().css()

    def close(self):
        if self.node is not None:
            self.node.close()


def sixteenth(width_em: float) -> int:
    """A container width in sixteenths of an em (a pixel of 16 px text), rounded up: a version is shown
    only where it fits."""
    return math.ceil((width_em + PAD_EM) * 16)


def version_thresholds(versions: list[tuple[str, float]]) -> set[int]:
    """The container widths (sixteenths of an em) at which one version of a display formula gives way to the next."""
    return {sixteenth(width) for _html, width in versions[1:]}


def display_html(rendered: Rendered) -> str:
    """The versions of a display formula, each shown by a container query for the widths it fits:
    a version from its own width on, until the next wider one fits."""
    out = []
    versions = rendered.versions
    for i, (html, width) in enumerate(versions):
        classes = ["reader-math-v"]
        if i > 0:
            classes.append(f"rm-ge-{sixteenth(width)}")
        if i + 1 < len(versions):
            classes.append(f"rm-lt-{sixteenth(versions[i + 1][1])}")
        out.append(f'<div class="{" ".join(classes)}">{html}</div>')
    return "".join(out)


def threshold_css(thresholds: set[int]) -> str:
    """The container queries of display_html's classes (show rules before hide rules per width)."""
    lines = [".reader-math-box > [class*='rm-ge-'] { display: none; }"]
    for q in sorted(thresholds):
        lines.append(f"@container (min-width: {q / 16}em) {{ .reader-math-box > .rm-ge-{q} {{ display: block; }} "
                     f".reader-math-box > .rm-lt-{q} {{ display: none; }} }}")
    return "\n".join(lines) + "\n"


def _renderer(self) -> MathRenderer:
    return self.builder.reader_math


def visit_math(self, node):
    rendered = _renderer(self).get((node.astext(), False, False, False), node)
    html = rendered.versions[0][0] if rendered.versions else self.encode(node.astext())
    self.body.append(self.starttag(node, "span", "", CLASS="math notranslate nohighlight") + html + "</span>")
    raise nodes.SkipNode


def visit_displaymath(self, node):
    renderer = _renderer(self)
    key = (display_tex(node), True, _numbered(node, self.builder.config), bool(node.get("nowrap")))
    rendered = renderer.get(key, node)
    self.body.append(self.starttag(node, "div", CLASS="math notranslate nohighlight reader-math"))
    room = EQNO_EM if key[2] else 0.0
    # Only a formula whose narrowest version is wider than a phone's column can ever scroll: reader.js
    # measures these boxes alone (measuring every box laid out every section of the page at load).
    wide = not rendered.versions or rendered.versions[0][1] + PAD_EM > TARGETS_EM[0] - room
    self.body.append('<div class="reader-math-box reader-math-wide">' if wide else '<div class="reader-math-box">')
    if rendered.versions:
        self.body.append(display_html(rendered))
    else:
        self.body.append(self.encode(node.astext()))
    self.body.append("</div>")
    if node.get("number"):
        self.body.append(f'<span class="eqno">{equation_number_html(self, node)}</span>')
    self.body.append("</div>\n")
    raise nodes.SkipNode


def equation_number_html(self, node) -> str:
    """The number of an equation, itself the equation's permalink: Sphinx's permalink is a "#" after
    the number, which a phone (no hover) showed as part of the number. Like the headings' permalinks it
    is not a Tab stop (a chapter's dozens of numbers would stand between a keyboard and the text)."""
    number = f"({get_node_equation_number(self, node)})"
    if not (self.config.html_permalinks and node["ids"]):
        return number
    title = self.attval(_("Link to this equation"))
    return f'<a class="reader-eqno-link" href="#{node["ids"][0]}" title="{title}" tabindex="-1">{number}</a>'


def _collect(app, doctree) -> None:
    if not hasattr(app.env, "reader_math"):
        app.env.reader_math = {}
    app.env.reader_math[app.env.docname] = sorted(set(formula_keys(doctree, app.config)))


def _purge(app, env, docname) -> None:
    getattr(env, "reader_math", {}).pop(docname, None)


def _merge(app, env, docnames, other) -> None:
    env.reader_math = {**getattr(env, "reader_math", {}), **getattr(other, "reader_math", {})}


def _start(app) -> None:
    if app.builder.format == "html":
        app.builder.reader_math = MathRenderer(app)


def _page_css(app, pagename, templatename, context, doctree) -> None:
    if app.builder.format == "html" and app.env.get_domain("math").has_equations(pagename):
        app.add_css_file(CSS_NAME, priority=600)


def _finish(app, exception) -> None:
    renderer = getattr(app.builder, "reader_math", None)
    if renderer is None:
        return
    try:
        if exception is None and renderer.node is not None:
            write_assets(Path(app.outdir) / "_static", renderer.css(), renderer.thresholds, pages=Path(app.outdir))
    finally:
        renderer.close()


# MathJax's CHTML writes every character of a formula as the text of an <mjx-c> (its font chosen by a class).
_MJX_CHAR = re.compile(r"<mjx-c\b[^>]*>([^<]*)</mjx-c>")
# Fonts drawn only by generated content of the stylesheet (line-break spaces): a few hundred bytes, kept whole.
WHOLE_FONTS = ("mjx-ncm-brk.woff2", "mjx-ncm-zero.woff2")


def used_characters(pages: Path) -> set[int]:
    """Every character the typeset formulas of the built pages under ``pages`` show."""
    chars = {0x20, 0xA0}
    for path in pages.rglob("*.html"):
        for text in _MJX_CHAR.findall(path.read_text(encoding="utf-8", errors="ignore")):
            chars.update(ord(c) for c in unescape(text))
    return chars


def write_assets(static: Path, css: str, thresholds: set[int], pages: Path | None = None) -> None:
    """The stylesheet (MathJax's, for every formula typeset, plus the versions' container queries)
    and the font files it names, into _static.

    With ``pages`` (the built site), each font keeps only the characters those pages show: the
    main font alone is 92 kB and a phone fetched it before it could paint a paragraph with a formula
    (Lighthouse's largest paint). Each font's URL names its content (``?v=``), so a browser that
    cached an earlier subset fetches the new one."""
    fonts = static / FONT_DIR
    if fonts.exists():
        shutil.rmtree(fonts)
    fonts.mkdir(parents=True)
    source = FONT / "chtml" / "woff2"
    used = sorted(set(re.findall(r'FONTURL/([\w.-]+\.woff2)', css)))
    chars = used_characters(pages) if pages is not None else None
    for name in used:
        shutil.copyfile(source / name, fonts / name)
        if chars is not None and name not in WHOLE_FONTS:
            subset_font(fonts / name, chars)
        digest = hashlib.sha256((fonts / name).read_bytes()).hexdigest()[:8]
        css = css.replace(f"FONTURL/{name}", f"{FONT_DIR}/{name}?v={digest}")
    (static / CSS_NAME).write_text(css + threshold_css(thresholds), encoding="utf-8")


def fingerprint() -> str:
    """What the typeset pages depend on besides their TeX: this code and the MathJax release. In the
    HTML configuration, so a change of either rewrites every page (Sphinx's build info)."""
    digest = hashlib.sha256()
    # (and the package's __init__.py: its inline head script is in every page)
    for path in (Path(__file__), Path(breaking.__file__), SERVICE, MATHJAX / "package.json",
                 Path(__file__).with_name("__init__.py")):
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()[:16]


def _configure(app, config) -> None:
    config.html_math_renderer = "reader"
    config.reader_math_fingerprint = fingerprint()


def setup(app):
    app.add_config_value("reader_math_macros", {}, "env", [dict])
    app.add_config_value("reader_math_fingerprint", "", "html", [str])
    app.add_html_math_renderer("reader", (visit_math, None), (visit_displaymath, None))
    app.connect("config-inited", _configure)
    app.connect("doctree-read", _collect)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("builder-inited", _start)
    app.connect("html-page-context", _page_css)
    app.connect("build-finished", _finish)
