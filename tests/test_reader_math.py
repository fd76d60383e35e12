"""Math as a reader gets it: typeset when the book is built (``_ext/reader/typeset.py``), nothing
typeset in the browser.

Measured in the crawl (``tests/_browser.py``: every page at 390 px with touch and at 1280 px, right
after load, no scrolling): no formula left untypeset and no raw TeX on screen or on paper (each
page with math printed to PDF at once); every display formula: no line holding a single token, none
that fits its box on one line shown broken, none wider than its box unless its box scrolls as a
named Tab stop, equation numbers at the right of the formula and inside the column; the ELU and SReLU
definitions (one token per line, 14 times taller, before) checked by name. The build side: the
break finder on formulas of the book, the pages carry no math script, fonts and stylesheet are served
from ``_static``, find-in-page finds a function name, and the contents panel shows a typeset heading.
"""

from __future__ import annotations

import re
import sys

import pytest

from _browser import DESKTOP, HTML, ROOT, WIDTHS, Visit, built_pages

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

sys.path.insert(0, str(ROOT / "_ext"))
from reader import breaking, typeset  # noqa: E402
from tools import toc  # noqa: E402

PAGES = built_pages()


# ---- the pages, in the browser ---------------------------------------------------------------------

@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("page", PAGES)
def test_every_formula_is_typeset_right_after_load(page, width, crawl):
    result = crawl(page, width)
    assert not result["untypeset"], f"{page} ({width}): formulas not typeset: {result['untypeset'][:5]}"
    assert not result["rawTex"], f"{page} ({width}): raw TeX on the page: {result['rawTex'][:5]}"
    if result["printed"]:
        assert not result["printed_raw_tex"], f"{page}: printed right after load with raw TeX {result['printed_raw_tex']}"


def test_pages_with_math_were_printed(crawl):
    printed = [p for p in PAGES if crawl(p, "desktop")["printed"]]
    assert len(printed) >= 10, f"only {len(printed)} pages with math printed: the print check would be vacuous"


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("page", PAGES)
def test_display_formulas_fit_and_break_well(page, width, crawl):
    bad = []
    for eq in crawl(page, width)["equations"]:
        if not eq["typeset"]:
            bad.append(f"{eq['where']}: not typeset")
            continue
        if eq["shownCount"] != 1:
            bad.append(f"{eq['where']}: {eq['shownCount']} versions shown at once")
        single = [line["text"] for line in eq["lines"] if line["tokens"] < 2]
        if len(eq["lines"]) > 1 and single:
            bad.append(f"{eq['where']}: a line holding a single token: {single}")
        broken = eq["shownIndex"] < eq["versions"] - 1
        if broken and eq["oneLineWidth"] <= eq["boxWidth"] - 1:  # 1 px: the widths are rounded to whole pixels
            bad.append(f"{eq['where']}: broken although its one line ({eq['oneLineWidth']:.0f} px) fits the box ({eq['boxWidth']} px)")
        if eq["scrolls"] and not (eq["tabindex"] == "0" and eq["label"]):
            bad.append(f"{eq['where']}: scrolls but is not a named Tab stop")
        if eq["eqno"] is not None and not (eq["eqnoRight"] and eq["eqnoInside"]):
            bad.append(f"{eq['where']}: number {eq['eqno']} not at the right of the formula inside the column")
    assert not bad, f"{page} ({width}): " + "; ".join(bad)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_elu_and_srelu_definitions_read_as_definitions(width, crawl):
    found = {}
    for eq in crawl("book/activations", width)["equations"]:
        text = eq["name"].replace("\u2061", "")  # MathJax's invisible function application after a name
        for name in ("ELU(z)=", "SReLU(z)="):
            if text.startswith(name):
                found[name] = eq
    assert set(found) == {"ELU(z)=", "SReLU(z)="}, f"definitions not found on the activations page: {sorted(found)}"
    for name, eq in found.items():
        assert not eq["scrolls"], f"{name} does not fit the {width} column"
        assert all(line["tokens"] >= 4 for line in eq["lines"]), f"{name} ({width}): a line of a few tokens: {eq['lines']}"
        # Its definition and its derivative: three lines at most on a phone (a numbered derivative may
        # wrap once after its relation sign), one where it fits.
        assert len(eq["lines"]) <= 3, f"{name} ({width}) set in {len(eq['lines'])} lines"
        if eq["oneLineWidth"] <= eq["boxWidth"] - 1:  # (1 px: the widths are rounded to whole pixels)
            assert eq["shownIndex"] == eq["versions"] - 1, f"{name} broken although it fits ({width})"
    # A desktop column holds at least one of them on one line (the other may be as wide as its number allows).
    if width == "desktop":
        assert any(eq["shownIndex"] == eq["versions"] - 1 for eq in found.values()), "both broken on a desktop"


def test_some_display_formulas_are_broken_on_a_phone_and_not_on_a_desktop(crawl):
    # The rules above would hold vacuously if nothing were ever broken or everything always were.
    phone = sum(eq["shownIndex"] < eq["versions"] - 1 for p in PAGES for eq in crawl(p, "phone")["equations"])
    desktop = sum(eq["shownIndex"] < eq["versions"] - 1 for p in PAGES for eq in crawl(p, "desktop")["equations"])
    assert phone >= 20 and desktop < phone / 4, (phone, desktop)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_numbered_equations_have_numbers_and_links_land_on_them(width, crawl):
    numbered = [(p, eq) for p in PAGES for eq in crawl(p, width)["equations"] if eq["eqno"]]
    assert numbered, "no numbered display equation in the book"
    for page, eq in numbered:
        # The number as drawn: nothing else next to it (a phone showed Sphinx's "#" permalink sign).
        assert re.fullmatch(r"\(\d+(\.\d+)*\)", eq["eqno"]), f"{page} ({width}): equation number {eq['eqno']!r}"
        assert eq["id"] and eq["id"].startswith("equation-"), f"{page}: numbered equation without an anchor"
        # The number is the equation's permalink.
        assert eq["eqnoLink"] == f"#{eq['id']}", f"{page} ({width}): number {eq['eqno']} links to {eq['eqnoLink']!r}"
        html = (HTML / f"{page}.html").read_text(encoding="utf-8")
        assert f'href="#{eq["id"]}"' in html, f"{page}: no link to {eq['id']}"


def test_equations_are_numbered_within_their_chapter(crawl):
    # As the page shows them on a phone: (k.1), (k.2), ... in order, k the chapter's number.
    chapters = toc.chapters()
    numbered = 0
    for page, k in chapters.items():
        shown = [eq["eqno"] for eq in crawl(page, "phone")["equations"] if eq["eqno"]]
        numbered += len(shown)
        expected = [f"({k}.{n})" for n in range(1, len(shown) + 1)]
        assert shown == expected, f"{page} (chapter {k}): equation numbers {shown}"
    assert numbered >= 40, f"only {numbered} numbered equations in the chapters: the check would be vacuous"
    # The other parts (homework, appendices) are not chapters: no number there carries a chapter prefix
    # that does not exist.
    for page in set(PAGES) - set(chapters):
        for eq in crawl(page, "phone")["equations"]:
            assert eq["eqno"] is None or re.fullmatch(r"\(\d+\)", eq["eqno"]), f"{page}: {eq['eqno']}"


_EQ_REF = re.compile(r'<a class="reference internal" href="(?P<page>[^"#]*)#(?P<id>equation-[^"]+)">(?P<text>.*?)</a>', re.S)
_EQ_TARGET = r'<div class="math notranslate nohighlight reader-math" id="{id}">.*?<span class="eqno">(?:<a [^>]*>)?(\([^<]*\))'


def test_eq_references_read_as_the_number_at_their_target():
    seen = 0
    for page in PAGES:
        html = (HTML / f"{page}.html").read_text(encoding="utf-8")
        for m in _EQ_REF.finditer(html):
            target_page = (HTML / page).parent / m["page"] if m["page"] else HTML / f"{page}.html"
            target = target_page.resolve().read_text(encoding="utf-8")
            number = re.search(_EQ_TARGET.format(id=re.escape(m["id"])), target, re.S)
            assert number, f"{page}: {{eq}} link to #{m['id']} has no numbered equation at its target"
            text = re.sub(r"<[^>]+>", "", m["text"]).strip()
            assert text == number.group(1), f"{page}: a reference reads {text!r}, its equation shows {number.group(1)!r}"
            assert re.fullmatch(r"\(\d+\.\d+\)", text), f"{page}: reference {text!r} has no chapter prefix"
            seen += 1
    assert seen >= 30, f"only {seen} {{eq}} references in the book: the check would be vacuous"


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("page", PAGES)
def test_formulas_are_no_tab_stops_unless_they_scroll(page, width, crawl):
    stops = [s for s in crawl(page, width)["tabStops"] if not (s["scrolls"] and s["label"])]
    assert not stops, f"{page} ({width}): formulas the Tab key stops at: {stops[:5]}"


def test_find_in_page_finds_a_function_name_in_a_formula(site, browser):
    with Visit(browser, site, DESKTOP) as visit:
        pg = visit.open("book/activations", settle=False)
        assert pg.evaluate("() => window.find('LeakyReLU')"), "find-in-page does not find LeakyReLU"


def test_contents_panel_shows_headings_with_typeset_formulas(site, browser):
    # "Softmax + cross-entropy: the gradient is ŷ - y": the page's contents list its heading typeset.
    with Visit(browser, site, DESKTOP) as visit:
        pg = visit.open("book/losses", settle=False)
        entries = pg.evaluate("""() => Array.from(document.querySelectorAll('.bd-toc-nav a, #pst-page-navigation-heading-2 ~ * a'))
            .filter((a) => a.querySelector('.math')).map((a) => ({typeset: !!a.querySelector('mjx-container'), text: a.innerText}))""")
    assert entries, "no contents entry with a formula on the losses page"
    assert all(e["typeset"] and "\\" not in e["text"] for e in entries), entries


# ---- what the build wrote --------------------------------------------------------------------------

def test_no_page_typesets_anything_in_the_browser():
    for page in PAGES + ["search", "genindex"]:
        html = (HTML / f"{page}.html").read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]*(mathjax|tex-chtml|reader-math\.js|startup\.js)", html, re.I), (
            f"{page} loads a math script")
        assert "window.MathJax" not in html, f"{page} configures MathJax in the browser"


def test_fonts_and_stylesheet_are_served_from_the_site():
    css = (HTML / "_static" / typeset.CSS_NAME).read_text(encoding="utf-8")
    fonts = re.findall(r'url\("([^"]+)"\)', css)
    assert fonts, "the math stylesheet names no font"
    for url in fonts:
        assert not url.startswith(("http:", "https:", "//")), f"font from outside the site: {url}"
        assert (HTML / "_static" / url.split("?")[0]).is_file(), f"font {url} named by the stylesheet is not in _static"
    pages_with_math = [p for p in PAGES if 'class="math notranslate' in (HTML / f"{p}.html").read_text(encoding="utf-8")]
    assert len(pages_with_math) >= 10
    for page in pages_with_math:
        assert typeset.CSS_NAME in (HTML / f"{page}.html").read_text(encoding="utf-8"), f"{page} lacks the math stylesheet"


def test_math_fonts_keep_every_character_the_pages_show():
    # The fonts are cut to the characters the built pages' formulas show (a phone fetched 92 kB of the
    # main font before it could paint a paragraph with a formula): none of those may be lost.
    from fontTools.ttLib import TTFont

    shown = typeset.used_characters(HTML)
    assert {ord("x"), ord("="), 0x1D453} <= shown  # x, =, and the italic f of f(z)
    fonts = sorted((HTML / "_static" / typeset.FONT_DIR).glob("*.woff2"))
    assert fonts
    for path in fonts:
        original = set(TTFont(str(typeset.FONT / "chtml" / "woff2" / path.name)).getBestCmap() or {})
        kept = set(TTFont(str(path)).getBestCmap() or {})
        if path.name in typeset.WHOLE_FONTS:
            assert kept == original, path.name
        else:
            assert original & shown <= kept, f"{path.name}: lost {sorted(map(hex, (original & shown) - kept))[:5]}"
    main = HTML / "_static" / typeset.FONT_DIR / "mjx-ncm-n.woff2"
    assert main.stat().st_size < 40_000, f"the main math font is {main.stat().st_size} bytes: not cut down"


# ---- the break finder, on formulas of the book -----------------------------------------------------

def _fake_width(tex: str) -> float:
    """A stand-in for MathJax's measure: about half an em per character of TeX without commands."""
    return 0.5 * len(re.sub(r"\\[A-Za-z]+|[{}^_ ]", "", tex))


def test_statements_are_cut_at_top_level_only():
    parts = breaking.statements(r"\sigma(z) = \frac{1}{1 + e^{-z}} \in (0, 1), \qquad \sigma'(z) = \sigma(z)\big(1 - \sigma(z)\big),")
    assert [[(p.op, p.kind) for p in s] for s in parts] == [
        [("", "start"), ("=", "rel"), (r"\in", "rel")],
        [("", "start"), ("=", "rel")],
    ]
    # Not inside braces, \left..\right, \bigl..\bigr or parentheses; a leading minus is a sign.
    parts = breaking.statements(r"-\log\bigl(\hat y^{\,y}(1-\hat y)^{1-y}\bigr) = -y\log \hat y - (1-y)\log(1-\hat y) .")
    assert [(p.op, p.kind) for p in parts[0]] == [("", "start"), ("=", "rel"), ("-", "bin")]
    # A clause after a comma and a space is a statement of its own (GELU's "X ~ N(0, 1)").
    parts = breaking.statements(r"z\,P(X \le z),\ X \sim \mathcal N(0, 1)")
    assert len(parts) == 2 and parts[1][1].op == r"\sim"
    # Lines the author set (\\, &) are left alone.
    assert breaking.statements(r"a &= b \\ &= c") is None
    assert breaking.statements(r"x") is None


def test_layout_packs_pieces_into_lines_no_wider_than_the_target():
    tex = r"\frac{\partial \mathcal L}{\partial z_j} = \sum_k y_k (\delta_{kj} - \hat y_j) = -y_j + \hat y_j \sum_k y_k = \hat y_j - y_j"
    widths = lambda texs: [_fake_width(t) for t in texs]  # noqa: E731
    out = breaking.layout(tex, 8, widths)
    assert out.startswith("\\begin{aligned}") and out.endswith("\\end{aligned}")
    rows = out.removeprefix("\\begin{aligned}").removesuffix("\\end{aligned}").split("\\\\")
    assert len(rows) >= 3, rows
    lhs = _fake_width(r"\frac{\partial \mathcal L}{\partial z_j}")
    for row in rows:
        left, right = row.split("&", 1)
        assert right.lstrip().startswith(("=", "\\quad {}")), f"a line that does not start at a relation or operator: {row}"
        pieces = len(breaking.statements("x " + right.replace("\\quad {}", "")) or [[0, 0]])
        assert lhs + _fake_width(right) <= 8 or pieces <= 2, f"a line wider than the target: {row}"
    # Wide enough for everything: one line, so no layout.
    assert breaking.layout(tex, 200, widths) is None


def test_a_connective_is_never_a_line_of_its_own():
    tex = r"a = b + c, \qquad\text{i.e.}\qquad J = d - e"
    out = breaking.layout(tex, 2, lambda texs: [1.0 for _ in texs])
    assert r"\text{i.e.} \quad J &=" in out, out


def test_broken_versions_are_chosen_by_width():
    rendered = typeset.Rendered(versions=[("<narrow>", 15.0), ("<wide>", 30.0)])
    html = typeset.display_html(rendered)
    q = typeset.sixteenth(30.0)
    assert f'class="reader-math-v rm-lt-{q}"><narrow>' in html and f'class="reader-math-v rm-ge-{q}"><wide>' in html
    css = typeset.threshold_css({q})
    assert f"@container (min-width: {q / 16}em)" in css


def test_a_formula_that_fits_a_phone_gets_one_version():
    class Renderer(typeset.MathRenderer):
        def __init__(self):
            pass

    r = Renderer()
    assert r.display_versions((r"a = b", True, False, False), "<one>", 5.0) == [("<one>", 5.0)]
