"""Registry of every formula the book states, as SymPy claims (see :mod:`nnlib.symbolic`), one module per chapter.

``neurons``, ``activations``, ``perceptron``, ``xor``, ``universal_approximation``, ``losses``, ``backprop``,
``training``, ``generalization``, ``project`` and ``linear_algebra`` (the appendix) each hold the claims their page states
first; ``errata`` holds the sources' mistakes. A chapter module is a few *sections*: a builder decorated with
``@section({name: (description, source reference), ...})`` that yields those claims, and at its end
``SECTIONS`` (its sections, in order) and ``DESCRIPTIONS = descriptions_of(SECTIONS)``.

A section is built the first time one of its claims is asked for (:func:`claim`), so a page pays only for
the sections it cites; :func:`registry` builds them all.

Adding a claim means editing one chapter module: add ``"name": ("description", "source")`` to the dict of the
section it belongs to and ``yield claim("name", lhs, rhs)`` to that section's builder (or write a new
section and append it to the module's ``SECTIONS``). Nothing here changes: the package collects the chapters'
descriptions, and a name described twice, or a builder that yields other claims than it describes, is an error.
Cite the claim on the page with ``check("name")``. An erratum is one function in :mod:`nnlib.claims.errata`.

Shared symbols and helpers (``x``, ``beta``, ``eta``, ``vec``, ``mat``, ``grad``, ``indicator``, ``maxout``) live
in ``nnlib.claims._common``, used only inside this package; the tests import them from here.
"""

from __future__ import annotations

from types import MappingProxyType

from nnlib.claims import (activations, backprop, generalization, linear_algebra, losses, neurons, perceptron,
                          project, training, universal_approximation, xor)
from nnlib.claims._common import (Section, beta, descriptions_of, eta, gamma, gamma_pos, grad, indicator, mat,  # noqa: F401
                                  maxout, section, vec, x)
from nnlib.claims.backprop import small_network, small_network_formula, two_layer_net  # noqa: F401
from nnlib.claims.errata import TITLES, Erratum, errata, errata_keys
from nnlib.claims.neurons import mp_unit  # noqa: F401
from nnlib.claims.perceptron import sign_rule_cases  # noqa: F401
from nnlib.claims.training import expectation  # noqa: F401
from nnlib.claims.universal_approximation import relu_hat  # noqa: F401
from nnlib.claims.xor import step  # noqa: F401
from nnlib._checks import unknown_name_error
from nnlib.symbolic_core import Claim

# The registry is the public interface; the symbols and builders below are imported for the chapter modules'
# tests (``C.vec``, ``C.two_layer_net``), not for readers of the book, so they are not in __all__.
__all__ = [
    "CHAPTERS", "SECTIONS", "DESCRIPTIONS", "Claim", "claim", "registry", "section_of",
    "errata", "errata_keys", "Erratum", "TITLES",
]

# The chapters in the order of the book (the appendix last): the order of DESCRIPTIONS and of registry().
CHAPTERS = (neurons, activations, perceptron, xor, universal_approximation, losses, backprop, training,
            generalization, project, linear_algebra)


def _sections_of(chapter) -> tuple:
    declared = tuple(chapter.SECTIONS)
    defined = [v for v in vars(chapter).values() if isinstance(v, Section)]
    missing = [s.name for s in defined if s not in declared]
    if missing:
        raise RuntimeError(f"{chapter.__name__}: sections {missing} are not listed in its SECTIONS")
    if dict(chapter.DESCRIPTIONS) != dict(descriptions_of(declared)):
        raise RuntimeError(f"{chapter.__name__}.DESCRIPTIONS must be descriptions_of(SECTIONS)")
    return declared


SECTIONS: tuple = tuple(s for chapter in CHAPTERS for s in _sections_of(chapter))
DESCRIPTIONS = descriptions_of(SECTIONS)  # name -> (description, source); read-only
_SECTION_OF = MappingProxyType({name: s for s in SECTIONS for name in s.descriptions})


def section_of(name: str) -> Section:
    """The :class:`Section` that builds the claim ``name`` (nothing is built); an unknown name is a ValueError."""
    if not isinstance(name, str):
        raise TypeError(f"claim name must be a str, got {type(name).__name__} {name!r:.40}")
    if name not in _SECTION_OF:
        raise unknown_name_error("claim", name, _SECTION_OF)
    return _SECTION_OF[name]


def claim(name: str) -> Claim:
    """The Claim called ``name``; only its section of the registry is built (and then cached)."""
    return section_of(name).claims[name]


def registry() -> dict:
    """name -> Claim for every claim of the book, in DESCRIPTIONS order (builds every section)."""
    return {name: claim(name) for name in DESCRIPTIONS}
