"""The adversarial corpus (tests/attacks/corpus.py) graded with the real nbgrader commands.

One honest "victim" is graded first; then every attacker is autograded in one `nbgrader autograde` and
feedback is generated for all. Asserted: each attack earns 0 for the parts it attacks and the honest score
for the rest; the victim's grades and files, the gradebook's stored source cells, solutions/ and exercises/
are byte-identical afterwards; no hidden-test line, rubric line or instructor path is in any feedback file;
the listener on 127.0.0.1 started here was never reached; no process started by a submission survives; and
for the families of issue 18, what each cap and limit did (files, bytes, time, outputs, system calls).
Run on the fixture assignment (all generic attacks and the by-hand bypasses, with the real `nbgrader`
command as the guide types it, in two processes at once as `tools.classroom autograde --jobs 2` runs it) and on every real assignment that has trusted checks (the attacks on the
grader, and each assignment's wrong work; nbgrader's application in this process).
"""

import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest

from attacks import corpus
from attacks.course import (
    ROOT, autograde_shards, autograded_points, feedback_texts, gradebook_rows, hidden_lines, load,
    make_course, run_nbgrader, scores, submit, tree_bytes,
)
from grading_support import processes_with

# Each fixture (the fixture assignment's run, each real assignment's run) is its own xdist group, so that the
# runs spread over the workers; every test of a run is in its run's group, so each run is built once.
pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]
FX_GROUP = pytest.mark.xdist_group("attacks")

CAPS = ("c.SandboxedGrading.work_files = 2000\nc.SandboxedGrading.work_mb = 32\n"
        "c.SandboxedGrading.output_bytes = 200000\nc.SandboxedGrading.added_cells = 100")
# The limits are short so that the hanging attacks end soon, but long enough for a slow, loaded 2-core machine:
# at 4 s the imports cell (numpy and SymPy) timed out there, and with a 20 s budget the worker's restarts after
# crash_scratch's crashing cells (each restart runs the cells before it again) used up the budget before the
# answers were back in the namespace.
CONFIG = ("c.SandboxedGrading.cell_timeout = 8\nc.SandboxedGrading.check_timeout = 6\n"
          "c.SandboxedGrading.cells_timeout = 40\n" + CAPS)
REAL_CONFIG = ("c.SandboxedGrading.cell_timeout = 10\nc.SandboxedGrading.check_timeout = 30\n"
               "c.SandboxedGrading.cells_timeout = 90\n" + CAPS)
MASTER_TABLES = ("source_cell", "grade_cells", "solution_cells", "task_cells", "notebook", "assignment")
REAL = sorted(p.parent.name for p in (ROOT / "solutions").glob("*/checks.py")
              if (p.parent / f"{p.parent.name}.ipynb").exists())


def _victim_grades(course, hw):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(hw, hw, "victim")
        return sorted((g.name, g.auto_score, g.manual_score, g.extra_credit) for g in nb.grades)


def _wait_gone(marker, seconds=30.0):
    """Wait (a safety net, not a pause) until no process carries ``marker``; the processes still there."""
    deadline = time.monotonic() + seconds
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    return processes_with(marker)


def _grade_with_attacks(course, hw, attacks, cli=False, shards=None):
    """``shards``: the attackers' names in groups, each autograded by its own ``nbgrader`` process, all at once
    (the attacks that wait for a timeout beside the rest); None: one ``nbgrader autograde`` for all."""
    solution = load(course / "solutions" / hw / f"{hw}.ipynb")
    blank = load(course / "exercises" / hw / f"{hw}.ipynb")
    submit(course, "victim", hw, solution)
    run_nbgrader(course, "autograde", hw, "--student", "victim", cli=cli)

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
    before = {"cgroups": set(_stale_cgroups()),
              "victim": _victim_grades(course, hw), "master": {t: v for t, v in gradebook_rows(course).items()
                                                               if t in MASTER_TABLES},
              "files": {d: tree_bytes(course / d) for d in ("solutions", "exercises", "submitted/victim",
                                                            "autograded/victim")}}
    for a in attacks:
        submit(course, f"att_{a.name}", hw, a.build(solution, blank, ctx))
    if shards is None:
        proc = run_nbgrader(course, "autograde", hw, "--student", "att_*", check=False, cli=cli)
    else:
        assert cli and sorted(n for part in shards for n in part) == sorted(a.name for a in attacks)
        proc = autograde_shards(course, hw, [[f"att_{n}" for n in part] for part in shards],
                                ["victim"] + [f"att_{a.name}" for a in attacks])
    fb = run_nbgrader(course, "generate_feedback", hw, "--force", check=False, cli=cli)
    survivors = _wait_gone(ctx["marker"])
    after = {"cgroups": set(_stale_cgroups()),
             "victim": _victim_grades(course, hw), "master": {t: v for t, v in gradebook_rows(course).items()
                                                              if t in MASTER_TABLES},
             "files": {d: tree_bytes(course / d) for d in before["files"]}}
    stop.set()
    thread.join(timeout=5)
    srv.close()
    return {"course": course, "hw": hw, "solution": solution, "points": autograded_points(solution), "proc": proc,
            "fb": fb, "before": before, "after": after, "reached": reached, "ctx": ctx, "survivors": survivors,
            "scores": scores(course, hw, [f"att_{a.name}" for a in attacks])}


def _expected(attack, points):
    if attack.attacked == "ungraded":
        return None
    if attack.attacked == "all":
        return {g: 0 for g in points}
    return {g: (0 if g in attack.attacked else p) for g, p in points.items()}


def _check_scores(graded, attacks):
    wrong = {}
    for a in attacks:
        got, want = graded["scores"][f"att_{a.name}"], _expected(a, graded["points"])
        if want is None:
            if got is not None and any(v is not None for v in got.values()):
                wrong[a.name] = got
        elif got != want:
            wrong[a.name] = {"got": got, "want": want, "messages": _messages(graded, a.name)}
    assert not wrong, wrong


def _messages(graded, name):
    path = graded["course"] / "autograded" / f"att_{name}" / graded["hw"] / f"{graded['hw']}.ipynb"
    if not path.exists():
        return None
    nb = load(path)
    return {cell.metadata.get("nbgrader", {}).get("grade_id"): out.get("evalue", "")[:400]
            for cell in nb.cells for out in cell.get("outputs", []) if out.get("output_type") == "error"}


def _check_untouched(graded):
    before, after = graded["before"], graded["after"]
    assert after["victim"] == before["victim"]
    assert after["master"] == before["master"]
    for d in before["files"]:
        assert after["files"][d] == before["files"][d], d
    assert graded["reached"] == [], "a submission reached the host's 127.0.0.1"
    assert graded["survivors"] == []
    # Only the cgroups this grading left count: a machine can hold some from a grader killed long before (they
    # sit under that session's cgroup, where only a grader started there would sweep them).
    assert after["cgroups"] - before["cgroups"] == set()


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
    for f in (course / "autograded").rglob("*.ipynb"):
        assert f.stat().st_size < 3 * 2**20, f  # nor the graded notebook


FX_ATTACKS = corpus.GENERIC + corpus.FX
# The attacks that spend their time waiting for the cell timeouts and the cells' budget (and crash_scratch's
# restarts), graded by a second nbgrader process beside the others: about half of the run's time each.
FX_WAITING = ["crash_scratch", "hang_scratch", "fork_bomb", "sigint_loop", "hang_call"]


@pytest.fixture(scope="module")
def fx(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("attacks"), "fx", extra_config=CONFIG)
    rest = [a.name for a in FX_ATTACKS if a.name not in FX_WAITING]
    return _grade_with_attacks(course, "fx", FX_ATTACKS, cli=True, shards=[FX_WAITING, rest])


@FX_GROUP
def test_fx_each_attack_earns_nothing_for_what_it_attacks(fx):
    _check_scores(fx, FX_ATTACKS)


@FX_GROUP
def test_fx_gradebook_solutions_and_other_students_untouched(fx):
    _check_untouched(fx)


@FX_GROUP
def test_fx_feedback_leaks_nothing(fx):
    _check_feedback(fx, [f"att_{a.name}" for a in FX_ATTACKS])


@FX_GROUP
def test_fx_tampered_cells_do_not_change_points_or_add_grades(fx):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{fx['course'] / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook("fx", "fx", "att_tamper_metadata")
        assert sorted(g.name for g in nb.grades) == sorted(fx["before"]["victim"][i][0]
                                                           for i in range(len(fx["before"]["victim"])))
        assert {g.name: g.max_score for g in nb.grades} == {"test_1": 2, "test_2": 2, "test_3": 1, "task_4": 1}


def _outputs(graded, name):
    nb = load(graded["course"] / "autograded" / f"att_{name}" / graded["hw"] / f"{graded['hw']}.ipynb")
    return nb, [(c.metadata.get("nbgrader", {}).get("grade_id"), out) for c in nb.cells
                for out in c.get("outputs", [])]


@FX_GROUP
def test_fx_caps_stop_what_would_fill_the_host(fx):
    """Families 5 and 7: what each cap did, read from the graded notebooks."""
    _, outs = _outputs(fx, "many_files")
    texts = [o.get("evalue", "") + o.get("text", "") for _, o in outs]
    assert any("more than 2000 files" in t for t in texts), texts        # the file cap stopped the cell
    stopped = [t for t in texts if t.startswith("stopped after")]
    assert stopped and int(stopped[0].split()[2]) <= 32, stopped       # the 32 MiB work directory was full
    _, outs = _outputs(fx, "hang_scratch")
    enames = [o.get("ename") for _, o in outs if o.get("output_type") == "error"]
    assert "CellTimeout" in enames and "NotRun" in enames, enames      # the notebook's cell budget ended it
    nb, outs = _outputs(fx, "huge_cells")
    kept = sum(len(o.get("text", "")) for _, o in outs if o.get("output_type") == "stream")
    assert kept <= 200_000 + 1000, kept
    assert any("not run" in o.get("evalue", "") for _, o in outs)      # cells beyond the 100 of its own
    _, outs = _outputs(fx, "escape_kernel")
    text = " ".join(o.get("text", "") for _, o in outs)
    for refused in ("'unshare(CLONE_NEWUSER)': (-1, 'Operation not permitted')",
                    "'mount tmpfs': (-1, 'Operation not permitted')", "'keyctl': (-1, 'Operation not permitted')",
                    "'/proc/1/cmdline': 'FileNotFoundError'", "'/proc/self/mountinfo': 'FileNotFoundError'"):
        assert refused in text, (refused, text[:2000])


@FX_GROUP
def test_fx_crashes_and_missing_cells_cost_only_their_parts(fx):
    """Family 6: crashing scratch cells keep the answers' points (asserted in the scores); an answer cell
    deleted with its test cell costs that part, is reported, and the notebook still gets its feedback."""
    log = fx["proc"].stdout + fx["proc"].stderr
    assert "KeyError" not in log
    # One line per missing cell, naming the student (ffgrader.nbgrader_pre.OverwriteCells).
    assert "att_delete_pair's fx/fx.ipynb: cell answer_3 changed: answer cell deleted" in log
    assert "att_delete_pair's fx/fx.ipynb: cell test_3 changed: deleted: put back" in log
    assert "att_delete_pair" in feedback_texts(fx["course"], "fx")
    _, outs = _outputs(fx, "delete_pair")
    assert any(g == "test_3" and "total is not defined" in o.get("evalue", "") for g, o in outs)


@FX_GROUP
def test_fx_by_hand_parts_are_graded_without_sympy_calculus(fx):
    for name in ("byhand_other_cell", "byhand_eval_derivative", "byhand_dispatch", "byhand_getmembers",
                 "byhand_reload", "byhand_source", "byhand_getattr", "byhand_helper"):
        _, outs = _outputs(fx, name)
        message = next(o.evalue for g, o in outs if g == "test_2")
        assert "[test_2]" in message or "[2 dexp]" in message, message
    _, outs = _outputs(fx, "max_bomb")
    assert any(g == "test_2" and "time budget" in o.get("evalue", "") for g, o in outs)


# On the real assignments: the attacks on the grader, without the slow resource bombs (hangs, fork and memory
# bombs, huge output, file floods), whose cost does not depend on the assignment and which the fixture run
# already covers. hw1 gets each attack as its own submission; the other assignments get the attacks that start
# from the blank notebook (cheap) plus all escapes and crashes combined in one submission; every assignment gets
# its wrong work (issue 18, family 3), hw3 the order attack and the glue steering, hw5 the request capture.
BOMBS = {"sigint_loop", "fork_bomb", "memory", "huge_output", "hang_scratch", "huge_cells", "many_files"}
REAL_ATTACKS = [a for a in corpus.GENERIC if a.name not in BOMBS]
LIGHT_ATTACKS = [a for a in REAL_ATTACKS if a.attacked in ("all", "ungraded")] + [corpus.ESCAPES]


def _attacks_for(hw):
    extra = {"hw3_backprop": [corpus.ORDER_CAPTURE, corpus.GLUE_STEER],
             "hw5_approximation": [corpus.REQUEST_CAPTURE]}.get(hw, [])
    return (REAL_ATTACKS if hw == "hw1_neurons" else LIGHT_ATTACKS) + [corpus.wrong_work(hw)] + extra


@pytest.fixture(scope="module", params=[pytest.param(hw, marks=pytest.mark.xdist_group(f"attacks-{hw}")) for hw in REAL])
def real(request, tmp_path_factory):
    hw = request.param
    course = make_course(tmp_path_factory.mktemp(f"attacks-{hw}"), hw, extra_config=REAL_CONFIG)
    return _grade_with_attacks(course, hw, _attacks_for(hw))


def test_real_assignments_resist_the_attacks_on_the_grader(real):
    attacks = _attacks_for(real["hw"])
    _check_scores(real, attacks)
    _check_untouched(real)
    _check_feedback(real, [f"att_{a.name}" for a in attacks])
    if real["hw"] == "hw5_approximation":  # the capture worked, and holds plain data only
        feedback = feedback_texts(real["course"], real["hw"])["att_request_capture"]
        # the message (the attack's source, shown above its output, also holds "captured: "); the feedback
        # shortens a long message: it is read up to the next cell's prompt ("In [ ]:")
        start = feedback.find("captured: {")
        assert start >= 0, [feedback[max(0, m.start() - 300):m.start() + 700] for m in re.finditer("captured: ", feedback)]
        captured = re.split(r"\sIn\s\[", feedback[start + len("captured: "):], maxsplit=1)[0]
        assert len(captured) < len(feedback) - start - 100, "the message runs to the end of the feedback"
        assert "'op': 'call'" in captured, captured[:3000]
        for code in ("lambda", "errstate", "__globals__", "import ", "def "):
            assert code not in captured, (code, captured[:3000])
