"""How close is a reconstructed image to the original? Mean squared error, PSNR, and the error
on a masked region only (for inpainting).

Images are tensors whose leading axis indexes images, ``(N, ...)``, with values on a known scale
(``peak`` is the largest possible value: 1 for images in ``[0, 1]``). Every metric returns one
value per image, ``(N,)``; average them yourself, so that it is clear what a table reports.
"""

from __future__ import annotations

import torch

from .checks import check_positive


def _check_pair(prediction: torch.Tensor, target: torch.Tensor) -> None:
    for name, value in (("prediction", prediction), ("target", target)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if prediction.shape != target.shape:
        raise ValueError(
            f"prediction {tuple(prediction.shape)} and target {tuple(target.shape)} must have "
            "the same shape"
        )
    if prediction.dim() < 2:
        raise ValueError(f"expected a batch of images (N, ...), got {tuple(prediction.shape)}")


def mse(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error of each image ``(N,)``: the average over all its pixels."""
    _check_pair(prediction, target)
    squared = (prediction.float() - target.float()).pow(2)  # (N, ...)
    return squared.flatten(start_dim=1).mean(dim=1)  # (N,)


def psnr_from_mse(errors: torch.Tensor, peak: float = 1.0) -> torch.Tensor:
    """Peak signal-to-noise ratio in decibels, ``10 log10(peak^2 / mse)``; ``inf`` for a perfect
    reconstruction. Higher is better: halving the error adds about 3 dB."""
    check_positive(peak, "peak")
    return 10.0 * torch.log10(peak**2 / errors)


def psnr(prediction: torch.Tensor, target: torch.Tensor, peak: float = 1.0) -> torch.Tensor:
    """PSNR of each image ``(N,)`` in decibels (see :func:`psnr_from_mse`)."""
    return psnr_from_mse(mse(prediction, target), peak)


def masked_mse(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error of each image over the pixels where ``mask`` is True only, ``(N,)``.

    ``mask`` has the images' shape (or one image's shape, shared by all); every image must have
    at least one masked pixel.
    """
    _check_pair(prediction, target)
    if mask.dtype != torch.bool:
        raise TypeError(f"mask must be boolean (True = pixel counted), got {mask.dtype}")
    mask = mask.expand_as(prediction) if mask.shape == prediction.shape[1:] else mask
    if mask.shape != prediction.shape:
        raise ValueError(
            f"mask {tuple(mask.shape)} must have the images' shape {tuple(prediction.shape)} "
            "or one image's shape"
        )
    counts = mask.flatten(start_dim=1).sum(dim=1)  # (N,)
    if (counts == 0).any():
        raise ValueError("every image needs at least one masked pixel")
    squared = (prediction.float() - target.float()).pow(2) * mask  # (N, ...)
    return squared.flatten(start_dim=1).sum(dim=1) / counts  # (N,)
