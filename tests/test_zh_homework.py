"""The homework in Chinese (issue 21): one English source, a Chinese release of every assignment, graded by
the same checks, with feedback in the release's language.

* catalogs (``locales/zh_CN/LC_MESSAGES/homework/*.po``): complete (0 untranslated, 0 fuzzy), in step with the
  notebooks and the code (a fresh extraction adds nothing), the compiled message tables in step with them, and
  every translation keeps what must not change (formulas, code, links, numbers, placeholders);
* releases (``exercises/zh_CN/<hw>/``): what ``python -m tools.assignments generate --lang zh_CN`` writes from
  the English release; no English prose left in a markdown cell (CJK share, threshold measured below);
  code cells, grade ids and points identical to the English release;
* grading: hw2 (the fastest real assignment) through nbgrader, in one course and one gradebook: the Chinese
  solution scores what the English one scores (full), the Chinese blank 0, a wrong answer loses its part with a
  Chinese message, and a forged language in the metadata changes nothing but the words (English).
"""

import copy
import json
import re

import pytest

from attacks.course import ROOT, autograded_points, cell_by_id, load, make_course, run_nbgrader, scores, submit
from ffgrader import i18n
from tools import assignments, homework_i18n as H

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow, pytest.mark.xdist_group("nbgrader")]

HW = "hw2_perceptron"
NAMES = assignments.assignments()
ZH = ROOT / assignments.RELEASES["zh_CN"]
MATH = re.compile(r"\$\$.*?\$\$|\$[^$]*\$", re.S)
CODE = re.compile(r"`[^`]*`")
LINK = re.compile(r"\]\(([^)]*)\)")


GLOSS = re.compile(r"\([^()]*\)|（[^（）]*）")


def cjk_share(text: str) -> float | None:
    """Han characters among the letters of a paragraph's prose: math, code, link targets and the glosses in
    parentheses left out (an English paragraph glosses its terms in Chinese, "Backpropagation (反向传播)", and a
    Chinese one in English, "反向传播（backpropagation）")."""
    prose = GLOSS.sub(" ", LINK.sub("]", CODE.sub(" ", MATH.sub(" ", text))))
    han = len(re.findall(r"[\u4e00-\u9fff]", prose))
    latin = len(re.findall(r"[A-Za-z]", prose))
    return han / (han + latin) if han + latin else None


# Measured on the six releases (test_cjk_threshold_separates_the_releases prints nothing but checks it): the
# 153 paragraphs of the English releases have a Han share of at most 0.07 (the Chinese title of a source quoted
# in a sentence), the 153 of the Chinese releases at least 0.27 (hw1's table of derivatives, whose cells are
# the functions' names, "Logistic 函数", "ReLU", ...). The threshold lies between them.
CJK_THRESHOLD = 0.15


def paragraphs(nb: dict):
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for text, _ in H.blocks("".join(cell["source"])):
                share = cjk_share(text)
                if text.strip() and share is not None and not i18n.MARK_SCHEME.fullmatch(text):
                    yield text, share


def read(path):
    return json.loads(path.read_text(encoding="utf-8"))


def gid(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


# --- catalogs ---------------------------------------------------------------------------------------------

def test_catalogs_complete():
    report = H.report()
    assert set(report) == {H.SHARED, *NAMES}
    problems = {name: (r["untranslated"][:3], r["fuzzy"][:3]) for name, r in report.items()
                if r["untranslated"] or r["fuzzy"]}
    assert not problems, problems
    assert all(r["total"] > 0 for r in report.values())


def test_catalogs_in_step_with_the_notebooks_and_the_code(tmp_path):
    """A fresh extraction merged into copies of the catalogs changes none of them (run `update` if it does)."""
    import shutil

    copies = tmp_path / "homework"
    shutil.copytree(H.CATALOGS, copies)
    assert H.update(catalogs=copies) == []
    for kind, path in H.COMPILED.items():
        assert path.read_text(encoding="utf-8") == H.compiled_text(kind), "run python -m tools.homework_i18n compile"


def test_an_english_change_shows_as_fuzzy_or_untranslated(tmp_path):
    """The workflow of locales/README.md: a changed English paragraph becomes fuzzy (old translation kept, not
    used), a new one untranslated; the release shows the English text for both."""
    import shutil

    root = tmp_path / "repo"
    for rel in ("solutions", "ffgrader"):
        shutil.copytree(ROOT / rel, root / rel, ignore=shutil.ignore_patterns("__pycache__"))
    nb_path = root / "solutions" / HW / f"{HW}.ipynb"
    nb = read(nb_path)
    done = next(c for c in nb["cells"] if "".join(c["source"]).startswith("**Done.**"))
    done["source"] = "**Done.** Restart the kernel and run all cells before you submit it.\n\nA new line of text."
    nb_path.write_text(json.dumps(nb), encoding="utf-8")
    catalogs = tmp_path / "homework"
    shutil.copytree(H.CATALOGS, catalogs)
    H.update(root=root, catalogs=catalogs)
    r = H.report(catalogs)[HW]
    assert r["fuzzy"] == ["**Done.** Restart the kernel and run all cells before you submit it."]
    assert r["untranslated"] == ["A new line of text."]
    _, missing = H.translate_notebook(nb, H.translations(HW, catalogs))
    assert missing == [r["fuzzy"][0], r["untranslated"][0]]


def _entries():
    from babel.messages.pofile import read_po

    for path in sorted(H.CATALOGS.glob("*.po")):
        with path.open("rb") as f:
            for m in read_po(f):
                if m.id and m.string:
                    yield path.stem, m


def test_translations_keep_formulas_code_links_numbers_and_placeholders():
    outside = lambda s: LINK.sub("]", CODE.sub(" ", MATH.sub(" ", s)))  # noqa: E731
    numbers = lambda s: sorted(re.findall(r"\d+(?:\.\d+)?", outside(s)))  # noqa: E731
    problems = []
    for name, m in _entries():
        where = (name, m.id[:70])
        if m.context is None:  # the notebook's prose: same math, code, link targets and numbers
            for what, pattern in (("math", MATH), ("code", CODE), ("links", LINK)):
                if sorted(pattern.findall(m.string)) != sorted(pattern.findall(m.id)):
                    problems.append((*where, what))
            if numbers(m.string) != numbers(m.id):
                problems.append((*where, "numbers", numbers(m.id), numbers(m.string)))
        else:  # a message template: only its own placeholders; each run of adjacent ones stays together
            ours, theirs = i18n.placeholders(m.string), i18n.placeholders(m.id)
            dropped = set(theirs) - set(ours)
            if not set(ours) <= set(theirs) or not all(" if " in p for p in dropped):  # may drop "is"/"are"
                problems.append((*where, "placeholders", sorted(set(ours) ^ set(theirs))))
            for run in re.findall(r"(?:\{[^{}]*\}){2,}", m.id):
                if run not in m.string:
                    problems.append((*where, "adjacent placeholders", run))
    assert not problems, problems


def test_key_terms_use_the_books_chinese():
    text = "\n".join(m.string for _, m in _entries())
    for term in ("感知机", "反向传播", "学习率", "回合（epoch）", "激活函数"):
        assert term in text, term
    for wrong in ("燃烧率", "乙状结肠", "一键编码"):
        assert wrong not in text, wrong


# --- releases ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("hw", NAMES)
def test_chinese_release_is_the_english_one_translated(hw):
    en = read(ROOT / "exercises" / hw / f"{hw}.ipynb")
    zh = read(ZH / hw / f"{hw}.ipynb")
    expected, missing = H.translate_notebook(en, H.translations(hw))
    assert missing == []
    assert zh == json.loads(assignments.dumps(expected)), "run python -m tools.assignments generate --lang zh_CN"
    assert zh["metadata"]["ffnn"] == {"lang": "zh_CN"} and "ffnn" not in en["metadata"]
    # Same cells in the same order: identical code cells (source and metadata), same grade ids and points.
    assert [c["cell_type"] for c in zh["cells"]] == [c["cell_type"] for c in en["cells"]]
    for a, b in zip(en["cells"], zh["cells"]):
        assert gid(a) == gid(b)
        if a["cell_type"] == "code":
            assert a == b
        else:
            ga, gb = a["metadata"].get("nbgrader", {}), b["metadata"].get("nbgrader", {})
            assert {k: v for k, v in ga.items() if k != "checksum"} == {k: v for k, v in gb.items() if k != "checksum"}
    # No English prose left: every paragraph of every markdown cell reads as Chinese.
    left = [(round(s, 2), t[:60]) for t, s in paragraphs(zh) if s < CJK_THRESHOLD]
    assert not left, left


def test_cjk_threshold_separates_the_releases():
    """The threshold is measured: the English releases' paragraphs lie far below it, the Chinese ones above."""
    en = [s for hw in NAMES for _, s in paragraphs(read(ROOT / "exercises" / hw / f"{hw}.ipynb"))]
    zh = [s for hw in NAMES for _, s in paragraphs(read(ZH / hw / f"{hw}.ipynb"))]
    assert len(en) == len(zh) > 100
    assert max(en) <= 0.1 and min(zh) >= 0.2, (max(en), min(zh))
    assert max(en) < CJK_THRESHOLD < min(zh)


def test_nbgrader_validate_accepts_the_chinese_release():
    """Translated locked cells carry their recomputed checksums: the release validates as unchanged."""
    from nbgrader.utils import compute_checksum

    checked = 0
    for hw in NAMES:
        for cell in load(ZH / hw / f"{hw}.ipynb").cells:
            meta = cell.metadata.get("nbgrader", {})
            if "checksum" in meta:
                assert meta["checksum"] == compute_checksum(cell), (hw, meta.get("grade_id"))
                checked += cell.cell_type == "markdown"
    assert checked >= 6  # the translated task cells (graded by hand) among them


# --- the language of the messages --------------------------------------------------------------------------

def test_language_choice_is_data_and_falls_back_to_english(tmp_path, monkeypatch):
    assert i18n.notebook_language({"ffnn": {"lang": "zh_CN"}}) == "zh_CN"
    for forged in ({"ffnn": {"lang": "klingon"}}, {"ffnn": "zh_CN"}, {"ffnn": {"lang": ["zh_CN"]}}, {}, None,
                   {"ffnn": {"lang": "zh" * 100}}):
        assert i18n.notebook_language(forged) == "en"
    nb = tmp_path / "n.ipynb"
    nb.write_text(json.dumps({"metadata": {"ffnn": {"lang": "zh_CN"}}, "cells": []}))
    assert i18n.kernel_language({"JPY_SESSION_NAME": str(nb)}) == "zh_CN"
    assert i18n.kernel_language({"FFNN_LANG": "en", "JPY_SESSION_NAME": str(nb)}) == "en"
    assert i18n.kernel_language({"LANG": "zh_CN.UTF-8"}) == "zh_CN"
    assert i18n.kernel_language({"JPY_SESSION_NAME": str(tmp_path / "missing.ipynb"), "LANG": "C.UTF-8"}) == "en"
    monkeypatch.chdir(tmp_path)  # the kernel's folder; the server gives the path from its own root
    assert i18n.kernel_language({"JPY_SESSION_NAME": "course/hw2/n.ipynb"}) == "zh_CN"
    en = tmp_path / "en.ipynb"
    en.write_text(json.dumps({"metadata": {"kernelspec": {}}, "cells": []}))  # the English release: no language
    assert i18n.kernel_language({"JPY_SESSION_NAME": str(en), "LANG": "zh_CN.UTF-8"}) == "en"
    nb.write_text("{ not json")
    assert i18n.kernel_language({"JPY_SESSION_NAME": str(nb)}) == "en"
    assert i18n.kernel_language({"JPY_SESSION_NAME": str(nb), "LANG": "zh_CN.UTF-8"}) == "zh_CN"


def test_visible_test_messages_in_chinese(monkeypatch):
    import numpy as np

    from ffgrader import visible_tests as G

    cases = [
        lambda: G.check_array("1b delta_rule_step", np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, 3.0]),
                              inputs={"z": np.array([0.0, 1.0, 2.0])}),
        lambda: G.check_array("2a", [1.0], np.array([1.0])),
        lambda: G.check_scalar("2a", "x", 1.0),
        lambda: G.check_equal("2b train_sign_perceptron: mistakes per epoch", [1, 0], [2, 0],
                              hint="w0=[0.0, 0.0], b0=0.0, eta=0.5; update after every sample, in order, and stop "
                                   "after an epoch without mistakes"),
        lambda: G.check_truth_table("4 xor_relu_network", lambda a, b: 0.5, [((0.0, 0.0), 0.0)]),
    ]
    seen = {}
    for lang in ("en", "zh_CN"):
        monkeypatch.setenv("FFNN_LANG", lang)
        for i, case in enumerate(cases):
            with pytest.raises(G.CheckFailed) as info:
                case()
            seen[lang, i] = str(info.value)
    for i in range(len(cases)):
        en, zh = seen["en", i], seen["zh_CN", i]
        assert cjk_share(en) == 0 and cjk_share(zh) > 0.3, zh
        # the same facts: every number and bracketed part of the English message is in the Chinese one
        assert sorted(re.findall(r"\d+(?:\.\d+)?", en)) == sorted(re.findall(r"\d+(?:\.\d+)?", zh)), (en, zh)
    assert "得到 2.0，应为 2.5" in seen["zh_CN", 0] and "（3 个元素中有 1 个错误；最大绝对误差 0.5）" in seen["zh_CN", 0]
    assert "实际得到值为 'x' 的 str" in seen["zh_CN", 2]  # describe() of a plain value (H.DESCRIBE_PLAIN)
    assert "\n提示：w0=[0.0, 0.0], b0=0.0, eta=0.5；每个样本之后都要更新" in seen["zh_CN", 3]  # H.HINT


def test_translation_never_fails_and_leaves_what_it_does_not_know():
    T = i18n.feedback_translator("zh_CN")
    assert i18n.feedback_translator("en") is None and i18n.feedback_translator("xx") is None
    for text in ("a sentence no template knows", "", "[part only]", "[unbalanced part", "{not a template}"):
        assert T.translate(text) == text
    assert T.translate(None) is None and T.translate(42) == 42
    # a long value captured by a template is data: kept as it is, the sentence around it translated
    value = "(1, " * 300
    assert T.translate(f"[2a] got {value}, expected 2.0 (look for overflow or 0/0).") == \
        f"[2a] 得到 {value}，应为 2.0（检查是否有溢出或 0/0）。"
    # longer than the grader keeps: English
    huge = "[2a] got " + "(1, " * 2000 + ", expected 2.0 (look for overflow or 0/0)."
    assert T.translate(huge) == huge


def test_every_message_template_is_reached_by_what_it_renders():
    """Each template of the grader's catalog, rendered with sample values, translates to its own translation
    (no other template shadows it, every placeholder of the translation is filled)."""
    from ffgrader.feedback_zh_CN import MESSAGES

    T = i18n.Translator(MESSAGES)
    wrong = []
    for msgid, msgstr in MESSAGES.items():
        names, literals = i18n.placeholders(msgid), re.split(r"\{[^{}]*\}", msgid)
        values = {}
        for k, name in enumerate(names):
            if k and literals[k] == "":
                values[name] = ""  # adjacent placeholders: the run's value is carried by its first one
                continue
            pattern = i18n.template_regex(name)  # what this placeholder may render to (a type name, a shape ...)
            values[name] = next(v for v in (f"Q{k}", "tuple", f"({k}, 7)", f"{k}.5") if pattern.fullmatch(v))
        fill = lambda t: re.sub(r"\{[^{}]*\}", lambda m: values.get(m.group(0), m.group(0)), t)  # noqa: E731
        if T.translate(fill(msgid)) != fill(msgstr):
            wrong.append((msgid, T.translate(fill(msgid))))
    assert len(MESSAGES) > 400 and not wrong, wrong[:10]


# --- grading -------------------------------------------------------------------------------------------------

def _wrong(nb):
    nb = copy.deepcopy(nb)
    cell = cell_by_id(nb, "answer_2a")
    assert "return np.where(X @ w + b >= 0, 1.0, -1.0)" in cell.source
    cell.source = cell.source.replace("return np.where(X @ w + b >= 0, 1.0, -1.0)",
                                      "return np.where(X @ w + b > 0, 1.0, -1.0)")  # f(0) = -1: wrong
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    import nbformat

    course = make_course(tmp_path_factory.mktemp("zhcourse"), HW)
    en_solution = load(course / "solutions" / HW / f"{HW}.ipynb")
    zh_solution, missing = H.translate_notebook(read(ROOT / "solutions" / HW / f"{HW}.ipynb"), H.translations(HW))
    assert missing == []
    zh_solution = nbformat.reads(json.dumps(zh_solution), as_version=4)
    forged = _wrong(zh_solution)
    forged.metadata["ffnn"] = {"lang": "../../etc/passwd"}
    subs = {"en_full": en_solution, "zh_full": zh_solution, "zh_blank": load(ZH / HW / f"{HW}.ipynb"),
            "en_wrong": _wrong(en_solution), "zh_wrong": _wrong(zh_solution), "forged_wrong": forged}
    for name, nb in subs.items():
        submit(course, name, HW, nb)
    run_nbgrader(course, "autograde", HW, "--force")
    run_nbgrader(course, "generate_feedback", HW, "--force")
    # The instructor guide's release command, against an exchange of this test's own.
    import shutil

    shutil.copytree(ZH / HW, course / "exercises" / "zh_CN" / HW)
    exchange = tmp_path_factory.mktemp("exchange")
    exchange.chmod(0o777)
    released = run_nbgrader(course, "release_assignment", HW, "--CourseDirectory.release_directory=exercises/zh_CN",
                            f"--Exchange.root={exchange}", check=False)
    return {"course": course, "points": autograded_points(en_solution), "scores": scores(course, HW, list(subs)),
            "exchange": exchange, "released": released}


def _evalue(graded, student, grade_id):
    nb = load(graded["course"] / "autograded" / student / HW / f"{HW}.ipynb")
    outs = cell_by_id(nb, grade_id).outputs
    assert len(outs) == 1 and outs[0].output_type == "error" and outs[0].ename == "CheckFailed", outs
    return outs[0].evalue


def test_chinese_solution_full_blank_zero_in_the_same_gradebook(graded):
    points, sc = graded["points"], graded["scores"]
    assert sum(points.values()) == 15
    assert sc["en_full"] == points and sc["zh_full"] == points
    assert sc["zh_blank"] == {g: 0 for g in points}
    nb = load(graded["course"] / "autograded" / "zh_full" / HW / f"{HW}.ipynb")
    note = cell_by_id(nb, "test_2a").outputs[0].text
    assert note.startswith("[test_2a] 通过") and cjk_share(note) > 0.5


def test_wrong_answer_feedback_is_chinese_and_the_verdict_does_not_depend_on_language(graded):
    points, sc = graded["points"], graded["scores"]
    lost = {g for g in points if sc["en_wrong"][g] != points[g]}
    assert lost == {"test_2a"}
    assert sc["zh_wrong"] == sc["forged_wrong"] == sc["en_wrong"]
    en, zh, forged = (_evalue(graded, s, "test_2a") for s in ("en_wrong", "zh_wrong", "forged_wrong"))
    assert en.startswith("[2a sign_output (X of shape") and "first mismatch at index" in en
    assert forged.startswith("[2a sign_output (X of shape") and cjk_share(forged) == 0  # forged: English
    assert zh.startswith("[2a sign_output（X 的形状为") and "第一个不一致之处在索引" in zh
    assert "提示：" in zh and cjk_share(zh) > 0.3, zh
    blank = _evalue(graded, "zh_blank", "test_1b")
    assert "还没有实现" in blank and "NotImplementedError" in blank
    nb = load(graded["course"] / "autograded" / "zh_blank" / HW / f"{HW}.ipynb")
    failed = [o.evalue for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("ename") == "CheckFailed"]
    assert len(failed) == len(graded["points"]) and all("还没有实现" in m for m in failed), failed


# --- publishing --------------------------------------------------------------------------------------------

def test_published_chinese_notebooks_next_to_the_english_ones(tmp_path):
    """`make publish` writes homework/zh_CN/<hw>/<hw>.ipynb (the Chinese release with Chinese set-up cells and
    links to the Chinese edition), and the Chinese Homework page's download and launch links lead there."""
    import shutil
    import sys

    from tools import publish
    from tools.course import Course

    course = Course.load()
    written = publish.publish_homework(tmp_path, course)
    # What the students' wheel adds for the Chinese messages (ffgrader.i18n and the visible tests' catalog),
    # with the published notebooks: no instructor material (the grader's catalog, feedback_zh_CN.py, holds the
    # trusted checks' hints and stays out).
    assert {"i18n.py", "catalog_zh_CN.py"} <= set(publish.FFGRADER_STUDENT)
    assert "feedback_zh_CN.py" not in publish.FFGRADER_STUDENT
    for name in publish.FFGRADER_STUDENT:
        (tmp_path / "wheel" / "ffgrader").mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "ffgrader" / name, tmp_path / "wheel" / "ffgrader" / name)
    assert publish.leaks(tmp_path) == []
    sys.path.insert(0, str(ROOT / "_ext"))
    try:
        from reader.links import substitutions
    finally:
        sys.path.remove(str(ROOT / "_ext"))
    subs = substitutions(ROOT)
    for hw in NAMES:
        en_path, zh_path = tmp_path / course.homework_path(hw), tmp_path / course.homework_path(hw, "zh_CN")
        assert en_path in written and zh_path in written and zh_path.name == en_path.name == f"{hw}.ipynb"
        zh, en = read(zh_path), read(en_path)
        assert zh["metadata"]["ffnn"] == {"lang": "zh_CN"}
        intro, setup = zh["cells"][:2]
        assert cjk_share("".join(intro["source"])) > 0.5 and f"`{hw}.ipynb`" in "".join(intro["source"])
        assert "os.environ['FFNN_LANG'] = 'zh_CN'" in "".join(setup["source"])
        assert [gid(c) for c in zh["cells"]] == [gid(c) for c in en["cells"]]
        text = json.dumps(zh, ensure_ascii=False)
        assert course.chapter("book/perceptron", lang="zh_CN") in text or hw != HW
        assert "../../book/" not in text
        assert subs[f"{hw}_download_zh"] == f"[下载]({course.site(course.homework_path(hw, 'zh_CN'))})"
        assert course.homework_path(hw, "zh_CN") in subs[f"{hw}_launch_zh"]
    # The Chinese Homework page's table cells use them (every assignment its catalog lists).
    from babel.messages.pofile import read_po

    with (ROOT / "locales" / "zh_CN" / "LC_MESSAGES" / "book" / "homework.po").open("rb") as f:
        cells = {m.id: m.string for m in read_po(f) if m.id and re.fullmatch(r"\{\{ hw\d_\w+_(download|launch) \}\}", m.id)}
    assert cells
    for msgid, msgstr in cells.items():
        name = msgid[3:-3]
        assert f"{{{{ {name}_zh }}}}" in msgstr and name + "_zh" in subs, (msgid, msgstr)


def test_the_guides_release_command_releases_the_chinese_notebook(graded):
    """`nbgrader release_assignment <hw> --CourseDirectory.release_directory=exercises/zh_CN` (the guide)."""
    assert graded["released"].returncode == 0, graded["released"].stdout[-2000:]
    out = graded["exchange"] / "ffnn" / "outbound" / HW / f"{HW}.ipynb"
    assert read(out) == read(ZH / HW / f"{HW}.ipynb")


def test_feedback_keeps_the_chinese_instructions_and_messages(graded):
    """The grader restores locked cells from the gradebook (English) and translates them back with its own
    catalog: the Chinese student's graded notebook and feedback read in Chinese; a forged language reads English."""
    from attacks.course import feedback_texts

    course = graded["course"]
    submitted = load(course / "submitted" / "zh_full" / HW / f"{HW}.ipynb")
    autograded = load(course / "autograded" / "zh_full" / HW / f"{HW}.ipynb")
    locked = [(a, b) for a, b in zip(submitted.cells, autograded.cells)
              if a.cell_type == "markdown" and a.metadata.get("nbgrader", {}).get("locked")]
    assert len(locked) >= 8 and all(a.source == b.source for a, b in locked)
    texts = feedback_texts(course, HW)
    heading = "第 2 部分 —— 用符号激活函数的网络学习“与”"
    assert heading in texts["zh_full"] and heading in texts["zh_wrong"] and heading in texts["zh_blank"]
    assert "第一个不一致之处在索引" in texts["zh_wrong"] and "还没有实现" in texts["zh_blank"]
    forged = texts["forged_wrong"]
    assert heading not in forged and "Part 2 — A sign-activation network learns AND" in forged
    assert "first mismatch at index" in forged


def test_report_check_fails_for_an_assignment_without_a_catalog(tmp_path, monkeypatch, capsys):
    """A new assignment of solutions/ with no catalog at all had no row in the report, and --check passed."""
    import shutil

    root = tmp_path / "repo"
    for name in NAMES:
        (root / "solutions" / name).mkdir(parents=True)
        shutil.copy(ROOT / "solutions" / name / f"{name}.ipynb", root / "solutions" / name)
    new = root / "solutions" / "hw7_new"
    new.mkdir()
    shutil.copy(ROOT / "solutions" / HW / f"{HW}.ipynb", new / "hw7_new.ipynb")
    catalogs = root / "locales" / "zh_CN" / "LC_MESSAGES" / "homework"
    shutil.copytree(H.CATALOGS, catalogs)
    monkeypatch.setattr(H, "ROOT", root)
    monkeypatch.setattr(H, "CATALOGS", catalogs)
    assert H.main(["report", "--check"]) == 1
    out = capsys.readouterr().out
    said = [line for line in out.splitlines() if line.startswith("hw7_new")]
    assert len(said) == 1 and "no catalog" in said[0] and "hw7_new.po" in said[0], out
    assert "python -m tools.homework_i18n update" in said[0], said
    shutil.copy(ROOT / "locales" / "zh_CN" / "LC_MESSAGES" / "homework" / f"{HW}.po", catalogs / "hw7_new.po")
    assert H.main(["report", "--check"]) == 0, capsys.readouterr().out


def test_report_check_passes_on_the_shipped_assignments(capsys):
    assert H.main(["report", "--check"]) == 0, capsys.readouterr().out
