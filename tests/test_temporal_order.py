"""Tests for course.temporal_order: the generator of Hochreiter & Schmidhuber's experiment 6a."""

from __future__ import annotations

import pytest
import torch

from course import temporal_order as to


@pytest.mark.parametrize("length", [8, 10, 23, 80, 100])
def test_structure_of_every_sequence(length):
    data = to.make_temporal_order(300, length, seed=1, encoding="index")
    assert data.inputs.shape == (300, length) and data.inputs.dtype == torch.int64
    (lo1, hi1), (lo2, hi2) = to.relevant_windows(length)
    for tokens, label, (t1, t2) in zip(data.inputs, data.labels, data.positions, strict=True):
        text = to.decode(tokens)
        assert text[0] == "E" and text[-1] == "B"
        assert lo1 <= t1 <= hi1 < lo2 <= t2 <= hi2 <= length - 2
        relevant = [i for i, s in enumerate(text) if s in "XY"]
        assert relevant == [t1, t2]
        assert set(text[1:-1]) <= set("abcdXY")
        assert to.CLASS_NAMES[label] == text[t1] + text[t2]
        assert label == to.class_of(text[t1], text[t2])


def test_onehot_encoding_matches_index_encoding():
    onehot = to.make_temporal_order(50, 20, seed=4)
    index = to.make_temporal_order(50, 20, seed=4, encoding="index")
    assert onehot.inputs.shape == (50, 20, len(to.SYMBOLS))
    assert onehot.inputs.dtype == torch.float32
    assert torch.equal(onehot.inputs.sum(dim=-1), torch.ones(50, 20))
    assert torch.equal(onehot.inputs.argmax(dim=-1), index.inputs)
    assert torch.equal(onehot.labels, index.labels)
    assert to.decode(onehot.inputs[0]) == to.decode(index.inputs[0])


def test_seeding():
    a = to.make_temporal_order(40, 30, seed=5)
    b = to.make_temporal_order(40, 30, seed=5)
    c = to.make_temporal_order(40, 30, seed=6)
    assert torch.equal(a.inputs, b.inputs) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.inputs, c.inputs)


def test_classes_are_balanced_and_positions_cover_their_windows():
    data = to.make_temporal_order(4000, 100, seed=0, encoding="index")
    counts = torch.bincount(data.labels, minlength=4)
    assert counts.min() > 900 and counts.max() < 1100
    (lo1, hi1), (lo2, hi2) = to.relevant_windows(100)
    assert set(data.positions[:, 0].tolist()) == set(range(lo1, hi1 + 1))
    assert set(data.positions[:, 1].tolist()) == set(range(lo2, hi2 + 1))


def test_windows_follow_the_paper_at_length_100():
    first, second = to.relevant_windows(100)
    assert first == (10, 20) and second == (50, 60)


@pytest.mark.parametrize(
    "kwargs",
    [{"n": 0, "length": 20}, {"n": 5, "length": 7}, {"n": 5, "length": 20, "encoding": "ascii"}],
)
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        to.make_temporal_order(**kwargs)


def test_helpers_reject_bad_input():
    with pytest.raises(ValueError):
        to.class_of("X", "a")
    with pytest.raises(TypeError):
        to.one_hot(torch.zeros(3))
    with pytest.raises(ValueError):
        to.decode(torch.zeros(2, 3, 8))


def test_relevant_mask():
    data = to.make_temporal_order(10, 25, seed=2, encoding="index")
    mask = to.relevant_mask(data.positions, 25)
    assert mask.shape == (10, 25) and mask.dtype == torch.bool
    assert torch.equal(mask.sum(dim=1), torch.full((10,), 2))
    x_or_y = (data.inputs == to.SYMBOLS.index("X")) | (data.inputs == to.SYMBOLS.index("Y"))
    assert torch.equal(mask, x_or_y)
