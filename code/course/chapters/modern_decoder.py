"""The modern-decoder chapter (``book/modern-decoder.md``): GPT-2 turned into a LLaMA-style
decoder one change at a time, the residual stream's variance at initialisation, and what weight
decay does to the parameters it is applied to."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch
from torch import nn

from ..checks import check_positive_int
from ..gpt import GPT, RESIDUAL_PROJECTIONS, GPTConfig
from ..lm_data import Corpus, bits_per_char
from ..lm_training import estimate_loss, train_lm
from ..timing import time_call
from ..training import count_parameters

# each step keeps every change before it: GPT-2 becomes a LLaMA-style decoder
MODERNISATION: tuple[tuple[str, dict], ...] = (
    ("GPT-2", {}),
    ("+ RMSNorm", dict(norm="rmsnorm")),
    ("+ SwiGLU", dict(mlp="swiglu")),
    ("+ RoPE", dict(position="rope")),
    ("+ no biases", dict(bias=False)),
    ("+ GQA, 2 key-value heads", dict(n_kv_head=2)),
    ("+ MQA, 1 key-value head", dict(n_kv_head=1)),
)  # the last step is a LLaMA-style decoder with multi-query attention


def modernisation_configs(base: GPTConfig) -> list[tuple[str, GPTConfig]]:
    """The configurations of :data:`MODERNISATION`, cumulative, starting from ``base`` (a
    GPT-2 configuration: the defaults of :class:`~course.gpt.GPTConfig`)."""
    if not isinstance(base, GPTConfig):
        raise TypeError(f"expected a GPTConfig, got {type(base).__name__}")
    configs, changes = [], {}
    for name, change in MODERNISATION:
        changes.update(change)
        configs.append((name, dataclasses.replace(base, **changes)))
    return configs


def train_and_score(
    config: GPTConfig, corpus: Corpus, *, seed: int, steps: int, batch_size: int, lr: float,
    eval_batches: int = 16, decay_vectors: bool = False, device: torch.device | str = "cpu",
) -> tuple[GPT, dict[str, float]]:
    """Build a GPT of ``config`` with ``torch.manual_seed(seed)``, train it with
    :func:`~course.lm_training.train_lm` (batches drawn by ``seed``) on windows of
    ``config.block_size`` characters, and score it: its held-out loss in bits per character on
    ``eval_batches`` fixed batches of windows (the same for every model), its number of
    parameters and the seconds training took."""
    torch.manual_seed(seed)
    model = GPT(config).to(device)
    history = train_lm(model, corpus.train_ids, corpus.val_ids, steps=steps,
                       block_size=config.block_size, batch_size=batch_size, lr=lr,
                       eval_every=steps, eval_batches=2, seed=seed, device=device,
                       decay_vectors=decay_vectors)
    loss = estimate_loss(model, corpus.val_ids, block_size=config.block_size,
                         batch_size=batch_size, n_batches=eval_batches, device=device)
    return model, {"bits": bits_per_char(corpus, loss), "parameters": count_parameters(model),
                   "seconds": history.last("seconds")}


def undo_residual_scaling(model: GPT) -> GPT:
    """Re-draw the residual projections of ``model`` with the standard deviation 0.02 of every
    other matrix, as if GPT-2's ``1/sqrt(2 L)`` had not been applied (in place)."""
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith(RESIDUAL_PROJECTIONS):
                nn.init.normal_(parameter, mean=0.0, std=0.02)
    return model


@torch.no_grad()
def residual_mean_squares(model: GPT, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The mean square of the residual stream's coordinates (over batch, positions and
    channels) after the embedding and after each of the ``2 L`` residual branches,
    ``(2 L + 1,)``, and the mean square of what each branch adds, ``(2 L,)``, for the token ids
    ``idx (B, T)``.

    The branches' outputs are read with forward hooks on every block's ``attn`` and ``mlp``;
    the stream after branch ``n`` is the embedding plus the first ``n`` outputs, which is what
    the block computes (without dropout).
    """
    outputs: list[torch.Tensor] = []

    def keep(module: nn.Module, inputs: tuple, out: torch.Tensor) -> None:
        outputs.append(out)  # (B, T, C)

    hooks = [model.drop.register_forward_hook(keep)]
    for block in model.blocks:
        hooks += [block.attn.register_forward_hook(keep), block.mlp.register_forward_hook(keep)]
    was_training = model.training
    model.eval()
    try:
        model(idx)
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    stream = torch.stack(outputs).cumsum(0)  # (2L + 1, B, T, C)
    branches = torch.stack(outputs[1:])  # (2L, B, T, C)
    return stream.pow(2).flatten(1).mean(1), branches.pow(2).flatten(1).mean(1)


def init_mean_squares(
    config: GPTConfig, idx: torch.Tensor, *, scaled: bool = True, draws: int = 4
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`residual_mean_squares` averaged over ``draws`` initialisations (seeds
    ``0 .. draws - 1``) of a GPT of ``config``, with GPT-2's scaled residual projections or,
    with ``scaled=False``, all matrices drawn with the same standard deviation 0.02."""
    check_positive_int(draws, "draws")
    streams, branches = [], []
    for seed in range(draws):
        torch.manual_seed(seed)
        model = GPT(config)
        if not scaled:
            undo_residual_scaling(model)
        stream, branch = residual_mean_squares(model, idx)
        streams.append(stream)
        branches.append(branch)
    return torch.stack(streams).mean(0), torch.stack(branches).mean(0)


def plot_residual_mean_squares(curves: dict[str, torch.Tensor], n_layer: int):
    """The residual stream's mean square against the number of residual branches passed, one
    line per initialisation, on a logarithmic axis."""
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    for (name, variance), style in zip(curves.items(), ["-o", "--s", ":^"], strict=False):
        ax.semilogy(range(len(variance)), variance.numpy(), style, markersize=3, label=name)
    ax.set_xticks(range(0, 2 * n_layer + 1, 2))
    ax.set_xlabel("residual branches passed (two per block; 0 is the embedding)")
    ax.set_ylabel("mean square of the residual stream")
    ax.legend(fontsize="small", frameon=False)
    fig.tight_layout()
    return fig


@torch.no_grad()
def generation_seconds(
    model: GPT, n_tokens: int, batch_size: int = 8, repeats: int = 3,
    device: torch.device | str = "cpu",
) -> float:
    """Median seconds to generate ``n_tokens`` greedy tokens with the key-value cache for a
    batch of one-token prompts (:func:`~course.timing.time_call`)."""
    check_positive_int(n_tokens, "n_tokens")
    prompt = torch.zeros(batch_size, 1, dtype=torch.long, device=device)  # (B, 1)
    model.eval()
    timing = time_call(lambda: model.generate(prompt, n_tokens, temperature=0), repeats=repeats,
                       warmup=1, device=device)
    return timing.median


def decayed_fraction(model: nn.Module) -> tuple[int, int]:
    """Numbers of parameters that the course's AdamW decays (matrices) and leaves alone
    (vectors), tied weights counted once."""
    decayed = sum(p.numel() for p in model.parameters() if p.dim() >= 2)
    return decayed, sum(p.numel() for p in model.parameters()) - decayed


def decay_factor(learning_rates: Sequence[float], weight_decay: float) -> float:
    """What decoupled weight decay alone does to a parameter over a run: the product of
    ``1 - lr_t * weight_decay`` over the steps' learning rates."""
    return math.prod(1.0 - lr * weight_decay for lr in learning_rates)


def plot_modernisation(names: Sequence[str], bits: Sequence[float], seed_bits: Sequence[float]):
    """Held-out loss of each modernisation step as a dot, one row per step, with the range of
    the baseline's losses over several seeds drawn as a grey band."""
    if len(names) != len(bits):
        raise ValueError(f"{len(names)} names for {len(bits)} losses")
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    y = list(range(len(names)))[::-1]
    ax.axvspan(min(seed_bits), max(seed_bits), color="0.85",
               label=f"{names[0]} over {len(seed_bits)} seeds")
    ax.plot(bits, y, "o-", color="C0")
    ax.set_yticks(y, names)
    ax.set_xlabel("held-out loss (bits per character)")
    ax.legend(fontsize="small", frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout()
    return fig
