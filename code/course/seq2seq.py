"""Recurrent encoder-decoders with and without attention (Bahdanau et al., 2015), built bottom-up.

* :class:`Encoder`: embeddings and a bidirectional GRU; every source position gets an
  annotation ``h_j`` (forward and backward states side by side), and the last states of both
  directions summarise the whole source.
* :class:`FixedContext`, :class:`AdditiveScore`, :class:`DotScore`, :class:`GeneralScore`: the
  ways the decoder obtains its context vector ``c_i``. ``FixedContext`` plays the paper's
  RNNencdec (called RNNenc in its figures): the summary vector, the same at every step, here
  of a bidirectional encoder where the paper's baseline reads the source forwards only; the
  others are attention with Bahdanau's additive score (RNNsearch) or the multiplicative scores
  of Luong et al. (2015).
* :class:`Decoder` with :meth:`Decoder.step`, one step of the decoder:
  ``c_i = context(s_{i-1}, h)``, ``s_i = GRU([E y_{i-1}; c_i], s_{i-1})``, logits from
  ``[s_i; c_i; E y_{i-1}]``.
* :class:`Seq2Seq` (teacher-forced logits for training), :func:`greedy_decode` and
  :func:`sequence_loss`.

Token ids are the course's (:mod:`course.text`): ``PAD_ID = 0``, ``UNK_ID = 1``, ``BOS_ID = 2``
(start of target), ``EOS_ID = 3`` (end of sequence). Tensors are
batch first; padded source positions are masked with :func:`course.attention.padding_mask`,
so their attention weights are exactly zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .attention import AdditiveAttention, attend, attention_scores, padding_mask
from .checks import check_positive_ints
from .text import BOS_ID, EOS_ID, PAD_ID
from .training import History, train

ATTENTION_KINDS = ("none", "additive", "dot", "general")



class Encoder(nn.Module):
    """Embedding + bidirectional GRU with ``hidden_size // 2`` units per direction.

    ``forward(src (B, S), lengths (B,))`` returns the annotations ``(B, S, hidden_size)``
    (zeros at padded positions) and the summary ``(B, hidden_size)``: the forward direction's
    state after the last real token next to the backward direction's state after the first.
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int) -> None:
        super().__init__()
        check_positive_ints(vocab_size=vocab_size, embed_dim=embed_dim, hidden_size=hidden_size)
        if hidden_size % 2:
            raise ValueError(f"hidden_size must be even (two directions), got {hidden_size}")
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD_ID)
        self.rnn = nn.GRU(embed_dim, hidden_size // 2, batch_first=True, bidirectional=True)

    def forward(
        self, src: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if src.dim() != 2 or lengths.shape != src.shape[:1]:
            raise ValueError(
                f"expected src (B, S) and lengths (B,), got {tuple(src.shape)}, "
                f"{tuple(lengths.shape)}"
            )
        x = self.embed(src)  # (B, S, E)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, last = self.rnn(packed)  # last: (2, B, H/2)
        annotations, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
        summary = torch.cat([last[0], last[1]], dim=-1)  # (B, H)
        return annotations, summary  # (B, S, H), (B, H)


class FixedContext(nn.Module):
    """RNNencdec's context: the encoder's summary vector at every step; no weights."""

    def prepare(self, annotations: torch.Tensor) -> torch.Tensor:
        """Nothing to precompute from the annotations."""
        return annotations

    def forward(
        self, state: torch.Tensor, keys: torch.Tensor, annotations: torch.Tensor,
        summary: torch.Tensor, mask: torch.Tensor,
    ) -> tuple[torch.Tensor, None]:
        return summary, None  # (B, H)


class AdditiveScore(nn.Module):
    """RNNsearch: ``e_ij = v^T tanh(W s_{i-1} + U h_j)`` (Bahdanau et al., 2015), masked softmax.

    The layers are those of :class:`course.attention.AdditiveAttention`; ``U h_j`` does not
    depend on the decoder step, so :meth:`prepare` computes it once per source sentence.
    """

    def __init__(self, hidden_size: int, attention_dim: int) -> None:
        super().__init__()
        self.attention = AdditiveAttention(hidden_size, hidden_size, attention_dim)

    def prepare(self, annotations: torch.Tensor) -> torch.Tensor:
        """The projected keys ``U h_j``, ``(B, S, A)``."""
        return self.attention.key_proj(annotations)  # (B, S, A)

    def forward(
        self, state: torch.Tensor, keys: torch.Tensor, annotations: torch.Tensor,
        summary: torch.Tensor, mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        query = self.attention.query_proj(state).unsqueeze(1)  # (B, 1, A)
        hidden = torch.tanh(query + keys)  # (B, S, A)
        scores = self.attention.score_proj(hidden).transpose(1, 2)  # (B, 1, S)
        context, weights = attend(scores, annotations, mask)  # (B, 1, H), (B, 1, S)
        return context.squeeze(1), weights.squeeze(1)  # (B, H), (B, S)


class DotScore(nn.Module):
    """Luong et al. (2015) "dot": ``e_ij = s_{i-1}^T h_j`` (unscaled), masked softmax."""

    def prepare(self, annotations: torch.Tensor) -> torch.Tensor:
        """The keys are the annotations themselves."""
        return annotations

    def forward(
        self, state: torch.Tensor, keys: torch.Tensor, annotations: torch.Tensor,
        summary: torch.Tensor, mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        scores = attention_scores(state.unsqueeze(1), keys, scale=1.0)  # (B, 1, S)
        context, weights = attend(scores, annotations, mask)  # (B, 1, H), (B, 1, S)
        return context.squeeze(1), weights.squeeze(1)  # (B, H), (B, S)


class GeneralScore(nn.Module):
    """Luong et al. (2015) "general": ``e_ij = s_{i-1}^T W h_j``, masked softmax."""

    def __init__(self, hidden_size: int) -> None:
        super().__init__()
        self.weight = nn.Linear(hidden_size, hidden_size, bias=False)

    def prepare(self, annotations: torch.Tensor) -> torch.Tensor:
        """The keys ``W h_j``, ``(B, S, H)``, computed once per source sentence."""
        return self.weight(annotations)  # (B, S, H)

    def forward(
        self, state: torch.Tensor, keys: torch.Tensor, annotations: torch.Tensor,
        summary: torch.Tensor, mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        scores = attention_scores(state.unsqueeze(1), keys, scale=1.0)  # (B, 1, S)
        context, weights = attend(scores, annotations, mask)  # (B, 1, H), (B, 1, S)
        return context.squeeze(1), weights.squeeze(1)  # (B, H), (B, S)


def make_context(kind: str, hidden_size: int, attention_dim: int) -> nn.Module:
    """The context module for ``kind`` in ``ATTENTION_KINDS``."""
    if kind == "none":
        return FixedContext()
    if kind == "additive":
        return AdditiveScore(hidden_size, attention_dim)
    if kind == "dot":
        return DotScore()
    if kind == "general":
        return GeneralScore(hidden_size)
    raise ValueError(f"attention must be one of {ATTENTION_KINDS}, got {kind!r}")


@dataclass
class Source:
    """What the decoder reads of an encoded source: annotations ``(B, S, H)``, their keys
    (precomputed by the context module), the summary ``(B, H)`` and the mask ``(B, 1, S)``."""

    annotations: torch.Tensor
    keys: torch.Tensor
    summary: torch.Tensor
    mask: torch.Tensor


class Decoder(nn.Module):
    """A GRU decoder that reads a context vector at every step (from ``make_context(kind)``)."""

    def __init__(
        self, vocab_size: int, embed_dim: int, hidden_size: int, attention: str,
        attention_dim: int,
    ) -> None:
        super().__init__()
        check_positive_ints(vocab_size=vocab_size, embed_dim=embed_dim, hidden_size=hidden_size)
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD_ID)
        self.context = make_context(attention, hidden_size, attention_dim)
        self.init_state = nn.Linear(hidden_size, hidden_size)
        self.cell = nn.GRUCell(embed_dim + hidden_size, hidden_size)
        self.readout = nn.Linear(2 * hidden_size + embed_dim, hidden_size)
        self.out = nn.Linear(hidden_size, vocab_size)

    def start(self, summary: torch.Tensor) -> torch.Tensor:
        """The first decoder state ``s_0 = tanh(W_s summary)``, ``(B, H)``."""
        return torch.tanh(self.init_state(summary))  # (B, H)

    def advance(
        self, y: torch.Tensor, state: torch.Tensor, source: Source
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Context and new state from embedded ``y_{i-1} (B, E)`` and ``s_{i-1} (B, H)``:
        ``(s_i (B, H), c_i (B, H), weights (B, S) or None)``."""
        context, weights = self.context(
            state, source.keys, source.annotations, source.summary, source.mask
        )  # (B, H), (B, S)
        state = self.cell(torch.cat([y, context], dim=-1), state)  # (B, H)
        return state, context, weights

    def logits(self, state: torch.Tensor, context: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Output scores ``(..., V)`` from ``s_i``, ``c_i`` and embedded ``y_{i-1}``."""
        hidden = torch.tanh(self.readout(torch.cat([state, context, y], dim=-1)))  # (..., H)
        return self.out(hidden)  # (..., V)

    def step(
        self, prev_token: torch.Tensor, state: torch.Tensor, source: Source
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """One decoder step: ``(logits (B, V), new state (B, H), weights (B, S) or None)``.

        ``prev_token (B,)`` is ``y_{i-1}``, ``state (B, H)`` is ``s_{i-1}``.
        """
        y = self.embed(prev_token)  # (B, E)
        state, context, weights = self.advance(y, state, source)
        return self.logits(state, context, y), state, weights  # (B, V), (B, H), (B, S)


class Seq2Seq(nn.Module):
    """Encoder + decoder. ``attention`` is ``"none"`` (RNNencdec), ``"additive"`` (RNNsearch),
    ``"dot"`` or ``"general"`` (Luong et al., 2015).

    ``forward(src (B, S), src_lengths (B,), tgt_in (B, T))`` returns teacher-forced logits
    ``(B, T, V)``; ``tgt_in`` starts with ``BOS_ID``.
    """

    def __init__(
        self,
        src_vocab: int,
        tgt_vocab: int,
        *,
        attention: str = "additive",
        embed_dim: int = 32,
        hidden_size: int = 64,
        attention_dim: int = 64,
    ) -> None:
        super().__init__()
        self.attention = attention
        self.encoder = Encoder(src_vocab, embed_dim, hidden_size)
        self.decoder = Decoder(tgt_vocab, embed_dim, hidden_size, attention, attention_dim)

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor) -> Source:
        """Annotations, keys, summary and padding mask of a batch of sources."""
        annotations, summary = self.encoder(src, src_lengths)  # (B, S, H), (B, H)
        mask = padding_mask(src_lengths.to(src.device), src.shape[1])  # (B, 1, S)
        keys = self.decoder.context.prepare(annotations)
        return Source(annotations, keys, summary, mask)

    def forward_with_weights(
        self, src: torch.Tensor, src_lengths: torch.Tensor, tgt_in: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Teacher-forced logits ``(B, T, V)`` and attention weights ``(B, T, S)`` (or None).

        The same computation as calling :meth:`Decoder.step` ``T`` times, with the output
        layer applied to all steps at once (faster).
        """
        if tgt_in.dim() != 2 or tgt_in.shape[0] != src.shape[0]:
            raise ValueError(f"tgt_in must be (B, T) with B={src.shape[0]}, got {tgt_in.shape}")
        source = self.encode(src, src_lengths)
        state = self.decoder.start(source.summary)  # (B, H)
        ys = self.decoder.embed(tgt_in)  # (B, T, E)
        states, contexts, weights = [], [], []
        for i in range(tgt_in.shape[1]):
            state, context, step_weights = self.decoder.advance(ys[:, i], state, source)
            states.append(state)
            contexts.append(context)
            weights.append(step_weights)
        logits = self.decoder.logits(
            torch.stack(states, 1), torch.stack(contexts, 1), ys
        )  # (B, T, V)
        all_weights = None if weights[0] is None else torch.stack(weights, dim=1)  # (B, T, S)
        return logits, all_weights

    def forward(
        self, src: torch.Tensor, src_lengths: torch.Tensor, tgt_in: torch.Tensor
    ) -> torch.Tensor:
        return self.forward_with_weights(src, src_lengths, tgt_in)[0]


def sequence_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy per target token of ``logits (B, T, V)``, padding ignored."""
    if logits.shape[:-1] != targets.shape:
        raise ValueError(f"logits {tuple(logits.shape)} must be targets {tuple(targets.shape)} + V")
    return F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=PAD_ID)


@torch.no_grad()
def greedy_decode(
    model: Seq2Seq, src: torch.Tensor, src_lengths: torch.Tensor, max_len: int
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Greedy decoding: ``(tokens (B, max_len), weights (B, max_len, S) or None)``.

    At each step the most probable token is fed back; after ``EOS_ID`` a row holds ``PAD_ID``.
    """
    check_positive_ints(max_len=max_len)
    was_training = model.training
    model.eval()
    source = model.encode(src, src_lengths)
    state = model.decoder.start(source.summary)  # (B, H)
    token = torch.full((src.shape[0],), BOS_ID, dtype=torch.long, device=src.device)  # (B,)
    finished = torch.zeros_like(token, dtype=torch.bool)  # (B,)
    tokens, weights = [], []
    for _ in range(max_len):
        logits, state, step_weights = model.decoder.step(token, state, source)
        token = logits.argmax(dim=-1)  # (B,)
        tokens.append(token.masked_fill(finished, PAD_ID))
        weights.append(step_weights)
        finished |= token == EOS_ID
        if bool(finished.all()):
            break
    model.train(was_training)
    out = torch.stack(tokens, dim=1)  # (B, T')
    out = F.pad(out, (0, max_len - out.shape[1]), value=PAD_ID)  # (B, max_len)
    if weights[0] is None:
        return out, None
    w = torch.stack(weights, dim=1)  # (B, T', S)
    return out, F.pad(w, (0, 0, 0, max_len - w.shape[1]))  # (B, max_len, S)


def strip_special(ids: list[int]) -> list[int]:
    """The ids before the first ``EOS_ID``, without ``PAD_ID``/``BOS_ID``."""
    out = []
    for i in ids:
        if i == EOS_ID:
            break
        if i not in (PAD_ID, BOS_ID):
            out.append(i)
    return out


def train_seq2seq(
    model: Seq2Seq,
    batches: Iterable[tuple[torch.Tensor, ...]],
    *,
    epochs: int = 1,
    lr: float = 5e-3,
    device: torch.device | str = "cpu",
    grad_clip: float = 1.0,
) -> History:
    """Train with Adam on :func:`sequence_loss` with :func:`course.training.train`.

    Each batch is ``(src, src_lengths, tgt_in, tgt_out)``.
    """
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    return train(
        model, batches, sequence_loss, optimizer, epochs=epochs, device=torch.device(device),
        grad_clip=grad_clip,
    )
