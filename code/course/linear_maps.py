"""Layers as matrices: ``y = W x + b``, the homogeneous-coordinate trick, embeddings as lookups,
why stacking affine maps gives nothing new, and activation functions with their derivatives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.nn import functional


def dense_neuron_by_neuron(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor
) -> torch.Tensor:
    """A dense layer the slow way: every output neuron of every example is its own dot product.

    ``x (N, D_in)``, ``weight (D_out, D_in)``, ``bias (D_out,)`` -> ``(N, D_out)``; neuron ``j``
    computes ``sum_i weight[j, i] * x[n, i] + bias[j]``.
    """
    _check_dense_shapes(x, weight, bias)
    out = torch.empty(x.shape[0], weight.shape[0], dtype=x.dtype, device=x.device)
    for n in range(x.shape[0]):
        for j in range(weight.shape[0]):
            out[n, j] = torch.dot(weight[j], x[n]) + bias[j]
    return out


def dense_matmul(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """The same layer as one matrix product for the whole batch: ``x @ W^T + b`` (``nn.Linear``)."""
    _check_dense_shapes(x, weight, bias)
    return x @ weight.T + bias  # (N, D_out)


def _check_dense_shapes(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> None:
    if x.dim() != 2 or weight.dim() != 2 or bias.dim() != 1:
        raise ValueError("expected x (N, D_in), weight (D_out, D_in) and bias (D_out,)")
    if x.shape[1] != weight.shape[1] or weight.shape[0] != bias.shape[0]:
        raise ValueError(
            f"shapes do not fit: x {tuple(x.shape)}, weight {tuple(weight.shape)}, "
            f"bias {tuple(bias.shape)}"
        )


def grid_lines(extent: float = 1.0, n_lines: int = 9, n_points: int = 50) -> torch.Tensor:
    """Horizontal and vertical lines of a square grid as ``(2 * n_lines, n_points, 2)`` points."""
    ticks = torch.linspace(-extent, extent, n_lines)  # (L,)
    along = torch.linspace(-extent, extent, n_points)  # (P,)
    horizontal = torch.stack(torch.broadcast_tensors(along[None, :], ticks[:, None]), dim=-1)
    vertical = horizontal.flip(-1)
    return torch.cat([horizontal, vertical])  # (2L, P, 2)


def apply_linear(points: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """Map each point (last axis) through ``matrix``: ``points @ matrix^T``."""
    if points.shape[-1] != matrix.shape[1]:
        raise ValueError(
            f"points have {points.shape[-1]} coordinates, matrix expects {matrix.shape[1]}"
        )
    return points @ matrix.T


def to_homogeneous(x: torch.Tensor) -> torch.Tensor:
    """Append a constant 1 to every vector (last axis): ``(..., D) -> (..., D + 1)``."""
    return torch.cat([x, torch.ones(*x.shape[:-1], 1, dtype=x.dtype, device=x.device)], dim=-1)


def affine_to_homogeneous(weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """The matrix ``[[W, b], [0, 1]]`` of shape ``(D_out + 1, D_in + 1)``.

    It maps ``[x, 1]`` to ``[W x + b, 1]``: the affine map becomes linear one dimension up.
    """
    if weight.dim() != 2 or bias.shape != (weight.shape[0],):
        raise ValueError(
            f"need weight (D_out, D_in) and bias (D_out,), got {tuple(weight.shape)}, "
            f"{tuple(bias.shape)}"
        )
    top = torch.cat([weight, bias[:, None]], dim=1)  # (D_out, D_in + 1)
    bottom = torch.zeros(1, weight.shape[1] + 1, dtype=weight.dtype, device=weight.device)
    bottom[0, -1] = 1.0
    return torch.cat([top, bottom])  # (D_out + 1, D_in + 1)


def translation_matrix(offset: Sequence[float] | torch.Tensor) -> torch.Tensor:
    """Homogeneous matrix of the translation ``x -> x + offset`` (not linear in ``D`` dims)."""
    offset = torch.as_tensor(offset, dtype=torch.float32)
    return affine_to_homogeneous(torch.eye(len(offset)), offset)


def compose_affine(
    layers: Sequence[tuple[torch.Tensor, torch.Tensor]],
) -> tuple[torch.Tensor, torch.Tensor]:
    """The single affine map ``(W, b)`` equal to applying ``layers`` (first to last) in turn.

    ``W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2)``, repeated.
    """
    if not layers:
        raise ValueError("need at least one (weight, bias) pair")
    weight, bias = layers[0]
    for next_weight, next_bias in layers[1:]:
        weight, bias = next_weight @ weight, next_weight @ bias + next_bias
    return weight, bias


def affine_layers(model: nn.Sequential) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The ``(weight, bias)`` of every ``nn.Linear`` in ``model`` (which must hold nothing else)."""
    layers = []
    for module in model:
        if not isinstance(module, nn.Linear):
            raise TypeError(f"only nn.Linear layers can be composed, found {type(module).__name__}")
        bias = module.bias if module.bias is not None else torch.zeros(module.out_features)
        layers.append((module.weight.detach(), bias.detach()))
    return layers


def make_mlp(
    in_features: int,
    hidden: int,
    out_features: int,
    n_hidden_layers: int,
    activation: Callable[[], nn.Module] | None = nn.ReLU,
) -> nn.Sequential:
    """An MLP with ``n_hidden_layers`` hidden layers of width ``hidden``.

    ``activation=None`` leaves the layers without non-linearity: a deep *linear* network.
    """
    if n_hidden_layers < 0:
        raise ValueError(f"n_hidden_layers must be >= 0, got {n_hidden_layers}")
    widths = [in_features] + [hidden] * n_hidden_layers + [out_features]
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(widths, widths[1:], strict=False)):
        layers.append(nn.Linear(a, b))
        if activation is not None and i < len(widths) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def one_hot_embedding(ids: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """Embed ``ids`` by multiplying their one-hot vectors with ``table (V, D)``: ``(..., D)``."""
    one_hot = functional.one_hot(ids, num_classes=table.shape[0]).to(table.dtype)  # (..., V)
    return one_hot @ table  # (..., D)


class NeighbourWordModel(nn.Module):
    """A word's embedding (``dim`` numbers) followed by a linear map to logits over the
    vocabulary, trained to predict the word's neighbours (a tiny skip-gram model)."""

    def __init__(self, vocab_size: int, dim: int = 2) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim)
        self.output = nn.Linear(dim, vocab_size)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.output(self.embedding(ids))  # (N, V)


ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "ReLU": torch.relu,
    "GELU": functional.gelu,
    "SiLU": functional.silu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
}


def activation_with_derivative(
    fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(fn(x), fn'(x))``; the derivative comes from autograd, not from a second formula."""
    x = x.detach().clone().requires_grad_(True)
    y = fn(x)
    (derivative,) = torch.autograd.grad(y.sum(), x)  # elementwise fn: d(sum y)/dx_i = fn'(x_i)
    return y.detach(), derivative
