"""The temporal order problem (Hochreiter & Schmidhuber 1997, experiment 6a), as a data set.

A sequence starts with ``E``, ends with the trigger symbol ``B``, and is otherwise filled with
random distractors ``a b c d`` except at two positions ``t1 < t2``, which each hold ``X`` or
``Y``. The class is the order of those two symbols: ``XX``, ``XY``, ``YX`` or ``YY``. In the
paper the length is 100 to 110, ``t1`` lies in 10..20 and ``t2`` in 50..60; here the length
``T`` is a parameter and the two positions scale with it: ``t1`` in about ``[0.1 T, 0.2 T]``
and ``t2`` in about ``[0.5 T, 0.6 T]``.

The chapter's experiment (training a recurrent classifier at each length) is in
:mod:`course.chapters.temporal_order`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .checks import check_positive_int

SYMBOLS: tuple[str, ...] = ("a", "b", "c", "d", "X", "Y", "E", "B")
"""The eight input symbols; a symbol's index here is its token id and its one-hot position."""
DISTRACTORS: tuple[str, ...] = ("a", "b", "c", "d")
RELEVANT: tuple[str, ...] = ("X", "Y")
START, TRIGGER = "E", "B"
CLASS_NAMES: tuple[str, ...] = ("XX", "XY", "YX", "YY")
"""Class ``k`` is the pair of relevant symbols ``CLASS_NAMES[k]``, in order of appearance."""
MIN_LENGTH = 8

_INDEX = {symbol: i for i, symbol in enumerate(SYMBOLS)}


@dataclass(frozen=True)
class TemporalOrderData:
    """A batch of temporal-order sequences.

    ``inputs`` are token ids ``(N, T)`` (``encoding="index"``) or one-hot floats ``(N, T, 8)``
    (``encoding="onehot"``); ``labels`` ``(N,)`` are class ids into :data:`CLASS_NAMES`;
    ``positions`` ``(N, 2)`` hold ``t1`` and ``t2``, the 0-based places of the relevant symbols.
    """

    inputs: torch.Tensor
    labels: torch.Tensor
    positions: torch.Tensor


def relevant_windows(length: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Inclusive ranges ``(lo, hi)`` of ``t1`` and ``t2`` for sequences of ``length`` symbols.

    They follow the paper's proportions (10..20 and 50..60 out of about 100) and always leave
    position 0 for ``E``, the last position for ``B`` and ``t1 < t2``.
    """
    if not isinstance(length, int) or length < MIN_LENGTH:
        raise ValueError(f"length must be an integer >= {MIN_LENGTH}, got {length!r}")
    first = (max(1, round(0.1 * length)), max(1, round(0.2 * length)))
    second = (max(first[1] + 1, round(0.5 * length)), min(length - 2, round(0.6 * length)))
    return first, second


def class_of(first: str, second: str) -> int:
    """The class id of a sequence whose relevant symbols are ``first`` then ``second``."""
    if first not in RELEVANT or second not in RELEVANT:
        raise ValueError(f"relevant symbols must be in {RELEVANT}, got {first!r}, {second!r}")
    return CLASS_NAMES.index(first + second)


def make_temporal_order(
    n: int, length: int, *, seed: int = 0, encoding: str = "onehot"
) -> TemporalOrderData:
    """Draw ``n`` labelled sequences of ``length`` symbols, reproducibly from ``seed``."""
    check_positive_int(n, "n")
    if encoding not in ("onehot", "index"):
        raise ValueError(f"encoding must be 'onehot' or 'index', got {encoding!r}")
    (lo1, hi1), (lo2, hi2) = relevant_windows(length)
    rng = np.random.default_rng(seed)
    distractor_ids = np.array([_INDEX[s] for s in DISTRACTORS])
    tokens = distractor_ids[rng.integers(len(DISTRACTORS), size=(n, length))]  # (N, T)
    tokens[:, 0] = _INDEX[START]
    tokens[:, -1] = _INDEX[TRIGGER]
    positions = np.stack(
        [rng.integers(lo1, hi1 + 1, size=n), rng.integers(lo2, hi2 + 1, size=n)], axis=1
    )  # (N, 2)
    is_y = rng.integers(2, size=(n, 2))  # (N, 2): 0 for X, 1 for Y
    rows = np.arange(n)[:, None]  # (N, 1)
    tokens[rows, positions] = _INDEX["X"] + is_y
    labels = 2 * is_y[:, 0] + is_y[:, 1]  # XX=0, XY=1, YX=2, YY=3
    ids = torch.from_numpy(tokens).long()
    inputs = one_hot(ids) if encoding == "onehot" else ids
    return TemporalOrderData(
        inputs=inputs,
        labels=torch.from_numpy(labels).long(),
        positions=torch.from_numpy(positions).long(),
    )


def one_hot(tokens: torch.Tensor) -> torch.Tensor:
    """One-hot float vectors ``(..., 8)`` for integer token ids ``(...)``."""
    if tokens.dtype not in (torch.int32, torch.int64):
        raise TypeError(f"tokens must be an integer tensor, got {tokens.dtype}")
    return nn.functional.one_hot(tokens, num_classes=len(SYMBOLS)).float()


def decode(tokens: torch.Tensor | Sequence[int]) -> str:
    """The symbols of one sequence of token ids (or of one-hot rows) as a string."""
    tokens = torch.as_tensor(tokens)
    if tokens.dim() == 2:  # one-hot (T, 8)
        tokens = tokens.argmax(dim=-1)
    if tokens.dim() != 1:
        raise ValueError(f"decode takes one sequence, got shape {tuple(tokens.shape)}")
    return "".join(SYMBOLS[i] for i in tokens.tolist())


def relevant_mask(positions: torch.Tensor, length: int) -> torch.Tensor:
    """A bool ``(N, T)`` mask that is true at the two relevant positions of each sequence."""
    if positions.dim() != 2 or positions.shape[1] != 2:
        raise ValueError(f"positions must have shape (N, 2), got {tuple(positions.shape)}")
    mask = torch.zeros(positions.shape[0], length, dtype=torch.bool)  # (N, T)
    mask.scatter_(1, positions.cpu(), True)
    return mask


# ---------------------------------------------------------------------------------------------
# The experiment: one model at one length, and the sweep over lengths
