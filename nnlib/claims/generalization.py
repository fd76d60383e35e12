"""Claims of the chapter *Generalization* (book/generalization.md): inverted dropout."""

from __future__ import annotations

import sympy as sp

from nnlib.claims._common import descriptions_of, section

__all__ = ["SECTIONS", "DESCRIPTIONS"]  # its claims, by section (the builders' helpers are not API)


@section({
    "dropout_inverted_moments": ("inverted dropout m = 0 w.p. p, 1/(1 − p) w.p. 1 − p: E[a m] = a and "
                                 "Var(a m) = a² p/(1 − p), so evaluation mode uses a unchanged", "001 §2.1.2 (Dropout)"),
})
def dropout(claim):
    p = sp.Symbol("p", positive=True)
    a = sp.Symbol("a", real=True)
    values, probs = (0, 1 / (1 - p)), (p, 1 - p)
    mean = sum(pr * a * v for v, pr in zip(values, probs))
    second = sum(pr * (a * v)**2 for v, pr in zip(values, probs))
    yield claim("dropout_inverted_moments", sp.Matrix([mean, second - mean**2]),
                sp.Matrix([a, a**2 * p / (1 - p)]), sample={p: (0.01, 0.95)})


SECTIONS = (dropout,)
DESCRIPTIONS = descriptions_of(SECTIONS)
