"""The transformer block (Vaswani et al., 2017), built from the course's attention and LayerNorm.

An *encoder block* is two sub-layers, each wrapped in a residual connection and a LayerNorm:

    pre-LN  (GPT-2 and most modern models):  x = x + f(LN(x))
    post-LN (the original 2017 paper):       x = LN(x + f(x))

with ``f`` first multi-head self-attention (tokens exchange information), then a position-wise
feed-forward network (each token is transformed on its own). A *decoder block* has causal
self-attention, then cross-attention to an encoder's output ("memory"), then the feed-forward
network. A decoder-only model such as GPT uses a decoder block without cross-attention
(``DecoderBlock(..., cross_attention=False)``), which is an encoder block with a causal mask.

The switches ``residual`` and ``layer_norm`` exist to run ablations: they remove the residual
connections or the normalisation from the block. The closed-form parameter counts at the end
give ``12 d^2 + 13 d`` per encoder block when ``d_ff = 4 d``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .attention import MultiHeadAttention, causal_mask
from .checks import check_positive_int
from .normalization import LayerNorm

_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {"gelu": nn.GELU, "relu": nn.ReLU}


class FeedForward(nn.Module):
    """Position-wise MLP ``fc2(act(fc1(x)))`` applied to every token independently."""

    def __init__(
        self,
        d_model: int,
        d_ff: int,
        activation: str = "gelu",
        dropout: float = 0.0,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be in {sorted(_ACTIVATIONS)}, got {activation!r}")
        self.fc1 = nn.Linear(d_model, d_ff, bias=bias)
        self.activation = _ACTIVATIONS[activation]()
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(d_ff, d_model, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self.dropout(self.activation(self.fc1(x)))  # (B, T, d_ff)
        return self.fc2(hidden)  # (B, T, C)


class _Block(nn.Module):
    """What encoder and decoder blocks share: options and the residual/normalisation wiring."""

    def __init__(
        self,
        d_model: int,
        d_ff: int | None,
        dropout: float,
        norm_first: bool,
        residual: bool,
        layer_norm: bool,
        bias: bool,
    ) -> None:
        super().__init__()
        check_positive_int(d_model, "d_model")
        self.d_model = d_model
        self.d_ff = 4 * d_model if d_ff is None else d_ff
        self.norm_first, self.residual, self.use_layer_norm = norm_first, residual, layer_norm
        self.bias = bias
        self.dropout = nn.Dropout(dropout)

    def _norm(self) -> nn.Module:
        return LayerNorm(self.d_model, bias=self.bias) if self.use_layer_norm else nn.Identity()

    def _sublayer(
        self, x: torch.Tensor, norm: nn.Module, f: Callable[[torch.Tensor], torch.Tensor]
    ) -> torch.Tensor:
        """Apply sub-layer ``f`` with the configured residual connection and LayerNorm."""
        if self.norm_first:
            out = self.dropout(f(norm(x)))  # (B, T, C)
            return x + out if self.residual else out
        out = self.dropout(f(x))  # (B, T, C)
        return norm(x + out if self.residual else out)


class EncoderBlock(_Block):
    """Self-attention then feed-forward, each with a residual connection and a LayerNorm.

    ``forward(x (B, T, C), mask=None) -> (B, T, C)``; ``mask`` (``True`` = may attend) can be a
    padding mask, or :func:`~course.attention.causal_mask` for a decoder-only language model.
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        d_ff: int | None = None,
        *,
        dropout: float = 0.0,
        activation: str = "gelu",
        norm_first: bool = True,
        residual: bool = True,
        layer_norm: bool = True,
        bias: bool = True,
        fused: bool = False,
    ) -> None:
        super().__init__(d_model, d_ff, dropout, norm_first, residual, layer_norm, bias)
        self.self_attn = MultiHeadAttention(
            d_model, n_heads, bias=bias, dropout=dropout, fused=fused
        )
        self.ff = FeedForward(d_model, self.d_ff, activation, dropout, bias)
        self.norm1, self.norm2 = self._norm(), self._norm()

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = self._sublayer(x, self.norm1, lambda h: self.self_attn(h, mask=mask))  # (B, T, C)
        return self._sublayer(x, self.norm2, self.ff)  # (B, T, C)

    @classmethod
    def from_torch(cls, reference: nn.TransformerEncoderLayer) -> EncoderBlock:
        """An :class:`EncoderBlock` holding a copy of a ``nn.TransformerEncoderLayer``'s weights."""
        if not isinstance(reference, nn.TransformerEncoderLayer):
            raise TypeError(f"expected nn.TransformerEncoderLayer, got {type(reference).__name__}")
        activation = reference.activation
        if activation is nn.functional.gelu or isinstance(activation, nn.GELU):
            name = "gelu"
        elif activation is nn.functional.relu or isinstance(activation, nn.ReLU):
            name = "relu"
        else:
            raise ValueError(f"only relu and gelu layers can be copied, got {activation!r}")
        attention = MultiHeadAttention.from_torch(reference.self_attn)
        block = cls(
            attention.d_model,
            attention.n_heads,
            reference.linear1.out_features,
            dropout=reference.dropout.p,
            activation=name,
            norm_first=reference.norm_first,
            bias=reference.linear1.bias is not None,
        )
        block.self_attn = attention
        block.ff.fc1.load_state_dict(reference.linear1.state_dict())
        block.ff.fc2.load_state_dict(reference.linear2.state_dict())
        block.norm1.load_state_dict(reference.norm1.state_dict())
        block.norm2.load_state_dict(reference.norm2.state_dict())
        block.norm1.eps, block.norm2.eps = reference.norm1.eps, reference.norm2.eps
        return block.to(reference.linear1.weight.device)


class DecoderBlock(_Block):
    """Causal self-attention, cross-attention to ``memory``, then feed-forward.

    ``forward(x (B, T, C), memory (B, S, C) = None, self_mask=None, memory_mask=None)``. The
    causal mask is always applied to self-attention (``self_mask``, e.g. padding, is combined
    with it). With ``cross_attention=False`` the block has no cross-attention and ``memory``
    must be omitted: this is the block of a decoder-only model such as GPT.
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        d_ff: int | None = None,
        *,
        cross_attention: bool = True,
        dropout: float = 0.0,
        activation: str = "gelu",
        norm_first: bool = True,
        residual: bool = True,
        layer_norm: bool = True,
        bias: bool = True,
        fused: bool = False,
    ) -> None:
        super().__init__(d_model, d_ff, dropout, norm_first, residual, layer_norm, bias)
        self.self_attn = MultiHeadAttention(
            d_model, n_heads, bias=bias, dropout=dropout, fused=fused
        )
        self.cross_attn = (
            MultiHeadAttention(d_model, n_heads, bias=bias, dropout=dropout, fused=fused)
            if cross_attention
            else None
        )
        self.ff = FeedForward(d_model, self.d_ff, activation, dropout, bias)
        self.norm1, self.norm3 = self._norm(), self._norm()
        self.norm2 = self._norm() if cross_attention else None

    def forward(
        self,
        x: torch.Tensor,
        memory: torch.Tensor | None = None,
        self_mask: torch.Tensor | None = None,
        memory_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        if (memory is None) != (self.cross_attn is None):
            raise ValueError("pass memory exactly when the block has cross-attention")
        mask = causal_mask(x.shape[1], device=x.device)  # (T, T)
        if self_mask is not None:
            mask = mask & self_mask
        x = self._sublayer(x, self.norm1, lambda h: self.self_attn(h, mask=mask))  # (B, T, C)
        if self.cross_attn is not None:
            x = self._sublayer(
                x, self.norm2, lambda h: self.cross_attn(h, memory, memory, mask=memory_mask)
            )  # (B, T, C)
        return self._sublayer(x, self.norm3, self.ff)  # (B, T, C)


class SequenceTagger(nn.Module):
    """A small encoder-only transformer that predicts one class per input token.

    Token embedding + learned position embedding, ``n_layers`` :class:`EncoderBlock` s, a
    final LayerNorm (for pre-LN stacks) and a linear head: ``(B, T)`` ids -> ``(B, T, K)`` logits.
    Block options (``norm_first``, ``residual``, ``layer_norm``, ...) are passed through.
    """

    def __init__(
        self,
        vocab_size: int,
        n_classes: int,
        max_length: int,
        d_model: int = 32,
        n_heads: int = 4,
        n_layers: int = 2,
        **block_options,
    ) -> None:
        super().__init__()
        self.max_length = max_length
        self.token_embedding = nn.Embedding(vocab_size, d_model)
        self.position_embedding = nn.Embedding(max_length, d_model)
        self.blocks = nn.ModuleList(
            EncoderBlock(d_model, n_heads, **block_options) for _ in range(n_layers)
        )
        final_norm = block_options.get("norm_first", True) and block_options.get("layer_norm", True)
        self.final_norm = LayerNorm(d_model) if final_norm else nn.Identity()
        self.head = nn.Linear(d_model, n_classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if tokens.dim() != 2 or tokens.shape[1] > self.max_length:
            raise ValueError(
                f"tokens must be (B, T) with T <= {self.max_length}, got {tuple(tokens.shape)}"
            )
        positions = torch.arange(tokens.shape[1], device=tokens.device)  # (T,)
        x = self.token_embedding(tokens) + self.position_embedding(positions)  # (B, T, C)
        for block in self.blocks:
            x = block(x)  # (B, T, C)
        return self.head(self.final_norm(x))  # (B, T, K)


def attention_parameter_count(d_model: int, bias: bool = True) -> int:
    """Q, K, V and output projections: ``4 d^2`` weights ``+ 4 d`` biases."""
    return 4 * d_model * d_model + (4 * d_model if bias else 0)


def feed_forward_parameter_count(d_model: int, d_ff: int, bias: bool = True) -> int:
    """Two linear maps ``d -> d_ff -> d``: ``2 d d_ff`` weights ``+ d_ff + d`` biases."""
    return 2 * d_model * d_ff + (d_ff + d_model if bias else 0)


def block_parameter_count(
    d_model: int,
    d_ff: int | None = None,
    *,
    kind: str = "encoder",
    bias: bool = True,
    layer_norm: bool = True,
) -> int:
    """Closed-form parameter count of one block; ``kind`` is ``"encoder"``, ``"decoder"``
    (with cross-attention) or ``"decoder-only"`` (GPT-style, same count as an encoder block).

    With ``d_ff = 4 d`` an encoder block has ``12 d^2 + 13 d`` parameters.
    """
    if kind not in ("encoder", "decoder", "decoder-only"):
        raise ValueError(f"kind must be 'encoder', 'decoder' or 'decoder-only', got {kind!r}")
    d_ff = 4 * d_model if d_ff is None else d_ff
    n_attention, n_norms = (2, 3) if kind == "decoder" else (1, 2)
    norm = (2 if bias else 1) * d_model if layer_norm else 0
    return (
        n_attention * attention_parameter_count(d_model, bias)
        + feed_forward_parameter_count(d_model, d_ff, bias)
        + n_norms * norm
    )


def transformer_parameter_count(
    vocab_size: int,
    max_length: int,
    d_model: int,
    n_layers: int,
    d_ff: int | None = None,
    *,
    kind: str = "decoder-only",
    bias: bool = True,
) -> int:
    """Closed-form parameters of a GPT-style stack: token and position embeddings,
    ``n_layers`` blocks, a final LayerNorm, and an output layer tied to the token embedding."""
    if min(vocab_size, max_length, d_model, n_layers) < 1:
        raise ValueError("vocab_size, max_length, d_model and n_layers must be positive")
    embeddings = (vocab_size + max_length) * d_model
    final_norm = (2 if bias else 1) * d_model
    blocks = n_layers * block_parameter_count(d_model, d_ff, kind=kind, bias=bias)
    return embeddings + blocks + final_norm
