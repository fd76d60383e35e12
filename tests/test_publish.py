"""The published course (``make publish`` -> ``_build/publish/``) works from the published tree alone.

The tree is built once per module (into a temporary directory; the student site's jupyter-book output
dir ``_build/publish-site`` keeps its cache, so a build after ``make publish`` re-executes nothing). Then,
with no checkout involved: nothing of ``solutions/`` is in it (the files, the wheel's contents), every
homework link resolves to a file of the tree, the launch buttons open notebooks, and in a fresh virtual
environment with only the published wheel installed, every downloaded notebook runs with only the
expected "not implemented yet" errors, and with the solution's answer cells pasted in, every visible test
passes.

FFNN_PUBLISH_SITE=<html dir> reuses an already built student site (quick loop while editing).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path
from urllib.parse import unquote, urldefrag

import pytest
from html_helpers import anchors

from tools import publish, toc, wheelhouse
from tools.course import Course
from tools.env import ONE_BLAS_THREAD

ROOT = Path(__file__).resolve().parent.parent
# What runs the notebooks in the student's venv, besides the course wheel.
RUNNER = ("nbclient", "ipykernel")

pytestmark = pytest.mark.xdist_group("publish")

COURSE = Course.load()
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN MARK SCHEME",
           "END MARK SCHEME")


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    site = os.environ.get("FFNN_PUBLISH_SITE")
    out = tmp_path_factory.mktemp("published") / "site"
    return publish.build(out, site=Path(site) if site else None)


parse = anchors  # ids and hrefs of one HTML file (tests/html_helpers.py)


def cell_text(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def resolve(tree: Path, url: str) -> Path:
    """The file of the tree a public link points at; Binder and Colab links name a file of the published
    branch of the public repository (= the tree). Fails for any other address."""
    repo, branch = COURSE.repository, publish_branch()
    url = urldefrag(url)[0]
    if url.startswith(COURSE.url):
        rel = url[len(COURSE.url):]
    elif url.startswith(f"https://mybinder.org/v2/gh/{repo}/{branch}?labpath="):
        rel = unquote(url.split("?labpath=", 1)[1])
    elif url.startswith(f"https://colab.research.google.com/github/{repo}/blob/{branch}/"):
        rel = url.split(f"/blob/{branch}/", 1)[1]
    else:
        raise AssertionError(f"{url} is neither on the course site {COURSE.url} nor a launch of its branch")
    return tree / unquote(rel)


def publish_branch() -> str:
    from tools.course import PUBLISHED_BRANCH
    return PUBLISHED_BRANCH


def downloads(tree: Path) -> list[Path]:
    """The homework notebooks, found as a student finds them: the Homework page's download links."""
    page = parse(tree / "book" / "homework.html")
    found = [resolve(tree, h) for h in page.hrefs if h.endswith(".ipynb") and h.startswith(COURSE.url)]
    assert found, "the Homework page has no download link"
    return found


def scan(tree: Path) -> list[str]:
    """Instructor material found in the tree, the wheel unzipped (independent of tools.publish.leaks)."""
    secret = set()
    for nb_path in (ROOT / "solutions").glob("*/*.ipynb"):
        for cell in json.loads(nb_path.read_text(encoding="utf-8"))["cells"]:
            inside = False
            for line in cell_text(cell).splitlines():
                if any(m.startswith("BEGIN") and m in line for m in MARKERS):
                    inside = True
                elif any(m.startswith("END") and m in line for m in MARKERS):
                    inside = False
                elif inside:
                    secret.add(line.strip())
    for checks in (ROOT / "solutions").glob("*/checks.py"):
        secret.update(line.strip() for line in checks.read_text(encoding="utf-8").splitlines())
    # Lines published on purpose (the book, the student package's own code) are not a leak.
    public = {line.strip() for f in [*(ROOT / "book").rglob("*.md"), *(ROOT / "nnlib").rglob("*.py"),
                                     *(ROOT / "ffgrader" / n for n in publish.FFGRADER_STUDENT)]
              for line in f.read_text(encoding="utf-8").splitlines()}
    secret = {s for s in secret if len(s) >= 12 and not s.startswith("#") and s not in public}
    assert len(secret) > 50, "too few solution lines found: is solutions/ where the test expects it?"

    found = []

    def check(name: str, text: str):
        if Path(name).name == "checks.py" or "solutions/" in name:
            found.append(f"{name}: instructor file")
        found.extend(f"{name}: {m!r}" for m in MARKERS if m in text)
        found.extend(f"{name}: solution line {line.strip()[:50]!r}" for line in text.splitlines()
                     if line.strip() in secret)

    for f in tree.rglob("*"):
        if f.suffix == ".whl":
            with zipfile.ZipFile(f) as z:
                for n in z.namelist():
                    check(f"{f.name}!{n}", z.read(n).decode("utf-8", "replace"))
        elif f.is_file() and b"\0" not in f.read_bytes()[:4096]:
            check(str(f.relative_to(tree)), f.read_text(encoding="utf-8", errors="replace"))
    return found


# --- nothing of solutions/ -------------------------------------------------------------------------------

def test_nothing_from_solutions_in_the_tree_or_the_wheel(tree):
    assert scan(tree) == []


def test_the_scan_finds_a_planted_solution(tree, tmp_path):
    """The scan above can fail: a copy of the tree with one solution notebook planted in it is caught."""
    planted = tmp_path / "planted"
    shutil.copytree(tree / "homework", planted / "homework")
    name = sorted((ROOT / "solutions").glob("*/*.ipynb"))[0]
    nb = json.loads(name.read_text(encoding="utf-8"))
    body = next(c for c in nb["cells"] if "BEGIN SOLUTION" in cell_text(c))
    lines = [line for line in cell_text(body).splitlines() if "SOLUTION" not in line]
    target = planted / "homework" / "extra.py"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")  # the code only, without the markers
    found = scan(planted)
    assert found and all("extra.py" in f for f in found), found


def test_wheel_is_the_student_package(tree):
    wheels = list((tree / "wheels").glob("*.whl"))
    assert [w.name for w in wheels] == [COURSE.wheel_name]
    with zipfile.ZipFile(wheels[0]) as z:
        names = z.namelist()
        meta = z.read(f"{COURSE.wheel_name.split('-py3')[0]}.dist-info/METADATA").decode()
    assert f"Name: {COURSE.dist}\n" in meta and COURSE.dist != "nnlib"  # nnlib on PyPI is another project
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"nnlib", "ffgrader"}, top
    # the visible tests and their messages in Chinese; never the grader's catalog (the hidden checks' messages)
    assert sorted(n for n in names if n.startswith("ffgrader/")) == [
        "ffgrader/__init__.py", "ffgrader/catalog_zh_CN.py", "ffgrader/i18n.py", "ffgrader/visible_tests.py"]
    assert "nnlib/layers.py" in names and "nnlib/activations/__init__.py" in names
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert all(f"Requires-Dist: {d}" in meta for d in deps), meta


# --- links ---------------------------------------------------------------------------------------------------

def test_every_homework_link_resolves_to_a_file_of_the_tree(tree):
    page = parse(tree / "book" / "homework.html")
    course_links = [h for h in page.hrefs if h.startswith(COURSE.url) or "mybinder.org" in h or "colab." in h]
    for nb in downloads(tree):
        notebook = json.loads(nb.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            course_links += re.findall(r"\]\((https?://[^)\s]+)\)", cell_text(cell))
            assert "../book/" not in cell_text(cell), f"{nb.name}: a link that only works in a checkout"
    n_hw = len(publish.homework_names())
    assert len(course_links) >= 4 * n_hw, course_links  # download, Binder, Colab, chapter link(s) each
    for url in course_links:
        target = resolve(tree, url)
        assert target.is_file(), f"{url} -> {target.relative_to(tree)} is not in the published tree"
        anchor = urldefrag(url)[1]
        if anchor:
            assert anchor in parse(target).ids, f"{url}: no id {anchor!r} in {target.name}"
    # the install command: one command, pointing at the wheel of the tree
    text = (tree / "book" / "homework.html").read_text(encoding="utf-8")
    wheel_url = COURSE.site(COURSE.wheel_path)
    assert wheel_url in text and resolve(tree, wheel_url).is_file()


def test_launch_buttons_open_notebooks_of_the_tree(tree):
    launched = {}
    for page in tree.rglob("*.html"):
        doc = page.relative_to(tree).with_suffix("").as_posix()
        # The Chinese edition's pages (zh/) launch the same notebook as the English page: code and outputs
        # are shared, only the page's prose is translated.
        notebook = doc.removeprefix("zh/")
        for href in parse(page).hrefs:
            if href.startswith(("https://mybinder.org/v2/", "https://colab.research.google.com/github/")):
                target = resolve(tree, href)
                if target.is_relative_to(tree / "homework"):
                    continue  # the Homework page's table: checked with the other homework links
                assert target == tree / f"{notebook}.ipynb" and target.is_file(), f"{page.name}: {href}"
                json.loads(target.read_text(encoding="utf-8"))  # a notebook Colab can open
                launched.setdefault(doc, []).append(href.split("/")[2])
    pages = [d for d in toc.pages(publish.student_toc()) if (ROOT / f"{d}.md").is_file()]
    expected = {d: ["mybinder.org", "colab.research.google.com"] for d in pages if d not in publish.NOT_LAUNCHABLE}
    expected |= {f"zh/{d}": buttons for d, buttons in expected.items()}
    assert launched == expected  # Binder + Colab on every page (both editions) that can run from the wheel


def test_binder_installs_the_published_wheel(tree):
    commands = [line for line in (tree / "binder" / "postBuild").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    # Binder builds the published tree: no editable install of a checkout, nothing named solutions
    assert not [c for c in commands if re.search(r"(-e|--editable)\s|solutions", c)], commands
    installs = [p for c in commands for p in re.findall(r"pip install --no-deps (\S+)", c)]
    assert installs and all(len(list(tree.glob(p))) == 1 for p in installs), installs
    reqs = {re.split(r"[<>=!~ ]", line)[0] for line in (tree / "binder" / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")}
    deps = {re.split(r"[<>=!~ ]", d)[0] for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    assert deps <= reqs, f"binder/requirements.txt lacks {deps - reqs}"
    assert os.access(tree / "binder" / "postBuild", os.X_OK)


# --- the notebooks: set-up cell, hand-in rules ---------------------------------------------------------------

def test_homework_notebooks_are_the_exercises_with_a_setup_cell_first(tree):
    for nb_path in downloads(tree):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        original = json.loads((ROOT / "exercises" / nb_path.parent.name / nb_path.name).read_text(encoding="utf-8"))
        intro, setup = nb["cells"][:2]
        assert "nbgrader" not in intro["metadata"] and "nbgrader" not in setup["metadata"]
        assert intro["cell_type"] == "markdown" and setup["cell_type"] == "code"
        # every cell of the exercise, in order, with its nbgrader metadata untouched
        assert [c["metadata"] for c in nb["cells"][2:]] == [c["metadata"] for c in original["cells"]]
        assert [c.get("id") for c in nb["cells"][2:]] == [c.get("id") for c in original["cells"]]
        text = cell_text(intro)
        for needed in (f"`{nb_path.name}`", "copy, delete", "Validate", "Restart & Run All", "hub", "upload"):
            assert needed in text, f"{nb_path.name}: the hand-in note does not say {needed!r}"


def test_setup_cell_prints_the_install_command_when_the_package_is_missing(tree):
    setup = cell_text(json.loads(downloads(tree)[0].read_text(encoding="utf-8"))["cells"][1])
    # -I -S: no site-packages, so no course package (and no checkout on sys.path)
    out = subprocess.run([sys.executable, "-I", "-S", "-c", setup], capture_output=True, text=True, check=True).stdout
    assert "not installed" in out
    commands = [line.strip() for line in out.splitlines() if "pip install" in line]
    assert commands == [f"%{COURSE.install_command}"], out
    assert resolve(tree, commands[0].split()[-1]).is_file()


def test_homework_page_says_how_to_hand_in(tree):
    page = tree / "book" / "homework.html"
    assert "how-to-hand-in" in parse(page).ids
    text = re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8"))
    section = text[text.index("How to hand in"):]
    for needed in ("file name", "copy, delete", "Validate", "Submit", "LMS"):
        assert needed in section, needed


def test_no_instructor_page_in_the_student_site(tree):
    assert (tree / "zh" / "index.html").exists(), "the Chinese edition of the student site is missing"
    for site in (tree, tree / "zh"):
        for doc in publish.INSTRUCTOR_ONLY:
            assert not (site / f"{doc}.html").exists()
            assert doc.rsplit("/", 1)[-1] not in (site / "searchindex.js").read_text(encoding="utf-8")


# --- a student's machine: a clean venv, the wheel, the downloaded notebooks -----------------------------------

DRIVER = textwrap.dedent("""
    import json, sys
    import nbformat
    from nbclient import NotebookClient

    report = {}
    for path in sys.argv[1:]:
        nb = nbformat.read(path, as_version=4)
        # where the kernel's course package comes from (appended by the driver, not part of the notebook):
        # inside the kernel's prefix, which is this venv (printed relative to it: the same text in every run)
        nb.cells.append(nbformat.v4.new_code_cell(
            "import nnlib, ffgrader.visible_tests, sys, pathlib\\n"
            f"print('prefix is the venv:', sys.prefix == {sys.prefix!r})\\n"
            "print(pathlib.Path(nnlib.__file__).relative_to(sys.prefix))\\n"
            "print(pathlib.Path(ffgrader.visible_tests.__file__).relative_to(sys.prefix))"))
        NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(__import__("pathlib").Path(path).parent)}}).execute()
        cells = []
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            errors = [{"ename": o.ename, "evalue": o.evalue} for o in cell.outputs if o.output_type == "error"]
            text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            grade = cell.metadata.get("nbgrader", {})
            cells.append({"grade_id": grade.get("grade_id"), "answer": bool(grade.get("solution")),
                          "tags": list(cell.metadata.get("tags", [])),
                          "test": bool(grade.get("grade")) and not grade.get("solution"),
                          "errors": errors, "text": text})
        report[path] = cells
    print(json.dumps(report))
""")


@pytest.fixture(scope="module")
def student_env(tree, tmp_path_factory):
    """A fresh venv (no checkout, no project venv) with the published wheel and a notebook runner: the
    wheel installed into it, what its metadata requires from the dependencies environment tools.wheelhouse
    builds once per machine (pip check passes)."""
    base = tmp_path_factory.mktemp("student")
    venv = base / "venv"
    py = wheelhouse.student_venv(venv, tree / COURSE.wheel_path, extra=RUNNER)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "JUPYTER"))}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}/usr/bin:/bin", HOME=str(base / "home"), MPLBACKEND="Agg",
               **ONE_BLAS_THREAD)
    (base / "home").mkdir()
    (base / "driver.py").write_text(DRIVER, encoding="utf-8")
    # What a run of a notebook depends on besides the notebook itself: the wheel's files, the dependencies
    # environment, the driver and the interpreter (see run_notebooks).
    with zipfile.ZipFile(tree / COURSE.wheel_path) as z:
        files = {n: hashlib.sha256(z.read(n)).hexdigest() for n in sorted(z.namelist()) if "dist-info/RECORD" not in n}
    inputs = json.dumps([files, wheelhouse.requirements_of(tree / COURSE.wheel_path), RUNNER, DRIVER, sys.version])
    return base, py, env, hashlib.sha256(inputs.encode()).hexdigest()


# A run is remembered (in the user's cache, see tools/wheelhouse.py) under a key of everything it depends on:
# a notebook runs again only when it or the wheel, the dependencies, the driver or Python changed. Runs that
# ended in an error of the machine rather than of the notebook are not remembered.
NOT_REMEMBERED = {"MemoryError", "KeyboardInterrupt", "DeadKernelError", "CellTimeoutError", "TimeoutError"}


def run_notebooks(student_env, notebooks: list[Path]) -> dict:
    base, py, env, inputs = student_env
    cache = wheelhouse.cache_dir() / "notebook-runs"
    keys = {str(nb): hashlib.sha256((inputs + nb.read_text(encoding="utf-8")).encode()).hexdigest()
            for nb in notebooks}
    report, todo = {}, []
    for nb in notebooks:
        remembered = cache / f"{keys[str(nb)]}.json"
        if remembered.is_file():
            report[str(nb)] = json.loads(remembered.read_text(encoding="utf-8"))
        else:
            todo.append(nb)
    if todo:
        proc = subprocess.run([str(py), str(base / "driver.py"), *map(str, todo)], cwd=base, env=env,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-4000:]
        fresh = json.loads(proc.stdout.strip().splitlines()[-1])
        cache.mkdir(parents=True, exist_ok=True)
        for path, cells in fresh.items():
            if not any(e["ename"] in NOT_REMEMBERED for c in cells for e in c["errors"]):
                (cache / f"{keys[path]}.json").write_text(json.dumps(cells), encoding="utf-8")
        report.update(fresh)
    assert sorted(report) == sorted(map(str, notebooks))
    for path, cells in report.items():
        setup, where = cells[0], cells[-1]
        assert "is installed" in setup["text"], f"{path}: set-up cell says {setup['text']!r}"
        lines = where["text"].split("\n")
        assert not where["errors"] and lines[0] == "prefix is the venv: True" and all(
            line.startswith("lib/python") for line in lines[1:3]), \
            f"{path}: the course package did not come from the clean venv: {where}"
    return report


def copy_downloads(tree: Path, dest: Path) -> list[Path]:
    """The downloaded notebooks, each alone in a folder of its own (as on a student's disk)."""
    copies = []
    for nb in downloads(tree):
        target = dest / nb.parent.name / nb.name
        target.parent.mkdir(parents=True)
        shutil.copy(nb, target)
        copies.append(target)
    return copies


NOT_IMPLEMENTED = re.compile(r"NotImplementedError|not implemented", re.I)
MISSING = re.compile(r"NameError|is not defined|are not defined")


def unexpected_errors(cells: list[dict]) -> list:
    """Errors that are not "not implemented yet": a stub's NotImplementedError (raised or wrapped by a
    visible test), or a test finding the names of an answer cell missing because that cell raised it."""
    unexpected, last_answer_raised = [], False
    for cell in cells:
        for e in cell["errors"]:
            text = f"{e['ename']}: {e['evalue']}"
            if NOT_IMPLEMENTED.search(text) or (cell["test"] and last_answer_raised and MISSING.search(text)):
                continue
            unexpected.append((cell["grade_id"], text))
        if cell["answer"]:
            last_answer_raised = any(NOT_IMPLEMENTED.search(e["ename"]) for e in cell["errors"])
    return unexpected


@pytest.mark.slow
def test_downloaded_notebooks_run_with_only_not_implemented_errors(tree, student_env, tmp_path):
    notebooks = copy_downloads(tree, tmp_path)
    report = run_notebooks(student_env, notebooks)
    assert len(report) == len(notebooks)
    for path, cells in report.items():
        errors = [(c["grade_id"], e) for c in cells for e in c["errors"]]
        assert errors, f"{path}: no cell failed, but every answer cell is a stub"
        unexpected = unexpected_errors(cells)
        assert not unexpected, f"{Path(path).name}: errors other than 'not implemented yet': {unexpected[:5]}"


@pytest.mark.slow
def test_chapter_notebooks_run_from_the_wheel_alone(tree, student_env, tmp_path):
    """What the Colab/Binder buttons open: each chapter's .ipynb runs with only the course package."""
    notebooks = []
    for doc in toc.pages(publish.student_toc()):
        if (tree / f"{doc}.ipynb").is_file():
            target = tmp_path / doc.replace("/", "_") / Path(doc).with_suffix(".ipynb").name
            target.parent.mkdir(parents=True)
            shutil.copy(tree / f"{doc}.ipynb", target)
            notebooks.append(target)
    assert len(notebooks) >= 8
    report = run_notebooks(student_env, notebooks)
    for path, cells in report.items():
        failed = [(c["errors"], c["tags"]) for c in cells if c["errors"] and "raises-exception" not in c["tags"]]
        assert not failed, f"{Path(path).name}: {failed[:3]}"


def paste_solutions(notebook: Path) -> int:
    """Replace every answer cell of a downloaded notebook by the solution's cell of the same grade_id."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    solution = json.loads((ROOT / "solutions" / notebook.parent.name / notebook.name).read_text(encoding="utf-8"))
    answers = {c["metadata"]["nbgrader"]["grade_id"]: c for c in solution["cells"]
               if c["metadata"].get("nbgrader", {}).get("solution") and c["cell_type"] == "code"}
    pasted = 0
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = cell_text(answers[grade_id])
            pasted += 1
    assert pasted == len(answers), f"{notebook.name}: {len(answers) - pasted} answer cells not found"
    notebook.write_text(json.dumps(nb), encoding="utf-8")
    return pasted


@pytest.mark.slow
def test_with_the_solutions_pasted_in_every_visible_test_passes(tree, student_env, tmp_path):
    notebooks = copy_downloads(tree, tmp_path)
    for nb in notebooks:
        assert paste_solutions(nb) > 0
    report = run_notebooks(student_env, notebooks)
    for path, cells in report.items():
        tests = [c for c in cells if c["test"]]
        assert tests, f"{path}: no visible test cell"
        failed = [(c["grade_id"], c["errors"]) for c in cells if c["errors"]]
        assert not failed, f"{Path(path).name}: {failed[:5]}"


def test_unexpected_errors_accepts_only_the_stubs_consequences():
    stub = {"grade_id": "answer_1", "answer": True, "test": False,
            "errors": [{"ename": "NotImplementedError", "evalue": ""}]}
    missing = {"grade_id": "test_1", "answer": False, "test": True,
               "errors": [{"ename": "CheckFailed", "evalue": "[1] delta_out is not defined: run the answer cell"}]}
    wrong = {"grade_id": "test_2", "answer": False, "test": True,
             "errors": [{"ename": "TypeError", "evalue": "unsupported operand"}]}
    done = {"grade_id": "answer_3", "answer": True, "test": False, "errors": []}
    assert unexpected_errors([stub, missing]) == []
    assert unexpected_errors([stub, wrong]) == [("test_2", "TypeError: unsupported operand")]
    # a missing name after an answer cell that ran fine is a real problem
    assert unexpected_errors([stub, done, missing]) == [("test_1", missing["errors"][0]["ename"] + ": "
                                                         + missing["errors"][0]["evalue"])]


# --- handed in by LMS upload: the published copy is graded like the released one ------------------------------

def _by_hand(checks: Path) -> dict:
    """The assignment's BY_HAND table, read without importing the trusted module."""
    for node in ast.parse(checks.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "BY_HAND" for t in node.targets):
            return ast.literal_eval(node.value)
    return {}


# The set-up cells are the same in every notebook; what they could change is how the grader treats a cell
# it does not know: it runs it in the sandbox, and in the worker without SymPy's calculus when the
# assignment has by-hand parts. So: the assignments with by-hand parts (the released notebooks are graded in
# test_nbgrader_pipeline.py, and the published ones hold exactly their cells, see above).
BY_HAND_GRADED = sorted(p.parent.name for p in (ROOT / "solutions").glob("*/checks.py")
                        if (p.parent / f"{p.parent.name}.ipynb").exists() and _by_hand(p))


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.parametrize("hw", BY_HAND_GRADED)
def test_uploaded_published_notebook_is_graded_like_the_released_one(tree, tmp_path, hw):
    """The instructor drops an uploaded file into submitted/<student>/ and runs `nbgrader autograde`: the
    set-up cells change nothing; the solution pasted into the published copy earns every autograded
    point (by-hand parts included), the untouched published copy none."""
    from attacks.course import autograded_points, load, make_course, run_nbgrader, scores, submit

    course = make_course(tmp_path / "course", hw)
    published = tree / COURSE.homework_path(hw)
    solved = tmp_path / "solved" / hw / f"{hw}.ipynb"
    solved.parent.mkdir(parents=True)
    shutil.copy(published, solved)
    paste_solutions(solved)
    submit(course, "solved", hw, load(solved))
    submit(course, "untouched", hw, load(published))
    run_nbgrader(course, "autograde", hw, "--force")
    points = autograded_points(load(course / "solutions" / hw / f"{hw}.ipynb"))
    got = scores(course, hw, ["solved", "untouched"])
    assert got["solved"] == points, {g: (got["solved"].get(g), p) for g, p in points.items()}
    assert got["untouched"] == {g: 0 for g in points}
