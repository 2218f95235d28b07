"""The temporal order lab's figures (course.chapters.temporal_order)."""

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

from course import recurrent
from course import temporal_order as to
from course.chapters import temporal_order as chapter


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
    runs = to.length_sweep(["rnn", "lstm"], [8, 10], hidden_size=4, n_train=16, n_test=16,
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
