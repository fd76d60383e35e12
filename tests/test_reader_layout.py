"""Nothing wider than its column, on a phone (390 px, touch) and a desktop (1280 px).

Every page of the built book is opened at both widths with the network cut off. After MathJax has
typeset every formula (not only those near the screen: ``window.readerTypesetAll()``) and reader.js
has fitted the tables, the page is measured: the page itself, every display
equation, inline formula, table, code or output block, image and figure must fit inside the text
column (1 px of rounding allowed). A full-page screenshot (JPEG) of each page at each width is saved under
``_build/screenshots/`` for a human to look at. The same visit checks what a reader would notice:
no console errors, nothing fetched from outside the site, no raw TeX left untypeset.

The measuring script itself is tested on a synthetic page that has each kind of overflow.
"""

from __future__ import annotations

import re

import pytest

from _browser import DESKTOP, PHONE, ROOT, SHOTS, WIDTHS, Visit, browser, built_pages, shot_name, site  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PAGES = built_pages()

# {width, column, over: [{kind, what, px}]}: everything that sticks out of the text column.
MEASURE = (ROOT / "tools" / "measure_overflow.js").read_text()



@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("page", PAGES)
def test_page_fits_its_column(page, width, site, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with Visit(browser, site, WIDTHS[width]) as visit:
        pg = visit.open(page)
        # Formulas are typeset as they come near the screen (reader-math.js): every one is measured.
        pg.evaluate("async () => { if (window.readerTypesetAll) await window.readerTypesetAll(); }")
        pg.wait_for_function("() => document.documentElement.dataset.readerMath === 'all'", timeout=60_000)
        has_math = pg.locator(".math").count() > 0
        if has_math:
            assert pg.locator("mjx-container").count() > 0, f"{page}: math present but nothing typeset"
        result = pg.evaluate(MEASURE)
        text = pg.evaluate("document.body.innerText")
        pg.screenshot(path=str(shot_name(page, width)), full_page=True, type="jpeg", quality=70)
        errors, external = list(visit.errors), list(visit.external)

    assert not errors, f"{page} ({width}): console errors: {errors}"
    assert not external, f"{page} ({width}): the page tried to load from outside the site: {external[:5]}"
    assert "$$" not in text, f"{page}: raw $$ left in the rendered text (math not typeset)"
    if has_math:
        assert not re.search(r"\\(frac|sum|partial|mathbf)\b", text), f"{page}: raw TeX visible"
    over = [f"{o['kind']} {o['px']} px too wide ({o['what']})" for o in result["over"]]
    assert not over, (
        f"{page} at {result['width']} px (column {result['column']} px): {len(over)} things wider than the column:\n  "
        + "\n  ".join(over[:15])
    )


SYNTHETIC = """<!doctype html><html><head><meta name=viewport content="width=device-width">
<style>body{margin:0} article{padding:0 16px; width:358px; box-sizing:content-box}</style></head><body>
<article class="bd-article">
  <p>fits</p>
  <div class="pst-scrollable-table-container" style="overflow-x:auto"><table><tr><td style="white-space:nowrap">
    a table cell that is far too long to fit in a phone column of three hundred pixels</td></tr></table></div>
  <pre style="overflow-x:auto; white-space:pre">a code line that is far too long to fit in a phone column of three hundred pixels</pre>
  <mjx-container display="true" style="display:block; overflow-x:auto"><mjx-math style="display:inline-block; width:900px">x</mjx-math></mjx-container>
  <img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='8' height='1'/%3E" style="width:800px" alt="wide">
</article></body></html>"""


def test_the_measurement_catches_each_kind_of_overflow(browser):
    context = browser.new_context(**PHONE)
    try:
        pg = context.new_page()
        pg.set_content(SYNTHETIC)
        kinds = {o["kind"] for o in pg.evaluate(MEASURE)["over"]}
        pg.set_content(SYNTHETIC.replace('style="width:800px"', 'style="width:80px"'))
        without_img = {o["kind"] for o in pg.evaluate(MEASURE)["over"]}
    finally:
        context.close()
    assert {"table", "code/output", "display math", "img", "page"} <= kinds, kinds
    assert "img" not in without_img and "page" not in without_img, without_img
