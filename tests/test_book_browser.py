"""Open every page of the built book in headless Chromium, with the network cut off.

What a reader sees is checked, not what Sphinx meant to write: the page loads with no console
errors, math is typeset by the MathJax copy served from the site itself, every image loads and
every internal link points at a page (and anchor) that exists. A screenshot of each page is saved
under ``_build/screenshots/`` for a human to look at.

``make test`` builds the book first; run alone, this module needs ``make book`` to have run.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def toc_pages() -> list[str]:
    """Every page listed in _toc.yml, as paths relative to the book root without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return pages


PAGES = toc_pages()


class _Anchors(HTMLParser):
    """Collects ids (link targets) and hrefs/srcs of one HTML file."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


@functools.lru_cache(maxsize=None)
def parse(path: Path) -> _Anchors:
    parser = _Anchors()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def site():
    if not (HTML / "index.html").exists():
        pytest.fail("_build/html is missing: run `make book` (make test does it for you)")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # one line per request would drown pytest's report
            pass

    handler = functools.partial(Quiet, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright import sync_api

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium not found: `make test` installs Debian's chromium package (needs root)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


def test_every_toc_page_was_built():
    missing = [p for p in PAGES if not (HTML / f"{p}.html").exists()]
    assert not missing, f"pages listed in _toc.yml but not in _build/html: {missing}"


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_offline(page, site, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    external: list[str] = []
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))

    def only_local(route):
        # No internet for the reader: anything not served by the book itself is refused, so
        # math that still renders must come from the built site.
        if route.request.url.startswith(site):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    pg.route("**/*", only_local)
    response = pg.goto(f"{site}/{page}.html", wait_until="load")
    assert response is not None and response.ok, f"{page}: HTTP {response and response.status}"

    has_math = pg.locator(".math").count() > 0
    if has_math:
        pg.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20_000)
        pg.evaluate("MathJax.startup.promise.then(() => true)")  # typesetting finished
        assert pg.locator("mjx-container").count() > 0, f"{page}: math present but nothing typeset"
    text = pg.evaluate("document.body.innerText")
    images = pg.evaluate(
        "Array.from(document.images).map(i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0])"
    )
    pg.screenshot(path=str(SHOTS / f"{page.replace('/', '__')}.png"), full_page=False)
    context.close()

    assert not errors, f"{page}: console errors: {errors}"
    assert not external, f"{page}: the page tried to load from outside the site: {external[:5]}"
    assert "$$" not in text, f"{page}: raw $$ left in the rendered text (math not typeset)"
    if has_math:
        assert not re.search(r"\\(frac|sum|partial|mathbf)\b", text), f"{page}: raw TeX visible"
    broken = [src for src, ok in images if not ok]
    assert not broken, f"{page}: images that did not load: {broken}"


def test_math_is_served_from_the_site_itself():
    mathjax = HTML / "_static" / "mathjax" / "tex-chtml.js"
    assert mathjax.exists(), "MathJax is not bundled into _build/html/_static/mathjax"
    pages_with_math = [p for p in PAGES if 'class="math' in (HTML / f"{p}.html").read_text()]
    assert pages_with_math, "no page has math: the check above would be vacuous"
    for p in pages_with_math:
        html = (HTML / f"{p}.html").read_text()
        assert "cdn.jsdelivr.net" not in html and "mathjax@" not in html, f"{p} loads MathJax from a CDN"
        assert "_static/mathjax/tex-chtml.js" in html, f"{p} does not load the bundled MathJax"


@pytest.mark.parametrize("page", PAGES)
def test_internal_links_resolve(page):
    source = HTML / f"{page}.html"
    bad = []
    for href in parse(source).hrefs:
        scheme = urlparse(href).scheme
        if scheme in ("http", "https", "mailto", "javascript", "data"):
            continue
        target, anchor = urldefrag(href)
        target_path = (source.parent / unquote(target)).resolve() if target else source
        if target_path.is_dir():
            target_path = target_path / "index.html"
        if not target_path.exists():
            bad.append(f"{href} (no file {target_path.relative_to(HTML) if target_path.is_relative_to(HTML) else target_path})")
            continue
        if anchor and target_path.suffix == ".html" and unquote(anchor) not in parse(target_path).ids:
            bad.append(f"{href} (no anchor #{anchor})")
    assert not bad, f"{page}: broken internal links: {bad}"
