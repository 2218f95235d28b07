"""Autoencoders for MNIST-sized images: a fully connected one with a small bottleneck, a linear
one (which learns the PCA subspace), corruptions for denoising, training and inference helpers,
and, for the exercises, a convolutional and a variational autoencoder.

Images travel as flat vectors ``(B, D)`` with ``D = 28 * 28`` values in ``[0, 1]``; use
:func:`images_to_vectors` and :func:`vectors_to_images` at the edges.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .batching import make_loader
from .checks import check_fraction, check_int_at_least
from .image_metrics import psnr
from .pca import principal_angles
from .training import History, train

IMAGE_SHAPE = (28, 28)
IMAGE_DIM = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]


# ---------------------------------------------------------------------------------------------
# Images <-> vectors


def images_to_vectors(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 images ``(N, H, W)`` in ``0..255`` -> float32 vectors ``(N, H * W)`` in ``[0, 1]``."""
    images = torch.as_tensor(images)
    if images.dtype != torch.uint8 or images.dim() != 3:
        raise TypeError(
            f"expected uint8 images (N, H, W), got {images.dtype} {tuple(images.shape)}"
        )
    return images.flatten(start_dim=1).float() / 255.0  # (N, H*W)


def vectors_to_images(x: torch.Tensor, shape: tuple[int, int] = IMAGE_SHAPE) -> torch.Tensor:
    """Flat vectors ``(N, H * W)`` -> images ``(N, H, W)`` (same values, a view when possible)."""
    if x.dim() != 2 or x.shape[1] != shape[0] * shape[1]:
        raise ValueError(f"expected vectors (N, {shape[0] * shape[1]}), got {tuple(x.shape)}")
    return x.reshape(-1, *shape)  # (N, H, W)


# ---------------------------------------------------------------------------------------------
# Models


class Autoencoder(nn.Module):
    """A fully connected autoencoder: ``D -> hidden -> latent -> hidden -> D``.

    The encoder ends linearly (the code can take any real value); the decoder ends with a
    sigmoid, so reconstructions are valid pixel intensities in ``(0, 1)``.
    """

    def __init__(self, d_in: int = IMAGE_DIM, d_hidden: int = 256, d_latent: int = 16) -> None:
        super().__init__()
        if not 0 < d_latent < d_in or d_hidden < 1:
            raise ValueError(
                f"need 0 < d_latent < d_in and d_hidden >= 1, got {d_in}, {d_hidden}, {d_latent}"
            )
        self.d_latent = d_latent
        self.encoder = nn.Sequential(
            nn.Linear(d_in, d_hidden), nn.ReLU(), nn.Linear(d_hidden, d_latent)
        )
        self.decoder = nn.Sequential(
            nn.Linear(d_latent, d_hidden), nn.ReLU(), nn.Linear(d_hidden, d_in), nn.Sigmoid()
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)  # (B, D) -> (B, K)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)  # (B, K) -> (B, D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.encode(x)  # (B, K)
        return self.decode(z)  # (B, D)


class LinearAutoencoder(nn.Module):
    """``x_hat = W_dec (W_enc x + b_enc) + b_dec``: one linear map down to ``d_latent``
    dimensions and one back up, no nonlinearity."""

    def __init__(self, d_in: int = IMAGE_DIM, d_latent: int = 16) -> None:
        super().__init__()
        if not 0 < d_latent < d_in:
            raise ValueError(f"need 0 < d_latent < d_in, got d_in={d_in}, d_latent={d_latent}")
        self.d_latent = d_latent
        self.encoder = nn.Linear(d_in, d_latent)  # W_enc (K, D)
        self.decoder = nn.Linear(d_latent, d_in)  # W_dec (D, K)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)  # (B, D) -> (B, K)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)  # (B, K) -> (B, D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))  # (B, D)

    def decoder_basis(self) -> torch.Tensor:
        """The decoder's columns ``(D, K)``: every reconstruction is ``b_dec`` plus a
        combination of them, so they span the subspace the autoencoder projects onto."""
        return self.decoder.weight.detach()  # (D, K)


class ConvAutoencoder(nn.Module):
    """A small convolutional autoencoder on flat 28x28 vectors (an exercise): two stride-2
    convolutions down to ``(32, 7, 7)``, a linear bottleneck, and the mirror image back up."""

    def __init__(self, d_latent: int = 16) -> None:
        super().__init__()
        self.d_latent = d_latent
        self.encoder = nn.Sequential(
            nn.Unflatten(1, (1, *IMAGE_SHAPE)),  # (B, 1, 28, 28)
            nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),  # (B, 16, 14, 14)
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),  # (B, 32, 7, 7)
            nn.Flatten(),  # (B, 32*7*7)
            nn.Linear(32 * 7 * 7, d_latent),  # (B, K)
        )  # fmt: skip
        self.decoder = nn.Sequential(
            nn.Linear(d_latent, 32 * 7 * 7), nn.ReLU(),  # (B, 32*7*7)
            nn.Unflatten(1, (32, 7, 7)),  # (B, 32, 7, 7)
            nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1),  # (B, 1, 28, 28)
            nn.Flatten(), nn.Sigmoid(),  # (B, 784)
        )  # fmt: skip

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)  # (B, 784) -> (B, K)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)  # (B, K) -> (B, 784)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))  # (B, 784)


class VariationalAutoencoder(nn.Module):
    """A variational autoencoder (an exercise): the encoder outputs a Gaussian ``q(z|x)``,
    a sample is drawn with the reparameterisation ``z = mu + sigma * eps``, and the decoder
    gives Bernoulli pixel probabilities. ``forward`` returns ``(x_hat, mu, log_var)``."""

    def __init__(self, d_in: int = IMAGE_DIM, d_hidden: int = 256, d_latent: int = 16) -> None:
        super().__init__()
        self.d_latent = d_latent
        self.body = nn.Sequential(nn.Linear(d_in, d_hidden), nn.ReLU())
        self.to_stats = nn.Linear(d_hidden, 2 * d_latent)  # mean and log-variance
        self.decoder = nn.Sequential(
            nn.Linear(d_latent, d_hidden), nn.ReLU(), nn.Linear(d_hidden, d_in), nn.Sigmoid()
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The mean of ``q(z|x)``, the natural deterministic code ``(B, K)``."""
        mu, _ = self.to_stats(self.body(x)).chunk(2, dim=-1)  # (B, K) each
        return mu

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)  # (B, K) -> (B, D)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.body(x)  # (B, H)
        mu, log_var = self.to_stats(h).chunk(2, dim=-1)  # (B, K) each
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)  # (B, K)
        return self.decode(z), mu, log_var  # (B, D), (B, K), (B, K)


def vae_loss(
    outputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor], targets: torch.Tensor
) -> torch.Tensor:
    """Negative evidence lower bound per example: Bernoulli reconstruction term (summed over
    pixels) plus ``KL(q(z|x) || N(0, I))`` in closed form, averaged over the batch."""
    x_hat, mu, log_var = outputs
    reconstruction = F.binary_cross_entropy(x_hat, targets, reduction="sum")
    kl = -0.5 * (1 + log_var - mu.pow(2) - log_var.exp()).sum()
    return (reconstruction + kl) / targets.shape[0]


# ---------------------------------------------------------------------------------------------
# Corruptions (applied to each training batch afresh)


class Corruption(Protocol):
    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor: ...


@dataclass(frozen=True)
class GaussianNoise:
    """Additive Gaussian noise of standard deviation ``sigma`` (not clipped)."""

    sigma: float

    def __post_init__(self) -> None:
        if self.sigma < 0:
            raise ValueError(f"sigma must be non-negative, got {self.sigma!r}")

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return x + self.sigma * noise  # (B, D)


@dataclass(frozen=True)
class MaskingNoise:
    """Vincent et al.'s masking noise: each pixel is set to 0 with probability ``fraction``."""

    fraction: float

    def __post_init__(self) -> None:
        check_fraction(self.fraction, "fraction")

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        keep = torch.rand(x.shape, generator=generator, device=x.device) >= self.fraction
        return x * keep  # (B, D)


class CorruptedPairs:
    """Batches ``(corrupt(x), target)`` from batches ``(x, target)``: the input is corrupted,
    the target left clean. Each pass draws new corruption, so every epoch sees fresh noise."""

    def __init__(self, batches, corrupt: Corruption, seed: int = 0) -> None:
        self.batches = batches
        self.corrupt = corrupt
        self.generator = torch.Generator().manual_seed(seed)

    def __iter__(self):
        for x, target in self.batches:
            yield self.corrupt(x, generator=self.generator), target

    def __len__(self) -> int:
        return len(self.batches)


# ---------------------------------------------------------------------------------------------
# Training and inference


def fit_autoencoder(
    model: nn.Module,
    x_train: torch.Tensor,
    *,
    epochs: int,
    batch_size: int = 256,
    lr: float = 1e-3,
    corrupt: Corruption | None = None,
    loss_fn=F.mse_loss,
    seed: int = 0,
    device: torch.device | None = None,
    optimizer: torch.optim.Optimizer | None = None,
) -> History:
    """Train ``model`` to reproduce the rows of ``x_train (N, D)`` with Adam and ``loss_fn``
    (mean squared error per pixel by default), through :func:`course.training.train`.

    With ``corrupt``, the inputs are corrupted copies and the targets clean ones: a denoising
    autoencoder. Pass an ``optimizer`` to continue training with its state.
    """
    if x_train.dim() != 2:
        raise ValueError(f"x_train must be vectors (N, D), got {tuple(x_train.shape)}")
    batches = make_loader(x_train, x_train, batch_size=batch_size, seed=seed)  # input = target
    if corrupt is not None:
        batches = CorruptedPairs(batches, corrupt, seed=seed + 1)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    return train(model, batches, loss_fn, optimizer, epochs=epochs, device=device)


def fit_linear_autoencoder(
    model: LinearAutoencoder,
    x_train: torch.Tensor,
    reference: torch.Tensor,
    *,
    epochs: int,
    lr: float = 1e-2,
    constant_epochs: int = 10,
    decay: float = 0.6,
    batch_size: int = 128,
    seed: int = 0,
    device: torch.device | None = None,
) -> tuple[History, torch.Tensor]:
    """Train a linear autoencoder with Adam and record, after every epoch, the principal angles
    between its decoder's column space and ``reference (D, K)`` (e.g. the top PCA directions).

    The learning rate is ``lr`` for ``constant_epochs`` epochs, then multiplied by ``decay``
    after each further epoch. Returns the history and the angles ``(epochs, K)`` in radians.
    """
    if reference.shape != (model.decoder.out_features, model.d_latent):
        raise ValueError(
            f"reference must be (D, K) = ({model.decoder.out_features}, {model.d_latent}), "
            f"got {tuple(reference.shape)}"
        )
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history, angles = History(), []
    for epoch in range(epochs):
        for group in optimizer.param_groups:
            group["lr"] = lr * decay ** max(0, epoch - constant_epochs + 1)
        one = fit_autoencoder(
            model, x_train, epochs=1, batch_size=batch_size, seed=seed + epoch,
            device=device, optimizer=optimizer,
        )  # fmt: skip
        history.record({name: values[-1] for name, values in one.metrics.items()})
        angles.append(principal_angles(model.decoder_basis().cpu(), reference.cpu()))
    return history, torch.stack(angles)  # (epochs, K)


@torch.no_grad()
def _in_batches(fn, x: torch.Tensor, model: nn.Module, batch_size: int) -> torch.Tensor:
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    parts = [fn(chunk.to(device)).cpu() for chunk in x.split(batch_size)]
    model.train(was_training)
    return torch.cat(parts)


def reconstruct(model: nn.Module, x: torch.Tensor, batch_size: int = 2048) -> torch.Tensor:
    """``model(x)`` for vectors ``x (N, D)`` in eval mode, batch by batch, on the CPU."""
    return _in_batches(model, x, model, batch_size)  # (N, D)


def encode(model: nn.Module, x: torch.Tensor, batch_size: int = 2048) -> torch.Tensor:
    """The codes ``(N, K)`` of ``x (N, D)`` (``model.encode``), on the CPU."""
    return _in_batches(model.encode, x, model, batch_size)  # (N, K)


def decode(model: nn.Module, z: torch.Tensor, batch_size: int = 2048) -> torch.Tensor:
    """Decoded vectors ``(N, D)`` from codes ``z (N, K)`` (``model.decode``), on the CPU."""
    return _in_batches(model.decode, z, model, batch_size)  # (N, D)


# ---------------------------------------------------------------------------------------------
# Interpolation


def interpolate(a: torch.Tensor, b: torch.Tensor, steps: int) -> torch.Tensor:
    """``steps`` points on the segment from ``a`` to ``b`` (both ends included), ``(steps, ...)``:
    ``(1 - t) a + t b`` for ``t = 0, 1/(steps-1), ..., 1``."""
    if a.shape != b.shape:
        raise ValueError(f"a {tuple(a.shape)} and b {tuple(b.shape)} must have the same shape")
    check_int_at_least(steps, 2, "steps")
    t = torch.linspace(0, 1, steps, dtype=a.dtype, device=a.device)  # (S,)
    t = t.reshape(-1, *([1] * a.dim()))  # (S, 1, ...)
    return (1 - t) * a + t * b  # (S, ...)


def interpolate_in_latent_space(
    model: nn.Module, a: torch.Tensor, b: torch.Tensor, steps: int
) -> torch.Tensor:
    """Decode the straight line between the codes of images ``a`` and ``b`` (vectors ``(D,)``):
    ``(steps, D)``. The ends are the reconstructions of ``a`` and ``b``, not ``a`` and ``b``."""
    codes = encode(model, torch.stack([a, b]))  # (2, K)
    return decode(model, interpolate(codes[0], codes[1], steps))  # (S, D)


# ---------------------------------------------------------------------------------------------
# Evaluation

Reconstructor = Callable[[torch.Tensor], torch.Tensor]


def psnr_under_noise(
    methods: Mapping[str, Reconstructor],
    x_clean: torch.Tensor,
    sigmas: Sequence[float],
    seed: int = 0,
) -> dict[str, list[float]]:
    """Mean PSNR (dB) against the clean vectors ``x_clean (N, D)`` of each method's output on
    copies corrupted by Gaussian noise of each ``sigma``: ``{method: [psnr per sigma]}``.

    Every method sees the same noisy copies; include ``lambda x: x`` to score the noisy input.
    """
    generator = torch.Generator().manual_seed(seed)
    scores: dict[str, list[float]] = {name: [] for name in methods}
    for sigma in sigmas:
        noisy = GaussianNoise(sigma)(x_clean, generator=generator)  # (N, D)
        for name, method in methods.items():
            scores[name].append(psnr(method(noisy), x_clean).mean().item())
    return scores


def nearest_neighbour_accuracy(
    train_codes: torch.Tensor,
    train_labels: np.ndarray | torch.Tensor,
    test_codes: torch.Tensor,
    test_labels: np.ndarray | torch.Tensor,
    batch_size: int = 1024,
) -> float:
    """Fraction of test codes whose nearest training code (Euclidean distance) carries the same
    label: how well the code space groups the classes, without training a classifier."""
    same_width = train_codes.dim() == test_codes.dim() == 2
    if not same_width or train_codes.shape[1] != test_codes.shape[1]:
        raise ValueError(
            f"codes must be (N, K) with the same K, got {tuple(train_codes.shape)} "
            f"and {tuple(test_codes.shape)}"
        )
    train_labels = torch.as_tensor(train_labels)
    test_labels = torch.as_tensor(test_labels)
    if len(train_labels) != len(train_codes) or len(test_labels) != len(test_codes):
        raise ValueError("need one label per code")
    hits = 0
    for start in range(0, len(test_codes), batch_size):
        chunk = test_codes[start : start + batch_size]  # (B, K)
        nearest = torch.cdist(chunk, train_codes).argmin(dim=1)  # (B,)
        hits += (train_labels[nearest] == test_labels[start : start + batch_size]).sum().item()
    return hits / len(test_codes)
