"""Prerequisites III (``book/prereq-attention.md``): attention step by step, why scores are
scaled, what attention costs, and an ablation of the transformer block."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from torch.nn import functional

from ..attention import AdditiveAttention, attention_scores, scaled_dot_product_attention
from ..batching import make_loader
from ..seeding import torch_generator
from ..timing import saved_activation_bytes, time_call
from ..toy_data import histogram_task
from ..training import History, accuracy, evaluate, train
from ..transformer import SequenceTagger


def attention_step_by_step(
    query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor
) -> dict[str, torch.Tensor]:
    """Every intermediate of attention for one query ``(D,)``, keys ``(T, D)``, values ``(T, Dv)``.

    Returns ``{"scores", "scaled", "weights", "output"}``: raw dot products, divided by
    ``sqrt(D)``, softmax, and the weighted sum of the values.
    """
    if query.dim() != 1 or keys.dim() != 2 or values.dim() != 2:
        raise ValueError("expected query (D,), keys (T, D) and values (T, Dv)")
    scores = keys @ query  # (T,)
    scaled = scores / math.sqrt(query.shape[0])  # (T,)
    weights = torch.softmax(scaled, dim=0)  # (T,)
    return {"scores": scores, "scaled": scaled, "weights": weights, "output": weights @ values}


def dot_product_statistics(
    dims: Sequence[int], n_keys: int = 16, samples: int = 2000, seed: int = 0
) -> dict[str, np.ndarray]:
    """For unit-variance random queries and keys of each dimension ``d``: the variance of
    ``q . k`` with and without the ``1/sqrt(d)`` factor, the mean largest softmax weight over
    ``n_keys`` keys, and the mean size of the softmax's gradient (its Jacobian norm)."""
    g = torch_generator(seed)
    result: dict[str, list[float]] = {
        k: [] for k in ("var_raw", "var_scaled", "max_raw", "max_scaled", "grad_raw", "grad_scaled")
    }
    for d in dims:
        q = torch.randn(samples, 1, d, generator=g)  # (S, 1, d)
        k = torch.randn(samples, n_keys, d, generator=g)  # (S, N, d)
        for name, scale in (("raw", 1.0), ("scaled", 1 / math.sqrt(d))):
            scores = attention_scores(q, k, scale=scale)[:, 0]  # (S, N)
            p = torch.softmax(scores, dim=-1)  # (S, N)
            jacobian = torch.diag_embed(p) - p[:, :, None] * p[:, None, :]  # (S, N, N)
            result[f"var_{name}"].append(scores.var().item())
            result[f"max_{name}"].append(p.max(dim=-1).values.mean().item())
            result[f"grad_{name}"].append(torch.linalg.matrix_norm(jacobian).mean().item())
    return {k: np.array(v) for k, v in result.items()}


def _attention_forward(x: torch.Tensor) -> Callable[[], torch.Tensor]:
    return lambda: scaled_dot_product_attention(x, x, x)[0]


def _feed_forward(
    x: torch.Tensor, w1: torch.Tensor, w2: torch.Tensor
) -> Callable[[], torch.Tensor]:
    return lambda: torch.relu(x @ w1) @ w2


def attention_cost(
    lengths: Sequence[int],
    d_model: int = 64,
    device: torch.device | str = "cpu",
    repeats: int = 7,
    feedforward_batch: int = 16,
) -> dict[str, np.ndarray]:
    """Median forward time and saved-for-backward bytes of one attention head against sequence
    length; for comparison, the time of a position-wise feed-forward layer (``d -> 4d -> d``)
    on a batch of ``feedforward_batch`` sequences (one sequence is too little work for its
    linear growth to show above fixed per-call overheads).

    Returns arrays ``"time"``, ``"memory"`` and ``"feedforward_time"``, one entry per length.
    """
    g = torch_generator(0)
    w1 = (torch.randn(d_model, 4 * d_model, generator=g) / d_model**0.5).to(device)
    w2 = (torch.randn(4 * d_model, d_model, generator=g) / (2 * d_model**0.5)).to(device)
    timing = {"repeats": repeats, "warmup": 2, "device": device, "min_seconds": 5e-3}
    times, memory, ff_times = [], [], []
    for length in lengths:
        x = torch.randn(1, length, d_model, generator=g).to(device)  # (1, T, C)
        with torch.no_grad():
            times.append(time_call(_attention_forward(x), **timing).median)
            batch = x.expand(feedforward_batch, -1, -1).contiguous()  # (F, T, C)
            ff_times.append(time_call(_feed_forward(batch, w1, w2), **timing).median)
        memory.append(saved_activation_bytes(_attention_forward(x.requires_grad_(True))))
    return {
        "time": np.array(times),
        "memory": np.array(memory),
        "feedforward_time": np.array(ff_times),
    }


def scoring_cost(length: int = 256, d_model: int = 64, device: torch.device | str = "cpu") -> dict:
    """Time and saved memory of scoring every query against every key with a dot product
    versus with the small network of additive attention (hidden width ``d_model``)."""
    x = torch.randn(1, length, d_model, device=device)  # (1, T, C)
    additive = AdditiveAttention(d_model, d_model, d_model).to(device)
    timing = {"repeats": 5, "warmup": 2, "device": device, "min_seconds": 2e-3}
    with torch.no_grad():
        dot_time = time_call(lambda: attention_scores(x, x), **timing).median
        add_time = time_call(lambda: additive.scores(x, x), **timing).median
    leaf = x.clone().requires_grad_(True)
    return {
        "dot_time": dot_time,
        "additive_time": add_time,
        "dot_memory": saved_activation_bytes(lambda: attention_scores(leaf, leaf)),
        "additive_memory": saved_activation_bytes(lambda: additive.scores(leaf, leaf)),
    }


ABLATIONS: dict[str, dict[str, bool]] = {
    "full block (pre-LN)": {},
    "no LayerNorm": {"layer_norm": False},
    "no residual": {"residual": False},
    "post-LN (2017 layout)": {"norm_first": False},
}


def _sequence_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return functional.cross_entropy(logits.flatten(0, 1), targets.flatten())


@dataclass(frozen=True)
class AblationResult:
    """Per variant: the training history and the test accuracy; plus the accuracy of always
    predicting the most common target, the floor that a model which learns nothing reaches."""

    runs: dict[str, tuple[History, float]]
    majority_accuracy: float


def run_ablation(
    variants: dict[str, dict[str, bool]] | None = None,
    n_layers: int = 4,
    d_model: int = 32,
    epochs: int = 14,
    n_train: int = 1500,
    length: int = 10,
    vocab_size: int = 6,
    lr: float = 5e-3,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> AblationResult:
    """Train one :class:`~course.transformer.SequenceTagger` per variant (options of
    :class:`~course.transformer.EncoderBlock`) on the counting task of
    :func:`~course.toy_data.histogram_task`, with the same data, seed and optimiser."""
    variants = ABLATIONS if variants is None else variants
    train_x, train_y = histogram_task(n_train, length, vocab_size, seed=seed)
    test_x, test_y = histogram_task(1000, length, vocab_size, seed=seed + 1)
    test_loader = make_loader(test_x, test_y, batch_size=500, shuffle=False)
    runs = {}
    for name, options in variants.items():
        torch.manual_seed(seed)
        model = SequenceTagger(
            vocab_size, length, length, d_model=d_model, n_heads=4, n_layers=n_layers, **options
        )
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        history = train(
            model,
            make_loader(train_x, train_y, batch_size=64, seed=seed),
            _sequence_loss,
            optimizer,
            epochs=epochs,
            metrics={"acc": accuracy},
            device=torch.device(device),
        )
        score = evaluate(model, test_loader, _sequence_loss, {"acc": accuracy})["acc"]
        runs[name] = (history, score)
    majority = torch.bincount(test_y.flatten()).max().item() / test_y.numel()
    return AblationResult(runs=runs, majority_accuracy=majority)


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
