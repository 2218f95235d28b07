"""The book's build command (book/tools/build_book.py): Jupyter Book, ending at once."""

from __future__ import annotations

import subprocess
import sys

from layout import REPO_ROOT

TOOL = REPO_ROOT / "book" / "tools" / "build_book.py"


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=REPO_ROOT)


def test_it_is_jupyter_books_command_line():
    result = subprocess.run([sys.executable, str(TOOL), "build", "--help"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "--keep-going" in result.stdout and "--warningiserror" in result.stdout


def test_a_failed_build_ends_with_a_failing_status_and_says_why(tmp_path):
    result = subprocess.run([sys.executable, str(TOOL), "build", str(tmp_path / "nowhere")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "nowhere" in result.stdout + result.stderr


def test_exit_status_of_each_kind_of_system_exit():
    code = (
        f"import runpy\nexit_status = runpy.run_path({str(TOOL)!r})['exit_status']\n"
        "print([exit_status(SystemExit(c)) for c in (None, 0, 2, 'no such book')])"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == "[0, 0, 2, 1]", result.stdout
    assert "no such book" in result.stderr


def test_no_child_process_outlives_the_build():
    """sphinx-sitemap starts a multiprocessing manager; the quick exit must stop it first, or it
    lingers holding the build's output pipes (a caller reading them never sees their end)."""
    code = (
        f"import multiprocessing, os, runpy\n"
        f"stop = runpy.run_path({str(TOOL)!r})['stop_child_processes']\n"
        "manager = multiprocessing.Manager()\n"
        "pid = manager._process.pid\n"
        "stop()\n"
        "try:\n    os.kill(pid, 0)\n    print('alive')\n"
        "except ProcessLookupError:\n    print('gone', len(multiprocessing.active_children()))\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == "gone 0", result.stdout
