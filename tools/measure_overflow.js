/* What sticks out of the text column of a book page (used by tests/_browser.py and tools/book_pdf.py).
 * Returns {width, column, over: [{kind, what, px}]}. A display formula too wide for its column may
 * scroll sideways inside its own box if that box is a named Tab stop (reader.js), except on paper
 * ({paper: true}), where nothing scrolls. */
((options) => {
  const paper = !!(options && options.paper);
  const tol = 1;
  const article = document.querySelector("article.bd-article") || document.querySelector("main");
  const cs = getComputedStyle(article);
  const ar = article.getBoundingClientRect();
  const colLeft = ar.left + parseFloat(cs.paddingLeft), colRight = ar.right - parseFloat(cs.paddingRight);
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const name = (el) => {
    const t = (el.getAttribute("aria-label") || el.textContent || "").replace(/\s+/g, " ").trim();
    const sec = el.closest("section[id]");
    return `${el.tagName.toLowerCase()}${sec ? " in #" + sec.id : ""}: ${t.slice(0, 60)}`;
  };
  const over = [];
  const add = (kind, el, px) => over.push({kind, what: name(el), px: Math.round(px)});
  const sticksOut = (el) => {
    const r = el.getBoundingClientRect();
    return Math.max(r.right - colRight, colLeft - r.left);
  };
  // clientWidth: the layout viewport (innerWidth grows when a phone zooms out to show a wide page).
  const doc = document.documentElement.scrollWidth - document.documentElement.clientWidth;
  if (doc > tol) {
    // Name the deepest visible elements that reach past the right edge: they are the cause.
    const W = document.documentElement.clientWidth;
    const culprits = Array.from(document.querySelectorAll("body *")).filter((el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.right > W + tol && !el.classList.contains("skip-link") &&
        !Array.from(el.children).some((c) => c.getBoundingClientRect().right > W + tol);
    });
    if (!culprits.length) add("page", document.body, doc);
    culprits.slice(0, 5).forEach((el) => add("page", el, doc));
  }
  article.querySelectorAll("div.math").forEach((el) => {
    if (!shown(el)) return;
    const box = el.querySelector(".reader-math-box") || el;
    const scroll = box.scrollWidth - box.clientWidth;
    const named = box.getAttribute("tabindex") === "0" && !!box.getAttribute("aria-label");
    if (sticksOut(el) > tol) add("display math", el, sticksOut(el));
    else if (scroll > tol && (paper || !named)) add("display math", el, scroll);
  });
  article.querySelectorAll('mjx-container:not([display="true"])').forEach((el) => {
    if (!shown(el) || el.closest("table, pre")) return;
    const px = sticksOut(el);
    if (px > tol) add("inline math", el, px);
  });
  article.querySelectorAll("table").forEach((el) => {
    if (!shown(el)) return;
    const box = el.parentElement;
    const px = Math.max(sticksOut(el), box.scrollWidth - box.clientWidth);
    if (px > tol) add("table", el, px);
  });
  article.querySelectorAll("pre").forEach((el) => {
    if (!shown(el)) return;
    const px = Math.max(sticksOut(el), el.scrollWidth - el.clientWidth);
    if (px > tol) add("code/output", el, px);
  });
  article.querySelectorAll("img, figure, .cell_output, div.math").forEach((el) => {
    if (!shown(el)) return;
    const px = sticksOut(el);
    if (px > tol) add(el.tagName.toLowerCase(), el, px);
  });
  return {width: document.documentElement.clientWidth, column: Math.round(colRight - colLeft), over};
})
