"""The spiral lab's figures (course.chapters.spiral)."""

import matplotlib.pyplot as plt
import pytest

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
