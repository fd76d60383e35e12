"""Where a display formula that is too wide for its column breaks, decided when the book is built.

A formula is cut only at its top level: between statements set apart by ``\\qquad``/``\\quad``, before
a relation (=, <, \\le, \\approx, \\in, ...) and, if a piece is still too wide, before a binary
operator (+, -, \\cdot, ...) - never inside braces, ``\\left...\\right``, ``\\bigl(...\\bigr)``,
parentheses or environments. The lines become an ``aligned`` block, the way a textbook sets a long
derivation::

    lhs &= first piece \\\\
        &= second piece \\\\
        &\\quad {}+ continued piece

``layout`` packs the pieces greedily into lines no wider than a target, measuring each candidate
line with the renderer (``measure``: TeX -> width in em), so a line is never a single token and a
formula that fits is never broken (the caller only asks for a layout when the one-line formula is
too wide). Formulas whose author already chose the lines (``\\\\``, ``&``) are left as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

RELATIONS = frozenset({
    "=", "<", ">", r"\le", r"\leq", r"\ge", r"\geq", r"\ne", r"\neq", r"\approx", r"\equiv", r"\sim",
    r"\simeq", r"\cong", r"\propto", r"\to", r"\leftarrow", r"\rightarrow", r"\Leftarrow", r"\Rightarrow",
    r"\iff", r"\implies", r"\mapsto", r"\in", r"\notin", r"\subset", r"\subseteq", r"\ll", r"\gg",
    r"\coloneqq", r"\leqslant", r"\geqslant", r"\stackrel",
})
BINARY = frozenset({"+", "-", r"\pm", r"\mp", r"\cdot", r"\times", r"\odot", r"\oplus", r"\otimes"})
SEPARATORS = frozenset({r"\qquad", r"\quad"})
# A space after a top-level comma starts a clause of its own (", X \sim N(0, 1)"): cut there, not
# at the clause's relation.
CLAUSE_SPACES = frozenset({r"\ ", r"\;", r"\:", r"\,", "~"})
OPEN = frozenset({"(", "[", r"\{", r"\lbrace", r"\langle", r"\lvert", r"\lVert", r"\lfloor", r"\lceil"})
CLOSE = frozenset({")", "]", r"\}", r"\rbrace", r"\rangle", r"\rvert", r"\rVert", r"\rfloor", r"\rceil"})
SIZED_OPEN = frozenset({r"\left", r"\bigl", r"\Bigl", r"\biggl", r"\Biggl"})
SIZED_CLOSE = frozenset({r"\right", r"\bigr", r"\Bigr", r"\biggr", r"\Biggr"})
SIZED = frozenset({r"\big", r"\Big", r"\bigg", r"\Bigg"})  # open or close by the delimiter after it
# After these a + or - is a sign, not an operator (nothing to its left to add to).
_SIGN_CONTEXT = RELATIONS | BINARY | SEPARATORS | OPEN | {"{", "^", "_", ",", ";", "&", r"\,", r"\;", r"\:", r"\!"}

_TOKEN = re.compile(r"\\[A-Za-z]+\*?|\\.|\s+|.", re.S)


@dataclass
class Piece:
    """A stretch of a statement: ``op`` (a relation or binary operator, or "" for the statement's
    start) followed by the TeX up to the next break."""

    op: str
    kind: str  # "start", "rel" or "bin"
    tex: str

    def text(self) -> str:
        return f"{self.op} {self.tex}".strip() if self.op else self.tex.strip()


def _tokens(tex: str) -> list[str]:
    return _TOKEN.findall(tex)


def statements(tex: str) -> list[list[Piece]] | None:
    """The top-level statements of a display formula, each cut at its top-level relations and
    binary operators (statements are set apart by ``\\qquad``, ``\\quad`` or a comma and a space); None when the author set the lines (a top-level ``\\\\`` or ``&``) or there is
    nothing to cut."""
    toks = _tokens(tex)
    depth = 0
    result: list[list[Piece]] = [[Piece("", "start", "")]]
    prev = None  # the previous token that is not white space
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok.isspace():
            result[-1][-1].tex += tok
            i += 1
            continue
        top = depth == 0
        if tok in ("{", r"\begin") or tok in SIZED_OPEN or tok in OPEN:
            depth += 1
        elif tok in ("}", r"\end") or tok in SIZED_CLOSE or tok in CLOSE:
            depth = max(depth - 1, 0)
        if tok in SIZED_OPEN or tok in SIZED_CLOSE or tok in SIZED:
            # The delimiter that follows belongs to the sizing command: do not count it again.
            j = i + 1
            while j < len(toks) and toks[j].isspace():
                j += 1
            if j < len(toks):
                delim = toks[j]
                if tok in SIZED:
                    depth += 1 if delim in OPEN else -1 if delim in CLOSE and depth > 0 else 0
                result[-1][-1].tex += "".join(toks[i:j + 1])
                prev, i = delim, j + 1
                continue
        if top and tok in (r"\\", "&"):
            return None
        if top and (tok in SEPARATORS or (tok in CLAUSE_SPACES and prev == ",")):
            result.append([Piece("", "start", "")])
        elif top and tok in RELATIONS and prev not in ("^", "_"):
            result[-1].append(Piece(tok, "rel", ""))
        elif top and tok in BINARY and prev is not None and prev not in _SIGN_CONTEXT:
            result[-1].append(Piece(tok, "bin", ""))
        else:
            result[-1][-1].tex += tok
        prev = tok
        i += 1
    cleaned = [[p for p in s if p.op or p.tex.strip()] for s in result]
    cleaned = [s for s in cleaned if s]
    if sum(len(s) for s in cleaned) < 2:
        return None
    return cleaned


def _attach_connectives(parts: list[list[Piece]]) -> list[list[Piece]]:
    """A statement that is a single piece with nothing to cut ("i.e.", "and") would be a line of one
    token: it goes in front of the next statement (or after the last one)."""
    out: list[list[Piece]] = []
    carry = ""
    for pieces in parts:
        if len(pieces) == 1 and pieces[0].kind == "start":
            if out and pieces is parts[-1] and not carry:
                out[-1][-1].tex += r" \quad " + pieces[0].tex.strip()
            else:
                carry += pieces[0].tex.strip() + r" \quad "
            continue
        if carry:
            if pieces[0].kind == "start":
                pieces = [Piece("", "start", carry + pieces[0].tex.strip())] + pieces[1:]
            else:
                pieces = [Piece("", "start", carry.strip())] + pieces
            carry = ""
        out.append(pieces)
    if carry and out:
        out[-1][-1].tex += r" \quad " + carry.strip().removesuffix(r"\quad").strip()
    return out or parts


def _col2(pieces: list[Piece], first: bool) -> str:
    """TeX of the right-hand column of one line: a relation starts it as is; a continued binary
    operator is indented by a quad (and given something to its left, so it keeps its spacing)."""
    text = " ".join(p.text() for p in pieces)
    if pieces[0].kind == "bin":
        return r"\quad {}" + text
    if pieces[0].kind == "rel" or first:
        return text
    return text


def layout(tex: str, width: float, measure: Callable[[list[str]], list[float]]) -> str | None:
    """``tex`` as an ``aligned`` block whose lines are each at most ``width`` em wide where possible
    (a single piece wider than that gets a line of its own); None if it cannot be cut.

    ``measure`` takes TeX strings and returns their widths in em, in one call per list."""
    parts = statements(tex)
    if parts is None:
        return None
    parts = _attach_connectives(parts)
    # Left column: what stands before each statement's first relation (right-aligned in `aligned`).
    lhs, rest = [], []
    for pieces in parts:
        if pieces[0].kind == "start" and len(pieces) > 1 and pieces[1].kind == "rel":
            lhs.append(pieces[0].tex.strip())
            rest.append(pieces[1:])
        elif pieces[0].kind == "start" and not any(p.kind == "rel" for p in pieces):
            lhs.append("")
            rest.append(pieces)
        else:
            # Terms before the first relation that are joined by operators (a + b = c): keep them on
            # the left as one piece; cut the rest.
            k = next((i for i, p in enumerate(pieces) if p.kind == "rel"), len(pieces))
            lhs.append(" ".join(p.text() for p in pieces[:k]).strip())
            rest.append(pieces[k:])
    lhs_w = max(measure([t for t in lhs if t]) or [0.0])
    rows: list[tuple[str, str]] = []
    for left, pieces in zip(lhs, rest):
        line: list[Piece] = []
        first = True
        for piece in pieces:
            if line:
                candidate = line + [piece]
                (w,) = measure(["{}" + _col2(candidate, first)])
                if lhs_w + w > width:
                    rows.append((left if first else "", _col2(line, first)))
                    first = False
                    line = [piece]
                    continue
                line = candidate
            else:
                line = [piece]
        if line:
            rows.append((left if first else "", _col2(line, first)))
    if len(rows) < 2:
        return None
    body = " \\\\\n".join(f"{left} &{right}" for left, right in rows)
    return "\\begin{aligned}\n" + body + "\n\\end{aligned}"
