"""Per-student variants: an assignment's parameters, drawn for each student from the course secret.

An assignment declares its parameters in its checks file as a literal (read here with ``ast``, without
importing the checks)::

    VARIANTS = {"AND_INPUT": (1, 2, 3)}     # name -> the values it may take; the first is the default

A student's value of each parameter is ``options[HMAC(secret, [assignment, student id, name]) mod n]``
(``ffgrader.seeds.keyed``). The default variant (every first value) is what ``exercises/`` and the published
download show. Each notebook of the assignment has one locked code cell with the grade id ``variant``
(``VARIANT_CELL``) whose source is ``render(values)``: the released copy of a student shows theirs, and the
grader rewrites that cell from the student id the submission is filed under before it runs anything (what
the handed-in notebook says there is ignored). The checks read the same values with ``values_of(student,
VARIANTS)``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .seeds import keyed

VARIANT_CELL = "variant"
HEADER = ("# Your variant of this homework (read-only). Your answers must use these values: the grader uses\n"
          "# the values of the student id you hand in under, whatever this cell says.\n")


def _literal_ok(value) -> bool:
    try:
        return ast.literal_eval(repr(value)) == value and type(value) in (int, float, str, bool, tuple)
    except (ValueError, SyntaxError):
        return False


def validate(spec, where="VARIANTS") -> dict:
    """``spec`` as {name: tuple of values}; a clear error naming what is wrong."""
    if not isinstance(spec, dict):
        raise TypeError(f"{where} must be a dict name -> tuple of values, got {type(spec).__name__}")
    for name, options in spec.items():
        if not isinstance(name, str) or not name.isidentifier() or not name.isupper():
            raise ValueError(f"{where}: parameter name {name!r} must be an UPPER_CASE Python identifier")
        if not isinstance(options, tuple) or not options:
            raise ValueError(f"{where}[{name!r}] must be a non-empty tuple of values (the first is the default)")
        for v in options:
            if not _literal_ok(v):
                raise ValueError(f"{where}[{name!r}]: {v!r} is not a plain literal (int, float, str, bool, tuple)")
        if len(set(map(repr, options))) != len(options):
            raise ValueError(f"{where}[{name!r}] lists a value twice")
    return spec


def spec_of(checks_path) -> dict:
    """The ``VARIANTS`` literal of a checks file ({} when it declares none)."""
    path = Path(checks_path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) \
            else []
        if any(isinstance(t, ast.Name) and t.id == "VARIANTS" for t in targets) and node.value is not None:
            try:
                spec = ast.literal_eval(node.value)
            except ValueError:
                raise ValueError(f"{path.name}: VARIANTS must be a literal dict of tuples") from None
            return validate(spec, f"{path.name}: VARIANTS")
    return {}


def default(spec) -> dict:
    return {name: options[0] for name, options in validate(spec).items()}


def draw(secret: bytes, assignment: str, student: str, spec) -> dict:
    """The variant of ``student`` (the id the submission is filed under, never one a notebook claims)."""
    if not isinstance(student, str) or not student:
        raise ValueError(f"student id must be a non-empty str, got {student!r}")
    return {name: options[keyed(secret, "variant", assignment, student, name) % len(options)]
            for name, options in validate(spec).items()}


def render(values: dict) -> str:
    """The source of the variant cell for ``values``."""
    return HEADER + "\n".join(f"{name} = {value!r}" for name, value in values.items())


def values_of(student, spec) -> dict:
    """In a check: the parameters of the submission being graded (the default variant when the grader set
    none, as for the solution notebook in tests)."""
    given = getattr(student, "variant", None)
    values = default(spec)
    if given:
        unknown = set(given) - set(values)
        if unknown:
            raise ValueError(f"variant has parameters {sorted(unknown)} that VARIANTS does not declare")
        values.update(given)
    return values


def is_variant_cell(cell) -> bool:
    """``cell`` is a code cell with the grade id ``VARIANT_CELL`` (metadata of any shape: notebooks may be hostile)."""
    meta = cell.get("metadata")
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    return cell.get("cell_type") == "code" and isinstance(nbg, dict) and nbg.get("grade_id") == VARIANT_CELL


def apply(nb, values: dict) -> bool:
    """Rewrite the variant cell(s) of ``nb`` with ``values``; True if the notebook has one."""
    found = False
    for cell in nb.cells:
        if is_variant_cell(cell):
            cell.source = render(values)
            found = True
    return found
