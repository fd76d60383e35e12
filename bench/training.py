"""One training epoch of the same MLP in nnlib, in PyTorch (CPU) and as the bare-numpy floor.

All three start from the same weights, see the same batches in the same order and do the same
plain-SGD update. The *floor* is the matrix products an MLP step cannot avoid (L forward, L for dW,
L-1 for da_prev per step), done by bare numpy into preallocated arrays: no activation, no loss, no
update, no bias. nnlib's distance to it is nnlib's own overhead.

Timing on a shared machine: the three contenders of one configuration run *interleaved* (nnlib,
torch, floor, nnlib, torch, floor, ...) and each keeps its best of ``repeats`` epochs, so a burst of
load from another process hits all three alike and the ratios stay meaningful. BLAS threads are set
explicitly (``threadpoolctl``) and torch gets the same number (``torch.set_num_threads``).
"""

from __future__ import annotations

import time

import numpy as np

from nnlib import data
from nnlib.network import MLP
from nnlib.optim import SGD

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

    def run():
        net.fit(Xd, y, epochs=1, batch_size=bs, optimizer=opt, shuffle=False)

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


def floor_epoch(sizes, X, bs, dtype):
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
                np.matmul(prev, W.T, out=a[l])
                prev = a[l]
            delta = a[-1]
            for l in range(len(Ws) - 1, -1, -1):
                np.matmul(delta.T, xb if l == 0 else a[l - 1], out=dW[l])
                if l > 0:
                    np.matmul(delta, Ws[l], out=da[l - 1])
                    delta = da[l - 1]

    return run


def _interleaved_best(fns, repeats):
    """Best-of-``repeats`` seconds of each function, the functions run in turn (a, b, c, a, b, c, ...)."""
    best = {k: float("inf") for k in fns}
    for k, f in fns.items():
        f()  # warm-up: first-touch allocations, BLAS buffers, torch's lazy init
    for _ in range(repeats):
        for k, f in fns.items():
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
                    repeats = 2 if (quick or bs == 1) else 3
                    net, f_nn = nnlib_epoch(sizes, Xs, ys, bs, dtype)
                    fns = {"nnlib": f_nn, "floor": floor_epoch(sizes, Xs, min(bs, Xs.shape[0]), dtype)}
                    if have_torch:
                        fns["torch"] = torch_epoch(net, Xs, ys, bs, dtype)
                    best = {k: v * scale for k, v in _interleaved_best(fns, repeats).items()}
                    t_nn, t_fl, t_pt = best["nnlib"], best["floor"], best.get("torch")
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
    """Peak traced memory of one epoch of the big net at batch 4096, vs its parameters and activations.

    ``tracemalloc`` sees numpy's data buffers, so the peak is the largest amount of array memory
    alive at once during the epoch, above what was allocated before it started (X, y, the weights).
    """
    import tracemalloc

    from threadpoolctl import threadpool_limits

    sizes, bs = [784, 512, 512, 10], 4096
    X, y = synthetic_set(8192)
    net = MLP(sizes, ["relu", "relu", "identity"], "softmax_ce", rng=0)
    opt = SGD(lr=LR)
    with threadpool_limits(limits=threads):
        net.fit(X, y, epochs=1, batch_size=bs, optimizer=opt)  # the caches of a first step exist from now on
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        net.fit(X, y, epochs=1, batch_size=bs, optimizer=opt, shuffle=True)
        peak = tracemalloc.get_traced_memory()[1] - base
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
        "peak_bytes": int(peak),
        "param_bytes": int(params),
        "activation_bytes": int(acts),
        "peak_over_params_plus_activations": peak / (params + acts),
    }
