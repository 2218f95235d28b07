"""A one-page Jupyter Book built in a temporary folder, as ``make book`` builds (warnings and
cell errors are errors), for tests of the build's extensions and checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from layout import REPO_ROOT

FRONT_MATTER = """---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  name: python3
  display_name: Python 3
---
"""


def build_one_page(folder: Path, body: str, sphinx_yaml: str = "",
                   config_yaml: str = "") -> subprocess.CompletedProcess:
    """Build ``folder/book/page.md`` (front matter, then ``body``), executed afresh;
    ``config_yaml`` goes under the config's ``sphinx: config:``, ``sphinx_yaml`` under
    ``sphinx:`` (both as YAML lines indented for their place)."""
    book = folder / "book"
    book.mkdir()
    (book / "page.md").write_text(FRONT_MATTER + body, encoding="utf-8")
    (book / "_toc.yml").write_text("format: jb-book\nroot: page\n", encoding="utf-8")
    (book / "_config.yml").write_text(
        "title: one page\nexecute:\n  execute_notebooks: force\n"
        "sphinx:\n  config:\n    nb_execution_raise_on_error: true\n" + config_yaml
        + sphinx_yaml,
        encoding="utf-8")
    tool = REPO_ROOT / "book" / "tools" / "build_book.py"
    return subprocess.run([sys.executable, str(tool), "build", str(book), "-W", "-n",
                           "--keep-going"], capture_output=True, text=True, timeout=300)


def built_page(folder: Path) -> Path:
    """Where :func:`build_one_page` writes the page's HTML."""
    return folder / "book" / "_build" / "html" / "page.html"
