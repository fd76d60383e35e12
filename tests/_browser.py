"""What the browser tests share: the built site served on 127.0.0.1, Debian's Chromium driven by
Playwright, and a page opener that cuts the network off and waits until the page is laid out.

Not a test module (leading underscore); the test modules import the fixtures from here.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}


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


def built_pages() -> list[str]:
    """Pages of the built site that a reader can open: the toc's plus any built outside the toc
    (e.g. the performance appendix, linked from the instructor guide), plus the genindex."""
    pages = toc_pages()
    if HTML.exists():
        for path in sorted((HTML / "book").rglob("*.html")):
            rel = path.relative_to(HTML).with_suffix("").as_posix()
            if rel not in pages:
                pages.append(rel)
    return pages


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
def browser():
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


class Visit:
    """One page open in a fresh context: console errors and blocked outside requests recorded."""

    def __init__(self, browser, site: str, device: dict):
        self.site = site
        self.context = browser.new_context(**device)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.external: list[str] = []
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        # No internet for the reader: anything not served by the book itself is refused, so what
        # still renders (math, fonts) must come from the built site.
        self.page.route("**/*", self._only_local)

    def _only_local(self, route):
        if route.request.url.startswith(self.site):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def open(self, page: str):
        response = self.page.goto(f"{self.site}/{page}.html", wait_until="load")
        assert response is not None and response.ok, f"{page}: HTTP {response and response.status}"
        self.settle()
        return self.page

    def settle(self):
        """Wait until MathJax has typeset and reader.js has fitted the tables."""
        self.page.wait_for_function(
            "() => document.documentElement.dataset.readerLayout === 'done'", timeout=30_000
        )

    def close(self):
        self.context.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def shot_name(page: str, width: str) -> Path:
    return SHOTS / f"{page.replace('/', '__')}@{width}.jpg"
