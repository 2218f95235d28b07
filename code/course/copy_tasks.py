"""Synthetic sequence-to-sequence tasks whose difficulty grows with length: reversing digits.

The source is a string of random digits, the target the same digits in reverse order followed by
``EOS``. A decoder that sees only one fixed-size summary of the source must store every digit in
it, which gets harder as the string grows; a decoder with attention can look the digit up.
Digits ``0..9`` are the token ids ``DIGIT_OFFSET + d`` (the ids below are the special tokens of
:mod:`course.seq2seq`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .seq2seq import Seq2Seq, greedy_decode
from .text import BOS_ID, EOS_ID

DIGIT_OFFSET = 4
VOCAB_SIZE = DIGIT_OFFSET + 10

Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


def make_reversal(n: int, length: int, seed: int) -> Batch:
    """``n`` random digit strings of one ``length`` and their reversals.

    Returns ``(src (n, L), src_lengths (n,), tgt_in (n, L+1), tgt_out (n, L+1))`` with
    ``tgt_in = [BOS, reversed]`` and ``tgt_out = [reversed, EOS]`` (teacher forcing).
    """
    if not isinstance(n, int) or n < 1 or not isinstance(length, int) or length < 1:
        raise ValueError(f"n and length must be positive integers, got {n!r}, {length!r}")
    rng = np.random.default_rng(seed)
    digits = rng.integers(0, 10, size=(n, length))  # (n, L)
    src = torch.as_tensor(digits + DIGIT_OFFSET, dtype=torch.long)  # (n, L)
    reversed_src = src.flip(1)  # (n, L)
    bos = torch.full((n, 1), BOS_ID, dtype=torch.long)
    eos = torch.full((n, 1), EOS_ID, dtype=torch.long)
    lengths = torch.full((n,), length, dtype=torch.long)  # (n,)
    return src, lengths, torch.cat([bos, reversed_src], 1), torch.cat([reversed_src, eos], 1)


@dataclass(frozen=True)
class LengthScores:
    """Accuracy of greedy decoding per source length: per digit and per whole string."""

    lengths: tuple[int, ...]
    token_accuracy: tuple[float, ...]
    sequence_accuracy: tuple[float, ...]


def decoded_accuracy(predicted: torch.Tensor, tgt_out: torch.Tensor) -> tuple[float, float]:
    """``(token accuracy, sequence accuracy)`` of ``predicted (B, T')`` against ``tgt_out (B, T)``.

    Position ``i`` counts as right if the prediction there equals the target (missing
    positions are wrong); a string is right if all its positions, ``EOS`` included, are.
    """
    length = tgt_out.shape[1]
    if predicted.shape[1] < length:
        pad = torch.zeros(predicted.shape[0], length - predicted.shape[1], dtype=predicted.dtype)
        predicted = torch.cat([predicted, pad.to(predicted.device)], 1)
    correct = predicted[:, :length] == tgt_out  # (B, T)
    return correct.float().mean().item(), correct.all(dim=1).float().mean().item()


def accuracy_by_length(
    model: Seq2Seq,
    lengths: Sequence[int],
    n_per_length: int = 200,
    seed: int = 1234,
    device: torch.device | str = "cpu",
) -> LengthScores:
    """Greedy-decoding accuracy of ``model`` on fresh reversal strings of each length."""
    tokens, sequences = [], []
    for k, length in enumerate(lengths):
        src, src_len, _, tgt_out = make_reversal(n_per_length, int(length), seed + k)
        predicted, _ = greedy_decode(model, src.to(device), src_len.to(device), length + 1)
        token_acc, seq_acc = decoded_accuracy(predicted.cpu(), tgt_out)
        tokens.append(token_acc)
        sequences.append(seq_acc)
    return LengthScores(tuple(int(n) for n in lengths), tuple(tokens), tuple(sequences))


def digits_text(ids: torch.Tensor) -> str:
    """The digits of a row of token ids, e.g. ``'40721'`` (special tokens dropped)."""
    return "".join(str(int(i) - DIGIT_OFFSET) for i in ids if int(i) >= DIGIT_OFFSET)
