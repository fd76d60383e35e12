"""The sandbox boundary's pure parts: the plain-data protocol and the whitelist SymPy parser.

Everything the worker sends is hostile: these tests feed the decoders what a student could make the
worker send (huge arrays, nesting bombs, wrong tags, code-carrying SymPy text) and check that only
plain data (or a clear error) comes out, and that equivalence never hangs.
"""

import base64
import json
import struct
import time

import numpy as np
import pytest
import sympy as sp

from ffgrader import exprs
from ffgrader.sandboxed import wire as P


def roundtrip(v):
    return P.decode(json.loads(json.dumps(P.encode(v))))


# ------------------------------------------------------------------------------------------------
# Protocol
# ------------------------------------------------------------------------------------------------

def test_plain_values_round_trip_with_exact_types():
    v = {"a": [1, 2.5, None, True, "s"], "t": (float("nan"), float("-inf"), -0.0, 10**30), "e": {}}
    out = roundtrip(v)
    assert out["a"] == [1, 2.5, None, True, "s"] and type(out["a"][3]) is bool and type(out["a"][0]) is int
    assert type(out["t"]) is tuple and np.isnan(out["t"][0]) and out["t"][1] == float("-inf")
    assert str(out["t"][2]) == "-0.0" and out["t"][3] == 10**30


@pytest.mark.parametrize("dtype", P.DTYPES)
def test_arrays_round_trip_as_fresh_base_class_arrays(dtype):
    a = (np.arange(24) % 5).astype(dtype).reshape(2, 3, 4)
    b = roundtrip(a)
    assert type(b) is np.ndarray and b.dtype == a.dtype and b.shape == a.shape and np.array_equal(a, b)
    assert b.flags.writeable and b.flags.owndata or b.base is not None
    b[...] = 0  # writable, independent


def test_numpy_scalars_become_python_scalars_and_markers_survive():
    out = roundtrip([np.float64(1.5), np.int32(3), np.bool_(True), P.Sym("z", positive=True), P.Ref("f"),
                     P.Rng(7), P.Expr("Symbol('z')"), P.Opaque("Foo", "<Foo>")])
    assert out[:3] == [1.5, 3, True] and [type(x) for x in out[:3]] == [float, int, bool]
    assert out[3] == P.Sym("z", positive=True) and out[4] == P.Ref("f") and out[5] == P.Rng(7)
    assert out[6] == P.Expr("Symbol('z')") and out[7].type_name == "Foo"


@pytest.mark.parametrize("value", [object(), {1: 2}, np.array(["x"]), np.zeros(2, complex), lambda: 0,
                                   np.zeros(2).view(np.matrix)])
def test_encode_refuses_non_plain_data(value):
    with pytest.raises((TypeError, ValueError)):
        P.encode(value)


def _arr(dtype="float64", shape=(2,), data=None):
    raw = data if data is not None else np.zeros(int(np.prod(shape)), dtype).tobytes()
    return {"a": base64.b64encode(raw).decode(), "dtype": dtype, "shape": list(shape)}


@pytest.mark.parametrize("bad", [
    {"i": "1" * 5000},                                   # int digit bomb
    {"i": "0x10"}, {"f": "1e400x"}, {"f": 1.0}, [1, 2],    # malformed scalars, untagged list
    {"l": [1]},                                          # raw JSON int inside a list (ints are tagged)
    {"a": "AAAA", "dtype": "object", "shape": [1]},      # object dtype
    _arr(shape=(10**5, 10**5), data=b"\0" * 8),            # a huge declared shape
    _arr(shape=(4,), data=b"\0" * 8),                    # data shorter than the shape
    {"a": "!!!!", "dtype": "uint8", "shape": [3]},       # not base64
    {"a": "", "dtype": "float64", "shape": [-1]},
    {"d": [[1, None]]}, {"d": [["k"]]},                  # non-str keys, broken pairs
    {"sym": "__import__('os')", "assume": {}},           # a Sym that is not an identifier
    {"sym": "x", "assume": {"commutative": False}},      # an assumption not allowed
    {"rng": -1}, {"rng": True}, {"ref": "a.b"},
    {"expr": "x", "extra": 1}, {"py/object": "os.system"}, {},
])
def test_decode_rejects_malformed_values(bad):
    with pytest.raises(P.ProtocolError):
        P.decode(bad)


def test_decode_rejects_depth_and_size_bombs():
    deep = None
    for _ in range(P.MAX_DEPTH + 5):
        deep = {"l": [deep]}
    with pytest.raises(P.ProtocolError, match="deeper"):
        P.decode(deep)
    with pytest.raises(P.ProtocolError, match="values"):
        P.decode({"l": [None] * (P.MAX_NODES + 1)})
    half = int(P.MAX_ARRAY_ELEMENTS * 0.6)
    with pytest.raises(P.ProtocolError, match="elements"):
        P.decode({"l": [_arr("uint8", (half,)), _arr("uint8", (half,))]})
    # JSON nesting beyond the parser's recursion limit is a ProtocolError, not a crash of the grader
    with pytest.raises(P.ProtocolError):
        P.parse_frame(b"[" * 100_000 + b"]" * 100_000)


def test_frames_have_a_size_cap_and_replies_a_strict_schema():
    with pytest.raises(P.ProtocolError, match="exceeds"):
        P.unframe_header(struct.pack(">I", P.MAX_FRAME + 1))
    for bad in (b"\xff\xfe", b"not json", b"[1]"):
        with pytest.raises(P.ProtocolError):
            P.parse_frame(bad)
    good = {"id": 3, "ok": True, "stdout": "", "stderr": "", "result": P.encode(2.0)}
    assert P.check_reply(good, 3)["result"] == 2.0
    with pytest.raises(P.ProtocolError, match="waiting for 4"):
        P.check_reply(good, 4)  # a reply forged ahead of time for another request
    for extra in ({"verdict": "pass"}, {"ok": "yes"}, {"error": {"ename": 1, "evalue": "", "traceback": []}},
                  {"stdout": 5}):
        with pytest.raises(P.ProtocolError):
            P.check_reply({**good, **extra}, 3)
    long = P.check_reply({**good, "stdout": "x" * (P.MAX_TEXT + 10)}, 3)
    assert long["stdout"].endswith("[output truncated]") and len(long["stdout"]) < P.MAX_TEXT + 100


def test_replies_carry_no_markers_and_fn_bodies_only_whitelisted_numpy():
    """Markers go to the worker only: a reply holding one is a protocol error. An Fn body is a numpy expression
    from a short whitelist: nothing else compiles, on either side."""
    for marker in (P.Sym("z"), P.Ref("f"), P.Rng(1), P.Fn(("x",), "x"), P.Seq([1]), P.Lookup(0, [(1, 2)]),
                   P.Partial("f"), P.Held(3)):
        with pytest.raises(P.ProtocolError):
            P.check_reply({"id": 1, "ok": True, "result": P.encode(marker)}, 1)
    f = P.Fn(("x",), "np.maximum(np.outer(x, w) + b, 0.0) @ v + c", {"w": np.ones(2), "b": np.zeros(2),
                                                                     "v": np.ones(2), "c": 1.0})
    assert np.allclose(f(np.array([1.0, 2.0])), [3.0, 5.0])
    for body in ("x.__class__", "np.load('x')", "__import__('os')", "(lambda: 1)()", "'text'", "x[0]",
                 "np.sin(x, out=x)", "exec('1')", "np.__dict__", "[x for x in x]", "x if x else 1"):
        with pytest.raises(ValueError):
            P.Fn(("x",), body)
    with pytest.raises(P.ProtocolError):
        P.decode({"fn": ["x"], "body": "getattr(x, 'y')", "consts": []})


def test_markers_check_their_arguments():
    with pytest.raises(ValueError, match="identifier"):
        P.Ref("os.system")
    with pytest.raises(ValueError, match="seed"):
        P.Rng(1.5)
    with pytest.raises(ValueError, match="assumption"):
        P.Sym("x", evil=True)
    assert P.summarize(np.zeros((25,))) == "float64 array of shape (25,)"


# ------------------------------------------------------------------------------------------------
# Whitelist SymPy parser
# ------------------------------------------------------------------------------------------------

z = sp.Symbol("z", real=True)
w = sp.Symbol("w", positive=True)


@pytest.mark.parametrize("expr", [
    sp.exp(-z) / (1 + sp.exp(-z)) ** 2, sp.tanh(z) ** 2 - 1, sp.Rational(1, 3) * sp.log(1 + sp.exp(z)),
    sp.Piecewise((z, z > 0), (sp.exp(z) - 1, True)), sp.erf(z / sp.sqrt(2)) * sp.pi, 0.5 * z + sp.E,
    sp.Max(z, 0) + sp.Abs(z) + sp.Heaviside(z) + sp.sign(z), w ** sp.Rational(-1, 2) + sp.sech(w),
])
def test_parse_rebuilds_whitelisted_expressions(expr):
    got = exprs.parse(sp.srepr(expr), [z, w])
    assert sp.simplify(got - expr) == 0 or sp.srepr(got) == sp.srepr(expr)


def test_parse_uses_the_checks_own_symbols():
    got = exprs.parse("Mul(Integer(2), Symbol('z', negative=True))", [z])
    assert got.free_symbols == {z}  # the student's assumptions are not taken over


@pytest.mark.parametrize("text, match", [
    ("__import__('os').system('true')", "not allowed"),
    ("Symbol('z').__class__", "not allowed"),
    ("Lambda(Symbol('z'), Symbol('z'))", "not an allowed"),
    ("Function('f')(Symbol('z'))", "not allowed"),
    ("Derivative(Symbol('z'), Symbol('z'))", "not an allowed"),
    ("Integral(Symbol('z'), Symbol('z'))", "not an allowed"),
    ("Symbol('q')", "allowed symbols: z"),
    ("Integer(" + "9" * 100 + ")", "digits"),
    ("Add(" * 200 + "Integer(1)" + ")" * 200, "not an srepr|deeper"),
    ("Symbol(1)", "one name"), ("Float('1e5', dps=3)", "precision"),
    ("Mul(I, Symbol('z'))", "complex"), ("Rational(1, 0)", "denominator"),
    ("Integer(1) + Integer(2)", "BinOp"), ("eval('1')", "not an allowed"),
    ("exp(Symbol('z'), evaluate=True)", "keywords"), ("lambda: 0", "Lambda"),
])
def test_parse_refuses_everything_else(text, match):
    with pytest.raises(exprs.ExprError, match=match):
        exprs.parse(text, [z])


def test_parse_does_not_evaluate_while_parsing():
    # 10**(10**50) would never finish if evaluated; it stays a tree and equivalence stays bounded.
    text = "Pow(Integer(10), Pow(Integer(10), Integer(50)))"
    e = exprs.parse(text, [z])
    assert isinstance(e, sp.Pow)
    assert exprs.parse("Add(" * 30 + "Symbol('z')" + ", Integer(1))" * 30, [z]) is not None
    with pytest.raises(exprs.ExprError, match="nodes"):
        exprs.parse("Add(" + ", ".join(["Symbol('z')"] * (exprs.MAX_NODES + 1)) + ")", [z])


def test_equivalent_accepts_equal_forms_and_names_a_differing_point():
    s = 1 / (1 + sp.exp(-z))
    ok, why = exprs.equivalent(sp.exp(-z) / (1 + sp.exp(-z)) ** 2, s * (1 - s), [z])
    assert ok is True, why
    ok, why = exprs.equivalent(1 - sp.tanh(z), 1 - sp.tanh(z) ** 2, [z])
    assert ok is False and "at z=" in why and "expected" in why
    ok, why = exprs.equivalent(sp.sqrt(w ** 2), w, [w], positive=True)
    assert ok is True, why


def test_equivalent_never_hangs_on_hostile_expressions():
    bomb = exprs.parse("exp(exp(exp(exp(Pow(Integer(10), Integer(50))))))", [z])
    hard = sum(sp.sin(k * z) ** 7 * sp.cos(z) ** k for k in range(1, 30))
    for a in (bomb, hard):
        ok, why = exprs.equivalent(a, z, [z], budget=2.0)
        assert ok in (False, None), why


def test_judging_a_sympy_bomb_costs_the_grader_next_to_no_cpu():
    """Family 4: Max(x, Pow(3, 10**8)) compares its arguments when built, which takes SymPy minutes to hours;
    built, parsed and compared in a child limited to its CPU budget, it costs the grader process itself only
    the fork and the wait (CPU time of this process, not wall-clock)."""
    bomb = "Max(Symbol('z'), Pow(Integer(3), Integer(100000000)))"
    before = time.process_time()
    ok, why = exprs.judge(bomb, z, [z], budget=1.0)
    used = time.process_time() - before
    assert ok is None and "time budget" in why, why
    assert used < 0.5, used
    assert exprs.judge(sp.srepr(2 * z), z + z, [z]) == (True, "equivalent at 12 random points (30 digits)")
    assert exprs.judge("Derivative(Symbol('z'), Symbol('z'))", z, [z])[0] is False
    assert exprs.judge("__import__('os')", z, [z]) == (False, "your expression could not be read: Call is not "
                                                              "allowed in an expression") or \
        exprs.judge("__import__('os')", z, [z])[0] is False


def test_run_killable_kills_a_runaway_child():
    assert exprs.run_killable(lambda: [1, 2], (), 5.0) == [1, 2]

    def forever():
        while True:
            pass

    assert exprs.run_killable(forever, (), 0.3) is None
