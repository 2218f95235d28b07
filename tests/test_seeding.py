"""Seeding makes every random source repeat."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from course.seeding import seed_everything, torch_generator


def _draws() -> tuple:
    return random.random(), np.random.rand(), torch.rand(1).item()


def test_same_seed_same_draws_other_seed_other_draws():
    rng = seed_everything(7)
    first = _draws() + (rng.random(),)
    rng = seed_everything(7)
    second = _draws() + (rng.random(),)
    rng = seed_everything(8)
    third = _draws() + (rng.random(),)
    assert first == second
    assert all(a != b for a, b in zip(first, third, strict=True))


def test_torch_generator_is_local_and_seeded():
    a = torch.rand(3, generator=torch_generator(5))
    b = torch.rand(3, generator=torch_generator(5))
    assert torch.equal(a, b)


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "0", True])
def test_bad_seeds_are_rejected(bad):
    with pytest.raises(ValueError, match="seed"):
        seed_everything(bad)
