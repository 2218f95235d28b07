"""Prerequisites I (``book/prereq-linear.md``): layers as maps of the plane, word embeddings,
activations, and what normalisation does to a batch."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from ..batching import make_loader
from ..linear_maps import apply_linear, grid_lines
from ..normalization import BatchNorm1d, LayerNorm
from ..plotting import plot_decision_regions
from ..seeding import torch_generator
from ..training import accuracy, train


def batch_dependence(
    norm: Callable[[torch.Tensor], torch.Tensor],
    batch_sizes: Sequence[int],
    features: int = 8,
    trials: int = 200,
    seed: int = 0,
) -> np.ndarray:
    """How much one fixed example's normalised output varies with the company it keeps.

    For each batch size ``b``, the same example is normalised ``trials`` times together with
    ``b - 1`` fresh random examples; returns the mean (over features) standard deviation of
    its output across trials, one value per batch size. Zero means "independent of the batch".
    """
    g = torch_generator(seed)
    example = torch.randn(1, features, generator=g)
    spreads = []
    for size in batch_sizes:
        if size < 2:
            raise ValueError(f"batch sizes must be >= 2, got {size}")
        others = torch.randn(trials, size - 1, features, generator=g)  # (R, b-1, F)
        outputs = torch.stack([norm(torch.cat([example, o]))[0] for o in others])  # (R, F)
        spreads.append(outputs.std(dim=0).mean().item())
    return np.array(spreads)


def group_spread(
    vectors: np.ndarray, groups: Sequence[str]
) -> dict[str, tuple[float, float]]:
    """How tightly each group of points clusters, given ``vectors (N, D)`` and the group of
    each row.

    Returns ``{group: (widest, nearest_other)}``: the largest distance between two members of
    the group, and the smallest distance from a member to a point of another group. A group with
    ``widest < nearest_other`` is a cluster of its own.
    """
    points = np.asarray(vectors, dtype=float)
    labels = np.asarray(groups)
    if points.ndim != 2 or len(labels) != len(points):
        raise ValueError(f"need vectors (N, D) and N groups, got {points.shape}, {len(labels)}")
    distances = np.linalg.norm(points[:, None] - points[None], axis=-1)  # (N, N)
    spread = {}
    for group in dict.fromkeys(labels.tolist()):
        inside = labels == group
        if inside.all():
            raise ValueError("need at least two groups")
        spread[group] = (
            float(distances[np.ix_(inside, inside)].max()),
            float(distances[np.ix_(inside, ~inside)].min()),
        )
    return spread


class Pointwise(torch.nn.Module):
    """An activation given as a function of each entry, e.g. ``Pointwise(torch.square)``."""

    def __init__(self, function: Callable[[torch.Tensor], torch.Tensor]) -> None:
        super().__init__()
        self.function = function

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.function(x)


def train_ring_classifier(
    model: torch.nn.Module,
    points: torch.Tensor,
    labels: torch.Tensor,
    epochs: int = 300,
    lr: float = 0.01,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> float:
    """Train ``model`` with Adam on all of ``points (N, 2)`` at once (full batch) and return its
    training accuracy."""
    torch.manual_seed(seed)
    full_batch = make_loader(points, labels, batch_size=len(points))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    train(model, full_batch, torch.nn.functional.cross_entropy, optimizer, epochs=epochs,
          device=torch.device(device))
    with torch.no_grad():
        return accuracy(model(points.to(device)), labels.to(device))


@dataclass(frozen=True)
class PaddingEffect:
    """Largest change of the real tokens' outputs when padding is appended to a sequence."""

    layer_norm: float
    batch_norm: float


@torch.no_grad()
def padding_effect(
    d_model: int = 8, length: int = 5, padding: int = 7, seed: int = 0
) -> PaddingEffect:
    """Normalise a batch of token sequences ``(B, T, C)`` with and without zero padding.

    LayerNorm treats each token alone, so padding changes nothing for the real tokens;
    BatchNorm's statistics run over every position, padding included, so they move.
    """
    g = torch_generator(seed)
    tokens = torch.randn(4, length, d_model, generator=g) * 2 + 1  # (B, T, C)
    padded = torch.cat([tokens, torch.zeros(4, padding, d_model)], dim=1)  # (B, T + P, C)
    layer_norm, batch_norm = LayerNorm(d_model), BatchNorm1d(d_model)
    ln_change = (layer_norm(padded)[:, :length] - layer_norm(tokens)).abs().max().item()
    bn = lambda x: batch_norm(x.transpose(1, 2)).transpose(1, 2)  # noqa: E731  BN wants (B, C, T)
    bn_change = (bn(padded)[:, :length] - bn(tokens)).abs().max().item()
    return PaddingEffect(layer_norm=ln_change, batch_norm=bn_change)


def plot_grid_transforms(matrices: Mapping[str, torch.Tensor], extent: float = 1.0) -> Figure:
    """The unit grid (grey) and its image under each 2x2 matrix, with the images of e1, e2."""
    fig, axes = plt.subplots(1, len(matrices), figsize=(3.2 * len(matrices), 3.3))
    axes = np.atleast_1d(axes)
    lines = grid_lines(extent)
    for ax, (name, matrix) in zip(axes, matrices.items(), strict=True):
        for line in lines:
            ax.plot(line[:, 0], line[:, 1], color="0.85", lw=0.8)
        for line in apply_linear(lines, matrix):
            ax.plot(line[:, 0], line[:, 1], color="C0", lw=0.8)
        for column, colour in zip(matrix.T, ("C1", "C2"), strict=True):
            ax.annotate(
                "",
                xy=column.tolist(),
                xytext=(0, 0),
                arrowprops={"arrowstyle": "->", "color": colour, "lw": 2},
            )
        ax.set_title(name)
        ax.set_aspect("equal")
        ax.set_xlim(-2.2, 2.2)
        ax.set_ylim(-2.2, 2.2)
    fig.tight_layout()
    return fig


def plot_word_embedding(
    embedding: np.ndarray, vocabulary: Sequence[str], group_of_word: Mapping[str, str]
) -> Figure:
    """Words placed at their learned 2-D embedding, coloured by the group they belong to."""
    fig, ax = plt.subplots(figsize=(7, 5))
    groups = sorted(set(group_of_word.values()))
    for i, group in enumerate(groups):
        rows = [j for j, w in enumerate(vocabulary) if group_of_word[w] == group]
        ax.scatter(embedding[rows, 0], embedding[rows, 1], color=f"C{i}", label=group)
        for j in rows:
            ax.annotate(
                vocabulary[j], embedding[j], textcoords="offset points", xytext=(4, 3), fontsize=9
            )
    ax.set_xlabel("embedding dimension 1")
    ax.set_ylabel("embedding dimension 2")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
    return fig


def plot_activations(x: np.ndarray, curves: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> Figure:
    """Activation functions (left) and their autograd derivatives (right)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for name, (values, derivative) in curves.items():
        left.plot(x, values, label=name)
        right.plot(x, derivative, label=name)
    left.set_title(r"activation $\phi(x)$")
    right.set_title(r"derivative $\phi'(x)$ from autograd")
    for ax in (left, right):
        ax.set_xlabel("x")
        ax.axhline(0, color="0.5", lw=0.6)
    left.set_ylim(-1.5, 3)
    left.legend()
    fig.tight_layout()
    return fig


def plot_batch_dependence(batch_sizes: Sequence[int], spreads: Mapping[str, np.ndarray]) -> Figure:
    """Spread of one example's normalised output as the rest of its batch changes."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for name, values in spreads.items():
        ax.plot(batch_sizes, values, marker="o", label=name)
    ax.set_xscale("log", base=2)
    ax.set_ylim(bottom=-0.02)
    ax.set_xlabel("batch size")
    ax.set_ylabel("std of the same example's output")
    ax.legend()
    return fig


def plot_ring_classifiers(
    models: Mapping[str, torch.nn.Module],
    points: torch.Tensor,
    labels: torch.Tensor,
    accuracies: Mapping[str, float],
) -> Figure:
    """Each model's decision regions on the rings, side by side, titled by training accuracy."""
    fig, axes = plt.subplots(1, len(models), figsize=(4.2 * len(models), 4))
    for ax, (name, model) in zip(np.atleast_1d(axes), models.items(), strict=True):
        plot_decision_regions(model, points, labels, ax)
        ax.set_title(f"{name}\ntraining accuracy {accuracies[name]:.0%}")
    fig.tight_layout()
    return fig
