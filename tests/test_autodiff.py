"""Tests for nnlib.autodiff: the lecture's worked example, gradients vs finite differences, errors."""

import math

import numpy as np
import pytest

from nnlib.autodiff import Value, sigmoid_example
from nnlib.gradcheck import numerical_gradient


# ----------------------------------------------------------------------------- worked example
def test_sigmoid_example_step_by_step():
    table = sigmoid_example(1.0, 0.0, 0.0)
    names = [r[0] for r in table.rows]
    assert names == ["h1", "h2", "h3", "h4", "h5", "h6"]
    values = {r[0]: r[2] for r in table.rows}
    local = {r[0]: r[4] for r in table.rows}
    assert values == {"h1": 0.0, "h2": 0.0, "h3": 0.0, "h4": 1.0, "h5": 2.0, "h6": 0.5}
    # the lecture's local derivatives: x, 1, -1, exp(h3) = 1, 1, -1/h5^2 = -0.25
    assert local == {"h1": 1.0, "h2": 1.0, "h3": -1.0, "h4": 1.0, "h5": 1.0, "h6": -0.25}
    assert math.prod(local.values()) == 0.25
    assert table.grads["w"] == 0.25 and table.grads["b"] == 0.25 and table.grads["x"] == 0.0
    assert table.f == 0.5
    # accumulated gradient df/dh_i is the product of the local derivatives above h_i
    dfd = {r[0]: r[5] for r in table.rows}
    assert dfd == {"h6": 1.0, "h5": -0.25, "h4": -0.25, "h3": -0.25, "h2": 0.25, "h1": 0.25}
    md = table.to_markdown()
    assert "| h6 | 1 / h5 | 0.5 | dh6/dh5 | -0.25 | 1 |" in md
    assert "-0 " not in md


@pytest.mark.parametrize("x, w, b", [(1.0, 0.0, 0.0), (2.0, -0.5, 0.3), (-1.5, 1.2, 0.7)])
def test_sigmoid_example_matches_closed_form(x, w, b):
    table = sigmoid_example(x, w, b)
    s = 1 / (1 + math.exp(-(w * x + b)))
    assert table.f == pytest.approx(s, rel=1e-14)
    assert table.grads["w"] == pytest.approx(s * (1 - s) * x, rel=1e-12)
    assert table.grads["b"] == pytest.approx(s * (1 - s), rel=1e-12)
    assert table.grads["x"] == pytest.approx(s * (1 - s) * w, rel=1e-12, abs=1e-15)
    # the same as the fused sigmoid op
    wv = Value(w)
    Value(x).__mul__(wv).__add__(b).sigmoid().backward()
    assert wv.grad == pytest.approx(table.grads["w"], rel=1e-12)


# ----------------------------------------------------------------------------- random expressions
# Each op is given twice: on Values (the graph under test) and on floats (for finite differences).
# Operands pass through tanh/sigmoid where needed so that 12 chained ops stay in a moderate range.
UNARY = {
    "tanh": (lambda v: v.tanh(), math.tanh),
    "sigmoid": (lambda v: v.sigmoid(), lambda x: 1 / (1 + math.exp(-x))),
    "exp_tanh": (lambda v: v.tanh().exp(), lambda x: math.exp(math.tanh(x))),
    "log1p_sq": (lambda v: (1 + v * v).log(), lambda x: math.log(1 + x * x)),
    "neg": (lambda v: -v, lambda x: -x),
    "cube": (lambda v: v.tanh() ** 3, lambda x: math.tanh(x) ** 3),
    "square": (lambda v: v**2, lambda x: x**2),
    "relu_shift": (lambda v: (v + 0.1).relu(), lambda x: max(0.0, x + 0.1)),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b.tanh(), lambda a, b: a * math.tanh(b)),
    "div": (lambda a, b: a / (2 + b * b), lambda a, b: a / (2 + b * b)),
    "rsub": (lambda a, b: 3 - a.sigmoid() * b, lambda a, b: 3 - b / (1 + math.exp(-a))),
    "rdiv": (lambda a, b: 1 / (1 + a.sigmoid()) + 2 ** b.tanh(), lambda a, b: 1 / (1 + 1 / (1 + math.exp(-a))) + 2 ** math.tanh(b)),
}


def _random_program(rng, n_inputs=3, n_ops=12):
    prog = []
    for i in range(n_ops):
        avail = n_inputs + i
        if rng.random() < 0.5:
            prog.append(("u", list(UNARY)[rng.integers(len(UNARY))], int(rng.integers(avail))))
        else:
            prog.append(("b", list(BINARY)[rng.integers(len(BINARY))], int(rng.integers(avail)), int(rng.integers(avail))))
    return prog


def _run(prog, inputs, use_value):
    slots = list(inputs)
    k = 0 if use_value else 1
    for step in prog:
        if step[0] == "u":
            slots.append(UNARY[step[1]][k](slots[step[2]]))
        else:
            slots.append(BINARY[step[1]][k](slots[step[2]], slots[step[3]]))
    # combine the last three results so most of the program matters; reuse exercises accumulation
    return slots[-1] + slots[-2] * 0.5 + slots[-3] * slots[-1]


@pytest.mark.parametrize("seed", range(25))
def test_random_expression_gradients_match_central_differences(seed):
    rng = np.random.default_rng(seed)
    prog = _random_program(rng)
    x0 = rng.uniform(-1.5, 1.5, size=3)
    leaves = [Value(v, label=f"x{i}") for i, v in enumerate(x0)]
    out = _run(prog, leaves, use_value=True)
    assert out.data == pytest.approx(_run(prog, list(x0), use_value=False), rel=1e-12)
    out.backward()
    num = numerical_gradient(lambda x: _run(prog, list(x), False), x0.copy())
    for i in range(3):
        assert leaves[i].grad == pytest.approx(num[i], rel=1e-5, abs=1e-6), (seed, i, prog)


def test_node_used_twice_accumulates_gradient():
    x = Value(3.0, "x")
    y = x * x
    y.backward()
    assert x.grad == 6.0
    assert y.children == (x, x)
    # diamond: z = (x + 1) * (x - 2) uses x along two paths -> dz/dx = 2x - 1
    z = (x + 1) * (x - 2)
    z.backward()
    assert x.grad == 5.0
    # backward resets previous gradients instead of adding to them
    z.backward()
    assert x.grad == 5.0


def test_graph_lists_nodes_in_topological_order_with_labels():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = a * b
    c.label = "c"
    d = (c + a).tanh()
    d.label = "d"
    nodes = d.backward()
    assert nodes == d.graph()
    assert nodes[-1] is d
    pos = {id(n): i for i, n in enumerate(nodes)}
    for n in nodes:
        for ch in n.children:
            assert pos[id(ch)] < pos[id(n)]
    assert [n.label for n in nodes if n.label] == ["a", "b", "c", "d"]
    assert [n.op for n in nodes] == ["", "", "*", "+", "tanh"]
    assert nodes[3].local_grad(nodes[2]) == 1.0 and nodes[2].local_grad(a) == -3.0
    with pytest.raises(ValueError, match="not an operand"):
        d.local_grad(a)
    assert "d=" in repr(d)
    rows = d.trace()
    assert [r[0] for r in rows] == ["a", "b", "c", "n3", "d"]
    assert rows[-1] == ("d", "tanh", math.tanh(-4.0), 1.0)
    assert rows[0][3] == pytest.approx((1 - math.tanh(-4.0) ** 2) * (b.data + 1))


def test_deep_chain_has_no_recursion_limit():
    x = Value(0.5)
    y = x
    for _ in range(5000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad == pytest.approx(1.0001**5000, rel=1e-9)


@pytest.mark.parametrize("z", [1e4, -1e4, 800.0, -800.0])
def test_saturating_ops_are_stable_for_large_inputs(z, recwarn):
    v = Value(z)
    s, t = v.sigmoid(), v.tanh()
    assert s.data == (1.0 if z > 0 else 0.0) and s.local_grads[0] == 0.0
    assert t.data == math.copysign(1.0, z) and t.local_grads[0] == 0.0
    assert v.relu().data == max(z, 0.0)
    assert len(recwarn) == 0


# ----------------------------------------------------------------------------- bad input
def test_bad_input_messages():
    with pytest.raises(TypeError, match="data must be a real number"):
        Value("1.0")
    with pytest.raises(TypeError, match="data must be a real number"):
        Value(True)
    with pytest.raises(ValueError, match="finite"):
        Value(float("nan"))
    with pytest.raises(ValueError, match="data must be finite, got a number beyond float's range"):
        Value(10**400)  # OverflowError from float() before
    with pytest.raises(ValueError, match="beyond float's range"):
        Value(1.0) * 10**400
    with pytest.raises(TypeError, match=r"cannot apply '\+' to a Value and a str"):
        Value(1.0) + "a"
    with pytest.raises(TypeError, match=r"cannot apply '\*' to a Value and a list"):
        [1] * Value(2.0)
    with pytest.raises(ValueError, match="log of a non-positive value.*-2"):
        Value(-2.0, "u").log()
    with pytest.raises(ValueError, match="log of a non-positive value"):
        Value(0.0).log()
    with pytest.raises(ZeroDivisionError, match="division by a Value equal to 0"):
        Value(1.0) / Value(0.0)
    with pytest.raises(OverflowError, match="exp"):
        Value(1e4).exp()
    with pytest.raises(TypeError, match="Value \\*\\* Value"):
        Value(2.0) ** Value(2.0)
    with pytest.raises(ValueError, match="negative base"):
        Value(-2.0) ** 0.5
    with pytest.raises(ValueError, match="positive base"):
        (-2) ** Value(1.0)
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)
