"""Inductive bias made measurable: which layers commute with shifts or permutations of tokens,
and how many parameters each kind of layer needs for the same input.

A layer ``f`` is *equivariant* to a transformation ``g`` when ``f(g(x)) = g(f(x))``: moving the
input moves the output in the same way. All layers here map ``(B, T, C)`` to ``(B, T, C)``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .attention import MultiHeadAttention

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
