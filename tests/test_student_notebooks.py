"""The generated student notebooks (book/<chapter>.ipynb): present, in sync, installable."""

from __future__ import annotations

import nbformat
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
