"""Byte pair encoding, the fast trainer: same merges as :func:`course.bpe.train_bpe`, less work.

The reference trainer recounts every pair of every word after each merge. Yet a merge of
``(a, b)`` only changes the words that contain ``a`` followed by ``b``; every other word keeps its
pairs. So we keep, across merges:

* ``pair_counts``: the current count of every pair (a dict);
* ``where``: for every pair, the indices of the words that contain it (a superset: an index may
  go stale, which only costs a wasted look);
* a heap of ``(-count, pair)`` entries, so the most frequent pair, ties broken by the smallest
  pair exactly as in :func:`course.bpe.best_pair`, is at the top.

After a merge we recount only the touched words, add the differences to ``pair_counts`` and push
a fresh heap entry for every pair whose count changed. Old entries are not removed (a heap
cannot find them cheaply); instead an entry is *lazily invalidated*: when popped, it is used only
if its count still equals ``pair_counts[pair]``, otherwise it is thrown away.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from itertools import pairwise

from .bpe import (
    Pair,
    Word,
    check_training_arguments,
    check_word_counts,
    merge_word,
)

Trainer = Callable[..., list[Pair]]


def index_pairs(words: list[Word], counts: list[int]) -> tuple[dict[Pair, int], dict[Pair, set]]:
    """Count every adjacent pair (weighted by word count) and record which words contain it."""
    pair_counts: dict[Pair, int] = defaultdict(int)
    where: dict[Pair, set] = defaultdict(set)
    for index, (word, count) in enumerate(zip(words, counts, strict=True)):
        for pair in pairwise(word):
            pair_counts[pair] += count
            where[pair].add(index)
    return dict(pair_counts), where


def pop_best(heap: list[tuple[int, Pair]], pair_counts: Mapping[Pair, int]) -> Pair | None:
    """Pop heap entries until one is current (its count equals the live count); return its pair.

    The heap orders by ``(-count, pair)``: highest count first, then smallest pair.
    """
    while heap:
        negative_count, pair = heapq.heappop(heap)
        if pair_counts.get(pair) == -negative_count:
            return pair
    return None


def merge_in_words(
    pair: Pair, words: list[Word], counts: list[int], where: dict[Pair, set]
) -> Counter[Pair]:
    """Merge ``pair`` in the words that contain it; return the change of every pair's count."""
    deltas: Counter[Pair] = Counter()
    for index in where.pop(pair, ()):
        old = words[index]
        new = merge_word(old, pair)
        if new == old:  # a stale index: this word no longer contains the pair
            continue
        words[index] = new
        old_pairs, new_pairs = Counter(pairwise(old)), Counter(pairwise(new))
        for changed in old_pairs.keys() | new_pairs.keys():
            deltas[changed] += (new_pairs[changed] - old_pairs[changed]) * counts[index]
        for added in new_pairs.keys() - old_pairs.keys():
            where[added].add(index)
    return deltas


def apply_deltas(
    deltas: Mapping[Pair, int], pair_counts: dict[Pair, int], heap: list[tuple[int, Pair]]
) -> None:
    """Add ``deltas`` to ``pair_counts`` and push a heap entry for every count that changed."""
    for pair, delta in deltas.items():
        if delta == 0:
            continue
        count = pair_counts.get(pair, 0) + delta
        if count > 0:
            pair_counts[pair] = count
            heapq.heappush(heap, (-count, pair))
        else:
            pair_counts.pop(pair, None)


def train_bpe_fast(
    word_counts: Mapping[Word, int],
    num_merges: int,
    min_frequency: int = 2,
    on_merge: Callable[[int, Pair, int], None] | None = None,
) -> list[Pair]:
    """Learn up to ``num_merges`` merges; the result equals :func:`course.bpe.train_bpe`'s.

    Same arguments, same tie-breaking, same early stop when no pair reaches ``min_frequency``.
    """
    check_word_counts(word_counts)
    check_training_arguments(num_merges, min_frequency)
    words = list(word_counts)
    counts = [word_counts[word] for word in words]
    pair_counts, where = index_pairs(words, counts)
    heap = [(-count, pair) for pair, count in pair_counts.items()]
    heapq.heapify(heap)
    merges: list[Pair] = []
    while len(merges) < num_merges:
        pair = pop_best(heap, pair_counts)
        if pair is None or pair_counts[pair] < min_frequency:
            break
        count = pair_counts[pair]
        apply_deltas(merge_in_words(pair, words, counts, where), pair_counts, heap)
        merges.append(pair)
        if on_merge is not None:
            on_merge(len(merges) - 1, pair, count)
    return merges
