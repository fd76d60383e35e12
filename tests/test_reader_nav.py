"""Navigation a reader can use: the chapter list and the page contents open on a phone (touch) and
close after a tap on a link, ☰ collapses/restores the sidebar on a desktop (pydata-sphinx-theme issue
2451 made the visible buttons dead; ``_ext/reader/static/reader.js`` fixes it), and a link into a page
lands on its target and stays there when the reader scrolls at once (nothing changes after load).
Driven with taps, clicks, the wheel and touch, as a reader would.
"""

from __future__ import annotations

import pytest

from _browser import DESKTOP, PHONE, Visit

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PAGE = "book/backprop"
TOGGLE = ".bd-header-article .primary-toggle"
CONTENTS = ".bd-header-article .secondary-toggle"


def _dialog_open(pg, which: str) -> bool:
    return pg.evaluate(f"document.getElementById('pst-{which}-sidebar-modal').open")


def test_phone_menu_opens_the_chapter_list_and_navigates(site, browser):
    with Visit(browser, site, PHONE) as visit:
        pg = visit.open(PAGE)
        assert pg.evaluate("matchMedia('(hover: none)').matches"), "touch emulation is not active"
        link = pg.locator("#pst-primary-sidebar-modal a.reference", has_text="Activation functions")
        assert not _dialog_open(pg, "primary")
        pg.locator(TOGGLE).tap()
        pg.wait_for_function("document.getElementById('pst-primary-sidebar-modal').open")
        link.first.wait_for(state="visible")
        box = link.first.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, f"chapter link off-screen: {box}"
        with pg.expect_navigation():
            link.first.tap()
        assert pg.url.endswith("/book/activations.html"), pg.url
        visit.settle()
        # On the new page the menu works again, and Escape closes it.
        pg.locator(TOGGLE).tap()
        pg.wait_for_function("document.getElementById('pst-primary-sidebar-modal').open")
        pg.keyboard.press("Escape")
        pg.wait_for_function("!document.getElementById('pst-primary-sidebar-modal').open")
        assert not visit.errors, visit.errors


def test_phone_contents_button_opens_the_page_contents(site, browser):
    with Visit(browser, site, PHONE) as visit:
        pg = visit.open(PAGE)
        pg.locator(CONTENTS).tap()
        pg.wait_for_function("document.getElementById('pst-secondary-sidebar-modal').open")
        entry = pg.locator("#pst-secondary-sidebar-modal nav a").first
        entry.wait_for(state="visible")
        target = entry.get_attribute("href")
        assert target and target.startswith("#"), target
        entry.tap()
        pg.wait_for_function(f"location.hash === {target!r}")
        # The drawer closes (it stayed open over most of the screen) and the section is on screen.
        pg.wait_for_function("!document.getElementById('pst-secondary-sidebar-modal').open")
        top = pg.evaluate(f"document.getElementById({target[1:]!r}).getBoundingClientRect().top")
        assert -5 < top < 200, f"{target} is {top:.0f} px from the top after the tap"
        assert not visit.errors, visit.errors


def test_no_tooltip_left_over_the_icons_after_a_tap(site, browser):
    with Visit(browser, site, PHONE) as visit:
        pg = visit.open(PAGE)
        pg.locator(TOGGLE).tap()
        pg.keyboard.press("Escape")
        pg.wait_for_timeout(700)  # the theme's tooltip appeared after a 500 ms delay
        assert pg.locator(".tooltip:visible").count() == 0


def test_desktop_menu_collapses_and_restores_the_sidebar(site, browser):
    with Visit(browser, site, DESKTOP) as visit:
        pg = visit.open(PAGE)
        sidebar = pg.locator("#pst-primary-sidebar")
        assert sidebar.is_visible()
        # The theme's top bar (a second search box over the sidebar's title) is gone.
        assert not pg.locator("#pst-header").is_visible()
        button = pg.locator(TOGGLE)
        article_left = pg.locator("main").bounding_box()["x"]
        button.click()
        pg.wait_for_function("!document.getElementById('pst-primary-sidebar').checkVisibility()")
        assert button.get_attribute("aria-expanded") == "false"
        assert pg.locator("main").bounding_box()["x"] < article_left, "the text did not take the freed space"
        assert not _dialog_open(pg, "primary"), "desktop ☰ opened the phone drawer instead of collapsing"
        # Remembered on the next page of the same tab, and restored by a second click.
        pg.goto(f"{site}/book/activations.html")
        visit.settle()
        assert not pg.locator("#pst-primary-sidebar").is_visible()
        pg.locator(TOGGLE).click()
        pg.locator("#pst-primary-sidebar").wait_for(state="visible")
        assert pg.locator(TOGGLE).get_attribute("aria-expanded") == "true"
        assert not visit.errors, visit.errors


# A display equation and a section far down the longest chapters: where a link from elsewhere lands.
DEEP = [("book/activations", "section"), ("book/backprop", "section"), ("book/universal_approximation", "equation")]


def _settled(pg):
    # Fonts and images that may still change the layout: waited for, not slept for.
    pg.wait_for_function("""() => document.fonts.status === 'loaded' &&
        Array.from(document.images).every((img) => img.complete || img.loading === 'lazy')""", timeout=30_000)
    pg.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


@pytest.mark.parametrize("device", ["phone", "desktop"])
@pytest.mark.parametrize("page, kind", DEEP)
def test_a_deep_link_lands_and_stays_after_an_early_scroll(page, kind, device, site, browser, crawl):
    # The target is read on the crawl's visit of the page (reader_page.js): the first numbered equation, or a
    # section in the middle of the page.
    target = crawl(page, device)["targets"][kind]
    assert target, f"{page} has no {kind} to link to"
    with Visit(browser, site, PHONE if device == "phone" else DESKTOP) as visit:
        pg = visit.page
        pg.goto(f"{site}/{page}.html#{target}", wait_until="load")
        top = f"document.getElementById({target!r}).getBoundingClientRect().top"
        landed = pg.evaluate(top)
        assert -5 < landed < 200, f"{page}#{target} landed {landed:.0f} px from the top"
        pg.wait_for_timeout(300)  # the reader scrolls 0.3 s after the page appeared (the case to test)
        scroll_before = pg.evaluate("scrollY")
        if device == "phone":
            # A finger dragging the page up by 120 px (real touch events through Chromium's input pipeline).
            cdp = pg.context.new_cdp_session(pg)
            cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": 200, "y": 600}]})
            for i in range(1, 13):
                cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": 200, "y": 600 - 10 * i}]})
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        else:
            pg.mouse.move(600, 450)
            pg.mouse.wheel(0, 120)
        pg.wait_for_function(f"scrollY !== {scroll_before}", timeout=10_000)
        _settled(pg)
        moved = pg.evaluate("scrollY") - scroll_before
        after = pg.evaluate(top)
        assert not visit.errors, visit.errors
    # The target moved by what the reader scrolled, and nothing else moved it.
    assert abs((landed - after) - moved) < 30, (
        f"{page}#{target} ({device}): landed at {landed:.0f} px, reader scrolled {moved:.0f} px, now at {after:.0f} px")
