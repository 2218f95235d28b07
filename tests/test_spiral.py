"""Tests for course.spiral: the spiral generator, the two classifiers and their pictures."""

from __future__ import annotations

import math

import pytest
import torch

from course import spiral


def test_spirals_shapes_types_and_balance():
    points, labels = spiral.make_spirals(50, 4, seed=3)
    assert points.shape == (200, 2) and points.dtype == torch.float32
    assert labels.shape == (200,) and labels.dtype == torch.int64
    assert torch.bincount(labels).tolist() == [50, 50, 50, 50]
    assert points.norm(dim=1).max() <= 1.0 + 1e-6


def test_spirals_are_seeded():
    a = spiral.make_spirals(30, 3, seed=7)
    b = spiral.make_spirals(30, 3, seed=7)
    c = spiral.make_spirals(30, 3, seed=8)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_noise_free_points_lie_on_their_arm():
    n, k_classes, turns = 20, 3, 1.5
    points, labels = spiral.make_spirals(n, k_classes, noise=0.0, turns=turns)
    radius = points.norm(dim=1)
    expected_radius = torch.linspace(0, 1, n).repeat(k_classes)
    assert torch.allclose(radius, expected_radius, atol=1e-5)
    far = radius > 0.05  # the angle of the origin is undefined
    angle = torch.atan2(points[far, 1], points[far, 0])
    expected = 2 * math.pi * (turns * expected_radius[far] + labels[far] / k_classes)
    difference = torch.remainder(angle - expected + math.pi, 2 * math.pi) - math.pi
    assert difference.abs().max() < 1e-4


@pytest.mark.parametrize(
    "kwargs",
    [{"n_per_class": 1}, {"n_classes": 1}, {"noise": -0.1}, {"turns": 0.0}, {"n_per_class": 2.5}],
)
def test_spirals_reject_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        spiral.make_spirals(**kwargs)


def test_model_shapes_and_bad_arguments():
    x = torch.randn(7, 2)
    assert spiral.linear_classifier(3)(x).shape == (7, 3)
    net = spiral.TwoLayerNet(11, 4, "tanh")
    assert net.hidden(x).shape == (7, 11)
    assert net(x).shape == (7, 4)
    with pytest.raises(ValueError):
        spiral.TwoLayerNet(8, 3, "softplus")
    with pytest.raises(ValueError):
        spiral.TwoLayerNet(0, 3)


def test_identity_network_is_affine():
    torch.manual_seed(0)
    net = spiral.TwoLayerNet(16, 3, "identity")
    a, b = torch.randn(5, 2), torch.randn(5, 2)
    mixed = net(0.3 * a + 0.7 * b)
    assert torch.allclose(mixed, 0.3 * net(a) + 0.7 * net(b), atol=1e-5)
    relu = spiral.TwoLayerNet(16, 3, "relu")
    assert not torch.allclose(relu(0.3 * a + 0.7 * b), 0.3 * relu(a) + 0.7 * relu(b), atol=1e-5)


def test_fit_lowers_the_loss_and_records_every_step():
    torch.manual_seed(0)
    data = spiral.make_spirals(40, 3, seed=0)
    net = spiral.TwoLayerNet(32, 3, "relu")
    history = spiral.train_classifier(net, data, data, steps=60, lr=1e-2,
                                      device=torch.device("cpu"))
    assert len(history) == 60
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert 0.0 <= spiral.accuracy_of(net, data) <= 1.0


def test_training_without_test_data_trains_the_same_net_and_scores_nothing():
    data = spiral.make_spirals(40, 3, seed=0)
    nets = []
    for test_data in (data, None):
        torch.manual_seed(0)
        nets.append(spiral.TwoLayerNet(8, 3, "tanh"))
        history = spiral.train_classifier(nets[-1], data, test_data, steps=20,
                                          device=torch.device("cpu"))
    assert "val_acc" not in history and "train_acc" in history
    for with_test, without in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
        assert torch.equal(with_test, without)


def test_flip_labels_changes_exactly_the_marked_entries():
    labels = torch.arange(3).repeat(200)
    noisy, flipped = spiral.flip_labels(labels, 0.25, 3, seed=1)
    assert torch.equal(noisy != labels, flipped)
    assert 0.18 < flipped.float().mean() < 0.32
    assert noisy.min() >= 0 and noisy.max() <= 2
    again, _ = spiral.flip_labels(labels, 0.25, 3, seed=1)
    assert torch.equal(noisy, again)
    with pytest.raises(ValueError):
        spiral.flip_labels(labels, 1.5, 3)
