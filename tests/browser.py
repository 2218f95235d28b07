"""What the browser tests share: the built site served like GitHub Pages, and a real Chromium.

The browser is the system's Chromium (``apt-get install chromium``), driven by Playwright;
Playwright never downloads one. Without a browser the tests are skipped with a message that
says how to install one; under ``make test`` (``COURSE_STRICT=1``) that skip is a failure.
The fixtures ``site_url`` and ``browser`` are in ``conftest.py``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from layout import REPO_ROOT

import notebooks

SITE = REPO_ROOT / "_build" / "html"
NODE_MODULES = REPO_ROOT / ".node" / "node_modules"
REPORTS = REPO_ROOT / "_build" / "reports"
# folders of the built site that hold assets and sources, not pages
NOT_PAGES = {"_static", "_sources", "_images", "_downloads", "jupyter_execute", "papers", "pdf"}


import print_pdf  # noqa: E402

BROWSER_ARGS = print_pdf.CHROMIUM_ARGS



def missing(message: str) -> None:
    """Skip with ``message`` (a failure in strict runs, see ``conftest.py``)."""
    pytest.skip(message)


def chromium_path() -> str | None:
    """The system Chromium, found as the PDF printer finds it (``COURSE_CHROMIUM``, else the
    PATH); None when there is none."""
    try:
        return print_pdf.find_chromium()
    except print_pdf.SetupError:
        return None


def built_pages(site: Path = SITE) -> list[str]:
    """Every HTML page of the built site, as paths relative to the site root."""
    pages = []
    for path in sorted(site.rglob("*.html")):
        relative = path.relative_to(site)
        folder = relative.parts[0] if len(relative.parts) > 1 else ""
        if folder in NOT_PAGES or folder.startswith("v"):
            continue  # published older versions live in v*/ folders beside the latest
        pages.append(relative.as_posix())
    return pages


def launch_urls(docname: str) -> tuple[str, str]:
    """The Binder and Colab addresses that open the student notebook of chapter ``docname``
    (``book/hopfield``): the repository holds it beside the chapter's source."""
    url = notebooks.book_config()["repository"]["url"]
    repo = url.removeprefix("https://github.com/").strip("/")
    return (
        f"https://mybinder.org/v2/gh/{repo}/main?urlpath=lab/tree/{docname}.ipynb",
        f"https://colab.research.google.com/github/{repo}/blob/main/{docname}.ipynb",
    )


def is_local(url: str, server_url: str) -> bool:
    """Whether a request goes to the test server (or is inline data)."""
    if url.startswith(("data:", "blob:", "about:")):
        return True
    return urlsplit(url).netloc == urlsplit(server_url).netloc


class PageWatch:
    """Records what goes wrong while a page loads: console errors, failed or off-host requests."""

    def __init__(self, page, server_url: str) -> None:
        self.problems: list[str] = []
        self.finished: list = []  # every request that completed, for the page's weight
        self.server_url = server_url
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)
        page.on("requestfinished", lambda request: self.finished.append(request))
        page.route("**/*", self._route)

    def transferred_bytes(self) -> int:
        """Bytes that came over the network for the page so far (compressed bodies, headers)."""
        sizes = [request.sizes() for request in self.finished]
        return sum(s["responseBodySize"] + s["responseHeadersSize"] for s in sizes)

    def _console(self, message) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def _failed(self, request) -> None:
        if is_local(request.url, self.server_url):
            self.problems.append(f"request failed: {request.url} ({request.failure})")

    def _response(self, response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def _route(self, route) -> None:
        url = route.request.url
        if is_local(url, self.server_url):
            route.continue_()
        else:  # the site must work offline: nothing may leave the machine
            self.problems.append(f"off-host request: {url}")
            route.abort()


def open_page(browser, url: str, server_url: str, wait_until: str = "networkidle",
              **context_options):
    """A new page in a fresh context, watched, loaded until ``wait_until`` (by default until
    the network is idle)."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    watch = PageWatch(page, server_url)
    page.goto(url, wait_until=wait_until)
    return page, watch
