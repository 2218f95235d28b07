"""Text into tensors: a word tokenizer, a vocabulary, special tokens, padded batches.

The sentence data sets themselves (the polarity data, Penn Treebank, Tatoeba pairs) are loaded
by :mod:`course.datasets`. Token ids are laid out in a :class:`Vocabulary` with id 0 for padding
(``<pad>``) and id 1 for words it does not know (``<unk>``). :func:`pad_sequences` turns lists
of ids into one ``(N, T)`` tensor; :mod:`course.batching` batches such tensors.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from .datasets import LabelledSentences

# The special tokens and their ids, the same in every vocabulary of the course: padding, unknown
# word, and (for sequence-to-sequence targets) start and end of a sequence
PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3
# BERT's special tokens (Devlin et al., 2019): the start of every input, whose final state a
# classifier reads; the end of a segment; and the blank of masked language modelling. A
# vocabulary gets them from :meth:`Vocabulary.with_tokens`, and their ids from ``vocab.index``.
CLS, SEP, MASK = "[CLS]", "[SEP]", "[MASK]"

# Typographic characters of cp1252 written the ASCII way, so that "don’t" and "don't" agree.
_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",  # left single quotation mark
        "\u2019": "'",  # right single quotation mark
        "\u201c": '"',  # left double quotation mark
        "\u201d": '"',  # right double quotation mark
        "\u2013": "-",  # en dash
        "\u2014": " -- ",  # em dash
        "\u2026": " ... ",  # horizontal ellipsis
        "\u00a0": " ",  # no-break space
    }
)
# Penn-Treebank-style clitics: "don't" -> "do n't", "film's" -> "film 's".
_NEGATION = re.compile(r"(?<=\w)(n't)\b")
_CLITIC = re.compile(r"(?<=\w)('s|'re|'ve|'ll|'d|'m)\b")
# A token: a clitic, a word (letters/digits, joined by inner hyphens, apostrophes or dots),
# an ellipsis or double dash, or any other single non-space character.
_TOKEN = re.compile(r"n't|'(?:s|re|ve|ll|d|m)\b|\w+(?:[-'.]\w+)*|\.\.\.|--|\S")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens of ``text``, with punctuation and clitics split off.

    >>> tokenize("It’s a don't-miss… “Amélie”!")
    ['it', "'s", 'a', 'do', "n't", '-miss', '...', '"', 'amélie', '"', '!']
    """
    if not isinstance(text, str):
        raise TypeError(f"expected a str, got {type(text).__name__}")
    text = unicodedata.normalize("NFC", text).translate(_TYPOGRAPHY).lower()
    text = _CLITIC.sub(r" \1", _NEGATION.sub(r" \1", text))
    return _TOKEN.findall(text)


class Vocabulary:
    """Token <-> id tables: ``<pad>`` is 0, ``<unk>`` is 1, then words by falling frequency.

    Ties in frequency are broken alphabetically, so the same corpus always gives the same ids.
    """

    def __init__(self, tokens: Sequence[str], counts: Sequence[int]) -> None:
        if list(tokens[:2]) != [PAD, UNK]:
            raise ValueError(f"the first two tokens must be {PAD!r} and {UNK!r}")
        if len(tokens) != len(counts):
            raise ValueError(f"{len(tokens)} tokens but {len(counts)} counts")
        if len(set(tokens)) != len(tokens):
            raise ValueError("tokens must be distinct")
        self.tokens: tuple[str, ...] = tuple(tokens)
        self.counts: tuple[int, ...] = tuple(int(c) for c in counts)
        self._ids = {token: i for i, token in enumerate(self.tokens)}

    @classmethod
    def build(
        cls, sentences: Iterable[Sequence[str]], min_count: int = 1, max_size: int | None = None
    ) -> Vocabulary:
        """The vocabulary of the words seen at least ``min_count`` times (at most ``max_size``
        entries in all, the two special tokens included)."""
        if min_count < 1:
            raise ValueError(f"min_count must be >= 1, got {min_count}")
        if max_size is not None and max_size < 2:
            raise ValueError(f"max_size must leave room for {PAD} and {UNK}, got {max_size}")
        counts = Counter(token for sentence in sentences for token in sentence)
        for special in (PAD, UNK):
            counts.pop(special, None)
        kept = [t for t, c in counts.items() if c >= min_count]
        kept.sort(key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[: max_size - 2]
        return cls([PAD, UNK, *kept], [0, 0, *(counts[t] for t in kept)])

    def with_tokens(self, extra: Sequence[str]) -> Vocabulary:
        """The same vocabulary with the tokens ``extra`` (special tokens such as :data:`CLS`)
        inserted after ``<pad>`` and ``<unk>``, with count 0; the words' ids move up by
        ``len(extra)``."""
        clash = [token for token in extra if token in self._ids]
        if clash:
            raise ValueError(f"the vocabulary already holds {clash}")
        tokens = [*self.tokens[:2], *extra, *self.tokens[2:]]
        return Vocabulary(tokens, [*self.counts[:2], *(0 for _ in extra), *self.counts[2:]])

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._ids

    def index(self, token: str) -> int:
        """The id of ``token``, or ``UNK_ID`` if it is not in the vocabulary."""
        return self._ids.get(token, UNK_ID)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """The ids of ``tokens`` (unknown words become ``UNK_ID``)."""
        return [self._ids.get(token, UNK_ID) for token in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """The tokens of ``ids``; padding is dropped."""
        return [self.tokens[i] for i in ids if i != PAD_ID]


def pad_sequences(
    sequences: Sequence[Sequence[int]], max_len: int | None = None, min_len: int = 1
) -> torch.Tensor:
    """Right-pad (and, beyond ``max_len``, truncate) id lists into a ``(N, T)`` long tensor.

    ``T`` is the longest sequence (capped at ``max_len``), but at least ``min_len``.
    """
    if max_len is not None and max_len < 1:
        raise ValueError(f"max_len must be positive or None, got {max_len}")
    longest = max((len(s) for s in sequences), default=0)
    width = max(min(longest, max_len) if max_len else longest, min_len)
    out = torch.full((len(sequences), width), PAD_ID, dtype=torch.long)  # (N, T)
    for row, sequence in enumerate(sequences):
        kept = list(sequence[:width])
        out[row, : len(kept)] = torch.as_tensor(kept, dtype=torch.long)
    return out


def encode_dataset(
    data: LabelledSentences, vocab: Vocabulary, max_len: int | None = None, min_len: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(ids (N, T), labels (N,))`` tensors for ``data``."""
    ids = pad_sequences([vocab.encode(s) for s in data.sentences], max_len, min_len)
    return ids, torch.as_tensor(data.labels, dtype=torch.long)


def trim_padding(ids: torch.Tensor, min_len: int = 1) -> torch.Tensor:
    """Drop the trailing columns of ``ids`` (N, T) that are padding in every row (keep min_len)."""
    if ids.dim() != 2:
        raise ValueError(f"expected ids of shape (N, T), got {tuple(ids.shape)}")
    used = (ids != PAD_ID).any(dim=0)  # (T,)
    width = int(used.nonzero().max()) + 1 if used.any() else 0
    return ids[:, : max(width, min_len)]
