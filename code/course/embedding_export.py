"""Getting word vectors out of a model: files for the Embedding Projector, neighbours, a 2-D map.

The TensorFlow Embedding Projector (projector.tensorflow.org) loads two tab-separated files:
``vectors.tsv`` with one vector per line (its numbers separated by tabs, no header) and
``metadata.tsv`` with the word of each line (a single column, so no header row). The two files
must have the same number of lines, in the same order. :func:`write_projector_files` writes
them and :func:`read_projector_files` reads them back.

:func:`book_output_dir` is where a chapter puts files the built page offers for download.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from .pca import fit_pca, pca_encode

_FORBIDDEN = ("\t", "\n", "\r")


def book_output_dir(name: str) -> Path:
    """The folder for files chapter ``name`` publishes with its page, created if missing.

    In a checkout of the book (the course package installed from its ``code/`` folder) this
    is ``book/_generated/<name>``, wherever the notebook runs; elsewhere (Colab, a copied
    notebook) it is ``_generated/<name>`` under the working directory.
    """
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"name must be a plain folder name, got {name!r}")
    root = Path(__file__).resolve().parents[2]
    if (root / "_toc.yml").is_file() and (root / "book").is_dir():
        path = root / "book" / "_generated" / name
    else:
        path = Path.cwd() / "_generated" / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_projector_files(
    vectors: np.ndarray, words: Sequence[str], folder: Path | str, decimals: int = 5
) -> tuple[Path, Path]:
    """Write ``vectors.tsv`` and ``metadata.tsv`` into ``folder``; return their paths.

    Words may not be empty or contain tabs or line breaks (they would shift every later line).
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.ndim != 2 or len(vectors) != len(words) or len(words) == 0:
        raise ValueError(
            f"need a (N, D) array and N words, got {vectors.shape} and {len(words)} words"
        )
    if not np.all(np.isfinite(vectors)):
        raise ValueError("vectors must be finite")
    for word in words:
        if not isinstance(word, str) or not word or any(c in word for c in _FORBIDDEN):
            raise ValueError(f"cannot write word {word!r}: empty, or contains a tab/line break")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vectors_path, metadata_path = folder / "vectors.tsv", folder / "metadata.tsv"
    lines = ["\t".join(f"{x:.{decimals}f}" for x in row) for row in vectors]
    vectors_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    metadata_path.write_text("\n".join(words) + "\n", encoding="utf-8")
    return vectors_path, metadata_path


def read_projector_files(folder: Path | str) -> tuple[np.ndarray, list[str]]:
    """``(vectors (N, D), words)`` from the two files :func:`write_projector_files` wrote."""
    folder = Path(folder)
    rows = folder.joinpath("vectors.tsv").read_text(encoding="utf-8").splitlines()
    words = folder.joinpath("metadata.tsv").read_text(encoding="utf-8").split("\n")[:-1]
    vectors = np.array([[float(x) for x in row.split("\t")] for row in rows])
    if len(vectors) != len(words):
        raise ValueError(f"{len(vectors)} vectors but {len(words)} words in {folder}")
    return vectors, words


def nearest_neighbours(
    vectors: np.ndarray, words: Sequence[str], queries: Sequence[str], k: int = 5
) -> dict[str, list[tuple[str, float]]]:
    """For each query word, the ``k`` other words with the highest cosine similarity."""
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.ndim != 2 or len(vectors) != len(words):
        raise ValueError(f"need a (N, D) array and N words, got {vectors.shape}, {len(words)}")
    index = {w: i for i, w in enumerate(words)}
    missing = [q for q in queries if q not in index]
    if missing:
        raise KeyError(f"not in the vocabulary: {missing}")
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)  # (N, D)
    rows = np.array([index[q] for q in queries], dtype=np.int64)  # (Q,)
    scores = unit[rows] @ unit.T  # (Q, N) cosine similarities
    scores[np.arange(len(rows)), rows] = -np.inf  # a word is not its own neighbour
    best = np.argsort(-scores, axis=1, kind="stable")[:, :k]  # (Q, k)
    return {q: [(words[j], float(scores[r, j])) for j in best[r]] for r, q in enumerate(queries)}


def pca_2d(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project centred vectors onto their two principal axes (:func:`course.pca.fit_pca`, whose
    signs make each axis's largest loading positive, so the picture does not flip between runs):
    ``(coords (N, 2), explained variance share of each axis (2,))``."""
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.ndim != 2 or vectors.shape[0] < 2 or vectors.shape[1] < 2:
        raise ValueError(f"need at least two vectors of dimension >= 2, got {vectors.shape}")
    x = torch.from_numpy(vectors)  # (N, D)
    pca = fit_pca(x)  # every component, so their variances add up to the total
    coords = pca_encode(pca, x, 2)  # (N, 2)
    return coords.numpy(), (pca.variances[:2] / pca.variances.sum()).numpy()  # (N, 2), (2,)


def cosine_similarity(x: np.ndarray, y: np.ndarray) -> float:
    """``x . y / (|x| |y|)`` of two vectors (0 if either is zero)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"need two vectors of the same length, got {x.shape} and {y.shape}")
    norms = np.linalg.norm(x) * np.linalg.norm(y)
    return float(x @ y / norms) if norms > 0 else 0.0
