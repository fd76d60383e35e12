"""Submissions are files, not links (trusted side): what the instructor's tools take from a student's folder.

A student owns their folder in the exchange's ``inbound/`` until it is collected, so it may hold anything a
student can make: symbolic links (to ``gradebook.db``, ``solutions/<hw>/checks.py``, a classmate's notebook,
``/dev/zero``), hard links, FIFOs, sockets, huge or sparse files, deep or wide trees. nbgrader 0.9 copies such
folders with ``shutil.copytree`` (``nbgrader collect``) and ``shutil.copy`` (``nbgrader autograde``, submitted/ ->
autograded/), which follow links with the instructor's rights and block on FIFOs; its size check follows links
too and aborts the whole collect. Two pieces replace that (``nbgrader_config.py`` wires both in):

- ``ExchangeCollect`` (``c.ExchangeFactory.collect``): collects only folders that are real directories owned
  by the student they claim to be from (nbgrader only warns), and copies them with ``copy_submission``: every
  entry is opened relative to its parent's descriptor without following links (``O_NOFOLLOW``), checked on the
  open descriptor, and copied only if it is a regular file with one link, within the caps; anything else is
  skipped with a log line naming the student, the path and the reason. Nothing is ever read through a link.
  It also decides when the submission was handed in (``handed_in``): not the time in the folder's name or in its
  ``timestamp.txt``, which the student writes, but at least the last time the folder or anything in it changed
  (``st_ctime``, which only the clock sets); that time goes into ``submitted/<student>/<hw>/timestamp.txt``,
  where autograde and the late policy read it.
- ``screen_submitted`` (``c.Autograde.pre_convert_hook``): before nbgrader copies ``submitted/<student>/<hw>``
  (and before autograde reads its ``timestamp.txt``), every entry that ``copy_submission`` would skip -- and a
  linked ``submitted/<student>`` or ``<hw>`` folder -- is moved (renamed, never read) to
  ``quarantine/<student>/<hw>/``, with a log line. Folders put into ``submitted/`` by hand or by
  ``zip_collect`` get the same treatment as collected ones.
"""

from __future__ import annotations

import dataclasses
import datetime
import errno
import fnmatch
import logging
import os
import shutil
import stat
from pathlib import Path
from typing import NamedTuple

from nbgrader.exchange.default.collect import ExchangeCollect as NbgraderExchangeCollect

try:
    import pwd
except ImportError:  # pragma: no cover - Windows, where nbgrader's exchange does not run at all
    pwd = None

QUARANTINE = "quarantine"


@dataclasses.dataclass(frozen=True)
class Caps:
    """What one submission may hold. An honest homework folder is a notebook of a few MB plus a few files."""

    file_bytes: int = 20 * 2**20
    total_bytes: int = 50 * 2**20
    files: int = 200
    depth: int = 6
    entries: int = 5000          # directory entries looked at, in all (a folder of 200,000 files is not walked)


CAPS = Caps()


@dataclasses.dataclass(frozen=True)
class Skipped:
    path: str                    # relative to the submission folder
    reason: str


class Copied(NamedTuple):
    copied: list[str]            # relative paths of the files copied
    skipped: list[Skipped]
    changed_ns: int | None       # the latest st_ctime of the folder and all it holds, seen while copying


def handed_in(claimed: datetime.datetime | None, changed_ns: int | None) -> datetime.datetime | None:
    """When a submission counts as handed in (naive UTC, as nbgrader keeps times): the later of the time the
    student claims (in the folder's name, where ``nbgrader submit`` puts it) and the last change of the folder or
    anything in it. A student can set the claim but not a ctime (any write, chmod, rename or link sets it to the clock's
    time), so she can make herself later, never earlier."""
    if changed_ns is None:
        return claimed
    # Rounded up: the result is never before the change, not even by a nanosecond.
    observed = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=-(-changed_ns // 1000))
    return observed if claimed is None else max(claimed, observed)


def format_utc(when: datetime.datetime) -> str:
    """nbgrader's timestamp.txt format for a naive UTC time (what ``nbgrader submit`` writes, in UTC)."""
    return when.strftime("%Y-%m-%d %H:%M:%S.%f") + " UTC"


_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = _OPEN_FLAGS | os.O_DIRECTORY


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISDIR, "a directory"), (stat.S_ISREG, "a regular file")):
        if test(mode):
            return name
    return "not a regular file"


def _link_reason(name: str, dir_fd: int) -> str:
    try:
        target = os.readlink(name, dir_fd=dir_fd)
    except OSError:
        return "a symbolic link"
    return f"a symbolic link to {target[:200]!r}"


def _ignored(name: str, ignore, include, is_file: bool) -> bool:
    if any(fnmatch.fnmatch(name, pattern) for pattern in ignore):
        return True
    return bool(is_file and include and not any(fnmatch.fnmatch(name, pattern) for pattern in include))


class _Walk:
    """The entries of one submission folder, classified without following anything: ``(rel, verdict, st)``
    with verdict ``"file"``, ``"dir"``, ``"ignored"`` or a ``Skipped`` reason. Budgets are counted as it goes."""

    def __init__(self, caps: Caps, ignore=(), include=(), owner_uid=None):
        self.caps, self.ignore, self.include, self.owner_uid = caps, tuple(ignore), tuple(include), owner_uid
        self.files = self.bytes = self.seen = 0
        self.over_entries = False
        self.changed_ns = None

    def note(self, st):
        """Take ``st`` (of anything looked at, copied or not) into the latest change of the submission."""
        if st is not None and (self.changed_ns is None or st.st_ctime_ns > self.changed_ns):
            self.changed_ns = st.st_ctime_ns

    def entries(self, dir_fd: int, rel: str = "", depth: int = 0):
        try:
            names = sorted(self._names(dir_fd))
        except OSError as exc:
            yield rel or ".", Skipped(rel or ".", f"cannot be listed ({exc.strerror})"), None
            return
        stats = []
        for name in names:
            path = f"{rel}/{name}" if rel else name
            try:
                stats.append((path, name, os.stat(name, dir_fd=dir_fd, follow_symlinks=False)))
            except OSError as exc:
                yield path, Skipped(path, f"vanished or unreadable ({exc.strerror})"), None
        # A folder's files before its subfolders: the notebook and its data files are not crowded out of the
        # file budget by a subfolder of many files.
        stats.sort(key=lambda t: (stat.S_ISDIR(t[2].st_mode), t[1]))
        for path, name, st in stats:
            self.note(st)
            if self.owner_uid is not None and st.st_uid != self.owner_uid:
                # The student's own folder is world-writable (nbgrader's submit makes it 0777): what someone
                # else put there is not the student's.
                yield path, Skipped(path, f"owned by uid {st.st_uid}, not by the student"), st
            elif stat.S_ISLNK(st.st_mode):
                yield path, Skipped(path, _link_reason(name, dir_fd)), st
            elif stat.S_ISDIR(st.st_mode):
                if _ignored(name, self.ignore, (), False):
                    yield path, "ignored", st
                elif depth + 1 > self.caps.depth:
                    yield path, Skipped(path, f"a directory deeper than {self.caps.depth} levels"), st
                else:
                    yield path, "dir", st
            elif not stat.S_ISREG(st.st_mode):
                yield path, Skipped(path, _kind(st.st_mode)), st
            elif _ignored(name, self.ignore, self.include, True):
                yield path, "ignored", st
            else:
                yield path, self._budget(path, st), st

    def _names(self, dir_fd):
        # The number of names looked at is bounded: os.scandir on a duplicate descriptor stops early.
        out = []
        with os.scandir(os.dup(dir_fd)) as it:
            for entry in it:
                if self.seen >= self.caps.entries:
                    self.over_entries = True
                    break
                self.seen += 1
                out.append(entry.name)
        return out

    def _budget(self, path, st):
        if st.st_nlink != 1:
            return Skipped(path, f"a hard link ({st.st_nlink} names for one file)")
        if st.st_size > self.caps.file_bytes:
            return Skipped(path, f"{st.st_size} bytes, over the {self.caps.file_bytes} bytes allowed per file")
        if self.files + 1 > self.caps.files:
            return Skipped(path, f"more than {self.caps.files} files")
        if self.bytes + st.st_size > self.caps.total_bytes:
            return Skipped(path, f"over the {self.caps.total_bytes} bytes allowed per submission")
        self.files += 1
        self.bytes += st.st_size
        return "file"


def _open_dir(path, dir_fd=None, expect=None) -> int:
    fd = os.open(path, _DIR_FLAGS, dir_fd=dir_fd)
    st = os.fstat(fd)
    if expect is not None and (st.st_dev, st.st_ino) != (expect.st_dev, expect.st_ino):
        os.close(fd)
        raise OSError(errno.ESTALE, "replaced while being read")
    return fd


def _copy_file(name: str, dir_fd: int, st, dest: Path, caps: Caps, note=lambda st: None):
    """Copy one regular file read through a descriptor opened without following links; None or the reason.
    ``note`` gets the file's status taken after the last byte was read."""
    try:
        fd = os.open(name, _OPEN_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        return "a symbolic link" if exc.errno == errno.ELOOP else f"cannot be opened ({exc.strerror})"
    try:
        fst = os.fstat(fd)
        if not stat.S_ISREG(fst.st_mode) or (fst.st_dev, fst.st_ino) != (st.st_dev, st.st_ino):
            return f"replaced while being read (now {_kind(fst.st_mode)})"
        if fst.st_nlink != 1:
            return f"a hard link ({fst.st_nlink} names for one file)"
        out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o644)
        copied = 0
        try:
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                copied += len(chunk)
                if copied > min(caps.file_bytes, max(fst.st_size, 0)):
                    raise OverflowError
                os.write(out, chunk)
            os.utime(out, ns=(fst.st_atime_ns, fst.st_mtime_ns))
            # A write while the file was read shows in its ctime from then on: what was copied is no older.
            note(os.fstat(fd))
        except OverflowError:
            os.close(out)
            out = None
            os.unlink(dest)
            return "grew while being read"
        finally:
            if out is not None:
                os.close(out)
        return None
    finally:
        os.close(fd)


def copy_submission(src, dest, caps: Caps = CAPS, ignore=(), include=(), owner_uid=None, log=None) -> Copied:
    """Copy the submission folder ``src`` to ``dest`` (which must not exist): regular files only, within ``caps``,
    never through a link; ``src`` itself must be a real folder (owned by ``owner_uid`` if given). Returns the
    copied relative paths, the skipped entries and the latest ctime of everything looked at (the folder and its
    folders taken after they were read), and logs one line per skipped entry."""
    log = log or logging.getLogger(__name__)
    src, dest = Path(src), Path(dest)
    copied, skipped = [], []
    try:
        top = _open_dir(src)
    except OSError as exc:
        reason = "a symbolic link" if exc.errno in (errno.ELOOP, errno.ENOTDIR) else f"unreadable ({exc.strerror})"
        skipped.append(Skipped(".", f"the submission folder itself is {reason}"))
        log.error("Skipped %s: the submission folder itself is %s; nothing collected", src, reason)
        return Copied(copied, skipped, None)
    if owner_uid is not None and os.fstat(top).st_uid != owner_uid:
        os.close(top)
        skipped.append(Skipped(".", "the submission folder changed owner while being collected"))
        log.error("Skipped %s: the submission folder changed owner while being collected; nothing collected", src)
        return Copied(copied, skipped, None)
    walk = _Walk(caps, ignore, include, owner_uid)
    dest.mkdir(parents=True)

    def visit(dir_fd, rel, depth, dest_dir):
        for path, verdict, st in walk.entries(dir_fd, rel, depth):
            name = path.rsplit("/", 1)[-1]
            if isinstance(verdict, Skipped):
                skipped.append(verdict)
            elif verdict == "dir":
                try:
                    sub = _open_dir(name, dir_fd, expect=st)
                except OSError as exc:
                    skipped.append(Skipped(path, f"a directory that could not be opened safely ({exc.strerror})"))
                    continue
                try:
                    (dest_dir / name).mkdir()
                    visit(sub, path, depth + 1, dest_dir / name)
                    # After its listing was used: a file renamed into or out of it meanwhile moved its ctime.
                    walk.note(os.fstat(sub))
                finally:
                    os.close(sub)
            elif verdict == "file":
                reason = _copy_file(name, dir_fd, st, dest_dir / name, caps, walk.note)
                (skipped.append(Skipped(path, reason)) if reason else copied.append(path))

    try:
        visit(top, "", 0, dest)
        walk.note(os.fstat(top))
    finally:
        os.close(top)
    if walk.over_entries:
        skipped.append(Skipped(".", f"more than {caps.entries} entries: the rest was not looked at"))
    for s in skipped:
        log.warning("Skipped %s: %s", os.path.join(str(src), s.path) if s.path != "." else src, s.reason)
    return Copied(copied, skipped, walk.changed_ns)


def last_change_ns(src, caps: Caps = CAPS) -> int | None:
    """The latest st_ctime of the folder ``src`` and everything in it that ``copy_submission`` would look at,
    read without following links or opening anything but folders (FIFOs and devices are only lstat'ed); None if
    ``src`` is not a real folder."""
    try:
        top = _open_dir(src)
    except OSError:
        return None
    walk = _Walk(caps)

    def visit(dir_fd, rel, depth):
        for path, verdict, st in walk.entries(dir_fd, rel, depth):
            if verdict == "dir":
                try:
                    sub = _open_dir(path.rsplit("/", 1)[-1], dir_fd, expect=st)
                except OSError:
                    continue                    # replaced since: its parent's ctime moved with it
                try:
                    visit(sub, path, depth + 1)
                    walk.note(os.fstat(sub))
                finally:
                    os.close(sub)

    try:
        visit(top, "", 0)
        walk.note(os.fstat(top))
    finally:
        os.close(top)
    return walk.changed_ns


class ExchangeCollect(NbgraderExchangeCollect):
    """nbgrader's collect, taking only real folders of the student they are named after, copied as files, each
    with the time it was handed in (``handed_in``) instead of the one its name and its timestamp.txt claim.

    nbgrader orders a student's folders, picks the one before the due date (``--before-duedate``) and decides
    whether ``--update`` replaces the collected one by each record's ``timestamp``; here that is the handed-in
    time, so a new folder named with an old time is still the newest and still late."""

    caps = CAPS
    # An honest folder is written within moments of the time it names; a wider gap is worth a line in the log.
    claim_slack = datetime.timedelta(minutes=1)

    def _path_to_record(self, path):
        try:
            return super()._path_to_record(path)
        except Exception:  # noqa: BLE001 - a bad name is one bad entry, never the end of collecting
            return None

    def _owner_ok(self, path: str, student: str) -> str | None:
        """None if ``path`` may be collected for ``student``, else the reason."""
        try:
            st = os.lstat(path)
        except OSError as exc:
            return f"unreadable ({exc.strerror})"
        if not stat.S_ISDIR(st.st_mode):
            return f"{_kind(st.st_mode)}, not a folder"
        if self.check_owner and pwd is not None:
            try:
                owner = pwd.getpwuid(st.st_uid).pw_name
            except KeyError:
                owner = f"uid {st.st_uid}"
            if owner != student:
                return f"owned by {owner}, not by {student}"
        return None

    def init_src(self):
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.inbound_path = os.path.join(self.course_path, "inbound")
        if not os.path.isdir(self.inbound_path) or os.path.islink(self.inbound_path):
            self.fail(f"Course not found (or not a real folder): {self.inbound_path}")
        if not os.access(self.inbound_path, os.R_OK | os.X_OK):
            self.fail(f"You don't have read permissions for the directory: {self.inbound_path}")
        student_id = self.coursedir.student_id or "*"
        prefix = f"+{self.coursedir.assignment_id}+"
        records = []
        for entry in os.scandir(self.inbound_path):
            name = entry.name
            student, sep, _ = name.partition(prefix)
            if not sep or not fnmatch.fnmatchcase(student, student_id):
                continue
            rec = self._path_to_record(entry.path)
            if rec is None or rec["username"] != student:
                self.log.warning("Skipped %s: not a submission name (student+assignment+time)", entry.path)
                continue
            reason = self._owner_ok(entry.path, rec["username"])
            if reason:
                self.log.warning("Skipped %s: %s", entry.path, reason)
                continue
            rec["claimed"] = rec["timestamp"]
            rec["timestamp"] = handed_in(rec["claimed"], last_change_ns(entry.path, self.caps))
            records.append(rec)
        self._by_filename = {rec["filename"]: rec for rec in records}
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                self.duedate = gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                self.duedate = None
        by_student = {}
        for rec in sorted(records, key=lambda r: r["timestamp"], reverse=True):
            by_student.setdefault(rec["username"], []).append(rec)
        self.src_records = []
        for recs in by_student.values():
            on_time = [r for r in recs if self.duedate is not None and self.before_duedate
                       and r["timestamp"] <= self.duedate]
            self.src_records.append(on_time[0] if on_time else recs[0])

    def do_copy(self, src, dest, log=None):
        ignore = list(self.coursedir.ignore)
        include = [] if list(self.coursedir.include) == ["*"] else list(self.coursedir.include)
        caps = dataclasses.replace(self.caps, file_bytes=min(self.caps.file_bytes,
                                                             1000 * int(self.coursedir.max_file_size)))
        owner = None
        if self.check_owner and pwd is not None:
            student = os.path.basename(src).rsplit("+", 3)[0]
            try:
                owner = pwd.getpwnam(student).pw_uid
            except KeyError:
                owner = -1                      # init_src checked it; a user that vanished since owns nothing
        result = copy_submission(src, dest, caps, ignore=ignore, include=include, owner_uid=owner, log=self.log)
        if result.changed_ns is not None and os.path.isdir(dest):
            self._write_handed_in(src, dest, result.changed_ns)

    def _write_handed_in(self, src, dest, changed_ns):
        """Replace the student's timestamp.txt in the copy by the time the folder was handed in: autograde and
        the late policy read it there. The time seen while copying counts too: the folder may have changed since
        ``init_src`` looked at it, and the copy holds what it was then."""
        rec = getattr(self, "_by_filename", {}).get(os.path.basename(src), {})
        claimed = rec.get("claimed")
        when = handed_in(rec.get("timestamp"), changed_ns)
        target = os.path.join(dest, "timestamp.txt")
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target)               # the student's folder named timestamp.txt, copied as real folders
        with open(target, "w") as fh:
            fh.write(format_utc(when))
        if claimed is not None and when - claimed > self.claim_slack:
            self.log.warning("%s was written at %s, later than the time it names (%s): the later time counts",
                             src, format_utc(when), format_utc(claimed))


def _app_log():
    from traitlets.config import Application

    if Application.initialized():
        app = Application.instance()
        return getattr(app, "subapp", None) and app.subapp.log or app.log
    return logging.getLogger(__name__)


def _quarantine(root: Path, rel_dir: str, rel: str, dir_fd: int | None, name: str) -> Path:
    """Rename ``name`` (relative to ``dir_fd``) into ``root/quarantine/rel_dir/rel``; the entry is never opened."""
    target = root / QUARANTINE / rel_dir / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    final, k = target, 1
    while os.path.lexists(final):
        final = target.with_name(f"{target.name}.{k}")
        k += 1
    os.rename(name, final, src_dir_fd=dir_fd)
    return final


def screen_submitted(assignment=None, student=None, notebooks=(), caps: Caps = CAPS, log=None):
    """nbgrader's autograde pre-convert hook: before the copy submitted/ -> autograded/, move every entry of each
    submission folder that ``copy_submission`` would skip into quarantine/ (renamed, never read or followed),
    with a log line. Runs in the course directory (nbgrader changes into it before converting)."""
    log = log or _app_log()
    root = Path.cwd()
    for folder in sorted({os.path.dirname(os.path.abspath(nb)) for nb in notebooks}):
        try:
            _screen_folder(root, Path(folder), caps, log)
        except Exception as exc:  # noqa: BLE001 - nbgrader would swallow it silently: say it loudly
            log.error("Could not screen %s (%s: %s): grading it may read what its links point to", folder,
                      type(exc).__name__, exc)


def _screen_folder(root: Path, folder: Path, caps: Caps, log):
    rel_dir = os.path.relpath(folder, root)
    if rel_dir.startswith(".."):
        log.error("%s is outside the course directory %s: not screened", folder, root)
        return
    # Every folder from the course root down to the submission must be a real folder.
    parts = Path(rel_dir).parts
    for k in range(1, len(parts) + 1):
        here = root.joinpath(*parts[:k])
        st = os.lstat(here)
        if not stat.S_ISDIR(st.st_mode):
            reason = f"a symbolic link to {os.readlink(here)[:200]!r}" if stat.S_ISLNK(st.st_mode) else _kind(st.st_mode)
            moved = _quarantine(root, str(Path(*parts[:k]).parent), here.name, None, str(here))
            log.warning("Skipped %s: %s; moved to %s (nothing in it is graded)", here, reason, moved)
            return
    walk = _Walk(caps)
    top = _open_dir(folder)
    moved = []

    def visit(dir_fd, rel, depth):
        for path, verdict, st in walk.entries(dir_fd, rel, depth):
            name = path.rsplit("/", 1)[-1]
            if isinstance(verdict, Skipped):
                target = _quarantine(root, rel_dir, path, dir_fd, name)
                moved.append((path, verdict.reason, target))
            elif verdict == "dir":
                sub = _open_dir(name, dir_fd, expect=st)
                try:
                    visit(sub, path, depth + 1)
                finally:
                    os.close(sub)

    try:
        visit(top, "", 0)
    finally:
        os.close(top)
    for path, reason, target in moved:
        log.warning("Skipped %s: %s; moved to %s before autograde copies the submission", folder / path, reason,
                    target)
    if walk.over_entries:
        # What was not looked at cannot be let through to nbgrader's copy: the whole folder goes.
        target = _quarantine(root, str(Path(rel_dir).parent), folder.name, None, str(folder))
        log.error("Skipped %s: more than %d entries; moved to %s (not graded)", folder, caps.entries, target)
