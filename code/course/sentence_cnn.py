"""A convolutional network for sentence classification (Kim, 2014).

Words are looked up in an embedding table; convolutions of a few widths (3, 4 and 5 words)
slide along the sentence, each with many filters; every filter keeps only its largest response
anywhere in the sentence (max-over-time pooling); dropout and one linear layer give the class
scores. Kim compares three ways of treating the embedding table:

* ``"rand"``: random vectors, learned with the rest of the network;
* ``"static"``: pre-trained word2vec vectors, kept fixed;
* ``"non-static"``: pre-trained vectors, fine-tuned for the task.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .text import PAD_ID, Vocabulary

MODES = ("rand", "static", "non-static")
RAND_INIT = 0.25


class SentenceCNN(nn.Module):
    """Embedding -> Conv1d of several widths -> ReLU -> max over time -> dropout -> Linear."""

    def __init__(
        self,
        vocab_size: int,
        dim: int,
        widths: Sequence[int] = (3, 4, 5),
        maps: int = 100,
        classes: int = 2,
        dropout: float = 0.5,
        mode: str = "rand",
        pretrained: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if (mode == "rand") != (pretrained is None):
            raise ValueError("pass pretrained vectors exactly for the static and non-static modes")
        if pretrained is not None and tuple(pretrained.shape) != (vocab_size, dim):
            raise ValueError(f"pretrained must be ({vocab_size}, {dim}), got {pretrained.shape}")
        if not widths or min(widths) < 1:
            raise ValueError(f"widths must be positive, got {widths}")
        self.mode = mode
        self.widths = tuple(widths)
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=PAD_ID)
        with torch.no_grad():
            if pretrained is None:  # Kim's random vectors: uniform in [-0.25, 0.25]
                self.embedding.weight.uniform_(-RAND_INIT, RAND_INIT)
            else:
                self.embedding.weight.copy_(pretrained)
            self.embedding.weight[PAD_ID] = 0.0
        self.embedding.weight.requires_grad_(mode != "static")
        # padding w - 1 on both sides: every word is seen by every filter position (as Kim does)
        self.convs = nn.ModuleList(nn.Conv1d(dim, maps, w, padding=w - 1) for w in self.widths)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(maps * len(self.widths), classes)

    def features(self, ids: torch.Tensor) -> torch.Tensor:
        """The max-pooled filter responses of right-padded sentences: ids (B, T) -> (B, F)."""
        if ids.dim() != 2:
            raise ValueError(f"expected ids of shape (B, T), got {tuple(ids.shape)}")
        lengths = (ids != PAD_ID).sum(dim=1)  # (B,)
        x = self.embedding(ids).transpose(1, 2)  # (B, D, T)
        pooled = []
        for width, conv in zip(self.widths, self.convs, strict=True):
            h = F.relu(conv(x))  # (B, maps, T + width - 1)
            # a window ending at j covers words j-width+1..j; it must hold a real word, so
            # the result does not depend on how much padding the batch happens to have
            positions = torch.arange(h.shape[2], device=ids.device)  # (T + width - 1,)
            empty = positions[None, :] > (lengths[:, None] + width - 2)  # (B, T + width - 1)
            h = h.masked_fill(empty[:, None, :], float("-inf"))
            pooled.append(h.amax(dim=2))  # (B, maps)
        return torch.cat(pooled, dim=1)  # (B, maps * len(widths))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Class scores (logits): ids (B, T) -> (B, classes)."""
        return self.out(self.dropout(self.features(ids)))  # (B, classes)


def pretrained_matrix(
    vocab: Vocabulary, words: Sequence[str], vectors: np.ndarray, seed: int = 0
) -> tuple[torch.Tensor, np.ndarray]:
    """An embedding table for ``vocab`` from pre-trained ``vectors`` of ``words``.

    Words with a pre-trained vector get it; the others get uniform random vectors with the
    same variance as the pre-trained ones (Kim initialises unknown words randomly too); the
    padding row is zero. Returns ``(table (V, D), found (V,) bool)``.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or len(vectors) != len(words):
        raise ValueError(f"need one vector per word, got {vectors.shape} for {len(words)} words")
    index = {w: i for i, w in enumerate(words)}
    rows = np.array([index.get(token, -1) for token in vocab.tokens])  # (V,)
    found = rows >= 0
    found[PAD_ID] = False
    half_width = float(np.sqrt(3.0 * vectors.var()))  # U(-a, a) has variance a^2 / 3
    rng = np.random.default_rng(seed)
    table = rng.uniform(-half_width, half_width, size=(len(vocab), vectors.shape[1]))
    table = table.astype(np.float32)  # (V, D)
    table[found] = vectors[rows[found]]
    table[PAD_ID] = 0.0
    return torch.from_numpy(table), found


@torch.no_grad()
def strongest_ngrams(
    model: SentenceCNN, ids: torch.Tensor, vocab: Vocabulary, feature: int, k: int = 5
) -> list[tuple[str, float]]:
    """The ``k`` distinct word windows in ``ids`` (N, T) that excite one feature most.

    ``feature`` indexes the output of :meth:`SentenceCNN.features`: filter ``feature % maps``
    of the convolution ``feature // maps``. Windows are shown without their padding.
    """
    maps = model.convs[0].out_channels
    if not 0 <= feature < maps * len(model.convs):
        raise ValueError(f"feature must be in [0, {maps * len(model.convs)}), got {feature}")
    which, channel = divmod(feature, maps)
    width, conv = model.widths[which], model.convs[which]
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    ids = ids.to(device)
    lengths = (ids != PAD_ID).sum(dim=1)  # (N,)
    x = model.embedding(ids).transpose(1, 2)  # (N, D, T)
    h = F.relu(conv(x))[:, channel, :]  # (N, T + width - 1)
    positions = torch.arange(h.shape[1], device=device)
    h = h.masked_fill(positions[None, :] > lengths[:, None] + width - 2, float("-inf"))
    model.train(was_training)
    order = torch.argsort(h.flatten(), descending=True).tolist()
    found: dict[str, float] = {}
    for flat in order:
        row, end = divmod(flat, h.shape[1])
        first, last = max(0, end - width + 1), min(end, int(lengths[row]) - 1)
        words = " ".join(vocab.tokens[i] for i in ids[row, first : last + 1].tolist())
        found.setdefault(words, float(h[row, end]))
        if len(found) == k:
            break
    return list(found.items())
