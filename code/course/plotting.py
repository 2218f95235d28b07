"""One matplotlib style for the whole book, and the plots that many chapters share."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from .training import History

STYLE_FILE = "course.mplstyle"


def use_course_style() -> None:
    """Apply the book's matplotlib style to every figure drawn after this call."""
    with resources.as_file(resources.files(__package__) / STYLE_FILE) as path:
        plt.style.use(str(path))


def plot_history(
    history: History,
    keys: Sequence[str] = ("train_loss", "val_loss"),
    ax: Axes | None = None,
    *,
    logy: bool = False,
    label_prefix: str = "",
) -> Axes:
    """Plot the per-epoch curves ``keys`` of ``history`` (keys it lacks are skipped)."""
    present = [k for k in keys if k in history]
    if not present:
        raise KeyError(f"none of {list(keys)} in history; it has {sorted(history.metrics)}")
    if ax is None:
        _, ax = plt.subplots()
    epochs = range(1, len(history) + 1)
    for key in present:
        ax.plot(epochs, history[key], label=f"{label_prefix}{key.replace('_', ' ')}")
    ax.set_xlabel("epoch")
    if logy:
        ax.set_yscale("log")
    ax.legend()
    return ax
