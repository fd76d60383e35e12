"""SymPy verification layer: every formula the book states is a *claim* checked here.

A :class:`Claim` is a name, a left side, a right side (SymPy expressions or matrices), the symbols
with their assumptions, a description and a source reference. :func:`verify` decides it:

* ``refuted``   -- ``lhs != rhs`` at a concrete point, evaluated with mpmath at 50 digits; the
  counterexample (symbol values, both sides) is part of the result. The numbers run first (at
  ``n_points`` random points respecting the symbols' assumptions and ``Claim.sample`` ranges).
* ``proved``    -- the numbers agree and SymPy reduced ``lhs - rhs`` to exactly 0 (entrywise for
  matrices). Piecewise expressions (max, min, Heaviside, |x|, cases) are cut at the exact roots of
  their conditions in one variable and the branch active on every interval is reduced separately
  (the roots may be expressions in the other symbols, e.g. x = t - h, t, t + h, when the symbols'
  assumptions decide their order); the kinks themselves are exempt only for claims marked
  ``almost_everywhere`` (derivatives at a kink).
* ``undecided`` -- SymPy could not reduce the difference to 0 and no sampled point disagrees. This is
  *never* reported as proved; the method says how many points were consistent.

Book pages call :func:`check` (alias :func:`show`) in a cell whose output is folded: it prints a
compact table and raises :class:`ClaimNotProved` if a claim is not proved, so the page build fails.

>>> from nnlib.symbolic import check
>>> check("logistic_derivative", "tanh_derivative")   # doctest: +SKIP

Claim names: ``names()`` lists them, ``claims()`` returns name -> description and ``get(name)`` the
:class:`Claim`. They live in :mod:`nnlib.claims`, one module per chapter (``nnlib/claims/activations.py``
holds the claims the activations page states, and so on); the sources' mistakes are in
:mod:`nnlib.claims.errata` (``errata()`` returns key -> Erratum; ``check_erratum(key)`` shows the source's
version refuted and the corrected one proved, and raises otherwise).

Symbolic activations (functions of a SymPy expression): :func:`sigmoid` (= :func:`logistic`),
:func:`tanh`, :func:`relu`, :func:`leaky_relu` (slope γ), :func:`elu` (scale γ, the sources' name for
the α of other texts), :func:`softplus`, :func:`hard_logistic`, :func:`hard_tanh`, :func:`swish` (β),
:func:`gelu` (Gaussian CDF Φ via erf), :func:`softmax`; losses :func:`mse`, :func:`bce`, :func:`cce`.
"""

from __future__ import annotations

from nnlib import claims as _claims
from nnlib.symbolic_core import *  # noqa: F401,F403 - the engine is part of this module's API
from nnlib.symbolic_core import __all__ as _core_all
from nnlib.symbolic_core import Claim, ClaimNotProved, Result
from nnlib.symbolic_core import verify as _verify_claim

__all__ = [*_core_all, "results", "check", "show", "errata", "check_erratum", "claims", "get", "names"]


# ---------------------------------------------------------------------------------------------
# Registry access and the book helper
# ---------------------------------------------------------------------------------------------

_CACHE: dict[str, Result] = {}


def names() -> list[str]:
    """All registered claim names, chapter by chapter in the order of the book."""
    return list(_claims.DESCRIPTIONS)


def claims() -> dict[str, str]:
    """name -> one-line description of every registered claim (builds no claim)."""
    return {name: desc for name, (desc, _) in _claims.DESCRIPTIONS.items()}


def get(name: str) -> Claim:
    """The registered :class:`Claim` called ``name`` (building only its section of the registry)."""
    if not isinstance(name, str):
        raise TypeError(f"claim name must be a str, got {type(name).__name__}")
    known = _claims.DESCRIPTIONS
    if name not in known:
        raise ValueError(f"unknown claim {name!r}; known claims: {', '.join(known)}")
    return _claims.claim(name)


def verify(claim, *, n_points: int = 24, rng=0, digits: int = 50) -> Result:
    """Decide ``claim``, a :class:`Claim` or the name of a registered one (see the module docstring)."""
    if isinstance(claim, str):
        claim = get(claim)
    return _verify_claim(claim, n_points=n_points, rng=rng, digits=digits)


def _flatten(items) -> list:
    out = []
    for item in items:
        if isinstance(item, (str, Claim)):
            out.append(item)
        elif isinstance(item, (list, tuple)):
            out.extend(_flatten(item))
        else:
            raise TypeError(f"names_or_claims must be claim names or Claims, got {type(item).__name__} {item!r:.40}")
    return out


def results(*names_or_claims) -> list[Result]:
    """Verify claims (names, Claims, or lists of them) and return their Results, without raising.

    Registry results are cached per process (a page may cite the same claim twice).
    """
    items = _flatten(names_or_claims)
    if not items:
        raise ValueError("check() needs at least one claim name (names_or_claims is empty)")
    out = []
    for item in items:
        if isinstance(item, str):
            get(item)  # unknown names fail here, listing the known ones
            if item not in _CACHE:
                _CACHE[item] = verify(item)
            out.append(_CACHE[item])
        else:
            out.append(verify(item))
    return out


def _short(point: dict, limit: int = 4) -> str:
    items = [f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in point.items()]
    return ", ".join(items[:limit]) + (", …" if len(items) > limit else "")


def _table(res, marks) -> None:
    width = max(len(r.name) for r in res)
    for mark, r in zip(marks, res):
        line = f"{mark} {r.name:<{width}}  {r.status:<9}  {r.method}"
        if r.counterexample is not None:
            line += f"  at {_short(r.counterexample)}: {r.detail}"
        print(line)


def check(*names_or_claims) -> None:
    """Verify claims, print a compact table, raise :class:`ClaimNotProved` unless all are proved.

    Returns None so that a notebook cell shows only the table.
    """
    res = results(*names_or_claims)
    _table(res, ["✓" if r.proved else "✗" for r in res])
    bad = [r for r in res if not r.proved]
    if bad:
        raise ClaimNotProved("; ".join(str(r) for r in bad))


show = check


def errata() -> dict:
    """key -> Erratum (source title, location, stated/correct LaTeX, wrong/right claims)."""
    return _claims.errata()


def check_erratum(*keys) -> None:
    """For each erratum: the source's version must be refuted and the corrected one proved.

    Prints one line per claim; raises :class:`ClaimNotProved` otherwise (a failing page build).
    """
    known = errata()
    if not keys:
        raise ValueError("check_erratum() needs at least one erratum key")
    res, marks, bad = [], [], []
    for key in keys:
        if not isinstance(key, str):
            raise TypeError(f"keys must be erratum keys (str), got {type(key).__name__} {key!r:.40}")
        if key not in known:
            raise ValueError(f"unknown erratum {key!r:.60}; known errata: {', '.join(known)}")
        e = known[key]
        wrong, right = verify(e.wrong), verify(e.right)
        res += [wrong, right]
        marks += ["✓" if wrong.status == "refuted" else "✗", "✓" if right.proved else "✗"]
        if wrong.status != "refuted":
            bad.append(f"{wrong.name} should be refuted but is {wrong.status}")
        if not right.proved:
            bad.append(f"{right.name} should be proved but is {right.status}")
    _table(res, marks)
    if bad:
        raise ClaimNotProved("; ".join(bad))
