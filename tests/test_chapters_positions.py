"""The positions chapter's task and measurements (course.chapters.positions)."""

from __future__ import annotations

import itertools
import math

import matplotlib.pyplot as plt
import pytest
import torch

from course.chapters import positions as chapter
from course.gpt import GPT, GPTConfig


def test_reversal_batches_pair_each_sequence_with_its_reversal():
    x, y = chapter.reversal_batch(5, 6, 4, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (5, 6)
    assert torch.equal(y[:, 0], x[:, -1]) and torch.equal(y.flip(1), x)
    assert int(x.max()) < 4


def _brute_force_ceiling(length: int, vocab_size: int) -> float:
    """The best equivariant accuracy by enumerating every sequence: for each (token, multiset)
    the most frequent mirror token, counted over all sequences and positions."""
    tallies: dict[tuple, dict[int, int]] = {}
    for x in itertools.product(range(vocab_size), repeat=length):
        bag = tuple(sorted(x))
        for t in range(length):
            seen = tallies.setdefault((x[t], bag), {})
            seen[x[length - 1 - t]] = seen.get(x[length - 1 - t], 0) + 1
    best = sum(max(seen.values()) for seen in tallies.values())
    return best / (vocab_size**length * length)


@pytest.mark.parametrize(("length", "vocab_size"), [(2, 2), (4, 2), (4, 3), (6, 2)])
def test_the_ceiling_equals_the_best_equivariant_predictor_by_enumeration(length, vocab_size):
    assert chapter.reversal_ceiling(length, vocab_size) == pytest.approx(
        _brute_force_ceiling(length, vocab_size))


def test_the_ceiling_is_above_chance_and_below_one_and_refuses_odd_lengths():
    ceiling = chapter.reversal_ceiling(12, 6)
    assert 1 / 6 < ceiling < 1
    # with two tokens the mirror is the other token of the multiset: always known
    assert chapter.reversal_ceiling(2, 5) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="even"):
        chapter.reversal_ceiling(5, 3)


def test_an_encoder_without_positions_is_permutation_equivariant():
    torch.manual_seed(0)
    model = chapter.reversal_model(6, 8, positions=False, d_model=16, n_layers=2).eval()
    assert not model.position_embedding.weight.requires_grad
    x = torch.randint(0, 6, (3, 8), generator=torch.Generator().manual_seed(1))
    order = torch.randperm(8, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert torch.allclose(model(x[:, order]), model(x)[:, order], atol=1e-5)


def test_training_on_reversal_learns_with_positions():
    torch.manual_seed(0)
    model = chapter.reversal_model(4, 6, positions=True, d_model=32, n_layers=1)
    losses = chapter.train_reversal(model, length=6, vocab_size=4, steps=150, lr=3e-3)
    x, y = chapter.reversal_batch(200, 6, 4, torch.Generator().manual_seed(3))
    assert losses[-1] < losses[0]
    assert chapter.reversal_accuracy(model, x, y) > chapter.reversal_ceiling(6, 4)


def test_loss_by_position_uses_the_same_windows_and_matches_the_mean_loss():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=7, block_size=16, n_layer=1, n_head=2, n_embd=8)).eval()
    ids = torch.randint(0, 7, (500,), generator=torch.Generator().manual_seed(4))
    curve = chapter.loss_by_position(model, ids, 16, n_windows=10)
    assert curve.shape == (16,)
    assert torch.equal(curve, chapter.loss_by_position(model, ids, 16, n_windows=10))
    assert curve.mean().item() == pytest.approx(math.log(7), abs=0.2)  # near uniform at init
    with pytest.raises(ValueError):
        chapter.loss_by_position(model, ids, 0)


def test_loss_by_position_plot_draws_one_line_per_model_and_the_training_length():
    curves = {"a": torch.ones(32), "b": 2 * torch.ones(32)}
    fig = chapter.plot_loss_by_position(curves, 8, smooth=4)
    ax = fig.axes[0]
    assert len(ax.lines) == 3  # two models and the vertical line
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    plt.close(fig)
