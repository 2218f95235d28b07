"""The RNN attention lab (``book/rnn-attention.md``): accuracy by length and attention maps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class ReversalAlignment:
    """Where attention weights ``(B, T, T)`` of a reversal model go, relative to the position
    ``T - 1 - i`` of the digit that output ``i`` must write (the anti-diagonal), averaged over
    all strings and outputs."""

    exact: float  # mean weight on position T - 1 - i
    within_two: float  # mean weight on positions at most two away from it (exact included)
    row_max: float  # mean largest weight of a row (1 for a one-hot row)
    peak_shares: dict[int, float]  # offset of a row's largest weight -> share of rows


def reversal_alignment(weights: np.ndarray | torch.Tensor) -> ReversalAlignment:
    """Summarise the attention ``weights (B, T, T)`` of a model reversing strings of ``T``
    digits: row ``i`` of each map should look at source position ``T - 1 - i``."""
    w = torch.as_tensor(np.array(weights, dtype=np.float64))  # a copy: any strides
    if w.dim() != 3 or w.shape[1] != w.shape[2]:
        raise ValueError(f"weights must be (B, T, T), got {tuple(w.shape)}")
    length = w.shape[1]
    rows = torch.arange(length)
    target = length - 1 - rows  # (T,) the source position each output must copy
    offset = rows[None, :] - target[:, None]  # (T, S): source position minus target
    peaks = w.argmax(dim=-1) - target[None, :]  # (B, T)
    values, counts = torch.unique(peaks, return_counts=True)
    return ReversalAlignment(
        exact=float(w[:, rows, target].mean()),
        within_two=float((w * (offset.abs() <= 2)).sum(-1).mean()),
        row_max=float(w.max(dim=-1).values.mean()),
        peak_shares={int(v): float(c) / peaks.numel()
                     for v, c in zip(values.tolist(), counts.tolist(), strict=True)},
    )


def mean_positions(weights: np.ndarray | torch.Tensor) -> np.ndarray:
    """The weighted mean source position ``(rows,)`` of each row of a map ``(rows, S)``."""
    w = np.asarray(weights, dtype=float)
    if w.ndim != 2:
        raise ValueError(f"weights must be (rows, S), got {w.shape}")
    return (w * np.arange(w.shape[1])).sum(axis=1) / w.sum(axis=1)


def monotonicity(maps: Sequence[np.ndarray | torch.Tensor]) -> float:
    """Mean, over the maps with at least three rows whose mean positions are not all equal,
    of the correlation between a row's index and its mean source position: 1 when the rows
    move steadily from left to right through the source, -1 from right to left."""
    correlations = []
    for weights in maps:
        positions = mean_positions(weights)
        if len(positions) >= 3 and np.ptp(positions) > 0:
            correlations.append(np.corrcoef(np.arange(len(positions)), positions)[0, 1])
    if not correlations:
        raise ValueError("no map has three rows with different mean positions")
    return float(np.mean(correlations))


def last_row_at_end(maps: Sequence[np.ndarray | torch.Tensor], last: int = 2) -> float:
    """Share of the maps whose last row puts its largest weight on one of the ``last`` source
    positions."""
    if not maps:
        raise ValueError("no maps")
    hits = [int(np.argmax(np.asarray(w)[-1])) >= np.asarray(w).shape[1] - last for w in maps]
    return float(np.mean(hits))
