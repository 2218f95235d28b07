"""Equivariance checks and parameter counts of token-mixing layers."""

import pytest
import torch

from course.equivariance import (
    FlatMLP,
    SelfAttention,
    TokenConv,
    circular_shift,
    equivariance_error,
    parameter_counts,
    permute_tokens,
    token_mixers,
)
from course.training import count_parameters


@pytest.fixture
def x():
    return torch.randn(2, 8, 6, generator=torch.Generator().manual_seed(0))


def test_convolution_commutes_with_shifts_not_permutations(x):
    torch.manual_seed(0)
    conv = TokenConv(6, 3)
    assert equivariance_error(conv, x, circular_shift(3)) < 1e-5
    assert (
        equivariance_error(conv, x, permute_tokens(torch.tensor([7, 0, 5, 2, 1, 4, 6, 3]))) > 1e-2
    )


def test_attention_commutes_with_permutations_until_positions_are_added(x):
    torch.manual_seed(1)
    shuffle = permute_tokens(torch.randperm(8))
    assert equivariance_error(SelfAttention(6, n_heads=2), x, shuffle) < 1e-5
    assert equivariance_error(SelfAttention(6, length=8), x, shuffle) > 1e-2


def test_dense_layer_is_not_equivariant(x):
    torch.manual_seed(2)
    assert equivariance_error(FlatMLP(8, 6), x, circular_shift(1)) > 1e-2


def test_closed_form_counts_match_modules():
    mixers = token_mixers(8, 6, kernel_size=5)
    counts = parameter_counts(8, 6, kernel_size=5)
    assert {name: count_parameters(m) for name, m in mixers.items()} == counts
    assert parameter_counts(100, 6)["self-attention"] == counts["self-attention"]


def test_even_kernel_is_rejected():
    with pytest.raises(ValueError):
        TokenConv(4, 2)
