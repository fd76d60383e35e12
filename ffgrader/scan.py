"""Static scan of answer cells for the by-hand parts (AST, in the grader process, outside any kernel).

A part that asks for a derivation by hand is worth nothing if the answer cell lets SymPy do the
calculus. ``calculus_findings(source)`` lists, with line numbers, every use in a cell of SymPy's
differentiation/integration/series machinery (``diff``, ``Derivative(...).doit()``, ``integrate``,
``series``, ``limit``, ``jacobian`` ...), whether called as a function, a method or imported under
another name, and every construct that could reach them without naming them: ``getattr``/``eval``/
``exec``/``__import__``/``importlib``/``operator.attrgetter``/``__dict__``, or a string that spells one of
the names. What it cannot see: a result computed elsewhere (another machine, another cell that is not
scanned) and pasted in as a literal expression — see the instructor guide.
"""

from __future__ import annotations

import ast
import re
import unicodedata

CALCULUS = {
    "diff", "Derivative", "doit", "integrate", "Integral", "series", "nseries", "lseries", "aseries", "fps",
    "fdiff", "idiff", "limit", "Limit", "differentiate_finite", "as_finite_difference", "finite_diff_weights",
    "taylor_term", "euler_equations", "jacobian", "hessian", "gradient", "manualintegrate", "risch_integrate",
    "antiderivative", "dsolve", "pdsolve", "apart_list", "derive_by_array", "Subs",
}
CALCULUS_MODULES = ("sympy.calculus", "sympy.integrals", "sympy.series", "sympy.core.function",
                    "sympy.tensor.array.array_derivatives", "sympy.vector", "sympy.diffgeom", "sympy.solvers.ode")
DYNAMIC = {"getattr", "eval", "exec", "compile", "__import__", "vars", "globals", "locals", "attrgetter",
           "methodcaller", "import_module", "sympify", "parse_expr"}


def _to_python(source: str) -> str:
    """IPython syntax (magics, ``!cmd``) turned into Python, so it is scanned rather than skipped."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - fall back to the raw text
        return source


def calculus_findings(source: str) -> list[str]:
    """Reasons (``line N: ...``) why this cell lets SymPy do calculus; [] if none is visible."""
    try:
        tree = ast.parse(_to_python(source))
    except (SyntaxError, ValueError, RecursionError):
        return []  # it cannot run either
    found = []
    # Bare string statements (docstrings) do nothing; a string used anywhere else might be code.
    bare = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}

    def add(node, what):
        found.append(f"line {getattr(node, 'lineno', 0)}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in CALCULUS:
            add(node, f"uses {node.id}")
        elif isinstance(node, ast.Attribute):
            if node.attr in CALCULUS:
                add(node, f"uses .{node.attr}")
            elif node.attr in ("__dict__", "__getattribute__", "__getattr__", "__globals__", "__builtins__"):
                add(node, f"reaches names dynamically through .{node.attr}")
            elif node.attr in DYNAMIC:
                add(node, f"uses .{node.attr} (dynamic code)")
        elif isinstance(node, ast.Name) and node.id in DYNAMIC:
            add(node, f"uses {node.id} (dynamic code)")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            mod = getattr(node, "module", None) or ""
            names = [a.name for a in node.names]
            for m in [mod] + (names if isinstance(node, ast.Import) else []):
                if m.startswith(CALCULUS_MODULES) or m in ("importlib", "operator", "builtins"):
                    add(node, f"imports {m}")
            for n in names:
                if isinstance(node, ast.ImportFrom) and n in CALCULUS | DYNAMIC:
                    add(node, f"imports {n} from {mod}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in bare:
            words = set(re.findall(r"[A-Za-z_]+", unicodedata.normalize("NFKC", node.value)))
            for w in sorted(words & CALCULUS):
                add(node, f"a string that spells {w!r}")
    return sorted(set(found), key=lambda s: (int(s.split(":")[0].split()[1]), s))
