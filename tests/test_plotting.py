"""The book's plot style and the history plot."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from course.plotting import plot_classes, plot_decision_regions, plot_history, use_course_style
from course.training import History


def test_style_is_applied():
    plt.rcdefaults()
    use_course_style()
    assert plt.rcParams["axes.spines.top"] is False
    assert plt.rcParams["axes.grid"] is True


def test_plot_history_draws_one_line_per_present_key():
    history = History()
    for epoch in range(4):
        history.record({"train_loss": 1.0 / (epoch + 1), "val_loss": 1.2 / (epoch + 1)})
    ax = plot_history(history, ("train_loss", "val_loss", "val_acc"))
    assert len(ax.lines) == 2
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3, 4]
    plt.close("all")
    with pytest.raises(KeyError, match="none of"):
        plot_history(history, ("val_acc",))


def test_animation_player_is_self_contained():
    from matplotlib.animation import FuncAnimation

    from course.plotting import animation_html

    fig, ax = plt.subplots(figsize=(1, 1))
    (line,) = ax.plot([0, 1], [0, 1])
    animation = FuncAnimation(fig, lambda i: line.set_ydata([0, i]), frames=3)
    html = animation_html(animation, alt='A line rising "step" by step', dpi=20)
    with pytest.raises(ValueError, match="alt"):
        animation_html(animation, alt=" ")
    plt.close(fig)
    assert 'alt="A line rising &quot;step&quot; by step" id="_anim_img' in html
    assert '<input aria-label="Animation frame" id="_anim_slider' in html
    assert "<script" in html and "data:image/png;base64" in html
    assert "http://" not in html.split("<script")[0] and "https://" not in html.split("<script")[0]
    assert "bootstrapcdn" not in html


def test_a_published_animation_loads_its_frames_as_files_when_seen(monkeypatch, repo_root):
    import shutil

    from matplotlib.animation import FuncAnimation

    from course.plotting import animation_html

    fig, ax = plt.subplots(figsize=(1, 1))
    (line,) = ax.plot([0, 1], [0, 1])
    animation = FuncAnimation(fig, lambda i: line.set_ydata([0, i]), frames=3)
    folder = repo_root / "book" / "_generated" / "test-animation"
    try:
        monkeypatch.delenv("COURSE_BOOK_BUILD", raising=False)
        embedded = animation_html(animation, alt="A line", dpi=20, publish_as="test-animation/a")
        assert "data:image/png;base64" in embedded and not folder.exists()
        monkeypatch.setenv("COURSE_BOOK_BUILD", "1")
        page = animation_html(animation, alt="A line", dpi=20, publish_as="test-animation/a")
        frames = sorted((folder / "a").glob("frame*.png"))
        assert len(frames) == 3
        assert "base64" not in page and '"_generated/test-animation/a/frame"' in page
        assert f'src="_generated/test-animation/a/{frames[0].name}" loading="lazy"' in page
        assert "IntersectionObserver" in page and 'alt="A line"' in page
        with pytest.raises(ValueError, match="publish_as"):
            animation_html(animation, alt="A line", publish_as="../escape")
    finally:
        plt.close(fig)
        shutil.rmtree(folder, ignore_errors=True)


def test_classes_and_decision_regions_draw_on_given_axes():
    import torch

    points, labels = torch.randn(30, 2), torch.arange(30) % 3
    fig, axes = plt.subplots(1, 2)
    assert plot_classes(points, labels, axes[0]) is axes[0]
    assert len(axes[0].collections) == 3  # one scatter per class
    model = torch.nn.Linear(2, 3)
    assert plot_decision_regions(model, points, labels, axes[1], resolution=20) is axes[1]
    regions = axes[1].images[0].get_array()
    assert regions.shape == (20, 20) and set(regions.ravel().tolist()) <= {0, 1, 2}
    plt.close(fig)
