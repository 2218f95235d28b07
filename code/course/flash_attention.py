"""FlashAttention's forward pass in plain PyTorch, and the memory traffic it saves.

Standard attention writes the ``(T, T)`` score matrix ``S = Q K^T`` and the probabilities
``P = softmax(S)`` to the GPU's large, slow memory (HBM) and reads them back. FlashAttention
(Dao et al., 2022) never materialises them: it splits ``Q``, ``K`` and ``V`` into blocks that fit
in the small, fast on-chip memory (SRAM) and combines the blocks' partial softmaxes with the
*online softmax* trick (Milakov & Gimelshein, 2018): keep a running row maximum ``m`` and a
running normaliser ``l``, and rescale what was accumulated whenever the maximum grows.

This module is about the *algorithm*: the loops below run in Python, so they are slow, but they
compute exactly what the fused CUDA kernel computes, and :class:`TrafficCounter` counts the
elements they move between "HBM" (the full tensors) and "SRAM" (the blocks). The analytic
counts :func:`naive_hbm_traffic` and :func:`flash_hbm_traffic` follow Algorithms 0 and 1 and
Theorem 2 of Dao et al. (2022).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F

from course.timing import time_call

from .checks import check_positive_int, check_positive_ints


@dataclass
class TrafficCounter:
    """Elements read from and written to HBM (counted in elements, not bytes)."""

    reads: int = 0
    writes: int = 0

    @property
    def total(self) -> int:
        return self.reads + self.writes


@dataclass(frozen=True)
class Traffic:
    """An analytic count of HBM accesses, in elements (multiply by bytes per element)."""

    reads: int
    writes: int

    @property
    def total(self) -> int:
        return self.reads + self.writes


def _check_qkv(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, causal: bool) -> None:
    if not all(isinstance(t, torch.Tensor) for t in (query, key, value)):
        raise TypeError("query, key and value must be torch tensors")
    if query.dim() < 2 or query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"query (..., Tq, d) and key (..., Tk, d) need the same d, got "
            f"{tuple(query.shape)} and {tuple(key.shape)}"
        )
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"key and value need the same length, got {key.shape} and {value.shape}")
    if causal and query.shape[-2] != key.shape[-2]:
        raise ValueError("causal attention needs as many queries as keys")


def naive_attention(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, causal: bool = False
) -> torch.Tensor:
    """``softmax(Q K^T / sqrt(d)) V``, materialising the full score matrix (Algorithm 0)."""
    _check_qkv(query, key, value, causal)
    scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])  # (..., Tq, Tk)
    if causal:
        length = query.shape[-2]
        allowed = torch.ones(length, length, dtype=torch.bool, device=query.device).tril()
        scores = scores.masked_fill(~allowed, float("-inf"))  # (..., T, T)
    weights = torch.softmax(scores, dim=-1)  # (..., Tq, Tk)
    return weights @ value  # (..., Tq, dv)


def online_softmax_stats(
    scores: torch.Tensor, block_size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Row maximum ``m`` and normaliser ``l = sum exp(s - m)`` in one pass over key blocks.

    Each block updates ``m_new = max(m, max(block))`` and ``l_new = exp(m - m_new) l +
    sum exp(block - m_new)`` (Milakov & Gimelshein, 2018), so ``m + log l`` equals
    ``torch.logsumexp(scores, -1)`` although no step saw the whole row.
    """
    if block_size < 1:
        raise ValueError(f"block_size must be a positive int, got {block_size!r}")
    shape = scores.shape[:-1]
    running_max = torch.full(shape, float("-inf"), dtype=scores.dtype, device=scores.device)
    normaliser = torch.zeros(shape, dtype=scores.dtype, device=scores.device)
    for start in range(0, scores.shape[-1], block_size):
        block = scores[..., start : start + block_size]  # (..., Bc)
        new_max = torch.maximum(running_max, block.amax(dim=-1))  # (...,)
        normaliser = torch.exp(running_max - new_max) * normaliser + torch.exp(
            block - new_max[..., None]
        ).sum(dim=-1)
        running_max = new_max
    return running_max, normaliser


def flash_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    causal: bool = False,
    *,
    block_rows: int = 16,
    block_cols: int = 16,
    counter: TrafficCounter | None = None,
) -> torch.Tensor:
    """Tiled attention with online softmax: FlashAttention's forward pass (Algorithm 1).

    The outer loop walks over key/value blocks of ``block_cols`` positions, the inner loop over
    query blocks of ``block_rows`` rows, as in Dao et al. (2022). Only the output ``O`` and the
    row statistics ``m`` and ``l`` (``T`` numbers each) live in "HBM" between steps; no ``(T, T)``
    tensor is ever formed. With ``causal=True`` blocks that lie entirely above the diagonal are
    skipped. If ``counter`` is given, the elements loaded from and stored to HBM are added to it.
    """
    _check_qkv(query, key, value, causal)
    if not (isinstance(block_rows, int) and isinstance(block_cols, int)):
        raise TypeError("block_rows and block_cols must be ints")
    if block_rows < 1 or block_cols < 1:
        raise ValueError(f"block sizes must be positive, got {block_rows}, {block_cols}")
    counter = TrafficCounter() if counter is None else counter
    n_queries, n_keys = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1])
    batch = query.shape[:-2]
    output = torch.zeros(*batch, n_queries, value.shape[-1], dtype=query.dtype, device=query.device)
    row_max = torch.full((*batch, n_queries), float("-inf"), dtype=query.dtype, device=query.device)
    row_sum = torch.zeros((*batch, n_queries), dtype=query.dtype, device=query.device)
    counter.writes += output.numel() + row_max.numel() + row_sum.numel()  # initialise O, m, l
    for k_start in range(0, n_keys, block_cols):
        keys = slice(k_start, min(k_start + block_cols, n_keys))
        key_block, value_block = key[..., keys, :], value[..., keys, :]  # (..., Bc, d)
        counter.reads += key_block.numel() + value_block.numel()
        for q_start in range(0, n_queries, block_rows):
            rows = slice(q_start, min(q_start + block_rows, n_queries))
            if causal and k_start > rows.stop - 1:
                continue  # every key in this block lies in the future of every query
            query_block = query[..., rows, :]  # (..., Br, d)
            out_block, m_old, l_old = output[..., rows, :], row_max[..., rows], row_sum[..., rows]
            counter.reads += query_block.numel() + out_block.numel() + m_old.numel() + l_old.numel()
            scores = query_block @ key_block.transpose(-2, -1) * scale  # (..., Br, Bc)
            if causal:
                q_index = torch.arange(rows.start, rows.stop, device=query.device)[:, None]
                k_index = torch.arange(keys.start, keys.stop, device=query.device)[None, :]
                scores = scores.masked_fill(k_index > q_index, float("-inf"))  # (..., Br, Bc)
            block_max = scores.amax(dim=-1)  # (..., Br)
            # a row whose keys in this block are all in its future has max -inf: it takes
            # nothing from this block (weight 0), and exp(0 - m) must not be formed for it, as
            # it overflows to inf for a running maximum m below about -88 (float32), and inf * 0
            # is NaN
            masked_row = block_max.isneginf()  # (..., Br)
            shift = torch.where(masked_row, torch.zeros_like(block_max), block_max)
            probs = torch.exp(scores - shift[..., None])  # (..., Br, Bc), unnormalised
            block_sum = probs.sum(dim=-1)  # (..., Br)
            m_new = torch.maximum(m_old, block_max)  # (..., Br)
            old_weight = torch.exp(m_old - m_new)  # (..., Br), 0 before the first block
            new_weight = torch.where(masked_row, 0.0, torch.exp(shift - m_new))  # (..., Br)
            l_new = old_weight * l_old + new_weight * block_sum  # (..., Br)
            output[..., rows, :] = (
                (old_weight * l_old)[..., None] * out_block
                + new_weight[..., None] * (probs @ value_block)
            ) / l_new[..., None]  # (..., Br, dv)
            row_max[..., rows], row_sum[..., rows] = m_new, l_new
            counter.writes += out_block.numel() + m_new.numel() + l_new.numel()
    return output


def time_attention(
    seq_lens: list[int],
    *,
    head_dim: int = 64,
    n_heads: int = 4,
    batch_size: int = 1,
    causal: bool = True,
    device: torch.device | str = "cpu",
    repeats: int = 5,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Median seconds of :func:`naive_attention` and of PyTorch's fused
    ``torch.nn.functional.scaled_dot_product_attention`` (forward only) at each length.

    Returns ``{"seq_len", "naive", "fused"}`` as arrays; inputs are random normal, built untimed.
    """
    if len(seq_lens) == 0:
        raise ValueError("seq_lens must not be empty")
    generator = torch.Generator(device="cpu").manual_seed(seed)
    naive_seconds, fused_seconds = [], []
    with torch.no_grad():
        for length in seq_lens:
            shape = (batch_size, n_heads, int(length), head_dim)
            q, k, v = (torch.randn(shape, generator=generator).to(device) for _ in range(3))
            naive_seconds.append(
                time_call(
                    partial(naive_attention, q, k, v, causal),
                    repeats=repeats,
                    device=device,
                    min_seconds=0.02,
                ).median
            )
            fused_seconds.append(
                time_call(
                    partial(F.scaled_dot_product_attention, q, k, v, is_causal=causal),
                    repeats=repeats,
                    device=device,
                    min_seconds=0.02,
                ).median
            )
    return {
        "seq_len": np.asarray(seq_lens),
        "naive": np.asarray(naive_seconds),
        "fused": np.asarray(fused_seconds),
    }


def naive_hbm_traffic(seq_len: int, head_dim: int) -> Traffic:
    """HBM elements moved by standard attention (Algorithm 0 of Dao et al., 2022).

    Read ``Q, K`` and write ``S`` (``2Td`` + ``T^2``); read ``S`` and write ``P`` (``2T^2``);
    read ``P, V`` and write ``O`` (``T^2 + Td`` + ``Td``): ``Theta(Td + T^2)`` in all.
    """
    check_positive_ints(seq_len=seq_len, head_dim=head_dim)
    n, d = seq_len, head_dim
    return Traffic(reads=2 * n * d + n * n + n * n + n * d, writes=n * n + n * n + n * d)


def flash_block_sizes(head_dim: int, sram_size: int) -> tuple[int, int]:
    """Block sizes ``(B_r, B_c)`` that Algorithm 1 derives from an SRAM of ``sram_size`` elements.

    ``B_c = ceil(M / 4d)`` and ``B_r = min(ceil(M / 4d), d)``, so the blocks of ``Q``, ``K``,
    ``V`` and ``O`` fit in SRAM together.
    """
    check_positive_int(head_dim, "head_dim")
    if not isinstance(sram_size, int) or sram_size < 4 * head_dim:
        raise ValueError(f"sram_size must be an int >= 4 * head_dim, got {sram_size!r}")
    block_cols = math.ceil(sram_size / (4 * head_dim))
    return min(block_cols, head_dim), block_cols


def flash_hbm_traffic(
    seq_len: int, head_dim: int, *, block_cols: int | None = None, sram_size: int | None = None
) -> Traffic:
    """HBM elements moved by FlashAttention's forward pass (Algorithm 1 of Dao et al., 2022).

    Give either the key block size ``block_cols`` or the SRAM size in elements (then
    ``B_c = ceil(M / 4d)``). ``K`` and ``V`` are read once; for each of the ``T_c = ceil(T / B_c)``
    key blocks, all of ``Q``, ``O``, ``m``, ``l`` are read and ``O``, ``m``, ``l`` written; plus
    the initial write of ``O, m, l``. That is ``Theta(T^2 d / B_c) = Theta(T^2 d^2 / M)``
    (Theorem 2). Non-causal; the causal kernel skips about half of the blocks.
    """
    check_positive_ints(seq_len=seq_len, head_dim=head_dim)
    if (block_cols is None) == (sram_size is None):
        raise ValueError("give exactly one of block_cols and sram_size")
    if block_cols is None:
        block_cols = flash_block_sizes(head_dim, sram_size)[1]
    check_positive_int(block_cols, "block_cols")
    n, d = seq_len, head_dim
    n_key_blocks = math.ceil(n / block_cols)
    reads = 2 * n * d + n_key_blocks * (2 * n * d + 2 * n)
    writes = (n * d + 2 * n) + n_key_blocks * (n * d + 2 * n)
    return Traffic(reads=reads, writes=writes)
