"""The project page's claims (nnlib/claims/project.py) are proved, and each has a wrong twin that is refuted,
so the checks on the page are not vacuous."""

from __future__ import annotations

import pytest
import sympy as sp

from nnlib import claims as C
from nnlib import symbolic as S
from nnlib.symbolic import verify

NAMES = list(C.project.DESCRIPTIONS)


def test_the_chapter_module_is_registered():
    assert C.project in C.CHAPTERS
    assert NAMES == ["softmax_equal_logits_loss", "softmax_ce_hessian_variance", "accuracy_standard_error",
                     "max_of_k_density"]


@pytest.mark.parametrize("name", NAMES)
def test_proved(name):
    assert verify(name).proved, str(verify(name))


def _wrong_twins():
    equal = S.get("softmax_equal_logits_loss")
    wrong = equal.rhs.copy()
    wrong[10:, 0] = sp.Matrix([sp.log(9)] * 10)                                    # "ln(K − 1)"
    yield equal.variant("wrong", rhs=wrong)
    hess = S.get("softmax_ce_hessian_variance")
    wrong = hess.rhs.copy()
    wrong[0] = wrong[0] * 2                                                         # twice the variance
    yield hess.variant("wrong", rhs=wrong)
    se = S.get("accuracy_standard_error")
    p, n = (sp.Symbol("p", positive=True), sp.Symbol("n", positive=True, integer=True))
    yield se.variant("wrong", rhs=sp.Matrix([p, p * (1 - p) / sp.sqrt(n)]))        # standard error for variance
    dens = S.get("max_of_k_density")
    yield dens.variant("wrong", rhs=dens.rhs * 2)


@pytest.mark.parametrize("claim", list(_wrong_twins()), ids=lambda c: c.name)
def test_a_wrong_twin_is_refuted(claim):
    r = verify(claim)
    assert r.status == "refuted", str(r)
    # a counterexample names values of the symbols; the equal-logits claim has none left after SymPy cancels e^c
    assert r.counterexample or not (claim.lhs.free_symbols | claim.rhs.free_symbols)
