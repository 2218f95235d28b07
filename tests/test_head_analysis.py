"""Head statistics (course.head_analysis) on hand-built attention maps with known answers."""

import math

import pytest
import torch

from course import head_analysis


def _maps() -> tuple[torch.Tensor, torch.Tensor]:
    """Two heads on one sequence of 4 real tokens and one pad: head 0 looks at the previous
    token (token 0 at itself), head 1 spreads evenly over the real tokens."""
    real = torch.tensor([[True, True, True, True, False]])
    previous = torch.zeros(5, 5)
    previous[0, 0] = 1.0
    previous[torch.arange(1, 5), torch.arange(4)] = 1.0
    even = head_analysis.uniform_maps(real)[0, 0, 0]  # (T, T)
    return torch.stack([previous, even])[None, None], real  # (1, 1, 2, T, T)


def test_offsets_find_the_previous_token_head():
    maps, real = _maps()
    previous = head_analysis.offset_attention(maps, -1, real)
    assert previous[0, 0].item() == pytest.approx(1.0)  # queries 1, 2, 3
    assert previous[0, 1].item() == pytest.approx(0.25)
    assert head_analysis.offset_attention(maps, 1, real)[0, 0].item() == pytest.approx(0.0)


def test_attention_to_and_entropy():
    maps, real = _maps()
    first = torch.tensor([[True, False, False, False, False]])
    # head 0: queries 0 and 1 put everything on token 0, queries 2 and 3 nothing
    on_first = head_analysis.attention_to(maps, first, real)
    assert on_first[0].tolist() == pytest.approx([0.5, 0.25])
    entropy = head_analysis.attention_entropy(maps, real)
    assert entropy[0, 0].item() == pytest.approx(0.0, abs=1e-6)
    assert entropy[0, 1].item() == pytest.approx(math.log(4))


def test_uniform_maps_ignore_padding_and_sum_to_one():
    real = torch.tensor([[True, True, False], [True, True, True]])
    uniform = head_analysis.uniform_maps(real)
    assert uniform.shape == (1, 2, 1, 3, 3)
    assert torch.allclose(uniform.sum(-1), torch.ones(1, 2, 1, 3))
    assert torch.all(uniform[0, 0, 0, :, 2] == 0)


def test_bad_arguments_raise_clear_errors():
    maps, real = _maps()
    with pytest.raises(ValueError, match=r"\(L, B, H, T, T\)"):
        head_analysis.attention_entropy(maps[0], real)
    with pytest.raises(ValueError, match="boolean"):
        head_analysis.attention_entropy(maps, real.float())
    with pytest.raises(ValueError, match="offset"):
        head_analysis.offset_attention(maps, 0, real)
    with pytest.raises(ValueError, match="is_target"):
        head_analysis.attention_to(maps, real[:, :3], real)
    with pytest.raises(ValueError, match="no position"):
        head_analysis.attention_entropy(maps, torch.zeros_like(real))
