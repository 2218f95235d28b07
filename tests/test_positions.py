"""Tests of the position encodings (course.positions): shapes, the two sinusoidal theorems,
RoPE against complex multiplication and its relative property, ALiBi's slopes and bias."""

from __future__ import annotations

import math

import pytest
import torch

from course import positions
from course.seeding import torch_generator


def test_sinusoidal_table_has_sines_in_even_and_cosines_in_odd_columns():
    table = positions.sinusoidal_table(50, 16)
    assert table.shape == (50, 16)
    t, i = 7, 3
    omega = 10000 ** (-2 * i / 16)
    assert table[t, 2 * i].item() == pytest.approx(math.sin(t * omega), abs=1e-6)
    assert table[t, 2 * i + 1].item() == pytest.approx(math.cos(t * omega), abs=1e-6)
    assert torch.equal(table[0, 1::2], torch.ones(8))


def test_a_shift_is_the_same_block_rotation_at_every_position():
    dim, k = 12, 5
    table = positions.sinusoidal_table(40, dim).double()
    omega = 10000 ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)  # (C/2,)
    shift = torch.zeros(dim, dim, dtype=torch.float64)
    for i, w in enumerate(omega):
        c, s = math.cos(k * w), math.sin(k * w)
        shift[2 * i:2 * i + 2, 2 * i:2 * i + 2] = torch.tensor([[c, s], [-s, c]])
    assert torch.allclose(table[k:], table[:-k] @ shift.T, atol=1e-6)


def test_sinusoidal_dot_products_depend_on_the_offset_only():
    dim = 16
    table = positions.sinusoidal_table(30, dim).double()
    gram = table @ table.T  # (T, T)
    omega = 10000 ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    offsets = torch.arange(30)[:, None] - torch.arange(30)[None, :]  # (T, T)
    expected = torch.cos(offsets[..., None] * omega).sum(-1)  # (T, T)
    assert torch.allclose(gram, expected, atol=1e-5)


def _rope_complex(x: torch.Tensor, start: int, base: float = 10000.0) -> torch.Tensor:
    """RoPE as complex multiplication: pair (x0, x1) is x0 + i x1, times exp(i m theta)."""
    length, head_size = x.shape[2], x.shape[3]
    theta = base ** (-torch.arange(0, head_size, 2, dtype=torch.float64) / head_size)
    m = torch.arange(start, start + length, dtype=torch.float64)[:, None]
    turn = torch.polar(torch.ones_like(m * theta), m * theta)  # (T, D/2)
    pairs = torch.view_as_complex(x.double().reshape(*x.shape[:-1], -1, 2).contiguous())
    return torch.view_as_real(pairs * turn).flatten(-2).to(x.dtype)


@pytest.mark.parametrize("start", [0, 3, 1000])
def test_rope_equals_complex_multiplication(start):
    x = torch.randn(2, 3, 7, 8, generator=torch_generator(0))
    assert torch.allclose(positions.apply_rope(x, start), _rope_complex(x, start), atol=1e-5)


def test_rope_keeps_norms_and_its_dot_products_depend_on_the_offset_only():
    q = torch.randn(1, 1, 1, 16, generator=torch_generator(1), dtype=torch.float64)
    k = torch.randn(1, 1, 1, 16, generator=torch_generator(2), dtype=torch.float64)
    rotated = positions.apply_rope(q, 9)
    assert torch.allclose(rotated.norm(), q.norm())

    def score(m: int, n: int) -> float:
        return (positions.apply_rope(q, m) * positions.apply_rope(k, n)).sum().item()

    for m, n in [(0, 5), (3, 8), (40, 45), (100, 105)]:
        # <R_m q, R_n k> = <q, R_(n-m) k>
        assert score(m, n) == pytest.approx(score(0, n - m), abs=1e-9)
    assert score(2, 7) != pytest.approx(score(2, 9), abs=1e-6)


def test_rope_of_a_sequence_is_rope_of_its_pieces():
    x = torch.randn(1, 2, 10, 4, generator=torch_generator(3))
    whole = positions.apply_rope(x)
    pieces = torch.cat([positions.apply_rope(x[:, :, :6]),
                        positions.apply_rope(x[:, :, 6:], start=6)], dim=2)
    assert torch.allclose(whole, pieces, atol=1e-6)


@pytest.mark.parametrize("n_head", [1, 2, 4, 8, 16])
def test_alibi_slopes_are_the_geometric_sequence(n_head):
    expected = torch.tensor([2 ** (-8 * h / n_head) for h in range(1, n_head + 1)])
    assert torch.allclose(positions.alibi_slopes(n_head), expected)


def test_alibi_bias_is_linear_in_the_distance_and_causal():
    bias = positions.alibi_bias(4, 5, 5)
    assert bias.shape == (4, 5, 5)
    slopes = positions.alibi_slopes(4)
    assert bias[:, 4, 1].tolist() == pytest.approx((-3 * slopes).tolist())
    assert torch.all(bias.diagonal(dim1=1, dim2=2) == 0)
    assert torch.all(torch.isinf(bias.triu(1)[:, 0, 1:]))
    # the last two queries of seven keys are rows 5 and 6 of the full bias
    assert torch.equal(positions.alibi_bias(4, 2, 7), positions.alibi_bias(4, 7, 7)[:, 5:])


def test_bad_arguments_are_refused_with_clear_errors():
    with pytest.raises(ValueError, match="even"):
        positions.sinusoidal_table(4, 5)
    with pytest.raises(ValueError, match="length"):
        positions.sinusoidal_table(0, 4)
    with pytest.raises(ValueError, match="even"):
        positions.apply_rope(torch.zeros(1, 1, 2, 3))
    with pytest.raises(ValueError, match="B, H, T, D"):
        positions.apply_rope(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="start"):
        positions.apply_rope(torch.zeros(1, 1, 2, 4), start=-1)
    with pytest.raises(ValueError, match="power-of-two"):
        positions.alibi_slopes(6)
    with pytest.raises(ValueError, match="n_query"):
        positions.alibi_bias(2, 5, 3)
