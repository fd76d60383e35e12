// Typesets TeX at build time with MathJax 4 (node, liteDOM, CHTML output with hidden MathML for screen
// readers), for _ext/reader/math.py. One process per build answers requests, one JSON object a line:
//   {"op": "render", "items": [{"tex": "...", "display": true}, ...]}
//     -> {"results": [{"html": "<mjx-container ...>", "width": em, "error": null}, ...]}
//   {"op": "css"} -> {"css": the CHTML stylesheet every formula typeset so far needs}
// Widths are MathJax's own bounding boxes in em of the formula's font (what a browser will lay out),
// so the build can choose line breaks for a column width without a browser. Font URLs in the
// stylesheet are the placeholder FONTURL/, which the caller points at the copied fonts.
//   node mathjax.cjs <mathjax dir> <font packages dir>   (macros: READER_MATH_MACROS, JSON)
"use strict";
const readline = require("readline");
const [mathjax, fonts] = process.argv.slice(2);

global.MathJax = {
  loader: {
    paths: {mathjax, fonts},
    load: ["adaptors/liteDOM", "input/tex", "output/chtml", "a11y/assistive-mml"],
    require,
  },
  tex: {
    macros: JSON.parse(process.env.READER_MATH_MACROS || "{}"),
    // An unknown macro is an error (not red text on the page): see formatError.
    packages: {"[-]": ["noundefined"]},
    // A formula MathJax cannot read fails the build instead of showing red text to readers.
    formatError: (jax, error) => { throw error; },
  },
  output: {
    fontURL: "FONTURL",
    // Display formulas never break by themselves: the build decides their lines (math.py).
    displayOverflow: "overflow",
    // Inline formulas carry break points (mjx-break) where the browser may wrap them like text.
    linebreaks: {inline: true},
    // One size everywhere, independent of the reader's text font (known only in the browser).
    matchFontHeight: false,
  },
  startup: {typeset: false},
};
require(`${mathjax}/startup.js`);

async function render(item) {
  const doc = MathJax.startup.document;
  const {STATE} = MathJax._.core.MathItem;
  const {handleRetriesFor} = MathJax._.util.Retries;
  const math = new doc.options.MathItem(item.tex, doc.inputJax[0], !!item.display);
  math.start.node = doc.adaptor.body(doc.document);
  // em, ex (px), container width (px: no breaking), scale.
  math.setMetrics(16, 8, 1e6, 1);
  try {
    await handleRetriesFor(() => math.convert(doc, STATE.LAST));
  } catch (error) {
    return {html: "", width: 0, error: String((error && error.message) || error)};
  }
  const html = doc.adaptor.outerHTML(math.typesetRoot)
    // The TeX of every node, repeated in attributes: a third of the page's math bytes, used by nothing here.
    .replace(/ data-latex="[^"]*"/g, "");
  const bbox = doc.outputJax.getBBox(math, doc);
  return {html, width: bbox.w, error: null};
}

async function handle(request) {
  if (request.op === "render") {
    const results = [];
    for (const item of request.items) results.push(await render(item));
    return {results};
  }
  if (request.op === "css") {
    const sheet = await MathJax._.util.Retries.handleRetriesFor(() => MathJax.chtmlStylesheet());
    return {css: MathJax.startup.adaptor.textContent(sheet)};
  }
  throw new Error(`unknown request ${JSON.stringify(request.op)}`);
}

MathJax.startup.promise.then(() => {
  const lines = readline.createInterface({input: process.stdin});
  let queue = Promise.resolve();
  lines.on("line", (line) => {
    queue = queue.then(async () => {
      let answer;
      try {
        answer = await handle(JSON.parse(line));
      } catch (error) {
        answer = {fatal: String((error && error.stack) || error)};
      }
      process.stdout.write(JSON.stringify(answer) + "\n");
    });
  });
}).catch((error) => {
  process.stderr.write(`MathJax did not start: ${(error && error.stack) || error}\n`);
  process.exit(1);
});
