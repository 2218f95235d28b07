"""English-to-French pairs from Tatoeba (:func:`course.datasets.load_fra_eng`), ready for a
small sequence-to-sequence model: filter to short sentences, tokenise, split, encode, translate
greedily and score with BLEU (sacrebleu, Post 2018).

Many English sentences occur several times
with different French translations, so the split into training and test sets is made by
English sentence: no test sentence is seen in training.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .checks import check_positive_int
from .seq2seq import Seq2Seq, greedy_decode, strip_special
from .text import BOS, BOS_ID, EOS, EOS_ID, PAD, PAD_ID, UNK, Vocabulary, tokenize

Pair = tuple[list[str], list[str]]


def filter_pairs(
    pairs: Sequence[tuple[str, str]], max_tokens: int, min_tokens: int = 1
) -> list[Pair]:
    """Tokenised pairs whose two sides both have ``min_tokens..max_tokens`` tokens."""
    if not isinstance(max_tokens, int) or not 1 <= min_tokens <= max_tokens:
        raise ValueError(f"need 1 <= min_tokens <= max_tokens, got {min_tokens}, {max_tokens}")
    kept = []
    for english, french in pairs:
        if len(english.split()) > max_tokens or len(french.split()) > max_tokens:
            continue  # cheap pre-check: tokenising never merges whitespace-separated words
        source, target = tokenize(english), tokenize(french)
        if min_tokens <= len(source) <= max_tokens and min_tokens <= len(target) <= max_tokens:
            kept.append((source, target))
    return kept


def split_by_source(
    pairs: Sequence[Pair], test_fraction: float, seed: int
) -> tuple[list[Pair], list[Pair]]:
    """Training and test pairs; all pairs with the same source sentence go to the same side."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    sources = sorted({" ".join(source) for source, _ in pairs})
    rng = np.random.default_rng(seed)
    n_test = max(1, round(test_fraction * len(sources)))
    test_sources = {sources[i] for i in rng.permutation(len(sources))[:n_test]}
    train = [p for p in pairs if " ".join(p[0]) not in test_sources]
    test = [p for p in pairs if " ".join(p[0]) in test_sources]
    return train, test


def subsample(pairs: Sequence[Pair], n: int, seed: int) -> list[Pair]:
    """``n`` pairs drawn without replacement (all of them if there are fewer), in file order."""
    check_positive_int(n, "n")
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.permutation(len(pairs))[:n])
    return [pairs[i] for i in rows]


def first_per_source(pairs: Sequence[Pair]) -> list[Pair]:
    """One pair per distinct source sentence (the first), so no test sentence counts twice."""
    seen: set[str] = set()
    kept = []
    for source, target in pairs:
        key = " ".join(source)
        if key not in seen:
            seen.add(key)
            kept.append((source, target))
    return kept


def build_vocabulary(
    sentences: Sequence[Sequence[str]], min_count: int = 2, max_size: int | None = None
) -> Vocabulary:
    """Ids ``<pad>=0, <unk>=1, <bos>=2, <eos>=3`` (as in :mod:`course.seq2seq`), then words seen
    at least ``min_count`` times, by falling frequency (at most ``max_size`` ids in all)."""
    counts = Counter(token for sentence in sentences for token in sentence)
    kept = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
    if max_size is not None:
        kept = kept[: max(0, max_size - 4)]
    vocab = Vocabulary([PAD, UNK, BOS, EOS, *kept], [0, 0, 0, 0, *(counts[t] for t in kept)])
    assert (vocab.index(PAD), vocab.index(BOS), vocab.index(EOS)) == (PAD_ID, BOS_ID, EOS_ID)
    return vocab


def encode_pairs(
    pairs: Sequence[Pair], source_vocab: Vocabulary, target_vocab: Vocabulary
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Padded ``(src (N, S), src_lengths (N,), tgt_in (N, T+1), tgt_out (N, T+1))``."""
    if not pairs:
        raise ValueError("no pairs to encode")
    sources = [source_vocab.encode(s) for s, _ in pairs]
    targets = [target_vocab.encode(t) for _, t in pairs]
    src = torch.full((len(pairs), max(map(len, sources))), PAD_ID, dtype=torch.long)
    tgt_in = torch.full((len(pairs), max(map(len, targets)) + 1), PAD_ID, dtype=torch.long)
    tgt_out = tgt_in.clone()
    for n, (s, t) in enumerate(zip(sources, targets, strict=True)):
        src[n, : len(s)] = torch.tensor(s)
        tgt_in[n, : len(t) + 1] = torch.tensor([BOS_ID, *t])
        tgt_out[n, : len(t) + 1] = torch.tensor([*t, EOS_ID])
    lengths = torch.tensor([len(s) for s in sources])
    return src, lengths, tgt_in, tgt_out


@dataclass(frozen=True)
class Translations:
    """Greedy translations of some sources, as token lists, with their attention weights."""

    sources: list[list[str]]
    outputs: list[list[str]]
    weights: list[np.ndarray | None]


def translate(
    model: Seq2Seq,
    sentences: Sequence[Sequence[str]],
    source_vocab: Vocabulary,
    target_vocab: Vocabulary,
    max_len: int = 20,
    device: torch.device | str = "cpu",
) -> Translations:
    """Greedy translations of tokenised ``sentences``; weights ``(output, source)`` per sentence
    (unknown source words show as ``<unk>``)."""
    ids = [source_vocab.encode(s) for s in sentences]
    src = torch.full((len(ids), max(map(len, ids))), PAD_ID, dtype=torch.long)
    for n, row in enumerate(ids):
        src[n, : len(row)] = torch.tensor(row)
    lengths = torch.tensor([len(row) for row in ids])
    tokens, weights = greedy_decode(model, src.to(device), lengths.to(device), max_len)
    sources, outputs, maps = [], [], []
    for n, row in enumerate(ids):
        out = strip_special(tokens[n].tolist())
        sources.append(source_vocab.decode(row))
        outputs.append(target_vocab.decode(out))
        maps.append(None if weights is None else
                    weights[n, : len(out) + 1, : len(row)].cpu().numpy())
    return Translations(sources, outputs, maps)


def corpus_bleu(hypotheses: Sequence[Sequence[str]], references: Sequence[Sequence[str]]) -> float:
    """Corpus BLEU (Papineni et al., 2002) computed by sacrebleu on space-joined tokens, one
    reference per sentence. The text is already tokenised by :func:`course.text.tokenize`, so
    sacrebleu's own tokeniser is switched off (``tokenize="none"``)."""
    from sacrebleu.metrics import BLEU

    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    hyps = [" ".join(h) for h in hypotheses]
    refs = [" ".join(r) for r in references]
    return float(BLEU(tokenize="none", force=True).corpus_score(hyps, [refs]).score)
