"""Gradient norms through time, the timing callables and the recall models."""

import numpy as np
import pytest
import torch

from course.rnn_limits import (
    RecallAttention,
    RecallGRU,
    attention_layer_call,
    gradient_by_distance,
    matrix_with_spectral_radius,
    rnn_layer_call,
    train_recall,
)


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
