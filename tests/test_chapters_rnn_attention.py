"""The RNN attention lab's figures (course.chapters.rnn_attention)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course.chapters import rnn_attention as chapter
from course.copy_tasks import LengthScores


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_accuracy_by_length_one_line_per_model_and_unseen_lengths_shaded():
    scores = {name: LengthScores((2, 4, 8), (1.0, 0.9, 0.5), (1.0, 0.8, 0.2)) for name in "ab"}
    fig = chapter.plot_accuracy_by_length(scores, train_max=4)
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and len(ax.patches) == 1


def test_attention_map_checks_its_shape():
    ax = chapter.plot_attention(np.eye(3), list("abc"), list("xyz"))
    assert ax.images[0].get_array().shape == (3, 3)
    with pytest.raises(ValueError, match="must be"):
        chapter.plot_attention(np.eye(3), list("ab"), list("xyz"))
