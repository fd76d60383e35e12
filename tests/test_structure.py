"""Reference code a student reads: the structure rules of nnlib, pinned.

No import cycle between nnlib modules (counting imports inside functions); the speed-ups (BLAS
calls) live in nnlib/_fast.py only; the activation protocol is ``f``/``df`` plus one validating
wrapper; no timings in the library's comments (they belong in bench/).
"""

import ast
import re
from pathlib import Path

import pytest

from nnlib import activations

PKG = Path(__file__).resolve().parent.parent / "nnlib"
MODULES = {
    ".".join(p.relative_to(PKG.parent).with_suffix("").parts).removesuffix(".__init__"): p
    for p in PKG.rglob("*.py")
}


def _imports(name, path):
    """nnlib modules imported by module ``name`` (anywhere in it, relative imports resolved)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in out if m in MODULES and m != name}


def test_no_import_cycles():
    graph = {name: _imports(name, path) for name, path in MODULES.items()}
    # a package imports its submodules; a submodule importing its package is not a cycle of code
    graph = {n: {m for m in deps if not n.startswith(m + ".")} for n, deps in graph.items()}
    state = {}

    def visit(n, stack):
        state[n] = "open"
        for m in sorted(graph[n]):
            if state.get(m) == "open":
                pytest.fail("import cycle: " + " -> ".join(stack[stack.index(m):] + [m]))
            if m not in state:
                visit(m, stack + [m])
        state[n] = "done"

    for n in sorted(graph):
        if n not in state:
            visit(n, [n])
    for name in graph:
        if name == "nnlib.claims" or name.startswith("nnlib.claims."):
            assert "nnlib.symbolic" not in graph[name], f"{name} imports nnlib.symbolic (which imports the claims)"


def test_claims_one_module_per_chapter():
    """A chapter's claims are edited in its module alone: chapter modules import only the shared helpers."""
    chapters = {n for n in MODULES if n.startswith("nnlib.claims.") and not n.rpartition(".")[2].startswith("_")}
    assert len(chapters) >= 11, sorted(chapters)  # ten chapters and the errata
    for name in chapters:
        local = {m for m in _imports(name, MODULES[name]) if m.startswith("nnlib.claims")}
        assert local <= {"nnlib.claims._common"}, f"{name} imports {sorted(local)}: chapters stay independent"


def test_blas_only_in_the_fast_module():
    for name, path in MODULES.items():
        if name == "nnlib._fast":
            continue
        assert "blas" not in path.read_text(), f"{name} calls BLAS; speed-ups belong in nnlib/_fast.py"


def test_the_activation_protocol():
    for name in activations.names():
        cls = type(activations.get(name))
        assert cls.forward is activations.Activation.forward and cls.backward is activations.Activation.backward
        for gone in ("_forward_unchecked", "_backward_unchecked", "_forward_inplace", "_backward_inplace", "_f", "_df"):
            assert not hasattr(cls, gone), f"{cls.__name__}.{gone}"
    for path in (PKG / "activations").glob("*.py"):
        assert len(path.read_text().splitlines()) < 300, f"{path.name}: one kind of activation per file"


_TIMING = re.compile(r"\b\d+(\.\d+)?\s?(ms|µs|us|ns)\b|\b\d+(\.\d+)?x (faster|slower)\b")


def test_no_timings_in_comments_or_docstrings():
    for path in MODULES.values():
        for i, line in enumerate(path.read_text().splitlines(), 1):
            assert not _TIMING.search(line), f"{path.name}:{i}: {line.strip()} (timings belong in bench/)"
