"""What the nbgrader steps, the replay and the regrade share about seeds and variants (trusted side).

``setup`` gives, for one notebook of one student (the id of the folder the submission is filed under), the
``ffgrader.seeds.Plan`` of its checks and its variant's parameters; ``outcomes`` reads the verdicts the
runner wrote into the test cells (nbgrader's own rule: ``nbgrader.utils.determine_grade``), for the record.
"""

from __future__ import annotations

from pathlib import Path

from nbgrader.utils import determine_grade

from . import seeds, variants


def setup(course_root, assignment: str, student: str, notebook: str, checks_path, *, reseed=False):
    """(plan, variant or None) for one notebook of ``student``."""
    plan = seeds.Plan.open(course_root, assignment, student, notebook, reseed=reseed)
    spec = variants.spec_of(checks_path)
    return plan, (variants.draw(plan.secret, assignment, student, spec) if spec else None)


def variant_source(course_root, assignment: str, student: str, checks_path) -> str | None:
    """The variant cell's source for ``student`` (None when the assignment has no variants)."""
    spec = variants.spec_of(checks_path)
    if not spec:
        return None
    secret = seeds.course_secret(course_root)
    return variants.render(variants.draw(secret, assignment, student, spec))


def outcomes(nb, test_ids) -> dict:
    """grade_id -> points earned, for the autograded test cells of a graded notebook."""
    out = {}
    for cell in nb.cells:
        meta = cell.get("metadata")
        nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
        if isinstance(nbg, dict) and nbg.get("grade_id") in test_ids and cell.cell_type == "code":
            out[nbg["grade_id"]] = determine_grade(cell)[0]
    return out


def checks_file(source_dir: Path, assignment: str) -> Path:
    return Path(source_dir) / assignment / "checks.py"
