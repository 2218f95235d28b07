"""The GPT chapter's measurements (course.chapters.gpt) on maps whose answers are known."""

import matplotlib.pyplot as plt
import pytest
import torch

from course.chapters import gpt as chapter
from course.gpt import GPT, GPTConfig


def _previous_token_maps(length: int) -> torch.Tensor:
    """(1, 1, 1, T, T): position 0 attends to itself, every later one to its predecessor."""
    maps = torch.zeros(length, length)
    maps[0, 0] = 1.0
    maps[torch.arange(1, length), torch.arange(length - 1)] = 1.0
    return maps[None, None, None]


def test_previous_token_attention_finds_a_previous_token_head():
    maps = _previous_token_maps(6)
    assert chapter.previous_token_attention(maps).item() == pytest.approx(1.0)
    uniform = chapter.uniform_causal_maps(6)
    # row t of the uniform map spreads 1 / (t + 1) over the t + 1 visible positions
    expected = sum(1 / (t + 1) for t in range(1, 6)) / 5
    assert chapter.previous_token_attention(uniform).item() == pytest.approx(expected)
    with pytest.raises(ValueError):
        chapter.previous_token_attention(torch.zeros(2, 3))


def test_uniform_maps_are_causal_and_sum_to_one():
    uniform = chapter.uniform_causal_maps(5)[0, 0, 0]  # (T, T)
    assert torch.allclose(uniform.sum(-1), torch.ones(5))
    assert torch.all(uniform.triu(1) == 0)


def test_attention_to_measures_the_weight_on_target_keys():
    maps = _previous_token_maps(4)
    is_target = torch.tensor([[True, False, False, False]])  # (B, T): only key 0
    # queries 0 and 1 put all their weight on key 0, queries 2 and 3 none
    assert chapter.attention_to(maps, is_target).item() == pytest.approx(0.5)
    with pytest.raises(ValueError):
        chapter.attention_to(maps, torch.ones(1, 3, dtype=torch.bool))


def test_generation_time_and_head_maps_of_a_small_model():
    model = GPT(GPTConfig(vocab_size=11, block_size=16, n_layer=2, n_head=2, n_embd=8))
    assert chapter.generation_seconds(model, 4, use_cache=True, repeats=1) > 0
    maps = model.attention_maps(torch.zeros(1, 5, dtype=torch.long))  # (L, 1, H, T, T)
    fig = chapter.plot_attention_heads(maps, list("abcde"))
    assert len(fig.axes) == 2 * 2
    with pytest.raises(ValueError, match="labels"):
        chapter.plot_attention_heads(maps, list("ab"))
    plt.close("all")


def test_bits_per_char_lines_and_baselines_in_the_model_colour():
    curves = {"char": ([0, 10], [4.0, 2.5]), "bpe": ([0, 10], [4.5, 2.2])}
    baselines = {"char": {"unigram": 4.8, "bigram": 3.3}}
    fig = chapter.plot_bits_per_char(curves, baselines)
    ax = fig.axes[0]
    assert len(ax.lines) == 2 + 2  # two models, two baselines of the first
    assert ax.lines[1].get_color() == ax.lines[0].get_color()
    assert ax.get_ylim()[1] == pytest.approx(4.8 + 1.0)
    plt.close(fig)


def test_repeated_ngram_fraction_is_zero_without_repeats_and_grows_with_a_loop():
    assert chapter.repeated_ngram_fraction("the cat sat on the mat") == 0.0
    loop = "and the king, and the king, and the king"
    assert chapter.repeated_ngram_fraction(loop) == pytest.approx(4 / 7)
    assert chapter.repeated_ngram_fraction(loop, n=1) == pytest.approx(6 / 9)
    with pytest.raises(ValueError, match="fewer than 3 words"):
        chapter.repeated_ngram_fraction("two words")
    with pytest.raises(ValueError, match="positive"):
        chapter.repeated_ngram_fraction("a b c", n=0)


def test_speaker_lines_begin_with_capitals_and_a_colon():
    text = ("ROMEO:\nI am here.\nKING RICHARD III:\nNay: not I.\nFirst Citizen:\nO'ER:\n"
            "GLOUCESTER: Away!\nNO:colon-joined\n  ROMEO:")
    assert chapter.speaker_lines(text) == ["ROMEO:", "KING RICHARD III:", "O'ER:",
                                           "GLOUCESTER: Away!"]
    assert chapter.speaker_lines("no speakers here") == []
