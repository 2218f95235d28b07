"""The byte pair encoding chapter (``book/bpe.md``): measuring a tokenizer (compression, token
lengths), showing its tokens, and comparing it with Hugging Face's ``tokenizers``."""

from __future__ import annotations

import gc
import html
import json
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from ..bpe import Pair, Word, count_pairs, encode_word, merge_ranks, train_bpe
from ..bpe_fast import Trainer, train_bpe_fast
from ..byte_bpe import ByteBPETokenizer, printable_to_bytes


def bytes_per_token(text: str, num_tokens: int) -> float:
    """Compression: UTF-8 bytes of ``text`` per token (1.0 for a pure byte tokenizer)."""
    if num_tokens <= 0:
        raise ValueError(f"num_tokens must be positive, got {num_tokens}")
    return len(text.encode("utf-8")) / num_tokens


def compression_by_vocab_size(
    tokenizer: ByteBPETokenizer, text: str, vocab_sizes: Sequence[int]
) -> np.ndarray:
    """Bytes per token of ``text`` for the tokenizer truncated to each of ``vocab_sizes``."""
    return np.array(
        [bytes_per_token(text, len(tokenizer.truncated(v).encode(text))) for v in vocab_sizes]
    )


def token_length_distribution(tokens: Sequence[bytes], max_length: int = 12) -> np.ndarray:
    """Fraction of tokens of each byte length ``1..max_length`` (longer ones in the last bin)."""
    lengths = np.minimum([len(token) for token in tokens], max_length)
    counts = np.bincount(lengths, minlength=max_length + 1)[1:]
    return counts / max(counts.sum(), 1)


def display_token(token: bytes) -> str:
    """A token as readable text: space as ``␣``, newline as ``↵``, and a byte that is only part
    of a UTF-8 character as its hex value, e.g. ``⟨F0⟩``."""
    try:
        text = token.decode("utf-8")
    except UnicodeDecodeError:
        return "".join(f"⟨{byte:02X}⟩" for byte in token)
    return text.replace(" ", "␣").replace("\n", "↵").replace("\t", "⇥")


# Light backgrounds with near-black text: contrast ratio above 12:1 for each of them.
TOKEN_COLOURS = ("#cfe3ff", "#ffdcb8", "#c9efd9", "#f4d3ea", "#fff1a8")


def tokens_to_html(tokens: Sequence[bytes], ids: Sequence[int] | None = None) -> str:
    """Tokens as coloured inline spans (inline styles only; neighbours get different colours).

    Hovering a token shows its id when ``ids`` is given.
    """
    spans = []
    for position, token in enumerate(tokens):
        colour = TOKEN_COLOURS[position % len(TOKEN_COLOURS)]
        title = f' title="id {ids[position]}"' if ids is not None else ""
        spans.append(
            f'<span{title} style="background:{colour};color:#111111;padding:1px 2px;'
            f'margin:0 1px;border-radius:3px;white-space:pre">'
            f"{html.escape(display_token(token))}</span>"
        )
    return "".join(spans)


def splits_html(tokenizer: ByteBPETokenizer, text: str, vocab_sizes: Sequence[int]) -> str:
    """An HTML table: ``text`` tokenized at each vocabulary size, with its number of tokens."""
    rows = []
    for vocab_size in vocab_sizes:
        ids = tokenizer.truncated(vocab_size).encode(text)
        spans = tokens_to_html([tokenizer.vocab[i] for i in ids], ids)
        rows.append(
            f'<tr><td style="padding:4px 8px;text-align:right;white-space:nowrap">{vocab_size}'
            f'</td><td style="padding:4px 8px;text-align:right">{len(ids)}</td>'
            f'<td style="padding:4px 8px;line-height:2;font-family:monospace">{spans}</td></tr>'
        )
    header = (
        '<tr><th style="padding:4px 8px">vocabulary</th><th style="padding:4px 8px">tokens</th>'
        '<th style="padding:4px 8px;text-align:left">split</th></tr>'
    )
    return f'<table style="border-collapse:collapse">{header}{"".join(rows)}</table>'


def plot_first_merges(tokenizer: ByteBPETokenizer, merge_counts: Sequence[int], n: int = 25):
    """Horizontal bars: the first ``n`` merges, ``left + right``, and their counts when merged."""
    n = min(n, len(tokenizer.merges))
    labels = [
        f"{display_token(a)} + {display_token(b)} → {display_token(a + b)}"
        for a, b in tokenizer.merges[:n]
    ]
    fig, ax = plt.subplots(figsize=(6.4, 0.26 * n + 1.0))
    ax.barh(range(n), merge_counts[:n], color="#0072B2")
    ax.set_yticks(range(n), labels, fontfamily="monospace", fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel("pair count when merged")
    ax.set_ylabel("merge (in order learned)")
    ax.grid(axis="y", visible=False)
    return fig


def plot_compression(
    vocab_sizes: Sequence[int],
    compression: Sequence[float],
    others: Mapping[str, tuple[int, float]] | None = None,
):
    """Bytes per token against vocabulary size; ``others`` adds labelled single points."""
    fig, ax = plt.subplots()
    ax.plot(vocab_sizes, compression, marker="o", label="our byte-level BPE")
    markers = iter("s^Dv")
    for label, (size, value) in (others or {}).items():
        ax.plot([size], [value], marker=next(markers), linestyle="none", markersize=9, label=label)
    ax.set_xscale("log", base=2)
    powers = [2**k for k in range(8, 20) if min(vocab_sizes) <= 2**k <= max(vocab_sizes)]
    ax.set_xticks(powers, [f"{p:,}" for p in powers])
    ax.minorticks_off()
    ax.set_xlabel("vocabulary size (ids)")
    ax.set_ylabel("UTF-8 bytes per token (held-out text)")
    ax.legend()
    return fig


def plot_token_lengths(distributions: Mapping[str, np.ndarray]):
    """Side-by-side bars: the fraction of tokens of each byte length, one colour per tokenizer."""
    fig, ax = plt.subplots()
    width = 0.8 / len(distributions)
    for k, (label, fractions) in enumerate(distributions.items()):
        lengths = np.arange(1, len(fractions) + 1)
        ax.bar(lengths + (k - (len(distributions) - 1) / 2) * width, fractions, width, label=label)
    ax.set_xticks(lengths, [*map(str, lengths[:-1]), f"{lengths[-1]}+"])
    ax.set_xlabel("token length (bytes)")
    ax.set_ylabel("fraction of tokens")
    ax.legend()
    return fig


def train_hf_byte_bpe(texts: Sequence[str], vocab_size: int, min_frequency: int = 2):
    """A Hugging Face ``tokenizers`` byte-level BPE trained like :func:`train_byte_bpe`:
    the same GPT-2 pre-tokenizer (no prefix space), all 256 bytes in the alphabet, the same
    ``vocab_size`` and ``min_frequency``, no special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


def hf_merges(hf_tokenizer) -> list[tuple[bytes, bytes]]:
    """The merges of a Hugging Face byte-level BPE, in rank order, as pairs of bytes."""
    merges = json.loads(hf_tokenizer.to_str())["model"]["merges"]
    pairs = [merge.split(" ") if isinstance(merge, str) else merge for merge in merges]
    return [(printable_to_bytes(a), printable_to_bytes(b)) for a, b in pairs]


def hf_vocabulary(hf_tokenizer) -> set[bytes]:
    """The tokens of a Hugging Face byte-level BPE as byte strings."""
    return {printable_to_bytes(token) for token in hf_tokenizer.get_vocab()}


def hf_tokens(hf_tokenizer, text: str) -> list[bytes]:
    """The byte string of each token that the Hugging Face tokenizer makes of ``text``."""
    return [printable_to_bytes(token) for token in hf_tokenizer.encode(text).tokens]


def first_difference(ours: Sequence[Pair], theirs: Sequence[Pair]) -> int | None:
    """Index of the first merge at which two merge lists differ (``None`` if one is a prefix)."""
    for index, (a, b) in enumerate(zip(ours, theirs, strict=False)):
        if a != b:
            return index
    return None


def pair_counts_after(word_counts: Mapping[Word, int], merges: Sequence[Pair]) -> Counter[Pair]:
    """Pair counts of the corpus once ``merges`` have been applied: what the next merge sees."""
    ranks = merge_ranks(merges)
    return count_pairs(
        Counter({encode_word(word, ranks): count for word, count in word_counts.items()})
    )


def merge_timeline(
    trainer: Trainer,
    word_counts: Mapping[Word, int],
    num_merges: int,
    min_frequency: int = 2,
    clock: Callable[[], float] = time.process_time,
) -> tuple[list[Pair], np.ndarray]:
    """Run ``trainer`` and return its merges and the seconds spent when each merge was done.

    ``elapsed[k]`` is the time from the call to the end of merge ``k``, set-up included, so
    ``elapsed`` can be plotted against the number of merges. The default clock is the CPU time
    of this process: unlike wall-clock time, it is not inflated by other programs competing for
    the processor (both trainers are single-threaded). As :mod:`timeit` does, the cyclic garbage
    collector is paused during the run, so that a collection triggered by objects that other
    code left behind is not charged to the trainer.
    """
    stamps: list[float] = []
    gc.collect()
    gc.disable()
    try:
        start = clock()
        merges = trainer(
            word_counts,
            num_merges,
            min_frequency=min_frequency,
            on_merge=lambda *_: stamps.append(clock()),
        )
    finally:
        gc.enable()
    return merges, np.asarray(stamps) - start


def compare_trainers(
    word_counts: Mapping[Word, int], num_merges: int, min_frequency: int = 2
) -> dict[str, object]:
    """Time the reference and the fast trainer on the same corpus in the same run.

    Returns both timelines (CPU seconds after each merge, see :func:`merge_timeline`), the
    number of merges, whether the two merge lists are identical, and the speed-up
    ``reference time / fast time`` after each merge.
    """
    reference_merges, reference_time = merge_timeline(
        train_bpe, word_counts, num_merges, min_frequency
    )
    fast_merges, fast_time = merge_timeline(
        train_bpe_fast, word_counts, num_merges, min_frequency
    )
    return {
        "merges": len(fast_merges),
        "identical": reference_merges == fast_merges,
        "reference_seconds": reference_time,
        "fast_seconds": fast_time,
        "speedup": reference_time / fast_time,
    }


def plot_trainer_speed(comparison: Mapping[str, object]):
    """Two panels from :func:`compare_trainers`: elapsed seconds of both trainers against the
    number of merges (log scale), and the speed-up of the fast one."""
    reference, fast = comparison["reference_seconds"], comparison["fast_seconds"]
    steps = np.arange(1, len(fast) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.6, 3.6))
    left.plot(steps, reference, label="reference (recount everything)")
    left.plot(steps, fast, label="fast (incremental + heap)")
    left.set_yscale("log")
    left.set_xlabel("number of merges")
    left.set_ylabel("CPU seconds")
    left.legend()
    right.plot(steps, comparison["speedup"], color="#009E73")
    right.axhline(1.0, color="#555555", linewidth=1, linestyle="--")
    right.set_xlabel("number of merges")
    right.set_ylabel("speed-up (reference / fast)")
    fig.tight_layout()
    return fig
