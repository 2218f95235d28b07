"""Prerequisites II (``book/prereq-sequences.md``): inductive bias made measurable, and what
limits recurrent networks, measured.

* Equivariance: a layer ``f`` is *equivariant* to a transformation ``g`` when
  ``f(g(x)) = g(f(x))``. The token mixers compared here all map ``(B, T, C)`` to ``(B, T, C)``;
  :func:`equivariance_error` tests which commute with shifts or permutations of the tokens and
  :func:`parameter_counts` how many parameters each needs for the same input.
* Limits of recurrence: gradients that vanish or explode through time
  (:func:`gradient_by_distance`), sequential computation (:func:`rnn_layer_call` against
  :func:`attention_layer_call`), and a fixed-size state that must summarise the whole past
  (:class:`RecallGRU` against :class:`RecallAttention` on :func:`course.toy_data.recall_task`).
  The recurrent networks are deliberately minimal (``h_t = phi(W h_{t-1} + x_t)``) or
  PyTorch's own (``nn.RNN``, ``nn.GRU``); the sequence labs build them in full.

These were the library modules ``course.equivariance`` and ``course.rnn_limits``; only this
chapter uses them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn
from torch.nn import functional

from ..attention import MultiHeadAttention
from ..checks import check_positive
from ..seeding import torch_generator
from ..toy_data import recall_task


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


# ---------------------------------------------------------------------------------------------
# Equivariance and parameter counts of token mixers

Transform = Callable[[torch.Tensor], torch.Tensor]


def circular_shift(shift: int) -> Transform:
    """The transformation that rolls the token axis (axis 1) by ``shift`` positions."""
    return lambda x: torch.roll(x, shifts=shift, dims=1)


def permute_tokens(permutation: torch.Tensor) -> Transform:
    """The transformation that reorders the tokens (axis 1) by ``permutation``."""
    return lambda x: x[:, permutation]


@torch.no_grad()
def equivariance_error(
    layer: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, transform: Transform
) -> float:
    """``max |layer(g(x)) - g(layer(x))|``: zero (up to rounding) for an equivariant layer."""
    return (layer(transform(x)) - transform(layer(x))).abs().max().item()


class TokenConv(nn.Module):
    """A 1-D convolution over the token axis with circular padding (``kernel_size`` odd)."""

    def __init__(self, d_model: int, kernel_size: int = 3) -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd so the output keeps T, got {kernel_size}")
        self.conv = nn.Conv1d(
            d_model, d_model, kernel_size, padding=kernel_size // 2, padding_mode="circular"
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x.transpose(1, 2)).transpose(1, 2)  # (B, C, T) inside, (B, T, C) out


class FlatMLP(nn.Module):
    """A dense layer on the flattened sequence: every output sees every input at every place."""

    def __init__(self, length: int, d_model: int) -> None:
        super().__init__()
        self.length, self.d_model = length, d_model
        self.linear = nn.Linear(length * d_model, length * d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch = x.shape[0]
        return self.linear(x.reshape(batch, -1)).view(batch, self.length, self.d_model)


class SelfAttention(nn.Module):
    """Self-attention, optionally with learned position embeddings added to its input."""

    def __init__(self, d_model: int, n_heads: int = 1, length: int | None = None) -> None:
        super().__init__()
        self.attention = MultiHeadAttention(d_model, n_heads)
        self.positions = nn.Parameter(torch.randn(length, d_model)) if length else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.positions is not None:
            x = x + self.positions  # (B, T, C): token identity now includes its place
        return self.attention(x)  # (B, T, C)


def token_mixers(length: int, d_model: int, kernel_size: int = 3) -> dict[str, nn.Module]:
    """The four layers compared in the chapter, all mapping ``(B, length, d_model)`` to itself."""
    return {
        "dense (flattened)": FlatMLP(length, d_model),
        "convolution": TokenConv(d_model, kernel_size),
        "self-attention": SelfAttention(d_model),
        "self-attention + positions": SelfAttention(d_model, length=length),
    }


def parameter_counts(length: int, d_model: int, kernel_size: int = 3) -> dict[str, int]:
    """Closed-form parameter counts of :func:`token_mixers`' layers.

    Dense ``(T C)^2 + T C``, convolution ``k C^2 + C``, attention ``4 C^2 + 4 C`` (+ ``T C``
    with position embeddings).
    """
    tc = length * d_model
    return {
        "dense (flattened)": tc * tc + tc,
        "convolution": kernel_size * d_model**2 + d_model,
        "self-attention": 4 * d_model**2 + 4 * d_model,
        "self-attention + positions": 4 * d_model**2 + 4 * d_model + length * d_model,
    }


# ---------------------------------------------------------------------------------------------
# What limits recurrent networks


def matrix_with_spectral_radius(size: int, radius: float, seed: int = 0) -> torch.Tensor:
    """A random Gaussian ``(size, size)`` matrix rescaled so that its largest ``|eigenvalue|``
    (its spectral radius) equals ``radius``."""
    check_positive(radius, "radius")
    g = torch_generator(seed)
    matrix = torch.randn(size, size, generator=g, dtype=torch.float64) / size**0.5
    current = torch.linalg.eigvals(matrix).abs().max()
    return (matrix * (radius / current)).float()


def gradient_by_distance(
    recurrent: torch.Tensor,
    length: int,
    nonlinearity: str = "linear",
    batch: int = 16,
    seed: int = 0,
) -> np.ndarray:
    """How strongly the last state of ``h_t = phi(W h_{t-1} + x_t)`` depends on each input.

    Returns ``g (length,)`` with ``g[k] = mean_b || d(u . h_T) / d x_{T-k} ||`` for a fixed
    random unit vector ``u``: the gradient signal that reaches an input ``k`` steps back.
    For ``phi`` linear it is ``||(W^T)^k u||``, which shrinks or grows like ``radius**k``.
    """
    if nonlinearity not in ("linear", "tanh"):
        raise ValueError(f"nonlinearity must be 'linear' or 'tanh', got {nonlinearity!r}")
    size = recurrent.shape[0]
    recurrent = recurrent.double()  # float64: tiny gradients stay representable (no underflow)
    g = torch_generator(seed)
    inputs = torch.randn(batch, length, size, generator=g, dtype=torch.float64)  # (B, T, D)
    inputs.requires_grad_(True)
    readout = torch.randn(size, generator=g, dtype=torch.float64)
    readout = readout / readout.norm()
    phi = torch.tanh if nonlinearity == "tanh" else (lambda a: a)
    state = torch.zeros(batch, size, dtype=torch.float64)  # (B, D)
    for t in range(length):
        state = phi(state @ recurrent.T + inputs[:, t])  # (B, D)
    (grad,) = torch.autograd.grad((state @ readout).sum(), inputs)  # (B, T, D)
    norms = grad.norm(dim=-1).mean(dim=0)  # (T,): index t is the input at time t
    return norms.flip(0).numpy()  # index k = steps back from the end


def rnn_layer_call(
    length: int, d_model: int = 64, batch: int = 8, device: torch.device | str = "cpu"
) -> Callable[[], torch.Tensor]:
    """A no-argument function running a one-layer ``nn.RNN`` over a ``(batch, length)`` input:
    ``length`` steps, each waiting for the previous one."""
    rnn = nn.RNN(d_model, d_model, batch_first=True).to(device)
    x = torch.randn(batch, length, d_model, device=device)  # (B, T, C)

    @torch.no_grad()
    def call() -> torch.Tensor:
        return rnn(x)[0]  # (B, T, C)

    return call


def attention_layer_call(
    length: int,
    d_model: int = 64,
    batch: int = 8,
    device: torch.device | str = "cpu",
    n_heads: int = 1,
) -> Callable[[], torch.Tensor]:
    """A no-argument function running one self-attention layer on a ``(batch, length)`` input:
    every position at once, in a few large matrix products."""
    attention = MultiHeadAttention(d_model, n_heads).to(device)
    x = torch.randn(batch, length, d_model, device=device)  # (B, T, C)

    @torch.no_grad()
    def call() -> torch.Tensor:
        return attention(x)  # (B, T, C)

    return call


class RecallGRU(nn.Module):
    """Reads the tokens, then a marker for the queried position, into a GRU of ``hidden`` units;
    the answer is read from the final state alone."""

    def __init__(self, vocab_size: int, max_length: int, hidden: int = 16, embed: int = 16) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size + max_length, embed)  # tokens, then markers
        self.gru = nn.GRU(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, tokens: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        marker = self.vocab_size + positions[:, None]  # (B, 1)
        x = self.embedding(torch.cat([tokens, marker], dim=1))  # (B, T + 1, E)
        _, final = self.gru(x)  # (1, B, H): the whole sequence squeezed into H numbers
        return self.head(final[0])  # (B, V)


class RecallAttention(nn.Module):
    """Keeps every token (embedding + position) and lets the query position attend over them."""

    def __init__(self, vocab_size: int, max_length: int, d_model: int = 16) -> None:
        super().__init__()
        self.tokens = nn.Embedding(vocab_size, d_model)
        self.positions = nn.Embedding(max_length, d_model)
        self.attention = MultiHeadAttention(d_model, 1)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, tokens: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        places = torch.arange(tokens.shape[1], device=tokens.device)  # (T,)
        memory = self.tokens(tokens) + self.positions(places)  # (B, T, C)
        query = self.positions(positions)[:, None, :]  # (B, 1, C)
        return self.head(self.attention(query, memory, memory)[:, 0])  # (B, V)


def train_recall(
    model: nn.Module,
    length: int,
    vocab_size: int = 4,
    steps: int = 300,
    batch: int = 128,
    lr: float = 1e-2,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> float:
    """Train ``model`` on fresh :func:`~course.toy_data.recall_task` batches; return the
    accuracy on 2048 unseen sequences."""
    model.to(device)
    tokens, positions, targets = (
        t.to(device) for t in recall_task(steps * batch, length, vocab_size, seed)
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for x, where, y in zip(tokens.split(batch), positions.split(batch), targets.split(batch),
                           strict=True):  # consecutive batches of fresh sequences
        loss = functional.cross_entropy(model(x, where), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    test = [t.to(device) for t in recall_task(2048, length, vocab_size, seed + 10_000)]
    model.eval()
    with torch.no_grad():
        predictions = model(test[0], test[1]).argmax(dim=-1)
    return (predictions == test[2]).float().mean().item()
