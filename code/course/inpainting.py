"""Inpainting: fill in a missing region of an image. Square masks, a classical baseline
(biharmonic inpainting from scikit-image), and inpainting with a trained autoencoder.

Images are float tensors ``(N, H, W)`` in ``[0, 1]``; a mask is a boolean tensor of the same
shape, True where a pixel is missing. Every method keeps the known pixels unchanged and only
fills in the masked ones, so methods differ only on the masked region.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .autoencoders import IMAGE_SHAPE, reconstruct
from .checks import check_positive_int


def square_masks(
    n: int,
    size: int,
    *,
    generator: torch.Generator | None = None,
    image_shape: tuple[int, int] = IMAGE_SHAPE,
    region: tuple[int, int] = (4, 24),
) -> torch.Tensor:
    """``n`` masks ``(n, H, W)``, each a ``size x size`` square of True placed uniformly at
    random inside the rows and columns ``region[0] .. region[1] - 1`` (on MNIST the digits
    live in the central 20x20 box, rows and columns 4 to 23)."""
    lo, hi = region
    height, width = image_shape
    if not isinstance(size, int) or not 1 <= size <= hi - lo:
        raise ValueError(f"size must be an integer in [1, {hi - lo}], got {size!r}")
    if not 0 <= lo < hi <= min(height, width):
        raise ValueError(f"region {region} must lie inside the image {image_shape}")
    check_positive_int(n, "n")
    corners = torch.randint(lo, hi - size + 1, (n, 2), generator=generator)  # (n, 2)
    top, left = corners[:, 0, None], corners[:, 1, None]  # (n, 1) each
    rows = torch.arange(height)[None, :]  # (1, H)
    cols = torch.arange(width)[None, :]  # (1, W)
    in_rows = (rows >= top) & (rows < top + size)  # (n, H)
    in_cols = (cols >= left) & (cols < left + size)  # (n, W)
    return in_rows[:, :, None] & in_cols[:, None, :]  # (n, H, W)


def apply_mask(images: torch.Tensor, masks: torch.Tensor, fill: float = 0.0) -> torch.Tensor:
    """The images with their masked pixels set to ``fill`` (what a method gets to see)."""
    _check_images_and_masks(images, masks)
    return images.masked_fill(masks, fill)  # (N, H, W)


def _check_images_and_masks(images: torch.Tensor, masks: torch.Tensor) -> None:
    if masks.dtype != torch.bool:
        raise TypeError(f"masks must be boolean (True = missing), got {masks.dtype}")
    if images.dim() != 3 or masks.shape != images.shape:
        raise ValueError(
            f"expected images (N, H, W) and masks of the same shape, got {tuple(images.shape)} "
            f"and {tuple(masks.shape)}"
        )


@dataclass(frozen=True)
class SquareHoles:
    """A corruption for training on flat vectors ``(B, H * W)``: one random ``size x size``
    square per image set to 0 (Vincent et al.'s masking noise, in blocks)."""

    size: int
    region: tuple[int, int] = (4, 24)

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        masks = square_masks(len(x), self.size, generator=generator, region=self.region)
        return x.masked_fill(masks.flatten(start_dim=1).to(x.device), 0.0)  # (B, D)


def inpaint_biharmonic(images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Fill each masked region with the smoothest surface that continues the known pixels:
    the solution of the biharmonic equation, ``scikit-image``'s ``inpaint_biharmonic``
    (Damelin and Hoang 2018). Runs image by image on the CPU."""
    _check_images_and_masks(images, masks)
    try:
        from skimage.restoration import inpaint_biharmonic as skimage_biharmonic
    except ImportError as error:  # pragma: no cover - depends on the environment
        message = "inpaint_biharmonic needs scikit-image: pip install scikit-image"
        raise ImportError(message) from error
    pictures = images.detach().cpu().double().numpy()  # (N, H, W)
    holes = masks.cpu().numpy()
    filled = np.stack([skimage_biharmonic(p, h) for p, h in zip(pictures, holes, strict=True)])
    out = torch.from_numpy(filled).to(images.dtype)
    return torch.where(masks.cpu(), out, images.cpu())  # (N, H, W), known pixels untouched


def inpaint_with_autoencoder(
    model: nn.Module,
    images: torch.Tensor,
    masks: torch.Tensor,
    iterations: int = 1,
    fill: float = 0.0,
) -> torch.Tensor:
    """Fill the masked pixels with the autoencoder's reconstruction, keeping the known pixels.

    Start from the images with the holes set to ``fill``; each iteration reconstructs the
    current guess and copies the reconstruction into the holes only. More than one iteration
    lets a model that never saw holes in training pull the guess towards a plausible digit.
    """
    _check_images_and_masks(images, masks)
    check_positive_int(iterations, "iterations")
    images, masks = images.cpu(), masks.cpu()
    guess = apply_mask(images, masks, fill)  # (N, H, W)
    for _ in range(iterations):
        output = reconstruct(model, guess.flatten(start_dim=1)).reshape(images.shape)
        guess = torch.where(masks, output, images)  # (N, H, W)
    return guess
