"""Scalar reverse-mode automatic differentiation (自动微分), in the spirit of micrograd's engine.

A ``Value`` wraps one float. Every operation builds a new node that remembers its children and,
at forward time, the local derivative ∂out/∂child for each child (written next to the forward
formula, so each op reads "value; local derivatives"). ``backward()`` walks the graph once in
reverse topological order and applies the chain rule: child.grad += local * out.grad. A node used
twice (``x * x``) appears twice among the children, so its gradient is accumulated.

Ops: ``+ - * /`` (also with plain numbers on either side), unary ``-``, ``** k`` for a constant
``k``, ``k ** x`` for a constant ``k > 0``, ``exp``, ``log``, ``tanh``, ``sigmoid``, ``relu``.

``sigmoid_example(x=1, w=0, b=0)`` builds the lecture's worked example
f(x; w, b) = 1 / (exp(−(wx + b)) + 1) as h1 … h6 and returns the table of values, local
derivatives and accumulated gradients (∂f/∂w = 0.25 at x = 1, w = 0, b = 0).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from ._checks import as_int_scalar, finite_float

__all__ = ["AutodiffTable", "DivisionByZeroError", "FloatOverflowError", "Value", "sigmoid_example"]

_EXP_MAX = math.log(1.7976931348623157e308)  # ≈ 709.78: exp beyond this is not a float64


class FloatOverflowError(ValueError, OverflowError):
    """A result (or local derivative) beyond float64: a ValueError naming the operation and operands."""


class DivisionByZeroError(ValueError, ZeroDivisionError):
    """Division by a Value equal to 0: a ValueError naming the operand (and still a ZeroDivisionError)."""


def _as_number(x, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number or a Value, got {type(x).__name__} {x!r:.40}")
    return finite_float(x, name)


class Value:
    """One scalar node of a computation graph.

    Attributes: ``data`` (float), ``grad`` (∂output/∂self after ``backward()``), ``op`` (the
    operation that produced it, ``""`` for a leaf), ``label`` (optional name), ``children`` (the
    operand nodes, with repetition) and ``local_grads`` (∂self/∂child for each child).
    """

    __slots__ = ("data", "grad", "op", "label", "children", "local_grads")

    def __init__(self, data, label: str = "", *, _children: tuple = (), _op: str = "", _local: tuple = ()):
        self.data = _as_number(data, "data") if not _children else float(data)
        self.grad = 0.0
        self.op = _op
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__}")
        self.label = label
        self.children = tuple(_children)
        self.local_grads = tuple(float(g) for g in _local)

    def __repr__(self) -> str:
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}{self.data:.6g}, grad={self.grad:.6g}{', op=' + repr(self.op) if self.op else ''})"

    @staticmethod
    def _lift(other, op: str) -> "Value":
        """Wrap a plain number as a constant leaf (labelled by its value, for graph listings)."""
        if isinstance(other, Value):
            return other
        if isinstance(other, bool) or not isinstance(other, numbers.Real):
            raise TypeError(f"cannot apply '{op}' to a Value and a {type(other).__name__} ({other!r:.40}); expected a number or a Value")
        return Value(_as_number(other, f"operand of '{op}'"), label=f"{float(other):g}")

    def _out(self, data: float, children: tuple, op: str, local: tuple) -> "Value":
        if not (math.isfinite(data) and all(math.isfinite(g) for g in local)):
            operands = ", ".join(f"{c.data:g}" for c in children)
            raise FloatOverflowError(
                f"'{op}' of ({operands}) overflows float64: value {data:g}, local derivatives "
                f"{', '.join(f'{g:g}' for g in local)}"
            )
        return Value(data, _children=children, _op=op, _local=local)

    # ------------------------------------------------------------------ binary ops
    def __add__(self, other):
        other = Value._lift(other, "+")
        # out = a + b;  ∂out/∂a = 1, ∂out/∂b = 1
        return self._out(self.data + other.data, (self, other), "+", (1.0, 1.0))

    def __sub__(self, other):
        other = Value._lift(other, "-")
        # out = a − b;  ∂out/∂a = 1, ∂out/∂b = −1
        return self._out(self.data - other.data, (self, other), "-", (1.0, -1.0))

    def __mul__(self, other):
        other = Value._lift(other, "*")
        # out = a b;  ∂out/∂a = b, ∂out/∂b = a
        return self._out(self.data * other.data, (self, other), "*", (other.data, self.data))

    def __truediv__(self, other):
        other = Value._lift(other, "/")
        if other.data == 0.0:
            raise DivisionByZeroError(f"division by a Value equal to 0 ({other!r})")
        # out = a / b;  ∂out/∂a = 1/b, ∂out/∂b = −a/b² (as (−a/b)/b: b² of a tiny b underflows to 0)
        return self._out(self.data / other.data, (self, other), "/",
                         (1.0 / other.data, -self.data / other.data / other.data))

    def __pow__(self, k):
        if isinstance(k, Value):
            raise TypeError("Value ** Value is not supported: use exp(y * log(x)) for a variable exponent")
        k = _as_number(k, "exponent")
        if self.data == 0.0 and k < 1:
            raise ValueError(f"{self!r} ** {k:g}: the derivative k x^(k−1) is undefined at x = 0")
        if self.data < 0 and not float(k).is_integer():
            raise ValueError(f"{self!r} ** {k:g}: a negative base needs an integer exponent")
        # out = x^k;  ∂out/∂x = k x^(k−1)
        try:
            value, local = self.data**k, k * self.data ** (k - 1)
        except OverflowError:
            raise FloatOverflowError(f"{self.data:g} ** {k:g} overflows float64; node {self!r}") from None
        return self._out(value, (self,), f"**{k:g}", (local,))

    def __rpow__(self, base):
        base = _as_number(base, "base")
        if base <= 0:
            raise ValueError(f"{base:g} ** Value needs a positive base, got {base:g}")
        # out = c^x = exp(x ln c);  ∂out/∂x = c^x ln c
        out = (self * math.log(base)).exp()
        return out

    # reflected versions: number (op) Value
    def __radd__(self, other):
        return Value._lift(other, "+") + self

    def __rsub__(self, other):
        return Value._lift(other, "-") - self

    def __rmul__(self, other):
        return Value._lift(other, "*") * self

    def __rtruediv__(self, other):
        return Value._lift(other, "/") / self

    # ------------------------------------------------------------------ unary ops
    def __neg__(self):
        # out = −x;  ∂out/∂x = −1
        return self._out(-self.data, (self,), "neg", (-1.0,))

    def exp(self):
        if self.data > _EXP_MAX:
            raise FloatOverflowError(f"exp({self.data:g}) overflows float64 (max argument {_EXP_MAX:.2f}); node {self!r}")
        e = math.exp(self.data)
        # out = eˣ;  ∂out/∂x = eˣ
        return self._out(e, (self,), "exp", (e,))

    def log(self):
        if self.data <= 0:
            raise ValueError(f"log of a non-positive value: {self!r} has data {self.data:g}; log needs x > 0")
        # out = ln x;  ∂out/∂x = 1/x
        return self._out(math.log(self.data), (self,), "log", (1.0 / self.data,))

    def tanh(self):
        t = math.tanh(self.data)  # math.tanh saturates to ±1 without overflow
        # out = tanh x;  ∂out/∂x = 1 − tanh² x
        return self._out(t, (self,), "tanh", (1.0 - t * t,))

    def sigmoid(self):
        # evaluate exp only at −|x| so that |x| = 1e4 neither overflows nor loses the small tail
        e = math.exp(-abs(self.data))
        s = 1.0 / (1.0 + e) if self.data >= 0 else e / (1.0 + e)
        # out = σ(x);  ∂out/∂x = σ(x)(1 − σ(x))
        return self._out(s, (self,), "sigmoid", (s * (1.0 - s),))

    def relu(self):
        r = self.data if self.data > 0 else 0.0
        # out = max(0, x);  ∂out/∂x = 1 if x > 0 else 0 (the subgradient 0 is taken at x = 0)
        return self._out(r, (self,), "relu", (1.0 if self.data > 0 else 0.0,))

    # ------------------------------------------------------------------ graph
    def graph(self) -> list["Value"]:
        """All nodes this value depends on, in topological order (operands before results; self last)."""
        order: list[Value] = []
        seen: set[int] = set()
        # iterative DFS: deep chains (thousands of ops) would overflow Python's recursion limit
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for child in reversed(node.children):
                if id(child) not in seen:
                    stack.append((child, False))
        return order

    def trace(self) -> list[tuple[str, str, float, float]]:
        """``(name, op, data, grad)`` for every node in topological order, for printing a graph.

        ``name`` is the node's label, or ``n<i>`` (its position) for unlabelled intermediates.
        """
        return [(n.label or f"n{i}", n.op, n.data, n.grad) for i, n in enumerate(self.graph())]

    def local_grad(self, child: "Value") -> float:
        """∂self/∂child for a direct operand ``child`` (summed if it appears more than once)."""
        total, found = 0.0, False
        for c, g in zip(self.children, self.local_grads):
            if c is child:
                total, found = total + g, True
        if not found:
            raise ValueError(f"{child!r} is not an operand of {self!r}")
        return total

    def backward(self) -> list["Value"]:
        """Fill ``.grad`` = ∂self/∂node for every node of the graph (previous grads are reset).

        Returns the nodes in topological order, as ``graph()`` does.
        """
        nodes = self.graph()
        for node in nodes:
            node.grad = 0.0
        self.grad = 1.0
        # reverse topological order: a node's grad is complete before it is pushed to its operands
        for node in reversed(nodes):
            for child, local in zip(node.children, node.local_grads):
                child.grad += local * node.grad
        return nodes


# ---------------------------------------------------------------------------- the lecture example
@dataclass
class AutodiffTable:
    """The worked example as a table: one row per step h1 … h6, then the inputs' gradients."""

    f: float
    grads: dict[str, float]
    columns: tuple[str, ...]
    rows: list[tuple]
    nodes: dict[str, Value]

    def to_markdown(self, digits: int = 4) -> str:
        digits = as_int_scalar(digits, "digits", min_value=1, max_value=17)

        def fmt(v):
            return f"{v:.{digits}g}" if isinstance(v, float) else str(v)

        lines = ["| " + " | ".join(self.columns) + " |", "|" + "---|" * len(self.columns)]
        lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in self.rows]
        return "\n".join(lines)


def sigmoid_example(x: float = 1.0, w: float = 0.0, b: float = 0.0) -> AutodiffTable:
    """Build f(x; w, b) = 1 / (exp(−(wx + b)) + 1) step by step and back-propagate through it.

    Steps (as in the lecture): h1 = x·w, h2 = h1 + b, h3 = h2·(−1), h4 = exp(h3), h5 = h4 + 1,
    h6 = 1/h5 = f. Each row: name, expression, value, the local derivative along the chain to ``w``
    (∂h1/∂w, ∂h2/∂h1, …, ∂h6/∂h5) and the accumulated gradient ∂f/∂h_i. The product of the local
    derivatives is ∂f/∂w (0.25 at x = 1, w = 0, b = 0).
    """
    xv, wv, bv = (Value(_as_number(v, name), name) for v, name in ((x, "x"), (w, "w"), (b, "b")))
    h1 = xv * wv
    h2 = h1 + bv
    h3 = h2 * -1
    h4 = h3.exp()
    h5 = h4 + 1
    h6 = 1 / h5
    steps = [
        ("h1", h1, "x * w", wv, "dh1/dw"),
        ("h2", h2, "h1 + b", h1, "dh2/dh1"),
        ("h3", h3, "h2 * (-1)", h2, "dh3/dh2"),
        ("h4", h4, "exp(h3)", h3, "dh4/dh3"),
        ("h5", h5, "h4 + 1", h4, "dh5/dh4"),
        ("h6", h6, "1 / h5", h5, "dh6/dh5"),
    ]
    for name, node, *_ in steps:
        node.label = name
    h6.backward()
    rows = [(name, expr, node.data + 0.0, wrt, node.local_grad(prev), node.grad) for name, node, expr, prev, wrt in steps]
    nodes = {"x": xv, "w": wv, "b": bv, **{name: node for name, node, *_ in steps}}
    return AutodiffTable(
        f=h6.data,
        grads={"x": xv.grad, "w": wv.grad, "b": bv.grad},
        # "+ 0.0" above prints h3 = -(0) as 0 rather than -0
        columns=("node", "expression", "value", "local derivative", "local value", "df/dnode"),
        rows=rows,
        nodes=nodes,
    )
