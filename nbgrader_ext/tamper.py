"""Static tampering scan of a submitted notebook (AST), run by nbgrader after the notebook was executed.

The student's kernel can rebind anything, so the grading module's own checks (nnlib.grading) are only
one layer. This layer reads the student's *source*, outside the kernel: a cell that writes to a module
attribute (``np.allclose = ...``, ``setattr(np, ...)``, ``sys.modules[...] = ...``), defines comparison or
conversion dunders in a class (a value whose ``__eq__`` always says True), executes code built at run
time (``exec``/``eval``/``compile``/``__import__``/``importlib``/IPython magics), or imports the reference
``nnlib`` in an answer is a finding. Every autograded test cell *after* the first finding gets its
outputs replaced by an error naming the finding, so nbgrader scores it 0 and the instructor sees why.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import List, Unicode

# Modules whose attributes a student must never write (plus every name bound by an import in the notebook).
PROTECTED_ROOTS = {"np", "numpy", "sp", "sympy", "math", "builtins", "__builtins__", "sys", "G", "grading",
                   "nnlib", "importlib", "scipy", "pytest", "unittest", "os", "gc", "types", "inspect"}
# Dunders that let a value lie to a comparison, a conversion or numpy.
SUSPICIOUS_DUNDERS = {
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__len__", "__hash__",
    "__float__", "__int__", "__index__", "__complex__", "__round__", "__abs__", "__neg__", "__sub__", "__rsub__",
    "__array__", "__array_ufunc__", "__array_function__", "__array_priority__", "__array_interface__",
    "__array_struct__", "__array_wrap__", "__array_finalize__", "__getattr__", "__getattribute__",
    "__instancecheck__", "__subclasscheck__", "__class__", "__init_subclass__", "__class_getitem__",
    "__sympy__", "_sympy_", "__iter__", "__getitem__", "__str__", "__repr__", "__format__",
}
DYNAMIC_CALLS = {"exec", "eval", "compile", "__import__", "setattr", "delattr", "globals", "vars", "get_ipython",
                 "breakpoint", "open"}
FORBIDDEN_IMPORTS = {"nnlib", "importlib", "builtins", "sys", "ctypes", "gc", "inspect", "types", "unittest",
                     "pytest", "os", "subprocess", "pickle", "marshal", "IPython"}


@dataclass(frozen=True)
class Finding:
    line: int
    what: str

    def __str__(self):
        return f"line {self.line}: {self.what}"


def _root_name(node):
    """The Name at the root of an attribute/subscript chain (``np`` for ``np.linalg.norm``)."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


class _Scanner(ast.NodeVisitor):
    def __init__(self, protected):
        self.protected = protected
        self.findings: list[Finding] = []

    def _add(self, node, what):
        self.findings.append(Finding(getattr(node, "lineno", 0), what))

    def _check_target(self, target, node):
        if isinstance(target, (ast.Tuple, ast.List)):
            for t in target.elts:
                self._check_target(t, node)
        elif isinstance(target, ast.Starred):
            self._check_target(target.value, node)
        elif isinstance(target, ast.Attribute):
            root = _root_name(target)
            if target.attr.startswith("__") and target.attr.endswith("__"):
                self._add(node, f"assigns the special attribute {target.attr}")
            elif root in self.protected:
                self._add(node, f"assigns to module attribute {ast.unparse(target)}")
        elif isinstance(target, ast.Subscript):
            root = _root_name(target)
            if root in self.protected or "__dict__" in ast.unparse(target):
                self._add(node, f"assigns to {ast.unparse(target)}")
        elif isinstance(target, ast.Name) and target.id in self.protected:
            self._add(node, f"rebinds the module name {target.id}")

    def visit_Assign(self, node):
        for t in node.targets:
            self._check_target(t, node)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._check_target(node.target, node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._check_target(node.target, node)
        self.generic_visit(node)

    def visit_Delete(self, node):
        for t in node.targets:
            self._check_target(t, node)
        self.generic_visit(node)

    def visit_NamedExpr(self, node):
        self._check_target(node.target, node)
        self.generic_visit(node)

    def visit_Global(self, node):
        for n in node.names:
            if n in self.protected:
                self._add(node, f"declares the module name {n} global")

    def visit_Attribute(self, node):
        if node.attr in ("__dict__", "__globals__", "__builtins__", "__code__", "__closure__", "__subclasses__",
                         "__bases__", "__mro__", "f_globals", "f_back", "modules"):
            self._add(node, f"uses {ast.unparse(node)}")
        self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in DYNAMIC_CALLS or node.id == "__builtins__":
            self._add(node, f"uses {node.id}")
        self.generic_visit(node)

    def visit_ClassDef(self, node):
        for base in node.bases:
            text = ast.unparse(base)
            if _root_name(base) in self.protected or text in ("float", "int", "bool", "tuple", "list", "str", "dict"):
                self._add(node, f"class {node.name} subclasses {text}")
        for stmt in node.body:
            names = []
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names = [stmt.name]
            elif isinstance(stmt, ast.Assign):
                names = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
            for n in names:
                if n in SUSPICIOUS_DUNDERS:
                    self._add(stmt, f"class {node.name} defines {n}")
        self.generic_visit(node)

    def visit_Import(self, node):
        for alias in node.names:
            if alias.name.split(".")[0] in FORBIDDEN_IMPORTS:
                self._add(node, f"imports {alias.name}")
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        mod = (node.module or "").split(".")[0]
        if mod in FORBIDDEN_IMPORTS or node.level:
            self._add(node, f"imports from {node.module or '.'}")
        self.generic_visit(node)


def _to_python(source):
    """IPython syntax (magics, ``!cmd``) turned into Python, so it is scanned rather than skipped."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - fall back to the raw text
        return source


def imported_names(sources):
    """Names bound by ``import``/``from ... import`` anywhere in the notebook (they are protected too)."""
    names = set()
    for src in sources:
        try:
            tree = ast.parse(_to_python(src))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                names.update(a.asname or a.name for a in node.names)
    return names


def scan_source(source, protected=frozenset()):
    """Findings in one cell's source (a cell that does not parse cannot have run: no findings)."""
    try:
        tree = ast.parse(_to_python(source))
    except SyntaxError:
        return []
    scanner = _Scanner(PROTECTED_ROOTS | set(protected))
    scanner.visit(tree)
    return scanner.findings


def is_student_cell(cell):
    """Cells whose source comes from the student: answer cells and cells the student added."""
    if cell.cell_type != "code":
        return False
    if utils.is_solution(cell):
        return True
    return not (utils.is_grade(cell) or utils.is_locked(cell))


def scan_notebook(nb):
    """List of ``(cell_index, grade_id_or_None, [Finding, ...])`` for student cells with findings."""
    sources = [c.source for c in nb.cells if c.cell_type == "code"]
    # Names imported by the instructor's locked cells (np, sp, G) and by the student are all module aliases.
    protected = imported_names(sources)
    out = []
    for i, cell in enumerate(nb.cells):
        if not is_student_cell(cell):
            continue
        found = scan_source(cell.source, protected)
        if found:
            out.append((i, cell.metadata.get("nbgrader", {}).get("grade_id"), found))
    return out


class TamperScan(NbGraderPreprocessor):
    """Zero the autograded test cells that run after a tampering cell (see module docstring)."""

    ename = Unicode("TamperingDetected", help="Error name written into affected test cells.").tag(config=True)
    extra_protected = List(Unicode(), [], help="More module names whose attributes must not be written.").tag(
        config=True)

    def preprocess(self, nb: NotebookNode, resources):
        findings = scan_notebook(nb)
        if not findings:
            return nb, resources
        first = findings[0][0]
        reasons = []
        for i, gid, found in findings:
            where = f"cell {i}" + (f" ({gid})" if gid else " (a cell you added)")
            reasons.extend(f"{where}, {f}" for f in found)
        summary = "; ".join(reasons[:6]) + (f"; and {len(reasons) - 6} more" if len(reasons) > 6 else "")
        message = ("This test was not counted because the notebook changes how values are compared or which "
                   "library functions run, before this test: " + summary +
                   ". Remove that code (do not reassign numpy/builtins functions, define __eq__-style methods, "
                   "use exec/eval or import nnlib in answers) and resubmit.")
        for i, cell in enumerate(nb.cells):
            if i > first and utils.is_grade(cell) and not utils.is_solution(cell) and cell.cell_type == "code":
                cell.outputs = [NotebookNode(output_type="error", ename=self.ename, evalue=message,
                                             traceback=[f"{self.ename}: {message}"])]
        self.log.warning("Tampering findings in %s: %s", resources.get("unique_key", "notebook"), summary)
        return nb, resources
