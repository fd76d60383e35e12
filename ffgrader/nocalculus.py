"""A copy of SymPy without its calculus, for the answer cells of by-hand parts (trusted side).

A part that asks for a derivation by hand is graded from a second sandboxed worker in which the installed
``sympy`` package is replaced (bind-mounted over it) by a copy generated here from SymPy's own source: every
function or method whose name says it differentiates, integrates, takes a limit or expands a series
(``diff``, ``fdiff``, ``_eval_derivative``, ``_derivative_dispatch``, ``integrate``, ``limit``, ``series``,
``_eval_nseries``, ``jacobian``, ``dup_diff`` ...; ``CALCULUS_TOKENS``) raises ``NotImplementedError``
instead, and so do the constructors of ``Derivative``, ``Integral``, ``Limit`` and ``ArrayDerivative``. The
original source is not visible in that sandbox, so reloading, re-importing, ``inspect``-ing or reading SymPy
from disk finds only the copy. Algebra (building expressions, ``simplify``, ``expand``, ``srepr``) works.

The copy is generated once per SymPy installation and generator version, byte-compiled, and kept in a
private cache directory (``cache_dir``); a grader run reuses it.
"""

from __future__ import annotations

import ast
import compileall
import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

MESSAGE = ("SymPy's calculus is switched off while a by-hand answer is graded: derive the result by hand "
           "and type it in")
# A function is calculus if one of the words of its name (split at '_') is one of these.
CALCULUS_TOKENS = frozenset({
    "diff", "fdiff", "differentiate", "derivative", "derivatives", "deriv", "integrate", "integral",
    "integrals", "integration", "antiderivative", "heurisch", "risch", "meijerint", "manualintegrate", "ratint",
    "limit", "limits", "gruntz", "series", "nseries", "lseries", "aseries", "taylor", "leadterm", "fps",
    "jacobian", "hessian", "wronskian", "gradient", "divergence", "curl", "laplacian", "dsolve", "pdsolve",
})
CALCULUS_NAMES = frozenset({"as_leading_term", "_eval_as_leading_term", "compute_leading_term"})
NOT_CALCULUS = frozenset({"_diff_wrt", "limit_denominator"})  # a flag and a rational approximation
# Formal derivatives of coefficient lists inside the polynomial algorithms (square-free parts, hence factor,
# gcd and simplify, need them); they take dense coefficient lists, not expressions. Modules left as they are.
POLYNOMIAL_KERNELS = ("polys/densebasic.py", "polys/densetools.py", "polys/densearith.py", "polys/galoistools.py",
                      "polys/sqfreetools.py", "polys/factortools.py", "polys/euclidtools.py")
CALCULUS_CLASSES = frozenset({"Derivative", "Integral", "Limit", "ArrayDerivative"})
GENERATOR_VERSION = "1"
_DEFINITION = re.compile(r"^\s*(def|class)\s+(\w+)", re.M)


def is_calculus(name: str) -> bool:
    if name in NOT_CALCULUS:
        return False
    return name in CALCULUS_NAMES or any(t in CALCULUS_TOKENS for t in name.lower().split("_"))


def _raise(what: str) -> ast.Raise:
    return ast.Raise(exc=ast.Call(func=ast.Name("NotImplementedError", ast.Load()),
                                  args=[ast.Constant(f"{MESSAGE} ({what})")], keywords=[]), cause=None)


class _Neuter(ast.NodeTransformer):
    def __init__(self):
        self.changed = 0

    def _function(self, node):
        if is_calculus(node.name):
            self.changed += 1
            doc = node.body[:1] if (node.body and isinstance(node.body[0], ast.Expr)
                                    and isinstance(node.body[0].value, ast.Constant)) else []
            node.body = doc + [_raise(node.name)]
            return node
        return self.generic_visit(node)

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_ClassDef(self, node):
        self.generic_visit(node)
        if node.name in CALCULUS_CLASSES:
            self.changed += 1
            body = [n for n in node.body if not (isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                                                 and n.name in ("__new__", "__init__", "doit"))]
            new = ast.parse("def __new__(cls, *args, **kwargs):\n    pass\n").body[0]
            new.body = [_raise(node.name)]
            node.body = body + [new]
        return node


# Internal uses of differentiation that answer another question (the sign of a polynomial on a half-line,
# for the assumption system): rewritten to a formal derivative of the coefficient list, which returns only
# that answer. module path -> [(text in SymPy's source, replacement)].
INTERNAL = {
    "core/exprtools.py": [("                d = self.diff(x)\n", "                d = _poly_slope(self, x)\n"),
                          ("def _monotonic_sign(self):", "def _poly_slope(p, x):\n"
                           "    from sympy.polys.polytools import Poly\n"
                           "    c = Poly(p, x).all_coeffs()\n"
                           "    n = len(c) - 1\n"
                           "    return Add(*[k * (n - i) * x ** (n - i - 1) for i, k in enumerate(c[:-1])])\n\n\n"
                           "def _monotonic_sign(self):")],
}


def neuter_source(source: str, relpath: str = "") -> str | None:
    """``source`` with its calculus functions raising, or None when it has none."""
    if relpath in POLYNOMIAL_KERNELS:
        return None
    patched = source
    for old, new in INTERNAL.get(relpath, ()):
        if patched.count(old) != 1:
            raise RuntimeError(f"sympy/{relpath}: expected one {old.strip()!r} (a SymPy version this generator "
                               "does not know)")
        patched = patched.replace(old, new)
    if not any(is_calculus(m.group(2)) if m.group(1) == "def" else m.group(2) in CALCULUS_CLASSES
               for m in _DEFINITION.finditer(patched)):
        return patched if patched != source else None
    neuter = _Neuter()
    tree = neuter.visit(ast.parse(patched))
    if not neuter.changed:
        return patched if patched != source else None
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _fingerprint(sympy_dir: Path) -> str:
    import sympy

    h = hashlib.sha256()
    h.update(f"{GENERATOR_VERSION}|{sympy.__version__}|{sympy_dir.resolve()}|".encode())
    h.update(Path(__file__).read_bytes())
    h.update(str((sympy_dir / "__init__.py").stat().st_mtime_ns).encode())
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    """A directory only this user can write: ``$FFGRADER_CACHE``, else ``$XDG_CACHE_HOME/ffgrader``, else
    ``~/.cache/ffgrader``."""
    base = os.environ.get("FFGRADER_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "ffgrader")
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    st = path.stat()
    if st.st_uid != os.getuid() or st.st_mode & 0o022:
        raise PermissionError(f"{path} must belong to this user and not be group/world-writable "
                              "(it holds the SymPy copy the by-hand sandboxes import)")
    return path


def sympy_without_calculus(inside_path: str, cache: Path | None = None) -> Path:
    """The directory of the generated ``sympy`` package (cached). ``inside_path``: where the sandbox mounts it
    (recorded in the compiled files, so tracebacks show that path)."""
    import sympy

    src = Path(sympy.__file__).resolve().parent
    cache = cache or cache_dir()
    target = cache / f"sympy-nocalculus-{_fingerprint(src)}"
    if (target / "sympy" / "__init__.py").is_file() and (target / "complete").is_file():
        return target / "sympy"
    work = Path(tempfile.mkdtemp(prefix="sympy-nocalculus-", dir=cache))
    try:
        out = work / "sympy"
        for root, dirs, files in os.walk(src):
            dirs[:] = [d for d in dirs if d not in ("__pycache__", "tests", "benchmarks")]
            rel = Path(root).relative_to(src)
            (out / rel).mkdir(parents=True, exist_ok=True)
            for name in files:
                if not name.endswith(".py"):
                    if not name.endswith((".pyc", ".pyo")):
                        shutil.copyfile(Path(root) / name, out / rel / name)
                    continue
                text = (Path(root) / name).read_text(encoding="utf-8")
                (out / rel / name).write_text(neuter_source(text, (rel / name).as_posix()) or text, encoding="utf-8")
        if not compileall.compile_dir(str(out), ddir=inside_path, quiet=1, workers=1):
            raise RuntimeError("the generated SymPy copy does not compile")
        (work / "complete").write_text("ok\n")
        try:
            os.rename(work, target)
        except OSError:  # another grading process finished the same copy first
            if not (target / "complete").is_file():
                raise
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target / "sympy"


def _main():
    import sys

    print(sympy_without_calculus(sys.argv[1] if len(sys.argv) > 1 else "/opt/site-packages/sympy"))


if __name__ == "__main__":
    _main()
