"""Build one chapter alone, warnings as errors: ``python book/tools/pagebook.py book/x.md``.

For authors: a quick check of a single page without building the whole book. The page is built
with the bibliography (so citations resolve) into ``_build/pages/<name>/``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))  # the build's modules
from layout import REPO_ROOT


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


def build(toc: Path, config_file: Path, out: Path) -> int:
    """Build the book of ``toc`` with ``config_file`` into ``out``, warnings as errors."""
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
        "-W",
        "-n",
        "--keep-going",
    ]
    return subprocess.run(command, cwd=REPO_ROOT).returncode


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
    status = build(toc, config_file, out)
    print(f"page: {out / '_build' / 'html' / (entry + '.html')}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]) if len(sys.argv) == 2 else 2)
