"""Prerequisites II (course.chapters.prereq_sequences): equivariance checks and parameter
counts of token mixers, gradient norms through time, the timing callables, the recall models
and the figures."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course.chapters import prereq_sequences as chapter
from course.chapters.prereq_sequences import (
    FlatMLP,
    RecallAttention,
    RecallGRU,
    SelfAttention,
    TokenConv,
    attention_layer_call,
    circular_shift,
    equivariance_error,
    gradient_by_distance,
    matrix_with_spectral_radius,
    parameter_counts,
    permute_tokens,
    rnn_layer_call,
    token_mixers,
    train_recall,
)
from course.training import count_parameters


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_figures_have_their_panels():
    assert chapter.plot_timings([1, 2], {"a": np.array([1.0, 2.0])}, xlabel="T").axes
    assert chapter.plot_recall([4, 8], {"m": [1.0, 0.5]}, chance=0.25).axes
    panels = {"lin": {"a": np.ones(5)}, "tanh": {"a": np.ones(5)}}
    fig = chapter.plot_gradient_by_distance(panels)
    assert [ax.get_title() for ax in fig.axes] == ["lin", "tanh"]
    assert fig.axes[0].get_yscale() == "log"


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


@pytest.mark.parametrize("radius", [0.5, 1.3])
def test_spectral_radius_is_set(radius):
    matrix = matrix_with_spectral_radius(16, radius, seed=0)
    assert abs(torch.linalg.eigvals(matrix.double()).abs().max().item() - radius) < 1e-4
    with pytest.raises(ValueError):
        matrix_with_spectral_radius(4, 0.0)


def test_linear_rnn_gradients_decay_or_grow_like_the_radius():
    for radius in (0.8, 1.2):
        norms = gradient_by_distance(matrix_with_spectral_radius(16, radius, seed=2), 40)
        rate = np.exp(np.polyfit(np.arange(15, 40), np.log(norms[15:]), 1)[0])
        assert abs(rate - radius) < 0.03


def test_identity_recurrence_keeps_gradient_and_tanh_shrinks_it():
    norms = gradient_by_distance(torch.eye(8), 20, "linear")
    np.testing.assert_allclose(norms, 1.0, rtol=1e-6)
    assert gradient_by_distance(torch.eye(8), 20, "tanh")[-1] < 1.0
    with pytest.raises(ValueError):
        gradient_by_distance(torch.eye(8), 5, "relu")


def test_timing_callables_return_sequences():
    assert rnn_layer_call(5, d_model=4, batch=2)().shape == (2, 5, 4)
    assert attention_layer_call(5, d_model=4, batch=2)().shape == (2, 5, 4)


def test_recall_models_shapes_and_attention_learns_fast():
    tokens, positions = torch.randint(0, 4, (3, 6)), torch.tensor([0, 5, 2])
    assert RecallGRU(4, 6)(tokens, positions).shape == (3, 4)
    assert RecallAttention(4, 6)(tokens, positions).shape == (3, 4)
    torch.manual_seed(0)
    assert train_recall(RecallAttention(4, 4), 4, steps=150) > 0.9
