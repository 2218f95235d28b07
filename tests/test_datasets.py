"""course.datasets: the IDX reader and the MNIST loader, the polarity data (cp1252 decoding,
the seeded split), Tiny Shakespeare, Penn Treebank and the Tatoeba pairs."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from course import datasets, translation
from course.data import DataError
from course.datasets import IMAGES_MAGIC, LABELS_MAGIC, load_mnist, read_idx


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


def test_decode_cp1252_maps_the_windows_characters():
    assert datasets.decode_cp1252(b"clich\xe9s") == "clichés"
    assert datasets.decode_cp1252(b"\x85the end \x97 really \x93good\x94") == (
        "\u2026the end \u2014 really \u201cgood\u201d"
    )


def test_decode_cp1252_rejects_undefined_bytes_and_non_bytes():
    with pytest.raises(ValueError, match="0x81 at offset 3"):
        datasets.decode_cp1252(b"abc\x81def")
    with pytest.raises(TypeError):
        datasets.decode_cp1252("already text")


def test_read_lines_handles_crlf_blank_lines_and_trailing_spaces(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_bytes(b"first line . \r\n\r\nsecond \xe9 line\n   \nthird\n")
    assert datasets.read_lines(path) == ["first line .", "second é line", "third"]


def test_split_is_balanced_disjoint_complete_and_seeded():
    sentences = [[f"w{i}"] for i in range(100)]
    labels = np.array([1] * 60 + [0] * 40)
    data = datasets.LabelledSentences(sentences, labels)
    parts = datasets.split_polarity(data, (0.8, 0.1, 0.1), seed=3)
    assert [len(parts[k]) for k in ("train", "val", "test")] == [80, 10, 10]
    seen = [s[0] for part in parts.values() for s in part.sentences]
    assert sorted(seen) == sorted(s[0] for s in sentences)
    assert parts["val"].labels.sum() == 6 and parts["test"].labels.sum() == 6
    again = datasets.split_polarity(data, (0.8, 0.1, 0.1), seed=3)
    other = datasets.split_polarity(data, (0.8, 0.1, 0.1), seed=4)
    assert again["test"].sentences == parts["test"].sentences
    assert other["test"].sentences != parts["test"].sentences
    with pytest.raises(ValueError):
        datasets.split_polarity(data, (0.5, 0.1, 0.1))


def test_polarity_data_loads_all_sentences(mirror, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    data = datasets.load_polarity()
    assert len(data) == 10662 and data.labels.sum() == 5331
    assert any("clichés" in s for s in data.sentences)  # cp1252 é decoded
    parts = datasets.split_polarity(data)
    assert abs(parts["test"].labels.mean() - 0.5) < 0.01


def test_ptb_loads_with_its_preprocessing(mirror, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    sentences = datasets.load_ptb("valid")
    words = {w for s in sentences for w in s}
    assert len(sentences) == 3370 and "<unk>" in words and "N" in words
    assert all(w == w.lower() or w == "N" for w in words)
    with pytest.raises(ValueError):
        datasets.load_ptb("dev")


def test_real_pairs_from_the_mirror(mirror, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    pairs = datasets.load_fra_eng()
    assert len(pairs) > 100_000 and pairs[0][0] == "Go."
    short = translation.filter_pairs(pairs[:2000], max_tokens=4)
    assert short and all(len(s) <= 4 and len(t) <= 4 for s, t in short)


def test_shakespeare_is_cut_by_characters(mirror, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    train, held_out = datasets.load_shakespeare()
    assert train.startswith("First Citizen:")
    assert len(train) == int(0.9 * (len(train) + len(held_out)))
    shorter, rest = datasets.load_shakespeare(0.5)
    assert shorter + rest == train + held_out and len(shorter) < len(train)
    with pytest.raises(ValueError, match="train_fraction"):
        datasets.load_shakespeare(1.0)


def test_a_damaged_fra_eng_archive_says_what_to_do(monkeypatch, tmp_path):
    broken = tmp_path / "fra-eng.zip"
    broken.write_bytes(b"not a zip")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(datasets, "fetch", lambda key: broken)
    with pytest.raises(DataError, match="delete it to fetch it again"):
        datasets.load_fra_eng()
    assert not list((tmp_path / "cache").rglob("fra.txt*"))  # nothing half-written
