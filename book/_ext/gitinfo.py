"""The source's version from git, for the page footers, the PDF and the version switcher."""

from __future__ import annotations

import subprocess
from pathlib import Path

from layout import REPO_ROOT


def git(*args: str, cwd: Path = REPO_ROOT) -> str | None:
    """The stripped output of ``git <args>`` in ``cwd``; None outside a checkout or on error."""
    try:
        out = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def describe(cwd: Path = REPO_ROOT, dirty: bool = True) -> str | None:
    """``git describe --tags --always [--dirty]``: the nearest tag, commits since and, with
    ``dirty``, whether the working tree has uncommitted changes."""
    return git("describe", "--tags", "--always", *(["--dirty"] if dirty else []), cwd=cwd)
