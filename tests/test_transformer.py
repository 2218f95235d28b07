"""Transformer blocks: agreement with PyTorch, masks, ablation switches and parameter counts."""

import pytest
import torch
from torch import nn

from course.attention import causal_mask
from course.training import count_parameters
from course.transformer import (
    DecoderBlock,
    EncoderBlock,
    SequenceTagger,
    block_parameter_count,
)


@pytest.mark.parametrize("norm_first", [True, False])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_block_matches_torch(norm_first, activation):
    torch.manual_seed(0)
    reference = nn.TransformerEncoderLayer(
        16, 4, 24, dropout=0.0, activation=activation, batch_first=True, norm_first=norm_first
    ).eval()
    ours = EncoderBlock.from_torch(reference).eval()
    assert ours.norm_first == norm_first
    x = torch.randn(2, 5, 16)
    with torch.no_grad():
        expected = reference(x, src_mask=~causal_mask(5))
        torch.testing.assert_close(ours(x, mask=causal_mask(5)), expected)
    assert count_parameters(ours) == count_parameters(reference)


@pytest.mark.parametrize("d_model", [8, 32])
def test_closed_form_parameter_counts(d_model):
    encoder = EncoderBlock(d_model, 4)
    assert count_parameters(encoder) == block_parameter_count(d_model)
    assert count_parameters(encoder) == 12 * d_model**2 + 13 * d_model
    decoder = DecoderBlock(d_model, 4)
    assert count_parameters(decoder) == block_parameter_count(d_model, kind="decoder")
    gpt_block = DecoderBlock(d_model, 4, cross_attention=False, bias=False)
    assert count_parameters(gpt_block) == block_parameter_count(
        d_model, kind="decoder-only", bias=False
    )
    no_norm = EncoderBlock(d_model, 2, 3 * d_model, layer_norm=False)
    closed_form = block_parameter_count(d_model, 3 * d_model, layer_norm=False)
    assert count_parameters(no_norm) == closed_form
    with pytest.raises(ValueError):
        block_parameter_count(d_model, kind="mlp")


def test_decoder_block_is_causal():
    torch.manual_seed(1)
    block = DecoderBlock(8, 2).eval()
    x, memory = torch.randn(1, 6, 8), torch.randn(1, 4, 8)
    changed = x.clone()
    changed[:, 4:] += 1.0  # only the future of position 3 changes
    out, out_changed = block(x, memory), block(changed, memory)
    torch.testing.assert_close(out[:, :4], out_changed[:, :4])
    assert not torch.allclose(out[:, 4:], out_changed[:, 4:])
    with pytest.raises(ValueError):
        block(x)  # memory is needed with cross-attention
    with pytest.raises(ValueError):
        DecoderBlock(8, 2, cross_attention=False)(x, memory)


def test_decoder_block_cross_attention_reads_memory():
    torch.manual_seed(2)
    block = DecoderBlock(8, 2).eval()
    x, memory = torch.randn(1, 3, 8), torch.randn(1, 4, 8)
    assert not torch.allclose(block(x, memory), block(x, memory + 1))


@pytest.mark.parametrize(
    "options",
    [
        {"residual": False},
        {"layer_norm": False},
        {"norm_first": False},
        {"norm_first": False, "residual": False},
    ],
)
def test_ablation_switches_change_the_function_not_the_shapes(options):
    torch.manual_seed(3)
    full = EncoderBlock(8, 2).eval()
    ablated = EncoderBlock(8, 2, **options).eval()
    ablated.load_state_dict(full.state_dict(), strict=False)
    x = torch.randn(2, 5, 8)
    assert ablated(x).shape == x.shape
    assert not torch.allclose(ablated(x), full(x))


def test_no_residual_no_norm_block_is_plain_composition():
    torch.manual_seed(4)
    block = EncoderBlock(8, 2, residual=False, layer_norm=False).eval()
    x = torch.randn(2, 3, 8)
    torch.testing.assert_close(block(x), block.ff(block.self_attn(x)))


def test_sequence_tagger_shapes_and_errors():
    model = SequenceTagger(vocab_size=5, n_classes=3, max_length=6, d_model=8, n_heads=2)
    assert model(torch.randint(0, 5, (4, 6))).shape == (4, 6, 3)
    with pytest.raises(ValueError):
        model(torch.randint(0, 5, (4, 7)))
