"""The exercise sheet, for instructors: ``python book/tools/exercise_sheet.py`` (``make sheet``).

Builds the whole book without the solutions of its exercises into ``_build/exercises/``, with
sphinx-exercise's own ``hide_solutions`` switch (``book/_ext/course_exercises.py`` makes it hide
the solutions that hold code cells too). Chapters are not executed again: the build shows the
book's cached executions, so run ``make book`` (or ``make execute``) first.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))  # the build's modules
sys.path.insert(0, str(Path(__file__).resolve().parent))
from layout import REPO_ROOT
from pagebook import build, relocated_config

OUT = REPO_ROOT / "_build" / "exercises"


def sheet_config() -> dict:
    """The book's configuration with solutions hidden and the book's execution cache."""
    config = relocated_config()
    config["title"] = f"{config['title']}: exercises"
    config["sphinx"]["config"]["hide_solutions"] = True
    config["execute"]["cache"] = str(REPO_ROOT / config["execute"]["cache"])
    return config


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    config_file = OUT / "_config.yml"
    config_file.write_text(yaml.safe_dump(sheet_config()), encoding="utf-8")
    status = build(REPO_ROOT / "_toc.yml", config_file, OUT)
    print(f"exercise sheet: {OUT / '_build' / 'html' / 'index.html'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
