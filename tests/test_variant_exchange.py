"""Per-student variants through nbgrader's exchange (ffgrader/exchange.py), with the real commands and real users.

A class of hw2_perceptron (its part 4 has the variant ``XOR_HIGH``) with a real local exchange (deploy/exchange.sh)
and throw-away Unix users: alice and bob are in the gradebook, carol is not (she joined after the release). The
instructor (this process, root) runs `nbgrader release_assignment hw2_perceptron` as the instructor guide writes it;
each student runs `nbgrader fetch_assignment hw2_perceptron` as themselves with the hub's student configuration
(the fetch plugin and no course secret). Asserted: alice's and bob's notebooks differ in the variant cell only, each
showing the values `python -m tools.variants show` prints for them; carol gets the class's default; nobody's fetched
folder holds the other copies. Then the three submit, the instructor collects and autogrades: alice and bob,
each working on their own copy, get full marks; carol hands in bob's copy (solved for bob's XOR_HIGH) and loses the
variant part only, since she is graded as carol.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from attacks.course import ROOT, autograded_points, cell_by_id, gid, load, make_course, run_nbgrader, scores
from ffgrader import exchange as fx
from ffgrader import seeds, variants
from test_exchange_files import Users
from test_variants import solve, xor_answer
from tools.env import tool_env

# The exchange tests create Unix users: one worker runs them one after the other (useradd locks /etc/passwd).
pytestmark = [pytest.mark.slow, pytest.mark.nbgrader, pytest.mark.xdist_group("exchange")]

HW = "hw2_perceptron"
# The students' nbgrader configuration on the hub (deploy/setup.sh writes the same lines, with the hub's exchange).
STUDENT_CONFIG = ("c = get_config()\nc.CourseDirectory.course_id = 'ffnn'\nc.Exchange.root = {exchange!r}\n"
                  "c.ExchangeFactory.fetch_assignment = 'ffgrader.exchange.FetchAssignment'\n")


def test_the_hub_gives_students_the_fetch_plugin():
    """The line this test's students use is the one deploy/setup.sh writes into the hub's student configuration."""
    setup = (ROOT / "deploy" / "setup.sh").read_text()
    line = STUDENT_CONFIG.splitlines()[-1].replace("'", '"')
    assert f"echo '{line}' >> \"$PREFIX/etc/student/nbgrader_config.py\"" in setup


def _secret_for(ids, spec):
    """A course secret under which alice's and bob's values differ, neither is the default, and carol's is not
    bob's (so the swap is visible). Searched deterministically: the user names are random."""
    alice, bob, carol = ids
    default = variants.default(spec)
    for k in range(256):
        secret = bytes([k]) * 32
        v = {sid: variants.draw(secret, HW, sid, spec) for sid in ids}
        if v[alice] != v[bob] and default not in (v[alice], v[bob]) and v[carol] != v[bob]:
            return secret
    raise AssertionError("no secret separates the variants")   # 4 values: cannot happen for 256 tries


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    if os.getuid() != 0:
        pytest.fail("the exchange test needs root: it creates Unix users for the students (run make test as root)")
    shared = Path(tempfile.mkdtemp(prefix="ffnn-varx-", dir="/tmp"))    # reachable by the students
    os.chmod(shared, 0o755)
    users = Users()
    try:
        yield _run_class(tmp_path_factory.mktemp("varx") / "course", shared, users)
    finally:
        users.delete()
        shutil.rmtree(shared, ignore_errors=True)


def _run_class(course, shared, users):
    make_course(course, HW)
    exchange = shared / "exchange"
    subprocess.run(["bash", str(ROOT / "deploy" / "exchange.sh"), str(exchange)], check=True, capture_output=True)
    subprocess.run(["bash", str(ROOT / "deploy" / "exchange.sh"), str(exchange), "ffnn", "root"], check=True,
                   capture_output=True)
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
    ids = {role: users.add(role[0]) for role in ("alice", "bob", "carol")}
    spec = variants.spec_of(course / "solutions" / HW / "checks.py")
    key = course / seeds.SECRET_FILE
    key.write_text(_secret_for(list(ids.values()), spec).hex() + "\n")
    key.chmod(0o600)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for role in ("alice", "bob"):
            gb.update_or_create_student(ids[role])

    release = run_nbgrader(course, "release_assignment", HW, cli=True)
    show, _ = (subprocess.run([sys.executable, "-m", "tools.variants", what, HW], cwd=course,
                              env={**tool_env(), "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=True)
               for what in ("show", "release"))
    fetched, fetch_log = {}, {}
    for role, user in ids.items():
        users.run(user, "mkdir -p ~/.jupyter && cat > ~/.jupyter/nbgrader_config.py <<'EOF'\n"
                        + STUDENT_CONFIG.format(exchange=str(exchange)) + "EOF")
        fetch_log[role] = users.nbgrader(user, "fetch_assignment", HW)
        folder = Path(f"/home/{user}/{HW}")
        fetched[role] = {"nb": load(folder / f"{HW}.ipynb"), "files": sorted(p.name for p in folder.iterdir())}

    # Everyone works on the notebook they fetched; carol hands in bob's (solved for bob's XOR_HIGH).
    values = {role: variants.draw(seeds.course_secret(course), HW, ids[role], spec)["XOR_HIGH"] for role in ids}
    solution = load(course / "solutions" / HW / f"{HW}.ipynb")
    notebooks = shared / "notebooks"
    notebooks.mkdir(mode=0o755)
    work = {role: solve(fetched[role]["nb"], solution, xor_answer(values[role])) for role in ("alice", "bob")}
    work["carol"] = work["bob"]
    for role, user in ids.items():
        nbformat.write(work[role], str(notebooks / f"{role}.ipynb"))
        os.chmod(notebooks / f"{role}.ipynb", 0o644)
        users.run(user, f"cp {notebooks / (role + '.ipynb')} ~/{HW}/{HW}.ipynb")
        users.nbgrader(user, "submit", HW)
    run_nbgrader(course, "collect", HW)
    run_nbgrader(course, "autograde", HW, "--create")
    return {"course": course, "exchange": exchange, "ids": ids, "release": release, "show": show.stdout,
            "fetched": fetched, "fetch_log": fetch_log, "values": values,
            "points": {g: float(p) for g, p in autograded_points(solution).items()},
            "scores": {role: s for role, s in zip(ids, scores(course, HW, list(ids.values())).values())}}


def _shown(show_output: str) -> dict:
    """`python -m tools.variants show` output as {student: cell source}."""
    out = {}
    for line in show_output.splitlines():
        sid, _, rest = line.partition(": ")
        out[sid] = variants.render(dict((k, float(v)) for k, v in (p.split(" = ") for p in rest.split(", "))))
    return out


def test_release_puts_every_gradebook_students_copy_into_the_exchange(klass):
    c = klass
    outbound = c["exchange"] / "ffnn" / "outbound" / HW
    assert "Released the variants of 2 student(s)" in c["release"].stdout + c["release"].stderr
    default = outbound / f"{HW}.ipynb"
    assert cell_by_id(load(default), "variant").source == variants.render(
        variants.default(variants.spec_of(c["course"] / "solutions" / HW / "checks.py")))
    copies = sorted((outbound / fx.VARIANTS_DIR).iterdir())
    assert [p.name for p in copies] == sorted(fx.variant_key("ffnn", HW, c["ids"][r]) for r in ("alice", "bob"))
    # the same modes and owner as nbgrader's own copy; no secret, no checks anywhere in the release
    for p in [outbound / fx.VARIANTS_DIR, *copies]:
        assert stat.S_IMODE(p.stat().st_mode) == stat.S_IMODE(outbound.stat().st_mode), p
    for p in (outbound / fx.VARIANTS_DIR).rglob("*.ipynb"):
        assert stat.S_IMODE(p.stat().st_mode) == stat.S_IMODE(default.stat().st_mode) == 0o644, p
    # the LMS path writes the same notebook for each student
    for role in ("alice", "bob"):
        sid = c["ids"][role]
        assert (outbound / fx.VARIANTS_DIR / fx.variant_key("ffnn", HW, sid) / f"{HW}.ipynb").read_bytes() == \
            (c["course"] / "variants" / HW / sid / HW / f"{HW}.ipynb").read_bytes()
    names = {p.name for p in outbound.rglob("*")}
    assert not names & {seeds.SECRET_FILE, "checks.py", "gradebook.db"}, names


def test_each_student_fetches_their_own_variant(klass):
    c, ids = klass, klass["ids"]
    shown = _shown(c["show"])
    nbs = {role: c["fetched"][role]["nb"] for role in ids}
    for role in ("alice", "bob"):
        cell = cell_by_id(nbs[role], "variant")
        assert cell.source == shown[ids[role]] == variants.render({"XOR_HIGH": c["values"][role]}), role
        from nbgrader.utils import compute_checksum

        assert cell.metadata.nbgrader.checksum == compute_checksum(cell)     # validate sees an untouched cell
        assert "Your variant of hw2_perceptron" in c["fetch_log"][role]
    assert cell_by_id(nbs["alice"], "variant").source != cell_by_id(nbs["bob"], "variant").source
    # exactly the variant cell differs: every other cell is the class's release, as it is
    default = load(c["exchange"] / "ffnn" / "outbound" / HW / f"{HW}.ipynb")
    for role in ids:
        assert [gid(x) for x in nbs[role].cells] == [gid(x) for x in default.cells]
        assert [x for x in nbs[role].cells if gid(x) != "variant"] == [x for x in default.cells if gid(x) != "variant"]
    # carol was not in the gradebook at release: the default variant
    assert cell_by_id(nbs["carol"], "variant").source == cell_by_id(default, "variant").source
    assert "No personal variant" in c["fetch_log"]["carol"]
    for role in ids:
        assert c["fetched"][role]["files"] == sorted(
            p.name for p in (c["exchange"] / "ffnn" / "outbound" / HW).iterdir() if p.name != fx.VARIANTS_DIR)


def test_each_graded_against_their_own_variant_and_a_swapped_copy_loses_it(klass):
    sc, points = klass["scores"], klass["points"]
    assert sc["alice"] == points and sc["bob"] == points, sc
    assert sc["carol"] == {**points, "test_4_table": 0.0}, sc["carol"]


def test_variant_key_refuses_bad_input():
    assert fx.variant_key("ffnn", HW, "alice") != fx.variant_key("ffnn", HW, "bob")
    assert fx.variant_key("ffnn", "a", "b+c") != fx.variant_key("ffnn", "a+b", "c")
    with pytest.raises(ValueError, match="student must be a non-empty str"):
        fx.variant_key("ffnn", HW, "")
