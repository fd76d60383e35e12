"""Verification without noise, on the built HTML: no ``check(...)`` code cell is left on a page; each
one became a ✓ mark that links to its section's single collapsed "verified" note, and every note
names the claims it verified (with SymPy's verdict "proved" in the printed table).
"""

from __future__ import annotations

import re
import sys

import pytest

from _browser import HTML, ROOT, built_pages

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

sys.path.insert(0, str(ROOT / "_ext"))
from reader.checks import claim_names  # noqa: E402

PAGES = built_pages()


def test_only_pure_check_cells_are_recognised():
    assert claim_names('check("a", "b")\ncheck("c")') == ["a", "b", "c"]
    assert claim_names('show("relu", "elu")') is None          # a page's own plotting helper
    assert claim_names('from nnlib.symbolic import check\ncheck("a")') == ["a"]
    assert claim_names('check("a")\nx = 1') is None            # the cell does more than verify
    assert claim_names("check(name)") is None                  # not a literal: leave it visible
    assert claim_names('check_erratum("softmax_offdiagonal")') is None


def test_check_cells_are_marks_and_one_note_per_section():
    total_marks, problems = 0, []
    for page in PAGES:
        html = (HTML / f"{page}.html").read_text(encoding="utf-8")
        sources = re.findall(r'<div class="cell_input[^"]*".*?<pre>(.*?)</pre>', html, re.S)
        visible = [s for s in sources if re.search(r"(^|\n)(<span[^>]*>)?check(</span>)?<span[^>]*>\(", s)]
        if visible:
            problems.append(f"{page}: {len(visible)} check(...) cells still shown")
        marks = re.findall(r'class="reader-verified-mark" href="#([^"]+)"', html)
        notes = re.findall(r'<details class="reader-verified" id="([^"]+)">(.*?)</details>', html, re.S)
        ids = [i for i, _ in notes]
        total_marks += len(marks)
        if len(ids) != len(set(ids)):
            problems.append(f"{page}: more than one note for a section")
        dangling = set(marks) - set(ids)
        if dangling:
            problems.append(f"{page}: marks pointing at no note: {sorted(dangling)}")
        for note_id, body in notes:
            if note_id not in marks:
                problems.append(f"{page}: note {note_id} has no mark")
            if "proved" not in body or "<code>" not in body:
                problems.append(f"{page}: note {note_id} does not list proved claims")
    assert total_marks >= 40, f"only {total_marks} ✓ marks in the book: were the check cells found at all?"
    assert not problems, problems
