"""Tiled attention with online softmax equals naive attention; traffic counts are consistent."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from course.flash_attention import (
    TrafficCounter,
    flash_attention,
    flash_block_sizes,
    flash_hbm_traffic,
    naive_attention,
    naive_hbm_traffic,
    online_softmax_stats,
    time_attention,
)


def _qkv(length: int = 37, dim: int = 8, seed: int = 0, dtype=torch.float64):
    generator = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(2, 3, length, dim, generator=generator, dtype=dtype) for _ in range(3))


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("block_rows,block_cols", [(1, 1), (4, 4), (5, 11), (11, 5), (64, 64)])
def test_tiled_equals_naive(causal, block_rows, block_cols):
    q, k, v = _qkv()
    tiled = flash_attention(q, k, v, causal, block_rows=block_rows, block_cols=block_cols)
    assert torch.allclose(tiled, naive_attention(q, k, v, causal), atol=1e-12)


@pytest.mark.parametrize("causal", [False, True])
def test_naive_matches_pytorch(causal):
    q, k, v = _qkv(dtype=torch.float32)
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    assert torch.allclose(naive_attention(q, k, v, causal), expected, atol=1e-5)


def test_causal_output_ignores_the_future():
    q, k, v = _qkv(length=20)
    out = flash_attention(q, k, v, causal=True, block_rows=3, block_cols=7)
    k2, v2 = k.clone(), v.clone()
    k2[..., 12:, :] += 5.0
    v2[..., 12:, :] -= 3.0
    out2 = flash_attention(q, k2, v2, causal=True, block_rows=3, block_cols=7)
    assert torch.allclose(out[..., :12, :], out2[..., :12, :], atol=1e-12)
    assert not torch.allclose(out[..., 12:, :], out2[..., 12:, :])


@pytest.mark.parametrize("block_rows, block_cols", [(4, 2), (3, 1), (8, 8)])
def test_rows_with_a_very_low_maximum_meet_future_blocks_without_nan(block_rows, block_cols):
    # every score is -25.3 (q = 10, k = -10, d = 4: 4 * -100 / 2): a causal row's running
    # maximum sits far below -88, where exp(0 - m) overflows float32, when it meets a block
    # of keys that lies wholly in its future
    query, key = torch.full((1, 8, 4), 10.0), torch.full((1, 8, 4), -10.0)
    value = torch.randn(1, 8, 4, generator=torch.Generator().manual_seed(0))
    for scale in (1.0, 10.0):  # scores near -200 and near -20,000
        tiled = flash_attention(query * scale, key, value, causal=True,
                                block_rows=block_rows, block_cols=block_cols)
        assert not tiled.isnan().any()
        torch.testing.assert_close(tiled, naive_attention(query * scale, key, value, causal=True))


def test_cross_attention_lengths_differ():
    q, _, _ = _qkv(length=9)
    _, k, v = _qkv(length=23, seed=1)
    tiled = flash_attention(q, k, v, block_rows=4, block_cols=6)
    assert torch.allclose(tiled, naive_attention(q, k, v), atol=1e-12)


def test_online_softmax_gives_logsumexp():
    scores = torch.randn(5, 50, dtype=torch.float64) * 10
    running_max, normaliser = online_softmax_stats(scores, block_size=7)
    assert torch.allclose(running_max + normaliser.log(), torch.logsumexp(scores, -1))
    assert torch.equal(running_max, scores.amax(-1))


@pytest.mark.parametrize("length,block_cols", [(40, 8), (37, 10), (16, 64)])
def test_counted_traffic_equals_analytic_count(length, block_cols):
    q, k, v = (t[0, 0] for t in _qkv(length=length))
    counter = TrafficCounter()
    flash_attention(q, k, v, block_rows=3, block_cols=block_cols, counter=counter)
    expected = flash_hbm_traffic(length, q.shape[-1], block_cols=block_cols)
    assert (counter.reads, counter.writes) == (expected.reads, expected.writes)


def test_causal_skips_blocks_so_moves_less():
    q, k, v = _qkv(length=64)
    full, causal = TrafficCounter(), TrafficCounter()
    flash_attention(q, k, v, block_cols=8, counter=full)
    flash_attention(q, k, v, causal=True, block_cols=8, counter=causal)
    assert causal.total < full.total


def test_naive_traffic_is_quadratic_and_flash_beats_it():
    d, sram = 64, 100_000 // 4  # 100 KB of SRAM in fp32 elements
    small, big = naive_hbm_traffic(1024, d), naive_hbm_traffic(4096, d)
    assert big.total / small.total == pytest.approx(16, rel=0.1)
    assert naive_hbm_traffic(1024, d).total == 4 * 1024**2 + 4 * 1024 * d
    for n in (512, 4096, 16384):
        assert flash_hbm_traffic(n, d, sram_size=sram).total < naive_hbm_traffic(n, d).total


def test_block_sizes_fit_sram_and_more_sram_means_less_traffic():
    d = 64
    block_rows, block_cols = flash_block_sizes(d, 4096)
    assert block_cols == 16 and block_rows == 16
    assert flash_block_sizes(d, 100_000)[0] == d  # B_r is capped at d
    less = flash_hbm_traffic(8192, d, sram_size=200_000).total
    more = flash_hbm_traffic(8192, d, sram_size=20_000).total
    assert less < more


def test_bad_arguments_raise():
    q, k, v = _qkv()
    with pytest.raises(ValueError):
        flash_attention(q, k, v, block_rows=0)
    with pytest.raises(ValueError):
        flash_attention(q, k[..., :5], v, causal=False)
    with pytest.raises(ValueError):
        naive_attention(q[..., :5, :], k, v, causal=True)
    with pytest.raises(ValueError):
        flash_hbm_traffic(10, 4)
    with pytest.raises(ValueError):
        flash_hbm_traffic(10, 4, block_cols=2, sram_size=64)
    with pytest.raises(ValueError):
        flash_block_sizes(64, 10)


def test_time_attention_returns_positive_times():
    result = time_attention([16, 32], head_dim=8, n_heads=1, repeats=1)
    assert result["naive"].shape == (2,) and (result["fused"] > 0).all()
