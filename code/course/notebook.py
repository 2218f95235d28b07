"""The one call at the top of every chapter: style, seeds and device."""

from __future__ import annotations

import torch

from .device import get_device
from .plotting import use_course_style
from .seeding import seed_everything


def setup(seed: int = 0, device: str = "auto") -> torch.device:
    """Apply the book's plot style, seed every random source, and return the device to use."""
    use_course_style()
    seed_everything(seed)
    return get_device(device)
