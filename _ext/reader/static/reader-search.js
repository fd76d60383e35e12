/* The search page's results, as a reader wants them (loaded on search.html only, after Sphinx's
 * searchtools.js and before its search runs):
 *
 * - one result per page: Sphinx lists the chapter that defines a term twice (its index entry, at the
 *   defining paragraph, and its full-text hit); the better one is kept, so the defining chapter is
 *   first and the glossary and errata follow;
 * - snippets that show the term: taken around the query as typed (or another name of it, from
 *   synonyms.txt, which the page embeds as READER_SYNONYMS), else around its words; the formulas in
 *   them read as their characters (the typeset math's text, with the hidden MathML copy and the code
 *   cells left out), not as TeX and not as "…".
 */
(() => {
  "use strict";
  if (typeof Search === "undefined") return;
  const synonyms = typeof READER_SYNONYMS === "undefined" ? [] : READER_SYNONYMS;
  const query = () => (new URLSearchParams(window.location.search).get("q") || "").trim();

  // Every name a query may appear as on a page: itself, then its synonyms.
  function names(q) {
    const lower = q.toLowerCase();
    const out = [lower];
    synonyms.forEach((group) => {
      if (group.some((n) => n.toLowerCase() === lower)) group.forEach((n) => out.push(n.toLowerCase()));
    });
    return [...new Set(out)].filter((n) => n);
  }

  const performSearch = Search._performSearch;
  Search._performSearch = (...args) => {
    const results = performSearch(...args);
    // Displayed from the end: keep the last (best) result of each page.
    const seen = new Set();
    const kept = [];
    for (let i = results.length - 1; i >= 0; i--) {
      if (seen.has(results[i][0])) continue;
      seen.add(results[i][0]);
      kept.unshift(results[i]);
    }
    return kept;
  };

  Search.htmlToText = (htmlString, anchor) => {
    const doc = new DOMParser().parseFromString(htmlString, "text/html");
    doc.querySelectorAll(".headerlink, script, style, mjx-assistive-mml, .cell_input, .reader-verified, .reader-verified-mark")
      .forEach((el) => el.remove());
    const main = doc.querySelector('[role="main"]');
    if (!main) return "";
    const part = (anchor && main.querySelector(anchor)) || main;
    // Math italic letters (𝑥) and the like as plain letters, so the snippet reads and matches.
    return part.textContent.normalize("NFKC").replace(/\s+/g, " ").trim();
  };

  const find = (lower) => {
    for (const name of names(query())) {
      const at = lower.indexOf(name);
      if (at >= 0) return at;
    }
    return -1;
  };

  Search.makeSearchSummary = (htmlText, keywords, anchor) => {
    let text = Search.htmlToText(htmlText, anchor);
    // The linked paragraph may name the term another way: then the page's first use of a name.
    if (anchor && find(text.toLowerCase()) < 0) {
      const whole = Search.htmlToText(htmlText, "");
      if (find(whole.toLowerCase()) >= 0) text = whole;
    }
    if (!text) return null;
    const lower = text.toLowerCase();
    let at = find(lower);
    if (at < 0) {
      const found = [...keywords].map((k) => lower.indexOf(k.toLowerCase())).filter((i) => i >= 0);
      at = found.length ? Math.min(...found) : 0;
    }
    const start = Math.max(at - 80, 0);
    const summary = document.createElement("p");
    summary.classList.add("context");
    summary.textContent = (start ? "… " : "") + text.substr(start, 240).trim() + (start + 240 < text.length ? " …" : "");
    return summary;
  };
})();
