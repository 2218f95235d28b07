"""An encoder-only transformer in the manner of BERT (Devlin et al., 2019), written bottom-up.

The blocks are the course's :class:`~course.transformer.EncoderBlock` (pre-LayerNorm, no causal
mask: every position attends to every real position, left and right). On top of the shared
:class:`Encoder` sit two heads:

* :class:`MaskedLanguageModel`: BERT's pre-training head, a dense layer, a GELU, a LayerNorm and
  an output layer whose weight is the token-embedding matrix, scoring the vocabulary at the
  masked positions (:mod:`course.masking` chooses them);
* :class:`EncoderClassifier`: a linear layer on the final state of ``[CLS]``, the first token,
  for sentence classification (BERT adds a ``tanh`` "pooler" layer before it; we leave it out).

:func:`ablate_heads` switches attention heads off, to measure what each contributes.

Shapes: ``B`` batch, ``T`` sequence length, ``C = n_embd`` channels, ``H = n_head`` heads,
``V`` vocabulary size, ``L = n_layer`` blocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .checks import check_heads_and_dropout, check_positive_int
from .masking import IGNORE_INDEX
from .text import PAD_ID
from .transformer import EncoderBlock


@dataclass
class EncoderConfig:
    """Sizes of an :class:`Encoder`; ``max_length`` is the longest input it can read."""

    vocab_size: int
    max_length: int = 64
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 64
    dropout: float = 0.0

    def __post_init__(self) -> None:
        for name in ("vocab_size", "max_length", "n_layer", "n_head", "n_embd"):
            check_positive_int(getattr(self, name), name)
        check_heads_and_dropout(self.n_embd, self.n_head, self.dropout)


class Encoder(nn.Module):
    """Token and learned position embeddings, ``n_layer`` bidirectional pre-LN blocks and a
    final LayerNorm: ids ``(B, T)`` -> states ``(B, T, C)``. Padding (``PAD_ID``) is never
    attended to."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        c = config.n_embd
        self.token_embedding = nn.Embedding(config.vocab_size, c)
        self.position_embedding = nn.Embedding(config.max_length, c)
        self.blocks = nn.ModuleList(
            EncoderBlock(c, config.n_head, dropout=config.dropout, fused=True)
            for _ in range(config.n_layer)
        )
        self.ln_f = nn.LayerNorm(c)
        self.apply(_init_weights)

    def _embed(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if ids.dim() != 2 or not 1 <= ids.shape[1] <= self.config.max_length:
            raise ValueError(f"ids must be (B, T) with 1 <= T <= {self.config.max_length}, "
                             f"got {tuple(ids.shape)}")
        positions = torch.arange(ids.shape[1], device=ids.device)  # (T,)
        x = self.token_embedding(ids) + self.position_embedding(positions)  # (B, T, C)
        keys = (ids != PAD_ID)[:, None, :]  # (B, 1, T) every query may see the real keys
        return x, keys

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x, keys = self._embed(ids)  # (B, T, C), (B, 1, T)
        for block in self.blocks:
            x = block(x, mask=keys)  # (B, T, C)
        return self.ln_f(x)  # (B, T, C)

    @torch.no_grad()
    def attention_maps(self, ids: torch.Tensor) -> torch.Tensor:
        """Every head's attention weights, ``(L, B, H, T, T)`` (rows: queries, columns: keys)."""
        x, keys = self._embed(ids)  # (B, T, C), (B, 1, T)
        maps = []
        for block in self.blocks:
            # the weights the block's own attention computes from its pre-LN input
            _, weights = block.self_attn(block.norm1(x), mask=keys, need_weights=True)
            maps.append(weights)  # (B, H, T, T)
            x = block(x, mask=keys)  # (B, T, C)
        return torch.stack(maps)  # (L, B, H, T, T)


def _init_weights(module: nn.Module) -> None:
    """BERT's initialisation: normal weights with standard deviation 0.02, zero biases."""
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, std=0.02)
    if isinstance(module, nn.Linear) and module.bias is not None:
        nn.init.zeros_(module.bias)


class MaskedLanguageModel(nn.Module):
    """An :class:`Encoder` with BERT's masked-language-model head.

    ``forward(ids (B, T), targets (B, T) = None) -> (logits, loss)``. With ``targets`` (the
    original tokens at the chosen positions, :data:`~course.masking.IGNORE_INDEX` elsewhere)
    only the chosen positions are scored: ``logits`` is ``(N, V)`` for the ``N`` chosen
    positions in row-major order, and ``loss`` their mean cross-entropy. Without, ``logits``
    is ``(B, T, V)`` and ``loss`` is ``None``.
    """

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        c = config.n_embd
        self.transform = nn.Sequential(nn.Linear(c, c), nn.GELU(), nn.LayerNorm(c))
        self.transform.apply(_init_weights)
        self.output_bias = nn.Parameter(torch.zeros(config.vocab_size))  # (V,)

    def forward(
        self, ids: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        states = self.encoder(ids)  # (B, T, C)
        if targets is not None:
            if targets.shape != ids.shape:
                raise ValueError(f"targets {tuple(targets.shape)} must match ids "
                                 f"{tuple(ids.shape)}")
            chosen = targets != IGNORE_INDEX  # (B, T)
            states = states[chosen]  # (N, C)
        hidden = self.transform(states)  # (..., C)
        # the output layer is the token embedding (weight tying), as in BERT
        logits = hidden @ self.encoder.token_embedding.weight.T + self.output_bias  # (..., V)
        if targets is None:
            return logits, None  # (B, T, V)
        return logits, F.cross_entropy(logits, targets[chosen])  # (N, V), scalar


class EncoderClassifier(nn.Module):
    """A linear classifier on the final state of the first token (``[CLS]``) of an
    :class:`Encoder`: ids ``(B, T)`` -> logits ``(B, n_classes)``. Pass a pre-trained encoder
    to fine-tune it, or a fresh one to train from scratch."""

    def __init__(self, encoder: Encoder, n_classes: int = 2, dropout: float = 0.1) -> None:
        super().__init__()
        check_positive_int(n_classes, "n_classes")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(encoder.config.n_embd, n_classes)
        _init_weights(self.classifier)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        cls_state = self.encoder(ids)[:, 0]  # (B, C) the state of [CLS]
        return self.classifier(self.dropout(cls_state))  # (B, n_classes)


@contextmanager
def ablate_heads(encoder: Encoder, heads: Iterable[tuple[int, int]]) -> Iterator[None]:
    """Within the ``with`` block, the ``(layer, head)`` pairs of ``heads`` (counted from 0)
    contribute nothing: their columns of the attention's output projection are zeroed, which
    removes exactly that head's term from the layer's output. The weights are restored after."""
    saved = []
    n_layer, n_head = encoder.config.n_layer, encoder.config.n_head
    width = encoder.config.n_embd // n_head
    try:
        with torch.no_grad():
            for layer, head in heads:
                if not (0 <= layer < n_layer and 0 <= head < n_head):
                    raise ValueError(f"no head {head} in layer {layer}: the encoder has "
                                     f"{n_layer} layers of {n_head} heads, counted from 0")
                weight = encoder.blocks[layer].self_attn.out_proj.weight  # (C, C)
                columns = slice(head * width, (head + 1) * width)
                saved.append((weight, columns, weight[:, columns].clone()))
                weight[:, columns] = 0.0
        yield
    finally:
        with torch.no_grad():
            for weight, columns, original in reversed(saved):
                weight[:, columns] = original
