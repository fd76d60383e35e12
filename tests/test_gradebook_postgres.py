"""The gradebook on PostgreSQL (issue 25): the same class autograded by two parallel `nbgrader autograde`
processes (`python -m tools.classroom autograde --jobs 2`) into SQLite and into a PostgreSQL server gives the
same gradebook: every grade cell, score, late penalty, status and exported row. The SQLite side is the class of
test_gradebook.py (graded once for both modules, before its hand grading).

The test starts its own server from Debian's `postgresql` package (`make db-deps`): `initdb` into a fresh
directory, `pg_ctl` on 127.0.0.1 with a free port and its Unix socket in that directory, password login
(scram-sha-256). PostgreSQL refuses to run as root, so as root the server runs as a throw-away Unix user
(made with useradd, deleted at the end). The server's time zone is set far from UTC on purpose: nbgrader
keeps times as naive UTC, and a due date stored with its offset would be shifted by the server.
"""

from __future__ import annotations

import csv
import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from tools import classroom as C

from shared_courses import DUE, GRADEBOOK_GROUP as GROUP, HW1 as HW, hand_in_class, new_course

# In test_gradebook.py's group: its class, graded there once, is the SQLite side of the comparison.
pytestmark = [pytest.mark.slow, pytest.mark.nbgrader, GROUP]


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name)]
    if not found[-1]:
        pytest.fail(f"PostgreSQL's {name} not found: `make db-deps` installs Debian's postgresql package")
    return found[-1]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A PostgreSQL server of its own on 127.0.0.1 (as a throw-away user when we are root)."""

    def __init__(self):
        self.user = None
        self.password = secrets.token_hex(12)
        self.port = _free_port()
        if os.getuid() == 0:
            self.user = f"ffpg{secrets.token_hex(2)}"
            subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", "--user-group", self.user], check=True,
                           capture_output=True)
            self.home = Path(f"/home/{self.user}")
            os.chmod(self.home, 0o700)
        else:
            self.home = Path(tempfile.mkdtemp(prefix="ffnn-pg-"))
        self.data, self.sock, self.log = self.home / "data", self.home / "sock", self.home / "server.log"
        pwfile = self.home / "pw"
        self._as_owner(["mkdir", "-p", str(self.sock)])
        self._as_owner(["bash", "-c", f"umask 077 && printf %s {self.password} > {pwfile}"])
        self._as_owner([_pg_bin("initdb"), "-D", str(self.data), "-U", "grader", f"--pwfile={pwfile}",
                        "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"])
        self._as_owner([_pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "120", "-o",
                        f"-h 127.0.0.1 -p {self.port} -k {self.sock} -c TimeZone=Pacific/Auckland", "start"])
        self.url = f"postgresql+psycopg://grader:{self.password}@127.0.0.1:{self.port}/ffnn"
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="grader", password=self.password,
                             dbname="postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE ffnn")

    def _as_owner(self, cmd):
        if self.user:
            cmd = ["runuser", "-u", self.user, "--"] + cmd
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            log = self.log.read_text()[-3000:] if self.log.exists() else ""
            raise AssertionError(f"{' '.join(cmd)}: rc={proc.returncode}\n{proc.stdout}\n{proc.stderr}\n{log}")
        return proc

    def stop(self):
        try:
            if (self.data / "postmaster.pid").exists():
                self._as_owner([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])
        finally:
            if self.user:
                subprocess.run(["userdel", "--remove", self.user], capture_output=True)
                shutil.rmtree(self.home, ignore_errors=True)
                assert subprocess.run(["id", "-u", self.user], capture_output=True).returncode != 0
            else:
                shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres():
    server = Postgres()
    try:
        yield server
    finally:
        server.stop()


def _pg_class(course: Path, db: str):
    """The class of test_gradebook.py (roster, hw1 with a due date, bob's extension, the same hand-ins) graded by
    two parallel processes into ``db``: its scores and exported rows."""
    C.import_roster(course / "students.csv", course, db)
    C.register(course, [HW], {HW: DUE}, db=db)
    C.extend(HW, "bob", course, hours=48, db=db)
    hand_in_class(course)
    with pytest.raises(RuntimeError, match="erin"):
        C.autograde(HW, course, jobs=2, log=lambda *a: None, db=db)
    out = course / "grades.csv"
    C.export(out, course, db)
    rows = list(csv.DictReader(out.open(newline="", encoding="utf-8")))
    return C.scores(course, HW, db), rows


def test_autograde_on_postgres_gives_the_same_gradebook_as_on_sqlite(postgres, tmp_path, gradebook_class):
    lite = gradebook_class       # the SQLite class of test_gradebook.py (shared_courses), before its hand grading
    pg_scores, pg_rows = _pg_class(new_course(tmp_path / "postgres"), postgres.url)
    assert not (tmp_path / "postgres" / "gradebook.db").exists()       # everything went to the server
    assert set(pg_scores) == {"alice", "bob", "carol", "erin", "frank", "gina"}
    assert pg_scores == lite["scores"]
    assert pg_rows == lite["rows"]
    by = {r["student_id"]: r for r in pg_rows}
    assert {s: r["status"] for s, r in by.items()} == {
        "alice": "graded", "bob": "graded", "carol": "graded", "dave": "not_submitted", "erin": "ungradeable",
        "frank": "no_timestamp", "gina": "graded"}
    assert float(by["alice"]["score"]) == pytest.approx(0.8 * 18)          # 30 h late: 20 %
    assert float(by["bob"]["score"]) == 18.0 and by["bob"]["duedate"].startswith("2026-11-22 23:59")
    assert 0 <= float(by["gina"]["score"]) < 18.0
    # the due date on the server is the one given, whatever the server's own time zone
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=postgres.port, user="grader", password=postgres.password,
                         dbname="ffnn") as conn:
        assert str(conn.execute("SELECT duedate FROM assignment").fetchone()[0]) == "2026-11-20 23:59:00"
        assert conn.execute("SHOW TimeZone").fetchone()[0] == "Pacific/Auckland"


def test_a_bad_database_url_is_refused_with_its_name():
    with pytest.raises(ValueError, match="not a database URL"):
        C.check_db_url("gradebook")
    with pytest.raises(ValueError, match="sqlite or postgresql, not mysql"):
        C.check_db_url("mysql://u@127.0.0.1/ffnn")
