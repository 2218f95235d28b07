"""The chapter's student notebook in the page's download menu, with this build's values.

Each chapter page's download menu links ``notebooks/<chapter>.ipynb`` in the built site: the
notebook that ``book/tools/notebooks.py`` generates (plain Jupyter Markdown, the chapter's code
cells), written when the site is built, so the values it shows are the ones this build computed
(the committed ``book/<chapter>.ipynb``, which Colab and Binder open, is refreshed by
``make book`` after the build). It replaces the theme's own ``.ipynb`` download, myst-nb's
executed notebook: the chapter's MyST source cut into cells, directives and roles as raw text,
which Jupyter cannot render, under new random cell ids at each build. A notebook is written
again only when what it is made from changed (``notebooks.is_current`` compares content, not
times), so a rebuild without changes writes none. The exercise sheet (``hide_solutions``)
offers no notebooks: they hold the solutions.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from layout import REPO_ROOT
from sphinx.application import Sphinx
from sphinx.util import logging

sys.path.insert(0, str(REPO_ROOT / "book" / "tools"))
import notebooks  # the generator of the student notebooks

LOGGER = logging.getLogger(__name__)
SITE_FOLDER = "notebooks"  # inside the built site
THEME_NOTEBOOK = "download-notebook-button"  # sphinx-book-theme's link to _sources/<page>.ipynb


def chapter_notebooks(app: Sphinx) -> dict[str, Path]:
    """Docname -> source of every executable chapter of the book being built."""
    if not hasattr(app, "course_chapter_notebooks"):
        if app.config.hide_solutions:  # the exercise sheet: its notebooks would hold them
            app.course_chapter_notebooks = {}  # type: ignore[attr-defined]
            return {}
        built = app.env.found_docs  # a one-page build (pagebook.py) builds one chapter
        found = {notebooks.docname(c): c for c in notebooks.chapters()}
        found = {name: chapter for name, chapter in found.items() if name in built}
        app.course_chapter_notebooks = found  # type: ignore[attr-defined]
    return app.course_chapter_notebooks  # type: ignore[attr-defined]


def add_notebook_link(app: Sphinx, pagename: str, templatename: str, context: dict,
                      doctree: Any) -> None:
    """Offer the chapter's notebook in the download menu of its page, instead of the theme's
    (which the exercise sheet does not offer either: it holds the solutions)."""
    buttons, pathto = context.get("header_buttons"), context.get("pathto")
    if buttons is None or pathto is None:
        return
    downloads = next((b for b in buttons if b.get("label") == "download-buttons"), None)
    if downloads is None:
        return
    entries = [b for b in downloads.get("buttons", []) if b.get("label") != THEME_NOTEBOOK]
    downloads["buttons"] = entries
    if pagename not in chapter_notebooks(app):
        return
    entries.insert(0, {
        "type": "link",
        "url": pathto(f"{SITE_FOLDER}/{Path(pagename).name}.ipynb", 1),
        "text": "Notebook (.ipynb)",
        "tooltip": "Download this chapter as a notebook, to run it in Jupyter or Colab",
        "icon": "fas fa-code",
        "label": "course-notebook",
    })


def write_notebooks(app: Sphinx, exception: Exception | None) -> None:
    """Write each chapter's notebook into the site, with the values of this build."""
    if exception is not None or app.builder.format != "html":
        return
    build = Path(app.outdir).parent
    folder = Path(app.outdir) / SITE_FOLDER
    # the theme's copies of the executed notebooks, which no page links any more (the sources
    # of the book are Markdown, so every notebook there is one)
    for copy in (Path(app.outdir) / "_sources").rglob("*.ipynb"):
        copy.unlink()
    for docname, chapter in chapter_notebooks(app).items():
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{Path(docname).name}.ipynb"
        values = notebooks.built_glue(chapter, [build])
        key = notebooks.notebook_key(chapter, values)
        if notebooks.is_current(target, key):
            continue
        try:
            text = notebooks.student_notebook(chapter, values, strict=True)
        except notebooks.MissingGlueError as error:
            LOGGER.warning("%s: the notebook for download lacks values: %s", docname, error)
            continue
        target.write_text(text, encoding="utf-8")
        notebooks.remember(target, key)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", add_notebook_link, priority=600)
    app.connect("build-finished", write_notebooks)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
