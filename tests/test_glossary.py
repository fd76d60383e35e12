"""The glossary's data: every Chinese name has a checked pinyin reading, the Chinese order is pinyin order,
the terms issue 20 asks for are there, and the source's mistranslations are not.

(``tests/test_reader_glossary.py`` checks the built page: each row links to where its term is introduced.)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypinyin import Style, pinyin

from tools import glossary as G

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def table():
    return G.rows()


@pytest.fixture(scope="module")
def readings():
    return G.readings()


def test_every_table_row_is_read(table):
    # rows() sees every table row that has a chapter link; a row it misses would also miss its pinyin
    md = G.GLOSSARY.read_text(encoding="utf-8")
    linked = [line for line in md.splitlines() if line.startswith("|") and "{doc}`" in line]
    assert len(table) == len(linked) >= 130
    assert all(r.names for r in table), [r.english for r in table if not r.names]


def test_every_chinese_name_has_exactly_one_reading(table, readings):
    names = {n for r in table for n in r.names}
    assert names == set(readings), (sorted(names - set(readings)), sorted(set(readings) - names))


def _syllables(name: str, reading: str) -> list[tuple[str, str]]:
    """Pair each Chinese character of name with its syllable in reading (Latin words must match too)."""
    tokens = reading.split()
    out, i = [], 0
    for piece in re.findall(r"[\u3400-\u9fff]|[A-Za-z0-9]+|δ", name):
        assert i < len(tokens), f"{name}: reading {reading!r} is too short"
        if CJK.match(piece):
            out.append((piece, tokens[i]))
        else:
            assert tokens[i] == ("delta" if piece == "δ" else piece.lower()), f"{name}: {tokens[i]!r} for {piece!r}"
        i += 1
    assert i == len(tokens), f"{name}: reading {reading!r} has extra syllables"
    return out


def test_readings_are_readings_of_their_characters(readings):
    wrong = []
    for name, reading in readings.items():
        for char, syllable in _syllables(name, reading):
            assert re.fullmatch(r"[a-z]+[1-5]", syllable), f"{name}: {syllable!r} is not a tone-numbered syllable"
            known = {p.replace("ü", "v") for p in pinyin(char, style=Style.TONE3, heteronym=True,
                                                        neutral_tone_with_five=True)[0]}
            if syllable not in known:
                wrong.append(f"{name}: {char} read {syllable}, known {sorted(known)}")
    assert not wrong, wrong


@pytest.mark.parametrize("name, expected", [
    ("学习率", "xue2 xi2 lv4"), ("发放率", "fa1 fang4 lv4"), ("权重", "quan2 zhong4"), ("误差项", "wu4 cha1 xiang4"),
    ("似然", "si4 ran2"), ("微调", "wei1 tiao2"), ("分子布局", "fen1 zi3 bu4 ju2"), ("隐藏层", "yin3 cang2 ceng2"),
    ("重球法", "zhong4 qiu2 fa3"), ("泛化差距", "fan4 hua4 cha1 ju4"), ("偏差修正", "pian1 cha1 xiu1 zheng4"),
    ("单层神经网络", "dan1 ceng2 shen2 jing1 wang3 luo4"), ("召回率", "zhao4 hui2 lv4"),
])
def test_polyphonic_characters_are_read_as_in_the_term(readings, name, expected):
    assert readings[name] == expected


def test_chinese_order_is_pinyin_order(table, readings):
    entries = G.zh_entries(table, readings)
    keys = [G.sort_key(e.pinyin) for e in entries]
    assert keys == sorted(keys)
    order = [e.name for e in entries]
    # syllable letters first (an < bao), ü after u, tone before the next syllable, Latin words among them
    for earlier, later in [("鞍点", "饱和"), ("学习率", "学习曲线"), ("Adam算法", "鞍点"), ("梯度", "梯度下降"),
                           ("丢弃法", "独热编码"), ("暂退法", "早停"), ("哈达玛积", "Hadamard积")]:
        assert order.index(earlier) < order.index(later), (earlier, later)
    assert G.sort_key("lu4") < G.sort_key("lv4") < G.sort_key("ma1")
    assert G.sort_key("ba4 zhong1") < G.sort_key("bai1")


def test_chinese_glossary_command(table):
    out = subprocess.run([sys.executable, "tools/glossary.py", "zh"], cwd=ROOT, capture_output=True, text=True,
                         check=True, timeout=120).stdout
    letters = re.findall(r"^## ([A-Z])$", out, re.M)
    assert letters == sorted(set(letters)) and len(letters) >= 15
    names = [re.sub(r" \(见 .*\)$", "", row.split("|")[1].strip())
             for row in out.splitlines() if row.startswith("| ") and "中文" not in row and "---" not in row]
    assert sorted(names) == sorted(n for r in table for n in r.names)
    assert "| 随机失活 (见 丢弃法) |" not in out and "| 丢弃法 | dropout" in out  # 丢弃法 and 暂退法 are peers
    bad = subprocess.run([sys.executable, "tools/glossary.py", "en"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "tools/glossary.py zh" in bad.stderr


def _names_of(table, english: str) -> set[str]:
    rows = [r for r in table if english in G.english_names(re.sub(r"\s*\([^)]*\)", "", r.english))]
    assert rows, f"no glossary row for {english!r}"
    return {n for r in rows for n in r.names}


@pytest.mark.parametrize("english, chinese", [
    ("firing rate", {"发放率"}),
    ("momentum", {"动量法"}),
    ("Adam", {"Adam算法"}),
    ("dropout", {"丢弃法", "暂退法", "随机失活"}),
    ("early stopping", {"提前停止", "早停"}),
    ("data augmentation", {"数据增强", "数据增广"}),
    ("generalization error", {"泛化误差"}),
    ("backpropagation", {"反向传播算法", "BP算法"}),
    ("activation function", {"激活函数", "激励函数"}),
    ("epoch", {"回合", "迭代周期"}),
    ("saddle point", {"鞍点"}),
    ("transfer learning", {"迁移学习"}),
    ("single-layer neural network", {"单层神经网络"}),
    ("perceptron learning rule", {"感知机学习算法"}),
    ("conditional distribution", {"条件分布"}),
    ("heavy ball method", {"重球法"}),
    ("bias correction", {"偏差修正"}),
    ("drop probability", {"丢弃概率", "暂退概率"}),
    ("generalization gap", {"泛化差距"}),
    ("numerical differentiation", {"数值微分"}),
    ("symbolic differentiation", {"符号微分"}),
    ("automatic differentiation", {"自动微分"}),
    ("sensitivity", {"敏感度"}),
    ("baseline model", {"基线模型"}),
    ("softmax regression", {"Softmax回归"}),
    ("confusion matrix", {"混淆矩阵"}),
    ("recall", {"召回率"}),
    ("precision", {"精确率"}),
])
def test_terms_of_the_content_streams_and_their_synonyms(table, english, chinese):
    assert chinese <= _names_of(table, english)


@pytest.mark.parametrize("english, chapter", [
    ("Adam", "../training"), ("momentum", "../training"), ("transfer learning", "../neurons"),
    ("sensitivity", "../perceptron"), ("baseline model", "../project"),
])
def test_each_term_has_one_row_in_the_chapter_that_introduces_it(table, english, chapter):
    # a term is listed once, under the first chapter that names it
    rows = [r for r in table if english in G.english_names(re.sub(r"\s*\([^)]*\)", "", r.english))]
    assert [r.doc for r in rows] == [chapter], [(r.english, r.doc) for r in rows]


def test_adam_has_a_row_of_its_own(table):
    # a row shared with momentum would link to momentum's paragraph, the first that names either term
    assert [r.names for r in table if "Adam" in G.english_names(r.english)] == [("Adam算法",)]


def test_no_chinese_name_is_listed_twice(table):
    names = [n for r in table for n in r.names]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


def test_no_mistranslated_term():
    md = G.GLOSSARY.read_text(encoding="utf-8")
    body = md[md.index("\n## "):]
    for wrong in ("燃烧率", "乙状结肠", "一键编码", "渐变", "情商", "漏热路", "致密层"):
        assert wrong not in body, wrong
