"""The encoder chapter (``book/encoders.md``): filling blanks with an encoder and with a GPT,
framing sentences for classification, statistics of every head and head ablation."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import torch

from .. import head_analysis
from ..encoder import EncoderClassifier, MaskedLanguageModel, ablate_heads
from ..gpt import GPT
from ..masking import IGNORE_INDEX
from ..text import CLS, PAD_ID, SEP, Vocabulary, pad_sequences


def sentence_stream(sentences: Sequence[Sequence[str]], vocab: Vocabulary) -> torch.Tensor:
    """The ids of ``sentences`` one after the other, each followed by ``[SEP]``: ``(N,)``."""
    sep = vocab.index(SEP)
    ids = [i for sentence in sentences for i in (*vocab.encode(sentence), sep)]
    return torch.tensor(ids, dtype=torch.long)  # (N,)


def framed_ids(sentences: Sequence[Sequence[str]], vocab: Vocabulary,
               max_length: int) -> torch.Tensor:
    """Each sentence as ``[CLS] words [SEP]``, its words cut so that it fits ``max_length``,
    padded into ``(N, T)``."""
    if max_length < 3:
        raise ValueError(f"max_length must leave room for [CLS], a word and [SEP], "
                         f"got {max_length}")
    rows = [vocab.encode([CLS, *sentence[: max_length - 2], SEP]) for sentence in sentences]
    return pad_sequences(rows, max_len=max_length)  # (N, T)


@torch.no_grad()
def fill_scores(logits: torch.Tensor, targets: torch.Tensor,
                special_ids: Sequence[int] = ()) -> tuple[float, float]:
    """Mean cross-entropy (nats) and accuracy of ``logits (N, V)`` at predicting ``targets
    (N,)``, the ``special_ids`` excluded from the choice (a blank never holds one)."""
    if logits.dim() != 2 or logits.shape[0] != targets.shape[0]:
        raise ValueError(f"need logits (N, V) and targets (N,), got {tuple(logits.shape)} and "
                         f"{tuple(targets.shape)}")
    logits = logits.clone()  # (N, V)
    logits[:, list(special_ids)] = float("-inf")
    loss = torch.nn.functional.cross_entropy(logits, targets).item()
    return loss, (logits.argmax(-1) == targets).float().mean().item()


@torch.no_grad()
def encoder_fill(model: MaskedLanguageModel, inputs: torch.Tensor, targets: torch.Tensor,
                 special_ids: Sequence[int] = ()) -> tuple[float, float]:
    """Loss and accuracy of the masked language model at the blanks of ``inputs (B, T)``:
    the positions where ``targets`` is not ``IGNORE_INDEX``; it sees both sides of each."""
    model.eval()
    logits, _ = model(inputs, targets)  # (N, V)
    return fill_scores(logits, targets[targets != IGNORE_INDEX], special_ids)


@torch.no_grad()
def gpt_fill(model: GPT, windows: torch.Tensor, targets: torch.Tensor,
             special_ids: Sequence[int] = ()) -> tuple[float, float]:
    """Loss and accuracy of a GPT at the same blanks, from the left context only.

    ``windows (B, n + 1)`` are the uncorrupted tokens: one token of left context, then the ``n``
    tokens the encoder saw between ``[CLS]`` and ``[SEP]``; ``targets (B, n + 2)`` are the
    encoder's. The GPT reads ``windows[:, :-1]``, whose position ``j`` predicts token ``j`` of
    the ``n``, and is scored where the encoder was.
    """
    if targets.shape != (windows.shape[0], windows.shape[1] + 1):
        raise ValueError(f"targets must be (B, n + 2) for windows (B, n + 1), got "
                         f"{tuple(targets.shape)} and {tuple(windows.shape)}")
    model.eval()
    logits, _ = model(windows[:, :-1])  # (B, n, V)
    blanks = targets[:, 1:-1] != IGNORE_INDEX  # (B, n) between [CLS] and [SEP]
    return fill_scores(logits[blanks], windows[:, 1:][blanks], special_ids)


def head_statistics(encoder_model: torch.nn.Module, ids: torch.Tensor, vocab: Vocabulary,
                    punctuation: Sequence[str] = (".", ",")) -> dict[str, torch.Tensor]:
    """Clark et al.'s statistics of every head of ``encoder_model.encoder`` on ``ids (B, T)``,
    and of a head attending uniformly: ``{name: (L, H)}`` and ``{"uniform " + name: scalar}``."""
    encoder = encoder_model.encoder
    encoder.eval()
    maps = encoder.attention_maps(ids).cpu()  # (L, B, H, T, T)
    ids = ids.cpu()
    real = ids != PAD_ID  # (B, T)
    targets = {
        "[CLS]": ids == vocab.index(CLS),
        "[SEP]": ids == vocab.index(SEP),
        "punctuation": torch.isin(ids, torch.tensor(vocab.encode(list(punctuation)))),
    }
    uniform = head_analysis.uniform_maps(real)  # (1, B, 1, T, T)
    stats: dict[str, torch.Tensor] = {}
    for kind, source in (("", maps), ("uniform ", uniform)):
        for name, is_target in targets.items():
            stats[kind + name] = head_analysis.attention_to(source, is_target, real)
        stats[kind + "previous"] = head_analysis.offset_attention(source, -1, real)
        stats[kind + "next"] = head_analysis.offset_attention(source, 1, real)
        stats[kind + "entropy"] = head_analysis.attention_entropy(source, real)
    return {name: value.squeeze() if name.startswith("uniform") else value
            for name, value in stats.items()}


@torch.no_grad()
def ablation_accuracies(model: EncoderClassifier,
                        score: Callable[[EncoderClassifier], float]) -> torch.Tensor:
    """``score(model)`` with each head switched off in turn, ``(L, H)``."""
    config = model.encoder.config
    result = torch.zeros(config.n_layer, config.n_head)
    for layer in range(config.n_layer):
        for head in range(config.n_head):
            with ablate_heads(model.encoder, [(layer, head)]):
                result[layer, head] = score(model)
    return result


def plot_head_statistics(rows: dict[str, dict[str, torch.Tensor]], names: Sequence[str]):
    """One heat map per statistic (columns) and model (rows), each of layers by heads, with the
    value written in each cell and the uniform head's value in the title."""
    fig, axes = plt.subplots(len(rows), len(names), figsize=(1.45 * len(names) + 0.6,
                                                             1.55 * len(rows) + 0.4),
                             squeeze=False)
    for row, (model_name, stats) in enumerate(rows.items()):
        for column, name in enumerate(names):
            ax = axes[row, column]
            values = stats[name].numpy()  # (L, H)
            top = max(float(stats[name].max()), float(stats["uniform " + name]), 1e-6)
            ax.imshow(values, cmap="Blues", vmin=0, vmax=top)
            for (layer, head), value in zip(
                    [(i, j) for i in range(values.shape[0]) for j in range(values.shape[1])],
                    values.ravel(), strict=True):
                ax.text(head, layer, f"{value:.2f}", ha="center", va="center", fontsize=6.5,
                        color="white" if value > 0.6 * top else "black")
            ax.set_title(f"{name}\n(uniform {float(stats['uniform ' + name]):.2f})",
                         fontsize="small")
            ax.set_xticks(range(values.shape[1]), [str(h + 1) for h in range(values.shape[1])],
                          fontsize=6)
            ax.set_yticks(range(values.shape[0]), [str(i + 1) for i in range(values.shape[0])],
                          fontsize=6)
            ax.grid(False)
            if column == 0:
                ax.set_ylabel(f"{model_name}\nlayer", fontsize="small")
            if row == len(rows) - 1:
                ax.set_xlabel("head", fontsize="small")
    fig.tight_layout()
    return fig


def plot_learning_curves(curves: dict[str, Sequence[float]], reference: dict[str, float]):
    """Validation accuracy per epoch of each fine-tuned model, and the test accuracies of other
    models as horizontal lines."""
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for name, values in curves.items():
        ax.plot(range(1, len(values) + 1), values, marker="o", label=name)
    for (name, value), style in zip(reference.items(), [":", "--", "-.", (0, (1, 3))],
                                    strict=False):
        ax.axhline(value, color="gray", linestyle=style, linewidth=1, label=f"{name} (test)")
    longest = max(len(values) for values in curves.values())
    ax.set_xticks(range(1, longest + 1))
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
