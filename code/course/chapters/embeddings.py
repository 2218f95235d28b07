"""The word embeddings lab (``book/embeddings.md``): the map of the vectors."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np


def plot_embedding_map(
    coords: np.ndarray,
    words: Sequence[str],
    colour: np.ndarray,
    labelled: Sequence[str],
    colour_label: str = "",
    ax: plt.Axes | None = None,
) -> plt.Figure:
    """Scatter 2-D word positions coloured by ``colour`` (centred on 0) and name a few words."""
    coords = np.asarray(coords)
    if coords.shape != (len(words), 2) or len(colour) != len(words):
        raise ValueError("need coords (N, 2), N words and N colour values")
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 6))
    else:
        fig = ax.figure
    limit = float(np.percentile(np.abs(colour), 98)) or 1.0
    points = ax.scatter(
        coords[:, 0],
        coords[:, 1],
        c=colour,
        cmap="coolwarm_r",
        vmin=-limit,
        vmax=limit,
        s=9,
        alpha=0.7,
        linewidths=0,
    )
    index = {w: i for i, w in enumerate(words)}
    middle = float(np.median(coords[:, 0]))
    for word in labelled:
        x, y = coords[index[word]]
        right = x > middle  # write towards the centre, so labels stay inside the axes
        ax.annotate(
            word,
            (x, y),
            fontsize=8,
            xytext=(-3 if right else 3, 2),
            textcoords="offset points",
            ha="right" if right else "left",
        )
    fig.colorbar(points, ax=ax, label=colour_label, shrink=0.8)
    ax.set_xlabel("first principal axis")
    ax.set_ylabel("second principal axis")
    return fig
