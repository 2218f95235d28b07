"""Tests for course.copy_tasks: the reversal data and the accuracy-by-length evaluation."""

from __future__ import annotations

import pytest
import torch

from course import copy_tasks as ct
from course.seq2seq import Seq2Seq
from course.text import BOS_ID, EOS_ID


def test_make_reversal_targets_are_reversed_sources():
    src, lengths, tgt_in, tgt_out = ct.make_reversal(4, 7, seed=3)
    assert src.shape == (4, 7) and tgt_in.shape == tgt_out.shape == (4, 8)
    assert (lengths == 7).all()
    assert (tgt_out[:, :7] == src.flip(1)).all() and (tgt_out[:, 7] == EOS_ID).all()
    assert (tgt_in[:, 0] == BOS_ID).all() and (tgt_in[:, 1:] == tgt_out[:, :7]).all()
    assert src.min() >= ct.DIGIT_OFFSET and src.max() < ct.VOCAB_SIZE
    assert ct.digits_text(tgt_out[0]) == ct.digits_text(src[0])[::-1]


def test_generator_is_seeded():
    a, b, c = (ct.make_reversal(5, 9, seed=s)[0] for s in (1, 1, 2))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_decoded_accuracy_counts_positions_and_strings():
    target = torch.tensor([[5, 6, EOS_ID], [7, 8, EOS_ID]])
    predicted = torch.tensor([[5, 6, EOS_ID], [7, 9, EOS_ID]])  # second row: one wrong
    token_acc, seq_acc = ct.decoded_accuracy(predicted, target)
    assert token_acc == pytest.approx(5 / 6) and seq_acc == pytest.approx(0.5)
    short = torch.tensor([[5, 6], [7, 9]])  # EOS missing: counted wrong
    token_acc, seq_acc = ct.decoded_accuracy(short, target)
    assert token_acc == pytest.approx(3 / 6) and seq_acc == 0.0


def test_accuracy_by_length_of_an_untrained_model_is_low():
    torch.manual_seed(0)
    net = Seq2Seq(ct.VOCAB_SIZE, ct.VOCAB_SIZE, attention="dot", embed_dim=4, hidden_size=8)
    scores = ct.accuracy_by_length(net, [3, 6], n_per_length=20)
    assert scores.lengths == (3, 6)
    assert all(0.0 <= a <= 0.5 for a in scores.token_accuracy)
    assert all(a <= t for a, t in zip(scores.sequence_accuracy, scores.token_accuracy, strict=True))
