"""The RNN attention lab (``book/rnn-attention.md``): accuracy by length and attention maps."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..copy_tasks import LengthScores


def plot_accuracy_by_length(
    scores: dict[str, LengthScores], train_max: int | None = None, ax: Axes | None = None
) -> Figure:
    """Token accuracy against source length, one line per model; lengths beyond ``train_max``
    (never seen in training) are shaded."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.5))
    else:
        fig = ax.figure
    for name, s in scores.items():
        ax.plot(s.lengths, s.token_accuracy, marker="o", label=name)
    if train_max is not None:
        right = max(max(s.lengths) for s in scores.values())
        ax.axvspan(train_max + 0.5, right + 1, color="0.9", zorder=0, label="longer than training")
    ax.set_xlabel("source length (digits)")
    ax.set_ylabel("digits right (greedy decoding)")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize="small")
    return fig


def plot_attention(
    weights: np.ndarray | torch.Tensor,
    source: Sequence[str],
    output: Sequence[str],
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Heatmap of ``weights (len(output), len(source))``: row ``i`` is where output ``i`` looked."""
    weights = np.asarray(weights)
    if weights.shape != (len(output), len(source)):
        raise ValueError(f"weights {weights.shape} must be ({len(output)}, {len(source)})")
    if ax is None:
        _, ax = plt.subplots(figsize=(3, 3))
    ax.imshow(weights, cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(source)), source, rotation=90)
    ax.set_yticks(range(len(output)), output)
    ax.tick_params(length=0)
    ax.grid(False)
    if title:
        ax.set_title(title)
    return ax
