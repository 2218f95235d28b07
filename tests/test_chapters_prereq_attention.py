"""Prerequisites III's experiments, run small, and its figures
(course.chapters.prereq_attention)."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course.chapters import prereq_attention as chapter
from course.chapters.prereq_attention import (
    attention_cost,
    attention_step_by_step,
    dot_product_statistics,
    run_ablation,
    scoring_cost,
)
from course.training import History


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_step_by_step_matches_formula():
    q = torch.tensor([1.0, 0.0])
    keys = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    values = torch.tensor([[1.0], [3.0]])
    steps = attention_step_by_step(q, keys, values)
    expected = torch.softmax(torch.tensor([2.0, 0.0]) / math.sqrt(2), 0)
    torch.testing.assert_close(steps["weights"], expected)
    torch.testing.assert_close(steps["output"], expected @ values)


def test_scaling_keeps_variance_near_one():
    stats = dot_product_statistics([4, 256], samples=300)
    assert stats["var_raw"][1] > 100 and 0.7 < stats["var_scaled"][1] < 1.3
    assert stats["max_raw"][1] > stats["max_scaled"][1]


def test_attention_memory_grows_quadratically_and_additive_costs_more():
    cost = attention_cost([64, 128, 256], d_model=8, repeats=1)
    growth = cost["memory"][2] / cost["memory"][1]
    assert 3.0 < growth < 4.5  # doubling T roughly quadruples the saved bytes
    assert cost["time"].shape == cost["feedforward_time"].shape == (3,)
    scoring = scoring_cost(length=32, d_model=8)
    assert scoring["additive_memory"] > scoring["dot_memory"]


def test_ablation_runs_and_reports_a_baseline():
    result = run_ablation({"tiny": {}}, n_layers=1, d_model=8, epochs=1, n_train=64)
    history, accuracy = result.runs["tiny"]
    assert len(history) == 1 and 0.0 <= accuracy <= 1.0
    assert 0.0 < result.majority_accuracy < 1.0


def test_figures_have_their_panels():
    assert chapter.plot_attention_weights(np.eye(2), ["q1", "q2"], ["k1", "k2"]).axes
    stats = {f"{k}_{s}": np.ones(2) for k in ("var", "max", "grad") for s in ("raw", "scaled")}
    assert len(chapter.plot_scaling_statistics([4, 8], stats).axes) == 3
    cost = {"time": np.ones(3), "memory": np.ones(3), "feedforward_time": np.ones(3)}
    fits = {k: (1.0, 1.0) for k in cost}
    assert len(chapter.plot_complexity([1, 2, 4], cost, fits, fit_from=2).axes) == 2
    history = History()
    history.record({"train_loss": 1.0})
    assert chapter.plot_ablation({"v": (history, 0.5)}).axes
