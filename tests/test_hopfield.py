"""Tests for course.hopfield: weights, energy, dynamics, crosstalk and capacity helpers."""

import itertools
import math

import numpy as np
import pytest
import torch

from course import hopfield as hp


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_hebbian_weights_symmetric_with_zero_diagonal():
    patterns = hp.random_patterns(7, 50, trials=3, generator=gen())
    weights = hp.hebbian_weights(patterns)
    assert weights.shape == (3, 50, 50)
    assert torch.equal(weights, weights.transpose(-1, -2))
    assert torch.all(weights.diagonal(dim1=-2, dim2=-1) == 0)
    # the batch equals the trials computed one at a time
    assert torch.allclose(weights[1], hp.hebbian_weights(patterns[1]))


def test_random_patterns_are_plus_minus_one_and_checked():
    patterns = hp.random_patterns(4, 30, generator=gen())
    assert set(patterns.unique().tolist()) == {-1.0, 1.0}
    with pytest.raises(ValueError):
        hp.random_patterns(0, 30)
    with pytest.raises(ValueError):
        hp.hebbian_weights(torch.ones(30))


@pytest.mark.parametrize("seed", range(5))
def test_energy_never_rises_under_asynchronous_updates(seed):
    g = gen(seed)
    n = 40
    raw = torch.randn(n, n, generator=g)
    weights = (raw + raw.T) / 2
    weights.fill_diagonal_(0)
    starts = torch.randint(-1, 2, (6, n), generator=g).float()  # entries -1, 0 (unknown), +1
    result = hp.run_async(starts, weights, generator=g, record=True)
    energies = hp.energy(result.trajectory, weights)  # (F+1, 6)
    assert torch.all(energies[1:] <= energies[:-1] + 1e-5)
    assert bool(result.converged.all())
    assert bool(hp.is_fixed_point(result.states, weights).all())


def test_each_asynchronous_event_flips_one_unstable_neuron():
    g = gen(1)
    patterns = hp.random_patterns(10, 60, generator=g)
    weights = hp.hebbian_weights(patterns)
    start = hp.corrupt(patterns[:1], 0.4, generator=g)
    result = hp.run_async(start, weights, generator=g, record=True)
    trajectory = result.trajectory[:, 0]  # (F+1, N)
    changed = (trajectory[1:] != trajectory[:-1]).sum(dim=-1)
    assert torch.all(changed[: int(result.flips)] == 1)
    for before, after in itertools.pairwise(trajectory):
        i = int((before != after).nonzero()[0]) if bool((before != after).any()) else None
        if i is not None:  # the neuron moved to the sign of its field
            assert after[i] == torch.sign(weights[i] @ before)


def test_stored_pattern_is_fixed_point_at_low_load():
    patterns = hp.random_patterns(5, 300, generator=gen(2))
    weights = hp.hebbian_weights(patterns)
    assert bool(hp.is_fixed_point(patterns, weights).all())
    noisy = hp.corrupt(patterns, 0.2, generator=gen(3))
    final = hp.run_async(noisy, weights, generator=gen(4)).states
    assert torch.equal(final, patterns)


def test_corrupt_flips_exactly_the_requested_number_of_bits():
    patterns = hp.random_patterns(8, 100, trials=2, generator=gen())
    noisy = hp.corrupt(patterns, 0.23, generator=gen(1))
    assert torch.all((noisy != patterns).sum(dim=-1) == 23)
    with pytest.raises(ValueError):
        hp.corrupt(patterns, 1.5)


def test_synchronous_two_cycle_and_asynchronous_fixed_point():
    weights = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    start = torch.tensor([[1.0, -1.0]])
    sync = hp.run_sync(start, weights)
    assert bool(sync.two_cycle.all()) and not bool(sync.fixed_point.any())
    result = hp.run_async(start, weights, generator=gen())
    assert bool(result.converged.all())
    assert result.states[0, 0] == result.states[0, 1]


def test_asymmetric_weights_can_cycle_forever():
    rotation = torch.tensor([[0.0, 1.0], [-1.0, 0.0]])
    result = hp.run_async(torch.tensor([[1.0, 1.0]]), rotation, generator=gen(), max_flips=100)
    assert not bool(result.converged.any())
    assert int(result.flips) == 100


def test_batched_weights_need_matching_states():
    patterns = hp.random_patterns(3, 20, trials=4, generator=gen())
    weights = hp.hebbian_weights(patterns)
    result = hp.run_async(patterns, weights, generator=gen())
    assert result.states.shape == patterns.shape
    with pytest.raises(ValueError):
        hp.run_async(torch.ones(5, 20), weights)
    with pytest.raises(ValueError):
        hp.run_async(torch.ones(4, 21), weights)


def test_same_seed_gives_identical_results():
    a = hp.capacity_experiment(50, [0.1, 0.2], trials=4, probes=3, corruption=0.1, generator=gen(7))
    b = hp.capacity_experiment(50, [0.1, 0.2], trials=4, probes=3, corruption=0.1, generator=gen(7))
    assert np.array_equal(a.retrieved, b.retrieved)
    assert np.array_equal(a.final_overlap, b.final_overlap)
    patterns = hp.random_patterns(6, 80, generator=gen(3))
    start = hp.corrupt(patterns, 0.3, generator=gen(4))
    weights = hp.hebbian_weights(patterns)
    first = hp.run_async(start, weights, generator=gen(5)).states
    second = hp.run_async(start, weights, generator=gen(5)).states
    assert torch.equal(first, second)


def test_measured_crosstalk_error_matches_exact_law():
    n, p, trials = 100, 20, 60
    patterns = hp.random_patterns(p, n, trials=trials, generator=gen(11))
    measured = hp.one_step_error_rate(patterns, hp.hebbian_weights(patterns))
    exact = hp.crosstalk_error_probability(n, p, exact=True)
    bits = n * p * trials
    sigma = math.sqrt(exact * (1 - exact) / bits)
    # bits of one pattern share the crosstalk terms, so allow a generous 6 sigma
    assert abs(measured - exact) < 6 * sigma + 1e-4
    # the Gaussian approximation approaches the exact law for large N
    gauss = hp.crosstalk_error_probability(4000, 600)
    assert abs(gauss - hp.crosstalk_error_probability(4000, 600, exact=True)) < 0.1 * gauss


def test_projection_rule_stores_correlated_patterns():
    g = gen(5)
    base = hp.random_patterns(1, 64, generator=g)
    patterns = torch.where(torch.rand(12, 64, generator=g) < 0.8, base, -base)  # correlated
    weights = hp.projection_weights(patterns, zero_diagonal=False)
    assert torch.allclose(patterns @ weights.T, patterns, atol=1e-4)
    assert bool(hp.is_fixed_point(patterns, hp.projection_weights(patterns)).all())


def test_mixture_state_is_majority_vote():
    patterns = hp.random_patterns(3, 30, generator=gen())
    mixture = hp.mixture_state(patterns)
    assert torch.equal(mixture, torch.sign(patterns.sum(0)))
    with pytest.raises(ValueError):
        hp.mixture_state(patterns, (0, 1))


def test_crossing_point_interpolates():
    loads = np.array([0.1, 0.2, 0.3])
    assert hp.crossing_point(loads, np.array([1.0, 0.75, 0.25])) == pytest.approx(0.25)
    with pytest.raises(ValueError):
        hp.crossing_point(loads, np.array([1.0, 0.9, 0.8]))


def test_classify_end_states():
    patterns = hp.random_patterns(5, 400, generator=gen(8))
    mixture = hp.mixture_state(patterns, (0, 2, 4))
    noise = hp.random_patterns(1, 400, generator=gen(9))
    states = torch.stack([patterns[1], -patterns[3], mixture, -mixture, noise[0]])
    kinds = hp.classify_end_states(states, patterns).tolist()
    assert [hp.END_STATE_KINDS[k] for k in kinds] == [
        "stored", "reversed", "3-mixture", "3-mixture", "other"
    ]


def test_ags_branch_ends_at_critical_load():
    loads, overlaps = hp.ags_retrieval_branch()
    assert loads.max() == pytest.approx(0.138, abs=1e-3)
    assert overlaps[np.argmax(loads)] == pytest.approx(0.967, abs=2e-3)
    assert np.all(np.diff(overlaps) >= 0) and np.all(np.diff(loads) < 0)
    assert loads.min() < 0.02 and overlaps[0] < overlaps[-1]


def test_mceliece_bound_and_letter_pattern():
    assert hp.mceliece_bound(100) == pytest.approx(100 / (2 * math.log(100)))
    letter = hp.letter_pattern("A", 16)
    assert letter.shape == (16, 16)
    assert 0.05 < (letter == 1).float().mean() < 0.6
    assert hp.t_pattern().sum() == 2 * 9 - 25


def test_random_unstable_neuron_is_uniform_among_the_unstable():
    mask = torch.tensor([[False, True, False, True, True], [True, False, False, False, False]])
    counts = torch.zeros(2, 5)
    g = gen(12)
    for _ in range(600):
        chosen = hp._random_true_index(mask, g)
        counts.scatter_add_(1, chosen, torch.ones(2, 1))
    assert torch.all(counts[~mask] == 0)
    assert torch.all((counts[0, [1, 3, 4]] - 200).abs() < 60)
    assert counts[1, 0] == 600


def exact_hebbian_numerators(states: torch.Tensor, patterns: torch.Tensor) -> torch.Tensor:
    """``N h`` of Hebb's zero-diagonal rule in integer arithmetic: exact, ties are exactly 0."""
    s, x = states.long(), patterns.long()
    return (s @ x.transpose(-1, -2)) @ x - patterns.shape[-2] * s


def test_float32_ties_keep_the_state_in_every_update():
    patterns = hp.random_patterns(10, 100, trials=20, generator=gen(4))  # (T, P, N)
    weights = hp.hebbian_weights(patterns)
    numerators = exact_hebbian_numerators(patterns, patterns)  # (T, P, N)
    ties = numerators == 0
    fields = hp.local_fields(patterns, weights)
    # the case the tie rule is for: exact ties that float32 arithmetic does not give as 0
    assert bool((fields[ties] != 0).any())
    exact_sign = torch.sign(numerators).float()
    exact_new = torch.where(ties, patterns, exact_sign)
    exact_fixed = (exact_new == patterns).all(dim=-1)  # (T, P)
    assert hp.one_step_error_rate(patterns, weights) == (exact_new != patterns).double().mean()
    assert torch.equal(hp.is_fixed_point(patterns, weights), exact_fixed)
    assert torch.equal(hp.sync_step(patterns, weights), exact_new)
    asynchronous = hp.run_async(patterns, weights, generator=gen(5))
    assert torch.equal(asynchronous.flips == 0, exact_fixed)


def test_field_signs_is_the_one_tie_rule():
    fields = torch.tensor([2.0, -1e-8, 0.0, 3e-8, -0.5])
    assert hp.field_signs(fields, 1e-7).tolist() == [1.0, 0.0, 0.0, 0.0, -1.0]
    states = torch.tensor([-1.0, 1.0, -1.0, -1.0, 1.0])
    assert hp.sign_update(fields, states, tolerance=1e-7).tolist() == [1.0, 1.0, -1.0, -1.0, -1.0]
    # the tolerance stays below the smallest nonzero Hebbian field, 1/N, when P(N-1) < 10^6
    n, p = 784, 1000
    identical = torch.ones(p, n)  # the largest possible row sums of |W|: (N-1)P/N
    assert hp.tie_tolerance(hp.hebbian_weights(identical)) < 1 / n
