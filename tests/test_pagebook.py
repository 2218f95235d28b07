"""Unit tests of book/tools/pagebook.py: which warnings fail a one-page build."""

from __future__ import annotations

from layout import REPO_ROOT
from pagebook import failing_warnings, labels_elsewhere


def test_labels_elsewhere_finds_other_chapters_labels_but_not_the_pages_own():
    page = REPO_ROOT / "book" / "prereq-sequences.md"
    found = labels_elsewhere(page)
    assert "prereq-attention" in found and "hopfield" in found
    assert "prereq-sequences" not in found


def test_a_reference_to_another_page_is_let_through_and_counted():
    lines = [
        "\x1b[91m/x/book/a.md:3: WARNING: undefined label: 'other-chapter'\x1b[39;49;00m\n",
        "reading sources... [100%] book/a\n",
    ]
    assert failing_warnings(lines, {"other-chapter"}) == ([], 1)


def test_every_other_warning_fails():
    lines = [
        "/x/book/a.md:3: WARNING: undefined label: 'typo-label'\n",
        "/x/book/a.md:9: WARNING: image file not readable: missing.png\n",
        "/x/book/a.md:12: ERROR: Unknown directive type \"figur\".\n",
    ]
    failing, let_through = failing_warnings(lines, {"other-chapter"})
    assert let_through == 0 and len(failing) == 3
    assert failing[0].endswith("'typo-label'")

