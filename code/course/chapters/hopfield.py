"""The Hopfield chapter (``book/hopfield.md``): pictures of states, and the animation of
retrieval."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.animation import FuncAnimation


def show_states(
    states: torch.Tensor, image_shape: tuple[int, int], titles: Sequence[str], axes: Sequence
) -> None:
    """Draw each ±1 state as a black-on-white image (ink = +1) on the matching axis."""
    if len(states) != len(titles) or len(states) != len(axes):
        raise ValueError(f"{len(states)} states, {len(titles)} titles, {len(axes)} axes")
    for state, title, ax in zip(states, titles, axes, strict=True):
        image = state.reshape(image_shape).cpu().numpy()
        ax.imshow(image, cmap="gray_r", vmin=-1, vmax=1)  # ink = +1
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        ax.spines[:].set_visible(True)


def retrieval_animation(
    trajectory: torch.Tensor,
    energies: torch.Tensor,
    image_shape: tuple[int, int],
    *,
    num_frames: int = 25,
    interval_ms: int = 250,
):
    """A matplotlib animation of asynchronous retrieval: the state (left) and the energy so
    far (right), at ``num_frames`` evenly spaced moments of a trajectory ``(F+1, N)``."""
    if len(trajectory) != len(energies):
        raise ValueError(f"{len(trajectory)} states but {len(energies)} energies")
    steps = np.unique(np.linspace(0, len(trajectory) - 1, num_frames).round().astype(int))
    figure, (image_ax, energy_ax) = plt.subplots(1, 2, figsize=(5.6, 2.6))
    image = image_ax.imshow(
        trajectory[0].reshape(image_shape).cpu().numpy(), cmap="gray_r", vmin=-1, vmax=1
    )
    image_ax.set_xticks([])
    image_ax.set_yticks([])
    image_ax.grid(False)
    image_ax.spines[:].set_visible(True)
    energy_ax.plot(energies.cpu().numpy(), color="0.8", linewidth=1)
    (line,) = energy_ax.plot([], [], color="C0")
    energy_ax.set_xlabel("flips")
    energy_ax.set_ylabel("energy")
    figure.tight_layout()

    def draw(frame: int):
        step = steps[frame]
        image.set_data(trajectory[step].reshape(image_shape).cpu().numpy())
        image_ax.set_title(f"after {step} flips", fontsize=10)
        line.set_data(np.arange(step + 1), energies[: step + 1].cpu().numpy())
        return image, line

    animation = FuncAnimation(figure, draw, frames=len(steps), interval=interval_ms, blit=False)
    plt.close(figure)
    return animation
