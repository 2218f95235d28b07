"""``jupyter-book``, ending at once: ``python book/tools/build_book.py build . -W -n
--keep-going`` does what ``jupyter-book build . -W -n --keep-going`` does.

When the build is over, every file it writes is closed, so the process ends at once instead of
tearing down Sphinx's objects one by one (1.4 s of a rebuild). Ending at once skips the clean-up
of child processes, so the one that sphinx-sitemap starts (a multiprocessing manager for its list
of pages) is stopped first; otherwise it would outlive the build, holding its output pipes open.
"""

from __future__ import annotations

import multiprocessing
import os
import sys

from jupyter_book.cli.main import main


def exit_status(done: SystemExit) -> int:
    """The process status a :class:`SystemExit` stands for (a message is printed, status 1)."""
    if done.code is None or isinstance(done.code, int):
        return done.code or 0
    print(done.code, file=sys.stderr)
    return 1


def stop_child_processes(timeout: float = 5.0) -> None:
    """Stop the multiprocessing children still running (sphinx-sitemap's manager), and wait."""
    for child in multiprocessing.active_children():
        child.terminate()
        child.join(timeout)


if __name__ == "__main__":
    try:
        status = main()
    except SystemExit as done:
        status = exit_status(done)
    stop_child_processes()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status or 0)
