"""Every chapter ends with exercises whose worked answers a reader can reveal, and whose numbers are checked.

For each page of ``_toc.yml``'s "Chapters" part (chapter n = its position in the part, from 1) and for the
introduction (the root page, chapter 0), the MyST source must have

- a section ``## Exercises``, the page's last ``##`` section, that keeps the link to the homework page;
- at least 4 exercises, headed ``### Exercise <n>.<k>`` with k = 1, 2, 3, ... in order (or, equivalently, a
  numbered list item whose bold title is ``Exercise <n>.<k>``);
- in every exercise exactly one revealable answer: an ``{admonition}`` titled ``Answer`` with
  ``:class: dropdown``;
- for every number an answer states that its question does not state (a result, not given data), a code cell
  of the Exercises section that asserts it: the number appears as a literal in an ``assert`` statement of the
  cell, or in a statement that binds a name such an assert uses. A number matches a literal to the precision it
  is written with (``0.105`` matches ``0.10499``, ``4.4·10^6`` matches ``4.41e6``, ``\\tfrac14`` matches ``0.25``).

What counts as a stated number: digits in the answer's text and math, after removing MyST roles (``{eq}`x```),
inline code (a question's inline code is read: it gives data such as ``sizes = [3, 4]``), link targets, ``Exercise n.k`` references, LaTeX sub- and superscripts (indices such as
``x_1``, ``W^{(2)}`` and exponents such as ``x^2``; a power of ten written after a mantissa stays part of its
number) and years (1900-2030). Fractions ``\\frac{a}{b}``, ``\\tfrac ab`` and ``a/b`` count as their value.
The chapters are executed when the book is built, so an assert that fails stops the build: together the two
mean that no number of a worked answer can be wrong without breaking something.

On the built book (a browser test, like the other reader tests): every answer of the Exercises section is
folded when the page opens, and opens when the reader taps its title.

The self-tests at the bottom run the same checker on small made-up pages and show that it fails each way.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from _browser import PHONE, Visit  # the fixtures browser and site come from conftest (one Chromium per session)

from tools import toc

ROOT = Path(__file__).resolve().parent.parent
MIN_EXERCISES = 4


# ----------------------------------------------------------------------------- the pages
def chapter_pages() -> list[tuple[int, str]]:
    """(chapter number, docname) for the introduction (0) and the "Chapters" part of _toc.yml (1, 2, ...)."""
    return [(n, page) for page, n in toc.chapters().items()]


# ----------------------------------------------------------------------------- parsing a MyST page
_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\s*(?P<info>.*)$")


@dataclass
class Block:
    kind: str            # "text", "code-cell", "admonition" or "other" (any other fenced directive)
    text: str
    title: str = ""
    options: dict = field(default_factory=dict)


def split_blocks(source: str) -> list[Block]:
    """The page as top-level blocks: markdown text between fences, and fenced directives with their body."""
    lines = source.splitlines()
    blocks, text, i = [], [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m or not m.group("info").startswith("{"):
            text.append(lines[i])
            i += 1
            continue
        if text:
            blocks.append(Block("text", "\n".join(text)))
            text = []
        fence, info = m.group("fence"), m.group("info")
        directive = re.match(r"\{([\w-]+)\}\s*(.*)", info)
        name, title = directive.group(1), directive.group(2).strip()
        body, i = [], i + 1
        while i < len(lines) and not re.fullmatch(re.escape(fence[0]) + "{%d,}\\s*" % len(fence), lines[i]):
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence
        options, start = {}, 0
        if body and body[0].strip() == "---":          # YAML options block of a code cell
            end = body.index("---", 1)
            start = end + 1
        while start < len(body) and re.match(r"^:[\w-]+:", body[start]):
            key, _, value = body[start][1:].partition(":")
            options[key.strip()] = value.strip()
            start += 1
        kind = {"code-cell": "code-cell", "admonition": "admonition"}.get(name, "other")
        blocks.append(Block(kind, "\n".join(body[start:]), title, options))
    if text:
        blocks.append(Block("text", "\n".join(text)))
    return blocks


@dataclass
class Exercise:
    label: str           # "2.3"
    question: str
    answers: list[str]


def exercises_section(source: str) -> str | None:
    """The text of the ``## Exercises`` section (to the end of the page), or None."""
    m = re.search(r"^## Exercises[ \t]*$", source, re.M)
    return source[m.end():] if m else None


def parse_exercises(section: str) -> tuple[list[Exercise], list[Block]]:
    """The exercises of an Exercises section, and the code cells in it."""
    blocks = split_blocks(section)
    heading = re.compile(r"^(?:###\s+|\d+\.\s+\*\*)Exercise\s+(\d+\.\d+)\b.*$", re.M)
    exercises: list[Exercise] = []
    cells = [b for b in blocks if b.kind == "code-cell"]
    for block in blocks:
        if block.kind == "text":
            pieces = heading.split(block.text)
            if exercises:
                exercises[-1].question += pieces[0]
            for label, text in zip(pieces[1::2], pieces[2::2]):
                exercises.append(Exercise(label, text, []))
        elif block.kind == "admonition" and exercises:
            if block.title == "Answer" and "dropdown" in block.options.get("class", "").split():
                exercises[-1].answers.append(block.text)
    return exercises, cells


# ----------------------------------------------------------------------------- numbers in prose and math
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_SUBSCRIPTS = re.compile("[₀₁₂₃₄₅₆₇₈₉]+")


@dataclass(frozen=True)
class Number:
    value: float
    tolerance: float
    text: str
    percent: bool = False

    def matches(self, literal: float) -> bool:
        candidates = [self.value] + ([self.value / 100] if self.percent else [])
        scale = [1.0] + ([0.01] if self.percent else [])
        return any(abs(abs(literal) - abs(c)) <= self.tolerance * s + 1e-12 * max(1.0, abs(c))
                   for c, s in zip(candidates, scale))


def _half_unit(digits: str) -> float:
    """Half a unit of the last written digit: '0.105' -> 0.0005, '46' -> 0.5 (but an integer must be exact)."""
    return 0.5 * 10.0 ** -len(digits.partition(".")[2]) if "." in digits else 0.0


def stated_numbers(text: str, code: bool = False) -> list[Number]:
    """The numbers a piece of MyST text states (see the module docstring for what is left out).

    ``code=True`` also reads the numbers of inline code (a question gives data that way: `sizes = [3, 4]`).
    """
    t = re.sub(r"\{[\w:-]+\}`[^`]*`", " ", text)                 # MyST roles: {eq}`label`, {doc}`x`
    t = re.sub(r"`([^`]*)`", lambda m: f" {m.group(1)} " if code else " ", t)   # inline code
    t = re.sub(r"\]\([^)]*\)", "]", t)                           # link targets
    t = re.sub(r"\bExercises?\s+\d+\.\d+", " ", t)
    t = re.sub(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+", lambda m: "^{" + m.group(0).translate(_SUPERSCRIPTS) + "}", t)
    t = _SUBSCRIPTS.sub(" ", t)
    found: list[Number] = []

    def take(pattern, make):
        nonlocal t
        def repl(m):
            found.append(make(m))
            return " "
        t = re.sub(pattern, repl, t)

    # a mantissa times a power of ten: 4.4·10^6, 4.4 \times 10^{6}, 2.5\cdot 10^{-3}
    take(r"(\d+(?:\.\d+)?)\s*(?:·|×|\\cdot|\\times)\s*10\s*\^\s*\{?\s*(-?\d+)\s*\}?",
         lambda m: Number(float(m.group(1)) * 10.0 ** int(m.group(2)),
                          max(_half_unit(m.group(1)), 1e-9) * 10.0 ** int(m.group(2)), m.group(0)))
    # a bare power of ten: 10^{-4}, 10^6
    take(r"(?<![\d.])10\s*\^\s*\{?\s*(-?\d+)\s*\}?",
         lambda m: Number(10.0 ** int(m.group(1)), 1e-9 * 10.0 ** int(m.group(1)), m.group(0)))
    # fractions: \frac{1}{4}, \tfrac{1}{4}, \tfrac14, 1/4
    take(r"\\[dt]?frac\s*(?:\{\s*(\d+)\s*\}|(\d))\s*(?:\{\s*(\d+)\s*\}|(\d))",
         lambda m: Number(int(m.group(1) or m.group(2)) / int(m.group(3) or m.group(4)), 1e-9, m.group(0)))
    # sub- and superscripts are indices and exponents, not stated results
    for _ in range(3):
        t = re.sub(r"[_^]\s*\{[^{}]*\}", " ", t)
    t = re.sub(r"[_^]\s*\\?\w", " ", t)
    take(r"(?<![\w.])(\d+)\s*/\s*(\d+)(?![\w.])",
         lambda m: Number(int(m.group(1)) / int(m.group(2)), 1e-9, m.group(0)))
    t = re.sub(r"\\[a-zA-Z]+", " ", t)                           # other LaTeX commands
    for m in re.finditer(r"(?<![\w.])(\d+(?:\.\d+)?)(\s*%)?", t):
        digits = m.group(1)
        value = float(digits)
        if "." not in digits and 1900 <= value <= 2030:
            continue
        found.append(Number(value, _half_unit(digits), digits, percent=bool(m.group(2))))
    return found


# ----------------------------------------------------------------------------- literals that a cell asserts
def _literals(node) -> list[float]:
    """Numeric literals in an AST node; an integer fraction a / b counts as its value too."""
    out = []
    for n in ast.walk(node):
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)) and not isinstance(n.value, bool):
            out.append(float(n.value))
        elif (isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div)
              and all(isinstance(s, ast.Constant) and isinstance(s.value, (int, float)) for s in (n.left, n.right))
              and n.right.value != 0):
            out.append(n.left.value / n.right.value)
    return out


def _names(node) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _bound_names(stmt) -> set[str]:
    targets = []
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign, ast.For)):
        targets = [stmt.target]
    elif isinstance(stmt, (ast.FunctionDef, ast.Lambda)):
        return {stmt.name} if isinstance(stmt, ast.FunctionDef) else set()
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def asserted_literals(source: str) -> list[float]:
    """Literals of a code cell that its asserts depend on (in an assert, or bound to a name an assert uses)."""
    source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    tree = ast.parse(source)
    asserts = [n for n in ast.walk(tree) if isinstance(n, ast.Assert)]
    if not asserts:
        return []
    literals = [v for a in asserts for v in _literals(a)]
    needed = set().union(*(_names(a) for a in asserts))
    statements = [n for n in ast.walk(tree) if isinstance(n, ast.stmt) and not isinstance(n, ast.Assert)]
    used: set[int] = set()
    changed = True
    while changed:
        changed = False
        for i, stmt in enumerate(statements):
            if i in used or not (_bound_names(stmt) & needed):
                continue
            used.add(i)
            changed = True
            value = stmt.iter if isinstance(stmt, ast.For) else getattr(stmt, "value", stmt)
            if value is None:  # a bare annotation
                continue
            literals += _literals(value)
            needed |= _names(value)
    return literals


# ----------------------------------------------------------------------------- the checker
def problems_of(source: str, chapter: int) -> list[str]:
    """Everything that is wrong with a page's exercises (empty when they follow the rules)."""
    section = exercises_section(source)
    if section is None:
        return ["no '## Exercises' section"]
    problems = []
    if re.search(r"^## (?!Exercises)", section, re.M):
        problems.append("'## Exercises' is not the last section of the page")
    if "{doc}`homework`" not in section and "{doc}`../homework`" not in section:
        problems.append("the Exercises section no longer links to the homework page ({doc}`homework`)")
    exercises, cells = parse_exercises(section)
    if len(exercises) < MIN_EXERCISES:
        problems.append(f"{len(exercises)} exercises, at least {MIN_EXERCISES} expected")
    expected = [f"{chapter}.{k}" for k in range(1, len(exercises) + 1)]
    if [e.label for e in exercises] != expected:
        problems.append(f"exercises are numbered {[e.label for e in exercises]}, expected {expected}")
    literals = [v for c in cells for v in asserted_literals(c.text)]
    for ex in exercises:
        if len(ex.answers) != 1:
            problems.append(f"Exercise {ex.label} has {len(ex.answers)} revealable answers "
                            "(```{admonition} Answer with :class: dropdown), expected 1")
            continue
        given = stated_numbers(ex.question, code=True)
        for number in stated_numbers(ex.answers[0]):
            if any(number.matches(g.value) for g in given):
                continue  # data of the question, repeated in the answer
            if not any(number.matches(v) for v in literals):
                problems.append(f"Exercise {ex.label}: the answer states {number.text!r}, which no asserting "
                                "code cell of the Exercises section checks")
    return problems


@pytest.mark.parametrize("chapter, docname", chapter_pages(), ids=[d for _, d in chapter_pages()])
def test_chapter_ends_with_exercises_whose_answers_are_checked(chapter, docname):
    source = (ROOT / f"{docname}.md").read_text(encoding="utf-8")
    problems = problems_of(source, chapter)
    assert not problems, f"{docname}.md:\n  " + "\n  ".join(problems)


_VISIBLE = """() => [...document.querySelectorAll('section#exercises div.dropdown.admonition')].map(
    a => [...a.children].slice(1).map(c => c.checkVisibility({visibilityProperty: true, opacityProperty: true})))"""


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
@pytest.mark.parametrize("chapter, docname", chapter_pages(), ids=[d for _, d in chapter_pages()])
def test_answers_stay_folded_until_the_reader_opens_them(browser, site, chapter, docname):  # noqa: F811
    section = exercises_section((ROOT / f"{docname}.md").read_text(encoding="utf-8")) or ""
    n = len(parse_exercises(section)[0])
    with Visit(browser, site, PHONE) as visit:
        page = visit.open(docname)
        folded = page.evaluate(_VISIBLE)
        assert len(folded) == n >= MIN_EXERCISES, f"{docname}: {len(folded)} answers on the page, {n} in the source"
        assert all(parts and not any(parts) for parts in folded), f"{docname}: an answer is visible before a tap"
        titles = page.locator("section#exercises div.dropdown.admonition > .admonition-title")
        for i in range(titles.count()):
            titles.nth(i).click()
        # An opened answer fades in (togglebutton's 0.3 s opacity transition): wait for the fade, not the first frame.
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        try:
            page.wait_for_function(f"() => ({_VISIBLE})().every(parts => parts.length && parts.every(Boolean))",
                                   timeout=30_000)
        except PlaywrightTimeout:
            pass  # the assertion below names the page
        opened = page.evaluate(_VISIBLE)
        assert all(parts and all(parts) for parts in opened), f"{docname}: an answer stays hidden after a tap"
        assert not visit.errors, visit.errors


# ----------------------------------------------------------------------------- the checker can fail
def _page(*exercises, cells=("```{code-cell} ipython3\nassert 46 == 2 * 23\n```",), link=True):
    body = "\n\n".join(exercises)
    return ("# A page\n\n## Exercises\n\n" + ("See {doc}`homework`.\n\n" if link else "") + body + "\n\n"
            + "\n\n".join(cells) + "\n")


def _exercise(k, answer="The count is 46.", question="How many?", dropdown=True, chapter=3):
    cls = ":class: dropdown\n" if dropdown else ""
    return f"### Exercise {chapter}.{k}\n\n{question}\n\n```{{admonition}} Answer\n{cls}{answer}\n```"


def test_checker_accepts_a_page_that_follows_the_rules():
    page = _page(*(_exercise(k) for k in range(1, 5)))
    assert problems_of(page, 3) == []


@pytest.mark.parametrize("page, words", [
    ("# A page\n\nNo exercises here.\n", "no '## Exercises' section"),
    (_page(*(_exercise(k) for k in range(1, 4))), "3 exercises, at least 4"),
    (_page(*(_exercise(k) for k in (1, 2, 4, 5))), "numbered"),
    (_page(*(_exercise(k) for k in range(1, 5)), link=False), "homework"),
    (_page(*(_exercise(k, dropdown=k != 2) for k in range(1, 5))), "Exercise 3.2 has 0 revealable answers"),
    (_page(*(_exercise(k, answer="It is 47." if k == 3 else "The count is 46.") for k in range(1, 5))),
     "Exercise 3.3: the answer states '47'"),
    (_page(*(_exercise(k) for k in range(1, 5)), cells=("```{code-cell} ipython3\nprint(46)\n```",)),
     "states '46'"),
    (_page(*(_exercise(k) for k in range(1, 5))) + "\n## Another section\n", "not the last section"),
])
def test_checker_rejects(page, words):
    problems = problems_of(page, 3)
    assert any(words in p for p in problems), problems


def test_numbers_given_in_the_question_need_no_assert_but_results_do():
    ex = _exercise(1, question="A neuron has $w = (0.5, -1)$, $b = 0.1$ and input $x = (1, 2)$.",
                   answer="$z = 0.5 - 2 + 0.1 = -1.4$.")
    problems = problems_of(_page(ex, *(_exercise(k) for k in range(2, 5))), 3)
    assert [p for p in problems if "3.1" in p] == ["Exercise 3.1: the answer states '1.4', which no asserting "
                                                   "code cell of the Exercises section checks"]
    cell = "```{code-cell} ipython3\nz = 0.5 * 1 - 1 * 2 + 0.1\nassert abs(z - (-1.4)) < 1e-12\n```"
    assert problems_of(_page(ex, *(_exercise(k) for k in range(2, 5)), cells=(cell, cell)), 3) == [
        "Exercise 3.2: the answer states '46', which no asserting code cell of the Exercises section checks",
        "Exercise 3.3: the answer states '46', which no asserting code cell of the Exercises section checks",
        "Exercise 3.4: the answer states '46', which no asserting code cell of the Exercises section checks"]


def test_stated_numbers_reads_math_the_way_a_reader_does():
    values = lambda s: sorted(round(n.value, 9) for n in stated_numbers(s))
    assert values(r"$\sigma'(2) \approx 0.105$ and $x_1 + W^{(2)}_{12} = x^2$") == [0.105, 2.0]
    assert values(r"$\tfrac14$, $\frac{3}{8}$ and 1/2") == [0.25, 0.375, 0.5]
    assert values("shrinks 4.4·10⁶ times, below $2.5 \\cdot 10^{-3}$ and $10^{-4}$") == [0.0001, 0.0025, 4400000.0]
    assert values("Novikoff (1962) and Exercise 2.3 and {eq}`act-relu-2` and `hw1_neurons`") == []
    assert values("75 % of the runs") == [75.0] and stated_numbers("75 %")[0].matches(0.75)
    n = stated_numbers("0.105")[0]
    assert n.matches(0.10499) and n.matches(0.1054) and not n.matches(0.106)
    assert stated_numbers("4.4·10⁶")[0].matches(4.41e6) and not stated_numbers("4.4·10⁶")[0].matches(4.6e6)
    assert not stated_numbers("46")[0].matches(46.4)


def test_only_literals_an_assert_depends_on_count():
    cell = "a = 0.105\nb = 7\nunused = 99\nassert abs(f(2) - a) < 1e-3\nprint(b)"
    assert sorted(asserted_literals(cell)) == [0.001, 0.105, 2.0]
    assert asserted_literals("x = 46\nprint(x)") == []
    looped = "for n, expected in [(3, 8), (4, 16)]:\n    assert 2 ** n == expected\n"
    assert {8.0, 16.0} <= set(asserted_literals(looped))
