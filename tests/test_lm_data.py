"""Tests of the language-modelling data helpers."""

from __future__ import annotations

import math

import pytest
import torch

from course import lm_data
from course.lm_data import (
    CharTokenizer,
    bigram_loss,
    bits_per_unit,
    unigram_loss,
)


def test_char_tokenizer_round_trip_and_unknown_characters():
    tokenizer = CharTokenizer("hello world")
    assert tokenizer.vocab_size == len(set("hello world"))
    assert tokenizer.decode(tokenizer.encode("low word")) == "low word"
    with pytest.raises(ValueError):
        tokenizer.encode("xyz")


def test_unigram_loss_of_uniform_data_is_log_vocab():
    ids = torch.arange(10).repeat(50)
    assert unigram_loss(ids, ids, 10) == pytest.approx(math.log(10), rel=1e-6)


def test_bigram_beats_unigram_on_a_deterministic_sequence():
    ids = torch.arange(10).repeat(50)  # the next token is fixed by the previous one
    assert bigram_loss(ids, ids, 10, smoothing=1e-3) < 0.01
    assert bigram_loss(ids, ids, 10) < unigram_loss(ids, ids, 10)


def test_bits_per_unit_conversion():
    # 2 tokens of 4 characters each: ln 2 nats per token is 1 bit per token = 0.25 bit per char
    assert bits_per_unit(math.log(2), 2, 8) == pytest.approx(0.25)
    with pytest.raises(ValueError):
        bits_per_unit(1.0, 0, 8)


def test_shakespeare_corpora_describe_the_same_held_out_text(mirror, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    char = lm_data.load_corpus("char")
    bpe = lm_data.load_corpus("bpe")
    assert char.val_chars == bpe.val_chars == len(char.val_ids)
    assert char.val_bytes == char.val_chars  # Tiny Shakespeare is ASCII
    assert bpe.vocab_size == 1024 and char.vocab_size == 65
    assert 1.5 < bpe.val_chars_per_token < 4
    assert bpe.tokenizer.decode(bpe.val_ids[:50].tolist()) == char.tokenizer.decode(
        char.val_ids[: len(bpe.tokenizer.decode(bpe.val_ids[:50].tolist()))].tolist()
    )
    with pytest.raises(ValueError):
        lm_data.load_corpus("words")


def test_shakespeare_tokenizer_is_saved_and_reloaded(tmp_path, monkeypatch, mirror):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    first = lm_data.load_or_train_shakespeare_tokenizer(256 + 20)
    path = lm_data.shakespeare_tokenizer_path(256 + 20)
    assert path.is_file() and str(path).startswith(str(tmp_path))
    again = lm_data.load_or_train_shakespeare_tokenizer(256 + 20)
    assert again.merges == first.merges and again.vocab_size == 276
