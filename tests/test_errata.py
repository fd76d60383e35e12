"""The errata page against the registry, the worksheet of the second reading and the sources themselves.

* every erratum of ``nnlib.claims.errata`` is checked on the page exactly once, and its corrected
  statement really differs from the source's (the two right-hand sides are not the same function);
* the worksheet (``book/appendix/errata_worksheet.yml``) quotes the sources verbatim, every item it marks
  wrong points to an entry that exists on the page, every entry is backed by an item, and the counts the
  page states are the worksheet's;
* every term of the page's table of wrong terms occurs in the source it is attributed to;
* the numbers the new entries quote follow from their claims (the tanh/sigmoid crossing).
(``tests/test_symbolic.py`` decides every erratum: source refuted, correction proved.)
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
import yaml

from nnlib import claims as C
from nnlib.symbolic import verify
from nnlib.symbolic_core import Claim

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "book" / "appendix" / "errata.md").read_text(encoding="utf-8")
WORKSHEET = yaml.safe_load((ROOT / "book" / "appendix" / "errata_worksheet.yml").read_text(encoding="utf-8"))
VERDICT = re.compile(r"ok|minor|T|E[1-9][0-9]*|F[1-9][0-9]*")


def _sources() -> dict[str, str]:
    """The five source texts (shared/sources beside the repository or one of its parents), keyed "000".."004".

    Source 004 is markdown with emphasis stars scattered inside words; quotes are taken without them."""
    for parent in ROOT.parents:
        folder = parent / "shared" / "sources"
        if (folder / "README.md").is_file():
            texts = {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(folder.glob("00[0-4]_*.txt"))}
            texts["004"] = texts["004"].replace("*", "")
            assert sorted(texts) == ["000", "001", "002", "003", "004"], sorted(texts)
            return texts
    raise FileNotFoundError(f"shared/sources/ (the five source documents) not found above {ROOT}")


@pytest.fixture(scope="module")
def sources():
    # The source documents are lecture material kept beside the repository (../shared/sources), not in it:
    # a clone without them cannot compare quotes. Everything else of the errata is checked regardless.
    try:
        return _sources()
    except FileNotFoundError as e:
        pytest.skip(f"{e}: the quotes are compared where the sources are present")


def _section(title: str) -> str:
    start = PAGE.index(title)
    end = PAGE.find("\n## ", start + len(title))
    return PAGE[start:end if end >= 0 else None]


# --- the registry and the page ----------------------------------------------------------------


def test_every_erratum_is_checked_on_the_page_once():
    keys = re.findall(r'^check_erratum\("(\w+)"\)$', PAGE, re.M)
    assert Counter(keys) == Counter(list(C.errata())), "page and registry disagree"
    # numbered entries 1..n, in the registry's order
    numbers = [int(n) for n in re.findall(r"^## (\d+)\. ", PAGE, re.M)]
    assert numbers == list(range(1, len(C.errata()) + 1))
    assert keys == list(C.errata())


@pytest.mark.parametrize("key", C.errata_keys())
def test_corrected_statement_differs_from_the_source(key):
    e = C.errata()[key]
    assert e.source in C.TITLES and e.stated != e.correct
    shape = lambda side: getattr(side, "shape", ())
    if shape(e.wrong.rhs) != shape(e.right.rhs):  # e.g. u vᵀ (3×3) against uᵀv (1×1): different objects
        return
    differ = Claim(f"{key}:wrong-vs-right", e.wrong.rhs, e.right.rhs, sample=e.right.sample)
    assert verify(differ).status == "refuted", f"{key}: the correction says what the source says"


def test_tanh_crossing_is_where_the_factorisation_vanishes():
    e = C.errata()["tanh_flatness_001"]
    c = sp.Symbol("c", positive=True)
    z_star = 2 * sp.acosh((1 + sp.sqrt(3)) / 2)
    gap = e.right.rhs[2]  # tanh′ − σ′ in c = cosh(z/2)
    assert abs(float(gap.subs(c, sp.cosh(z_star / 2)))) < 1e-12
    assert float(z_star) == pytest.approx(1.6628, abs=1e-4)
    f = sp.lambdify(c, gap, "numpy")
    inside, outside = np.linspace(0, 1.66, 101), np.linspace(1.67, 12, 101)
    assert (f(np.cosh(inside / 2)) > 0).all() and (f(np.cosh(outside / 2)) < 0).all()
    # the rows that tie c to the two derivatives, checked numerically in z as well
    z = sp.Symbol("z", real=True)
    rows = sp.lambdify(z, e.right.lhs[:2, :], "numpy")
    assert np.allclose(np.array(rows(np.linspace(-6, 6, 25)), dtype=float), 1)


def test_batch_entry_agrees_with_the_loss_entry():
    # E7 reads the derivation's E as the error of one sample (a sum over the outputs j only); E16 restores the
    # sample index of the batch sum: the sum of per-sample gradients is the gradient of the total error.
    e7, e16 = C.errata()["loss_index_002"], C.errata()["batch_sum_double_count_002"]
    assert "\\sum_j" in e7.correct and "E^k" in e16.correct
    assert verify(e16.right).proved and verify(e16.wrong).status == "refuted"


# --- the worksheet --------------------------------------------------------------------------------


def _items():
    for source, items in WORKSHEET.items():
        for section, quote, verdict, note in items:
            yield source, section, quote, verdict, note


def test_worksheet_quotes_are_in_the_sources(sources):
    missing = [(s, sec, q) for s, sec, q, _, _ in _items() if q not in sources[s]]
    assert not missing, f"quotes not found verbatim in their source: {missing[:5]}"


def test_worksheet_verdicts_point_to_entries_of_the_page():
    n_formulas = len(C.errata())
    facts = {int(n) for n in re.findall(r"^\*\*F(\d+)\. ", PAGE, re.M)}
    assert facts == set(range(1, max(facts) + 1))
    used = set()
    for source, section, quote, verdict, note in _items():
        assert VERDICT.fullmatch(verdict), f"{source} {section}: unknown verdict {verdict!r}"
        if verdict[0] == "E":
            assert 1 <= int(verdict[1:]) <= n_formulas, verdict
        if verdict[0] == "F":
            assert int(verdict[1:]) in facts, verdict
        if verdict not in ("ok", "T", "minor"):
            # the entry is about this source
            body = _entry(verdict)
            assert _source_name(source) in body, f"{verdict} does not name source {source}"
        used.add(verdict)
    every = {f"E{n}" for n in range(1, n_formulas + 1)} | {f"F{n}" for n in facts}
    assert every <= used, f"entries without a worksheet item: {sorted(every - used)}"


def _entry(verdict: str) -> str:
    if verdict[0] == "E":
        start = PAGE.index(f"\n## {verdict[1:]}. ")
        return PAGE[start:PAGE.find("\n## ", start + 1)]
    start = PAGE.index(f"**{verdict}. ")
    return PAGE[start:PAGE.find("\n**F", start + 1)]


def _source_name(key: str) -> str:
    # the short name every entry cites its source by (the start of the title in nnlib.claims.errata.TITLES)
    return C.TITLES[key].split(" (")[0].split(" 第一章")[0].split("：")[0]


def test_claims_the_worksheet_names_exist():
    from nnlib import symbolic as S
    named = {m for *_, note in _items() for m in re.findall(r"claim (\w+)", note)}
    assert len(named) >= 10 and named <= set(S.names()), sorted(named - set(S.names()))


def test_page_states_the_worksheets_counts():
    method = _section("## How the sources were read")
    per_source = Counter(s for s, *_ in _items())
    wrong = sum(1 for *_, v, _ in _items() if v != "ok")
    stated = [int(n) for n in re.findall(r"\b(\d+) in the", method)]
    assert stated == [per_source[k] for k in ("000", "001", "002", "003", "004")]
    assert f"checked **{sum(per_source.values())}** items" in method
    assert f"found **{wrong}** of them wrong" in method
    facts = len(re.findall(r"^\*\*F\d+\. ", PAGE, re.M))
    rows = len(_term_rows())
    assert f"the {len(C.errata())} formula errors, {facts} wrong facts, the {rows} rows" in method


# --- the table of wrong terms ---------------------------------------------------------------------


def _term_rows():
    table = _section("## Wrong technical terms")
    rows = [line.split("|")[1:-1] for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    return [[c.strip() for c in row] for row in rows[1:]]


def test_every_wrong_term_is_in_its_source(sources):
    rows = _term_rows()
    assert len(rows) >= 30
    for term, where, right, english in rows:
        source = where.split(",")[0].strip()
        assert source in sources, where
        for t in term.split(";"):
            t = re.sub(r"\s*\([^)]*\)$", "", t).strip()  # an explanation in parentheses is ours
            assert t in sources[source], f"{t!r} is not in source {source}"
            assert t not in right.split(";"), f"{t!r} is given as its own correction"
        assert english


def test_worksheet_terms_are_in_the_table():
    terms = [re.sub(r"\s*\([^)]*\)$", "", t).strip() for row in _term_rows() for t in row[0].split(";")]
    for source, section, quote, verdict, note in _items():
        if verdict == "T":
            assert any(t in quote for t in terms), f"{source} {section}: {quote!r} has no row in the terms table"


def test_glossary_never_uses_a_wrong_term():
    glossary = (ROOT / "book" / "appendix" / "glossary.md").read_text(encoding="utf-8")
    body = glossary[glossary.index("\n## "):]
    # Right names that contain a wrong term: 偏差 is wrong for a neuron's bias (偏置) but right for the statistical
    # bias, as in Adam's bias correction (nndl's 偏差修正).
    for right in ("偏差修正",):
        body = body.replace(right, "")
    for term, *_ in _term_rows():
        for t in term.split(";"):
            t = re.sub(r"\s*\([^)]*\)$", "", t).strip()
            if re.search(r"[\u4e00-\u9fff]", t):
                assert t not in body, f"the glossary uses the wrong term {t!r}"
