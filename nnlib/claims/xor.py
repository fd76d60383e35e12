"""Claims of the chapter *XOR* (book/xor.md): no affine rule separates XOR, two layers compute it."""

from __future__ import annotations

import itertools

import sympy as sp

from nnlib.claims._common import descriptions_of, section

__all__ = ["SECTIONS", "DESCRIPTIONS"]  # its claims, by section (the builders' helpers are not API)


def step(v):
    """Threshold activation I(v ≥ 0) of an exact number."""
    return 1 if v >= 0 else 0


@section({
    "xor_affine_identity": ("g(0,1) + g(1,0) = g(0,0) + g(1,1) for every affine g = w1x1 + w2x2 + b", "001 §2; 002"),
    "xor_two_layer": ("XOR = OR ∧ NAND; the step network (OR, NAND → AND) and ReLU(s) − 2ReLU(s − 1), "
                      "s = x1 + x2, compute XOR on all four inputs", "001 §2; 002"),
})
def xor_networks(claim):
    w1, w2, b = sp.symbols("w1 w2 b", real=True)
    g = lambda x1, x2: w1 * x1 + w2 * x2 + b
    yield claim("xor_affine_identity", g(0, 1) + g(1, 0), g(0, 0) + g(1, 1))

    half = sp.Rational(1, 2)
    relu = lambda v: max(v, 0)
    nets, truth = [], []
    for x1, x2 in itertools.product([0, 1], repeat=2):
        h_or, h_nand = step(x1 + x2 - half), step(-x1 - x2 + 3 * half)   # hidden layer W1 x + b1
        s12 = x1 + x2
        nets.append([step(h_or + h_nand - 3 * half), relu(s12) - 2 * relu(s12 - 1), (x1 | x2) & (1 - (x1 & x2))])
        truth.append([x1 ^ x2] * 3)
    yield claim("xor_two_layer", sp.Matrix(nets), sp.Matrix(truth))


SECTIONS = (xor_networks,)
DESCRIPTIONS = descriptions_of(SECTIONS)
