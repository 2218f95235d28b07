"""The temporal order lab's figures (course.chapters.temporal_order)."""

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

from course import recurrent
from course import temporal_order as to
from course.chapters import temporal_order as chapter
from course.training import History


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plot_lstm_trace():
    torch.manual_seed(0)
    lstm = nn.LSTM(3, 4, batch_first=True)
    trace = recurrent.trace_lstm(lstm, torch.randn(2, 6, 3))
    fig = chapter.plot_lstm_trace(trace, "abcdef", index=1, highlight=[2], units=[3, 0])
    panels = [ax for ax in fig.axes if ax.get_images()]
    assert len(panels) == 5
    assert panels[0].get_images()[0].get_array().shape == (2, 6)
    plt.close(fig)
    with pytest.raises(ValueError):
        chapter.plot_lstm_trace(trace, "abc")


def test_plot_lstm_trace_scales_each_cell_row():
    torch.manual_seed(0)
    lstm = nn.LSTM(3, 4, batch_first=True)
    trace = recurrent.trace_lstm(lstm, torch.randn(1, 6, 3) * 5)
    fig = chapter.plot_lstm_trace(trace, "abcdef")
    cell_image = [ax for ax in fig.axes if ax.get_images()][3].get_images()[0].get_array()
    assert abs(cell_image).max(axis=1).tolist() == pytest.approx([1.0] * 4)
    plt.close(fig)


def test_plots():
    runs = chapter.length_sweep(["rnn", "lstm"], [8, 10], hidden_size=4, n_train=16, n_test=16,
                           epochs=1, device=torch.device("cpu"))
    ax = chapter.plot_length_sweep(runs)
    assert len(ax.lines) == 3  # two models and the chance line
    assert list(ax.lines[0].get_xdata()) == [8, 10]
    curves = {"a": torch.tensor([1e-6, 1e-3, 1.0]), "b": torch.tensor([1.0, 2.0, 4.0])}
    ax = chapter.plot_gradient_norms(curves, windows=[(0, 1)], styles={"a": {"linestyle": "--"}})
    assert ax.get_yscale() == "log" and ax.lines[0].get_linestyle() == "--"
    assert ax.lines[1].get_ydata()[-1] == pytest.approx(1.0)
    plt.close("all")


def test_unit_selectivity_has_a_panel_per_measure():
    selectivity = {"input_gate": torch.tensor([0.1, 0.8]), "cell_change": torch.tensor([0.0, 1.0])}
    fig = chapter.plot_unit_selectivity(selectivity)
    assert len(fig.axes) == 2


def test_epochs_to_reach():
    history = History()
    for value in (0.2, 0.6, 0.97, 0.5):
        history.record({"val_acc": value})
    assert chapter.epochs_to_reach(history, threshold=0.95) == 3
    assert chapter.epochs_to_reach(history, threshold=0.5) == 2
    assert chapter.epochs_to_reach(history, threshold=0.99) is None


def test_train_on_length_runs_and_learns_a_short_task():
    run = chapter.train_on_length("lstm", 8, hidden_size=8, n_train=256, n_test=128, epochs=8,
                             batch_size=32, device=torch.device("cpu"))
    assert run.cell == "lstm" and run.length == 8
    assert len(run.history) == 8
    assert run.history["train_loss"][-1] < run.history["train_loss"][0]
    assert run.test_acc == pytest.approx(run.history.last("val_acc"))
    sweep = chapter.length_sweep(["rnn"], [8, 9], hidden_size=4, n_train=32, n_test=32, epochs=1,
                            device=torch.device("cpu"))
    assert set(sweep) == {("rnn", 8), ("rnn", 9)}


def test_continue_training_and_accuracy_at_other_lengths():
    cpu = torch.device("cpu")
    first = chapter.train_on_length("lstm", 8, hidden_size=4, n_train=64, n_test=64, epochs=1,
                               device=cpu)
    before = [p.detach().clone() for p in first.model.parameters()]
    second = chapter.train_on_length("lstm", 12, hidden_size=4, n_train=64, n_test=64, epochs=1,
                                device=cpu, start_from=first.model)
    assert second.model is not first.model
    assert all(torch.equal(a, b) for a, b in zip(before, first.model.parameters(), strict=True))
    assert any(not torch.equal(a, b)
               for a, b in zip(before, second.model.parameters(), strict=True))
    with pytest.raises(ValueError):
        chapter.train_on_length("gru", 8, n_train=8, n_test=8, epochs=1, start_from=first.model)
    accuracy = chapter.accuracy_at_length(second.model, 30, n=50)
    assert 0.0 <= accuracy <= 1.0 and second.model.training


def test_gradient_reach():
    norms = torch.tensor([1.0, 2.0, 3.0, 8.0])
    assert chapter.gradient_reach(norms, range(0, 2)) == pytest.approx(1.5 / 8)
    with pytest.raises(ValueError):
        chapter.gradient_reach(torch.ones(2, 2), [0])


def test_cell_after_first_symbol_separates_x_from_y():
    from course.recurrent import LSTMTrace

    data = to.make_temporal_order(40, 12, seed=3)
    first_is_y = (data.labels // 2).float()  # (N,)
    cell = torch.zeros(40, 12, 2)
    rows = torch.arange(40)
    cell[rows, data.positions[:, 0], 0] = 2 * first_is_y - 1  # unit 0: -1 for X, +1 for Y
    zeros = torch.zeros_like(cell)
    trace = LSTMTrace(zeros, zeros, zeros, zeros, cell, zeros)
    means = chapter.cell_after_first_symbol(trace, data)
    assert means["X"].tolist() == [-1.0, 0.0] and means["Y"].tolist() == [1.0, 0.0]
    with pytest.raises(ValueError):
        chapter.cell_after_first_symbol(trace, to.make_temporal_order(5, 12))
