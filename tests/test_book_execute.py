"""One execution of the book's pages for both editions (tools/book_execute.py, `make book`'s first step).

In a real kernel: ``NNLIB_TRANSLATED_FIGURES`` leaves a figure's picture exactly as without it and adds a
second one that matches what ``NNLIB_FIGURE_CATALOG`` (the Chinese figure drawn by an execution of its own)
draws; the figure's texts are English again afterwards. On the book `make book` built: neither Sphinx build
executed a page, the English notebooks carry no translated picture, and a cell that draws a translated
label shows a different picture in each edition.
"""

from __future__ import annotations

import base64
import io
import os
import textwrap

import nbformat
import numpy as np
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from nnlib.plotstyle import TRANSLATED_PNG
from tools import book_execute, i18n

ROOT = book_execute.ROOT
BUILD = ROOT / "_build"

FIGURE = textwrap.dedent("""
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [2.0, 1.0, 0.5], label="training loss")
    ax.set_xlabel("epoch"); ax.set_ylabel("loss"); ax.set_title("M = 3")
    ax.set_xticks([0, 1, 2], ["start", "epoch", "end"])
    plotstyle.legend(ax)
    plt.show()
""")


def _notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("%matplotlib inline\nimport matplotlib.pyplot as plt\nfrom nnlib import plotstyle\n"
                                  "plotstyle.use()"),
        nbformat.v4.new_code_cell(FIGURE),
        # After the figure was shown (both pictures drawn): its texts and matplotlib's Text class as they were.
        nbformat.v4.new_code_cell("from matplotlib.text import Text\n"
                                  "print(ax.get_xlabel(), ax.get_legend().get_texts()[0].get_text(), "
                                  "[t.get_text() for t in ax.get_xticklabels()], hasattr(Text.set_text, '__wrapped__'), "
                                  "sep='|')"),
    ]
    return nb


def _run(tmp_path, env: dict) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    nb = _notebook()
    old = {k: os.environ.get(k) for k in ("NNLIB_FIGURE_CATALOG", "NNLIB_TRANSLATED_FIGURES")}
    for k in old:
        os.environ.pop(k, None)
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        NotebookClient(nb, timeout=300, record_timing=False, resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        for k, v in old.items():
            os.environ.pop(k, None)
            if v is not None:
                os.environ[k] = v
    return nb


def _pixels(b64: str) -> np.ndarray:
    import matplotlib.image

    return matplotlib.image.imread(io.BytesIO(base64.b64decode(b64)), format="png")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kernel")
    catalog = Catalog(locale="zh_CN")
    for msgid, msgstr in [("epoch", "回合"), ("training loss", "训练损失"), ("start", "开始")]:
        catalog.add(msgid, msgstr)
    mo = tmp / "figures.mo"
    with mo.open("wb") as f:
        write_mo(f, catalog)
    return {
        "plain": _run(tmp, {}),
        "both": _run(tmp, {"NNLIB_TRANSLATED_FIGURES": str(mo)}),
        "chinese": _run(tmp, {"NNLIB_FIGURE_CATALOG": str(mo)}),
    }


def _figure(nb) -> dict:
    (out,) = [o for o in nb.cells[1].outputs if o.output_type == "display_data"]
    return out


def test_the_figure_as_shown_is_untouched(runs):
    plain, both = _figure(runs["plain"]), _figure(runs["both"])
    assert TRANSLATED_PNG not in plain.data
    assert both.data["image/png"] == plain.data["image/png"]
    assert both.metadata["image/png"] == plain.metadata["image/png"]


def test_the_second_picture_is_the_chinese_figure(runs):
    both, chinese = _figure(runs["both"]), _figure(runs["chinese"])
    translated, drawn, english = (_pixels(x) for x in (both.data[TRANSLATED_PNG], chinese.data["image/png"],
                                                       both.data["image/png"]))
    assert both.metadata[TRANSLATED_PNG] == chinese.metadata["image/png"]  # the same retina size
    assert translated.shape == drawn.shape
    # The same picture up to anti-aliasing (the translated one is laid out from the English drawing's state) ...
    assert np.abs(translated - drawn).mean() < 1e-3
    # ... and not the English one: the labels changed.
    assert translated.shape != english.shape or np.abs(translated - english).mean() > 10 * np.abs(translated - drawn).mean()


def test_the_figure_is_english_again_after_it_was_shown(runs):
    (out,) = [o for o in runs["both"].cells[2].outputs if o.output_type == "stream"]
    xlabel, legend, ticks, patched = out.text.strip().split("|")
    assert (xlabel, legend, ticks, patched) == ("epoch", "training loss", "['start', 'epoch', 'end']", "False")
    # Under figure_language the same code reads back Chinese: the check above could tell.
    (out,) = [o for o in runs["chinese"].cells[2].outputs if o.output_type == "stream"]
    assert out.text.split("|")[:2] == ["回合", "训练损失"]


def test_editions_split_the_pictures():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("plt.show()")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"image/png": "RU4=", TRANSLATED_PNG: "Wkg=", "text/plain": "<Figure>"},
                               metadata={"image/png": {"width": 10}, TRANSLATED_PNG: {"width": 11}}),
        nbformat.v4.new_output("stream", name="stdout", text="no picture\n"),
    ]
    nb.cells = [cell, nbformat.v4.new_markdown_cell("text")]
    en, zh = book_execute.editions(nb)
    assert en.cells[0].outputs[0].data == {"image/png": "RU4=", "text/plain": "<Figure>"}
    assert en.cells[0].outputs[0].metadata == {"image/png": {"width": 10}}
    assert zh.cells[0].outputs[0].data == {"image/png": "Wkg=", "text/plain": "<Figure>"}
    assert zh.cells[0].outputs[0].metadata == {"image/png": {"width": 11}}
    assert en.cells[0].outputs[1] == zh.cells[0].outputs[1] == cell.outputs[1]
    assert TRANSLATED_PNG in nb.cells[0].outputs[0].data  # the executed notebook itself is left as it was


# ---- the book `make book` built ---------------------------------------------------------------------------

def _log(name: str) -> str:
    path = BUILD / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make book` (make test does)")
    return path.read_text(encoding="utf-8", errors="replace")


@pytest.mark.browser
def test_neither_sphinx_build_executed_a_page():
    pages = book_execute.notebooks()
    for log in ("en-html.log", "zh-html.log"):
        text = _log(log)
        assert "Executing notebook" not in text, f"{log}: a page was executed by Sphinx, missed by tools.book_execute"
    # The Chinese build reads every page each time (the English one only the pages that changed).
    assert _log("zh-html.log").count("Using cached notebook") == len(pages)


def _cached(cache_path, nb) -> nbformat.NotebookNode:
    """The executed notebook that the build of an edition read from its execution cache."""
    from jupyter_cache import get_cache

    if not cache_path.exists():
        pytest.fail(f"{cache_path} is missing: run `make book` (make test does)")
    return get_cache(str(cache_path)).merge_match_into_notebook(nb)[1]


def _pictures(cell) -> list[str]:
    return [o.data["image/png"] for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]


@pytest.mark.browser
def test_each_edition_shows_its_own_figures():
    with (i18n.FIGURES).open("rb") as f:
        translated = {m.id for m in read_po(f) if m.id and m.string and not m.fuzzy}
    differ = same_count = 0
    for path, nb in book_execute.notebooks().items():
        page = path.relative_to(ROOT).as_posix()
        en, zh = _cached(book_execute.EN_CACHE, nb), _cached(i18n.own_cache(), nb)
        for en_cell, zh_cell in zip(en.cells, zh.cells):
            en_png, zh_png = _pictures(en_cell), _pictures(zh_cell)
            assert len(en_png) == len(zh_png), page
            for o in en_cell.get("outputs", []) + zh_cell.get("outputs", []):
                assert TRANSLATED_PNG not in o.get("data", {}), page
            if en_png and set(i18n.figure_strings(en_cell.source)) & translated:
                assert all(a != b for a, b in zip(en_png, zh_png)), f"{page}: a figure with translated labels is English"
                differ += len(en_png)
            same_count += len(en_png)
    assert differ >= 10 and same_count > differ, (differ, same_count)


PAGE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# {title}

```{{code-cell}} ipython3
{code}
```
"""


def test_a_failing_page_is_named_and_the_others_are_cached_for_both_editions(tmp_path, capsys):
    setup = "%matplotlib inline\nimport matplotlib.pyplot as plt\nfrom nnlib import plotstyle\nplotstyle.use()\n"
    (tmp_path / "good.md").write_text(PAGE.format(title="Good", code=setup + FIGURE), encoding="utf-8")
    (tmp_path / "bad.md").write_text(PAGE.format(title="Bad", code="x = 1\nx / 0"), encoding="utf-8")
    en_cache, zh_work = tmp_path / "en-cache", tmp_path / "zh"
    run = lambda: book_execute.run(en_cache, zh_work, jobs=2, root=tmp_path, pages=["good", "bad"])  # noqa: E731
    assert run() == 1
    out, err = capsys.readouterr()
    assert "bad.md: FAILED" in out and "ZeroDivisionError" in out and "bad.md" in err
    assert "good.md:" in out and "good.md: FAILED" not in out

    good = book_execute.notebooks(tmp_path, ["good"])[tmp_path / "good.md"]
    en, zh = _cached(en_cache, good), _cached(i18n.own_cache(zh_work), good)
    (en_fig,), (zh_fig,) = ([o for o in nb.cells[1].outputs if "image/png" in o.get("data", {})] for nb in (en, zh))
    assert en_fig.data["image/png"] != zh_fig.data["image/png"] and TRANSLATED_PNG not in en_fig.data

    # Again: only the failing page runs.
    assert run() == 1
    out, _ = capsys.readouterr()
    assert "Executing 1 page(s)" in out and "good.md" not in out
