"""Tests for course.translation: filtering, splitting, vocabulary, encoding, BLEU, real data."""

from __future__ import annotations

import pytest

from course import translation as tr
from course.text import BOS_ID, EOS_ID, PAD_ID

RAW = [
    ("Go.", "Va !"),
    ("I have a red car.", "J'ai une voiture rouge."),
    ("This sentence is much too long to keep.", "Cette phrase est bien trop longue."),
    ("Go.", "Bouge !"),
    ("Hi.", "Salut."),
]


def test_filter_pairs_keeps_short_pairs_on_both_sides():
    kept = tr.filter_pairs(RAW, max_tokens=6)
    assert (["go", "."], ["va", "!"]) in kept
    assert all(len(s) <= 6 and len(t) <= 6 for s, t in kept)
    assert not any(s[0] == "this" for s, _ in kept)
    assert len(tr.filter_pairs(RAW, max_tokens=6, min_tokens=3)) == 1
    with pytest.raises(ValueError):
        tr.filter_pairs(RAW, max_tokens=2, min_tokens=3)


def test_split_by_source_keeps_a_source_on_one_side():
    pairs = tr.filter_pairs(RAW * 3, max_tokens=10)
    for seed in range(5):
        train, test = tr.split_by_source(pairs, 0.4, seed)
        assert len(train) + len(test) == len(pairs) and test
        assert not {" ".join(s) for s, _ in train} & {" ".join(s) for s, _ in test}


def test_vocabulary_and_encoding_use_the_seq2seq_ids():
    pairs = tr.filter_pairs(RAW, max_tokens=6)
    vocab_src = tr.build_vocabulary([s for s, _ in pairs], min_count=1)
    vocab_tgt = tr.build_vocabulary([t for _, t in pairs], min_count=1, max_size=6)
    assert len(vocab_tgt) == 6
    src, lengths, tgt_in, tgt_out = tr.encode_pairs(pairs, vocab_src, vocab_tgt)
    assert src.shape[0] == len(pairs) == lengths.shape[0]
    assert (tgt_in[:, 0] == BOS_ID).all()
    for n, (s, t) in enumerate(pairs):
        assert lengths[n] == len(s) and (src[n, len(s):] == PAD_ID).all()
        assert tgt_out[n, len(t)] == EOS_ID and (tgt_out[n, len(t) + 1:] == PAD_ID).all()


def test_first_per_source_and_subsample():
    pairs = tr.filter_pairs(RAW, max_tokens=6)
    firsts = tr.first_per_source(pairs)
    assert [s for s, _ in firsts].count(["go", "."]) == 1 and firsts[0][1] == ["va", "!"]
    assert len(tr.subsample(pairs, 2, seed=0)) == 2 and len(tr.subsample(pairs, 99, 0)) == 4


def test_bleu_is_100_for_exact_and_lower_otherwise():
    refs = [["le", "chat", "est", "noir", "."], ["j'ai", "une", "voiture", "rouge", "."]]
    assert tr.corpus_bleu(refs, refs) == pytest.approx(100.0)
    hyps = [["le", "chat", "est", "blanc", "."], ["j'ai", "une", "voiture", "rouge", "."]]
    assert 0.0 < tr.corpus_bleu(hyps, refs) < 100.0
