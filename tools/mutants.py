"""Mutants of a solution cell: the small mistakes students make, generated from the cell's syntax tree.

``mutants(source, cell)`` returns one ``Mutant`` per site and operator, each the whole cell with one change.
Only code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is mutated (the signature, the docstring and
the provided code stay), or the whole cell when it has no markers. The operators (``OPERATORS``):

- ``drop /``: ``a / N`` -> ``a``; ``(1 / N) * a`` -> ``a``; ``x /= N`` dropped; ``x.mean(...)`` -> ``x.sum(...)``
- ``drop factor``: ``c * a`` -> ``a`` for a number c other than 1 (a forgotten 1/2, a forgotten 2)
- ``sign``: ``a - b`` <-> ``a + b``, ``-a`` -> ``a``
- ``transpose``: ``a.T`` -> ``a``, ``np.transpose(a)`` -> ``a``, ``a @ b`` -> ``a.T @ b`` and ``a @ b.T``
- ``off by one``: ``range(..)``'s bounds, integer indices and slice bounds, each +1 and -1
- ``max shift``: ``x - x.max(...)`` / ``x - np.max(x, ...)`` -> ``x`` (the overflow guard of softmax)
- ``comparison``: ``>`` <-> ``>=``, ``<`` <-> ``<=``
- ``axis``: ``axis=0`` <-> ``axis=1``, ``axis=-1`` -> ``axis=0``
- ``W for b``: ``p["W"]`` <-> ``p["b"]`` (a layer's weights for its bias, the course's parameter keys)
- ``order``: ``return a, b, ...`` -> ``return b, a, ...`` (the results in the wrong order)

The mutated cell is rebuilt with ``ast.unparse`` (comments are lost, which changes nothing that runs).
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
OPERATORS = ("drop /", "drop factor", "sign", "transpose", "off by one", "max shift", "comparison", "axis", "W for b",
             "order")


@dataclass(frozen=True)
class Mutant:
    cell: str          # grade_id of the answer cell
    line: int          # line of the change in the cell (1-based)
    operator: str      # one of OPERATORS
    before: str        # the expression changed
    after: str         # what it became
    source: str        # the whole mutated cell

    @property
    def label(self) -> str:
        return f"{self.cell}:{self.line} {self.operator}: {self.before} -> {self.after}"


def solution_lines(source: str) -> set[int]:
    """Line numbers (1-based) inside the cell's solution regions; every line when there is no marker."""
    lines = source.splitlines()
    if not any(BEGIN in line for line in lines):
        return set(range(1, len(lines) + 1))
    inside, out = False, set()
    for i, line in enumerate(lines, start=1):
        if BEGIN in line:
            inside = True
        elif END in line:
            inside = False
        elif inside:
            out.add(i)
    return out


def _num(node) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _plus(node, k: int):
    """``node + k`` (folded when node is an integer literal such as ``3`` or ``-1``)."""
    try:
        value = ast.literal_eval(node)
    except ValueError:
        value = None
    if type(value) is int:
        return ast.Constant(value + k)
    return ast.BinOp(copy.deepcopy(node), ast.Add() if k > 0 else ast.Sub(), ast.Constant(abs(k)))


def _is_max(node) -> bool:
    """``x.max(...)``, ``np.max(x, ...)``, ``np.amax(...)``."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("max", "amax"))


def _edits(node, parent):
    """(operator, replacement) for one node; a replacement None removes a statement (becomes ``pass``)."""
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Div):
            yield "drop /", node.left
        if isinstance(node.op, ast.Mult):
            for keep, other in ((node.left, node.right), (node.right, node.left)):
                if isinstance(other, ast.BinOp) and isinstance(other.op, ast.Div) and _num(other.left) \
                        and other.left.value == 1:
                    yield "drop /", keep
                elif _num(other) and other.value not in (1, -1, 0):
                    yield "drop factor", keep
        if isinstance(node.op, ast.Sub):
            if _is_max(node.right):
                yield "max shift", node.left
            yield "sign", ast.BinOp(node.left, ast.Add(), node.right)
        if isinstance(node.op, ast.Add):
            yield "sign", ast.BinOp(node.left, ast.Sub(), node.right)
        if isinstance(node.op, ast.MatMult):
            for side in ("left", "right"):
                operand = getattr(node, side)
                if isinstance(operand, ast.Attribute) and operand.attr == "T":
                    continue  # dropping that transpose is the "a.T -> a" mutant
                swapped = copy.copy(node)
                setattr(swapped, side, ast.Attribute(copy.deepcopy(operand), "T", ast.Load()))
                yield "transpose", swapped
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and not _num(node.operand):
        yield "sign", node.operand
    elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Div):
        yield "drop /", None
    elif isinstance(node, ast.Attribute) and node.attr == "T" and isinstance(node.ctx, ast.Load):
        yield "transpose", node.value
    elif isinstance(node, ast.Compare):
        swap = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt}
        for i, op in enumerate(node.ops):
            if type(op) in swap:
                new = copy.copy(node)
                new.ops = list(node.ops)
                new.ops[i] = swap[type(op)]()
                yield "comparison", new
    elif isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if name == "mean" and isinstance(func, ast.Attribute):
            new = copy.copy(node)
            new.func = ast.Attribute(func.value, "sum", ast.Load())
            yield "drop /", new
        if name == "transpose" and node.args and isinstance(func, ast.Attribute):
            yield "transpose", node.args[0]
        if name == "range" and node.args:
            positions = [0] if len(node.args) == 1 else [1, 0]  # the stop, then the start (never the step)
            for i in positions:
                for k in (1, -1):
                    new = copy.copy(node)
                    new.args = list(node.args)
                    new.args[i] = _plus(node.args[i], k)
                    yield "off by one", new
        for j, kw in enumerate(node.keywords):
            if kw.arg == "axis" and isinstance(kw.value, (ast.Constant, ast.UnaryOp)):
                value = ast.literal_eval(kw.value)
                for other in {0: (1,), 1: (0,), -1: (0,)}.get(value, ()):
                    new = copy.copy(node)
                    new.keywords = list(node.keywords)
                    new.keywords[j] = ast.keyword("axis", ast.Constant(other))
                    yield "axis", new
    elif isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and len(node.value.elts) >= 2:
        elts = list(node.value.elts)
        elts[0], elts[1] = elts[1], elts[0]
        yield "order", ast.Return(ast.Tuple(elts, ast.Load()))
    elif isinstance(node, ast.Subscript):
        index = node.slice
        if isinstance(index, ast.Constant) and index.value in ("W", "b"):
            new = copy.copy(node)
            new.slice = ast.Constant({"W": "b", "b": "W"}[index.value])
            yield "W for b", new
        parts = index.elts if isinstance(index, ast.Tuple) else [index]
        for i, part in enumerate(parts):
            if isinstance(part, ast.Slice):
                for bound in ("lower", "upper"):
                    if getattr(part, bound) is None:
                        continue
                    for k in (1, -1):
                        new_part = copy.copy(part)
                        setattr(new_part, bound, _plus(getattr(part, bound), k))
                        yield "off by one", _with_index(node, parts, i, new_part)
            elif isinstance(part, ast.Constant) and type(part.value) is int or \
                    isinstance(part, ast.UnaryOp) and _num(part.operand) and type(part.operand.value) is int:
                value = ast.literal_eval(part)
                for k in (1, -1):
                    yield "off by one", _with_index(node, parts, i, ast.Constant(value + k))


def _with_index(node, parts, i, new_part):
    new = copy.copy(node)
    parts = list(parts)
    parts[i] = new_part
    new.slice = ast.Tuple(parts, ast.Load()) if isinstance(node.slice, ast.Tuple) else new_part
    return new


def _parents(tree):
    return {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}


def _replace(parent, old, new):
    for field, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, field, new)
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is old:
                    value[i] = new if new is not None else ast.Pass()
                    return
    raise LookupError("node not found in its parent")


def mutants(source: str, cell: str) -> list[Mutant]:
    """Every mutant of ``source`` (a code cell) inside its solution region, in source order, without
    duplicates (two edits that give the same code count once)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    region = solution_lines(source)
    original = ast.unparse(tree)
    seen, out = {original}, []
    for index, node in enumerate(ast.walk(tree)):
        if not hasattr(node, "lineno") or node.lineno not in region:
            continue
        for k, (operator, _) in enumerate(list(_edits(node, None))):
            fresh = ast.parse(source)  # edit a fresh tree: every mutant differs from the solution in one place
            target = list(ast.walk(fresh))[index]
            operator, replacement = list(_edits(target, None))[k]
            parent = _parents(fresh)[target]
            before = ast.unparse(target)
            _replace(parent, target, replacement)
            ast.fix_missing_locations(fresh)
            try:
                code = ast.unparse(fresh)
                compile(code, f"<mutant of {cell}>", "exec")
            except (SyntaxError, ValueError, TypeError):
                continue
            if code in seen:
                continue
            seen.add(code)
            after = "(removed)" if replacement is None else ast.unparse(replacement)
            out.append(Mutant(cell, node.lineno, operator, before, after, code))
    labels = [m.label for m in out]
    for i, m in enumerate(out):  # the same edit at two places of one line: number the places
        n = labels[:i].count(m.label)
        if n:
            out[i] = Mutant(m.cell, m.line, m.operator, m.before, f"{m.after} (occurrence {n + 1})", m.source)
    return out
