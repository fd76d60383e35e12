"""The SymPy verification layer: every claim proves, wrong formulas are refuted, nothing is proved
that SymPy did not show, and the symbolic activations agree with nnlib.activations numerically."""

import numpy as np
import pytest
import sympy as sp

from nnlib import claims as C
from nnlib import symbolic as S
from nnlib.symbolic import Claim, ClaimNotProved, verify

x = C.x


# --- every registered claim and every erratum ---------------------------------------------------

@pytest.mark.parametrize("name", list(C.DESCRIPTIONS))
def test_every_claim_is_proved(name):
    r = verify(name)
    assert r.status == "proved", str(r)
    assert r.counterexample is None
    # the numbers were really compared, not skipped
    assert int(r.detail.split(" at ")[1].split()[0]) >= 20, r.detail


def test_registry_and_docstring_agree():
    names = S.names()
    assert names == list(C.DESCRIPTIONS)
    assert S.claims() == {n: C.DESCRIPTIONS[n][0] for n in names}
    doc = S.__doc__
    for n in names + list(S.errata()):
        assert n in doc, f"{n} missing from the nnlib.symbolic docstring"
    for n in names:
        assert S.get(n).source, n


@pytest.mark.parametrize("key", list(C.errata()))
def test_erratum_source_refuted_correction_proved(key):
    e = C.errata()[key]
    wrong, right = verify(e.wrong), verify(e.right)
    assert wrong.status == "refuted", str(wrong)
    assert wrong.counterexample, "a refutation must come with a counterexample"
    assert right.status == "proved", str(right)
    assert e.title and e.location and e.stated and e.correct


# --- deliberately wrong variants ----------------------------------------------------------------

def _wrong_variants():
    f = S.sigmoid(x)
    b = C.beta
    s = S.sigmoid(b * x)
    phi = sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)
    jac = S.get("softmax_jacobian")
    K = jac.rhs.shape[0]
    z = C.vec("z", K, real=True)
    sm = S.softmax(z)
    wrong_entry = jac.rhs.copy()
    wrong_entry[0, 1] = 1 - sm[0] * sm[1]  # the source's off-diagonal entry
    wrong_diag = jac.rhs.copy()
    wrong_diag[2, 2] = sm[2] * (1 + sm[2])
    net = C.two_layer_net()
    a2, y, W2, a1 = net["a2"], net["y"], net["W2"], net["a1"]
    delta2 = (a2 - y).multiply_elementwise(a2.applyfunc(lambda v: v * (1 - v)))
    M = sp.symbols("M0:4", positive=True, integer=True)
    rec = S.get("delta_recursion")
    t = sp.Symbol("t", real=True)
    xv = C.vec("x", 3, real=True)
    wx = (C.vec("w", 3, real=True).T * xv)[0]
    ys, s_, sigma = sp.Symbol("y", real=True), sp.Symbol("s", positive=True), sp.Symbol("sigma", positive=True)
    a0 = C.vec("x", 2, real=True)
    W1c, W2c = C.mat("W1_", 3, 2, real=True), C.mat("W2_", 2, 3, real=True)
    b2c = C.vec("b2_", 2, real=True)
    return [
        ("logistic_derivative", "dropped factor", dict(rhs=f)),
        ("logistic_derivative", "wrong sign", dict(rhs=f * (f - 1))),
        ("tanh_derivative", "wrong sign", dict(rhs=1 + S.tanh(x)**2)),
        ("softplus_derivative", "tanh instead", dict(rhs=S.tanh(x))),
        ("relu_derivative", "wrong side", dict(rhs=C.indicator(x < 0))),
        ("elu_derivative", "dropped gamma", dict(rhs=C.indicator(x > 0) + C.indicator(x <= 0) * sp.exp(x))),
        ("leaky_relu_derivative", "slope 1 everywhere", dict(rhs=sp.Integer(1))),
        ("hard_tanh_derivative", "interval too wide", dict(rhs=C.indicator(sp.Abs(x) < 2))),
        ("hard_logistic_derivative", "slope 1/2", dict(rhs=sp.Piecewise((sp.Rational(1, 2), sp.Abs(x) < 2),
                                                                       (0, True)))),
        ("swish_derivative", "dropped beta", dict(rhs=s + x * s * (1 - s))),
        ("gelu_derivative", "dropped x", dict(rhs=S.gaussian_cdf(x) + phi)),
        ("softmax_jacobian", "wrong off-diagonal entry", dict(rhs=wrong_entry)),
        ("softmax_jacobian", "wrong diagonal entry", dict(rhs=wrong_diag)),
        ("softmax_ce_gradient", "wrong sign", dict(rhs=-S.get("softmax_ce_gradient").rhs)),
        ("sigmoid_is_two_class_softmax", "sum instead of difference",
         dict(rhs=S.sigmoid(z[0] + z[1]))),
        ("delta_recursion", "dropped f'", dict(rhs=W2.T * delta2)),
        ("delta_recursion", "wrong sign", dict(rhs=-rec.rhs)),
        ("weight_gradient_outer_product", "extra factor 2",
         dict(rhs=S.get("weight_gradient_outer_product").rhs * 2)),
        ("bias_gradient", "dropped hidden f'", dict(rhs=sp.Matrix([*(W2.T * delta2), *delta2]))),
        ("autodiff_example", "1/2", dict(rhs=sp.Matrix([sp.Rational(1, 2), sp.Rational(1, 4)]))),
        ("parameter_count", "no biases", dict(rhs=sum(M[l - 1] * M[l] for l in range(1, 4)))),
        ("delta_rule_linear", "wrong sign", dict(rhs=-S.get("delta_rule_linear").rhs)),
        ("delta_rule_sigmoid", "dropped y(1-y)", dict(rhs=C.eta * (t - S.sigmoid(wx)) * xv)),
        ("bce_from_likelihood", "dropped (1-y) term", dict(rhs=-ys * sp.log(1 / (1 + s_)))),
        ("mse_from_gaussian_likelihood", "dropped normaliser",
         dict(rhs=(ys - sp.Symbol("yhat", real=True))**2 / (2 * sigma**2))),
        ("linear_layers_collapse", "dropped W2 b1", dict(rhs=(W2c * W1c) * a0 + b2c)),
        ("prelu_derivative", "gamma-gradient on the wrong side",
         dict(rhs=sp.Matrix([S.get("prelu_derivative").rhs[0], sp.Max(0, x)]))),
        ("tanh_logistic_relation", "argument x instead of 2x", dict(rhs=2 * S.sigmoid(x) - 1)),
        ("softmax_shift_invariance", "scaling instead of shift", dict(lhs=S.softmax(2 * z))),
        ("sigmoid_bce_gradient", "dropped -y", dict(rhs=S.get("sigmoid_bce_gradient").rhs + ys)),
        ("mse_gradient", "wrong sign", dict(rhs=-S.get("mse_gradient").rhs)),
        ("cce_from_likelihood", "dropped a label",
         dict(rhs=S.get("cce_from_likelihood").rhs.subs(sp.Symbol("y3", real=True), 0))),
        ("batch_weight_gradient", "no 1/N", dict(rhs=S.get("batch_weight_gradient").rhs * 2)),
        ("mcculloch_pitts_example", "threshold 3/2", dict(lhs=sp.Matrix(
            [1 if -a + 2 * b_ - c >= sp.Rational(3, 2) else 0
             for a in (0, 1) for b_ in (0, 1) for c in (0, 1)]))),
    ]


@pytest.mark.parametrize("name,what,change", _wrong_variants(), ids=lambda v: v if isinstance(v, str) else "")
def test_wrong_variant_is_refuted(name, what, change):
    r = verify(S.get(name).variant(what, **change))
    assert r.status == "refuted", str(r)
    assert r.counterexample is not None


# --- the undecided path and the honesty of "proved" ---------------------------------------------

xp = sp.Symbol("x", positive=True)


def test_true_but_unsimplifiable_claim_is_undecided_not_proved():
    c = Claim("lambert", sp.LambertW(xp * sp.exp(xp)), xp)
    r = verify(c, n_points=24)
    assert r.status == "undecided", str(r)
    assert not r.proved
    assert "numerically consistent at 24 points" in r.method
    with pytest.raises(ClaimNotProved, match="lambert"):
        S.check(c)


def test_false_unsimplifiable_claim_is_refuted_with_counterexample():
    c = Claim("lambert_wrong", sp.LambertW(xp * sp.exp(xp)), xp / 2)
    r = verify(c)
    assert r.status == "refuted"
    v = r.counterexample["x"]
    assert v > 0  # respects the assumption
    # the counterexample really is one
    assert abs(float(sp.LambertW(v * sp.exp(v))) - v / 2) > 1e-3


def test_kink_must_be_excluded_explicitly():
    # SymPy's d/dx max(0, x) is 1/2 at 0 while I(x > 0) is 0: only an almost-everywhere claim proves
    c = S.get("relu_derivative")
    assert verify(c).proved
    strict = verify(c.variant("everywhere", almost_everywhere=False))
    # random points never land on the kink; the interval analysis points the numbers at it
    assert strict.status == "refuted"
    assert strict.counterexample == {"x": 0.0}


def test_verify_is_deterministic_and_uses_rng():
    c = S.get("logistic_derivative").variant("wrong", rhs=S.sigmoid(x))
    assert verify(c, rng=3).counterexample == verify(c, rng=3).counterexample
    assert verify(c, rng=np.random.default_rng(3)).counterexample == verify(c, rng=3).counterexample


# --- the book helpers ---------------------------------------------------------------------------

def test_check_prints_table_and_passes(capsys):
    assert S.check("logistic_derivative", ["tanh_derivative"]) is None
    out = capsys.readouterr().out
    assert "logistic_derivative" in out and "tanh_derivative" in out and "proved" in out


def test_check_raises_on_refuted_claim(capsys):
    bad = S.get("softmax_jacobian").variant("wrong", rhs=sp.zeros(3, 3))
    with pytest.raises(ClaimNotProved, match="softmax_jacobian:wrong"):
        S.check("logistic_derivative", bad)
    assert "refuted" in capsys.readouterr().out


def test_check_erratum(capsys):
    S.check_erratum("softmax_offdiagonal")
    out = capsys.readouterr().out
    assert "refuted" in out and "proved" in out
    with pytest.raises(ValueError, match="known errata"):
        S.check_erratum("nope")


def test_bad_arguments():
    with pytest.raises(ValueError, match="known claims: logistic_derivative"):
        S.check("no_such_claim")
    with pytest.raises(TypeError, match="Claim or a claim name"):
        verify(3.0)
    with pytest.raises(ValueError, match="n_points"):
        verify("logistic_derivative", n_points=0)
    with pytest.raises(ValueError, match=r"lhs shape \(2, 1\).*rhs shape \(\)"):
        Claim("shape", sp.Matrix([x, x]), x)
    with pytest.raises(TypeError, match="lhs must be a SymPy expression"):
        Claim("type", "x", x)
    with pytest.raises(ValueError, match="at least one"):
        S.check()


# --- numeric cross-check against nnlib.activations ------------------------------------------------

activations = pytest.importorskip("nnlib.activations")

CROSS = [
    ("sigmoid", {}, S.sigmoid),
    ("tanh", {}, S.tanh),
    ("relu", {}, S.relu),
    ("leaky_relu", {"gamma": 0.1}, lambda v: S.leaky_relu(v, sp.Rational(1, 10))),
    ("elu", {"gamma": 1.5}, lambda v: S.elu(v, sp.Rational(3, 2))),
    ("softplus", {}, S.softplus),
    ("hard_sigmoid", {}, S.hard_logistic),
    ("hard_tanh", {}, S.hard_tanh),
    ("swish", {"beta": 2.0}, lambda v: S.swish(v, 2)),
    ("gelu", {}, S.gelu),
]


@pytest.mark.parametrize("name,kwargs,sym", CROSS, ids=[c[0] for c in CROSS])
def test_symbolic_matches_nnlib_activation(name, kwargs, sym):
    rng = np.random.default_rng(0)
    z = rng.uniform(-6, 6, size=(7, 5))
    z[0, :2] = [1e-3, -1e-3]
    f = sp.lambdify(x, sym(x), "mpmath")
    df = sp.lambdify(x, sp.diff(sym(x), x), "mpmath")
    act = activations.get(name, **kwargs)
    expect = np.vectorize(lambda v: float(f(v)))(z)
    dexpect = np.vectorize(lambda v: float(df(v)))(z)
    np.testing.assert_allclose(act(z), expect, rtol=1e-12, atol=1e-14)
    if hasattr(act, "derivative"):
        np.testing.assert_allclose(act.derivative(z), dexpect, rtol=1e-10, atol=1e-14)


def test_symbolic_softmax_jacobian_matches_nnlib():
    z = np.random.default_rng(1).normal(size=(4, 3))
    zs = C.vec("z", 3, real=True)
    J = sp.lambdify(list(zs), S.softmax(zs).jacobian(zs), "numpy")
    expect = np.stack([np.asarray(J(*row), dtype=float) for row in z])
    np.testing.assert_allclose(activations.get("softmax").jacobian(z), expect, rtol=1e-12, atol=1e-15)
