"""Figures (and small result tables) of the transformer-prerequisite chapters."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from .linear_maps import apply_linear, grid_lines
from .training import History


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


def plot_decision_regions(
    models: Mapping[str, torch.nn.Module],
    points: torch.Tensor,
    labels: torch.Tensor,
    accuracies: Mapping[str, float],
) -> Figure:
    """Predicted class over the plane for each model, with the data on top."""
    fig, axes = plt.subplots(1, len(models), figsize=(4.2 * len(models), 4))
    axes = np.atleast_1d(axes)
    lim = float(points.abs().max()) * 1.1
    xs = torch.linspace(-lim, lim, 200)
    grid = torch.stack(torch.meshgrid(xs, xs, indexing="xy"), dim=-1).reshape(-1, 2)
    for ax, (name, model) in zip(axes, models.items(), strict=True):
        with torch.no_grad():
            predicted = model(grid.to(next(model.parameters()).device)).argmax(-1).cpu()
        ax.contourf(
            xs, xs, predicted.view(200, 200), levels=[-0.5, 0.5, 1.5], colors=["#cfe3f3", "#f6d5c2"]
        )
        ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="coolwarm", s=6)
        ax.set_title(f"{name}\ntraining accuracy {accuracies[name]:.0%}")
        ax.set_aspect("equal")
    fig.tight_layout()
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


def plot_timings(
    sizes: Sequence[int],
    timings: Mapping[str, np.ndarray],
    xlabel: str,
    ylabel: str = "median time per call (s)",
) -> Figure:
    """Measured times against size on log-log axes, one line per method."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for name, seconds in timings.items():
        ax.plot(sizes, seconds, marker="o", label=name)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    return fig


def plot_gradient_norms(panels: Mapping[str, Mapping[str, np.ndarray]]) -> Figure:
    """Gradient norm reaching an input k steps back, one curve per spectral radius, log scale."""
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.8), sharey=True)
    for ax, (title, curves) in zip(np.atleast_1d(axes), panels.items(), strict=True):
        for label, norms in curves.items():
            ax.plot(np.arange(len(norms)), norms, label=label)
        ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("steps back k")
    np.atleast_1d(axes)[0].set_ylabel(r"$\|\partial (u \cdot h_T) / \partial x_{T-k}\|$")
    np.atleast_1d(axes)[-1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_recall(
    lengths: Sequence[int], accuracies: Mapping[str, Sequence[float]], chance: float
) -> Figure:
    """Recall accuracy against sequence length for each model, with the chance level."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for name, values in accuracies.items():
        ax.plot(lengths, values, marker="o", label=name)
    ax.axhline(chance, color="0.5", ls="--", label="chance")
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(lengths), [str(n) for n in lengths])
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("sequence length")
    ax.set_ylabel("test accuracy")
    ax.legend(loc="center right")
    return fig


def plot_scaling_statistics(dims: Sequence[int], stats: Mapping[str, np.ndarray]) -> Figure:
    """Score variance, largest softmax weight and softmax gradient, with and without 1/sqrt(d)."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    panels = (
        ("var", "variance of the scores", True),
        ("max", "mean largest weight", False),
        ("grad", "softmax gradient (Jacobian norm)", True),
    )
    for ax, (key, title, log) in zip(axes, panels, strict=True):
        ax.plot(dims, stats[f"{key}_raw"], marker="o", label=r"$q\cdot k$")
        ax.plot(dims, stats[f"{key}_scaled"], marker="o", label=r"$q\cdot k/\sqrt{d}$")
        ax.set_xscale("log", base=2)
        if log:
            ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("dimension d")
    axes[0].legend()
    fig.tight_layout()
    return fig


def plot_complexity(
    lengths: Sequence[int],
    cost: Mapping[str, np.ndarray],
    fits: Mapping[str, tuple[float, float]],
    fit_from: int,
) -> Figure:
    """Attention time and memory against length on log-log axes with the fitted power laws."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    n = np.asarray(lengths, dtype=float)
    fitted = n[n >= fit_from]
    for ax, key, label in ((left, "time", "attention"), (right, "memory", "attention")):
        ax.plot(n, cost[key], marker="o", label=label)
        slope, c = fits[key]
        ax.plot(fitted, c * fitted**slope, ls="--", color="0.3", label=f"fit: slope {slope:.2f}")
    slope, c = fits["feedforward_time"]
    left.plot(n, cost["feedforward_time"], marker="s", label="feed-forward layer")
    left.plot(fitted, c * fitted**slope, ls=":", color="0.3", label=f"fit: slope {slope:.2f}")
    left.set_ylabel("median forward time (s)")
    right.set_ylabel("bytes saved for backward")
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("sequence length T")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_ablation(results: Mapping[str, tuple[History, float]]) -> Figure:
    """Training loss per epoch of each block variant (final test accuracy in the legend)."""
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for name, (history, test_accuracy) in results.items():
        epochs = np.arange(1, len(history) + 1)
        ax.plot(epochs, history["train_loss"], marker="o", label=f"{name}: {test_accuracy:.0%}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax.legend(title="variant: test accuracy", fontsize=8)
    return fig


def plot_attention_weights(
    weights: np.ndarray, row_labels: Sequence[str], column_labels: Sequence[str]
) -> Figure:
    """A heat map of attention weights (rows: queries, columns: keys) with the values printed."""
    fig, ax = plt.subplots(figsize=(1.1 * len(column_labels) + 2, 0.6 * len(row_labels) + 1.5))
    ax.imshow(weights, cmap="Blues", vmin=0, vmax=1)
    for (i, j), w in np.ndenumerate(weights):
        ax.text(j, i, f"{w:.2f}", ha="center", va="center", color="white" if w > 0.6 else "black")
    ax.set_xticks(range(len(column_labels)), column_labels)
    ax.set_yticks(range(len(row_labels)), row_labels)
    ax.set_xlabel("key")
    ax.set_ylabel("query")
    ax.grid(False)
    return fig


def html_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A small HTML table (header row, then ``rows``) for displaying results in a notebook.

    Cells are converted with ``str``, so format numbers before passing them in.
    """
    if any(len(row) != len(header) for row in rows):
        raise ValueError(f"every row needs {len(header)} cells to match the header")
    head = "".join(f"<th>{html.escape(str(cell))}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
