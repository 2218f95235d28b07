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


def test_masked_region_errors_score_only_the_hidden_pixels():
    images = torch.rand(10, 28, 28, generator=torch.Generator().manual_seed(6))
    seen = {}

    def leave_holes(masked, masks):
        seen["hidden_pixels_zeroed"] = bool((masked[masks] == 0).all())
        return masked

    def fill_with(value):
        return lambda masked, masks: masked.masked_fill(masks, value)

    errors = chapter.masked_region_errors(
        {"zeros": leave_holes, "half": fill_with(0.5)}, images, [4, 8], seed=0
    )
    assert seen["hidden_pixels_zeroed"]
    assert set(errors) == {"zeros", "half"} and all(len(v) == 2 for v in errors.values())
    # uniform pixels: E[u^2] = 1/3 and E[(u - 1/2)^2] = 1/12
    assert errors["zeros"][1] == pytest.approx(1 / 3, abs=0.05)
    assert errors["half"][1] == pytest.approx(1 / 12, abs=0.02)
