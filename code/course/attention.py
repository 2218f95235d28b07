"""Attention, built bottom-up: scores, masked softmax, weighted sum, then many heads.

Conventions used everywhere in the course:

* Tensors are *batch first*: ``(B, T, C)`` = (batch, time/sequence, channels).
* A boolean ``mask`` says where attention is **allowed** (``True`` = may attend), the same
  convention as ``torch.nn.functional.scaled_dot_product_attention``.
  (``torch.nn.MultiheadAttention`` uses the opposite convention for its boolean
  ``attn_mask``; pass it ``~mask``.) A floating mask is *added* to the scores (``-inf``
  forbids a position). Masks broadcast against the scores ``(..., T_query, T_key)``:
  :func:`causal_mask` gives ``(T, T)`` and :func:`padding_mask` gives ``(B, 1, T)``.
* A query row whose keys are all masked has no defined softmax and yields NaN.

References: dot-product attention as in Vaswani et al. (2017); additive attention as in
Bahdanau et al. (2015).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional

from .checks import check_positive_int


def causal_mask(length: int, device: torch.device | str | None = None) -> torch.Tensor:
    """``(T, T)`` boolean mask letting position ``t`` attend to positions ``<= t`` only."""
    check_positive_int(length, "length")
    return torch.ones(length, length, dtype=torch.bool, device=device).tril()  # (T, T)


def padding_mask(lengths: torch.Tensor, max_length: int | None = None) -> torch.Tensor:
    """``(B, 1, T)`` boolean mask that is ``True`` on the first ``lengths[b]`` keys of row ``b``."""
    if lengths.dim() != 1:
        raise ValueError(f"lengths must be 1-D (one per sequence), got {tuple(lengths.shape)}")
    max_length = int(lengths.max()) if max_length is None else max_length
    positions = torch.arange(max_length, device=lengths.device)  # (T,)
    return (positions[None, :] < lengths[:, None]).unsqueeze(1)  # (B, 1, T)


def attention_scores(
    query: torch.Tensor, key: torch.Tensor, scale: float | None = None
) -> torch.Tensor:
    """Similarity of every query with every key: ``query @ key^T * scale``.

    ``scale`` defaults to ``1 / sqrt(d_k)``, which keeps the scores' variance near 1 when the
    entries of ``query`` and ``key`` have unit variance (Vaswani et al., 2017).
    """
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"query and key need the same last dimension, got {query.shape[-1]} and {key.shape[-1]}"
        )
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    return query @ key.transpose(-2, -1) * scale  # (..., Tq, Tk)


def attend(
    scores: torch.Tensor,
    value: torch.Tensor,
    mask: torch.Tensor | None = None,
    dropout_p: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Masked softmax of ``scores`` over keys, then the weighted sum of ``value``.

    Returns ``(weights @ value, weights)``.

    Shared by every kind of attention: only the way the ``scores`` are computed differs.
    """
    if scores.shape[-1] != value.shape[-2]:
        raise ValueError(
            f"scores have {scores.shape[-1]} keys but value has {value.shape[-2]} positions"
        )
    if mask is not None:
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, float("-inf"))  # (..., Tq, Tk)
        else:
            scores = scores + mask
    weights = torch.softmax(scores, dim=-1)  # (..., Tq, Tk)
    if dropout_p > 0.0:
        weights = functional.dropout(weights, p=dropout_p, training=True)
    return weights @ value, weights  # (..., Tq, Dv), (..., Tq, Tk)


def scaled_dot_product_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    scale: float | None = None,
    dropout_p: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``softmax(Q K^T / sqrt(d_k) + mask) V``; returns ``(output, weights)``.

    Shapes: ``query (..., Tq, Dk)``, ``key (..., Tk, Dk)``, ``value (..., Tk, Dv)`` ->
    output ``(..., Tq, Dv)`` and weights ``(..., Tq, Tk)`` (each row sums to 1).
    """
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(
            f"key and value need the same length, got {key.shape[-2]} and {value.shape[-2]}"
        )
    scores = attention_scores(query, key, scale)  # (..., Tq, Tk)
    return attend(scores, value, mask, dropout_p)


class MultiHeadAttention(nn.Module):
    """Multi-head attention (Vaswani et al., 2017) with separate Q, K, V and output projections.

    ``forward(query, key=None, value=None, mask=None)`` takes ``(B, T, C)`` tensors; with
    ``key``/``value`` omitted it is self-attention. Each of the ``n_heads`` heads attends in its
    own ``d_model // n_heads``-dimensional subspace; the heads' outputs are concatenated and
    mixed by ``out_proj``. Parameters: ``4 * d_model**2`` weights plus ``4 * d_model`` biases.

    The weights can be copied from or to ``torch.nn.MultiheadAttention`` with
    :meth:`from_torch` and :meth:`to_torch`; the outputs then agree. With ``fused=True`` the
    softmax is computed by PyTorch's fused kernel (faster, same result, no weights returned).
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        *,
        bias: bool = True,
        dropout: float = 0.0,
        kdim: int | None = None,
        vdim: int | None = None,
        fused: bool = False,
    ) -> None:
        super().__init__()
        if not all(isinstance(n, int) and n >= 1 for n in (d_model, n_heads)):
            raise ValueError(f"d_model, n_heads must be positive, got {d_model!r}, {n_heads!r}")
        if d_model % n_heads != 0:
            raise ValueError(f"d_model={d_model} must be divisible by n_heads={n_heads}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.d_model, self.n_heads, self.head_dim = d_model, n_heads, d_model // n_heads
        self.dropout, self.fused = dropout, fused
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(kdim or d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(vdim or d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape
        x = x.view(batch, length, self.n_heads, self.head_dim)  # (B, T, H, Dh)
        return x.transpose(1, 2)  # (B, H, T, Dh)

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor | None = None,
        value: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        need_weights: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Attend from ``query (B, Tq, C)`` to ``key``/``value (B, Tk, ·)``; output ``(B, Tq, C)``.

        ``mask`` broadcasts to ``(B, Tq, Tk)`` or ``(B, H, Tq, Tk)``; ``True`` = may attend.
        With ``need_weights=True`` also returns the per-head weights ``(B, H, Tq, Tk)``.
        """
        key = query if key is None else key
        value = key if value is None else value
        if query.dim() != 3 or key.dim() != 3 or value.dim() != 3:
            raise ValueError("query, key and value must be batch-first 3-D tensors (B, T, C)")
        batch, q_len, _ = query.shape
        q = self._split_heads(self.q_proj(query))  # (B, H, Tq, Dh)
        k = self._split_heads(self.k_proj(key))  # (B, H, Tk, Dh)
        v = self._split_heads(self.v_proj(value))  # (B, H, Tk, Dh)
        if mask is not None and mask.dim() == 3:
            mask = mask.unsqueeze(1)  # (B, 1, Tq, Tk): the same mask for every head
        dropout_p = self.dropout if self.training else 0.0
        if self.fused and not need_weights:
            out = functional.scaled_dot_product_attention(
                q, k, v, attn_mask=mask, dropout_p=dropout_p
            )
            weights = None
        else:
            out, weights = scaled_dot_product_attention(q, k, v, mask, dropout_p=dropout_p)
        out = out.transpose(1, 2).reshape(batch, q_len, self.d_model)  # (B, Tq, C)
        out = self.out_proj(out)  # (B, Tq, C)
        return (out, weights) if need_weights else out

    @classmethod
    def from_torch(cls, reference: nn.MultiheadAttention) -> MultiHeadAttention:
        """A :class:`MultiHeadAttention` holding a copy of ``reference``'s weights."""
        if not isinstance(reference, nn.MultiheadAttention):
            raise TypeError(f"expected torch.nn.MultiheadAttention, got {type(reference).__name__}")
        if reference.bias_k is not None or reference.add_zero_attn:
            raise ValueError("add_bias_kv and add_zero_attn are not supported")
        d_model = reference.embed_dim
        module = cls(
            d_model,
            reference.num_heads,
            bias=reference.in_proj_bias is not None,
            dropout=reference.dropout,
            kdim=reference.kdim,
            vdim=reference.vdim,
        )
        if reference._qkv_same_embed_dim:
            weights = reference.in_proj_weight.chunk(3, dim=0)
        else:
            weights = (reference.q_proj_weight, reference.k_proj_weight, reference.v_proj_weight)
        biases = (
            reference.in_proj_bias.chunk(3) if reference.in_proj_bias is not None else (None,) * 3
        )
        projections = (module.q_proj, module.k_proj, module.v_proj)
        with torch.no_grad():
            for projection, weight, bias in zip(projections, weights, biases, strict=True):
                projection.weight.copy_(weight)
                if bias is not None:
                    projection.bias.copy_(bias)
            module.out_proj.weight.copy_(reference.out_proj.weight)
            if reference.out_proj.bias is not None:
                module.out_proj.bias.copy_(reference.out_proj.bias)
        return module.to(reference.out_proj.weight.device)

    def to_torch(self) -> nn.MultiheadAttention:
        """A batch-first ``torch.nn.MultiheadAttention`` holding a copy of these weights."""
        has_bias = self.q_proj.bias is not None
        reference = nn.MultiheadAttention(
            self.d_model,
            self.n_heads,
            dropout=self.dropout,
            bias=has_bias,
            kdim=self.k_proj.in_features,
            vdim=self.v_proj.in_features,
            batch_first=True,
            device=self.q_proj.weight.device,
        )
        projections = (self.q_proj, self.k_proj, self.v_proj)
        with torch.no_grad():
            if reference._qkv_same_embed_dim:
                reference.in_proj_weight.copy_(torch.cat([p.weight for p in projections]))
            else:
                reference.q_proj_weight.copy_(self.q_proj.weight)
                reference.k_proj_weight.copy_(self.k_proj.weight)
                reference.v_proj_weight.copy_(self.v_proj.weight)
            if has_bias:
                reference.in_proj_bias.copy_(torch.cat([p.bias for p in projections]))
                reference.out_proj.bias.copy_(self.out_proj.bias)
            reference.out_proj.weight.copy_(self.out_proj.weight)
        return reference


class AdditiveAttention(nn.Module):
    """Additive ("MLP") attention of Bahdanau et al. (2015): ``score = w^T tanh(W_q q + W_k k)``.

    The score of each (query, key) pair is computed by a small network, so a ``(B, Tq, Tk, H)``
    hidden tensor is built; dot-product attention replaces all of this by one matrix product.
    ``forward(query (B, Tq, Dq), key (B, Tk, Dk), value (B, Tk, Dv), mask)`` returns
    ``(output (B, Tq, Dv), weights (B, Tq, Tk))``.
    """

    def __init__(self, query_dim: int, key_dim: int, hidden_dim: int) -> None:
        super().__init__()
        if min(query_dim, key_dim, hidden_dim) < 1:
            raise ValueError("query_dim, key_dim and hidden_dim must be positive")
        self.query_proj = nn.Linear(query_dim, hidden_dim, bias=False)
        self.key_proj = nn.Linear(key_dim, hidden_dim, bias=True)
        self.score_proj = nn.Linear(hidden_dim, 1, bias=False)

    def scores(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        """Unnormalised scores ``(B, Tq, Tk)`` of every query against every key."""
        q = self.query_proj(query).unsqueeze(2)  # (B, Tq, 1, H)
        k = self.key_proj(key).unsqueeze(1)  # (B, 1, Tk, H)
        hidden = torch.tanh(q + k)  # (B, Tq, Tk, H)
        return self.score_proj(hidden).squeeze(-1)  # (B, Tq, Tk)

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return attend(self.scores(query, key), value, mask)
