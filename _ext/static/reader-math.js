/* Loads MathJax 4 after the page has been painted and typesets each formula when it comes near the
 * screen (_ext/mathjax4.py).
 *
 * Loaded by Sphinx instead of MathJax itself, only on pages with math. A page shows its text first;
 * MathJax (its bundle is named by data-bundle, next to this file) is requested after the first
 * frame. Then only the formulas within about a screen of what is shown are typeset, a few at a time,
 * yielding to the browser between slices, so that no slice keeps a phone from scrolling or tapping;
 * the others are typeset as the reader scrolls (or jumps) towards them, a screen ahead. A chapter
 * with 170 formulas no longer typesets all of them while it opens.
 *
 *   window.readerMath         promise: the formulas near the first screen are typeset (reader.js
 *                             fits the tables after it).
 *   window.readerTypesetAll() typesets every formula still waiting; its promise resolves when the
 *                             whole page is typeset (the layout tests and the PDF printer call it).
 *   "reader:math" event       on document after each slice (detail.all: nothing is left), for
 *                             reader.js to refit the tables whose formulas were just typeset.
 */
(() => {
  "use strict";
  const script = document.currentScript;
  const bundle = script.src.replace(/reader-math\.js(\?.*)?$/, script.dataset.bundle);
  const SLICE_MS = 6; // work per slice; a phone is several times slower than the machine that measured it
  const AHEAD = "100% 0px 100% 0px"; // typeset formulas up to one screen above and below the shown one
  let firstScreen;
  window.readerMath = new Promise((resolve) => { firstScreen = resolve; });
  const root = document.documentElement;

  // Every element that holds TeX: Sphinx's math spans/divs (not the lead formulas, typeset at build
  // time), and outputs that print $$...$$.
  function mathRoots() {
    const roots = Array.from(document.querySelectorAll(".math")).filter((el) => !el.querySelector("mjx-container"));
    document.querySelectorAll(".cell_output, .output_area").forEach((el) => {
      if (!el.querySelector(".math") && /\$\$|\\\(|\\\[/.test(el.textContent)) roots.push(el);
    });
    return roots;
  }

  const waiting = new Set(); // roots not typeset yet
  const wanted = new Set(); // of those, the ones near the screen
  let order = new Map(); // root -> document position, to typeset top-down
  let running = null;
  let observer = null;
  const allDone = [];

  // A display equation may scroll sideways as a last resort: keyboard users must be able to reach
  // it (axe: scrollable-region-focusable). MathJax's menu, not loaded, used to do this.
  function focusable(roots) {
    roots.forEach((r) => r.querySelectorAll('mjx-container[display="true"]').forEach((c) => c.setAttribute("tabindex", "0")));
  }

  // Typesets the wanted roots in document order, a slice at a time, until none is wanted.
  function pump() {
    if (running) return running;
    const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));
    running = (async () => {
      let n = 2; // formulas per slice, adapted to the measured time of the previous slice
      await nextTask(); // MathJax's own start-up is one task already: the first slice is another
      while (wanted.size) {
        const slice = Array.from(wanted).sort((a, b) => order.get(a) - order.get(b)).slice(0, n);
        slice.forEach((r) => { wanted.delete(r); waiting.delete(r); if (observer) observer.unobserve(r); });
        const t0 = performance.now();
        try {
          await MathJax.typesetPromise(slice);
        } catch (error) {
          console.error("MathJax:", error);
        }
        focusable(slice);
        const dt = performance.now() - t0;
        n = Math.max(1, Math.min(8, Math.round((n * SLICE_MS) / Math.max(dt, 0.5))));
        keepHashTarget();
        if (waiting.size) document.dispatchEvent(new CustomEvent("reader:math", {detail: {all: false}}));
        await nextTask();
      }
      running = null;
      if (!waiting.size) finish();
    })();
    return running;
  }

  function finish() {
    if (observer) observer.disconnect();
    document.dispatchEvent(new CustomEvent("reader:math", {detail: {all: true}}));
    allDone.splice(0).forEach((resolve) => resolve());
  }

  // A link into the page (#equation-..., a section) lands on its target while the sections above it
  // still have their estimated height (content-visibility) and their formulas are not typeset: both
  // change when the first screen is ready and as slices are typeset, so the target is scrolled back
  // into view each time, until the reader scrolls or taps themselves.
  let userScrolled = false;
  ["wheel", "touchstart", "keydown", "pointerdown"].forEach((type) =>
    window.addEventListener(type, () => { userScrolled = true; }, {passive: true, capture: true}));
  window.addEventListener("hashchange", () => { userScrolled = false; });
  function keepHashTarget() {
    if (userScrolled || !location.hash) return;
    let target = null;
    try { target = document.getElementById(decodeURIComponent(location.hash.slice(1))); } catch (e) { return; }
    if (target) target.scrollIntoView();
  }

  window.readerTypesetAll = () => {
    const done = new Promise((resolve) => allDone.push(resolve));
    window.readerMath.then(() => {
      waiting.forEach((r) => wanted.add(r));
      pump();
    });
    return done;
  };

  // The formulas near the screen now, and from then on as they come near it. The first report of the
  // observer covers every root: the first screen's formulas are typeset before readerMath resolves.
  function start() {
    const roots = mathRoots();
    order = new Map(roots.map((r, i) => [r, i]));
    roots.forEach((r) => waiting.add(r));
    if (!("IntersectionObserver" in window)) {
      roots.forEach((r) => wanted.add(r));
      return pump();
    }
    return new Promise((resolve) => {
      let first = true;
      observer = new IntersectionObserver((entries) => {
        entries.forEach((e) => { if (e.isIntersecting && waiting.has(e.target)) wanted.add(e.target); });
        const slices = pump();
        if (first) { first = false; slices.then(resolve); }
      }, {rootMargin: AHEAD});
      roots.forEach((r) => observer.observe(r));
      if (!roots.length) resolve();
    });
  }

  // Until the first screen is typeset, reader.css lets off-screen sections skip layout. The class is
  // set by an inline snippet before the page is first laid out (_ext/mathjax4.py): set later, Chrome
  // would skip a section already on screen for one frame and it would pop back in (a layout shift).
  // It is cleared then, so that a checker that reads sizes and colours (axe) sees every section.
  function ready() {
    root.classList.remove("reader-typesetting");
    keepHashTarget();
    firstScreen();
  }

  const config = (window.MathJax = window.MathJax || {});
  config.startup = Object.assign({}, config.startup, {
    typeset: false,
    pageReady: () =>
      MathJax.startup.defaultPageReady()
        .then(start)
        .catch((error) => console.error("MathJax:", error))
        .then(ready),
  });

  function load() {
    const tag = document.createElement("script");
    tag.src = bundle;
    tag.async = true;
    tag.onerror = () => {
      console.error(`MathJax could not be loaded from ${bundle}`);
      waiting.clear();
      ready();
      finish();
    };
    document.head.appendChild(tag);
  }
  // After the first frame has been painted: rAF runs before that paint, the timeout after it.
  requestAnimationFrame(() => setTimeout(load, 0));
})();
