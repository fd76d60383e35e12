"""The published course's addresses, all derived from ONE place: ``html.baseurl`` in ``_config.yml``.

``make publish`` builds ``_build/publish/`` (the student site, notebooks, the wheel, Binder files). An
instructor pushes that tree to the branch ``PUBLISHED_BRANCH`` of the public student repository
(``repository.url``) and serves it with GitHub Pages at ``html.baseurl``; the repository holding
``solutions/`` stays private. Every student-facing link is computed here: downloads, the install command,
notebook-to-chapter links, Binder and Colab (both open files of the published branch).

Imported by ``tools.publish`` and by the book's ``course_links`` Sphinx extension (the Homework page), so
the page and the published notebooks cannot disagree.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import yaml

ROOT = Path(__file__).resolve().parent.parent
# The branch of the public repository that holds the published tree (GitHub Pages' convention).
PUBLISHED_BRANCH = "gh-pages"
# Where things live inside the published tree (= the site's root).
HOMEWORK_DIR = "homework"
WHEEL_DIR = "wheels"
BINDER = "https://mybinder.org/v2/gh"
COLAB = "https://colab.research.google.com/github"


@dataclass(frozen=True)
class Course:
    url: str            # the site's public address, ending in "/"
    repository: str     # "owner/name" of the public student repository on GitHub
    dist: str           # the distribution name students install (import names: nnlib, ffgrader)
    version: str

    @classmethod
    def load(cls, root: Path = ROOT) -> "Course":
        config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
        url = (config.get("html") or {}).get("baseurl")
        if not isinstance(url, str) or not re.fullmatch(r"https://[^\s/]+(/[^\s]*)?", url):
            raise ValueError(f"_config.yml: html.baseurl must be the course's public https address, got {url!r}")
        repo_url = (config.get("repository") or {}).get("url", "")
        m = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?/?", repo_url)
        if not m:
            raise ValueError(f"_config.yml: repository.url must be https://github.com/<owner>/<name> "
                             f"(Binder and Colab open the published branch there), got {repo_url!r}")
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        return cls(url=url.rstrip("/") + "/", repository=m.group(1), dist=project["name"],
                   version=project["version"])

    # --- files of the published tree -------------------------------------------------------------
    @property
    def wheel_name(self) -> str:
        """The wheel's file name (PEP 427: the distribution name normalized with underscores)."""
        return f"{re.sub(r'[-_.]+', '_', self.dist).lower()}-{self.version}-py3-none-any.whl"

    @property
    def wheel_path(self) -> str:
        return f"{WHEEL_DIR}/{self.wheel_name}"

    @staticmethod
    def homework_path(name: str, lang: str = "en") -> str:
        """Its own folder, like exercises/<hw>/; the Chinese release like exercises/zh_CN/<hw>/ (same file
        name: students hand in <hw>.ipynb whatever the language)."""
        return f"{HOMEWORK_DIR}/{name}/{name}.ipynb" if lang == "en" else f"{HOMEWORK_DIR}/{lang}/{name}/{name}.ipynb"

    # --- public addresses ---------------------------------------------------------------------------
    def site(self, path: str) -> str:
        """The public URL of a file of the published tree (``path`` relative to its root)."""
        return self.url + path.lstrip("/")

    def chapter(self, docname: str, anchor: str = "", lang: str = "en") -> str:
        """The public URL of a book page, e.g. ``chapter("book/xor")``; ``lang="zh_CN"``: the page of the
        Chinese edition (served from ``zh/``)."""
        edition = "" if lang == "en" else "zh/"
        return self.site(f"{edition}{docname}.html") + (f"#{anchor}" if anchor else "")

    def binder(self, path: str) -> str:
        return f"{BINDER}/{self.repository}/{PUBLISHED_BRANCH}?labpath={quote(path, safe='')}"

    def colab(self, path: str) -> str:
        return f"{COLAB}/{self.repository}/blob/{PUBLISHED_BRANCH}/{path}"

    @property
    def install_command(self) -> str:
        """The one command that installs what students need (works in a notebook cell, Colab included)."""
        return f"pip install {self.site(self.wheel_path)}"


_CHAPTER_LINK = re.compile(r"\]\((?:\.\./)+(book/[\w/-]+)\.(?:md|ipynb)(?:#([\w-]+))?\)")


def rewrite_chapter_links(text: str, course: Course, lang: str = "en") -> str:
    """``](../../book/xor.md#anchor)`` (valid only in a checkout) -> the chapter's public URL (in the edition
    of ``lang``)."""
    return _CHAPTER_LINK.sub(lambda m: f"]({course.chapter(m.group(1), m.group(2) or '', lang)})", text)
