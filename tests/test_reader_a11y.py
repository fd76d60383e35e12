"""Accessibility, measured: axe-core (npm, pinned in package.json, installed by ``make node-deps``)
injected into every page of the built book (desktop width; three chapters at phone width) finds
no serious or critical violation (the theme's buttons whose accessible name did not match their label, etc.).
"""

from __future__ import annotations

import pytest

from _browser import PHONE, DESKTOP, ROOT, Visit, browser, built_pages, site  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGES = built_pages()

# Every page at both widths: the rules the book's own markup and scripts can break (names of
# buttons, links and images, hidden-but-focusable copies, ARIA use, landmarks, language, lists,
# tables). Running all ~100 rules, colour contrast included, takes 10-20 s on a chapter: that full
# run is done for the introduction, and on all pages by bench/reader.py.
RULES = [
    "button-name", "link-name", "image-alt", "input-button-name", "label", "label-content-name-mismatch",
    "aria-hidden-focus", "aria-allowed-attr", "aria-required-attr", "aria-valid-attr", "aria-valid-attr-value",
    "aria-prohibited-attr", "aria-command-name", "aria-dialog-name", "nested-interactive", "duplicate-id-aria",
    "html-has-lang", "document-title", "list", "listitem", "td-headers-attr", "th-has-data-cells",
    "frame-title", "scrollable-region-focusable", "svg-img-alt", "role-img-alt",
]

RUN = """async (rules) => {
  const options = {resultTypes: ["violations"]};
  if (rules) options.runOnly = {type: "rule", values: rules};
  const r = await axe.run(document, options);
  return r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
    id: v.id, impact: v.impact, nodes: v.nodes.length,
    first: v.nodes[0].target.join(" ") + ": " + v.nodes[0].failureSummary.split("\\n").slice(0, 2).join(" ")}));
}"""


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make node-deps` (make book and make test do it)")
    return AXE.read_text(encoding="utf-8")


def _violations(visit, page, axe_source, rules):
    pg = visit.open(page)
    # Formulas are typeset as they come near the screen (reader-math.js): axe checks the page with every
    # formula typeset, as a reader who scrolled through it sees it.
    pg.evaluate("async () => { if (window.readerTypesetAll) await window.readerTypesetAll(); }")
    pg.wait_for_function("() => document.documentElement.dataset.readerMath === 'all'", timeout=60_000)
    pg.add_script_tag(content=axe_source)
    return pg.evaluate(RUN, rules)


def _report(found, device):
    return f"serious/critical axe-core violations ({device}): " + "; ".join(
        f"{page}: " + ", ".join(f"{v['id']} x{v['nodes']} ({v['first'][:160]})" for v in vs) for page, vs in found.items())


# The page's controls are the same at both widths; the phone run covers the pages the issue
# measured (and the drawer/contents buttons that only a phone shows) to keep the suite quick.
PHONE_PAGES = ["book/intro", "book/activations", "book/backprop"]


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_no_serious_axe_violation_on_any_page(device, site, browser, axe_source):
    found = {}
    with Visit(browser, site, PHONE if device == "phone" else DESKTOP) as visit:
        for page in PHONE_PAGES if device == "phone" else PAGES:
            violations = _violations(visit, page, axe_source, RULES)
            if violations:
                found[page] = violations
    assert not found, _report(found, device)


def test_all_axe_rules_on_the_introduction_phone(site, browser, axe_source):
    with Visit(browser, site, PHONE) as visit:
        violations = _violations(visit, "book/intro", axe_source, None)
    assert not violations, _report({"book/intro": violations}, "phone")
