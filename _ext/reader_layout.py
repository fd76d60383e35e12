"""Reader-facing CSS and JavaScript: phone/desktop navigation, nothing wider than its column.

The files live in ``_ext/static`` (see the comments there for what each rule fixes) and are added
to every HTML page after the theme's own assets.
"""

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"


def _add_static_path(app, config):
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def setup(app):
    app.connect("config-inited", _add_static_path)
    app.add_css_file("reader.css", priority=900)
    # Not deferred: it marks a collapsed sidebar on <html> before the first paint.
    app.add_js_file("reader.js", priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
