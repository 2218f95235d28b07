"""The temporal order lab (``book/temporal-order.md``): learning curves by length, gradients
through time, and what an LSTM's units do."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..recurrent import LSTMTrace
from ..temporal_order import CLASS_NAMES, LengthRun


def plot_lstm_trace(
    trace: LSTMTrace,
    symbols: str,
    *,
    index: int = 0,
    highlight: Sequence[int] = (),
    units: Sequence[int] | None = None,
) -> Figure:
    """Heatmaps (unit by time) of the gates and states of sequence ``index`` in ``trace``.

    ``symbols`` label the time axis; columns in ``highlight`` (e.g. the relevant positions) are
    outlined; ``units`` picks and orders the hidden units shown (default: all). Cell states are
    unbounded, so each unit's row is divided by its largest absolute value over the sequence.
    """
    cell = trace.cell[index : index + 1]  # (1, T, H)
    scale = cell.abs().amax(dim=1, keepdim=True).clamp_min(1e-12)  # (1, 1, H)
    panels = [
        ("input gate $i_t$", trace.input_gate[index : index + 1], (0, 1), "viridis"),
        ("forget gate $f_t$", trace.forget_gate[index : index + 1], (0, 1), "viridis"),
        ("output gate $o_t$", trace.output_gate[index : index + 1], (0, 1), "viridis"),
        ("cell state $c_t$, each unit divided by its largest $|c_t|$", cell / scale, (-1, 1),
         "RdBu_r"),
        ("hidden state $h_t$", trace.hidden[index : index + 1], (-1, 1), "RdBu_r"),
    ]
    length = trace.hidden.shape[1]
    if len(symbols) != length:
        raise ValueError(f"need one symbol per step ({length}), got {len(symbols)}")
    rows = list(range(trace.hidden.shape[2])) if units is None else list(units)
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 1.1 + 0.23 * len(rows) * len(panels)),
                             sharex=True, constrained_layout=True)
    for ax, (title, values, limits, cmap) in zip(axes, panels, strict=True):
        data = values[0][:, rows].T.cpu().numpy()  # (units, T)
        image = ax.imshow(data, aspect="auto", cmap=cmap, vmin=limits[0], vmax=limits[1],
                          interpolation="nearest")
        ax.set_title(title, loc="left", fontsize=10)
        ax.set_ylabel("unit")
        ax.set_yticks(range(len(rows)), [str(u) for u in rows], fontsize=7)
        ax.grid(False)
        for t in highlight:
            ax.axvline(t - 0.5, color="black", lw=0.8)
            ax.axvline(t + 0.5, color="black", lw=0.8)
        fig.colorbar(image, ax=ax, pad=0.01, aspect=8)
    axes[-1].set_xticks(range(length), list(symbols), fontsize=7)
    axes[-1].set_xlabel("input symbol at each step")
    return fig


def plot_unit_selectivity(selectivity: dict[str, torch.Tensor]) -> Figure:
    """Bar charts, one per entry of :func:`unit_selectivity`, of every unit's value."""
    fig, axes = plt.subplots(1, len(selectivity), figsize=(4.2 * len(selectivity), 3.0),
                             squeeze=False)
    labels = {"input_gate": "input gate: relevant minus other steps",
              "cell_change": "$|\\Delta c_t|$: relevant minus other steps"}
    for ax, (name, values) in zip(axes[0], selectivity.items(), strict=True):
        units = np.arange(len(values))
        ax.bar(units, values.cpu().numpy(), color="C0")
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(units, [str(u) for u in units], fontsize=8)
        ax.set_xlabel("unit")
        ax.set_title(labels.get(name, name), fontsize=10)
    fig.tight_layout()
    return fig


def plot_length_sweep(
    runs: dict[tuple[str, int], LengthRun], ax: Axes | None = None, *, labels: dict | None = None
) -> Axes:
    """Final test accuracy against sequence length, one line per cell kind, with chance level."""
    if ax is None:
        _, ax = plt.subplots()
    labels = labels or {"rnn": "vanilla RNN", "lstm": "LSTM", "gru": "GRU"}
    cells = list(dict.fromkeys(cell for cell, _ in runs))
    for cell in cells:
        lengths = sorted(length for c, length in runs if c == cell)
        accuracies = [runs[(cell, length)].test_acc for length in lengths]
        ax.plot(lengths, accuracies, marker="o", label=labels.get(cell, cell))
    ax.axhline(1 / len(CLASS_NAMES), color="gray", ls=":", label="chance")
    all_lengths = sorted({length for _, length in runs})
    ax.set_xscale("log", base=2)
    ax.set_xticks(all_lengths, [str(length) for length in all_lengths])
    ax.set_xlabel("sequence length $T$")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1.03)
    ax.legend()
    return ax


def plot_gradient_norms(
    curves: dict[str, torch.Tensor],
    ax: Axes | None = None,
    *,
    windows: Sequence | None = None,
    styles: dict[str, dict] | None = None,
) -> Axes:
    """Gradient norm per step relative to the last step (log scale), one line per entry.

    ``windows`` (e.g. :func:`relevant_windows`) are shaded: where the relevant symbols can be.
    ``styles`` maps a curve's label to keyword arguments for its line (colour, line style).
    """
    if ax is None:
        _, ax = plt.subplots()
    for label, norms in curves.items():
        relative = (norms / norms[-1]).cpu().numpy()
        style = (styles or {}).get(label, {})
        ax.semilogy(np.arange(len(relative)), relative, label=label, **style)
    for lo, hi in windows or ():
        ax.axvspan(lo - 0.5, hi + 0.5, color="gray", alpha=0.15, lw=0)
    ax.set_xlabel("position $t$ in the sequence (0 is the start symbol)")
    ax.set_ylabel("$\\|\\partial L / \\partial x_t\\|$ relative to last step")
    ax.legend(fontsize=8)
    return ax
