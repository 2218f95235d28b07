"""The spiral lab's figures (course.chapters.spiral)."""

import matplotlib.pyplot as plt
import pytest
import torch

from course import spiral
from course.chapters import spiral as chapter


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plots_draw_on_given_axes():
    points, labels = spiral.make_spirals(15, 3, seed=0)
    net = spiral.TwoLayerNet(8, 3)
    fig, axes = plt.subplots(1, 3)
    assert chapter.plot_hidden_projection(net, points, labels, axes[0]) is axes[0]
    assert chapter.plot_readout_view(net, points, labels, axes[1], resolution=20) is axes[1]
    chapter.plot_sweep([1, 2], {"relu": [0.3, 0.6]}, axes[2], chance=1 / 3)
    assert len(axes[2].lines) == 2


def test_sweep_returns_one_accuracy_per_width_and_activation():
    data = spiral.make_spirals(20, 3, seed=0)
    results = chapter.width_activation_sweep([2, 4], ["identity", "relu"], data, data, steps=3,
                                            device=torch.device("cpu"))
    assert set(results) == {"identity", "relu"}
    assert all(len(v) == 2 and all(0 <= a <= 1 for a in v) for v in results.values())


def test_readout_basis_is_orthonormal_and_sums_to_zero():
    for k in (2, 3, 5):
        basis = chapter.readout_basis(k)
        assert basis.shape == (k, k - 1)
        assert torch.allclose(basis.T @ basis, torch.eye(k - 1), atol=1e-5)
        assert torch.allclose(basis.sum(dim=0), torch.zeros(k - 1), atol=1e-5)


def test_readout_coordinates_decide_the_class():
    torch.manual_seed(1)
    net = spiral.TwoLayerNet(10, 3, "tanh")
    points = torch.randn(100, 2)
    coords = chapter.readout_coordinates(net, points)
    assert coords.shape == (100, 2)
    from_plane = (coords @ chapter.readout_basis(3).T).argmax(dim=1)
    assert torch.equal(from_plane, net(points).argmax(dim=1))
    with pytest.raises(ValueError):
        chapter.readout_coordinates(spiral.TwoLayerNet(10, 4), points)


def test_hidden_projection_is_centred_and_needs_a_two_layer_net():
    net = spiral.TwoLayerNet(12, 3, "relu")
    projected = chapter.hidden_projection(net, torch.randn(50, 2))
    assert projected.shape == (50, 2)
    assert torch.allclose(projected.mean(dim=0), torch.zeros(2), atol=1e-4)
    with pytest.raises(TypeError):
        chapter.hidden_projection(spiral.linear_classifier(3), torch.randn(5, 2))


def test_smallest_width_reaching():
    assert chapter.smallest_width_reaching([1, 2, 4], [0.5, 0.96, 0.99], 0.95) == 2
    assert chapter.smallest_width_reaching([1, 2, 4], [0.5, 0.6, 0.7], 0.95) is None
    with pytest.raises(ValueError):
        chapter.smallest_width_reaching([1, 2], [0.5], 0.9)
