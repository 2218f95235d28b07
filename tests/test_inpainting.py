"""Square masks, biharmonic inpainting, and inpainting with an autoencoder."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course.inpainting import (
    SquareHoles,
    apply_mask,
    inpaint_biharmonic,
    inpaint_with_autoencoder,
    square_masks,
)


class _Constant(nn.Module):
    """A stand-in autoencoder that outputs the same value for every pixel."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value
        self.dummy = nn.Parameter(torch.zeros(1))  # so that it has a device

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full_like(x, self.value)


def test_square_masks_are_squares_inside_the_region():
    g = torch.Generator().manual_seed(0)
    masks = square_masks(200, 5, generator=g, region=(4, 24))
    assert masks.shape == (200, 28, 28) and masks.dtype == torch.bool
    assert torch.all(masks.sum(dim=(1, 2)) == 25)
    rows, cols = masks.any(dim=2), masks.any(dim=1)  # (n, 28) each
    assert torch.all(rows.sum(dim=1) == 5) and torch.all(cols.sum(dim=1) == 5)
    assert not masks[:, :4].any() and not masks[:, 24:].any()
    assert not masks[:, :, :4].any() and not masks[:, :, 24:].any()
    # the positions vary and are reproducible
    assert len({tuple(m.nonzero()[0].tolist()) for m in masks}) > 20
    again = square_masks(200, 5, generator=torch.Generator().manual_seed(0), region=(4, 24))
    assert torch.equal(masks, again)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n": 0, "size": 3},
        {"n": 2, "size": 0},
        {"n": 2, "size": 21},
        {"n": 2, "size": 3, "region": (20, 30)},
    ],
)
def test_bad_mask_arguments_are_refused(kwargs):
    with pytest.raises(ValueError):
        square_masks(**kwargs)


def test_square_holes_zero_exactly_one_square_per_vector():
    x = torch.ones(16, 784)
    holed = SquareHoles(7)(x, generator=torch.Generator().manual_seed(1))
    assert holed.shape == x.shape
    assert torch.all((holed == 0).sum(dim=1) == 49)


def test_biharmonic_fills_a_linear_ramp_exactly_and_keeps_known_pixels():
    ramp = torch.linspace(0, 1, 28)
    images = (0.3 * ramp[:, None] + 0.6 * ramp[None, :]).expand(3, 28, 28).contiguous()
    masks = square_masks(3, 8, generator=torch.Generator().manual_seed(2))
    filled = inpaint_biharmonic(apply_mask(images, masks), masks)
    assert filled.shape == images.shape and filled.dtype == images.dtype
    # a linear function is biharmonic, so the fill recovers it
    torch.testing.assert_close(filled, images, atol=1e-5, rtol=0)
    noisy = torch.rand(3, 28, 28, generator=torch.Generator().manual_seed(3))
    kept = inpaint_biharmonic(noisy, masks)
    assert torch.equal(kept[~masks], noisy[~masks])


def test_autoencoder_inpainting_changes_only_the_holes():
    images = torch.rand(4, 28, 28, generator=torch.Generator().manual_seed(4))
    masks = square_masks(4, 6, generator=torch.Generator().manual_seed(5))
    filled = inpaint_with_autoencoder(_Constant(0.7), images, masks, iterations=3)
    assert torch.equal(filled[~masks], images[~masks])
    assert torch.allclose(filled[masks], torch.tensor(0.7))
    with pytest.raises(ValueError, match="iterations"):
        inpaint_with_autoencoder(_Constant(0.7), images, masks, iterations=0)
    with pytest.raises(TypeError, match="boolean"):
        inpaint_with_autoencoder(_Constant(0.7), images, masks.float())
