"""The claims added to the linear-algebra appendix for source 004's review can fail: each has a wrong twin
(the mistakes a reader makes, or the source's translation makes) that is refuted."""

import pytest
import sympy as sp

from nnlib import claims as C
from nnlib import symbolic as S
from nnlib.symbolic import verify


def _twins():
    dot = S.get("dot_outer_trace")
    u, v = C.vec("u", 3, real=True), C.vec("v", 3, real=True)
    wrong = dot.rhs.copy()
    wrong[2] = sum(u * v.T)                      # "the sum of all entries of u vᵀ is the dot product"
    yield dot.variant("sum_of_outer", rhs=wrong)
    outer = S.get("outer_product_sum")
    A, B = C.mat("a", 2, 3, real=True), C.mat("b", 3, 2, real=True)
    yield outer.variant("rows_times_columns", rhs=sum((A[:, k] * B[(k + 1) % 3, :] for k in range(3)), sp.zeros(2, 2)))
    chain = S.get("scalar_chain_rule")                # one path only, j = i (the mistake of errata entry 14)
    xs, ys = C.vec("x", 2, real=True), C.vec("y", 3, real=True)
    g = sp.Matrix([xs[0] * xs[1], sp.sin(xs[0]), xs[1]**2])
    grad_y = C.grad(ys[0] * ys[1] + sp.exp(ys[2]), ys).subs(dict(zip(ys, g)))
    single = [grad_y[i] * sp.diff(g[i], xs[i]) for i in range(2)]
    yield chain.variant("single_path", rhs=sp.Matrix(single * 2))


@pytest.mark.parametrize("claim", list(_twins()), ids=lambda c: c.name)
def test_wrong_twins_are_refuted(claim):
    assert verify(claim).status == "refuted"


@pytest.mark.parametrize("name", ["dot_outer_trace", "outer_product_sum", "scalar_chain_rule"])
def test_new_claims_are_proved_and_cited(name):
    assert verify(S.get(name)).proved
    page = (C.__file__.rsplit("/nnlib/", 1)[0] + "/book/appendix/linear_algebra.md")
    assert f'"{name}"' in open(page, encoding="utf-8").read()
