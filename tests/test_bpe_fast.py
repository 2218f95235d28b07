"""The fast trainer (course.bpe_fast) must learn exactly the reference trainer's merges."""

import heapq

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course.bpe import train_bpe, words_from_text
from course.bpe_fast import pop_best, train_bpe_fast


def corpora(alphabet, symbol):
    """Random corpora over a small alphabet: many ties, repeats like 'aaaa' and shared pieces."""
    word = st.lists(st.sampled_from(alphabet), min_size=1, max_size=10).map(
        lambda letters: tuple(symbol(letter) for letter in letters)
    )
    return st.dictionaries(word, st.integers(1, 6), min_size=1, max_size=25)


@settings(max_examples=150, deadline=None)
@given(corpora("abc", str), st.integers(0, 40), st.integers(1, 3))
def test_same_merges_as_reference_on_random_str_corpora(words, num_merges, min_frequency):
    assert train_bpe_fast(words, num_merges, min_frequency) == train_bpe(
        words, num_merges, min_frequency
    )


@settings(max_examples=100, deadline=None)
@given(corpora("ab xy", lambda c: c.encode()), st.integers(0, 40))
def test_same_merges_as_reference_on_random_bytes_corpora(words, num_merges):
    assert train_bpe_fast(words, num_merges, 1) == train_bpe(words, num_merges, 1)


@settings(max_examples=60, deadline=None)
@given(corpora("abcd", str))
def test_same_counts_reported_at_each_merge(words):
    reference, fast = [], []
    train_bpe(words, 25, 1, on_merge=lambda *a: reference.append(a))
    train_bpe_fast(words, 25, 1, on_merge=lambda *a: fast.append(a))
    assert fast == reference


def test_same_merges_on_a_text_corpus():
    text = "the cat sat on the mat with the other cat " * 5 + "thethe aaaa aaa bbb"
    words = words_from_text(text)
    assert train_bpe_fast(words, 30) == train_bpe(words, 30)


def test_stale_heap_entries_are_skipped():
    heap = [(-5, ("a", "b")), (-4, ("c", "d"))]
    heapq.heapify(heap)
    assert pop_best(heap, {("a", "b"): 3, ("c", "d"): 4}) == ("c", "d")
    assert pop_best(heap, {}) is None


@pytest.mark.parametrize("bad", [{("a", 1): 1}, {("a", "b"): -2}])
def test_fast_trainer_validates_like_reference(bad):
    with pytest.raises((TypeError, ValueError)):
        train_bpe_fast(bad, 3)
