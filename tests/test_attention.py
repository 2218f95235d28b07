"""Attention from scratch against PyTorch's own implementations."""

import math

import pytest
import torch
from torch import nn
from torch.nn import functional

from course.attention import (
    AdditiveAttention,
    MultiHeadAttention,
    attend,
    attention_scores,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
)


@pytest.fixture
def qkv():
    g = torch.Generator().manual_seed(0)
    q = torch.randn(2, 3, 5, 8, generator=g)
    k = torch.randn(2, 3, 7, 8, generator=g)
    v = torch.randn(2, 3, 7, 4, generator=g)
    return q, k, v


def test_sdpa_matches_torch(qkv):
    q, k, v = qkv
    out, weights = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(out, functional.scaled_dot_product_attention(q, k, v))
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3, 5))


def test_sdpa_with_boolean_mask_matches_torch(qkv):
    q, k, v = qkv
    mask = torch.rand(5, 7, generator=torch.Generator().manual_seed(1)) > 0.3
    mask[:, 0] = True  # every query keeps at least one key
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    torch.testing.assert_close(
        out, functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    )
    assert torch.all(weights[..., ~mask] == 0)


def test_float_mask_is_added(qkv):
    q, k, v = qkv
    additive = torch.zeros(5, 7)
    additive[:, 3] = float("-inf")
    boolean = torch.ones(5, 7, dtype=torch.bool)
    boolean[:, 3] = False
    torch.testing.assert_close(
        scaled_dot_product_attention(q, k, v, additive)[0],
        scaled_dot_product_attention(q, k, v, boolean)[0],
    )


def test_scores_are_scaled_by_sqrt_d(qkv):
    q, k, _ = qkv
    torch.testing.assert_close(attention_scores(q, k), q @ k.transpose(-2, -1) / math.sqrt(8))
    torch.testing.assert_close(attention_scores(q, k, scale=1.0), q @ k.transpose(-2, -1))


def test_shape_errors(qkv):
    q, k, v = qkv
    with pytest.raises(ValueError):
        attention_scores(q, k[..., :4])
    with pytest.raises(ValueError):
        scaled_dot_product_attention(q, k, v[..., :6, :])
    with pytest.raises(ValueError):
        attend(torch.zeros(2, 3), torch.zeros(4, 1))


def test_causal_and_padding_masks():
    assert torch.equal(causal_mask(3), torch.tensor([[1, 0, 0], [1, 1, 0], [1, 1, 1]]).bool())
    mask = padding_mask(torch.tensor([1, 3]), 4)
    assert mask.shape == (2, 1, 4)
    assert mask[0, 0].tolist() == [True, False, False, False]
    with pytest.raises(ValueError):
        causal_mask(0)


@pytest.mark.parametrize("bias", [True, False])
def test_multihead_matches_torch(bias):
    torch.manual_seed(0)
    reference = nn.MultiheadAttention(16, 4, bias=bias, batch_first=True).eval()
    ours = MultiHeadAttention.from_torch(reference).eval()
    query, memory = torch.randn(3, 5, 16), torch.randn(3, 6, 16)
    mask = causal_mask(5)
    expected, expected_weights = reference(
        query, query, query, attn_mask=~mask, average_attn_weights=False
    )
    out, weights = ours(query, mask=mask, need_weights=True)
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(weights, expected_weights)
    cross = reference(query, memory, memory, need_weights=False)[0]
    torch.testing.assert_close(ours(query, memory, memory), cross)


def test_multihead_padding_mask_matches_key_padding_mask():
    torch.manual_seed(1)
    ours = MultiHeadAttention(8, 2).eval()
    reference = ours.to_torch().eval()
    x = torch.randn(2, 4, 8)
    lengths = torch.tensor([4, 2])
    expected = reference(x, x, x, key_padding_mask=~padding_mask(lengths, 4)[:, 0])[0]
    torch.testing.assert_close(ours(x, mask=padding_mask(lengths, 4)), expected)


def test_multihead_with_other_key_dims_round_trips_through_torch():
    torch.manual_seed(2)
    ours = MultiHeadAttention(8, 2, kdim=5, vdim=3).eval()
    reference = ours.to_torch().eval()
    q, k, v = torch.randn(2, 4, 8), torch.randn(2, 6, 5), torch.randn(2, 6, 3)
    torch.testing.assert_close(ours(q, k, v), reference(q, k, v)[0])
    again = MultiHeadAttention.from_torch(reference)
    torch.testing.assert_close(again(q, k, v), ours(q, k, v))


def test_fused_path_matches_explicit_path():
    torch.manual_seed(3)
    explicit = MultiHeadAttention(12, 3).eval()
    fused = MultiHeadAttention(12, 3, fused=True).eval()
    fused.load_state_dict(explicit.state_dict())
    x = torch.randn(2, 5, 12)
    torch.testing.assert_close(fused(x, mask=causal_mask(5)), explicit(x, mask=causal_mask(5)))


def test_multihead_parameter_count_and_errors():
    assert sum(p.numel() for p in MultiHeadAttention(16, 4).parameters()) == 4 * 16 * 16 + 4 * 16
    with pytest.raises(ValueError):
        MultiHeadAttention(10, 3)
    with pytest.raises(TypeError):
        MultiHeadAttention.from_torch(nn.Linear(2, 2))
    with pytest.raises(ValueError):
        MultiHeadAttention(8, 2)(torch.randn(4, 8))


def test_additive_attention_weights_and_shapes():
    torch.manual_seed(4)
    attention = AdditiveAttention(query_dim=6, key_dim=5, hidden_dim=7)
    q, k, v = torch.randn(2, 3, 6), torch.randn(2, 4, 5), torch.randn(2, 4, 2)
    out, weights = attention(q, k, v)
    assert out.shape == (2, 3, 2) and weights.shape == (2, 3, 4)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3))
    # one query against one key by hand: w^T tanh(W_q q + W_k k + b)
    by_hand = attention.score_proj.weight @ torch.tanh(
        attention.query_proj.weight @ q[0, 1] + attention.key_proj(k[0, 2])
    )
    torch.testing.assert_close(attention.scores(q, k)[0, 1, 2], by_hand[0])
    masked = attention(q, k, v, mask=padding_mask(torch.tensor([2, 4]), 4))[1]
    assert torch.all(masked[0, :, 2:] == 0)
