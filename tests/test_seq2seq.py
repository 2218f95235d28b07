"""Tests for course.seq2seq: shapes, masking of padded source positions, one decoder step."""

from __future__ import annotations

import pytest
import torch

from course.seq2seq import (
    ATTENTION_KINDS,
    Seq2Seq,
    greedy_decode,
    sequence_loss,
    strip_special,
)
from course.text import BOS_ID, EOS_ID, PAD_ID

VOCAB = 12


def batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Three sources of lengths 5, 2 and 3, padded to 5, and targets of length 4."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([5, 2, 3])
    src = torch.randint(4, VOCAB, (3, 5), generator=g)
    src[torch.arange(5)[None, :] >= lengths[:, None]] = PAD_ID
    tgt_in = torch.randint(4, VOCAB, (3, 4), generator=g)
    tgt_in[:, 0] = BOS_ID
    return src, lengths, tgt_in


def model(kind: str, seed: int = 0) -> Seq2Seq:
    torch.manual_seed(seed)
    return Seq2Seq(VOCAB, VOCAB + 3, attention=kind, embed_dim=6, hidden_size=8, attention_dim=5)


@pytest.mark.parametrize("kind", ATTENTION_KINDS)
def test_shapes(kind):
    src, lengths, tgt_in = batch()
    logits, weights = model(kind).forward_with_weights(src, lengths, tgt_in)
    assert logits.shape == (3, 4, VOCAB + 3)
    if kind == "none":
        assert weights is None
    else:
        assert weights.shape == (3, 4, 5)
        torch.testing.assert_close(weights.sum(-1), torch.ones(3, 4))


@pytest.mark.parametrize("kind", ["additive", "dot", "general"])
def test_attention_on_padding_is_exactly_zero(kind):
    src, lengths, tgt_in = batch()
    _, weights = model(kind).forward_with_weights(src, lengths, tgt_in)
    padded = torch.arange(5)[None, :] >= lengths[:, None]  # (B, S)
    assert padded.any()
    assert (weights.permute(1, 0, 2)[:, padded] == 0).all()
    assert (weights.permute(1, 0, 2)[:, ~padded] > 0).all()


@pytest.mark.parametrize("kind", ATTENTION_KINDS)
def test_padding_content_does_not_change_output(kind):
    src, lengths, tgt_in = batch()
    other = src.clone()
    other[1, 2:] = 7  # garbage where row 1 is padding
    net = model(kind)
    torch.testing.assert_close(net(src, lengths, tgt_in), net(other, lengths, tgt_in))


@pytest.mark.parametrize("kind", ATTENTION_KINDS)
def test_decoder_step_matches_teacher_forced_forward(kind):
    src, lengths, tgt_in = batch(1)
    net = model(kind, seed=1)
    logits, weights = net.forward_with_weights(src, lengths, tgt_in)
    source = net.encode(src, lengths)
    state = net.decoder.start(source.summary)
    for i in range(tgt_in.shape[1]):
        step_logits, state, step_weights = net.decoder.step(tgt_in[:, i], state, source)
        assert step_logits.shape == (3, VOCAB + 3) and state.shape == (3, 8)
        torch.testing.assert_close(step_logits, logits[:, i])
        if weights is not None:
            torch.testing.assert_close(step_weights, weights[:, i])


def test_greedy_decode_shapes_and_padding_after_eos():
    src, lengths, _ = batch()
    net = model("additive")
    with torch.no_grad():
        net.decoder.out.bias.fill_(-10.0)
        net.decoder.out.bias[EOS_ID] = 10.0  # always predicts EOS
    tokens, weights = greedy_decode(net, src, lengths, max_len=6)
    assert tokens.shape == (3, 6) and weights.shape == (3, 6, 5)
    assert (tokens[:, 0] == EOS_ID).all() and (tokens[:, 1:] == PAD_ID).all()
    assert strip_special(tokens[0].tolist()) == []


def test_sequence_loss_ignores_padding_and_checks_shapes():
    logits = torch.randn(2, 3, 5)
    targets = torch.tensor([[4, 4, PAD_ID], [1, 2, 3]])
    changed = logits.clone()
    changed[0, 2] = 100.0
    assert sequence_loss(logits, targets) == sequence_loss(changed, targets)
    with pytest.raises(ValueError):
        sequence_loss(logits, targets[:, :2])


def test_bad_arguments_raise():
    with pytest.raises(ValueError):
        Seq2Seq(VOCAB, VOCAB, attention="multiplicative")
    with pytest.raises(ValueError):
        Seq2Seq(VOCAB, VOCAB, hidden_size=7)
