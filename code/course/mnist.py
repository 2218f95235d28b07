"""MNIST from its four canonical IDX files, read by a small checked parser into NumPy arrays."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from .data import DataError, derived_dir, fetch

_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
# IDX magic numbers: two zero bytes, a type code (0x08 = unsigned byte) and the number of axes.
IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801


def read_idx(path: str | os.PathLike, expected_magic: int | None = None) -> np.ndarray:
    """Read an IDX file of unsigned bytes (optionally gzipped) into an array of its shape.

    Raises :class:`~course.data.DataError` when the magic number is wrong or the file is
    shorter or longer than its header says.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as error:
        raise DataError(
            f"{path} is not a readable IDX file ({error}); delete it to fetch it again"
        ) from error
    if len(raw) < 4:
        raise DataError(f"{path} is too short to be an IDX file")
    magic = int.from_bytes(raw[:4], "big")
    if magic >> 8 != 0x08 or (expected_magic is not None and magic != expected_magic):
        want = f"{expected_magic:#010x}" if expected_magic is not None else "0x000008NN"
        raise DataError(
            f"{path} has magic number {magic:#010x}, expected {want}: not the IDX file asked for"
        )
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path} ends inside its header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise DataError(
            f"{path} holds {len(raw)} bytes but its header {shape} implies {expected}: "
            "truncated or corrupt"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def load_mnist(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """MNIST's ``"train"`` or ``"test"`` split: uint8 images ``(N, 28, 28)`` and labels ``(N,)``.

    The decoded arrays are cached (``.npz`` in the data cache), so later calls take milliseconds.
    """
    if split not in _FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    cached = derived_dir("mnist") / f"{split}.npz"
    if cached.is_file():
        try:
            with np.load(cached) as arrays:
                return arrays["images"], arrays["labels"]
        except (OSError, ValueError, KeyError):
            cached.unlink()  # unreadable cache: rebuild it below
    image_file, label_file = _FILES[split]
    images = read_idx(fetch(f"datasets/mnist/{image_file}"), IMAGES_MAGIC)
    labels = read_idx(fetch(f"datasets/mnist/{label_file}"), LABELS_MAGIC)
    if len(images) != len(labels):
        raise DataError(f"MNIST {split}: {len(images)} images but {len(labels)} labels")
    partial = cached.with_name(f".{cached.name}.{os.getpid()}.tmp.npz")
    np.savez(partial, images=images, labels=labels)
    os.replace(partial, cached)  # atomic: a reader never sees half a file
    return images, labels
