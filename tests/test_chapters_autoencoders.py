"""The autoencoders lab's pictures (course.chapters.autoencoders)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course.chapters import autoencoders as chapter


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plot_image_rows_draws_a_labelled_grid():
    fig = chapter.plot_image_rows(
        {"a": torch.rand(3, 784), "b": torch.rand(3, 28, 28)}, column_titles=["x", "y", "z"]
    )
    assert len(fig.axes) == 6
    assert fig.axes[0].get_ylabel() == "a" and fig.axes[0].get_title() == "x"
    with pytest.raises(ValueError, match="same number"):
        chapter.plot_image_rows({"a": torch.rand(3, 784), "b": torch.rand(2, 784)})


def test_codes_are_scattered_by_digit():
    fig, ax = plt.subplots()
    chapter.plot_codes_2d(torch.randn(20, 2), np.arange(20) % 10, ax)
    assert len(ax.collections) >= 1
    points = np.concatenate([c.get_offsets() for c in ax.collections])
    assert points.shape == (20, 2)
