"""Small Sphinx fixes so the built book runs with no JavaScript console errors.

sphinx-thebe registers its inline configuration script once per read phase, and Jupyter Book
runs that phase twice, so every page declared ``const THEBE_JS_URL`` twice (an uncaught
SyntaxError in the browser). We drop exact duplicates from each page's script list.
"""


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # Same file and same attributes is the same script, whatever priority it was added with.
        key = (getattr(script, "filename", str(script)) or "", tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique  # in place: it is the builder's own list


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=999)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
