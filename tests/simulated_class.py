"""A simulated class of hw3_backprop for the statistics and similarity reports (test support, not a test module).

``make_class(course)`` writes ``submitted/<id>/hw3_backprop/hw3_backprop.ipynb`` for 24 students (or those given), built from the
released notebook (``exercises/``) with the answer cells written in each student's own style: every answer is
put together from interchangeable spellings of the same step (``a_prev @ W.T + b`` or ``np.dot(a_prev, W.T) + b``,
the three gradients in any order, a dict or a tuple as cache, ...), drawn per student from a seeded generator, so
honest students differ as independent authors do, and some make the mistakes students make (a missing
transpose, ``1/N`` forgotten, no stable sigmoid) or leave a part as released. Planted among them:

- ``PAIR`` (two students): the second hands in the first's dense layer and MLP with every variable renamed,
  independent lines reordered and the comments rewritten;
- ``NNLIB_COPY``: the dense layer pasted from the reference library students have installed
  (``nnlib/layers.py``: its ``dense_forward``/``dense_backward`` and helpers, docstrings cut, names changed);
- ``HOSTILE`` (the second of the pair): markup (``<script>``, ``<img onerror>``) in a comment and a string of
  the copied answer, and an answer that raises an error whose message is that markup (it reaches the
  statistics' failure messages); no report may run it.
"""

from __future__ import annotations

import ast
import io
import random
import tokenize
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
HW = "hw3_backprop"
STUDENTS = [f"s{k:02d}" for k in range(1, 25)]
PAIR = ("s07", "s15")
NNLIB_COPY = "s11"
HOSTILE = PAIR[1]
PARTS = ("dense", "mlp", "bp-by-hand", "autodiff")   # the answer cells' grade ids
# The part of the class that is graded (the statistics' class; the similarity report reads all of STUDENTS,
# which needs no grading). Each is there for what the statistics must show (styles as ``answers()`` draws them):
# s03, s05 left the MLP as released (the most common failure of 2a's loss, counted: at least two), s15 is
# HOSTILE (its markup reaches the failure messages), s19 has a wrong MLP (2a's loss fails for another reason,
# so "most common" is a ranking), s24 a wrong dense layer (failures that follow from another part), s04 answers
# everything right (full marks and pass rates above 0).
GRADED = ("s03", "s04", "s05", "s15", "s19", "s24")


def _pick(rng, *options):
    return rng.choice(options)


# ------------------------------------------------------------------ honest answers, one style per student

def _extra(rng, indent, options):
    """Zero or one of the statements a student adds of their own accord (checks, prints, conversions)."""
    k = rng.randrange(len(options) + 1)
    return "" if k == len(options) else "".join(f"{indent}{ln}\n" for ln in options[k].split("\n"))


def dense(rng, bug=False):
    cache_kind = _pick(rng, "tuple", "dict", "list", "named")
    conv = _extra(rng, "    ", ["a_prev = np.asarray(a_prev, dtype=float)\nW = np.asarray(W, dtype=float)",
                                "a_prev, W, b = (np.asarray(v, dtype=float) for v in (a_prev, W, b))",
                                "a_prev = np.atleast_2d(a_prev)", "b = np.ravel(b)",
                                "a_prev = a_prev.astype(np.float64)\nb = b.reshape(-1)"])
    zt = "W" if bug else "W.T"
    z = _pick(rng, f"z = a_prev @ {zt} + b", f"z = np.dot(a_prev, {zt}) + b",
              f"z = np.matmul(a_prev, {zt}) + b[np.newaxis, :]", f"z = b + a_prev.dot({zt})",
              f"Wt = {zt}\n    z = a_prev @ Wt\n    z = z + b", f"z = np.einsum('nk,km->nm', a_prev, {zt}) + b.reshape(1, -1)",
              f"z = (a_prev @ {zt}) + np.broadcast_to(b, (a_prev.shape[0], b.shape[0]))")
    check = _extra(rng, "    ", ["assert a_prev.shape[1] == W.shape[1], 'shapes do not match'",
                                 "if a_prev.ndim != 2:\n    raise ValueError('a_prev must be a matrix')",
                                 "N, M_prev = a_prev.shape\nM = W.shape[0]",
                                 "assert W.shape[0] == b.shape[0]", "# print(a_prev.shape, W.shape)"])
    after = _extra(rng, "    ", ["assert z.shape == (a_prev.shape[0], W.shape[0])", "z = z.astype(float)",
                                 "z = np.asarray(z)"])
    pack = {"tuple": "(a_prev, W)", "dict": '{"a_prev": a_prev, "W": W}', "list": "[a_prev, W]",
            "named": "(a_prev.copy(), W.copy())"}[cache_kind]
    ret = _pick(rng, f"    cache = {pack}\n    return z, cache\n", f"    return z, {pack}\n",
                f"    out = (z, {pack})\n    return out\n")
    unpack = {"tuple": _pick(rng, "a_prev, W = cache", "a_prev = cache[0]\n    W = cache[1]"),
              "named": _pick(rng, "a_prev, W = cache", "(a_prev, W) = cache"),
              "dict": _pick(rng, 'a_prev, W = cache["a_prev"], cache["W"]', 'a_prev = cache["a_prev"]\n    W = cache["W"]'),
              "list": _pick(rng, "a_prev = cache[0]\n    W = cache[1]", "a_prev, W = cache")}[cache_kind]
    pre = _extra(rng, "    ", ["delta = np.asarray(delta, dtype=float)", "N = delta.shape[0]",
                                "assert delta.shape[1] == W.shape[0]", "delta = np.atleast_2d(delta)"])
    lines = [_pick(rng, "dW = delta.T @ a_prev", "dW = np.dot(delta.T, a_prev)",
                   'dW = np.einsum("nm,nk->mk", delta, a_prev)', "dW = (a_prev.T @ delta).T",
                   "dW = np.zeros_like(W)\n    for n in range(delta.shape[0]):\n        dW += np.outer(delta[n], a_prev[n])"),
             _pick(rng, "db = delta.sum(axis=0)", "db = np.sum(delta, axis=0)", "db = delta.sum(0)",
                   "db = np.ones(delta.shape[0]) @ delta", "db = np.sum(delta, axis=0, keepdims=True).ravel()"),
             _pick(rng, "da_prev = delta @ W", "da_prev = np.dot(delta, W)", "da_prev = np.matmul(delta, W)",
                   "da_prev = (W.T @ delta.T).T")]
    rng.shuffle(lines)
    comment = _pick(rng, "", "    # one matrix product per gradient, no loops\n", "    # chain rule through z\n")
    back_ret = _pick(rng, "    return da_prev, dW, db\n", "    grads = (da_prev, dW, db)\n    return grads\n")
    return (f"def dense_forward(a_prev, W, b):\n    \"\"\"a_prev (N, M_prev), W (M, M_prev), b (M,) -> z (N, M), cache.\"\"\"\n"
            f"{conv}{check}    {z}\n{after}{ret}\n\n"
            f"def dense_backward(delta, cache):\n    \"\"\"delta (N, M) -> da_prev (N, M_prev), dW (M, M_prev), db (M,).\"\"\"\n"
            f"    {unpack}\n{pre}{comment}" + "".join(f"    {ln}\n" for ln in lines) + back_ret)


def mlp(rng, bug=False):
    sig = _pick(rng,
                "    e = np.exp(-np.abs(z))\n    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n",
                "    out = np.empty_like(z, dtype=float)\n    pos = z >= 0\n    out[pos] = 1 / (1 + np.exp(-z[pos]))\n"
                "    ez = np.exp(z[~pos])\n    out[~pos] = ez / (1 + ez)\n    return out\n",
                "    return 0.5 * (1.0 + np.tanh(0.5 * z))\n",
                "    z = np.asarray(z, dtype=float)\n    return np.exp(-np.logaddexp(0.0, -z))\n",
                "    z = np.clip(z, -500, 500)\n    return 1.0 / (1.0 + np.exp(-z))\n")
    if bug:
        sig = "    return 1 / (1 + np.exp(-z))\n"
    store = _pick(rng, "list", "dict")
    fwd_loop = _pick(rng, "enumerate", "range", "zip")
    head = _pick(rng, "    activations = [X]\n    caches = []\n", "    caches = []\n    activations = [X]\n") \
        if store == "list" else _pick(rng, "    memo = {0: X}\n    caches = {}\n", "    caches = dict()\n    memo = dict()\n    memo[0] = X\n")
    head += _extra(rng, "    ", ["L = len(params)", "X = np.asarray(X, dtype=float)", "Y = np.asarray(Y, dtype=float)",
                                "assert X.shape[0] == Y.shape[0]", "n_layers = len(params)"])
    a_prev = "activations[-1]" if store == "list" else "memo[l]"
    if fwd_loop == "enumerate":
        loop = "    for l, layer in enumerate(params):\n        W, b = layer[\"W\"], layer[\"b\"]\n"
    elif fwd_loop == "range":
        loop = "    for l in range(len(params)):\n        W = params[l][\"W\"]\n        b = params[l][\"b\"]\n"
    else:
        loop = ("    for l, (W, b) in enumerate(zip([p[\"W\"] for p in params], [p[\"b\"] for p in params])):\n")
    keep = ("        caches.append(cache)\n" if store == "list" else "        caches[l] = cache\n")
    act = _pick(rng, "        a = z if l == len(params) - 1 else sigmoid(z)\n",
                "        if l < len(params) - 1:\n            a = sigmoid(z)\n        else:\n            a = z\n",
                "        last = l + 1 == len(params)\n        a = z if last else sigmoid(z)\n")
    save = "        activations.append(a)\n" if store == "list" else "        memo[l + 1] = a\n"
    out = "activations[-1]" if store == "list" else "memo[len(params)]"
    n = _pick(rng, "N = X.shape[0]", "N = len(X)", "N = Y.shape[0]", "N = float(X.shape[0])")
    scale = "" if bug else " / N"
    loss = _pick(rng, f"loss = 0.5 * np.sum((y_hat - Y) ** 2){scale}", f"loss = float(np.sum(np.square(y_hat - Y))) / 2{scale}",
                 f"loss = ((y_hat - Y) ** 2).sum() / 2{scale}", f"diff = y_hat - Y\n    loss = 0.5 * np.sum(diff * diff){scale}",
                 f"loss = 0.5 * np.linalg.norm(y_hat - Y) ** 2{scale}")
    delta0 = _pick(rng, f"delta = (y_hat - Y){scale}", f"delta = (y_hat - Y) * (1.0{scale})",
                   f"delta = np.subtract(y_hat, Y){scale}")
    grads_init = _pick(rng, "    grads = [None] * len(params)\n", "    grads = [{} for _ in params]\n",
                       "    grads = [dict() for _ in range(len(params))]\n")
    back_loop = _pick(rng, "    for l in reversed(range(len(params))):\n", "    for l in range(len(params) - 1, -1, -1):\n",
                      "    l = len(params) - 1\n    while l >= 0:\n")
    a_l = "activations[l]" if store == "list" else "memo[l]"
    deriv = _pick(rng, f"            delta = da_prev * {a_l} * (1 - {a_l})\n",
                  f"            s = {a_l}\n            delta = da_prev * s * (1.0 - s)\n",
                  f"            delta = np.multiply(da_prev, {a_l} - {a_l} ** 2)\n")
    store_g = _pick(rng, '        grads[l] = {"W": dW, "b": db}\n', '        grads[l] = dict(W=dW, b=db)\n',
                    '        grads[l]["W"] = dW\n        grads[l]["b"] = db\n')
    if store_g.count("grads[l][") and grads_init.startswith("    grads = [None]"):
        grads_init = "    grads = [{} for _ in params]\n"
    step = "        l -= 1\n" if "while" in back_loop else ""
    return (f"def sigmoid(z):\n    \"\"\"Stable logistic function: never evaluates exp of a large positive number.\"\"\"\n{sig}\n\n"
            f"def mlp_loss_and_grads(params, X, Y):\n    \"\"\"params: list of {{\"W\", \"b\"}}; X (N, D); Y (N, K) -> (loss, grads).\"\"\"\n"
            f"{head}{loop}        z, cache = dense_forward({a_prev}, W, b)\n{keep}{act}{save}"
            f"    y_hat = {out}\n    {n}\n    {loss}\n    {delta0}\n{grads_init}{back_loop}"
            f"        da_prev, dW, db = dense_backward(delta, caches[l])\n{store_g}"
            f"        if l > 0:\n{deriv}{step}    return loss, grads\n")


def bp(rng, bug=False):
    out = _pick(rng, "-(t - y) * y * (1 - y)", "(y - t) * y * (1 - y)", "y * (1 - y) * (y - t)")
    if bug:
        out = "(t - y) * y * (1 - y)"
    return (f"delta_out = {out}\n" + _pick(rng, "dE_dv1 = delta_out * h1\n", "dE_dv1 = h1 * delta_out\n")
            + _pick(rng, "delta_h1 = delta_out * v1 * h1 * (1 - h1)\n", "delta_h1 = h1 * (1 - h1) * v1 * delta_out\n")
            + _pick(rng, "dE_dw12 = delta_h1 * x2\n", "dE_dw12 = x2 * delta_h1\n"))


def autodiff(rng, bug=False):
    style = _pick(rng, "steps", "compact", "loop")
    if style == "steps":
        body = ("    h1 = x * w\n    h2 = h1 + b\n    h3 = -h2\n    h4 = np.exp(h3)\n    h5 = h4 + 1.0\n    h6 = 1.0 / h5\n"
                "    d5 = -1.0 / h5 ** 2\n    d3 = d5 * h4\n    d2 = -d3\n")
        ret = "    return h6, d2 * x, d2\n" if not bug else "    return h6, d2, d2 * x\n"
    elif style == "compact":
        body = ("    s = 1.0 / (1.0 + np.exp(-(w * x + b)))\n    local = s * (1.0 - s)\n")
        ret = "    return s, local * x, local\n" if not bug else "    return s, local, local\n"
    else:
        body = ("    forward = [x * w]\n    for op in (lambda u: u + b, lambda u: -u, np.exp, lambda u: u + 1.0, lambda u: 1.0 / u):\n"
                "        forward.append(op(forward[-1]))\n    h1, h2, h3, h4, h5, h6 = forward\n"
                "    g = -1.0 / h5 ** 2\n    g = g * h4 * -1.0\n")
        ret = "    return h6, g * x, g\n" if not bug else "    return h6, g * w, g\n"
    return "def reverse_mode(x, w, b):\n" + body + ret


STYLES = {"dense": dense, "mlp": mlp, "bp-by-hand": bp, "autodiff": autodiff}


# ------------------------------------------------------------------ the planted copies

RENAME = {"a_prev": "inp", "W": "weights", "b": "bias", "z": "net", "cache": "saved", "delta": "err",
          "dW": "g_weights", "db": "g_bias", "da_prev": "g_inp", "activations": "outs", "caches": "stash",
          "memo": "outs_by_layer", "layer": "lyr", "y_hat": "pred", "loss": "cost", "grads": "gradients",
          "l": "k", "s": "sg", "e": "ex", "pos": "positive", "ez": "exp_z", "out": "res", "N": "n_samples"}


def renamed(source: str, mapping=RENAME) -> str:
    """``source`` with every NAME token in ``mapping`` renamed (dict keys in strings are left alone)."""
    toks = list(tokenize.generate_tokens(io.StringIO(source).readline))
    depth = 0
    for i, tok in enumerate(toks):
        depth += tok.string in ("(", "[", "{") and tok.type == tokenize.OP
        depth -= tok.string in (")", "]", "}") and tok.type == tokenize.OP
        keyword_arg = depth > 0 and i + 1 < len(toks) and toks[i + 1].string == "=" and toks[i - 1].string in "(,"
        if tok.type == tokenize.NAME and tok.string in mapping and not keyword_arg:
            toks[i] = tok._replace(string=mapping[tok.string])
    return tokenize.untokenize(toks)


def disguised(source: str) -> str:
    """The cheat's edits: renamed variables, comments rewritten, two independent lines swapped."""
    lines = [ln for ln in renamed(source).splitlines() if not ln.strip().startswith("#")]
    # dense_backward's three gradient lines (any two adjacent gradient assignments) change places
    for i in range(len(lines) - 1):
        if lines[i].strip().startswith("g_") and lines[i + 1].strip().startswith("g_"):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
            break
    out = []
    for ln in lines:
        out.append(ln)
        if ln.lstrip().startswith("def "):
            out.append("    # my own implementation, written from the lecture notes")
    return "\n".join(out) + "\n"


def nnlib_copy() -> str:
    """nnlib's dense layer as a student pastes it: the functions of nnlib/layers.py that dense_forward and
    dense_backward call, with docstrings cut, a stand-in for the package's input checker, some names changed."""
    src = (ROOT / "nnlib" / "layers.py").read_text(encoding="utf-8")
    tree = ast.parse(src)
    wanted = ("_check_W_b", "_check_a_prev", "_forward", "_backward", "dense_forward", "dense_backward")
    chunks = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in wanted:
            if ast.get_docstring(node):
                node.body = node.body[1:]
            chunks.append(ast.unparse(node))
    shim = "def as_float_array(x, name, ndim=None, dtype=None):\n    return np.asarray(x, dtype=dtype or float)\n\n\n"
    return renamed(shim + "\n\n\n".join(chunks) + "\n", {"_forward": "fwd",
                                                           "_backward": "bwd", "a_prev": "x_in", "delta": "grad_z"})


MARKUP = '</pre><script>document.title="pwned"</script><img src=x onerror="document.title=\'pwned\'">'
HOSTILE_DENSE_LINE = f"# {MARKUP}\nLABEL = {MARKUP!r}\n"
HOSTILE_AUTODIFF = ("def reverse_mode(x, w, b):\n"
                    f"    raise ValueError({MARKUP!r})\n")


# ------------------------------------------------------------------ the class

def answers() -> dict[str, dict[str, str | None]]:
    """{student: {part: source, or None for the part left as released}}, the same on every call."""
    out = {}
    for sid in STUDENTS:
        rng = random.Random(f"ffnn-simulated-class-{sid}")
        mine = {}
        for part in PARTS:
            r = rng.random()
            mine[part] = None if r < 0.1 else STYLES[part](rng, bug=r < 0.3)
        out[sid] = mine
    first, second = PAIR
    for part in ("dense", "mlp"):
        out[first][part] = STYLES[part](random.Random(f"pair-{part}"))
        out[second][part] = disguised(out[first][part])
    out[NNLIB_COPY]["dense"] = nnlib_copy()
    out[HOSTILE]["dense"] = HOSTILE_DENSE_LINE + out[HOSTILE]["dense"]
    out[HOSTILE]["autodiff"] = HOSTILE_AUTODIFF
    return out


def make_class(course: Path, students=STUDENTS) -> dict[str, dict[str, str | None]]:
    """Write the notebooks of ``students`` into ``course/submitted``; returns their ``answers()``."""
    course = Path(course)
    released = nbformat.read(str(ROOT / "exercises" / HW / f"{HW}.ipynb"), as_version=4)
    everyone = {sid: mine for sid, mine in answers().items() if sid in students}
    for sid, mine in everyone.items():
        nb = nbformat.reads(nbformat.writes(released), as_version=4)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in mine and mine[gid] is not None:
                cell.source = mine[gid]
        d = course / "submitted" / sid / HW
        d.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(d / f"{HW}.ipynb"))
    return everyone
