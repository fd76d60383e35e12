"""Grades that are fair and usable (issue 25): one class of hw1 (18 autograded points + 4 hand-graded = 22),
graded by the real `nbgrader autograde`, hand-graded in the real formgrader page (headless Chromium), fed back
by the real `nbgrader generate_feedback`, exported by `python -m tools.classroom export`.

- alice hands in the reference solution 30 h after the due date; the grader gives her the 4 manual points in
  the formgrader AFTER autograde. The course's rule (10 % of the score per started day, 15 minutes' grace):
  2 started days, 20 % of 22 = 4.4 off, 17.6. Before this change: 18.4 exported (the penalty of autograde
  time, on 18 points), 22/22 in the formgrader, 17.6 in the feedback with no word why. Now the export, the
  formgrader page, nbgrader's own CSV export and the feedback all say 17.6 and why.
- bob: 30 h late too, but given a 48 h extension before autograde (`classroom extend`): no penalty.
- carol: 30 h late, extension of 30 h granted after autograde: the stored penalty follows (0).
- dave: in the roster, nothing handed in: ``not_submitted``.
- erin: hands in a file that is not a notebook: autograde fails for it: ``ungradeable`` (no zero).
- frank: collected without a timestamp (an LMS download): ``no_timestamp``, no penalty computable.
- gina: hands in the release untouched, on time: graded, 0 points (test_gradebook_postgres.py compares the
  zeros too).
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tools import classroom as C
from tools.env import tool_env
from shared_courses import GRADEBOOK_GROUP, HW1 as HW, classroom
from tools.late_policy import PerDayPenalty

ROOT = C.ROOT
DATA = Path(__file__).resolve().parent / "data"
# The class is graded once per run (tests/shared_courses.py), with test_gradebook_postgres.py, on one worker.
pytestmark = [pytest.mark.slow, pytest.mark.nbgrader, GRADEBOOK_GROUP]


def nbgrader(course, *args, check=True):
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=tool_env(),
                          capture_output=True, text=True)
    assert proc.returncode == 0 or not check, proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope="module")
def graded(gradebook_class):
    return gradebook_class["course"]


def rows_of(path):
    return {r["student_id"]: r for r in csv.DictReader(open(path, newline="", encoding="utf-8"))}


def test_autograde_time_penalty_is_on_the_autograded_points_only(graded):
    """Where the story starts: after autograde alice's stored penalty is 20 % of her 18 autograded points."""
    got = C.scores(graded, HW)
    assert got["alice"]["score"] == pytest.approx(18.0)
    assert got["alice"]["penalty"] == pytest.approx(3.6)
    assert got["bob"]["penalty"] == 0                     # 30 h late, 48 h extension


def _formgrader_context(browser, server_url):
    ctx = browser.new_context()
    # Only the test's own formgrader on 127.0.0.1 is reachable from the page.
    ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server_url)
              else route.abort())
    return ctx


def _open_submission(ctx, server, submission_id):
    page = ctx.new_page()
    page.goto(f"{server.url}/formgrader?token={server.token}")     # log in: the page's API calls need the cookie
    page.goto(f"{server.url}/formgrader/submissions/{submission_id}/")
    page.wait_for_function("() => window.formgrader && formgrader.grades && formgrader.grades.loaded"
                           " && formgrader.comments && formgrader.comments.loaded")
    return page


@pytest.fixture(scope="module")
def hand_graded(graded, tmp_path_factory, browser):
    """The grader gives alice the 4 manual points in the formgrader page, as a person does; carol gets a
    30 h extension afterwards. Returns what each place shows."""
    from test_untrusted_html import FormgraderServer

    from nbgrader.api import Gradebook

    course = graded
    with Gradebook(C.db_url(course)) as gb:
        sub_id = gb.find_submission_notebook(HW, HW, "alice").id
    server = FormgraderServer(course, tmp_path_factory.mktemp("formgrader"))
    out = {}
    try:
        ctx = _formgrader_context(browser, server.url)
        try:
            page = _open_submission(ctx, server, sub_id)
        except Exception as exc:
            raise AssertionError(f"the formgrader page did not load:\n{server.log.read_text()[-6000:]}") from exc
        out["page_before"] = page.locator("#late-policy").inner_text()
        score = page.locator("input.score").last          # task_4, the written answer (the only manual grade)
        score.fill("4")
        with page.expect_response(lambda r: "/api/grade/" in r.url and r.request.method == "PUT") as put:
            score.press("Tab")
        assert put.value.ok, put.value.status
        # nbgrader's own export reads the penalty stored in the gradebook: it must have followed the grade
        nbgrader(course, "export", "--to", str(course / "nbgrader_export.csv"))
        out["nbgrader_export"] = rows_of(course / "nbgrader_export.csv")
        page.reload()
        page.wait_for_function("() => window.formgrader && formgrader.grades && formgrader.grades.loaded")
        out["page_after"] = page.locator("#late-policy").inner_text()
        ctx.close()
    finally:
        server.stop()
    classroom(course, "extend", HW, "carol", "--hours", "30")
    nbgrader(course, "generate_feedback", HW, "--force")
    out["feedback"] = (course / "feedback" / "alice" / HW / f"{HW}.html").read_text()
    print(classroom(course, "export", "grades.csv", "--canvas", "canvas.csv", "--canvas-id", f"{HW}=4471",
                    "--section", "FFNN 2026", "--moodle", "moodle.csv"))
    out["export"] = rows_of(course / "grades.csv")
    return course, out


def test_formgrader_page_shows_the_policy_score_and_why(hand_graded):
    _, out = hand_graded
    # Before the manual points: 20 % of 18. After: 20 % of 22, and the page says why.
    assert "score 14.4 / 22" in out["page_before"], out["page_before"]
    text = out["page_after"]
    assert "score 17.6 / 22" in text and "-4.4" in text, text
    assert "30.0 h after the due date" in text and "2 started day(s)" in text, text
    assert "10 % of the score" in text and "15 minutes' grace" in text, text


def test_the_stored_penalty_follows_a_grade_changed_in_the_formgrader(hand_graded):
    """nbgrader's own CSV export (raw score and stored penalty) right after the grader's change."""
    _, out = hand_graded
    alice = out["nbgrader_export"]["alice"]
    assert float(alice["raw_score"]) == pytest.approx(22.0)
    assert float(alice["late_submission_penalty"]) == pytest.approx(4.4)
    assert float(alice["score"]) == pytest.approx(17.6)


def test_feedback_shows_the_policy_score_and_why(hand_graded):
    _, out = hand_graded
    html = out["feedback"]
    assert re.search(r"\(Score: 17\.6 / 22\.0\)", html), re.findall(r"Score: [^)]*", html)[:3]
    reason = re.search(r'id="late-policy">([^<]*)<', html)
    assert reason, "no late-policy note in the feedback"
    assert "30.0 h after the due date" in reason.group(1) and "20 % of 22 points" in reason.group(1)


def test_export_rows_status_policy_score_and_reason(hand_graded):
    _, out = hand_graded
    rows = out["export"]
    assert {s: r["status"] for s, r in rows.items()} == {
        "alice": "graded", "bob": "graded", "carol": "graded", "dave": "not_submitted", "erin": "ungradeable",
        "frank": "no_timestamp", "gina": "graded"}
    alice = rows["alice"]
    assert float(alice["raw_score"]) == 22.0 and float(alice["late_submission_penalty"]) == pytest.approx(4.4)
    assert float(alice["score"]) == pytest.approx(17.6) and float(alice["hours_late"]) == pytest.approx(30.0)
    assert "2 started day(s)" in alice["late_reason"]
    bob = rows["bob"]
    assert float(bob["extension_hours"]) == 48 and float(bob["late_submission_penalty"]) == 0
    assert float(bob["score"]) == 18.0 and bob["duedate"].startswith("2026-11-22 23:59")
    carol = rows["carol"]        # extension granted after autograde: the penalty went away
    assert float(carol["extension_hours"]) == 30 and float(carol["score"]) == 18.0 and not carol["late_reason"]
    assert rows["dave"]["score"] == "" and rows["erin"]["score"] == "" and rows["erin"]["timestamp"]
    assert float(rows["frank"]["score"]) == 18.0 and rows["frank"]["timestamp"] == ""


def _csv(path):
    return list(csv.reader(open(path, newline="", encoding="utf-8")))


def test_canvas_import_file_has_canvas_layout(hand_graded):
    """Same layout as the sample of Canvas's gradebook CSV (tests/data/README.md cites the Canvas guide)."""
    course, _ = hand_graded
    sample, ours = _csv(DATA / "canvas_gradebook_import_sample.csv"), _csv(course / "canvas.csv")
    assert ours[0][:5] == sample[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    pattern = re.compile(r"^.+ \((\d+)\)$")      # "<assignment> (<Canvas assignment id>)"
    assert all(pattern.match(h) for h in sample[0][5:])
    assert ours[0][5:] == [f"{HW} (4471)"]
    assert ours[1][0].strip() == sample[1][0].strip() == "Points Possible"
    assert ours[1][1:5] == sample[1][1:5] == ["", "", "", ""] and float(ours[1][5]) == 22.0
    assert all(len(r) == len(ours[0]) for r in ours)
    by_id = {r[1]: r for r in ours[2:]}
    assert set(by_id) == {"1001", "1002", "1003", "1004", "1005", "1006", "1007"}
    assert by_id["1001"][0] == "Liddell, Alice" and by_id["1001"][2:5] == ["alice", "alice", "FFNN 2026"]
    assert float(by_id["1001"][5]) == pytest.approx(17.6)
    assert float(by_id["1004"][5]) == 0.0          # dave: nothing handed in, past the due date
    assert by_id["1005"][5] == ""                  # erin: ungradeable, Canvas keeps what it has


def test_moodle_import_file_has_moodle_layout(hand_graded):
    """Same layout as Moodle's own sample of its CSV grade import (tests/data/README.md cites it)."""
    course, _ = hand_graded
    sample, ours = _csv(DATA / "moodle_grade_import_sample.csv"), _csv(course / "moodle.csv")
    sample_head = [h.strip() for h in sample[0]]
    identity = [h for h in ours[0] if not h.startswith(("Assignment: ", "Feedback: "))]
    assert identity and set(identity) <= set(sample_head)           # users mapped by "Email address"/"ID number"
    assert "Email address" in identity and "ID number" in identity
    assert ours[0][len(identity):] == [f"Assignment: {HW}", f"Feedback: {HW}"]
    assert any(h.startswith("Assignment: ") for h in sample_head) and any(h.startswith("Feedback: ") for h in sample_head)
    rows = {r[ours[0].index("Email address")]: dict(zip(ours[0], r)) for r in ours[1:]}
    alice = rows["alice@x.edu"]
    assert float(alice[f"Assignment: {HW}"]) == pytest.approx(17.6)
    assert "Late penalty" in alice[f"Feedback: {HW}"] and "30.0 h" in alice[f"Feedback: {HW}"]
    assert rows["erin@x.edu"][f"Assignment: {HW}"] == "" and "could not be graded" in rows["erin@x.edu"][f"Feedback: {HW}"]
    assert "no late penalty" in rows["frank@x.edu"][f"Feedback: {HW}"]


def test_lms_files_refuse_students_they_cannot_match(tmp_path):
    from tools.gradebook_export import write_canvas, write_moodle

    row = {"assignment": HW, "student_id": "zed", "lms_user_id": "", "last_name": "", "first_name": "", "email": "",
           "status": "not_submitted", "past_due": True, "max_score": 22.0, "score": "", "late_reason": ""}
    with pytest.raises(ValueError, match=r"no lms_user_id \(Canvas user id\) for \['zed'\]"):
        write_canvas([row], tmp_path / "c.csv")
    with pytest.raises(ValueError, match=r"no email for \['zed'\]"):
        write_moodle([row], tmp_path / "m.csv")
    with pytest.raises(ValueError, match="Canvas assignment id of hw1_neurons must be a number"):
        write_canvas([dict(row, lms_user_id="7")], tmp_path / "c.csv", {HW: "abc"})
    # a misspelt assignment name: the error lists the gradebook's assignments
    with pytest.raises(ValueError, match=rf"Canvas id given for \['hw1_nuerons'\], which the gradebook does not "
                                         rf"have \({HW}\)"):
        write_canvas([dict(row, lms_user_id="7")], tmp_path / "c.csv", {"hw1_nuerons": "4471"})


def test_verdict_is_on_the_total_and_says_why():
    plugin = PerDayPenalty()
    v = plugin.verdict(22.0, 22.0, 30 * 3600)
    assert (v.days, v.penalty, v.score) == (2, pytest.approx(4.4), pytest.approx(17.6))
    assert "30.0 h after the due date" in v.reason and "score 17.6 / 22" in v.reason
    assert plugin.verdict(22.0, 22.0, 10 * 60).reason == ""        # within the grace
    assert plugin.verdict(22.0, 22.0, 40 * 86400).score == 0.0     # past 10 days: nothing left


def test_extend_refuses_bad_input(graded):
    with pytest.raises(ValueError, match="between 0 and"):
        C.extend(HW, "alice", graded, hours=-1)
    with pytest.raises(ValueError, match="'nobody' is not in the gradebook"):
        C.extend(HW, "nobody", graded, hours=1)
    with pytest.raises(ValueError, match="is not a database URL"):
        C.db_url(graded, "not a url")
    # Every command that reads an assignment's grades names an unregistered one and how to register it.
    from tools import regrade, stats
    for call in (lambda: C.scores(graded, "hw9"), lambda: stats.collect(graded, "hw9"),
                 lambda: regrade.regrade(graded, "hw9", "q1")):
        with pytest.raises(ValueError, match=r"'hw9' is not in the gradebook sqlite:///.*register it"):
            call()


def test_machine_shards_cover_every_student_once():
    ids = ["zoe", "al", "bo", "cy", "di", "ed", "fay"]
    parts = [C.machine_shard(ids, f"{k}/3") for k in (1, 2, 3)]
    assert sorted(s for p in parts for s in p) == sorted(ids) and all(parts)
    assert C.machine_shard(ids[:1], "2/2") == []                 # more machines than students
    for bad in ("0/3", "4/3", "3", "a/b"):
        with pytest.raises(ValueError, match="write K/N"):
            C.machine_shard(ids, bad)


def test_the_database_comes_from_the_course_config(tmp_path):
    """The formgrader, nbgrader and tools.classroom all read c.CourseDirectory.db_url of nbgrader_config.py."""
    course = tmp_path / "c"
    course.mkdir()
    (course / "nbgrader_config.py").write_text("c = get_config()\n"
                                              "c.CourseDirectory.db_url = 'postgresql+psycopg://grader@127.0.0.1:5/ffnn'\n")
    assert C.db_url(course) == "postgresql+psycopg://grader@127.0.0.1:5/ffnn"
    assert C.db_url(course, "sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    assert C.db_url(course) == f"sqlite:///{course.resolve() / 'gradebook.db'}"
