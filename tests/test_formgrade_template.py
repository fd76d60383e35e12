"""The formgrader's page for every assignment, drawn as the formgrader draws it (nbgrader's HTMLExporter with the
course's nbgrader_config.py), without a server: each hand-graded task shows its rubric as a "Mark scheme" box
right above the student's answer cell, and the math is left for a MathJax that the Jupyter server itself serves.
That the feedback students get still drops the rubric with this configuration is tests/test_nbgrader_pipeline.py
(real `nbgrader generate_feedback`).

The browser side (MathJax typesetting the box, grading through the page) is tests/test_hub_e2e.py.
"""

from __future__ import annotations

import functools
import html.parser
import re
from pathlib import Path

import nbformat
import pytest
from nbconvert.exporters import HTMLExporter
from traitlets.config import Config, PyFileConfigLoader

ROOT = Path(__file__).resolve().parent.parent
HOMEWORK = sorted(p.name for p in (ROOT / "solutions").iterdir() if (p / f"{p.name}.ipynb").is_file())
BEGIN, END = "=== BEGIN MARK SCHEME ===", "=== END MARK SCHEME ==="


def _course_config() -> Config:
    """What the formgrader extension ends up with: its own settings, then the course's file on top."""
    from nbgrader.server_extensions.formgrader import handlers

    cfg = Config()
    cfg.HTMLExporter.template_name = "formgrade"
    cfg.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    cfg.merge(PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config())
    return cfg


@functools.cache
def _solution(hw: str):
    return nbformat.read(str(ROOT / "solutions" / hw / f"{hw}.ipynb"), as_version=4)


def _tasks(nb):
    return [(i, c) for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("task")]


class _Cells(html.parser.HTMLParser):
    """The top-level notebook cells of the page: for each, its text, the ids inside and the mark-scheme text."""

    def __init__(self):
        super().__init__()
        self.cells, self._depth, self._cell_depth, self._scheme_depth = [], 0, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "div":
            self._depth += 1
            if self._cell_depth is None and "cell" in classes:
                self._cell_depth = self._depth
                self.cells.append({"text": "", "ids": set(), "scheme": None})
            elif self._cell_depth is not None and "ffnn-mark-scheme" in classes:
                self._scheme_depth = self._depth
                self.cells[-1]["scheme"] = ""
        if self._cell_depth is not None and attrs.get("id"):
            self.cells[-1]["ids"].add(attrs["id"])

    def handle_endtag(self, tag):
        if tag == "div":
            if self._depth == self._scheme_depth:
                self._scheme_depth = None
            if self._depth == self._cell_depth:
                self._cell_depth = None
            self._depth -= 1

    def handle_data(self, data):
        if self._cell_depth is not None:
            self.cells[-1]["text"] += data
            if self._scheme_depth is not None:
                self.cells[-1]["scheme"] += data


def _render(hw: str, exporter: HTMLExporter) -> str:
    nb = _solution(hw)
    resources = {"base_url": "/user/prof", "assignment_id": hw, "notebook_id": hw, "submission_id": "s1",
                 "index": 0, "total": 1, "student": "alice", "last_name": "L", "first_name": "A",
                 "notebook_path": f"course/autograded/alice/{hw}/{hw}.ipynb"}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


@pytest.fixture(scope="module")
def exporter():
    return HTMLExporter(config=_course_config())


def test_every_hand_graded_part_is_a_task_with_a_rubric_and_an_answer_cell():
    for hw in HOMEWORK:
        nb = _solution(hw)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            # A markdown answer cell graded by hand could carry no rubric (nbgrader allows the mark scheme only
            # in task cells): every written part is a task instead.
            assert not (cell.cell_type == "markdown" and meta.get("solution") and meta.get("grade")), \
                (hw, meta.get("grade_id"))
        tasks = _tasks(nb)
        for i, task in tasks:
            assert task.source.count(BEGIN) == 1 and task.source.count(END) == 1, (hw, task.metadata.nbgrader)
            after = nb.cells[i + 1] if i + 1 < len(nb.cells) else None
            assert after is not None and after.cell_type == "markdown" and "nbgrader" not in after.metadata, \
                f"{hw}: task {task.metadata.nbgrader['grade_id']} has no answer cell right after it"
    assert sum(len(_tasks(_solution(hw))) for hw in HOMEWORK) >= len(HOMEWORK)


@pytest.mark.parametrize("hw", HOMEWORK)
def test_the_formgrader_shows_each_rubric_as_a_box_next_to_the_answer(hw, exporter):
    nb = _solution(hw)
    body = _render(hw, exporter)
    # MathJax from the Jupyter server the page comes from (jupyter-server-mathjax), never from a CDN.
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', body)
    assert "/user/prof/static/jupyter_server_mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe" in scripts
    assert not [s for s in scripts if s.startswith(("http:", "https:", "//"))], scripts
    assert 'webFont: "STIX-Web"' in body                 # the only font the package ships
    parser = _Cells()
    parser.feed(body)
    cells = parser.cells
    assert len(cells) == len(nb.cells)
    for i, task in _tasks(nb):
        grade_id = task.metadata.nbgrader["grade_id"]
        [k] = [k for k, c in enumerate(cells) if grade_id in c["ids"]]
        page_cell = cells[k]
        scheme_md = task.source.split(BEGIN)[1].split(END)[0]
        assert page_cell["scheme"] is not None, f"{hw} {grade_id}: no mark-scheme box"
        assert page_cell["scheme"].lstrip().startswith("Mark scheme"), page_cell["scheme"][:80]
        assert "===" not in page_cell["text"], f"{hw} {grade_id}: the markers are shown"
        # Every word of the rubric is inside the box, and the task's question is outside it.
        words = lambda t: re.findall(r"[A-Za-z]{4,}", t)  # noqa: E731
        assert set(words(scheme_md)) <= set(words(page_cell["scheme"])), grade_id
        question = task.source.split(BEGIN)[0]
        assert not set(words(question)) - set(words(page_cell["text"].replace(page_cell["scheme"], "")))
        # The rubric's math stays TeX between $ signs for MathJax to typeset (not escaped or mangled).
        flat = " ".join(body.split())
        for formula in re.findall(r"\$[^$]+\$", scheme_md):
            formula = " ".join(formula.split())               # list items lose their continuation indent
            assert formula.replace("<", "&lt;").replace(">", "&gt;") in flat or formula in flat, formula
        # The student's answer cell comes right after the task.
        assert cells[k + 1]["text"].strip() == nb.cells[i + 1].source.strip().strip("*")



def test_only_the_pages_own_scripts_carry_its_nonce_and_the_nonce_is_new_each_time(exporter):
    """The Content-Security-Policy lets a script run only with this page's nonce; every script the template writes
    has it, and each page draws a new one (a submission cannot know it in advance)."""
    bodies = [_render(HOMEWORK[0], exporter) for _ in range(2)]
    nonces = []
    for body in bodies:
        [policy] = re.findall(r'<meta [^>]*http-equiv="Content-Security-Policy"[^>]*>', body)
        [nonce] = re.findall(r"script-src 'nonce-([A-Za-z0-9_-]{20,})' 'strict-dynamic'", policy)
        assert "default-src 'none'" in policy and "base-uri 'none'" in policy and "form-action 'none'" in policy
        assert body.index("Content-Security-Policy") < body.index("<script")
        scripts = re.findall(r"<script\b[^>]*>", body)
        assert scripts and all(f'nonce="{nonce}"' in s for s in scripts), scripts
        assert not re.search(r"\son[a-z]+\s*=", body), "an inline event handler would need 'unsafe-inline'"
        nonces.append(nonce)
    assert nonces[0] != nonces[1]
