"""Training a language model by steps on random windows, with evaluation every few steps.

Language models are trained by *steps*, not epochs: each step draws a fresh batch of random
windows from the token stream (:func:`course.batching.random_batch`). Every ``eval_every`` steps
the mean loss on a fixed set of held-out windows is recorded, so the curves of different runs
are measured on the same text. The learning rate warms up linearly, then follows a cosine decay.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch
from torch import nn

from .batching import random_batch
from .checks import check_positive_int
from .seeding import torch_generator
from .training import History, progress_enabled

# turns a batch of windows and next-token targets into what the model trains on (a masked
# language model's corrupted inputs and targets, say), drawing any randomness from the generator
Transform = Callable[
    [torch.Tensor, torch.Tensor, torch.Generator], tuple[torch.Tensor, torch.Tensor]
]


@torch.no_grad()
def estimate_loss(
    model: nn.Module,
    ids: torch.Tensor,
    *,
    block_size: int,
    batch_size: int = 32,
    n_batches: int = 8,
    seed: int = 1234,
    device: torch.device | str = "cpu",
    transform: Transform | None = None,
) -> float:
    """Mean loss (nats per token) of ``model`` on ``n_batches`` windows of ``ids`` chosen by
    ``seed``: the same windows at every call, so successive estimates are comparable (with a
    ``transform``, the same corrupted windows too)."""
    was_training = model.training
    model.eval()
    generator = torch_generator(seed)
    losses = []
    for _ in range(n_batches):
        x, y = random_batch(ids, batch_size, block_size, generator, device)  # (B, T) each
        if transform is not None:
            x, y = transform(x, y, generator)
        _, loss = model(x, y)
        losses.append(loss.item())
    model.train(was_training)
    return sum(losses) / len(losses)


def learning_rate(step: int, max_lr: float, total_steps: int, warmup_steps: int) -> float:
    """Linear warm-up to ``max_lr`` over ``warmup_steps``, then cosine decay to ``max_lr / 10``."""
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return max_lr * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0))))


def parameter_groups(
    model: nn.Module, weight_decay: float, *, decay_vectors: bool = False
) -> list[dict]:
    """AdamW's parameter groups: ``weight_decay`` on every matrix (``dim >= 2``: the weights
    of linear layers and the embedding tables), none on vectors (biases, the gains of
    LayerNorm and RMSNorm). With ``decay_vectors`` every parameter is decayed."""
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
    decay = [p for p in model.parameters() if p.dim() >= 2 or decay_vectors]  # matrices
    no_decay = [p for p in model.parameters() if p.dim() < 2 and not decay_vectors]  # vectors
    groups = [{"params": decay, "weight_decay": weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    return [group for group in groups if group["params"]]


def train_lm(
    model: nn.Module,
    train_ids: torch.Tensor,
    val_ids: torch.Tensor,
    *,
    steps: int,
    block_size: int,
    batch_size: int = 32,
    lr: float = 3e-3,
    weight_decay: float = 0.1,
    warmup_steps: int = 20,
    eval_every: int = 50,
    eval_batches: int = 8,
    grad_clip: float | None = 1.0,
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: bool | None = None,
    decay_vectors: bool = False,
    transform: Transform | None = None,
) -> History:
    """Train ``model`` (``model(x, y) -> (logits, loss)``) for ``steps`` AdamW steps, with
    ``weight_decay`` on the matrices only (:func:`parameter_groups`; ``decay_vectors=True``
    decays the biases and normalisation gains too).

    Returns a :class:`~course.training.History` with one entry per evaluation (at step 0, every
    ``eval_every`` steps and at the end): ``step``, ``train_loss`` (mean of the training batches
    since the previous evaluation; the fixed-window estimate at step 0), ``val_loss``
    (:func:`estimate_loss`) and ``seconds`` (wall-clock time since the start). A ``transform``
    changes every batch, training and held-out, before the model sees it
    (:class:`course.masking.MLMBatches` makes a masked language model of the same loop).
    """
    check_positive_int(steps, "steps")
    check_positive_int(eval_every, "eval_every")
    device = device or next(model.parameters()).device
    groups = parameter_groups(model, weight_decay, decay_vectors=decay_vectors)
    optimizer = torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.99))
    generator = torch_generator(seed)
    history = History()
    start = time.perf_counter()

    def evaluate(step: int, train_loss: float | None) -> None:
        kwargs = dict(block_size=block_size, batch_size=batch_size, n_batches=eval_batches,
                      transform=transform)
        val_loss = estimate_loss(model, val_ids, device=device, **kwargs)
        if train_loss is None:
            train_loss = estimate_loss(model, train_ids, device=device, **kwargs)
        elapsed = time.perf_counter() - start
        history.record(
            {"step": step, "train_loss": train_loss, "val_loss": val_loss, "seconds": elapsed}
        )

    from tqdm.auto import tqdm

    evaluate(0, None)
    model.train()
    recent: list[float] = []
    for step in tqdm(range(1, steps + 1), disable=not progress_enabled(progress), leave=False):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step - 1, lr, steps, warmup_steps)
        x, y = random_batch(train_ids, batch_size, block_size, generator, device)  # (B, T)
        if transform is not None:
            x, y = transform(x, y, generator)
        _, loss = model(x, y)
        if not torch.isfinite(loss):
            raise RuntimeError(f"loss became {loss.item()} at step {step}")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        recent.append(loss.item())
        if step % eval_every == 0 or step == steps:
            evaluate(step, sum(recent) / len(recent))
            recent = []
    model.eval()
    return history
