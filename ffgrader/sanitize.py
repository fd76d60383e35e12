"""What a student wrote, made inert before an instructor's or a student's browser shows it (trusted side).

Two pages show submissions: the formgrader's submission page (nbgrader's "formgrade" template, the course's
version in ``ffgrader/templates/formgrade/``) and the feedback page of ``nbgrader generate_feedback``
(``ffgrader/templates/feedback/``). Both are drawn by nbconvert's HTMLExporter, which ``nbgrader_config.py``
configures with the three pieces of this module:

- ``SanitizeNotebook`` (an HTMLExporter preprocessor): before any template sees the notebook, every part a
  student controls is reduced to plain forms: the notebook's metadata to its kernel name, each cell's metadata
  to the nbgrader roles (which autograde already restored from the gradebook), outputs to text, tracebacks and
  PNG/JPEG images whose bytes are what they claim (no HTML, SVG, JavaScript, Markdown, LaTeX or widget
  outputs, no output metadata: it can name files or ask for an iframe), attachments to raster images. It also
  draws the page's CSP nonce (``resources["csp_nonce"]``): a fresh one per page, so no submission can know it.
- ``clean_html`` (the templates' ``clean_html`` filter, in place of nbconvert's): every HTML fragment that came
  from a student (rendered Markdown, raw cells, HTML-ish outputs when an exporter keeps them) through nh3
  with an allowlist: text formatting, lists, tables, links to http(s)/mailto, images only as ``data:`` PNG,
  JPEG, GIF or WebP. No script, style, form, frame, object, SVG or MathML, no event handler, no ``style``
  attribute, no class except the syntax-highlighting ones, ids prefixed (``user-content-``) so that no
  student element can pose as one of the page's own (a score field, the mark-scheme box).
- ``csv_cell``: a text cell of a CSV report that a spreadsheet would read as a formula is quoted.

The templates add a Content-Security-Policy: the feedback page runs no script at all; the formgrader runs only
the scripts its template marks with the page's nonce (nbgrader's own, MathJax), so whatever a sanitizer might
miss still cannot run.

Why nh3: it binds ammonia (Rust), which parses with html5ever, the HTML5 parsing algorithm browsers use, and
serializes its own tree, so markup that browsers would re-parse differently (mutation XSS) does not survive;
it is maintained (0.3.8, 2025). bleach, which nbconvert's own ``sanitize_html``/``SanitizeHTML`` use, was
deprecated by its maintainers in 2023 and gets security fixes only; its html5lib parser is unmaintained.
nbconvert's switch (``HTMLExporter.sanitize_html``) is still used here: it routes outputs and raw cells through
the ``clean_html`` filter and drops JavaScript and widget outputs in the base templates; this module replaces
the cleaner behind that filter.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import uuid

import nh3
from nbconvert.preprocessors import Preprocessor
from nbformat.notebooknode import NotebookNode
from pygments.token import STANDARD_TYPES

# Raster images a browser decodes without running anything, and the bytes each one starts with.
RASTER_MAGIC = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",),
                "image/gif": (b"GIF87a", b"GIF89a"), "image/webp": (b"RIFF",)}
# Outputs keep these; the templates draw text/plain as escaped text and images as data: URLs.
OUTPUT_MIMES = ("text/plain", "image/png", "image/jpeg")
ID_PREFIX = "user-content-"

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del", "details",
    "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins",
    "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var", "wbr",
}
# Dropped together with everything inside them (the rest of an unknown tag's text is kept).
_DROP_WITH_CONTENT = {
    "script", "style", "template", "noscript", "iframe", "frame", "frameset", "object", "embed", "applet", "svg",
    "math", "textarea", "select", "option", "title", "xmp", "noembed", "noframes", "plaintext", "canvas",
    "video", "audio", "picture", "source", "track", "button", "datalist", "dialog", "head", "meta", "link",
    "base",
}
_ATTRIBUTES = {
    "a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}, "abbr": {"title"},
    "ol": {"start"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"},
    **{f"h{k}": {"id"} for k in range(1, 7)},
}
# Syntax highlighting (pygments' short class names) and the heading links nbconvert's Markdown renderer makes.
_CLASSES = {"span": {c for c in STANDARD_TYPES.values() if c}, "div": {"highlight"}, "a": {"anchor-link"}}
_DATA_IMAGE = re.compile(r"data:(image/(?:png|jpeg|gif|webp));base64,([A-Za-z0-9+/=\s]+)", re.I)
_NUMBER = re.compile(r"\d{1,4}")
_CELL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_GRADE_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_ATTACHMENT_REF = re.compile(r"attachment:")


def raster_bytes(mime: str, b64) -> bytes | None:
    """The decoded image if ``b64`` is base64 of a ``mime`` raster image (checked by its first bytes), else None."""
    if mime not in RASTER_MAGIC or not isinstance(b64, str):
        return None
    try:
        raw = base64.b64decode("".join(b64.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if raw.startswith(RASTER_MAGIC[mime]) else None


def _attribute(tag: str, name: str, value: str):
    if tag == "img" and name == "src":
        m = _DATA_IMAGE.fullmatch(value.strip())
        return value.strip() if m and raster_bytes(m.group(1).lower(), m.group(2)) is not None else None
    if tag == "a" and name == "href":
        v = value.strip()
        scheme = v.split(":", 1)[0].lower() if ":" in v else ""
        return v if v.startswith("#") or scheme in ("http", "https", "mailto") else None
    if name in ("width", "height", "start", "colspan", "rowspan"):
        return value if _NUMBER.fullmatch(value.strip()) else None
    return value


def _relative(url: str):
    # Only in-page links survive, pointing at the prefixed ids; any other relative URL would be a request to
    # the server that serves the page (the instructor's Jupyter) made with the viewer's cookies.
    if not url.startswith("#"):
        return None
    return url if url.startswith("#" + ID_PREFIX) else "#" + ID_PREFIX + url[1:]


_CLEANER = nh3.Cleaner(
    tags=_TAGS, clean_content_tags=_DROP_WITH_CONTENT, attributes=_ATTRIBUTES, attribute_filter=_attribute,
    strip_comments=True, link_rel="noopener noreferrer nofollow", url_schemes={"http", "https", "mailto", "data"},
    url_relative=_relative, allowed_classes=_CLASSES, id_prefix=ID_PREFIX,
)


def clean_html(fragment) -> str:
    """``fragment`` (str or bytes, any HTML a student could have written or caused) with only inert markup left."""
    if isinstance(fragment, bytes):
        fragment = fragment.decode("utf-8", "replace")
    return _CLEANER.clean(str(fragment))


def csv_cell(value):
    """A CSV cell that a spreadsheet would evaluate (``=``, ``+``, ``-``, ``@``, tab, CR first) as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _text(value) -> str:
    if isinstance(value, list):
        value = "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def _count(value):
    return value if type(value) is int and 0 <= value < 10**9 else None


def _nbgrader_roles(meta) -> NotebookNode | None:
    """The cell's nbgrader metadata with plain types only (autograde's RestoreCellRoles set it from the
    gradebook; a notebook that did not go through autograde may carry anything)."""
    if not isinstance(meta, dict) or not isinstance(meta.get("grade_id"), str) \
            or not _GRADE_ID.fullmatch(meta["grade_id"]):
        return None
    out = NotebookNode(grade_id=meta["grade_id"])
    for key in ("grade", "solution", "locked", "task"):
        out[key] = meta.get(key) is True
    for key in ("points", "score"):
        if type(meta.get(key)) in (int, float):
            out[key] = meta[key]
    if isinstance(meta.get("schema_version"), int):
        out["schema_version"] = meta["schema_version"]
    if isinstance(meta.get("checksum"), str):
        out["checksum"] = meta["checksum"][:128]
    return out


def _output(out):
    kind = out.get("output_type") if isinstance(out, dict) else None
    if kind == "stream":
        return NotebookNode(output_type="stream", name="stderr" if out.get("name") == "stderr" else "stdout",
                            text=_text(out.get("text")))
    if kind == "error":
        tb = out.get("traceback")
        return NotebookNode(output_type="error", ename=_text(out.get("ename")), evalue=_text(out.get("evalue")),
                            traceback=[t for t in tb if isinstance(t, str)] if isinstance(tb, list) else [])
    if kind in ("display_data", "execute_result"):
        data = out.get("data") if isinstance(out.get("data"), dict) else {}
        kept = NotebookNode()
        if "text/plain" in data:
            kept["text/plain"] = _text(data["text/plain"])
        for mime in ("image/png", "image/jpeg"):
            if raster_bytes(mime, _text(data.get(mime))) is not None:
                kept[mime] = "".join(_text(data[mime]).split())
        if not kept:
            dropped = ", ".join(sorted(k for k in data if isinstance(k, str)))[:200]
            kept["text/plain"] = f"[output not shown: {dropped or 'no data'}]"
        node = NotebookNode(output_type=kind, data=kept, metadata=NotebookNode())
        if kind == "execute_result":
            node["execution_count"] = _count(out.get("execution_count"))
        return node
    return None


def _attachments(att):
    out = NotebookNode()
    if not isinstance(att, dict):
        return out
    for name, bundle in att.items():
        if not isinstance(name, str) or not isinstance(bundle, dict):
            continue
        images = {m: "".join(v.split()) for m, v in bundle.items()
                  if isinstance(v, str) and raster_bytes(m, v) is not None}
        if images:
            out[name] = NotebookNode(images)
    return out


class SanitizeNotebook(Preprocessor):
    """Every student-controlled part of the notebook in a plain form (see the module docstring)."""

    def preprocess(self, nb, resources):
        resources["csp_nonce"] = secrets.token_urlsafe(18)
        meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
        kernel = meta.get("kernelspec") if isinstance(meta.get("kernelspec"), dict) else {}
        language = meta.get("language_info") if isinstance(meta.get("language_info"), dict) else {}
        clean_meta = NotebookNode()
        if isinstance(kernel.get("name"), str):
            clean_meta["kernelspec"] = NotebookNode({k: kernel[k][:100] for k in ("name", "display_name", "language")
                                                     if isinstance(kernel.get(k), str)})
        if isinstance(language.get("name"), str):
            clean_meta["language_info"] = NotebookNode(name=language["name"][:50])
        nb.metadata = clean_meta
        cells = []
        for cell in nb.get("cells") or []:
            if not isinstance(cell, dict):
                continue
            cells.append(self._cell(cell))
        nb.cells = cells
        return nb, resources

    def _cell(self, cell):
        kind = cell.get("cell_type")
        kind = kind if kind in ("code", "markdown", "raw") else "raw"
        meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        new = NotebookNode(cell_type=kind, source=_text(cell.get("source")), metadata=NotebookNode())
        cid = cell.get("id")
        new["id"] = cid if isinstance(cid, str) and _CELL_ID.fullmatch(cid) else uuid.uuid4().hex[:16]
        roles = _nbgrader_roles(meta.get("nbgrader"))
        if roles is not None:
            new.metadata["nbgrader"] = roles
        if kind == "code":
            new["execution_count"] = _count(cell.get("execution_count"))
            outs = cell.get("outputs") if isinstance(cell.get("outputs"), list) else []
            new["outputs"] = [o for o in map(_output, outs) if o is not None]
        elif kind == "markdown":
            att = _attachments(cell.get("attachments"))
            if att:
                new["attachments"] = att
            # nbconvert's Markdown renderer fails the whole page on a reference to a missing attachment.
            new["source"] = _ATTACHMENT_REF.sub(
                lambda m: m.group(0) if any(m.string.startswith(n, m.end()) for n in att) else "removed-attachment:",
                new["source"])
        return new
