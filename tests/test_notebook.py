"""The set-up call at the top of every chapter."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

from course.notebook import setup


def test_setup_styles_seeds_and_returns_a_device():
    device = setup(seed=3)
    first = torch.rand(2)
    assert isinstance(device, torch.device)
    setup(seed=3)
    assert torch.equal(first, torch.rand(2))
    assert plt.rcParams["axes.spines.right"] is False
