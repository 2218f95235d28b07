"""The source's version from git, for the page footers, the PDF and the version switcher."""

from __future__ import annotations

import subprocess
from pathlib import Path

from layout import REPO_ROOT


def _run_git(args: tuple[str, ...], cwd: Path) -> str | None:
    """The stripped output of ``git <args>`` in ``cwd`` ("" when it prints nothing); None when
    git is missing or fails (outside a checkout, say)."""
    try:
        out = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def git(*args: str, cwd: Path = REPO_ROOT) -> str | None:
    """The stripped output of ``git <args>`` in ``cwd``; None outside a checkout, on error or
    when it prints nothing."""
    return _run_git(args, cwd) or None


def describe(
    cwd: Path = REPO_ROOT, dirty: bool = True, ignore: tuple[str, ...] = ()
) -> str | None:
    """``git describe --tags --always``: the nearest tag and commits since; with ``dirty``,
    "-dirty" after it when a tracked file differs from the commit, files matching the
    pathspecs ``ignore`` aside (files the build itself rewrites, say). When ``git status``
    fails, nothing vouches for the checkout being clean, so it is called dirty too."""
    label = git("describe", "--tags", "--always", cwd=cwd)
    if label is None or not dirty:
        return label
    excluded = [f":(exclude){pattern}" for pattern in ignore]
    changed = _run_git(("status", "--porcelain", "--untracked-files=no", "--", ".", *excluded),
                       cwd)
    return f"{label}-dirty" if changed is None or changed else label
