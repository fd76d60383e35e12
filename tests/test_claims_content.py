"""The claims and errata added for issue 14 can fail: each proved claim has a wrong twin that is refuted.

(``tests/test_symbolic.py`` already proves every registered claim and decides every erratum; this file
checks that the new checks are not vacuous, and that the numbers the pages quote follow from them.)
"""

import numpy as np
import pytest
import sympy as sp

from nnlib import claims as C
from nnlib import symbolic as S
from nnlib.symbolic import verify

x = C.x


def _wrong(name, rhs, **changes):
    return S.get(name).variant("wrong", rhs=rhs, **changes)


def _with_entry(name, index, value):
    claim = S.get(name)
    rhs = claim.rhs.copy()
    rhs[index] = value
    return claim.variant("wrong", rhs=rhs)


def _momentum_slides():
    a, eta = sp.symbols("a eta", positive=True)
    w_t, w_prev, g = sp.symbols("w_t w_tm1 g", real=True)
    return _wrong("momentum_slides_form", sp.Matrix([w_t + a * (w_t - w_prev) - eta * g, -eta * g / (1 - a)]))


def _quadratic_modes():
    l1, l2, alpha = sp.symbols("lambda1 lambda2 alpha", positive=True)
    th = C.vec("theta", 2, real=True)
    return _wrong("gd_quadratic_modes", sp.diag(1 - alpha * l1, 1 - alpha * l2) * th)   # ignores the rotation


# Built when the test runs (not at collection: that would cost every xdist worker the SymPy work).
VARIANTS = {
    "swish_scaling": lambda: _wrong("swish_scaling", S.swish(C.beta * x, 1) / C.beta**2),  # minimum as 1/β²
    "activation_means_gaussian": lambda: _with_entry("activation_means_gaussian", 0, sp.Rational(1, 2)),  # E ReLU = 1/2
    "elu_range": lambda: _with_entry("elu_range", 0, -1),                      # range (−1, ∞) for every γ
    "gd_step_factor": lambda: _with_entry("gd_step_factor", 2, -sp.Rational(9, 10)),  # "2.1/λ still contracts"
    "momentum_slides_form": _momentum_slides,
    "novikoff_steps": lambda: _with_entry("novikoff_steps", 1, S.get("novikoff_steps").rhs[1] + 1),  # off by one
    "backward_variance": lambda: _wrong("backward_variance", S.get("backward_variance").rhs / 3 * 2),  # "M − 1 terms"
    "gd_quadratic_modes": _quadratic_modes,
    "delta_rule_general": lambda: _with_entry("delta_rule_general", 2, S.get("delta_rule_general").rhs[2] * 2),
    "first_order_taylor": lambda: _wrong("first_order_taylor", S.get("first_order_taylor").rhs * 2),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_wrong_variants_of_the_new_claims_are_refuted(name):
    claim = VARIANTS[name]()
    assert claim.name == f"{name}:wrong"
    r = verify(claim)
    assert r.status == "refuted", str(r)
    assert r.counterexample


def test_quoted_numbers_follow_from_the_claims():
    # activation means quoted in the summary table of the activations chapter
    means = [float(v) for v in S.get("activation_means_gaussian").rhs.subs(sp.Symbol("gamma", real=True), 0.01)]
    assert np.allclose(means, [0.3989, 0.3949, 0.1605, 0.2821], atol=5e-4)
    # the swish minimum −0.2785/β for several β, from the scaling identity and one minimisation
    z = np.linspace(-10, 0, 200001)
    m1 = np.min(z / (1 + np.exp(-z)))
    for beta in (0.25, 1.0, 3.0):
        assert np.isclose(np.min(z / beta / (1 + np.exp(-z))), m1 / beta)
    assert np.isclose(m1, -0.2785, atol=1e-4)


def test_new_errata_are_registered_with_sources_and_statements():
    new = ["ce_gradient_needs_sum_one_001", "prelu_max_form_001", "single_path_chain_003", "taylor_guarantee_003",
           "batch_sum_double_count_002", "softmax_normalization_004", "argmax_any_activation_003",
           "gelu_standard_normal_000", "weight_shape_003", "mp_threshold_strict_001"]
    errata = C.errata()
    assert all(k in errata for k in new)
    assert len(errata) == 11 + len(new) + 6  # + the six of issue 20's second reading (tests/test_errata.py)
    for k in new:
        e = errata[k]
        assert e.source in C.TITLES and k.endswith(e.source)
        assert e.stated != e.correct


def test_taylor_erratum_rises_beyond_two_over_lambda():
    e = C.errata()["taylor_guarantee_003"]
    lam, alpha = sp.symbols("lambda alpha", positive=True)
    theta = sp.Symbol("theta", real=True)
    exact = e.right.rhs
    J0 = lam * theta**2 / 2
    for c, rises in ((1.9, False), (2.1, True)):
        value = float((exact - J0).subs({lam: 3, theta: 0.7, alpha: c / 3}))
        assert (value > 0) is rises


def test_initialization_claims_no_longer_cite_source_004():
    for name in ("uniform_variance", "forward_variance", "relu_second_moment", "backward_variance"):
        assert "004" not in S.get(name).source and "Glorot" in S.get(name).source


def test_dropout_moments_wrong_scaling_is_refuted():
    # without the 1/(1 − p) of inverted dropout the mean is (1 − p) a, not a
    claim = S.get("dropout_inverted_moments")
    p, a = sp.Symbol("p", positive=True), sp.Symbol("a", real=True)
    wrong = claim.variant("no_rescale", rhs=sp.Matrix([(1 - p) * a, claim.rhs[1]]))
    assert verify(wrong).status == "refuted"
    assert verify(claim).status == "proved"
