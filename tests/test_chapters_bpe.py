"""The byte pair encoding chapter's measurements and comparisons (course.chapters.bpe)."""

import numpy as np
import pytest

from course.bpe import words_from_text
from course.bpe_fast import train_bpe_fast
from course.byte_bpe import ByteBPETokenizer, train_byte_bpe
from course.chapters.bpe import (
    bytes_per_token,
    compare_trainers,
    display_token,
    first_difference,
    hf_merges,
    hf_tokens,
    hf_vocabulary,
    merge_timeline,
    splits_html,
    token_length_distribution,
    train_hf_byte_bpe,
)

CORPUS = (
    "Speak, speak. You are all resolved rather to die than to famish?\n"
    "Resolved. resolved. We know't, we know't. 1234 naïve café 東京\n"
) * 4


@pytest.fixture(scope="module")
def tokenizer():
    return train_byte_bpe(CORPUS.splitlines(keepends=True), 256 + 40, min_frequency=2)


def test_helpers():
    assert bytes_per_token("abcd", 2) == 2.0
    dist = token_length_distribution([b"a", b"bb", b"cc", b"x" * 20], max_length=4)
    assert dist.tolist() == [0.25, 0.5, 0.0, 0.25]
    assert display_token(b" a\n") == "␣a↵"
    assert display_token("🤖".encode()[:2]) == "⟨F0⟩⟨9F⟩"
    assert first_difference([(b"a", b"b"), (b"c", b"d")], [(b"a", b"b"), (b"d", b"c")]) == 1
    assert first_difference([(b"a", b"b")], [(b"a", b"b"), (b"c", b"d")]) is None


def test_splits_html_uses_inline_styles_only(tokenizer):
    page = splits_html(tokenizer, "Speak, <speak>!", [256, tokenizer.vocab_size])
    assert "<script" not in page and "http" not in page and "class=" not in page
    assert "&lt;" in page and page.count("<tr>") == 3


def test_same_tokens_as_hugging_face_given_its_merges():
    """Our encoder, given the merges Hugging Face learned, must split text exactly as it does."""
    lines = CORPUS.splitlines(keepends=True)
    hf = train_hf_byte_bpe(lines, 256 + 60)
    ours = ByteBPETokenizer(hf_merges(hf))
    assert set(ours.vocab) == hf_vocabulary(hf)
    for text in [CORPUS, "emoji: 🤖🎉 flags 🇫🇷", "  spaces  and\ttabs"]:
        assert ours.tokens(text) == hf_tokens(hf, text)


def test_merge_timeline_is_increasing_and_one_per_merge():
    words = words_from_text("low lower newest widest " * 4)
    merges, elapsed = merge_timeline(train_bpe_fast, words, 8)
    assert len(elapsed) == len(merges) == 8
    assert np.all(np.diff(elapsed) >= 0) and elapsed[0] >= 0


def test_compare_trainers_reports_identical_merges():
    result = compare_trainers(words_from_text("low lower newest widest " * 3), 6)
    assert result["identical"] and result["merges"] == 6
    assert result["speedup"].shape == (6,)
