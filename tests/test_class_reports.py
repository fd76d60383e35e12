"""The instructor's class reports on a simulated class (tests/simulated_class.py): autograde's progress, the
statistics page and the similarity report, each produced by its documented command; both pages opened offline in
Chromium. The similarity report reads the whole class (24 students of hw3_backprop, with planted copies); the
students the statistics need (SIM.GRADED) are graded once per session, by ``python -m tools.classroom
autograde`` exactly as the instructor guide says.
"""

from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
import sys

import pytest

import simulated_class as SIM
from tools import classroom as C
from tools import similarity, stats
from tools.env import tool_env
from tools.progress import Progress, ShardLog
from tools.reports import class_notebooks, read_notebook
from tools.static_site import serve

ROOT = C.ROOT
HW = SIM.HW
GROUP = pytest.mark.xdist_group("reports")


def _run(args, cwd):
    proc = subprocess.run([sys.executable, "-m", "tools.classroom", *args], cwd=cwd, env=tool_env(),
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, f"{args} failed (rc={proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _course(path, kinds):
    path.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", path)
    for kind in kinds:
        shutil.copytree(ROOT / kind / HW, path / kind / HW, ignore=shutil.ignore_patterns("__pycache__", ".ipynb*"))
    return path


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """Both reports, each written by its documented command: the statistics of the graded part of the simulated
    class (SIM.GRADED, graded by the documented command), the similarity of the whole class (SIM.STUDENTS: every
    honest author is a candidate pair the planted copies must outrank; reading answers needs no grading).
    Both pages land in the graded course's reports/."""
    base = tmp_path_factory.mktemp("class")
    course = _course(base / "course", ("solutions", "exercises"))
    C.register(course, [HW])
    answers = SIM.make_class(course, SIM.GRADED)
    graded = _run(["autograde", HW, "--jobs", "2"], course)
    stats_run = _run(["stats", HW, "--out", "reports/stats.html"], course)
    whole = _course(base / "whole", ("exercises",))
    whole_answers = SIM.make_class(whole)
    sim_run = _run(["similarity", HW, "--out", str(course / "reports" / "similarity.html")], whole)
    return {"course": course, "answers": answers, "autograde_stderr": graded.stderr, "stats_stdout": stats_run.stdout,
            "whole": whole, "whole_answers": whole_answers, "similarity_stdout": sim_run.stdout}


# ------------------------------------------------------------------ progress

class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_progress_in_a_log_prints_periodic_lines_with_rate_eta_and_failures():
    clock, out = FakeClock(), io.StringIO()
    p = Progress("autograde hw", 10, stream=out, tty=False, interval=30, clock=clock)
    clock.now += 10
    p.finish_student("a")                       # first line at once
    clock.now += 10
    p.finish_student("b", ok=False)             # 10 s after the last line: nothing new
    clock.now += 25
    p.finish_student("c")                       # 35 s after the last line: a line
    p.close()                                   # the final line always
    lines = out.getvalue().splitlines()
    assert len(lines) == 3, lines
    assert lines[0].startswith("autograde hw: 1/10 students done, 6.0/min") and "0 failed" in lines[0]
    # 3 done in 45 s: 4/min, 7 left -> 105 s
    assert "3/10 students done, 4.0/min, elapsed 0:00:45, ETA 0:01:45, 1 failed (b)" in lines[1]
    assert lines[2] == lines[1]
    assert "\r" not in out.getvalue()


def test_progress_on_a_terminal_updates_one_line():
    clock, out = FakeClock(), io.StringIO()
    p = Progress("autograde hw", 2, stream=out, tty=True, clock=clock)
    clock.now += 60
    p.finish_student("a")
    clock.now += 60
    p.finish_student("b")
    p.close()
    text = out.getvalue()
    assert text.count("\r") == 3 and text.count("\n") == 1 and text.endswith("ETA 0:00:00, 0 failed\n")
    assert "1/2 students done, 1.0/min, elapsed 0:01:00, ETA 0:01:00" in text


def test_progress_refuses_a_bad_total():
    with pytest.raises(ValueError, match="total must be a number of students"):
        Progress("x", -1)


def test_shard_log_follows_nbgrader_lines():
    clock, out = FakeClock(), io.StringIO()
    p = Progress("autograde hw", 3, stream=out, tty=False, interval=0, clock=clock)
    log = ShardLog(p)
    for line in ["[AutogradeApp | INFO] Creating/updating student with ID 'alice': {}\n",
                 "[AutogradeApp | INFO] Setting destination file permissions to 444\n",
                 "[AutogradeApp | INFO] Creating/updating student with ID 'bob': {}\n",
                 "[AutogradeApp | ERROR] There was an error processing assignment: /c/submitted/bob/hw\n",
                 "[AutogradeApp | INFO] Creating/updating student with ID 'carol': {}\n"]:
        log.feed(line)
    assert (p.done, p.failed) == (2, ["bob"])
    log.close(rc=1)                              # the process died while grading carol
    assert (p.done, p.failed) == (3, ["bob", "carol"])


@pytest.mark.slow
@pytest.mark.nbgrader
@GROUP
def test_autograde_command_reports_progress_and_grades_everyone(graded_class):
    lines = [ln for ln in graded_class["autograde_stderr"].splitlines() if ln.startswith(f"autograde {HW}:")]
    assert lines, graded_class["autograde_stderr"][-2000:]
    n = len(SIM.GRADED)
    assert f"{n}/{n} students done" in lines[-1] and "ETA 0:00:00, 0 failed" in lines[-1], lines[-1]
    done = [int(ln.split(": ", 1)[1].split("/")[0]) for ln in lines]
    assert done == sorted(done) and done[0] >= 1
    assert sorted(C.scores(graded_class["course"], HW)) == sorted(SIM.GRADED)


# ------------------------------------------------------------------ statistics

@pytest.mark.slow
@pytest.mark.nbgrader
@GROUP
def test_stats_numbers_match_the_gradebook(graded_class):
    course = graded_class["course"]
    data = stats.collect(course, HW)
    gb = C.scores(course, HW)
    totals = {sid: s["score"] - (s["penalty"] or 0) for sid, s in gb.items()}
    assert data["totals"] == pytest.approx(totals)
    assert sorted(data["totals"]) == sorted(SIM.GRADED)
    assert len(data["parts"]) == 5            # four autograded parts and the written answers
    assert sum(p["max"] for p in data["parts"].values()) == data["max"] == 20
    for name, check in data["checks"].items():
        got = [s["cells"][f"{HW}/{name}"] for s in gb.values()]
        if check["kind"] == "auto":
            assert check["pass_rate"] == pytest.approx(sum(a == mx for a, _, mx in got) / len(got)), name
    # The written answers are graded by hand (nobody has yet): no pass rate shown for them.
    assert data["checks"]["written-gradcheck"]["kind"] == "manual"
    # The most common failure of 2a's loss: the sigmoid left as released, once per student who left the MLP part.
    left = sum(a["mlp"] is None for a in graded_class["answers"].values())
    key, count, example = data["failures"]["test-mlp-loss"][0]
    assert count == left >= 2 and "not implemented yet" in key and "[2a sigmoid]" in example
    # The planted markup reached a failure message (and is shown as text: see the browser test).
    assert any(SIM.MARKUP[:20] in ex for _, _, ex in data["failures"]["test-autodiff-lecture"])
    html = (course / "reports" / "stats.html").read_text()
    assert html.count("<svg") == 1 + len(data["parts"])
    assert "<script" not in html and "&lt;script&gt;" in html
    assert f"mean <b>{statistics.fmean(totals.values()):.2f}</b>" in html


def test_stats_without_a_graded_assignment_says_what_to_do(tmp_path):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    proc = subprocess.run([sys.executable, "-m", "tools.classroom", "stats", "hw9"], cwd=tmp_path, env=tool_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "assignment 'hw9' is not in" in proc.stderr and "register" in proc.stderr


def test_a_file_that_cannot_be_written_is_an_error_naming_it(tmp_path):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    dest = tmp_path / "no-such-folder" / "grades.csv"
    proc = subprocess.run([sys.executable, "-m", "tools.classroom", "export", str(dest)], cwd=tmp_path, env=tool_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and proc.stderr.startswith("error: ") and str(dest) in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("command", [["stats", "hw1_neurons"], ["register", "hw1_neurons"]])
def test_a_gradebook_that_cannot_be_opened_is_one_line(tmp_path, command):
    """A database the commands cannot reach (here SQLite in a missing folder; a PostgreSQL server that is not
    running is the same OperationalError): one line naming it, not a traceback or nbgrader's advice to upgrade."""
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    shutil.copytree(ROOT / "solutions" / "hw1_neurons", tmp_path / "solutions" / "hw1_neurons")
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'gradebook.db'}"
    proc = subprocess.run([sys.executable, "-m", "tools.classroom", "--db", url, *command], cwd=tmp_path,
                          env=tool_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip() == f"error: the gradebook database {url} cannot be reached: unable to open database file"


# ------------------------------------------------------------------ similarity

@pytest.mark.slow
@pytest.mark.nbgrader
@GROUP
def test_planted_copies_rank_at_the_top(graded_class):
    result = similarity.analyse(graded_class["whole"], HW)
    assert result.parts == list(SIM.PARTS)
    dense = [(p.left, p.right) for p in result.pairs["dense"]]
    assert set(dense[:2]) == {SIM.PAIR, (SIM.NNLIB_COPY, "nnlib/layers.py")}, result.pairs["dense"][:4]
    assert [(p.left, p.right) for p in result.pairs["mlp"]][0] == SIM.PAIR
    # The copier's matching lines are nnlib's dense layer, not its module docstring or imports.
    nnlib_pair = next(p for p in result.pairs["dense"] if p.reference)
    ref_lines = result.references["nnlib/layers.py"].splitlines()
    assert any("def _backward(delta, a_prev, W" in ref_lines[k] for k in nnlib_pair.right_lines)
    # Starter code counts for nothing: a part left as released is in no pair.
    for part in SIM.PARTS:
        blank = {sid for sid, a in graded_class["whole_answers"].items() if a[part] is None}
        assert blank and not blank & {s for p in result.pairs[part] for s in (p.left, p.right)}, part
    html = (graded_class["course"] / "reports" / "similarity.html").read_text()
    assert "<script" not in html and html.count('class="side"') >= 4


def _starter_class(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "exercises" / HW, course / "exercises" / HW)
    for sid in ("a", "b"):
        d = course / "submitted" / sid / HW
        d.mkdir(parents=True)
        shutil.copy(ROOT / "exercises" / HW / f"{HW}.ipynb", d)
    return course


def test_identical_starter_code_is_not_similarity(tmp_path):
    result = similarity.analyse(_starter_class(tmp_path), HW)
    assert all(not pairs for pairs in result.pairs.values())


def test_hostile_folders_are_skipped_without_following_or_blocking(tmp_path):
    course = _starter_class(tmp_path)
    secret = tmp_path / "secret.ipynb"
    secret.write_text('{"cells": [], "leak": "gradebook"}')
    sub = course / "submitted"
    (sub / "linker" / HW).mkdir(parents=True)
    (sub / "linker" / HW / f"{HW}.ipynb").symlink_to(secret)
    (sub / "fifo" / HW).mkdir(parents=True)
    os.mkfifo(sub / "fifo" / HW / f"{HW}.ipynb")
    (sub / "huge" / HW).mkdir(parents=True)
    with open(sub / "huge" / HW / f"{HW}.ipynb", "wb") as fh:
        fh.truncate(21 * 2**20)                                     # sparse: over the 20 MiB cap, costs nothing
    (sub / "dirlink").symlink_to(sub / "a")
    (sub / "junk" / HW).mkdir(parents=True)
    (sub / "junk" / HW / f"{HW}.ipynb").write_text("[" * 100_000)  # nested too deep for json
    found, skipped = class_notebooks(course, "submitted", HW)
    reasons = {s.student: s.reason for s in skipped}
    assert sorted(found) == ["a", "b"]
    assert reasons == {"dirlink": "the student's folder is a link or not a folder", "fifo": "not a regular file",
                       "huge": f"{21 * 2**20} bytes, over the {20 * 2**20} bytes read per notebook",
                       "junk": "not a notebook (not valid JSON)", "linker": "a symbolic link"}
    html = similarity.render(similarity.analyse(course, HW))
    assert "linker: a symbolic link" in html and "gradebook" not in html


def test_similarity_refuses_bad_input(tmp_path):
    with pytest.raises(ValueError, match="released notebook .* cannot be read"):
        similarity.analyse(tmp_path, HW)
    with pytest.raises(ValueError, match="top must be a positive number"):
        similarity.report(tmp_path, HW, top=0)
    (tmp_path / "x.ipynb").write_text("{}")
    with pytest.raises(ValueError, match="no list of cells"):
        read_notebook(tmp_path / "x.ipynb")


# ------------------------------------------------------------------ both pages in the browser, offline

@pytest.fixture(scope="module")
def report_site(graded_class):
    with serve(graded_class["course"] / "reports") as url:
        yield url


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.nbgrader
@GROUP
def test_reports_in_the_browser_offline(browser, report_site):
    from _browser import DESKTOP, Visit

    with Visit(browser, report_site, DESKTOP) as visit:
        page = visit.page
        page.goto(f"{report_site}/stats.html", wait_until="load")
        charts = page.locator("figure svg")
        assert charts.count() == 6
        box = charts.first.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 80          # drawn, not an empty element
        assert page.locator("figure svg path").count() > 20
        assert page.title() == f"Statistics: {HW}"                        # no student script renamed it
        # the student's markup in a failure message, shown as text
        assert any(SIM.MARKUP[:30] in t for t in page.locator("table.failures").all_inner_texts())
        assert page.locator("script").count() == 0 and page.locator("img").count() == 0

        page.goto(f"{report_site}/similarity.html", wait_until="load")
        first = page.locator("section.part").first
        assert first.locator("h2").inner_text() == "Part dense"
        top = first.locator(".side").first
        heads = top.locator("h4").all_inner_texts()
        assert {heads[0], heads[1].split(" (")[0]} in ({*SIM.PAIR}, {SIM.NNLIB_COPY, "nnlib/layers.py"}), heads
        columns = top.locator(":scope > div")
        left, right = columns.nth(0).bounding_box(), columns.nth(1).bounding_box()
        assert abs(left["y"] - right["y"]) < 1 and left["x"] + left["width"] <= right["x"] + 1   # side by side
        assert top.locator(".line.match").count() >= 4
        assert SIM.MARKUP in page.inner_text("body")                      # the student's markup, as text
        assert page.title() == f"Similarity report: {HW}"
        assert page.locator("script").count() == 0 and page.locator("img").count() == 0
        assert visit.errors == [] and visit.external == []
