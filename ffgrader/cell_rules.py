"""What the cells of an assignment's instructor notebook may hold (trusted side: the notebook builder of
``ffgrader.authoring`` refuses a notebook that breaks these rules, and ``tools.assignments check`` reports it).

- nbgrader's markers, each in the cells it belongs to: ``BEGIN/END SOLUTION`` in answer cells,
  ``BEGIN/END MARK SCHEME`` in written (task) cells, ``BEGIN/END HIDDEN TESTS`` in test cells, in pairs. nbgrader
  finds a region by the exact words anywhere in a line, so a line that is nearly a marker (``### END SOLUTON``,
  ``=== BEGIN MARKSCHEME ===``, ``### begin solution``) is no marker at all: its rubric or solution would
  reach the students, or nbgrader's generation stops on the unpaired half.
- The variant cell (``ffgrader.variants``): there when ``checks.py`` declares ``VARIANTS``, and the only cell
  that assigns a parameter. The grader writes the student's values into that cell; any other assignment
  would put the default back and the student's correct answer would be checked against other values.
- Partial credit: the shares of a check's ``parts`` add up to its test cell's points, as the feedback's
  "Partial credit: 1 of 2 points" reads them.
"""

from __future__ import annotations

import ast
import difflib
import re

from . import variants

MARKERS = {  # nbgrader's defaults (ClearSolutions, ClearMarkScheme, ClearHiddenTests), as the course uses them
    "solution": ("BEGIN SOLUTION", "END SOLUTION", "### BEGIN SOLUTION"),
    "mark scheme": ("BEGIN MARK SCHEME", "END MARK SCHEME", "=== BEGIN MARK SCHEME ==="),
    "hidden tests": ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "### BEGIN HIDDEN TESTS"),
}
ALLOWED = {"answer": "solution", "task": "mark scheme", "test": "hidden tests"}  # role -> the markers it may hold
_LETTERS = {re.sub(r"[^A-Z]", "", word): (kind, word) for kind, (begin, end, _) in MARKERS.items()
            for word in (begin, end)}


def _nbgrader(cell) -> dict:
    """The cell's nbgrader metadata, {} when it has none or it is not a dict."""
    meta = cell.get("metadata")
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbg if isinstance(nbg, dict) else {}


def role(cell) -> str:
    """'answer', 'task', 'test' or 'other', from the cell's nbgrader metadata."""
    nbg = _nbgrader(cell)
    if nbg.get("task"):
        return "task"
    if nbg.get("solution"):
        return "answer"
    return "test" if nbg.get("grade") else "other"


def _near_marker(line: str):
    """(kind, marker) when ``line`` reads like a marker of ``kind`` without being one nbgrader would see."""
    letters = re.sub(r"[^A-Z]", "", line.upper())
    exact = any(word in line for (begin, end, _) in MARKERS.values() for word in (begin, end))
    if exact or not 8 <= len(letters) <= 24 or not re.search(r"BEGIN|END", line.upper()):
        return None
    close = difflib.get_close_matches(letters, _LETTERS, n=1, cutoff=0.85)
    return _LETTERS[close[0]] if close else None


def marker_problems(cell_role: str, source: str, *, need_solution=False) -> list[str]:
    """What is wrong with the markers of a cell of ``cell_role`` (``role``); ``need_solution``: an answer cell
    must hold a solution region (the text format's answer cells)."""
    problems, seen = [], {kind: [] for kind in MARKERS}
    for k, line in enumerate(source.splitlines(), start=1):
        near = _near_marker(line)
        if near is not None:
            word = near[1]
            problems.append(f"line {k} {line.strip()!r} is not nbgrader's marker {word!r} (it needs these exact "
                            f"words), so nbgrader would not see it")
        for kind, (begin, end, _) in MARKERS.items():
            for word, is_begin in ((begin, True), (end, False)):
                if word in line:
                    seen[kind].append((k, is_begin))
    for kind, marks in seen.items():
        if not marks:
            continue
        written = MARKERS[kind][2]
        if ALLOWED.get(cell_role) != kind:
            where = {"solution": "answer cells", "mark scheme": "written (task) cells",
                     "hidden tests": "test cells"}[kind]
            what = {"answer": "an answer", "task": "a written (task)", "test": "a test"}.get(cell_role, "a read-only")
            problems.append(f"{written!r} (line {marks[0][0]}) in {what} cell: nbgrader's {kind} regions belong "
                            f"in {where}")
            continue
        expected_begin = True
        for k, is_begin in marks:
            if is_begin != expected_begin:
                problems.append(f"line {k}: an unpaired {'BEGIN' if is_begin else 'END'} {kind.upper()} marker "
                                f"(each {written.replace('BEGIN', 'BEGIN/END')} region opens, then closes)")
                break
            expected_begin = not expected_begin
        else:
            if not expected_begin:
                problems.append(f"line {marks[-1][0]}: the {kind} region is never closed "
                                f"({written.replace('BEGIN', 'END')!r} missing)")
    if need_solution and cell_role == "answer" and not seen["solution"]:
        problems.append("an answer cell needs its solution between '### BEGIN SOLUTION' and '### END SOLUTION' "
                        "(the students' copy has 'raise NotImplementedError()' in its place)")
    return problems


def python_source(source: str) -> str:
    """A code cell's source without IPython magics and shell escapes (the lines that are not Python)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def bound_names(source: str, imports: bool = True) -> set[str]:
    """Names a code cell binds at its top level: assignments, functions, classes and (with ``imports``) imports:
    what a later cell, or a check, finds defined after the cell ran. Empty for a cell that does not parse."""
    try:
        tree = ast.parse(python_source(source))
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if imports:
                names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        else:
            targets = (node.targets if isinstance(node, ast.Assign) else
                       [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For)) else [])
            for target in targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def variant_problems(cells, spec: dict) -> list[tuple[str, str]]:
    """[(where, what)] for the variant cell of a notebook whose checks declare ``spec`` (``VARIANTS``)."""
    found = [c for c in cells if variants.is_variant_cell(c)]
    if spec and not found:
        return [("notebook", f"checks.py declares VARIANTS ({', '.join(spec)}) but no code cell has the grade id "
                             f"{variants.VARIANT_CELL!r}: the grader puts each student's values in that cell "
                             "(in the text format: an empty '# %% variant' cell, before the first cell that uses "
                             "them)")]
    if found and not spec:
        return [(variants.VARIANT_CELL, "a variant cell, but checks.py declares no VARIANTS")]
    problems = []
    if len(found) > 1:
        problems.append((variants.VARIANT_CELL, f"{len(found)} variant cells: a notebook has one"))
    for k, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code" or variants.is_variant_cell(cell):
            continue
        rebound = sorted(bound_names(cell.get("source") or "") & set(spec))
        if rebound:
            problems.append((_nbgrader(cell).get("grade_id") or f"cell {k}",
                             f"assigns {', '.join(rebound)} of VARIANTS: that would replace the student's own "
                             f"values (which only the {variants.VARIANT_CELL!r} cell defines)"))
    return problems


def parts_problems(cells, parts: dict) -> list[tuple[str, str]]:
    """[(grade id, what)] for test cells whose points differ from the sum of their check's ``parts``."""
    problems = []
    for cell in cells:
        meta = _nbgrader(cell)
        shares = parts.get(meta.get("grade_id"))
        if shares is None or role(cell) != "test":
            continue
        total, points = sum(shares.values()), meta.get("points")
        if isinstance(points, (int, float)) and abs(total - points) > 1e-9:
            problems.append((meta["grade_id"], f"the cell is worth {points:g} points but its check's parts add up "
                                               f"to {total:g}: the feedback would say 'Partial credit: ... of "
                                               f"{total:g} points' while the gradebook counts {points:g}"))
    return problems
