"""Tiny Shakespeare for language modelling: encodings, random batches, baselines, fair units.

A language model's loss is the mean negative log-likelihood *per token*, in nats. Tokens of
different tokenizers carry different amounts of text, so losses are only comparable after
converting them to the same unit of text: the total information of the held-out text,
``loss_per_token * n_tokens``, divided by its number of characters (or bytes) and by ``ln 2``
gives **bits per character** (bits per byte). Tiny Shakespeare is plain ASCII, so its characters
and bytes coincide and the two units are the same here.

The corpus is split by characters as the course's BPE tokenizer was trained: the first 90 % for
training, the rest held out (:func:`course.datasets.load_shakespeare`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import torch

from .byte_bpe import ByteBPETokenizer, train_byte_bpe
from .checks import check_positive
from .datasets import load_shakespeare

# --- the text, and the course's BPE tokenizer of it ----------------------------------------

DEFAULT_SHAKESPEARE_VOCAB_SIZE = 1024


def shakespeare_tokenizer_path(vocab_size: int = DEFAULT_SHAKESPEARE_VOCAB_SIZE) -> Path:
    """Where the Tiny Shakespeare tokenizer with ``vocab_size`` ids is stored."""
    from .data import derived_dir

    return derived_dir("bpe") / f"tinyshakespeare-byte-bpe-{vocab_size}.json"


def train_shakespeare_tokenizer(
    vocab_size: int = DEFAULT_SHAKESPEARE_VOCAB_SIZE, min_frequency: int = 2
) -> ByteBPETokenizer:
    """Train byte-level BPE on the training part (first 90 %) of Tiny Shakespeare, line by line."""
    train_text, _ = load_shakespeare()
    return train_byte_bpe(train_text.splitlines(keepends=True), vocab_size, min_frequency)


def load_or_train_shakespeare_tokenizer(
    vocab_size: int = DEFAULT_SHAKESPEARE_VOCAB_SIZE,
) -> ByteBPETokenizer:
    """The Tiny Shakespeare tokenizer with ``vocab_size`` ids: loaded if saved, else trained
    (a few seconds) and saved under ``course.data.derived_dir("bpe")``."""
    path = shakespeare_tokenizer_path(vocab_size)
    if path.is_file():
        try:
            return ByteBPETokenizer.load(path)
        except (ValueError, KeyError, json.JSONDecodeError):
            pass  # a damaged file is simply trained again
    tokenizer = train_shakespeare_tokenizer(vocab_size)
    tokenizer.save(path)
    return tokenizer


# --- tokenizers and encoded corpora -------------------------------------------------------


class Tokenizer(Protocol):
    vocab_size: int

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids) -> str: ...


class CharTokenizer:
    """One id per distinct character of the text it was built from (sorted by code point)."""

    def __init__(self, text: str) -> None:
        if not isinstance(text, str) or not text:
            raise ValueError("CharTokenizer needs a non-empty string")
        self.chars = sorted(set(text))
        self.index = {ch: i for i, ch in enumerate(self.chars)}

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        unknown = set(text) - self.index.keys()
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {sorted(unknown)!r}")
        return [self.index[ch] for ch in text]

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


@dataclass
class Corpus:
    """A tokenized train/validation split and how much text each part holds."""

    name: str
    tokenizer: Tokenizer
    train_ids: torch.Tensor  # (N_train,) long
    val_ids: torch.Tensor  # (N_val,) long
    val_chars: int
    val_bytes: int

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.vocab_size

    @property
    def val_chars_per_token(self) -> float:
        return self.val_chars / len(self.val_ids)


def load_corpus(kind: str = "bpe", bpe_vocab_size: int = DEFAULT_SHAKESPEARE_VOCAB_SIZE) -> Corpus:
    """Tiny Shakespeare encoded at character level (``"char"``) or with the course's BPE
    tokenizer (``"bpe"``, ``bpe_vocab_size`` ids, trained on the training part only)."""
    if kind not in ("char", "bpe"):
        raise ValueError(f"kind must be 'char' or 'bpe', got {kind!r}")
    train_text, val_text = load_shakespeare()
    if kind == "char":
        tokenizer: Tokenizer = CharTokenizer(train_text)
    else:
        tokenizer = load_or_train_shakespeare_tokenizer(bpe_vocab_size)
    return Corpus(
        name=kind,
        tokenizer=tokenizer,
        train_ids=torch.tensor(tokenizer.encode(train_text), dtype=torch.long),
        val_ids=torch.tensor(tokenizer.encode(val_text), dtype=torch.long),
        val_chars=len(val_text),
        val_bytes=len(val_text.encode("utf-8")),
    )


# --- baselines: models that ignore (almost) all context -------------------------------------


def unigram_loss(train_ids: torch.Tensor, val_ids: torch.Tensor, vocab_size: int) -> float:
    """Held-out cross-entropy (nats per token) of token frequencies with add-one smoothing."""
    counts = torch.bincount(train_ids, minlength=vocab_size).double() + 1.0  # (V,)
    log_probs = torch.log(counts / counts.sum())  # (V,)
    return float(-log_probs[val_ids].mean())


def bigram_loss(
    train_ids: torch.Tensor, val_ids: torch.Tensor, vocab_size: int, smoothing: float = 0.1
) -> float:
    """Held-out cross-entropy (nats per token) of ``p(next | previous)`` counted on the training
    ids with add-``smoothing`` smoothing; the first held-out token is not scored."""
    check_positive(smoothing, "smoothing")
    pairs = train_ids[:-1] * vocab_size + train_ids[1:]  # (N - 1,)
    counts = torch.bincount(pairs, minlength=vocab_size**2).double().view(vocab_size, -1)
    counts = counts + smoothing  # (V, V)
    log_probs = torch.log(counts / counts.sum(dim=1, keepdim=True))  # (V, V)
    return float(-log_probs[val_ids[:-1], val_ids[1:]].mean())


def bits_per_unit(loss_per_token: float, n_tokens: int, n_units: int) -> float:
    """Convert a loss in nats per token into bits per unit of text (character or byte).

    ``n_tokens`` tokens encode ``n_units`` characters (bytes) of the same text:
    ``bits = loss * n_tokens / (n_units * ln 2)``.
    """
    if n_tokens < 1 or n_units < 1:
        raise ValueError("n_tokens and n_units must be positive")
    return loss_per_token * n_tokens / (n_units * math.log(2))


def bits_per_char(corpus: Corpus, loss_per_token: float) -> float:
    """A held-out loss of a model trained on ``corpus`` in bits per character of the text."""
    return bits_per_unit(loss_per_token, len(corpus.val_ids), corpus.val_chars)
