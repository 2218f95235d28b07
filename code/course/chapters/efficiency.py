"""The efficiency chapter (``book/efficiency.md``): memory traffic and timings of attention,
and the figures of compute-optimal scaling."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from ..flash_attention import flash_hbm_traffic, naive_hbm_traffic
from ..scaling import (
    CHINCHILLA,
    FLOPS_PER_PARAMETER_TOKEN,
    ParametricLoss,
    SweepRun,
    compute_optimal,
)


def plot_hbm_traffic(
    seq_lens, head_dim: int = 64, sram_sizes=(25_000, 100_000), bytes_per_element: int = 2
):
    """Log-log plot of the HBM bytes moved by standard attention and by FlashAttention."""
    seq_lens = [int(n) for n in seq_lens]
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    naive = [naive_hbm_traffic(n, head_dim).total * bytes_per_element for n in seq_lens]
    ax.loglog(seq_lens, naive, "o-", label="standard attention")
    for sram in sram_sizes:
        flash = [
            flash_hbm_traffic(n, head_dim, sram_size=sram).total * bytes_per_element
            for n in seq_lens
        ]
        label = f"FlashAttention, SRAM = {sram * bytes_per_element // 1000} KB"
        ax.loglog(seq_lens, flash, "s--", label=label)
    ax.set_xlabel("sequence length $T$")
    ax.set_ylabel("HBM traffic per head (bytes)")
    ax.legend()
    return fig


def plot_attention_times(timings: dict[str, np.ndarray], device_name: str):
    """Seconds of naive and fused attention against sequence length (log-log), and their ratio."""
    fig, (ax, ax_ratio) = plt.subplots(1, 2, figsize=(9.0, 3.6))
    lengths = timings["seq_len"]
    ax.loglog(lengths, timings["naive"], "o-", label="naive (materialises $S$, $P$)")
    ax.loglog(lengths, timings["fused"], "s-", label="scaled_dot_product_attention")
    ax.set_xlabel("sequence length $T$")
    ax.set_ylabel("seconds per call")
    ax.set_title(device_name, fontsize="medium")
    ax.legend(fontsize="small")
    ax_ratio.semilogx(lengths, timings["naive"] / timings["fused"], "o-", color="C2")
    ax_ratio.axhline(1.0, color="grey", lw=0.8)
    ax_ratio.set_xlabel("sequence length $T$")
    ax_ratio.set_ylabel("naive time / fused time")
    fig.tight_layout()
    return fig


def plot_loss_landscape(law: ParametricLoss = CHINCHILLA, budgets=(1e21, 1e23, 1e25), models=None):
    """Iso-loss contours of ``L(N, D)``, iso-FLOP lines ``6ND = C`` and the compute-optimal path.

    ``models`` maps a label to ``(N, D)``, drawn as points (e.g. Chinchilla and Gopher).
    """
    n = np.logspace(8, 12.5, 200)
    d = np.logspace(9, 13.5, 200)
    grid_n, grid_d = np.meshgrid(n, d)
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    levels = [1.9, 1.95, 2.0, 2.1, 2.2, 2.4, 2.6, 2.8, 3.0]
    contours = ax.contour(grid_n, grid_d, law(grid_n, grid_d), levels=levels, cmap="viridis")
    ax.clabel(contours, fmt="%.2f", fontsize="x-small")
    for flops in budgets:
        ax.plot(n, flops / (FLOPS_PER_PARAMETER_TOKEN * n), ":", color="grey", lw=1)
        for d_label in (d[0] * 3, d[-1] / 3):  # near the bottom edge, else near the top
            n_label = flops / (FLOPS_PER_PARAMETER_TOKEN * d_label)
            if n[0] < n_label < n[-1] / 3:
                ax.text(n_label, d_label, f"C={flops:.0e}", fontsize="x-small", color="grey")
                break
    path = np.logspace(18, 27, 50)
    n_opt, d_opt = compute_optimal(path, law)
    ax.plot(n_opt, d_opt, color="black", lw=2, label="compute-optimal $(N, D)$")
    for i, (label, (n_model, d_model)) in enumerate((models or {}).items()):
        ax.plot(n_model, d_model, "o*"[i % 2], ms=9, color=f"C{i + 1}", label=label)
    ax.set(xscale="log", yscale="log", xlim=(n[0], n[-1]), ylim=(d[0], d[-1]))
    ax.set_xlabel("parameters $N$")
    ax.set_ylabel("training tokens $D$")
    ax.legend(loc="upper left", fontsize="small")
    return fig


def plot_compute_optimal(budgets, law: ParametricLoss = CHINCHILLA):
    """Compute-optimal ``N`` and ``D`` (left) and the tokens per parameter (right) per budget."""
    budgets = np.asarray(budgets, float)
    n_opt, d_opt = compute_optimal(budgets, law)
    fig, (ax, ax_ratio) = plt.subplots(1, 2, figsize=(9.0, 3.6))
    ax.loglog(budgets, n_opt, "o-", label="parameters $N_{opt}$")
    ax.loglog(budgets, d_opt, "s-", label="tokens $D_{opt}$")
    ax.set_xlabel("training compute $C$ (FLOPs)")
    ax.legend()
    ax_ratio.semilogx(budgets, d_opt / n_opt, "o-", color="C2")
    ax_ratio.set_xlabel("training compute $C$ (FLOPs)")
    ax_ratio.set_ylabel("tokens per parameter $D_{opt}/N_{opt}$")
    fig.tight_layout()
    return fig


def plot_sweep(runs: Sequence[SweepRun], flops: float):
    """Validation loss of each model of an equal-compute sweep against its size."""
    fig, ax = plt.subplots(figsize=(6.0, 3.8))
    sizes = [run.n_params for run in runs]
    ax.semilogx(sizes, [run.val_loss for run in runs], "o-")
    for run in runs:
        ax.annotate(
            f"width {run.n_embd}\n{run.steps} steps",
            (run.n_params, run.val_loss),
            textcoords="offset points",
            xytext=(6, 4),
            fontsize="x-small",
        )
    ax.set_xlabel("parameters $N$")
    ax.set_ylabel("validation loss (nats per character)")
    ax.set_title(f"every model trained with {flops:.1e} FLOPs", fontsize="medium")
    return fig
