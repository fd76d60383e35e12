"""Submissions are files, not links: what a student can plant in the exchange never reaches the instructor's copies.

Unit level (ffgrader.submissions): ``copy_submission`` on a folder holding every kind of entry, and
``screen_submitted`` (autograde's pre-convert hook) on hand-placed folders in submitted/.

End to end, the commands of the guide with a real exchange (deploy/exchange.sh, in a temporary directory) and
real Unix users (made here with useradd, deleted at the end): the instructor (this process, root) runs
`nbgrader release_assignment`; each student runs `nbgrader fetch_assignment` and `nbgrader submit` as
themselves (Debian's python3 with this venv's packages: the venv's own interpreter lives in root's home);
mallory then plants, in her own submission folder, links to gradebook.db, to solutions/<hw>/checks.py, to a
classmate's submission and to the solutions folder, a FIFO, a hard link, a 4 GiB sparse file, a tree deeper than
the cap, more files than the cap and a notebook that prints whatever those links would hold; she also plants a
linked "submission" straight in inbound/ and a folder named as alice's; trudy's notebook is a link to the
solution notebook. The instructor then runs `nbgrader collect`, puts two folders into submitted/ by hand (one
with a link and a FIFO, one that is a link to alice's folder) and runs `nbgrader autograde` and
`nbgrader generate_feedback`. Asserted: nothing linked is in submitted/, autograded/ or any feedback; every course
file is byte-identical; the log names each skipped entry; alice and bob are graded as an honest run grades them.

Submission time: a folder written into inbound/ after the due date but named (and with a timestamp.txt) before it
is collected and graded as late, also as a second submission taken by `collect --update`; an honest folder keeps
its time.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.utils import parse_utc

from attacks.course import ROOT, autograded_points, hidden_lines, load, make_course, run_nbgrader, scores, tree_bytes
from ffgrader.submissions import CAPS, Caps, copy_submission, last_change_ns, screen_submitted

pytestmark = [pytest.mark.xdist_group("exchange")]


def e2e(test):
    """The tests of the term through the real commands (slow, they run nbgrader)."""
    return pytest.mark.slow(pytest.mark.nbgrader(test))


HW = "fx"
CONFIG = "c.SandboxedGrading.cell_timeout = 5\nc.SandboxedGrading.check_timeout = 5"
SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
SECRET = "secret-line-the-student-must-never-see"


# -------------------------------------------------------------------------------------------- unit level

def _hostile_folder(src: Path, outside: Path, tiny: Caps):
    """A submission folder with one honest file of each shape and one entry of every other kind."""
    src.mkdir(parents=True)
    (outside / "secret.txt").write_text(SECRET)
    (src / "answer.ipynb").write_text('{"cells": []}')
    (src / "data").mkdir()
    (src / "data" / "x.csv").write_text("1,2\n")
    os.symlink(outside / "secret.txt", src / "link.txt")
    os.symlink(outside, src / "linkdir")
    os.symlink("/dev/null", src / "null-link")
    os.mkfifo(src / "pipe")
    if os.getuid() == 0:
        os.mknod(src / "device", 0o600 | stat.S_IFCHR, os.makedev(1, 3))   # like /dev/null; a student cannot
    (src / "own.txt").write_text("mine")
    os.link(src / "own.txt", src / "hard.txt")
    with open(src / "huge.bin", "wb") as fh:
        fh.truncate(4 * 2**30)                                             # sparse: no disk used
    deep = src.joinpath(*["d"] * (tiny.depth + 2))
    deep.mkdir(parents=True)
    (deep / "bottom.txt").write_text("deep")
    (src / "many").mkdir()
    for k in range(tiny.files + 5):
        (src / "many" / f"f{k:03d}.txt").write_text(str(k))


def test_copy_submission_takes_regular_files_within_the_caps_only(tmp_path, caplog):
    tiny = Caps(file_bytes=2**20, total_bytes=2**21, files=20, depth=3, entries=1000)
    outside = tmp_path / "outside"
    outside.mkdir()
    _hostile_folder(tmp_path / "src", outside, tiny)
    with caplog.at_level(logging.WARNING):
        copied, skipped, changed_ns = copy_submission(tmp_path / "src", tmp_path / "dest", tiny, ignore=["*.pyc"])
    reasons = {s.path: s.reason for s in skipped}
    assert "answer.ipynb" in copied and "data/x.csv" in copied
    assert reasons["link.txt"].startswith("a symbolic link to") and str(outside) in reasons["link.txt"]
    assert reasons["linkdir"].startswith("a symbolic link") and reasons["null-link"].startswith("a symbolic link")
    assert reasons["pipe"] == "a FIFO"
    if os.getuid() == 0:
        assert reasons["device"] == "a character device"
    assert "hard link" in reasons["hard.txt"] and "hard link" in reasons["own.txt"]
    assert "bytes allowed per file" in reasons["huge.bin"]
    assert any(p.startswith("d/d/d") and "deeper" in r for p, r in reasons.items())
    assert len(copied) == tiny.files and any("more than 20 files" in r for r in reasons.values())
    # Only what was copied exists in the copy, all of it regular files, none with the secret.
    made = {str(p.relative_to(tmp_path / "dest")) for p in (tmp_path / "dest").rglob("*") if not p.is_dir()}
    assert made == set(copied)
    for p in (tmp_path / "dest").rglob("*"):
        assert not p.is_symlink() and (p.is_dir() or p.is_file())
        if p.is_file():
            assert SECRET not in p.read_text(errors="replace")
    # One log line per skipped entry, naming it.
    for s in skipped:
        assert any(s.path in r.getMessage() and s.reason in r.getMessage() for r in caplog.records), s
    # The folder's last change counts every kind of entry, the links and the FIFO too (lstat'ed, never followed).
    latest = max(os.lstat(p).st_ctime_ns for p in [tmp_path / "src", *(tmp_path / "src").iterdir()])
    assert changed_ns == last_change_ns(tmp_path / "src", tiny) >= latest


def test_copy_submission_refuses_a_folder_that_is_a_link(tmp_path, caplog):
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.txt").write_text(SECRET)
    os.symlink(real, tmp_path / "linked")
    copied, skipped, changed_ns = copy_submission(tmp_path / "linked", tmp_path / "dest")
    assert copied == [] and changed_ns is None and not (tmp_path / "dest").exists()
    assert "itself is a symbolic link" in skipped[0].reason and "itself is a symbolic link" in caplog.text


def test_screen_submitted_moves_everything_but_files_to_quarantine(tmp_path, monkeypatch):
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    (course / "solutions" / "checks.py").write_text(SECRET)
    sub = course / "submitted" / "zed" / HW
    sub.mkdir(parents=True)
    (sub / f"{HW}.ipynb").write_text("{}")
    os.symlink(course / "solutions" / "checks.py", sub / "leak.py")
    os.mkfifo(sub / "pipe")
    os.symlink(course / "submitted" / "zed", course / "submitted" / "yan")
    monkeypatch.chdir(course)
    log = logging.getLogger("test-screen")
    records = []
    log.addHandler(type("H", (logging.Handler,), {"emit": lambda self, r: records.append(r.getMessage())})())
    screen_submitted(HW, "*", [str(sub / f"{HW}.ipynb"), str(course / "submitted" / "yan" / HW / f"{HW}.ipynb")],
                     log=log)
    assert sorted(p.name for p in sub.iterdir()) == [f"{HW}.ipynb"]
    assert not os.path.lexists(course / "submitted" / "yan")
    q = course / "quarantine"
    assert (q / "submitted" / "zed" / HW / "leak.py").is_symlink() and stat.S_ISFIFO(
        os.lstat(q / "submitted" / "zed" / HW / "pipe").st_mode)
    assert (q / "submitted" / "yan").is_symlink()
    assert (course / "solutions" / "checks.py").read_text() == SECRET
    text = "\n".join(records)
    for name in ("leak.py", "pipe", "yan"):
        assert name in text and "moved to" in text, (name, text)


# ------------------------------------------------------------------------------------------ end to end

class Users:
    """Throw-away Unix users (random names), deleted with their homes at the end."""

    def __init__(self):
        self.tag = secrets.token_hex(2)
        self.made = []

    def add(self, role):
        name = f"ffx{self.tag}{role}"
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", "--user-group", name], check=True,
                       capture_output=True)
        self.made.append(name)
        os.chmod(f"/home/{name}", 0o700)
        return name

    def run(self, user, command, timeout=600):
        proc = subprocess.run(["runuser", "-u", user, "--", "env", "-i", f"HOME=/home/{user}", "PATH=/usr/bin:/bin",
                               "OPENBLAS_NUM_THREADS=1", "bash", "-c", f"cd ~ && {command}"],
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise AssertionError(f"{user}: {command}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        return proc.stdout + proc.stderr

    def nbgrader(self, user, *args):
        """The student's own `nbgrader` (Debian's python3 with this venv's packages, as that user)."""
        code = (f"import site, sys; site.addsitedir({str(SITE)!r}); from nbgrader.apps import NbGraderApp; "
                f"sys.argv = ['nbgrader'] + {list(args)!r}; NbGraderApp.launch_instance()")
        return self.run(user, f"/usr/bin/python3 -c {json.dumps(code)}")

    def delete(self):
        for name in self.made:
            subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
            subprocess.run(["userdel", "--remove", name], capture_output=True)
            shutil.rmtree(f"/home/{name}", ignore_errors=True)
        left = [n for n in self.made if subprocess.run(["id", "-u", n], capture_output=True).returncode == 0]
        assert not left, f"users left behind: {left}"


def _student_config(users, user, exchange):
    users.run(user, "mkdir -p ~/.jupyter && cat > ~/.jupyter/nbgrader_config.py <<'EOF'\n"
                    "c = get_config()\n"
                    "c.CourseDirectory.course_id = 'ffnn'\n"
                    f"c.Exchange.root = {str(exchange)!r}\n"
                    "EOF")


def _submit(users, user, exchange, notebook: Path):
    _student_config(users, user, exchange)
    users.nbgrader(user, "fetch_assignment", HW)
    users.run(user, f"cp {notebook} ~/{HW}/{HW}.ipynb")
    users.nbgrader(user, "submit", HW)
    [folder] = [p for p in (exchange / "ffnn" / "inbound").iterdir() if p.name.startswith(f"{user}+{HW}+")]
    return folder


MALLORY_CODE = """import os, glob
for name in sorted(glob.glob('*')) + sorted(glob.glob('*/*')):
    try:
        print('==', name, open(name, errors='replace').read()[:3000])
    except Exception as exc:
        print('==', name, type(exc).__name__)
"""


@pytest.fixture(scope="module")
def exchange_class(tmp_path_factory):
    if os.getuid() != 0:
        pytest.fail("the exchange test needs root: it creates Unix users for the students (run make test as root)")
    course = make_course(tmp_path_factory.mktemp("exchange") / "course", HW, extra_config=CONFIG)
    # The exchange and the students' notebooks live where the students can reach them (pytest's tmp is root's only).
    shared = Path(tempfile.mkdtemp(prefix="ffnn-exchange-", dir="/tmp"))
    os.chmod(shared, 0o755)
    exchange = shared / "exchange"
    users = Users()
    try:
        yield _run_class(course, shared, exchange, users)
    finally:
        users.delete()
        shutil.rmtree(shared, ignore_errors=True)


def _run_class(course, shared, exchange, users):
    subprocess.run(["bash", str(ROOT / "deploy" / "exchange.sh"), str(exchange)], check=True, capture_output=True)
    subprocess.run(["bash", str(ROOT / "deploy" / "exchange.sh"), str(exchange), "ffnn", "root"], check=True,
                   capture_output=True)
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
    solution = load(course / "solutions" / HW / f"{HW}.ipynb")
    blank = load(course / "exercises" / HW / f"{HW}.ipynb")
    alice_nb = nbformat.from_dict(json.loads(nbformat.writes(solution)))
    alice_nb.cells.append(nbformat.v4.new_markdown_cell("alice-private-answer-7731: linearity."))
    bob_nb = nbformat.from_dict(json.loads(nbformat.writes(blank)))
    for cell in bob_nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "answer_1":
            cell.source = "def double(x):\n    return 2.0 * np.asarray(x, dtype=float)"
    mallory_nb = nbformat.from_dict(json.loads(nbformat.writes(blank)))
    mallory_nb.cells.append(nbformat.v4.new_code_cell(MALLORY_CODE))
    notebooks = shared / "notebooks"
    notebooks.mkdir()
    for name, nb in (("alice", alice_nb), ("bob", bob_nb), ("mallory", mallory_nb), ("trudy", blank)):
        nbformat.write(nb, str(notebooks / f"{name}.ipynb"))
    os.chmod(notebooks, 0o755)
    for f in notebooks.iterdir():
        os.chmod(f, 0o644)

    run_nbgrader(course, "release_assignment", HW)
    assert (exchange / "ffnn" / "outbound" / HW / f"{HW}.ipynb").is_file()
    modes = {d: stat.S_IMODE(os.stat(exchange / "ffnn" / d).st_mode) for d in ("inbound", "outbound", "feedback")}
    ids = {role: users.add(role[0]) for role in ("alice", "bob", "mallory", "trudy")}
    folders = {role: _submit(users, ids[role], exchange, notebooks / f"{role}.ipynb") for role in ids}

    m, mf = ids["mallory"], folders["mallory"]
    targets = {"gradebook": course / "gradebook.db", "checks": course / "solutions" / HW / "checks.py",
               "classmate": folders["alice"] / f"{HW}.ipynb", "solutions": course / "solutions",
               "submitted_alice": course / "submitted" / ids["alice"] / HW / f"{HW}.ipynb"}
    plant = [f"cd '{mf}'",
             f"ln -s '{targets['gradebook']}' gradebook_link.db",
             f"ln -s '{targets['checks']}' stolen_checks.py",
             f"ln -s '{targets['classmate']}' alice_inbound.ipynb",
             f"ln -s '{targets['submitted_alice']}' alice_submitted.ipynb",
             f"ln -s '{targets['solutions']}' sol",
             "rm timestamp.txt && ln -s /dev/null timestamp.txt",
             "mkfifo fifo.txt",
             "echo mine > ~/notes.txt && ln ~/notes.txt hard.txt",
             "truncate -s 4G big.bin",
             "mkdir -p " + "/".join(["deep"] * (CAPS.depth + 2)) + " && echo deep > " +
             "/".join(["deep"] * (CAPS.depth + 2)) + "/bottom.txt",
             f"mkdir many && cd many && touch $(seq -f 'f%04g.txt' 1 {CAPS.files + 50}) && cd ..",
             # straight into inbound/: a link posing as a later submission, and a folder posing as alice's
             f"ln -s '{targets['solutions']}' '../{m}+{HW}+2099-01-01 00:00:00.000000 UTC+link'",
             f"mkdir '../{ids['alice']}+{HW}+2099-01-01 00:00:00.000000 UTC+fake' && "
             f"cp '{notebooks / 'mallory.ipynb'}' '../{ids['alice']}+{HW}+2099-01-01 00:00:00.000000 UTC+fake/{HW}.ipynb'"]
    users.run(m, " && ".join(plant))
    # trudy hands in a link to the solution notebook instead of her notebook.
    users.run(ids["trudy"], f"cd '{folders['trudy']}' && rm {HW}.ipynb && ln -s '{course}/solutions/{HW}/{HW}.ipynb' {HW}.ipynb")
    # What a student cannot do: rename or delete a classmate's folder (inbound is sticky), list inbound.
    denied = {}
    for what, cmd in (("rename", f"mv '{folders['alice']}' '{folders['alice']}.x'"),
                      ("list", f"ls '{exchange / 'ffnn' / 'inbound'}'"),
                      ("squat", f"mkdir '{exchange}/ffnn2' && mv '{exchange}/ffnn' '{exchange}/ffnn2/'")):
        try:
            users.run(ids["bob"], cmd)
            denied[what] = False
        except AssertionError:
            denied[what] = True

    protected = {p: tree_bytes(course / p) for p in ("solutions", "exercises")}
    protected_files = {p: (course / p).read_bytes() for p in ("nbgrader_config.py",)}
    before_gradebook = (course / "gradebook.db").read_bytes()
    collect = run_nbgrader(course, "collect", HW, check=False)

    # Put by hand into submitted/: a folder holding a link and a FIFO, and a student folder that is a link.
    zed = course / "submitted" / "zed" / HW
    zed.mkdir(parents=True)
    nbformat.write(solution, str(zed / f"{HW}.ipynb"))
    os.symlink(course / "solutions" / HW / "checks.py", zed / "leak.py")
    os.mkfifo(zed / "pipe")
    os.symlink(course / "submitted" / ids["alice"], course / "submitted" / "yan")
    autograde = run_nbgrader(course, "autograde", HW, check=False)
    feedback = run_nbgrader(course, "generate_feedback", HW, check=False)
    return {"course": course, "exchange": exchange, "ids": ids, "folders": folders, "targets": targets,
            "modes": modes, "denied": denied, "collect": collect, "autograde": autograde, "feedback": feedback,
            "protected": protected, "protected_files": protected_files, "before_gradebook": before_gradebook,
            "solution": solution, "scores": scores(course, HW, list(ids.values()) + ["zed", "yan"])}


def _log(proc):
    return proc.stdout + proc.stderr


@e2e
def test_the_exchange_layout_keeps_students_apart(exchange_class):
    assert exchange_class["modes"] == {"inbound": 0o3733, "outbound": 0o755, "feedback": 0o711}
    assert stat.S_IMODE(os.stat(exchange_class["exchange"]).st_mode) == 0o1777
    assert exchange_class["denied"] == {"rename": True, "list": True, "squat": True}


@e2e
def test_collect_takes_files_and_names_everything_it_skips(exchange_class):
    c, ids = exchange_class, exchange_class["ids"]
    log = _log(c["collect"])
    assert c["collect"].returncode == 0, log
    got = c["course"] / "submitted" / ids["mallory"] / HW
    # Her timestamp.txt, a link to /dev/null, is skipped; the collect writes the time she handed in instead.
    assert sorted(p.name for p in got.iterdir() if not p.is_dir()) == [f"{HW}.ipynb", "submission_secret.txt",
                                                                        "timestamp.txt"]
    assert parse_utc((got / "timestamp.txt").read_text()) >= _changed(c["folders"]["mallory"])
    assert len(list((got / "many").iterdir())) <= CAPS.files
    checks = hidden_lines(nbformat.v4.new_notebook(), c["course"] / "solutions" / HW / "checks.py")
    for p in (c["course"] / "submitted").rglob("*"):
        assert not p.is_symlink() and (p.is_dir() or p.is_file()), p
        if p.is_file() and p.name != "fifo.txt":
            text = p.read_bytes().decode("utf-8", "replace")
            assert "SQLite format 3" not in text and not any(line in text for line in checks), p
            assert ids["alice"] in p.parts or "alice-private-answer-7731" not in text, p
    for name, why in (("gradebook_link.db", "a symbolic link to"), ("stolen_checks.py", "a symbolic link to"),
                      ("alice_inbound.ipynb", "a symbolic link to"), ("alice_submitted.ipynb", "a symbolic link to"),
                      ("sol", "a symbolic link to"), ("timestamp.txt", "a symbolic link to"), ("fifo.txt", "a FIFO"),
                      ("hard.txt", "a hard link"), ("big.bin", "bytes allowed per file"), ("deep/deep", "deeper"),
                      ("many/f", "more than 200 files")):
        assert any(name in line and why in line and "Skipped" in line for line in log.splitlines()), (name, log[-4000:])
    # Straight into inbound/: the linked "submission" and the folder posing as alice's are refused, by name.
    assert f"{ids['mallory']}+{HW}+2099-01-01 00:00:00.000000 UTC+link: a symbolic link" in log
    assert f"UTC+fake: owned by {ids['mallory']}, not by {ids['alice']}" in log
    # alice's own submission was collected, not the forgery.
    alice = c["course"] / "submitted" / ids["alice"] / HW / f"{HW}.ipynb"
    assert "alice-private-answer-7731" in alice.read_text()
    # trudy's link to the solution notebook is not her notebook.
    assert not (c["course"] / "submitted" / ids["trudy"] / HW / f"{HW}.ipynb").exists()
    assert f"{HW}.ipynb: a symbolic link to" in log


@e2e
def test_autograde_screens_folders_put_into_submitted_by_hand(exchange_class):
    c = exchange_class
    log = _log(c["autograde"])
    q = c["course"] / "quarantine" / "submitted"
    assert (q / "zed" / HW / "leak.py").is_symlink() and stat.S_ISFIFO(os.lstat(q / "zed" / HW / "pipe").st_mode)
    assert (q / "yan").is_symlink()
    assert "leak.py: a symbolic link to" in log and "pipe: a FIFO" in log and "yan: a symbolic link to" in log
    assert sorted(p.name for p in (c["course"] / "autograded" / "zed" / HW).iterdir()) == [f"{HW}.ipynb"]
    assert not (c["course"] / "autograded" / "yan").exists()
    assert "error processing assignment 'fx' for student 'yan'" in log


@e2e
def test_nothing_linked_reaches_autograded_or_feedback(exchange_class):
    """The linked targets' contents: gradebook.db, the hidden checks (checks.py), a classmate's answer. (autograded/
    is the instructor's and holds the notebooks' hidden tests by design; the feedback holds none of them.)"""
    c = exchange_class
    checks = hidden_lines(nbformat.v4.new_notebook(), c["course"] / "solutions" / HW / "checks.py")
    everything = hidden_lines(c["solution"], c["course"] / "solutions" / HW / "checks.py")
    assert checks and set(checks) < set(everything)
    for tree, secret in (("autograded", checks), ("feedback", everything)):
        for p in (c["course"] / tree).rglob("*"):
            assert not p.is_symlink(), p
            if p.is_file():
                text = p.read_bytes().decode("utf-8", "replace")
                assert "SQLite format 3" not in text, p
                for line in secret:
                    assert line not in text, (p, line)
                if c["ids"]["alice"] not in p.parts:
                    assert "alice-private-answer-7731" not in text, p
    mallory_fb = c["course"] / "feedback" / c["ids"]["mallory"] / HW / f"{HW}.html"
    assert mallory_fb.is_file(), _log(c["feedback"])[-3000:]


@e2e
def test_course_files_are_byte_identical(exchange_class):
    c = exchange_class
    for p, before in c["protected"].items():
        assert tree_bytes(c["course"] / p) == before, p
    for p, before in c["protected_files"].items():
        assert (c["course"] / p).read_bytes() == before, p
    for target in c["targets"].values():
        assert target.exists() and not target.is_symlink()


@e2e
def test_honest_classmates_are_graded_normally(exchange_class):
    c, ids = exchange_class, exchange_class["ids"]
    full = autograded_points(c["solution"])
    got = c["scores"]
    assert got[ids["alice"]] == {g: float(p) for g, p in full.items()}
    assert 0 < sum(got[ids["bob"]].values()) < sum(full.values())
    assert got["zed"] == {g: float(p) for g, p in full.items()}        # its notebook is a file: graded
    assert got[ids["trudy"]] is None                                   # a link is not a submission
    assert sum(got[ids["mallory"]].values()) == 0


# ------------------------------------------------------------------------------------------ submission time

def _inbound_folder(course, student, claimed: str, nb) -> Path:
    """A folder in inbound/ as a student's own process can write it: any name, any timestamp.txt."""
    d = course / "exchange" / "ffnn" / "inbound" / f"{student}+{HW}+{claimed}+{secrets.token_hex(8)}"
    d.mkdir(parents=True)
    nbformat.write(nb, str(d / f"{HW}.ipynb"))
    (d / "timestamp.txt").write_text(claimed)
    return d


def _changed(folder: Path) -> datetime:
    """The latest ctime of the folder and its entries (UTC): when it was last written, which no student can set."""
    ns = max(os.lstat(p).st_ctime_ns for p in [folder, *folder.rglob("*")])
    return datetime(1970, 1, 1) + timedelta(microseconds=ns // 1000)


def _set_duedate(course, due: datetime):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.update_or_create_assignment(HW, duedate=due)


# The folders below belong to root (this process), not to a Unix user named after the student.
NO_OWNER = "--ExchangeCollect.check_owner=False"


@e2e
def test_a_backdated_inbound_folder_is_graded_late(tmp_path):
    """The audit's reproduction: mallory writes, after the due date, a folder whose name and timestamp.txt say
    an hour before it. The time that counts is when the folder was written, so she is late."""
    course = make_course(tmp_path / "course", HW, extra_config=CONFIG)
    _set_duedate(course, datetime(2025, 1, 1))
    blank = load(course / "exercises" / HW / f"{HW}.ipynb")
    first = _inbound_folder(course, "mallory", "2024-12-31 23:00:00.000000 UTC", blank)
    collect = run_nbgrader(course, "collect", HW, NO_OWNER)
    assert "later than the time it names (2024-12-31 23:00:00.000000 UTC)" in _log(collect)
    run_nbgrader(course, "autograde", HW)
    submitted = course / "submitted" / "mallory" / HW
    when = parse_utc((submitted / "timestamp.txt").read_text())
    assert when >= _changed(first)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission(HW, "mallory")
        assert sub.timestamp == when and sub.total_seconds_late > 0
    # A second folder, named even earlier but written after the first was collected and graded (which took
    # seconds, so its ctime is later): it is her newest submission, `collect --update` takes it, and its own
    # write time counts.
    second_nb = nbformat.from_dict(json.loads(nbformat.writes(blank)))
    second_nb.cells.append(nbformat.v4.new_markdown_cell("second-submission-4471"))
    second = _inbound_folder(course, "mallory", "2020-01-01 00:00:00.000000 UTC", second_nb)
    run_nbgrader(course, "collect", "--update", HW, NO_OWNER)
    assert "second-submission-4471" in (submitted / f"{HW}.ipynb").read_text()
    assert parse_utc((submitted / "timestamp.txt").read_text()) >= _changed(second) > when


@pytest.mark.nbgrader
def test_an_honest_submission_keeps_its_time(tmp_path):
    """alice hands in as `nbgrader submit` does (the folder named with the time it is written) before her due
    date: collected on time. bob's folder claims a later time than it was written: a student may make herself
    later, never earlier."""
    course = make_course(tmp_path / "course", HW, extra_config=CONFIG)
    blank = load(course / "exercises" / HW / f"{HW}.ipynb")
    claimed = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    alice = _inbound_folder(course, "alice", claimed, blank)
    _inbound_folder(course, "bob", "2099-01-01 00:00:00.000000 UTC", blank)
    due = _changed(alice) + timedelta(hours=1)             # after she really handed in
    _set_duedate(course, due)
    run_nbgrader(course, "collect", HW, NO_OWNER)
    when = parse_utc((course / "submitted" / "alice" / HW / "timestamp.txt").read_text())
    assert parse_utc(claimed) <= when <= due and when >= _changed(alice)
    assert parse_utc((course / "submitted" / "bob" / HW / "timestamp.txt").read_text()) == datetime(2099, 1, 1)
