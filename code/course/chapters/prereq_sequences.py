"""Prerequisites II (``book/prereq-sequences.md``): the cost and the memory of sequence layers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


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


def plot_gradient_by_distance(panels: Mapping[str, Mapping[str, np.ndarray]]) -> Figure:
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
