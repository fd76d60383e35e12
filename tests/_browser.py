"""What the browser tests share: the built site served on 127.0.0.1, Debian's Chromium driven by
Playwright (one browser per test session, which resolves no host but 127.0.0.1), a page opener that
records every request for anything outside the site, and the crawl:
every page opened once per width, measured once right after it has loaded (``reader_page.js``,
``tools/measure_overflow.js``, axe-core, a print to PDF), the measurements shared by every reader test.

Not a test module (leading underscore). ``conftest.py`` imports the fixtures (``site``, ``browser``,
``crawl``) so that each exists once per session; the test modules must not import them again (a
module-level copy would start a second browser).

``BOOK_HTML`` points the tests at another built edition (e.g. ``_build/html/zh``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tools import toc
# The headless shell (tools/book_pdf.py says why), which the book's PDF is printed with too.
from tools.book_pdf import CHROMIUM
from tools.static_site import serve

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
# One folder of screenshots per edition (_build/html -> "html", _build/html/zh -> "zh").
SHOTS = ROOT / "_build" / "screenshots" / HTML.name

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}


def built_pages() -> list[str]:
    """Pages of the built site that a reader can open: the toc's plus any built outside the toc
    (e.g. the performance appendix, linked from the instructor guide), plus the genindex."""
    pages = toc.pages()
    if HTML.exists():
        for path in sorted((HTML / "book").rglob("*.html")):
            rel = path.relative_to(HTML).with_suffix("").as_posix()
            if rel not in pages:
                pages.append(rel)
    return pages


@pytest.fixture(scope="session")
def site():
    if not (HTML / "index.html").exists():
        pytest.fail("_build/html is missing: run `make book` (make test does it for you)")
    with serve(HTML) as url:
        yield url


def chromium_args(hosts=("127.0.0.1",), webgl=True) -> list[str]:
    """Chromium's command-line flags for the tests: ``hosts`` are the only names or addresses it resolves (the
    hub test adds localhost and its subdomains, which Chromium maps to the loopback address itself).

    ``webgl=False`` (the hub test): no WebGL, so JupyterLab's terminal draws with xterm.js's 2D-canvas renderer
    instead of its WebGL one. This headless browser has no GPU and runs WebGL in SwiftShader on the CPU: fifteen
    commands with some output cost its GPU process 61 s of CPU with WebGL and 5 s without (measured on JupyterLab
    4.6). A student's browser may take either path; the commands and what they print are the same."""
    return [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        # No host resolves but these, where the tests' own servers listen: nothing a page asks for can leave
        # the machine (IP addresses and IPv6 literals included).
        "--host-resolver-rules=MAP * ~NOTFOUND, " + ", ".join(f"EXCLUDE {h}" for h in hosts),
    ] + ([] if webgl else ["--disable-3d-apis"])


@pytest.fixture(scope="session")
def browser():
    from playwright import sync_api

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: `make test` installs Debian's chromium-headless-shell package (needs root)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=chromium_args())
        yield browser
        browser.close()


class Visit:
    """One page open in a fresh tab: console errors and blocked outside requests recorded.

    A fresh context by default (nothing shared with another visit). ``context``: a tab of that context
    instead (the crawl: its pages share the HTTP cache and the renderer's compiled scripts, as a reader's
    tabs do, but each starts at the top of a fresh tab with its own session storage)."""

    def __init__(self, browser, site: str, device: dict | None = None, context=None):
        self.site = site
        self.own_context = context is None
        self.context = browser.new_context(**device) if context is None else context
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.external: list[str] = []
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        # No internet for the reader: the browser resolves no host but 127.0.0.1 (``browser``), so what
        # still renders (math, fonts) must come from the built site; every request for anything else is
        # recorded. (A route would do both, but Playwright turns the HTTP cache off while any route is set,
        # and every request then waits for Python: a page cost 40 % more CPU to open.)
        self.page.on("request", self._record_outside)

    def _record_outside(self, request):
        if not request.url.startswith((self.site + "/", "data:", "blob:")):
            self.external.append(request.url)

    def open(self, page: str, settle: bool = True):
        response = self.page.goto(f"{self.site}/{page}.html", wait_until="load")
        assert response is not None and response.ok, f"{page}: HTTP {response and response.status}"
        if settle:
            self.settle()
        return self.page

    def settle(self):
        """Wait until reader.js has wired the page (the math is in the HTML: nothing to wait for)."""
        self.page.wait_for_function(
            "() => document.documentElement.dataset.readerLayout === 'done'", timeout=30_000
        )

    def close(self):
        if self.own_context:
            self.context.close()
        else:
            self.page.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def shot_name(page: str, width: str) -> Path:
    return SHOTS / f"{page.replace('/', '__')}@{width}.jpg"


# ---- the crawl: every page, once per width --------------------------------------------------------

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
MEASURE_PAGE = (Path(__file__).with_name("reader_page.js")).read_text(encoding="utf-8")
MEASURE_OVERFLOW = (ROOT / "tools" / "measure_overflow.js").read_text(encoding="utf-8")
# The axe rules the book's own markup and scripts can break (names of buttons, links and images,
# hidden-but-focusable copies, ARIA, landmarks, language, lists, tables, scrollable regions), run on
# every page at both widths; all rules (colour contrast included, 10-20 s a chapter) run on the
# introduction (test_reader_a11y.py) and on every page in bench/reader.py (Lighthouse).
AXE_RULES = [
    "button-name", "link-name", "image-alt", "input-button-name", "label", "label-content-name-mismatch",
    "aria-hidden-focus", "aria-allowed-attr", "aria-required-attr", "aria-valid-attr", "aria-valid-attr-value",
    "aria-prohibited-attr", "aria-command-name", "aria-dialog-name", "nested-interactive", "duplicate-id-aria",
    "html-has-lang", "document-title", "list", "listitem", "td-headers-attr", "th-has-data-cells",
    "frame-title", "scrollable-region-focusable", "svg-img-alt", "role-img-alt", "region", "landmark-one-main",
    "bypass", "tabindex", "focus-order-semantics",
]
AXE_RUN = """async (rules) => {
  const options = {resultTypes: ["violations"]};
  if (rules) options.runOnly = {type: "rule", values: rules};
  const r = await axe.run(document, options);
  return r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
    id: v.id, impact: v.impact, nodes: v.nodes.length,
    first: v.nodes[0].target.join(" ") + ": " + v.nodes[0].failureSummary.split("\\n").slice(0, 2).join(" ")}));
}"""
# TeX that must never reach a reader's eyes or paper.
RAW_TEX = re.compile(r"\\(frac|partial|sum|mathbf|operatorname|begin|end|left|right|hat|sigma)\b|\$\$|\\\(|\\\[")


def pdf_text(data: bytes) -> str:
    """Text of a PDF (poppler's pdftotext, from `make browser-deps`)."""
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.fail("pdftotext not found: `make browser-deps` installs Debian's poppler-utils")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        return subprocess.run([exe, "-layout", f.name, "-"], capture_output=True, text=True, check=True).stdout


class Tabs:
    """One browser context per width, each page visited in a fresh tab of it (``Visit`` with ``context``).

    The tab a visit leaves is closed only once the next visit's tab is open: the renderer that has already
    compiled the theme's scripts (and axe-core) is kept for the next page of the same site, which halved
    the cost of opening a page and of injecting axe-core (measured: 6 chapters, 10-12 s of CPU in fresh
    contexts, 5-6 s in tabs of one context)."""

    def __init__(self, browser, site: str):
        self.browser, self.site = browser, site
        self._contexts: dict[str, object] = {}
        self._left: dict[str, object] = {}

    def visit(self, width: str) -> Visit:
        if width not in self._contexts:
            self._contexts[width] = self.browser.new_context(**WIDTHS[width])
        visit = Visit(self.browser, self.site, context=self._contexts[width])
        left = self._left.pop(width, None)
        if left is not None:
            left.close()
        return visit

    def leave(self, width: str, visit: Visit):
        """Done with ``visit``: its tab stays open until the next visit of ``width`` has opened its own."""
        self._left[width] = visit

    def close(self):
        for context in self._contexts.values():
            context.close()
        self._contexts.clear()
        self._left.clear()


class Crawl:
    """Each (page, width) opened once, right after load: measured, checked by axe, screenshot, and
    (desktop, pages with math) printed to PDF at once. Results are kept for every test that asks."""

    # All of axe's rules (colour contrast included) on these visits too, after the book's rules.
    ALL_AXE_RULES = {("book/intro", "phone")}

    def __init__(self, browser, site: str):
        self.tabs = Tabs(browser, site)
        self.results: dict[tuple[str, str], dict] = {}
        if not AXE.exists():
            pytest.fail(f"{AXE} is missing: run `make node-deps` (make book and make test do it)")
        self.axe = AXE.read_text(encoding="utf-8")

    def __call__(self, page: str, width: str) -> dict:
        if (page, width) not in self.results:
            self.results[(page, width)] = self._visit(page, width)
        return self.results[(page, width)]

    def _visit(self, page: str, width: str) -> dict:
        SHOTS.mkdir(parents=True, exist_ok=True)
        visit = self.tabs.visit(width)
        pg = visit.open(page, settle=False)
        has_math = pg.locator(".math").count() > 0
        # Printed the moment the page has loaded: no script may still be changing the math.
        printed = pdf_text(pg.pdf(format="A4")) if width == "desktop" and has_math else None
        visit.settle()
        result = pg.evaluate(MEASURE_PAGE)
        result["overflow"] = pg.evaluate(MEASURE_OVERFLOW)
        result["printed_raw_tex"] = sorted({m.group(0) for m in RAW_TEX.finditer(printed or "")})
        result["printed"] = printed is not None
        result["has_math"] = has_math
        pg.add_script_tag(content=self.axe)
        result["axe"] = pg.evaluate(AXE_RUN, AXE_RULES)
        if (page, width) in self.ALL_AXE_RULES:
            result["axe_all"] = pg.evaluate(AXE_RUN, None)
        pg.screenshot(path=str(shot_name(page, width)), full_page=True, type="jpeg", quality=70)
        result["errors"], result["external"] = list(visit.errors), list(visit.external)
        self.tabs.leave(width, visit)
        return result


@pytest.fixture(scope="session")
def crawl(browser, site):
    crawl = Crawl(browser, site)
    yield crawl
    crawl.tabs.close()
