"""Byte pair encoding, the reference version: written to be read, not to be fast.

A *word* is a tuple of symbols and a corpus is a mapping from words to how often they occur.
Symbols are strings (``("l", "o", "w", "</w>")``) or byte strings (``(b"l", b"o", b"w")``);
merging the pair ``(a, b)`` replaces each adjacent occurrence of ``a`` followed by ``b`` with the
single symbol ``a + b``. Because a word stays a tuple, a merge can never join pieces across a
symbol boundary (the bug of merging with a string replace, see :func:`merge_by_string_replace`).

Training (Sennrich et al., 2016) repeats: count every adjacent pair, weighted by word frequency,
and merge the most frequent one. **Ties** are broken deterministically: among the pairs with the
highest count, the one whose ``(left, right)`` compares smallest wins (Python's ordering of
strings by code point, of byte strings by byte value). Overlapping occurrences all count
(``"aaa"`` holds the pair ``("a", "a")`` twice) while a merge replaces them left to right without
overlap.

Encoding applies the learned merges by rank: repeatedly merge the adjacent pair that was learned
earliest, until no adjacent pair is a learned merge.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import pairwise

Symbol = str | bytes
Word = tuple[Symbol, ...]
Pair = tuple[Symbol, Symbol]

END_OF_WORD = "</w>"


def words_from_text(text: str, end_of_word: str | None = END_OF_WORD) -> Counter[Word]:
    """Split ``text`` on whitespace into words of single characters, plus an end-of-word marker.

    This is the classic set-up of Sennrich et al.: ``"low low"`` gives
    ``{("l", "o", "w", "</w>"): 2}``. Pass ``end_of_word=None`` to leave the marker out.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    suffix = () if end_of_word is None else (end_of_word,)
    return Counter(tuple(word) + suffix for word in text.split())


def check_word_counts(word_counts: Mapping[Word, int]) -> None:
    """Raise TypeError/ValueError unless ``word_counts`` maps tuples of symbols of one type
    (all ``str`` or all ``bytes``) to positive integer counts."""
    if not isinstance(word_counts, Mapping):
        raise TypeError(f"word_counts must be a mapping word -> count, got {type(word_counts)}")
    kinds: set[type] = set()
    for word, count in word_counts.items():
        if not isinstance(word, tuple):
            raise TypeError(f"each word must be a tuple of symbols, got {word!r}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"counts must be positive integers, got {count!r} for {word!r}")
        for symbol in word:
            if not isinstance(symbol, (str, bytes)) or len(symbol) == 0:
                raise TypeError(f"symbols must be non-empty str or bytes, got {symbol!r}")
            kinds.add(type(symbol))
    if len(kinds) > 1:
        raise TypeError("all symbols must have one type: either all str or all bytes")


def check_training_arguments(num_merges: int, min_frequency: int) -> None:
    """Raise ValueError unless ``num_merges >= 0`` and ``min_frequency >= 1`` are integers."""
    if isinstance(num_merges, bool) or not isinstance(num_merges, int) or num_merges < 0:
        raise ValueError(f"num_merges must be an integer >= 0, got {num_merges!r}")
    if isinstance(min_frequency, bool) or not isinstance(min_frequency, int) or min_frequency < 1:
        raise ValueError(f"min_frequency must be an integer >= 1, got {min_frequency!r}")


def count_pairs(word_counts: Mapping[Word, int]) -> Counter[Pair]:
    """How often each adjacent pair of symbols occurs, each word weighted by its count."""
    counts: Counter[Pair] = Counter()
    for word, count in word_counts.items():
        for pair in pairwise(word):
            counts[pair] += count
    return counts


def best_pair(pair_counts: Mapping[Pair, int]) -> Pair | None:
    """The most frequent pair; ties go to the smallest ``(left, right)``. ``None`` if empty."""
    if not pair_counts:
        return None
    return min(pair_counts, key=lambda pair: (-pair_counts[pair], pair))


def merge_word(word: Word, pair: Pair) -> Word:
    """Replace each occurrence of ``pair`` in ``word``, left to right, by one joined symbol."""
    left, right = pair
    merged: list[Symbol] = []
    i = 0
    while i < len(word):
        if i + 1 < len(word) and word[i] == left and word[i + 1] == right:
            merged.append(left + right)
            i += 2
        else:
            merged.append(word[i])
            i += 1
    return tuple(merged)


def merge_by_string_replace(symbols: Sequence[str], pair: tuple[str, str]) -> list[str]:
    """The *wrong* way to merge, kept to show the bug: join symbols with spaces and replace
    ``"a b"`` by ``"ab"``. The replace also matches inside longer symbols, e.g. merging
    ``("b", "c")`` in ``["x", "ab", "c"]`` wrongly gives ``["x", "abc"]``."""
    spaced = " ".join(symbols).replace(f"{pair[0]} {pair[1]}", pair[0] + pair[1])
    return spaced.split(" ")


def train_bpe(
    word_counts: Mapping[Word, int],
    num_merges: int,
    min_frequency: int = 2,
    on_merge: Callable[[int, Pair, int], None] | None = None,
) -> list[Pair]:
    """Learn up to ``num_merges`` merges by recounting every pair after every merge.

    Stops early when no pair occurs ``min_frequency`` times. ``on_merge(step, pair, count)`` is
    called after each merge (for tracing or timing). Returns the merges in the order learned.
    """
    check_word_counts(word_counts)
    check_training_arguments(num_merges, min_frequency)
    words: Counter[Word] = Counter(word_counts)
    merges: list[Pair] = []
    while len(merges) < num_merges:
        pair_counts = count_pairs(words)
        pair = best_pair(pair_counts)
        if pair is None or pair_counts[pair] < min_frequency:
            break
        merged: Counter[Word] = Counter()
        for word, count in words.items():
            merged[merge_word(word, pair)] += count
        words = merged
        merges.append(pair)
        if on_merge is not None:
            on_merge(len(merges) - 1, pair, pair_counts[pair])
    return merges


def trace_merges(
    word_counts: Mapping[Word, int], num_merges: int, min_frequency: int = 2
) -> list[tuple[Pair, int, int]]:
    """Train with :func:`train_bpe` and report, per merge: the pair, its count, and the corpus
    length in symbols after the merge (it shrinks by exactly the count of non-overlapping
    occurrences)."""
    words: Counter[Word] = Counter(word_counts)
    rows: list[tuple[Pair, int, int]] = []

    def record(step: int, pair: Pair, count: int) -> None:
        nonlocal words
        merged: Counter[Word] = Counter()
        for word, n in words.items():
            merged[merge_word(word, pair)] += n
        words = merged
        rows.append((pair, count, corpus_length(words)))

    train_bpe(word_counts, num_merges, min_frequency, on_merge=record)
    return rows


def merge_ranks(merges: Sequence[Pair]) -> dict[Pair, int]:
    """Map each learned pair to its rank (0 = learned first)."""
    ranks: dict[Pair, int] = {}
    for rank, pair in enumerate(merges):
        ranks.setdefault(pair, rank)
    return ranks


def encode_word(word: Word, ranks: Mapping[Pair, int]) -> Word:
    """Segment ``word`` by applying learned merges, lowest rank first, until none applies."""
    while len(word) > 1:
        candidates = [pair for pair in pairwise(word) if pair in ranks]
        if not candidates:
            break
        word = merge_word(word, min(candidates, key=ranks.__getitem__))
    return word


def segment_corpus(word_counts: Mapping[Word, int], merges: Sequence[Pair]) -> dict[Word, Word]:
    """Each word of the corpus and its segmentation after applying ``merges`` in order."""
    segmented = {word: word for word in word_counts}
    for pair in merges:
        segmented = {word: merge_word(pieces, pair) for word, pieces in segmented.items()}
    return segmented


def corpus_length(word_counts: Mapping[Word, int]) -> int:
    """Total number of symbols in the corpus, each word counted as often as it occurs."""
    return sum(len(word) * count for word, count in word_counts.items())


def vocabulary(word_counts: Mapping[Word, int], merges: Iterable[Pair]) -> list[Symbol]:
    """The symbols of the corpus (sorted) followed by one new symbol per merge, in order."""
    base = sorted({symbol for word in word_counts for symbol in word})
    return base + [left + right for left, right in merges]


def wordpiece_scores(word_counts: Mapping[Word, int]) -> dict[Pair, float]:
    """WordPiece-style pair scores ``count(a, b) / (count(a) * count(b))``.

    Unlike BPE's raw pair count, the score is high for pairs whose parts are rarely seen apart:
    it favours merges that raise the likelihood of a unigram model of the corpus.
    """
    symbol_counts: Counter[Symbol] = Counter()
    for word, count in word_counts.items():
        for symbol in word:
            symbol_counts[symbol] += count
    return {
        (a, b): count / (symbol_counts[a] * symbol_counts[b])
        for (a, b), count in count_pairs(word_counts).items()
    }


def scheme_statistics(train_text: str, test_text: str) -> dict[str, float]:
    """Vocabulary sizes and sequence lengths of character- and word-level tokenization.

    Words are whitespace-separated strings. ``word_oov_rate`` is the fraction of the test text's
    words never seen in ``train_text``: what a word-level model would have to call unknown.
    """
    train_words, test_words = train_text.split(), test_text.split()
    word_vocab, char_vocab = set(train_words), set(train_text)
    unseen = sum(word not in word_vocab for word in test_words)
    return {
        "char_vocab_size": len(char_vocab),
        "word_vocab_size": len(word_vocab),
        "test_chars": len(test_text),
        "test_words": len(test_words),
        "word_oov_rate": unseen / max(len(test_words), 1),
        "char_oov_rate": sum(ch not in char_vocab for ch in test_text) / max(len(test_text), 1),
    }
