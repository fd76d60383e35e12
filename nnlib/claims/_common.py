"""What the chapter modules of :mod:`nnlib.claims` share (private to the package).

The symbols several chapters use, the helpers that build vectors, matrices and gradients of symbols,
and the section machinery: :func:`section` turns a builder and the descriptions of the claims it
yields into a :class:`Section`, built (and then cached) the first time one of its claims is asked for.
"""

from __future__ import annotations

from functools import cached_property
from types import MappingProxyType
from typing import Callable, Iterable, Mapping

import sympy as sp

from nnlib._checks import as_count, as_identifier
from nnlib.symbolic_core import Claim

__all__ = ["x", "gamma", "gamma_pos", "beta", "eta", "indicator", "vec", "mat", "grad", "maxout", "Section", "section",
           "descriptions_of", "MAX_ENTRIES"]

#: Entries of one symbolic vector or matrix (each a SymPy symbol); the book's are a few dozen.
MAX_ENTRIES = 10_000

x = sp.Symbol("x", real=True)
gamma = sp.Symbol("gamma", real=True)
gamma_pos = sp.Symbol("gamma", positive=True)
beta = sp.Symbol("beta", positive=True)
eta = sp.Symbol("eta", positive=True)


def indicator(cond):
    """I(cond) as a Piecewise, the notation of the derivative table."""
    return sp.Piecewise((1, cond), (0, True))


def vec(name, n, **assumptions):
    """Column vector of n scalar symbols name1..name_n."""
    name, n = as_identifier(name, "name"), as_count(n, "n", min_value=1, limit=MAX_ENTRIES)
    return sp.Matrix([sp.Symbol(f"{name}{i + 1}", **assumptions) for i in range(n)])


def mat(name, rows, cols, **assumptions):
    """rows x cols matrix of scalar symbols name_ij (1-based)."""
    name = as_identifier(name, "name")
    rows, cols = as_count(rows, "rows", min_value=1), as_count(cols, "cols", min_value=1)
    as_count(rows * cols, "rows * cols", limit=MAX_ENTRIES)
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}{i + 1}{j + 1}", **assumptions))


def grad(expr, wrt):
    """Gradient of a scalar w.r.t. the entries of a Matrix, with the same shape as wrt."""
    return wrt.applyfunc(lambda s: sp.diff(expr, s))


def maxout(*pieces):
    """max_k z_k of the given net inputs (a maxout unit)."""
    return sp.Max(*pieces)


class Section:
    """Claims built together: ``descriptions`` (name -> (description, source reference)) and the builder.

    The builder takes one argument, ``claim(name, lhs, rhs, **kw)``, which makes the :class:`Claim` called
    ``name`` with its description and source; it yields exactly the claims ``descriptions`` names.
    """

    def __init__(self, builder: Callable[[Callable[..., Claim]], Iterable[Claim]],
                 descriptions: Mapping[str, tuple[str, str]]):
        if not descriptions:
            raise ValueError(f"section {builder.__name__} describes no claim")
        for name, entry in descriptions.items():
            if not (isinstance(entry, tuple) and len(entry) == 2 and all(isinstance(s, str) and s for s in entry)):
                raise TypeError(f"claim {name!r}: the description must be a pair of non-empty str "
                                f"(description, source reference), got {entry!r}")
        self.builder = builder
        self.name = f"{builder.__module__}.{builder.__name__}"
        self.descriptions = MappingProxyType(dict(descriptions))

    def __repr__(self) -> str:
        return f"<Section {self.name}: {', '.join(self.descriptions)}>"

    def _make(self, name, lhs, rhs, **kw) -> Claim:
        if name not in self.descriptions:
            raise KeyError(f"{self.name} builds {name!r}, which its descriptions do not name")
        desc, src = self.descriptions[name]
        return Claim(name, lhs, rhs, description=desc, source=src, **kw)

    @property
    def built(self) -> bool:
        """Whether :attr:`claims` has been built (in this process)."""
        return "claims" in self.__dict__

    @cached_property
    def claims(self) -> Mapping[str, Claim]:
        """name -> Claim, built on first access, in the order of ``descriptions``."""
        built = {}
        for c in self.builder(self._make):
            if c.name in built:
                raise RuntimeError(f"{self.name} builds {c.name!r} twice")
            built[c.name] = c
        if set(built) != set(self.descriptions):
            raise RuntimeError(f"{self.name} built {sorted(built)} but its descriptions name "
                               f"{sorted(self.descriptions)}")
        return MappingProxyType({name: built[name] for name in self.descriptions})


def section(descriptions: Mapping[str, tuple[str, str]]):
    """Decorator: the builder below, with the descriptions of the claims it yields, as a :class:`Section`."""
    def wrap(builder):
        return Section(builder, descriptions)
    return wrap


def descriptions_of(sections: Iterable[Section]) -> Mapping[str, tuple[str, str]]:
    """The descriptions of all ``sections``, in order, read-only; a name described twice is an error."""
    out: dict[str, tuple[str, str]] = {}
    for sec in sections:
        for name, entry in sec.descriptions.items():
            if name in out:
                raise ValueError(f"claim {name!r} is described twice (again in {sec.name})")
            out[name] = entry
    return MappingProxyType(out)
