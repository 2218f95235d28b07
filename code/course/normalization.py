"""Layer normalisation and batch normalisation, written from their definitions.

Both subtract a mean and divide by a standard deviation, then apply a learned scale
``gamma`` and shift ``beta``. They differ in *which numbers* the statistics are taken over:

* **LayerNorm** (Ba et al., 2016): over the features of each example (each token) on its own.
  The output for one token never depends on the other tokens or the other examples.
* **BatchNorm** (Ioffe and Szegedy, 2015): over the batch (and any length axis) for each
  feature. In training mode the output for one example depends on the rest of the batch;
  in evaluation mode running averages collected during training are used instead.

The functions here compute the statistics explicitly so that they can be read and compared
with ``torch.nn.LayerNorm``, ``torch.nn.BatchNorm1d`` and ``torch.nn.RMSNorm``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .checks import check_fraction, check_positive_int


def _as_shape(normalized_shape: int | Sequence[int]) -> tuple[int, ...]:
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape or any(not isinstance(n, int) or n < 1 for n in shape):
        raise ValueError(f"normalized_shape must be positive int(s), got {normalized_shape!r}")
    return shape


def layer_norm(
    x: torch.Tensor,
    normalized_shape: int | Sequence[int],
    weight: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    eps: float = 1e-5,
) -> torch.Tensor:
    """Normalise ``x`` over its last ``len(normalized_shape)`` axes, then scale and shift.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` with the mean and the *biased*
    variance (divide by n) of each example's features.
    """
    shape = _as_shape(normalized_shape)
    if tuple(x.shape[-len(shape) :]) != shape:
        raise ValueError(f"x's trailing shape {tuple(x.shape)} does not end in {shape}")
    dims = tuple(range(-len(shape), 0))
    mean = x.mean(dim=dims, keepdim=True)  # (..., 1)
    var = x.var(dim=dims, keepdim=True, unbiased=False)  # (..., 1)
    y = (x - mean) / torch.sqrt(var + eps)  # (..., *shape)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def rms_norm(
    x: torch.Tensor,
    normalized_shape: int | Sequence[int],
    weight: torch.Tensor | None = None,
    eps: float = 1e-6,
) -> torch.Tensor:
    """LayerNorm without the mean: divide by the root mean square of the features (RMSNorm)."""
    shape = _as_shape(normalized_shape)
    if tuple(x.shape[-len(shape) :]) != shape:
        raise ValueError(f"x's trailing shape {tuple(x.shape)} does not end in {shape}")
    dims = tuple(range(-len(shape), 0))
    y = x * torch.rsqrt(x.pow(2).mean(dim=dims, keepdim=True) + eps)  # (..., *shape)
    return y * weight if weight is not None else y


def _feature_axes(x: torch.Tensor, num_features: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Axes to average over and the broadcast shape of per-feature tensors, for (N, C[, L])."""
    if x.dim() not in (2, 3):
        raise ValueError(f"expected input of shape (N, C) or (N, C, L), got {tuple(x.shape)}")
    if x.shape[1] != num_features:
        raise ValueError(f"expected {num_features} features on axis 1, got {x.shape[1]}")
    if x.dim() == 2:
        return (0,), (1, num_features)
    return (0, 2), (1, num_features, 1)


def batch_norm(
    x: torch.Tensor,
    mean: torch.Tensor,
    var: torch.Tensor,
    weight: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    eps: float = 1e-5,
) -> torch.Tensor:
    """Normalise each feature (axis 1) of ``x`` with the given per-feature ``mean`` and ``var``."""
    _, view = _feature_axes(x, mean.numel())
    y = (x - mean.view(view)) / torch.sqrt(var.view(view) + eps)  # (N, C[, L])
    if weight is not None:
        y = y * weight.view(view)
    if bias is not None:
        y = y + bias.view(view)
    return y


def batch_statistics(x: torch.Tensor, num_features: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-feature mean and biased variance of ``x`` over the batch (and length) axes."""
    axes, _ = _feature_axes(x, num_features)
    return x.mean(dim=axes), x.var(dim=axes, unbiased=False)  # (C,), (C,)


class LayerNorm(nn.Module):
    """Drop-in for ``torch.nn.LayerNorm``: same parameters (``weight``, ``bias``), same output."""

    def __init__(
        self, normalized_shape: int | Sequence[int], eps: float = 1e-5, bias: bool = True
    ) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(self.normalized_shape))
        self.bias = nn.Parameter(torch.zeros(self.normalized_shape)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}"


class RMSNorm(nn.Module):
    """Drop-in for ``torch.nn.RMSNorm`` (learned scale, no shift, no mean subtraction)."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-6) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(self.normalized_shape))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)


class BatchNorm1d(nn.Module):
    """Drop-in for ``torch.nn.BatchNorm1d`` on inputs ``(N, C)`` or ``(N, C, L)``.

    Training mode normalises with the statistics of the current batch and updates running
    averages: ``running = (1 - momentum) * running + momentum * batch_stat``, where the
    running variance uses the *unbiased* batch variance (as PyTorch does). Evaluation mode
    normalises with the running averages, so each example is then treated on its own.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        check_positive_int(num_features, "num_features")
        check_fraction(momentum, "momentum")
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias, self.eps
            )
        mean, var = batch_statistics(x, self.num_features)  # (C,), (C,)
        count = x.numel() // self.num_features
        if count < 2:
            raise ValueError("BatchNorm in training mode needs more than one value per feature")
        with torch.no_grad():
            unbiased_var = var * count / (count - 1)
            self.running_mean.lerp_(mean, self.momentum)
            self.running_var.lerp_(unbiased_var, self.momentum)
        return batch_norm(x, mean, var, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
