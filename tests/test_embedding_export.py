"""Tests for course.embedding_export: projector files, neighbours, the 2-D map, tables."""

from __future__ import annotations

import numpy as np
import pytest

from course import embedding_export as ex


def test_projector_files_have_the_expected_layout(tmp_path):
    vectors = np.array([[0.5, -1.25, 3.0], [1e-7, 2.0, -0.333333]])
    words = ["good", "clichés"]
    vectors_path, metadata_path = ex.write_projector_files(vectors, words, tmp_path / "out")
    assert (vectors_path.name, metadata_path.name) == ("vectors.tsv", "metadata.tsv")
    rows = vectors_path.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 2 and all(len(r.split("\t")) == 3 for r in rows)
    assert rows[0] == "0.50000\t-1.25000\t3.00000"
    # one column of metadata: no header row, one word per line, in the same order
    assert metadata_path.read_text(encoding="utf-8") == "good\nclichés\n"
    back, back_words = ex.read_projector_files(tmp_path / "out")
    np.testing.assert_allclose(back, vectors, atol=1e-5)
    assert back_words == words


@pytest.mark.parametrize("bad", ["tab\tword", "two\nlines", "", "cr\rword"])
def test_words_that_would_break_the_format_are_refused(tmp_path, bad):
    with pytest.raises(ValueError):
        ex.write_projector_files(np.zeros((2, 2)), ["fine", bad], tmp_path)


def test_shape_and_value_checks(tmp_path):
    with pytest.raises(ValueError):
        ex.write_projector_files(np.zeros((3, 2)), ["a", "b"], tmp_path)
    with pytest.raises(ValueError):
        ex.write_projector_files(np.array([[np.nan, 1.0]]), ["a"], tmp_path)


def test_nearest_neighbours_use_cosine_and_skip_the_word_itself():
    words = ["a", "b", "c", "d"]
    vectors = np.array([[1.0, 0.0], [10.0, 1.0], [0.0, 1.0], [-1.0, 0.0]])
    result = ex.nearest_neighbours(vectors, words, ["a", "c"], k=2)
    assert [w for w, _ in result["a"]] == ["b", "c"]  # b is far but points the same way
    assert result["a"][0][1] == pytest.approx(10 / np.sqrt(101))
    assert [w for w, _ in result["c"]][0] == "b"
    with pytest.raises(KeyError):
        ex.nearest_neighbours(vectors, words, ["zebra"])


def test_pca_finds_the_main_direction_and_fixes_its_sign():
    rng = np.random.default_rng(0)
    t = rng.normal(size=200)
    direction = np.array([3.0, 4.0, 0.0]) / 5
    points = np.outer(t, direction) + 0.01 * rng.normal(size=(200, 3))
    coords, share = ex.pca_2d(points)
    assert coords.shape == (200, 2) and share[0] > 0.99
    assert abs(np.corrcoef(coords[:, 0], t)[0, 1]) > 0.999
    flipped, _ = ex.pca_2d(-points)
    np.testing.assert_allclose(np.abs(flipped[:, 0]), np.abs(coords[:, 0]), atol=1e-9)
    with pytest.raises(ValueError):
        ex.pca_2d(np.zeros((1, 3)))


def test_book_output_dir_is_inside_the_book_in_a_checkout(repo_root):
    path = ex.book_output_dir("test-export-dir")
    try:
        assert path == repo_root / "book" / "_generated" / "test-export-dir" and path.is_dir()
    finally:
        path.rmdir()
    for bad in ("", "../x", ".hidden"):
        with pytest.raises(ValueError):
            ex.book_output_dir(bad)


def test_cosine_similarity():
    assert ex.cosine_similarity(np.array([1.0, 0]), np.array([3.0, 0])) == pytest.approx(1.0)
    assert ex.cosine_similarity(np.array([1.0, 0]), np.array([-1.0, 1])) == pytest.approx(
        -1 / np.sqrt(2)
    )
    assert ex.cosine_similarity(np.zeros(2), np.array([1.0, 0])) == 0.0
    with pytest.raises(ValueError):
        ex.cosine_similarity(np.zeros(2), np.zeros(3))
