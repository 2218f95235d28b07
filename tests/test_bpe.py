"""Tests for the reference BPE trainer and encoder (course.bpe)."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course.bpe import (
    END_OF_WORD,
    best_pair,
    corpus_length,
    count_pairs,
    encode_word,
    merge_by_string_replace,
    merge_ranks,
    merge_word,
    scheme_statistics,
    segment_corpus,
    trace_merges,
    train_bpe,
    vocabulary,
    wordpiece_scores,
    words_from_text,
)

# The toy corpus of Sennrich et al. (2016): low x5, lower x2, newest x6, widest x3.
TOY_TEXT = " ".join(["low"] * 5 + ["lower"] * 2 + ["newest"] * 6 + ["widest"] * 3)

corpora = st.dictionaries(
    st.lists(st.sampled_from("abc"), min_size=1, max_size=8).map(tuple),
    st.integers(1, 5),
    min_size=1,
    max_size=12,
)


def test_words_from_text_adds_end_of_word_marker():
    words = words_from_text("low low lower")
    assert words == {("l", "o", "w", END_OF_WORD): 2, ("l", "o", "w", "e", "r", END_OF_WORD): 1}
    assert words_from_text("ab", end_of_word=None) == {("a", "b"): 1}


def test_count_pairs_weights_by_word_count_and_counts_overlaps():
    counts = count_pairs({("a", "a", "a"): 3, ("a", "b"): 1})
    assert counts == {("a", "a"): 6, ("a", "b"): 1}


def test_best_pair_prefers_count_then_smallest_pair():
    assert best_pair({("b", "c"): 3, ("a", "z"): 3, ("a", "b"): 2}) == ("a", "z")
    assert best_pair({("z", "z"): 5, ("a", "a"): 4}) == ("z", "z")
    assert best_pair({}) is None
    assert best_pair({(b" ", b"t"): 2, (b"a", b"b"): 2}) == (b" ", b"t")  # space < letters


def test_merge_word_is_left_to_right_without_overlap():
    assert merge_word(("a", "a", "a"), ("a", "a")) == ("aa", "a")
    assert merge_word(("a", "a", "a", "a"), ("a", "a")) == ("aa", "aa")
    assert merge_word(("x", "ab", "c"), ("b", "c")) == ("x", "ab", "c")  # no boundary crossing


def test_string_replace_merges_across_symbol_boundaries():
    wrong = merge_by_string_replace(["x", "ab", "c"], ("b", "c"))
    assert wrong != list(merge_word(("x", "ab", "c"), ("b", "c")))
    assert "".join(wrong) == "xabc" and len(wrong) == 2


def test_toy_corpus_first_merges_by_hand():
    # Counts: (e,s)=(s,t)=(t,</w>)=9 -> smallest pair first; then (l,o)=(o,w)=7; then 6s.
    merges = train_bpe(words_from_text(TOY_TEXT), 6)
    assert merges == [
        ("e", "s"),
        ("es", "t"),
        ("est", END_OF_WORD),
        ("l", "o"),
        ("lo", "w"),
        ("e", "w"),
    ]


def test_encoding_generalises_to_unseen_word():
    merges = train_bpe(words_from_text(TOY_TEXT), 10)
    pieces = encode_word(tuple("lowest") + (END_OF_WORD,), merge_ranks(merges))
    assert pieces == ("low", "est" + END_OF_WORD)


def test_every_merge_is_the_most_frequent_pair_at_its_step():
    words = Counter(words_from_text(TOY_TEXT + " lowest newer wider"))
    seen = []

    def check(step, pair, count):
        counts = count_pairs(state[0])
        assert counts[pair] == count == max(counts.values())
        state[0] = Counter({merge_word(w, pair): n for w, n in state[0].items()})
        seen.append(step)

    state = [words]
    merges = train_bpe(words, 12, min_frequency=1, on_merge=check)
    assert seen == list(range(len(merges)))


def test_trace_corpus_shrinks_by_merged_occurrences():
    words = words_from_text(TOY_TEXT)
    rows = trace_merges(words, 5)
    lengths = [corpus_length(words)] + [length for _, _, length in rows]
    # each of these merges has no overlapping occurrences, so the corpus loses `count` symbols
    for (_, count, _), before, after in zip(rows, lengths[:-1], lengths[1:], strict=True):
        assert before - after == count


def test_min_frequency_stops_training():
    words = {("a", "b"): 1, ("c", "d"): 1}
    assert train_bpe(words, 10, min_frequency=2) == []
    assert train_bpe(words, 10, min_frequency=1) == [("a", "b"), ("c", "d")]


def test_vocabulary_lists_base_symbols_then_merges():
    words = words_from_text("abab ab")
    merges = train_bpe(words, 3, min_frequency=1)
    vocab = vocabulary(words, merges)
    assert vocab[:3] == sorted(["a", "b", END_OF_WORD])
    assert vocab[3:] == [a + b for a, b in merges]


@settings(max_examples=60, deadline=None)
@given(corpora, st.integers(0, 15))
def test_encoding_reproduces_training_segmentation(words, num_merges):
    merges = train_bpe(words, num_merges, min_frequency=1)
    ranks = merge_ranks(merges)
    for word, pieces in segment_corpus(words, merges).items():
        assert encode_word(word, ranks) == pieces
        assert "".join(pieces) == "".join(word)


@settings(max_examples=40, deadline=None)
@given(corpora)
def test_training_never_changes_the_text(words):
    merges = train_bpe(words, 20, min_frequency=1)
    for word, pieces in segment_corpus(words, merges).items():
        assert "".join(pieces) == "".join(word)
    assert len(merges) <= 20


def test_bytes_symbols_work_too():
    words = {(b"t", b"h", b"e"): 3, (b"t", b"h", b"a", b"t"): 2}
    assert train_bpe(words, 2) == [(b"t", b"h"), (b"th", b"e")]


@pytest.mark.parametrize(
    ("words", "error"),
    [
        ([("a", "b")], TypeError),
        ({"ab": 1}, TypeError),
        ({("a", "b"): 0}, ValueError),
        ({("a", "b"): 1.5}, ValueError),
        ({("a", b"b"): 1}, TypeError),
        ({("a", ""): 1}, TypeError),
    ],
)
def test_bad_corpora_raise(words, error):
    with pytest.raises(error):
        train_bpe(words, 1)


@pytest.mark.parametrize(("num_merges", "min_frequency"), [(-1, 2), (1.0, 2), (3, 0), (True, 2)])
def test_bad_arguments_raise(num_merges, min_frequency):
    with pytest.raises(ValueError):
        train_bpe({("a", "b"): 1}, num_merges, min_frequency)


def test_words_from_text_rejects_bytes():
    with pytest.raises(TypeError):
        words_from_text(b"low")


def test_scheme_statistics():
    stats = scheme_statistics("the cat sat", "the dog sat down")
    assert stats["word_vocab_size"] == 3
    assert stats["word_oov_rate"] == pytest.approx(2 / 4)
    assert stats["char_vocab_size"] == len(set("the cat sat"))
    assert 0 < stats["char_oov_rate"] < 1


def test_wordpiece_scores_prefer_pairs_whose_parts_are_rare_alone():
    words = {("a", "b"): 10, ("a", "c"): 10, ("a", "d"): 10, ("x", "y"): 4}
    scores = wordpiece_scores(words)
    assert scores[("x", "y")] == pytest.approx(4 / (4 * 4))
    assert scores[("a", "b")] == pytest.approx(10 / (30 * 10))
    assert max(scores, key=scores.get) == ("x", "y")
    assert best_pair(count_pairs(words)) == ("a", "b")
