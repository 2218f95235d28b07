"""Prerequisites I's experiments, run small, and its figures (course.chapters.prereq_linear)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course.chapters import prereq_linear as chapter
from course.chapters.prereq_linear import batch_dependence, padding_effect
from course.normalization import BatchNorm1d, LayerNorm


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_batch_dependence_of_batch_norm_only():
    spreads_bn = batch_dependence(BatchNorm1d(4), [2, 64], features=4, trials=30)
    spreads_ln = batch_dependence(LayerNorm(4), [2, 64], features=4, trials=30)
    assert spreads_bn[0] > spreads_bn[1] > 0
    assert spreads_ln.max() < 1e-6


def test_padding_changes_batch_norm_not_layer_norm():
    effect = padding_effect()
    assert effect.layer_norm < 1e-6 < 0.1 < effect.batch_norm


def test_figures_have_their_panels():
    assert len(chapter.plot_grid_transforms({"id": torch.eye(2), "2x": 2 * torch.eye(2)}).axes) == 2
    fig = chapter.plot_word_embedding(np.zeros((2, 2)), ["a", "b"], {"a": "x", "b": "y"})
    assert len(fig.axes) == 1
    curves = {"id": (np.arange(3.0), np.ones(3))}
    assert len(chapter.plot_activations(np.arange(3.0), curves).axes) == 2
    assert chapter.plot_batch_dependence([2, 4], {"bn": np.array([1.0, 0.5])}).axes


def test_ring_classifiers_one_panel_per_model_titled_by_accuracy():
    models = {"a": torch.nn.Linear(2, 2), "b": torch.nn.Linear(2, 2)}
    points, labels = torch.randn(10, 2), torch.arange(10) % 2
    fig = chapter.plot_ring_classifiers(models, points, labels, {"a": 0.5, "b": 0.75})
    assert [ax.get_title().splitlines()[0] for ax in fig.axes] == ["a", "b"]
    assert "75%" in fig.axes[1].get_title()


def test_group_spread_finds_separate_and_overlapping_clusters():
    vectors = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 2.0]])
    spread = chapter.group_spread(vectors, ["a", "a", "b", "b"])
    assert spread == {"a": (1.0, 10.0), "b": (2.0, 10.0)}
    mixed = chapter.group_spread(vectors, ["a", "b", "a", "b"])
    assert mixed["a"][0] > mixed["a"][1]  # wider than the gap to the other group: no cluster
    with pytest.raises(ValueError):
        chapter.group_spread(vectors, ["a"] * 4)


def test_pointwise_applies_its_function():
    assert torch.equal(chapter.Pointwise(torch.square)(torch.tensor([-2.0, 3.0])),
                       torch.tensor([4.0, 9.0]))


def test_ring_classifier_linear_fails_and_quadratic_units_succeed():
    from course import linear_maps as lm
    from course.toy_data import concentric_rings

    points, labels = concentric_rings(n=200, seed=0)
    linear = chapter.train_ring_classifier(lm.make_mlp(2, 8, 2, 1, activation=None),
                                           points, labels, epochs=100)
    square = chapter.train_ring_classifier(
        lm.make_mlp(2, 8, 2, 1, activation=lambda: chapter.Pointwise(torch.square)),
        points, labels, epochs=100)
    assert linear < 0.75 < 0.95 < square
