"""Draw the site's social card (1200×630 PNG): ``python book/_ext/social_card.py``.

Link previews on chat and social sites show this image (``og:image``). It is drawn once and
committed as ``book/_static/social-card.png``; run this again only to change its design.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

OUTPUT = Path(__file__).resolve().parents[1] / "_static" / "social-card.png"
WIDTH, HEIGHT, DPI = 1200, 630, 100
BACKGROUND, INK, ACCENT, MUTED = "#14213d", "#ffffff", "#fca311", "#c9d1e4"


def attention_pattern(size: int = 8, seed: int = 0) -> np.ndarray:
    """A causal, softmax-normalised pattern: the picture in the card's corner."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(size, size)) + 2.0 * np.eye(size)
    scores[np.triu_indices(size, k=1)] = -np.inf
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    return weights / weights.sum(axis=1, keepdims=True)


def draw(path: Path = OUTPUT) -> Path:
    """Draw the card into ``path`` and return it."""
    figure = plt.figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, facecolor=BACKGROUND)
    figure.text(0.06, 0.74, "From Foundations", color=INK, fontsize=50, weight="bold")
    figure.text(0.06, 0.59, "to Transformers", color=INK, fontsize=50, weight="bold")
    figure.text(
        0.06, 0.44, "An open course in neural networks,", color=MUTED, fontsize=25
    )
    figure.text(0.06, 0.37, "sequence models and attention", color=MUTED, fontsize=25)
    figure.text(
        0.06, 0.12, "Executable chapters · labs · a GPT from scratch", color=ACCENT, fontsize=22
    )
    side = 0.42  # a square: height fraction, width scaled by the aspect ratio
    axes = figure.add_axes((0.75, 0.36, side * HEIGHT / WIDTH, side))
    pattern = np.ma.masked_equal(attention_pattern(), 0.0)  # future positions: background
    axes.imshow(pattern, cmap="YlOrBr", vmin=0, vmax=1, interpolation="nearest")
    axes.set_axis_off()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, facecolor=BACKGROUND, metadata={"Software": None})
    plt.close(figure)
    return path


if __name__ == "__main__":
    print(draw(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT))
