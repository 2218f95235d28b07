"""The word embeddings lab's map (course.chapters.embeddings)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course.chapters import embeddings as chapter


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_embedding_map_draws_every_point_and_the_chosen_labels():
    coords = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5]])
    fig = chapter.plot_embedding_map(coords, ["x", "y", "z"], np.array([-1.0, 0.0, 1.0]), ["y"])
    ax = fig.axes[0]
    assert len(ax.collections[0].get_offsets()) == 3
    assert [t.get_text() for t in ax.texts] == ["y"]
    plt.close(fig)
