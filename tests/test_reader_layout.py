"""Nothing wider than its column, on a phone (390 px, touch) and a desktop (1280 px).

Every page of the built book is opened once at each width with no host but the site's reachable (the crawl of
``tests/_browser.py``, shared with the other reader tests) and measured right after it has loaded:
the page itself, every display equation, inline formula, table, code or output block, image and
figure must fit inside the text column (1 px of rounding allowed; a display formula may scroll inside
its own box only as a named Tab stop). A full-page screenshot (JPEG) of each page at each width is
saved under ``_build/screenshots/`` for a human to look at. The same visit checks what a reader would
notice: no console errors, nothing fetched from outside the site, and no table word drawn on two lines.

The measuring script itself is tested on a synthetic page that has each kind of overflow.
"""

from __future__ import annotations

import pytest

from _browser import MEASURE_OVERFLOW, PHONE, WIDTHS, built_pages

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PAGES = built_pages()
MEASURE = MEASURE_OVERFLOW


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("page", PAGES)
def test_page_fits_its_column(page, width, crawl):
    result = crawl(page, width)
    assert not result["errors"], f"{page} ({width}): console errors: {result['errors']}"
    assert not result["external"], f"{page} ({width}): the page tried to load from outside the site: {result['external'][:5]}"
    overflow = result["overflow"]
    over = [f"{o['kind']} {o['px']} px too wide ({o['what']})" for o in overflow["over"]]
    assert not over, (
        f"{page} at {overflow['width']} px (column {overflow['column']} px): {len(over)} things wider than the column:\n  "
        + "\n  ".join(over[:15])
    )


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("page", PAGES)
def test_no_table_word_is_split_across_lines(page, width, crawl):
    # A narrow column used to cut words anywhere ("as/si/gn/m/en/t", "40/96"): a table may wrap at
    # spaces, shrink its type, become cards or scroll, never split a word.
    splits = crawl(page, width)["tableSplits"]
    assert not splits, f"{page} ({width}): table words drawn on two lines: {splits[:10]}"


def test_the_word_check_sees_tables():
    # The homework page's assignment table, the performance appendix and losses have tables with long
    # words and numbers: the check above must have tables to look at on them.
    from _browser import HTML

    for page in ("book/homework", "book/appendix/performance", "book/losses"):
        assert "<table" in (HTML / f"{page}.html").read_text(encoding="utf-8"), f"{page} has no table any more"


SYNTHETIC = """<!doctype html><html><head><meta name=viewport content="width=device-width">
<style>body{margin:0} article{padding:0 16px; width:358px; box-sizing:content-box}</style></head><body>
<article class="bd-article">
  <p>fits</p>
  <div class="pst-scrollable-table-container" style="overflow-x:auto"><table><tr><td style="white-space:nowrap">
    a table cell that is far too long to fit in a phone column of three hundred pixels</td></tr></table></div>
  <pre style="overflow-x:auto; white-space:pre">a code line that is far too long to fit in a phone column of three hundred pixels</pre>
  <div class="math"><div class="reader-math-box" style="overflow-x:auto"><mjx-container display="true" style="display:block"><mjx-math style="display:inline-block; width:900px">x</mjx-math></mjx-container></div></div>
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


def test_requests_outside_the_site_are_recorded_and_go_nowhere(browser, site):
    # What the crawl's "nothing fetched from outside the site" rests on: a visit records every request for
    # another host (a name or an address), and the browser resolves none of them. Each probe would reach a
    # listener this test opens on 127.0.0.1 if the browser let it through, so nothing can leave the machine.
    import socket
    import threading

    from _browser import Visit

    listener = socket.create_server(("127.0.0.1", 0))
    port, reached = listener.getsockname()[1], []

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            reached.append(conn.recv(200))
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    outside = [f"http://localhost:{port}/x.png", f"http://cdn.localhost:{port}/y.png",
               f"http://[::ffff:7f00:1]:{port}/z.png"]
    try:
        with Visit(browser, site, PHONE) as visit:
            failed = {}
            visit.page.on("requestfailed", lambda r: failed.setdefault(r.url, r.failure))
            visit.open("book/intro", settle=False)
            assert visit.external == [], visit.external
            visit.page.evaluate("(urls) => urls.forEach((u) => { const i = new Image(); i.className = 'probe'; i.src = u; document.body.append(i); })", outside)
            visit.page.wait_for_function("() => Array.from(document.querySelectorAll('img.probe')).every((img) => img.complete)")
            visit.page.evaluate("() => new Promise((r) => requestAnimationFrame(r))")  # the failures' events are in
    finally:
        listener.close()
    assert reached == [], reached
    assert sorted(visit.external) == sorted(outside), visit.external
    assert failed == {url: "net::ERR_NAME_NOT_RESOLVED" for url in outside}, failed
