"""The simplest neural text classifier: average the word vectors, then a small MLP.

A sentence of token ids ``(B, T)`` is looked up in an embedding table ``(V, D)``, the vectors of
its real tokens are averaged (padding is masked out), and two dense layers map the average to
class scores. The embedding table is learned from the labels alone, so the geometry it ends up
with is whatever helps the classifier: for sentiment, one direction that runs from bad to good.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .text import PAD_ID, Vocabulary, pad_sequences, tokenize


class EmbeddingBagClassifier(nn.Module):
    """Embedding -> masked mean over the sentence -> Linear -> ReLU -> Linear.

    The embedding starts uniform in ``[-init_scale, init_scale]`` (Keras's default), small, so
    that after training the directions the classifier has learned dominate the table.
    """

    def __init__(
        self,
        vocab_size: int,
        dim: int = 16,
        hidden: int = 16,
        classes: int = 2,
        init_scale: float = 0.05,
    ) -> None:
        super().__init__()
        if min(vocab_size, dim, hidden, classes) < 1:
            raise ValueError("vocab_size, dim, hidden and classes must be positive")
        if init_scale <= 0:
            raise ValueError(f"init_scale must be positive, got {init_scale}")
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=PAD_ID)
        with torch.no_grad():
            self.embedding.weight.uniform_(-init_scale, init_scale)
            self.embedding.weight[PAD_ID] = 0.0
        self.hidden = nn.Linear(dim, hidden)
        self.out = nn.Linear(hidden, classes)

    def pool(self, ids: torch.Tensor) -> torch.Tensor:
        """The mean vector of each sentence's real tokens: ids (B, T) -> (B, D)."""
        if ids.dim() != 2:
            raise ValueError(f"expected ids of shape (B, T), got {tuple(ids.shape)}")
        vectors = self.embedding(ids)  # (B, T, D)
        mask = (ids != PAD_ID).unsqueeze(-1).to(vectors.dtype)  # (B, T, 1)
        lengths = mask.sum(dim=1).clamp(min=1.0)  # (B, 1); an empty sentence pools to 0
        return (vectors * mask).sum(dim=1) / lengths  # (B, D)

    def classify(self, pooled: torch.Tensor) -> torch.Tensor:
        """Class scores of pooled vectors: (B, D) -> (B, classes)."""
        return self.out(F.relu(self.hidden(pooled)))  # (B, classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Class scores (logits) of sentences: ids (B, T) -> (B, classes)."""
        return self.classify(self.pool(ids))  # (B, classes)


@torch.no_grad()
def word_scores(model: EmbeddingBagClassifier) -> np.ndarray:
    """For every word, the logit of class 1 minus class 0 for a sentence made of that word alone.

    A one-word sentence pools to the word's own vector, so this reads the classifier's opinion
    of each word directly off the embedding table: ``(V,)``.
    """
    logits = model.classify(model.embedding.weight)  # (V, classes)
    if logits.shape[1] != 2:
        raise ValueError(f"word_scores needs a two-class model, got {logits.shape[1]} classes")
    return (logits[:, 1] - logits[:, 0]).cpu().numpy()


@torch.no_grad()
def positive_probability(
    model: nn.Module, vocab: Vocabulary, texts: Sequence[str], min_len: int = 1
) -> np.ndarray:
    """P(positive) that a two-class sentence classifier gives each raw text: ``(len(texts),)``.

    The texts go through the same tokenizer and vocabulary as the training data; ``min_len``
    pads very short texts (a CNN needs at least as many positions as its widest filter).
    """
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of strings, not one string")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    ids = pad_sequences([vocab.encode(tokenize(t)) for t in texts], min_len=min_len)  # (N, T)
    probabilities = torch.softmax(model(ids.to(device)), dim=-1)[:, 1]  # (N,)
    model.train(was_training)
    return probabilities.cpu().numpy()
