"""The feedback page's formulas, typeset when the feedback is generated (trusted side).

(Not named ``feedback_*.py``: deploy/setup.sh leaves those out of the hub's student-readable environment, as they
hold the hidden checks' messages.)

A student opens their feedback as a file, offline or on a hub that reaches no CDN, and the page runs no script
(its Content-Security-Policy: ``ffgrader/templates/feedback``). So the formulas are typeset here, by MathJax 4
in node (the npm package the book uses: the course's ``node_modules`` after ``make node-deps``, or
``$FFNN_NODE_MODULES``, which the class hub sets to the copy ``deploy/setup.sh`` installs), into MathJax's
CHTML markup, and the page carries that markup, one stylesheet in its head and the fonts it uses as ``data:``
URLs (the only fonts the policy allows).

Two steps, because Markdown becomes HTML inside the template:

- ``TypesetMath`` (a feedback preprocessor) reads every Markdown cell and grader comment with nbconvert's own
  Markdown parser, typesets every formula it finds in one node process per notebook, and leaves the results in
  ``resources["ffnn_math"]`` (and the stylesheet in ``resources["ffnn_math_css"]``);
- the template renders each cell with ``feedback_markdown`` (nbconvert's Markdown renderer that writes each
  formula as a marker, text that survives the sanitizer), then ``clean_html`` (nh3), then ``typeset_math``,
  which puts the typeset markup in place of each marker, after sanitizing, so nh3 never has to allow it.

The TeX is the student's: MathJax runs with an allowlist of TeX packages (base, ams, newcommand, noundefined,
boldsymbol), without the ``html`` package (``\\href``, ``\\class``, ``\\cssId``, ``\\style``), ``require`` or
``autoload`` (nothing loads more code), ``bbox``, ``unicode`` or ``texhtml``; whatever MathJax cannot read
stays the student's text, escaped. The output is MathJax's own markup (``mjx-*`` elements and text; node's
liteDOM serializes it with attributes escaped): no link, no script, no SVG or MathML.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import nh3
from jinja2 import pass_context
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float, List, Unicode

# A formula in rendered Markdown, until typeset_math replaces it: private-use characters around the kind
# (D display, I inline) and the TeX as escaped text.
OPEN, CLOSE = "\ue000", "\ue001"
_MARKER = re.compile(OPEN + "([DI])(.*?)" + CLOSE, re.S)
# A student can type the marker characters too: a marker of theirs opened inside an attribute and closed in
# the text after it would let typeset_math cut the attribute's end away (their text then became attributes,
# a style that drew a fake score over the page). So theirs become U+FFFD before rendering, and a marker is
# typeset only in text, never inside a tag (nh3 escapes ">" in attribute values, so a tag is "<...>").
_TYPED = str.maketrans({OPEN: "\ufffd", CLOSE: "\ufffd"})
_TAG = re.compile(r"(<[^>]*>)")
FONT_PACKAGE = Path("@mathjax") / "mathjax-newcm-font"
# Never kept on MathJax's elements (guard): what could link, load, name an element or run something.
_DENIED_ATTRIBUTES = {"href", "src", "srcset", "id", "name", "action", "formaction", "data", "background", "poster"}

# MathJax in node: reads one JSON request on stdin ({"items": [{"tex", "display"}]}), answers one JSON object
# ({"results": [{"html" | "error"}], "css": the stylesheet of what was typeset, fonts at FONTURL/}).
_NODE_SCRIPT = r"""
"use strict";
const [mathjax, fonts] = process.argv.slice(1);
const packages = ["base", "ams", "newcommand", "noundefined", "boldsymbol", "configmacros"];
global.MathJax = {
  loader: {paths: {mathjax, fonts}, require,
           load: ["adaptors/liteDOM", "input/tex-base", "[tex]/ams", "[tex]/newcommand", "[tex]/noundefined",
                  "[tex]/boldsymbol", "[tex]/configmacros", "output/chtml"]},
  // base's \mmlToken{kind}[attributes]{text} accepts href, id, class and style: it becomes a macro that takes
  // the kind and leaves the rest as plain symbols.
  tex: {packages, macros: {mmlToken: ["", 1]}, formatError: (jax, error) => { throw error; },
        maxMacros: 1000, maxBuffer: 20 * 1024},
  output: {fontURL: "FONTURL", matchFontHeight: false},
  startup: {typeset: false},
};
require(`${mathjax}/startup.js`);
let input = "";
process.stdin.on("data", (d) => { input += d; });
process.stdin.on("end", () => MathJax.startup.promise.then(async () => {
  const doc = MathJax.startup.document, adaptor = doc.adaptor;
  const {STATE} = MathJax._.core.MathItem, {handleRetriesFor} = MathJax._.util.Retries;
  const results = [];
  for (const item of JSON.parse(input).items) {
    const math = new doc.options.MathItem(item.tex, doc.inputJax[0], !!item.display);
    math.start.node = adaptor.body(doc.document);
    math.setMetrics(16, 8, 1e6, 1);
    try {
      await handleRetriesFor(() => math.convert(doc, STATE.LAST));
      results.push({html: adaptor.outerHTML(math.typesetRoot).replace(/ data-latex="[^"]*"/g, "")});
    } catch (error) {
      results.push({error: String((error && error.message) || error)});
    }
  }
  const sheet = await handleRetriesFor(() => MathJax.chtmlStylesheet());
  process.stdout.write(JSON.stringify({results, css: adaptor.textContent(sheet)}));
}).catch((error) => { process.stderr.write(String((error && error.stack) || error)); process.exit(1); }));
"""


def _markers(kind: str, tex: str) -> str:
    return OPEN + kind + html.escape(tex, quote=False) + CLOSE


class _MarkedMath(IPythonRenderer):
    """nbconvert's Markdown renderer, writing each formula as a marker instead of ``$...$`` text."""

    def inline_math(self, body: str) -> str:
        return _markers("I", body)

    def block_math(self, body: str) -> str:
        return _markers("D", body)

    def latex_environment(self, name: str, body: str) -> str:
        return _markers("D", f"\\begin{{{name}}}{body}\\end{{{name}}}")


class _FormulasOnly(_MarkedMath):
    """For finding the formulas: images are not looked at (an image of a missing attachment is the page's
    business, drawn by the template as nbconvert draws it; here it must not stop the feedback)."""

    def image(self, text: str, url: str, title=None) -> str:
        return ""


def _render(source: str, attachments=None, path: str = "", renderer_class=_MarkedMath) -> str:
    renderer = renderer_class(escape=False, attachments=attachments or {}, path=path)
    return MarkdownWithMath(renderer=renderer).render(source.translate(_TYPED))


@pass_context
def feedback_markdown(context, source) -> str:
    """The template filter: Markdown to HTML (as nbconvert's ``markdown2html``) with formulas as markers."""
    cell = context.get("cell", {}) or {}
    path = context.get("resources", {}).get("metadata", {}).get("path", "")
    return _render(str(source or ""), cell.get("attachments", {}), path)


def formulas(source: str) -> list[tuple[str, bool]]:
    """(TeX, display) of every formula nbconvert's Markdown parser finds in ``source``, in order."""
    return [(html.unescape(tex), kind == "D") for kind, tex in _MARKER.findall(_render(source, renderer_class=_FormulasOnly))]


@pass_context
def typeset_math(context, fragment) -> str:
    """The template filter, after ``clean_html``: each marker becomes the typeset formula, or its TeX as text."""
    done = context.get("resources", {}).get("ffnn_math", {}) or {}

    def one(m):
        tex, display = html.unescape(m.group(2)), m.group(1) == "D"
        markup = done.get(json.dumps([tex, display]))
        if markup:
            return markup
        shown = html.escape(tex)
        return f"<code>$${shown}$$</code>" if display else f"<code>${shown}$</code>"

    def as_text(m):  # a formula inside a tag (an image's alt text): its TeX, escaped for an attribute value
        return html.escape(html.unescape(m.group(2)), quote=True)

    parts = _TAG.split(str(fragment))
    return "".join(_MARKER.sub(as_text if k % 2 else one, part) for k, part in enumerate(parts))


def _default_node_modules() -> str:
    for candidate in (os.environ.get("FFNN_NODE_MODULES"), os.path.join(os.getcwd(), "node_modules"),
                      str(Path(__file__).resolve().parents[1] / "node_modules")):
        if candidate and (Path(candidate) / "mathjax" / "startup.js").is_file():
            return candidate
    return ""


class FeedbackPreprocessor(NbGraderPreprocessor):
    """Base of the course's feedback preprocessors. nbconvert's HTML exporter configures
    ``NbConvertBase.display_data_priority`` for every preprocessor it runs, and nbgrader's base class redeclares
    that trait without ``config=True``: traitlets then warned "Config option `display_data_priority` not
    recognized" once per preprocessor and notebook of ``nbgrader generate_feedback``. Declared configurable here,
    the exporter's option is taken (and unused); any other unknown option still warns."""

    display_data_priority = List(NbGraderPreprocessor.display_data_priority.default_value).tag(config=True)


class TypesetMath(FeedbackPreprocessor):
    """Typesets the notebook's formulas (Markdown cells and grader comments) for the feedback page. (An nbgrader
    preprocessor: enabled when GenerateFeedback registers it by class, as it does with its list.)"""

    node_modules = Unicode(help="The node_modules folder holding the npm packages mathjax and "
                                "@mathjax/mathjax-newcm-font (default: $FFNN_NODE_MODULES, ./node_modules, the "
                                "course's)").tag(config=True)
    timeout = Float(300.0, help="Seconds the node process may take for one notebook").tag(config=True)

    def preprocess(self, nb, resources):
        items: list[tuple[str, bool]] = []
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                items += formulas(cell.source)
            comment = cell.metadata.get("nbgrader", {}).get("comment")
            if comment:
                items += formulas(str(comment))
        items = list(dict.fromkeys(items))
        resources["ffnn_math"], resources["ffnn_math_css"] = {}, ""
        if not items:
            return nb, resources
        modules = Path(self.node_modules or _default_node_modules() or "node_modules")
        node = shutil.which("node")
        if node is None or not (modules / "mathjax" / "startup.js").is_file():
            self.log.warning("Feedback formulas are left as TeX: %s (run `make node-deps` in the course, or set "
                             "TypesetMath.node_modules)", "node is not installed" if node is None else
                             f"no npm package mathjax in {modules}")
            return nb, resources
        try:
            proc = subprocess.run([node, "-e", _NODE_SCRIPT, str(modules / "mathjax"), str(modules / "@mathjax")],
                                  input=json.dumps({"items": [{"tex": t, "display": d} for t, d in items]}),
                                  capture_output=True, text=True, encoding="utf-8", timeout=self.timeout,
                                  env={"PATH": "", "HOME": os.environ.get("HOME", "/")})
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr[-2000:])
            answer = json.loads(proc.stdout)
        except (OSError, ValueError, RuntimeError, subprocess.TimeoutExpired) as exc:
            # The student still gets their feedback, with the formulas as TeX source.
            self.log.warning("Feedback formulas are left as TeX: MathJax (node) failed: %s", exc)
            return nb, resources
        for (tex, display), result in zip(items, answer["results"]):
            if "html" in result:
                resources["ffnn_math"][json.dumps([tex, display])] = guard(result["html"])
        markup = "".join(resources["ffnn_math"].values())
        resources["ffnn_math_css"] = _inline_fonts(answer["css"], markup, modules / FONT_PACKAGE / "chtml" / "woff2")
        return nb, resources


def guard(markup: str) -> str:
    """MathJax's markup with MathJax's own elements and layout attributes only: a second line behind the TeX
    allowlist, in case some TeX command still writes a link, an id or another element."""
    tags = {t for t in re.findall(r"<(mjx-[a-z0-9-]+)", markup)}
    names = {n.lower() for n in re.findall(r"\s([A-Za-z][\w:.-]*)=", markup)}
    attributes = {n for n in names if n not in _DENIED_ATTRIBUTES and not n.startswith(("on", "xlink", "xmlns"))}
    return nh3.clean(markup, tags=tags, attributes={"*": attributes}, url_schemes=set(), link_rel=None,
                     strip_comments=True)


def _inline_fonts(css: str, markup: str, fonts: Path) -> str:
    """The stylesheet with the fonts the formulas use as data: URLs (the page's policy allows no other fonts).
    MathJax's sheet declares every font of the family (35, 470 kB); a formula names its fonts by class
    (NCM-N, NCM-V, ...), so only those (and the zero-width font that comes first in every list) are kept."""
    used = {"MJX-" + name for name in re.findall(r"\bNCM-[\w-]+", markup)} | {"MJX-NCM-ZERO"}

    def face(m):
        family, name = m.group(1), m.group(2)
        if family not in used:
            return ""
        data = base64.b64encode((fonts / name).read_bytes()).decode("ascii")
        return m.group(0).replace(f"FONTURL/{name}", f"data:font/woff2;base64,{data}")

    return re.sub(r"@font-face /\* [\w-]+ \*/ \{\s*font-family: ([\w-]+);[^}]*?FONTURL/([\w.-]+\.woff2)[^}]*\}",
                  face, css)
