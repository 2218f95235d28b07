"""What limits recurrent networks, measured: gradients that vanish or explode through time,
sequential computation, and a fixed-size state that must summarise the whole past.

The recurrent networks here are deliberately minimal (``h_t = phi(W h_{t-1} + x_t)``) or
PyTorch's own (``nn.RNN``, ``nn.GRU``); the sequence labs build them in full.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from .attention import MultiHeadAttention
from .seeding import torch_generator
from .toy_data import recall_task


def matrix_with_spectral_radius(size: int, radius: float, seed: int = 0) -> torch.Tensor:
    """A random Gaussian ``(size, size)`` matrix rescaled so that its largest ``|eigenvalue|``
    (its spectral radius) equals ``radius``."""
    if radius <= 0:
        raise ValueError(f"radius must be positive, got {radius!r}")
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
    for step in range(steps):
        part = slice(step * batch, (step + 1) * batch)
        loss = functional.cross_entropy(model(tokens[part], positions[part]), targets[part])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    test = [t.to(device) for t in recall_task(2048, length, vocab_size, seed + 10_000)]
    model.eval()
    with torch.no_grad():
        predictions = model(test[0], test[1]).argmax(dim=-1)
    return (predictions == test[2]).float().mean().item()
