"""One matplotlib style for the whole book, and the plots that many chapters share: training
histories, animations, points coloured by class and a classifier's decision regions."""

from __future__ import annotations

import html
import os
import re
import shutil
import struct
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from tempfile import TemporaryDirectory

import matplotlib.pyplot as plt
import torch
from matplotlib.animation import Animation, HTMLWriter
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from torch import nn

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


# Starts matplotlib's player only when it comes near the screen, so a page loads no frame it
# does not show; without IntersectionObserver it starts at once, as matplotlib's does.
_LAZY_START = """function(element, start) {
      if (!("IntersectionObserver" in window)) { setTimeout(start, 0); return; }
      var observer = new IntersectionObserver(function(entries) {
        if (entries.some(function(e) { return e.isIntersecting; })) {
          observer.disconnect(); start();
        }
      }, {rootMargin: "400px"});
      observer.observe(element);
    }"""
_PLAYER_START = re.compile(
    r"setTimeout\(function\(\) \{\s*(anim\w+ = new Animation\(.*?\);)\s*\}, 0\);", re.S
)


def building_book() -> bool:
    """Whether this run executes chapters for the book's site (``COURSE_BOOK_BUILD=1``, set by
    the build for every kernel it starts) rather than for a reader at a notebook."""
    return os.environ.get("COURSE_BOOK_BUILD") == "1"


def animation_html(
    animation: Animation, *, alt: str, dpi: int = 60, publish_as: str | None = None
) -> str:
    """An accessible HTML/JavaScript player for ``animation``.

    ``alt`` says what the animation shows (screen readers read it for the frame image); the
    frame slider is labelled. A low ``dpi`` keeps the frames small; all have the same size.

    By default the frames are embedded as PNG, so the player works anywhere a notebook is
    shown, with no files beside it. With ``publish_as`` (``"<chapter>/<name>"``), when the book
    is being built, the frames are written as files into the chapter's published folder
    (``book/_generated/<chapter>/<name>/``) and the page loads them only when the player
    comes near the screen: the page stays light. Elsewhere ``publish_as`` changes nothing.
    """
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must describe what the animation shows, e.g. 'The state ...'")
    if publish_as is not None and not re.fullmatch(r"[a-z0-9-]+/[a-z0-9-]+", publish_as):
        raise ValueError(f"publish_as must be '<chapter>/<name>', got {publish_as!r}")
    described = html.escape(alt.strip(), quote=True)
    with plt.rc_context({"savefig.dpi": dpi, "savefig.bbox": "standard"}):
        if publish_as is None or not building_book():
            player = animation.to_jshtml(default_mode="once")
            image = f'<img alt="{described}" id="_anim_img'
        else:
            player, image = _published_player(animation, publish_as, described)
    player = _REMOTE_STYLESHEET.sub("", player)
    player = re.sub(r'<img id="_anim_img', image, player)
    return re.sub(
        r'<input id="_anim_slider', '<input aria-label="Animation frame" id="_anim_slider', player
    )


def _published_player(animation: Animation, publish_as: str, described: str) -> tuple[str, str]:
    """matplotlib's player over frame files in the chapter's published folder, started lazily;
    and the opening of its image tag, showing the first frame (what a printed page shows)."""
    from .embedding_export import book_output_dir

    chapter, name = publish_as.split("/")
    folder = book_output_dir(chapter) / name
    shutil.rmtree(folder, ignore_errors=True)
    url = f"_generated/{chapter}/{name}"  # relative to the chapter's page, book/<chapter>.html
    with TemporaryDirectory() as tmp:
        page = Path(tmp) / "player.html"
        # the frame rate as to_jshtml takes it, from the animation's interval (milliseconds)
        fps = 1000 / getattr(animation, "_interval", 200)
        writer = HTMLWriter(fps=fps, embed_frames=False, default_mode="once")
        animation.save(str(page), writer=writer)
        frames = Path(tmp) / "player_frames"
        shutil.copytree(frames, folder)
        player = page.read_text().replace('"player_frames/frame"', f'"{url}/frame"')
    player = _PLAYER_START.sub(
        lambda m: "(" + _LAZY_START + ")(document.getElementById(img_id).parentElement, "
        "function() { " + m[1] + " });",
        player,
    )
    first = sorted(folder.glob("frame*.png"))[0]
    width, height = _png_size(first)
    image = (
        f'<img alt="{described}" src="{url}/{first.name}" loading="lazy" decoding="async" '
        f'width="{width}" height="{height}" id="_anim_img'
    )
    return player, image


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    return struct.unpack(">II", header[16:24])


def class_colors(n_classes: int) -> list[str]:
    """The first ``n_classes`` colours of the book's colour cycle."""
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return [cycle[k % len(cycle)] for k in range(n_classes)]


def plot_classes(points: torch.Tensor, y: torch.Tensor, ax: Axes | None = None) -> Axes:
    """Scatter the rows of ``points`` ``(N, 2)`` coloured by their class ``y`` ``(N,)``."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    colors = class_colors(int(y.max()) + 1)
    for k, color in enumerate(colors):
        members = points[y == k].cpu().numpy()  # (N_k, 2)
        ax.scatter(members[:, 0], members[:, 1], s=14, color=color, edgecolor="white",
                   linewidth=0.4, label=f"class {k}")
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


@torch.no_grad()
def plot_decision_regions(
    model: nn.Module,
    points: torch.Tensor,
    y: torch.Tensor,
    ax: Axes | None = None,
    *,
    resolution: int = 250,
    margin: float = 0.15,
) -> Axes:
    """Colour the plane by the class ``model`` predicts at each place, with the data on top."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    device = next(model.parameters()).device
    lo = (points.min(dim=0).values.cpu() - margin).tolist()  # [x1_min, x2_min]
    hi = (points.max(dim=0).values.cpu() + margin).tolist()  # [x1_max, x2_max]
    g1, g2 = torch.meshgrid(torch.linspace(lo[0], hi[0], resolution),
                            torch.linspace(lo[1], hi[1], resolution), indexing="xy")  # (R, R)
    grid = torch.stack([g1.flatten(), g2.flatten()], dim=1)  # (R*R, 2)
    was_training = model.training
    model.eval()
    predicted = model(grid.to(device)).argmax(dim=-1).cpu().reshape(g1.shape)  # (R, R)
    model.train(was_training)
    n_classes = int(y.max()) + 1
    cmap = ListedColormap(class_colors(n_classes))
    ax.imshow(predicted.numpy(), origin="lower", extent=(lo[0], hi[0], lo[1], hi[1]),
              cmap=cmap, vmin=-0.5, vmax=n_classes - 0.5, alpha=0.3, interpolation="nearest",
              aspect="equal")
    ax.grid(False)
    plot_classes(points, y, ax)
    return ax
