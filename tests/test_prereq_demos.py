"""The chapter experiments, run small."""

import math

import torch

from course.normalization import BatchNorm1d, LayerNorm
from course.prereq_demos import (
    attention_cost,
    attention_step_by_step,
    batch_dependence,
    dot_product_statistics,
    padding_effect,
    run_ablation,
    scoring_cost,
)


def test_batch_dependence_of_batch_norm_only():
    spreads_bn = batch_dependence(BatchNorm1d(4), [2, 64], features=4, trials=30)
    spreads_ln = batch_dependence(LayerNorm(4), [2, 64], features=4, trials=30)
    assert spreads_bn[0] > spreads_bn[1] > 0
    assert spreads_ln.max() < 1e-6


def test_padding_changes_batch_norm_not_layer_norm():
    effect = padding_effect()
    assert effect.layer_norm < 1e-6 < 0.1 < effect.batch_norm


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
