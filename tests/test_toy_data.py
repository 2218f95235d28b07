"""Synthetic data sets: shapes, determinism and the properties the chapters rely on."""

import pytest
import torch

from course.toy_data import concentric_rings, histogram_task, recall_task, toy_corpus


def test_rings_are_deterministic_and_radially_separated():
    points, labels = concentric_rings(500, noise=0.0, seed=3)
    again, _ = concentric_rings(500, noise=0.0, seed=3)
    assert torch.equal(points, again)
    radius = points.norm(dim=1)
    assert radius[labels == 0].max() < radius[labels == 1].min()
    with pytest.raises(ValueError):
        concentric_rings(0)


def test_toy_corpus_pairs_are_neighbours_in_both_directions():
    vocabulary, pairs, group_of_word = toy_corpus(50, seed=0)
    assert set(group_of_word) == set(vocabulary)
    words = [(vocabulary[a], vocabulary[b]) for a, b in pairs.tolist()]
    assert ("cat", "eats") in words or ("dog", "eats") in words or ("cow", "eats") in words
    assert all((b, a) in words for a, b in words)
    assert all(group_of_word[a].split(":")[0] == group_of_word[b].split(":")[0] for a, b in words)
    assert group_of_word["cat"] == group_of_word["grass"] == "animals: nouns"


def test_recall_targets_are_the_queried_tokens():
    tokens, positions, targets = recall_task(100, 7, vocab_size=3, seed=1)
    assert tokens.shape == (100, 7) and tokens.max() < 3
    assert torch.equal(targets, tokens[torch.arange(100), positions])


def test_histogram_targets_count_occurrences():
    tokens, targets = histogram_task(20, length=6, vocab_size=3, seed=2)
    for row, counts in zip(tokens.tolist(), targets.tolist(), strict=True):
        assert counts == [row.count(t) - 1 for t in row]
