"""The efficiency chapter's figures (course.chapters.efficiency), drawn from known inputs."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course.chapters import efficiency as chapter
from course.flash_attention import naive_hbm_traffic
from course.scaling import SweepRun, compute_optimal


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_hbm_traffic_draws_standard_attention_and_one_line_per_sram_size():
    fig = chapter.plot_hbm_traffic([256, 1024], head_dim=64, sram_sizes=(25_000, 100_000))
    ax = fig.axes[0]
    assert len(ax.lines) == 3
    assert ax.lines[0].get_ydata()[0] == naive_hbm_traffic(256, 64).total * 2  # 2-byte elements


def test_attention_times_plot_the_ratio_of_naive_to_fused():
    timings = {"seq_len": np.array([128, 256]), "naive": np.array([2.0, 8.0]),
               "fused": np.array([1.0, 2.0])}
    fig = chapter.plot_attention_times(timings, "cpu")
    assert list(fig.axes[1].lines[0].get_ydata()) == [2.0, 4.0]


def test_compute_optimal_panels_follow_the_law():
    budgets = np.array([1e20, 1e22])
    fig = chapter.plot_compute_optimal(budgets)
    n_opt, d_opt = compute_optimal(budgets)
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), d_opt / n_opt)


def test_loss_landscape_and_sweep_draw():
    fig = chapter.plot_loss_landscape(models={"a model": (1e10, 2e11)})
    assert fig.axes[0].get_xscale() == "log"
    runs = [SweepRun(n_embd=w, n_params=100 * w, n_tokens=1000, steps=10, attention_flops=0,
                     val_loss=2.0 - w / 100, seconds=1.0) for w in (16, 32)]
    fig = chapter.plot_sweep(runs, flops=1e12)
    assert list(fig.axes[0].lines[0].get_xdata()) == [1600, 3200]
