"""The Chinese edition in a browser, on a phone (390 px) and a desktop (1280 px), with no internet.

Every page of the Chinese edition, opened once per width (the crawl below, as the English reader tests' crawl
in tests/_browser.py): nothing wider than its column (the measure of the English reader tests,
tools/measure_overflow.js), no console error, nothing loaded from outside the site, a screenshot in
_build/screenshots/zh/. Every Chinese character on the page is drawn from a font that has it (no tofu
boxes): Chromium reports which installed fonts it used for each element's text (DevTools
``CSS.getPlatformFontsForNode``), and their character maps must cover every character the page shows.
The language switch keeps the reader at the section they were reading.
"""

from __future__ import annotations

import re
import subprocess
import sys
from functools import lru_cache

import pytest

from _browser import DESKTOP, HTML, PHONE, ROOT, SHOTS, WIDTHS, Tabs, Visit

sys.path.insert(0, str(ROOT))
from tools import toc  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser_zh")]

MEASURE = (ROOT / "tools" / "measure_overflow.js").read_text()
PAGES = toc.pages()
ZH_SHOTS = SHOTS.parent / "zh"  # one folder of screenshots per edition, as the reader tests
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")

# Elements whose own text (not their children's) holds a Chinese character get a mark for DevTools.
MARK_CJK = r"""() => {
  const re = /[\u3400-\u4dbf\u4e00-\u9fff]/;
  let n = 0;
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("script, style, mjx-container")) continue;
    const own = Array.from(el.childNodes).filter((c) => c.nodeType === 3).map((c) => c.data).join("");
    if (re.test(own) && el.getClientRects().length) { el.setAttribute("data-zh-text", ""); n++; }
  }
  return n;
}"""


def _open(visit: Visit, page: str):
    pg = visit.open(f"zh/{page}")
    # The lazy math layer of the English reader (if present) typesets on demand: every formula first.
    pg.evaluate("async () => { if (window.readerTypesetAll) await window.readerTypesetAll(); }")
    return pg


class ZhCrawl:
    """Each (page, width) of the Chinese edition opened once, in a fresh tab (``Tabs``): measured, screenshot,
    and at desktop width its characters checked against the fonts Chromium drew them with."""

    # The tofu control runs on this page's visit, after the page's own check.
    CONTROL_PAGE = PAGES[-1]

    def __init__(self, browser, site: str):
        self.tabs = Tabs(browser, site)
        self.results: dict[tuple[str, str], dict] = {}
        self.used: set[str] = set()     # installed fonts Chromium drew Chinese text with, on any page
        self.known: dict = {}           # see _uncovered

    def __call__(self, page: str, width: str) -> dict:
        if (page, width) not in self.results:
            self.results[(page, width)] = self._visit(page, width)
        return self.results[(page, width)]

    def _visit(self, page: str, width: str) -> dict:
        visit = self.tabs.visit(width)
        pg = _open(visit, page)
        result = {"over": pg.evaluate(MEASURE)["over"], "lang": pg.evaluate("document.documentElement.lang")}
        pg.screenshot(path=str(ZH_SHOTS / f"{page.replace('/', '__')}@{width}.jpg"), type="jpeg", quality=70)
        if width == "desktop":
            # Last: it lays the whole page out, as for a page opened at an anchor.
            cdp = visit.context.new_cdp_session(pg)
            result["missing"] = _uncovered(pg, cdp, self.used, self.known)
            if page == self.CONTROL_PAGE:
                # The check sees tofu: U+9FEF (Unicode 11) is in none of the installed CJK fonts.
                pg.evaluate("document.querySelector('main').insertAdjacentHTML('afterbegin', '<p>\u9fef</p>')")
                result["control"] = _uncovered(pg, cdp, set())
            cdp.detach()
        result["errors"], result["external"] = list(visit.errors), list(visit.external)
        self.tabs.leave(width, visit)
        return result


@pytest.fixture(scope="module")
def zh_crawl(browser, site):
    if not (HTML / "zh" / "index.html").exists():
        pytest.fail("the Chinese edition is missing: run `make book`")
    ZH_SHOTS.mkdir(parents=True, exist_ok=True)
    crawl = ZhCrawl(browser, site)
    yield crawl
    crawl.tabs.close()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_chinese_pages_fit_their_column(width, zh_crawl):
    problems, errors, external = [], {}, {}
    for page in PAGES:
        result = zh_crawl(page, width)
        problems += [f"{page}: {o['kind']} {o['px']} px too wide ({o['what']})" for o in result["over"]]
        assert result["lang"] == "zh-CN", f"{page} ({width}): lang={result['lang']!r}"
        if result["errors"]:
            errors[page] = result["errors"]
        if result["external"]:
            external[page] = result["external"][:5]
    assert not errors, f"console errors ({width}): {errors}"
    assert not external, f"loaded from outside the site ({width}): {external}"
    assert not problems, "\n".join(problems[:20])


@lru_cache(maxsize=None)
def _font_chars(family: str) -> frozenset:
    """The characters of the installed font Chromium calls ``family`` (fontconfig finds its file)."""
    from fontTools.ttLib import TTCollection, TTFont

    path = subprocess.run(["fc-match", "-f", "%{file}", family], capture_output=True, text=True, check=True).stdout
    fonts = TTCollection(path).fonts if path.endswith(".ttc") else [TTFont(path)]
    chars = set()
    for font in fonts:
        chars |= {chr(c) for c in font.getBestCmap()}
    return frozenset(chars)


def _uncovered(pg, cdp, used: set, known: dict | None = None) -> set[str]:
    """The Chinese characters of the open page that none of the installed fonts Chromium used for their
    element holds (they are drawn as tofu boxes). ``known``: {computed font (family list, weight, style,
    language): characters already found drawn by a font that holds them}; Chromium picks the fallback font
    of a character from those alone, so an element whose characters are all known for its font is not asked
    again (one CDP call per element made this test take 25 s)."""
    known = {} if known is None else known
    assert pg.evaluate(MARK_CJK) > 0, "no Chinese text at all"
    # Sections below the first screen are rendered only near it (reader.css), and an unrendered node has no
    # fonts: lay the page out whole, as for a page opened at an anchor.
    pg.evaluate("document.documentElement.classList.add('reader-deep-link'); document.body.offsetHeight")
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    ids = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": "[data-zh-text]"})["nodeIds"]
    texts = pg.evaluate("""() => Array.from(document.querySelectorAll('[data-zh-text]')).map((el) => {
        const s = getComputedStyle(el);
        return [Array.from(el.childNodes).filter((c) => c.nodeType === 3).map((c) => c.data).join(''),
                [s.fontFamily, s.fontWeight, s.fontStyle, el.closest('[lang]')?.lang || ''].join('|')];
    })""")
    assert len(ids) == len(texts)
    missing = set()
    for node_id, (text, font) in zip(ids, texts):
        chars = set(_CJK.findall(text))
        if chars <= known.get(font, set()):
            continue
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node_id})["fonts"]
        # The site's own web fonts (icons drawn before an admonition's title) are served locally; only the
        # installed fonts count for the Chinese characters.
        families = [f["familyName"] for f in fonts if not f["isCustomFont"]]
        used |= set(families)
        covered = set().union(*(_font_chars(f) for f in families)) if families else set()
        missing |= chars - covered
        known.setdefault(font, set()).update(chars & covered)
    return missing


def test_every_chinese_character_has_a_glyph(zh_crawl):
    missing, external = {}, {}
    for page in PAGES:
        result = zh_crawl(page, "desktop")
        if result["missing"]:
            missing[page] = "".join(sorted(result["missing"]))[:40]
        if result["external"]:
            external[page] = result["external"][:5]
    assert "\u9fef" in zh_crawl(ZhCrawl.CONTROL_PAGE, "desktop")["control"]
    assert not external, external
    assert any(_font_chars(f) & {"神", "经"} for f in zh_crawl.used), f"no CJK font among the fonts used: {zh_crawl.used}"
    assert not missing, missing


def _click_where_it_is(pg, selector):
    """A click at the link's place in the window, as a reader's: Playwright's own click may first scroll the
    page (when it judges the link covered), which would change the section the switch keeps."""
    box = pg.locator(selector).first.bounding_box()
    assert box, f"{selector} is not shown"
    pg.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_switch_keeps_the_section(device, site, browser):
    with Visit(browser, site, device) as visit:
        pg = visit.open("book/appendix/errata")
        anchor = "the-tanh-formula-labelled-sigmoid"
        pg.goto(f"{site}/book/appendix/errata.html#{anchor}", wait_until="load")
        visit.settle()
        _click_where_it_is(pg, "a[data-edition-switch]")
        pg.wait_for_url(f"**/zh/book/appendix/errata.html#{anchor}", timeout=30_000)
        visit.settle()
        top = pg.evaluate(f"document.getElementById('{anchor}').getBoundingClientRect().top")
        assert -5 <= top < 200, f"the section is at {top} px, not at the top of the window"
        assert "被标成" in pg.evaluate(f"document.getElementById('{anchor}').textContent")
        # Scrolled to a section without an anchor in the address: the switch back goes there too.
        section = "a-lost-minus-sign-in-the-perceptron-rule-for-the-sign-activation"
        # Scrolled by the reader (no anchor in the address): scroll until the layout above it has settled.
        top = pg.evaluate("""async (id) => {
            const el = document.getElementById(id);
            history.replaceState(null, '', location.pathname);
            for (let i = 0; i < 50; i++) {
                el.scrollIntoView();
                await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
                const t = el.getBoundingClientRect().top;
                if (t > -5 && t < window.innerHeight / 3) return t;
            }
            return null; }""", section)
        assert top is not None, "the section could not be scrolled to the top of the window"
        _click_where_it_is(pg, "a[data-edition-switch]")
        pg.wait_for_url(f"**/book/appendix/errata.html#{section}", timeout=30_000)
        assert "/zh/" not in pg.url
        assert not visit.errors, visit.errors
