"""PCA by the SVD, reconstruction errors, and principal angles between subspaces."""

from __future__ import annotations

import math

import pytest
import torch

from course.pca import (
    fit_pca,
    orthonormal_basis,
    pca_decode,
    pca_encode,
    pca_reconstruct,
    principal_angles,
    reconstruction_mse_curve,
)


def _data(n: int = 300, d: int = 12, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    scales = torch.linspace(3.0, 0.1, d)  # distinct variances along random directions
    rotation = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))[0]
    return (torch.randn(n, d, generator=g, dtype=torch.float64) * scales) @ rotation.T + 5.0


def test_components_are_orthonormal_eigenvectors_of_the_covariance():
    X = _data()
    pca = fit_pca(X, 4)
    eye = torch.eye(4, dtype=X.dtype)
    torch.testing.assert_close(pca.components @ pca.components.T, eye)
    covariance = torch.cov(X.T)  # (D, D), divides by N - 1
    torch.testing.assert_close(
        covariance @ pca.components.T, pca.components.T * pca.variances
    )  # S v = lambda v for every component
    assert torch.all(pca.variances[:-1] >= pca.variances[1:])
    torch.testing.assert_close(pca_encode(pca, X).var(dim=0), pca.variances)


def test_all_components_reconstruct_exactly_and_codes_round_trip():
    X = _data(n=50, d=6)
    pca = fit_pca(X)
    assert pca.num_components == 6
    torch.testing.assert_close(pca_reconstruct(pca, X), X)
    codes = pca_encode(pca, X, 3)
    torch.testing.assert_close(pca_encode(pca, pca_decode(pca, codes), 3), codes)


def test_error_curve_matches_direct_reconstruction_and_decreases():
    X = _data()
    pca = fit_pca(X)
    curve = reconstruction_mse_curve(pca, X)
    assert curve.shape == (pca.num_components + 1,)
    for k in (0, 1, 5, 12):
        direct = (X - pca_reconstruct(pca, X, k)).pow(2).mean()
        torch.testing.assert_close(curve[k], direct)
    assert torch.all(curve[:-1] >= curve[1:])
    # Eckart-Young: the error left is the discarded variance, times (N - 1) / (N D)
    n, d = X.shape
    torch.testing.assert_close(curve[3], pca.variances[3:].sum() * (n - 1) / (n * d))


def test_signs_are_deterministic():
    X = _data()
    first, again = fit_pca(X, 3), fit_pca(X.clone(), 3)
    torch.testing.assert_close(first.components, again.components)
    largest = first.components.abs().argmax(dim=1)
    assert torch.all(first.components[torch.arange(3), largest] > 0)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: fit_pca(torch.zeros(5, 3, dtype=torch.long)), TypeError),
        (lambda: fit_pca(torch.zeros(5)), ValueError),
        (lambda: fit_pca(torch.zeros(1, 3)), ValueError),
        (lambda: fit_pca(torch.randn(10, 3), 4), ValueError),
        (lambda: pca_encode(fit_pca(torch.randn(10, 3), 2), torch.randn(4, 3), 3), ValueError),
    ],
)
def test_bad_arguments_are_refused(call, error):
    with pytest.raises(error):
        call()


def test_angle_between_two_lines_in_a_plane():
    for angle in (1e-5, 0.3, 1.2, math.pi / 2):
        a = torch.tensor([[1.0], [0.0], [0.0]])
        b = torch.tensor([[math.cos(angle)], [math.sin(angle)], [0.0]])
        got = principal_angles(a, b)
        assert got.shape == (1,)
        assert got.item() == pytest.approx(angle, rel=1e-4, abs=1e-7)


def test_same_subspace_in_another_basis_has_zero_angles():
    g = torch.Generator().manual_seed(1)
    A = torch.randn(30, 5, generator=g)
    mixing = torch.randn(5, 5, generator=g) + 3 * torch.eye(5)  # invertible
    angles = principal_angles(A, A @ mixing)
    assert angles.shape == (5,)
    assert angles.max() < 1e-4


def test_orthogonal_and_nested_subspaces():
    eye = torch.eye(6)
    torch.testing.assert_close(
        principal_angles(eye[:, :2], eye[:, 2:4]), torch.full((2,), math.pi / 2)
    )
    # a plane inside a 4-dim subspace: min(2, 4) = 2 angles, all zero, whatever the order
    assert principal_angles(eye[:, :4], eye[:, 1:3]).abs().max() < 1e-6
    assert principal_angles(eye[:, 1:3], eye[:, :4]).shape == (2,)


def test_largest_angle_gives_the_projection_distance():
    g = torch.Generator().manual_seed(2)
    A, B = torch.randn(20, 4, generator=g), torch.randn(20, 4, generator=g)
    qa, qb = orthonormal_basis(A), orthonormal_basis(B)
    distance = torch.linalg.matrix_norm(qa @ qa.T - qb @ qb.T, ord=2)
    angles = principal_angles(A, B)
    assert torch.all(angles[:-1] <= angles[1:])
    assert torch.sin(angles[-1]).item() == pytest.approx(distance.item(), rel=1e-4)


def test_dependent_columns_and_mismatched_spaces_are_refused():
    A = torch.tensor([[1.0, 2.0], [1.0, 2.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="linearly dependent"):
        principal_angles(A, torch.eye(3)[:, :2])
    with pytest.raises(ValueError, match="same space"):
        principal_angles(torch.eye(3)[:, :1], torch.eye(4)[:, :1])
    with pytest.raises(ValueError):
        principal_angles(torch.ones(3), torch.eye(3))
