"""Prerequisites II's figures (course.chapters.prereq_sequences)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course.chapters import prereq_sequences as chapter


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_figures_have_their_panels():
    assert chapter.plot_timings([1, 2], {"a": np.array([1.0, 2.0])}, xlabel="T").axes
    assert chapter.plot_recall([4, 8], {"m": [1.0, 0.5]}, chance=0.25).axes
    panels = {"lin": {"a": np.ones(5)}, "tanh": {"a": np.ones(5)}}
    fig = chapter.plot_gradient_by_distance(panels)
    assert [ax.get_title() for ax in fig.axes] == ["lin", "tanh"]
    assert fig.axes[0].get_yscale() == "log"
