"""Claims of the chapter *Neurons* (book/neurons.md): threshold units and McCulloch-Pitts gates."""

from __future__ import annotations

import itertools

import sympy as sp

from nnlib.claims._common import descriptions_of, indicator, section, vec

__all__ = ["SECTIONS", "DESCRIPTIONS"]  # its claims, by section (the builders' helpers are not API)


def mp_unit(x, w, theta, inhibitory=()):
    """McCulloch-Pitts unit: 1 if no inhibitory input is on and Σ w_i x_i ≥ θ, else 0 (exact)."""
    if any(inhibitory):
        return 0
    return 1 if sum(sp.Rational(wi) * xi for wi, xi in zip(w, x)) >= sp.Rational(theta) else 0


@section({
    "threshold_as_bias": ("I(wᵀx ≥ θ) = I(wᵀx + b ≥ 0) with b = −θ", "001 §2; 000 §4.1"),
    "mcculloch_pitts_example": ("threshold unit w = (−1, 2, −1), θ = 1/2 gives table 2-1", "001 §2"),
    "mcculloch_pitts_gates": ("MP units: inhibitory x4 gives (x̄1x2 + x2x̄3)x̄4; AND (θ=2), OR (θ=1), "
                              "x1 AND NOT x2, NOT x on all inputs", "001 §2"),
})
def threshold_units(claim):
    n = 3
    w, xv = vec("w", n, real=True), vec("x", n, real=True)
    theta, b = sp.symbols("theta b", real=True)
    s = (w.T * xv)[0]
    yield claim("threshold_as_bias", indicator(s >= theta), indicator(s + b >= 0).subs(b, -theta))

    # the unit of 001 table 2-1: w = (-1, 2, -1), θ = 1/2 computes x̄1 x2 + x2 x̄3
    rows = list(itertools.product([0, 1], repeat=3))
    unit = [1 if -x1 + 2 * x2 - x3 >= sp.Rational(1, 2) else 0 for x1, x2, x3 in rows]
    boolean = [int(bool((not x1) and x2) or bool(x2 and not x3)) for x1, x2, x3 in rows]
    yield claim("mcculloch_pitts_example", sp.Matrix(unit), sp.Matrix(boolean))

    rows4 = list(itertools.product([0, 1], repeat=4))
    units = [mp_unit(r[:3], (-1, 2, -1), sp.Rational(1, 2), inhibitory=r[3:]) for r in rows4]
    booleans = [int(bool(((not a) and b_) or (b_ and not c)) and not d) for a, b_, c, d in rows4]
    for a, b_ in itertools.product([0, 1], repeat=2):
        units += [mp_unit((a, b_), (1, 1), 2), mp_unit((a, b_), (1, 1), 1),
                  mp_unit((a,), (1,), 1, inhibitory=(b_,)), mp_unit((), (), 0, inhibitory=(a,))]
        booleans += [a & b_, a | b_, a & (1 - b_), 1 - a]
    yield claim("mcculloch_pitts_gates", sp.Matrix(units), sp.Matrix(booleans))


@section({
    "linear_activation_scaling": ("c·(wᵀx + b) = (cw)ᵀx + cb: a linear activation f(z) = cz is the identity with "
                                  "weights and bias scaled by c", "004 (linear activation); 001 table 2-2"),
})
def linear_neuron(claim):
    w, xv = vec("w", 3, real=True), vec("x", 3, real=True)
    b, c = sp.symbols("b c", real=True)
    yield claim("linear_activation_scaling", c * ((w.T * xv)[0] + b), ((c * w).T * xv)[0] + c * b)


SECTIONS = (threshold_units, linear_neuron)
DESCRIPTIONS = descriptions_of(SECTIONS)
