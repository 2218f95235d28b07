"""Batches for training: every batcher of the course, in one place.

* :func:`make_loader`: shuffled (or ordered) minibatches of equally long tensors. This is
  PyTorch's own ``DataLoader`` over a ``TensorDataset``, with its sampler wrapped in a
  ``BatchSampler`` so that each batch is one indexing operation instead of a gathering of
  examples one at a time; the order is the one ``DataLoader(..., shuffle=True, generator=...)``
  draws. (A whole data set trained as one batch needs no loader: ``[(x, y)]``.)
* :class:`BucketBatchSampler` and :func:`make_text_loader`: batches of variable-length sequences
  of similar length, each trimmed to its longest row, so that little of a batch is padding.
* :func:`random_batch`: random windows of a token stream and their next-token targets, for
  language models, which see a fresh draw every step rather than epochs.
* :func:`batches_of_random_length`: freshly generated batches, each at one length drawn at
  random, for synthetic tasks whose examples are made rather than stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    Sampler,
    SequentialSampler,
    TensorDataset,
)

from .checks import check_positive_int, check_same_length
from .text import PAD_ID, trim_padding


def make_loader(
    *tensors: torch.Tensor, batch_size: int = 64, shuffle: bool = True, seed: int = 0
) -> DataLoader:
    """Minibatches ``[t[idx] for t in tensors]`` of equally long tensors, reshuffled on each
    pass in an order fixed by ``seed`` (or in order with ``shuffle=False``)."""
    if not tensors:
        raise ValueError("make_loader needs at least one tensor")
    check_same_length(tensors, "tensors")
    check_positive_int(batch_size, "batch_size")
    dataset = TensorDataset(*tensors)
    generator = torch.Generator().manual_seed(seed)
    order = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
    batches = BatchSampler(order, batch_size, drop_last=False)
    # batch_size=None: the dataset is indexed with a whole batch of indices at once
    return DataLoader(dataset, sampler=batches, batch_size=None, generator=generator)


class BucketBatchSampler(Sampler[list[int]]):
    """Batches of indices of sequences of similar length, in a seeded random order.

    Each pass shuffles all indices, cuts them into pools of ``pool`` batches (``None``: one pool
    of everything), sorts each pool by length, cuts it into batches and shuffles the batches:
    every batch is drawn at random, but holds sequences of about the same length, so little of
    it is padding.
    """

    def __init__(
        self,
        lengths: torch.Tensor,
        batch_size: int,
        generator: torch.Generator,
        pool: int | None = 50,
    ) -> None:
        check_positive_int(batch_size, "batch_size")
        if pool is not None:
            check_positive_int(pool, "pool")
        if lengths.dim() != 1:
            raise ValueError(f"lengths must be one number per sequence, got {tuple(lengths.shape)}")
        self.lengths = lengths
        self.batch_size = batch_size
        self.generator = generator
        self.pool = pool

    def __len__(self) -> int:
        return (len(self.lengths) + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[list[int]]:
        order = torch.randperm(len(self.lengths), generator=self.generator)
        pool_size = len(order) if self.pool is None else self.batch_size * self.pool
        batches = []
        for pool in order.split(max(pool_size, 1)):
            by_length = pool[torch.argsort(self.lengths[pool], stable=True)]
            batches += by_length.split(self.batch_size)
        for b in torch.randperm(len(batches), generator=self.generator).tolist():
            yield batches[b].tolist()


def make_text_loader(
    *tensors: torch.Tensor,
    batch_size: int = 50,
    shuffle: bool = True,
    seed: int = 0,
    min_len: int = 1,
    bucket: bool = False,
    lengths: torch.Tensor | None = None,
    pool: int | None = 50,
) -> DataLoader:
    """Batches of padded sequences: the rows of ``tensors`` (token ids ``(N, T)``, labels
    ``(N,)``, ...), each 2-D tensor of a batch trimmed to its longest row (at least ``min_len``
    wide). The shuffling order is fixed by ``seed``.

    With ``bucket=True`` (and ``shuffle``) each batch holds rows of similar ``lengths``
    (:class:`BucketBatchSampler`; by default the non-padding ids of the first tensor), which
    saves the work spent on padding.
    """
    if not tensors:
        raise ValueError("make_text_loader needs at least one tensor")
    if tensors[0].dim() != 2:
        shape = tuple(tensors[0].shape)
        raise ValueError(f"the first tensor must be token ids (N, T), got {shape}")
    check_same_length(tensors, "tensors")
    check_positive_int(batch_size, "batch_size")

    def collate(rows: list[tuple[torch.Tensor, ...]]) -> tuple[torch.Tensor, ...]:
        stacked = [torch.stack(column) for column in zip(*rows, strict=True)]  # (B, ...) each
        return tuple(trim_padding(t, min_len) if t.dim() == 2 else t for t in stacked)

    generator = torch.Generator().manual_seed(seed)
    dataset = TensorDataset(*tensors)
    if bucket and shuffle:
        if lengths is None:
            lengths = (tensors[0] != PAD_ID).sum(dim=1)  # (N,)
        sampler = BucketBatchSampler(lengths, batch_size, generator, pool)
        return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate)
    return DataLoader(
        dataset, batch_size=batch_size, shuffle=shuffle, generator=generator, collate_fn=collate
    )


def random_batch(
    ids: torch.Tensor,
    batch_size: int,
    block_size: int,
    generator: torch.Generator,
    device: torch.device | str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """``batch_size`` random windows of ``block_size`` tokens and the same windows shifted by one.

    Returns inputs ``x (B, T)`` and next-token targets ``y (B, T)`` with ``y[:, t] = x[:, t+1]``
    in the original sequence; the start positions are drawn with ``generator`` (on the CPU).
    """
    if ids.dim() != 1:
        raise ValueError(f"ids must be 1-D, got shape {tuple(ids.shape)}")
    check_positive_int(batch_size, "batch_size")
    check_positive_int(block_size, "block_size")
    if len(ids) <= block_size:
        raise ValueError(f"need more than block_size={block_size} tokens, got {len(ids)}")
    starts = torch.randint(len(ids) - block_size, (batch_size,), generator=generator)  # (B,)
    offsets = torch.arange(block_size)  # (T,)
    x = ids[starts[:, None] + offsets]  # (B, T)
    y = ids[starts[:, None] + offsets + 1]  # (B, T)
    return x.to(device), y.to(device)


def batches_of_random_length(
    make: Callable[[int, int, int], Sequence[torch.Tensor]],
    n_batches: int,
    batch_size: int,
    min_len: int,
    max_len: int,
    seed: int,
) -> list[tuple[torch.Tensor, ...]]:
    """``n_batches`` batches ``make(batch_size, length, seed)``, each of one length drawn
    uniformly from ``[min_len, max_len]`` with its own seed, all drawn from ``seed``.

    Keeping each batch at one length avoids padding and lets a training loop run as many
    decoder steps as the batch needs.
    """
    check_positive_int(n_batches, "n_batches")
    check_positive_int(batch_size, "batch_size")
    if not 1 <= min_len <= max_len:
        raise ValueError(f"need 1 <= min_len <= max_len, got {min_len}, {max_len}")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_len, max_len + 1, size=n_batches)
    seeds = rng.integers(0, 2**31, size=n_batches)
    return [tuple(make(batch_size, int(n), int(s))) for n, s in zip(lengths, seeds, strict=True)]
