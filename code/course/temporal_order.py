"""The temporal order problem (Hochreiter & Schmidhuber 1997, experiment 6a), as a data set.

A sequence starts with ``E``, ends with the trigger symbol ``B``, and is otherwise filled with
random distractors ``a b c d`` except at two positions ``t1 < t2``, which each hold ``X`` or
``Y``. The class is the order of those two symbols: ``XX``, ``XY``, ``YX`` or ``YY``. In the
paper the length is 100 to 110, ``t1`` lies in 10..20 and ``t2`` in 50..60; here the length
``T`` is a parameter and the two positions scale with it: ``t1`` in about ``[0.1 T, 0.2 T]``
and ``t2`` in about ``[0.5 T, 0.6 T]``.

The helpers at the end run the chapter's experiment: train a recurrent classifier at a given
length and sweep over lengths.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .recurrent import LSTMTrace, RecurrentClassifier
from .training import History, accuracy, evaluate, make_loader, train

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
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
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


@dataclass
class LengthRun:
    """What :func:`train_on_length` measured for one model at one sequence length."""

    cell: str
    length: int
    history: History
    test_acc: float
    seconds: float
    model: RecurrentClassifier = field(repr=False)


def epochs_to_reach(history: History, key: str = "val_acc", threshold: float = 0.95) -> int | None:
    """The first epoch (1-based) whose ``key`` is at least ``threshold``, or ``None`` if never."""
    for epoch, value in enumerate(history[key], start=1):
        if value >= threshold:
            return epoch
    return None


def train_on_length(
    cell: str,
    length: int,
    *,
    hidden_size: int = 16,
    n_train: int = 2048,
    n_test: int = 1024,
    epochs: int = 30,
    batch_size: int = 64,
    lr: float = 1e-2,
    seed: int = 0,
    device: torch.device | None = None,
    grad_clip: float | None = 1.0,
    forget_bias: float = 2.0,
    start_from: RecurrentClassifier | None = None,
) -> LengthRun:
    """Train a ``cell`` classifier (``"rnn"``, ``"lstm"`` or ``"gru"``) on sequences of ``length``.

    Fresh training and test sets are drawn from different seeds; the test set doubles as the
    validation set in the history. The model starts from random weights (seeded by ``seed``),
    or from a copy of ``start_from`` to continue training a model on another length. Returns
    the history, the final test accuracy and the training time.
    """
    train_set = make_temporal_order(n_train, length, seed=seed)
    test_set = make_temporal_order(n_test, length, seed=seed + 10_000)
    torch.manual_seed(seed)
    if start_from is None:
        model = RecurrentClassifier(
            cell, len(SYMBOLS), hidden_size, len(CLASS_NAMES), forget_bias=forget_bias
        )
    elif start_from.cell != cell:
        raise ValueError(f"start_from is a {start_from.cell!r} model, not {cell!r}")
    else:
        model = copy.deepcopy(start_from)
    if device is not None:
        model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    train_loader = make_loader(train_set.inputs, train_set.labels, batch_size=batch_size, seed=seed)
    test_loader = make_loader(test_set.inputs, test_set.labels, batch_size=1024, shuffle=False)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    history = train(
        model, train_loader, loss_fn, optimizer, epochs=epochs, val_loader=test_loader,
        metrics={"acc": accuracy}, device=device, grad_clip=grad_clip,
    )
    seconds = time.perf_counter() - start
    test_acc = evaluate(model, test_loader, loss_fn, {"acc": accuracy}, device)["acc"]
    return LengthRun(cell, length, history, test_acc, seconds, model)


@torch.no_grad()
def accuracy_at_length(
    model: nn.Module, length: int, *, n: int = 1024, seed: int = 20_000
) -> float:
    """Accuracy of a trained ``model`` on ``n`` fresh sequences of ``length`` symbols."""
    data = make_temporal_order(n, length, seed=seed)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    logits = model(data.inputs.to(device))  # (N, 4)
    model.train(was_training)
    return accuracy(logits, data.labels.to(device))


def length_sweep(
    cells: Sequence[str], lengths: Sequence[int], **kwargs
) -> dict[tuple[str, int], LengthRun]:
    """:func:`train_on_length` for every pair of cell and length; keyword arguments pass through."""
    return {(cell, length): train_on_length(cell, length, **kwargs)
            for cell in cells for length in lengths}


def gradient_reach(norms: torch.Tensor, steps: Sequence[int] | range) -> float:
    """Mean of the gradient norms ``(T,)`` at ``steps``, relative to the norm at the last step."""
    if norms.dim() != 1:
        raise ValueError(f"norms must be one value per step, got shape {tuple(norms.shape)}")
    picked = norms[list(steps)]
    return float(picked.mean() / norms[-1])


def cell_after_first_symbol(trace: LSTMTrace, data: TemporalOrderData) -> dict[str, torch.Tensor]:
    """Mean cell state ``(H,)`` just after the first relevant symbol, split by that symbol.

    ``trace`` is :func:`course.recurrent.trace_lstm` run on ``data.inputs`` (one-hot). Returns
    ``{"X": ..., "Y": ...}``: a unit that stores the first symbol has different values there.
    """
    n = len(data.labels)
    if trace.cell.shape[0] != n:
        raise ValueError(f"trace has {trace.cell.shape[0]} sequences, data has {n}")
    device = trace.cell.device
    rows = torch.arange(n, device=device)
    after_first = trace.cell[rows, data.positions[:, 0].to(device)].cpu()  # (N, H)
    first_is_y = (data.labels // 2).bool()  # classes YX and YY
    return {"X": after_first[~first_is_y].mean(dim=0), "Y": after_first[first_is_y].mean(dim=0)}
