"""Principal component analysis by the SVD, reconstruction with k components, and the principal
angles that measure how far apart two subspaces are.

Data are rows: ``X (N, D)``, one example per row. PCA centres the rows and takes the right
singular vectors of the centred matrix; its first ``k`` of them span the ``k``-dimensional
subspace that keeps the most variance, which is also the subspace that reconstructs the data
with the least squared error (Pearson 1901, Hotelling 1933, Eckart and Young 1936).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class PCA:
    """A fitted PCA: the data mean, the principal directions (rows, orthonormal) and their
    variances, largest first."""

    mean: torch.Tensor  # (D,)
    components: torch.Tensor  # (K, D), orthonormal rows
    variances: torch.Tensor  # (K,), variance of the data along each component

    @property
    def num_components(self) -> int:
        return self.components.shape[0]


def _check_rows(X: torch.Tensor, name: str = "X") -> None:
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(X).__name__}")
    if X.dim() != 2:
        raise ValueError(f"{name} must be a matrix (N, D) of row vectors, got {tuple(X.shape)}")
    if not X.is_floating_point():
        raise TypeError(f"{name} must be floating point, got {X.dtype}")


def fit_pca(X: torch.Tensor, num_components: int | None = None) -> PCA:
    """Fit PCA to the rows of ``X (N, D)`` keeping ``num_components`` (all ``min(N, D)`` if None).

    The centred data ``X - mean = U S V^T``; the components are the first rows of ``V^T`` and
    the variances ``S^2 / (N - 1)``. Signs are fixed so that each component's largest entry
    (in absolute value) is positive, which makes the result reproducible.
    """
    _check_rows(X)
    n, d = X.shape
    if n < 2:
        raise ValueError(f"PCA needs at least two rows, got {n}")
    k = min(n, d) if num_components is None else num_components
    if not isinstance(k, int) or not 1 <= k <= min(n, d):
        raise ValueError(f"num_components must be an integer in [1, {min(n, d)}], got {k!r}")
    mean = X.mean(dim=0)  # (D,)
    _, singular, vh = torch.linalg.svd(X - mean, full_matrices=False)  # (R,), (R, D)
    components = vh[:k]  # (K, D)
    largest = components.abs().argmax(dim=1, keepdim=True)  # (K, 1)
    signs = torch.sign(components.gather(1, largest))  # (K, 1)
    variances = singular[:k] ** 2 / (n - 1)  # (K,)
    return PCA(mean=mean, components=components * signs, variances=variances)


def _check_k(pca: PCA, k: int | None) -> int:
    k = pca.num_components if k is None else k
    if not isinstance(k, int) or not 0 <= k <= pca.num_components:
        raise ValueError(f"k must be an integer in [0, {pca.num_components}], got {k!r}")
    return k


def pca_encode(pca: PCA, X: torch.Tensor, k: int | None = None) -> torch.Tensor:
    """Coordinates ``(N, k)`` of the rows of ``X`` along the first ``k`` components."""
    _check_rows(X)
    k = _check_k(pca, k)
    return (X - pca.mean) @ pca.components[:k].T  # (N, k)


def pca_decode(pca: PCA, codes: torch.Tensor) -> torch.Tensor:
    """Rows ``(N, D)`` back in data space from their coordinates ``codes (N, k)``."""
    _check_rows(codes, "codes")
    k = _check_k(pca, codes.shape[1])
    return pca.mean + codes @ pca.components[:k]  # (N, D)


def pca_reconstruct(pca: PCA, X: torch.Tensor, k: int | None = None) -> torch.Tensor:
    """The orthogonal projection of each row of ``X`` on the affine PCA subspace of dim ``k``."""
    return pca_decode(pca, pca_encode(pca, X, k))


def reconstruction_mse_curve(pca: PCA, X: torch.Tensor) -> torch.Tensor:
    """Mean squared error per entry of reconstructing ``X`` with ``k = 0, 1, ..., K`` components.

    Because the components are orthonormal, the squared error with ``k`` of them is the squared
    norm of the centred row minus the squares of its first ``k`` coordinates, so one encoding
    gives every ``k`` at once: the result has ``K + 1`` entries, entry ``k`` for ``k`` components.
    """
    _check_rows(X)
    centred = X - pca.mean  # (N, D)
    codes = centred @ pca.components.T  # (N, K)
    total = centred.pow(2).sum()  # squared error with no component
    captured = torch.cat([codes.new_zeros(1), codes.pow(2).sum(dim=0).cumsum(dim=0)])  # (K+1,)
    return (total - captured).clamp_min(0) / X.numel()


def orthonormal_basis(A: torch.Tensor) -> torch.Tensor:
    """An orthonormal basis ``(D, r)`` of the column space of ``A (D, r)`` (reduced QR).

    Raises ValueError when the columns are (numerically) linearly dependent.
    """
    if A.dim() != 2 or A.shape[1] > A.shape[0]:
        raise ValueError(f"expected a tall matrix (D, r) with r <= D, got {tuple(A.shape)}")
    q, r = torch.linalg.qr(A)  # (D, r), (r, r)
    diag = r.diagonal().abs()
    if diag.min() <= 1e-6 * diag.max().clamp_min(torch.finfo(A.dtype).tiny):
        raise ValueError("the columns are linearly dependent: they do not span an r-dim subspace")
    return q


def principal_angles(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """Principal angles (radians, ascending) between the column spaces of ``A (D, p)`` and
    ``B (D, q)``: ``min(p, q)`` angles in ``[0, pi/2]``.

    With orthonormal bases ``Q_A`` and ``Q_B``, the cosines of the angles are the singular values
    of ``Q_A^T Q_B`` (Björck and Golub 1973); small angles are read from their sines, the
    singular values of ``Q_B - Q_A Q_A^T Q_B``, which stay accurate near zero. All angles are
    zero exactly when one subspace contains the other; for subspaces of equal dimension the
    largest angle ``t`` gives their distance ``sin t``, the spectral norm of the difference of
    their orthogonal projections.
    """
    for name, M in (("A", A), ("B", B)):
        if not isinstance(M, torch.Tensor) or M.dim() != 2:
            raise ValueError(f"{name} must be a matrix (D, r) whose columns span a subspace")
    if A.shape[0] != B.shape[0]:
        raise ValueError(f"A and B must live in the same space: {A.shape[0]} != {B.shape[0]} rows")
    if A.shape[1] < B.shape[1]:
        A, B = B, A  # the angles are symmetric; let A be the larger subspace
    qa = orthonormal_basis(A.double())  # (D, p), in float64 for accuracy
    qb = orthonormal_basis(B.double())  # (D, q), q <= p
    overlap = qa.T @ qb  # (p, q)
    cosines = torch.linalg.svdvals(overlap)  # (q,), descending: angles ascending
    sines = torch.linalg.svdvals(qb - qa @ overlap).flip(0)  # (q,), ascending
    # arccos loses accuracy near 0 and arcsin near pi/2: use each where it is well conditioned
    angles = torch.where(
        sines < 0.5**0.5,
        torch.arcsin(sines.clamp(0.0, 1.0)),
        torch.arccos(cosines.clamp(0.0, 1.0)),
    )
    return angles.to(A.dtype)
