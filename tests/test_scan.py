"""The by-hand scan (ffgrader.scan): SymPy calculus in an answer cell is found however it is spelt,
and honest by-hand answers (with docstrings that talk about derivatives) are not flagged."""

import pytest

from ffgrader.scan import calculus_findings


@pytest.mark.parametrize("source, what", [
    ("d = sp.diff(sp.exp(z), z)", "diff"),
    ("d = sp.exp(z).diff(z)", "diff"),
    ("d = sp.Derivative(sp.exp(z), z).doit()", "Derivative"),
    ("from sympy import diff as d\nr = d(sp.exp(z), z)", "imports diff"),
    ("from sympy import *\nr = integrate(z, z)", "integrate"),
    ("r = sp.series(sp.exp(z), z, 0, 3)", "series"),
    ("r = sp.limit((sp.exp(z + h) - sp.exp(z)) / h, h, 0)", "limit"),
    ("r = sp.Matrix([sp.exp(z)]).jacobian([z])", "jacobian"),
    ("r = getattr(sp, 'di' + 'ff')(sp.exp(z), z)", "getattr"),
    ("r = sp.__dict__['d' + 'iff'](sp.exp(z), z)", "__dict__"),
    ("r = eval('sp.d' + 'iff(sp.exp(z), z)')", "eval"),
    ("r = sp.sympify('diff(exp(z), z)')", "sympify"),
    ("import importlib\nr = importlib.import_module('sympy')", "importlib"),
    ("import sympy.core.function as f\nr = f.diff(z, z)", "sympy.core.function"),
    ("op = __import__('operator')\nr = op.methodcaller('di' + 'ff', z)(sp.exp(z))", "__import__"),
    ("%time r = sp.diff(sp.exp(z), z)", "diff"),
    ("name = 'diff'\nr = sp.exp(z).__getattribute__(name)(z)", "diff"),
    ("r = sp.exp(z).ｄｉｆｆ(z)", "diff"),  # fullwidth letters: Python normalizes identifiers (NFKC)
])
def test_calculus_is_found(source, what):
    found = calculus_findings(source)
    assert found and any(what in f for f in found), found
    assert all(f.startswith("line ") for f in found)


@pytest.mark.parametrize("source", [
    "def sigmoid_prime_expr():\n    '''Derivative of the logistic function, derived by hand.'''\n"
    "    s = 1 / (1 + sp.exp(-z))\n    return s * (1 - s)",
    "# the derivative: d/dz e^{z^2} = 2 z e^{z^2}\nanswer = 2 * z * sp.exp(z**2)",
    "answer = sp.simplify(sp.exp(z) * (1 - sp.tanh(z)**2))",
    "x = sp.Rational(1, 2) * sp.sqrt(2) * sp.pi",
    "this is not python (",
])
def test_honest_by_hand_answers_are_not_flagged(source):
    assert calculus_findings(source) == []
