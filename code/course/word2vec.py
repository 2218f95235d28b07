"""Word vectors from co-occurrence: word2vec's skip-gram with negative sampling, two ways.

* :func:`train_gensim` trains gensim's optimised C implementation (one worker thread and a
  fixed seed, so that two runs give the same vectors).
* :class:`SkipGramNS` and :func:`train_skipgram` are the same model written in PyTorch: the
  training pairs of an epoch are built at once with array operations
  (:func:`skipgram_pairs`), and the two embedding tables are updated with sparse gradients
  and plain SGD with a linearly decaying step, as in word2vec.

Both return :class:`WordVectors`, which the evaluation helpers take: :func:`evaluate_analogies`
(the vector-offset method on analogy questions such as gensim's ``questions-words.txt``) and
:func:`evaluate_similarity` (Spearman correlation with human similarity ratings such as
WordSim-353 and SimLex-999).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# ---------------------------------------------------------------------------------------
# Word vectors and nearest neighbours
# ---------------------------------------------------------------------------------------


@dataclass
class WordVectors:
    """A table of word vectors: ``vectors[i]`` belongs to ``words[i]``."""

    words: list[str]
    vectors: np.ndarray
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.vectors = np.asarray(self.vectors, dtype=np.float32)
        if self.vectors.ndim != 2 or len(self.words) != len(self.vectors):
            raise ValueError(
                f"need one row of vectors per word: {len(self.words)} words, "
                f"vectors of shape {self.vectors.shape}"
            )
        self._index = {word: i for i, word in enumerate(self.words)}
        if len(self._index) != len(self.words):
            raise ValueError("words must be distinct")

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self._index

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self._index[word]]

    def index(self, word: str) -> int:
        """The row of ``word`` (``KeyError`` if it has none)."""
        return self._index[word]

    def unit(self) -> np.ndarray:
        """The vectors scaled to length 1 (zero vectors stay zero)."""
        norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
        return self.vectors / np.maximum(norms, 1e-12)

    def rank(self, word: str, other: str) -> int:
        """Where ``other`` comes among the neighbours of ``word`` by cosine (1 = nearest)."""
        unit = self.unit()
        scores = unit @ unit[self.index(word)]  # (V,)
        scores[self.index(word)] = -np.inf
        return int((scores > scores[self.index(other)]).sum()) + 1

    def most_similar(self, word: str, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` words with the highest cosine similarity to ``word`` (itself excluded)."""
        unit = self.unit()
        scores = unit @ unit[self.index(word)]  # (V,)
        scores[self.index(word)] = -np.inf
        best = np.argsort(-scores, kind="stable")[:k]
        return [(self.words[i], float(scores[i])) for i in best]


# ---------------------------------------------------------------------------------------
# gensim
# ---------------------------------------------------------------------------------------


def train_gensim(
    sentences: Sequence[Sequence[str]],
    dim: int = 100,
    window: int = 5,
    negative: int = 5,
    sample: float = 1e-3,
    epochs: int = 5,
    min_count: int = 1,
    seed: int = 0,
) -> WordVectors:
    """Skip-gram with negative sampling, trained by gensim with one worker (reproducible)."""
    from gensim.models import Word2Vec

    model = Word2Vec(
        sentences=[list(s) for s in sentences],
        vector_size=dim,
        window=window,
        sg=1,  # skip-gram
        hs=0,  # no hierarchical softmax ...
        negative=negative,  # ... but negative sampling
        sample=sample,
        epochs=epochs,
        min_count=min_count,
        alpha=0.025,
        min_alpha=0.0001,
        seed=seed,
        workers=1,  # several threads would make the result depend on scheduling
    )
    return WordVectors(list(model.wv.index_to_key), model.wv.vectors.copy())


# ---------------------------------------------------------------------------------------
# Our own skip-gram with negative sampling
# ---------------------------------------------------------------------------------------


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """word2vec's sub-sampling: the chance of keeping each occurrence of each word.

    With ``t = sample * total``, a word seen ``c`` times is kept with probability
    ``min(1, (sqrt(c / t) + 1) * t / c)``; ``sample=0`` keeps everything.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample < 0:
        raise ValueError(f"sample must be >= 0, got {sample}")
    if np.any(counts <= 0):
        raise ValueError("every word needs a positive count")
    if sample == 0:
        return np.ones_like(counts)
    threshold = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / threshold) + 1.0) * threshold / counts)


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """The distribution negatives are drawn from: unigram counts to the ``power``, normalised."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


def skipgram_pairs(
    ids: np.ndarray,
    sentence_ids: np.ndarray,
    window: int,
    keep: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """One epoch of (center, context) id pairs, shuffled.

    Occurrences are first sub-sampled (word ``w`` is kept with chance ``keep[w]``); then each
    kept token draws its own window size ``b`` from 1..``window`` and pairs with the kept tokens
    up to ``b`` places before and after it in the same sentence (word2vec's dynamic window).
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    if ids.shape != sentence_ids.shape:
        raise ValueError(f"ids {ids.shape} and sentence_ids {sentence_ids.shape} differ")
    kept = rng.random(len(ids)) < keep[ids]
    tokens, sentences = ids[kept], sentence_ids[kept]  # (N,), (N,)
    reach = rng.integers(1, window + 1, size=len(tokens))  # (N,) each token's window
    centers, contexts = [], []
    for offset in range(1, window + 1):
        same = sentences[offset:] == sentences[:-offset]  # (N - offset,)
        left, right = tokens[:-offset], tokens[offset:]
        forward = same & (reach[:-offset] >= offset)  # left token is the center
        backward = same & (reach[offset:] >= offset)  # right token is the center
        centers += [left[forward], right[backward]]
        contexts += [right[forward], left[backward]]
    center, context = np.concatenate(centers), np.concatenate(contexts)
    order = rng.permutation(len(center))
    return center[order], context[order]


class SkipGramNS(nn.Module):
    """Skip-gram with negative sampling: an input vector per center word, an output vector
    per context word, and a logistic loss on their dot products."""

    def __init__(self, vocab_size: int, dim: int) -> None:
        super().__init__()
        self.center = nn.Embedding(vocab_size, dim, sparse=True)  # the word vectors we keep
        self.context = nn.Embedding(vocab_size, dim, sparse=True)
        nn.init.uniform_(self.center.weight, -0.5 / dim, 0.5 / dim)  # as word2vec does
        nn.init.zeros_(self.context.weight)

    def forward(
        self, centers: torch.Tensor, contexts: torch.Tensor, negatives: torch.Tensor
    ) -> torch.Tensor:
        """Summed loss of a batch: centers (B,), true contexts (B,), negatives (B, K)."""
        v = self.center(centers)  # (B, D)
        targets = torch.cat([contexts[:, None], negatives], dim=1)  # (B, 1 + K)
        u = self.context(targets)  # (B, 1 + K, D)
        scores = (u * v[:, None, :]).sum(dim=-1)  # (B, 1 + K) dot products
        signs = torch.ones_like(scores)
        signs[:, 1:] = -1.0  # true context: log sigma(s); negatives: log sigma(-s)
        return -F.logsigmoid(signs * scores).sum()


@contextmanager
def torch_threads(n: int | None):
    """Run the block with ``n`` intra-op threads (``None``: leave the setting alone)."""
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass
class SkipGramRun:
    """What :func:`train_skipgram` returns: the vectors, the mean loss per pair in each epoch,
    the pairs seen and the training seconds (pair building included)."""

    vectors: WordVectors
    epoch_loss: list[float]
    pairs: int
    seconds: float


def corpus_arrays(
    sentences: Sequence[Sequence[str]], min_count: int = 1
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """``(words, counts, ids, sentence_ids)``: the vocabulary (by falling frequency, ties
    alphabetical) and the corpus as one array of ids with the sentence of each token."""
    counts = Counter(w for s in sentences for w in s)
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    index = {w: i for i, w in enumerate(words)}
    encoded = [[index[w] for w in s if w in index] for s in sentences]
    ids = np.fromiter((i for s in encoded for i in s), dtype=np.int64)
    sentence_ids = np.repeat(np.arange(len(encoded)), [len(s) for s in encoded])
    return words, np.array([counts[w] for w in words], dtype=np.int64), ids, sentence_ids


def train_skipgram(
    sentences: Sequence[Sequence[str]],
    dim: int = 100,
    window: int = 5,
    negative: int = 5,
    sample: float = 1e-3,
    epochs: int = 5,
    min_count: int = 1,
    lr: float = 0.025,
    min_lr: float = 0.0001,
    batch_size: int = 1024,
    seed: int = 0,
    device: torch.device | str | None = None,
    threads: int | None = 1,
) -> SkipGramRun:
    """Train :class:`SkipGramNS` with the same hyper-parameters as :func:`train_gensim`.

    Each step sums the loss of ``batch_size`` pairs and takes an SGD step whose size falls
    linearly from ``lr`` to ``min_lr`` over the run. ``threads`` torch threads (1, like
    gensim's single worker, for a fair timing).
    """
    if epochs < 1 or batch_size < 1 or negative < 1:
        raise ValueError("epochs, batch_size and negative must be positive")
    device = torch.device(device or "cpu")
    start = time.perf_counter()
    words, counts, ids, sentence_ids = corpus_arrays(sentences, min_count)
    rng = np.random.default_rng(seed)
    generator = torch.Generator(device=device).manual_seed(seed)
    torch.manual_seed(seed)
    model = SkipGramNS(len(words), dim).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    keep = keep_probabilities(counts, sample)
    noise = torch.as_tensor(noise_distribution(counts), dtype=torch.float32, device=device)
    # pairs per epoch vary a little; the schedule uses the expected number of steps
    expected_pairs = _expected_pairs(ids, sentence_ids, window, keep)
    total_steps = max(1, epochs * int(np.ceil(expected_pairs / batch_size)))
    epoch_loss, pairs_seen, step = [], 0, 0
    with torch_threads(threads if device.type == "cpu" else None):
        for _ in range(epochs):
            center, context = skipgram_pairs(ids, sentence_ids, window, keep, rng)
            center_t = torch.as_tensor(center, device=device)
            context_t = torch.as_tensor(context, device=device)
            total = torch.zeros((), device=device)
            # the pairs are already shuffled: consecutive slices are random batches
            for c, o in zip(center_t.split(batch_size), context_t.split(batch_size), strict=True):
                negatives = torch.multinomial(  # (B, K)
                    noise, len(c) * negative, replacement=True, generator=generator
                ).view(len(c), negative)
                for group in optimizer.param_groups:
                    group["lr"] = max(min_lr, lr * (1.0 - step / total_steps))
                loss = model(c, o, negatives)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total += loss.detach()
                step += 1
            epoch_loss.append(total.item() / max(len(center), 1))
            pairs_seen += len(center)
    vectors = WordVectors(words, model.center.weight.detach().cpu().numpy())
    return SkipGramRun(vectors, epoch_loss, pairs_seen, time.perf_counter() - start)


def _expected_pairs(ids: np.ndarray, sentence_ids: np.ndarray, window: int, keep: np.ndarray):
    """Roughly how many pairs :func:`skipgram_pairs` makes per epoch (for the lr schedule)."""
    rng = np.random.default_rng(12345)
    return len(skipgram_pairs(ids, sentence_ids, window, keep, rng)[0])


# ---------------------------------------------------------------------------------------
# Evaluation: analogies and word similarity
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnalogySection:
    """One section of an analogy test: questions in the file, those we could ask, right ones."""

    name: str
    questions: int
    asked: int
    correct: int

    @property
    def accuracy(self) -> float:
        """Correct answers among the questions asked (NaN if none could be asked)."""
        return self.correct / self.asked if self.asked else float("nan")


def read_analogies(path: Path | str) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    """Sections of ``a b c d`` questions ("a is to b as c is to d") from a word2vec-style file
    whose sections start with ``: name`` lines."""
    sections: list[tuple[str, list[tuple[str, str, str, str]]]] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith(":"):
            sections.append((line[1:].strip(), []))
            continue
        parts = line.split()
        if len(parts) != 4:
            raise ValueError(f"{path}:{number}: expected four words, got {line!r}")
        if not sections:
            raise ValueError(f"{path}:{number}: question before the first ': section' line")
        sections[-1][1].append(tuple(parts))  # type: ignore[arg-type]
    return sections


def answer_analogies(vectors: WordVectors, questions: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """3CosAdd: for rows ``(a, b, c)`` of word ids, the id ``d`` that maximises
    ``cos(d, b - a + c)`` over unit vectors, never one of ``a``, ``b``, ``c``."""
    questions = np.asarray(questions, dtype=np.int64)
    if questions.ndim != 2 or questions.shape[1] != 3:
        raise ValueError(f"questions must have shape (n, 3), got {questions.shape}")
    unit = vectors.unit()  # (V, D)
    answers = np.empty(len(questions), dtype=np.int64)
    for begin in range(0, len(questions), chunk):
        q = questions[begin : begin + chunk]  # (n, 3)
        target = unit[q[:, 1]] - unit[q[:, 0]] + unit[q[:, 2]]  # (n, D)
        scores = target @ unit.T  # (n, V)
        np.put_along_axis(scores, q, -np.inf, axis=1)  # the question's own words are excluded
        answers[begin : begin + chunk] = scores.argmax(axis=1)
    return answers


def evaluate_analogies(
    vectors: WordVectors, path: Path | str, lowercase: bool = True
) -> list[AnalogySection]:
    """Per-section results on an analogy file; questions with a word we lack are skipped
    (and counted: ``questions - asked``)."""
    results = []
    for name, questions in read_analogies(path):
        rows = [[w.lower() for w in q] if lowercase else list(q) for q in questions]
        usable = [r for r in rows if all(w in vectors for w in r)]
        correct = 0
        if usable:
            ids = np.array([[vectors.index(w) for w in r] for r in usable])  # (n, 4)
            correct = int((answer_analogies(vectors, ids[:, :3]) == ids[:, 3]).sum())
        results.append(AnalogySection(name, len(questions), len(usable), correct))
    return results


def total_analogy_accuracy(sections: Sequence[AnalogySection]) -> AnalogySection:
    """All sections together, as one."""
    return AnalogySection(
        "total",
        sum(s.questions for s in sections),
        sum(s.asked for s in sections),
        sum(s.correct for s in sections),
    )


def read_word_pairs(path: Path | str) -> list[tuple[str, str, float]]:
    """``(word1, word2, human score)`` rows of a tab-separated file; ``#`` lines are comments."""
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 3:
            raise ValueError(f"{path}:{number}: expected word, word, score; got {line!r}")
        rows.append((parts[0], parts[1], float(parts[2])))
    return rows


@dataclass(frozen=True)
class SimilarityResult:
    """Spearman correlation between cosine similarity and human scores over the usable pairs."""

    spearman: float
    pairs: int
    used: int


def evaluate_similarity(
    vectors: WordVectors, path: Path | str, lowercase: bool = True
) -> SimilarityResult:
    """Rank-correlate the model's cosine similarities with human ratings (pairs with a word
    we lack are skipped)."""
    from scipy.stats import spearmanr

    rows = read_word_pairs(path)
    if lowercase:
        rows = [(a.lower(), b.lower(), s) for a, b, s in rows]
    usable = [(a, b, s) for a, b, s in rows if a in vectors and b in vectors]
    if len(usable) < 3:
        return SimilarityResult(float("nan"), len(rows), len(usable))
    unit = vectors.unit()
    first = unit[[vectors.index(a) for a, _, _ in usable]]  # (n, D)
    second = unit[[vectors.index(b) for _, b, _ in usable]]  # (n, D)
    cosine = (first * second).sum(axis=1)  # (n,)
    human = np.array([s for _, _, s in usable])
    return SimilarityResult(float(spearmanr(cosine, human).statistic), len(rows), len(usable))
