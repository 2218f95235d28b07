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


def test_reversal_alignment_of_a_perfect_and_a_shifted_map():
    perfect = np.fliplr(np.eye(4))[None]  # (1, 4, 4): output i looks at 3 - i
    stats = chapter.reversal_alignment(perfect)
    assert stats.exact == 1.0 and stats.within_two == 1.0 and stats.row_max == 1.0
    assert stats.peak_shares == {0: 1.0}
    shifted = np.zeros((1, 4, 4))
    for i in range(4):
        shifted[0, i, min(4 - i, 3)] = 1.0  # one position after the target, clipped at the end
    stats = chapter.reversal_alignment(shifted)
    assert stats.exact == 0.25 and stats.peak_shares == {0: 0.25, 1: 0.75}
    with pytest.raises(ValueError, match="must be"):
        chapter.reversal_alignment(np.ones((2, 3, 4)))


def test_monotonicity_and_last_row():
    forward = np.eye(4)
    backward = np.fliplr(np.eye(4))
    assert chapter.mean_positions(np.array([[0.5, 0.5, 0.0]])).tolist() == [0.5]
    assert chapter.monotonicity([forward]) == pytest.approx(1.0)
    assert chapter.monotonicity([forward, backward]) == pytest.approx(0.0)
    assert chapter.monotonicity([forward, np.ones((4, 4))]) == pytest.approx(1.0)  # flat: skipped
    with pytest.raises(ValueError):
        chapter.monotonicity([np.eye(2)])
    assert chapter.last_row_at_end([forward, backward]) == 0.5
    assert chapter.last_row_at_end([backward], last=4) == 1.0
