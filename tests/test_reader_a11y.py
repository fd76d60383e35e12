"""Accessibility, measured: axe-core (npm, pinned in package.json, installed by ``make node-deps``)
injected into every page of the built book at both widths (the crawl of ``tests/_browser.py``, right
after load) finds no serious or critical violation; all of axe's rules run on the introduction.
What axe does not see, driven with the keyboard as a reader would: every button of the article header
shows a visible focus ring (its screenshot focused differs from unfocused), and the skip link moves
the focus to the article.
"""

from __future__ import annotations

import pytest

from _browser import DESKTOP, WIDTHS, Visit, built_pages

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PAGES = built_pages()


def _report(found, device):
    return f"serious/critical axe-core violations ({device}): " + "; ".join(
        f"{page}: " + ", ".join(f"{v['id']} x{v['nodes']} ({v['first'][:160]})" for v in vs) for page, vs in found.items())


@pytest.mark.parametrize("width", list(WIDTHS))
def test_no_serious_axe_violation_on_any_page(width, crawl):
    found = {page: crawl(page, width)["axe"] for page in PAGES}
    found = {page: v for page, v in found.items() if v}
    assert not found, _report(found, width)


def test_all_axe_rules_on_the_introduction_phone(crawl):
    # Run on the crawl's visit of the page, after the book's rules (Crawl.ALL_AXE_RULES).
    violations = crawl("book/intro", "phone")["axe_all"]
    assert not violations, _report({"book/intro": violations}, "phone")


HEADER_BUTTONS = ".bd-header-article button:visible, .bd-header-article a.btn:visible"


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_header_button_shows_a_focus_ring(width, site, browser):
    with Visit(browser, site, WIDTHS[width]) as visit:
        pg = visit.open("book/backprop")
        buttons = pg.locator(HEADER_BUTTONS)
        count = buttons.count()
        assert count >= 4, f"only {count} buttons in the article header"
        def around(i):
            # The button and 6 px around it: a ring is drawn outside the button's own box.
            b = buttons.nth(i).bounding_box()
            return pg.screenshot(clip={"x": max(b["x"] - 6, 0), "y": max(b["y"] - 6, 0),
                                       "width": b["width"] + 12, "height": b["height"] + 12})

        plain = [around(i) for i in range(count)]
        # Keyboard focus, as a reader tabbing through the header gets it (Shift+Tab, Tab: the keyboard's
        # focus, which is what :focus-visible rings).
        unringed = []
        for i in range(count):
            button = buttons.nth(i)
            button.focus()
            pg.keyboard.press("Shift+Tab")
            pg.keyboard.press("Tab")
            assert pg.evaluate("(el) => el === document.activeElement", button.element_handle()), f"button {i} not focused by Tab"
            if around(i) == plain[i]:
                unringed.append(button.get_attribute("aria-label") or button.get_attribute("title") or f"#{i}")
        assert not visit.errors, visit.errors
    assert not unringed, f"header buttons without a visible focus ring ({width}): {unringed}"


def test_the_skip_link_moves_the_focus_to_the_article(site, browser):
    with Visit(browser, site, DESKTOP) as visit:
        pg = visit.open("book/activations")
        pg.keyboard.press("Tab")
        assert pg.evaluate("() => document.activeElement.closest('#pst-skip-link, .skip-link') !== null"), (
            "the first Tab does not reach the skip link")
        pg.keyboard.press("Enter")
        pg.wait_for_function("() => document.activeElement && document.activeElement.matches('article.bd-article')")
        # The next Tab goes to the first link of the text, not back through the header.
        pg.keyboard.press("Tab")
        assert pg.evaluate("() => document.activeElement.closest('article.bd-article') !== null"), (
            "after the skip link, Tab left the article")
