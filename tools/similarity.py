"""Similarity of the class's code answers, part by part: between students and against the reference library.

    python -m tools.classroom similarity hw3_backprop [--out similarity-hw3_backprop.html] [--top 10]

For every answer cell of the assignment (the code cells the released notebook leaves to students), each
student's answer is compared with every other student's and with every Python file of ``nnlib``, the reference
library students have installed (it holds the reference implementations of the autograded functions). The
released notebook's code of that cell (the starter code: signatures, docstrings, ``raise NotImplementedError()``)
is boilerplate: what a student shares with it counts for nothing.

The comparison is copydetect's (PyPI, MOSS's winnowing on Pygments tokens with names, strings and numbers
normalized, so renaming variables changes nothing; comments are dropped). Measured against Dolos on a simulated
class with planted copies (``bench/similarity.py``, the choice explained in ``bench/results/similarity.md``).

Scores: a pair of students scores the mean of the two fractions of their answers' tokens that copydetect finds
in the other (a one-line answer inside a long one does not score 1); a student against nnlib scores the fraction
of the student's answer found in that nnlib file (nnlib's files are long: only the student's side counts). The
report lists, per part, the top pairs of both kinds together, and shows each listed pair side by side with the
matching lines marked. Submissions are read as ``tools.reports`` reads them (no links followed, size capped).
"""

from __future__ import annotations

import bisect
import dataclasses
import io
import itertools
from pathlib import Path

from .reports import class_notebooks, esc, grade_id, page, read_notebook, source, write

NOISE_TOKENS = 25        # copydetect's default: a match shorter than 25 tokens is noise
# Every k-gram is a fingerprint (a winnowing window of 1): copydetect hashes with Python's hash(), which is
# salted per process, so a wider window would pick different fingerprints, and give slightly different scores,
# on every run. Answers are short; keeping all k-grams costs little and makes the report the same each time.
WINDOW = 1
MAX_ANSWER_CHARS = 100_000   # an answer cell longer than this is compared on its first 100,000 characters
REFERENCE_PREFIX = "nnlib/"


@dataclasses.dataclass
class Pair:
    part: str
    left: str                 # a student id
    right: str                # a student id, or "nnlib/<file>"
    score: float
    left_lines: set           # 0-based line numbers of the matching code in each side
    right_lines: set

    @property
    def reference(self) -> bool:
        return self.right.startswith(REFERENCE_PREFIX)


@dataclasses.dataclass
class Result:
    assignment: str
    parts: list               # answer cells' grade ids, in notebook order
    answers: dict             # part -> {student: code}
    references: dict          # "nnlib/<file>" -> code
    pairs: dict               # part -> [Pair], best first
    skipped: list             # tools.reports.Unreadable


def answer_parts(course, assignment: str) -> dict[str, str]:
    """{grade id: starter code} of the released notebook's answer code cells (in order)."""
    released = Path(course) / "exercises" / assignment / f"{assignment}.ipynb"
    try:
        nb = read_notebook(released)
    except ValueError as exc:
        raise ValueError(f"the released notebook {released} cannot be read ({exc}): run `make assignments`") from None
    parts = {}
    for cell in nb["cells"]:
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if cell.get("cell_type") == "code" and meta.get("solution") is True and grade_id(cell):
            parts[grade_id(cell)] = source(cell)
    if not parts:
        raise ValueError(f"{released} has no answer cells (code cells with nbgrader solution: true)")
    return parts


def reference_files(root=None) -> dict[str, str]:
    """{"nnlib/<relative path>": code} of the reference library (default: the installed nnlib package)."""
    if root is None:
        import nnlib

        root = Path(nnlib.__file__).resolve().parent
    root = Path(root)
    return {f"{REFERENCE_PREFIX}{p.relative_to(root).as_posix()}": p.read_text(encoding="utf-8")
            for p in sorted(root.rglob("*.py")) if "__pycache__" not in p.parts}


def _copydetect():
    try:
        import copydetect
    except ImportError:
        raise RuntimeError("the similarity report needs copydetect (the course's requirements.txt): "
                           "run `make setup`, or `pip install 'copydetect>=0.5,<0.6'` in this environment") from None
    return copydetect


def _fingerprint(name: str, code: str, boilerplate=None):
    return _copydetect().CodeFingerprint(name + ".py", NOISE_TOKENS, WINDOW, boilerplate=boilerplate,
                           language="python", fp=io.StringIO(code))


def _lines(code: str, slices) -> set:
    """0-based numbers of the lines that the character ranges ``slices`` (copydetect's 2 x n array) touch."""
    starts = [0] + [k + 1 for k, ch in enumerate(code) if ch == "\n"]
    out = set()
    if len(slices) == 2:
        for a, b in zip(*slices):
            first = bisect.bisect_right(starts, int(a)) - 1
            last = bisect.bisect_right(starts, max(int(b) - 1, int(a))) - 1
            out.update(range(first, last + 1))
    return out


def _compare(fa, fb):
    overlap, (sa, sb), (slices_a, slices_b) = _copydetect().compare_files(fa, fb)
    return overlap, float(sa), float(sb), slices_a, slices_b


def analyse(course, assignment: str, reference_root=None, min_score: float = 0.05) -> Result:
    """Every pair (student-student and student-nnlib) of every answer part that shares anything beyond the
    starter code, best first."""
    _copydetect()
    parts = answer_parts(course, assignment)
    notebooks, skipped = class_notebooks(course, "submitted", assignment)
    if not notebooks:
        raise ValueError(f"no readable submission of {assignment} in {Path(course) / 'submitted'}")
    refs = reference_files(reference_root)
    answers = {part: {} for part in parts}
    for sid, nb in notebooks.items():
        for cell in nb["cells"]:
            gid = grade_id(cell)
            if gid in answers and isinstance(cell, dict) and cell.get("cell_type") == "code":
                answers[gid][sid] = source(cell)[:MAX_ANSWER_CHARS]
    pairs = {part: rank(starter, answers[part], refs, min_score, part) for part, starter in parts.items()}
    return Result(assignment, list(parts), answers, refs, pairs, skipped)


def rank(starter: str, answers: dict, refs: dict, min_score: float = 0.05, part: str = "") -> list:
    """The pairs of one part, best first: ``answers`` {student: code} with each other and with ``refs``
    {"nnlib/...": code}; what a code shares with ``starter`` does not count."""
    boiler = list(_fingerprint("starter", starter).hashes)
    prints = {}
    for sid, code in sorted(answers.items()):
        fp = _fingerprint(sid, code, boiler)
        if fp.hashes:                 # an answer left as released has nothing of its own to compare
            prints[sid] = fp
    ref_prints = {name: _fingerprint(name, code, boiler) for name, code in refs.items()}
    found = []
    for a, b in itertools.combinations(sorted(prints), 2):
        overlap, sa, sb, la, lb = _compare(prints[a], prints[b])
        score = (sa + sb) / 2
        if overlap and score >= min_score:
            found.append(Pair(part, a, b, score, _lines(prints[a].raw_code, la), _lines(prints[b].raw_code, lb)))
    for sid, fp in prints.items():
        best = None
        for name, rfp in ref_prints.items():
            overlap, sa, _, la, lb = _compare(fp, rfp)
            if overlap and sa >= min_score and (best is None or sa > best.score):
                best = Pair(part, sid, name, sa, _lines(fp.raw_code, la), _lines(rfp.raw_code, lb))
        if best is not None:
            found.append(best)
    return sorted(found, key=lambda p: (-p.score, p.left, p.right))


def _column(title: str, code: str, marked: set, window=None) -> str:
    lines = code.splitlines()
    keep = range(len(lines))
    note = ""
    if window is not None and marked:
        # a long reference file: the matching lines and a few around them
        near = sorted({k for m in marked for k in range(m - window, m + window + 1) if 0 <= k < len(lines)})
        keep, note = near, f" (lines around the match; the file has {len(lines)})"
    out, prev = [], None
    for k in keep:
        if prev is not None and k != prev + 1:
            out.append('<span class="line">…</span>')
        cls = "line match" if k in marked else "line"
        out.append(f'<span class="{cls}"><span class="lineno">{k + 1}</span>{esc(lines[k])}</span>')
        prev = k
    return f"<div><h4>{esc(title)}{esc(note)}</h4><pre>{''.join(out)}</pre></div>"


def render(result: Result, top: int = 10) -> str:
    n_students = len({s for a in result.answers.values() for s in a})
    body = [f'<p class="note">{n_students} submission(s) of {esc(result.assignment)}, {len(result.parts)} answer '
            f"part(s), compared with each other and with the {len(result.references)} Python files of nnlib. "
            "Starter code of the released notebook does not count. Score: for two students, the mean of the "
            "fractions of each answer found in the other; against nnlib, the fraction of the student's answer "
            "found in the nnlib file. Matching lines are marked. A high score is a reason to look, not a verdict: "
            "short answers to the same exercise can look alike.</p>"]
    if result.skipped:
        body.append("<h2>Submissions not read</h2><ul>" + "".join(
            f"<li>{esc(s.student)}: {esc(s.reason)}</li>" for s in result.skipped) + "</ul>")
    body.append("<h2>Parts</h2><ul>" + "".join(
        f'<li><a href="#part-{k}">{esc(p)}</a>: {len(result.pairs[p])} pair(s) above the threshold</li>'
        for k, p in enumerate(result.parts)) + "</ul>")
    for k, part in enumerate(result.parts):
        pairs = result.pairs[part][:top]
        body.append(f'<section class="part" id="part-{k}"><h2>Part {esc(part)}</h2>')
        if not pairs:
            body.append("<p>No pair shares code beyond the starter code.</p></section>")
            continue
        rows = "".join(
            f'<tr class="pair{" reference" if p.reference else ""}"><td class="num">{r}</td><td>{esc(p.left)}</td>'
            f'<td>{esc(p.right)}</td><td class="num">{p.score:.0%}</td></tr>' for r, p in enumerate(pairs, start=1))
        body.append('<table class="ranking"><thead><tr><th class="num">rank</th><th>student</th>'
                    '<th>compared with</th><th class="num">similarity</th></tr></thead>'
                    f"<tbody>{rows}</tbody></table>")
        for r, p in enumerate(pairs, start=1):
            right_code = result.references[p.right] if p.reference else result.answers[part][p.right]
            body.append(f'<h3 id="part-{k}-pair-{r}">{r}. {esc(p.left)} and {esc(p.right)}: {p.score:.0%}</h3>'
                        f'<div class="side">{_column(p.left, result.answers[part][p.left], p.left_lines)}'
                        f'{_column(p.right, right_code, p.right_lines, window=3 if p.reference else None)}</div>')
        body.append("</section>")
    return page(f"Similarity report: {result.assignment}", "\n".join(body))


def report(course, assignment: str, dest=None, top: int = 10, reference_root=None) -> tuple[Path, Result]:
    """Analyse and write the HTML report (default ``<course>/similarity-<assignment>.html``)."""
    if not isinstance(top, int) or isinstance(top, bool) or top < 1:
        raise ValueError(f"top must be a positive number of pairs, got {top!r}")
    result = analyse(course, assignment, reference_root)
    dest = Path(dest) if dest else Path(course) / f"similarity-{assignment}.html"
    return write(dest, render(result, top)), result
