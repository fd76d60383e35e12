"""How long ``make test`` takes from a fresh clone (a benchmark, not a test).

    python -m bench.suite                       # 3 runs of the committed HEAD, median
    python -m bench.suite --runs 1 --ref main --count-assertions

Each run clones the repository (committed state of ``--ref``) into a temporary directory and runs
``make test`` there exactly as a contributor would: a new .venv (pip's cache), ``npm ci``, the book and
its PDF built from nothing, then the whole pytest suite. Reported per run: the wall time of ``make test``
and of its pytest part, the load average sampled every 5 s during the run (mean and maximum of the
1-minute value) and the core count: on a shared machine a number means nothing without the load beside it.
The suite is CPU-bound (two workers on two cores keep the machine about 97 % busy; a third worker does not
shorten it), so each run also reports the CPU seconds: of ``make test`` and everything it reaped (its
rusage), the share of the whole machine's CPU that was busy (``/proc/stat``), and, from
:mod:`bench.cputime`, the CPU of each xdist group and test file.
Where the time goes: pytest's ``--junitxml`` gives each test's time (set-up + call + tear-down); they are
summed per activity (``ACTIVITIES``, by test file) as shares of all test time. ``--count-assertions``
also loads :mod:`bench.assertcount`. Results go to ``bench/results/suite.json`` and ``suite.md``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

# Test files by what they spend their time on (the rows of issue 22's table); the rest are unit tests.
# A name ending in "_" is a prefix. The first matching row wins.
ACTIVITIES = {
    "instructor guides": ("test_instructor_guide", "test_writing_assignments_guide"),
    "publish path": ("test_publish",),
    "JupyterHub end-to-end": ("test_hub_e2e",),
    "Chromium (reader tests)": ("test_book_browser", "test_reader_", "test_zh_browser", "test_zh_search",
                                "test_zh_pdf", "test_offline_math", "test_untrusted_html"),
    "nbgrader / grading": ("test_grading", "test_nbgrader_", "test_parallel_grading", "test_mutations",
                           "test_attacks", "test_honest_mistakes", "test_formgrade_template", "test_lms",
                           "test_homework_content", "test_sandbox", "test_scan", "test_protocol_exprs",
                           "test_class_reports", "test_reproducible_grading", "test_gradebook", "test_gradebook_",
                           "test_quiet_grading", "test_warm_pool", "test_variant_exchange", "test_variants",
                           "test_exchange_files", "test_check_assignments", "test_check_corpus", "test_zh_homework",
                           "test_partial_credit", "test_grader_cpu", "test_chapter_exercises"),
}


def activity_of(test_file: str) -> str:
    stem = Path(test_file).stem
    for name, prefixes in ACTIVITIES.items():
        if any(stem == p or (p.endswith("_") and stem.startswith(p)) for p in prefixes):
            return name
    return "unit and the rest"


def _cpu_ticks() -> tuple[int, int]:
    """(all, idle) jiffies of the machine since boot (the first line of /proc/stat; idle includes iowait)."""
    with open("/proc/stat") as fh:
        v = [int(x) for x in fh.readline().split()[1:]]
    return sum(v), v[3] + v[4]


class LoadSampler(threading.Thread):
    """The 1-minute load average every ``every`` seconds until stopped, and the machine's busy share."""

    def __init__(self, every=5.0):
        super().__init__(daemon=True)
        self.every, self.samples, self._stop_event = every, [], threading.Event()
        self._ticks0 = _cpu_ticks()

    def run(self):
        while not self._stop_event.is_set():
            self.samples.append(os.getloadavg()[0])
            self._stop_event.wait(self.every)

    def stop(self):
        self._stop_event.set()
        self.join()
        (all0, idle0), (all1, idle1) = self._ticks0, _cpu_ticks()
        busy = round(1 - (idle1 - idle0) / max(1, all1 - all0), 3)
        return {"mean": round(statistics.fmean(self.samples), 2), "max": round(max(self.samples), 2),
                "samples": len(self.samples), "machine_busy": busy} if self.samples else None


def test_times(junit: Path) -> tuple[dict, dict]:
    """({test file: seconds}, {xdist group: seconds}) from a junit XML report (set-up + call + tear-down of
    each test; the group is the ``xdist_group`` property tests/conftest.py records)."""
    files: dict[str, float] = {}
    groups: dict[str, float] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("file") or case.get("classname", "").replace(".", "/") + ".py"
        t = float(case.get("time", 0))
        files[name] = files.get(name, 0.0) + t
        group = next((p.get("value") for p in case.iter("property") if p.get("name") == "xdist_group"), None)
        if group:
            groups[group] = groups.get(group, 0.0) + t
    return files, groups


def slowest(log: str, n: int = 25) -> list[str]:
    """The lines of pytest's ``--durations`` table in a log."""
    lines = log.splitlines()
    start = next((i for i, l in enumerate(lines) if "slowest" in l and "durations" in l), None)
    if start is None:
        return []
    out = []
    for line in lines[start + 1:]:
        if not line.strip() or line.startswith(("=", "(")):
            break
        out.append(line.strip())
    return out[:n]


def one_run(ref: str, workdir: Path, count_assertions: bool, log) -> dict:
    clone = workdir / "clone"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "checkout", "--quiet", ref], cwd=clone, check=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True,
                            check=True).stdout.strip()
    junit = workdir / "junit.xml"
    extra = [f"--junitxml={junit}", "-o", "junit_family=xunit1", "--durations=25"]
    cputimes = workdir / "cputime.json"
    if (clone / "bench" / "cputime.py").exists():  # older commits lack the plugin
        extra += ["-p", "bench.cputime", f"--cpu-times={cputimes}"]
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    if count_assertions:
        plugin = clone / "bench" / "assertcount.py"
        if not plugin.exists():  # measuring a commit older than the plugin
            shutil.copy(ROOT / "bench" / "assertcount.py", plugin)
        extra += ["-p", "bench.assertcount", "-o", "enable_assertion_pass_hook=true",
                  f"--assert-count={workdir / 'assertions.json'}"]
        # No PYTHONPYCACHEPREFIX here (assertcount's advice for a reused checkout): the clone is fresh, so no
        # test module has an earlier rewritten .pyc, and the prefix would also take pip's compiled .pyc files
        # out of the venv, so that every sandboxed worker compiled numpy and SymPy from source (~5 s of CPU
        # each) and the counted run measured a slower suite than CI runs.
    # PYTEST_ARGS is appended by the Makefile's PYTEST; older commits only know PYTEST itself.
    makefile = (clone / "Makefile").read_text()
    if "PYTEST_ARGS" in makefile:
        make_vars = [f"PYTEST_ARGS={' '.join(extra)}"]
    else:
        line = next(l for l in makefile.splitlines() if l.startswith("PYTEST :="))
        make_vars = [f"PYTEST={line.split(':=', 1)[1].strip().replace('$(BIN)', str(clone / '.venv' / 'bin'))} "
                     + " ".join(extra)]
    sampler = LoadSampler()
    sampler.start()
    t0 = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(["make", "test", *make_vars], cwd=clone, env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = sampler.stop()
    (workdir / "make.log").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    run = {"commit": commit, "rc": proc.returncode, "make_test_s": round(wall, 1), "load_1min": load,
           "load_at_end": [round(v, 2) for v in os.getloadavg()],
           "make_test_cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1)}
    if cputimes.exists():
        cpu = json.loads(cputimes.read_text())
        run["pytest_cpu_s"] = cpu["cpu_s"]
        run["cpu_groups"] = {g: v["cpu_s"] for g, v in cpu["groups"].items()}
        run["cpu_files"] = [[v["cpu_s"], f] for f, v in list(cpu["files"].items())[:15]]
    if junit.exists():
        per_file, per_group = test_times(junit)
        run["groups"] = {g: round(t, 1) for g, t in sorted(per_group.items(), key=lambda kv: -kv[1])}
        total = sum(per_file.values())
        shares: dict[str, float] = {}
        for f, s in per_file.items():
            shares[activity_of(f)] = shares.get(activity_of(f), 0.0) + s
        root = ET.parse(junit).getroot()
        suite = root if root.tag == "testsuite" else root.find("testsuite")
        run["pytest_s"] = round(float(suite.get("time", 0)), 1)
        run["test_time_s"] = round(total, 1)
        run["shares"] = {k: round(v / total, 3) for k, v in sorted(shares.items(), key=lambda kv: -kv[1])}
        run["slowest_files"] = sorted(((round(s, 1), f) for f, s in per_file.items()), reverse=True)[:12]
    run["slowest_tests"] = slowest(proc.stdout)
    if count_assertions and (workdir / "assertions.json").exists():
        run["assertions"] = json.loads((workdir / "assertions.json").read_text())
    if proc.returncode != 0:
        log(f"make test failed (rc={proc.returncode}); tail of its output:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    return run


def to_md(res) -> str:
    runs = res["runs"]
    out = [f"`make test` from a fresh clone, {res['date']}: {len(runs)} run(s) of {res['ref']} "
           f"({runs[0]['commit'][:10]}), {res['cores']} cores.", "",
           "| run | make test | pytest | CPU of make test | machine busy | load (1 min) mean / max | rc |",
           "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for i, r in enumerate(runs, 1):
        ld = r["load_1min"] or {}
        busy = f"{ld['machine_busy']:.0%}" if "machine_busy" in ld else "–"
        cpu = f"{r['make_test_cpu_s']:.0f} s" if "make_test_cpu_s" in r else "–"
        out.append(f"| {i} | {r['make_test_s']:.0f} s | {r.get('pytest_s', 0):.0f} s | {cpu} | {busy} | "
                   f"{ld.get('mean', '–')} / {ld.get('max', '–')} | {r['rc']} |")
    out += ["", f"Median of make test: {res['median_make_test_s']:.0f} s "
                f"({res['median_make_test_s'] / 60:.1f} min).", ""]
    if runs[-1].get("shares"):
        out += ["Where the test time goes (last run; shares of summed per-test time):", "",
                "| activity | share |", "| --- | ---: |"]
        out += [f"| {k} | {v:.0%} |" for k, v in runs[-1]["shares"].items()]
    if runs[-1].get("groups"):
        out += ["", "Test time of each xdist group (last run; the order of tests/conftest.py's LONG_FIRST):", "",
                "| group | seconds |", "| --- | ---: |"] + [f"| {g} | {t:.0f} |" for g, t in runs[-1]["groups"].items()]
    if runs[-1].get("cpu_groups"):
        r = runs[-1]
        out += ["", f"CPU seconds of the tests (last run, bench/cputime.py: each test's worker and the processes it "
                    f"reaped; the session's Chromium and daemons are not in it): {r['pytest_cpu_s']:.0f} s.", "",
                "| xdist group | CPU s |", "| --- | ---: |"]
        out += [f"| {g} | {c:.0f} |" for g, c in list(r["cpu_groups"].items())[:20]]
        out += ["", "| test file | CPU s |", "| --- | ---: |"] + [f"| {f} | {c:.0f} |" for c, f in r["cpu_files"]]
    if runs[-1].get("assertions"):
        a = runs[-1]["assertions"]
        out += ["", f"Checks executed: {a['checks']} ({a['totals']}), tests collected {a['tests_collected']}."]
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", default="HEAD", help="commit or branch to clone (committed state only)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--count-assertions", action="store_true")
    ap.add_argument("--out", default=str(RESULTS / "suite.json"))
    ap.add_argument("--keep", action="store_true", help="keep the clones (their make.log and junit.xml)")
    args = ap.parse_args(argv)
    ref = subprocess.run(["git", "rev-parse", args.ref], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    runs = []
    for i in range(args.runs):
        work = Path(tempfile.mkdtemp(prefix="ffnn-suite-bench-"))
        # as a clone anywhere else: the exchange test's students run this venv's nbgrader as other users
        work.chmod(0o755)
        print(f"run {i + 1}/{args.runs} in {work} (load {os.getloadavg()[0]:.2f})", flush=True)
        try:
            runs.append(one_run(ref, work, args.count_assertions, print))
            print(json.dumps({k: v for k, v in runs[-1].items() if k not in ('slowest_tests', 'assertions')}),
                  flush=True)
        finally:
            if args.keep:
                print(f"kept {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)
    res = {"date": _dt.datetime.now().isoformat(timespec="seconds"), "ref": args.ref, "cores": os.cpu_count(),
           "runs": runs, "median_make_test_s": statistics.median(r["make_test_s"] for r in runs)}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1) + "\n")
    out.with_suffix(".md").write_text(to_md(res))
    print(to_md(res))


if __name__ == "__main__":
    main()
