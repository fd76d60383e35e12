"""The reader's side of the book, as one Sphinx extension (``_config.yml``: ``local_extensions``).

- ``typeset``: every formula typeset when the book is built (MathJax 4 in node), display formulas that
  fit their column (lines chosen at build time, ``breaking``), equation numbers at the right.
- ``page``: one ordered set of assets, nothing blocking the first paint, sized plots, icon fonts
  subset, a description and an icon on every page.
- ``checks``: ``check(...)`` cells as ✓ marks and one collapsed note per section.
- ``glossary``: glossary rows and the index point at the paragraph that introduces each term.
- ``search``: search that finds Chinese terms and the synonyms readers type, defining chapter first.
- ``links``: the Homework page's links, derived from the course's public address.
- ``numbers``: equations and figures numbered by chapter (4.3), the first page as chapter 0.

The package's own CSS and JavaScript (``static/``) are added here, in this order, after the theme's.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from . import checks, glossary, links, numbers, page, search, typeset

STATIC = Path(__file__).resolve().parent / "static"
# After the theme's and the other extensions' assets (Sphinx's default is 500).
PRIORITY = 900

# reader.js keeps the class and the key in step with the ☰ button.
COLLAPSED_BEFORE_PAINT = (
    'try { if (sessionStorage.getItem("reader:primary-collapsed") === "1") '
    'document.documentElement.classList.add("reader-primary-collapsed"); } catch (e) {}'
    # A page opened at an anchor is laid out whole (reader.css: the sections below the first screen are
    # otherwise rendered only when near it, and their estimated heights would move the target).
    ' if (location.hash) document.documentElement.classList.add("reader-deep-link");'
)


def _add_static_path(app, config):
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def _fresh_static(app, exception):
    """Sphinx 7.4 leaves a changed static file of an earlier build in place ("will overwrite data"
    is logged, the old file stays): the package's own files are copied again after every build."""
    if exception is None and app.builder.format == "html":
        target = Path(app.outdir) / "_static"
        for path in STATIC.iterdir():
            if path.is_file():
                shutil.copyfile(path, target / path.name)


def _search_page_script(app, pagename, templatename, context, doctree):
    if pagename == "search":
        groups = json.dumps(search.synonym_groups(), ensure_ascii=False)
        app.add_js_file(None, body=f"const READER_SYNONYMS = {groups};", priority=PRIORITY)
        app.add_js_file("reader-search.js", priority=PRIORITY, defer="defer")


def setup(app):
    for part in (links, numbers, typeset, checks, glossary, search, page):
        part.setup(app)
    app.connect("config-inited", _add_static_path)
    app.add_css_file("reader.css", priority=PRIORITY)
    # Before the first paint (inline, nothing to fetch): no flash of a sidebar the reader collapsed.
    app.add_js_file(None, body=COLLAPSED_BEFORE_PAINT, priority=PRIORITY)
    app.add_js_file("reader.js", priority=PRIORITY, defer="defer")
    app.connect("html-page-context", _search_page_script)
    app.connect("build-finished", _fresh_static)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 6}
