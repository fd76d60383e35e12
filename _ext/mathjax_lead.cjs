// Typesets TeX at build time with the site's MathJax 4 (node, liteDOM), for the formulas a page
// shows before MathJax has loaded in the browser (see _ext/mathjax4.py, "lead formulas").
//   node mathjax_lead.cjs <mathjax dir> <font dir> < [{"tex": "...", "display": false}, ...]
// prints {"html": [one mjx-container per formula], "css": the CHTML stylesheet they need}.
// The stylesheet's font URLs are the placeholder FONTURL/, which the caller makes relative per page.
"use strict";
const fs = require("fs");
const [mathjax, fonts] = process.argv.slice(2);
const items = JSON.parse(fs.readFileSync(0, "utf8"));

global.MathJax = {
  loader: {
    paths: {mathjax, fonts},
    load: ["adaptors/liteDOM", "input/tex", "output/chtml", "a11y/assistive-mml"],
    require,
  },
  // The same output options as the page's own configuration (MATHJAX4_OPTIONS in mathjax4.py).
  output: JSON.parse(process.env.MATHJAX_OUTPUT || "{}"),
  chtml: {fontURL: "FONTURL"},
  startup: {typeset: false},
};
require(`${mathjax}/startup.js`);

MathJax.startup.promise
  .then(async () => {
    const adaptor = MathJax.startup.adaptor;
    const html = [];
    for (const item of items) {
      const node = await MathJax.tex2chtmlPromise(item.tex, {display: !!item.display});
      html.push(adaptor.outerHTML(node));
    }
    const css = adaptor.textContent(MathJax.chtmlStylesheet());
    process.stdout.write(JSON.stringify({html, css}));
  })
  .catch((error) => {
    console.error(`MathJax could not typeset the lead formulas: ${error && error.stack || error}`);
    process.exit(1);
  });
