"""Tests for course.text: decoding, tokenizing, the vocabulary, the polarity split, batching."""

from __future__ import annotations

import pytest

from course import text


def test_tokenize_splits_punctuation_and_clitics_like_the_treebank():
    assert text.tokenize("It's a don't-miss!") == ["it", "'s", "a", "do", "n't", "-", "miss", "!"]
    assert text.tokenize("we're sure they'll") == ["we", "'re", "sure", "they", "'ll"]
    assert text.tokenize("can't") == ["ca", "n't"]


def test_tokenize_normalises_typography_and_keeps_accents():
    curly = text.tokenize("\u201cAm\u00e9lie\u201d isn\u2019t bad\u2026 \u2014 really")
    straight = text.tokenize('"Amélie" isn\'t bad ... -- really')
    assert curly == straight == ['"', "amélie", '"', "is", "n't", "bad", "...", "--", "really"]
    # the decomposed form of é (e + combining accent) gives the same token as the composed one
    assert text.tokenize("Ame\u0301lie") == ["amélie"]


def test_tokenize_keeps_hyphenated_words_and_rejects_non_strings():
    assert text.tokenize("a too-tepid co-writer/director") == [
        "a",
        "too-tepid",
        "co-writer",
        "/",
        "director",
    ]
    assert text.tokenize("   ") == []
    with pytest.raises(TypeError):
        text.tokenize(b"bytes")


def test_vocabulary_orders_by_frequency_then_alphabet_and_maps_unknowns():
    vocab = text.Vocabulary.build([["b", "a", "c"], ["c", "b", "d"], ["c"]], min_count=1)
    assert vocab.tokens == (text.PAD, text.UNK, "c", "b", "a", "d")
    assert vocab.counts[:4] == (0, 0, 3, 2)
    assert vocab.encode(["c", "zebra"]) == [2, text.UNK_ID]
    assert vocab.decode([2, 3, text.PAD_ID]) == ["c", "b"]
    assert "zebra" not in vocab and "a" in vocab


def test_vocabulary_min_count_and_max_size():
    sentences = [["x"] * 5 + ["y"] * 3 + ["z"]]
    assert text.Vocabulary.build(sentences, min_count=2).tokens[2:] == ("x", "y")
    assert len(text.Vocabulary.build(sentences, max_size=3)) == 3
    with pytest.raises(ValueError):
        text.Vocabulary.build(sentences, min_count=0)
    with pytest.raises(ValueError):
        text.Vocabulary(["a", "b"], [1, 1])


def test_pad_sequences_pads_truncates_and_keeps_a_minimum_width():
    padded = text.pad_sequences([[5, 6, 7], [8]])
    assert padded.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert text.pad_sequences([[5, 6, 7], [8]], max_len=2).tolist() == [[5, 6], [8, 0]]
    assert text.pad_sequences([[5]], min_len=4).tolist() == [[5, 0, 0, 0]]


def test_with_tokens_inserts_special_tokens_after_pad_and_unk():
    from course.text import CLS, MASK, SEP

    vocab = text.Vocabulary.build([["b", "a", "b"]])
    bert = vocab.with_tokens([CLS, SEP, MASK])
    assert bert.tokens == ("<pad>", "<unk>", CLS, SEP, MASK, "b", "a")
    assert bert.counts[2:5] == (0, 0, 0) and bert.index("b") == vocab.index("b") + 3
    with pytest.raises(ValueError, match="already holds"):
        bert.with_tokens([CLS])
