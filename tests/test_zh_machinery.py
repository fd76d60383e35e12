"""The translation machinery of the Chinese edition on a small Sphinx project, without the book.

A page with four strings and a catalog in which one is translated, one fuzzy (the English changed since)
and one missing: the Chinese build shows the translation, keeps the English for the fuzzy and the missing
string, and its report (tools/edition) counts them as such. The figure labels: ``nnlib.plotstyle`` draws
the text of a figure through a compiled catalog named by ``NNLIB_FIGURE_CATALOG``, with a CJK font.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools import i18n  # noqa: E402
from tools.edition import needs_translation, switch_href  # noqa: E402


def _po(path: Path, entries: list[tuple[str, str, bool]]) -> None:
    catalog = Catalog(locale="zh_CN")
    for msgid, msgstr, fuzzy in entries:
        catalog.add(msgid, msgstr, flags=["fuzzy"] if fuzzy else [])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog)


@pytest.fixture(scope="module")
def small_build(tmp_path_factory):
    src = tmp_path_factory.mktemp("zh-small")
    (src / "conf.py").write_text(textwrap.dedent("""
        extensions = ["myst_parser", "tools.edition"]
        language = "zh_CN"
        locale_dirs = ["locales/"]
        gettext_compact = False
        html_search_language = "zh_CN"
        myst_enable_extensions = ["dollarmath", "amsmath"]
    """))
    (src / "index.md").write_text(textwrap.dedent("""
        # Weights and biases

        A neuron adds its weighted inputs and a bias.

        The activation function is applied to the net input.

        Training changes the weights step by step.

        $$
        a = f(z) \\quad \\text{for every unit}
        $$

        ```{image} plot.png
        :alt: ReLU of h1 against z, a kink at 0
        ```

        ```{image} plot.png
        :alt: The loss falls over the epochs
        ```
    """))
    # A 1x1 PNG: the two plots' alt texts, one translated (still holding Latin words), one not.
    (src / "plot.png").write_bytes(bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"))
    _po(src / "locales" / "zh_CN" / "LC_MESSAGES" / "index.po", [
        ("Weights and biases", "权重与偏置", False),
        ("A neuron adds its weighted inputs and a bias.", "神经元把加权输入与偏置相加。", False),
        ("The activation function is applied to the old net input.", "激活函数作用于净输入。", True),
        ("ReLU of h1 against z, a kink at 0", "h1 的 ReLU 随 z 变化的曲线，在 0 处有一个折点", False),
    ])
    out = src / "_build" / "html"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-W", "-q", str(src), str(out)],
                         capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr
    return out


def test_translated_fuzzy_and_missing_strings_are_told_apart(small_build):
    html = (small_build / "index.html").read_text(encoding="utf-8")
    assert "权重与偏置" in html and "神经元把加权输入与偏置相加。" in html
    # Sphinx does not use a fuzzy translation: the reader sees the current English sentence.
    assert "The activation function is applied to the net input." in html and "激活函数作用于净输入" not in html
    report = json.loads((small_build.parent / "i18n-report.json").read_text(encoding="utf-8"))
    page = report["pages"]["index"]
    # A translated alt text counts as translated although Sphinx does not mark the image and it names "ReLU".
    assert "h1 的 ReLU 随 z 变化的曲线" in html and "The loss falls over the epochs" in html
    assert (page["total"], page["translated"], page["untranslated"]) == (7, 3, 4)
    assert "The loss falls over the epochs" in page["untranslated_strings"]
    assert page["untranslated_strings"][0] == "The activation function is applied to the net input."
    assert "Training changes the weights step by step." in page["untranslated_strings"]
    assert any("for every unit" in s for s in page["untranslated_strings"]), "\\text{} inside a formula is prose"


def test_fuzzy_is_counted_when_the_english_is_unchanged(tmp_path):
    """A fuzzy entry whose msgid is the current English (sphinx-intl marks a changed string so and keeps the
    old translation as a hint) is reported as fuzzy, not as translated."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["myst_parser", "tools.edition"]\nlanguage = "zh_CN"\n'
                                 'locale_dirs = ["locales/"]\nhtml_search_language = "zh_CN"\n')
    (src / "index.md").write_text("# Loss\n\nThe loss is a mean over the batch.\n")
    _po(src / "locales" / "zh_CN" / "LC_MESSAGES" / "index.po", [
        ("Loss", "损失", False),
        ("The loss is a mean over the batch.", "损失是对一个批量求和。", True),
    ])
    out = tmp_path / "_build" / "html"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-W", "-q", str(src), str(out)],
                         capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr
    page = json.loads((out.parent / "i18n-report.json").read_text(encoding="utf-8"))["pages"]["index"]
    assert (page["translated"], page["fuzzy"], page["untranslated"]) == (1, 1, 0)
    assert page["fuzzy_strings"] == ["The loss is a mean over the batch."]


def test_report_check_names_incomplete_pages_not_listed_as_pending(monkeypatch, tmp_path):
    pending = tmp_path / "pending.txt"
    pending.write_text("# comment\nbook/neurons\n")
    monkeypatch.setattr(i18n, "PENDING", pending)
    monkeypatch.setattr(i18n, "toc_pages", lambda: ["book/neurons", "book/homework"])
    monkeypatch.setattr(i18n, "figure_report", lambda: {})
    done = {"total": 3, "translated": 3, "fuzzy": 0, "untranslated": 0, "fuzzy_strings": [], "untranslated_strings": []}
    todo = {"total": 3, "translated": 1, "fuzzy": 1, "untranslated": 1, "fuzzy_strings": ["b"],
            "untranslated_strings": ["c"]}
    assert i18n.check({"pages": {"book/neurons": todo, "book/homework": done}}) == []
    problems = i18n.check({"pages": {"book/neurons": done, "book/homework": todo}})
    assert problems == ["book/homework: 1 untranslated and 1 fuzzy strings (first: 'c')"]
    problems = i18n.check({"pages": {"book/neurons": todo}})
    assert problems == ["book/homework: not in the Chinese edition's report"]


@pytest.mark.parametrize("msg, math, expected", [
    ("The loss is a mean.", False, True),
    ("`a_prev @ W.T + b`", False, False),
    ("$\\mathbf u^\\top\\mathbf v = \\sum_i u_i v_i$", False, False),
    ("{doc}`../training`", False, False),
    ("{{ hw1_neurons_download }}", False, False),
    ("权重矩阵", False, False),
    ("\\begin{matrix} a \\\\ b \\end{matrix}", True, False),
    ("\\frac{a}{b} \\text{numerator layout}", True, True),
    # Measured quantities read the same in both editions; words next to them still need translating.
    ("89 ms", False, False),
    ("421 kB", False, False),
    ("80 (43–81)", False, False),
    ("14.83, 16.02, 16.48", False, False),
    ("6.2 µs", False, False),
    ("4 ms per step", False, True),
    ("Lighthouse 13.5.0", False, True),
    ("3x faster", False, True),
    ("float32", False, True),
])
def test_what_needs_translation(msg, math, expected):
    assert needs_translation(msg, math=math) is expected


def _reader_data(scale: float, load: list[float], lighthouse: str) -> dict:
    row = lambda k: {"performance": int(60 + 7 * k * scale) % 101, "accessibility": 100,  # noqa: E731
                     "first_contentful_paint_s": 1.7 * scale, "largest_contentful_paint_s": 2.9 * scale,
                     "total_blocking_time_ms": round(1234 * scale * k), "cumulative_layout_shift": 0.01 * k,
                     "speed_index_s": 3.1 * scale, "transferred_kb": round(412 * scale), "requests": 40,
                     "performance_runs": [55, int(60 + 7 * k * scale) % 101, 97]}
    return {"lighthouse": lighthouse, "runs": 3, "compression": ["br"], "load_average_at_start": load,
            "logical_cores": 2, "pages": {p: row(k) for k, p in enumerate(
                ["book/intro", "book/activations", "book/backprop", "book/training"], 1)}}


def _strings(markdown: str) -> set[str]:
    """The strings of a Markdown table or paragraph as the gettext builder extracts them: a cell, a paragraph."""
    out = set()
    for block in markdown.split("\n\n"):
        if not block.startswith("|"):
            out.add(" ".join(block.split()))
            continue
        for line in block.splitlines():
            if not set(line) <= set("|-: "):  # not the header's separator line
                out.update(cell.strip() for cell in line.strip().strip("|").split("|"))
    return {s for s in out if s}


def test_new_benchmark_numbers_leave_the_performance_page_translated():
    # bench/results/reader.json is rewritten by every `make bench-reader`; the appendix shows it. What the
    # Chinese edition must translate of that section is the same for any numbers, and the catalog has it.
    from babel.messages.pofile import read_po

    from bench.reader import markdown

    one = _strings(markdown(_reader_data(1.0, [0.51, 1.2, 3.0], "13.5.0")))
    other = _strings(markdown(_reader_data(2.7, [14.83, 16.02, 16.48], "14.0.1")))
    assert one != other  # the numbers did change
    prose = {s for s in one if needs_translation(s)}
    assert prose == {s for s in other if needs_translation(s)}
    # The check sees the table: its headers are prose, its measured times are not.
    assert "blocking time" in prose and any(s.endswith(" ms") for s in one)
    assert not any(s.endswith(" ms") for s in prose)
    with (ROOT / "locales" / "zh_CN" / "LC_MESSAGES" / "book" / "appendix" / "performance.po").open("rb") as f:
        catalog = {m.id: m for m in read_po(f) if m.id}
    missing = [s for s in prose if s not in catalog or not catalog[s].string or catalog[s].fuzzy]
    assert not missing, f"strings of the reader benchmark's table not translated in performance.po: {missing}"


@pytest.mark.parametrize("page, chinese, href", [
    ("book/neurons", False, "../zh/book/neurons.html"),
    ("book/appendix/glossary", False, "../../zh/book/appendix/glossary.html"),
    ("book/appendix/glossary", True, "../../../book/appendix/glossary.html"),
    ("search", True, "../search.html"),
    ("genindex", False, "zh/genindex.html"),
])
def test_switch_goes_to_the_same_page_of_the_other_edition(page, chinese, href):
    assert switch_href(page, chinese) == href


def test_update_keeps_the_figure_strings_added_by_hand(tmp_path, monkeypatch):
    """A label drawn at run time (an f-string) cannot be extracted: the translator adds it by hand with the
    comment, and ``tools.i18n update`` keeps it while it drops a label that is gone from the code."""
    monkeypatch.setattr(i18n, "_figure_sources", lambda: {"book/x": ["epoch"]})
    catalog = Catalog(locale="zh_CN")
    catalog.add("epoch", "回合", locations=[("book/x", None)])
    catalog.add("epoch 3", "第 3 回合", auto_comments=[f"{i18n.RUN_TIME} (f-string): not extracted"])
    catalog.add("a label no code draws", "没有代码画的标签", locations=[("book/x", None)])
    path = tmp_path / "figures.po"
    with path.open("wb") as f:
        write_po(f, catalog)
    i18n.update_figure_catalog(path)
    from babel.messages.pofile import read_po

    with path.open("rb") as f:
        kept = {m.id: m.string for m in read_po(f) if m.id}
    assert kept == {"epoch": "回合", "epoch 3": "第 3 回合"}


def test_figure_strings_are_found_in_code():
    code = ('ax.set_xlabel("epoch"); ax.plot(x, y, label="training loss")\n'
            'ax.text(0.5, 0.2, "XOR = 1"); ax.set_title(f"M = {m}"); ax.set_ylabel("$z$")\n')
    assert i18n.figure_strings(code) == ["epoch", "training loss", "XOR = 1"]
    assert i18n.figure_strings(i18n.cell_code(":tags: [hide-input]\nax.set_xlabel('loss')")) == ["loss"]


def test_figure_labels_are_drawn_in_the_catalog_language(tmp_path):
    catalog = Catalog(locale="zh_CN")
    catalog.add("epoch", "回合")
    catalog.add("training loss", "训练损失")
    mo = tmp_path / "figures.mo"
    with mo.open("wb") as f:
        write_mo(f, catalog)
    script = textwrap.dedent("""
        import warnings
        warnings.simplefilter("error")  # a missing glyph is a warning of matplotlib: tofu fails here
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from nnlib import plotstyle
        plotstyle.use()
        fig, ax = plt.subplots()
        ax.plot([0, 1], [1, 0], label="training loss")
        ax.set_xlabel("epoch"); ax.set_ylabel("loss")
        legend = ax.legend()
        fig.savefig("out.png")
        print(ax.get_xlabel(), legend.get_texts()[0].get_text(), ax.get_ylabel(),
              matplotlib.rcParams["font.family"][:2], sep="|")
    """)
    env = {**os.environ, "NNLIB_FIGURE_CATALOG": str(mo), "MPLBACKEND": "Agg"}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    xlabel, legend, ylabel, fonts = run.stdout.strip().split("|")
    assert (xlabel, legend, ylabel) == ("回合", "训练损失", "loss")  # a string not in the catalog stays
    assert any(name in fonts for name in ("WenQuanYi", "Noto Sans CJK", "Source Han")), fonts
    # Without the variable the same code draws English.
    env.pop("NNLIB_FIGURE_CATALOG")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().split("|")[:3] == ["epoch", "training loss", "loss"]


def test_missing_figure_catalog_is_a_clear_error(tmp_path):
    env = {**os.environ, "NNLIB_FIGURE_CATALOG": str(tmp_path / "nope.mo"), "MPLBACKEND": "Agg"}
    run = subprocess.run([sys.executable, "-c", "from nnlib import plotstyle; plotstyle.use()"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode != 0 and "NNLIB_FIGURE_CATALOG" in run.stderr and "nope.mo" in run.stderr
