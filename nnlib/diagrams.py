"""Diagrams drawn by code (no hand-made images): the figures of the sources, redrawn from data.

Every function draws on ``ax`` when given, otherwise on a new figure, and returns the Axes. What is
drawn is derived from the arguments, so a figure cannot drift away from the object it shows:

- ``draw_neuron(n_inputs=3, activation="f")``: inputs x_1..x_D, weights w_1..w_D, bias b, the net
  input z = Σ w_d x_d + b, the activation f and the output a.
- ``draw_network(sizes)``: a layered network from ``MLP.sizes`` (or an ``MLP``) in the notation table's
  notation: layer l has M_l neurons, the weights between layers l−1 and l are W^(l) of shape (M_l, M_{l−1}).
  Layers wider than ``max_neurons`` are drawn with their first and last neurons and a "⋮".
- ``draw_structures()``: the three network structures of the lecture slides: feedforward, memory
  (recurrent: a unit feeds itself at the next time step) and graph (units exchange messages along the
  edges of a graph).
- ``draw_computational_graph(output)``: the graph of an ``autodiff.Value`` with the value and the
  gradient on every node (call ``output.backward()`` first to have the gradients filled in).
- ``draw_sigmoid_steps(f, lo, hi, M)`` / ``draw_relu_hats(f, lo, hi, M)``: the two constructions of
  universal approximation with each neuron's contribution drawn separately, their sum and f.
- ``draw_mp_neuron(w, theta, n_inhibitory=0)``: a McCulloch–Pitts unit with its weights and threshold
  written on it; excitatory inputs end in arrowheads, inhibitory ones (absolute veto) in a bar.
- ``draw_dropout(sizes, kept)``: one training step of dropout: the hidden units a mask drops are crossed
  out and lose their connections (``kept``: one boolean array per hidden layer, e.g. ``mask != 0``).
- ``draw_layer_graph(sizes)``: the computational graph of a whole network and its loss at the level of
  layers — variables (boxes, with their shapes for a batch of N), operations (circles), parameters — and
  the backward pass as a second lane of gradients, right to left.

Nodes are ``matplotlib.patches.Circle`` (neurons, graph nodes) or ``FancyBboxPatch`` (graph operations);
tests count them and read their labels. Nothing here calls ``plt.show()``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from nnlib._checks import as_bool, as_count, as_float_array, as_float_scalar, as_int_scalar, check_size

__all__ = ["draw_neuron", "draw_network", "draw_structures", "draw_computational_graph", "node_label",
           "draw_sigmoid_steps", "draw_relu_hats", "sigmoid_step_pieces", "relu_hat_pieces", "draw_mp_neuron",
           "draw_dropout", "draw_layer_graph", "layer_graph_nodes"]

_NODE = dict(facecolor="white", edgecolor="0.2", linewidth=1.2, zorder=3)


#: Shapes one diagram may draw (circles, arrows, edges): a figure of more is unreadable, and slow to build.
MAX_DRAWN = 10_000


def _bad_axes(ax):
    raise TypeError(f"axes must hold 3 matplotlib Axes, got {type(ax).__name__} {ax!r:.40}")


def _axes(ax, figsize):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
        return ax
    if not hasattr(ax, "add_patch"):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def _blank(ax):
    ax.set_aspect("equal")
    ax.axis("off")


def _arrow(ax, p, q, shrink=14, **kw):
    style = dict(arrowstyle="-|>", mutation_scale=9, color="0.35", lw=0.9, shrinkA=shrink, shrinkB=shrink,
                 zorder=1)
    style.update(kw)
    ax.add_patch(FancyArrowPatch(p, q, **style))


# ----------------------------------------------------------------------------- a neuron
def draw_neuron(n_inputs: int = 3, activation: str = "f", ax=None):
    """One neuron: inputs x_1..x_D with weights w_1..w_D, a bias b, net input z, activation, output a."""
    D = as_count(n_inputs, "n_inputs", min_value=1, limit=MAX_DRAWN // 4)
    if not isinstance(activation, str):
        raise TypeError(f"activation must be a str (its name or symbol), got {type(activation).__name__}")
    ax = _axes(ax, (6.4, max(2.6, 0.9 * D + 0.8)))
    ys = np.linspace((D - 1) / 2, -(D - 1) / 2, D) * 0.95 if D > 1 else np.zeros(1)
    body, act, out = (2.6, 0.0), (4.1, 0.0), (5.5, 0.0)
    for d, y in enumerate(ys, start=1):
        ax.add_patch(Circle((0, y), 0.28, **_NODE))
        ax.text(0, y, f"$x_{{{d}}}$", ha="center", va="center", zorder=4)
        _arrow(ax, (0, y), body, shrink=12)
        mx, my = 0.55 * 0 + 0.45 * body[0], 0.55 * y + 0.45 * body[1]
        ax.text(mx, my + 0.12, f"$w_{{{d}}}$", ha="center", va="bottom", fontsize=9, color="C0")
    ax.add_patch(Circle((body[0], 1.0 + max(ys)), 0.22, facecolor="0.92", edgecolor="0.2", zorder=3))
    ax.text(body[0], 1.0 + max(ys), "$1$", ha="center", va="center", zorder=4, fontsize=9)
    _arrow(ax, (body[0], 1.0 + max(ys)), body, shrink=12)
    ax.text(body[0] + 0.12, 0.55 + max(ys) / 2 + 0.2, "$b$", color="C0", fontsize=9)
    ax.add_patch(Circle(body, 0.42, **_NODE))
    ax.text(*body, r"$\Sigma$", ha="center", va="center", fontsize=13, zorder=4)
    ax.add_patch(FancyBboxPatch((act[0] - 0.35, -0.3), 0.7, 0.6, boxstyle="round,pad=0.05", **_NODE))
    ax.text(*act, f"${activation}$" if len(activation) == 1 else activation, ha="center", va="center",
            zorder=4, fontsize=10)
    _arrow(ax, body, (act[0] - 0.05, 0), shrink=16)
    ax.text((body[0] + act[0]) / 2, 0.12, "$z$", ha="center", va="bottom")
    _arrow(ax, act, out, shrink=16)
    ax.text(out[0] + 0.05, 0, r"$a = f(z)$" if len(activation) == 1 else "$a$", ha="left", va="center")
    ax.text(body[0], -0.75, r"$z = \sum_d w_d x_d + b$", ha="center", va="top", fontsize=9)
    ax.set_xlim(-0.5, 6.8)
    ax.set_ylim(min(ys) - 1.1, max(ys) + 1.45)
    _blank(ax)
    return ax


# ----------------------------------------------------------------------------- a layered network
def _sizes_of(net_or_sizes) -> list[int]:
    sizes = getattr(net_or_sizes, "sizes", net_or_sizes)
    if not isinstance(sizes, Sequence) or isinstance(sizes, str) or len(sizes) < 2:
        raise TypeError(f"sizes must be a sequence of at least 2 layer widths or an MLP, got {net_or_sizes!r}")
    return [as_int_scalar(m, f"sizes[{i}]", min_value=1) for i, m in enumerate(sizes)]


def _shown(M: int, max_neurons: int) -> list:
    """Indices of the neurons drawn for a layer of M (1-based), None marking the gap."""
    if M <= max_neurons:
        return list(range(1, M + 1))
    head = max_neurons - 1
    return list(range(1, head)) + [None, M]


def draw_network(sizes, ax=None, max_neurons: int = 8):
    """A fully connected layered network drawn from its widths (``MLP.sizes`` or an ``MLP``).

    Layer 0 is the input x = a^(0) with M_0 = D features; layer l has M_l neurons and receives
    W^(l) (M_l, M_{l−1}) and b^(l) (M_l,). Every drawn neuron is a Circle labelled with its index; a
    layer wider than ``max_neurons`` shows its first ``max_neurons − 2`` neurons, a "⋮" and the last one.
    """
    M = _sizes_of(sizes)
    max_neurons = as_count(max_neurons, "max_neurons", min_value=3, limit=MAX_DRAWN)
    shown = [min(m, max_neurons) for m in M]
    as_count(sum(a * b for a, b in zip(shown, shown[1:])), f"edges drawn for sizes={M} with max_neurons={max_neurons}",
             limit=MAX_DRAWN)
    L = len(M) - 1
    ax = _axes(ax, (2.0 + 1.9 * L, 1.2 + 0.55 * min(max(M), max_neurons)))
    positions = []
    for l, m in enumerate(M):
        shown = _shown(m, max_neurons)
        ys = np.linspace((len(shown) - 1) / 2, -(len(shown) - 1) / 2, len(shown)) * 0.62
        x = 1.9 * l
        layer = []
        for idx, y in zip(shown, ys):
            if idx is None:
                ax.text(x, y, r"$\vdots$", ha="center", va="center", fontsize=12)
                continue
            face = "0.92" if l == 0 else ("#dbe9f6" if l == L else "white")
            ax.add_patch(Circle((x, y), 0.2, facecolor=face, edgecolor="0.2", linewidth=1.0, zorder=3))
            label = f"$x_{{{idx}}}$" if l == 0 else f"{idx}"
            ax.text(x, y, label, ha="center", va="center", fontsize=7, zorder=4)
            layer.append((x, y))
        positions.append(layer)
        top = ys[0] + 0.5
        name = r"input $\mathbf{x} = \mathbf{a}^{(0)}$" if l == 0 else (f"output $l = {l}$" if l == L else f"hidden $l = {l}$")
        ax.text(x, top + 0.28, name, ha="center", va="bottom", fontsize=8)
        ax.text(x, top, f"$M_{{{l}}} = {m}$", ha="center", va="bottom", fontsize=8)
    for l in range(1, L + 1):
        for p in positions[l - 1]:
            for q in positions[l]:
                ax.plot([p[0], q[0]], [p[1], q[1]], color="0.6", lw=0.5, zorder=1)
        low = min(min(y for _, y in positions[l - 1]), min(y for _, y in positions[l]))
        ax.text(1.9 * (l - 0.5), low - 0.45, f"$W^{{({l})}}$\n$({M[l]}, {M[l - 1]})$", ha="center", va="top",
                fontsize=8, color="C0")
    bottom = min(y for layer in positions for _, y in layer)
    top = max(y for layer in positions for _, y in layer)
    ax.set_xlim(-0.6, 1.9 * L + 0.6)
    ax.set_ylim(bottom - 1.2, top + 1.1)
    _blank(ax)
    return ax


# ----------------------------------------------------------------------------- three structures
def draw_structures(axes=None):
    """The lecture's three network structures side by side: feedforward, memory, graph.

    ``axes``: three Axes, or None for a new figure. Returns the three Axes.
    """
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(10, 3.2))
    if not isinstance(axes, (list, tuple, np.ndarray)):
        raise TypeError(f"axes must be 3 matplotlib Axes, got {type(axes).__name__}")
    if isinstance(axes, np.ndarray):
        axes = list(axes.ravel())  # plt.subplots(1, 3)'s array
    axes = [a for row in axes for a in (row if isinstance(row, (list, tuple, np.ndarray)) else [row])]
    if len(axes) != 3:
        raise ValueError(f"axes must hold 3 Axes, got {len(axes)}")
    ff, mem, graph = (a if hasattr(a, "add_patch") else _bad_axes(a) for a in axes)

    layers = [[(0, y) for y in (0.8, 0, -0.8)], [(1.3, y) for y in (0.4, -0.4)], [(2.6, 0)]]
    for a, b in zip(layers, layers[1:]):
        for p in a:
            for q in b:
                _arrow(ff, p, q)
    for layer in layers:
        for p in layer:
            ff.add_patch(Circle(p, 0.2, **_NODE))
    ff.set_title("feedforward network", fontsize=9)
    ff.set_xlim(-0.5, 3.1); ff.set_ylim(-1.3, 1.3); _blank(ff)

    mem_nodes = [(0, 0.6), (0, -0.6), (1.3, 0.6), (1.3, -0.6), (2.6, 0)]
    for p in mem_nodes[:2]:
        for q in mem_nodes[2:4]:
            _arrow(mem, p, q)
    for p in mem_nodes[2:4]:
        _arrow(mem, p, mem_nodes[4])
        mem.add_patch(FancyArrowPatch((p[0] - 0.12, p[1] + 0.17), (p[0] + 0.12, p[1] + 0.17),
                                      connectionstyle="arc3,rad=-2.2", arrowstyle="-|>", mutation_scale=8,
                                      color="C3", lw=0.9, zorder=2))
    _arrow(mem, mem_nodes[2], mem_nodes[3], color="C3", connectionstyle="arc3,rad=0.3")
    for p in mem_nodes:
        mem.add_patch(Circle(p, 0.2, **_NODE))
    mem.set_title("memory network\n(a unit also receives its own past output)", fontsize=9)
    mem.set_xlim(-0.5, 3.1); mem.set_ylim(-1.3, 1.3); _blank(mem)

    k = 6
    pts = [(1.2 + 0.95 * math.cos(2 * math.pi * i / k), 0.95 * math.sin(2 * math.pi * i / k)) for i in range(k)]
    edges = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 0), (0, 3), (1, 4)]
    for i, j in edges:
        _arrow(graph, pts[i], pts[j], arrowstyle="<|-|>")
    for p in pts:
        graph.add_patch(Circle(p, 0.2, **_NODE))
    graph.set_title("graph network\n(messages along the edges of a graph)", fontsize=9)
    graph.set_xlim(-0.2, 2.6); graph.set_ylim(-1.3, 1.3); _blank(graph)
    return axes


# ----------------------------------------------------------------------------- computational graph
def _depths(nodes) -> dict:
    """Column of every node (nodes in topological order): an operation sits one column right of its
    deepest operand; an input or constant sits just left of its nearest consumer, so that constants
    such as the 1 of h5 = h4 + 1 are drawn next to where they are used."""
    depth = {}
    for n in nodes:
        depth[id(n)] = 1 + max((depth[id(c)] for c in n.children), default=-1)
    consumers: dict = {}
    for n in nodes:
        for c in n.children:
            consumers.setdefault(id(c), []).append(depth[id(n)])
    for n in nodes:
        if not n.children and id(n) in consumers:
            depth[id(n)] = min(consumers[id(n)]) - 1
    return depth


def node_label(node, digits: int = 4) -> str:
    """The text drawn in a graph node: name (label or operation), value and gradient."""
    if not all(hasattr(node, k) for k in ("label", "op", "data", "grad")):
        raise TypeError(f"node must be an nnlib.autodiff.Value, got {type(node).__name__}")
    digits = as_int_scalar(digits, "digits", min_value=1, max_value=17)
    name = node.label or node.op or "const"
    if node.label and node.op:
        name = f"{node.label} = {node.op}"
    # "+ 0.0" prints -0.0 (h3 = -(0)) as 0
    return f"{name}\nvalue {node.data + 0.0:.{digits}g}\ngrad {node.grad + 0.0:.{digits}g}"


def draw_computational_graph(output, ax=None, digits: int = 4):
    """The computational graph of an ``autodiff.Value``: one box per node, value and gradient in it.

    Columns are the depth of a node (longest path from an input); edges point from operand to result.
    Call ``output.backward()`` first, otherwise every gradient reads 0.
    """
    if not hasattr(output, "graph") or not hasattr(output, "children"):
        raise TypeError(f"output must be an nnlib.autodiff.Value, got {type(output).__name__}")
    digits = as_int_scalar(digits, "digits", min_value=1)
    nodes = output.graph()
    depth = _depths(nodes)
    columns: dict[int, list] = {}
    for n in nodes:
        columns.setdefault(depth[id(n)], []).append(n)
    width = max(len(c) for c in columns.values())
    step = 1.6  # column spacing; a box is 1.3 wide, so the arrows between columns stay visible
    ax = _axes(ax, (1.25 * len(columns) + 0.4, 1.0 * width + 0.5))
    pos = {}
    for d, col in columns.items():
        ys = np.linspace((len(col) - 1) / 2, -(len(col) - 1) / 2, len(col)) * 1.25
        for n, y in zip(col, ys):
            pos[id(n)] = (step * d, y)
    for n in nodes:
        for c in n.children:  # operand box (right edge) -> result box (left edge)
            (xc, yc), (xn, yn) = pos[id(c)], pos[id(n)]
            _arrow(ax, (xc + 0.65, yc), (xn - 0.65, yn), shrink=1)
    for n in nodes:
        x, y = pos[id(n)]
        leaf = not n.children
        ax.add_patch(FancyBboxPatch((x - 0.65, y - 0.45), 1.3, 0.9, boxstyle="round,pad=0.04",
                                    facecolor="0.93" if leaf else "white", edgecolor="0.2", lw=1.0, zorder=3))
        ax.text(x, y, node_label(n, digits), ha="center", va="center", fontsize=8, zorder=4)
    ax.set_xlim(-0.8, step * max(columns) + 0.8)
    ax.set_ylim(-(width - 1) / 2 * 1.25 - 0.6, (width - 1) / 2 * 1.25 + 0.6)
    _blank(ax)
    return ax


# ----------------------------------------------------------------------------- UAT constructions
def _construction_inputs(f, lo, hi, M):
    if not callable(f):
        raise TypeError(f"f must be callable on arrays, got {type(f).__name__}")
    lo, hi = as_float_scalar(lo, "lo"), as_float_scalar(hi, "hi")
    if not lo < hi:
        raise ValueError(f"need lo < hi, got lo={lo}, hi={hi}")
    M = as_count(M, "M", min_value=1, limit=MAX_DRAWN)
    t = np.linspace(lo, hi, M + 1)
    ft = as_float_array(f(t), "f(t)", ndim=1, finite=False)
    if ft.shape != t.shape:
        raise ValueError(f"f(t) has shape {ft.shape} for t of shape {t.shape}; f must act element-wise on arrays")
    return lo, hi, M, t, ft


def _grid(x, lo, hi, M):
    """The points x of the pieces (801 on [lo, hi] by default); the (M + 1) x len(x) pieces fit the budget."""
    x = np.linspace(lo, hi, 801) if x is None else as_float_array(x, "x", ndim=1)
    check_size((M + 1) * x.size, f"M={M} pieces x {x.size} points")
    return x


def sigmoid_step_pieces(f, lo, hi, M, beta_h: float = 20.0, x=None):
    """x, the M neuron outputs v_m σ(β(x − s_m)) (M, len(x)), the constant f(t_0), and their sum F."""
    lo, hi, M, t, ft = _construction_inputs(f, lo, hi, M)
    beta_h = as_float_scalar(beta_h, "beta_h", min_value=0.0, strict_min=True)
    x = _grid(x, lo, hi, M)
    s, v, beta = 0.5 * (t[:-1] + t[1:]), np.diff(ft), beta_h / (t[1] - t[0])
    pieces = v[:, None] / (1.0 + np.exp(-np.clip(beta * (x[None, :] - s[:, None]), -700, 700)))
    const = float(ft[0])
    return x, pieces, const, const + pieces.sum(0)


def relu_hat_pieces(f, lo, hi, M, x=None):
    """x, the M + 1 scaled hats f(t_m) hat_m(x) (M + 1, len(x)) and their sum F (the interpolant)."""
    lo, hi, M, t, ft = _construction_inputs(f, lo, hi, M)
    x = _grid(x, lo, hi, M)
    h = t[1] - t[0]
    hats = np.maximum(0.0, 1.0 - np.abs(x[None, :] - t[:, None]) / h)
    pieces = ft[:, None] * hats
    return x, pieces, pieces.sum(0)


def draw_sigmoid_steps(f, lo, hi, M, beta_h: float = 20.0, ax=None):
    """Each hidden neuron's step v_m σ(β(x − s_m)) (thin), the constant f(t_0), their sum F_M, and f."""
    x, pieces, const, F = sigmoid_step_pieces(f, lo, hi, M, beta_h)
    ax = _axes(ax, (5.5, 3.4))
    for m, row in enumerate(pieces):
        ax.plot(x, row, color="C0", lw=0.8, alpha=0.7,
                label=r"$v_m\,\sigma(\beta(x - s_m))$, one per neuron" if m == 0 else None)
    ax.axhline(const, color="C0", lw=0.8, ls="--", label="constant $f(t_0)$")
    ax.plot(x, f(x), "k", lw=3, alpha=0.3, label="$f$")
    ax.plot(x, F, "C3", lw=1.6, label=f"$F_{{{M}}}$ = sum ({M} sigmoid neurons)")
    ax.set_xlabel("$x$"); ax.legend(fontsize=7, loc="lower left")
    return ax


def draw_relu_hats(f, lo, hi, M, ax=None):
    """Each scaled hat f(t_m) hat_m(x) (three ReLUs each), their sum F_M (the interpolant), and f."""
    x, pieces, F = relu_hat_pieces(f, lo, hi, M)
    ax = _axes(ax, (5.5, 3.4))
    for m, row in enumerate(pieces):
        ax.plot(x, row, color="C0", lw=0.8, alpha=0.7, label=r"$f(t_m)\,\mathrm{hat}_m(x)$" if m == 0 else None)
    ax.plot(x, f(x), "k", lw=3, alpha=0.3, label="$f$")
    ax.plot(x, F, "C3", lw=1.6, label=f"$F_{{{M}}} = \\sum_m f(t_m)\\,\\mathrm{{hat}}_m$")
    ax.set_xlabel("$x$"); ax.legend(fontsize=7, loc="lower left")
    return ax


# ----------------------------------------------------------------------------- a McCulloch–Pitts unit
def _number(v: float) -> str:
    """A weight or threshold as the text writes it: 2, -1, 1/2 (halves and quarters as fractions, in mathtext)."""
    for q in (1, 2, 4):
        if float(v * q).is_integer():
            num = int(v * q)
            return str(num) if q == 1 else ("-" if num < 0 else "") + rf"\frac{{{abs(num)}}}{{{q}}}"
    return f"{v:g}"


def draw_mp_neuron(w, theta, n_inhibitory: int = 0, ax=None):
    """A McCulloch–Pitts linear threshold unit: excitatory inputs x_1..x_n with their weights, inhibitory
    inputs x_{n+1}.. (a bar instead of an arrowhead: any active one forces the output to 0), the threshold
    θ inside the unit and the binary output ŷ.

    Circles: one per input and one for the unit (n + K + 1); the weights are texts ``$w_i = …$``.
    """
    w = np.atleast_1d(as_float_array(w, "w", allow_empty=True, finite=False))
    if w.ndim != 1 or w.size < 1 or not np.all(np.isfinite(w)):
        raise ValueError(f"w must be a non-empty 1-D array of finite weights, got {w!r:.80}")
    as_count(w.size, "len(w)", limit=MAX_DRAWN // 4)
    theta = as_float_scalar(theta, "theta")
    K = as_count(n_inhibitory, "n_inhibitory", limit=MAX_DRAWN // 4)
    n = w.size
    ax = _axes(ax, (6.4, max(2.6, 0.8 * (n + K) + 0.8)))
    ys = np.linspace((n + K - 1) / 2, -(n + K - 1) / 2, n + K) * 0.9 if n + K > 1 else np.zeros(1)
    body, out = (3.0, 0.0), (5.2, 0.0)
    for i, y in enumerate(ys, start=1):
        inhibitory = i > n
        ax.add_patch(Circle((0, y), 0.28, **_NODE))
        ax.text(0, y, f"$x_{{{i}}}$", ha="center", va="center", zorder=4)
        # end the edge on the unit's rim so the arrowhead or the bar stays visible
        d = np.array(body) - (0.0, y)
        rim = tuple(np.array(body) - (0.66 if inhibitory else 0.56) * d / np.linalg.norm(d))
        if inhibitory:
            _arrow(ax, (0, y), rim, shrink=0, shrinkA=12, arrowstyle="-[, widthB=0.6, lengthB=0.25",
                   mutation_scale=10, color="C3", lw=1.4)
            label = "inhibitory"
        else:
            _arrow(ax, (0, y), rim, shrink=0, shrinkA=12)
            label = f"$w_{{{i}}} = {_number(w[i - 1])}$"
        mx, my = 0.42 * body[0], 0.58 * y
        ax.text(mx, my + 0.1, label, ha="center", va="bottom", fontsize=8, color="C3" if inhibitory else "C0")
    ax.add_patch(Circle(body, 0.55, **_NODE))
    ax.text(body[0], 0.12, r"$\sum_i w_i x_i$", ha="center", va="center", fontsize=9, zorder=4)
    ax.text(body[0], -0.22, rf"$\geq \theta = {_number(theta)}$", ha="center", va="center", fontsize=9, zorder=4)
    _arrow(ax, (body[0] + 0.56, 0.0), out, shrink=0)
    ax.text(out[0] + 0.05, 0, r"$\hat y \in \{0, 1\}$", ha="left", va="center")
    ax.set_xlim(-0.5, 6.6)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    _blank(ax)
    return ax


# ----------------------------------------------------------------------------- dropout
def _kept_masks(kept, M):
    """``kept`` checked against the hidden widths ``M[1:-1]``: a list of boolean arrays."""
    hidden = M[1:-1]
    if not isinstance(kept, Sequence) or isinstance(kept, str) or len(kept) != len(hidden):
        raise TypeError(f"kept must be a sequence of {len(hidden)} boolean arrays (one per hidden layer), got {kept!r:.60}")
    masks = []
    for l, (k, m) in enumerate(zip(kept, hidden), start=1):
        arr = np.asarray(k)
        if arr.dtype != bool or arr.shape != (m,):
            raise ValueError(f"kept[{l - 1}] must be a boolean array of shape ({m},) for hidden layer {l}, "
                             f"got shape {arr.shape} and dtype {arr.dtype}")
        masks.append(arr)
    return masks


def draw_dropout(sizes, kept, ax=None):
    """A network during one training step with dropout: dropped hidden units crossed out, their edges gone.

    ``sizes``: widths (or an ``MLP``), at most 10 neurons per layer (every neuron is drawn). ``kept``: one
    boolean array per hidden layer, True where the unit is kept in this step (``mask != 0`` of
    :func:`nnlib.layers.dropout_forward`); the input and output layers are never dropped. Neurons are
    Circles (a dropped one grey, with a cross of two lines whose gid is ``"dropped"``); every drawn edge is
    a line with gid ``"edge"`` between two kept units.
    """
    M = _sizes_of(sizes)
    if max(M) > 10:
        raise ValueError(f"draw_dropout draws every neuron: at most 10 per layer, got sizes {M}")
    masks = [np.ones(M[0], bool), *_kept_masks(kept, M), np.ones(M[-1], bool)]
    L = len(M) - 1
    ax = _axes(ax, (1.6 + 1.6 * L, 1.0 + 0.55 * max(M)))
    positions = []
    for l, m in enumerate(M):
        ys = np.linspace((m - 1) / 2, -(m - 1) / 2, m) * 0.62
        positions.append([(1.6 * l, y) for y in ys])
    for l in range(1, L + 1):
        for i, p in enumerate(positions[l - 1]):
            for j, q in enumerate(positions[l]):
                if masks[l - 1][i] and masks[l][j]:
                    ax.plot([p[0], q[0]], [p[1], q[1]], color="0.55", lw=0.6, zorder=1, gid="edge")
    r = 0.2
    for l, layer in enumerate(positions):
        for (x, y), keep in zip(layer, masks[l]):
            face = "0.92" if l == 0 else ("#dbe9f6" if l == L else "white")
            if not keep:
                ax.add_patch(Circle((x, y), r, facecolor="0.8", edgecolor="0.45", linestyle="--", lw=1.0, zorder=3))
                d = 0.75 * r
                ax.plot([x - d, x + d], [y - d, y + d], color="C3", lw=1.6, zorder=4, gid="dropped")
                ax.plot([x - d, x + d], [y + d, y - d], color="C3", lw=1.6, zorder=4, gid="dropped")
            else:
                ax.add_patch(Circle((x, y), r, facecolor=face, edgecolor="0.2", lw=1.0, zorder=3))
    ax.set_xlim(-0.5, 1.6 * L + 0.5)
    top = (max(M) - 1) / 2 * 0.62
    ax.set_ylim(-top - 0.5, top + 0.5)
    _blank(ax)
    return ax


# ----------------------------------------------------------------------------- layer-level graph
def layer_graph_nodes(sizes, batch: str = "N") -> dict:
    """The nodes of :func:`draw_layer_graph` for a network of these widths, as plain data.

    Returns ``{"variables": [(name, shape)], "parameters": [(name, shape)], "operations": [name],
    "gradients": [(name, shape)]}``: variables x, z⁽ˡ⁾, a⁽ˡ⁾ (a⁽ᴸ⁾ = ŷ), y and the loss ℒ; parameters W⁽ˡ⁾,
    b⁽ˡ⁾; operations affine_l, f_l and the loss ℓ; the gradients of the backward lane, from ∂ℒ/∂ŷ to
    ∂ℒ/∂a⁽¹⁾ (the backward pass never needs ∂ℒ/∂x), and ∂ℒ/∂W⁽ˡ⁾, ∂ℒ/∂b⁽ˡ⁾ — each with the shape of the
    variable or parameter it belongs to.
    """
    M = _sizes_of(sizes)
    if not isinstance(batch, str) or not batch:
        raise TypeError(f"batch must be a non-empty str (the name of the batch size), got {batch!r:.40}")
    L = len(M) - 1
    variables = [("x", (batch, M[0]))]
    parameters, operations, gradients = [], [], []
    for l in range(1, L + 1):
        parameters += [(f"W{l}", (M[l], M[l - 1])), (f"b{l}", (M[l],))]
        operations += [f"affine{l}", f"f{l}"]
        variables += [(f"z{l}", (batch, M[l])), (f"a{l}", (batch, M[l]))]
    operations.append("loss")
    variables += [("y", (batch, M[L])), ("L", ())]
    for l in range(L, 0, -1):
        gradients += [(f"da{l}", (batch, M[l])), (f"delta{l}", (batch, M[l])), (f"dW{l}", (M[l], M[l - 1])),
                      (f"db{l}", (M[l],))]
    return {"variables": variables, "parameters": parameters, "operations": operations, "gradients": gradients}


def _shape_text(shape) -> str:
    return "scalar" if shape == () else "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def draw_layer_graph(sizes, ax=None, batch: str = "N", backward: bool = True):
    """The computational graph of a network and its loss, one node per layer-level quantity.

    Top lane, left to right (the forward pass): x → affine → z⁽¹⁾ → f₁ → a⁽¹⁾ → … → a⁽ᴸ⁾ = ŷ → ℓ → ℒ, with
    the parameters W⁽ˡ⁾, b⁽ˡ⁾ feeding each affine operation and the labels y feeding ℓ. Variables and
    parameters are ``FancyBboxPatch`` boxes showing their shape for a batch of ``batch`` samples; operations
    are Circles. With ``backward=True`` a lower lane holds the gradients the backward pass computes, right
    to left (dashed red arrows, gid ``"backward"``): ∂ℒ/∂ŷ, then for each layer δ⁽ˡ⁾ = ∂ℒ/∂z⁽ˡ⁾,
    ∂ℒ/∂W⁽ˡ⁾, ∂ℒ/∂b⁽ˡ⁾ and ∂ℒ/∂a⁽ˡ⁻¹⁾ — each box with the shape of its variable.
    """
    nodes = layer_graph_nodes(sizes, batch)
    backward = as_bool(backward, "backward")
    M = _sizes_of(sizes)
    L = len(M) - 1
    shapes = dict(nodes["variables"] + nodes["parameters"] + nodes["gradients"])
    step = 1.3
    chain = ["x"] + [n for l in range(1, L + 1) for n in (f"affine{l}", f"z{l}", f"f{l}", f"a{l}")] + ["loss", "L"]
    xs = {name: step * i for i, name in enumerate(chain)}
    ax = _axes(ax, (0.95 * step * len(chain) + 0.6, 4.6 if backward else 2.8))
    y_top, y_par, y_back = 0.0, 1.35, -1.55

    def box(x, y, title, shape, color="0.2", face="white"):
        ax.add_patch(FancyBboxPatch((x - 0.44, y - 0.33), 0.88, 0.66, boxstyle="round,pad=0.03", facecolor=face,
                                    edgecolor=color, lw=1.0, zorder=3))
        ax.text(x, y + 0.1, title, ha="center", va="center", fontsize=9, zorder=4, color=color)
        ax.text(x, y - 0.17, _shape_text(shape), ha="center", va="center", fontsize=6.5, zorder=4, color=color)

    def op(x, label):
        ax.add_patch(Circle((x, y_top), 0.3, facecolor="#fdf3d8", edgecolor="0.2", lw=1.0, zorder=3))
        ax.text(x, y_top, label, ha="center", va="center", fontsize=8, zorder=4)

    titles = {"x": r"$\mathbf{x}$", "L": r"$\mathcal{L}$"}
    for l in range(1, L + 1):
        titles[f"z{l}"] = f"$z^{{({l})}}$"
        titles[f"a{l}"] = r"$\hat{y}$" if l == L else f"$a^{{({l})}}$"
    for i, name in enumerate(chain):
        x = xs[name]
        if name.startswith("affine"):
            op(x, r"$\times{+}$")
        elif name.startswith("f"):
            op(x, f"$f_{{{name[1:]}}}$")
        elif name == "loss":
            op(x, r"$\ell$")
        else:
            box(x, y_top, titles[name], shapes[name], face="0.93" if name == "x" else "white")
        if i:
            _arrow(ax, (xs[chain[i - 1]] + 0.45, y_top), (x - 0.45, y_top), shrink=1)
    for l in range(1, L + 1):
        x = xs[f"affine{l}"]
        for dx, name, title in ((-0.52, f"W{l}", f"$W^{{({l})}}$"), (0.52, f"b{l}", f"$b^{{({l})}}$")):
            box(x + dx, y_par, title, shapes[name], face="#e8f1e4")
            _arrow(ax, (x + dx, y_par - 0.33), (x, y_top + 0.3), shrink=1)
    box(xs["loss"], y_par, r"$y$", shapes["y"], face="0.93")
    _arrow(ax, (xs["loss"], y_par - 0.33), (xs["loss"], y_top + 0.3), shrink=1)
    if backward:
        red = "C3"
        lane = [("dL", xs["L"], r"$1$", ())]
        lane.append(("da%d" % L, xs[f"a{L}"], r"$\partial\mathcal{L}/\partial\hat{y}$", shapes[f"da{L}"]))
        for l in range(L, 0, -1):
            lane.append((f"delta{l}", xs[f"z{l}"], f"$\\delta^{{({l})}}$", shapes[f"delta{l}"]))
            if l > 1:
                lane.append((f"da{l - 1}", xs[f"a{l - 1}"],
                             f"$\\partial\\mathcal{{L}}/\\partial a^{{({l - 1})}}$", shapes[f"da{l - 1}"]))
        for k, (name, x, title, shape) in enumerate(lane):
            if name == "dL":
                ax.text(x, y_back, title, ha="center", va="center", fontsize=9, color=red)
            else:
                box(x, y_back, title, shape, color=red)
            if k:
                ax.add_patch(FancyArrowPatch((lane[k - 1][1] - 0.5, y_back), (x + 0.5, y_back), arrowstyle="-|>",
                                             mutation_scale=9, color=red, lw=1.0, linestyle="--", shrinkA=1,
                                             shrinkB=1, zorder=2, gid="backward"))
        for l in range(1, L + 1):   # parameter gradients branch off δ⁽ˡ⁾ downwards
            x = xs[f"z{l}"]
            for dx, name, title in ((-0.52, f"dW{l}", f"$\\partial\\mathcal{{L}}/\\partial W^{{({l})}}$"),
                                    (0.52, f"db{l}", f"$\\partial\\mathcal{{L}}/\\partial b^{{({l})}}$")):
                box(x + dx, y_back - 1.2, title, shapes[name], color=red)
                ax.add_patch(FancyArrowPatch((x, y_back - 0.33), (x + dx, y_back - 0.87), arrowstyle="-|>",
                                             mutation_scale=9, color=red, lw=1.0, linestyle="--", shrinkA=1,
                                             shrinkB=1, zorder=2, gid="backward"))
    ax.set_xlim(-0.7, xs["L"] + 0.7)
    ax.set_ylim((y_back - 1.7) if backward else -0.6, y_par + 0.55)
    _blank(ax)
    return ax
