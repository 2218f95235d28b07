"""The temporal order lab (``book/temporal-order.md``): the experiment (one recurrent classifier
trained at one length, :func:`train_on_length`, and the sweep over lengths), learning curves by
length, gradients through time, and what an LSTM's units do."""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import nn

from ..batching import make_loader
from ..recurrent import LSTMTrace, RecurrentClassifier
from ..temporal_order import CLASS_NAMES, SYMBOLS, TemporalOrderData, make_temporal_order
from ..training import History, accuracy, evaluate, train


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


@dataclass
class LengthRun:
    """What :func:`train_on_length` measured for one model at one sequence length."""

    cell: str
    length: int
    history: History
    test_acc: float
    seconds: float
    model: RecurrentClassifier = field(repr=False)


def epochs_to_reach(history: History, key: str = "val_acc", threshold: float = 0.95) -> int | None:
    """The first epoch (1-based) whose ``key`` is at least ``threshold``, or ``None`` if never."""
    for epoch, value in enumerate(history[key], start=1):
        if value >= threshold:
            return epoch
    return None


def train_on_length(
    cell: str,
    length: int,
    *,
    hidden_size: int = 16,
    n_train: int = 2048,
    n_test: int = 1024,
    epochs: int = 30,
    batch_size: int = 64,
    lr: float = 1e-2,
    seed: int = 0,
    device: torch.device | None = None,
    grad_clip: float | None = 1.0,
    forget_bias: float = 2.0,
    start_from: RecurrentClassifier | None = None,
) -> LengthRun:
    """Train a ``cell`` classifier (``"rnn"``, ``"lstm"`` or ``"gru"``) on sequences of ``length``.

    Fresh training and test sets are drawn from different seeds; the test set doubles as the
    validation set in the history. The model starts from random weights (seeded by ``seed``),
    or from a copy of ``start_from`` to continue training a model on another length. Returns
    the history, the final test accuracy and the training time.
    """
    train_set = make_temporal_order(n_train, length, seed=seed)
    test_set = make_temporal_order(n_test, length, seed=seed + 10_000)
    torch.manual_seed(seed)
    if start_from is None:
        model = RecurrentClassifier(
            cell, len(SYMBOLS), hidden_size, len(CLASS_NAMES), forget_bias=forget_bias
        )
    elif start_from.cell != cell:
        raise ValueError(f"start_from is a {start_from.cell!r} model, not {cell!r}")
    else:
        model = copy.deepcopy(start_from)
    if device is not None:
        model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    train_loader = make_loader(train_set.inputs, train_set.labels, batch_size=batch_size, seed=seed)
    test_loader = make_loader(test_set.inputs, test_set.labels, batch_size=1024, shuffle=False)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    history = train(
        model, train_loader, loss_fn, optimizer, epochs=epochs, val_loader=test_loader,
        metrics={"acc": accuracy}, device=device, grad_clip=grad_clip,
    )
    seconds = time.perf_counter() - start
    test_acc = evaluate(model, test_loader, loss_fn, {"acc": accuracy}, device)["acc"]
    return LengthRun(cell, length, history, test_acc, seconds, model)


@torch.no_grad()
def accuracy_at_length(
    model: nn.Module, length: int, *, n: int = 1024, seed: int = 20_000
) -> float:
    """Accuracy of a trained ``model`` on ``n`` fresh sequences of ``length`` symbols."""
    data = make_temporal_order(n, length, seed=seed)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    logits = model(data.inputs.to(device))  # (N, 4)
    model.train(was_training)
    return accuracy(logits, data.labels.to(device))


def length_sweep(
    cells: Sequence[str], lengths: Sequence[int], **kwargs
) -> dict[tuple[str, int], LengthRun]:
    """:func:`train_on_length` for every pair of cell and length; keyword arguments pass through."""
    return {(cell, length): train_on_length(cell, length, **kwargs)
            for cell in cells for length in lengths}


def gradient_reach(norms: torch.Tensor, steps: Sequence[int] | range) -> float:
    """Mean of the gradient norms ``(T,)`` at ``steps``, relative to the norm at the last step."""
    if norms.dim() != 1:
        raise ValueError(f"norms must be one value per step, got shape {tuple(norms.shape)}")
    picked = norms[list(steps)]
    return float(picked.mean() / norms[-1])


def cell_after_first_symbol(trace: LSTMTrace, data: TemporalOrderData) -> dict[str, torch.Tensor]:
    """Mean cell state ``(H,)`` just after the first relevant symbol, split by that symbol.

    ``trace`` is :func:`course.recurrent.trace_lstm` run on ``data.inputs`` (one-hot). Returns
    ``{"X": ..., "Y": ...}``: a unit that stores the first symbol has different values there.
    """
    n = len(data.labels)
    if trace.cell.shape[0] != n:
        raise ValueError(f"trace has {trace.cell.shape[0]} sequences, data has {n}")
    device = trace.cell.device
    rows = torch.arange(n, device=device)
    after_first = trace.cell[rows, data.positions[:, 0].to(device)].cpu()  # (N, H)
    first_is_y = (data.labels // 2).bool()  # classes YX and YY
    return {"X": after_first[~first_is_y].mean(dim=0), "Y": after_first[first_is_y].mean(dim=0)}
