"""The IDX reader and the MNIST loader."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from course.data import DataError
from course.mnist import IMAGES_MAGIC, LABELS_MAGIC, load_mnist, read_idx


def _idx(array: np.ndarray) -> bytes:
    header = (0x0800 | array.ndim).to_bytes(4, "big")
    header += b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trips_an_array(tmp_path, compress):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / ("x.idx.gz" if compress else "x.idx")
    path.write_bytes(gzip.compress(_idx(array)) if compress else _idx(array))
    np.testing.assert_array_equal(read_idx(path, IMAGES_MAGIC), array)


def test_wrong_magic_number_is_refused(tmp_path):
    path = tmp_path / "labels.idx"
    path.write_bytes(_idx(np.zeros(5, dtype=np.uint8)))
    with pytest.raises(DataError, match="magic number"):
        read_idx(path, IMAGES_MAGIC)
    path.write_bytes(b"\x12\x34\x56\x78" + bytes(8))
    with pytest.raises(DataError, match="magic number"):
        read_idx(path)


def test_truncated_file_is_refused(tmp_path):
    path = tmp_path / "short.idx"
    path.write_bytes(_idx(np.ones((4, 2, 2), dtype=np.uint8))[:-3])
    with pytest.raises(DataError, match="truncated"):
        read_idx(path, IMAGES_MAGIC)


def test_corrupt_gzip_is_refused(tmp_path):
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(_idx(np.ones(10, dtype=np.uint8)))[:-8])
    with pytest.raises(DataError):
        read_idx(path, LABELS_MAGIC)


def test_load_mnist_test_split(mirror, isolated_data, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    images, labels = load_mnist("test")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and set(np.unique(labels)) == set(range(10))
    # the first test labels, as listed in the mirror's README
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    again_images, again_labels = load_mnist("test")  # now from the cached arrays
    np.testing.assert_array_equal(again_images, images)
    assert (isolated_data / "derived" / "mnist" / "test.npz").is_file()


def test_load_mnist_rejects_unknown_split():
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_mnist("validation")
