"""Statistics of a graded assignment, as one HTML page the instructor opens (offline, no script).

    python -m tools.classroom stats hw3_backprop [--out stats-hw3_backprop.html]

From the gradebook (what ``autograde`` and manual grading stored): the total's histogram, mean and median; the
same per part of the assignment (a part is a ``## `` heading of the released notebook and the grade cells under
it); per check (autograded test cell) the pass rate (full points); per manually graded cell the mean. From the
autograded notebooks: the most common failure messages of each check (the ``CheckFailed`` messages the course's
grader writes into the test cell), grouped after the numbers in them (random sizes, values) are blanked, each
shown with one full example. From the gradebook's comments: the most common comments per cell.

Plots are matplotlib SVG written into the page. Run it again after more grading: it reads everything afresh.
"""

from __future__ import annotations

import collections
import io
import re
import statistics
from pathlib import Path

from .reports import class_notebooks, esc, grade_id, page, read_notebook, source, write

TOP_MESSAGES = 5
# Numbers that vary between runs (sizes, random values); not the digits of names such as "1a" or "x2".
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w])", re.I)
MAX_MESSAGE = 400


def _parts(course, assignment: str, cells: list[str]) -> dict[str, list[str]]:
    """{part title: grade cell names} from the released notebook's ``## `` headings (cells in notebook order);
    a grade cell under no heading is its own part."""
    released = Path(course) / "exercises" / assignment / f"{assignment}.ipynb"
    order, title, parts = [], None, collections.OrderedDict()
    try:
        nb = read_notebook(released)
    except ValueError:
        nb = {"cells": []}
    for cell in nb["cells"]:
        text = source(cell)
        if cell.get("cell_type") == "markdown" and text.startswith("## "):
            title = text.splitlines()[0][3:].strip()
        gid = grade_id(cell)
        if gid in cells:
            parts.setdefault(title or gid, []).append(gid)
            order.append(gid)
    for gid in cells:                     # cells the released notebook does not show (should not happen)
        if gid not in order:
            parts.setdefault(gid, []).append(gid)
    return parts


def collect(course, assignment: str, db: str | None = None) -> dict:
    """Everything the page shows, as plain data (the tests read it too)."""
    from .gradebook_db import gradebook, registered_assignment

    course = Path(course)
    with gradebook(course, db) as gb:
        a = registered_assignment(gb, assignment, then=" and autograde it first")
        cells = {}
        for nb in a.notebooks:
            for gc in list(nb.grade_cells) + list(nb.task_cells):     # task cells: the written answers
                cells[gc.name] = gc.max_score
        per_student, comments = {}, collections.defaultdict(collections.Counter)
        for sub in a.submissions:
            scores = {}
            for snb in sub.notebooks:
                for g in snb.grades:
                    scores[g.name] = (g.auto_score, g.manual_score)
                for c in snb.comments:
                    text = c.manual_comment or c.auto_comment
                    if text:
                        comments[c.name][text.strip()[:MAX_MESSAGE]] += 1
            per_student[sub.student.id] = {"scores": scores, "penalty": sub.late_submission_penalty or 0.0}
    if not per_student:
        raise ValueError(f"no submission of {assignment} in the gradebook: run autograde first")
    # Which cells are autograded checks: those with an automatic score in some submission.
    auto = {name for s in per_student.values() for name, (au, _) in s["scores"].items() if au is not None}
    kinds = {name: "auto" if name in auto else "manual" for name in cells}

    def value(s, name):
        au, man = s["scores"].get(name, (None, None))
        return man if man is not None else (au or 0.0)

    totals = {sid: sum(value(s, n) for n in cells) - s["penalty"] for sid, s in per_student.items()}
    parts = {}
    for title, names in _parts(course, assignment, list(cells)).items():
        parts[title] = {"cells": names, "max": sum(cells[n] for n in names),
                        "scores": [sum(value(s, n) for n in names) for s in per_student.values()]}
    checks = {}
    for name in cells:
        got = [value(s, name) for s in per_student.values()]
        checks[name] = {"kind": kinds[name], "max": cells[name], "mean": statistics.fmean(got),
                        "pass_rate": sum(g >= cells[name] - 1e-9 for g in got) / len(got) if cells[name] else None,
                        "graded": sum(s["scores"].get(name, (None, None)) != (None, None) for s in per_student.values())}
    failures = _failures(course, assignment, [n for n in cells if kinds[n] == "auto"])
    return {"assignment": assignment, "max": sum(cells.values()), "totals": totals, "parts": parts,
            "checks": checks, "failures": failures,
            "comments": {n: c.most_common(TOP_MESSAGES) for n, c in comments.items()}}


def _first_error(cell) -> str | None:
    for out in cell.get("outputs") or []:
        if isinstance(out, dict) and out.get("output_type") == "error":
            ename, evalue = out.get("ename"), out.get("evalue")
            text = f"{ename if isinstance(ename, str) else 'Error'}: {evalue if isinstance(evalue, str) else ''}"
            return text.strip()[:MAX_MESSAGE]
    return None


def _failures(course, assignment, checks) -> dict:
    """{check: [(message with numbers blanked, students, one example)]}, most common first."""
    notebooks, _ = class_notebooks(course, "autograded", assignment)
    groups = {name: collections.OrderedDict() for name in checks}
    for sid, nb in sorted(notebooks.items()):
        for cell in nb["cells"]:
            gid = grade_id(cell)
            if gid in groups and isinstance(cell, dict):
                msg = _first_error(cell)
                if msg:
                    key = _NUMBER.sub("#", msg)
                    entry = groups[gid].setdefault(key, [0, msg])
                    entry[0] += 1
    return {name: sorted(((k, n, ex) for k, (n, ex) in g.items()), key=lambda t: -t[1])[:TOP_MESSAGES]
            for name, g in groups.items()}


def histogram_svg(values, maximum: float, title: str) -> str:
    """A histogram of ``values`` on [0, maximum] as an SVG element (one bar per point, or 25 bars)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import numpy as np

    top = max(float(maximum), max(values, default=0.0), 1.0)
    # One bar per point (centred on it) up to 25 points, so 4 of 5 is not drawn in the same bar as 5 of 5.
    edges = np.arange(-0.5, np.ceil(top) + 1.0) if top <= 25 else np.linspace(0.0, top, 26)
    fig, ax = plt.subplots(figsize=(5.0, 2.4))
    try:
        ax.hist(values, bins=edges, color="#3b6ea5", edgecolor="white")
        ax.set_xlabel("points")
        ax.set_ylabel("students")
        ax.set_title(title, fontsize=10)
        ax.yaxis.get_major_locator().set_params(integer=True)
        fig.tight_layout()
        buf = io.StringIO()
        with plt.rc_context({"svg.hashsalt": "ffnn-stats", "svg.fonttype": "none"}):
            fig.savefig(buf, format="svg", metadata={"Date": None})
    finally:
        plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]                      # drop the XML prolog and DOCTYPE: it sits inside HTML
    return svg.replace("<svg ", f'<svg role="img" aria-label="{esc(title)}" ', 1)


def render(data: dict) -> str:
    totals = list(data["totals"].values())
    mx = data["max"]
    body = [f'<p class="note">{len(totals)} graded submission(s); the total is out of {mx:g} points (late '
            "penalties subtracted). Regenerate this page with the same command after more grading.</p>",
            "<h2>Total</h2>", _summary(totals, mx),
            f"<figure>{histogram_svg(totals, mx, data['assignment'] + ': total')}</figure>", "<h2>Parts</h2>"]
    for title, part in data["parts"].items():
        body.append(f'<section class="part"><h3>{esc(title)}</h3>{_summary(part["scores"], part["max"])}'
                    f"<figure>{histogram_svg(part['scores'], part['max'], title)}</figure>")
        rows = []
        for name in part["cells"]:
            c = data["checks"][name]
            rate = "" if c["pass_rate"] is None or c["kind"] != "auto" else f"{c['pass_rate']:.0%}"
            rows.append(f'<tr><td>{esc(name)}</td><td>{"autograded" if c["kind"] == "auto" else "by hand"}</td>'
                        f'<td class="num">{c["max"]:g}</td><td class="num">{c["mean"]:.2f}</td>'
                        f'<td class="num">{rate}</td></tr>')
        body.append('<table class="checks"><thead><tr><th>cell</th><th>graded</th><th class="num">points</th>'
                    '<th class="num">mean</th><th class="num">pass rate</th></tr></thead><tbody>'
                    + "".join(rows) + "</tbody></table>")
        for name in part["cells"]:
            fails = data["failures"].get(name) or []
            if fails:
                body.append(f"<h4>Most common failures of {esc(name)}</h4><table class=\"failures\"><thead><tr>"
                            '<th class="num">students</th><th>message (numbers vary)</th><th>one of them</th></tr>'
                            "</thead><tbody>" + "".join(
                                f'<tr><td class="num">{n}</td><td><pre>{esc(key)}</pre></td><td><pre>{esc(ex)}</pre></td></tr>'
                                for key, n, ex in fails) + "</tbody></table>")
            comments = data["comments"].get(name) or []
            if comments:
                body.append(f"<h4>Most common comments on {esc(name)}</h4><ul>" + "".join(
                    f"<li>{n} × <q>{esc(text)}</q></li>" for text, n in comments) + "</ul>")
        body.append("</section>")
    return page(f"Statistics: {data['assignment']}", "\n".join(body))


def _summary(values, maximum) -> str:
    mean = statistics.fmean(values) if values else 0.0
    median = statistics.median(values) if values else 0.0
    full = sum(v >= maximum - 1e-9 for v in values)
    return (f'<p class="summary">mean <b>{mean:.2f}</b>, median <b>{median:g}</b> of {maximum:g}; '
            f"full marks: {full} of {len(values)}</p>")


def report(course, assignment: str, dest=None, db: str | None = None) -> tuple[Path, dict]:
    """Collect and write the HTML page (default ``<course>/stats-<assignment>.html``)."""
    data = collect(course, assignment, db)
    dest = Path(dest) if dest else Path(course) / f"stats-{assignment}.html"
    return write(dest, render(data)), data
