"""nnlib's Adam against ``torch.optim.Adam`` / ``torch.optim.AdamW`` on the same gradients.

    python -m bench.adam_reference            # compare now (needs torch, bench/requirements.txt)
    python -m bench.adam_reference --write    # also store torch's trajectories in tests/fixtures/

Both optimizers start from the same weight matrix ``W`` (3, 4) and bias ``b`` (3,) and are fed, at every step,
the gradient of the same function of *their own* current parameters (``gradient`` below: a curved bowl plus
a step-dependent push), so the trajectories agree only if every update does. The stored file lets
``tests/test_adam.py`` hold nnlib to torch's numbers without torch installed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from nnlib.optim import Adam

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "adam_torch_reference.json"
STEPS = 60
RECORD = (1, 2, 3, 5, 10, 20, 40, 60)
# name -> (nnlib keyword arguments, torch class name); b is never decayed (decay_bias=False)
CONFIGS = {
    "adam": (dict(lr=0.05), "Adam"),
    "adam_small_betas": (dict(lr=0.02, beta1=0.5, beta2=0.9, eps=1e-6), "Adam"),
    "adam_weight_decay": (dict(lr=0.05, weight_decay=0.3), "Adam"),
    "adamw": (dict(lr=0.05, weight_decay=0.3, decoupled=True), "AdamW"),
}


def start():
    rng = np.random.default_rng(7)
    return {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=3)}, {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=3)}


def gradient(p, target, k):
    """The gradient fed at step k (from 1) for parameters p: curvature that varies with p, plus a push."""
    return {key: (p[key] - target[key]) * (1.5 + np.sin(p[key])) + 0.3 * np.cos(k + np.arange(p[key].size)).reshape(p[key].shape)
            for key in p}


def run_nnlib(name):
    kwargs, _ = CONFIGS[name]
    p, target = start()
    opt, out = Adam(**kwargs), {}
    for k in range(1, STEPS + 1):
        opt.step(p, gradient(p, target, k))
        if k in RECORD:
            out[k] = {key: v.copy() for key, v in p.items()}
    return out


def run_torch(name):
    import torch

    kwargs, cls = CONFIGS[name]
    p0, target = start()
    tp = {key: torch.tensor(v, dtype=torch.float64, requires_grad=True) for key, v in p0.items()}
    wd = kwargs.get("weight_decay", 0.0)
    groups = [{"params": [tp["W"]], "weight_decay": wd}, {"params": [tp["b"]], "weight_decay": 0.0}]
    opt = getattr(torch.optim, cls)(groups, lr=kwargs["lr"], betas=(kwargs.get("beta1", 0.9), kwargs.get("beta2", 0.999)),
                                    eps=kwargs.get("eps", 1e-8))
    out = {}
    for k in range(1, STEPS + 1):
        g = gradient({key: v.detach().numpy() for key, v in tp.items()}, target, k)
        for key, v in tp.items():
            v.grad = torch.tensor(g[key], dtype=torch.float64)
        opt.step()
        if k in RECORD:
            out[k] = {key: v.detach().numpy().copy() for key, v in tp.items()}
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"store torch's trajectories in {FIXTURE}")
    args = parser.parse_args(argv)
    import torch

    stored = {"torch": torch.__version__, "steps": list(RECORD), "configs": {}}
    for name in CONFIGS:
        ours, theirs = run_nnlib(name), run_torch(name)
        diff = max(float(np.abs(ours[k][key] - theirs[k][key]).max()) for k in RECORD for key in ("W", "b"))
        moved = float(np.abs(theirs[RECORD[-1]]["W"] - start()[0]["W"]).max())
        print(f"{name:>18}: largest difference to torch.optim.{CONFIGS[name][1]} over {STEPS} steps {diff:.1e} "
              f"(the weights moved by up to {moved:.2f})")
        stored["configs"][name] = {str(k): {key: v.tolist() for key, v in theirs[k].items()} for k in RECORD}
    if args.write:
        FIXTURE.write_text(json.dumps(stored, indent=1) + "\n")
        print(f"wrote {FIXTURE}")


if __name__ == "__main__":
    main()
