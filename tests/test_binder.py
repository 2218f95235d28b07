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
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTER_DATA_DIR=str(tmp_path / "data"),
    )
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
