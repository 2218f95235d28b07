"""Tests for course.word2vec: sub-sampling, pairs, the skip-gram model, training, evaluation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gensim.models import KeyedVectors
from gensim.test.utils import datapath

from course import word2vec as w2v

# A toy corpus with two topics that never share a sentence: related words co-occur.
TOPIC_A = ["cat", "dog", "pet", "fur", "paw"]
TOPIC_B = ["bond", "stock", "yield", "share", "price"]


def toy_corpus(sentences: int = 300, seed: int = 0) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    corpus = []
    for i in range(sentences):
        topic = TOPIC_A if i % 2 else TOPIC_B
        corpus.append([topic[j] for j in rng.integers(0, len(topic), size=8)])
    return corpus


def mean_similarity(vectors: w2v.WordVectors, first: list[str], second: list[str]) -> float:
    unit = vectors.unit()
    a = unit[[vectors.index(w) for w in first]]
    b = unit[[vectors.index(w) for w in second]]
    sims = a @ b.T
    if first == second:
        sims = sims[~np.eye(len(first), dtype=bool)]
    return float(sims.mean())


def test_keep_probabilities_follow_word2vec():
    counts = np.array([1000, 100, 1])
    keep = w2v.keep_probabilities(counts, sample=0.01)
    t = 0.01 * counts.sum()
    assert keep[0] == pytest.approx((np.sqrt(1000 / t) + 1) * t / 1000)
    assert keep[0] < keep[1] <= keep[2] == 1.0
    assert np.all(w2v.keep_probabilities(counts, 0.0) == 1.0)
    with pytest.raises(ValueError):
        w2v.keep_probabilities(np.array([3, 0]), 1e-3)


def test_noise_distribution_flattens_the_unigram_counts():
    noise = w2v.noise_distribution(np.array([16, 1]))
    assert noise.sum() == pytest.approx(1.0)
    assert noise[0] / noise[1] == pytest.approx(16**0.75)


def test_skipgram_pairs_stay_inside_sentences_and_windows():
    ids = np.array([0, 1, 2, 3, 4])
    sentence_ids = np.array([0, 0, 0, 1, 1])
    keep_all = np.ones(5)
    rng = np.random.default_rng(0)
    center, context = w2v.skipgram_pairs(ids, sentence_ids, 1, keep_all, rng)
    assert set(zip(center.tolist(), context.tolist(), strict=True)) == {
        (0, 1),
        (1, 0),
        (1, 2),
        (2, 1),
        (3, 4),
        (4, 3),
    }
    assert len(center) == 6
    long_ids = np.arange(40)
    center, context = w2v.skipgram_pairs(long_ids, np.zeros(40, int), 3, np.ones(40), rng)
    distance = np.abs(center - context)
    assert distance.min() >= 1 and distance.max() <= 3
    # the dynamic window makes near pairs more common than far ones
    assert (distance == 1).sum() > (distance == 3).sum()
    none = w2v.skipgram_pairs(ids, sentence_ids, 2, np.zeros(5), rng)
    assert len(none[0]) == 0


def test_skipgram_loss_matches_the_formula():
    torch.manual_seed(0)
    model = w2v.SkipGramNS(6, 4)
    with torch.no_grad():
        model.context.weight.normal_()
    centers, contexts = torch.tensor([0, 1]), torch.tensor([2, 3])
    negatives = torch.tensor([[4, 5], [5, 4]])
    v = model.center.weight[centers]
    expected = 0.0
    for b in range(2):
        expected -= torch.log(torch.sigmoid(model.context.weight[contexts[b]] @ v[b]))
        for n in negatives[b]:
            expected -= torch.log(torch.sigmoid(-model.context.weight[n] @ v[b]))
    loss = model(centers, contexts, negatives)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    loss.backward()
    assert model.center.weight.grad.is_sparse  # only the rows in the batch are touched


def test_our_skipgram_learns_the_topics_and_is_reproducible():
    corpus = toy_corpus()
    run = w2v.train_skipgram(
        corpus, dim=10, window=2, negative=3, sample=0, epochs=3, batch_size=256, seed=1
    )
    within = mean_similarity(run.vectors, TOPIC_A, TOPIC_A)
    across = mean_similarity(run.vectors, TOPIC_A, TOPIC_B)
    assert within > across + 0.3
    assert run.pairs > 0 and len(run.epoch_loss) == 3
    assert run.epoch_loss[-1] < run.epoch_loss[0]
    again = w2v.train_skipgram(
        corpus, dim=10, window=2, negative=3, sample=0, epochs=3, batch_size=256, seed=1
    )
    np.testing.assert_array_equal(run.vectors.vectors, again.vectors.vectors)


def test_gensim_wrapper_learns_the_topics_and_is_reproducible():
    corpus = toy_corpus()
    first = w2v.train_gensim(corpus, dim=10, window=2, negative=3, epochs=5, seed=1)
    second = w2v.train_gensim(corpus, dim=10, window=2, negative=3, epochs=5, seed=1)
    np.testing.assert_array_equal(first.vectors, second.vectors)
    assert mean_similarity(first, TOPIC_B, TOPIC_B) > mean_similarity(first, TOPIC_A, TOPIC_B)


def test_word_vectors_check_their_shape_and_exclude_the_query():
    with pytest.raises(ValueError):
        w2v.WordVectors(["a", "b"], np.zeros((3, 2)))
    with pytest.raises(ValueError):
        w2v.WordVectors(["a", "a"], np.zeros((2, 2)))
    vectors = w2v.WordVectors(["a", "b", "c"], np.array([[1.0, 0], [0.9, 0.1], [0, 1]]))
    assert [w for w, _ in vectors.most_similar("a", k=2)] == ["b", "c"]


def analogy_vectors() -> w2v.WordVectors:
    """Hand-made: axis 0 = male, 1 = female, 2 = royal, 3 = fruit."""
    table = {
        "man": [1, 0, 0, 0],
        "woman": [0, 1, 0, 0],
        "king": [1, 0, 1, 0],
        "queen": [0, 1, 1, 0],
        "prince": [1, 0, 0.5, 0.3],
        "apple": [0, 0, 0, 1],
        "pear": [0, 0.1, 0, 1],
    }
    return w2v.WordVectors(list(table), np.array(list(table.values()), dtype=float))


def test_answer_analogies_uses_the_offset_and_skips_question_words():
    vectors = analogy_vectors()
    ids = [
        [vectors.index(w) for w in q] for q in (["man", "woman", "king"], ["woman", "man", "queen"])
    ]
    answers = w2v.answer_analogies(vectors, np.array(ids))
    assert [vectors.words[i] for i in answers] == ["queen", "king"]
    # "apple is to apple as pear is to ?": pear itself would score best, but is excluded
    same = [[vectors.index("apple"), vectors.index("apple"), vectors.index("pear")]]
    assert vectors.words[w2v.answer_analogies(vectors, np.array(same))[0]] != "pear"
    with pytest.raises(ValueError):
        w2v.answer_analogies(vectors, np.zeros((2, 4), dtype=int))


def write_questions(path):
    path.write_text(
        ": royalty\nMan Woman King Queen\nWoman Man Queen King\nMan Woman Prince Princess\n"
        ": fruit\nman woman apple pear\n",
        encoding="utf-8",
    )


def test_evaluate_analogies_counts_sections_and_agrees_with_gensim(tmp_path):
    path = tmp_path / "questions.txt"
    write_questions(path)
    vectors = analogy_vectors()
    sections = w2v.evaluate_analogies(vectors, path)
    assert [(s.name, s.questions, s.asked) for s in sections] == [
        ("royalty", 3, 2),
        ("fruit", 1, 1),  # "princess" is not in the vocabulary
    ]
    assert sections[0].correct == 2
    total = w2v.total_analogy_accuracy(sections)
    kv = KeyedVectors(4)
    kv.add_vectors(vectors.words, vectors.vectors)
    score, gensim_sections = kv.evaluate_word_analogies(str(path))
    assert total.accuracy == pytest.approx(score)
    assert [len(s["correct"]) for s in gensim_sections[:-1]] == [s.correct for s in sections]


def test_read_analogies_rejects_malformed_files(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("a b c d\n", encoding="utf-8")
    with pytest.raises(ValueError, match="before the first"):
        w2v.read_analogies(path)
    path.write_text(": s\na b c\n", encoding="utf-8")
    with pytest.raises(ValueError, match="four words"):
        w2v.read_analogies(path)


def test_evaluate_similarity_matches_gensim(tmp_path):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(12)]
    vectors = w2v.WordVectors(words, rng.normal(size=(12, 5)))
    pairs = [
        (words[i], words[j], float(rng.uniform(0, 10)))
        for i, j in rng.integers(0, 12, size=(20, 2))
        if i != j
    ]
    lines = ["# comment"] + [f"{a.upper()}\t{b}\t{s}" for a, b, s in pairs] + ["zz\tw1\t3.0"]
    path = tmp_path / "pairs.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = w2v.evaluate_similarity(vectors, path)
    assert (result.pairs, result.used) == (len(pairs) + 1, len(pairs))
    kv = KeyedVectors(5)
    kv.add_vectors(words, vectors.vectors)
    _, spearman, oov = kv.evaluate_word_pairs(str(path))
    assert result.spearman == pytest.approx(spearman.statistic)
    # ratings that are a monotone function of the cosine give a correlation of one
    unit = vectors.unit()
    exact = [(a, b, float(unit[vectors.index(a)] @ unit[vectors.index(b)])) for a, b, _ in pairs]
    path.write_text("\n".join(f"{a}\t{b}\t{3 * s + 1}" for a, b, s in exact), encoding="utf-8")
    assert w2v.evaluate_similarity(vectors, path).spearman == pytest.approx(1.0)


def test_gensim_ships_the_evaluation_sets():
    sections = w2v.read_analogies(datapath("questions-words.txt"))
    assert len(sections) == 14
    assert sum(len(q) for _, q in sections) == 19544
    assert len(w2v.read_word_pairs(datapath("wordsim353.tsv"))) == 353
    assert len(w2v.read_word_pairs(datapath("simlex999.txt"))) == 999


def test_rank_counts_the_closer_words():
    vectors = w2v.WordVectors(
        ["a", "b", "c", "d"], np.array([[1.0, 0], [0.9, 0.1], [0.5, 0.5], [0, 1]])
    )
    assert [vectors.rank("a", w) for w in "bcd"] == [1, 2, 3]
