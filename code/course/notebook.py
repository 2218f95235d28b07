"""What every chapter calls: :func:`setup` at the top (style, seeds and device), and
:func:`results_table` to show a table of results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from .device import get_device
from .plotting import use_course_style
from .seeding import seed_everything

if TYPE_CHECKING:  # IPython comes with Jupyter; the package does not need it otherwise
    from IPython.display import Markdown


def setup(seed: int = 0, device: str = "auto") -> torch.device:
    """Apply the book's plot style, seed every random source, and return the device to use."""
    use_course_style()
    seed_everything(seed)
    return get_device(device)


def results_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> Markdown:
    """A table of results as Markdown, which the book and Jupyter render: a header row, then
    ``rows``. Cells are converted with ``str``, so format numbers before passing them in."""
    from IPython.display import Markdown

    if any(len(row) != len(header) for row in rows):
        raise ValueError(f"every row needs {len(header)} cells, one per column of the header")

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(map(cell, header)) + " |"]
    lines.append("|" + "|".join(" --- " for _ in header) + "|")
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
    return Markdown("\n".join(lines))
