"""Modern (dense) Hopfield networks: continuous states, log-sum-exp energy, attention update.

Stored patterns are the rows of a ``(P, d)`` tensor ``X`` (papers often write them as the
columns of a ``d x P`` matrix; the algebra is the same). A state or query ``ξ`` is a vector of
length ``d``; queries come in batches ``(..., Q, d)``. The update is

    ξ <- softmax(β ξ Xᵀ) X        (row form of ξ <- X softmax(β Xᵀ ξ)),

which is one step of softmax attention with queries ``ξ`` and keys = values = ``X``.
"""

from __future__ import annotations

import math

import numpy as np
import torch


def _check_shapes(queries: torch.Tensor, patterns: torch.Tensor, beta: float) -> None:
    if patterns.dim() < 2:
        raise ValueError(f"patterns must be (..., P, d), got shape {tuple(patterns.shape)}")
    if queries.shape[-1] != patterns.shape[-1]:
        raise ValueError(
            f"queries have dimension {queries.shape[-1]} but patterns {patterns.shape[-1]}"
        )
    if not beta > 0:
        raise ValueError(f"beta must be positive, got {beta!r}")


def log_sum_exp(values: torch.Tensor, beta: float) -> torch.Tensor:
    """``lse(β, z) = β⁻¹ log Σ_μ exp(β z_μ)`` over the last axis: a smooth maximum of ``z``."""
    return torch.logsumexp(beta * values, dim=-1) / beta


def energy(states: torch.Tensor, patterns: torch.Tensor, beta: float) -> torch.Tensor:
    """Energy of Ramsauer et al. (2020) for states ``(..., d)`` and patterns ``(P, d)``:

    ``E(ξ) = -lse(β, X ξ) + ½ ξᵀξ + β⁻¹ log P + ½ M²``, with ``M`` the largest pattern norm.
    The last two terms are constants that make ``E >= 0``.
    """
    _check_shapes(states, patterns, beta)
    num_patterns = patterns.shape[-2]
    largest_norm = patterns.norm(dim=-1).max()
    similarities = states @ patterns.transpose(-1, -2)  # (..., P)
    return (
        -log_sum_exp(similarities, beta)
        + 0.5 * (states * states).sum(dim=-1)
        + math.log(num_patterns) / beta
        + 0.5 * largest_norm**2
    )


def separation_weights(queries: torch.Tensor, patterns: torch.Tensor, beta: float) -> torch.Tensor:
    """``softmax(β ξ Xᵀ)``: how much each stored pattern contributes to each query's update."""
    _check_shapes(queries, patterns, beta)
    return torch.softmax(beta * queries @ patterns.transpose(-1, -2), dim=-1)  # (..., Q, P)


def hopfield_update(queries: torch.Tensor, patterns: torch.Tensor, beta: float) -> torch.Tensor:
    """One update ``ξ <- softmax(β ξ Xᵀ) X`` of every query: ``(..., Q, d)`` -> ``(..., Q, d)``."""
    return separation_weights(queries, patterns, beta) @ patterns  # (..., Q, P) @ (P, d)


def retrieve(
    queries: torch.Tensor,
    patterns: torch.Tensor,
    beta: float,
    *,
    max_steps: int = 50,
    tolerance: float = 1e-6,
) -> tuple[torch.Tensor, int]:
    """Iterate :func:`hopfield_update` until no state moves by more than ``tolerance``
    (largest absolute change); returns the final states and the number of updates made."""
    states = queries
    for step in range(1, max_steps + 1):
        new = hopfield_update(states, patterns, beta)
        if (new - states).abs().max() <= tolerance:
            return new, step
        states = new
    return states, max_steps


def hopfield_attention(
    queries: torch.Tensor,
    keys: torch.Tensor,
    values: torch.Tensor,
    beta: float,
) -> torch.Tensor:
    """Attention written as a Hopfield update: the queries retrieve from the stored keys with
    inverse temperature ``β``, and the retrieved mixture weights are applied to ``values``.

    ``queries`` ``(..., Q, d)``, ``keys`` ``(..., P, d)``, ``values`` ``(..., P, d_v)``. With
    ``values = keys`` this is exactly :func:`hopfield_update`; with ``β = 1/√d`` it is the
    transformer's scaled dot-product attention.
    """
    if keys.shape[-2] != values.shape[-2]:
        raise ValueError(f"{keys.shape[-2]} keys but {values.shape[-2]} values")
    return separation_weights(queries, keys, beta) @ values  # (..., Q, d_v)


def effective_number_of_patterns(weights: torch.Tensor) -> torch.Tensor:
    """Participation ratio ``1 / Σ_μ p_μ²`` of softmax weights: 1 when one pattern is
    retrieved, ``P`` when all are averaged equally."""
    return 1.0 / (weights * weights).sum(dim=-1)


# ----------------------------------------------------------------------------- images


def images_to_states(images: np.ndarray | torch.Tensor, threshold: int = 128) -> torch.Tensor:
    """Binarise uint8 images ``(P, H, W)`` into ±1 states ``(P, H*W)`` (+1 = ink)."""
    images = torch.as_tensor(np.asarray(images))
    if images.dim() != 3:
        raise ValueError(f"images must be (P, H, W), got shape {tuple(images.shape)}")
    flat = images.reshape(images.shape[0], -1)  # (P, H*W)
    return torch.where(flat >= threshold, 1.0, -1.0)


def mask_rows(states: torch.Tensor, image_shape: tuple[int, int], keep_rows: int) -> torch.Tensor:
    """Keep the first ``keep_rows`` image rows of each state and set the rest to 0 (unknown)."""
    height, width = image_shape
    if states.shape[-1] != height * width or not 0 <= keep_rows <= height:
        raise ValueError(
            f"states of length {states.shape[-1]} and keep_rows={keep_rows} "
            f"do not fit images of shape {image_shape}"
        )
    masked = states.clone()
    masked[..., keep_rows * width :] = 0.0
    return masked


def retrieval_accuracy(
    final: torch.Tensor, targets: torch.Tensor, threshold: float = 0.9
) -> float:
    """Fraction of final states whose cosine similarity with their target is at least
    ``threshold`` (cosine, so that a continuous state is judged like a ±1 one)."""
    cosine = torch.nn.functional.cosine_similarity(final, targets, dim=-1)
    return (cosine >= threshold).float().mean().item()
