""""Writing an assignment" (book/appendix/writing_assignments.md) is executed as written: its files
(```{code-block} with a ``:caption:`` naming the path) are written and its ```bash blocks run, in the page's
order, in a copy of this course (`% guide-test: before/after` lines work as in the instructor guide's test).
The worked example must build and generate, the solution must earn every point and the blank none, the two
planted mistakes must earn some points with feedback naming the mistake, and the outputs the page shows must
be the ones the commands print. The fast tests check ffgrader.authoring's refusals on planted authoring
mistakes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from test_instructor_guide import DIRECTIVE, snapshot_repo

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "book" / "appendix" / "writing_assignments.md"
FILE_FENCE = re.compile(r"^```\{code-block\}\s+\w+\s*$")
FENCE = re.compile(r"^```(\w*)\s*$")
SCORE = re.compile(r"^(\S+\.ipynb): (\d+(?:\.\d+)?) of (\d+(?:\.\d+)?) points$", re.M)


def steps(text: str) -> list[dict]:
    """The page's files, commands and shown outputs, in order: {kind: file|bash|text, body, path?, before,
    after, line}. Plain ```python blocks are illustrations and are not run."""
    out, pending, lines, i = [], {"before": [], "after": []}, text.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        m = DIRECTIVE.match(line)
        if m:
            kind, arg = m.groups()
            if kind == "skip":
                raise ValueError(f"{PAGE.name}:{i + 1}: this page has no skipped block")
            pending[kind].append(arg.strip())
            i += 1
            continue
        start = i + 1
        if FILE_FENCE.match(line):
            i += 1
            options = {}
            while lines[i].startswith(":"):
                key, _, value = lines[i][1:].partition(":")
                options[key.strip()] = value.strip()
                i += 1
            if not lines[i].strip():
                i += 1
            body = []
            while not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            if "caption" not in options:
                raise ValueError(f"{PAGE.name}:{start}: a code-block needs a :caption: naming the file")
            out.append({"kind": "file", "path": options["caption"], "body": "\n".join(body) + "\n", "line": start,
                        **pending})
            pending = {"before": [], "after": []}
        elif FENCE.match(line) and FENCE.match(line).group(1):
            lang = FENCE.match(line).group(1)
            i += 1
            body = []
            while not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            if lang in ("bash", "text"):
                out.append({"kind": lang, "body": "\n".join(body), "line": start, **pending})
            elif pending["before"] or pending["after"]:
                raise ValueError(f"{PAGE.name}:{start}: guide-test directives only before bash blocks")
            pending = {"before": [], "after": []}
        elif line.strip() and (pending["before"] or pending["after"]):
            raise ValueError(f"{PAGE.name}:{i + 1}: a guide-test directive must be right before a fence")
        i += 1
    return out


def _nonblank(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip())


def test_page_gives_two_files_then_the_commands_and_counts_their_lines():
    text = PAGE.read_text(encoding="utf-8")
    found = steps(text)
    files = [s for s in found if s["kind"] == "file"]
    assert [f["path"] for f in files] == ["solutions/hw7_softmax.py", "solutions/hw7_softmax/checks.py"]
    commands = "\n".join(s["body"] for s in found if s["kind"] == "bash")
    for command in ("python -m ffgrader.authoring notebook", "python -m tools.assignments generate",
                    "python -m ffgrader.authoring try", "python -m tools.classroom register"):
        assert command in commands
    # The counts the page states are the counts of the files it gives.
    m = re.search(r"\*\*(\d+) lines\*\* \((\d+) \+ (\d+)\)", text)
    assert m, "the page states the worked example's line count as **N lines** (a + b)"
    total, a, b = map(int, m.groups())
    assert (a, b) == tuple(_nonblank(f["body"]) for f in files) and total == a + b
    concepts = re.search(r"The (\d+) concepts of this page: (.*?)\. The", text, re.S)
    assert concepts and int(concepts.group(1)) == len(re.findall(r"\(\d+\)", concepts.group(2)))
    row = re.search(r"^\| this page \(`ffgrader.authoring`\) \| (\d+) \|", text, re.M)
    assert row and int(row.group(1)) == int(concepts.group(1))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A copy of the course in which the page's steps ran: (course dir, {step line: stdout})."""
    tmp = tmp_path_factory.mktemp("writing-assignments")
    course = snapshot_repo(tmp / "course")
    venv = Path(sys.prefix)
    (course / ".venv").symlink_to(venv)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "VIRTUAL_ENV"))}
    env.update(PATH=os.pathsep.join([str(course / ".venv" / "bin"), env.get("PATH", "")]), MPLBACKEND="Agg",
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONHASHSEED="0")
    outputs = {}
    for step in steps(PAGE.read_text(encoding="utf-8")):
        if step["kind"] == "file":
            path = course / step["path"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(step["body"], encoding="utf-8")
        elif step["kind"] == "bash":
            script = "\n".join(["set -euo pipefail", *step["before"], step["body"], *step["after"]])
            proc = subprocess.run(["bash", "-c", script], cwd=course, env=env, capture_output=True, text=True,
                                  timeout=900)
            assert proc.returncode == 0, f"page line {step['line']}:\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"
            outputs[step["line"]] = proc.stdout
    return course, outputs


def _scores(outputs) -> dict:
    return {m[0]: (float(m[1]), float(m[2])) for out in outputs.values() for m in SCORE.findall(out)}


def _per_notebook(output):
    """The try output of each notebook: from its score line to the next score line."""
    parts = {}
    for m in SCORE.finditer(output):
        nxt = SCORE.search(output, m.end())
        parts[m.group(1)] = output[m.start():nxt.start() if nxt else len(output)]
    return parts


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.xdist_group("nbgrader")
def test_worked_example_builds_generates_and_releases_nothing_secret(course):
    course, _ = course
    solution = nbformat.read(str(course / "solutions/hw7_softmax/hw7_softmax.ipynb"), as_version=4)
    roles = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"] for c in solution.cells
             if "nbgrader" in c.metadata}
    assert {g: r.get("points") for g, r in roles.items() if r["grade"] or r["task"]} == \
        {"test_1a": 2, "test_1b": 2, "test_2": 1, "task_3": 2}
    assert roles["answer_1a"]["solution"] and not roles["answer_1a"]["locked"] and roles["test_1a"]["locked"]
    release = course / "exercises" / "hw7_softmax"
    assert sorted(p.name for p in release.iterdir()) == ["hw7_softmax.ipynb"]  # no checks.py, no source
    text = (release / "hw7_softmax.ipynb").read_text(encoding="utf-8")
    for secret in ("BEGIN SOLUTION", "MARK SCHEME", "z.max(axis=1", "/ len(z)", "1 - sp.tanh", "mistakes"):
        assert secret not in text, secret
    blank = nbformat.reads(text, as_version=4)
    assert "NotImplementedError" in next(c.source for c in blank.cells if c.metadata.get("nbgrader", {})
                                         .get("grade_id") == "answer_1a")
    # The gradebook knows the new assignment with the points of its test and task cells.
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        cells = {c.name: c.max_score for c in gb.find_notebook("hw7_softmax", "hw7_softmax").grade_cells}
    assert cells == {"test_1a": 2, "test_1b": 2, "test_2": 1}


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.xdist_group("nbgrader")
def test_solution_full_blank_zero_mistakes_partial_with_feedback_naming_them(course):
    course, outputs = course
    scores = _scores(outputs)
    assert scores["solutions/hw7_softmax/hw7_softmax.ipynb"] == (5.0, 5.0), outputs
    assert scores["exercises/hw7_softmax/hw7_softmax.ipynb"] == (0.0, 5.0), outputs
    for bug in ("no_max_shift.ipynb", "no_mean.ipynb"):
        earned, total = scores[bug]
        assert 0 < earned < total, (bug, outputs)
    feedback = {}
    for out in outputs.values():
        feedback.update(_per_notebook(out))
    assert "[1a softmax]" in feedback["no_max_shift.ipynb"]
    assert "subtract each row's maximum" in feedback["no_max_shift.ipynb"]
    assert "NaN/inf where finite values were expected" in feedback["no_max_shift.ipynb"]
    assert "[1b cross_entropy_grad]" in feedback["no_mean.ipynb"]
    assert "divide the gradient by N" in feedback["no_mean.ipynb"]
    assert "[1a" not in feedback["no_mean.ipynb"] and "[2" not in feedback["no_mean.ipynb"]
    assert "not implemented" in feedback["exercises/hw7_softmax/hw7_softmax.ipynb"]


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.xdist_group("nbgrader")
def test_outputs_shown_on_the_page_are_what_the_commands_print(course):
    _, outputs = course
    shown = "\n".join(s["body"] for s in steps(PAGE.read_text(encoding="utf-8")) if s["kind"] == "text")
    printed = "\n".join(outputs.values())
    assert SCORE.findall(shown), "the page shows the scores"
    for line in shown.splitlines():
        line = line.strip()
        if line and "..." not in line:
            assert line in printed, line


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.xdist_group("nbgrader")
def test_visible_tests_written_from_the_checks_pass_the_solution_and_catch_the_overflow(course):
    """The generated visible tests run in a student's plain Python: they pass the solution, and the strict mode
    catches the missing max shift before the student hands in."""
    course, _ = course
    run = ("import json, sys\nnb = json.load(open(sys.argv[1]))\nns = {}\n"
           "for c in nb['cells']:\n    if c['cell_type'] == 'code':\n        exec(''.join(c['source']), ns)\n")
    ok = subprocess.run([sys.executable, "-c", run, "solutions/hw7_softmax/hw7_softmax.ipynb"], cwd=course,
                        capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert [line for line in ok.stdout.splitlines() if "visible tests passed" in line] == \
        ["1a: visible tests passed", "1b: visible tests passed", "2: visible tests passed"]
    bad = subprocess.run([sys.executable, "-c", run, "no_max_shift.ipynb"], cwd=course, capture_output=True,
                         text=True, timeout=300)
    assert bad.returncode != 0 and "CheckFailed" in bad.stderr and "[1a softmax]" in bad.stderr
    assert "overflow" in bad.stderr


# --- ffgrader.authoring refuses authoring mistakes, naming them (fast: no sandbox) --------------------------

def _example_files(tmp_path, replace=()):
    files = {s["path"]: s["body"] for s in steps(PAGE.read_text(encoding="utf-8")) if s["kind"] == "file"}
    for path, (old, new) in replace:
        assert old in files[path]
        files[path] = files[path].replace(old, new)
    for path, body in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(body, encoding="utf-8")
    return tmp_path / "solutions" / "hw7_softmax.py"


def test_declarations_register_checks_by_hand_and_points(tmp_path):
    from ffgrader.checks import load

    _example_files(tmp_path)
    assignment = load(tmp_path / "solutions/hw7_softmax/checks.py")
    assert list(assignment.checks) == ["test_1a", "test_1b", "test_2"]
    assert assignment.BY_HAND == {"test_2": ("answer_2",)}
    assert [p.points for p in assignment.checks.values()] == [2, 2, 1]


def test_a_label_typo_is_refused_naming_the_cell(tmp_path):
    from ffgrader.authoring import build_notebook

    source = _example_files(tmp_path, [("solutions/hw7_softmax.py", ("# %% answer 1b", "# %% answer 1c"))])
    with pytest.raises(ValueError, match=r"cell \d+ \('# %% answer 1c'\): checks.py declares no part '1c'"):
        build_notebook(source)
    source = _example_files(tmp_path, [("solutions/hw7_softmax/checks.py", ('compare("1b"', 'compare("1c"'))])
    with pytest.raises(ValueError, match="declares no part '1b'"):
        build_notebook(source)


def test_a_missing_answer_cell_is_refused(tmp_path):
    from ffgrader.authoring import build_notebook

    answer = "# %% answer 2\ndef tanh_prime_expr(x):\n    ### BEGIN SOLUTION\n    return 1 - sp.tanh(x)**2\n" \
             "    ### END SOLUTION\n"
    source = _example_files(tmp_path, [("solutions/hw7_softmax.py", (answer, ""))])
    with pytest.raises(ValueError, match=r"no '# %% answer <label>'.* part\(s\) 2 declared in checks.py"):
        build_notebook(source)
    # the answer cell's title forgotten: its solution markers are then in a read-only cell
    source = _example_files(tmp_path, [("solutions/hw7_softmax.py", ("# %% answer 2\n", "# %%\n"))])
    with pytest.raises(ValueError, match=r"'### BEGIN SOLUTION' \(line 2\) in a read-only cell"):
        build_notebook(source)


def test_a_reference_the_students_kernel_cannot_import_is_refused(tmp_path):
    checks = tmp_path / "checks.py"
    checks.write_text("import numpy as np\nfrom ffgrader.authoring import compare\n"
                      "compare('1', 'double', lambda z: 2 * z, inputs=lambda rng: {'z': rng.normal(size=3)})\n")
    from ffgrader.checks import load

    with pytest.raises(ValueError, match=r"compare\('1', 'double', \.\.\.\): the reference .* cannot be imported"):
        load(checks)


def test_conflicting_points_and_bad_cases_are_refused(tmp_path):
    from ffgrader.checks import load

    checks = tmp_path / "checks.py"
    checks.write_text("import numpy as np\nfrom ffgrader.authoring import compare\nfrom nnlib.activations import "
                      "softmax\nz = lambda rng: {'z': rng.normal(size=(2, 3))}\n"
                      "compare('1', 'softmax', softmax, inputs=z, points=2)\n"
                      "compare('1', 'softmax', softmax, inputs=z, points=3)\n")
    with pytest.raises(ValueError, match="part 1 already has 2 points, not 3"):
        load(checks)
    checks.write_text("import numpy as np\nfrom ffgrader.authoring import compare\nfrom nnlib.activations import "
                      "softmax\ncompare('1', 'softmax', softmax, inputs=lambda rng: {'z': [1.0, 2.0]})\n")
    with pytest.raises(TypeError, match="a case value must be a number, a string or a numpy array"):
        load(checks)
    checks.write_text("import numpy as np\nfrom ffgrader.authoring import compare\nfrom nnlib.losses import "
                      "SoftmaxCrossEntropy\ncompare('1', 'loss_and_grad', SoftmaxCrossEntropy().value_and_delta, "
                      "inputs=lambda rng: {'z': rng.normal(size=(2, 3)), 'y': np.eye(3)[[0, 1]]})\n")
    with pytest.raises(TypeError, match="the reference must return a float array or a float, got tuple"):
        load(checks)


def test_the_built_notebook_is_stable(tmp_path):
    from ffgrader.authoring import build_notebook

    source = _example_files(tmp_path)
    first, second = (nbformat.writes(build_notebook(source)) for _ in range(2))
    assert first == second
    assert json.loads(first)["cells"][0]["id"] == "cell_01"


def test_misspelt_or_misplaced_markers_are_refused_naming_the_cell(tmp_path):
    # nbgrader finds a region by its exact words: a misspelt mark scheme would reach the students' copy
    from ffgrader.authoring import build_notebook

    for old, new, message in [
            ("=== BEGIN MARK SCHEME ===", "=== BEGIN MARKSCHEME ===",
             r"cell \d+ \('# %% task 3'\): line \d+ '=== BEGIN MARKSCHEME ===' is not nbgrader's marker "
             r"'BEGIN MARK SCHEME'"),
            ("    return (softmax(z) - y) / len(z)\n    ### END SOLUTION", "    return (softmax(z) - y) / len(z)\n"
             "    ### END SOLUTON", r"\('# %% answer 1b'\): line \d+ '### END SOLUTON' is not nbgrader's marker"),
            ("# %%\nimport numpy as np", "# %%\n### BEGIN SOLUTION\nimport numpy as np\n### END SOLUTION",
             r"'### BEGIN SOLUTION' \(line 1\) in a read-only cell: nbgrader's solution regions belong in answer"),
            ("    ### BEGIN SOLUTION\n    return 1 - sp.tanh(x)**2\n    ### END SOLUTION",
             "    return 1 - sp.tanh(x)**2",
             r"\('# %% answer 2'\): an answer cell needs its solution between '### BEGIN SOLUTION'")]:
        source = _example_files(tmp_path, [("solutions/hw7_softmax.py", (old, new))])
        with pytest.raises(ValueError, match=message):
            build_notebook(source)


def test_a_function_no_answer_cell_defines_and_a_part_without_points_are_refused(tmp_path):
    from ffgrader.authoring import build_notebook

    source = _example_files(tmp_path, [("solutions/hw7_softmax/checks.py",
                                        ('"1b", "cross_entropy_grad"', '"1b", "cross_entropy_grd"'))])
    with pytest.raises(ValueError, match=r"part 1b calls the student's 'cross_entropy_grd', which no answer cell "
                                         r"of hw7_softmax.py defines \(they define: cross_entropy_grad, softmax, "):
        build_notebook(source)
    source = _example_files(tmp_path, [("solutions/hw7_softmax/checks.py", (", by_hand=True, points=1)",
                                                                           ", by_hand=True)"))])
    with pytest.raises(ValueError, match=r"\('# %% answer 2'\): part 2 has no points: give points=<n>"):
        build_notebook(source)


def test_the_variant_cell_is_written_from_variants_and_required_by_them(tmp_path):
    from ffgrader import variants
    from ffgrader.authoring import build_notebook

    declared = ("checks.py", ("BIG = ", 'VARIANTS = {"SHIFT": (0.0, 1.5, -2.0)}\nBIG = '))
    cell = ("hw7_softmax.py", ("# %% [markdown]\n# **1a", "# %% variant\n\n# %% [markdown]\n# **1a"))
    source = _example_files(tmp_path / "both", [("solutions/hw7_softmax/" + declared[0], declared[1]),
                                                ("solutions/" + cell[0], cell[1])])
    nb = build_notebook(source)
    found = [c for c in nb.cells if variants.is_variant_cell(c)]
    assert len(found) == 1 and found[0].source == variants.render({"SHIFT": 0.0})
    assert found[0].metadata.nbgrader == {"grade": False, "grade_id": "variant", "locked": True, "schema_version": 3,
                                          "solution": False, "task": False}
    source = _example_files(tmp_path / "no_cell", [("solutions/hw7_softmax/" + declared[0], declared[1])])
    with pytest.raises(ValueError, match=r"checks.py declares VARIANTS \(SHIFT\) but no code cell has the grade id "
                                         r"'variant'.*an empty '# %% variant' cell"):
        build_notebook(source)
    source = _example_files(tmp_path / "no_spec", [("solutions/" + cell[0], cell[1])])
    with pytest.raises(ValueError, match=r"\('# %% variant'\): a variant cell needs VARIANTS in checks.py"):
        build_notebook(source)
    source = _example_files(tmp_path / "filled", [("solutions/hw7_softmax/" + declared[0], declared[1]),
                                                  ("solutions/" + cell[0], (cell[1][0], cell[1][1].replace(
                                                      "variant\n", "variant\nSHIFT = 1.5\n")))])
    with pytest.raises(ValueError, match="leave the variant cell empty; it is written from VARIANTS"):
        build_notebook(source)
    source = _example_files(tmp_path / "rebound", [("solutions/hw7_softmax/" + declared[0], declared[1]),
                                                   ("solutions/" + cell[0], cell[1]),
                                                   ("solutions/hw7_softmax.py", ("import sympy as sp\n",
                                                                                 "import sympy as sp\nSHIFT = 0.0\n"))])
    with pytest.raises(ValueError, match=r"cell_\d+: assigns SHIFT of VARIANTS"):
        build_notebook(source)
