"""The link targets (ids) and links (hrefs) of one HTML file, for the tests that follow links: the
built book (test_book_browser.py) and the published student site (test_publish.py).

Not a test module (no test_ prefix); the test modules import it.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path


class Anchors(HTMLParser):
    """Collects the ids and the hrefs of <a> elements of one HTML file."""

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


def anchors(path: Path) -> Anchors:
    parser = Anchors()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser
