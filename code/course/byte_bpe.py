"""A GPT-2-style byte-level BPE tokenizer: any Unicode string in, integer ids out, and back.

Text is first cut into chunks by a regular expression (the GPT-2 pre-tokenizer: contractions,
runs of letters, of digits, of other symbols, each with at most one leading space, and runs of
whitespace). Each chunk becomes its UTF-8 bytes, and learned merges join adjacent byte strings
inside a chunk, never across chunks. The 256 single bytes are always in the vocabulary, so no
string is ever unknown: ``decode(encode(s)) == s`` for every ``str`` of valid Unicode.

Ids: ``0..255`` are the single bytes, ``256 + k`` is the token made by merge ``k``. Merges are
learned with :func:`course.bpe_fast.train_bpe_fast` (or the reference trainer) on byte-string
symbols, so ties are broken by byte order.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import regex

from .bpe import Pair, Word, encode_word, merge_ranks, train_bpe
from .bpe_fast import train_bpe_fast

GPT2_SPLIT_PATTERN = (
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
)
FILE_FORMAT = "course-byte-bpe"
FILE_VERSION = 1
_SINGLE_BYTES: tuple[bytes, ...] = tuple(bytes([value]) for value in range(256))
_CACHE_LIMIT = 200_000


@lru_cache(maxsize=1)
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's printable stand-in for every byte, used to store and show byte tokens as text.

    Printable Latin-1 bytes stand for themselves; the others (space, control bytes, ...) are
    shifted to code points from 256 on, so the space byte appears as ``"Ġ"`` and newline as
    ``"Ċ"``.
    """
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    printable += range(ord("®"), ord("ÿ") + 1)
    mapping = {byte: chr(byte) for byte in printable}
    shift = 0
    for byte in range(256):
        if byte not in mapping:
            mapping[byte] = chr(256 + shift)
            shift += 1
    return mapping


def bytes_to_printable(token: bytes) -> str:
    """A byte string written with GPT-2's printable characters (``b" the"`` -> ``"Ġthe"``)."""
    table = bytes_to_unicode()
    return "".join(table[byte] for byte in token)


def printable_to_bytes(text: str) -> bytes:
    """Inverse of :func:`bytes_to_printable`; unknown characters raise ValueError."""
    inverse = {char: byte for byte, char in bytes_to_unicode().items()}
    try:
        return bytes(inverse[char] for char in text)
    except KeyError as error:
        raise ValueError(f"{text!r} is not a byte token in GPT-2's printable form") from error


def pretokenize(text: str, pattern: str = GPT2_SPLIT_PATTERN) -> list[str]:
    """Cut ``text`` into the chunks that BPE merges never cross."""
    _check_text(text)
    return _compiled(pattern).findall(text)


@lru_cache(maxsize=8)
def _compiled(pattern: str) -> regex.Pattern:
    return regex.compile(pattern)


def _check_text(text: object) -> None:
    if not isinstance(text, str):
        raise TypeError(f"expected text as a str, got {type(text).__name__}")


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(
            f"text is not valid Unicode: {error.reason} at position {error.start} "
            f"({text[error.start:error.end]!r})"
        ) from error


def chunk_counts(texts: str | Iterable[str], pattern: str = GPT2_SPLIT_PATTERN) -> Counter[Word]:
    """Pre-tokenize ``texts`` and count each chunk as a word of single-byte symbols."""
    if isinstance(texts, str):
        texts = [texts]
    chunks: Counter[str] = Counter()
    for text in texts:
        chunks.update(pretokenize(text, pattern))
    return Counter(
        {tuple(_SINGLE_BYTES[b] for b in _utf8(chunk)): count for chunk, count in chunks.items()}
    )


class ByteBPETokenizer:
    """Byte-level BPE: ids ``0..255`` are bytes, id ``256 + k`` is the token of merge ``k``."""

    def __init__(self, merges: Sequence[tuple[bytes, bytes]], pattern: str = GPT2_SPLIT_PATTERN):
        merges = [tuple(pair) for pair in merges]
        for pair in merges:
            if len(pair) != 2 or not all(isinstance(p, bytes) and p for p in pair):
                raise TypeError(f"each merge must be a pair of non-empty bytes, got {pair!r}")
        self.merges: list[Pair] = merges
        self.pattern = pattern
        self.vocab: list[bytes] = [*_SINGLE_BYTES, *(left + right for left, right in merges)]
        self._ranks = merge_ranks(merges)
        self._id_of: dict[bytes, int] = {}
        for index, token in enumerate(self.vocab):
            self._id_of.setdefault(token, index)  # a repeated byte string keeps its first id
        self._cache: dict[str, tuple[int, ...]] = {}

    @property
    def vocab_size(self) -> int:
        """Number of ids: 256 bytes plus one per merge."""
        return len(self.vocab)

    def __repr__(self) -> str:
        return f"ByteBPETokenizer(vocab_size={self.vocab_size})"

    def truncated(self, vocab_size: int) -> ByteBPETokenizer:
        """The tokenizer with only the first ``vocab_size - 256`` merges.

        Training is greedy and deterministic, so this equals training to ``vocab_size``.
        """
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, int):
            raise TypeError(f"vocab_size must be an int, got {vocab_size!r}")
        if not 256 <= vocab_size <= self.vocab_size:
            raise ValueError(f"vocab_size must be in [256, {self.vocab_size}], got {vocab_size}")
        return ByteBPETokenizer(self.merges[: vocab_size - 256], self.pattern)

    def _encode_chunk(self, chunk: str) -> tuple[int, ...]:
        ids = self._cache.get(chunk)
        if ids is None:
            pieces = encode_word(tuple(_SINGLE_BYTES[b] for b in _utf8(chunk)), self._ranks)
            ids = tuple(self._id_of[piece] for piece in pieces)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[chunk] = ids
        return ids

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (a ``str``); raises TypeError otherwise."""
        ids: list[int] = []
        for chunk in pretokenize(text, self.pattern):
            ids.extend(self._encode_chunk(chunk))
        return ids

    def tokens(self, text: str) -> list[bytes]:
        """The byte string of each token of ``text``, in order."""
        return [self.vocab[i] for i in self.encode(text)]

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        """Concatenate the bytes of ``ids``; unknown ids raise ValueError, non-ints TypeError."""
        if isinstance(ids, (str, bytes)):
            raise TypeError("ids must be a sequence of integer token ids, not a string")
        pieces = []
        for token_id in ids:
            if isinstance(token_id, (bool, np.bool_)) or not isinstance(
                token_id, (int, np.integer)
            ):
                raise TypeError(f"token ids must be integers, got {token_id!r}")
            if not 0 <= token_id < self.vocab_size:
                raise ValueError(
                    f"unknown token id {int(token_id)}: ids run from 0 to {self.vocab_size - 1}"
                )
            pieces.append(self.vocab[token_id])
        return b"".join(pieces)

    def decode(self, ids: Iterable[int], errors: str = "replace") -> str:
        """Text of ``ids``. A sequence cut inside a multi-byte character decodes with U+FFFD
        (``errors="replace"``); ``errors="strict"`` raises instead."""
        return self.decode_bytes(ids).decode("utf-8", errors=errors)

    def to_dict(self) -> dict:
        """A JSON-ready description: format, pattern and merges in GPT-2's printable form."""
        return {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "pattern": self.pattern,
            "merges": [[bytes_to_printable(a), bytes_to_printable(b)] for a, b in self.merges],
        }

    @classmethod
    def from_dict(cls, data: dict) -> ByteBPETokenizer:
        """Rebuild a tokenizer from :meth:`to_dict`'s output; a wrong format raises ValueError."""
        if not isinstance(data, dict) or data.get("format") != FILE_FORMAT:
            raise ValueError(f"not a {FILE_FORMAT} tokenizer description")
        if data.get("version") != FILE_VERSION:
            raise ValueError(f"unsupported version {data.get('version')!r}; expected 1")
        merges = [(printable_to_bytes(a), printable_to_bytes(b)) for a, b in data["merges"]]
        return cls(merges, data["pattern"])

    def save(self, path: str | os.PathLike) -> Path:
        """Write the tokenizer as JSON to ``path`` and return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")
        temporary.replace(path)  # atomic: a reader never sees half a file
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> ByteBPETokenizer:
        """Read a tokenizer written by :meth:`save`."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


@dataclass(frozen=True)
class TrainingTrace:
    """What happened during training: time to pre-tokenize and count the chunks, then for each
    merge the seconds elapsed since merging began and the pair's count when it was merged."""

    counting_seconds: float
    merge_seconds: np.ndarray
    merge_counts: np.ndarray


def train_byte_bpe_with_trace(
    texts: str | Iterable[str],
    vocab_size: int,
    min_frequency: int = 2,
    *,
    fast: bool = True,
    pattern: str = GPT2_SPLIT_PATTERN,
) -> tuple[ByteBPETokenizer, TrainingTrace]:
    """Like :func:`train_byte_bpe`, and also return a :class:`TrainingTrace`."""
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 256:
        raise ValueError(f"vocab_size must be an integer >= 256 (the bytes), got {vocab_size!r}")
    start = time.perf_counter()
    word_counts = chunk_counts(texts, pattern)
    counted = time.perf_counter()
    stamps: list[float] = []
    counts: list[int] = []

    def record(step: int, pair: Pair, count: int) -> None:
        stamps.append(time.perf_counter())
        counts.append(count)

    trainer = train_bpe_fast if fast else train_bpe
    merges = trainer(word_counts, vocab_size - 256, min_frequency=min_frequency, on_merge=record)
    trace = TrainingTrace(
        counting_seconds=counted - start,
        merge_seconds=np.asarray(stamps) - counted,
        merge_counts=np.asarray(counts, dtype=np.int64),
    )
    return ByteBPETokenizer(merges, pattern), trace


def train_byte_bpe(
    texts: str | Iterable[str],
    vocab_size: int,
    min_frequency: int = 2,
    *,
    fast: bool = True,
    pattern: str = GPT2_SPLIT_PATTERN,
) -> ByteBPETokenizer:
    """Learn a byte-level BPE with (at most) ``vocab_size`` ids from ``texts``.

    ``texts`` is one string or several (e.g. lines); each is pre-tokenized on its own.
    ``fast=False`` uses the reference trainer (slow, same result). Training stops early if no
    pair occurs ``min_frequency`` times, leaving a smaller vocabulary.
    """
    tokenizer, _ = train_byte_bpe_with_trace(
        texts, vocab_size, min_frequency, fast=fast, pattern=pattern
    )
    return tokenizer
