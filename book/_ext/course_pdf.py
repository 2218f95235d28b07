"""Links to the book's PDF: in the header of every page, and the chapter's own PDF in the
download menu of chapter pages; and ``course-print.css`` (print media: code wraps, figures are
not split, buttons are hidden). The PDFs are printed after the build by
``book/tools/print_pdf.py``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from layout import STATIC_DIR, read_toc

PRINT_CSS = "course-print.css"
SCREEN_CSS = "course-pdf.css"
PDF_DIR = "pdf"  # inside the built site


def slugify(title: str) -> str:
    """``"From Foundations to Transformers"`` -> ``"from-foundations-to-transformers"``."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if not slug:
        raise ValueError(f"cannot make a file name from the title {title!r}")
    return slug


# ---------------------------------------------------------------------------------------
# Sphinx: the links to the PDFs and the print style sheet
# ---------------------------------------------------------------------------------------


def _add_static_path(app: Any, config: Any) -> None:
    if str(STATIC_DIR) not in [str(p) for p in config.html_static_path]:
        config.html_static_path.append(str(STATIC_DIR))


def _toc_docnames(app: Any) -> set[str]:
    toc_path = Path(getattr(app.config, "external_toc_path", "") or "_toc.yml")
    if not toc_path.is_absolute():
        toc_path = Path(app.srcdir) / toc_path
    try:
        return {chapter.docname for chapter in read_toc(toc_path)}
    except (OSError, ValueError):
        return set()


def add_pdf_links(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Link the book's PDF from the header and the chapter's PDF from the download menu."""
    buttons = context.get("header_buttons")
    pathto = context.get("pathto")
    if buttons is None or pathto is None:
        return
    title = app.config.html_title or app.config.project
    book_url = pathto(f"{PDF_DIR}/{slugify(title)}.pdf", 1)
    book_button = {
        "type": "link",
        "url": book_url,
        "text": "Book PDF",
        "tooltip": "Download the whole book as a PDF",
        "icon": "fas fa-book",
        "label": "course-book-pdf",
        "classes": "pst-navbar-icon course-pdf-link",
    }
    downloads = next((b for b in buttons if b.get("label") == "download-buttons"), None)
    position = buttons.index(downloads) if downloads is not None else len(buttons)
    buttons.insert(position, book_button)
    if downloads is None:
        return
    if not hasattr(app, "course_pdf_chapters"):
        app.course_pdf_chapters = _toc_docnames(app)
    entries = downloads.setdefault("buttons", [])
    if pagename in app.course_pdf_chapters:
        entries.append(
            {
                "type": "link",
                "url": pathto(f"{PDF_DIR}/{Path(pagename).name}.pdf", 1),
                "text": "Chapter PDF",
                "tooltip": "Download this chapter as a PDF",
                "icon": "fas fa-file-pdf",
                "label": "course-chapter-pdf",
            }
        )
    # the menu passes its own classes and tooltip placement to each entry
    menu_entry = {k: v for k, v in book_button.items() if k not in ("classes", "tooltip_placement")}
    entries.append({**menu_entry, "label": "course-book-pdf-menu"})


def setup(app: Any) -> dict[str, Any]:
    """Register the print style sheet and the links to the PDFs."""
    app.connect("config-inited", _add_static_path)
    app.add_css_file(SCREEN_CSS)
    app.add_css_file(PRINT_CSS, media="print")
    app.connect("html-page-context", add_pdf_links, priority=600)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
