"""Compute-optimal scaling: how to split a training budget between model size and data.

Hoffmann et al. (2022, "Chinchilla", Approach 3) fit the final loss of a language model with
``N`` parameters trained on ``D`` tokens by

    L(N, D) = E + A / N**alpha + B / D**beta,

with ``E = 1.69``, ``A = 406.4``, ``B = 410.7``, ``alpha = 0.34``, ``beta = 0.28`` (their
Eq. 10; loss in nats per token on their data set). ``E`` is the entropy of text, the second term
what a finite model cannot represent, the third what finite data cannot teach. Training costs
about ``C = 6 N D`` floating-point operations (2 per parameter and token forward, 4 backward;
Kaplan et al., 2020). Minimising ``L`` on the line ``6 N D = C`` gives the closed form

    N_opt = G (C / 6)**a,  D_opt = (C / 6)**b / G,  G = (alpha A / (beta B))**(1 / (alpha + beta)),

with ``a = beta / (alpha + beta)`` and ``b = alpha / (alpha + beta)`` (their Eq. 4).
With these printed (rounded) constants the optimum lies near 90 tokens per parameter at
Gopher's budget, not the 20 of the paper's other two approaches; Besiroglu et al. (2024,
arXiv:2404.10102) refit the formula and find an optimum consistent with those approaches.

``6 N D`` counts the multiply-adds with the weights only. Attention also multiplies activations
with activations (``Q K^T`` and the weighted sum of ``V``), whose cost grows with the context
length ``T`` rather than with ``N``; :func:`attention_flops_per_token` counts it. It is small for
large models (``T`` much less than ``d``) and not small for the toy models of the equal-compute
sweep, which therefore counts it (``attention=True``).

Data-parallel training keeps the *model states* (parameters, gradients, optimiser state) once per
process. ZeRO (Rajbhandari et al., 2020) shards them among the ``N_d`` processes instead:
:func:`zero_memory_per_rank` gives the bytes each keeps at every stage of their accounting.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import minimize_scalar

from .checks import check_one_of, check_positive, check_positive_int, check_positive_ints

FLOPS_PER_PARAMETER_TOKEN = 6


@dataclass(frozen=True)
class ParametricLoss:
    """``L(N, D) = E + A / N**alpha + B / D**beta``; call it with arrays of ``N`` and ``D``."""

    E: float
    A: float
    B: float
    alpha: float
    beta: float

    def __call__(self, n_params, n_tokens):
        n_params, n_tokens = np.asarray(n_params, float), np.asarray(n_tokens, float)
        if np.any(n_params <= 0) or np.any(n_tokens <= 0):
            raise ValueError("n_params and n_tokens must be positive")
        return self.E + self.A / n_params**self.alpha + self.B / n_tokens**self.beta

    @property
    def exponents(self) -> tuple[float, float]:
        """``(a, b)`` with ``N_opt ~ C**a`` and ``D_opt ~ C**b`` (``a + b = 1``)."""
        total = self.alpha + self.beta
        return self.beta / total, self.alpha / total


CHINCHILLA = ParametricLoss(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)


def training_flops(n_params, n_tokens):
    """Approximate training compute ``C = 6 N D`` in FLOPs."""
    return FLOPS_PER_PARAMETER_TOKEN * np.asarray(n_params, float) * np.asarray(n_tokens, float)


def attention_flops_per_token(n_layer: int, n_embd: int, block_size: int) -> int:
    """Training FLOPs per token of causal attention's ``Q K^T`` and ``A V``, left out of ``6 N``.

    In one layer, the query of the token at position ``t`` (1 to ``T = block_size``) is dotted
    with ``t`` keys and its output sums ``t`` value vectors; over all heads (whose widths add up
    to ``n_embd = d``) that is ``t d`` multiply-adds each, ``4 t d`` FLOPs forward. Averaged over
    the positions of a full window, ``t`` is ``(T + 1) / 2``: ``2 d (T + 1)`` FLOPs per token
    forward. The backward pass costs twice the forward (a gradient for each of the two factors of
    each product), as for the weights, so training costs ``6 n_layer d (T + 1)`` per token.
    This counts the arithmetic the causal mask leaves; an implementation that computes the full
    ``T x T`` scores and then masks them does about twice as much. The softmax, scaling and
    masking (a few FLOPs per score) are left out, as the biases are in ``6 N``.
    """
    for value, name in ((n_layer, "n_layer"), (n_embd, "n_embd"), (block_size, "block_size")):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return 3 * 2 * n_layer * n_embd * (block_size + 1)


def kv_cache_bytes(n_layer: int, n_kv_head: int, head_dim: int, length: int,
                   batch_size: int = 1, bytes_per_element: int = 2) -> int:
    """Bytes of a decoder's key-value cache: for every layer, key-value head, position and
    sequence, one key and one value of ``head_dim`` numbers.

    Multi-head attention has as many key-value heads as query heads; grouped-query attention
    (Ainslie et al., 2023) shares each key-value head among a group of query heads, and
    multi-query attention (Shazeer, 2019) has a single one. ``bytes_per_element`` is 2 for
    16-bit numbers, 4 for float32.
    """
    check_positive_ints(n_layer=n_layer, n_kv_head=n_kv_head, head_dim=head_dim, length=length,
                        batch_size=batch_size, bytes_per_element=bytes_per_element)
    return 2 * n_layer * n_kv_head * head_dim * length * batch_size * bytes_per_element


ZERO_STAGES = {
    0: "data parallel (nothing sharded)",
    1: "ZeRO-1: optimiser state sharded",
    2: "ZeRO-2: + gradients sharded",
    3: "ZeRO-3 / FSDP: + parameters sharded",
}


@dataclass(frozen=True)
class ModelStateBytes:
    """Bytes of the model states one process keeps: parameters, gradients, optimiser state."""

    parameters: float
    gradients: float
    optimizer: float

    @property
    def total(self) -> float:
        return self.parameters + self.gradients + self.optimizer


def zero_memory_per_rank(n_params: float, world_size: int, stage: int, *,
                         parameter_bytes: float = 2, gradient_bytes: float = 2,
                         optimizer_bytes: float = 12) -> ModelStateBytes:
    """The model states each of ``world_size`` data-parallel processes keeps at ZeRO ``stage``.

    Rajbhandari et al. (2020, Sections 3 and 5) count ``Psi = n_params`` parameters trained with
    mixed-precision Adam: 16-bit parameters and gradients (``2 Psi`` bytes each) and ``K Psi``
    bytes of optimiser state, ``K = 12``: a float32 copy of the parameters, the momentum and the
    variance. Plain data parallelism (``stage=0``) replicates all three, ``(2 + 2 + K) Psi``;
    stage 1 divides the optimiser state by ``N_d = world_size``, stage 2 the gradients as well,
    stage 3 (FSDP's full sharding) the parameters too. Activations and buffers are left out, as
    they are in the paper's accounting. For float32 training with Adam, pass
    ``parameter_bytes=4, gradient_bytes=4, optimizer_bytes=8`` (the two moments).
    """
    check_positive(n_params, "n_params")
    check_positive_int(world_size, "world_size")
    check_one_of(stage, ZERO_STAGES, "stage")
    for value, name in ((parameter_bytes, "parameter_bytes"), (gradient_bytes, "gradient_bytes"),
                        (optimizer_bytes, "optimizer_bytes")):
        check_positive(value, name)
    parameters = parameter_bytes * n_params
    gradients = gradient_bytes * n_params
    optimizer = optimizer_bytes * n_params
    return ModelStateBytes(
        parameters=parameters / world_size if stage >= 3 else parameters,
        gradients=gradients / world_size if stage >= 2 else gradients,
        optimizer=optimizer / world_size if stage >= 1 else optimizer,
    )


def _check_budget(flops) -> np.ndarray:
    flops = np.asarray(flops, float)
    if np.any(flops <= 0):
        raise ValueError("compute budgets must be positive numbers of FLOPs")
    return flops


def compute_optimal(flops, law: ParametricLoss = CHINCHILLA) -> tuple[np.ndarray, np.ndarray]:
    """Loss-minimising ``(N_opt, D_opt)`` for budgets ``flops`` with ``6 N D = C`` (closed form)."""
    flops = _check_budget(flops)
    g = (law.alpha * law.A / (law.beta * law.B)) ** (1.0 / (law.alpha + law.beta))
    a, b = law.exponents
    base = flops / FLOPS_PER_PARAMETER_TOKEN
    return g * base**a, base**b / g


def compute_optimal_numerical(
    flops: float, law: ParametricLoss = CHINCHILLA
) -> tuple[float, float]:
    """The same optimum found by minimising ``L(N, C / 6N)`` over ``log N`` numerically."""
    flops = float(_check_budget(flops))

    def loss_at(log_n: float) -> float:
        n = math.exp(log_n)
        return float(law(n, flops / (FLOPS_PER_PARAMETER_TOKEN * n)))

    upper = math.log(flops / FLOPS_PER_PARAMETER_TOKEN)
    result = minimize_scalar(
        loss_at, bounds=(0.0, upper), method="bounded", options={"xatol": 1e-10}
    )
    n_opt = math.exp(result.x)
    return n_opt, flops / (FLOPS_PER_PARAMETER_TOKEN * n_opt)


def iso_flop_losses(flops: float, n_params, law: ParametricLoss = CHINCHILLA) -> np.ndarray:
    """Predicted loss of each model size in ``n_params`` when all are trained with ``flops``."""
    flops = float(_check_budget(flops))
    n_params = np.asarray(n_params, float)
    return law(n_params, flops / (FLOPS_PER_PARAMETER_TOKEN * n_params))


@dataclass(frozen=True)
class SweepRun:
    """One model of an equal-compute sweep and how it fared."""

    n_embd: int
    n_params: int  # all parameters (tied embedding counted once), the N of C = 6 N D
    n_tokens: int  # training tokens D = steps * batch_size * block_size
    steps: int
    attention_flops: int  # training FLOPs per token of attention's Q K^T and A V (counted or not)
    val_loss: float  # nats per token (per character at character level)
    seconds: float


def equal_compute_sweep(
    corpus,
    widths: Sequence[int],
    flops: float,
    *,
    n_layer: int = 2,
    n_head: int = 2,
    block_size: int = 64,
    batch_size: int = 16,
    lr: float = 3e-3,
    seed: int = 0,
    attention: bool = True,
    device: torch.device | str = "cpu",
) -> list[SweepRun]:
    """Train one small GPT per width in ``widths`` with the same training compute ``flops``.

    Each model gets ``D = flops / (6 N + A)`` tokens, ``A`` being
    :func:`attention_flops_per_token` (``A = 0`` with ``attention=False``: the plain ``6 N D``
    of Hoffmann et al.), i.e. ``D / (batch_size * block_size)`` optimiser steps, so wider models
    take fewer steps. ``N`` counts all parameters, as Hoffmann et al. (2022) do: in models this
    small the tied output layer (``V C`` multiply-adds per token) is a large part of the
    arithmetic. ``A`` matters most for the narrowest models, where ``6 N`` is smallest.
    Returns the final validation loss of each run.
    """
    from course.gpt import GPT, GPTConfig
    from course.lm_training import estimate_loss, train_lm
    from course.training import count_parameters

    flops = float(_check_budget(flops))
    if len(widths) == 0:
        raise ValueError("widths must not be empty")
    tokens_per_step = batch_size * block_size
    runs = []
    for width in widths:
        torch.manual_seed(seed)
        config = GPTConfig(
            vocab_size=corpus.vocab_size,
            block_size=block_size,
            n_layer=n_layer,
            n_head=n_head,
            n_embd=int(width),
        )
        model = GPT(config).to(device)
        n_params = count_parameters(model)
        extra = attention_flops_per_token(n_layer, int(width), block_size)
        per_token = FLOPS_PER_PARAMETER_TOKEN * n_params + (extra if attention else 0)
        steps = max(1, round(flops / (per_token * tokens_per_step)))
        start = time.perf_counter()
        train_lm(
            model,
            corpus.train_ids,
            corpus.val_ids,
            steps=steps,
            block_size=block_size,
            batch_size=batch_size,
            lr=lr,
            warmup_steps=min(20, max(1, steps // 10)),
            eval_every=steps,
            eval_batches=1,
            seed=seed,
            device=device,
            progress=False,
        )
        seconds = time.perf_counter() - start
        val_loss = estimate_loss(
            model,
            corpus.val_ids,
            block_size=block_size,
            batch_size=32,
            n_batches=20,
            device=device,
        )
        runs.append(
            SweepRun(int(width), n_params, steps * tokens_per_step, steps, extra, val_loss, seconds)
        )
    return runs
