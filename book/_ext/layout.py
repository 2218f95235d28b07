"""Where things are in the repository, and the book's table of contents: each named once.

Every part of the build (the Sphinx extensions, the command-line tools, the tests) takes the
repository's root and the list of chapters from here.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
TOC_FILE = REPO_ROOT / "_toc.yml"
CONFIG_FILE = REPO_ROOT / "_config.yml"
PACKAGE_DIR = REPO_ROOT / "code" / "course"
STATIC_DIR = REPO_ROOT / "book" / "_static"  # the book's own static files, copied to _static/


def read_json(path: Path) -> Any:
    """The JSON value in ``path``; an empty dict when the file is missing or unreadable (a
    record or cache not written yet, or cut short: whoever reads it works it out again)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` through a partial file beside it and a rename:
    a reader finds the old file or the new one, never half of one, and a failed write leaves no
    partial file. The partial's name carries the process and thread, so that writers running
    at once do not write into the same one."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    try:
        if isinstance(data, bytes):
            partial.write_bytes(data)
        else:
            partial.write_text(data, encoding="utf-8")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def glue_file(build: Path, docname: str) -> Path:
    """Where myst-nb keeps the values page ``docname`` glued, in the build folder ``build``
    (the folder above the HTML output)."""
    return build / "jupyter_execute" / f"{docname}.glue.json"


@dataclass(frozen=True)
class Chapter:
    """One page of the book, in ``_toc.yml`` order."""

    docname: str  # e.g. "book/gpt"
    part: str | None  # the part's caption; None for the root page and part-less chapters
    number: int  # 1-based position in the book

    @property
    def html_path(self) -> str:
        """The page's path inside the built site."""
        return f"{self.docname}.html"

    @property
    def pdf_name(self) -> str:
        """The file name of the chapter's own PDF."""
        return f"{Path(self.docname).name}.pdf"

    def source(self, root: Path = REPO_ROOT) -> Path:
        """The chapter's MyST Markdown source."""
        return root / f"{self.docname}.md"


def _docname(entry: Any, where: str) -> str:
    if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
        raise ValueError(f"{where}: expected an entry with 'file', got {entry!r}")
    return re.sub(r"\.(md|ipynb|rst)$", "", entry["file"].strip().strip("/"))


def _flatten(entries: Any, part: str | None, where: str) -> list[tuple[str, str | None]]:
    if not isinstance(entries, list):
        raise ValueError(f"{where}: expected a list of chapters, got {entries!r}")
    found = []
    for entry in entries:
        found.append((_docname(entry, where), part))
        found += _flatten(entry.get("sections", []), part, where)
    return found


def toc_chapters(toc: dict[str, Any]) -> list[Chapter]:
    """The book's pages in reading order, from a parsed ``_toc.yml`` (jb-book format)."""
    if not isinstance(toc, dict) or not isinstance(toc.get("root"), str):
        raise ValueError("the table of contents has no 'root' page")
    pages: list[tuple[str, str | None]] = [(_docname({"file": toc["root"]}, "root"), None)]
    if "parts" in toc:
        for index, part in enumerate(toc["parts"] or []):
            caption = part.get("caption") or f"Part {index + 1}"
            pages += _flatten(part.get("chapters"), caption, f"part {caption!r}")
    else:
        pages += _flatten(toc.get("chapters", []), None, "chapters")
    names = [Path(name).name for name, _ in pages]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"pages share a file name, so their PDFs would clash: {duplicates}")
    return [Chapter(name, part, i + 1) for i, (name, part) in enumerate(pages)]


def read_toc(path: Path = TOC_FILE) -> list[Chapter]:
    """The book's pages in reading order, from ``_toc.yml`` (FileNotFoundError if absent)."""
    if not path.is_file():
        raise FileNotFoundError(f"no table of contents at {path}")
    return toc_chapters(yaml.safe_load(path.read_text(encoding="utf-8")))
