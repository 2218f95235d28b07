"""Data-parallel training with ``torch.distributed``: the worker torchrun starts, and a launcher.

Every process (a *rank*) builds the same GPT from the same seed, and each step every rank takes
its own equal slice of one global batch. ``DistributedDataParallel`` averages the ranks'
gradients during the backward pass (an all-reduce), so every rank takes the same optimiser step
and the models stay identical. Because each rank's loss is the mean over its slice and the
slices are equal, the average of the ranks' gradients is the gradient of the mean loss over the
whole batch: what one process would compute on the whole batch.

Run a worker the way users do, ``torchrun --standalone --nproc_per_node=2 -m
course.data_parallel --out result.pt``, or from Python with :func:`launch`. On a CPU the
processes talk through the ``gloo`` backend; on GPUs one runs one process per device with
``nccl``. The worker writes its measurements (rank 0 only) to ``--out``.

With ``--strategy fsdp`` the ranks do not keep a copy each: PyTorch's fully sharded data
parallelism (FSDP2, ``torch.distributed.fsdp.fully_shard``; Zhao et al., 2023) cuts every
parameter, its gradient and its Adam state along the first dimension among the ranks (ZeRO
stage 3, Rajbhandari et al., 2020), and all-gathers a block's parameters only while it computes.
:func:`training_state_bytes` measures what each rank keeps.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from .checks import check_one_of, check_positive_int
from .gpt import GPT, GPTConfig

# a small GPT, so that a launch takes seconds on a laptop
CONFIG = GPTConfig(vocab_size=65, block_size=32, n_layer=2, n_head=2, n_embd=64)
STRATEGIES = ("ddp", "fsdp")


def make_model(seed: int, config: GPTConfig = CONFIG) -> GPT:
    """The GPT every rank starts from: the same weights for the same seed."""
    torch.manual_seed(seed)
    return GPT(config)


def global_batch(seed: int, step: int, batch_size: int, config: GPTConfig = CONFIG) -> torch.Tensor:
    """Step ``step``'s batch of random token sequences ``(B, T + 1)``, the same on every rank."""
    generator = torch.Generator().manual_seed(seed * 1_000_003 + step)
    shape = (batch_size, config.block_size + 1)
    return torch.randint(config.vocab_size, shape, generator=generator)  # (B, T + 1)


def rank_slice(batch: torch.Tensor, rank: int, world_size: int) -> torch.Tensor:
    """Rank ``rank``'s equal, contiguous share of ``batch`` (its first dimension)."""
    check_positive_int(world_size, "world_size")
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must be in [0, {world_size}), got {rank}")
    if batch.shape[0] % world_size != 0:
        raise ValueError(
            f"a batch of {batch.shape[0]} cannot be split equally among {world_size} processes: "
            "choose a batch size that is a multiple of the number of processes"
        )
    share = batch.shape[0] // world_size
    return batch[rank * share : (rank + 1) * share]  # (B / world_size, T + 1)


def _is_sharded(tensor: torch.Tensor) -> bool:
    """Whether ``tensor`` is a ``DTensor``, as FSDP's parameters are. Importing
    ``torch.distributed.tensor`` takes seconds, so a process that never imported it (DDP only)
    is not made to: it cannot hold a ``DTensor``."""
    module = sys.modules.get("torch.distributed.tensor")
    return module is not None and isinstance(tensor, module.DTensor)


def _whole(tensor: torch.Tensor) -> torch.Tensor:
    """A sharded ``DTensor`` gathered whole (a collective: every rank must call it), else itself."""
    return tensor.full_tensor() if _is_sharded(tensor) else tensor


def _local(tensor: torch.Tensor) -> torch.Tensor:
    """The part of ``tensor`` this rank holds: its shard of a ``DTensor``, else all of it."""
    return tensor.to_local() if _is_sharded(tensor) else tensor


def flat_gradient(model: torch.nn.Module) -> torch.Tensor:
    """Every parameter's gradient, concatenated into one vector (zeros where there is none).

    Under FSDP each rank holds a shard of each gradient; they are gathered whole first.
    """
    return torch.cat([
        (_whole(p.grad) if p.grad is not None else torch.zeros(p.shape, dtype=p.dtype)).reshape(-1)
        for p in model.parameters()
    ])


def training_state_bytes(model: torch.nn.Module,
                         optimizer: torch.optim.Optimizer) -> dict[str, int]:
    """The bytes of training state this rank keeps: parameters, gradients, optimiser state.

    Only this rank's shards count under FSDP. The optimiser's per-tensor step counters (one
    number per parameter tensor, not per parameter) are counted apart, as ``"step_counters"``.
    """
    def nbytes(tensor: torch.Tensor) -> int:
        local = _local(tensor)
        return local.numel() * local.element_size()

    parameters = list(model.parameters())
    counts = {
        "parameters": sum(nbytes(p) for p in parameters),
        "gradients": sum(nbytes(p.grad) for p in parameters if p.grad is not None),
        "optimizer": 0, "step_counters": 0,
    }
    for state in optimizer.state.values():
        for name, value in state.items():
            if torch.is_tensor(value):
                counts["step_counters" if name == "step" else "optimizer"] += nbytes(value)
    return counts


def distribute(model: torch.nn.Module, strategy: str) -> torch.nn.Module:
    """``model`` made data-parallel: a replica per rank (``"ddp"``) or sharded (``"fsdp"``).

    FSDP groups the parameters of each transformer block, so that one block at a time is
    gathered whole, and the rest (embeddings, tied head, final norm) in the root group.
    """
    check_one_of(strategy, STRATEGIES, "strategy")
    if strategy == "ddp":
        return DistributedDataParallel(model)
    from torch.distributed.fsdp import fully_shard  # seconds to import: only where it is used

    for block in model.blocks:  # bottom-up: the blocks first, then the root
        fully_shard(block)
    return fully_shard(model)


def batch_gradient(model: torch.nn.Module, tokens: torch.Tensor) -> torch.Tensor:
    """The gradient of the mean next-token loss over ``tokens (B, T + 1)``, as one vector."""
    model.zero_grad(set_to_none=True)
    _, loss = model(tokens[:, :-1], tokens[:, 1:])  # inputs (B, T), targets (B, T)
    loss.backward()
    return flat_gradient(model)


def data_parallel_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                       tokens: torch.Tensor) -> float:
    """One training step on this rank's tokens ``(b, T + 1)``; DDP or FSDP averages the
    gradients. Returns this rank's loss."""
    optimizer.zero_grad(set_to_none=True)
    _, loss = model(tokens[:, :-1], tokens[:, 1:])  # loss averaged over this rank's tokens
    loss.backward()  # DDP's all-reduce (FSDP's reduce-scatter) of the gradients happens here
    optimizer.step()
    return loss.item()


def worker(seed: int, batch_size: int, steps: int,
           strategy: str = "ddp") -> dict[str, object] | None:
    """What each process runs: the first gradient, then ``steps`` timed training steps.

    Returns the measurements on rank 0, None on the others: the whole first gradient, the
    loss of each step averaged over the ranks (the whole batch's loss), and every rank's
    :func:`training_state_bytes` after the last step.
    """
    rank, world_size = dist.get_rank(), dist.get_world_size()
    model = distribute(make_model(seed), strategy)
    first = rank_slice(global_batch(seed, 0, batch_size), rank, world_size)
    gradient = batch_gradient(model, first)  # already averaged over the ranks
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    dist.barrier()
    start = time.perf_counter()
    losses = []
    for step in range(1, steps + 1):
        tokens = rank_slice(global_batch(seed, step, batch_size), rank, world_size)
        losses.append(data_parallel_step(model, optimizer, tokens))
    dist.barrier()
    seconds = time.perf_counter() - start
    mean_losses = torch.tensor(losses, dtype=torch.float64)
    dist.all_reduce(mean_losses)  # the sum over the ranks of their slices' mean losses
    mean_losses /= world_size
    states: list[object] = [None] * world_size
    dist.all_gather_object(states, training_state_bytes(model, optimizer))
    if rank != 0:
        return None
    return {
        "world_size": world_size, "strategy": strategy, "batch_size": batch_size,
        "steps": steps, "seconds": seconds, "sequences_per_second": steps * batch_size / seconds,
        "gradient": gradient, "losses": mean_losses, "state_bytes": states,
    }


def _save(result: dict[str, object], out: Path) -> None:
    """Write ``result`` to ``out`` whole or not at all (a temporary file, then a rename)."""
    partial = out.with_name(out.name + ".partial")
    torch.save(result, partial)
    os.replace(partial, out)


def main(argv: Sequence[str] | None = None) -> None:
    """The entry point of each process started by ``torchrun``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="where rank 0 writes results")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=16, help="global batch, all ranks")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--strategy", choices=STRATEGIES, default="ddp",
                        help="a model copy per rank (ddp) or sharded among them (fsdp)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # one core per process
    dist.init_process_group("gloo")
    try:
        result = worker(args.seed, args.batch_size, args.steps, args.strategy)
        if result is not None:
            _save(result, args.out)
    finally:
        dist.destroy_process_group()


def launch(nproc: int, *, seed: int = 0, batch_size: int = 16, steps: int = 20,
           strategy: str = "ddp", timeout: float = 300.0) -> dict[str, object]:
    """Run :func:`main` in ``nproc`` processes with torchrun on this machine; rank 0's result.

    ``python -m torch.distributed.run`` is the ``torchrun`` command, called through this Python
    so that it uses the same environment.
    """
    check_positive_int(nproc, "nproc")
    check_positive_int(steps, "steps")
    check_positive_int(batch_size, "batch_size")
    check_one_of(strategy, STRATEGIES, "strategy")
    if batch_size % nproc != 0:
        raise ValueError(f"batch_size={batch_size} must be a multiple of nproc={nproc}")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.pt"
        command = [
            sys.executable, "-m", "torch.distributed.run", "--standalone",
            f"--nproc_per_node={nproc}", "-m", "course.data_parallel", "--out", str(out),
            "--seed", str(seed), "--batch-size", str(batch_size), "--steps", str(steps),
            "--strategy", strategy,
        ]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
        if done.returncode != 0 or not out.is_file():
            raise RuntimeError(
                f"torchrun with {nproc} processes ({strategy}) failed (exit code "
                f"{done.returncode}). The processes talk through TCP on this machine: check that "
                "localhost connections are allowed. Its output ends:\n"
                f"{(done.stdout + done.stderr)[-2000:]}"
            )
        return torch.load(out, weights_only=True)


if __name__ == "__main__":
    main()
