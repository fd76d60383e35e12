"""Per-student variants (ffgrader/variants.py, tools/variants.py): each student's release shows their own
parameters, and the grader grades a submission against the variant of the student id it is filed under.

hw2_perceptron's part 4 (the XOR network must output ``XOR_HIGH``) and hw1_neurons' part 2b (the neuron must
compute ``x_k AND (x_i OR x_j)`` with ``k = AND_INPUT``) have variants. hw2 is graded through the real
pipeline (`python -m tools.variants release`, `nbgrader autograde`): two students each solve their own copy,
a third hands in a classmate's; hw1's variant part is graded with the real worker over loopback.
"""

from __future__ import annotations

import copy
import subprocess
import sys

import nbformat
import pytest

from attacks.course import ROOT, cell_by_id, load, make_course, run_nbgrader, scores, submit
from ffgrader import seeds, variants
from grading_support import load_checks, loopback
from tools.env import tool_env

HW = "hw2_perceptron"
SECRET = "11" * 32  # a fixed course secret: bob 3.0, erin 2.0, frank 2.0, gina 5.0


def gid(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def draw(course, hw, sid):
    return variants.draw(seeds.course_secret(course), hw, sid, variants.spec_of(course / "solutions" / hw / "checks.py"))


def solve(released, solution, answer_4):
    """A student's notebook: their released copy with every answer of the solution, answer_4 replaced."""
    nb = copy.deepcopy(released)
    for c in nb.cells:
        g = c.metadata.get("nbgrader", {})
        if g.get("solution") and c.cell_type == "code":
            c.source = cell_by_id(solution, g["grade_id"]).source
    cell_by_id(nb, "answer_4").source = answer_4
    return nb


def xor_answer(high):
    """Hand-designed weights for outputs (0, high, high, 0), written as a student writes them: literals."""
    return ("def xor_relu_network():\n"
            "    W1 = np.array([[1.0, 1.0], [1.0, 1.0]])\n"
            "    b1 = np.array([0.0, -1.0])\n"
            f"    W2 = np.array([[{high!r}, {-2 * high!r}]])\n"
            "    b2 = np.array([0.0])\n"
            "    return W1, b1, W2, b2\n")


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("variants"), HW)
    key = course / seeds.SECRET_FILE
    key.write_text(SECRET + "\n")
    key.chmod(0o600)
    from nbgrader.api import Gradebook

    # Students whose variants differ (with this secret): bob and erin, and frank who differs from bob.
    ids = ["bob", "erin", "frank"]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for k, sid in enumerate(ids):
            gb.update_or_create_student(sid, lms_user_id=str(500 + k))
    release = subprocess.run([sys.executable, "-m", "tools.variants", "release", HW], cwd=course,
                             env={**tool_env(), "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    assert release.returncode == 0, release.stderr
    values = {sid: draw(course, HW, sid)["XOR_HIGH"] for sid in ids}
    released = {sid: load(course / "variants" / HW / sid / HW / f"{HW}.ipynb") for sid in ids}
    solution = load(course / "solutions" / HW / f"{HW}.ipynb")
    own = {sid: solve(released[sid], solution, xor_answer(values[sid])) for sid in ids}
    submit(course, "bob", HW, own["bob"])
    submit(course, "erin", HW, own["erin"])
    submit(course, "frank", HW, own["bob"])            # a classmate's notebook, handed in as frank's
    claims = copy.deepcopy(own["erin"])                  # erin's work, with bob's variant pasted over hers
    cell_by_id(claims, "variant").source = cell_by_id(released["bob"], "variant").source
    submit(course, "gina", HW, claims)
    submit(course, "hana", HW, solution)                 # the solution reads XOR_HIGH: right for anyone
    proc = run_nbgrader(course, "autograde", HW, "--force", "--create", cli=True)
    return {"course": course, "values": values, "released": released, "proc": proc,
            "scores": scores(course, HW, ids + ["gina", "hana"]), "points": {g: float(cell_by_id(solution, g).metadata.nbgrader.points)
                                                                     for g in scores(course, HW, ["bob"])["bob"]}}


def test_each_student_gets_their_own_variant(klass):
    values, released = klass["values"], klass["released"]
    assert len({values["bob"], values["erin"]}) == 2 and values["frank"] != values["bob"], values
    for sid, nb in released.items():
        cell = cell_by_id(nb, "variant")
        assert cell.source == variants.render({"XOR_HIGH": values[sid]})
        assert f"XOR_HIGH = {values[sid]!r}" in cell.source
        # the rest of the notebook is the class's release, cell for cell
        base = load(klass["course"] / "exercises" / HW / f"{HW}.ipynb")
        assert [c.source for c in nb.cells if gid(c) != "variant"] == [c.source for c in base.cells if gid(c) != "variant"]
    # the read-only cell's checksum matches its new source, as nbgrader validate computes it
    from nbgrader.utils import compute_checksum

    cell = cell_by_id(released["bob"], "variant")
    assert cell.metadata.nbgrader.checksum == compute_checksum(cell)
    # for an LMS: the same notebook under the student's LMS id
    lms = klass["course"] / "variants" / HW / "lms" / f"500_{HW}.ipynb"
    assert lms.read_bytes() == (klass["course"] / "variants" / HW / "bob" / HW / f"{HW}.ipynb").read_bytes()


def test_the_published_release_is_the_default_variant():
    spec = variants.spec_of(ROOT / "solutions" / HW / "checks.py")
    for path in (ROOT / "exercises" / HW / f"{HW}.ipynb", ROOT / "exercises" / "zh_CN" / HW / f"{HW}.ipynb",
                 ROOT / "solutions" / HW / f"{HW}.ipynb"):
        assert cell_by_id(load(path), "variant").source == variants.render(variants.default(spec)), path


def test_each_student_graded_right_against_their_own_variant(klass):
    sc, points = klass["scores"], klass["points"]
    assert sc["bob"] == points and sc["erin"] == points, sc


def test_an_answer_that_reads_the_parameters_is_right_for_any_variant(klass):
    assert draw(klass["course"], HW, "hana")["XOR_HIGH"] != 1.0   # not the default the notebook shows
    assert klass["scores"]["hana"] == klass["points"]


def test_a_classmates_notebook_loses_the_variant_part_only(klass):
    sc, points = klass["scores"], klass["points"]
    assert sc["frank"] == {**points, "test_4_table": 0.0}, sc["frank"]


def test_the_variant_a_notebook_claims_is_ignored(klass):
    """gina's notebook says bob's XOR_HIGH; she is graded (and shown) as gina, whatever the cell says."""
    course, sc = klass["course"], klass["scores"]
    gina = draw(course, HW, "gina")["XOR_HIGH"]
    assert sc["gina"]["test_4_table"] == (3.0 if gina == klass["values"]["erin"] else 0.0), (gina, sc["gina"])
    graded = load(course / "autograded" / "gina" / HW / f"{HW}.ipynb")
    assert cell_by_id(graded, "variant").source == variants.render({"XOR_HIGH": gina})
    record = seeds.read_record(course, HW, "gina", HW)
    assert record["variant"] == {"XOR_HIGH": gina}


def log_of(proc, sid):
    """The autograde log lines about one student (from nbgrader's "Creating/updating student" line on)."""
    out, current = [], None
    for line in (proc.stdout + proc.stderr).splitlines():
        if "Creating/updating student with ID" in line:
            current = line.split("'")[1]
        elif current == sid:
            out.append(line)
    return out


def test_an_untouched_variant_cell_is_no_change_to_the_grader(klass):
    """bob and erin handed in their own copies: the grader sees no change to the read-only variant cell;
    frank and gina handed in someone else's values there, and the log says so."""
    said = {sid: [ln for ln in log_of(klass["proc"], sid) if f"{sid}'s " in ln and "cell variant changed: source edited" in ln]
            for sid in ("bob", "erin", "frank", "gina")}
    assert said["bob"] == [] and said["erin"] == [], said
    assert len(said["frank"]) == 1 and len(said["gina"]) == 1, said


def test_variants_spec_is_checked():
    with pytest.raises(ValueError, match="UPPER_CASE"):
        variants.validate({"lower": (1, 2)})
    with pytest.raises(ValueError, match="non-empty tuple"):
        variants.validate({"N": []})
    with pytest.raises(ValueError, match="plain literal"):
        variants.validate({"N": (object(),)})
    with pytest.raises(ValueError, match="twice"):
        variants.validate({"N": (1, 1)})
    with pytest.raises(ValueError, match="student id"):
        variants.draw(b"k" * 32, HW, "", {"N": (1, 2)})


def test_variants_spread_over_the_class():
    """The HMAC draw uses every value of a parameter, for a class of 40, and depends on the secret."""
    spec = {"K": (1, 2, 3, 4)}
    ids = [f"s{k}" for k in range(40)]
    a = [variants.draw(b"a" * 32, HW, s, spec)["K"] for s in ids]
    b = [variants.draw(b"b" * 32, HW, s, spec)["K"] for s in ids]
    assert set(a) == {1, 2, 3, 4} and a != b


# --- hw1: the variant of part 2b with the real worker (loopback) -------------------------------------------

HW1 = "hw1_neurons"


def design(k):
    """Weights of x_k AND (x_i OR x_j): 2 on input k, 1 on the others, threshold 3 (literals)."""
    w = [1.0, 1.0, 1.0]
    w[k - 1] = 2.0
    return f"def design_and_or():\n    return {tuple(w)!r}, 3.0\n"


@pytest.mark.parametrize("filed", [1, 2, 3])
def test_hw1_solution_reads_its_variant(filed):
    """The solution's 2b reads AND_INPUT from the variant cell, which the grader sets from the filed id."""
    nb = nbformat.read(ROOT / "solutions" / HW1 / f"{HW1}.ipynb", as_version=4)
    checks = load_checks(HW1)
    student = loopback(nb, checks, replace={"variant": variants.render({"AND_INPUT": filed})})
    try:
        student.variant = {"AND_INPUT": filed}
        verdict = checks.run("test_2b", student, None)
    finally:
        student.close()
    assert verdict.passed, verdict.message


def test_a_deleted_variant_cell_is_put_back_with_the_filed_values(tmp_path, recwarn):
    """A student who deleted the read-only variant cell is graded with their own values all the same, and the
    notebook stays valid (the cell put back has an id: nbformat warned about it in the grading log)."""
    from ffgrader import launcher
    from ffgrader.runner import grade_notebook

    nb = nbformat.read(ROOT / "solutions" / HW1 / f"{HW1}.ipynb", as_version=4)
    nb.cells = [c for c in nb.cells if not variants.is_variant_cell(c)]
    checks = load_checks(HW1)
    launcher.stage_library(tmp_path, tuple(checks.NNLIB_ALLOWED))
    grade_notebook(nb, checks, submission_dir=None, libdir=tmp_path, test_ids={"test_2b"},
                   variant={"AND_INPUT": 3})
    assert nb.cells[0].source == variants.render({"AND_INPUT": 3}) and nb.cells[0].id.startswith("ffgrader-")
    assert [o.get("text") for o in cell_by_id(nb, "test_2b").outputs if o.get("name") == "stdout"], \
        cell_by_id(nb, "test_2b").outputs
    nbformat.validate(nb)
    assert not [w for w in recwarn if "id field" in str(w.message)]


@pytest.mark.parametrize("filed, written", [(1, 1), (2, 2), (3, 3), (2, 1), (3, 2), (1, 3)])
def test_hw1_part_2b_graded_against_the_filed_variant(filed, written):
    nb = nbformat.read(ROOT / "solutions" / HW1 / f"{HW1}.ipynb", as_version=4)
    checks = load_checks(HW1)
    assert variants.spec_of(checks.path) == {"AND_INPUT": (1, 2, 3)}
    student = loopback(nb, checks, replace={"answer_2b": design(written),
                                            "variant": variants.render({"AND_INPUT": written})})
    try:
        student.variant = {"AND_INPUT": filed}       # what the runner sets from the filed student id
        verdict = checks.run("test_2b", student, None)
    finally:
        student.close()
    assert verdict.passed == (filed == written), verdict.message
    if filed != written:
        assert f"x{filed} AND" in verdict.message


# --- tools.variants release of a notebook without a variant cell -------------------------------------------


def test_release_without_a_variant_cell_writes_nothing(tmp_path, capsys):
    """A new assignment whose notebook lacks the variant cell: one error naming the notebook and the cell to
    add, and no student folder on disk (a copy with the default values looked like a released variant)."""
    from nbgrader.api import Gradebook

    from tools import variants as tool

    hw = "hw7_new"
    (tmp_path / "solutions" / hw).mkdir(parents=True)
    (tmp_path / "solutions" / hw / "checks.py").write_text('VARIANTS = {"N": (1, 2, 3)}\n')
    (tmp_path / "exercises" / hw).mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("N = 1")])
    nbformat.write(nb, str(tmp_path / "exercises" / hw / f"{hw}.ipynb"))
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        for sid in ("alice", "bob"):
            gb.update_or_create_student(sid, lms_user_id=f"lms-{sid}")
    assert tool.main(["release", hw, "--course", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    assert f"{hw}.ipynb" in err and "read-only code cell with grade id 'variant'" in err
    assert "'# %% variant'" in err
    assert not (tmp_path / "variants").exists(), sorted(p.name for p in (tmp_path / "variants").rglob("*"))
