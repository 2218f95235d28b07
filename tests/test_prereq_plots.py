"""Every figure function draws without error and returns a figure with the expected panels."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course import prereq_plots as plots
from course.training import History


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_simple_figures():
    assert len(plots.plot_grid_transforms({"id": torch.eye(2), "2x": 2 * torch.eye(2)}).axes) == 2
    fig = plots.plot_word_embedding(np.zeros((2, 2)), ["a", "b"], {"a": "x", "b": "y"})
    assert len(fig.axes) == 1
    curves = {"id": (np.arange(3.0), np.ones(3))}
    assert len(plots.plot_activations(np.arange(3.0), curves).axes) == 2
    assert plots.plot_batch_dependence([2, 4], {"bn": np.array([1.0, 0.5])}).axes
    assert plots.plot_timings([1, 2], {"a": np.array([1.0, 2.0])}, xlabel="T").axes
    assert plots.plot_recall([4, 8], {"m": [1.0, 0.5]}, chance=0.25).axes
    assert plots.plot_attention_weights(np.eye(2), ["q1", "q2"], ["k1", "k2"]).axes


def test_model_and_statistics_figures():
    model = torch.nn.Linear(2, 2)
    fig = plots.plot_decision_regions({"m": model}, torch.randn(10, 2), torch.zeros(10), {"m": 0.5})
    assert len(fig.axes) == 1
    panels = {"lin": {"a": np.ones(5)}, "tanh": {"a": np.ones(5)}}
    assert len(plots.plot_gradient_norms(panels).axes) == 2
    stats = {f"{k}_{s}": np.ones(2) for k in ("var", "max", "grad") for s in ("raw", "scaled")}
    assert len(plots.plot_scaling_statistics([4, 8], stats).axes) == 3
    cost = {"time": np.ones(3), "memory": np.ones(3), "feedforward_time": np.ones(3)}
    fits = {k: (1.0, 1.0) for k in cost}
    assert len(plots.plot_complexity([1, 2, 4], cost, fits, fit_from=2).axes) == 2
    history = History()
    history.record({"train_loss": 1.0})
    assert plots.plot_ablation({"v": (history, 0.5)}).axes


def test_html_table_escapes_and_checks_row_lengths():
    table = plots.html_table(["a", "b<c"], [[1, "x&y"]])
    assert table.count("<tr>") == 2 and "b&lt;c" in table and "x&amp;y" in table
    with pytest.raises(ValueError):
        plots.html_table(["a"], [[1, 2]])
