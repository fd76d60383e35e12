"""ffgrader.sanitize without a browser: the sanitizer on every vector of tests/attacks/markup.py as the pages
render it (Markdown through nbconvert, then clean_html), what it keeps for honest answers, SanitizeNotebook on a
forged notebook, and the CSV cell guard. The same corpus in the real formgrader and feedback pages, in
Chromium: tests/test_untrusted_html.py.
"""

from __future__ import annotations

import functools
import html.parser
import json
import re

import nbformat
import pytest

from attacks import markup
from ffgrader.sanitize import SanitizeNotebook, clean_html, csv_cell

@functools.cache
def _markdown2html():
    from nbconvert.exporters import HTMLExporter

    return functools.partial(HTMLExporter().markdown2html, {"cell": {}})


@pytest.mark.parametrize("vector", markup.MARKUP, ids=lambda v: v.name)
def test_clean_html_leaves_nothing_active(vector):
    """Each vector as the pages render it: Markdown to HTML (nbconvert), then the sanitizer."""
    out = clean_html(_markdown2html()(vector.build(markup.run(markup.strike_js(vector.name, 9)), 9)))
    report = _Markup()
    report.feed(out)
    assert not report.active, (vector.name, out)


def test_clean_html_keeps_what_answers_need():
    out = clean_html('<p>Since <b>bold</b> <em>em</em> $a&lt;b$</p><table><tr><td colspan="2">t</td></tr></table>'
                     '<a href="https://example.org/x">ref</a> <a href="#sec">in page</a><h2 id="sec">Sec</h2>'
                     f'<img src="data:image/png;base64,{markup.PNG_1X1}" alt="dot">'
                     '<div class="highlight"><pre><span class="k">def</span></pre></div>')
    for kept in ("<b>bold</b>", "<em>em</em>", "$a&lt;b$", 'colspan="2"', 'href="https://example.org/x"',
                 'href="#user-content-sec"', 'id="user-content-sec"', "data:image/png;base64,", 'class="k"',
                 'class="highlight"'):
        assert kept in out, (kept, out)
    # An "image" whose bytes are not the image it claims is dropped.
    assert "src" not in clean_html('<img src="data:image/png;base64,PHN2Zz4=">')


def test_csv_cells_that_spreadsheets_would_evaluate_are_text():
    assert csv_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert [csv_cell(v) for v in ("+1", "-cmd", "@SUM(A1)", "\tx")] == ["'+1", "'-cmd", "'@SUM(A1)", "'\tx"]
    assert [csv_cell(v) for v in ("Alice", "", -1.5, 3, None)] == ["Alice", "", -1.5, 3, None]


def test_the_grades_export_quotes_formulas_from_the_roster(tmp_path):
    """Names in the roster come from students (an LMS profile): none becomes a formula in the grades CSV."""
    import csv

    from tools import classroom

    with classroom.gradebook(tmp_path) as gb:
        gb.add_assignment("hw1_neurons")
        gb.add_student("mallory", first_name='=HYPERLINK("http://example.org/?"&A1,"x")', last_name="@SUM(1)",
                       email="+1@example.org", lms_user_id="-7")
    classroom.export(tmp_path / "grades.csv", tmp_path)
    [row] = list(csv.DictReader((tmp_path / "grades.csv").open(newline="")))
    assert row["first_name"] == '\'=HYPERLINK("http://example.org/?"&A1,"x")'
    assert (row["last_name"], row["email"], row["lms_user_id"]) == ("'@SUM(1)", "'+1@example.org", "'-7")
    assert row["student_id"] == "mallory" and row["status"] == "not_submitted" and row["score"] == ""


def test_sanitize_notebook_reduces_every_part_to_plain_forms():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nb.cells[0].metadata["nbgrader"] = {"grade_id": "answer_3", "solution": True, "grade": False, "locked": False}
    raw = markup.forge_notebook(json.loads(nbformat.writes(nb)), 9)
    out, resources = SanitizeNotebook().preprocess(nbformat.from_dict(raw), {})
    assert len(resources["csp_nonce"]) >= 20
    assert set(out.metadata) <= {"kernelspec", "language_info"} and "pygments_lexer" not in out.metadata.get(
        "language_info", {})
    for cell in out.cells:
        assert set(cell.metadata) <= {"nbgrader"}, cell.metadata
        assert re.fullmatch(r"[A-Za-z0-9_-]+", cell.id)
        for o in cell.get("outputs", []):
            assert not o.get("metadata"), o
            assert set(o.get("data", {})) <= {"text/plain", "image/png", "image/jpeg"}, o
            if "image/png" in o.get("data", {}):
                assert o.data["image/png"] == markup.PNG_1X1
        for bundle in cell.get("attachments", {}).values():
            assert set(bundle) == {"image/png"}
    assert out.cells[0].execution_count == 7
    assert [c.metadata["nbgrader"]["grade_id"] for c in out.cells if "nbgrader" in c.metadata] == ["answer_3"]
    text = "".join(c.source for c in out.cells)
    # References to attachments that are gone (missing, or not a raster image) no longer break the renderer.
    assert "(attachment:dot.png)" in text
    assert "(attachment:missing.png)" not in text and "(attachment:evil.svg)" not in text


class _Markup(html.parser.HTMLParser):
    """Anything that could act in a browser: event handlers, active elements, URLs other than http(s)/#."""

    ACTIVE = {"script", "iframe", "object", "embed", "svg", "math", "style", "link", "meta", "base", "form", "input",
              "textarea", "button", "video", "audio", "frame", "marquee", "noscript", "template"}

    def __init__(self):
        super().__init__()
        self.active = []

    def handle_starttag(self, tag, attrs):
        if tag in self.ACTIVE:
            self.active.append(tag)
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on") or name in ("style", "srcset", "action", "formaction", "poster", "background"):
                self.active.append(f"{tag}[{name}]")
            if name in ("href", "src") and not (value.startswith(("http://", "https://", "mailto:", "#"))
                                                or value.startswith("data:image/png;base64,")):
                self.active.append(f"{tag}[{name}={value[:40]}]")
            if name == "class" and {"ffnn-mark-scheme", "score", "comment"} & set(value.split()):
                self.active.append(f"{tag}.{value}")
