/* Loads MathJax 4 after the page has been painted and typesets it in short slices (_ext/mathjax4.py).
 *
 * Loaded by Sphinx instead of MathJax itself, only on pages with math. A page shows its text first;
 * MathJax (its bundle is named by data-bundle, next to this file) is requested after the first
 * frame, and the formulas are typeset in document order, a few at a time, yielding to the browser
 * between slices, so that no slice keeps a phone from scrolling or tapping (the first slices are the
 * formulas on screen). `window.readerMath` is a promise that resolves once every formula is typeset;
 * reader.js waits for it before fitting the tables, and so do the browser tests and the PDF printer.
 */
(() => {
  "use strict";
  const script = document.currentScript;
  const bundle = script.src.replace(/reader-math\.js(\?.*)?$/, script.dataset.bundle);
  const SLICE_MS = 6; // work per slice; a phone is several times slower than the machine that measured it
  let finished;
  window.readerMath = new Promise((resolve) => { finished = resolve; });

  // Every element that holds TeX: Sphinx's math spans/divs, and outputs that print $$...$$.
  function mathRoots() {
    const roots = Array.from(document.querySelectorAll(".math"));
    document.querySelectorAll(".cell_output, .output_area").forEach((el) => {
      if (!el.querySelector(".math") && /\$\$|\\\(|\\\[/.test(el.textContent)) roots.push(el);
    });
    return roots;
  }

  // Until every formula is typeset, reader.css lets off-screen sections skip layout. The class is set
  // by an inline snippet before the page is first laid out (_ext/mathjax4.py): set later, Chrome
  // would skip a section already on screen for one frame and it would pop back in (a layout shift).
  const root = document.documentElement;

  async function typesetInSlices() {
    try {
      await typesetEach(mathRoots());
    } finally {
      root.classList.remove("reader-typesetting");
    }
    // A display equation may scroll sideways as a last resort: keyboard users must be able to reach
    // it (axe: scrollable-region-focusable). MathJax's menu, not loaded, used to do this.
    document.querySelectorAll('mjx-container[display="true"]').forEach((c) => c.setAttribute("tabindex", "0"));
  }

  async function typesetEach(roots) {
    const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));
    let i = 0;
    let n = 2; // formulas per slice, adapted to the measured time of the previous slice
    await nextTask(); // MathJax's own start-up is one task already: the first slice is another
    while (i < roots.length) {
      const t0 = performance.now();
      await MathJax.typesetPromise(roots.slice(i, i + n));
      i += n;
      const dt = performance.now() - t0;
      n = Math.max(1, Math.min(8, Math.round((n * SLICE_MS) / Math.max(dt, 0.5))));
      await nextTask();
    }
  }

  const config = (window.MathJax = window.MathJax || {});
  config.startup = Object.assign({}, config.startup, {
    typeset: false,
    pageReady: () =>
      MathJax.startup.defaultPageReady()
        .then(typesetInSlices)
        .catch((error) => console.error("MathJax:", error))
        .then(finished),
  });

  function load() {
    const tag = document.createElement("script");
    tag.src = bundle;
    tag.async = true;
    tag.onerror = () => {
      console.error(`MathJax could not be loaded from ${bundle}`);
      root.classList.remove("reader-typesetting");
      finished();
    };
    document.head.appendChild(tag);
  }
  // After the first frame has been painted: rAF runs before that paint, the timeout after it.
  requestAnimationFrame(() => setTimeout(load, 0));
})();
