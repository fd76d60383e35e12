"""The plain-data protocol between the trusted grader and the sandboxed worker (staged into the sandbox).

Everything that crosses the sandbox boundary is JSON made of tagged plain values (below), framed as a
4-byte big-endian length followed by UTF-8 JSON. The grader treats every byte from the worker as
untrusted: frames have a size cap, values a depth/element cap, and decoding accepts only the exact
shapes listed here. No code, no object, no pickle crosses: an ndarray subclass or an object that lies
about its value arrives as the plain data it holds, or as ``Opaque(type_name, repr_prefix)``.

Encoded values (``encode``/``decode``):
    null, true/false, JSON strings              None, bool, str
    {"i": "123"}                                 int (at most MAX_INT_DIGITS digits)
    {"f": "0x1.8p+1"} (float.hex, or nan/inf)    float
    {"l": [...]} / {"t": [...]}                  list / tuple
    {"d": [["key", value], ...]}                 dict with str keys
    {"a": base64, "dtype": "float64", "shape": [..]}   numpy.ndarray (little-endian, C order)
    {"expr": srepr_text}                         Expr (a SymPy result, parsed only by ffgrader.exprs)
    {"opaque": type_name, "repr": prefix}        Opaque (any other result type)
Markers, only in requests (the worker turns each into an object of its own; none of them holds code that
the worker runs as Python, so a student who keeps one learns nothing it did not already receive):
    {"sym": name, "assume": {"positive": true}}  Sym: a SymPy Symbol
    {"rng": seed}                                Rng: numpy.random.default_rng(seed)
    {"ref": name}                                Ref: the student's own object bound to ``name``
    {"fn": [params], "body": text, "consts": [[name, value], ...]}
                                                 Fn: a function of numpy arrays given as an expression from
                                                 a small whitelist (``compile_fn``), e.g. a target f(x)
    {"seq": [...]}                               Seq: a function returning the next value at each call
    {"lookup": index, "pairs": [[key, value], ...]}
                                                 Lookup: a function returning the value stored for its
                                                 argument number ``index``
    {"partial": name, "args": [...]}             Partial: ``lambda *a: <student's name>(*a, *args)``
    {"held": request_id, "path": [...]}          Held: (part of) what an earlier call returned, kept in the worker
"""

from __future__ import annotations

import ast
import base64
import copy
import json
import math
import re
import struct
import types
from dataclasses import dataclass, field

import numpy as np

MAX_FRAME = 64 * 1024 * 1024      # bytes of one JSON frame
MAX_DEPTH = 32                    # nesting of lists/tuples/dicts
MAX_NODES = 200_000               # values in one message
MAX_ARRAY_ELEMENTS = 4_000_000    # elements of all arrays in one message together
MAX_STR = 1_000_000               # characters of one string
MAX_INT_DIGITS = 1000
MAX_NAME = 200
MAX_FN_TEXT = 4000                # characters of an Fn body
MAX_FN_NODES = 400
DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "float32", "float64")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
ASSUMPTIONS = ("positive", "negative", "nonnegative", "nonpositive", "real", "integer", "nonzero")

# The numpy names an Fn body may use (np.<name>): elementwise functions, products and constants.
FN_NUMPY = ("sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "exp", "expm1", "log",
            "log1p", "sqrt", "abs", "sign", "maximum", "minimum", "outer", "where", "clip", "pi", "e")
_FN_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.MatMult, ast.USub, ast.UAdd, ast.Lt, ast.Gt,
           ast.LtE, ast.GtE)


class ProtocolError(ValueError):
    """A frame or a value that does not follow the protocol (the worker is treated as crashed)."""


# ------------------------------------------------------------------------------------------------
# Markers and results
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sym:
    """A SymPy ``Symbol(name, **assumptions)`` built inside the worker."""
    name: str
    assumptions: dict = field(default_factory=dict)

    def __init__(self, name, **assumptions):
        object.__setattr__(self, "name", _check_name(name, "Sym name"))
        for k, v in assumptions.items():
            if k not in ASSUMPTIONS or not isinstance(v, bool):
                raise ValueError(f"Sym assumption {k}={v!r} not supported (allowed: {', '.join(ASSUMPTIONS)})")
        object.__setattr__(self, "assumptions", dict(assumptions))

    def __hash__(self):
        return hash((self.name, tuple(sorted(self.assumptions.items()))))


@dataclass(frozen=True)
class Ref:
    """The student's object bound to ``name`` in the worker (a function of another part, say)."""
    name: str

    def __post_init__(self):
        _check_name(self.name, "Ref name")


@dataclass(frozen=True)
class Rng:
    """``numpy.random.default_rng(seed)`` built inside the worker."""
    seed: int

    def __post_init__(self):
        if type(self.seed) is not int or not 0 <= self.seed < 2**63:
            raise ValueError(f"Rng seed must be an int in [0, 2**63), got {self.seed!r}")


@dataclass(frozen=True, eq=False)
class Fn:
    """A function of numpy arrays, ``params -> body``, whose body is a whitelisted numpy expression (see
    ``compile_fn``); ``consts`` binds further names to plain data (arrays, numbers). Both sides compile the
    same text: the worker to hand the student a callable, the grader for its reference values."""
    params: tuple
    body: str
    consts: dict = field(default_factory=dict)

    def __post_init__(self):
        params = tuple(self.params)
        for p in params:
            _check_name(p, "Fn parameter")
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "consts", dict(self.consts))
        for k in self.consts:
            _check_name(k, "Fn constant")
        compile_fn(self)  # refuse a body outside the whitelist here, not in the worker

    def __call__(self, *args):
        return compile_fn(self)(*args)


@dataclass(frozen=True, eq=False)
class Seq:
    """A function that returns ``values[k]`` (a fresh copy) at its k-th call, whatever its arguments."""
    values: list


@dataclass(frozen=True, eq=False)
class Lookup:
    """A function returning (a fresh copy of) the value paired with its argument number ``index``."""
    index: int
    pairs: list


@dataclass(frozen=True)
class Partial:
    """``lambda *a: f(*a, *args)`` where ``f`` is the student's object bound to ``name``."""
    name: str
    args: tuple = ()

    def __post_init__(self):
        _check_name(self.name, "Partial name")
        object.__setattr__(self, "args", tuple(self.args))


@dataclass(frozen=True)
class Held:
    """(Part of) the value an earlier call (request ``request_id``) returned, as the worker keeps it: e.g. the
    student's own cache object of a forward pass, handed back to the student's backward pass unchanged."""
    request_id: int
    path: tuple = ()

    def __post_init__(self):
        if type(self.request_id) is not int or self.request_id < 0:
            raise ValueError(f"Held request_id must be an int >= 0, got {self.request_id!r}")
        path = tuple(self.path)
        if len(path) > 8 or not all(type(p) in (int, str) for p in path):
            raise ValueError(f"Held path must be a short tuple of ints/strs, got {self.path!r}")
        object.__setattr__(self, "path", path)


MARKERS = (Sym, Ref, Rng, Fn, Seq, Lookup, Partial, Held)


@dataclass(frozen=True)
class Expr:
    """A SymPy expression returned by the student, as ``sympy.srepr`` text (parse with ffgrader.exprs)."""
    text: str


@dataclass(frozen=True)
class Opaque:
    """A result of a type the protocol does not carry: its type name and the start of its repr."""
    type_name: str
    repr_prefix: str

    def __str__(self):
        return f"a {self.type_name} object ({self.repr_prefix})"


# ------------------------------------------------------------------------------------------------
# Fn: a whitelisted numpy expression
# ------------------------------------------------------------------------------------------------

def compile_fn(fn: Fn):
    """A Python callable for ``fn``. The body may use its parameters, its constants, numbers, + - * / ** @,
    comparisons and ``np.<name>`` for the names in FN_NUMPY; anything else raises ValueError."""
    if type(fn.body) is not str or len(fn.body) > MAX_FN_TEXT:
        raise ValueError(f"Fn body must be a str of at most {MAX_FN_TEXT} characters")
    try:
        tree = ast.parse(fn.body, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ValueError("Fn body is not an expression") from None
    names = set(fn.params) | set(fn.consts)
    nodes = 0
    for node in ast.walk(tree):
        nodes += 1
        if nodes > MAX_FN_NODES:
            raise ValueError(f"Fn body has more than {MAX_FN_NODES} nodes")
        if isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Load) + _FN_OPS):
            continue
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            continue
        if isinstance(node, ast.Name) and (node.id in names or node.id == "np"):
            continue
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "np" \
                and node.attr in FN_NUMPY:
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.keywords:
            continue  # its func is checked as an Attribute above
        raise ValueError(f"Fn body: {type(node).__name__} is not allowed")
    code = compile(tree, "<fn>", "eval")
    env_np = types.SimpleNamespace(**{n: getattr(np, n) for n in FN_NUMPY})
    params, consts = fn.params, dict(fn.consts)

    def function(*args):
        if len(args) != len(params):
            raise TypeError(f"this function takes {len(params)} argument(s) ({', '.join(params)}), got {len(args)}")
        return eval(code, {"__builtins__": {}, "np": env_np}, {**consts, **dict(zip(params, args))})  # noqa: S307

    return function


# ------------------------------------------------------------------------------------------------
# Encoding
# ------------------------------------------------------------------------------------------------

def _check_name(name, what):
    if type(name) is not str or len(name) > MAX_NAME or not _NAME_RE.match(name):
        raise ValueError(f"{what} must be a Python identifier, got {name!r:.80}")
    return name


def summarize(value, depth=0) -> str:
    """A short description of a value for messages: 'float64 array of shape (25,)', 'int', ..."""
    t = type(value)
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array of shape {value.shape}"
    if t in (list, tuple) and depth < 2:
        inner = ", ".join(summarize(v, depth + 1) for v in value[:4]) + (", ..." if len(value) > 4 else "")
        return f"{t.__name__} of {len(value)} [{inner}]"
    if t in (Sym, Ref, Rng, Partial):
        return repr(value)
    if t is Fn:
        return f"a function of {', '.join(value.params)}"
    if t in (Seq, Lookup, Held):
        return f"a {t.__name__}"
    return t.__name__


def encode(value, *, _depth=0):
    """Plain data -> JSON-able tagged value (raises TypeError for anything else)."""
    if _depth > MAX_DEPTH:
        raise ValueError(f"value nested deeper than {MAX_DEPTH}")
    t, d = type(value), _depth + 1
    if value is None or t is bool or t is str:
        return value
    if t is int:
        return {"i": str(value)}
    if t is float:
        return {"f": _float_text(value)}
    if t is list or t is tuple:
        return {"l" if t is list else "t": [encode(v, _depth=d) for v in value]}
    if t is dict:
        for k in value:
            if type(k) is not str:
                raise TypeError(f"dict keys must be str, got {type(k).__name__}")
        return {"d": [[k, encode(v, _depth=d)] for k, v in value.items()]}
    if t is np.ndarray:
        if value.dtype.name not in DTYPES:
            raise TypeError(f"array dtype {value.dtype} not carried (allowed: {', '.join(DTYPES)})")
        if value.size > MAX_ARRAY_ELEMENTS:
            raise ValueError(f"array of {value.size} elements exceeds {MAX_ARRAY_ELEMENTS}")
        data = np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<")).tobytes()
        return {"a": base64.b64encode(data).decode("ascii"), "dtype": value.dtype.name, "shape": list(value.shape)}
    if t is Sym:
        return {"sym": value.name, "assume": dict(value.assumptions)}
    if t is Ref:
        return {"ref": value.name}
    if t is Rng:
        return {"rng": value.seed}
    if t is Fn:
        return {"fn": list(value.params), "body": value.body,
                "consts": [[k, encode(v, _depth=d)] for k, v in value.consts.items()]}
    if t is Seq:
        return {"seq": [encode(v, _depth=d) for v in value.values]}
    if t is Lookup:
        return {"lookup": value.index, "pairs": [[encode(k, _depth=d), encode(v, _depth=d)] for k, v in value.pairs]}
    if t is Partial:
        return {"partial": value.name, "args": [encode(v, _depth=d) for v in value.args]}
    if t is Held:
        return {"held": value.request_id, "path": list(value.path)}
    if t is Expr:
        return {"expr": value.text}
    if t is Opaque:
        return {"opaque": value.type_name, "repr": value.repr_prefix}
    if isinstance(value, (np.bool_, np.integer, np.floating)) and t.__module__ == "numpy":
        return encode(value.item(), _depth=_depth)
    raise TypeError(f"{t.__name__} is not plain data")


def _float_text(x: float) -> str:
    return x.hex() if math.isfinite(x) else repr(x)  # 'nan', 'inf', '-inf'


class _Budget:
    def __init__(self, markers):
        self.nodes = 0
        self.elements = 0
        self.markers = markers

    def node(self):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ProtocolError(f"more than {MAX_NODES} values in one message")


def decode(obj, *, markers=True, _depth=0, _budget=None):
    """Tagged JSON -> plain value. Strict: anything unexpected raises ProtocolError. ``markers=False`` (what the
    grader uses for the worker's replies) refuses every request marker."""
    b = _budget or _Budget(markers)
    b.node()
    if _depth > MAX_DEPTH:
        raise ProtocolError(f"value nested deeper than {MAX_DEPTH}")
    t = type(obj)
    if obj is None or t is bool:
        return obj
    if t is str:
        if len(obj) > MAX_STR:
            raise ProtocolError(f"string of {len(obj)} characters exceeds {MAX_STR}")
        return obj
    if t is not dict or not obj:
        raise ProtocolError(f"unexpected JSON {t.__name__} in a value")

    def sub(v):
        return decode(v, markers=markers, _depth=_depth + 1, _budget=b)

    keys = set(obj)
    if keys == {"i"}:
        s = _str_field(obj, "i", MAX_INT_DIGITS + 1)
        if not re.fullmatch(r"-?[0-9]{1,%d}" % MAX_INT_DIGITS, s):
            raise ProtocolError("malformed int")
        return int(s)
    if keys == {"f"}:
        s = _str_field(obj, "f", 40)
        try:
            return float.fromhex(s) if s not in ("nan", "inf", "-inf") else float(s)
        except (ValueError, OverflowError):
            raise ProtocolError("malformed float") from None
    if keys in ({"l"}, {"t"}):
        (tag,) = keys
        items = _list_field(obj, tag)
        out = [sub(v) for v in items]
        return out if tag == "l" else tuple(out)
    if keys == {"d"}:
        out = {}
        for p in _list_field(obj, "d"):
            if type(p) is not list or len(p) != 2 or type(p[0]) is not str or len(p[0]) > MAX_NAME * 5:
                raise ProtocolError("malformed dict item")
            out[p[0]] = sub(p[1])
        return out
    if keys == {"a", "dtype", "shape"}:
        return _decode_array(obj, b)
    if keys == {"expr"}:
        return Expr(_str_field(obj, "expr", MAX_STR))
    if keys == {"opaque", "repr"}:
        return Opaque(_str_field(obj, "opaque", MAX_NAME), _str_field(obj, "repr", 200))
    if not b.markers:
        raise ProtocolError(f"unknown value tag {sorted(keys)[:5]}")
    try:
        if keys == {"sym", "assume"}:
            if type(obj["assume"]) is not dict:
                raise ValueError("assumptions must be a dict")
            return Sym(obj["sym"], **obj["assume"])
        if keys == {"ref"}:
            return Ref(obj["ref"])
        if keys == {"rng"}:
            return Rng(obj["rng"])
        if keys == {"fn", "body", "consts"}:
            consts = {}
            for p in _list_field(obj, "consts"):
                if type(p) is not list or len(p) != 2 or type(p[0]) is not str:
                    raise ValueError("malformed constant")
                consts[p[0]] = sub(p[1])
            return Fn(tuple(_list_field(obj, "fn")), _str_field(obj, "body", MAX_FN_TEXT), consts)
        if keys == {"seq"}:
            return Seq([sub(v) for v in _list_field(obj, "seq")])
        if keys == {"lookup", "pairs"}:
            if type(obj["lookup"]) is not int:
                raise ValueError("Lookup index must be an int")
            pairs = []
            for p in _list_field(obj, "pairs"):
                if type(p) is not list or len(p) != 2:
                    raise ValueError("malformed Lookup pair")
                pairs.append((sub(p[0]), sub(p[1])))
            return Lookup(obj["lookup"], pairs)
        if keys == {"partial", "args"}:
            return Partial(obj["partial"], tuple(sub(v) for v in _list_field(obj, "args")))
        if keys == {"held", "path"}:
            return Held(obj["held"], tuple(_list_field(obj, "path")))
    except (ValueError, TypeError) as e:
        raise ProtocolError(f"malformed {sorted(keys)[0]}: {e}") from None
    raise ProtocolError(f"unknown value tag {sorted(keys)[:5]}")


def _str_field(obj, key, cap):
    s = obj[key]
    if type(s) is not str or len(s) > cap:
        raise ProtocolError(f"malformed {key!r} field")
    return s


def _list_field(obj, key):
    items = obj[key]
    if type(items) is not list:
        raise ProtocolError(f"malformed {key!r} field")
    return items


def _decode_array(obj, budget):
    dtype, shape, data = obj["dtype"], obj["shape"], obj["a"]
    if type(dtype) is not str or dtype not in DTYPES:
        raise ProtocolError(f"array dtype {dtype!r:.40} not allowed")
    if type(shape) is not list or len(shape) > 32 or any(type(n) is not int or n < 0 for n in shape):
        raise ProtocolError("malformed array shape")
    size = 1
    for n in shape:
        size *= n
        if size > MAX_ARRAY_ELEMENTS:
            raise ProtocolError(f"array larger than {MAX_ARRAY_ELEMENTS} elements")
    budget.elements += size
    if budget.elements > MAX_ARRAY_ELEMENTS:
        raise ProtocolError(f"arrays larger than {MAX_ARRAY_ELEMENTS} elements in one message")
    dt = np.dtype(dtype).newbyteorder("<")
    if type(data) is not str or len(data) != 4 * ((size * dt.itemsize + 2) // 3):
        raise ProtocolError("array data does not match its shape and dtype")
    try:
        raw = base64.b64decode(data, validate=True)
    except ValueError:
        raise ProtocolError("array data is not base64") from None
    if len(raw) != size * dt.itemsize:
        raise ProtocolError("array data does not match its shape and dtype")
    # A fresh, writable, native-order base-class ndarray that owns its data.
    return np.frombuffer(raw, dtype=dt).astype(np.dtype(dtype), copy=True).reshape(shape)


def fresh(value):
    """A deep copy of decoded plain data (what a Seq/Lookup hands out at each call)."""
    return copy.deepcopy(value)


# ------------------------------------------------------------------------------------------------
# Framing and messages
# ------------------------------------------------------------------------------------------------

def frame(message: dict) -> bytes:
    data = json.dumps(message, allow_nan=False, separators=(",", ":")).encode("utf-8")
    return struct.pack(">I", len(data)) + data


def unframe_header(header: bytes, cap: int = MAX_FRAME) -> int:
    if len(header) != 4:
        raise ProtocolError("truncated frame header")
    (n,) = struct.unpack(">I", header)
    if n > cap:
        raise ProtocolError(f"frame of {n} bytes exceeds {cap}")
    return n


def parse_frame(data: bytes) -> dict:
    try:
        msg = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ProtocolError(f"frame is not JSON: {type(e).__name__}") from None
    if type(msg) is not dict:
        raise ProtocolError("frame is not a JSON object")
    return msg


# Reply schemas: key -> allowed JSON types. ``check_reply`` rejects anything else.
_REPLY_KEYS = {
    "id": (int,), "ok": (bool,), "stdout": (str,), "stderr": (str,), "result": None,
    "error": (dict, type(None)), "notdefined": (bool,), "display": (str, type(None)),
}
_ERROR_KEYS = {"ename": str, "evalue": str, "traceback": list}
MAX_TEXT = 200_000  # characters of captured stdout/stderr/traceback per reply


def check_reply(msg: dict, expected_id: int) -> dict:
    """Validate a reply frame from the worker; returns it with `result` decoded (no markers accepted)."""
    if set(msg) - set(_REPLY_KEYS) or "id" not in msg or "ok" not in msg:
        raise ProtocolError(f"unexpected reply keys {sorted(msg)[:8]}")
    for k, types_ in _REPLY_KEYS.items():
        if k in msg and types_ is not None and type(msg[k]) not in types_:
            raise ProtocolError(f"reply field {k!r} has type {type(msg[k]).__name__}")
    if msg["id"] != expected_id:
        raise ProtocolError(f"reply id {msg['id']} while waiting for {expected_id}")
    out = {k: msg[k] for k in ("id", "ok", "notdefined") if k in msg}
    for k in ("stdout", "stderr", "display"):
        if k in msg:
            out[k] = msg[k]
    for k in ("stdout", "stderr", "display"):
        if out.get(k) is not None and len(out[k]) > MAX_TEXT:
            out[k] = out[k][:MAX_TEXT] + "\n[output truncated]"
    err = msg.get("error")
    if err is not None:
        if set(err) != set(_ERROR_KEYS) or any(type(err[k]) is not t for k, t in _ERROR_KEYS.items()):
            raise ProtocolError("malformed error in reply")
        tb = [line for line in err["traceback"] if type(line) is str][:200]
        out["error"] = {"ename": err["ename"][:200], "evalue": err["evalue"][:MAX_TEXT // 10],
                        "traceback": [line[:2000] for line in tb]}
    if "result" in msg:
        out["result"] = decode(msg["result"], markers=False)
    return out
