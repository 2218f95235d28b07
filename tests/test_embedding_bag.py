"""Tests for course.embedding_bag: masked mean pooling, shapes, word scores, learning."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course.batching import make_loader
from course.embedding_bag import EmbeddingBagClassifier, word_scores
from course.text import PAD_ID
from course.training import accuracy, train


def test_pooling_ignores_padding():
    torch.manual_seed(0)
    model = EmbeddingBagClassifier(vocab_size=10, dim=4, hidden=3)
    ids = torch.tensor([[3, 5, PAD_ID, PAD_ID], [3, 5, 0, 0]])
    pooled = model.pool(ids)
    expected = (model.embedding.weight[3] + model.embedding.weight[5]) / 2
    torch.testing.assert_close(pooled[0], expected)
    torch.testing.assert_close(model.pool(torch.tensor([[3, 5]])), pooled[:1])
    assert model(ids).shape == (2, 2)
    # an all-padding row pools to zeros instead of dividing by zero
    assert torch.all(model.pool(torch.zeros(1, 3, dtype=torch.long)) == 0)


def test_word_scores_read_single_word_sentences():
    torch.manual_seed(0)
    model = EmbeddingBagClassifier(vocab_size=7, dim=5, hidden=4)
    scores = word_scores(model)
    logits = model(torch.arange(7)[:, None])  # seven one-word sentences
    torch.testing.assert_close(torch.as_tensor(scores), logits[:, 1] - logits[:, 0])
    with pytest.raises(ValueError):
        word_scores(EmbeddingBagClassifier(vocab_size=7, classes=3))


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        EmbeddingBagClassifier(vocab_size=0)
    with pytest.raises(ValueError):
        EmbeddingBagClassifier(vocab_size=5).pool(torch.zeros(3, dtype=torch.long))


def test_learns_which_words_are_positive():
    """Sentences of filler words plus one cue word: 2 means positive, 3 negative."""
    generator = torch.Generator().manual_seed(0)
    n = 400
    ids = torch.randint(4, 20, (n, 6), generator=generator)
    labels = torch.randint(0, 2, (n,), generator=generator)
    ids[:, 0] = torch.where(labels == 1, 2, 3)
    ids[:, 4:] = PAD_ID
    torch.manual_seed(0)
    model = EmbeddingBagClassifier(vocab_size=20, dim=8, hidden=8)
    loader = make_loader(ids, labels, batch_size=32, seed=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    history = train(
        model,
        loader,
        torch.nn.CrossEntropyLoss(),
        optimizer,
        epochs=8,
        metrics={"acc": accuracy},
        device=torch.device("cpu"),
    )
    assert history.last("train_acc") > 0.95
    scores = word_scores(model)
    assert scores[2] > 0 > scores[3]


def test_positive_probability_tokenizes_and_pads_raw_texts():
    from course.embedding_bag import positive_probability
    from course.text import Vocabulary

    vocab = Vocabulary.build([["good", "bad", "film"]])
    torch.manual_seed(0)
    model = EmbeddingBagClassifier(len(vocab), dim=4, hidden=4)
    probabilities = positive_probability(model, vocab, ["Good film!", "bad", "GOOD FILM ?"])
    assert probabilities.shape == (3,) and np.all((probabilities > 0) & (probabilities < 1))
    assert probabilities[0] == pytest.approx(probabilities[2])  # both: good film <unk>
    assert model.training  # the model's mode is restored
    with pytest.raises(TypeError):
        positive_probability(model, vocab, "one string")


def test_embedding_starts_small_with_a_zero_padding_row():
    model = EmbeddingBagClassifier(vocab_size=50, dim=8, init_scale=0.1)
    assert model.embedding.weight.abs().max() <= 0.1
    assert torch.all(model.embedding.weight[PAD_ID] == 0)
    with pytest.raises(ValueError):
        EmbeddingBagClassifier(vocab_size=50, init_scale=0.0)
