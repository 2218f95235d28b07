"""A decoder-only transformer language model (GPT), written bottom-up.

The pieces built in earlier chapters are reused: attention is the course's
:func:`~course.attention.scaled_dot_product_attention` with its
:func:`~course.attention.causal_mask`, the MLP is :class:`~course.transformer.FeedForward`. What
is particular to GPT is here: causal self-attention with a key-value cache, the block, the
model and sampling. The block normalises with PyTorch's ``nn.LayerNorm``, which computes the
same function as :class:`course.normalization.LayerNorm` (up to rounding) with a fused kernel.

The model follows GPT-2 (Radford et al., 2019) in the spirit of Karpathy's minGPT:

* token embeddings plus learned position embeddings (``position="learned"``; the other choices
  of :data:`POSITIONS` use the encodings of :mod:`course.positions` instead),
* ``n_layer`` blocks ``x = x + attn(LN(x))``, ``x = x + mlp(LN(x))`` (pre-LayerNorm, residuals),
  where ``attn`` is *causal* multi-head self-attention: position ``t`` sees positions ``<= t``,
* a final LayerNorm and a linear head whose weight *is* the token-embedding matrix
  (weight tying, Press and Wolf, 2017), giving next-token logits at every position.

The defaults give that GPT-2 model. The other settings of :class:`GPTConfig` turn it, one
choice at a time, into the decoder of today's open models such as LLaMA (Touvron et al., 2023):
``norm="rmsnorm"`` (Zhang and Sennrich, 2019), ``mlp="swiglu"`` (Shazeer, 2020),
``position="rope"``, ``bias=False`` and ``n_kv_head < n_head``, grouped-query attention
(Ainslie et al., 2023), whose ``n_kv_head=1`` is multi-query attention (Shazeer, 2019).

Generation is autoregressive: sample a token from the last position's logits, append it, repeat.
A key-value cache keeps the keys and values of the tokens already seen, so each new token costs
one position's work instead of recomputing the whole prefix; :meth:`GPT.forward_cached` returns
the same logits as :meth:`GPT.forward`.

Shapes: ``B`` batch, ``T`` sequence length, ``C = n_embd`` channels, ``H = n_head`` heads,
``D = C // H`` channels per head, ``Hkv = n_kv_head`` key-value heads, ``V`` vocabulary size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .attention import causal_mask, scaled_dot_product_attention
from .checks import check_heads_and_dropout, check_one_of, check_positive_int
from .positions import alibi_bias, apply_rope, sinusoidal_table
from .transformer import FeedForward

# how a GPT knows where each token is: nothing, a learned table, the sinusoidal table (both
# added to the token embeddings), rotary embeddings of queries and keys, or linear biases
POSITIONS = ("none", "learned", "sinusoidal", "rope", "alibi")
NORMS = ("layernorm", "rmsnorm")  # the normalisation of every block and of the final layer
MLPS = ("gelu", "swiglu")  # the feed-forward: C -> 4C -> C with a GELU, or a gated SiLU unit
# the weights that write into the residual stream, initialised smaller (GPT-2)
RESIDUAL_PROJECTIONS = ("attn.proj.weight", "mlp.fc2.weight")


@dataclass
class GPTConfig:
    """Sizes and choices of a GPT. ``block_size`` is the longest context the model can read;
    ``position`` (one of :data:`POSITIONS`) is how it encodes where each token is; ``norm`` (one
    of :data:`NORMS`) and ``mlp`` (one of :data:`MLPS`) choose the normalisation and the
    feed-forward; ``bias=False`` removes the biases of every linear layer and LayerNorm;
    ``n_kv_head`` (a divisor of ``n_head``; ``None`` means ``n_head``) is the number of key-value
    heads, which groups of ``n_head // n_kv_head`` query heads share."""

    vocab_size: int
    block_size: int = 128
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    position: str = "learned"
    norm: str = "layernorm"
    mlp: str = "gelu"
    bias: bool = True
    n_kv_head: int | None = None

    @property
    def kv_heads(self) -> int:
        """The number of key-value heads: ``n_kv_head``, or ``n_head`` when it is ``None``."""
        return self.n_head if self.n_kv_head is None else self.n_kv_head

    def __post_init__(self) -> None:
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            check_positive_int(getattr(self, name), name)
        check_heads_and_dropout(self.n_embd, self.n_head, self.dropout)
        check_one_of(self.position, POSITIONS, "position")
        if self.position == "sinusoidal" and self.n_embd % 2:
            raise ValueError(f"position='sinusoidal' needs an even n_embd, got {self.n_embd}")
        if self.position == "rope" and (self.n_embd // self.n_head) % 2:
            raise ValueError(f"position='rope' needs an even head size n_embd // n_head, got "
                             f"{self.n_embd // self.n_head}")
        if self.position == "alibi" and self.n_head & (self.n_head - 1):
            raise ValueError(f"position='alibi' needs a power-of-two n_head, got {self.n_head}")
        check_one_of(self.norm, NORMS, "norm")
        check_one_of(self.mlp, MLPS, "mlp")
        if not isinstance(self.bias, bool):
            raise TypeError(f"bias must be True or False, got {self.bias!r}")
        if self.n_kv_head is not None:
            check_positive_int(self.n_kv_head, "n_kv_head")
            if self.n_head % self.n_kv_head:
                raise ValueError(f"n_kv_head={self.n_kv_head} must divide n_head={self.n_head}: "
                                 "each key-value head serves a group of query heads")


def swiglu_width(n_embd: int) -> int:
    """The hidden width of the SwiGLU feed-forward: ``2/3`` of the GELU MLP's ``4C``, rounded to
    the nearest integer. SwiGLU has three ``C x width`` matrices where the GELU MLP has two of
    ``C x 4C``, so this keeps the weights equal within ``C`` (Shazeer, 2020; LLaMA's
    ``2/3 4d``)."""
    check_positive_int(n_embd, "n_embd")
    return round(8 * n_embd / 3)


def gpt_parameter_count(config: GPTConfig, non_embedding: bool = False) -> int:
    """Closed-form number of parameters of :class:`GPT` (tied head counted once).

    With the defaults, per block: two LayerNorms ``4C``, attention ``4C^2 + 4C`` (Q, K, V,
    output, with biases), MLP ``8C^2 + 5C`` (``C -> 4C -> C``), so ``12 C^2 + 13 C``. Plus
    embeddings ``V C + T C`` (``T C`` only for learned positions; the other encodings have no
    parameters) and the final LayerNorm ``2C``. RMSNorm, and LayerNorm without bias, have ``C``
    parameters; keys and values take ``2 C Hkv D`` weights; SwiGLU's three matrices
    ``3 C F`` with ``F`` = :func:`swiglu_width`; ``bias=False`` drops every bias.
    ``non_embedding=True`` leaves out both embedding tables, the count used by scaling laws
    (Kaplan et al., 2020).
    """
    if not isinstance(config, GPTConfig):
        raise TypeError(f"expected a GPTConfig, got {type(config).__name__}")
    c, b = config.n_embd, int(config.bias)  # b = 1 counts the biases, b = 0 leaves them out
    kv = 2 * config.kv_heads * (c // config.n_head)  # key and value channels
    norm = 2 * c if config.norm == "layernorm" and config.bias else c  # gain (and bias)
    attention = (c * (c + kv) + b * (c + kv)) + (c * c + b * c)  # Q, K, V; output
    if config.mlp == "gelu":
        mlp = 2 * 4 * c * c + b * (4 * c + c)  # C -> 4C -> C
    else:
        width = swiglu_width(c)
        mlp = 3 * c * width + b * (2 * width + c)  # gate and up C -> F, down F -> C
    blocks = config.n_layer * (2 * norm + attention + mlp)
    positions = config.block_size * c if config.position == "learned" else 0
    embeddings = config.vocab_size * c + positions
    return blocks + norm + (0 if non_embedding else embeddings)


# --- causal self-attention -----------------------------------------------------------------


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which position ``t`` attends only to positions ``<= t``.

    One linear layer makes queries, keys and values for all heads at once (``C -> 3C``); the
    heads attend independently in ``D = C / H`` dimensions and an output projection mixes them.
    With ``n_kv_head = Hkv < H`` there are only ``Hkv`` heads of keys and values
    (``C -> C + 2 Hkv D``), and query head ``h`` uses key-value head ``h // (H / Hkv)``:
    grouped-query attention, multi-query for ``Hkv = 1``. The cache stores ``Hkv`` heads.
    With ``keep_weights = True`` the last attention weights ``(B, H, T, T)`` are stored in
    ``self.weights`` for analysis (slower: the softmax is then computed explicitly). With
    ``position="rope"`` queries and keys are rotated by their positions; with ``"alibi"`` a
    linear bias in the distance is added to the scores.
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.n_head, self.n_embd, self.position = config.n_head, config.n_embd, config.position
        self.n_kv_head, self.head_size = config.kv_heads, config.n_embd // config.n_head
        kv = 2 * self.n_kv_head * self.head_size  # key and value channels: 2C for multi-head
        self.qkv = nn.Linear(config.n_embd, config.n_embd + kv, bias=config.bias)
        self.proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = config.dropout
        self.resid_dropout = nn.Dropout(config.dropout)
        self.keep_weights = False
        self.weights: torch.Tensor | None = None

    def _heads(
        self, x: torch.Tensor, start: int = 0
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Queries ``(B, H, T, D)``, keys and values ``(B, Hkv, T, D)`` of ``x (B, T, C)``,
        whose first position is ``start``."""
        batch, length, channels = x.shape  # (B, T, C)
        kv = self.n_kv_head * self.head_size
        q, k, v = self.qkv(x).split([channels, kv, kv], dim=2)  # (B, T, C), 2 x (B, T, Hkv D)
        q = q.view(batch, length, self.n_head, self.head_size).transpose(1, 2)  # (B, H, T, D)
        k = k.view(batch, length, self.n_kv_head, self.head_size).transpose(1, 2)  # (B, Hkv, T, D)
        v = v.view(batch, length, self.n_kv_head, self.head_size).transpose(1, 2)  # (B, Hkv, T, D)
        if self.position == "rope":  # rotate by the absolute positions start .. start + T - 1
            q, k = apply_rope(q, start), apply_rope(k, start)  # (B, H, T, D), (B, Hkv, T, D)
        return q, k, v

    def _mask(self, new: int, total: int, device: torch.device) -> torch.Tensor | None:
        """The mask of ``new`` queries, the last of ``total`` positions: ``None`` for the plain
        causal mask (``new == total``), boolean with a cache, ALiBi's float biases for alibi."""
        if self.position == "alibi":
            return alibi_bias(self.n_head, new, total, device)  # (H, T_new, T)
        if new == total:
            return None
        # new position i sits at absolute position total - new + i and sees keys up to it
        return torch.ones(new, total, dtype=torch.bool, device=device).tril(total - new)

    def _attend(self, q, k, v, mask: torch.Tensor | None, is_causal: bool) -> torch.Tensor:
        """Queries ``(B, H, Tq, D)`` attend to keys and values ``(B, Hkv, Tk, D)``."""
        dropout_p = self.dropout if self.training else 0.0
        grouped = self.n_kv_head != self.n_head
        if self.keep_weights:
            if is_causal:
                mask = causal_mask(q.shape[2], device=q.device)  # (T, T)
            if grouped:  # each key-value head serves H / Hkv consecutive query heads
                group = self.n_head // self.n_kv_head
                k, v = k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)  # (B, H, Tk, D)
            out, weights = scaled_dot_product_attention(q, k, v, mask, dropout_p=dropout_p)
            self.weights = weights.detach()  # (B, H, Tq, Tk)
            return out  # (B, H, Tq, D)
        return F.scaled_dot_product_attention(  # enable_gqa: the same grouping, without copies
            q, k, v, attn_mask=mask, dropout_p=dropout_p, is_causal=is_causal, enable_gqa=grouped
        )  # (B, H, Tq, D)

    def _merge(self, out: torch.Tensor) -> torch.Tensor:
        batch, _, length, _ = out.shape
        out = out.transpose(1, 2).reshape(batch, length, self.n_embd)  # (B, T, C)
        return self.resid_dropout(self.proj(out))  # (B, T, C)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self._heads(x)  # (B, H, T, D), (B, Hkv, T, D) x 2
        mask = self._mask(x.shape[1], x.shape[1], x.device)  # None or (H, T, T)
        return self._merge(self._attend(q, k, v, mask, is_causal=mask is None))  # (B, T, C)

    def forward_cached(self, x: torch.Tensor, cache: LayerCache) -> torch.Tensor:
        """Attend from the new positions ``x (B, T_new, C)`` to the cached ones and themselves."""
        q, k, v = self._heads(x, start=len(cache))  # (B, H, T_new, D), (B, Hkv, T_new, D) x 2
        k, v = cache.append(k, v)  # (B, Hkv, T_past + T_new, D)
        mask = self._mask(q.shape[2], k.shape[2], x.device)  # None, (T_new, T) or (H, T_new, T)
        return self._merge(self._attend(q, k, v, mask, is_causal=mask is None))  # (B, T_new, C)


class LayerCache:
    """The keys and values one attention layer has computed so far, ``(B, Hkv, T, D)`` each.

    They live in buffers of ``capacity`` positions, allocated at the first append, so a new
    token writes its own key and value in place instead of copying the whole cache.
    """

    def __init__(self, capacity: int) -> None:
        check_positive_int(capacity, "capacity")
        self.capacity = capacity
        self.length = 0
        self._keys: torch.Tensor | None = None
        self._values: torch.Tensor | None = None

    def __len__(self) -> int:
        return self.length

    def append(self, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Store the new positions' keys and values ``(B, Hkv, T_new, D)``; return all so far."""
        batch, heads, new, head_size = k.shape
        end = self.length + new
        if end > self.capacity:
            raise ValueError(f"the cache holds {self.capacity} positions; {end} were given")
        if self._keys is None or self._values is None:
            self._keys = k.new_empty(batch, heads, self.capacity, head_size)  # (B, Hkv, cap, D)
            self._values = v.new_empty(batch, heads, self.capacity, head_size)  # (B, Hkv, cap, D)
        self._keys[:, :, self.length:end] = k  # (B, Hkv, T_new, D) written in place
        self._values[:, :, self.length:end] = v  # (B, Hkv, T_new, D)
        self.length = end
        return self._keys[:, :, :end], self._values[:, :, :end]  # (B, Hkv, T, D) views


class KVCache:
    """One :class:`LayerCache` per block; ``len(cache)`` is the number of positions stored."""

    def __init__(self, n_layer: int, capacity: int) -> None:
        self.layers = [LayerCache(capacity) for _ in range(n_layer)]

    def __len__(self) -> int:
        return len(self.layers[0])

    @property
    def nbytes(self) -> int:
        """Bytes held by the key and value buffers allocated so far (``capacity`` positions)."""
        buffers = [b for layer in self.layers for b in (layer._keys, layer._values)]
        return sum(b.nbytes for b in buffers if b is not None)


# --- the block and the model ---------------------------------------------------------------


class SwiGLU(nn.Module):
    """The gated feed-forward of Shazeer (2020), ``fc2(SiLU(gate(x)) * fc1(x))``: the SiLU of
    one projection, ``z sigmoid(z)``, scales another coordinate by coordinate."""

    def __init__(self, d_model: int, d_ff: int, dropout: float = 0.0, bias: bool = True) -> None:
        super().__init__()
        self.gate = nn.Linear(d_model, d_ff, bias=bias)  # W of the paper
        self.fc1 = nn.Linear(d_model, d_ff, bias=bias)  # V
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(d_ff, d_model, bias=bias)  # W_2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = F.silu(self.gate(x)) * self.fc1(x)  # (B, T, d_ff)
        return self.fc2(self.dropout(hidden))  # (B, T, C)


def make_norm(config: GPTConfig) -> nn.Module:
    """The normalisation ``config.norm`` names: LayerNorm (with a bias unless ``bias=False``)
    or RMSNorm, which rescales by the root mean square and has a gain only; both with
    ``eps = 1e-5`` added to the variance or mean square."""
    if config.norm == "rmsnorm":
        return nn.RMSNorm(config.n_embd, eps=1e-5)
    return nn.LayerNorm(config.n_embd, eps=1e-5, bias=config.bias)


class Block(nn.Module):
    """Pre-norm transformer block: ``x + attn(norm(x))`` then ``x + mlp(norm(x))``."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        c = config.n_embd
        self.ln1 = make_norm(config)  # LayerNorm or RMSNorm; called ln as in GPT-2
        self.attn = CausalSelfAttention(config)
        self.ln2 = make_norm(config)
        if config.mlp == "swiglu":
            self.mlp = SwiGLU(c, swiglu_width(c), config.dropout, config.bias)
        else:
            self.mlp = FeedForward(c, 4 * c, "gelu", config.dropout, config.bias)
        self.mlp_dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, cache: LayerCache | None = None) -> torch.Tensor:
        h = self.ln1(x)  # (B, T, C)
        x = x + (self.attn(h) if cache is None else self.attn.forward_cached(h, cache))  # (B, T, C)
        return x + self.mlp_dropout(self.mlp(self.ln2(x)))  # (B, T, C)


class GPT(nn.Module):
    """A GPT language model: ``forward(idx (B, T)) -> (logits (B, T, V), loss or None)``."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        if not isinstance(config, GPTConfig):
            raise TypeError(f"expected a GPTConfig, got {type(config).__name__}")
        self.config = config
        self.token_embedding = nn.Embedding(config.vocab_size, config.n_embd)
        if config.position == "learned":
            self.position_embedding = nn.Embedding(config.block_size, config.n_embd)
        elif config.position == "sinusoidal":  # fixed: a buffer, not a parameter
            table = sinusoidal_table(config.block_size, config.n_embd)  # (T, C)
            self.register_buffer("position_table", table, persistent=False)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = make_norm(config)
        self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.head.weight = self.token_embedding.weight  # weight tying: one (V, C) matrix
        self.apply(self._init_weights)
        # GPT-2 scales the projections that write into the residual stream by 1/sqrt(2 L)
        for name, parameter in self.named_parameters():
            if name.endswith(RESIDUAL_PROJECTIONS):
                nn.init.normal_(parameter, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def _check_idx(self, idx: torch.Tensor, offset: int = 0) -> None:
        if not isinstance(idx, torch.Tensor) or idx.dim() != 2 or idx.dtype != torch.long:
            raise ValueError("idx must be a (B, T) tensor of token ids (torch.long)")
        if offset + idx.shape[1] > self.config.block_size:
            raise ValueError(
                f"sequence of {offset + idx.shape[1]} positions is longer than "
                f"block_size={self.config.block_size}"
            )

    def _embed(self, idx: torch.Tensor, offset: int = 0) -> torch.Tensor:
        x = self.token_embedding(idx)  # (B, T, C)
        positions = torch.arange(offset, offset + idx.shape[1], device=idx.device)  # (T,)
        if self.config.position == "learned":
            x = x + self.position_embedding(positions)  # (B, T, C)
        elif self.config.position == "sinusoidal":
            x = x + self.position_table[positions]  # (B, T, C)
        return self.drop(x)  # (B, T, C)  rope and alibi act inside attention instead

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Next-token logits ``(B, T, V)`` and, given ``targets (B, T)``, the mean cross-entropy
        in nats."""
        self._check_idx(idx)
        x = self._embed(idx)  # (B, T, C)
        for block in self.blocks:
            x = block(x)  # (B, T, C)
        logits = self.head(self.ln_f(x))  # (B, T, V)
        loss = None
        if targets is not None:
            if targets.shape != idx.shape:
                raise ValueError(
                    f"targets {tuple(targets.shape)} must match idx {tuple(idx.shape)}"
                )
            loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return logits, loss

    def new_cache(self) -> KVCache:
        """An empty key-value cache for :meth:`forward_cached` (``n_kv_head`` heads a layer)."""
        return KVCache(self.config.n_layer, self.config.block_size)

    def forward_cached(self, idx: torch.Tensor, cache: KVCache) -> torch.Tensor:
        """Logits ``(B, T_new, V)`` for the new tokens ``idx``, continuing the cached sequence.

        The cache is extended in place; the logits equal those :meth:`forward` gives for the
        same positions of the whole sequence.
        """
        offset = len(cache)
        self._check_idx(idx, offset)
        x = self._embed(idx, offset)  # (B, T_new, C)
        for block, layer_cache in zip(self.blocks, cache.layers, strict=True):
            x = block(x, layer_cache)  # (B, T_new, C)
        return self.head(self.ln_f(x))  # (B, T_new, V)

    @torch.no_grad()
    def attention_maps(self, idx: torch.Tensor) -> torch.Tensor:
        """Attention weights of every layer and head, ``(L, B, H, T, T)`` (rows sum to 1)."""
        maps = []
        for block in self.blocks:
            block.attn.keep_weights = True
        try:
            self.forward(idx)
            maps = [block.attn.weights for block in self.blocks]
        finally:
            for block in self.blocks:
                block.attn.keep_weights, block.attn.weights = False, None
        return torch.stack(maps)  # (L, B, H, T, T)

    @torch.no_grad()
    def generate(
        self,
        idx: torch.Tensor,
        max_new_tokens: int,
        *,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: torch.Generator | None = None,
        use_cache: bool = True,
    ) -> torch.Tensor:
        """Append ``max_new_tokens`` sampled tokens to the prompt ``idx (B, T)``.

        Logits are divided by ``temperature`` (``0`` means greedy: always the most likely token);
        with ``top_k`` only the ``k`` most likely tokens can be drawn (Fan et al., 2018). Pass a
        seeded ``generator`` for reproducible samples. With ``use_cache`` the key-value cache is
        used while the sequence fits in ``block_size``; beyond it the context is cropped to the
        last ``block_size`` tokens and recomputed.
        """
        if not isinstance(max_new_tokens, int) or max_new_tokens < 0:
            raise ValueError(f"max_new_tokens must be a non-negative int, got {max_new_tokens!r}")
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature!r}")
        if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
            raise ValueError(f"top_k must be None or a positive int, got {top_k!r}")
        block_size = self.config.block_size
        self._check_idx(idx[:, -block_size:])
        cache = self.new_cache() if use_cache else None
        pending = idx[:, -block_size:]  # (B, T) tokens the cache has not seen yet
        for _ in range(max_new_tokens):
            if cache is not None and len(cache) + pending.shape[1] <= block_size:
                logits = self.forward_cached(pending, cache)[:, -1, :]  # (B, V)
            else:  # no cache, or the context window is full: recompute the last block_size
                cache = None
                logits = self.forward(idx[:, -block_size:])[0][:, -1, :]  # (B, V)
            pending = sample_next_token(logits, temperature, top_k, generator)  # (B, 1)
            idx = torch.cat([idx, pending], dim=1)  # (B, T + 1)
        return idx


def sample_next_token(
    logits: torch.Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Draw one token per row from ``logits (B, V)``; returns ``(B, 1)`` ids."""
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)  # (B, 1)
    logits = logits / temperature  # (B, V)
    if top_k is not None and top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]  # (B, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))  # (B, V)
    probs = torch.softmax(logits, dim=-1)  # (B, V)
    return torch.multinomial(probs, 1, generator=generator)  # (B, 1)
