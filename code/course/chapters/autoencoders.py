"""The autoencoders lab (``book/autoencoders.md``): its pictures of images and codes, and the
comparison of inpainting methods on holes of several sizes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from ..autoencoders import IMAGE_SHAPE
from ..image_metrics import masked_mse
from ..inpainting import apply_mask, square_masks


def plot_image_rows(
    rows: Mapping[str, torch.Tensor],
    *,
    column_titles: Sequence[str] | None = None,
    cell_size: float = 0.75,
) -> Figure:
    """A grid of grey images: one labelled row per entry of ``rows`` (each ``(n, H, W)`` or
    ``(n, H * W)``, values in ``[0, 1]``), all rows the same length ``n``."""
    lengths = {len(images) for images in rows.values()}
    if len(lengths) != 1:
        raise ValueError(f"every row needs the same number of images, got {sorted(lengths)}")
    n = lengths.pop()
    fig, axes = plt.subplots(
        len(rows), n, figsize=(cell_size * n + 1.2, cell_size * len(rows)), squeeze=False
    )
    for r, (label, images) in enumerate(rows.items()):
        pictures = images.detach().cpu().reshape(n, *IMAGE_SHAPE).clamp(0, 1).numpy()
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(pictures[c], cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if r == 0 and column_titles is not None:
                ax.set_title(column_titles[c], fontsize=8)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.subplots_adjust(wspace=0.05, hspace=0.05)
    return fig


def plot_codes_2d(points: torch.Tensor, labels: np.ndarray | torch.Tensor, ax) -> None:
    """Scatter 2-D points ``(N, 2)`` coloured by digit label ``(N,)``, with a legend."""
    points = torch.as_tensor(points).detach().cpu().numpy()
    labels = torch.as_tensor(labels).cpu().numpy()
    colours = plt.get_cmap("tab10")
    for digit in range(10):
        chosen = labels == digit
        ax.scatter(
            points[chosen, 0], points[chosen, 1], s=4, alpha=0.6, color=colours(digit),
            label=str(digit), rasterized=True,
        )  # fmt: skip
    ax.set_xticks([])
    ax.set_yticks([])


def masked_region_errors(
    methods: Mapping[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]],
    images: torch.Tensor,
    sizes: Sequence[int],
    seed: int = 0,
) -> dict[str, list[float]]:
    """Mean squared error on the missing pixels only, for each method and each square size:
    ``{method: [error per size]}``. Each method is called as ``method(masked_images, masks)``
    and sees the same masks; the hidden pixels are zeroed before any method sees them."""
    generator = torch.Generator().manual_seed(seed)
    errors: dict[str, list[float]] = {name: [] for name in methods}
    for size in sizes:
        masks = square_masks(len(images), size, generator=generator)  # (N, H, W)
        masked = apply_mask(images, masks)  # (N, H, W)
        for name, method in methods.items():
            filled = method(masked, masks)  # (N, H, W)
            errors[name].append(masked_mse(filled, images, masks).mean().item())
    return errors
