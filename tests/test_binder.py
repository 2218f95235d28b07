"""The Binder path, locally: a Jupyter server from this environment opens a chapter (.md) as a
notebook through Jupytext, the way Binder's launch link does."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from layout import REPO_ROOT

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyter_server(tmp_path):
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        pytest.skip("jupyter is not installed in this environment")
    port, token = _free_port(), "course-test-token"
    prefix = tmp_path / "prefix"  # stands for Binder's NB_PYTHON_PREFIX
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTER_DATA_DIR=str(tmp_path / "data"),
        NB_PYTHON_PREFIX=str(prefix),
        PATH=f"{jupyter.parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    subprocess.run([str(REPO_ROOT / "binder" / "postBuild")], env=env, cwd=tmp_path, check=True)
    process = subprocess.Popen(
        [
            str(jupyter),
            "server",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            "--allow-root",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={REPO_ROOT}",
            f"--FileCheckpoints.root_dir={tmp_path / 'checkpoints'}",  # not beside the chapters
            # where postBuild put JupyterLab's defaults (on Binder: the prefix's own settings)
            f"--LabApp.app_settings_dir={prefix / 'share' / 'jupyter' / 'lab' / 'settings'}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("the Jupyter server did not start within 60 s")
    yield base, token
    process.terminate()
    process.wait(timeout=20)
    shutil.rmtree(tmp_path / "runtime", ignore_errors=True)


def test_chapter_markdown_opens_as_a_notebook(jupyter_server):
    base, token = jupyter_server
    url = f"{base}/api/contents/book/how-to-use.md?type=notebook&content=1&token={token}"
    with urllib.request.urlopen(url, timeout=30) as response:
        model = json.load(response)
    assert model["type"] == "notebook"
    cells = model["content"]["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code and "from course.notebook import setup" in "".join(c["source"] for c in code)


def test_binder_jupyterlab_asks_nothing_about_news_or_updates(jupyter_server):
    """postBuild installs JupyterLab defaults that turn off the news question and the check
    for updates; the server serves them as the notification settings."""
    base, token = jupyter_server
    url = f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification?token={token}"
    with urllib.request.urlopen(url, timeout=30) as response:
        settings = json.load(response)
    schema = settings["schema"]["properties"]  # overrides become the schema's defaults
    defaults = {name: spec.get("default") for name, spec in schema.items()}
    assert defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False


BINDER_CHAPTER = "book/prereq-linear"  # an admonition with maths, then an imports cell that prints


@pytest.mark.site
def test_the_binder_link_opens_a_rendered_notebook_that_runs(jupyter_server, browser):
    """JupyterLab, from this environment (Binder installs the same requirements), opens the
    chapter by the path of the site's Binder link (``lab/tree/<chapter>.ipynb``, checked in
    test_browser.py): a notebook, not an editor, with its Markdown rendered, that runs."""
    from browser import REPORTS

    base, token = jupyter_server
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.goto(f"{base}/lab/tree/{BINDER_CHAPTER}.ipynb?token={token}", timeout=120_000)
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
        assert page.locator(".jp-FileEditor").count() == 0, "the chapter opened as text"
        # the learning goals: an admonition, rendered as a quote block, with typeset maths
        goals = page.locator(".jp-RenderedMarkdown blockquote").filter(has_text="Learning goals")
        goals.locator("mjx-container").first.wait_for(timeout=60_000)
        markdown = "\n".join(page.locator(".jp-RenderedMarkdown").all_inner_texts())
        assert "{admonition}" not in markdown and "{glue" not in markdown, "raw MyST shown"
        idle = ".jp-Notebook-ExecutionIndicator[data-status='idle']"
        page.wait_for_selector(idle, timeout=120_000)  # the kernel has started
        code_cells = page.locator(".jp-CodeCell")
        for index in (0, 1):  # the install cell, then the chapter's imports and set-up
            code_cells.nth(index).locator(".jp-InputArea-editor").click()
            page.keyboard.press("Control+Enter")
        output = code_cells.nth(1).locator(".jp-OutputArea-output")
        output.filter(has_text="running on").wait_for(timeout=180_000)
        assert page.get_by_text("Jupyter news").count() == 0, "JupyterLab asked about its news"
        output.first.scroll_into_view_if_needed()
        REPORTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(REPORTS / "binder-jupyterlab.png"))
    finally:
        page.close()
