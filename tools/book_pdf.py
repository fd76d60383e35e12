"""The whole book as one PDF, printed by Debian's Chromium from the single-page HTML build.

``make pdf`` builds ``_build/singlehtml`` (Jupyter Book's singlehtml builder, sharing the
execution cache with the HTML build; its math typeset at build time like the site's), then this
script serves it on 127.0.0.1, lays it out at the printed text width (each display formula shows the
version of its lines that fits the printed column), opens every folded output, points every link
that would lead to the temporary server at the published site instead (``html.baseurl`` of
``_config.yml``, through ``tools.course``; links inside the book stay links inside the PDF), refuses
to print if anything is wider than the column, and prints A4 with page numbers and bookmarks for
every chapter and section (Chromium's document outline, from the headings) into
``_build/html/feedforward-neural-networks.pdf`` (linked from the introduction). Chinese glyphs come
from the installed CJK font (fonts-wqy-zenhei) and are embedded by Chromium.

    python -m tools.book_pdf [--html _build/singlehtml] [--out _build/html/feedforward-neural-networks.pdf]
                             [--lang en]

``--html``/``--out`` point it at another edition's single-page build (the Chinese one); ``--lang``
is the language of its text (hyphenation and the PDF's tags).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

from tools.course import Course
from tools.static_site import serve

ROOT = Path(__file__).resolve().parents[1]
PDF_NAME = "feedforward-neural-networks.pdf"
MEASURE = (ROOT / "tools" / "measure_overflow.js").read_text()
# A4 with 16 mm side margins leaves 178 mm = 673 CSS px of text.
PRINT_WIDTH_PX = 673
# Debian's headless shell (package chromium-headless-shell: the same Blink as its chromium, without the
# browser's windowing layers), which is also Playwright's own choice for headless runs. Measured back to back
# against the full chromium in headless mode, in machine CPU: printing this book 14 % less (39 -> 34 s), the
# browser tests of the built book 23 % less (342 -> 265 s). The tests' browser is this one too.
CHROMIUM = shutil.which("chromium-headless-shell") or "/usr/bin/chromium-headless-shell"


def _single_page(html_dir: Path) -> str:
    """The one page of the singlehtml build, as a file at the build's root.

    Jupyter Book writes the book to <root doc>.html (book/intro.html) with links relative to the
    build root, and a redirecting index.html: a copy at the root resolves them."""
    index = html_dir / "index.html"
    if not index.exists():
        raise SystemExit(f"{index} is missing: build the singlehtml book first (make pdf does)")
    m = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', index.read_text(encoding="utf-8"))
    if not m:
        return "index.html"
    shutil.copyfile(html_dir / m.group(1), html_dir / "print.html")
    return "print.html"


# Every link that resolves to the temporary server: inside the book -> its in-PDF anchor (the
# single page holds every chapter), anything else -> the same file on the published site.
PUBLISH_LINKS = """([base, site]) => {
  const anchors = new Set(Array.from(document.querySelectorAll("[id]")).map((el) => el.id));
  let changed = 0;
  document.querySelectorAll("a[href]").forEach((a) => {
    const url = new URL(a.getAttribute("href"), location.href);
    if (url.origin !== new URL(base).origin) return;
    const id = decodeURIComponent(url.hash.slice(1));
    if (id && anchors.has(id)) a.setAttribute("href", "#" + url.hash.slice(1));
    else a.setAttribute("href", site + url.pathname.replace(/^\\/+/, "").replace(/^print\\.html$/, "") + url.hash);
    changed++;
  });
  return changed;
}"""


def print_pdf(html_dir: Path, out: Path, lang: str = "en") -> dict:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} not found: install Debian's chromium-headless-shell (make pdf does, as root)")
    page_file = _single_page(html_dir)
    with serve(html_dir) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": PRINT_WIDTH_PX, "height": 1000})
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
        page.emulate_media(media="print")
        page.goto(f"{base}/{page_file}", wait_until="load")
        page.wait_for_function("() => document.documentElement.dataset.readerLayout === 'done'", timeout=180_000)
        page.evaluate("(lang) => { document.documentElement.lang = lang; }", lang)
        # Folded outputs are shown in print; folded inputs (setup code) stay folded.
        page.evaluate("""() => document.querySelectorAll('details.below-input, details.hide-output, div.cell details')
                               .forEach(d => { if (!d.classList.contains('above-input')) d.open = true; })""")
        page.evaluate(PUBLISH_LINKS, [base + "/", Course.load(ROOT).url])
        page.evaluate("() => document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(r)))")
        over = page.evaluate(MEASURE, {"paper": True})["over"]
        if over:
            raise SystemExit("not printing: wider than the printed column:\n  "
                             + "\n  ".join(f"{o['kind']} {o['px']} px ({o['what']})" for o in over[:20]))
        out.parent.mkdir(parents=True, exist_ok=True)
        page.pdf(
            path=str(out), format="A4", print_background=True,
            margin={"top": "16mm", "bottom": "16mm", "left": "16mm", "right": "16mm"},
            display_header_footer=True, header_template="<span></span>",
            footer_template='<div style="font-size:8px; width:100%; text-align:center">'
                            '<span class="pageNumber"></span> / <span class="totalPages"></span></div>',
            outline=True, tagged=True,
        )
        browser.close()
    return {"path": str(out), "bytes": out.stat().st_size}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--html", type=Path, default=ROOT / "_build" / "singlehtml")
    ap.add_argument("--out", type=Path, default=ROOT / "_build" / "html" / PDF_NAME)
    ap.add_argument("--lang", default="en", help="language of the edition's text (default: en)")
    args = ap.parse_args(argv)
    info = print_pdf(args.html, args.out, args.lang)
    print(f"PDF written: {info['path']} ({info['bytes'] / 1e6:.1f} MB)")


if __name__ == "__main__":
    sys.exit(main())
