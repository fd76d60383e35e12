"""Reference code a student reads: the structure rules of nnlib, pinned.

No import cycle between nnlib modules (counting imports inside functions); the speed-ups (BLAS
calls) live in nnlib/_fast.py only; the activation protocol is ``f``/``df`` plus one validating
wrapper; no timings in the library's comments (they belong in bench/). Across the repository (library,
grader, tools, extensions, benchmarks, tests): no module reaches into another module's private names, except
where a test or benchmark names the module it examines from the inside in its ``WHITE_BOX``.
"""

import ast
import re
import sys
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


# --- no module reaches into another module's private names ------------------------------------------------

REPO = PKG.parent
# The library, the grader, the tools, the book's extensions, the benchmarks and the tests themselves.
TREES = ("nnlib", "ffgrader", "tools", "_ext", "bench", "tests")


# Underscored names the standard library documents as its public interface.
DOCUMENTED = {"os._exit", "sys._getframe", "sys._current_frames"}
# A module may name, in a module-level ``WHITE_BOX = ("pkg.module", ...)``, the modules whose private parts it
# tests or times on purpose (the fast path's own tests and benchmark, the mutation tests' helpers); a reach into
# any other module's private names is still found.


def _private(name: str) -> bool:
    # "_" alone is gettext's translation function (sphinx.locale._ is documented for extensions), not private
    return name.startswith("_") and name != "_" and not (name.startswith("__") and name.endswith("__"))


def _roots_of(path: Path) -> list[Path]:
    """Where the module at ``path`` is imported from, first, then where the modules it imports live: the
    book's Sphinx extensions import as ``reader`` (_config.yml puts _ext/ on sys.path) and the tests import
    their helpers as ``_browser`` or ``attacks.course`` (pytest puts tests/ on sys.path)."""
    for top in ("_ext", "tests"):
        if path.is_relative_to(REPO / top):
            return [REPO / top, REPO] + ([REPO / "_ext"] if top == "tests" else [])
    return [REPO]


def _module_of(path: Path) -> str:
    parts = path.relative_to(_roots_of(path)[0]).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str, roots: list[Path]) -> bool:
    """``name`` is a package or a module file under one of ``roots``."""
    rel = name.replace(".", "/")
    return any((r / rel / "__init__.py").is_file() or (r / f"{rel}.py").is_file() for r in roots)


def _is_package(name: str, roots: list[Path]) -> bool:
    return any((r / name.replace(".", "/") / "__init__.py").is_file() for r in roots)


def white_box(tree: ast.Module) -> set[str]:
    """The modules a module declares it tests from the inside (its ``WHITE_BOX`` tuple of names)."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "WHITE_BOX" for t in node.targets):
            value = ast.literal_eval(node.value)
            if not (isinstance(value, tuple) and all(isinstance(v, str) for v in value)):
                raise TypeError(f"WHITE_BOX must be a tuple of module names, got {value!r}")
            return set(value)
    return set()


def private_reaches(path: Path) -> list[str]:
    """Where the module at ``path`` imports a private name of another module, imports a private module from
    outside the package that holds it, or reads ``module._name`` of a module it imported (except in the
    modules it names in ``WHITE_BOX``)."""
    roots = _roots_of(path)
    module = _module_of(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed = white_box(tree)
    found, module_names = [], {}

    def check_module(target: str, line: int):
        parts = target.split(".")
        for i, part in enumerate(parts):
            if _private(part):
                holder = ".".join(parts[:i])  # the package the private module belongs to
                inside = package == holder or package.startswith(holder + ".") if holder else \
                    package == "" and (roots[0] / f"{part}.py").is_file()  # a helper beside a top-level module
                if not inside and ".".join(parts[:i + 1]) not in allowed:
                    found.append(f"{module}:{line} imports the private module {'.'.join(parts[:i + 1])}")
                return

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                check_module(alias.name, node.lineno)
                if alias.asname:
                    module_names[alias.asname] = alias.name
                else:
                    module_names[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            check_module(base, node.lineno)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if _private(alias.name):
                    if _is_package(base, roots) and _is_module(full, roots):
                        check_module(full, node.lineno)      # a private submodule: the package rule above
                    elif base not in allowed:
                        found.append(f"{module}:{node.lineno} imports the private name {full}")
                elif _is_module(full, roots):
                    module_names[alias.asname or alias.name] = full
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and _private(node.attr) and isinstance(node.value, ast.Name)
                and node.value.id in module_names and f"{node.value.id}.{node.attr}" not in DOCUMENTED
                and module_names[node.value.id] not in allowed):
            found.append(f"{module}:{node.lineno} reads {node.value.id}.{node.attr}, private to that module")
    return sorted(set(found))


@pytest.mark.parametrize("tree", TREES)
def test_no_module_reaches_into_another_modules_private_names(tree):
    offenders = [o for p in sorted((REPO / tree).rglob("*.py")) if "__pycache__" not in p.parts
                 for o in private_reaches(p)]
    assert offenders == [], "\n".join(offenders)


def test_the_private_reach_check_finds_each_kind(tmp_path, monkeypatch):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    for f in ("__init__.py", "_impl.py", "public.py", "sub/__init__.py"):
        (pkg / f).write_text("_hidden = 1\nshown = 2\n")
    (pkg / "sub" / "user.py").write_text(
        "from pkg.public import _hidden\n"          # a private name
        "from pkg._impl import shown\n"              # a private module of the parent package: allowed
        "from pkg import public\n"
        "x = public._hidden\n"                       # a private attribute of an imported module
        "import json._private_thing\n")              # a private module of another package
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    got = private_reaches(pkg / "sub" / "user.py")
    assert got == ["pkg.sub.user:1 imports the private name pkg.public._hidden",
                   "pkg.sub.user:4 reads public._hidden, private to that module",
                   "pkg.sub.user:5 imports the private module json._private_thing"], got


def test_white_box_allows_only_the_modules_it_names(tmp_path, monkeypatch):
    """A test that names ``pkg.public`` in WHITE_BOX may read its privates, and only its: the same reaches into
    ``pkg.other`` are found; a helper module beside the tests (``_helper``) is theirs to import."""
    pkg, tests = tmp_path / "pkg", tmp_path / "tests"
    pkg.mkdir()
    tests.mkdir()
    for f in ("__init__.py", "_impl.py", "public.py", "other.py"):
        (pkg / f).write_text("_hidden = 1\nshown = 2\n")
    (tests / "_helper.py").write_text("shown = 1\n")
    (tests / "test_user.py").write_text(
        'WHITE_BOX = ("pkg.public", "pkg._impl")\n'
        "from _helper import shown\n"
        "from pkg import _impl, other, public\n"
        "from pkg.public import _hidden\n"
        "from pkg.other import _hidden as h\n"
        "x = public._hidden + other._hidden\n")
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    got = private_reaches(tests / "test_user.py")
    assert got == ["test_user:5 imports the private name pkg.other._hidden",
                   "test_user:6 reads other._hidden, private to that module"], got


def test_the_installed_packages_do_not_edit_the_import_path():
    """nnlib, ffgrader and tools are installed (pyproject.toml; make installs the repository): they import one
    another as packages. The one exception is tools/glossary.py, which reads the book's Sphinx extension
    ``reader`` from _ext/ (not a package that is installed), to see the glossary's names as the extension does."""
    edits = []
    for tree in ("nnlib", "ffgrader", "tools"):
        for path in sorted((REPO / tree).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and ast.unparse(node.func.value) == "sys.path"):
                    edits.append((str(path.relative_to(REPO)), ast.unparse(node)))
    assert edits == [("tools/glossary.py", "sys.path.insert(0, str(ROOT / '_ext'))")], edits


def test_the_fast_path_uses_only_public_hooks():
    """nnlib/_fast.py reads no private attribute of the network, its layers, the loss or the optimizer."""
    tree = ast.parse((PKG / "_fast.py").read_text(encoding="utf-8"))
    reaches = sorted({f"{ast.unparse(n.value)}.{n.attr} (line {n.lineno})" for n in ast.walk(tree)
                      if isinstance(n, ast.Attribute) and _private(n.attr)
                      and not (isinstance(n.value, ast.Name) and n.value.id == "self")})
    assert reaches == [], reaches


def test_every_package_is_installed():
    """pyproject.toml lists packages by name: a new subpackage left out works from the checkout (tests import
    it from there) but is missing where the course is installed (the hub's shared environment)."""
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {str(p.parent.relative_to(REPO)).replace("/", ".") for tree in ("nnlib", "ffgrader", "tools")
             for p in (REPO / tree).rglob("__init__.py") if "__pycache__" not in p.parts}
    assert found <= listed, f"packages not installed by pyproject.toml: {sorted(found - listed)}"
