"""The GPT chapter (``book/gpt.md``): timing generation with and without the key-value cache,
and measuring what attention heads look at."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import torch

from ..attention import causal_mask
from ..gpt import GPT
from ..timing import time_call


def generation_seconds(
    model: GPT, n_tokens: int, *, use_cache: bool, repeats: int = 3, seed: int = 0
) -> float:
    """Median wall-clock seconds to generate ``n_tokens`` tokens greedily after a 1-token
    prompt (batch of one), with or without the key-value cache (machine-dependent)."""
    device = next(model.parameters()).device
    prompt = torch.zeros(1, 1, dtype=torch.long, device=device)  # (1, 1)
    model.eval()

    def run() -> torch.Tensor:
        return model.generate(prompt, n_tokens, temperature=0, use_cache=use_cache)

    return time_call(run, repeats=repeats, warmup=1, device=device).median


def repeated_ngram_fraction(text: str, n: int = 3) -> float:
    """Fraction of the word ``n``-grams of ``text`` that already occurred earlier in it: 0 for
    text that never repeats itself, near 1 for a loop."""
    if n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    words = re.findall(r"[\w']+", text.lower())
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        raise ValueError(f"the text has fewer than {n} words")
    seen: set[tuple[str, ...]] = set()
    repeats = 0
    for gram in grams:
        repeats += gram in seen
        seen.add(gram)
    return repeats / len(grams)


def speaker_lines(text: str) -> list[str]:
    """Lines of ``text`` that begin a speech as the play does, with a speaker's name in capitals
    (and spaces) and a colon, e.g. ``KING RICHARD III:`` (the speech may follow on the line)."""
    return [line for line in text.splitlines() if re.match(r"[A-Z][A-Z' ]*[A-Z]:(\s|$)", line)]


def previous_token_attention(maps: torch.Tensor) -> torch.Tensor:
    """Mean weight each head puts on the previous position, ``(L, H)``, from ``maps
    (L, B, H, T, T)``; positions ``t >= 1`` are averaged."""
    if maps.dim() != 5:
        raise ValueError(f"maps must be (L, B, H, T, T), got {tuple(maps.shape)}")
    previous = maps.diagonal(offset=-1, dim1=-2, dim2=-1)  # (L, B, H, T - 1)
    return previous.mean(dim=(1, 3))  # (L, H)


def attention_to(maps: torch.Tensor, is_target: torch.Tensor) -> torch.Tensor:
    """Mean total weight each head puts on key positions where ``is_target (B, T)`` is true
    (for example delimiter tokens), ``(L, H)``."""
    if maps.dim() != 5 or is_target.shape != maps.shape[1:2] + maps.shape[-1:]:
        raise ValueError("maps must be (L, B, H, T, T) and is_target (B, T)")
    mass = (maps * is_target[None, :, None, None, :].to(maps.dtype)).sum(-1)  # (L, B, H, T)
    return mass.mean(dim=(1, 3))  # (L, H)


def uniform_causal_maps(length: int) -> torch.Tensor:
    """Attention that spreads evenly over the visible past, ``(1, 1, 1, T, T)``: the baseline
    a head's scores are compared with."""
    weights = causal_mask(length).float()  # (T, T)
    return (weights / weights.sum(-1, keepdim=True))[None, None, None]  # (1, 1, 1, T, T)


def plot_attention_heads(maps: torch.Tensor, labels: list[str], size: float = 2.4):
    """Heat maps of every layer (rows) and head (columns) for one sequence; ``maps
    (L, 1, H, T, T)`` as returned by :meth:`GPT.attention_maps`, ``labels`` one per position."""
    n_layer, n_head, length = maps.shape[0], maps.shape[2], maps.shape[-1]
    if len(labels) != length:
        raise ValueError(f"need {length} labels, got {len(labels)}")
    fig, axes = plt.subplots(
        n_layer, n_head, figsize=(size * n_head, size * n_layer + 0.3), squeeze=False
    )
    for layer in range(n_layer):
        for head in range(n_head):
            ax = axes[layer, head]
            ax.imshow(maps[layer, 0, head].cpu().numpy(), cmap="Blues", vmin=0, vmax=1)
            ax.set_title(f"layer {layer + 1}, head {head + 1}", fontsize="small")
            ax.set_xticks(range(length), labels, fontsize=5)
            ax.set_yticks(range(length), labels, fontsize=5)
            ax.grid(False)
    fig.supylabel("query (position that attends)", fontsize="small")
    fig.supxlabel("key (position attended to)", fontsize="small")
    fig.tight_layout()
    return fig


def plot_bits_per_char(
    curves: dict[str, tuple[list[float], list[float]]],
    baselines: dict[str, dict[str, float]],
):
    """Validation loss in bits per character against training steps, one line per model.

    ``curves[name] = (steps, bits)``; ``baselines[name] = {"unigram": bits, "bigram": bits}``
    are drawn as horizontal lines in the colour of the model with the same name.
    """
    fig, ax = plt.subplots(figsize=(7, 4))
    styles = {"unigram": ":", "bigram": "--"}
    for name, (steps, bits) in curves.items():
        (line,) = ax.plot(steps, bits, marker="o", markersize=3, label=f"{name} GPT")
        for baseline, value in baselines.get(name, {}).items():
            ax.axhline(value, color=line.get_color(), linestyle=styles.get(baseline, "-."),
                       linewidth=1, label=f"{name} {baseline}")
    ax.set_xlabel("training step")
    ax.set_ylabel("validation loss (bits per character)")
    ax.legend(ncol=3, fontsize="small")
    top = max(max(b for b in v.values()) for v in baselines.values()) if baselines else None
    if top is not None:
        ax.set_ylim(top=top + 1.0)
    fig.tight_layout()
    return fig
