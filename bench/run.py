"""Run the benchmarks and write ``bench/results/results.json`` and ``bench/results/results.md``.

    python -m bench.run                      # everything, full size (make bench)
    python -m bench.run --quick              # smaller data, fewer repeats, 5 students
    python -m bench.run --only training,memory --threads 2

Sections: ``training`` (nnlib vs PyTorch vs the numpy floor), ``memory`` (peak of one epoch),
``grading`` (nbgrader autograde per notebook and per class), ``book`` (clean build and rebuild).
``python -m bench.grading_class`` (a class of 300, ``tools.classroom autograde --jobs 2``) writes its own
``grading_class.json``, shown here like ``reader.json``.
A section that is not run keeps its previous result in results.json (marked with its own date).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SECTIONS = ("training", "memory", "grading", "book")


def machine_info(threads):
    import numpy as np
    from threadpoolctl import threadpool_info

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = None
    blas = [
        f"{p.get('internal_api')} {p.get('version')} ({p.get('threading_layer', '?')}, {p.get('architecture', '?')})"
        for p in threadpool_info()
        if p.get("user_api") == "blas" and "numpy" in p.get("filepath", "")
    ] or [f"{p.get('internal_api')} {p.get('version')}" for p in threadpool_info() if p.get("user_api") == "blas"]
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {
        "cpu": cpu,
        "logical_cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "torch": torch_version,
        "blas": blas[0] if blas else None,
        "threads": threads,
        "load_average_at_start": None if load is None else [round(x, 2) for x in load],
    }


def _fmt_s(x):
    if x is None:
        return "–"
    return f"{x * 1e3:.1f} ms" if x < 1 else f"{x:.2f} s"


def _fmt_r(x):
    return "–" if x is None else f"{x:.2f}"


def _mib(b):
    return f"{b / 2**20:.1f} MiB"


def machine_md(res):
    m = res["machine"]
    return (
        f"Run {res['date']} ({'quick' if res.get('quick') else 'full'} mode) on {m['cpu']}, "
        f"{m['logical_cores']} logical cores, {m['threads']} BLAS/torch thread(s); Python {m['python']}, "
        f"numpy {m['numpy']} ({m['blas']}), torch {m['torch']}. Load average at start: {m['load_average_at_start']}."
    )


def training_md(res):
    out = [
        "| network | dtype | batch | nnlib | PyTorch | floor | nnlib/PyTorch | nnlib/floor |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in res["training"]["rows"]:
        out.append(
            f"| {r['net']} | {r['dtype']} | {r['batch']} | {_fmt_s(r['nnlib_s'])} | {_fmt_s(r['torch_s'])} | "
            f"{_fmt_s(r['floor_s'])} | {_fmt_r(r['nnlib_over_torch'])} | {_fmt_r(r['nnlib_over_floor'])} |"
        )
    return "\n".join(out)


def batch1_md(res):
    """Batch size 1 against two floors: numpy's matmul (the table above) and BLAS gemm for every product."""
    rows = [r for r in res["training"]["rows"] if r["batch"] == 1 and r.get("floor_gemm_s") is not None]
    if not rows:
        return "*No batch-1 floor with gemm in these results: run `make bench`.*"
    out = [
        "| network | dtype | nnlib | floor (numpy matmul) | floor (BLAS gemm) | nnlib/floor | nnlib/floor (gemm) "
        "| per step: nnlib | per step: floor (gemm) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        us = 1e6 / r["samples"]  # seconds per epoch -> microseconds per step
        out.append(
            f"| {r['net']} | {r['dtype']} | {_fmt_s(r['nnlib_s'])} | {_fmt_s(r['floor_s'])} | {_fmt_s(r['floor_gemm_s'])} "
            f"| {_fmt_r(r['nnlib_over_floor'])} | {_fmt_r(r['nnlib_over_floor_gemm'])} | {r['nnlib_s'] * us:.1f} µs "
            f"| {r['floor_gemm_s'] * us:.1f} µs |"
        )
    return "\n".join(out)


def anatomy_md(res):
    """One full-batch epoch of the digits network, stage by stage (cumulative prefixes, differenced)."""
    rows = res["training"].get("anatomy")
    if not rows:
        return "*No step anatomy in these results: run `make bench`.*"
    stages = [
        ("matrix products (the floor)", lambda r: r["floor_s"]),
        ("forward: products, bias, ReLU", lambda r: r["forward_s"]),
        ("softmax cross-entropy", lambda r: r["loss_s"] - r["forward_s"]),
        ("backward: products, db, ReLU derivative", lambda r: r["backward_s"] - r["loss_s"]),
        ("SGD update", lambda r: r["update_s"] - r["backward_s"]),
        ("rest of `fit` (checks, accuracy, history)", lambda r: r["fit_s"] - r["update_s"]),
        ("whole epoch, `fit(epochs=1)`", lambda r: r["fit_s"]),
    ]
    head = " | ".join(f"{r['dtype']}" for r in rows)
    out = [f"| stage | {head} |", "| --- |" + " ---: |" * len(rows)]
    for name, f in stages:
        # A stage below the timing noise (the update of 17k parameters) shows as "< 0.01 ms".
        out.append(f"| {name} | " + " | ".join(
            f"{f(r) * 1e3:.2f} ms" if f(r) >= 5e-6 else "< 0.01 ms" for r in rows) + " |")
    out.append("| whole epoch / floor | " + " | ".join(f"{r['fit_s'] / r['floor_s']:.2f}" for r in rows) + " |")
    return "\n".join(out)


def matmuls_md(res):
    rows = res["training"].get("matmuls")
    if not rows:
        return "*No matrix-product comparison in these results (it needs PyTorch): run `make bench`.*"
    epochs = {(r["net"], r["dtype"], min(r["batch"], r["samples"])): r for r in res["training"]["rows"]}
    out = [
        "| network | dtype | batch | products per epoch: numpy (OpenBLAS) | products per epoch: PyTorch "
        "| numpy/PyTorch | rest of the epoch: nnlib | rest of the epoch: PyTorch |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        e = epochs.get((r["net"], r["dtype"], r["batch"]))
        steps = math.ceil(e["samples"] / r["batch"]) if e else 1  # the products were timed for one step
        np_s, pt_s = r["numpy_s"] * steps, r["torch_s"] * steps
        rest_nn = _fmt_s(e["nnlib_s"] - e["floor_s"]) if e else "–"
        rest_pt = _fmt_s(e["torch_s"] - pt_s) if e and e.get("torch_s") is not None else "–"
        out.append(f"| {r['net']} | {r['dtype']} | {r['batch']} | {_fmt_s(np_s)} | {_fmt_s(pt_s)} | "
                   f"{r['numpy_over_torch']:.2f} | {rest_nn} | {rest_pt} |")
    return "\n".join(out)


def memory_md(res):
    mem = res["memory"]
    out = (
        f"Peak array memory {_mib(mem['peak_bytes'])}; parameters {_mib(mem['param_bytes'])}; "
        f"batch activations (X, z, a) {_mib(mem['activation_bytes'])}; "
        f"ratio peak/(parameters + activations) = {mem['peak_over_params_plus_activations']:.2f}."
    )
    if "kept_bytes" in mem:
        out += (
            f" Kept between `fit` calls (the work arrays of a `Workspace` the caller passes to `fit`, and "
            f"the last gradients): {_mib(mem['kept_bytes'])}; allocated on top of them during a later "
            f"epoch: {_mib(mem['later_epoch_extra_bytes'])}."
        )
    return out


def grading_md(res):
    gr = res["grading"]
    out = [
        "| assignment | 1 submission | all submissions | per notebook | sandbox | worker start | student code "
        "| checks | grader CPU (max) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in gr["assignments"]:
        sp = r.get("split") or {}
        out.append(
            f"| {r['assignment']} | {_fmt_s(r['one_s'])} | {_fmt_s(r['total_s'])} | {_fmt_s(r['per_notebook_s'])} | "
            f"{_fmt_s(sp.get('sandbox'))} | {_fmt_s(sp.get('worker'))} | {_fmt_s(sp.get('student_code'))} | "
            f"{_fmt_s(sp.get('checks'))} | {_fmt_s(sp.get('grader_cpu'))} ({_fmt_s(sp.get('grader_cpu_max'))}) |"
        )
    out += ["", "Per notebook, medians over the class: sandbox = bwrap alone, worker start = the interpreter, numpy "
            "and SymPy inside the sandbox, student code = the notebook's cells, checks = the trusted checks and "
            "their calls into the sandbox, grader CPU = CPU seconds of the grading process itself (median, and "
            "the maximum over the class)."]
    if gr.get("class_total_s") is not None:
        out += ["", f"A class of {gr['students']} students, all assignments: {_fmt_s(gr['class_total_s'])}."]
    if gr.get("imports"):
        out += ["", "Import times in a fresh interpreter: " + ", ".join(
            f"`{k}` {_fmt_s(v)}" for k, v in gr["imports"].items()) + "."]
    if gr.get("parallel"):
        p = gr["parallel"]
        out += ["", f"Parallel grading ({p['workers']} processes): {_fmt_s(p['total_s'])} for "
                f"{p['students']} submissions of {p['assignment']}; gradebook identical to the serial "
                f"run: {p['gradebook_identical']}."]
    return "\n".join(out)


def book_md(res):
    bk = res["book"]
    return (
        f"Clean build {_fmt_s(bk['clean_s'])} ({bk.get('pages_executed_clean', '?')} pages executed); "
        f"rebuild with no change {_fmt_s(bk.get('noop_s'))} ({bk.get('reexecuted_noop', '?')} executed); "
        f"rebuild after editing one code cell of `{bk['edited_page']}` {_fmt_s(bk['rebuild_s'])} "
        f"({bk.get('reexecuted', '?')} page(s) re-executed)."
    )


def grading_class_md(res):
    from .grading_class import markdown as class_markdown

    before = RESULTS / "grading_class-before.json"
    text = class_markdown(res["grading_class"], json.loads(before.read_text()) if before.exists() else None)
    return "\n".join(text.splitlines()[2:])  # without its own title


def reader_md(res):
    from .reader import markdown as reader_markdown

    return reader_markdown(res["reader"])


SECTION_MD = {
    "training": ("Training: seconds per epoch", training_md),
    "training/batch1": ("Batch size 1: the floor with numpy's matmul and with BLAS gemm", batch1_md),
    "training/anatomy": ("One full-batch epoch of the digits network, stage by stage", anatomy_md),
    "training/matmuls": ("Matrix products alone, numpy against PyTorch", matmuls_md),
    "memory": ("Memory: one epoch of 784-512-512-10, batch 4096, float64", memory_md),
    "grading": ("Grading with nbgrader autograde", grading_md),
    "book": ("Book build", book_md),
    # Written by bench/grading_class.py (python -m bench.grading_class) into its own file, grading_class.json.
    "grading_class": ("Grading a class of 300 with tools.classroom autograde --jobs 2", grading_class_md),
    # Written by bench/reader.py (make bench-reader) into its own file, reader.json.
    "reader": ("Reading the book: Lighthouse on a phone", reader_md),
}


def markdown(res):
    """The results as Markdown (the book page renders the same JSON with the section functions)."""
    out = ["# Benchmark results", "", machine_md(res), ""]
    for own in ("reader", "grading_class"):
        if (RESULTS / f"{own}.json").exists():
            res = {**res, own: json.loads((RESULTS / f"{own}.json").read_text())}
    for key, (title, fn) in SECTION_MD.items():
        section = key.split("/")[0]  # "training/anatomy" is a part of the "training" results
        if res.get(section):
            date, quick = res[section].get("date"), res[section].get("quick")
            out += [f"## {title}", "", fn(res), "", f"(measured {date}{', quick mode' if quick else ''})", ""]
    return "\n".join(out)


def forget_cached_page(log):
    """Drop the book's cached execution of the appendix page, so the next ``make book`` shows the new
    numbers: the execution cache is keyed on a page's code, and reading a new results.json does not
    change that code."""
    page = ROOT / "book" / "appendix" / "performance.md"
    if page.exists():
        page.touch()  # a newer source file is what makes Sphinx read the page again
    cache_dir = ROOT / "_build" / ".jupyter_cache"
    if not cache_dir.exists():
        return
    try:
        from jupyter_cache import get_cache
    except ImportError:
        return
    cache = get_cache(str(cache_dir))
    for record in cache.list_cache_records():
        if record.uri.endswith("performance.md"):
            cache.remove_cache(record.pk)
            log(f"dropped the cached execution of {record.uri}: the next `make book` re-runs it")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small data and few repeats (a smoke run)")
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads for numpy and torch (default 1)")
    ap.add_argument("--students", type=int, default=None, help="simulated submissions (default 100, quick: 5)")
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}")
    args = ap.parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(only) - set(SECTIONS))
    if unknown:
        ap.error(f"unknown section(s) {unknown}; known: {', '.join(SECTIONS)}")

    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "results.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    now = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    res = {k: previous[k] for k in SECTIONS if k in previous and k not in only}
    res.update({"date": now, "quick": args.quick, "machine": machine_info(args.threads)})

    def log(msg):
        print(msg, flush=True)

    if "training" in only:
        from . import training

        log("training (seconds per epoch; best of interleaved repeats):")
        res["training"] = {"date": now, "quick": args.quick, "rows": training.run(args.quick, args.threads, log)}
        res["training"]["anatomy"] = training.anatomy(args.quick, args.threads)
        log(f"anatomy of a full-batch digits epoch: {res['training']['anatomy']}")
        try:
            res["training"]["matmuls"] = training.matmuls(args.quick, args.threads)
            log(f"matrix products, numpy vs torch: {res['training']['matmuls']}")
        except ImportError:
            log("matrix products, numpy vs torch: skipped (no torch)")
    if "memory" in only:
        from . import training

        res["memory"] = {"date": now, "quick": args.quick, **training.memory(args.quick, args.threads)}
        log(f"memory: {res['memory']}")
    if "grading" in only:
        from . import grading

        students = args.students if args.students is not None else (5 if args.quick else 100)
        res["grading"] = {"date": now, "quick": args.quick, **grading.run(students=students, quick=args.quick, log=log)}
    if "book" in only:
        from . import book_build

        res["book"] = {"date": now, "quick": args.quick, **book_build.run(log=log)}

    path.write_text(json.dumps(res, indent=2) + "\n")
    (RESULTS / "results.md").write_text(markdown(res) + "\n")
    forget_cached_page(log)
    log(f"wrote {path} and {RESULTS / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
