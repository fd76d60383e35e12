// The language switch (tools/edition): open the same page of the other edition at the same section.
// Section ids are the same in both editions (Sphinx keeps the English ids of translated headings); an
// anchor of a paragraph (term-...) differs, so it is replaced by its section. Without an anchor in the
// address, the section the reader is looking at is the one at the top of the window.
(() => {
  const sectionAt = () => {
    if (window.scrollY < 40) return null;
    let current = null;
    for (const s of document.querySelectorAll("main section[id]")) {
      if (s.getBoundingClientRect().top <= 90) current = s;
      else break;
    }
    return current;
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
