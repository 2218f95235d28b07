"""Tests for course.sentence_cnn: shapes, padding invariance, the modes, pre-trained tables."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course.sentence_cnn import (
    RAND_INIT,
    SentenceCNN,
    pretrained_matrix,
    strongest_ngrams,
)
from course.text import PAD_ID, UNK_ID, Vocabulary
from course.training import trainable_parameters


def small_model(mode: str = "rand", vocab_size: int = 30, dim: int = 6) -> SentenceCNN:
    torch.manual_seed(0)
    pretrained = None if mode == "rand" else torch.randn(vocab_size, dim)
    return SentenceCNN(vocab_size, dim, widths=(2, 3, 5), maps=4, mode=mode, pretrained=pretrained)


def test_output_shape_and_short_sentences():
    model = small_model().eval()
    ids = torch.tensor([[4, 5, 6, 0, 0, 0], [7, 0, 0, 0, 0, 0]])  # the second is one word long
    assert model(ids).shape == (2, 2)
    assert model.features(ids).shape == (2, 12)
    assert torch.isfinite(model(ids)).all()


def test_trailing_padding_does_not_change_the_result():
    model = small_model().eval()
    sentence = [4, 9, 11, 3]
    short = torch.tensor([sentence + [PAD_ID] * 1])
    long = torch.tensor([sentence + [PAD_ID] * 20])
    torch.testing.assert_close(model(short), model(long))


def test_random_embeddings_follow_kim_and_padding_is_zero():
    model = small_model("rand")
    weight = model.embedding.weight
    assert torch.all(weight[PAD_ID] == 0)
    assert weight.abs().max() <= RAND_INIT


@pytest.mark.parametrize("mode, changes", [("rand", True), ("static", False), ("non-static", True)])
def test_only_static_keeps_its_vectors(mode, changes):
    model = small_model(mode)
    before = model.embedding.weight.detach().clone()
    optimizer = torch.optim.SGD(trainable_parameters(model), lr=0.5)
    ids = torch.tensor([[4, 5, 6, 7, 8]])
    loss = torch.nn.functional.cross_entropy(model(ids), torch.tensor([1]))
    loss.backward()
    optimizer.step()
    changed = not torch.equal(before, model.embedding.weight.detach())
    assert changed == changes
    assert torch.all(model.embedding.weight[PAD_ID] == 0)


def test_modes_and_pretrained_vectors_are_checked():
    with pytest.raises(ValueError):
        SentenceCNN(10, 4, mode="multichannel")
    with pytest.raises(ValueError):
        SentenceCNN(10, 4, mode="static")  # static needs vectors
    with pytest.raises(ValueError):
        SentenceCNN(10, 4, mode="rand", pretrained=torch.zeros(10, 4))
    with pytest.raises(ValueError):
        SentenceCNN(10, 4, mode="static", pretrained=torch.zeros(9, 4))


def test_pretrained_matrix_copies_known_words_and_fills_the_rest():
    vocab = Vocabulary.build([["good", "bad", "film", "meh"]])
    words = ["film", "good", "bad", "unused"]
    rng = np.random.default_rng(0)
    vectors = rng.normal(0, 0.5, size=(4, 8)).astype(np.float32)
    table, found = pretrained_matrix(vocab, words, vectors, seed=0)
    assert table.shape == (len(vocab), 8)
    for word in ("good", "bad", "film"):
        np.testing.assert_array_equal(table[vocab.index(word)].numpy(), vectors[words.index(word)])
        assert found[vocab.index(word)]
    assert not found[vocab.index("meh")] and not found[UNK_ID] and not found[PAD_ID]
    assert torch.all(table[PAD_ID] == 0)
    limit = np.sqrt(3 * vectors.var())
    assert table[vocab.index("meh")].abs().max() <= limit
    again, _ = pretrained_matrix(vocab, words, vectors, seed=0)
    torch.testing.assert_close(table, again)
    with pytest.raises(ValueError):
        pretrained_matrix(vocab, words[:3], vectors)


def test_strongest_ngrams_finds_the_window_a_filter_was_built_for():
    vocab = Vocabulary.build([["not", "bad", "good", "film", "at", "all"]])
    torch.manual_seed(0)
    model = SentenceCNN(len(vocab), 3, widths=(2,), maps=2, mode="rand")
    with torch.no_grad():  # one-hot embeddings; filter 1 fires on "not bad" only
        model.embedding.weight.zero_()
        for i, word in enumerate(["not", "bad", "good"]):
            model.embedding.weight[vocab.index(word), i] = 1.0
        model.convs[0].weight.zero_()
        model.convs[0].bias.fill_(-1.5)
        model.convs[0].weight[1, 0, 0] = 1.0  # "not" first ...
        model.convs[0].weight[1, 1, 1] = 1.0  # ... then "bad"
    sentences = [["good", "film", "not", "bad"], ["bad", "not", "at", "all"], ["not", "good"]]
    ids = torch.tensor([vocab.encode(s) + [PAD_ID] * (4 - len(s)) for s in sentences])
    top = strongest_ngrams(model, ids, vocab, feature=1, k=1)
    assert top == [("not bad", pytest.approx(0.5))]
    assert len(strongest_ngrams(model, ids, vocab, feature=1, k=4)) == 4
    with pytest.raises(ValueError):
        strongest_ngrams(model, ids, vocab, feature=2)
