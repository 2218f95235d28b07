"""What attention heads look at, measured as Clark et al. (2019) measure BERT's heads.

Every statistic takes the attention maps of a model, ``maps (L, B, H, T, T)`` (rows are the
positions that attend, the queries; columns the positions attended to, the keys; each row sums to
one), and ``real (B, T)``, true at the positions that hold a token rather than padding. It
averages over the real query positions of every sequence and returns one number per head,
``(L, H)``:

* :func:`attention_to`: the total weight put on keys of a kind (``[CLS]``, ``[SEP]``,
  punctuation);
* :func:`offset_attention`: the weight put on the token ``offset`` places away (``-1``: the
  previous token, ``+1``: the next);
* :func:`attention_entropy`: the entropy of the weights, in nats: small for a head that focuses
  on a few tokens, near ``ln n`` for one that spreads evenly over ``n`` tokens.

:func:`uniform_maps` gives the maps of heads that attend evenly to every real token, the
baseline each statistic is compared with.
"""

from __future__ import annotations

import torch


def _check(maps: torch.Tensor, real: torch.Tensor) -> None:
    if maps.dim() != 5 or maps.shape[-1] != maps.shape[-2]:
        raise ValueError(f"maps must be (L, B, H, T, T), got {tuple(maps.shape)}")
    if real.dtype != torch.bool or real.shape != (maps.shape[1], maps.shape[-1]):
        raise ValueError(f"real must be a boolean (B, T) = {(maps.shape[1], maps.shape[-1])} "
                         f"tensor, got {real.dtype} {tuple(real.shape)}")
    if not real.any():
        raise ValueError("real marks no position: there is no query to average over")


def _mean_over_queries(per_query: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
    """Mean of ``per_query (L, B, H, T)`` over the queries where ``queries (B, T)`` holds."""
    weights = queries[None, :, None, :].to(per_query.dtype)  # (1, B, 1, T)
    total = (per_query * weights).sum(dim=(1, 3))  # (L, H)
    return total / weights.sum()  # (L, H)


def attention_to(maps: torch.Tensor, is_target: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Mean total weight each head puts on the keys where ``is_target (B, T)`` holds, ``(L, H)``."""
    _check(maps, real)
    if is_target.shape != real.shape:
        raise ValueError(f"is_target must be (B, T) = {tuple(real.shape)}, got "
                         f"{tuple(is_target.shape)}")
    on_target = is_target[None, :, None, None, :].to(maps.dtype)  # (1, B, 1, 1, T)
    mass = (maps * on_target).sum(-1)  # (L, B, H, T)
    return _mean_over_queries(mass, real)  # (L, H)


def offset_attention(maps: torch.Tensor, offset: int, real: torch.Tensor) -> torch.Tensor:
    """Mean weight each head puts on the key ``offset`` positions from the query (``-1`` the
    previous token, ``+1`` the next), over the real queries whose such key is real, ``(L, H)``."""
    _check(maps, real)
    length = maps.shape[-1]
    if not isinstance(offset, int) or offset == 0 or abs(offset) >= length:
        raise ValueError(f"offset must be a non-zero integer with |offset| < {length}, "
                         f"got {offset!r}")
    # query t sits on row t, its key t + offset on the diagonal `offset` places off
    weight = maps.diagonal(offset=offset, dim1=-2, dim2=-1)  # (L, B, H, T - |offset|)
    queries = real[:, :-offset] if offset > 0 else real[:, -offset:]  # (B, T - |offset|)
    keys = real[:, offset:] if offset > 0 else real[:, :offset]  # (B, T - |offset|)
    both = queries & keys
    if not both.any():
        raise ValueError(f"no real query has a real key {offset} positions away")
    return _mean_over_queries(weight, both)  # (L, H)


def attention_entropy(maps: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Mean entropy (nats) of each head's attention over the real queries, ``(L, H)``."""
    _check(maps, real)
    entropy = -(maps * torch.log(maps.clamp_min(1e-12))).sum(-1)  # (L, B, H, T)
    return _mean_over_queries(entropy, real)  # (L, H)


def uniform_maps(real: torch.Tensor) -> torch.Tensor:
    """Maps of one head that attends evenly to the real tokens of each sequence,
    ``(1, B, 1, T, T)``; compare a head's statistics with the same statistic of these."""
    if real.dim() != 2 or real.dtype != torch.bool:
        raise ValueError(f"real must be a boolean (B, T) tensor, got {real.dtype} "
                         f"{tuple(real.shape)}")
    keys = real.to(torch.float32)  # (B, T)
    counts = keys.sum(-1, keepdim=True).clamp_min(1.0)  # (B, 1)
    rows = (keys / counts)[:, None, :].expand(-1, real.shape[1], -1)  # (B, T, T)
    return rows[None, :, None]  # (1, B, 1, T, T)
