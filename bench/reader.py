"""Speed and accessibility as a reader meets them: Lighthouse (npm, bench/package.json) with Debian's
Chromium on the built book, served from 127.0.0.1 with gzip compression like a real web server.

    make bench-reader            # or: python -m bench.reader [--html _build/html] [--pages ...]

Writes bench/results/reader.json: per page, the mobile performance and accessibility scores, first
contentful paint, largest contentful paint, total blocking time, cumulative layout shift and the
bytes transferred. No goal is asserted here (goals are ratios/scores read off this file).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "bench" / "node_modules" / ".bin" / "lighthouse"
PAGES = ["book/intro", "book/activations", "book/backprop"]
COMPRESSIBLE = (".html", ".js", ".css", ".json", ".svg", ".txt", ".map")


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzip-compressed when the client accepts it (text types only)."""

    _cache: dict = {}

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = Path(self.translate_path(self.path.split("?")[0]))
        if path.is_dir():
            path = path / "index.html"
        if (path.suffix in COMPRESSIBLE and path.is_file()
                and "gzip" in self.headers.get("Accept-Encoding", "")):
            key = (path, path.stat().st_mtime)
            if key not in self._cache:
                self._cache[key] = gzip.compress(path.read_bytes(), 6)
            body = self._cache[key]
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "max-age=3600")
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


def run(html: Path, pages: list[str]) -> dict:
    if not LIGHTHOUSE.exists():
        raise SystemExit("lighthouse is not installed: `make bench-reader` runs npm ci in bench/")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(GzipHandler, directory=str(html)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    results = {}
    try:
        for page in pages:
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "report.json"
                subprocess.run(
                    [str(LIGHTHOUSE), f"{base}/{page}.html", "--quiet", "--output=json", f"--output-path={out}",
                     "--only-categories=performance,accessibility", "--form-factor=mobile",
                     "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run", "--max-wait-for-load=60000"],
                    check=True, env={**os.environ, "CHROME_PATH": chromium}, timeout=600,
                )
                report = json.loads(out.read_text())
            audits = report["audits"]
            results[page] = {
                "performance": round(100 * (report["categories"]["performance"]["score"] or 0)),
                "accessibility": round(100 * (report["categories"]["accessibility"]["score"] or 0)),
                "first_contentful_paint_s": round(audits["first-contentful-paint"]["numericValue"] / 1000, 2),
                "largest_contentful_paint_s": round(audits["largest-contentful-paint"]["numericValue"] / 1000, 2),
                "total_blocking_time_ms": round(audits["total-blocking-time"]["numericValue"]),
                "cumulative_layout_shift": round(audits["cumulative-layout-shift"]["numericValue"], 3),
                "transferred_kb": round(audits["total-byte-weight"]["numericValue"] / 1024),
            }
            print(page, results[page], flush=True)
    finally:
        server.shutdown()
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    ap.add_argument("--pages", nargs="*", default=PAGES)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "reader.json")
    args = ap.parse_args(argv)
    results = run(args.html, args.pages)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"lighthouse": "13.5.0", "form_factor": "mobile", "pages": results}, indent=2) + "\n")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
