"""Autoencoder models, corruptions, training helpers, interpolation and pictures."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course import autoencoders as ae
from course.batching import make_loader
from course.pca import fit_pca

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _no_progress_bars(monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", "0")


def test_images_become_unit_vectors_and_back():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)  # (1, 2, 2)
    x = ae.images_to_vectors(images)
    assert x.dtype == torch.float32 and x.shape == (1, 4)
    torch.testing.assert_close(x, torch.tensor([[0.0, 1.0, 0.2, 0.4]]))
    assert ae.vectors_to_images(torch.zeros(3, 784)).shape == (3, 28, 28)
    with pytest.raises(TypeError, match="uint8"):
        ae.images_to_vectors(images.astype(np.float32))
    with pytest.raises(ValueError):
        ae.vectors_to_images(torch.zeros(3, 100))


@pytest.mark.parametrize(
    "model",
    [
        ae.Autoencoder(d_hidden=32, d_latent=5),
        ae.LinearAutoencoder(d_latent=5),
        ae.ConvAutoencoder(d_latent=5),
        ae.VariationalAutoencoder(d_hidden=32, d_latent=5),
    ],
    ids=["fc", "linear", "conv", "vae"],
)
def test_models_have_the_documented_shapes(model):
    x = torch.rand(7, 784)
    z = model.encode(x)
    assert z.shape == (7, 5)
    assert model.decode(z).shape == (7, 784)
    out = model(x)
    x_hat = out[0] if isinstance(out, tuple) else out
    assert x_hat.shape == (7, 784)


def test_decoders_with_a_sigmoid_give_valid_pixels():
    for model in (ae.Autoencoder(d_latent=3), ae.ConvAutoencoder(d_latent=3)):
        out = model.decode(10 * torch.randn(5, 3))
        assert torch.all((out >= 0) & (out <= 1))


def test_model_arguments_are_checked():
    with pytest.raises(ValueError):
        ae.Autoencoder(d_in=10, d_latent=10)
    with pytest.raises(ValueError):
        ae.LinearAutoencoder(d_in=10, d_latent=0)


def test_vae_loss_is_the_reconstruction_term_when_q_is_the_prior():
    x_hat, target = torch.full((4, 784), 0.3), torch.rand(4, 784)
    zeros = torch.zeros(4, 2)
    expected = F.binary_cross_entropy(x_hat, target, reduction="sum") / 4
    torch.testing.assert_close(ae.vae_loss((x_hat, zeros, zeros), target), expected)
    shifted = ae.vae_loss((x_hat, torch.ones(4, 2), zeros), target)
    assert shifted.item() == pytest.approx(expected.item() + 0.5 * 2, rel=1e-5)  # KL = mu^2/2


def test_gaussian_noise_has_the_right_spread_and_is_reproducible():
    x = torch.zeros(200, 784)
    noisy = ae.GaussianNoise(0.3)(x, generator=torch.Generator().manual_seed(0))
    assert noisy.std().item() == pytest.approx(0.3, rel=0.02)
    again = ae.GaussianNoise(0.3)(x, generator=torch.Generator().manual_seed(0))
    assert torch.equal(noisy, again)
    with pytest.raises(ValueError):
        ae.GaussianNoise(-0.1)


def test_masking_noise_zeroes_the_requested_fraction():
    x = torch.ones(100, 784)
    masked = ae.MaskingNoise(0.25)(x, generator=torch.Generator().manual_seed(0))
    assert set(masked.unique().tolist()) <= {0.0, 1.0}
    assert (masked == 0).float().mean().item() == pytest.approx(0.25, abs=0.01)
    with pytest.raises(ValueError):
        ae.MaskingNoise(1.5)


def test_corrupted_pairs_keep_clean_targets_and_draw_fresh_noise():
    x = torch.rand(64, 784)
    clean = make_loader(x, x, batch_size=16, seed=0)
    pairs = ae.CorruptedPairs(clean, ae.GaussianNoise(0.5))
    first = list(pairs)
    assert len(first) == len(pairs) == 4
    targets = torch.cat([target for _, target in first])
    assert sorted(targets[:, 0].tolist()) == sorted(x[:, 0].tolist())  # every clean row once
    assert not torch.allclose(first[0][0], first[0][1])
    second = list(pairs)
    assert not torch.allclose(first[0][0] - first[0][1], second[0][0] - second[0][1])


def _low_rank_data(n=512, d=20, k=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    basis = torch.linalg.qr(torch.randn(d, k, generator=g))[0]  # (d, k)
    codes = torch.randn(n, k, generator=g) * torch.tensor([2.0, 1.0])
    noise = 0.05 * torch.randn(n, d, generator=g)
    return codes @ basis.T + noise + 0.5, basis


def test_fit_autoencoder_lowers_the_loss_with_and_without_corruption():
    x, _ = _low_rank_data()
    x = torch.sigmoid(x)  # in (0, 1), like pixels
    torch.manual_seed(0)
    for corrupt in (None, ae.GaussianNoise(0.02)):
        model = ae.Autoencoder(d_in=20, d_hidden=16, d_latent=2)
        history = ae.fit_autoencoder(
            model, x, epochs=15, batch_size=32, lr=1e-2, corrupt=corrupt, device=torch.device("cpu")
        )
        assert len(history) == 15
        assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
        predict_the_mean = (x - x.mean(dim=0)).pow(2).mean()
        assert F.mse_loss(ae.reconstruct(model, x), x) < 0.3 * predict_the_mean
    with pytest.raises(ValueError):
        ae.fit_autoencoder(model, torch.rand(10, 2, 10), epochs=1)


def test_linear_autoencoder_turns_towards_the_principal_subspace():
    torch.manual_seed(0)
    x, _ = _low_rank_data()
    principal = fit_pca(x, 2).components.T  # (20, 2)
    model = ae.LinearAutoencoder(d_in=20, d_latent=2)
    history, angles = ae.fit_linear_autoencoder(
        model, x, principal, epochs=20, lr=2e-2, constant_epochs=15, batch_size=32,
        device=torch.device("cpu"),
    )  # fmt: skip
    assert len(history) == 20 and angles.shape == (20, 2)
    assert angles[0].max() > math.radians(20)  # a random start is far from it ...
    assert angles[-1].max() < math.radians(1)  # ... and training finds the principal subspace
    with pytest.raises(ValueError, match="reference"):
        ae.fit_linear_autoencoder(model, x, principal[:, :1], epochs=1)


def test_psnr_under_noise_of_the_noisy_input_is_minus_20_log_sigma():
    x = torch.rand(50, 784)
    scores = ae.psnr_under_noise(
        {"identity": lambda v: v, "mean": lambda v: v * 0 + 0.5}, x, [0.1, 0.3]
    )
    assert set(scores) == {"identity", "mean"}
    for sigma, value in zip([0.1, 0.3], scores["identity"], strict=True):
        assert value == pytest.approx(-20 * math.log10(sigma), abs=0.2)
    assert scores["mean"][0] == pytest.approx(scores["mean"][1])  # ignores its input


def test_interpolation_ends_at_the_endpoints():
    a, b = torch.zeros(3, 4), torch.ones(3, 4)
    path = ae.interpolate(a, b, 5)
    assert path.shape == (5, 3, 4)
    torch.testing.assert_close(path[0], a)
    torch.testing.assert_close(path[-1], b)
    torch.testing.assert_close(path[2], torch.full((3, 4), 0.5))
    with pytest.raises(ValueError):
        ae.interpolate(a, b, 1)
    with pytest.raises(ValueError):
        ae.interpolate(a, torch.ones(4), 3)


def test_latent_interpolation_ends_at_the_reconstructions():
    model = ae.Autoencoder(d_in=784, d_hidden=8, d_latent=3)
    a, b = torch.rand(784), torch.rand(784)
    path = ae.interpolate_in_latent_space(model, a, b, 4)
    assert path.shape == (4, 784)
    torch.testing.assert_close(path[[0, -1]], ae.reconstruct(model, torch.stack([a, b])))


def test_nearest_neighbour_accuracy_counts_matching_labels():
    train = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    labels = np.array([0, 1, 2])
    test = torch.tensor([[1.0, 1.0], [9.0, 1.0], [1.0, 9.0], [8.0, 0.0]])
    accuracy = ae.nearest_neighbour_accuracy(train, labels, test, np.array([0, 1, 2, 0]))
    assert accuracy == pytest.approx(0.75)
    with pytest.raises(ValueError):
        ae.nearest_neighbour_accuracy(train, labels, torch.zeros(2, 3), np.array([0, 1]))
    with pytest.raises(ValueError, match="label"):
        ae.nearest_neighbour_accuracy(train, labels[:2], test, np.array([0, 1, 2, 0]))
