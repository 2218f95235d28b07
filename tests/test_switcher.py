"""The switcher list's command-line tool (book/tools/switcher.py)."""

from __future__ import annotations

import json

import course_versions as cv
import switcher
from layout import REPO_ROOT

BASEURL = "https://foundations-to-transformers.github.io/course/"


def test_it_writes_latest_then_the_repository_tags(tmp_path, capsys):
    assert switcher.main(["--out", str(tmp_path), "--baseurl", BASEURL]) == 0
    entries = json.loads((tmp_path / cv.SWITCHER_FILE).read_text())
    assert entries == cv.switcher_entries(cv.git_tags(REPO_ROOT), "/course/")
    assert entries[0] == {"name": "latest", "version": "latest", "url": "/course/",
                          "preferred": True}
    assert str(tmp_path / cv.SWITCHER_FILE) in capsys.readouterr().out


def test_the_site_address_defaults_to_the_books_base_url(tmp_path):
    assert switcher.main(["--out", str(tmp_path)]) == 0
    entries = json.loads((tmp_path / cv.SWITCHER_FILE).read_text())
    assert entries[0]["url"] == "/course/"  # html.baseurl's path in _config.yml
