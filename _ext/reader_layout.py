"""Reader-facing CSS and JavaScript: phone/desktop navigation, nothing wider than its column.

The files live in ``_ext/static`` (see the comments there for what each rule fixes) and are added
to every HTML page after the theme's own assets.
"""

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"

# reader.js keeps the class and the key in step with the ☰ button.
COLLAPSED_BEFORE_PAINT = (
    'try { if (sessionStorage.getItem("reader:primary-collapsed") === "1") '
    'document.documentElement.classList.add("reader-primary-collapsed"); } catch (e) {}'
)


def _add_static_path(app, config):
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def setup(app):
    app.connect("config-inited", _add_static_path)
    app.add_css_file("reader.css", priority=900)
    # Before the first paint (inline, so nothing to fetch): no flash of a sidebar the reader collapsed.
    app.add_js_file(None, body=COLLAPSED_BEFORE_PAINT, priority=900)
    app.add_js_file("reader.js", priority=900, defer="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
