// The language switch (tools/edition): open the same page of the other edition at the same section.
// Section ids are the same in both editions (Sphinx keeps the English ids of translated headings); an
// anchor of a paragraph (term-...) differs, so it is replaced by its section. Without an anchor in the
// address, the section the reader is looking at: the first heading in the upper third of the window, else
// the section whose heading has scrolled above it.
(() => {
  const sectionAt = () => {
    // The first section whose heading is in the upper third of the window (the one the reader has just
    // scrolled to: on a page of short sections the next heading is often there too), else the last one
    // whose heading has scrolled above the window (the reader is inside it).
    let above = null;
    for (const s of document.querySelectorAll("main section[id]")) {
      const top = s.getBoundingClientRect().top;
      if (top > window.innerHeight / 3) break;
      if (top >= -5 && top <= window.innerHeight / 3) return s;
      above = s;
    }
    return above;
  };
  const anchor = () => {
    const id = decodeURIComponent(location.hash.slice(1));
    const target = id && document.getElementById(id);
    if (target && !id.startsWith("term-")) return "#" + id;
    const section = target ? target.closest("section[id]") : sectionAt();
    return section ? "#" + section.id : "";
  };
  document.addEventListener("click", (e) => {
    const a = e.target.closest && e.target.closest("a[data-edition-switch]");
    if (a) a.href = a.href.split(/[?#]/)[0] + location.search + anchor();
  });
})();
