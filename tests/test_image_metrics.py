"""MSE, PSNR and the error on a masked region."""

from __future__ import annotations

import math

import pytest
import torch

from course.image_metrics import masked_mse, mse, psnr, psnr_from_mse


def test_mse_is_per_image():
    target = torch.zeros(3, 4, 4)
    prediction = target.clone()
    prediction[1] = 0.5  # every pixel off by 0.5
    prediction[2, 0, 0] = 1.0  # one pixel of 16 off by 1
    torch.testing.assert_close(mse(prediction, target), torch.tensor([0.0, 0.25, 1 / 16]))


def test_psnr_values_and_perfect_reconstruction():
    target = torch.zeros(2, 10)
    prediction = torch.stack([torch.full((10,), 0.1), torch.zeros(10)])
    values = psnr(prediction, target)
    assert values[0].item() == pytest.approx(20.0)  # mse 0.01 -> 10 log10(100)
    assert math.isinf(values[1].item()) and values[1] > 0


def test_psnr_is_invariant_to_the_pixel_scale_when_the_peak_follows():
    g = torch.Generator().manual_seed(0)
    target, prediction = torch.rand(4, 8, 8, generator=g), torch.rand(4, 8, 8, generator=g)
    torch.testing.assert_close(
        psnr(prediction, target), psnr(255 * prediction, 255 * target, 255.0)
    )


def test_halving_the_error_adds_about_three_decibels():
    gain = psnr_from_mse(torch.tensor([0.02, 0.01]))
    assert (gain[1] - gain[0]).item() == pytest.approx(10 * math.log10(2))


def test_masked_mse_counts_only_masked_pixels():
    target = torch.zeros(2, 3, 3)
    prediction = torch.ones(2, 3, 3)  # wrong everywhere by 1 ...
    prediction[:, 0, 0] = 0.5  # ... except the first pixel, wrong by 0.5
    mask = torch.zeros(2, 3, 3, dtype=torch.bool)
    mask[0, 0, 0] = True
    mask[1, 0, 0] = mask[1, 2, 2] = True
    torch.testing.assert_close(masked_mse(prediction, target, mask), torch.tensor([0.25, 0.625]))
    shared = mask[1]  # one image's shape: the same mask for every image
    torch.testing.assert_close(masked_mse(prediction, target, shared), torch.tensor([0.625] * 2))


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: mse(torch.zeros(2, 3), torch.zeros(2, 4)), ValueError),
        (lambda: mse(torch.zeros(3), torch.zeros(3)), ValueError),
        (lambda: mse([0.0], torch.zeros(1, 1)), TypeError),
        (lambda: psnr_from_mse(torch.ones(1), peak=0.0), ValueError),
        (
            lambda: masked_mse(torch.zeros(2, 2, 2), torch.zeros(2, 2, 2), torch.ones(2, 2, 2)),
            TypeError,
        ),
        (
            lambda: masked_mse(
                torch.zeros(2, 2, 2), torch.zeros(2, 2, 2), torch.ones(3, 2, 2, dtype=torch.bool)
            ),
            ValueError,
        ),
        (
            lambda: masked_mse(
                torch.zeros(2, 2, 2), torch.zeros(2, 2, 2), torch.zeros(2, 2, dtype=torch.bool)
            ),
            ValueError,
        ),
    ],
)
def test_bad_arguments_are_refused(call, error):
    with pytest.raises(error):
        call()
