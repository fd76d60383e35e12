"""MyST substitutions for the Homework page, derived from the course's one public address.

``tools.course`` computes every student-facing link from ``html.baseurl`` (and the public repository) in
``_config.yml``; this extension hands them to the page as substitutions, so ``book/homework.md`` writes
``{{ hw1_neurons_download }}`` instead of a hard-coded address. Because ``myst_substitutions`` is a config
value, Sphinx re-reads the pages when the address changes (no stale links from the execution cache).
"""

from pathlib import Path


def substitutions(root: Path) -> dict:
    """Name -> MyST text of every course link the Homework page shows, for the book at ``root``."""
    from tools.course import Course

    course = Course.load(root)
    subs = {
        "course_install": f"`{course.install_command}`",
        "course_wheel": f"[{course.wheel_name}]({course.site(course.wheel_path)})",
    }
    for hw in sorted(p.name for p in (root / "exercises").iterdir() if (p / f"{p.name}.ipynb").is_file()):
        path = course.homework_path(hw)
        subs[f"{hw}_download"] = f"[download]({course.site(path)})"
        subs[f"{hw}_launch"] = f"[Binder]({course.binder(path)}) · [Colab]({course.colab(path)})"
        # The Chinese release (exercises/zh_CN/<hw>/), linked from the Chinese edition's Homework page.
        if (root / "exercises" / "zh_CN" / hw / f"{hw}.ipynb").is_file():
            path = course.homework_path(hw, "zh_CN")
            subs[f"{hw}_download_zh"] = f"[下载]({course.site(path)})"
            subs[f"{hw}_launch_zh"] = f"[Binder]({course.binder(path)}) · [Colab]({course.colab(path)})"
    return subs


def _add_substitutions(app, config):
    subs = dict(getattr(config, "myst_substitutions", None) or {})
    subs.update(substitutions(Path(app.srcdir)))
    config.myst_substitutions = subs


def setup(app):
    # Before myst-nb reads its myst_* settings from the config.
    app.connect("config-inited", _add_substitutions, priority=100)
