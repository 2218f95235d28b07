"""Executed chapters stay in step with the course code they import (book/_ext/freshness.py).

A small fixture book, built with Sphinx, myst-nb's execution cache and the book's extension,
imports a fixture package. Editing prose or an unrelated module executes nothing; editing a
module the chapter imports, even indirectly, executes the chapter again. Without the extension
the same edit leaves a stale page, which is what this guards against.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from layout import REPO_ROOT

EXT_DIR = REPO_ROOT / "book" / "_ext"

import freshness  # noqa: E402

pytestmark = pytest.mark.slow

CONF = """\
import sys
sys.path.insert(0, {ext!r})
extensions = ["myst_nb", "course_book"]
nb_execution_mode = "cache"
nb_execution_cache_path = {cache!r}
course_package_dir = {package!r}
course_publish_papers = False
course_freshness = {fresh!r}
html_theme = "basic"
exclude_patterns = ["_build", "fixturepkg", "_generated"]
"""

CHAPTER = """\
---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A fixture chapter

{prose}

Download {{download}}`the answer <_generated/chapter/answer.txt>`.

```{{code-cell}} ipython3
from pathlib import Path
from fixturepkg.answer import value
print(f"the answer is {{value()}}")
Path("_generated/chapter").mkdir(parents=True, exist_ok=True)
_ = Path("_generated/chapter/answer.txt").write_text(str(value()))
```
"""


class FixtureBook:
    """A one-chapter book over a two-module package, built with sphinx-build."""

    def __init__(self, root: Path, fresh: bool = True) -> None:
        self.root = root
        self.package = root / "fixturepkg"
        self.package.mkdir(parents=True)
        (self.package / "__init__.py").write_text("")
        (self.package / "answer.py").write_text(
            "from .helper import base\n\n\ndef value():\n    return base() + 1\n"
        )
        self.set_helper(41)
        (self.package / "unrelated.py").write_text("X = 1\n")
        self.set_prose("Some prose.")
        (root / "index.md").write_text("# Fixture\n\n```{toctree}\nchapter\n```\n")
        (root / "conf.py").write_text(
            CONF.format(
                ext=str(EXT_DIR),
                cache=str(root / "_build" / "cache"),
                package=str(self.package),
                fresh=fresh,
            )
        )

    def set_helper(self, number: int) -> None:
        (self.package / "helper.py").write_text(f"def base():\n    return {number}\n")

    def set_prose(self, prose: str) -> None:
        (self.root / "chapter.md").write_text(CHAPTER.format(prose=prose))

    def build(self) -> tuple[bool, str]:
        """Build; return (whether the chapter was executed, the chapter's HTML)."""
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "sphinx",
                "-b",
                "html",
                str(self.root),
                str(self.root / "_build" / "html"),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            # the package is found through the path, so the code cells hold no folder name
            env={**os.environ, "PYTHONPATH": str(self.root)},
        )
        assert result.returncode == 0, result.stdout + result.stderr
        executed = "Executing notebook" in result.stdout + result.stderr
        html = (self.root / "_build" / "html" / "chapter.html").read_text()
        return executed, html


def test_chapters_rerun_exactly_when_imported_code_changes(tmp_path):
    book = FixtureBook(tmp_path / "book")
    executed, html = book.build()
    assert executed and "the answer is 42" in html

    executed, _ = book.build()
    assert not executed, "a rebuild without changes must not execute"

    book.set_prose("Edited prose only.")
    executed, html = book.build()
    assert not executed and "Edited prose only." in html

    (book.package / "unrelated.py").write_text("X = 2\n")
    executed, _ = book.build()
    assert not executed, "a module the chapter does not import must not trigger execution"

    book.set_helper(99)  # imported indirectly, through answer.py
    executed, html = book.build()
    assert executed and "the answer is 100" in html


def test_a_cache_restored_into_another_checkout_is_checked_too(tmp_path):
    """A cache made at one path and restored at another (a clone elsewhere, a CI workspace):
    myst-nb still finds its records by the code cells' hash, so the check must find them too."""
    first = FixtureBook(tmp_path / "here")
    executed, html = first.build()
    assert executed and "the answer is 42" in html

    moved = FixtureBook(tmp_path / "elsewhere")
    shutil.copytree(first.root / "_build" / "cache", moved.root / "_build" / "cache")
    executed, html = moved.build()
    assert not executed and "the answer is 42" in html, "an unchanged chapter reuses the cache"

    moved.set_helper(99)
    executed, html = moved.build()
    assert executed and "the answer is 100" in html, "edited code must not show old results"


def test_a_cached_execution_brings_back_the_files_it_wrote(tmp_path):
    """The page links a file the chapter writes; a build that finds the execution cached but
    not the file (a fresh clone with a restored cache) must still publish it."""
    book = FixtureBook(tmp_path / "book")
    executed, _ = book.build()
    assert executed
    shutil.rmtree(book.root / "_generated")
    shutil.rmtree(book.root / "_build" / "html")
    executed, html = book.build()
    assert not executed and "the answer is 42" in html
    published = list((book.root / "_build" / "html" / "_downloads").rglob("answer.txt"))
    assert [p.read_text() for p in published] == ["42"]


def test_without_the_invalidation_the_page_goes_stale(tmp_path):
    """The control: plain jupyter-cache keeps showing the old code's output."""
    book = FixtureBook(tmp_path / "book", fresh=False)
    executed, html = book.build()
    assert executed and "the answer is 42" in html
    book.set_helper(99)
    executed, html = book.build()
    assert not executed and "the answer is 42" in html


def test_dependency_hash_follows_imports(tmp_path):
    book = FixtureBook(tmp_path / "book")
    chapter = book.root / "chapter.md"
    before = freshness.dependency_hash(chapter, book.package)
    (book.package / "unrelated.py").write_text("X = 3\n")
    assert freshness.dependency_hash(chapter, book.package) == before
    book.set_helper(7)
    assert freshness.dependency_hash(chapter, book.package) != before


def test_dependency_hash_follows_the_chapter_size(tmp_path, monkeypatch):
    book = FixtureBook(tmp_path / "book")
    chapter = book.root / "chapter.md"
    monkeypatch.setenv("COURSE_SIZE", "small")
    small = freshness.dependency_hash(chapter, book.package)
    monkeypatch.setenv("COURSE_SIZE", "full")
    assert freshness.dependency_hash(chapter, book.package) != small
    monkeypatch.setenv("COURSE_SIZE", "small")
    assert freshness.dependency_hash(chapter, book.package) == small


def test_size_setting_without_the_variable_follows_the_gpu(monkeypatch):
    monkeypatch.delenv("COURSE_SIZE", raising=False)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert freshness.size_setting() == "auto-no-gpu"  # every GPU hidden
    monkeypatch.setenv("COURSE_SIZE", " Full ")
    assert freshness.size_setting() == "full"


def test_merge_outputs_refuses_a_notebook_with_other_code(tmp_path):
    book = FixtureBook(tmp_path / "book")
    chapter = book.root / "chapter.md"
    other = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("pass"), nbformat.v4.new_code_cell("print('different')")]
    )
    with pytest.raises(ValueError, match="regenerate"):
        freshness.merge_outputs(chapter, other, skip=1)


def test_relative_imports_resolve_inside_the_package():
    found = freshness._imports_in(
        textwrap.dedent("""
        from . import data
        from .training import train
        from .. import outside
    """),
        "course.sub.module",
        False,
        "course",
    )
    assert {"course.sub.data", "course.sub.training", "course.sub.training.train"} <= found
    assert "course.outside" in found


def test_the_cache_key_is_myst_nbs_and_is_remembered_by_the_chapters_text(tmp_path):
    from jupyter_cache import get_cache

    cache = get_cache(str(tmp_path / "cache"))
    chapter = tmp_path / "chapter.md"
    chapter.write_text(CHAPTER.format(prose="Some prose."))
    expected = cache.create_hashed_notebook(freshness.read_chapter(chapter))[1]
    assert freshness.notebook_hashkey(cache, chapter) == expected
    memo = tmp_path / "cache" / freshness.HASHKEY_FILE
    assert expected in memo.read_text()
    chapter.write_text(CHAPTER.format(prose="Other prose: the code cells are the same."))
    assert freshness.notebook_hashkey(cache, chapter) == expected
    chapter.write_text(CHAPTER.format(prose="x").replace("value()", "value() + 0"))
    changed = freshness.notebook_hashkey(cache, chapter)
    assert changed != expected
    assert changed == cache.create_hashed_notebook(freshness.read_chapter(chapter))[1]
    memo.write_text("not json")  # an unreadable memory is computed again, not trusted
    assert freshness.notebook_hashkey(cache, chapter) == changed


def test_a_chapter_is_parsed_once_then_read_from_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(freshness, "PARSED_DIR", tmp_path / "parsed")
    chapter = tmp_path / "chapter.md"
    chapter.write_text(CHAPTER.format(prose="Some prose."))
    freshness._read_text.cache_clear()
    first = freshness.read_chapter(chapter)
    assert len(list((tmp_path / "parsed").glob("*.json"))) == 1

    def parse(*args, **kwargs):
        raise AssertionError("parsed again")

    monkeypatch.setattr(freshness, "read_myst_markdown_notebook", parse)
    freshness._read_text.cache_clear()  # as in the next process of the build
    again = freshness.read_chapter(chapter)
    assert again == first and again.cells[-1].source == first.cells[-1].source
    chapter.write_text(CHAPTER.format(prose="Other prose."))  # a new text is parsed
    freshness._read_text.cache_clear()
    with pytest.raises(AssertionError, match="parsed again"):
        freshness.read_chapter(chapter)
    freshness._read_text.cache_clear()


def test_every_kernel_computes_with_the_same_instruction_set():
    """On x86-64 a chapter's kernel runs PyTorch at AVX2, whatever the machine offers beyond it,
    and oneDNN is held to it too; elsewhere nothing is set."""
    capped = {"ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA"}
    if platform.machine().lower() not in ("x86_64", "amd64"):
        assert not capped & set(freshness.EXECUTION_ENV)
        return
    assert capped <= set(freshness.EXECUTION_ENV)
    probe = "import torch; print(torch.backends.cpu.get_cpu_capability())"
    env = {**os.environ, **freshness.EXECUTION_ENV}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "AVX2"
