"""Tests for the byte-level BPE tokenizer (course.byte_bpe)."""

import json
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course.byte_bpe import (
    ByteBPETokenizer,
    bytes_to_printable,
    bytes_to_unicode,
    chunk_counts,
    pretokenize,
    printable_to_bytes,
    train_byte_bpe,
    train_byte_bpe_with_trace,
)

CORPUS = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\n"
    "All:\nSpeak, speak.\n\nFirst Citizen:\nYou are all resolved rather to die than to famish?\n"
    "All:\nResolved. resolved.\n\nFirst Citizen:\nFirst, you know Caius Marcius is chief enemy "
    "to the people.\nWe know't, we know't. 1234 5678 12 naïve café 東京 東京\n"
) * 3

SAMPLES = [
    "",
    "hello world",
    "  leading and trailing spaces  ",
    "emoji: 🤖🎉👩‍👩‍👧 flags 🇫🇷",
    "Ελληνικά, русский, العربية, हिन्दी, 한국어, ქართული, ᚠᚢᚦ",
    "tabs\tand\r\nwindows newlines\u00a0nbsp\u200bzero-width",
    "\x00\x01 control bytes \x7f",
]


@pytest.fixture(scope="module")
def tokenizer():
    return train_byte_bpe(CORPUS.splitlines(keepends=True), 256 + 60, min_frequency=2)


def test_bytes_to_unicode_is_a_bijection_onto_printable_characters():
    table = bytes_to_unicode()
    assert sorted(table) == list(range(256))
    assert len(set(table.values())) == 256
    assert all(ch.isprintable() and not ch.isspace() for ch in table.values())
    assert table[ord(" ")] == "Ġ" and table[ord("A")] == "A"


@given(st.binary(max_size=40))
def test_printable_form_round_trips(data):
    assert printable_to_bytes(bytes_to_printable(data)) == data


def test_printable_to_bytes_rejects_unknown_characters():
    with pytest.raises(ValueError):
        printable_to_bytes(" ")  # a real space is not a printable stand-in


@settings(max_examples=150)
@given(st.text())
def test_pretokenize_covers_the_text(text):
    assert "".join(pretokenize(text)) == text


def test_pretokenize_gpt2_style_chunks():
    assert pretokenize("we know't, 1234 dogs  ok\n") == [
        "we", " know", "'t", ",", " 1234", " dogs", " ", " ok", "\n",
    ]


def test_training_learns_merges_and_byte_ids(tokenizer):
    assert tokenizer.vocab_size == 256 + 60
    assert tokenizer.vocab[:256] == [bytes([b]) for b in range(256)]
    assert all(tokenizer.vocab[256 + k] == a + b for k, (a, b) in enumerate(tokenizer.merges))


@pytest.mark.parametrize("text", SAMPLES)
def test_round_trip_on_hard_samples(tokenizer, text):
    ids = tokenizer.encode(text)
    assert tokenizer.decode(ids) == text
    assert all(isinstance(i, int) and 0 <= i < tokenizer.vocab_size for i in ids)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_round_trip_on_any_unicode(tokenizer, text):
    assert tokenizer.decode(tokenizer.encode(text)) == text


@settings(max_examples=100, deadline=None)
@given(st.text(st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF)) | st.text(
    st.characters(min_codepoint=0x0900, max_codepoint=0x0DFF)))
def test_round_trip_emoji_and_unseen_scripts(tokenizer, text):
    assert tokenizer.decode(tokenizer.encode(text)) == text


def test_more_merges_compress_the_training_text_more(tokenizer):
    lengths = [len(tokenizer.truncated(v).encode(CORPUS)) for v in (256, 276, 296, 316)]
    assert lengths[0] == len(CORPUS.encode())
    assert all(a > b for a, b in pairwise(lengths))


def test_tokens_never_cross_pre_tokenizer_chunks(tokenizer):
    text = "First Citizen: speak, speak."
    chunks = pretokenize(text)
    boundaries = set(np.cumsum([len(c.encode()) for c in chunks]))
    ends = set(np.cumsum([len(t) for t in tokenizer.tokens(text)]))
    assert boundaries <= ends


def test_truncation_equals_training_to_the_smaller_size(tokenizer):
    smaller = train_byte_bpe(CORPUS.splitlines(keepends=True), 256 + 25, min_frequency=2)
    assert tokenizer.truncated(256 + 25).merges == smaller.merges
    with pytest.raises(ValueError):
        tokenizer.truncated(100)


def test_reference_and_fast_trainers_agree():
    lines = CORPUS.splitlines(keepends=True)
    fast = train_byte_bpe(lines, 256 + 40)
    slow = train_byte_bpe(lines, 256 + 40, fast=False)
    assert fast.merges == slow.merges


def test_trace_records_each_merge():
    tokenizer, trace = train_byte_bpe_with_trace(CORPUS, 256 + 30)
    assert len(trace.merge_seconds) == len(trace.merge_counts) == len(tokenizer.merges)
    assert np.all(np.diff(trace.merge_counts) <= 0)  # a merge never beats an earlier count
    assert trace.counting_seconds >= 0 and np.all(np.diff(trace.merge_seconds) >= 0)


def test_save_load_round_trip(tokenizer, tmp_path):
    path = tokenizer.save(tmp_path / "sub" / "tok.json")
    loaded = ByteBPETokenizer.load(path)
    assert loaded.merges == tokenizer.merges and loaded.pattern == tokenizer.pattern
    for text in SAMPLES:
        assert loaded.encode(text) == tokenizer.encode(text)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "course-byte-bpe"


def test_load_rejects_other_files(tmp_path):
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ValueError):
        ByteBPETokenizer.load(path)


def test_unknown_ids_raise_value_error(tokenizer):
    with pytest.raises(ValueError, match="unknown token id"):
        tokenizer.decode([tokenizer.vocab_size])
    with pytest.raises(ValueError):
        tokenizer.decode([-1])


@pytest.mark.parametrize("bad", [["a"], [1.0], [True], "abc", b"abc"])
def test_non_integer_ids_raise_type_error(tokenizer, bad):
    with pytest.raises(TypeError):
        tokenizer.decode(bad)


def test_numpy_ids_decode(tokenizer):
    ids = np.array(tokenizer.encode("speak"))
    assert tokenizer.decode(ids) == "speak"


@pytest.mark.parametrize("bad", [b"bytes", 42, None, ["a", "list"]])
def test_non_string_input_raises_type_error(tokenizer, bad):
    with pytest.raises(TypeError, match="str"):
        tokenizer.encode(bad)


def test_lone_surrogate_raises_value_error(tokenizer):
    with pytest.raises(ValueError, match="not valid Unicode"):
        tokenizer.encode("bad \ud800 text")


def test_decoding_a_cut_character_replaces_it(tokenizer):
    ids = tokenizer.encode("🤖")
    assert tokenizer.decode(ids[:1]).startswith("\ufffd")
    with pytest.raises(UnicodeDecodeError):
        tokenizer.decode(ids[:1], errors="strict")


def test_bad_merges_and_vocab_sizes_raise():
    with pytest.raises(TypeError):
        ByteBPETokenizer([("a", "b")])
    with pytest.raises(ValueError):
        train_byte_bpe("abc", 100)


def test_chunk_counts_count_each_pre_tokenized_chunk():
    assert chunk_counts("aa aa") == {(b"a", b"a"): 1, (b" ", b"a", b"a"): 1}
