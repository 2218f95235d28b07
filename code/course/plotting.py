"""One matplotlib style for the whole book, and the plots that many chapters share."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from importlib import resources

import matplotlib.pyplot as plt
from matplotlib.animation import Animation
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


# matplotlib's player links Font Awesome 4 from a CDN for its button icons; the book serves
# Font Awesome itself, so the link is dropped and the page loads nothing from another host.
_REMOTE_STYLESHEET = re.compile(r"<link[^>]*href=[\"']https?://[^>]*>\s*", re.IGNORECASE)


def animation_html(animation: Animation, *, alt: str, dpi: int = 60) -> str:
    """A self-contained, accessible HTML/JavaScript player for ``animation``.

    Frames are embedded as PNG, so it plays in a static page with no network. ``alt`` says what
    the animation shows (screen readers read it for the frame image); the frame slider is
    labelled. A low ``dpi`` keeps the page small; every frame is saved at the same size.
    """
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must describe what the animation shows, e.g. 'The state ...'")
    with plt.rc_context({"savefig.dpi": dpi, "savefig.bbox": "standard"}):
        player = animation.to_jshtml(default_mode="once")
    player = _REMOTE_STYLESHEET.sub("", player)
    described = html.escape(alt.strip(), quote=True)
    player = re.sub(r'<img id="_anim_img', f'<img alt="{described}" id="_anim_img', player)
    return re.sub(
        r'<input id="_anim_slider', '<input aria-label="Animation frame" id="_anim_slider', player
    )
