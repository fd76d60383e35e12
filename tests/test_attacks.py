"""The adversarial corpus (tests/attacks/corpus.py) graded with the real nbgrader commands.

One honest "victim" is graded first; then every attacker is autograded in one `nbgrader autograde` and
feedback is generated for all. Asserted: each attack earns 0 for the parts it attacks and the honest score
for the rest; the victim's grades and files, the gradebook's stored source cells, solutions/ and exercises/
are byte-identical afterwards; no hidden-test line, rubric line or instructor path is in any feedback file;
the listener on 127.0.0.1 started here was never reached; no process started by a submission survives.
Run on the fixture assignment (all attacks) and on every real assignment that has trusted checks (the
attacks on the grader itself).
"""

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from attacks import corpus
from ffgrader.checks import load as load_checks
from grading_support import processes_with
from attacks.course import (
    ROOT, autograded_points, feedback_texts, gradebook_rows, hidden_lines, load, make_course, run_nbgrader, scores,
    submit, tree_bytes,
)

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow, pytest.mark.xdist_group("attacks")]

CONFIG = "c.SandboxedGrading.cell_timeout = 4\nc.SandboxedGrading.check_timeout = 6"
REAL_CONFIG = "c.SandboxedGrading.cell_timeout = 10\nc.SandboxedGrading.check_timeout = 30"
MASTER_TABLES = ("source_cell", "grade_cells", "solution_cells", "task_cells", "notebook", "assignment")
REAL = sorted(p.parent.name for p in (ROOT / "solutions").glob("*/checks.py")
              if (p.parent / f"{p.parent.name}.ipynb").exists())


def _victim_grades(course, hw):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(hw, hw, "victim")
        return sorted((g.name, g.auto_score, g.manual_score, g.extra_credit) for g in nb.grades)


def _grade_with_attacks(course, hw, attacks):
    solution = load(course / "solutions" / hw / f"{hw}.ipynb")
    blank = load(course / "exercises" / hw / f"{hw}.ipynb")
    submit(course, "victim", hw, solution)
    run_nbgrader(course, "autograde", hw, "--student", "victim")

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(0.5)
    reached, stop = [], threading.Event()

    def listen():
        while not stop.is_set():
            try:
                reached.append(srv.accept())
            except OSError:
                pass

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    ctx = {"course": str(course), "gradebook": str(course / "gradebook.db"),
           "solutions": str(course / "solutions"), "checks": str(course / "solutions" / hw / "checks.py"),
           "victim_nb": str(course / "submitted" / "victim" / hw / f"{hw}.ipynb"),
           "victim_autograded": str(course / "autograded" / "victim" / hw / f"{hw}.ipynb"),
           "port": srv.getsockname()[1], "marker": str(880000 + os.getpid() % 10000)}
    before = {"victim": _victim_grades(course, hw), "master": {t: v for t, v in gradebook_rows(course).items()
                                                               if t in MASTER_TABLES},
              "files": {d: tree_bytes(course / d) for d in ("solutions", "exercises", "submitted/victim",
                                                            "autograded/victim")}}
    for a in attacks:
        submit(course, f"att_{a.name}", hw, a.build(solution, blank, ctx))
    proc = run_nbgrader(course, "autograde", hw, "--student", "att_*", check=False)
    fb = run_nbgrader(course, "generate_feedback", hw, "--force", check=False)
    time.sleep(4)  # the detached attacker waits 3 s after grading before it strikes
    after = {"victim": _victim_grades(course, hw), "master": {t: v for t, v in gradebook_rows(course).items()
                                                              if t in MASTER_TABLES},
             "files": {d: tree_bytes(course / d) for d in before["files"]}}
    stop.set()
    thread.join(timeout=5)
    srv.close()
    by_hand = load_checks(course / "solutions" / hw / "checks.py").BY_HAND
    return {"course": course, "hw": hw, "solution": solution, "by_hand": by_hand, "points": autograded_points(solution), "proc": proc,
            "fb": fb, "before": before, "after": after, "reached": reached, "ctx": ctx,
            "scores": scores(course, hw, [f"att_{a.name}" for a in attacks])}


def _expected(attack, points, by_hand):
    if attack.attacked == "ungraded":
        return None
    if attack.attacked == "all":
        return {g: 0 for g in points}
    lost = set(attack.attacked) | (set(by_hand) if attack.by_hand_too else set())
    return {g: (0 if g in lost else p) for g, p in points.items()}


def _check_scores(graded, attacks):
    wrong = {}
    for a in attacks:
        got, want = graded["scores"][f"att_{a.name}"], _expected(a, graded["points"], graded["by_hand"])
        if want is None:
            if got is not None and any(v is not None for v in got.values()):
                wrong[a.name] = got
        elif got != want:
            wrong[a.name] = {"got": got, "want": want}
    assert not wrong, wrong


def _check_untouched(graded):
    before, after = graded["before"], graded["after"]
    assert after["victim"] == before["victim"]
    assert after["master"] == before["master"]
    for d in before["files"]:
        assert after["files"][d] == before["files"][d], d
    assert graded["reached"] == [], "a submission reached the host's 127.0.0.1"
    assert processes_with(graded["ctx"]["marker"]) == []
    assert _stale_cgroups() == []


def _stale_cgroups():
    """Per-sandbox cgroups whose grading process is gone (each is named ffgrader-<grader pid>-<n>)."""
    stale = []
    for controller in ("pids", "memory"):
        base = Path("/sys/fs/cgroup") / controller
        for p in base.rglob("ffgrader-*") if base.is_dir() else []:
            pid = int(p.name.split("-")[1])
            if not Path(f"/proc/{pid}").exists():
                stale.append(p)
    return stale


def _check_feedback(graded, students):
    course, hw = graded["course"], graded["hw"]
    texts = feedback_texts(course, hw)
    graded_students = [s for s in students if graded["scores"].get(s)
                       and any(v is not None for v in graded["scores"][s].values())]
    assert set(graded_students) <= set(texts), (sorted(set(graded_students) - set(texts)), graded["fb"].stderr[-3000:])
    secret = hidden_lines(graded["solution"], course / "solutions" / hw / "checks.py")
    assert secret
    for student, text in texts.items():
        for line in secret:
            assert line not in text, (student, line)
        for marker in ("HIDDEN TESTS", "MARK SCHEME", str(course), str(ROOT), "/root/.pyenv", "/tmp/pytest-of"):
            assert marker not in text, (student, marker)
    for f in (course / "feedback").rglob("*.html"):
        assert f.stat().st_size < 5 * 2**20, f  # 50 MB of prints do not reach the feedback


FX_ATTACKS = corpus.GENERIC + corpus.FX


@pytest.fixture(scope="module")
def fx(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("attacks"), "fx", extra_config=CONFIG)
    return _grade_with_attacks(course, "fx", FX_ATTACKS)


def test_fx_each_attack_earns_nothing_for_what_it_attacks(fx):
    _check_scores(fx, FX_ATTACKS)


def test_fx_gradebook_solutions_and_other_students_untouched(fx):
    _check_untouched(fx)


def test_fx_feedback_leaks_nothing(fx):
    _check_feedback(fx, [f"att_{a.name}" for a in FX_ATTACKS])


def test_fx_tampered_cells_do_not_change_points_or_add_grades(fx):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{fx['course'] / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook("fx", "fx", "att_tamper_metadata")
        assert sorted(g.name for g in nb.grades) == sorted(fx["before"]["victim"][i][0]
                                                           for i in range(len(fx["before"]["victim"])))
        assert {g.name: g.max_score for g in nb.grades} == {"test_1": 2, "test_2": 2, "test_3": 1, "task_4": 1}


# On the real assignments: the attacks on the grader, without the slow resource bombs (hangs, fork and memory
# bombs, huge output), whose cost does not depend on the assignment and which the fixture run already covers.
# hw1 gets each attack as its own submission; the other assignments get the attacks that start from the blank
# notebook (cheap) plus all escapes and crashes combined in one submission, to keep the suite's time in bounds.
BOMBS = {"sigint_loop", "fork_bomb", "memory", "huge_output"}
REAL_ATTACKS = [a for a in corpus.GENERIC if a.name not in BOMBS]
LIGHT_ATTACKS = [a for a in REAL_ATTACKS if a.attacked in ("all", "ungraded")] + [corpus.ESCAPES]


def _attacks_for(hw):
    return REAL_ATTACKS if hw == "hw1_neurons" else LIGHT_ATTACKS


@pytest.fixture(scope="module", params=REAL)
def real(request, tmp_path_factory):
    hw = request.param
    course = make_course(tmp_path_factory.mktemp(f"attacks-{hw}"), hw, extra_config=REAL_CONFIG)
    return _grade_with_attacks(course, hw, _attacks_for(hw))


def test_real_assignments_resist_the_attacks_on_the_grader(real):
    attacks = _attacks_for(real["hw"])
    _check_scores(real, attacks)
    _check_untouched(real)
    _check_feedback(real, [f"att_{a.name}" for a in attacks])
