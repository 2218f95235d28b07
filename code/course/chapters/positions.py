"""The positions chapter (``book/positions.md``): the reversal task that an encoder without
positions cannot solve, its exact accuracy ceiling, and the length-extrapolation experiment of
GPTs with different position encodings."""

from __future__ import annotations

import math
from collections.abc import Iterator

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from ..checks import check_positive_int
from ..transformer import SequenceTagger


def reversal_batch(
    n: int, length: int, vocab_size: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` sequences of ``length`` uniform random tokens ``(n, T)`` and their reversals, the
    targets: position ``t`` must output the token at position ``T - 1 - t``."""
    check_positive_int(n, "n")
    check_positive_int(length, "length")
    check_positive_int(vocab_size, "vocab_size")
    x = torch.randint(0, vocab_size, (n, length), generator=generator)  # (n, T)
    return x, x.flip(1)  # (n, T) each


def _compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    """Every way to write ``total`` as an ordered sum of ``parts`` counts >= 0."""
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _compositions(total - first, parts - 1):
            yield (first, *rest)


def reversal_ceiling(length: int, vocab_size: int) -> float:
    """The highest expected accuracy on the reversal task of any predictor whose output at
    position ``t`` depends only on the token there and the multiset of the sequence's tokens
    (every permutation-equivariant model), for an even ``length``.

    Given the counts ``c`` of the multiset, token ``a`` at ``t`` has a mirror token ``b`` with
    probability ``(c_b - [a = b]) / (T - 1)``; the best guess takes the largest, and the
    expectation over the multinomial counts is summed exactly.
    """
    check_positive_int(vocab_size, "vocab_size")
    if not isinstance(length, int) or length < 2 or length % 2:
        raise ValueError(f"length must be an even integer >= 2, got {length!r}")
    log_norm = math.lgamma(length + 1) - length * math.log(vocab_size)
    expected = 0.0
    for counts in _compositions(length, vocab_size):
        log_p = log_norm - sum(math.lgamma(c + 1) for c in counts)  # multinomial probability
        hits = sum(c * max(other - (a == b) for b, other in enumerate(counts))
                   for a, c in enumerate(counts) if c)
        expected += math.exp(log_p) * hits / (length * (length - 1))
    return expected


def reversal_model(
    vocab_size: int, length: int, *, positions: bool, d_model: int = 64, n_layers: int = 2,
    n_heads: int = 4,
) -> SequenceTagger:
    """A bidirectional encoder that tags each position with a token. With ``positions=False``
    its position embedding is zero and frozen, so it sees the tokens only: a
    permutation-equivariant model."""
    model = SequenceTagger(vocab_size, vocab_size, length, d_model, n_heads, n_layers)
    if not positions:
        model.position_embedding.weight.data.zero_()
        model.position_embedding.weight.requires_grad_(False)
    return model


def train_reversal(
    model: SequenceTagger, *, length: int, vocab_size: int, steps: int, batch_size: int = 64,
    lr: float = 3e-3, seed: int = 0, device: torch.device | str = "cpu",
) -> list[float]:
    """Train ``model`` with Adam on fresh reversal batches; returns the training losses."""
    generator = torch.Generator().manual_seed(seed)
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(parameters, lr=lr)
    model.to(device).train()
    losses = []
    for _ in range(steps):
        x, y = reversal_batch(batch_size, length, vocab_size, generator)  # (B, T) each
        logits = model(x.to(device))  # (B, T, V)
        loss = F.cross_entropy(logits.flatten(0, 1), y.to(device).flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    return losses


@torch.no_grad()
def reversal_accuracy(
    model: SequenceTagger, x: torch.Tensor, y: torch.Tensor, device: torch.device | str = "cpu"
) -> float:
    """Fraction of positions of ``x (n, T)`` at which ``model`` predicts the target ``y``."""
    model.eval()
    predictions = model(x.to(device)).argmax(-1).cpu()  # (n, T)
    return (predictions == y).float().mean().item()


@torch.no_grad()
def loss_by_position(
    model: torch.nn.Module, ids: torch.Tensor, length: int, *, n_windows: int = 64,
    seed: int = 1, device: torch.device | str = "cpu",
) -> torch.Tensor:
    """Mean next-token loss (nats) at each position of ``n_windows`` windows of ``length``
    tokens drawn from ``ids`` by ``seed``, ``(length,)``: the same windows for every model."""
    check_positive_int(length, "length")
    generator = torch.Generator().manual_seed(seed)
    starts = torch.randint(0, len(ids) - length - 1, (n_windows,), generator=generator)
    x = torch.stack([ids[s:s + length] for s in starts.tolist()]).to(device)  # (n, T)
    y = torch.stack([ids[s + 1:s + length + 1] for s in starts.tolist()]).to(device)  # (n, T)
    model.eval()
    logits, _ = model(x)  # (n, T, V)
    losses = F.cross_entropy(logits.transpose(1, 2), y, reduction="none")  # (n, T)
    return losses.mean(0).cpu()  # (T,)


def plot_loss_by_position(curves: dict[str, torch.Tensor], train_length: int, smooth: int = 8):
    """Held-out loss in bits per character against position, one line per model, averaged over
    ``smooth`` neighbouring positions; a dashed line marks the training length."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    styles = ["-", "--", "-.", ":", (0, (5, 1))]
    top = 0.0
    for (name, nats), style in zip(curves.items(), styles * 2, strict=False):
        bits = nats / math.log(2)  # (T,)
        kernel = torch.ones(1, 1, smooth) / smooth
        smoothed = F.conv1d(bits[None, None], kernel)[0, 0]  # (T - smooth + 1,)
        centres = torch.arange(len(smoothed)) + (smooth - 1) / 2
        ax.plot(centres, smoothed, linestyle=style, label=name)
        top = max(top, float(smoothed.max()))
    ax.axvline(train_length - 0.5, color="gray", linestyle="--", linewidth=1)
    ax.text(train_length - 2, top, "training length $T$", fontsize="small", va="top",
            ha="right")
    ax.set_ylim(top=top + 0.1)
    ax.set_xlabel("position in the window")
    ax.set_ylabel("held-out loss (bits per character)")
    ax.legend(ncol=len(curves), fontsize="small", loc="lower center", bbox_to_anchor=(0.5, 1.0),
              frameon=False)
    fig.tight_layout()
    return fig
