"""The Hopfield chapter's pictures (course.chapters.hopfield)."""

import matplotlib.pyplot as plt
import pytest
import torch

from course.chapters import hopfield as chapter


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_states_are_drawn_ink_for_plus_one():
    states = torch.tensor([[1.0, -1.0, -1.0, 1.0], [-1.0, -1.0, 1.0, 1.0]])
    fig, axes = plt.subplots(1, 2)
    chapter.show_states(states, (2, 2), ["a", "b"], axes)
    assert axes[1].get_title() == "b"
    assert axes[0].images[0].get_array().tolist() == [[1.0, -1.0], [-1.0, 1.0]]
    with pytest.raises(ValueError, match="titles"):
        chapter.show_states(states, (2, 2), ["a"], axes)


def test_retrieval_animation_has_the_frames_asked_for():
    trajectory = torch.sign(torch.randn(41, 9, generator=torch.Generator().manual_seed(0)))
    energies = -torch.arange(41.0)
    animation = chapter.retrieval_animation(trajectory, energies, (3, 3), num_frames=5)
    assert len(list(animation.new_frame_seq())) == 5
    assert animation.to_jshtml().count("data:image") == 5  # each frame rendered once
    with pytest.raises(ValueError, match="energies"):
        chapter.retrieval_animation(trajectory, energies[:3], (3, 3))
