"""Where things are (book/_ext/layout.py): the repository's root and the table of contents."""

from __future__ import annotations

import re

import layout
import pytest
import yaml


def test_the_root_is_the_checkout_that_holds_the_book():
    for name in ("_toc.yml", "_config.yml", "requirements.txt"):
        assert (layout.REPO_ROOT / name).is_file(), name
    assert (layout.PACKAGE_DIR / "__init__.py").is_file()


def test_toc_order_gives_the_pages_with_their_parts(example_toc):
    chapters = layout.toc_chapters(example_toc)
    assert [c.docname for c in chapters] == [
        "book/intro",
        "book/a",
        "book/b",
        "book/c",
        "book/c-extra",
    ]
    assert [c.part for c in chapters] == [None, "Basics", "Basics", "Labs", "Labs"]
    assert [c.number for c in chapters] == [1, 2, 3, 4, 5]
    assert chapters[1].html_path == "book/a.html"
    assert chapters[1].pdf_name == "a.pdf"


def test_toc_without_parts():
    toc = {"root": "intro", "chapters": [{"file": "one"}, {"file": "two"}]}
    chapters = layout.toc_chapters(toc)
    assert [(c.docname, c.part) for c in chapters] == [
        ("intro", None),
        ("one", None),
        ("two", None),
    ]


@pytest.mark.parametrize(
    "toc",
    [
        {},
        {"root": None},
        {"root": "intro", "parts": [{"caption": "P", "chapters": "not a list"}]},
        {"root": "intro", "chapters": [{"title": "no file"}]},
        {"root": "intro", "chapters": [{"file": "a/x"}, {"file": "b/x"}]},  # both give x.pdf
    ],
)
def test_bad_tables_of_contents_are_refused(toc):
    with pytest.raises(ValueError):
        layout.toc_chapters(toc)


def test_the_books_own_toc_reads():
    chapters = layout.read_toc()
    toc = yaml.safe_load((layout.TOC_FILE).read_text(encoding="utf-8"))
    assert chapters[0].docname == toc["root"]
    assert len(chapters) == 1 + len(re.findall(r"file:", (layout.TOC_FILE).read_text()))


def test_a_missing_toc_says_where_it_looked(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        layout.read_toc(tmp_path / "_toc.yml")


def test_each_chapter_knows_its_source():
    chapters = layout.read_toc()
    assert all(chapter.source().is_file() for chapter in chapters)


def test_write_atomically_replaces_the_file_whole_or_not_at_all(tmp_path, monkeypatch):
    from pathlib import Path

    target = tmp_path / "record.json"
    layout.write_atomically(target, '{"a": 1}')
    layout.write_atomically(tmp_path / "print.pdf", b"%PDF-1.7")
    assert target.read_text(encoding="utf-8") == '{"a": 1}'
    assert (tmp_path / "print.pdf").read_bytes() == b"%PDF-1.7"
    write_text = Path.write_text

    def write_half(path: Path, text: str, **kwargs) -> int:
        write_text(path, text[: len(text) // 2], **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", write_half)
    with pytest.raises(OSError, match="No space"):
        layout.write_atomically(target, '{"a": 2, "b": 3}')
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == '{"a": 1}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["print.pdf", "record.json"]
