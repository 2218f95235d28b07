"""The encoder (course.encoder): bidirectional, blind to padding, its heads, head ablation."""

import pytest
import torch

from course.encoder import (
    Encoder,
    EncoderClassifier,
    EncoderConfig,
    MaskedLanguageModel,
    ablate_heads,
)
from course.masking import IGNORE_INDEX

CONFIG = EncoderConfig(vocab_size=20, max_length=8, n_layer=2, n_head=2, n_embd=8)


def test_an_output_depends_on_later_tokens():
    torch.manual_seed(0)
    encoder = Encoder(CONFIG).eval()
    ids = torch.tensor([[5, 6, 7, 8, 9]])
    changed = ids.clone()
    changed[0, -1] = 10  # only the last token differs
    first, second = encoder(ids), encoder(changed)
    assert not torch.allclose(first[0, 0], second[0, 0])  # position 0 sees the last token


def test_padding_changes_nothing():
    torch.manual_seed(0)
    encoder = Encoder(CONFIG).eval()
    short = encoder(torch.tensor([[5, 6, 7]]))
    padded = encoder(torch.tensor([[5, 6, 7, 0, 0]]))
    assert torch.allclose(short, padded[:, :3], atol=1e-6)
    maps = encoder.attention_maps(torch.tensor([[5, 6, 7, 0, 0]]))
    assert maps.shape == (2, 1, 2, 5, 5)
    assert torch.allclose(maps.sum(-1), torch.ones(2, 1, 2, 5))
    assert torch.all(maps[..., 3:] == 0)


def test_masked_lm_scores_only_the_chosen_positions():
    torch.manual_seed(0)
    model = MaskedLanguageModel(CONFIG)
    ids = torch.tensor([[2, 5, 4, 7, 3]])
    targets = torch.full_like(ids, IGNORE_INDEX)
    targets[0, 2] = 6
    logits, loss = model(ids, targets)
    assert logits.shape == (1, 20) and loss.item() > 0
    full, none = model(ids)
    assert full.shape == (1, 5, 20) and none is None
    assert torch.allclose(full[0, 2], logits[0], atol=1e-6)
    with pytest.raises(ValueError, match="targets"):
        model(ids, targets[:, :3])


def test_classifier_and_head_ablation():
    torch.manual_seed(0)
    model = EncoderClassifier(Encoder(CONFIG)).eval()
    ids = torch.tensor([[2, 5, 6, 3]])
    before = model(ids)
    assert before.shape == (1, 2)
    with ablate_heads(model.encoder, [(0, 1), (1, 0)]):
        during = model(ids)
        weight = model.encoder.blocks[0].self_attn.out_proj.weight
        assert torch.all(weight[:, 4:] == 0)
    assert not torch.allclose(before, during)
    assert torch.allclose(before, model(ids))  # the weights are restored
    with pytest.raises(ValueError, match="no head"):
        with ablate_heads(model.encoder, [(2, 0)]):
            pass
    assert torch.allclose(before, model(ids))


def test_bad_configurations_and_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="divisible"):
        EncoderConfig(vocab_size=10, n_embd=10, n_head=4)
    with pytest.raises(ValueError, match="vocab_size"):
        EncoderConfig(vocab_size=0)
    with pytest.raises(ValueError, match="T <= 8"):
        Encoder(CONFIG)(torch.zeros(1, 9, dtype=torch.long))
