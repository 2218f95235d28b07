"""The spiral lab (``book/spiral.md``): the data as the hidden layer and the output layer see it,
and accuracy by width."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap

from ..plotting import class_colors, plot_classes
from ..spiral import TwoLayerNet, hidden_projection, readout_basis, readout_coordinates


def plot_hidden_projection(
    model: TwoLayerNet, points: torch.Tensor, y: torch.Tensor, ax: Axes | None = None
) -> Axes:
    """Scatter the data as the hidden layer represents it (first two principal components)."""
    projected = hidden_projection(model, points)  # (N, 2)
    ax = plot_classes(projected, y, ax)
    ax.set_aspect("auto")
    ax.set_xlabel("hidden principal component 1")
    ax.set_ylabel("hidden principal component 2")
    return ax


def plot_readout_view(
    model: TwoLayerNet, points: torch.Tensor, y: torch.Tensor, ax: Axes | None = None,
    *, resolution: int = 200,
) -> Axes:
    """The data in :func:`readout_coordinates`, over the (straight-edged) regions of each class."""
    coords = readout_coordinates(model, points)  # (N, 2)
    extent = float(coords.abs().max()) * 1.1
    axis = torch.linspace(-extent, extent, resolution)
    g1, g2 = torch.meshgrid(axis, axis, indexing="xy")  # (R, R)
    grid = torch.stack([g1.flatten(), g2.flatten()], dim=1)  # (R*R, 2)
    predicted = (grid @ readout_basis(3).T).argmax(dim=-1).reshape(g1.shape)  # (R, R)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.imshow(predicted.numpy(), origin="lower", extent=(-extent, extent, -extent, extent),
              cmap=ListedColormap(class_colors(3)), vmin=-0.5, vmax=2.5, alpha=0.3,
              interpolation="nearest")
    ax.grid(False)
    plot_classes(coords, y, ax)
    ax.set_xlabel("read-out coordinate 1")
    ax.set_ylabel("read-out coordinate 2")
    return ax


def plot_sweep(
    widths: Sequence[int], results: Mapping[str, Sequence[float]], ax: Axes | None = None,
    *, chance: float | None = None,
) -> Axes:
    """Test accuracy against hidden width, one line per activation (log-scaled width axis)."""
    if ax is None:
        _, ax = plt.subplots()
    for activation, accuracies in results.items():
        ax.plot(widths, accuracies, marker="o", label=activation)
    if chance is not None:
        ax.axhline(chance, color="gray", ls=":", label="chance")
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(widths), [str(w) for w in widths])
    ax.set_xlabel("hidden units")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1.02)
    ax.legend()
    return ax
