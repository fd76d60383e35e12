"""Navigation a reader can use: the chapter list and the page contents open on a phone (touch) and
☰ collapses/restores the sidebar on a desktop (pydata-sphinx-theme issue 2451 made the visible
buttons dead; ``_ext/static/reader.js`` fixes it). Driven with taps and clicks, as a reader would.
"""

from __future__ import annotations

import pytest

from _browser import DESKTOP, PHONE, Visit, browser, site  # noqa: F401

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
