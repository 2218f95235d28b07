"""The spiral lab (``book/spiral.md``): the data as the hidden layer and the output layer see it,
and accuracy by width and activation (:func:`width_activation_sweep`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap

from ..plotting import class_colors, plot_classes
from ..spiral import TwoLayerNet, accuracy_of, train_classifier


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


def width_activation_sweep(
    widths: Sequence[int],
    activations: Sequence[str],
    train_data: tuple[torch.Tensor, torch.Tensor],
    test_data: tuple[torch.Tensor, torch.Tensor],
    *,
    seed: int = 0,
    device: torch.device | None = None,
    **train_kwargs,
) -> dict[str, list[float]]:
    """Test accuracy of a :class:`TwoLayerNet` for every activation and hidden width.

    Returns ``{activation: [accuracy at widths[0], ...]}``; every net starts from ``seed``.
    """
    n_classes = int(train_data[1].max()) + 1
    results: dict[str, list[float]] = {}
    for activation in activations:
        results[activation] = []
        for width in widths:
            torch.manual_seed(seed)
            model = TwoLayerNet(width, n_classes, activation)
            # only the trained net's accuracy is kept: no test scores after every step
            train_classifier(model, train_data, device=device, **train_kwargs)
            results[activation].append(accuracy_of(model, test_data, device))
    return results


def smallest_width_reaching(
    widths: Sequence[int], accuracies: Sequence[float], threshold: float
) -> int | None:
    """The first width in ``widths`` whose accuracy is at least ``threshold`` (``None`` if none)."""
    if len(widths) != len(accuracies):
        raise ValueError(f"need one accuracy per width, got {len(accuracies)} for {len(widths)}")
    return next((w for w, a in zip(widths, accuracies, strict=True) if a >= threshold), None)


@torch.no_grad()
def hidden_projection(model: TwoLayerNet, points: torch.Tensor) -> torch.Tensor:
    """Hidden activations of ``points`` on their two principal directions: ``(N, 2)``."""
    if not isinstance(model, TwoLayerNet):
        raise TypeError(f"hidden_projection needs a TwoLayerNet, got {type(model).__name__}")
    device = next(model.parameters()).device
    hidden = model.hidden(points.to(device)).cpu()  # (N, H)
    centred = hidden - hidden.mean(dim=0)  # (N, H)
    _, _, v = torch.linalg.svd(centred, full_matrices=False)  # rows of v: principal directions
    return centred @ v[:2].T  # (N, 2)


def readout_basis(n_classes: int) -> torch.Tensor:
    """An orthonormal basis ``(K, K-1)`` of the class-score vectors whose entries sum to zero.

    Adding the same number to every class score changes no prediction, so only the component of
    the scores in this subspace matters: for three classes it is a plane.
    """
    centring = torch.eye(n_classes) - 1.0 / n_classes  # (K, K): removes the mean score
    q, _ = torch.linalg.qr(centring)  # (K, K); the first K-1 columns span the sum-zero subspace
    return q[:, : n_classes - 1]  # (K, K-1)


@torch.no_grad()
def readout_coordinates(model: TwoLayerNet, points: torch.Tensor) -> torch.Tensor:
    """Where the output layer puts each point: its class scores in the sum-zero plane, ``(N, 2)``.

    This is a linear map of the hidden activations, ``U^T (W2 h + b2)``, and it decides the class,
    so for a three-class model it is the two-dimensional view of the hidden layer that matters.
    """
    device = next(model.parameters()).device
    logits = model(points.to(device)).cpu()  # (N, 3)
    if logits.shape[1] != 3:
        raise ValueError(f"the read-out view needs 3 classes, got {logits.shape[1]}")
    return logits @ readout_basis(3)  # (N, 2)
