"""copydetect (PyPI) against Dolos (npm @dodona/dolos-lib) on the simulated class: which finds the planted copies.

    .venv/bin/python -m bench.similarity          (needs `cd bench && npm ci` for Dolos, and node)

The class is tests/simulated_class.py's 24 students of hw3_backprop (honest answers in each student's own
style, the planted pair, the copy of nnlib) plus four more copies, each of another honest student's dense layer
and MLP with one disguise: variables renamed, independent lines reordered, comments rewritten, all three. Both
libraries get the same answers per part, the released starter code as the code to ignore, and nnlib's files as
references. Scores as tools/similarity.py defines them: two students, the mean of the fractions of each answer
matched (Dolos: its own pair similarity, the same kind of measure); a student against nnlib, the fraction of the
student's answer matched. Reported: the rank of each planted copy among all pairs of its part (1 = top), the
best honest pair's score (the noise floor), wall time for the whole class, and the install size.
Writes bench/results/similarity.json and prints a table.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import simulated_class as SIM  # noqa: E402

from tools import similarity  # noqa: E402

HW = SIM.HW
DISGUISES = {
    "renamed": lambda code: SIM.renamed(code),
    "reordered": lambda code: _reordered(code),
    "comments": lambda code: "\n".join(ln + ("  # computed as in the notes" if ln.strip().startswith(("z =", "d", "loss"))
                                             else "") for ln in code.splitlines()) + "\n",
    "all three": SIM.disguised,
}


def _reordered(code: str) -> str:
    lines = code.splitlines()
    for i in range(len(lines) - 1):      # swap the first two adjacent gradient assignments (independent lines)
        if lines[i].strip().startswith(("dW", "db", "da_prev")) and lines[i + 1].strip().startswith(("dW", "db", "da_prev")):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
            break
    return "\n".join(lines) + "\n"


def simulated():
    """({part: {student: code}}, planted [(part, left, right, what)])."""
    answers = SIM.answers()
    by_part = {part: {sid: a[part] for sid, a in answers.items() if a[part] is not None} for part in SIM.PARTS}
    planted = [(p, *SIM.PAIR, "the class's pair (all three)") for p in ("dense", "mlp")]
    planted.append(("dense", SIM.NNLIB_COPY, "nnlib/layers.py", "copied from nnlib"))
    honest = [sid for sid in SIM.STUDENTS if sid not in (*SIM.PAIR, SIM.NNLIB_COPY)
              and answers[sid]["dense"] is not None and answers[sid]["mlp"] is not None]
    for k, (name, disguise) in enumerate(DISGUISES.items()):
        source, copier = honest[k], f"c{k + 1}"
        for part in ("dense", "mlp"):
            by_part[part][copier] = disguise(answers[source][part])
            planted.append((part, source, copier, f"copy, {name}"))
    return by_part, planted


def starters():
    return similarity.answer_parts(ROOT, HW)


def run_copydetect(by_part, refs):
    start = time.perf_counter()
    out = {}
    for part, starter in starters().items():
        out[part] = [((p.left, p.right), p.score) for p in similarity.rank(starter, by_part[part], refs, 0.0, part)]
    return out, time.perf_counter() - start


def run_dolos(by_part, refs):
    with tempfile.TemporaryDirectory() as tmp:
        tmp, jobs = Path(tmp), []
        for part, starter in starters().items():
            d = tmp / part
            d.mkdir()
            files = []
            for sid, code in by_part[part].items():
                (d / f"{sid}.py").write_text(code)
                files.append(str(d / f"{sid}.py"))
            for name, code in refs.items():
                f = d / (name.replace("/", "__"))
                f.write_text(code)
                files.append(str(f))
            (tmp / f"{part}.starter.py").write_text(starter)
            jobs.append({"part": part, "files": files, "ignore": str(tmp / f"{part}.starter.py")})
        (tmp / "jobs.json").write_text(json.dumps(jobs))
        start = time.perf_counter()
        proc = subprocess.run(["node", str(ROOT / "bench" / "similarity_dolos.mjs"), str(tmp / "jobs.json")],
                              cwd=ROOT / "bench", capture_output=True, text=True, check=True)
        seconds = time.perf_counter() - start
    raw = json.loads(proc.stdout)
    out = {}
    for part, pairs in raw.items():
        ranked = []
        for p in pairs:
            names = [Path(p["left"]).name[:-3], Path(p["right"]).name[:-3]]
            refs_side = [n.startswith("nnlib__") for n in names]
            if all(refs_side):
                continue
            if any(refs_side):
                k = refs_side.index(True)
                student = names[1 - k]
                covered, total = (p["rightCovered"], p["rightTotal"]) if k == 0 else (p["leftCovered"], p["leftTotal"])
                ranked.append(((student, names[k].replace("__", "/") + ".py"), covered / total if total else 0.0))
            else:
                ranked.append((tuple(sorted(names)), p["similarity"]))
        # a student against nnlib: its best file only, as tools/similarity.py lists it
        best = {}
        for (a, b), score in ranked:
            key = (a, "nnlib") if b.startswith("nnlib/") else (a, b)
            if key not in best or score > best[key][1]:
                best[key] = ((a, b), score)
        out[part] = sorted(best.values(), key=lambda t: -t[1])
    return out, seconds


def ranks(result, planted):
    rows = []
    for part, left, right, what in planted:
        pairs = result[part]
        want = {left, right}
        rank = next((k for k, ((a, b), _) in enumerate(pairs, start=1) if {a, b} == want), None)
        score = next((s for (a, b), s in pairs if {a, b} == want), 0.0)
        rows.append({"part": part, "pair": f"{left} / {right}", "what": what, "rank": rank, "score": round(score, 3)})
    return rows


def noise_floor(result, planted):
    """The best score of a pair that is not planted, per part."""
    plant = {frozenset((l, r)) for _, l, r, _ in planted}
    return {part: round(next((s for (a, b), s in pairs if frozenset((a, b)) not in plant
                              and not b.startswith("nnlib/")), 0.0), 3) for part, pairs in result.items()}


def du(paths) -> int:
    total = 0
    for p in paths:
        for f in Path(p).rglob("*"):
            if f.is_file() and not f.is_symlink():
                total += f.stat().st_size
    return total


def main():
    by_part, planted = simulated()
    refs = similarity.reference_files()
    cd, cd_s = run_copydetect(by_part, refs)
    dl, dl_s = run_dolos(by_part, refs)
    import copydetect

    site = Path(copydetect.__file__).parent
    out = {
        "class": {"students": len(SIM.STUDENTS) + len(DISGUISES), "parts": len(by_part), "nnlib_files": len(refs)},
        "copydetect": {"version": copydetect.__version__, "seconds": round(cd_s, 2), "ranks": ranks(cd, planted),
                       "best_honest_pair": noise_floor(cd, planted), "install_bytes": du([site])},
        "dolos": {"version": json.loads((ROOT / "bench/node_modules/@dodona/dolos-lib/package.json").read_text())["version"],
                  "seconds": round(dl_s, 2), "ranks": ranks(dl, planted), "best_honest_pair": noise_floor(dl, planted),
                  "install_bytes": du([ROOT / "bench/node_modules/@dodona", ROOT / "bench/node_modules/tree-sitter",
                                       ROOT / "bench/node_modules/tree-sitter-python"])},
    }
    dest = ROOT / "bench" / "results" / "similarity.json"
    dest.write_text(json.dumps(out, indent=2) + "\n")
    print(f"{'planted':44} {'copydetect':>14} {'dolos':>14}")
    for a, b in zip(out["copydetect"]["ranks"], out["dolos"]["ranks"]):
        print(f"{a['part'] + ' ' + a['pair'] + ' (' + a['what'] + ')':44} "
              f"{'#%s %.2f' % (a['rank'], a['score']):>14} {'#%s %.2f' % (b['rank'], b['score']):>14}")
    print("best honest pair:", out["copydetect"]["best_honest_pair"], out["dolos"]["best_honest_pair"])
    print(f"time: copydetect {cd_s:.2f} s, dolos {dl_s:.2f} s (node start included)")
    print(f"wrote {dest}")


if __name__ == "__main__":
    main()
