/* What the reader tests measure on a page right after it has loaded (tests/_browser.py runs it once
 * per page and width; the test modules assert on the result). Returns:
 *   untypeset: formulas (.math) with no typeset output, and raw TeX left in the visible text;
 *   equations: per display formula, its lines (tokens per line), whether it is broken, whether its
 *              one-line form would fit its box, whether its box scrolls and how it is named;
 *   tableSplits: words of tables drawn on two lines; tabStops: formulas a Tab key would stop at;
 *   targets: the ids a deep link to the page may point at (first numbered equation, a middle section).
 */
(() => {
  const article = document.querySelector("article.bd-article") || document.body;
  // Asked once per element (a chapter has thousands of text nodes, most of them in formulas).
  const seen = new Map();
  const visible = (el) => {
    if (!seen.has(el)) seen.set(el, el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden");
    return seen.get(el);
  };

  // ---- formulas typeset? --------------------------------------------------------------------------
  const untypeset = Array.from(document.querySelectorAll(".math"))
    .filter((m) => !m.querySelector("mjx-container")).map((m) => m.textContent.slice(0, 80));
  // The visible text outside code: TeX inside a code listing (a file the reader types) is code, not a
  // formula left untypeset.
  const prose = [];
  // Every section and hidden MathML copy is a content-visibility: auto root (reader.css): asking for the
  // boxes of an element inside a skipped one lays that one out on its own, thousands of times a chapter.
  // While the text is read they are all laid out at once, with the containment they have when shown
  // (which elements have boxes does not depend on it), and left as they were right after.
  const whole = document.createElement("style");
  whole.textContent = "mjx-assistive-mml, .bd-article section section"
    + " { content-visibility: visible !important; contain: layout style paint !important; }";
  document.head.append(whole);
  const CODE = "pre, code, script, style, noscript";
  // Code and scripts are left out whole (their text nodes are not even visited).
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => n.nodeType === Node.TEXT_NODE ? NodeFilter.FILTER_ACCEPT
      : n.matches(CODE) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_SKIP});
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || !visible(parent)) continue;
    prose.push(node.textContent);
  }
  whole.remove();
  seen.clear();
  const text = prose.join(" ");
  const rawTex = (text.match(/\$\$|\\\(|\\\[|\\(frac|sum|partial|mathbf|operatorname|begin|end)\b/g) || []);

  // ---- display formulas ---------------------------------------------------------------------------
  // A token: a leaf of the typeset formula that shows something (not the invisible function-application
  // operator MathJax puts after a function name, not an empty space).
  const tokens = (el) => Array.from(el.querySelectorAll("mjx-mi, mjx-mn, mjx-mo, mjx-mtext"))
    .filter((t) => t.textContent.replace(/[\u2061\u2062\u2063\u200b\s]/g, "") !== "").length;
  // The lines of a typeset display formula: the rows of its outermost table (aligned, split, align) if
  // the formula is one, else the whole formula.
  function lines(container) {
    const math = container.querySelector("mjx-math");
    let top = math;
    while (top && top.children.length === 1 && !/^MJX-MTABLE$/.test(top.firstElementChild.tagName)) {
      top = top.firstElementChild.tagName.startsWith("MJX-M") || top.firstElementChild.tagName === "MJX-TEXATOM"
        ? top.firstElementChild : null;
    }
    const table = top && top.children.length === 1 && top.firstElementChild.tagName === "MJX-MTABLE"
      ? top.firstElementChild : null;
    if (!table) return [{tokens: tokens(math), text: math.textContent.slice(0, 60)}];
    return Array.from(table.querySelectorAll(":scope > mjx-table > mjx-itable > mjx-mtr, :scope > mjx-table > mjx-itable > mjx-mlabeledtr"))
      .map((row) => ({tokens: tokens(row), text: row.textContent.slice(0, 60)}));
  }
  // Width the one-line form of a formula needs, laid out off-screen in its own box. Every formula is
  // read first and all the clones are laid out together afterwards: one layout of the page, not one per
  // formula (reading a width after each insertion laid a long chapter out a hundred times).
  function offscreen(version, box) {
    const clone = version.cloneNode(true);
    clone.className = "";
    clone.style.cssText = "position:absolute; visibility:hidden; display:block; width:max-content; left:0; top:0";
    return {box, clone};
  }
  const clones = [];
  const equations = Array.from(article.querySelectorAll("div.math")).filter(visible).map((div) => {
    const box = div.querySelector(".reader-math-box");
    const versions = box ? Array.from(box.children) : [div];
    const shown = versions.filter((v) => getComputedStyle(v).display !== "none");
    const container = shown.length ? shown[0].querySelector("mjx-container") : null;
    const oneLine = versions[versions.length - 1];
    const eqno = div.querySelector(":scope > .eqno");
    const section = div.closest("section[id]");
    const name = container ? (container.querySelector("mjx-assistive-mml") || container).textContent : div.textContent;
    const eq = {
      where: `${section ? "#" + section.id : ""} ${name.replace(/\s+/g, " ").slice(0, 50)}`,
      name: name.replace(/\s+/g, ""),
      typeset: !!container,
      versions: versions.length,
      shownCount: shown.length,
      shownIndex: versions.indexOf(shown[0]),
      lines: container ? lines(container) : [],
      oneLineLines: oneLine.querySelector("mjx-container") ? lines(oneLine.querySelector("mjx-container")).length : 0,
      boxWidth: box ? box.clientWidth : div.clientWidth,
      oneLineWidth: 0,
      scrolls: box ? box.scrollWidth > box.clientWidth : false,   // as axe and reader.js count it
      tabindex: box ? box.getAttribute("tabindex") : null,
      label: box ? box.getAttribute("aria-label") : null,
      // Everything the number element holds (Sphinx's "#" permalink sign was in it, and drawn on phones).
      eqno: eqno ? eqno.textContent.trim() : null,
      eqnoLink: eqno && eqno.querySelector("a[href]") ? eqno.querySelector("a[href]").getAttribute("href") : null,
      eqnoRight: eqno && box ? eqno.getBoundingClientRect().left >= box.getBoundingClientRect().right - 1 : null,
      eqnoInside: eqno ? eqno.getBoundingClientRect().right <= article.getBoundingClientRect().right + 1 : null,
      id: div.id || null,
    };
    if (box && oneLine.querySelector("mjx-container")) clones.push({eq, ...offscreen(oneLine, box)});
    return eq;
  });
  clones.forEach(({box, clone}) => box.appendChild(clone));
  clones.forEach(({eq, clone}) => { eq.oneLineWidth = clone.querySelector("mjx-container").getBoundingClientRect().width; });
  clones.forEach(({clone}) => clone.remove());

  // ---- tables: a word drawn on two lines ----------------------------------------------------------
  const tableSplits = [];
  article.querySelectorAll("table").forEach((table) => {
    if (!visible(table)) return;
    const walker = document.createTreeWalker(table, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest("mjx-container, .reader-cell-label")) continue;
      for (const m of node.textContent.matchAll(/[A-Za-z0-9_]{2,}/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set(Array.from(range.getClientRects()).filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (tops.size > 1) tableSplits.push(m[0]);
      }
    }
  });

  // ---- Tab stops among the formulas ---------------------------------------------------------------
  const tabStops = Array.from(article.querySelectorAll("div.math, div.math *, span.math, span.math *"))
    .filter((el) => el.tabIndex >= 0 && visible(el))
    .map((el) => ({tag: el.tagName.toLowerCase(), cls: el.className || "", scrolls: el.scrollWidth > el.clientWidth,
                   label: el.getAttribute("aria-label")}));

  // ---- where a link from elsewhere may land (test_reader_nav.py) ----------------------------------
  // The first numbered display equation, and a section in the middle of the page (the last ones cannot
  // scroll to the top of the screen).
  const firstEquation = document.querySelector('div.math[id^="equation-"]');
  const sections = Array.from(document.querySelectorAll(".bd-article > section > section[id]"));
  const targets = {equation: firstEquation ? firstEquation.id : null,
                   section: sections.length ? sections[Math.floor(sections.length / 2)].id : null};

  return {untypeset, rawTex, equations, tableSplits, tabStops, targets};
})
