"""One training epoch of the same MLP in nnlib, in PyTorch (CPU) and as the bare-numpy floor.

All three start from the same weights, see the same batches in the same order and do the same
plain-SGD update. The *floor* is the matrix products an MLP step cannot avoid (L forward, L for dW,
L-1 for da_prev per step), done by bare numpy into preallocated arrays: no activation, no loss, no
update, no bias. nnlib's distance to it is the element-wise work of a real step (bias, activation
and its derivative, softmax, update) plus whatever nnlib adds on top.

Timing on a shared machine: the three contenders of one configuration run in interleaved rounds
(a few epochs of nnlib, then of torch, then of the floor, then nnlib again, ...) and each keeps its
best epoch, so a burst of load from another process hits all three alike and the ratios stay
meaningful. BLAS threads are set explicitly (``threadpoolctl``) and torch gets the same number
(``torch.set_num_threads``).
"""

from __future__ import annotations

import time

import numpy as np

from nnlib import _fast, data
from nnlib.network import MLP
from nnlib.optim import SGD

# The benchmark times the fast path's steps themselves (tests/test_structure.py).
WHITE_BOX = ("nnlib._fast",)

LR = 0.01
BATCHES = (1, 32, 256, 4096)
NETS = {
    "64-128-64-10 (digits)": [64, 128, 64, 10],
    "784-512-512-10 (synthetic)": [784, 512, 512, 10],
}


def digits_set():
    X, y = data.load_digits()
    X = (X - X.mean(0)) / (X.std(0) + 1e-8)
    return X, y


def synthetic_set(n=8192, d=784, k=10, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.integers(0, k, n)


# ------------------------------------------------------------------------------------------------
# The three contenders: each builder returns a zero-argument function that trains one epoch.
# ------------------------------------------------------------------------------------------------


def nnlib_epoch(sizes, X, y, bs, dtype):
    net = MLP(sizes, ["relu"] * (len(sizes) - 2) + ["identity"], "softmax_ce", rng=0, dtype=dtype)
    Xd = X.astype(dtype)
    opt = SGD(lr=LR)

    # One epoch per call, as for the other contenders; the work arrays are kept between calls
    # (what a training run of many epochs gets anyway), not re-allocated for every epoch.
    ws = _fast.Workspace(net)

    def run():
        net.fit(Xd, y, epochs=1, batch_size=bs, optimizer=opt, shuffle=False, workspace=ws)

    return net, run


def torch_epoch(net0, X, y, bs, dtype):
    import torch

    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    layers = []
    for i, layer in enumerate(net0.layers):
        lin = torch.nn.Linear(layer.W.shape[1], layer.W.shape[0], dtype=tdtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(layer.W.astype(dtype)))
            lin.bias.copy_(torch.from_numpy(layer.b.astype(dtype)))
        layers.append(lin)
        if i < len(net0.layers) - 1:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    lossf = torch.nn.CrossEntropyLoss()
    Xt = torch.from_numpy(X.astype(dtype))
    yt = torch.from_numpy(y.astype(np.int64))
    n = X.shape[0]

    def run():
        for s in range(0, n, bs):
            opt.zero_grad(set_to_none=True)
            loss = lossf(model(Xt[s : s + bs]), yt[s : s + bs])
            loss.backward()
            opt.step()

    return run


def _gemm_matmul(dtype):
    """``matmul(A, B, out=C)`` through BLAS gemm for C-ordered or transposed operands: numpy's own
    matmul does a product with an inner dimension of 1 (dW at batch 1, an outer product) without
    BLAS, several times slower. In column-major terms, which BLAS speaks, C^T = B^T A^T."""
    from scipy.linalg import blas

    gemm = blas.dgemm if np.dtype(dtype) == np.float64 else blas.sgemm

    def matmul(A, B, out):
        bt, trans_b = (B.T, False) if B.flags.c_contiguous else (B, True)
        at, trans_a = (A.T, False) if A.flags.c_contiguous else (A, True)
        gemm(1.0, bt, at, trans_a=trans_b, trans_b=trans_a, c=out.T, overwrite_c=True)
        return out

    return matmul


def floor_epoch(sizes, X, bs, dtype, blas=False):
    """The floor's epoch; ``blas=True``: every product through BLAS gemm (see :func:`_gemm_matmul`)
    instead of numpy's matmul, which at batch 1 is the lower of the two floors."""
    matmul = _gemm_matmul(dtype) if blas else np.matmul
    rng = np.random.default_rng(0)
    Ws = [rng.standard_normal((sizes[l], sizes[l - 1])).astype(dtype) for l in range(1, len(sizes))]
    Xd = X.astype(dtype)
    n = X.shape[0]

    def buffers(m):
        a = [np.empty((m, s), dtype) for s in sizes[1:]]
        da = [np.empty((m, s), dtype) for s in sizes[1:-1]]
        return a, da

    full = buffers(bs)
    last = n % bs
    tail = buffers(last) if last else None
    dW = [np.empty_like(W) for W in Ws]

    def run():
        for s in range(0, n, bs):
            xb = Xd[s : s + bs]
            a, da = full if xb.shape[0] == bs else tail
            prev = xb
            for l, W in enumerate(Ws):
                matmul(prev, W.T, out=a[l])
                prev = a[l]
            delta = a[-1]
            for l in range(len(Ws) - 1, -1, -1):
                matmul(delta.T, xb if l == 0 else a[l - 1], out=dW[l])
                if l > 0:
                    matmul(delta, Ws[l], out=da[l - 1])
                    delta = da[l - 1]

    return run


def _interleaved_best(fns, repeats, block=3):
    """Best seconds of one call of each function over ``repeats`` rounds.

    In a round every function runs ``block`` times in a row (a, a, a, b, b, b, c, c, c, a, ...):
    the rounds spread a burst of load from another process over all contenders, and the runs in
    a row measure each one in its steady state, as in a training run of many epochs, not with
    caches just flushed by the previous contender (which cost nnlib 10% at full batch on the
    digits network, and the floor, which touches less memory, 3%).
    """
    best = {k: float("inf") for k in fns}
    for k, f in fns.items():
        f()  # warm-up: first-touch allocations, BLAS buffers, torch's lazy init
    for _ in range(repeats):
        for k, f in fns.items():
            for _ in range(block):
                t0 = time.perf_counter()
                f()
                best[k] = min(best[k], time.perf_counter() - t0)
    return best


def run(quick=False, threads=1, log=print):
    """Rows of {net, dtype, batch, samples, nnlib_s, torch_s, floor_s, ratios}; seconds per full epoch."""
    from threadpoolctl import threadpool_limits

    try:
        import torch

        torch.set_num_threads(threads)
        have_torch = True
    except ImportError:
        have_torch = False
    sets = {
        name: (sizes, *(digits_set() if sizes[0] == 64 else synthetic_set(2048 if quick else 8192)))
        for name, sizes in NETS.items()
    }
    rows = []
    with threadpool_limits(limits=threads):
        for name, (sizes, X, y) in sets.items():
            for dtype in (np.float64, np.float32):
                for bs in BATCHES:
                    Xs, ys = X, y
                    cap = 256 if quick else 1024
                    if bs == 1 and X.shape[0] > cap:
                        # Per-sample steps: time the first `cap` samples, report per full epoch.
                        Xs, ys = X[:cap], y[:cap]
                    scale = X.shape[0] / Xs.shape[0]
                    # Batch-1 epochs are short (a capped number of samples): more rounds, so that one
                    # burst of load from another process cannot spoil all of a contender's epochs.
                    repeats = 2 if quick else (7 if bs == 1 else 3)
                    # Epochs of seconds are not helped by warm caches; three in a row would only cost time.
                    block = 1 if bs == 1 or sizes[0] > 64 and bs < 256 else 5
                    net, f_nn = nnlib_epoch(sizes, Xs, ys, bs, dtype)
                    fns = {"nnlib": f_nn, "floor": floor_epoch(sizes, Xs, min(bs, Xs.shape[0]), dtype)}
                    if bs == 1:
                        # nnlib computes dW of one sample with gemm; the floor's numpy matmul does not.
                        fns["floor_gemm"] = floor_epoch(sizes, Xs, 1, dtype, blas=True)
                    if have_torch:
                        fns["torch"] = torch_epoch(net, Xs, ys, bs, dtype)
                    best = {k: v * scale for k, v in _interleaved_best(fns, repeats, block).items()}
                    t_nn, t_fl, t_pt, t_fg = best["nnlib"], best["floor"], best.get("torch"), best.get("floor_gemm")
                    rows.append(
                        {
                            "net": name,
                            "dtype": np.dtype(dtype).name,
                            "batch": bs,
                            "samples": int(X.shape[0]),
                            "timed_samples": int(Xs.shape[0]),
                            "nnlib_s": t_nn,
                            "torch_s": t_pt,
                            "floor_s": t_fl,
                            "nnlib_over_torch": None if t_pt is None else t_nn / t_pt,
                            "nnlib_over_floor": t_nn / t_fl,
                            "floor_gemm_s": t_fg,
                            "nnlib_over_floor_gemm": None if t_fg is None else t_nn / t_fg,
                        }
                    )
                    log(
                        f"  {name:28s} {rows[-1]['dtype']:8s} bs={bs:<5d} nnlib {t_nn:8.3f}s  "
                        f"torch {t_pt if t_pt is not None else float('nan'):8.3f}s  floor {t_fl:8.3f}s  "
                        f"nnlib/torch {rows[-1]['nnlib_over_torch'] or float('nan'):5.2f}  "
                        f"nnlib/floor {rows[-1]['nnlib_over_floor']:5.2f}"
                    )
    return rows


def memory(quick=False, threads=1):
    """Array memory of training the big net at batch 4096, against its parameters and activations.

    ``tracemalloc`` sees numpy's data buffers. Measured on a fresh network, from before its first
    ``fit`` (so the work arrays count, which ``fit`` allocates in a :class:`nnlib._fast.Workspace`
    the caller keeps here, as a training run in chunks of epochs would), then what stays allocated
    after ``fit`` returns (the workspace and the last gradients), then during a second ``fit`` with
    the same workspace (only what a step allocates on top of them).
    """
    import tracemalloc

    from threadpoolctl import threadpool_limits

    sizes, bs = [784, 512, 512, 10], 4096
    X, y = synthetic_set(8192)
    net = MLP(sizes, ["relu", "relu", "identity"], "softmax_ce", rng=0)
    opt = SGD(lr=LR)
    ws = _fast.Workspace(net)  # allocates nothing until the first step
    with threadpool_limits(limits=threads):
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        net.fit(X, y, epochs=1, batch_size=bs, optimizer=opt, shuffle=True, workspace=ws)
        first_peak = tracemalloc.get_traced_memory()[1] - base
        kept = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.reset_peak()
        net.fit(X, y, epochs=1, batch_size=bs, optimizer=opt, shuffle=True, workspace=ws)
        later_peak = tracemalloc.get_traced_memory()[1] - base - kept
        tracemalloc.stop()
    item = np.dtype(np.float64).itemsize
    params = sum((sizes[l - 1] + 1) * sizes[l] for l in range(1, len(sizes))) * item
    # What backprop must hold for one batch: the batch, z and a of every layer, and one gradient
    # of the parameters.
    acts = bs * (sizes[0] + 2 * sum(sizes[1:])) * item
    return {
        "net": "784-512-512-10",
        "batch": bs,
        "dtype": "float64",
        "samples": int(X.shape[0]),
        "peak_bytes": int(first_peak),
        "kept_bytes": int(kept),
        "later_epoch_extra_bytes": int(later_peak),
        "param_bytes": int(params),
        "activation_bytes": int(acts),
        "peak_over_params_plus_activations": first_peak / (params + acts),
    }


def matmuls(quick=False, threads=1):
    """The matrix products of one training step, numpy against PyTorch, for both networks.

    The same products as the floor (L forward, L for dW, L-1 for da_prev) with the same operand
    layouts, each timed alone (best of a few) at the largest batch of the training table. Their
    total is the part of an epoch that no Python code can change: the BLAS library each package
    links decides it (numpy's wheels: OpenBLAS). ``torch_epoch_s - torch_s`` and ``floor_s``
    subtracted from nnlib's epoch then compare what the two spend *besides* the products.
    """
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    repeats = 2 if quick else 5
    rng = np.random.default_rng(0)
    rows = []
    with threadpool_limits(limits=threads):
        for name, sizes in NETS.items():
            n = 1797 if sizes[0] == 64 else (1024 if quick else 4096)  # digits: the whole set
            for dtype in (np.float64, np.float32):
                Ws = [rng.standard_normal((sizes[l], sizes[l - 1])).astype(dtype) for l in range(1, len(sizes))]
                As = [rng.standard_normal((n, s)).astype(dtype) for s in sizes]
                products = []  # (numpy callable, torch callable)
                for l, W in enumerate(Ws, start=1):
                    a_prev, d = As[l - 1], As[l]  # d stands in for delta (N, M_l)
                    tW, ta, td = torch.from_numpy(W), torch.from_numpy(a_prev), torch.from_numpy(d)
                    z, dW = np.empty((n, sizes[l]), dtype), np.empty_like(W)
                    products.append((lambda a=a_prev, W=W, z=z: np.matmul(a, W.T, out=z), lambda a=ta, W=tW: a @ W.T))
                    products.append((lambda d=d, a=a_prev, g=dW: np.matmul(d.T, a, out=g), lambda d=td, a=ta: d.T @ a))
                    if l > 1:
                        da = np.empty((n, sizes[l - 1]), dtype)
                        products.append((lambda d=d, W=W, o=da: np.matmul(d, W, out=o), lambda d=td, W=tW: d @ W))
                fns = {f"{k}/{i}": f for i, pair in enumerate(products) for k, f in zip(("numpy", "torch"), pair)}
                best = _interleaved_best(fns, repeats, block=3)
                numpy_s = sum(v for k, v in best.items() if k.startswith("numpy/"))
                torch_s = sum(v for k, v in best.items() if k.startswith("torch/"))
                rows.append({"net": name, "dtype": np.dtype(dtype).name, "batch": n, "products": len(products),
                             "numpy_s": numpy_s, "torch_s": torch_s, "numpy_over_torch": numpy_s / torch_s})
    return rows


def anatomy(quick=False, threads=1):
    """Where one full-batch epoch of the digits network goes, in nnlib, by cumulative prefixes.

    Each prefix of a training step is timed on its own (best of many): the floor's matrix
    products; nnlib's forward pass (products, bias, ReLU); + the softmax cross-entropy; + the
    backward pass; + the SGD update; and the whole ``fit(epochs=1)`` call. The differences are
    the cost of each stage.
    """
    from threadpoolctl import threadpool_limits

    sizes = NETS["64-128-64-10 (digits)"]
    X, y = digits_set()
    repeats = 3 if quick else 7
    rows = []
    with threadpool_limits(limits=threads):
        for dtype in (np.float64, np.float32):
            net, fit_epoch = nnlib_epoch(sizes, X, y, X.shape[0], dtype)
            Xd, opt, params = X.astype(dtype), SGD(lr=LR), net.params()
            ws = _fast.Workspace(net)
            labels = net.prepare(X, y)[1]
            last = net.layers[-1]

            def forward():
                a = Xd
                for layer, w in zip(net.layers[:-1], ws.arrays(Xd.shape[0])):
                    a = _fast.INPLACE[type(layer.activation)][0](_fast.dense_forward_into(a, layer.W, layer.b, w.z))[0]
                _fast.dense_forward_into(a, last.W, last.b, ws.arrays(Xd.shape[0])[-1].z)

            def loss():
                forward()
                _fast.softmax_xent(ws.arrays(Xd.shape[0])[-1].z, labels)

            def backward():
                ws.step(Xd, labels)

            def update():
                _fast.sgd_step(opt, params, ws.step(Xd, labels)[2])

            fns = {"floor": floor_epoch(sizes, X, X.shape[0], dtype), "forward": forward, "loss": loss,
                   "backward": backward, "update": update, "fit": fit_epoch}
            best = _interleaved_best(fns, repeats, block=5)
            rows.append({"dtype": np.dtype(dtype).name, "samples": int(X.shape[0]), **{f"{k}_s": v for k, v in best.items()}})
    return rows
