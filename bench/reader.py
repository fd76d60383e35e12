"""Speed and accessibility as a reader meets them: Lighthouse (npm, bench/package.json) with Debian's
Chromium on the built book, served from 127.0.0.1 like a real web server would serve it (brotli or
gzip compression, keep-alive connections, cache headers).

    make bench-reader            # or: python -m bench.reader [--html _build/html] [--pages ...] [--runs 3]

Lighthouse's mobile preset simulates a mid-range phone (4x slower CPU) on a slow 4G network from one
trace; its scores move with the load of the machine. Each page is therefore measured ``--runs`` times
and the run with the median performance score is kept (Lighthouse's own advice), with the lowest
and highest score next to it.

Writes bench/results/reader.json: per page, the mobile performance and accessibility scores, first
contentful paint, largest contentful paint, total blocking time, cumulative layout shift, speed
index and the bytes transferred. bench/run.py renders it as the "Reading the book" section of
results.md, and the performance appendix shows it. No goal is asserted here: the goal (performance
>= 90 and accessibility 100 on these pages) is read off this file.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gzip
import json
import os
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from tools.static_site import QuietHandler, serve

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "bench" / "node_modules" / ".bin" / "lighthouse"
RESULTS = ROOT / "bench" / "results" / "reader.json"
PAGES = ["book/intro", "book/activations", "book/backprop", "book/training"]
COMPRESSIBLE = (".html", ".js", ".css", ".json", ".svg", ".txt", ".map", ".ttf")
METRICS = {  # our name: (Lighthouse audit, scale of its numericValue, digits)
    "first_contentful_paint_s": ("first-contentful-paint", 1e-3, 2),
    "largest_contentful_paint_s": ("largest-contentful-paint", 1e-3, 2),
    "total_blocking_time_ms": ("total-blocking-time", 1, 0),
    "cumulative_layout_shift": ("cumulative-layout-shift", 1, 3),
    "speed_index_s": ("speed-index", 1e-3, 2),
}


def _compress(data: bytes, encoding: str) -> bytes:
    # Fast levels: the first request of a file waits for its compression, and Lighthouse counts that
    # wait as server time (a static host compresses ahead of time).
    if encoding == "br":
        import brotli

        return brotli.compress(data, quality=5)
    return gzip.compress(data, 6)


def _encoding(accept: str) -> str | None:
    offered = {part.split(";")[0].strip() for part in accept.split(",")}
    try:
        import brotli  # noqa: F401

        if "br" in offered:
            return "br"
    except ImportError:
        pass
    return "gzip" if "gzip" in offered else None


class CompressingHandler(QuietHandler):
    """Static files over HTTP/1.1 keep-alive, text types brotli- or gzip-compressed when the client
    accepts it (compressed once per file version, as a static host stores them)."""

    protocol_version = "HTTP/1.1"
    _cache: dict = {}
    served: set = set()  # the encodings actually sent (Chromium offers brotli on some origins only)

    def end_headers(self):
        self.send_header("Cache-Control", "max-age=3600")
        super().end_headers()

    def do_GET(self):
        path = Path(self.translate_path(self.path.split("?")[0]))
        if path.is_dir():
            path = path / "index.html"
        encoding = _encoding(self.headers.get("Accept-Encoding", ""))
        if path.suffix in COMPRESSIBLE and path.is_file() and encoding:
            key = (path, path.stat().st_mtime, encoding)
            if key not in self._cache:
                self._cache[key] = _compress(path.read_bytes(), encoding)
            body = self._cache[key]
            self.served.add(encoding)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", encoding)
            self.send_header("Vary", "Accept-Encoding")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


def lighthouse(url: str) -> dict:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        subprocess.run(
            [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
             "--only-categories=performance,accessibility", "--form-factor=mobile",
             "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run", "--max-wait-for-load=60000"],
            check=True, env={**os.environ, "CHROME_PATH": chromium}, timeout=600,
        )
        report = json.loads(out.read_text())
    audits = report["audits"]
    row = {
        "performance": round(100 * (report["categories"]["performance"]["score"] or 0)),
        "accessibility": round(100 * (report["categories"]["accessibility"]["score"] or 0)),
    }
    for name, (audit, scale, digits) in METRICS.items():
        value = audits[audit]["numericValue"] * scale
        row[name] = round(value, digits) if digits else round(value)
    row["transferred_kb"] = round(audits["total-byte-weight"]["numericValue"] / 1024)
    row["requests"] = len(audits["network-requests"]["details"]["items"])
    return row


def run(html: Path, pages: list[str], runs: int = 3, log=print) -> dict:
    if not LIGHTHOUSE.exists():
        raise SystemExit("lighthouse is not installed: `make bench-reader` runs npm ci in bench/")
    results = {}
    with serve(html, CompressingHandler) as base:
        for page in pages:
            rows = [lighthouse(f"{base}/{page}.html") for _ in range(runs)]
            scores = [r["performance"] for r in rows]
            median = sorted(rows, key=lambda r: r["performance"])[(len(rows) - 1) // 2]
            results[page] = {**median, "performance_runs": scores,
                             "performance_median": statistics.median(scores)}
            log(f"{page}: {results[page]}")
    return results


def markdown(data: dict) -> str:
    """The Lighthouse table of reader.json (results.md and the performance appendix show it)."""
    out = ["| page | performance | accessibility | first paint | largest paint | blocking time | layout shift "
           "| transferred |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for page, r in data["pages"].items():
        runs = r.get("performance_runs", [r["performance"]])
        spread = f" ({min(runs)}–{max(runs)})" if len(runs) > 1 else ""
        out.append(
            f"| {page.split('/')[-1]} | {r['performance']}{spread} | {r['accessibility']} "
            f"| {r['first_contentful_paint_s']:.1f} s | {r['largest_contentful_paint_s']:.1f} s "
            f"| {r['total_blocking_time_ms']} ms | {r['cumulative_layout_shift']:.3f} | {r['transferred_kb']} kB |")
    # The conditions of the run are numbers in a table of their own, not words of a sentence: the prose
    # stays the same from one run to the next, so the Chinese edition's translation of it stays valid
    # (tools/edition: a cell of numbers, units or code needs no translation).
    served = ", ".join(f"`{e}`" for e in data.get("compression") or []) or "`gzip`"
    load = data.get("load_average_at_start")
    load = ", ".join(f"{x:.2f}" for x in load) if load else "–"
    out += ["", "Lighthouse's mobile preset (a simulated mid-range phone on a slow 4G network), the site served "
            "compressed from 127.0.0.1; per page the run with the median performance score, the lowest and highest "
            "score of the runs in brackets. The conditions of the measurement:", "",
            "| Lighthouse | compression | runs per page | load average at start | logical cores |",
            "| ---: | ---: | ---: | ---: | ---: |",
            f"| {data['lighthouse']} | {served} | {data.get('runs', 1)} | {load} | {data.get('logical_cores')} |"]
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    ap.add_argument("--pages", nargs="*", default=PAGES)
    ap.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page (the median run is kept)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    version = json.loads((ROOT / "bench" / "package.json").read_text())["dependencies"]["lighthouse"]
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    started = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    results = run(args.html, args.pages, args.runs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "date": started, "lighthouse": version, "form_factor": "mobile", "runs": args.runs,
        "compression": sorted(CompressingHandler.served),
        "load_average_at_start": load, "logical_cores": os.cpu_count(), "pages": results,
    }, indent=2) + "\n")
    print(f"written {args.out}")
    if args.out == RESULTS:
        from . import run as bench_run

        results_json = RESULTS.parent / "results.json"
        res = json.loads(results_json.read_text()) if results_json.exists() else {}
        (RESULTS.parent / "results.md").write_text(bench_run.markdown(res) + "\n")
        bench_run.forget_cached_page(print)  # the appendix re-reads reader.json at the next `make book`
        print(f"written {RESULTS.parent / 'results.md'}")


if __name__ == "__main__":
    main()
