"""Shared fixtures: the repository's paths and a clean data environment for each test.

Under ``make test`` (``COURSE_STRICT=1``, as in CI) a skipped test is reported as a failure
with its reason: every test there is one the suite needs, so a missing browser, data mirror or
built site must fail the run, not thin it silently. ``make unit`` and ``make quick`` skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings
from layout import REPO_ROOT

# Property tests draw the same examples on every run (seeded, like everything else), and a slow
# example on a loaded machine is not a failure: speed is the benchmarks' business.
settings.register_profile("course", derandomize=True, deadline=None)
settings.load_profile("course")

SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def mirror() -> Path:
    """The read-only data mirror (COURSE_DATA_MIRROR if set, else ../shared)."""
    path = Path(os.environ.get("COURSE_DATA_MIRROR") or SHARED)
    if not (path / "datasets").is_dir():
        pytest.skip(f"no data mirror at {path}; set COURSE_DATA_MIRROR")
    return path


@pytest.fixture
def isolated_data(tmp_path, monkeypatch) -> Path:
    """A fresh, empty cache and no mirror: what a new machine sees."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("COURSE_DATA_DIR", str(cache))
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)
    return cache


# ---------------------------------------------------------------------------------------
# The built site in a browser (tests/browser.py)
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def site_url() -> str:
    from browser import SITE
    from serve import SiteServer

    if not (SITE / "index.html").is_file():
        pytest.skip("no built site: run `make book` first")
    with SiteServer(SITE) as server:
        yield server.url


@pytest.fixture(scope="session")
def browser():
    from browser import BROWSER_ARGS, chromium_path, missing

    executable = chromium_path()
    if executable is None:
        missing(
            "no Chromium found: install one with `apt-get install chromium` "
            "(or set COURSE_CHROMIUM to a Chromium or Chrome binary) to run the browser tests"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is not installed: run `make test` (it installs requirements.txt)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=BROWSER_ARGS)
        yield launched
        launched.close()


# ---------------------------------------------------------------------------------------
# Strict runs: no test may skip
# ---------------------------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    strict = os.environ.get("COURSE_STRICT") == "1"
    if strict and report.skipped and not hasattr(report, "wasxfail"):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under COURSE_STRICT=1, where every test must run: {reason}"


@pytest.fixture
def example_toc() -> dict:
    """A small table of contents in Jupyter Book's format: two parts, a nested section."""
    return {
        "format": "jb-book",
        "root": "book/intro",
        "parts": [
            {"caption": "Basics", "chapters": [{"file": "book/a.md"}, {"file": "book/b"}]},
            {
                "caption": "Labs",
                "chapters": [{"file": "book/c", "sections": [{"file": "book/c-extra"}]}],
            },
        ],
    }
