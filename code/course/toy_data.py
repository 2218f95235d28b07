"""Small synthetic data sets, generated on the fly, for the prerequisite chapters.

Each generator takes a ``seed`` and returns tensors, so a chapter (or a test) gets the same
data every time and nothing is downloaded.
"""

from __future__ import annotations

import math

import torch

from .checks import check_positive_ints
from .seeding import torch_generator


def concentric_rings(
    n: int = 1000, noise: float = 0.08, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Points ``(n, 2)`` on an inner disc (class 0) and a surrounding ring (class 1).

    No straight line separates the classes, so every affine classifier is stuck near 50%.
    """
    check_positive_ints(n=n)
    g = torch_generator(seed)
    labels = torch.randint(0, 2, (n,), generator=g)
    radius = torch.where(
        labels == 0, 0.5 * torch.rand(n, generator=g), 1.0 + 0.5 * torch.rand(n, generator=g)
    )
    angle = 2 * math.pi * torch.rand(n, generator=g)
    points = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)
    return points + noise * torch.randn(n, 2, generator=g), labels


#: A toy language: each sentence is "<subject> <verb> <object>" drawn from these groups.
TOY_GRAMMAR: dict[str, dict[str, list[str]]] = {
    "animals": {
        "subjects": ["cat", "dog", "horse", "cow"],
        "verbs": ["eats", "drinks"],
        "objects": ["grass", "water", "food"],
    },
    "people": {
        "subjects": ["alice", "bob", "carol"],
        "verbs": ["reads", "writes"],
        "objects": ["book", "letter", "poem"],
    },
}


def toy_corpus(
    n_sentences: int = 2000, seed: int = 0
) -> tuple[list[str], torch.Tensor, dict[str, str]]:
    """Sentences from :data:`TOY_GRAMMAR` as (word, neighbour) training pairs.

    Returns ``(vocabulary, pairs (N, 2) of word ids, group_of_word)``: each pair is a word and
    the word just before or just after it (skip-gram pairs with a window of one). Words that
    have the same neighbours (e.g. two animals) end up with similar embeddings when a model
    learns to predict a word's neighbours.
    """
    check_positive_ints(n_sentences=n_sentences)
    words = [w for group in TOY_GRAMMAR.values() for part in group.values() for w in part]
    vocabulary = sorted(set(words))
    index = {word: i for i, word in enumerate(vocabulary)}
    group_of_word = {  # e.g. "animals: nouns" for subjects and objects, "animals: verbs"
        w: f"{name}: {'verbs' if part == 'verbs' else 'nouns'}"
        for name, group in TOY_GRAMMAR.items()
        for part, ws in group.items()
        for w in ws
    }
    g = torch_generator(seed)
    groups = list(TOY_GRAMMAR.values())
    pairs = []
    for _ in range(n_sentences):
        group = groups[int(torch.randint(len(groups), (1,), generator=g))]
        sentence = [
            group[part][int(torch.randint(len(group[part]), (1,), generator=g))]
            for part in ("subjects", "verbs", "objects")
        ]
        for a, b in zip(sentence, sentence[1:], strict=False):
            pairs += [(index[a], index[b]), (index[b], index[a])]
    return vocabulary, torch.tensor(pairs), group_of_word


def recall_task(
    n: int, length: int, vocab_size: int = 4, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random token sequences and a queried position: "which token was at position p?".

    Returns ``tokens (n, length)``, ``query_positions (n,)`` and ``targets (n,)``. A model
    must keep the whole sequence available to answer: ``length * log2(vocab_size)`` bits, which
    a recurrent state must learn to hold, while attention can look the position up.
    """
    check_positive_ints(n=n, length=length, vocab_size=vocab_size)
    g = torch_generator(seed)
    tokens = torch.randint(0, vocab_size, (n, length), generator=g)  # (N, T)
    positions = torch.randint(0, length, (n,), generator=g)  # (N,)
    return tokens, positions, tokens[torch.arange(n), positions]


def histogram_task(
    n: int, length: int = 10, vocab_size: int = 6, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """For each token, how often does it occur in its sequence? Targets are counts minus one.

    Returns ``tokens (n, length)`` and ``targets (n, length)`` in ``[0, length - 1]``. Every
    position must compare itself with every other position: a natural task for attention.
    """
    check_positive_ints(n=n, length=length, vocab_size=vocab_size)
    g = torch_generator(seed)
    tokens = torch.randint(0, vocab_size, (n, length), generator=g)  # (N, T)
    same = tokens[:, :, None] == tokens[:, None, :]  # (N, T, T)
    return tokens, same.sum(dim=-1) - 1  # (N, T), (N, T)
