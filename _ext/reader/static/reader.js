/* Navigation that works on phones and desktops (sphinx-book-theme 1.3 on pydata-sphinx-theme 0.17).
 *
 * pydata-sphinx-theme binds its sidebar handler to the FIRST `.primary-toggle` / `.secondary-toggle`
 * in the page (issue 2451). sphinx-book-theme renders a second, visible pair in the article header,
 * so on a phone the visible ☰ and "Contents" buttons did nothing. Here every other toggle forwards its
 * click to the bound one (which opens the sidebar as a modal drawer). On a wide screen, where the
 * primary sidebar is already on the page, ☰ collapses and restores it instead, remembered per tab.
 */
(() => {
  "use strict";
  const COLLAPSED = "reader-primary-collapsed";
  const KEY = "reader:primary-collapsed";

  // Inline on the page (wide screen), not parked off-screen as the hidden drawer of a phone.
  const onPage = (el) => {
    if (!el || getComputedStyle(el).visibility === "hidden" || getComputedStyle(el).display === "none") return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > 0 && r.left < window.innerWidth;
  };

  function setCollapsed(on) {
    document.documentElement.classList.toggle(COLLAPSED, on);
    try { sessionStorage.setItem(KEY, on ? "1" : "0"); } catch (e) { /* storage may be disabled */ }
    document.querySelectorAll(".primary-toggle").forEach((b) => b.setAttribute("aria-expanded", String(!on)));
  }

  // (A collapsed sidebar is marked on <html> before the first paint by an inline snippet that
  // _ext/reader_layout.py puts in <head>; this file itself is deferred.)

  function wire() {
    const sidebar = document.getElementById("pst-primary-sidebar");
    for (const kind of ["primary", "secondary"]) {
      const toggles = Array.from(document.querySelectorAll(`.${kind}-toggle`));
      const bound = toggles[0]; // the one the theme listens to
      toggles.forEach((button, i) => {
        // A button's accessible name must contain its visible label (axe: label-content-name-mismatch).
        const label = kind === "primary" ? "Site navigation" : "Contents of this page";
        button.setAttribute("aria-label", label);
        // The theme's hover tooltip stayed open after a tap and covered the next icon.
        const tip = window.bootstrap && window.bootstrap.Tooltip && window.bootstrap.Tooltip.getInstance(button);
        if (tip) tip.dispose();
        button.setAttribute("title", label);
        if (i === 0) return;
        button.addEventListener("click", (event) => {
          event.preventDefault();
          event.stopImmediatePropagation();
          if (kind === "primary") {
            if (document.documentElement.classList.contains(COLLAPSED)) return setCollapsed(false);
            if (onPage(sidebar)) return setCollapsed(true);
          }
          bound.click();
        }, true);
      });
    }
    document.querySelectorAll(".primary-toggle").forEach((b) =>
      b.setAttribute("aria-expanded", String(!document.documentElement.classList.contains(COLLAPSED))));
  }

  /* Tables reflow instead of hiding columns: a table wider than its column first gets a smaller
   * font; if that is not enough it is shown as one card per row, each value labelled with a copy of
   * its column header. Measured after MathJax has typeset the cells (formulas change the widths). */
  function labelCells(table) {
    const head = table.querySelector("thead tr");
    if (!head || table.dataset.readerLabelled) return;
    const headers = Array.from(head.children);
    table.querySelectorAll("tbody tr").forEach((row) => {
      Array.from(row.children).forEach((cell, i) => {
        if (!headers[i]) return;
        const label = document.createElement("span");
        label.className = "reader-cell-label";
        label.setAttribute("aria-hidden", "true"); // screen readers still have the real header
        headers[i].childNodes.forEach((n) => label.appendChild(n.cloneNode(true)));
        // A hidden copy must not be reachable with Tab (typeset formulas are focusable).
        label.querySelectorAll("[tabindex], a, button").forEach((el) => el.setAttribute("tabindex", "-1"));
        cell.prepend(label);
      });
    });
    table.dataset.readerLabelled = "1";
  }

  function fitTables() {
    // Reads before writes, all tables at once: each write-then-read forced a layout of the whole page.
    const tables = Array.from(document.querySelectorAll(".bd-article table"));
    const fits = (table) => table.getBoundingClientRect().width <= table.parentElement.clientWidth + 1;
    tables.forEach((table) => table.classList.remove("reader-compact", "reader-stacked"));
    const wide = tables.filter((table) => !fits(table));
    wide.forEach((table) => table.classList.add("reader-compact"));
    const wider = wide.filter((table) => !fits(table));
    wider.forEach((table) => {
      table.classList.remove("reader-compact");
      labelCells(table);
      table.classList.add("reader-stacked");
    });
    nameScrollingFormulas();
    document.documentElement.dataset.readerLayout = "done";
  }

  /* A display formula wider than its box even in its narrowest version (built by _ext/reader/typeset.py)
   * scrolls sideways inside the box: only then is the box a Tab stop, named for screen readers
   * (axe: scrollable-region-focusable). A formula that fits is not a Tab stop. */
  function nameScrollingFormulas() {
    // Only the boxes the build marked as wider than a phone's column can scroll: measuring a box lays out
    // its section, and the sections below the first screen are left unrendered until they come near it.
    document.querySelectorAll(".reader-math-box.reader-math-wide").forEach((box) => {
      const scrolls = box.scrollWidth > box.clientWidth;   // as axe counts it: one pixel of overflow scrolls
      if (scrolls === box.hasAttribute("tabindex")) return;
      if (scrolls) {
        const number = box.parentElement.querySelector(".eqno");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", `Equation ${number ? number.textContent.trim() + " " : ""}(scrolls sideways)`);
      } else {
        ["tabindex", "role", "aria-label"].forEach((name) => box.removeAttribute(name));
      }
    });
  }

  /* The theme makes a code block or output that scrolls sideways a Tab stop, measured when the page has
   * loaded, but only where it is rendered (its script is patched by _ext/reader/page.py: measuring lays
   * out the section around an element, and the sections below the first screen stay unrendered until
   * they come near it, reader.css). Here the same rule for each section when it is first shown. */
  const SCROLLABLE = ["pre", ".nboutput > .output_area", ".cell_output > .output", ".jp-RenderedHTMLCommon",
    ".pst-scrollable-table-container"].join(", ");
  function tabStopsWhenShown() {
    document.addEventListener("contentvisibilityautostatechange", (event) => {
      if (event.skipped) return;
      event.target.querySelectorAll(SCROLLABLE).forEach((el) => {
        el.tabIndex = el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight ? 0 : -1;
      });
    }, true);
  }

  function layout() {
    tabStopsWhenShown();
    fitTables();
    let timer = null;
    window.addEventListener("resize", () => {
      clearTimeout(timer);
      timer = setTimeout(fitTables, 150);
    });
  }

  /* A control's accessible name must contain the text it shows (WCAG 2.5.3, axe
   * label-content-name-mismatch): the theme labels "Search Ctrl+K" as "Search" and myst-nb's
   * "Show code cell source" as "Toggle hidden content". Name them by what they show. */
  // Icons whose words are only for screen readers (the theme switch): keep the button's label and
  // hide the words. Font Awesome swaps the icons for <svg><title> later, so again on every change.
  function hideWords(el) {
    const hide = () => Array.from(el.children).forEach((child) => child.setAttribute("aria-hidden", "true"));
    hide();
    new MutationObserver(hide).observe(el, {childList: true});
  }

  // The text a control shows. In the article from the styles alone: innerText lays out the section
  // around the control, and the sections below the first screen are left unrendered until they come
  // near it (reader.css). Outside the article (the header's buttons) innerText is cheap and exact.
  function shownText(el) {
    if (!el.closest(".bd-article")) return el.innerText;
    let out = "";
    el.childNodes.forEach((child) => {
      if (child.nodeType === Node.TEXT_NODE) out += child.textContent;
      else if (child.nodeType === Node.ELEMENT_NODE) {
        const style = getComputedStyle(child);
        if (style.display !== "none" && style.visibility !== "hidden") out += " " + shownText(child);
      }
    });
    return out;
  }

  function nameControlsByTheirText() {
    const norm = (t) => (t || "").replace(/\s+/g, " ").trim();
    document.querySelectorAll("button[aria-label], a[aria-label], summary[aria-label]").forEach((el) => {
      const label = norm(el.getAttribute("aria-label"));
      const shown = norm(shownText(el));
      const all = norm(el.textContent);
      if (el.matches(".theme-switch-button")) return hideWords(el); // icons only, words come later
      if (!all || label.toLowerCase().includes(all.toLowerCase())) return;
      if (shown && label.toLowerCase().includes(shown.toLowerCase())) return;
      if (shown) {
        el.removeAttribute("aria-label"); // named by its content, which is what it shows
      } else {
        hideWords(el);
      }
    });
  }

  /* The skip link went to <main>, which cannot hold focus: focus stayed on the body and the next Tab
   * went through the header again. It now goes to the article, which can. Done at once (no layout). */
  function skipToArticle() {
    const link = document.querySelector("#pst-skip-link a, a.skip-link");
    const article = document.querySelector("article.bd-article");
    if (!link || !article) return;
    if (!article.id) article.id = "reader-article";
    article.setAttribute("tabindex", "-1");
    link.setAttribute("href", `#${article.id}`);
  }
  skipToArticle();

  /* A tap on a link in the phone's drawers (chapters, contents of this page) closes the drawer: the
   * contents drawer stayed open over most of the screen after jumping to a section. Closed before the
   * link is followed, so the focus the dialog gives back does not undo the jump. */
  function closeDrawersOnLink() {
    document.querySelectorAll("dialog[id$='-sidebar-modal']").forEach((dialog) => {
      dialog.addEventListener("click", (event) => {
        const link = event.target.closest("a[href]");
        if (!link || !dialog.open) return;
        const url = new URL(link.href, location.href);
        const samePage = url.pathname === location.pathname && url.hash;
        if (!samePage) return dialog.close(); // another page: the browser goes there
        // This page: close first (the dialog gives the focus back to its button, at the top), then jump.
        event.preventDefault();
        dialog.close();
        requestAnimationFrame(() => {
          const target = document.getElementById(decodeURIComponent(url.hash.slice(1)));
          if (location.hash !== url.hash) location.hash = url.hash;
          else if (target) target.scrollIntoView();
        });
      });
    });
  }

  function start() {
    nameControlsByTheirText();
    wire();
    closeDrawersOnLink();
    layout();
  }
  // After the first frame: the page has been laid out for it, so reading the controls' shown text
  // (innerText) and the sidebar's geometry costs little; before it, it forced the first layout of
  // the whole page inside this script. (The nav buttons cannot be tapped before that frame anyway.)
  const afterFirstFrame = () => requestAnimationFrame(() => setTimeout(start, 0));
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", afterFirstFrame);
  else afterFirstFrame();
})();
