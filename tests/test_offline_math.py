"""Feedback pages show typeset formulas with no network and no script (ffgrader/offline_math.py).

The page is drawn as `nbgrader generate_feedback` draws it: the course's nbgrader_config.py (its feedback
preprocessors, template and filters) on nbconvert's HTMLExporter, with the template paths nbgrader adds. Served
by the test's own listener on 127.0.0.1 and opened in Chromium with every other request refused: the formulas
are MathJax markup laid out with MathJax's fonts (from the page itself), a student's hostile TeX stays inert,
and TeX that MathJax cannot read is shown as text.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool
from traitlets.config.loader import PyFileConfigLoader

from attacks import markup
from ffgrader.offline_math import TypesetMath, formulas
from tools.static_site import serve

pytestmark = [pytest.mark.browser]

ROOT = Path(__file__).resolve().parent.parent
HONEST = ("The logistic function: $f'(x) = \\frac{e^{-x}}{(1+e^{-x})^2} = f(x)\\,(1-f(x))$, and for layer $l$\n\n"
          "$$\\boldsymbol{\\delta}^{[l]} = (\\mathbf{W}^{[l+1]})^T \\boldsymbol{\\delta}^{[l+1]} \\odot "
          "\\sigma'(\\mathbf{z}^{[l]})$$\n\n"
          "\\begin{align} a &= b + c \\\\ d &= e \\end{align}\n\nAnd `$x$` in code.")
BROKEN = "Unreadable: $\\frac{a}{$ stays text."


def test_formulas_are_found_as_nbconvert_reads_markdown():
    assert formulas(HONEST) == [
        ("f'(x) = \\frac{e^{-x}}{(1+e^{-x})^2} = f(x)\\,(1-f(x))", False), ("l", False),
        ("\\boldsymbol{\\delta}^{[l]} = (\\mathbf{W}^{[l+1]})^T \\boldsymbol{\\delta}^{[l+1]} \\odot "
         "\\sigma'(\\mathbf{z}^{[l]})", True),
        ("\\begin{align} a &= b + c \\\\ d &= e \\end{align}", True)]


def _feedback_exporter():
    """nbconvert's HTMLExporter as `nbgrader generate_feedback` configures it from the course's config."""
    import nbgrader
    from nbconvert import HTMLExporter

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    base = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
    config.HTMLExporter.template_name = "feedback"
    config.HTMLExporter.extra_template_paths = [str(base / "static" / "node_modules" / "bootstrap" / "dist" / "css")]
    preprocessors = config.GenerateFeedback.preprocessors
    assert TypesetMath in preprocessors
    exporter = HTMLExporter(config=config)
    for pre in preprocessors:
        # As nbgrader's converter registers them: by class, enabled only if the class says so. GetGrades reads the
        # gradebook; _Grades puts the same fields (a score, the grader's comment) in place.
        exporter.register_preprocessor(_Grades if pre.__name__ == "GetGrades" else pre)
    return exporter


class _Grades(Preprocessor):
    enabled = Bool(True)

    def preprocess_cell(self, cell, resources, index):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "task_1":
            cell.metadata.nbgrader.update(score=2.0, comment="Right: $\\sigma'(z) = \\sigma(z)(1-\\sigma(z))$.")
        return cell, resources


@pytest.fixture(scope="module")
def feedback_page(tmp_path_factory):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    hostile = "\n\n".join(f"{name}: " + build("alert(1)", 9) for name, build in markup.TEX)
    nb.cells = [nbformat.v4.new_markdown_cell(HONEST), nbformat.v4.new_markdown_cell(hostile),
                nbformat.v4.new_markdown_cell(BROKEN)]
    nb.cells[0].metadata["nbgrader"] = {"grade": True, "solution": True, "grade_id": "task_1", "points": 2,
                                        "locked": False, "schema_version": 3}
    resources = {"nbgrader": {"notebook": "hw", "score": 2.0, "max_score": 2.0, "late_penalty": 0.0},
                 "metadata": {"path": ""}}
    body, _ = _feedback_exporter().from_notebook_node(nb, resources=resources)
    site = tmp_path_factory.mktemp("feedback-math")
    (site / "hw.html").write_text(body, encoding="utf-8")
    with serve(site) as url:
        yield url, body


def test_marker_characters_a_student_types_and_math_inside_an_attribute_stay_text():
    """The formula markers are private-use characters a student can type: one opened in an attribute and closed
    in the text after it cut the attribute's end away, and the text became an id and a style of the student's
    (a fake score over the page). A formula in an image's alt text was typeset into the attribute."""
    from html.parser import HTMLParser

    forged = ('<abbr title="\ue000Iq{">linearity\ue001 " id="forged" style="position:fixed;top:0" x="" '
              '<b>Score: 6 / 6</b></abbr>')
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        forged + "\n\n![a $x^2$ b](data:image/png;base64," + markup.PNG_1X1 + ") and $x^2$")])
    resources = {"nbgrader": {"notebook": "hw", "score": 0.0, "max_score": 0.0, "late_penalty": 0.0},
                 "metadata": {"path": ""}}
    body, _ = _feedback_exporter().from_notebook_node(nb, resources=resources)
    cells = body[body.index('<div class="text_cell_render'):]

    class Attributes(HTMLParser):
        found, alts = [], []

        def handle_starttag(self, tag, attrs):
            if not tag.startswith("mjx-"):  # MathJax's own markup (its styles come from MathJax, guarded)
                self.found += [(tag, name, value) for name, value in attrs if name in ("id", "style")]
            self.alts += [value for name, value in attrs if tag == "img" and name == "alt"]

    parser = Attributes()
    parser.feed(cells)
    assert parser.found == [] and parser.alts == ["a x^2 b"], (parser.found, parser.alts)
    assert "\ue000" not in body and "\ue001" not in body
    assert cells.count("<mjx-container") == 1   # the formula in the text is typeset


def test_feedback_math_typesets_offline(feedback_page, browser):
    url, body = feedback_page
    assert "<script" not in body and not re.search(r"""(src|href)=["']?(https?:)?//""", body)
    ctx = browser.new_context(viewport={"width": 1100, "height": 900})
    requests, refused = [], []

    def only_ours(route):
        if route.request.url.startswith(url + "/"):
            requests.append(route.request.url)
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    ctx.route("**/*", only_ours)
    page = ctx.new_page()
    page.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation',"
                         " e => window.__csp.push(e.violatedDirective));")
    page.goto(f"{url}/hw.html")
    page.evaluate("() => document.fonts.ready")
    report = page.evaluate("""() => {
      const cells = [...document.querySelectorAll('.text_cell_render')];
      const frac = document.querySelector('mjx-mfrac');
      const num = frac.querySelector('mjx-num').getBoundingClientRect();
      const den = frac.querySelector('mjx-den').getBoundingClientRect();
      const fonts = [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family.replace(/"/g, ''));
      return {texts: cells.map(c => c.innerText), math: cells.map(c => c.querySelectorAll('mjx-container').length),
              code: cells.map(c => c.querySelectorAll('code').length),
              display: document.querySelectorAll('mjx-container[display="true"]').length,
              stacked: num.bottom <= den.top + 1, fonts, csp: window.__csp,
              links: document.querySelectorAll('mjx-container a, mjx-container [href]').length,
              forged: document.querySelectorAll('mjx-container .score, mjx-container [id], #task_4').length,
              comment: document.querySelectorAll('.panel-footer mjx-container').length};
    }""")
    (ROOT / "_build" / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ROOT / "_build" / "screenshots" / "feedback-math.png"), full_page=True)
    ctx.close()
    assert requests == [f"{url}/hw.html"] and refused == []          # nothing but the page itself
    assert report["csp"] == []
    # Honest cell: four formulas, two of them displayed; the fraction is stacked; no TeX left.
    assert report["math"][0] == 4 and report["display"] >= 2, report
    assert report["stacked"], report
    assert "\\frac" not in report["texts"][0] and "$" not in report["texts"][0].replace("$x$", ""), report["texts"][0]
    assert "$x$" in report["texts"][0]                              # code stays code
    assert "MJX-NCM-N" in report["fonts"], report["fonts"]           # MathJax's own glyphs, from the page
    assert report["comment"] == 1                                    # the grader's comment, typeset too
    # Hostile TeX: typeset as plain symbols (or, where MathJax cannot read it, shown as its text), no link, no
    # forged class or id.
    assert report["math"][1] + report["code"][1] == len(markup.TEX) and report["math"][1] >= len(markup.TEX) - 2
    assert report["links"] == 0 and report["forged"] == 0, report
    # TeX MathJax cannot read is the student's text, not an error page.
    assert report["math"][2] == 0 and "$\\frac{a}{$" in report["texts"][2], report["texts"][2]
