"""Generate the student notebooks in ``exercises/`` from ``solutions/`` with nbgrader, or check them.

    python -m tools.assignments generate        # rewrite exercises/<hw>/ for every solutions/<hw>/
    python -m tools.assignments generate --lang zh_CN   # the Chinese release: exercises/zh_CN/<hw>/
    python -m tools.assignments check [hw ...]  # authoring mistakes (tools/check_assignments.py), then fail if
                                                # the committed exercises/ differ from a fresh run
    python -m tools.assignments check --markdown    # also print the mutant-survival table as markdown
    python -m tools.assignments replay HW STUDENT GRADE_ID   # one check again, with its recorded seed (tools/regrade.py)

The Chinese release is the English one with its prose translated from the gettext catalogs
``locales/zh_CN/LC_MESSAGES/homework/<hw>.po`` (``tools/homework_i18n.py``): same code cells, grade ids and
points, so the gradebook of ``solutions/`` grades both, and the grader's feedback follows the notebook's language.

Generation runs the real ``nbgrader generate_assignment`` in a temporary course directory (so the
repository's gradebook is never touched), then copies the released notebooks back with normalized
JSON (sorted keys, one-space indent, trailing newline) so a regeneration is byte-for-byte stable.
``check`` also verifies that no solution code, no hidden test, no mark scheme and no hidden-check file
(``solutions/<hw>/checks.py``, which only the grader imports) reached ``exercises/``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .env import tool_env

ROOT = Path(__file__).resolve().parent.parent
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
                    "BEGIN MARK SCHEME", "END MARK SCHEME")
# Trusted grader files that live next to the instructor notebook and must never be released.
NOT_RELEASED = ("checks.py",)
# Where each language's release goes (nbgrader's release directory of a class taught in that language).
RELEASES = {"en": Path("exercises"), "zh_CN": Path("exercises") / "zh_CN"}


def assignments(root: Path = ROOT) -> list[str]:
    """Assignment names: the directories of solutions/ holding a notebook of the same name."""
    src = root / "solutions"
    return sorted(p.name for p in src.iterdir() if p.is_dir() and (p / f"{p.name}.ipynb").exists()) \
        if src.is_dir() else []



class NbgraderFailed(RuntimeError):
    """An nbgrader command that failed, said in one line with nbgrader's own reason (its log is ``output``)."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


# nbgrader logs a failure as a traceback; the message of its last exception line is nbgrader's reason.
_EXCEPTION_LINE = re.compile(r"^\s*(?:[\w.]+\.)?\w*(?:Error|Exception): (?P<reason>.+?)\s*$")
_CONVERTING = re.compile(r"Converting notebook (?P<path>\S+)")
_SUMMARIES = ("Please see", "There was an error processing")


def nbgrader_reason(output: str) -> str:
    """nbgrader's reason for a failure in ``output`` (its log), on one line: the message of the last exception,
    with the notebook it was converting and the first line of the cell when its log shows them."""
    lines = output.splitlines()
    reasons = [m["reason"] for m in map(_EXCEPTION_LINE.match, lines) if m]
    if not reasons:  # no traceback: nbgrader stopped on an error it logged
        reasons = [ln.split("]", 1)[1].strip() for ln in lines if "| ERROR]" in ln]
        reasons = [r for r in reasons if r and not r.startswith(_SUMMARIES)]
    reason = reasons[-1] if reasons else next((ln.strip() for ln in reversed(lines) if ln.strip()), "no output")
    where = [re.sub(r"^.*?/solutions/(\./)?", "solutions/", m["path"]) for m in map(_CONVERTING.search, lines) if m]
    cells = [next((ln.strip() for ln in lines[k + 1:] if ln.strip()), "") for k, ln in enumerate(lines)
             if ln.rstrip().endswith("Cell contents are:")]
    context = ([where[-1]] if where else []) + ([f"the cell starting {cells[-1]!r}"] if cells and cells[-1] else [])
    return reason + (f" (in {', '.join(context)})" if context else "")


def dumps(nb: dict) -> bytes:
    """Stable bytes for a notebook (sorted keys, one-space indent, trailing newline)."""
    return (json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def normalize(path: Path) -> bytes:
    """Stable bytes for a notebook (nbgrader writes JSON whose layout may vary between versions)."""
    return dumps(json.loads(path.read_text(encoding="utf-8")))


def generate_releases(outs: dict[str, Path], names: list[str] | None = None, root: Path = ROOT) -> list[str]:
    """One ``nbgrader generate_assignment`` of ``names`` (default: all), written as the release of every
    language of ``outs`` ({lang: directory}): the Chinese release is the English one with its prose
    translated, so both come from the same generation."""
    unknown = [lang for lang in outs if lang not in RELEASES]
    if unknown:
        raise ValueError(f"unknown language {unknown[0]!r}: choose one of {', '.join(RELEASES)}")
    names = names or assignments(root)
    if not names:
        return []
    untranslated = {}
    with tempfile.TemporaryDirectory(prefix="ffnn-course-") as tmp:
        course = Path(tmp)
        shutil.copy(root / "nbgrader_config.py", course)
        for pkg in ("ffgrader",):  # whatever the config imports besides nbgrader itself
            if (root / pkg).is_dir():
                shutil.copytree(root / pkg, course / pkg, ignore=shutil.ignore_patterns("__pycache__"))
        for name in names:
            # The hidden checks are not even copied: nbgrader cannot release what it never sees.
            shutil.copytree(root / "solutions" / name, course / "solutions" / name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", *NOT_RELEASED))
        # One process for all of them (only `names` are in the copy, so "*" means those): nbgrader's start-up
        # and the new gradebook it makes (it runs `alembic` for that) cost more than generating a notebook;
        # one process per assignment took six times the CPU.
        cmd = [str(Path(sys.executable).parent / "nbgrader"), "generate_assignment",
               "*" if len(names) > 1 else names[0], "--force", "--db", f"sqlite:///{course / 'gradebook.db'}"]
        proc = subprocess.run(cmd, cwd=course, env=tool_env(), capture_output=True, text=True)
        if proc.returncode != 0:
            output = f"{proc.stdout}\n{proc.stderr}"
            raise NbgraderFailed(f"nbgrader generate_assignment {' '.join(names)} failed: {nbgrader_reason(output)}",
                                 output)
        for name in names:
            released = course / "exercises" / name
            if not released.is_dir():
                raise RuntimeError(f"nbgrader generate_assignment did not release {name}:\n{proc.stderr[-3000:]}")
            for lang, out in outs.items():
                _write_release(released, out / name, name, lang, untranslated)
    for (name, lang), n in untranslated.items():
        if n:  # released anyway (the English paragraph shows what is missing); the tests fail on it
            print(f"{name}: {n} paragraph(s) not translated to {lang} (python -m tools.homework_i18n report)",
                  file=sys.stderr)
    return names


def _write_release(released: Path, dest: Path, name: str, lang: str, untranslated: dict) -> None:
    """nbgrader's release of ``name`` into ``dest`` (replaced): normalized notebooks, translated if ``lang``
    is not English (the count of untranslated paragraphs goes into ``untranslated[name, lang]``)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for f in sorted(released.rglob("*")):
        if f.is_file():
            target = dest / f.relative_to(released)
            target.parent.mkdir(parents=True, exist_ok=True)
            if f.suffix == ".ipynb" and lang != "en":
                from . import homework_i18n

                nb, missing = homework_i18n.translate_notebook(
                    json.loads(f.read_text(encoding="utf-8")), homework_i18n.translations(name), lang)
                untranslated[name, lang] = len(missing)
                target.write_bytes(dumps(nb))
            else:
                target.write_bytes(normalize(f) if f.suffix == ".ipynb" else f.read_bytes())


def leaks(path: Path) -> list[str]:
    """Solution/hidden-test markers found in a student notebook (must be empty)."""
    text = path.read_text(encoding="utf-8")
    return [m for m in SOLUTION_MARKERS if m in text]


def check_leaks(checks_file: Path, notebook: Path) -> list[str]:
    """Lines of hidden-check code (registrations, calls into the student) found in a student notebook."""
    if not checks_file.is_file():
        return []
    text = json.loads(notebook.read_text(encoding="utf-8"))
    sources = "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in text["cells"])
    found = []
    for line in checks_file.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("@check(") or "call(student" in line or "(student, rng)" in line:
            if line in sources:
                found.append(line)
    return found


def check(root: Path = ROOT, names: list[str] | None = None) -> list[str]:
    """Problems found: differences between exercises/ and a fresh generation, and leaked solutions."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = {lang: Path(tmp) / lang for lang in RELEASES}
        names = generate_releases(fresh, names, root=root)  # one generation, every language's release
        for lang, release in RELEASES.items():
            problems += _check_release(root, release, fresh[lang], names)
    return problems


def _check_release(root: Path, release: Path, fresh: Path, names: list[str]) -> list[str]:
    problems = []
    for name in names:
        new_files = {p.relative_to(fresh / name) for p in (fresh / name).rglob("*") if p.is_file()}
        old_dir = root / release / name
        old_files = {p.relative_to(old_dir) for p in old_dir.rglob("*") if p.is_file()} if old_dir.is_dir() else set()
        for rel in sorted(new_files - old_files):
            problems.append(f"{release}/{name}/{rel} is missing (run `make assignments`)")
        for rel in sorted(old_files - new_files):
            problems.append(f"{release}/{name}/{rel} is not generated from solutions/ (remove it)")
        for rel in sorted(new_files & old_files):
            if (fresh / name / rel).read_bytes() != (old_dir / rel).read_bytes():
                problems.append(f"{release}/{name}/{rel} differs from a fresh generation (run `make assignments`)")
        for nbpath in sorted(old_dir.rglob("*.ipynb")) if old_dir.is_dir() else []:
            for marker in leaks(nbpath):
                problems.append(f"{nbpath.relative_to(root)} contains {marker!r}")
            for line in check_leaks(root / "solutions" / name / "checks.py", nbpath):
                problems.append(f"{nbpath.relative_to(root)} contains a line of the hidden checks: {line[:60]!r}")
        released = [p for d in (fresh / name, old_dir) if d.is_dir() for n in NOT_RELEASED for p in d.rglob(n)]
        for path in released:
            problems.append(f"{path.name} was released into {release}/{name}/ (hidden checks must stay private)")
    return problems


def _assignment_dirs(names: list[str], root: Path = ROOT) -> list[Path]:
    """``names``: assignments of solutions/ or paths of assignment directories; default every assignment."""
    if not names:
        return [(root / "solutions" / n).resolve() for n in assignments(root)]
    dirs = []
    for name in names:
        path = Path(name)
        if not path.is_dir():
            path = root / "solutions" / name
        if not path.is_dir():
            raise SystemExit(f"{name}: no such assignment (not a directory, and not one of solutions/: "
                             f"{', '.join(assignments(root)) or 'none'})")
        dirs.append(path.resolve())
    return dirs


def check_authoring(dirs: list[Path], seeds: int, mutate: bool, markdown: bool) -> int:
    """Run tools.check_assignments on each directory: one line per finding on stderr, a summary per assignment."""
    from . import check_assignments as A

    reports = []
    for d in dirs:
        report = A.check_assignment(d, seeds=seeds, mutate=mutate,
                                    progress=lambda text: print(text, file=sys.stderr, flush=True))
        for finding in report.findings:
            print(finding, file=sys.stderr)
        print(A.summary(report), flush=True)
        reports.append(report)
    if markdown and mutate:
        print(A.markdown_table(reports), end="")
    return sum(len(r.findings) for r in reports)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["replay"]:
        from .regrade import replay_main

        return replay_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m tools.assignments", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["generate", "check"])
    parser.add_argument("names", nargs="*", help="assignments (default: every directory of solutions/); check also "
                                                 "takes the path of an assignment directory")
    parser.add_argument("--lang", choices=[*RELEASES, "all"], default="en",
                        help="the release's language: en (exercises/<hw>/), zh_CN (exercises/zh_CN/<hw>/) or all")
    parser.add_argument("--seeds", type=int, default=None, metavar="K",
                        help="check: every mutant must fail on each of K seeds (default 3)")
    parser.add_argument("--no-mutants", action="store_true", help="check: skip the weak-check (mutant) analysis")
    parser.add_argument("--markdown", action="store_true", help="check: print the mutant-survival table as markdown")
    parser.add_argument("--no-release", action="store_true",
                        help="check: do not compare exercises/ with a fresh generation (authoring checks only)")
    args = parser.parse_intermixed_args(argv)
    if args.command == "generate":
        known = assignments(ROOT)
        for name in args.names:
            if name not in known:
                raise SystemExit(f"{name}: no such assignment (not one of solutions/: {', '.join(known) or 'none'})")
        langs = list(RELEASES) if args.lang == "all" else [args.lang]
        try:
            done = generate_releases({lang: ROOT / RELEASES[lang] for lang in langs}, args.names or None, root=ROOT)
        except NbgraderFailed as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        for lang in langs:
            print("generated: " + ", ".join(f"{RELEASES[lang]}/{n}/" for n in done))
        return 0
    from .check_assignments import DEFAULT_SEEDS

    seeds = DEFAULT_SEEDS if args.seeds is None else args.seeds
    if seeds < 1:
        parser.error(f"--seeds must be at least 1, got {seeds}")
    dirs = _assignment_dirs(args.names)
    found = check_authoring(dirs, seeds, not args.no_mutants, args.markdown)
    problems = []
    ours = [d.name for d in dirs if d.parent == (ROOT / "solutions").resolve()]
    if not args.no_release and ours:
        try:
            problems = check(names=ours)
        except NbgraderFailed as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        for p in problems:
            print(p, file=sys.stderr)
        print("exercises/ is up to date" if not problems else f"{len(problems)} problem(s)")
    if found:
        print(f"{found} authoring finding(s) (one per line above)", file=sys.stderr)
    return 1 if problems or found else 0


if __name__ == "__main__":
    sys.exit(main())
