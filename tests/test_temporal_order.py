"""Tests for course.temporal_order: the generator of Hochreiter & Schmidhuber's experiment 6a."""

from __future__ import annotations

import pytest
import torch

from course import temporal_order as to
from course.training import History


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


def test_epochs_to_reach():
    history = History()
    for value in (0.2, 0.6, 0.97, 0.5):
        history.record({"val_acc": value})
    assert to.epochs_to_reach(history, threshold=0.95) == 3
    assert to.epochs_to_reach(history, threshold=0.5) == 2
    assert to.epochs_to_reach(history, threshold=0.99) is None


def test_train_on_length_runs_and_learns_a_short_task():
    run = to.train_on_length("lstm", 8, hidden_size=8, n_train=256, n_test=128, epochs=8,
                             batch_size=32, device=torch.device("cpu"))
    assert run.cell == "lstm" and run.length == 8
    assert len(run.history) == 8
    assert run.history["train_loss"][-1] < run.history["train_loss"][0]
    assert run.test_acc == pytest.approx(run.history.last("val_acc"))
    sweep = to.length_sweep(["rnn"], [8, 9], hidden_size=4, n_train=32, n_test=32, epochs=1,
                            device=torch.device("cpu"))
    assert set(sweep) == {("rnn", 8), ("rnn", 9)}


def test_continue_training_and_accuracy_at_other_lengths():
    cpu = torch.device("cpu")
    first = to.train_on_length("lstm", 8, hidden_size=4, n_train=64, n_test=64, epochs=1,
                               device=cpu)
    before = [p.detach().clone() for p in first.model.parameters()]
    second = to.train_on_length("lstm", 12, hidden_size=4, n_train=64, n_test=64, epochs=1,
                                device=cpu, start_from=first.model)
    assert second.model is not first.model
    assert all(torch.equal(a, b) for a, b in zip(before, first.model.parameters(), strict=True))
    assert any(not torch.equal(a, b)
               for a, b in zip(before, second.model.parameters(), strict=True))
    with pytest.raises(ValueError):
        to.train_on_length("gru", 8, n_train=8, n_test=8, epochs=1, start_from=first.model)
    accuracy = to.accuracy_at_length(second.model, 30, n=50)
    assert 0.0 <= accuracy <= 1.0 and second.model.training


def test_gradient_reach():
    norms = torch.tensor([1.0, 2.0, 3.0, 8.0])
    assert to.gradient_reach(norms, range(0, 2)) == pytest.approx(1.5 / 8)
    with pytest.raises(ValueError):
        to.gradient_reach(torch.ones(2, 2), [0])


def test_cell_after_first_symbol_separates_x_from_y():
    from course.recurrent import LSTMTrace

    data = to.make_temporal_order(40, 12, seed=3)
    first_is_y = (data.labels // 2).float()  # (N,)
    cell = torch.zeros(40, 12, 2)
    rows = torch.arange(40)
    cell[rows, data.positions[:, 0], 0] = 2 * first_is_y - 1  # unit 0: -1 for X, +1 for Y
    zeros = torch.zeros_like(cell)
    trace = LSTMTrace(zeros, zeros, zeros, zeros, cell, zeros)
    means = to.cell_after_first_symbol(trace, data)
    assert means["X"].tolist() == [-1.0, 0.0] and means["Y"].tolist() == [1.0, 0.0]
    with pytest.raises(ValueError):
        to.cell_after_first_symbol(trace, to.make_temporal_order(5, 12))
