"""Tests of course.data_parallel: slicing a batch among processes, measuring the training state,
and real two-process runs with DDP and with FSDP."""

from __future__ import annotations

import pytest
import torch

from course import data_parallel as dp


def test_rank_slices_are_equal_disjoint_and_cover_the_batch():
    batch = torch.arange(12).reshape(6, 2)
    slices = [dp.rank_slice(batch, rank, 3) for rank in range(3)]
    assert [s.shape[0] for s in slices] == [2, 2, 2]
    assert torch.equal(torch.cat(slices), batch)


@pytest.mark.parametrize("rank, world_size, message", [
    (0, 4, "cannot be split equally"), (3, 3, "rank must be in"), (-1, 2, "rank must be in"),
])
def test_bad_slices_are_refused(rank, world_size, message):
    with pytest.raises(ValueError, match=message):
        dp.rank_slice(torch.zeros(6, 3), rank, world_size)


def test_the_global_batch_is_the_same_for_a_seed_and_step():
    first = dp.global_batch(0, 3, 4)
    assert first.shape == (4, dp.CONFIG.block_size + 1)
    assert torch.equal(first, dp.global_batch(0, 3, 4))
    assert not torch.equal(first, dp.global_batch(0, 4, 4))
    assert int(first.max()) < dp.CONFIG.vocab_size


def test_mean_of_slice_gradients_is_the_batch_gradient():
    """The proposition of the efficiency chapter, in one process: equal slices, mean losses."""
    model = dp.make_model(seed=1)
    batch = dp.global_batch(1, 0, 8)
    whole = dp.batch_gradient(model, batch)
    parts = [dp.batch_gradient(model, dp.rank_slice(batch, r, 4)) for r in range(4)]
    assert torch.allclose(torch.stack(parts).mean(0), whole, atol=1e-6, rtol=1e-5)


def test_launch_checks_its_arguments():
    with pytest.raises(ValueError, match="multiple of nproc"):
        dp.launch(3, batch_size=16)
    with pytest.raises(ValueError):
        dp.launch(0)
    with pytest.raises(ValueError, match="strategy must be one of"):
        dp.launch(2, strategy="zero")


def test_training_state_bytes_of_one_process_match_the_float32_formula():
    from course.scaling import zero_memory_per_rank

    model = dp.make_model(seed=0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    tokens = dp.global_batch(0, 0, 4)
    before = dp.training_state_bytes(model, optimizer)
    assert before["gradients"] == before["optimizer"] == before["step_counters"] == 0
    dp.batch_gradient(model, tokens)
    optimizer.step()
    state = dp.training_state_bytes(model, optimizer)
    n_params = sum(p.numel() for p in model.parameters())  # the tied head counted once
    formula = zero_memory_per_rank(n_params, 1, 0, parameter_bytes=4, gradient_bytes=4,
                                   optimizer_bytes=8)
    assert (state["parameters"], state["gradients"], state["optimizer"]) == (
        formula.parameters, formula.gradients, formula.optimizer)
    assert state["step_counters"] == 4 * len(list(model.parameters()))  # one float per tensor


@pytest.mark.slow
def test_two_processes_average_to_the_whole_batch_gradient():
    two = dp.launch(2, batch_size=8, steps=2)
    whole = dp.batch_gradient(dp.make_model(seed=0), dp.global_batch(0, 0, 8))
    assert two["world_size"] == 2 and two["steps"] == 2
    assert torch.allclose(two["gradient"], whole, atol=1e-6, rtol=1e-5)
    assert two["sequences_per_second"] > 0


@pytest.mark.slow
def test_fsdp_shards_the_state_and_trains_like_one_process():
    steps = 3
    sharded = dp.launch(2, batch_size=8, steps=steps, strategy="fsdp")
    one = dp.launch(1, batch_size=8, steps=steps)
    model = dp.make_model(seed=0)
    whole = dp.batch_gradient(model, dp.global_batch(0, 0, 8))
    assert sharded["strategy"] == "fsdp" and sharded["world_size"] == 2
    assert torch.allclose(sharded["gradient"], whole, atol=1e-6, rtol=1e-5)
    assert torch.allclose(sharded["losses"], one["losses"], atol=1e-5)
    # FSDP2 cuts each parameter into torch.chunk's row blocks: rank r keeps the r-th block
    for rank, state in enumerate(sharded["state_bytes"]):
        rows = sum(
            chunks[rank].numel() if rank < len(chunks) else 0
            for chunks in (torch.chunk(p.detach(), 2, dim=0) for p in model.parameters())
        )
        assert state["parameters"] == state["gradients"] == 4 * rows
        assert state["optimizer"] == 2 * 4 * rows  # Adam's two moments, float32
    unsharded = one["state_bytes"][0]
    for part in ("parameters", "gradients", "optimizer"):
        assert sum(state[part] for state in sharded["state_bytes"]) == unsharded[part]


@pytest.mark.filterwarnings("ignore:FSDP is switching to use `NO_SHARD`")
def test_the_older_fsdp_wrapper_needs_the_cpu_named_on_a_cpu_only_machine():
    """What the chapter says of FullyShardedDataParallel: without a GPU it stops unless it is
    given device_id=torch.device("cpu"), and then it shards on the CPU too."""
    import torch.distributed as dist
    from torch.distributed.fsdp import FullyShardedDataParallel

    if torch.accelerator.is_available():
        pytest.skip("this machine has an accelerator: the wrapper would use it")
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        with pytest.raises(RuntimeError, match="non-CPU accelerator"):
            FullyShardedDataParallel(dp.make_model(seed=0))
        wrapped = FullyShardedDataParallel(dp.make_model(seed=0), device_id=torch.device("cpu"))
        tokens = dp.global_batch(0, 0, 2)
        _, loss = wrapped(tokens[:, :-1], tokens[:, 1:])
        loss.backward()
        assert torch.isfinite(loss)
    finally:
        dist.destroy_process_group()
