"""LMS and deadlines: `nbgrader zip_collect` with Canvas and Moodle download names (generated zips), a due
date with the course's late policy (tools/late_policy.py), and the grades CSV with the LMS ids."""

import csv
import shutil
import subprocess
import sys
import zipfile

import pytest

from tools import classroom as C
from tools.env import tool_env
from tools.late_policy import penalty

ROOT = C.ROOT
HW = "hw1_neurons"
ROSTER = "id,first_name,last_name,email,lms_user_id\nalice,Alice,Liddell,a@x.edu,1001\nbob,Bob,Marley,b@x.edu,1002\n" \
         "carol,Carol,Danvers,c@x.edu,1003\n"


# ---------------------------------------------------------------- the late policy itself

@pytest.mark.parametrize("seconds, expected", [
    (0, 0.0), (15 * 60, 0.0),                      # on time, and within the 15 minutes' grace
    (15 * 60 + 1, 1.8),                            # one started day: 10 % of 18
    (15 * 60 + 86400, 1.8), (15 * 60 + 86401, 3.6),  # the second day starts after 24 h
    (30 * 3600, 3.6), (9.5 * 86400, 18.0), (40 * 86400, 18.0),  # at most 10 days: all of it
])
def test_penalty_per_started_day_after_grace(seconds, expected):
    assert penalty(18.0, seconds) == pytest.approx(expected)


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(score=18, seconds_late=-1), ValueError, "must be >= 0"),
    (dict(score=18, seconds_late=float("nan")), TypeError, "seconds_late must be a finite number"),
    (dict(score="18", seconds_late=1), TypeError, "score must be a finite number"),
    (dict(score=18, seconds_late=1, per_day=1.5), ValueError, "per_day must be a fraction"),
])
def test_penalty_refuses_bad_input(kwargs, exc, words):
    with pytest.raises(exc, match=words):
        penalty(**kwargs)


def test_duedate_needs_a_time_zone():
    with pytest.raises(ValueError, match="no UTC offset"):
        C.parse_duedate("2026-12-08T23:59:00")
    with pytest.raises(ValueError, match="not an ISO 8601"):
        C.parse_duedate("next friday")


def test_roster_is_validated(tmp_path):
    bad = tmp_path / "r.csv"
    bad.write_text("id,name\nalice,A\n")
    with pytest.raises(ValueError, match=r"unknown column\(s\) \['name'\]"):
        C.read_roster(bad)
    bad.write_text("id,email\nalice,a@x\nalice,b@x\n")
    with pytest.raises(ValueError, match="line 3: student id 'alice' appears twice"):
        C.read_roster(bad)
    bad.write_text("id\nal ice\n")
    with pytest.raises(ValueError, match="line 2: student id 'al ice'"):
        C.read_roster(bad)
    assert [r["id"] for r in C.read_roster(ROOT / "deploy" / "students.example.csv")] == ["alice", "bob", "carol"]


# ---------------------------------------------------------------- a course with hw1 and the roster

@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("lms") / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    assert '"tools.late_policy.PerDayPenalty"' in (course / "nbgrader_config.py").read_text()
    shutil.copytree(ROOT / "tools", course / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    for d in ("solutions", "exercises"):
        shutil.copytree(ROOT / d / HW, course / d / HW, ignore=shutil.ignore_patterns("__pycache__"))
    (course / "students.csv").write_text(ROSTER)
    C.import_roster(course / "students.csv", course)
    C.register(course, [HW], {HW: "2026-12-08T23:59:00+00:00"})
    return course


def _zip_collect(course, collector):
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "zip_collect", HW, "--force",
                           f"--collector=tools.lms.{collector}"], cwd=course, env=tool_env(), capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def _archive(course, name, members):
    d = course / "downloaded" / HW / "archive"
    if d.parent.exists():
        shutil.rmtree(d.parent)
    d.mkdir(parents=True)
    with zipfile.ZipFile(d / name, "w") as z:
        for arcname, data in members.items():
            z.writestr(arcname, data)


def _fresh_submitted(course):
    shutil.rmtree(course / "submitted", ignore_errors=True)


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.xdist_group("lms")  # the module's course is built once
def test_canvas_download_names_are_collected_under_roster_ids(course):
    sol = (course / "solutions" / HW / f"{HW}.ipynb").read_bytes()
    blank = (course / "exercises" / HW / f"{HW}.ipynb").read_bytes()
    _fresh_submitted(course)
    _archive(course, "submissions.zip", {
        f"liddellalice_1001_5550001_{HW}.ipynb": sol,
        f"marleybob_LATE_1002_5550002_{HW}-1.ipynb": blank,     # late flag and a resubmission suffix
        f"strangerx_9999_5550003_{HW}.ipynb": sol,              # not in the roster
        "liddellalice_1001_5550001_notes.txt": b"not a notebook",
    })
    log = _zip_collect(course, "CanvasCollector")
    assert (course / "submitted" / "alice" / HW / f"{HW}.ipynb").read_bytes() == sol
    assert (course / "submitted" / "bob" / HW / f"{HW}.ipynb").read_bytes() == blank
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["alice", "bob"]
    assert "LMS id 9999" in log and "not in the roster" in log


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.xdist_group("lms")  # the module's course is built once
def test_moodle_download_names_flat_and_in_folders(course):
    sol = (course / "solutions" / HW / f"{HW}.ipynb").read_bytes()
    blank = (course / "exercises" / HW / f"{HW}.ipynb").read_bytes()
    _fresh_submitted(course)
    _archive(course, "ffnn-hw1-all.zip", {
        f"Alice Liddell_1001_assignsubmission_file_{HW}.ipynb": sol,          # flat download
        f"Carol Danvers_1003_assignsubmission_file/{HW}.ipynb": blank,        # "in folders"
        "Bob Marley_1002_assignsubmission_onlinetext_onlinetext.html": b"<p>text</p>",
    })
    _zip_collect(course, "MoodleCollector")
    assert (course / "submitted" / "alice" / HW / f"{HW}.ipynb").read_bytes() == sol
    assert (course / "submitted" / "carol" / HW / f"{HW}.ipynb").read_bytes() == blank
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["alice", "carol"]


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.xdist_group("lms")  # the module's course is built once
def test_a_late_submission_gets_the_documented_penalty_in_the_export(course, tmp_path):
    _fresh_submitted(course)
    sol = (course / "solutions" / HW / f"{HW}.ipynb").read_bytes()
    # Due 2026-12-08 23:59 UTC. alice: 30 h late (second started day: 20 %); bob: 10 min late (grace);
    # carol: on time. Times as nbgrader's `collect` writes them into timestamp.txt.
    for sid, when in (("alice", "2026-12-10 05:59:00.000000 UTC"), ("bob", "2026-12-09 00:09:00.000000 UTC"),
                      ("carol", "2026-12-08 12:00:00.000000 UTC")):
        d = course / "submitted" / sid / HW
        d.mkdir(parents=True)
        (d / f"{HW}.ipynb").write_bytes(sol)
        (d / "timestamp.txt").write_text(when)
    C.autograde(HW, course, jobs=2, log=lambda *a: None)
    got = C.scores(course, HW)
    full = got["carol"]["score"]
    assert full > 0 and got["alice"]["score"] == got["bob"]["score"] == full
    assert got["alice"]["penalty"] == pytest.approx(0.2 * full)
    assert got["bob"]["penalty"] == 0 and got["carol"]["penalty"] == 0
    out = tmp_path / "grades.csv"
    assert C.export(out, course) == 3
    rows = {r["student_id"]: r for r in csv.DictReader(out.open())}
    assert rows["alice"]["lms_user_id"] == "1001"
    assert float(rows["alice"]["score"]) == pytest.approx(0.8 * full)
    assert float(rows["alice"]["late_submission_penalty"]) == pytest.approx(0.2 * full)
    assert float(rows["carol"]["score"]) == pytest.approx(full)
    assert rows["alice"]["duedate"].startswith("2026-12-08 23:59")
