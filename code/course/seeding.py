"""One call that seeds every random source the course uses."""

from __future__ import annotations

import os
import random

import numpy as np
import torch


def seed_everything(seed: int = 0) -> np.random.Generator:
    """Seed Python's ``random``, NumPy's global state and PyTorch (CPU and every GPU).

    Returns a fresh ``numpy.random.Generator`` seeded with ``seed`` for code that prefers an
    explicit generator. Two runs that call this with the same seed draw the same numbers.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32), got {seed!r}")
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)  # inherited by any subprocess the chapter starts
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return np.random.default_rng(seed)


def torch_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A ``torch.Generator`` on ``device`` seeded with ``seed``, for local, reproducible draws."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    generator = torch.Generator(device=device)
    generator.manual_seed(int(seed))
    return generator
