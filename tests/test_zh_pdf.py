"""The Chinese PDF (`make pdf`: python -m tools.i18n pdf): its text is Chinese where the edition is
translated, the CJK font is embedded, and it holds the whole book."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tools import i18n  # noqa: E402

PDF = ROOT / "_build" / "html" / "zh" / i18n.PDF_NAME
EN_PDF = ROOT / "_build" / "html" / i18n.PDF_NAME
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("zh")]


@pytest.fixture(scope="module")
def text():
    if not PDF.exists():
        pytest.fail(f"{PDF} is missing: run `make pdf` (make test does)")
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext (poppler-utils) is missing: make browser-deps installs it")
    return subprocess.run(["pdftotext", "-layout", str(PDF), "-"], capture_output=True, text=True, check=True).stdout


def test_pdf_shows_the_translated_pages_in_chinese(text):
    cjk = re.findall(r"[\u4e00-\u9fff]", text)
    assert len(cjk) > 10_000, f"only {len(cjk)} Chinese characters"
    # Headings and sentences of the translated pages, as the reader sees them.
    for phrase in ["资料勘误", "术语表", "线性代数与矩阵微积分", "参考文献", "如何提交", "按拼音", "分母布局"]:
        assert phrase in text.replace(" ", ""), phrase
    assert "Errata of the sources" not in text  # the translated page's title is Chinese only


def test_pdf_embeds_a_cjk_font():
    fonts = subprocess.run(["pdffonts", str(PDF)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if re.search(r"WenQuanYi|WQY|NotoSansCJK|Noto Sans CJK|SourceHan", line, re.I)]
    assert cjk, fonts
    assert all(" yes " in line for line in cjk), cjk  # embedded: the PDF shows the glyphs anywhere


def test_pdf_has_the_whole_book():
    pages = lambda path: int(re.search(r"Pages:\s+(\d+)", subprocess.run(  # noqa: E731
        ["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout).group(1))
    zh = pages(PDF)
    assert zh > 50
    if EN_PDF.exists():
        en = pages(EN_PDF)
        assert 0.7 * en < zh < 1.3 * en, (en, zh)
