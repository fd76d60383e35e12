"""What made chapters slow to open on a phone stays fixed, measured in the real browser.

Lighthouse's scores (``make bench-reader``, bench/results/reader.json) depend on the speed of the
machine, so they live in the benchmark. This module asserts their deterministic causes instead, on
the three chapters the benchmark measures, served compressed as the benchmark serves them, at phone
width: no page loads the theme's 1.5 MB Font Awesome script or, except the search page, the search
index; no script in ``<head>`` blocks the first paint; no script typesets math (it is in the HTML,
``test_reader_math.py``); the page does not jump while it loads; plots reserve their size; and a
chapter transfers less than a byte budget.
"""

from __future__ import annotations

import re

import pytest

from _browser import HTML, PHONE, Visit

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PAGES = ["book/intro", "book/activations", "book/backprop", "book/training"]
# Compressed bytes a chapter may transfer, everything it loads by the time it is laid out included
# (measured 2026-12-01 with MathJax loaded in the browser: intro 574 kB, activations 509 kB, backprop
# 542 kB; Lighthouse counted 1.5-2 MB before that work, 540 kB of it the icon script). With the math
# typeset in the HTML, no MathJax script (280 kB) is loaded.
BUDGET_KB = 600
# Cumulative layout shift a phone may see while a chapter loads: 0.1 is what Lighthouse calls good.
MAX_SHIFT = 0.1
# Scripts an inline snippet of every page reads at once (Sphinx's DOCUMENTATION_OPTIONS): tiny.
MAY_BLOCK = ("documentation_options.js",)

# Recorded from the first byte: layout shifts (none of them caused by input here) and paint times.
RECORD = """
window.__shift = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shift += e.value;
}).observe({type: "layout-shift", buffered: true});
"""


@pytest.fixture(scope="module")
def compressed_site():
    from bench.reader import CompressingHandler
    from tools.static_site import serve

    if not (HTML / "index.html").exists():
        pytest.fail("_build/html is missing: run `make book` (make test does it for you)")
    with serve(HTML, CompressingHandler) as base:
        yield base


def _measure(browser, site: str, page: str) -> dict:
    with Visit(browser, site, PHONE) as visit:
        visit.page.add_init_script(RECORD)
        pg = visit.open(page)
        # Shifts are reported after the frame that caused them: fonts in, then two frames.
        pg.evaluate("() => document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))")
        result = pg.evaluate("""() => {
          const nav = performance.getEntriesByType("navigation")[0];
          const res = performance.getEntriesByType("resource");
          const paint = performance.getEntriesByName("first-contentful-paint")[0];
          return {
            urls: res.map((r) => r.name),
            bytes: nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0),
            encoding: [...new Set(res.concat([nav]).map((r) => r.contentEncoding || ""))],
            blocking: Array.from(document.head.querySelectorAll("script[src]"))
              .filter((s) => !s.defer && !s.async && s.type !== "module").map((s) => s.src),
            firstPaint: paint ? paint.startTime : null,
            shift: window.__shift,
            unsized: Array.from(document.querySelectorAll(".bd-article img"))
              .filter((img) => !img.getAttribute("width") || !img.getAttribute("height")).map((img) => img.src),
          };
        }""")
        result["errors"] = list(visit.errors)
    return result


@pytest.fixture(scope="module")
def measured(browser, compressed_site):
    return {page: _measure(browser, compressed_site, page) for page in PAGES}


@pytest.mark.parametrize("page", PAGES)
def test_no_icon_bundle_and_no_search_index_on_a_chapter(page, measured):
    urls = measured[page]["urls"]
    assert not [u for u in urls if "fontawesome.js" in u], f"{page} loads the Font Awesome script"
    assert not [u for u in urls if re.search(r"searchindex\.js|searchtools\.js", u)], f"{page} loads the search index"
    assert not measured[page]["errors"], measured[page]["errors"]


def test_the_search_page_still_loads_the_index():
    html = (HTML / "search.html").read_text(encoding="utf-8")
    assert "searchindex.js" in html and "searchtools.js" in html


@pytest.mark.parametrize("page", PAGES)
def test_nothing_in_head_blocks_the_first_paint(page, measured):
    blocking = [u for u in measured[page]["blocking"] if not u.split("?")[0].endswith(MAY_BLOCK)]
    assert not blocking, f"{page}: render-blocking scripts in <head>: {blocking}"


@pytest.mark.parametrize("page", PAGES)
def test_no_script_typesets_math(page, measured):
    m = measured[page]
    assert m["firstPaint"] is not None, "no first-contentful-paint entry"
    scripts = [u for u in m["urls"] if re.search(r"mathjax|tex-chtml|katex", u, re.I) and u.endswith(".js")]
    assert not scripts, f"{page} loads a math script: {scripts}"


@pytest.mark.parametrize("page", PAGES)
def test_the_first_screen_does_not_jump_while_the_page_loads(page, measured):
    assert measured[page]["shift"] < MAX_SHIFT, f"{page}: cumulative layout shift {measured[page]['shift']:.3f}"
    assert not measured[page]["unsized"], f"{page}: plots without width/height: {measured[page]['unsized'][:3]}"


@pytest.mark.parametrize("page", PAGES)
def test_a_chapter_transfers_less_than_its_budget_compressed(page, measured):
    m = measured[page]
    assert {"gzip", "br"} & set(m["encoding"]), f"the test server did not compress: {m['encoding']}"
    assert m["bytes"] / 1024 < BUDGET_KB, f"{page} transferred {m['bytes'] / 1024:.0f} kB (budget {BUDGET_KB} kB)"


def test_the_icon_fonts_hold_only_the_icons_used():
    fonts = HTML / "_static" / "vendor" / "fontawesome" / "webfonts"
    sizes = {f.name: f.stat().st_size for f in fonts.glob("*.woff2")}
    assert sizes and max(sizes.values()) < 20_000, f"icon fonts not subset: {sizes}"
    css = (HTML / "_static" / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    for icon in ("fa-magnifying-glass", "fa-bars", "fa-list", "fa-sun", "fa-moon", "fa-github", "fa-download"):
        assert re.search(rf"\.{icon}:before[^{{]*\{{content:", css), f"the CSS lost the rule of {icon}, a used icon"
    assert ".fa-otter:before" not in css, "the CSS still holds rules of icons no page uses"


def test_sections_below_the_first_screen_are_rendered_only_near_it(browser, compressed_site):
    # A chapter laid out whole at load kept a phone's main thread busy for seconds (20,000 elements, most
    # of them typeset math): the sections far below the first screen are left unrendered until they come
    # near it, except on a page opened at an anchor (laid out whole, so the target does not move).
    skipped = """() => Array.from(document.querySelectorAll('.bd-article section section'))
        .filter((s) => s.firstElementChild && !s.firstElementChild.checkVisibility({contentVisibilityAuto: true})).length"""
    with Visit(browser, compressed_site, PHONE) as visit:
        pg = visit.open("book/backprop")
        sections = pg.evaluate("() => document.querySelectorAll('.bd-article section section').length")
        assert pg.evaluate(skipped) >= sections // 2, f"{pg.evaluate(skipped)} of {sections} sections left unrendered"
        target = pg.evaluate("() => document.querySelectorAll('.bd-article section section[id]')[5].id")
    with Visit(browser, compressed_site, PHONE) as visit:
        visit.page.goto(f"{compressed_site}/book/backprop.html#{target}", wait_until="load")
        assert visit.page.evaluate(skipped) == 0, "a page opened at an anchor left sections unrendered"
        assert not visit.errors, visit.errors


def test_the_theme_measures_only_rendered_elements():
    # Its load-time tab stops for scrolling code laid out every section of the page (_ext/reader/page.py).
    import sys

    from _browser import ROOT

    sys.path.insert(0, str(ROOT / "_ext"))
    from reader.page import lazy_theme_tab_stops

    js = (HTML / "_static" / "scripts" / "pydata-sphinx-theme.js").read_text(encoding="utf-8")
    assert ".checkVisibility({contentVisibilityAuto:!0})&&(e.tabIndex=e.scrollWidth>" in js
    assert lazy_theme_tab_stops(js) == js  # applied once, not again
    with pytest.raises(ValueError, match="tab-stop rule"):
        lazy_theme_tab_stops("function other(){}")
