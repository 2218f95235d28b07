"""Tests for course.modern_hopfield: the update is attention, the energy descends, β matters."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course import modern_hopfield as mh


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("beta", [0.05, 0.5, 1 / math.sqrt(16), 3.0])
def test_update_equals_scaled_dot_product_attention(beta):
    g = gen(1)
    queries = torch.randn(2, 3, 5, 16, generator=g, dtype=torch.float64)  # (B, H, Q, d)
    patterns = torch.randn(2, 3, 11, 16, generator=g, dtype=torch.float64)  # (B, H, P, d)
    ours = mh.hopfield_update(queries, patterns, beta)
    reference = F.scaled_dot_product_attention(queries, patterns, patterns, scale=beta)
    assert torch.allclose(ours, reference, atol=1e-12)


def test_attention_with_separate_values_matches_explicit_formula():
    g = gen(2)
    queries = torch.randn(4, 8, generator=g, dtype=torch.float64)
    keys = torch.randn(6, 8, generator=g, dtype=torch.float64)
    values = torch.randn(6, 3, generator=g, dtype=torch.float64)
    scores = torch.exp(queries @ keys.T / math.sqrt(8))  # (Q, P), written out by hand
    expected = (scores / scores.sum(dim=1, keepdim=True)) @ values
    got = mh.hopfield_attention(queries, keys, values, 1 / math.sqrt(8))
    assert torch.allclose(got, expected, atol=1e-12)
    with pytest.raises(ValueError):
        mh.hopfield_attention(queries, keys, values[:5], 1.0)


@pytest.mark.parametrize("seed", range(4))
def test_energy_never_rises_under_the_update(seed):
    g = gen(seed)
    patterns = torch.randn(20, 10, generator=g, dtype=torch.float64)
    state = torch.randn(7, 10, generator=g, dtype=torch.float64)
    beta = float(torch.rand(1, generator=g)) * 2 + 0.1
    energies = [mh.energy(state, patterns, beta)]
    for _ in range(10):
        state = mh.hopfield_update(state, patterns, beta)
        energies.append(mh.energy(state, patterns, beta))
    energies = torch.stack(energies)  # (steps, 7)
    assert torch.all(energies[1:] <= energies[:-1] + 1e-10)
    assert torch.all(energies >= -1e-10)


def test_large_beta_retrieves_nearest_pattern_in_one_step():
    patterns = torch.sign(torch.randn(50, 64, generator=gen(3)))
    noisy = patterns[:5] * torch.where(torch.rand(5, 64, generator=gen(4)) < 0.2, -1.0, 1.0)
    retrieved = mh.hopfield_update(noisy, patterns, beta=2.0)
    assert torch.allclose(retrieved, patterns[:5], atol=1e-6)
    final, steps = mh.retrieve(noisy, patterns, beta=2.0)
    assert steps <= 2 and torch.allclose(final, patterns[:5], atol=1e-6)


def test_small_beta_averages_all_patterns():
    patterns = torch.randn(30, 8, generator=gen(5), dtype=torch.float64)
    query = torch.randn(1, 8, generator=gen(6), dtype=torch.float64)
    out = mh.hopfield_update(query, patterns, beta=1e-8)
    assert torch.allclose(out[0], patterns.mean(dim=0), atol=1e-6)
    weights = mh.separation_weights(query, patterns, beta=1e-8)
    assert mh.effective_number_of_patterns(weights).item() == pytest.approx(30, rel=1e-6)
    sharp = mh.separation_weights(query, patterns, beta=1e4)
    assert mh.effective_number_of_patterns(sharp).item() == pytest.approx(1, rel=1e-6)


def test_energy_and_update_check_arguments():
    with pytest.raises(ValueError):
        mh.hopfield_update(torch.ones(2, 3), torch.ones(4, 5), 1.0)
    with pytest.raises(ValueError):
        mh.energy(torch.ones(3), torch.ones(4, 3), beta=0.0)


def test_log_sum_exp_is_a_smooth_maximum():
    values = torch.tensor([1.0, 3.0, 2.0])
    assert mh.log_sum_exp(values, 100.0).item() == pytest.approx(3.0, abs=1e-3)
    assert mh.log_sum_exp(values, 1.0).item() > 3.0


def test_image_helpers():
    images = np.zeros((2, 4, 4), dtype=np.uint8)
    images[0, 1, 1] = 200
    states = mh.images_to_states(images)
    assert states.shape == (2, 16) and states[0, 5] == 1 and states.sum() == -31 + 1
    masked = mh.mask_rows(states, (4, 4), keep_rows=2)
    assert torch.all(masked[:, 8:] == 0) and torch.equal(masked[:, :8], states[:, :8])
    with pytest.raises(ValueError):
        mh.mask_rows(states, (4, 5), 2)
    assert mh.retrieval_accuracy(states, states) == 1.0
    assert mh.retrieval_accuracy(-states, states) == 0.0


def test_same_seed_gives_identical_results():
    def run(seed):
        g = gen(seed)
        patterns = torch.randn(10, 6, generator=g)
        return mh.retrieve(torch.randn(3, 6, generator=g), patterns, beta=0.7)[0]

    assert torch.equal(run(9), run(9))
