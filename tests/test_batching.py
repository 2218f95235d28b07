"""course.batching: seeded minibatches of tensors, length-bucketed padded batches, random
windows of a token stream and generated batches of random length."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from course import batching, text
from course import copy_tasks as ct
from course.batching import make_loader, random_batch
from course.seeding import torch_generator
from course.text import PAD_ID


def test_make_loader_is_seeded_and_checks_lengths():
    x = torch.arange(20.0)
    first = [b[0].tolist() for b in make_loader(x, batch_size=5, seed=3)]
    second = [b[0].tolist() for b in make_loader(x, batch_size=5, seed=3)]
    other = [b[0].tolist() for b in make_loader(x, batch_size=5, seed=4)]
    assert first == second and first != other
    with pytest.raises(ValueError, match="same length"):
        make_loader(x, torch.arange(3.0))
    with pytest.raises(ValueError, match="batch_size"):
        make_loader(x, batch_size=0)


def test_text_loader_trims_each_batch_to_its_longest_sentence():
    ids = text.pad_sequences([[2, 3, 4, 5, 6], [2], [3, 4], [5]])  # (4, 5)
    labels = torch.tensor([1, 0, 1, 0])
    loader = batching.make_text_loader(ids, labels, batch_size=2, shuffle=False, min_len=1)
    widths = [batch[0].shape[1] for batch in loader]
    assert widths == [5, 2]
    loader = batching.make_text_loader(ids, labels, batch_size=2, shuffle=False, min_len=3)
    assert [batch[0].shape[1] for batch in loader] == [5, 3]
    assert text.trim_padding(torch.zeros(2, 4, dtype=torch.long), min_len=2).shape == (2, 2)


def test_random_batch_targets_are_inputs_shifted_by_one():
    ids = torch.arange(100)
    x, y = random_batch(ids, 8, 10, torch_generator(0))
    assert x.shape == y.shape == (8, 10)
    assert torch.equal(y[:, :-1], x[:, 1:])
    assert torch.equal(x[:, 1:] - x[:, :-1], torch.ones(8, 9, dtype=torch.long))
    again, _ = random_batch(ids, 8, 10, torch_generator(0))
    assert torch.equal(x, again)
    with pytest.raises(ValueError):
        random_batch(ids, 8, 100, torch_generator(0))


def test_batches_of_random_length_have_one_length_each_within_range():
    batches = batching.batches_of_random_length(ct.make_reversal, 30, 8, 5, 12, seed=0)
    seen = {b[0].shape[1] for b in batches}
    assert all(5 <= n <= 12 for n in seen) and len(seen) > 1
    for src, lengths, _, _ in batches:
        assert (lengths == src.shape[1]).all()
    with pytest.raises(ValueError):
        batching.batches_of_random_length(ct.make_reversal, 3, 8, 10, 5, seed=0)


def test_make_loader_draws_the_order_of_a_plain_shuffled_dataloader():
    x, y = torch.arange(23.0), torch.arange(23) % 3
    ours = make_loader(x, y, batch_size=5, seed=7)
    plain = DataLoader(TensorDataset(x, y), batch_size=5, shuffle=True,
                       generator=torch.Generator().manual_seed(7))
    for _ in range(2):  # two passes: the second order differs from the first, and still agrees
        for (a, b), (c, d) in zip(ours, plain, strict=True):
            assert torch.equal(a, c) and torch.equal(b, d)
    in_order = torch.cat([batch[0] for batch in make_loader(x, batch_size=10, shuffle=False)])
    assert torch.equal(in_order, x)


def test_bucket_sampler_groups_similar_lengths_and_covers_every_index():
    lengths = torch.randint(1, 40, (200,), generator=torch.Generator().manual_seed(0))
    mean_spread = {}
    for pool in (None, 2, 1):
        sampler = batching.BucketBatchSampler(lengths, 10, torch_generator(1), pool=pool)
        batches = list(sampler)
        assert len(batches) == len(sampler) == 20
        assert sorted(i for b in batches for i in b) == list(range(200))
        spreads = [int(lengths[b].max() - lengths[b].min()) for b in batches]
        mean_spread[pool] = sum(spreads) / len(spreads)
    # one pool of everything: neighbours in length; pools of one batch: no bucketing at all
    assert mean_spread[None] <= 3 < mean_spread[2] < mean_spread[1]
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        batching.BucketBatchSampler(lengths, 0, torch_generator(1))


def test_text_loader_trims_every_padded_tensor_of_a_bucketed_batch():
    src = torch.tensor([[5, 6, 0, 0], [5, 0, 0, 0], [7, 8, 9, 0], [4, 0, 0, 0]])
    lengths = (src != PAD_ID).sum(dim=1)
    tgt = torch.tensor([[1, 1, 1, 0, 0], [1, 0, 0, 0, 0], [1, 1, 1, 1, 0], [1, 1, 0, 0, 0]])
    loader = batching.make_text_loader(src, lengths, tgt, batch_size=2, bucket=True, pool=None)
    for batch_src, batch_lengths, batch_tgt in loader:
        assert batch_src.shape[1] == int(batch_lengths.max())
        assert batch_tgt.shape[1] == int((batch_tgt != PAD_ID).sum(dim=1).max())
    sizes = sorted(tuple(batch[1].tolist()) for batch in loader)
    assert sizes == [(1, 1), (2, 3)]  # the two shortest together, the two longest together
    with pytest.raises(ValueError, match="same length"):
        batching.make_text_loader(src, lengths[:3])
