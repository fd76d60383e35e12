"""Reproducible grading (ffgrader/seeds.py): every hidden check's seed is HMAC-SHA256 of the course secret,
the assignment, the student id (the folder the submission is filed under), the grade id and the draw, and is
recorded in grading_seeds/. A class of hw2_perceptron is graded through the real pipeline with the commands
of the instructor guide: two autograde runs give the same scores and byte-identical feedback, a replay
reproduces the inputs a check drew, ``--reseed`` draws new ones on purpose, and a regrade of one part after
fixing its check changes that part only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from attacks.course import ROOT, cell_by_id, load, run_nbgrader, scores, tree_bytes
from ffgrader import exprs, seeds
from grading_support import load_checks, loopback
from shared_courses import HW2, HW2_GROUP, HW2_STUDENTS
from tools.env import tool_env
from tools.regrade import Recorder, plain

# The class is graded twice once per run (tests/shared_courses.py), with the other tests that read it.
pytestmark = [pytest.mark.nbgrader, pytest.mark.slow, HW2_GROUP]

HW = HW2
STUDENTS = HW2_STUDENTS


def run(course, *args):
    """A course command as the guide types it (python -m ..., in the course directory)."""
    proc = subprocess.run([sys.executable, "-m", *args], cwd=course, env={**tool_env(), "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def gid(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


@pytest.fixture(scope="module")
def twice(graded_hw2_twice):
    """alice: the solution; bob: the untouched release; carol: the solution with 1/N missing in 1b; autograded
    and fed back twice by the guide's commands (shared_courses.graded_hw2_twice)."""
    return graded_hw2_twice


def test_the_secret_is_created_private_and_stays_out_of_everything_students_see(twice):
    course = twice["course"]
    key = course / seeds.SECRET_FILE
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    text = key.read_text().strip()
    assert len(bytes.fromhex(text)) == 32
    for folder in ("autograded", "feedback", "exercises", "submitted", seeds.RECORDS_DIR):
        for rel, data in tree_bytes(course / folder).items():
            assert text.encode() not in data, f"{folder}/{rel}"
    assert oct((course / seeds.RECORDS_DIR).stat().st_mode & 0o777) == "0o700"


def test_two_autograde_runs_give_the_same_scores_and_byte_identical_feedback(twice):
    first, second = twice["first"], twice["second"]
    sc = first["scores"]
    # the class is graded as it should be: alice full, bob 0, carol loses 1b only
    points = {g: float(v) for g, v in sc["alice"].items()}
    assert all(v > 0 for v in points.values()) and set(sc["bob"].values()) == {0.0}
    assert sc["carol"] == {**points, "test_1b": 0.0}
    assert second["scores"] == first["scores"]
    assert set(first["feedback"]) == {f"{s}/{HW}/{HW}.html" for s in STUDENTS}
    assert second["feedback"] == first["feedback"]          # every byte of every feedback page
    assert second["records"] == first["records"]


def test_the_record_holds_each_checks_seed_and_score(twice):
    course, sc = twice["course"], twice["first"]["scores"]
    secret = seeds.course_secret(course)
    records = {s: seeds.read_record(course, HW, s, HW) for s in STUDENTS}
    for s, rec in records.items():
        assert rec["student"] == s and rec["draw"] == 0
        assert set(rec["checks"]) == set(sc[s])
        for g, entry in rec["checks"].items():
            assert int(entry["seed"]) == seeds.check_seed(secret, HW, s, g, 0)
            assert float(entry["score"]) == sc[s][g]
    # each student, each check: its own inputs
    all_seeds = [e["seed"] for rec in records.values() for e in rec["checks"].values()]
    assert len(set(all_seeds)) == len(all_seeds)


def replay_json(course, student, grade_id):
    return json.loads(run(course, "tools.assignments", "replay", HW, student, grade_id, "--json").stdout)


def test_a_replay_reproduces_the_inputs_and_the_verdict(twice):
    course = twice["course"]
    got = replay_json(course, "carol", "test_1b")
    record = seeds.read_record(course, HW, "carol", HW)
    assert got["seed"] == record["checks"]["test_1b"]["seed"] == got["recorded_seed"]
    assert got["passed"] is False and "delta_rule_step" in got["message"]
    calls = [c for c in got["calls"] if c["op"] == "call"]
    assert calls and all(c["name"] == "delta_rule_step" for c in calls)
    # The same check, run here on carol's autograded notebook with the recorded seed, draws the same inputs.
    nb = load(course / "autograded" / "carol" / HW / f"{HW}.ipynb")
    checks = load_checks(HW)
    student = loopback(nb, checks)
    try:
        rec = Recorder(student)
        seed = int(record["checks"]["test_1b"]["seed"])
        with seeds.check_scope(seed):
            verdict = checks.run("test_1b", rec, np.random.default_rng(seed))
    finally:
        student.close()
    assert verdict.passed is False
    assert [plain(c["args"]) for c in rec.calls if c["op"] == "call"] == [c["args"] for c in calls]
    # another student's replay of the same part drew other inputs
    other = [c["args"] for c in replay_json(course, "alice", "test_1b")["calls"] if c["op"] == "call"]
    assert other != [c["args"] for c in calls]


def test_the_replay_prints_the_inputs(twice):
    out = run(twice["course"], "tools.assignments", "replay", HW, "alice", "test_4_table").stdout
    assert "seed" in out and "XOR_HIGH = " in out and "xor_relu_network()" in out and "PASSED" in out, out


def test_reseed_draws_new_inputs_on_purpose_and_records_them(twice, tmp_path):
    course = shutil.copytree(twice["course"], tmp_path / "course", symlinks=True)
    before = seeds.read_record(course, HW, "alice", HW)
    run(course, "tools.classroom", "autograde", HW, "--jobs", "1", "--student", "alice", "--reseed")
    after = seeds.read_record(course, HW, "alice", HW)
    assert after["draw"] != 0
    assert all(after["checks"][g]["seed"] != before["checks"][g]["seed"] for g in before["checks"])
    assert scores(course, HW, ["alice"]) == {"alice": twice["first"]["scores"]["alice"]}
    # the next ordinary run repeats the new draw
    run(course, "tools.classroom", "autograde", HW, "--jobs", "1", "--student", "alice")
    assert seeds.read_record(course, HW, "alice", HW) == after


def test_regrade_one_part_changes_that_part_only(twice, tmp_path):
    from nbgrader.api import Gradebook

    course = shutil.copytree(twice["course"], tmp_path / "course", symlinks=True)
    checks = course / "solutions" / HW / "checks.py"
    fixed = checks.read_text()
    right = "expect_array(part, got, P.perceptron_predict(X, w, b, signed=True)"
    assert fixed.count(right) == 1
    broken = fixed.replace(right, right.replace("got, P.", "got, -P."))
    checks.write_text(broken)          # a bug in the check of 2a: every right answer fails it
    run_nbgrader(course, "autograde", HW, "--force", cli=True)
    db = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(db) as gb:         # the instructor's manual grades, given in the formgrader
        gb.find_grade("task_1a", HW, HW, "alice").manual_score = 2.5
        gb.find_grade("test_1b", HW, HW, "carol").manual_score = 1.0
        gb.db.commit()

    def state():
        with Gradebook(db) as gb:
            return {(s, g.name): (g.auto_score, g.manual_score)
                    for s in STUDENTS for g in gb.find_submission_notebook(HW, HW, s).grades}

    old = state()
    assert old[("alice", "test_2a")][0] == 0.0 and old[("carol", "test_2a")][0] == 0.0
    nbs = {s: load(course / "autograded" / s / HW / f"{HW}.ipynb") for s in STUDENTS}
    checks.write_text(fixed)           # the fix
    out = run(course, "tools.classroom", "regrade", HW, "test_2a").stdout
    assert "regraded test_2a of 3 submission(s)" in out
    new = state()
    changed = {k for k in old if old[k] != new[k]}
    assert changed == {("alice", "test_2a"), ("carol", "test_2a")}, (changed, old, new)
    assert new[("alice", "test_2a")] == (1.0, None) and new[("bob", "test_2a")] == (0.0, None)
    assert new[("alice", "task_1a")] == (None, 2.5) and new[("carol", "test_1b")] == (0.0, 1.0)
    for s in STUDENTS:                 # the autograded notebook: only that test cell's outputs changed
        now = load(course / "autograded" / s / HW / f"{HW}.ipynb")
        for a, b in zip(nbs[s].cells, now.cells):
            if gid(a) != "test_2a":
                assert a == b, (s, gid(a))
        assert (cell_by_id(now, "test_2a").outputs != cell_by_id(nbs[s], "test_2a").outputs) == (s != "bob")
    # the record: that part's score follows the regrade, its seed is the one it was graded with
    rec = seeds.read_record(course, HW, "alice", HW)
    assert rec["checks"]["test_2a"]["score"] == 1.0
    assert int(rec["checks"]["test_2a"]["seed"]) == seeds.check_seed(seeds.course_secret(course), HW, "alice", "test_2a")


def test_sympy_comparison_points_come_from_the_checks_seed(monkeypatch):
    """Inside a check (the runner's scope) the equivalence test's points derive from the check's seed: the
    same check, same points; another check, other points. Outside a check they are fresh."""
    import sympy as sp

    seen = []
    monkeypatch.setattr(exprs, "run_limited", lambda fn, args, budget: seen.append(args[-1]) or [])
    x = sp.Symbol("x")
    for seed in (7, 7, 8):
        with seeds.check_scope(seed):
            exprs.judge("Symbol('x')", x, [x])
            exprs.judge("Symbol('x')", x, [x])
    assert seen[0:2] == seen[2:4] and seen[0] != seen[1] and seen[4:6] != seen[0:2]
    exprs.judge("Symbol('x')", x, [x])
    exprs.judge("Symbol('x')", x, [x])
    assert seen[6] != seen[7]


def test_the_secret_is_refused_when_others_can_read_it(tmp_path):
    key = seeds.course_secret(tmp_path)
    assert key == seeds.course_secret(tmp_path) and len(key) == 32
    os.chmod(tmp_path / seeds.SECRET_FILE, 0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        seeds.course_secret(tmp_path)
    os.chmod(tmp_path / seeds.SECRET_FILE, 0o600)
    (tmp_path / seeds.SECRET_FILE).write_text("not a key")
    with pytest.raises(ValueError, match="does not hold a course secret"):
        seeds.course_secret(tmp_path)


def test_seeds_are_keyed_on_every_part():
    k = b"s" * 32
    base = seeds.check_seed(k, HW, "alice", "test_1b")
    assert base == seeds.check_seed(k, HW, "alice", "test_1b", 0)
    others = {seeds.check_seed(b"t" * 32, HW, "alice", "test_1b"), seeds.check_seed(k, "hw1", "alice", "test_1b"),
              seeds.check_seed(k, HW, "bob", "test_1b"), seeds.check_seed(k, HW, "alice", "test_2a"),
              seeds.check_seed(k, HW, "alice", "test_1b", 1)}
    assert base not in others and len(others) == 5
    # no ambiguity from joining the parts: ("a b", "c") and ("a", "b c") differ
    assert seeds.keyed(k, "x", "a b", "c") != seeds.keyed(k, "x", "a", "b c")
    with pytest.raises(ValueError, match="draw"):
        seeds.check_seed(k, HW, "alice", "test_1b", -1)
