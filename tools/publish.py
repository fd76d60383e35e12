"""Build the published course: ``python -m tools.publish`` (``make publish``) -> ``_build/publish/``.

The tree is what an instructor publishes (GitHub Pages at ``html.baseurl``, the ``gh-pages`` branch of the
public student repository); the repository holding ``solutions/`` stays private. It contains

* the book site for students (the instructor guide left out), its chapter pages also as ``book/<page>.ipynb``
  (jupytext) so that Colab and Binder open notebooks; the launch buttons are rewritten to open those;
* ``homework/<hw>/<hw>.ipynb``: the student notebooks of ``exercises/`` with a first, non-graded set-up cell
  (is the course package installed? if not, the one command that installs it) and the hand-in rules, and
  their ``../../book/*.md`` links rewritten to the chapters' public URLs; the Chinese releases of
  ``exercises/zh_CN/`` as ``homework/zh_CN/<hw>/<hw>.ipynb`` (set-up cell in Chinese, links to the Chinese
  edition's chapters), linked from the Chinese edition's Homework page;
* ``wheels/<dist>-<version>-py3-none-any.whl``: what students install (``nnlib`` and ``ffgrader.visible_tests``,
  nothing else of ``ffgrader``), built with pip;
* ``binder/`` (installs that wheel) and ``.nojekyll`` (GitHub Pages serves ``_static/`` as is).

Nothing is read from ``solutions/``. ``leaks(tree)`` lists what must never be published (solution,
hidden-test and mark-scheme markers, files named checks.py, lines of solution cells or hidden checks); the
build fails if it finds any, and tests/test_publish.py checks the same on the tree and inside the wheel.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

import yaml

from .course import ROOT, Course, rewrite_chapter_links
from .env import tool_env
from .toc import load as load_toc, pages as toc_pages

OUT = ROOT / "_build" / "publish"
# The student site is built into its own output dir (its execution cache makes rebuilds fast).
WORK = ROOT / "_build" / "publish-site"
# Book pages for instructors only: not part of the student site.
INSTRUCTOR_ONLY = ("book/appendix/instructor_guide", "book/appendix/writing_assignments")
# Pages that need the repository (performance reads bench/results/): no launch button, no .ipynb.
NOT_LAUNCHABLE = ("book/appendix/performance",)
# The student side of ffgrader (the rest is grading machinery: sandbox, runner, the check-writing API).
# (visible_tests prints its messages in the student's language: ffgrader.i18n and its catalog of those messages.)
FFGRADER_STUDENT = ("__init__.py", "visible_tests.py", "i18n.py", "catalog_zh_CN.py")
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
           "BEGIN MARK SCHEME", "END MARK SCHEME")
SETUP_IDS = ("course-setup-intro", "course-setup")


# --- the student site -----------------------------------------------------------------------------------------

def student_toc(root: Path = ROOT) -> dict:
    """The book's table of contents without the instructor-only pages."""
    toc = load_toc(root)

    def keep(entries):
        return [e for e in entries if e.get("file") not in INSTRUCTOR_ONLY]

    toc = copy.deepcopy(toc)
    for part in toc.get("parts", []):
        part["chapters"] = keep(part.get("chapters", []))
    toc["parts"] = [p for p in toc.get("parts", []) if p["chapters"]]
    return toc


def build_site(work: Path = WORK, root: Path = ROOT) -> Path:
    """jupyter-book build of the student site (warnings are errors, as in `make book`); returns its html dir."""
    from tools import i18n

    work.mkdir(parents=True, exist_ok=True)
    # Same pages, same code: start from `make book`'s execution caches instead of executing them again: the
    # English one, and the Chinese edition's own while it translates the labels drawn in figures (its
    # notebooks run with that catalog: tools/i18n.py), which `make book` executed into _build/zh.
    cache, zh_work = work / "_build" / ".jupyter_cache", work / "_build" / "zh"
    caches = {cache: root / "_build" / ".jupyter_cache"}
    if i18n.figure_catalog(zh_work) is not None:
        zh_cache = i18n.own_cache(zh_work)
        caches[zh_cache] = root / "_build" / "zh" / zh_cache.name
    for ours, book in caches.items():
        if not ours.exists() and book.is_dir():
            shutil.copytree(book, ours)
    toc_file = work / "_toc.yml"
    toc_file.write_text(yaml.safe_dump(student_toc(root), sort_keys=False), encoding="utf-8")
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(root), "--builder", "html",
           "-W", "-n", "--keep-going", "--toc", str(toc_file), "--path-output", str(work)]
    env = tool_env()
    if "MPLBACKEND" not in os.environ:  # as in `make book`: the kernels' inline backend draws the figures
        env.pop("MPLBACKEND", None)
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"student site build failed (rc={proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    # The Chinese edition of the same student pages into html/zh: every page's language switch leads there.
    if i18n.build_edition(work / "_build" / "html", zh_work, toc=toc_file, cache=cache):
        raise RuntimeError("the Chinese edition of the student site did not build (see the output above)")
    return work / "_build" / "html"


_BINDER_BUTTON = re.compile(r'href="https://mybinder\.org/v2/gh/[^"?]+\?urlpath=lab/tree/(?:\./)?([^"]+?)\.(?:md|ipynb)"')
_COLAB_BUTTON = re.compile(r'href="https://colab\.research\.google\.com/github/[^"]+?/blob/[^/"]+/(?:\./)?([^"]+?)\.(?:md|ipynb)"')


_LAUNCH_MENU = re.compile(r'<div class="dropdown dropdown-launch-buttons">.*?</ul>\s*</div>', re.S)


def rewrite_launch_buttons(html: str, course: Course, launchable: bool = True) -> str:
    """The theme's Binder/Colab buttons open ``<page>.md`` of the source branch (Colab cannot open .md, and the
    source repository is private): point them at ``<page>.ipynb`` of the published branch, or drop them."""
    if not launchable:
        return _LAUNCH_MENU.sub("", html)
    html = _BINDER_BUTTON.sub(lambda m: f'href="{course.binder(m.group(1) + ".ipynb")}"', html)
    return _COLAB_BUTTON.sub(lambda m: f'href="{course.colab(m.group(1) + ".ipynb")}"', html)


# --- notebooks ------------------------------------------------------------------------------------------------

def setup_cells(course: Course, handin_name: str | None, lang: str = "en") -> list[dict]:
    """The two cells put first in every published notebook (no nbgrader metadata: not graded, not locked);
    in the language of the release (``lang``: "en" or "zh_CN")."""
    if lang != "en":
        return _setup_cells_zh(course, handin_name)
    intro = ["**Before you start:** run the next cell. It checks that the course package "
             f"(`{course.dist}`: `nnlib` and the test helpers `ffgrader`) is installed, and if it is not, prints "
             "the one command that installs it.\n"]
    if handin_name:
        intro += [
            "\n",
            f"**How to hand in** ([details]({course.chapter('book/homework', 'how-to-hand-in')})): keep the file "
            f"name `{handin_name}` and hand in this notebook itself; do not copy, delete or move cells (the grader "
            "finds your answers by their hidden cell IDs; cells you add run at grading too); before submitting, *Kernel → Restart & Run All* and "
            "*Validate*, and fix what they report (a part you leave out shows its `NotImplementedError`); then submit it on the course hub (*Assignments → Submit*) or "
            "upload this `.ipynb` file to the assignment of the same name in your course's learning platform.\n",
        ]
    # Plain code only: the grader runs cells it does not know (like this one) in its sandboxes too, the by-hand
    # worker without SymPy's calculus included.
    code = [
        "# Course set-up check (changes nothing): is the course package installed?\n",
        "try:\n",
        "    import ffgrader.visible_tests, nnlib.network  # both come with the course package\n",
        "    print('The course package is installed: go on with the next cell.')\n",
        "except Exception as _problem:  # noqa: BLE001 - whatever it is, the fix is the same\n",
        "    print(f'The course package is not installed ({type(_problem).__name__}: {_problem}).\\n'\n",
        "          'Run this command in a new cell, then run this notebook from the top:\\n\\n'\n",
        f"          '    %{course.install_command}')\n",
    ]
    return [
        {"cell_type": "markdown", "id": SETUP_IDS[0], "metadata": {"tags": ["course-setup"]}, "source": intro},
        {"cell_type": "code", "id": SETUP_IDS[1], "metadata": {"tags": ["course-setup"]}, "execution_count": None,
         "outputs": [], "source": code},
    ]


def _setup_cells_zh(course: Course, handin_name: str | None) -> list[dict]:
    """The set-up cells of a Chinese release: the same checks and rules in Chinese; the code cell also tells
    the visible tests to speak Chinese (``FFNN_LANG``: Colab and Binder do not say which notebook runs)."""
    intro = ["**开始之前：** 先运行下一个单元格。它检查课程软件包"
             f"（`{course.dist}`：`nnlib` 和测试辅助工具 `ffgrader`）是否已安装；如果没有安装，它会打印出安装它的那一条命令。\n"]
    if handin_name:
        intro += [
            "\n",
            f"**如何提交**（[详细说明]({course.chapter('book/homework', 'how-to-hand-in', 'zh_CN')})）：保持文件名 "
            f"`{handin_name}` 不变，提交这个笔记本本身；不要复制、删除或移动单元格（copy, delete or move cells：评分程序"
            "靠隐藏的单元格 ID 找到你的答案；你添加的单元格在评分时也会运行）；提交之前执行 *Kernel → Restart & Run All* 和 "
            "*Validate*，并改正它们报告的问题（你没有做的小题会显示它的 `NotImplementedError`）；然后在课程的 hub 上提交"
            "（*Assignments → Submit*），或者把这个 `.ipynb` 文件 upload（上传）到你的课程学习平台上同名的作业中。\n",
        ]
    code = [
        "# 课程环境检查（不改变任何东西）：课程软件包是否已安装？可见测试的提示信息使用中文。\n",
        "import os\n",
        "os.environ['FFNN_LANG'] = 'zh_CN'\n",
        "try:\n",
        "    import ffgrader.visible_tests, nnlib.network  # both come with the course package\n",
        "    print('课程软件包已安装：请继续运行下一个单元格。')\n",
        "except Exception as _problem:  # noqa: BLE001 - whatever it is, the fix is the same\n",
        "    print(f'课程软件包没有安装（{type(_problem).__name__}: {_problem}）。\\n'\n",
        "          '请在一个新单元格中运行下面的命令，然后从头运行这个笔记本：\\n\\n'\n",
        f"          '    %{course.install_command}')\n",
    ]
    return [
        {"cell_type": "markdown", "id": SETUP_IDS[0], "metadata": {"tags": ["course-setup"]}, "source": intro},
        {"cell_type": "code", "id": SETUP_IDS[1], "metadata": {"tags": ["course-setup"]}, "execution_count": None,
         "outputs": [], "source": code},
    ]


def _sources(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def publish_notebook(nb: dict, course: Course, handin_name: str | None, lang: str = "en") -> dict:
    """A copy of ``nb`` with the set-up cells first and the chapter links made public (to the chapters of
    the edition in the release's language)."""
    nb = copy.deepcopy(nb)
    cells = [c for c in nb["cells"] if c.get("id") not in SETUP_IDS]  # idempotent
    for cell in cells:
        if cell["cell_type"] == "markdown":
            cell["source"] = rewrite_chapter_links(_sources(cell), course, lang)
    nb["cells"] = setup_cells(course, handin_name, lang) + cells
    nb["nbformat"], nb["nbformat_minor"] = 4, max(5, nb.get("nbformat_minor", 5))  # cell ids need 4.5
    return nb


def write_notebook(nb: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def homework_names(root: Path = ROOT) -> list[str]:
    ex = root / "exercises"
    return sorted(p.name for p in ex.iterdir() if (p / f"{p.name}.ipynb").is_file())


def publish_homework(out: Path, course: Course, root: Path = ROOT) -> list[Path]:
    """Every release of every assignment (``exercises/<hw>/`` and, where it exists, the Chinese one of
    ``exercises/zh_CN/<hw>/``) into ``homework/`` (``Course.homework_path``)."""
    from .assignments import RELEASES

    written = []
    for lang, release in RELEASES.items():
        for name in homework_names(root):
            src_dir = root / release / name
            if src_dir.is_dir():
                written += _publish_release(out, course, src_dir, name, lang)
    return written


def _publish_release(out: Path, course: Course, src_dir: Path, name: str, lang: str) -> list[Path]:
    written = []
    for f in sorted(src_dir.rglob("*")):
        if not f.is_file() or "__pycache__" in f.parts or ".ipynb_checkpoints" in f.parts:
            continue
        target = out / Path(course.homework_path(name, lang)).parent / f.relative_to(src_dir)
        if f.suffix == ".ipynb":
            nb = json.loads(f.read_text(encoding="utf-8"))
            write_notebook(publish_notebook(nb, course, handin_name=f.name, lang=lang), target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)
        written.append(target)
    return written


def publish_chapters(out: Path, course: Course, toc: dict, root: Path = ROOT) -> list[Path]:
    """``book/<page>.md`` (MyST notebooks) -> ``<out>/book/<page>.ipynb`` for the launch buttons."""
    import jupytext

    written = []
    for doc in toc_pages(toc):
        src = root / f"{doc}.md"
        if not src.is_file() or doc in NOT_LAUNCHABLE:
            continue
        nb = json.loads(jupytext.writes(jupytext.read(src), fmt="ipynb"))
        # jupytext draws random cell ids: number them instead, so that an unchanged page publishes the same file
        for i, cell in enumerate(nb["cells"]):
            cell["id"] = f"cell-{i}"
        target = out / f"{doc}.ipynb"
        write_notebook(publish_notebook(nb, course, handin_name=None), target)
        written.append(target)
    return written


# --- the wheel ------------------------------------------------------------------------------------------------

def build_wheel(dest: Path, course: Course, root: Path = ROOT) -> Path:
    """pip wheel of the student package, staged from an explicit list of files (never the whole checkout)."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    packages = [p for p in project["tool"]["setuptools"]["packages"] if p.split(".")[0] == "nnlib"]
    with tempfile.TemporaryDirectory(prefix="ffnn-wheel-") as tmp:
        stage = Path(tmp) / "src"
        for pkg in packages:
            src = root / pkg.replace(".", "/")
            target = stage / pkg.replace(".", "/")
            target.mkdir(parents=True, exist_ok=True)
            for f in sorted(src.glob("*.py")):
                shutil.copy2(f, target / f.name)
        (stage / "ffgrader").mkdir()
        for name in FFGRADER_STUDENT:
            shutil.copy2(root / "ffgrader" / name, stage / "ffgrader" / name)
        meta = project["project"]
        deps = ", ".join(json.dumps(d) for d in meta["dependencies"])
        (stage / "README.md").write_text(
            f"# {meta['name']}\n\nThe course package of *Feedforward Neural Networks* ({course.url}): the reference "
            "library `nnlib` and the visible-test helpers `ffgrader.visible_tests` of the homework notebooks.\n",
            encoding="utf-8")
        (stage / "pyproject.toml").write_text(
            '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
            f'[project]\nname = "{meta["name"]}"\nversion = "{meta["version"]}"\n'
            f'description = "{meta["description"]}"\nreadme = "README.md"\n'
            f'requires-python = "{meta["requires-python"]}"\ndependencies = [{deps}]\n\n'
            f'[project.urls]\nHomepage = "{course.url}"\n\n'
            f'[tool.setuptools]\npackages = {json.dumps(packages + ["ffgrader"])}\n',
            encoding="utf-8")
        dest.mkdir(parents=True, exist_ok=True)
        # --no-build-isolation: the venv's setuptools builds it (no download); --no-deps: only this wheel.
        cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps",
               "--no-build-isolation", "-w", str(dest), str(stage)]
        proc = subprocess.run(cmd, env=tool_env(), capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"pip wheel failed (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    wheel = dest / course.wheel_name
    if not wheel.is_file():
        raise RuntimeError(f"pip wheel did not write {wheel.name}; found {[p.name for p in dest.iterdir()]}")
    return wheel


# --- what must never be published -----------------------------------------------------------------------------

def _solution_regions(text: str) -> list[str]:
    lines, inside, found = text.splitlines(), False, []
    for line in lines:
        if "BEGIN SOLUTION" in line or "BEGIN HIDDEN TESTS" in line or "BEGIN MARK SCHEME" in line:
            inside = True
        elif "END SOLUTION" in line or "END HIDDEN TESTS" in line or "END MARK SCHEME" in line:
            inside = False
        elif inside:
            found.append(line)
    return found


def _public_lines(root: Path) -> set[str]:
    """Lines published on purpose: the book's pages and the student package's code (a reference
    implementation shares lines such as ``z = X @ W.T + b`` with a solution)."""
    files = [p for p in (root / "book").rglob("*.md")] + list((root / "nnlib").rglob("*.py")) + \
        [root / "ffgrader" / n for n in FFGRADER_STUDENT]
    return {line.strip() for f in files if f.is_file() for line in f.read_text(encoding="utf-8").splitlines()}


def secret_lines(root: Path = ROOT, min_len: int = 12) -> set[str]:
    """Distinctive lines of the instructor's material: solution / hidden-test / mark-scheme regions of the
    solutions' notebooks and every line of the hidden checks (``solutions/*/checks.py``), minus lines that
    are short or also in what is published on purpose."""
    secret = set()
    for nb_path in (root / "solutions").glob("*/*.ipynb"):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            src = _sources(cell)
            region = _solution_regions(src)
            # a solution cell without markers is a solution as a whole
            if meta.get("solution") and not region and "BEGIN SOLUTION" not in src:
                region = src.splitlines()
            secret.update(region)
    for checks in (root / "solutions").glob("*/checks.py"):
        secret.update(checks.read_text(encoding="utf-8").splitlines())
    public = _public_lines(root)
    return {s.strip() for s in secret
            if len(s.strip()) >= min_len and not s.strip().startswith("#") and s.strip() not in public}


def _texts(tree: Path):
    """(name, text) of every text file of the tree, and of every file inside its wheels."""
    for f in sorted(tree.rglob("*")):
        if not f.is_file():
            continue
        rel = str(f.relative_to(tree))
        if f.suffix == ".whl":
            with zipfile.ZipFile(f) as z:
                for info in z.infolist():
                    yield f"{rel}!{info.filename}", z.read(info).decode("utf-8", "replace")
            continue
        data = f.read_bytes()
        if b"\0" in data[:4096]:  # images, fonts
            continue
        yield rel, data.decode("utf-8", "replace")


def leaks(tree: Path, root: Path = ROOT) -> list[str]:
    """What of the instructor's material is in ``tree`` (must be empty)."""
    secret = secret_lines(root)
    problems = []
    for name, text in _texts(tree):
        if Path(name.split("!")[-1]).name == "checks.py":
            problems.append(f"{name}: a checks.py file (hidden checks are never published)")
        if "solutions/" in name.split("!")[-1] or name.startswith("solutions"):
            problems.append(f"{name}: a file from solutions/")
        for marker in MARKERS:
            if marker in text:
                problems.append(f"{name}: contains {marker!r}")
        if secret:
            for line in text.splitlines():
                if line.strip() in secret:
                    problems.append(f"{name}: contains a line of the instructor's solutions: {line.strip()[:60]!r}")
    return problems


# --- the whole tree -------------------------------------------------------------------------------------------

def build(out: Path = OUT, site: Path | None = None, work: Path = WORK, root: Path = ROOT) -> Path:
    """Write the published tree into ``out`` (replaced). ``site``: an already built student site to reuse;
    otherwise it is built with ``work`` as jupyter-book's output dir."""
    course = Course.load(root)
    toc = student_toc(root)
    site = site or build_site(work, root)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(site, out, ignore=shutil.ignore_patterns(".buildinfo", ".doctrees"))
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        doc = page.relative_to(out).with_suffix("").as_posix()
        # the Chinese edition's page (zh/...) launches the English page's notebook (the same code)
        new = rewrite_launch_buttons(text, course, launchable=doc.removeprefix("zh/") not in NOT_LAUNCHABLE)
        if new != text:
            page.write_text(new, encoding="utf-8")
    publish_chapters(out, course, toc, root)
    publish_homework(out, course, root)
    build_wheel(out / Path(course.wheel_path).parent, course, root)
    shutil.copytree(root / "binder", out / "binder")
    (out / ".nojekyll").write_text("", encoding="utf-8")
    problems = leaks(out, root)
    if problems:
        raise RuntimeError("the published tree holds instructor material:\n" + "\n".join(problems[:40]))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.publish", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--site", type=Path, default=None, help="reuse this built student site (html dir)")
    parser.add_argument("--work", type=Path, default=WORK, help="jupyter-book output dir of the student site")
    args = parser.parse_args(argv)
    out = build(args.out, args.site, args.work)
    course = Course.load()
    print(f"published course in {out} (for {course.url}); students install it with: {course.install_command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
