"""Build one chapter alone, warnings as errors: ``python book/tools/pagebook.py book/x.md``.

For authors: a quick check of a single page without building the whole book. The page is built
with the bibliography (so citations resolve) into ``_build/pages/<name>/``. A reference to a
label of another chapter cannot resolve in a one-page book; that warning alone is let through
(and counted), since ``make book`` checks those references. Every other warning fails the build.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))  # the build's modules
from layout import REPO_ROOT

import notebooks  # book/tools, beside this file


def relocated_config(drafts: bool = False) -> dict:
    """The book's ``_config.yml`` with absolute paths, for a config file kept elsewhere (with
    ``drafts``, the authors' draft bibliographies in references/drafts/ resolve too)."""
    config = yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["bibtex_bibfiles"] = [str(REPO_ROOT / f) for f in config["bibtex_bibfiles"]]
    if drafts:
        found = sorted((REPO_ROOT / "references" / "drafts").glob("*.bib"))
        config["bibtex_bibfiles"] += [str(d) for d in found]
    config["sphinx"]["local_extensions"] = {
        name: str(REPO_ROOT / path) for name, path in config["sphinx"]["local_extensions"].items()
    }
    return config


UNDEFINED_LABEL = re.compile(r"WARNING: undefined label: '(?P<label>[^']+)'")
WARNING = re.compile(r"WARNING:|ERROR:|CRITICAL:")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def labels_elsewhere(page: Path) -> set[str]:
    """The labels the book's other pages define (sections, figures, exercises, theorems,
    equations), from the index the student notebooks' links are made from."""
    book = notebooks.book_index()
    here = notebooks.docname(page)
    kinds = (book.targets, book.figures, book.proofs, book.equations)
    return {label for kind in kinds for label, target in kind.items() if target.page != here}


def failing_warnings(lines: Iterable[str], elsewhere: set[str]) -> tuple[list[str], int]:
    """The warning lines that fail a one-page build, and how many were let through because they
    name a label of another page."""
    failing, let_through = [], 0
    for line in lines:
        line = ANSI.sub("", line)
        if not WARNING.search(line):
            continue
        undefined = UNDEFINED_LABEL.search(line)
        if undefined and undefined["label"] in elsewhere:
            let_through += 1
        else:
            failing.append(line.rstrip())
    return failing, let_through


def build(toc: Path, config_file: Path, out: Path, page: Path | None = None) -> int:
    """Build the book of ``toc`` with ``config_file`` into ``out``: status 1 on any warning
    other than, in a one-page build of ``page``, a reference to another page's label (a whole
    book, ``page`` None, has every label, so every warning fails it)."""
    command = [
        sys.executable,
        str(Path(__file__).with_name("build_book.py")),
        "build",
        str(REPO_ROOT),
        "--toc",
        str(toc),
        "--config",
        str(config_file),
        "--path-output",
        str(out),
        "-n",
        "--keep-going",
    ]
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines = []
    for line in process.stdout:  # type: ignore[union-attr]
        sys.stdout.write(line)
        lines.append(line)
    status = process.wait()
    elsewhere = labels_elsewhere(page) if page is not None else set()
    failing, let_through = failing_warnings(lines, elsewhere)
    if let_through:
        print(f"{let_through} reference(s) to other chapters left unresolved in this one-page "
              "build (make book checks them)")
    if failing:
        print(f"{len(failing)} warning(s), which fail the build:", *failing, sep="\n  ")
    return status or int(bool(failing))


def main(page: str) -> int:
    source = (REPO_ROOT / page).resolve()
    if not source.is_file() or source.suffix != ".md":
        print(f"{page} is not a chapter (.md) file", file=sys.stderr)
        return 2
    name = source.stem
    out = REPO_ROOT / "_build" / "pages" / name
    out.mkdir(parents=True, exist_ok=True)
    toc = out / "_toc.yml"
    entry = source.relative_to(REPO_ROOT).with_suffix("").as_posix()
    toc.write_text(
        f"format: jb-book\nroot: {entry}\nchapters:\n  - file: book/bibliography\n"
        "  - file: book/papers\n",
        encoding="utf-8",
    )
    config_file = out / "_config.yml"
    config_file.write_text(yaml.safe_dump(relocated_config(drafts=True)), encoding="utf-8")
    status = build(toc, config_file, out, source)
    print(f"page: {out / '_build' / 'html' / (entry + '.html')}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]) if len(sys.argv) == 2 else 2)
