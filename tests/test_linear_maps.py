"""Layers as matrices, homogeneous coordinates, embeddings, affine collapse, activations."""

import pytest
import torch
from torch import nn

from course import linear_maps as lm


def test_neuron_loop_equals_matmul_and_nn_linear():
    torch.manual_seed(0)
    layer = nn.Linear(5, 3)
    x = torch.randn(4, 5)
    w, b = layer.weight.detach(), layer.bias.detach()
    torch.testing.assert_close(lm.dense_neuron_by_neuron(x, w, b), lm.dense_matmul(x, w, b))
    torch.testing.assert_close(lm.dense_matmul(x, w, b), layer(x).detach())
    with pytest.raises(ValueError):
        lm.dense_matmul(x, w[:, :4], b)


def test_grid_lines_and_apply_linear():
    lines = lm.grid_lines(extent=1.0, n_lines=3, n_points=5)
    assert lines.shape == (6, 5, 2)
    scale = torch.diag(torch.tensor([2.0, 3.0]))
    torch.testing.assert_close(lm.apply_linear(lines, scale), lines * torch.tensor([2.0, 3.0]))
    with pytest.raises(ValueError):
        lm.apply_linear(lines, torch.eye(3))


def test_homogeneous_matrix_applies_the_affine_map():
    torch.manual_seed(1)
    w, b, x = torch.randn(2, 3), torch.randn(2), torch.randn(7, 3)
    lifted = lm.to_homogeneous(x) @ lm.affine_to_homogeneous(w, b).T
    torch.testing.assert_close(lifted[:, :2], x @ w.T + b)
    torch.testing.assert_close(lifted[:, 2], torch.ones(7))
    shift = lm.translation_matrix([1.0, -2.0])
    origin = lm.to_homogeneous(torch.zeros(1, 2)) @ shift.T
    assert origin[0, :2].tolist() == [1.0, -2.0]


def test_compose_affine_matches_the_network():
    torch.manual_seed(2)
    net = lm.make_mlp(3, 8, 2, n_hidden_layers=4, activation=None)
    w, b = lm.compose_affine(lm.affine_layers(net))
    x = torch.randn(10, 3)
    torch.testing.assert_close(net(x).detach(), x @ w.T + b, atol=1e-5, rtol=1e-5)
    assert w.shape == (2, 3)
    with pytest.raises(TypeError):
        lm.affine_layers(lm.make_mlp(3, 8, 2, n_hidden_layers=1))
    with pytest.raises(ValueError):
        lm.compose_affine([])


def test_make_mlp_structure():
    relu_net = lm.make_mlp(2, 4, 1, n_hidden_layers=2)
    assert sum(isinstance(m, nn.ReLU) for m in relu_net) == 2
    assert sum(isinstance(m, nn.Linear) for m in relu_net) == 3


def test_one_hot_embedding_is_a_lookup():
    table = torch.randn(11, 4)
    ids = torch.tensor([[0, 3], [10, 3]])
    torch.testing.assert_close(lm.one_hot_embedding(ids, table), table[ids])
    model = lm.NeighbourWordModel(11, dim=2)
    assert model(torch.tensor([1, 2])).shape == (2, 11)


@pytest.mark.parametrize("name", list(lm.ACTIVATIONS))
def test_autograd_derivatives_match_finite_differences(name):
    fn = lm.ACTIVATIONS[name]
    x = torch.linspace(-3, 3, 13, dtype=torch.float64) + 0.01  # avoid ReLU's kink at 0
    values, derivative = lm.activation_with_derivative(fn, x)
    h = 1e-6
    numeric = (fn(x + h) - fn(x - h)) / (2 * h)
    torch.testing.assert_close(derivative, numeric, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(values, fn(x))
