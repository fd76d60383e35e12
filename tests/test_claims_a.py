"""The claims added for the chapters neurons .. universal approximation (stream chapters-a) can fail: each
proved claim has a wrong twin, a plausible slip a student or a source could make, that SymPy refutes."""

import pytest
import sympy as sp

from nnlib import claims as C
from nnlib import symbolic as S
from nnlib.symbolic import verify

x = C.x


def _variants():
    tanh_sq = S.get("tanh_derivative_squeezed")
    yield tanh_sq.variant("2σ'(2x): forgot the chain-rule factor twice",
                          rhs=2 * sp.diff(S.sigmoid(x), x).subs(x, 2 * x))
    yield tanh_sq.variant("4σ'(x): the bell not squeezed", rhs=4 * sp.diff(S.sigmoid(x), x))
    lin = S.get("linear_activation_scaling")
    b, c = sp.symbols("b c", real=True)
    yield lin.variant("bias left unscaled", rhs=lin.rhs + (1 - c) * b)
    layer = S.get("delta_rule_layer")
    W = C.mat("W", 2, 3, real=True)
    without_fprime = sp.zeros(2, 3)                       # δ = t − a: the linear unit's rule used for σ units
    for k in (1, 2):
        xk, tk = C.vec(f"x{k}_", 3, real=True), C.vec(f"t{k}_", 2, real=True)
        without_fprime += C.eta * (tk - (W * xk).applyfunc(S.sigmoid)) * xk.T
    yield layer.variant("δ without σ'", rhs=without_fprime)
    yield layer.variant("½ differentiated away twice: update doubled", rhs=2 * layer.rhs)
    elu = S.get("elu_max_min_form")
    yield elu.variant("max(x, γ(eˣ − 1)): picks eˣ − 1 for x > 0", rhs=sp.Max(x, C.gamma_pos * (sp.exp(x) - 1)))
    sq = S.get("square_activation_quadratic")
    yield sq.variant("cross term without the 2", rhs=sq.rhs - sq.rhs.coeff(x, 1) * x / 2)


@pytest.mark.parametrize("claim", list(_variants()), ids=lambda c: c.name)
def test_wrong_variants_of_the_new_claims_are_refuted(claim):
    r = verify(claim)
    assert r.status == "refuted", str(r)
    assert r.counterexample is not None


@pytest.mark.parametrize("name", ["tanh_derivative_squeezed", "linear_activation_scaling", "delta_rule_layer",
                                  "square_activation_quadratic", "elu_max_min_form"])
def test_the_new_claims_are_proved(name):
    assert verify(name).status == "proved"


def test_the_tanh_crossing_the_page_quotes_follows_from_the_claim():
    # tanh'(z) = 4σ'(2z) = σ'(z) where the bells cross: the page says |z| = 1.663
    z = sp.Symbol("z", positive=True)
    crossing = sp.nsolve(4 * sp.diff(S.sigmoid(z), z).subs(z, 2 * z) - sp.diff(S.sigmoid(z), z), z, 1.5)
    assert abs(float(crossing) - 1.663) < 5e-4
