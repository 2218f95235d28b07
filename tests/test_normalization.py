"""LayerNorm, RMSNorm and BatchNorm from their definitions against PyTorch's modules."""

import pytest
import torch
from torch import nn

from course.normalization import (
    BatchNorm1d,
    LayerNorm,
    RMSNorm,
    batch_statistics,
    layer_norm,
)


def _randomise(module):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn_like(p))
    return module


@pytest.mark.parametrize("shape", [8, (4, 8)])
def test_layer_norm_matches_torch(shape):
    torch.manual_seed(0)
    ours = _randomise(LayerNorm(shape))
    reference = nn.LayerNorm(shape)
    reference.load_state_dict(ours.state_dict())
    x = torch.randn(3, 5, 4, 8) * 3 + 2
    torch.testing.assert_close(ours(x), reference(x))


def test_layer_norm_output_has_zero_mean_unit_variance_per_token():
    x = torch.randn(6, 10) * 5 - 1
    y = layer_norm(x, 10)
    torch.testing.assert_close(y.mean(-1), torch.zeros(6), atol=1e-5, rtol=0)
    torch.testing.assert_close(y.var(-1, unbiased=False), torch.ones(6), atol=1e-3, rtol=0)
    with pytest.raises(ValueError):
        layer_norm(x, 7)


def test_rms_norm_matches_torch():
    torch.manual_seed(1)
    ours = _randomise(RMSNorm(6))
    reference = nn.RMSNorm(6, eps=1e-6)
    reference.load_state_dict(ours.state_dict())
    x = torch.randn(4, 6)
    torch.testing.assert_close(ours(x), reference(x))


@pytest.mark.parametrize("shape", [(16, 5), (8, 5, 7)])
def test_batch_norm_matches_torch_in_train_and_eval(shape):
    torch.manual_seed(2)
    ours = _randomise(BatchNorm1d(5, momentum=0.2))
    reference = nn.BatchNorm1d(5, momentum=0.2)
    reference.load_state_dict(ours.state_dict(), strict=False)
    for _ in range(3):
        x = torch.randn(*shape) * 2 + 1
        torch.testing.assert_close(ours(x), reference(x))
    torch.testing.assert_close(ours.running_mean, reference.running_mean)
    torch.testing.assert_close(ours.running_var, reference.running_var)
    ours.eval()
    reference.eval()
    x = torch.randn(*shape)
    torch.testing.assert_close(ours(x), reference(x))


def test_batch_norm_output_depends_on_batch_in_training_only():
    torch.manual_seed(3)
    norm = BatchNorm1d(4)
    sample = torch.randn(1, 4)
    batch_a = torch.cat([sample, torch.randn(7, 4)])
    batch_b = torch.cat([sample, torch.randn(7, 4) + 3])
    assert not torch.allclose(norm(batch_a)[0], norm(batch_b)[0])
    norm.eval()
    torch.testing.assert_close(norm(batch_a)[0], norm(batch_b)[0])


def test_batch_statistics_and_errors():
    x = torch.arange(12.0).view(3, 4)
    mean, var = batch_statistics(x, 4)
    torch.testing.assert_close(mean, x.mean(0))
    torch.testing.assert_close(var, x.var(0, unbiased=False))
    with pytest.raises(ValueError):
        batch_statistics(x, 3)
    with pytest.raises(ValueError):
        BatchNorm1d(4)(torch.randn(1, 4))
    with pytest.raises(ValueError):
        BatchNorm1d(0)
