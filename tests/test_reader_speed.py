"""What made chapters slow to open on a phone stays fixed, measured in the real browser.

Lighthouse's scores (``make bench-reader``, bench/results/reader.json) depend on the speed of the
machine, so they live in the benchmark. This module asserts their deterministic causes instead, on
the three chapters the benchmark measures, served compressed as the benchmark serves them, at phone
width: no page loads the theme's 1.5 MB Font Awesome script or, except the search page, the search
index; no script in ``<head>`` blocks the first paint; MathJax is requested only after the first
paint; the formulas of the first screen come typeset in the HTML; formulas far below it are typeset
only when the reader scrolls or links to them; the page does not jump while it loads; plots reserve
their size; and a chapter transfers less than a byte budget.
"""

from __future__ import annotations

import re
import sys

import pytest

from _browser import HTML, PHONE, ROOT, Visit, browser  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PAGES = ["book/intro", "book/activations", "book/backprop"]
# Compressed bytes a chapter may transfer, everything it loads by the time it is laid out included
# (measured 2026-12-01 in this test: intro 574 kB, activations 509 kB, backprop 542 kB, most of it
# plots and MathJax; Lighthouse counted 1.5-2 MB before this work, 540 kB of it the icon script).
BUDGET_KB = 700
# Cumulative layout shift a phone may see while a chapter loads: 0.1 is what Lighthouse calls good.
# Typesetting the first screen's formulas in the browser gave 0.3; a display equation on the first
# screen still moves what is below it a little (0.04 on activations).
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
    from bench.reader import serve

    if not (HTML / "index.html").exists():
        pytest.fail("_build/html is missing: run `make book` (make test does it for you)")
    server, base = serve(HTML)
    yield base
    server.shutdown()


def _measure(browser, site: str, page: str) -> dict:
    with Visit(browser, site, PHONE) as visit:
        visit.page.add_init_script(RECORD)
        pg = visit.open(page)
        pg.wait_for_timeout(500)  # shifts are reported after the frame that caused them
        result = pg.evaluate("""() => {
          const nav = performance.getEntriesByType("navigation")[0];
          const res = performance.getEntriesByType("resource");
          const paint = performance.getEntriesByName("first-contentful-paint")[0];
          const mathjax = res.find((r) => r.name.includes("/_static/mathjax/startup.js"));
          return {
            urls: res.map((r) => r.name),
            bytes: nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0),
            encoding: [...new Set(res.concat([nav]).map((r) => r.contentEncoding || ""))],
            blocking: Array.from(document.head.querySelectorAll("script[src]"))
              .filter((s) => !s.defer && !s.async && s.type !== "module").map((s) => s.src),
            firstPaint: paint ? paint.startTime : null,
            mathjaxRequested: mathjax ? mathjax.startTime : null,
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
def test_mathjax_is_requested_after_the_first_paint(page, measured):
    m = measured[page]
    assert m["firstPaint"] is not None, "no first-contentful-paint entry"
    assert m["mathjaxRequested"] is not None, f"{page} has math but never requested MathJax"
    assert m["mathjaxRequested"] >= m["firstPaint"], (
        f"{page}: MathJax requested at {m['mathjaxRequested']:.0f} ms, before the first paint at {m['firstPaint']:.0f} ms")


@pytest.mark.parametrize("page", PAGES)
def test_the_first_screen_does_not_jump_while_the_page_loads(page, measured):
    assert measured[page]["shift"] < MAX_SHIFT, f"{page}: cumulative layout shift {measured[page]['shift']:.3f}"
    assert not measured[page]["unsized"], f"{page}: plots without width/height: {measured[page]['unsized'][:3]}"


@pytest.mark.parametrize("page", PAGES)
def test_a_chapter_transfers_less_than_its_budget_compressed(page, measured):
    m = measured[page]
    assert {"gzip", "br"} & set(m["encoding"]), f"the test server did not compress: {m['encoding']}"
    assert m["bytes"] / 1024 < BUDGET_KB, f"{page} transferred {m['bytes'] / 1024:.0f} kB (budget {BUDGET_KB} kB)"


def test_lead_formulas_are_typeset_in_the_html():
    # No inline formula of a chapter's first screen is left to the browser, whose typesetting would
    # move text the reader already sees; the pages that had some carry their stylesheet.
    sys.path.insert(0, str(ROOT / "_ext"))
    try:
        import mathjax4
    finally:
        sys.path.pop(0)
    typeset = 0
    for path in sorted(HTML.rglob("*.html")):
        html = path.read_text(encoding="utf-8")
        if "reader-math.js" not in html:
            continue
        assert not mathjax4.lead_formulas(html), f"{path.name}: raw TeX on the first screen"
        if mathjax4.LEAD_MARK in html:
            typeset += 1
            assert "<mjx-container" in html, f"{path.name}: a lead stylesheet but no typeset formula"
    assert typeset >= 2, "no page has typeset lead formulas: the check above would be vacuous"


def test_the_icon_fonts_hold_only_the_icons_used():
    fonts = HTML / "_static" / "vendor" / "fontawesome" / "webfonts"
    sizes = {f.name: f.stat().st_size for f in fonts.glob("*.woff2")}
    assert sizes and max(sizes.values()) < 20_000, f"icon fonts not subset: {sizes}"
    css = (HTML / "_static" / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    for icon in ("fa-magnifying-glass", "fa-bars", "fa-list", "fa-sun", "fa-moon", "fa-github", "fa-download"):
        assert re.search(rf"\.{icon}:before[^{{]*\{{content:", css), f"the CSS lost the rule of {icon}, a used icon"
    assert ".fa-otter:before" not in css, "the CSS still holds rules of icons no page uses"


# Formulas of the article: whether each is typeset and where it is, in screen heights.
FORMULAS = """() => Array.from(document.querySelectorAll('.bd-article .math')).map((m) => ({
  typeset: !!m.querySelector('mjx-container'),
  screens: m.getBoundingClientRect().top / innerHeight,
}))"""


def test_formulas_are_typeset_when_the_reader_comes_near_them(browser, compressed_site):
    # A chapter does not typeset its 170 formulas while it opens (that was most of its blocking
    # time): those on and near the first screen are, the others when the reader scrolls to them.
    with Visit(browser, compressed_site, PHONE) as visit:
        pg = visit.open("book/activations")
        pg.wait_for_timeout(300)
        formulas = pg.evaluate(FORMULAS)
        shown = [f for f in formulas if f["screens"] < 1]
        far = [f for f in formulas if f["screens"] > 3]
        assert all(f["typeset"] for f in shown), f"formulas on the first screen left untypeset: {shown}"
        assert len(far) > 20 and not any(f["typeset"] for f in far), (
            f"{sum(f['typeset'] for f in far)} of {len(far)} formulas 3+ screens below were typeset at once")
        pg.evaluate("() => Array.from(document.querySelectorAll('.bd-article div.math')).pop().scrollIntoView()")
        pg.wait_for_function("() => !!Array.from(document.querySelectorAll('.bd-article div.math')).pop()"
                             ".querySelector('mjx-container')", timeout=15_000)
        errors = list(visit.errors)
    assert not errors, errors


def test_a_link_into_the_page_lands_on_typeset_formulas(browser, compressed_site):
    # Opening a section far down (a link from elsewhere, the contents): its formulas are typeset and
    # the section stays where the link put it while those above it are not.
    with Visit(browser, compressed_site, PHONE) as visit:
        pg = visit.open("book/activations")
        target = pg.evaluate("""() => { const s = Array.from(document.querySelectorAll('.bd-article section[id]'))
            .filter((s) => s.querySelector('div.math')); return s[s.length - 1].id; }""")
    with Visit(browser, compressed_site, PHONE) as visit:
        visit.page.goto(f"{compressed_site}/book/activations.html#{target}", wait_until="load")
        visit.settle()
        pg = visit.page
        pg.wait_for_function(f"() => !!document.getElementById('{target}').querySelector('div.math mjx-container')",
                             timeout=15_000)
        pg.wait_for_timeout(500)
        top = pg.evaluate(f"() => document.getElementById('{target}').getBoundingClientRect().top")
        above = pg.evaluate(FORMULAS)
    assert -5 < top < 150, f"#{target} is {top:.0f} px from the top of the screen after typesetting"
    assert any(not f["typeset"] for f in above if f["screens"] < -3), "every formula above the target was typeset"
