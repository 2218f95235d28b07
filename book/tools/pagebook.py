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
    # authors' draft bibliographies resolve too; this config lives elsewhere, so paths are absolute
    config = yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))
    drafts = sorted((REPO_ROOT / "references" / "drafts").glob("*.bib"))
    config["bibtex_bibfiles"] = [str(REPO_ROOT / f) for f in config["bibtex_bibfiles"]]
    config["bibtex_bibfiles"] += [str(d) for d in drafts]
    config["sphinx"]["local_extensions"] = {
        name: str(REPO_ROOT / path) for name, path in config["sphinx"]["local_extensions"].items()
    }
    config_file = out / "_config.yml"
    config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
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
    result = subprocess.run(command, cwd=REPO_ROOT)
    print(f"page: {out / '_build' / 'html' / (entry + '.html')}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]) if len(sys.argv) == 2 else 2)
