"""Per-student copies of a released assignment that has variants (``ffgrader.variants``).

    python -m tools.variants show hw2_perceptron [--student alice ...]     # each student's parameters
    python -m tools.variants release hw2_perceptron [--student alice ...] [--lang zh_CN]

``release`` writes, for every student of the gradebook's roster (or those named), the released folder of
the assignment (``exercises/<hw>/``, or ``exercises/zh_CN/<hw>/``) with the notebook's variant cell set to
that student's values and the cell's nbgrader checksum recomputed (so ``nbgrader validate`` on the student's
side sees an untouched read-only cell): ``variants/<hw>/<student>/<hw>/``, and beside it, for an LMS,
``variants/<hw>/lms/<lms_user_id>_<hw>.ipynb`` for the students who have an LMS id. ``exercises/`` itself (and
so the published download) keeps the default variant. Through nbgrader's exchange no copy is needed:
``nbgrader release_assignment`` releases every student's copy and ``nbgrader fetch_assignment`` gives each student
theirs (``ffgrader.exchange``, set in ``nbgrader_config.py``). Run it in the course directory: it needs the course
secret (``ffgrader.seeds``), which it creates on first use, and never copies.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

from ffgrader import exchange, seeds, variants

from .assignments import RELEASES

OUT = Path("variants")


def roster(course: Path) -> dict:
    """{student id: lms_user_id or None} from the course's gradebook."""
    db = Path(course) / "gradebook.db"
    if not db.is_file():
        raise ValueError(f"{db} does not exist: import the roster first (python -m tools.classroom roster ...)")
    return exchange.roster(f"sqlite:///{db.resolve()}")


def spec(course: Path, assignment: str) -> dict:
    checks = Path(course) / "solutions" / assignment / "checks.py"
    if not checks.is_file():
        raise ValueError(f"{checks} not found: {assignment!r} is not an assignment of this course")
    found = variants.spec_of(checks)
    if not found:
        raise ValueError(f"{assignment} declares no VARIANTS in {checks}: every student gets the same notebook")
    return found


def student_values(course: Path, assignment: str, students) -> dict:
    secret = seeds.course_secret(course)
    sp = spec(course, assignment)
    return {s: variants.draw(secret, assignment, s, sp) for s in students}


def release(course: Path, assignment: str, students=None, lang: str = "en") -> list[Path]:
    course = Path(course).resolve()
    source = course / RELEASES[lang] / assignment
    if not (source / f"{assignment}.ipynb").is_file():
        raise ValueError(f"{source / (assignment + '.ipynb')} not found: generate the release first "
                         "(python -m tools.assignments generate)")
    people = roster(course)
    wanted = list(students) if students else sorted(people)
    unknown = [s for s in wanted if s not in people]
    if unknown:
        raise ValueError(f"not in the roster: {unknown} (python -m tools.classroom roster ...)")
    notebooks = sorted(source.glob("*.ipynb"))
    # Every notebook is checked before anything is written: a failure halfway left a copy with the
    # default values in a student's folder, which looks like a released variant.
    missing = [nb.name for nb in notebooks
               if not any(variants.is_variant_cell(c) for c in nbformat.read(str(nb), as_version=4).cells)]
    if missing:
        raise ValueError(f"{', '.join(str(source / m) for m in missing)} has no code cell with grade id "
                         f"{variants.VARIANT_CELL!r}: add a read-only code cell with grade id "
                         f"{variants.VARIANT_CELL!r} (in the text format: a '# %% variant' cell) to "
                         f"solutions/{assignment}/ and generate the release again")
    values_of = student_values(course, assignment, wanted)
    out = course / OUT / assignment
    out.mkdir(parents=True, exist_ok=True)
    # Each student's copy is made in a temporary folder and moved into place whole, so that an error
    # (a notebook that cannot be read, a full disk) never leaves a half-written release behind.
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    try:
        copies = {}
        for sid, values in values_of.items():
            dest = staging / sid / assignment
            shutil.copytree(source, dest)
            for path in sorted(dest.glob("*.ipynb")):
                nbformat.write(exchange.personalize(nbformat.read(str(path), as_version=4), values), str(path))
            copies[sid] = dest
        written = []
        lms_dir = out / "lms"
        for sid, staged in copies.items():
            dest = out / sid / assignment
            if dest.exists():
                shutil.rmtree(dest)
            dest.parent.mkdir(parents=True, exist_ok=True)
            staged.rename(dest)
            for path in sorted(dest.glob("*.ipynb")):
                written.append(path)
                if people.get(sid):
                    lms_dir.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, lms_dir / f"{people[sid]}_{path.name}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.variants", description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=["show", "release"])
    ap.add_argument("assignment")
    ap.add_argument("--student", action="append", default=[])
    ap.add_argument("--lang", choices=list(RELEASES), default="en")
    ap.add_argument("--course", type=Path, default=Path.cwd())
    args = ap.parse_args(argv)
    try:
        if args.command == "show":
            students = args.student or sorted(roster(args.course))
            for sid, values in student_values(args.course, args.assignment, students).items():
                print(f"{sid}: " + ", ".join(f"{k} = {v!r}" for k, v in values.items()))
        else:
            paths = release(args.course, args.assignment, args.student or None, args.lang)
            print(f"{len(paths)} notebook(s) written under {args.course / OUT / args.assignment}/")
    except (ValueError, PermissionError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
