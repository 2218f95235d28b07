"""The generated student notebooks (book/<chapter>.ipynb): present, in sync, installable."""

from __future__ import annotations

import json
import re
from pathlib import Path

import layout
import nbformat
import plain_markdown
import pytest
from layout import REPO_ROOT

import notebooks


def test_every_chapter_has_an_up_to_date_notebook():
    assert notebooks.chapters(), "no executable chapter found in _toc.yml"
    assert notebooks.out_of_date() == [], "run `make notebooks` and commit the result"


def test_first_cell_installs_only_the_course_package():
    for chapter in notebooks.chapters():
        nb = nbformat.read(notebooks.notebook_path(chapter), as_version=4)
        first = nb.cells[0]
        assert first.cell_type == "code"
        assert 'find_spec("course") is None' in first.source
        assert "subdirectory=code" in first.source
        assert "torch" not in first.source, "Colab's own torch must be kept"
        # the one place a student's kernel is told to let idle threads sleep
        assert 'os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")' in first.source
        assert nb.metadata["kernelspec"]["name"] == "python3"


def test_course_package_does_not_pin_torch():
    """On Colab, installing the package must keep the preinstalled torch."""
    text = (REPO_ROOT / "code" / "pyproject.toml").read_text()
    torch_lines = [line for line in text.splitlines() if line.strip().startswith('"torch')]
    assert torch_lines and all("==" not in line for line in torch_lines)


def test_thread_policy_is_set_in_one_place_not_in_chapters():
    for chapter in notebooks.chapters():
        assert "OMP_WAIT_POLICY" not in chapter.read_text(encoding="utf-8"), chapter.name
    assert "OMP_WAIT_POLICY=" in (REPO_ROOT / "binder" / "start").read_text()


@pytest.mark.slow
def test_a_failed_execution_still_names_the_chapters_that_ran_cleanly(tmp_path):
    """After a failing run, execute caches the notebooks that passed: read from nbmake's report."""
    import subprocess
    import sys

    for name, source in [("good", "print(1)"), ("bad", "raise ValueError('broken')")]:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)], metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
    report = tmp_path / "results.xml"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbmake", "-p", "no:cacheprovider", "-o",
         "addopts=", "--rootdir", str(tmp_path), f"--junitxml={report}", "good.ipynb",
         "bad.ipynb"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout
    assert notebooks.passed_notebooks(report) == {"good.ipynb"}
    assert notebooks.passed_notebooks(tmp_path / "missing.xml") == set()


# ---------------------------------------------------------------- glued values


def glued_chapter():
    """A chapter that pastes values, with its committed notebook's text."""
    for chapter in notebooks.chapters():
        if notebooks.pasted_keys(chapter):
            return chapter, notebooks.notebook_path(chapter).read_text(encoding="utf-8")
    raise AssertionError("no chapter pastes a glued value")


def test_check_masks_the_glued_values():
    """A fresh clone has no build: the committed values are not compared, all else is."""
    chapter, text = glued_chapter()
    nb = json.loads(text)
    key = sorted(notebooks.pasted_keys(chapter))[0]
    nb["metadata"]["course"]["glued"] = {key: "'another value'"}
    changed = json.dumps(nb).replace(f"{plain_markdown.PLACEHOLDER}</span>", "42</span>")
    changed = re.sub(r'(<span class=\\"glued\\"[^>]*>)[^<]*', r"\g<1>7", changed)
    assert changed != json.dumps(nb)
    assert notebooks.masked(changed) == notebooks.masked(text)
    edited = json.loads(text)
    markdown = next(c for c in edited["cells"] if c["cell_type"] == "markdown" and c["source"])
    markdown["source"] = ["An edited sentence."]
    assert notebooks.masked(json.dumps(edited)) != notebooks.masked(text)


def test_generate_takes_values_from_the_build_then_the_notebook_else_fails(tmp_path, monkeypatch):
    chapter, _ = glued_chapter()
    keys = sorted(notebooks.pasted_keys(chapter))
    target = tmp_path / "nb.ipynb"
    monkeypatch.setattr(notebooks, "chapters", lambda: [chapter])
    monkeypatch.setattr(notebooks, "notebook_path", lambda c: target)
    monkeypatch.setattr(notebooks, "committed_notebooks", lambda: set())
    build = tmp_path / "build"
    glue_file = build / "jupyter_execute" / f"{notebooks.docname(chapter)}.glue.json"
    glue_file.parent.mkdir(parents=True)

    def write_build(values):
        glue_file.write_text(json.dumps(
            {k: {"data": {"text/plain": v}, "metadata": {}} for k, v in values.items()}
        ))  # fmt: skip

    write_build({key: "1" for key in keys[1:]})  # the build lacks the first key
    with pytest.raises(notebooks.MissingGlueError, match="make book"):
        notebooks.generate([build])
    assert not target.exists()
    write_build({key: "1" for key in keys})
    notebooks.generate([build])
    assert notebooks.committed_glue(chapter) == {key: "1" for key in keys}
    write_build({keys[0]: "2"})  # a later build of part: the rest is carried over
    notebooks.generate([build])
    assert notebooks.committed_glue(chapter) == {key: "2" if key == keys[0] else "1"
                                                 for key in keys}  # fmt: skip
    glue_file.unlink()
    notebooks.generate([build])  # no build at all: the committed values stay
    assert notebooks.committed_glue(chapter)[keys[0]] == "2"


def test_notebooks_for_execution_need_no_build():
    chapter, _ = glued_chapter()
    text = notebooks.student_notebook(chapter, {})
    assert f"{plain_markdown.PLACEHOLDER}</span>" in text
    with pytest.raises(notebooks.MissingGlueError):
        notebooks.student_notebook(chapter, {}, strict=True)


def test_make_book_regenerates_the_notebooks_after_the_build():
    recipe = (REPO_ROOT / "Makefile").read_text().split("\nbook:", 1)[1].split("\n\n", 1)[0]
    assert recipe.index("build_book.py build") < recipe.index("notebooks.py generate")


def test_generate_writes_the_chapters_it_can_before_failing(tmp_path, monkeypatch):
    glued = [c for c in notebooks.chapters() if notebooks.pasted_keys(c)][:2]
    assert len(glued) == 2
    monkeypatch.setattr(notebooks, "chapters", lambda: glued)
    monkeypatch.setattr(notebooks, "notebook_path", lambda c: tmp_path / f"{c.stem}.ipynb")
    monkeypatch.setattr(notebooks, "committed_notebooks", lambda: set())
    build = tmp_path / "build"
    second = glued[1]
    glue_file = build / "jupyter_execute" / f"{notebooks.docname(second)}.glue.json"
    glue_file.parent.mkdir(parents=True)
    glue_file.write_text(json.dumps({k: {"data": {"text/plain": "1"}}
                                     for k in notebooks.pasted_keys(second)}))  # fmt: skip
    with pytest.raises(notebooks.MissingGlueError, match=glued[0].name):
        notebooks.generate([build])
    assert not (tmp_path / f"{glued[0].stem}.ipynb").exists()
    assert (tmp_path / f"{second.stem}.ipynb").is_file()


@pytest.mark.slow
def test_a_notebook_installs_the_course_as_its_first_cell_does_and_runs(tmp_path):
    """A fresh environment without the course package, as on Colab: the notebook's first cell
    installs it with pip from the repository (here a clone of this checkout, offline), and the
    chapter then runs top to bottom."""
    import os
    import subprocess
    import sys
    import sysconfig
    from pathlib import Path

    # An empty environment: seeding pip and setuptools into it took 7 of the test's 22 s, and
    # Python 3.11's setuptools 65 cannot read the package's PEP 639 licence anyway
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c",
                                "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # the course's dependencies (torch, ...) and pip come from this environment, the package
    # does not: a path listed in a .pth file is not a site directory, so its editable install
    # is not seen; pip installs into the environment it runs in
    (site / "course-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    python = str(venv / "bin" / "python")
    probe = "import importlib.util; print(importlib.util.find_spec('course') is None)"
    assert subprocess.run([python, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip() == "True", "course is already importable"
    clone = tmp_path / "repository"
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True,
                   timeout=120)
    branch = subprocess.run(["git", "-C", str(clone), "rev-parse", "--abbrev-ref", "HEAD"],
                            capture_output=True, text=True, check=True).stdout.strip()
    chapter = REPO_ROOT / "book" / "how-to-use.md"
    nb = nbformat.reads(notebooks.student_notebook(chapter), as_version=4)
    install = notebooks.INSTALL_TEMPLATE.format(repository=f"file://localhost{clone}",
                                                branch=branch)
    assert nb.cells[0].source == notebooks.INSTALL_TEMPLATE.format(
        **{k: notebooks.book_config()["repository"][v] for k, v in
           (("repository", "url"), ("branch", "branch"))})
    nb.cells[0].source = install
    path = tmp_path / "how-to-use.ipynb"
    nbformat.write(nb, path)
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0",
           "JUPYTER_DATA_DIR": str(tmp_path / "jupyter"), "OMP_NUM_THREADS": "1"}
    result = subprocess.run([python, "-m", "pytest", "--nbmake", "-p", "no:cacheprovider", "-o",
                             "addopts=", "--rootdir", str(tmp_path), str(path)], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    installed = subprocess.run([python, "-c", "import course; print(course.__file__)"],
                               capture_output=True, text=True, check=True).stdout
    assert installed.startswith(str(site)), installed


def test_a_notebook_is_current_until_what_it_is_made_from_changes(tmp_path, monkeypatch):
    monkeypatch.setattr(notebooks, "NOTEBOOK_KEYS", tmp_path / "keys.json")
    extra = tmp_path / "helper.py"  # stands for one of the course files the notebook includes
    extra.write_text("x = 1\n")
    inputs = notebooks.notebook_inputs
    monkeypatch.setattr(notebooks, "notebook_inputs", lambda chapter: [*inputs(chapter), extra])
    chapter = notebooks.chapters()[0]
    values = notebooks.committed_glue(chapter)

    def key(values=values):
        return notebooks.notebook_key(chapter, values)

    notebook = tmp_path / "nb.ipynb"
    assert not notebooks.is_current(notebook, key())
    notebook.write_text(notebooks.student_notebook(chapter, values))
    assert not notebooks.is_current(notebook, key())  # written, never remembered
    notebooks.remember(notebook, key())
    assert notebooks.is_current(notebook, key())
    assert not notebooks.is_current(notebook, key({**values, "new-key": "1"}))
    extra.write_text("x = 2\n")
    assert not notebooks.is_current(notebook, key())
    notebooks.remember(notebook, key())
    assert notebooks.is_current(notebook, key())
    notebook.write_text(notebook.read_text() + " ")  # edited or checked out by hand
    assert not notebooks.is_current(notebook, key())
    assert layout.PACKAGE_DIR / "claims.py" in inputs(chapter)
    assert chapter in inputs(chapter)


def test_a_label_elsewhere_in_the_book_changes_every_key(monkeypatch):
    chapter = notebooks.chapters()[0]
    before = notebooks.notebook_key(chapter, {})
    book = notebooks.book_index()
    page = next(iter(book.targets.values())).page
    renamed = plain_markdown.Target(page, "renamed", "A renamed section")
    monkeypatch.setitem(book.targets, "some-new-label", renamed)
    assert notebooks.notebook_key(chapter, {}) != before


def test_a_notebook_with_a_placeholder_is_never_remembered(tmp_path, monkeypatch):
    monkeypatch.setattr(notebooks, "NOTEBOOK_KEYS", tmp_path / "keys.json")
    chapter = next(c for c in notebooks.chapters() if notebooks.pasted_keys(c))
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text(notebooks.student_notebook(chapter, {}))  # every value a placeholder
    key = notebooks.notebook_key(chapter, {})
    notebooks.remember(notebook, key)
    assert not notebooks.is_current(notebook, key)


def test_chapters_run_longest_first_by_the_cache_else_by_the_committed_times(
    tmp_path, monkeypatch
):
    committed = tmp_path / "chapter-seconds.json"
    committed.write_text(json.dumps({"a.md": 10, "b.md": 50}), encoding="utf-8")
    a, b, new = Path("book/a.md"), Path("book/b.md"), Path("book/new.md")
    # a fresh clone: no cache, so the committed times order it, and an unknown chapter is first
    assert notebooks.by_expected_time([a, b, new], tmp_path / "no-cache", committed) == [new, b, a]
    # this checkout's own cached times win over the committed ones
    monkeypatch.setattr(notebooks.freshness, "last_execution_seconds", lambda _: {"a.md": 90})
    assert notebooks.by_expected_time([a, b], tmp_path / "cache", committed) == [a, b]
    # an unreadable file orders nothing
    committed.write_text("{not json", encoding="utf-8")
    assert notebooks.expected_seconds(committed) == {}


def test_recorded_times_replace_the_committed_file_whole(tmp_path, monkeypatch):
    committed = tmp_path / "chapter-seconds.json"
    committed.write_text('{"old.md": 1}\n', encoding="utf-8")
    names = [chapter.name for chapter in notebooks.chapters()]
    cached = {name: 10.4 + i for i, name in enumerate(names)}
    monkeypatch.setattr(notebooks.freshness, "last_execution_seconds", lambda _: cached)
    seconds = notebooks.record_seconds(tmp_path / "cache", committed)
    assert json.loads(committed.read_text(encoding="utf-8")) == seconds
    assert seconds == {name: round(cached[name]) for name in names}
    assert [p.name for p in tmp_path.iterdir()] == [committed.name], "a partial file was left"
    # a chapter without a cached time: an error that says what to do, the old file untouched
    monkeypatch.setattr(notebooks.freshness, "last_execution_seconds", lambda _: {})
    with pytest.raises(SystemExit, match="run make book first"):
        notebooks.record_seconds(tmp_path / "cache", committed)
    assert json.loads(committed.read_text(encoding="utf-8")) == seconds
    # a write that fails half-way (a full disk): the old file stays whole, no partial is left
    write_text = Path.write_text

    def write_half(path: Path, text: str, **kwargs) -> int:
        write_text(path, text[: len(text) // 2], **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(notebooks.freshness, "last_execution_seconds", lambda _: cached)
    monkeypatch.setattr(Path, "write_text", write_half)
    with pytest.raises(OSError, match="No space"):
        notebooks.record_seconds(tmp_path / "cache", committed)
    monkeypatch.undo()
    assert json.loads(committed.read_text(encoding="utf-8")) == seconds
    assert [p.name for p in tmp_path.iterdir()] == [committed.name]


def test_every_chapter_has_a_committed_execution_time():
    known = notebooks.expected_seconds()
    missing = [c.name for c in notebooks.chapters() if c.name not in known]
    assert not missing, f"no time for {missing}: run `notebooks.py record-seconds` after make book"
