"""Tests for course.text: decoding, tokenizing, the vocabulary, the polarity split, batching."""

from __future__ import annotations

import pytest
import torch

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


def test_text_loader_trims_each_batch_to_its_longest_sentence():
    ids = text.pad_sequences([[2, 3, 4, 5, 6], [2], [3, 4], [5]])  # (4, 5)
    labels = torch.tensor([1, 0, 1, 0])
    loader = text.make_text_loader(ids, labels, batch_size=2, shuffle=False, min_len=1)
    widths = [batch[0].shape[1] for batch in loader]
    assert widths == [5, 2]
    loader = text.make_text_loader(ids, labels, batch_size=2, shuffle=False, min_len=3)
    assert [batch[0].shape[1] for batch in loader] == [5, 3]
    assert text.trim_padding(torch.zeros(2, 4, dtype=torch.long), min_len=2).shape == (2, 2)
