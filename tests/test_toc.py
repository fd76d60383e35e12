"""tools/toc.py, the one reader of ``_toc.yml``: pages in reading order (sections after their chapter), the chapter
numbers the book prints, and a clear error for a table of contents it cannot number."""

import pytest
import yaml

from tools import toc

TOC = {
    "format": "jb-book",
    "root": "book/intro",
    "parts": [
        {"caption": "Chapters", "numbered": 1,
         "chapters": [{"file": "book/a"}, {"file": "book/b", "sections": [{"file": "book/b1"}, {"file": "book/b2"}]}]},
        {"caption": "Appendices", "chapters": [{"file": "book/appendix/x"}]},
    ],
}


def test_pages_in_reading_order_with_sections_after_their_chapter():
    assert toc.pages(TOC) == ["book/intro", "book/a", "book/b", "book/b1", "book/b2", "book/appendix/x"]
    # a book without parts lists its chapters at the top level
    assert toc.pages({"root": "r", "chapters": [{"file": "c1", "sections": [{"file": "s"}]}]}) == ["r", "c1", "s"]


def test_chapters_are_numbered_from_the_first_page():
    assert toc.chapters(TOC) == {"book/intro": 0, "book/a": 1, "book/b": 2}


@pytest.mark.parametrize("parts", [[], [TOC["parts"][0], TOC["parts"][0]]], ids=["none", "two"])
def test_a_toc_without_exactly_one_chapters_part_is_refused(parts):
    with pytest.raises(ValueError, match="exactly one part captioned 'Chapters'"):
        toc.chapters({"root": "book/intro", "parts": parts})


def test_load_reads_the_file_and_refuses_one_without_a_root(tmp_path):
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump(TOC), encoding="utf-8")
    assert toc.load(tmp_path) == TOC
    (tmp_path / "_toc.yml").write_text("format: jb-book\nparts: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no 'root' page"):
        toc.load(tmp_path)


def test_the_books_own_toc():
    pages, numbers = toc.pages(), toc.chapters()
    assert pages[0] == "book/intro" and numbers["book/intro"] == 0
    assert len(pages) == len(set(pages)), "a page listed twice in _toc.yml"
    assert sorted(numbers.values()) == list(range(len(numbers))) and len(numbers) >= 10
    assert [p for p in pages if p in numbers] == list(numbers), "chapter numbers out of reading order"
