"""Every data set of the course, loaded: one ``load_<name>()`` per data-set entry of
``registry.yml``, with the code that parses its files.

:mod:`course.data` fetches and verifies the files; the loaders here read them, refuse files
that are truncated or corrupt with an error that says what to do, and cache what takes long to
decode. Tokenizers, vocabularies and models stay in their own modules.

========================  ====================  ================================================
data set                  registry key prefix   loader
========================  ====================  ================================================
MNIST digits              ``datasets/mnist/``   :func:`load_mnist` (``"train"`` or ``"test"``)
sentence polarity v1.0    ``datasets/rt-...``   :func:`load_polarity`, :func:`split_polarity`
Tiny Shakespeare          ``datasets/tiny...``  :func:`load_shakespeare` (training, held-out)
Penn Treebank (Mikolov)   ``datasets/ptb/``     :func:`load_ptb` (``"train"``, ``"valid"``, ...)
Tatoeba English-French    ``datasets/fra-eng/`` :func:`load_fra_eng` (English, French) pairs
========================  ====================  ================================================
"""

from __future__ import annotations

import gzip
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data import DataError, derived_dir, fetch
from .text import tokenize

# ---------------------------------------------------------------------------------------------
# MNIST: four IDX files, read by a small checked parser into NumPy arrays

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
# IDX magic numbers: two zero bytes, a type code (0x08 = unsigned byte) and the number of axes.
IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801


def read_idx(path: str | os.PathLike, expected_magic: int | None = None) -> np.ndarray:
    """Read an IDX file of unsigned bytes (optionally gzipped) into an array of its shape.

    Raises :class:`~course.data.DataError` when the magic number is wrong or the file is
    shorter or longer than its header says.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as error:
        raise DataError(
            f"{path} is not a readable IDX file ({error}); delete it to fetch it again"
        ) from error
    if len(raw) < 4:
        raise DataError(f"{path} is too short to be an IDX file")
    magic = int.from_bytes(raw[:4], "big")
    if magic >> 8 != 0x08 or (expected_magic is not None and magic != expected_magic):
        want = f"{expected_magic:#010x}" if expected_magic is not None else "0x000008NN"
        raise DataError(
            f"{path} has magic number {magic:#010x}, expected {want}: not the IDX file asked for"
        )
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path} ends inside its header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise DataError(
            f"{path} holds {len(raw)} bytes but its header {shape} implies {expected}: "
            "truncated or corrupt"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def load_mnist(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """MNIST's ``"train"`` or ``"test"`` split: uint8 images ``(N, 28, 28)`` and labels ``(N,)``.

    The decoded arrays are cached (``.npz`` in the data cache), so later calls take milliseconds.
    """
    if split not in MNIST_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    cached = derived_dir("mnist") / f"{split}.npz"
    if cached.is_file():
        try:
            with np.load(cached) as arrays:
                return arrays["images"], arrays["labels"]
        except (OSError, ValueError, KeyError):
            cached.unlink()  # unreadable cache: rebuild it below
    image_file, label_file = MNIST_FILES[split]
    images = read_idx(fetch(f"datasets/mnist/{image_file}"), IMAGES_MAGIC)
    labels = read_idx(fetch(f"datasets/mnist/{label_file}"), LABELS_MAGIC)
    if len(images) != len(labels):
        raise DataError(f"MNIST {split}: {len(images)} images but {len(labels)} labels")
    partial = cached.with_name(f".{cached.name}.{os.getpid()}.tmp.npz")
    np.savez(partial, images=images, labels=labels)
    os.replace(partial, cached)  # atomic: a reader never sees half a file
    return images, labels


# ---------------------------------------------------------------------------------------------
# Sentence polarity v1.0 (Pang and Lee, 2005): 5,331 positive and 5,331 negative snippets of
# film reviews, one per line, in two files encoded in Windows-1252 (cp1252)

POLARITY_FILES = {
    1: "datasets/rt-polarity/rt-polarity.pos",
    0: "datasets/rt-polarity/rt-polarity.neg",
}


def decode_cp1252(data: bytes) -> str:
    """Decode Windows-1252 bytes; a byte cp1252 leaves undefined raises ``ValueError``."""
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"expected bytes, got {type(data).__name__}")
    try:
        return bytes(data).decode("cp1252")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"byte 0x{data[error.start]:02x} at offset {error.start} is undefined in cp1252; "
            "is this file in another encoding?"
        ) from None


def read_lines(path: Path | str, encoding: str = "cp1252") -> list[str]:
    """The non-blank lines of a text file, stripped (``\\n`` and ``\\r\\n`` endings alike)."""
    data = Path(path).read_bytes()
    text = decode_cp1252(data) if encoding == "cp1252" else data.decode(encoding)
    return [line.strip() for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class LabelledSentences:
    """Tokenized sentences and their labels (1 positive, 0 negative)."""

    sentences: list[list[str]]
    labels: np.ndarray

    def __post_init__(self) -> None:
        if len(self.sentences) != len(self.labels):
            raise ValueError(f"{len(self.sentences)} sentences but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.sentences)


def load_polarity() -> LabelledSentences:
    """All 10,662 polarity sentences, tokenized: the positive file first, then the negative."""
    sentences: list[list[str]] = []
    labels: list[int] = []
    for label, key in sorted(POLARITY_FILES.items(), reverse=True):
        lines = read_lines(fetch(key))
        sentences += [tokenize(line) for line in lines]
        labels += [label] * len(lines)
    return LabelledSentences(sentences, np.array(labels, dtype=np.int64))


def split_polarity(
    data: LabelledSentences,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    seed: int = 0,
) -> dict[str, LabelledSentences]:
    """``{"train", "val", "test"}`` parts of ``data``, each with the same share of each class.

    Each class is shuffled with its own seeded permutation and cut at the same fractions, and
    each part is then shuffled once more (seeded) so that the classes are interleaved.
    """
    if len(fractions) != 3 or min(fractions) < 0 or not np.isclose(sum(fractions), 1.0):
        raise ValueError(f"fractions must be three non-negative numbers summing to 1: {fractions}")
    rng = np.random.default_rng(seed)
    parts: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for label in np.unique(data.labels):
        members = rng.permutation(np.flatnonzero(data.labels == label))
        cut1 = int(round(fractions[0] * len(members)))
        cut2 = cut1 + int(round(fractions[1] * len(members)))
        for name, chunk in zip(parts, np.split(members, [cut1, cut2]), strict=True):
            parts[name] += chunk.tolist()
    result = {}
    for name, indices in parts.items():
        order = rng.permutation(np.array(indices, dtype=np.int64))
        result[name] = LabelledSentences([data.sentences[i] for i in order], data.labels[order])
    return result


# ---------------------------------------------------------------------------------------------
# Tiny Shakespeare, cut by characters: the first 90 % trains, the rest is held out (the course's
# BPE tokenizer of it, in course.lm_data, is trained on the first part only)

SHAKESPEARE_KEY = "datasets/tinyshakespeare/input.txt"
SHAKESPEARE_TRAIN_FRACTION = 0.9


def load_shakespeare(train_fraction: float = SHAKESPEARE_TRAIN_FRACTION) -> tuple[str, str]:
    """Tiny Shakespeare cut by characters into a training part and a held-out part."""
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction!r}")
    text = fetch(SHAKESPEARE_KEY).read_text(encoding="utf-8")
    cut = int(len(text) * train_fraction)
    return text[:cut], text[cut:]


# ---------------------------------------------------------------------------------------------
# The Penn Treebank language-modelling text in Mikolov's preprocessing

PTB_SPLITS = ("train", "valid", "test")


def load_ptb(split: str = "train") -> list[list[str]]:
    """The Penn Treebank language-modelling text (Mikolov's preprocessing), one list per line."""
    if split not in PTB_SPLITS:
        raise ValueError(f"split must be one of {PTB_SPLITS}, got {split!r}")
    text = fetch(f"datasets/ptb/ptb.{split}.txt").read_text(encoding="utf-8")
    return [line.split() for line in text.splitlines() if line.strip()]


# ---------------------------------------------------------------------------------------------
# English-French sentence pairs from Tatoeba: ``fra.txt`` in a zip, one ``English<TAB>French``
# line per pair (extra columns, such as attribution, ignored)

FRA_ENG_KEY = "datasets/fra-eng/fra-eng.zip"


def load_fra_eng() -> list[tuple[str, str]]:
    """Every ``(english, french)`` pair of the Tatoeba file, as plain strings, in file order.

    ``fra.txt`` is unzipped once into the data cache; a damaged archive raises
    :class:`~course.data.DataError`.
    """
    target = derived_dir("fra-eng") / "fra.txt"
    if not target.exists():
        try:
            with zipfile.ZipFile(fetch(FRA_ENG_KEY)) as archive:
                contents = archive.read("fra.txt")
        except (zipfile.BadZipFile, KeyError) as error:
            raise DataError(
                f"{FRA_ENG_KEY} is not a zip holding fra.txt ({error}); delete it to fetch it again"
            ) from error
        partial = target.with_name(f".{target.name}.{os.getpid()}.part")
        partial.write_bytes(contents)
        partial.replace(target)  # atomic: a reader never sees half a file
    return read_pairs(target)


def read_pairs(path: Path | str) -> list[tuple[str, str]]:
    """``(english, french)`` strings from a tab-separated file (extra columns ignored)."""
    pairs = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        columns = line.split("\t")
        if len(columns) >= 2:
            pairs.append((columns[0], columns[1]))
    return pairs
