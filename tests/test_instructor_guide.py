"""The instructor guide is executed: every ```bash block of book/appendix/instructor_guide.md runs, in order,
in one bash session, in a fresh clone of this repository, so the guide cannot drift from what works.

Conventions (also in /tmp/team notes and at the top of the guide's source):
- every ```bash fence runs; use ```text / ```python for what must not run;
- MyST comment lines right before a fence are directives for this test (invisible on the page):
  ``% guide-test: skip <reason>``, ``% guide-test: before <command>``, ``% guide-test: after <command>``
  (test-only preparation such as fake submissions, and assertions; a failing command fails the test).
- the guide's ``git clone https://github.com/ffnn-course/...`` clones a snapshot of this work tree (its
  committed files plus uncommitted changes, so the test checks what is about to be committed); ``.venv``
  is linked to the running venv so ``make setup`` finds it up to date instead of downloading 850 MB.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "book" / "appendix" / "instructor_guide.md"
# The example address of the instructors' (private) repository in the guide's first steps.
CLONE_URL = "https://github.com/ffnn-course/ffnn-instructors"
FENCE = re.compile(r"^```(\w*)\s*$")
DIRECTIVE = re.compile(r"^%\s*guide-test:\s*(skip|before|after)\b\s*(.*)$")


def blocks(text: str) -> list[dict]:
    """The guide's fenced blocks in order: {lang, code, line, skip, before, after}."""
    out, pending, lines, i = [], {"before": [], "after": [], "skip": None}, text.splitlines(), 0
    while i < len(lines):
        m = DIRECTIVE.match(lines[i])
        if m:
            kind, arg = m.groups()
            if kind == "skip":
                if not arg.strip():
                    raise ValueError(f"{GUIDE.name}:{i + 1}: '% guide-test: skip' needs a reason")
                pending["skip"] = arg.strip()
            else:
                pending[kind].append(arg.strip())
            i += 1
            continue
        m = FENCE.match(lines[i])
        if m and m.group(1):
            start, body = i + 1, []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            out.append({"lang": m.group(1), "code": "\n".join(body), "line": start, **pending})
            pending = {"before": [], "after": [], "skip": None}
        elif lines[i].strip() and not lines[i].startswith("%"):
            if pending["before"] or pending["after"] or pending["skip"]:
                raise ValueError(f"{GUIDE.name}:{i + 1}: a guide-test directive must be right before a fence")
        i += 1
    return out


# Before each block: the wall-clock seconds since the start and the CPU seconds (user + system) of every
# command finished so far (the shell's children, from /proc: bash's `times` cannot be read from a `$(...)`
# subshell), so a failure's output and a profile run show where the time goes. With TRACE set, every command
# is also written to that file with the time it started (xtrace on its own descriptor: the guide's output
# stays as it is).
PROLOGUE = r"""set -euo pipefail
__t0=$EPOCHREALTIME __tck=$(getconf CLK_TCK)
__announce() {
    local -; set +x
    local st; read -r -a st < /proc/$$/stat
    awk -v what="$1" -v now="$EPOCHREALTIME" -v t0="$__t0" -v cpu=$(( st[15] + st[16] )) -v tck="$__tck" \
        'BEGIN { printf ">>> guide %s at %.1f s (CPU of the commands so far: %.1f s)\n", what, now - t0, cpu / tck }' >&2
}
if [[ -n "${TRACE:-}" ]]; then
    exec {__trace}>"$TRACE"; BASH_XTRACEFD=$__trace; PS4='+ $EPOCHREALTIME '; set -x
fi"""


def script(text: str, repo: Path) -> str:
    """One bash script: every bash block (with its directives), each announced on stderr with the time."""
    parts = [PROLOGUE]
    for b in blocks(text):
        if b["lang"] != "bash" or b["skip"]:
            continue
        code = b["code"].replace(CLONE_URL, str(repo))
        parts.append(f"__announce 'line {b['line']}'")
        parts += b["before"]
        # Right after the clone line (before `make setup` in the same block): link the venv, age the stamps.
        parts.append("\n".join(line + ("\n__AFTER_CLONE__" if "git clone" in line else "")
                               for line in code.splitlines()))
        parts += [f"{a}  # guide-test: after (line {b['line']})" for a in b["after"]]
    parts.append("__announce end")
    return "\n".join(parts) + "\n"


ANNOUNCED = re.compile(r"^>>> guide (.+?) at ([\d.]+) s \(CPU of the commands so far: ([\d.]+) s\)$", re.M)
TRACED = re.compile(r"^\++ (\d+\.\d+) (.*)$", re.M)


def profile(stderr: str, trace: str = "", top: int = 12) -> str:
    """Seconds (wall, CPU of the finished commands) per guide block, and the longest traced commands."""
    marks = [(what, float(t), float(c)) for what, t, c in ANNOUNCED.findall(stderr)]
    lines = [f"{what:>10}: {t1 - t0:7.1f} s wall {c1 - c0:7.1f} s CPU"
             for (what, t0, c0), (_, t1, c1) in zip(marks, marks[1:])]
    starts = [(float(t), cmd) for t, cmd in TRACED.findall(trace)]
    longest = sorted(((t1 - t0, cmd) for (t0, cmd), (t1, _) in zip(starts, starts[1:])
                      if not cmd.startswith(("__announce", "local -", "set +x"))), reverse=True)[:top]
    return "\n".join(["seconds per block (line of the guide):", *lines,
                      *(["longest commands (wall s):"] if longest else []),
                      *(f"{d:7.1f}  {cmd[:110]}" for d, cmd in longest)])


def snapshot_repo(dest: Path) -> Path:
    """A git repository holding this work tree as one commit (tracked files + uncommitted, not ignored)."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, check=True).stdout.split(b"\0")
    for raw in files:
        if not raw:
            continue
        rel = raw.decode()
        src = ROOT / rel
        if not src.is_file():           # deleted in the work tree but still in the index
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    env = {**os.environ, "GIT_AUTHOR_NAME": "guide", "GIT_AUTHOR_EMAIL": "guide@localhost",
           "GIT_COMMITTER_NAME": "guide", "GIT_COMMITTER_EMAIL": "guide@localhost"}
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "snapshot"]):
        subprocess.run(cmd, cwd=dest, env=env, check=True, capture_output=True)
    return dest


def test_guide_blocks_parse_and_directives_are_attached():
    bs = blocks(GUIDE.read_text(encoding="utf-8"))
    bash = [b for b in bs if b["lang"] == "bash"]
    assert bash, "the guide has no bash block"
    assert any("git clone" in b["code"] for b in bash), "the guide's first steps clone the course"
    with pytest.raises(ValueError, match="needs a reason"):
        blocks("% guide-test: skip\n```bash\ntrue\n```\n")
    with pytest.raises(ValueError, match="right before a fence"):
        blocks("% guide-test: before true\nsome text\n```bash\ntrue\n```\n")


def test_what_the_guide_says_a_make_target_runs_is_its_recipe():
    """`make X  # = command` in the guide is what the Makefile runs: a comment is not executed by the guide
    test, so a recipe that gained an option (``--lang all``) left the guide showing the old command."""
    recipes, target = {}, None
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        if re.match(r"^[\w-]+:", line):
            target = line.split(":", 1)[0]
        elif line.startswith("\t") and target and target not in recipes:
            recipes[target] = line.strip().replace("$(BIN)/python", "python")
    said = re.findall(r"^make ([\w-]+)\s+# = (.+?)(?:\s{2,}|$)", GUIDE.read_text(encoding="utf-8"), re.M)
    assert said, "the guide shows no `make X  # = command`"
    for target, command in said:
        assert recipes.get(target) == command.strip(), (target, command, recipes.get(target))


def test_the_script_reports_seconds_per_block(tmp_path):
    """The announce line before each block carries the time, so a slow or failing run says where."""
    text = "```bash\npython -c 'sum(range(3 * 10**6))'\n```\n\n% guide-test: after test -d .\n```bash\ntrue\n```\n"
    (tmp_path / "guide.sh").write_text(script(text, tmp_path))
    proc = subprocess.run(["bash", str(tmp_path / "guide.sh")], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "TRACE": str(tmp_path / "trace.log")})
    assert proc.returncode == 0, proc.stderr
    assert [m[0] for m in ANNOUNCED.findall(proc.stderr)] == ["line 1", "line 6", "end"], proc.stderr
    report = profile(proc.stderr, (tmp_path / "trace.log").read_text())
    assert re.search(r"line 1: +[\d.]+ s wall +[\d.]+ s CPU", report), report
    commands = report.split("longest commands (wall s):\n")[1].splitlines()
    assert "python -c 'sum(range(3 * 10**6))'" in commands[0], report  # the guide's command, not the prologue
    assert not any("__announce" in c or "set +x" in c for c in commands), report


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.xdist_group("nbgrader")
def test_every_command_of_the_guide_runs_in_a_fresh_clone(tmp_path):
    repo = snapshot_repo(tmp_path / "upstream")
    venv = Path(sys.prefix)
    after_clone = "\n".join([
        f"ln -s {venv} .venv",
        # A fresh clone's files are newer than the venv's stamp: age the stamp's prerequisites so that
        # `make setup` sees the (shared) venv as up to date instead of reinstalling into it.
        "touch -d '2000-01-01' requirements.txt pyproject.toml",
    ])
    text = script(GUIDE.read_text(encoding="utf-8"), repo)
    # `make setup` must find the linked venv up to date, or it would `pip install -e` the clone into it.
    assert "__AFTER_CLONE__" in text and text.index("__AFTER_CLONE__") < text.find("make setup"), text[:800]
    text = text.replace("__AFTER_CLONE__", after_clone)
    (tmp_path / "guide.sh").write_text(text)
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "VIRTUAL_ENV"))}
    env.update(HOME=str(tmp_path / "home"), MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               PATH=os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != str(venv / "bin")))
    (tmp_path / "home").mkdir()
    env["TRACE"] = str(tmp_path / "trace.log")
    proc = subprocess.run(["bash", str(tmp_path / "guide.sh")], cwd=work, env=env, capture_output=True, text=True)
    timing = profile(proc.stderr, (tmp_path / "trace.log").read_text(errors="replace"))
    print(timing)  # pytest -rP shows it
    log = f"--- stdout ---\n{proc.stdout[-6000:]}\n--- stderr ---\n{proc.stderr[-8000:]}\n--- {timing}"
    assert proc.returncode == 0, log
    course = work / "course"
    # What the first steps promise: one gradebook with every assignment and the roster.
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        names = sorted(a.name for a in gb.assignments)
        ids = sorted(s.id for s in gb.students)
    expected = sorted(p.name for p in (course / "solutions").iterdir() if (p / f"{p.name}.ipynb").is_file())
    assert names == expected, log
    roster = (course / "deploy" / "students.example.csv").read_text().splitlines()[1:]
    assert ids == sorted(line.split(",")[0] for line in roster if line.strip()), log
    # Private data stays private: not tracked, the course directory not readable by others.
    status = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=course, capture_output=True,
                            text=True).stdout
    for private in ("students.csv", "gradebook.db"):
        assert f"!! {private}" in status, status
    assert (course.stat().st_mode & 0o077) == 0, oct(course.stat().st_mode)
