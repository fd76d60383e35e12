"""The SymPy verification layer: every claim proves, wrong formulas are refuted, nothing is proved
that SymPy did not show, and the symbolic activations agree with nnlib.activations numerically."""

import ast
import functools
import importlib
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from nnlib import claims as C
from nnlib import symbolic as S
from nnlib.symbolic import Claim, ClaimNotProved, verify

x = C.x
errata_module = importlib.import_module("nnlib.claims.errata")  # (the attribute C.errata is the function)

BOOK = Path(__file__).resolve().parent.parent / "book"


def _page(chapter):
    """The page of a chapter module: book/<name>.md, or the appendix for linear_algebra."""
    name = chapter.__name__.rpartition(".")[2]
    return BOOK / "appendix" / f"{name}.md" if name == "linear_algebra" else BOOK / f"{name}.md"


CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.M | re.S)


def _calls(func):
    """{quoted name: set of pages} over every call ``func("name", ...)`` in the code cells of the book's pages."""
    out = {}
    for page in BOOK.rglob("*.md"):
        for cell in CODE_CELL.findall(page.read_text(encoding="utf-8")):
            cell = re.sub(r"\A---\n.*?^---\n", "", cell, flags=re.M | re.S)  # the cell's YAML options
            code = "\n".join(line for line in cell.splitlines() if not line.startswith((":", "%", "!")))
            try:
                tree = ast.parse(code)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == func:
                    for arg in node.args:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            out.setdefault(arg.value, set()).add(page)
    return out


def _cited_claims():
    return _calls("check")


def _cited_errata():
    return set(_calls("check_erratum"))


# --- every registered claim and every erratum ---------------------------------------------------

@pytest.mark.parametrize("name", list(C.DESCRIPTIONS))
def test_every_claim_is_proved(name):
    r = verify(name)
    assert r.status == "proved", str(r)
    assert r.counterexample is None
    # the numbers were really compared, not skipped
    assert int(r.detail.split(" at ")[1].split()[0]) >= 20, r.detail


def test_registry_and_chapters_agree():
    names = S.names()
    assert names == list(C.DESCRIPTIONS)
    assert S.claims() == {n: C.DESCRIPTIONS[n][0] for n in names}
    for n in names:
        assert S.get(n).source, n
    # every claim is described in exactly one chapter module, the one whose page cites it
    by_chapter = [n for chapter in C.CHAPTERS for n in chapter.DESCRIPTIONS]
    assert sorted(by_chapter) == sorted(names) and len(set(by_chapter)) == len(by_chapter)
    cited = _cited_claims()
    for chapter in C.CHAPTERS:
        page = _page(chapter)
        for n in chapter.DESCRIPTIONS:
            assert page in cited.get(n, ()), f"{n} ({chapter.__name__}) is not cited on {page}"
    assert set(cited) == set(names), "pages cite unknown claims, or claims are cited nowhere"
    # every erratum is one function of nnlib.claims.errata, named by its key
    assert C.errata_keys() == [f.__name__ for f in errata_module.ERRATA] == list(S.errata())
    assert _cited_errata() == set(S.errata())


def test_registry_sections_cover_every_claim():
    reg = C.registry()
    assert list(reg) == list(C.DESCRIPTIONS)
    assert all(reg[n] is S.get(n) and reg[n].description == C.DESCRIPTIONS[n][0] for n in reg)
    # every section builds exactly the claims it describes, and the sections partition the registry
    for section in C.SECTIONS:
        assert list(section.claims) == list(section.descriptions), section
        assert all(C.section_of(n) is section for n in section.descriptions)
    assert sum(len(s.descriptions) for s in C.SECTIONS) == len(C.DESCRIPTIONS)


def test_a_page_builds_only_the_sections_it_cites():
    # a fresh interpreter: sections are cached per process
    code = ("from nnlib import claims as C\n"
            "C.claim('xor_two_layer')\n"
            "print(sorted(s.name for s in C.SECTIONS if s.built))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(["nnlib.claims.xor.xor_networks"])


def test_a_section_that_builds_other_claims_than_it_describes_is_an_error():
    section = C.section

    @section({"one": ("1 = 1", "test"), "two": ("2 = 2", "test")})
    def partial(claim):
        yield claim("one", sp.Integer(1), sp.Integer(1))

    with pytest.raises(RuntimeError, match="built \\['one'\\] but its descriptions name \\['one', 'two'\\]"):
        partial.claims

    @section({"one": ("1 = 1", "test")})
    def stray(claim):
        yield claim("three", sp.Integer(3), sp.Integer(3))

    with pytest.raises(KeyError, match="builds 'three', which its descriptions do not name"):
        stray.claims
    with pytest.raises(TypeError, match="pair of non-empty str"):
        section({"bad": "no source"})(stray.builder)
    with pytest.raises(ValueError, match="described twice"):
        C.descriptions_of([stray, stray])


@pytest.mark.parametrize("key", C.errata_keys())  # known without building them
def test_erratum_source_refuted_correction_proved(key):
    e = C.errata()[key]
    wrong, right = verify(e.wrong), verify(e.right)
    assert wrong.status == "refuted", str(wrong)
    assert wrong.counterexample, "a refutation must come with a counterexample"
    assert right.status == "proved", str(right)
    assert e.title and e.location and e.stated and e.correct


# --- deliberately wrong variants ----------------------------------------------------------------

@functools.lru_cache(maxsize=1)
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
    a2, y, W2 = net["a2"], net["y"], net["W2"]
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
        ("autodiff_example", "1/2", dict(rhs=sp.Matrix([sp.Rational(1, 2), sp.Rational(1, 4),
                                                         sp.Rational(1, 4), 0]))),
        ("autodiff_example", "df/dx = 1/4 as well", dict(rhs=sp.Matrix([sp.Rational(1, 4)] * 4))),
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
        *_new_wrong_variants(),
    ]


def _new_wrong_variants():
    """Wrong versions of the claims added for the formulas of every page (one or more per claim)."""
    g = S.get
    half, quarter = sp.Rational(1, 2), sp.Rational(1, 4)
    xp, xn = sp.Symbol("x", positive=True), sp.Symbol("x", negative=True)
    gam = sp.Symbol("gamma", positive=True)
    z1, z2 = sp.symbols("z1 z2", real=True)
    zs, gv = C.vec("z", 3, real=True), C.vec("g", 3, real=True)
    # neurons, perceptron, XOR
    w1, w2, bb, c12, theta = sp.symbols("w1 w2 b c12 theta", real=True)
    quad = lambda a, b_: w1 * a + w2 * b_ + c12 * a * b_ + bb      # not affine: has a product term
    s3 = (C.vec("w", 3, real=True).T * C.vec("x", 3, real=True))[0]
    lhs01, rhs01 = C.sign_rule_cases((0, 1))
    gates = g("mcculloch_pitts_gates").lhs
    or_theta2 = [C.mp_unit((a, b_), (1, 1), 2) for a in (0, 1) for b_ in (0, 1)]
    gates_or2 = sp.Matrix([*gates[:16], *[or_theta2[k // 4] if k % 4 == 1 else v
                                          for k, v in enumerate(gates[16:])]])
    # backpropagation
    net = C.small_network()
    no_sigma_prime = [net["w2"][j] * net["delta2"] for j in range(2)]
    fd = g("finite_difference_orders").rhs
    # training
    r, m, n = sp.symbols("r m n", positive=True)
    lam, alpha, mu = (sp.Symbol(s, positive=True) for s in ("lambda", "alpha", "mu"))
    gs, sigma, c = sp.Symbol("g", real=True), sp.Symbol("sigma", positive=True), sp.Symbol("c", positive=True)
    var_w, mu_a = sp.Symbol("v", positive=True), sp.Symbol("mu_a", real=True)
    W23 = C.mat("w", 2, 3, real=True)
    ce = g("ce_convex_in_w2").rhs
    # universal approximation
    t, h, t0 = sp.Symbol("t", real=True), sp.Symbol("h", positive=True), sp.Symbol("t0", real=True)
    fv = C.vec("f", 4, real=True)
    knots = [t0 + k * h for k in range(4)]
    slopes = [(fv[k] - fv[k - 1]) / h for k in range(1, 4)]
    F_slopes = lambda v: fv[0] + sum(slopes[k] * sp.Max(0, v - knots[k]) for k in range(3))
    lie = g("linear_interpolation_error").rhs
    # linear algebra
    A2, B2 = C.mat("a", 2, 2, real=True), C.mat("b", 2, 2, real=True)
    Am, xs = C.mat("m", 3, 3, real=True), C.vec("x", 3, real=True)
    u3, v3, W33 = C.vec("u", 3, real=True), C.vec("v", 3, real=True), C.mat("w", 3, 3, real=True)
    pv, qv = C.vec("p", 4, real=True), C.vec("q", 4, real=True)
    Ab, Wb, bvec = C.mat("A", 2, 3, real=True), C.mat("W", 2, 3, real=True), C.vec("b", 2, real=True)
    x2, y2 = C.vec("x", 2, real=True), C.vec("y", 2, real=True)
    gsq = sp.Matrix([x2[0] * x2[1], sp.sin(x2[0])])                      # R² -> R²: the order matters
    fsq = lambda y: sp.Matrix([y[0] + y[1]**2, sp.exp(y[0])])           # R² -> R²
    Jf = fsq(y2).jacobian(y2).subs(dict(zip(y2, gsq)))
    sig = lambda v: S.sigmoid(v) * (1 - S.sigmoid(v))
    return [
        ("logistic_derivative_bound", "bound 1/2 instead of 1/4",
         dict(lhs=g("logistic_derivative_bound").lhs + sp.Matrix([quarter, 0]))),
        ("hard_logistic_taylor", "slope 1/2 at 0", dict(rhs=sp.Matrix(
            [half, half, half + x / 2, x, *g("hard_logistic_taylor").rhs[4:]]))),
        ("hard_logistic_taylor", "clipped at ±1 like hard-tanh", dict(rhs=sp.Matrix(
            [*g("hard_logistic_taylor").rhs[:4], sp.Piecewise((0, x < -1), (half + quarter * x, x < 1), (1, True)),
             g("hard_logistic_taylor").rhs[5]]))),
        ("relu_as_maxout", "min instead of max", dict(rhs=sp.Min(0, x))),
        ("relu_as_maxout", "pieces (0, -x)", dict(rhs=C.maxout(0, -x))),
        ("leaky_relu_forms", "max(γx, x) with γ > 1", dict(
            lhs=sp.Matrix([g("leaky_relu_forms").lhs[0], S.leaky_relu(x, 1 + gam)]),
            rhs=sp.Matrix([g("leaky_relu_forms").rhs[0], C.maxout((1 + gam) * x, x)]))),
        ("swish_limits", "beta = 0 gives x", dict(rhs=sp.Matrix([x, xp, 0, 0]))),
        ("swish_limits", "beta -> oo gives x on both sides", dict(rhs=sp.Matrix([x / 2, xp, xn, 0]))),
        ("srelu_derivative", "slopes swapped", dict(rhs=g("srelu_derivative").rhs.subs(
            {sp.Symbol("alpha_l", real=True): sp.Symbol("alpha_r", real=True),
             sp.Symbol("alpha_r", real=True): sp.Symbol("alpha_l", real=True)}, simultaneous=True))),
        ("maxout_derivative", "gradient to the smaller piece",
         dict(rhs=sp.Matrix([C.indicator(z1 < z2), C.indicator(z2 < z1)]))),
        ("softmax_jacobian_properties", "diag(f) alone: rows do not sum to 0",
         dict(lhs=sp.Matrix([*sp.zeros(9, 1), *(sp.diag(*S.softmax(zs)) * sp.ones(3, 1))]))),
        ("softmax_vjp", "without the correction term", dict(rhs=S.softmax(zs).multiply_elementwise(gv))),
        ("softmax_hardmax_limit", "ties not shared", dict(rhs=sp.Matrix([0, 1, 0, 0]))),
        ("threshold_as_bias", "b = +θ", dict(rhs=C.indicator(s3 + theta >= 0))),
        ("threshold_as_bias", "strict inequality (differs on the boundary)", dict(rhs=C.indicator(s3 - theta > 0))),
        ("mcculloch_pitts_gates", "OR with θ = 2", dict(lhs=gates_or2)),
        ("perceptron_update_effect", "no η", dict(rhs=g("perceptron_update_effect").rhs / C.eta)),
        ("sign_rule_identity", "0/1 targets (t² ≠ 1)", dict(lhs=lhs01, rhs=rhs01)),
        ("xor_affine_identity", "a product term x1 x2 (not affine)",
         dict(lhs=quad(0, 1) + quad(1, 0), rhs=quad(0, 0) + quad(1, 1))),
        ("xor_two_layer", "OR instead of XOR", dict(rhs=sp.Matrix([[a | b_] * 3 for a in (0, 1) for b_ in (0, 1)]))),
        ("small_network_gradients", "hidden δ without σ'", dict(rhs=C.small_network_formula(net, no_sigma_prime))),
        ("batch_delta_recursion", "Δ⁽²⁾W⁽²⁾ᵀ instead of Δ⁽²⁾W⁽²⁾", dict(rhs=g("batch_delta_recursion").rhs.subs(
            {sp.Symbol("W2_12", real=True): sp.Symbol("W2_21", real=True),
             sp.Symbol("W2_21", real=True): sp.Symbol("W2_12", real=True)}, simultaneous=True))),
        ("finite_difference_orders", "centred difference only first order", dict(rhs=sp.Matrix([fd[1], fd[1]]))),
        ("weight_decay_gradient", "gradient (λ/2)W",
         dict(rhs=sp.Matrix([*(lam / 2 * W23), *((1 - alpha * lam) * W23)]))),
        ("momentum_velocity", "1/(1 + μ)", dict(rhs=sp.Matrix([-alpha * gs / (1 + mu), 10]))),
        ("uniform_variance", "r²/2", dict(rhs=sp.Matrix([r**2 / 2, 3 / (m + n), 3 / m]))),
        ("uniform_variance", "Xavier with r = √(2/(m+n))",
         dict(rhs=sp.Matrix([r**2 / 3, 2 / (3 * (m + n)), 2 / m]))),
        ("forward_variance", "squared mean instead of second moment", dict(rhs=3 * var_w * mu_a**2)),
        ("relu_second_moment", "E[ReLU(z)²] = σ²", dict(rhs=sp.Matrix([sigma**2, sigma**2]))),
        ("mse_hessian", "without 1/N", dict(rhs=g("mse_hessian").rhs * 3)),
        ("ce_convex_in_w2", "dropped c²", dict(rhs=sp.Matrix([ce[0], ce[1] / c**2]))),
        ("relu_hat", "height h (no /h)", dict(lhs=g("relu_hat").lhs * h)),
        ("relu_hat", "middle hinge weight -1",
         dict(lhs=(S.relu(x - t + h) - S.relu(x - t) + S.relu(x - t - h)) / h)),
        ("relu_interpolant_knots", "slopes instead of slope changes",
         dict(lhs=sp.Matrix([*[F_slopes(tk) for tk in knots], *g("relu_interpolant_knots").lhs[4:]]))),
        ("linear_interpolation_error", "h²/4 at the midpoint", dict(rhs=sp.Matrix([lie[0], 2 * lie[1]]))),
        ("relu_tent", "weight -2 on the second hinge",
         dict(lhs=sp.Matrix([2 * sp.Max(0, x) - 2 * sp.Max(0, x - half), g("relu_tent").lhs[1]]))),
        ("transpose_product", "(AB)ᵀ = AᵀBᵀ for square A, B", dict(lhs=(A2 * B2).T, rhs=A2.T * B2.T)),
        ("row_column_forms", "bias along the wrong axis (b 1ᵀ)", dict(rhs=Ab * Wb.T + bvec * sp.ones(1, 2))),
        ("hadamard_diag", "dot product instead of Hadamard", dict(rhs=sp.ones(4, 1) * (pv.T * qv)[0])),
        ("linear_form_gradient", "x instead of a", dict(rhs=xs)),
        ("quadratic_form_gradient", "2Ax for non-symmetric A", dict(rhs=2 * Am * xs)),
        ("half_squared_norm_gradient", "without the ½ the gradient is 2x", dict(lhs=C.grad((xs.T * xs)[0], xs))),
        ("bilinear_matrix_gradient", "v uᵀ (square W)", dict(lhs=C.grad((u3.T * W33 * v3)[0], W33), rhs=v3 * u3.T)),
        ("linear_map_jacobian", "Wᵀ in numerator layout", dict(rhs=sp.Matrix([*W23.T, *sp.eye(2)]))),
        ("elementwise_jacobian", "σ' in every column",
         dict(rhs=sp.Matrix(3, 3, lambda i, j: sig(zs[i])))),
        ("vector_chain_rule", "J_g J_f (wrong order, square case)",
         dict(lhs=fsq(gsq).jacobian(x2), rhs=gsq.jacobian(x2) * Jf)),
    ]


def _variant_ids():
    """(name, what) of every wrong variant, read from this file's source: the parameters of the test below
    are known without building a claim (building them at collection would cost every xdist worker the
    SymPy work of most of the registry)."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    ids = {}
    for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in ("_wrong_variants",
                                                                                      "_new_wrong_variants")):
        ret = next(n for n in ast.walk(fn) if isinstance(n, ast.Return))
        ids[fn.name] = [(e.elts[0].value, e.elts[1].value) for e in ret.value.elts if isinstance(e, ast.Tuple)]
    return ids["_wrong_variants"] + ids["_new_wrong_variants"]


def test_the_variant_ids_are_the_variants():
    assert [(n, w) for n, w, _ in _wrong_variants()] == _variant_ids()
    assert len(set(_variant_ids())) == len(_variant_ids()), "two variants of one claim share a description"


@pytest.mark.parametrize("name,what", _variant_ids(), ids=[f"{n}-{w}" for n, w in _variant_ids()])
def test_wrong_variant_is_refuted(name, what):
    change = next(c for n, w, c in _wrong_variants() if (n, w) == (name, what))
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


def test_piecewise_in_several_variables():
    t, h = sp.Symbol("t", real=True), sp.Symbol("h", positive=True)
    hinge = lambda v: sp.Max(0, v)
    # the kinks x = t - h, t, t + h depend on t and h; h > 0 decides their order
    hat = Claim("hat", hinge(x - t + h) - 2 * hinge(x - t) + hinge(x - t - h), h * sp.Max(0, 1 - sp.Abs(x - t) / h))
    assert verify(hat).proved
    # wrong only on (t, t + h/1000): the random points miss it, the cut at the symbolic roots does not
    narrow = Claim("narrow", hinge(x - t),
                   hinge(x - t) + sp.Piecewise((1, (x > t) & (x < t + h / 1000)), (0, True)))
    r = verify(narrow)
    assert r.status == "refuted", str(r)
    ce = r.counterexample
    assert ce["t"] < ce["x"] < ce["t"] + ce["h"] / 1000
    # a kink at the symbolic point x = t is exempt only almost everywhere; the hint lands on it exactly
    kink = Claim("kink", sp.diff(hinge(x - t), x), C.indicator(x - t > 0))
    r = verify(kink)
    assert r.status == "refuted" and r.counterexample["x"] == r.counterexample["t"], str(r)
    assert verify(kink.variant("ae", almost_everywhere=True)).proved
    # roots whose order the assumptions do not decide (a vs b) are not cut, but another variable may be
    a, b = sp.symbols("a b", real=True)
    assert verify(Claim("max", sp.Max(a, b), sp.Piecewise((a, a > b), (b, True)))).proved


def test_weight_decay_erratum_decays_four_times_too_fast():
    e = C.errata()["weight_decay_coefficient_002"]
    eps = sp.Symbol("epsilon", positive=True)
    # the source's penalty (2ε/η) wᵀw shrinks w by 4ε per step, not by ε
    assert verify(e.wrong.variant("4eps", lhs=e.wrong.lhs.subs(eps, 4 * eps), sample={eps: (0, 0.25)})).proved


def test_cross_entropy_erratum_needs_the_sum_over_classes():
    e = C.errata()["cross_entropy_sum_001"]
    assert e.source == "001" and "C" in e.correct
    # the source's own result ŷ − y is exactly the gradient of the sum over all classes
    assert e.right.lhs == e.wrong.lhs and verify(e.right).proved and verify(e.wrong).status == "refuted"


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
    with pytest.raises(ValueError, match="unknown claim 'no_such_claim'; known claims: .*logistic_derivative"):
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
