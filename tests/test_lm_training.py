"""Tests of the step-based language-model training loop."""

from __future__ import annotations

import pytest
import torch

from course.gpt import GPT, GPTConfig
from course.lm_training import estimate_loss, learning_rate, parameter_groups, train_lm


def repeating_data():
    pattern = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 3, 2])
    return pattern.repeat(200), pattern.repeat(40)


def model():
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=8, block_size=16, n_layer=1, n_head=2, n_embd=32))


def test_training_lowers_the_validation_loss_and_records_history():
    train_ids, val_ids = repeating_data()
    history = train_lm(model(), train_ids, val_ids, steps=40, block_size=16, batch_size=8,
                       eval_every=20, eval_batches=2, progress=False)
    assert history["step"] == [0, 20, 40]
    assert history["val_loss"][-1] < 0.5 * history["val_loss"][0]
    assert history["seconds"] == sorted(history["seconds"])


def test_training_is_reproducible():
    train_ids, val_ids = repeating_data()
    runs = [train_lm(model(), train_ids, val_ids, steps=10, block_size=16, batch_size=4,
                     eval_every=5, eval_batches=1, progress=False)["val_loss"] for _ in range(2)]
    assert runs[0] == runs[1]


def test_estimate_loss_uses_fixed_windows():
    train_ids, _ = repeating_data()
    net = model()
    first = estimate_loss(net, train_ids, block_size=16, batch_size=4, n_batches=2)
    assert first == estimate_loss(net, train_ids, block_size=16, batch_size=4, n_batches=2)


def test_learning_rate_schedule():
    assert learning_rate(0, 1.0, 100, 10) == pytest.approx(0.1)
    assert learning_rate(9, 1.0, 100, 10) == pytest.approx(1.0)
    assert learning_rate(100, 1.0, 100, 10) == pytest.approx(0.1)


def test_wrong_arguments_are_rejected():
    train_ids, val_ids = repeating_data()
    with pytest.raises(ValueError):
        train_lm(model(), train_ids, val_ids, steps=0, block_size=16)


def test_weight_decay_falls_on_the_matrices_only():
    net = model()
    decay, no_decay = parameter_groups(net, 0.1)
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    names = {id(p): n for n, p in net.named_parameters()}
    decayed = {names[id(p)] for p in decay["params"]}
    assert all(p.dim() >= 2 for p in decay["params"])
    assert all(p.dim() == 1 for p in no_decay["params"])
    assert "token_embedding.weight" in decayed and "blocks.0.attn.qkv.weight" in decayed
    assert {names[id(p)] for p in no_decay["params"]} >= {"blocks.0.ln1.weight",
                                                          "blocks.0.attn.qkv.bias", "ln_f.bias"}
    # every parameter in exactly one group; the tied head is the token embedding, counted once
    total = len(decay["params"]) + len(no_decay["params"])
    assert total == len(list(net.parameters())) == len(names)
    (everything,) = parameter_groups(net, 0.1, decay_vectors=True)
    assert len(everything["params"]) == total
    with pytest.raises(ValueError):
        parameter_groups(net, -1.0)


def test_decaying_the_vectors_too_shrinks_the_norm_gains():
    train_ids, val_ids = repeating_data()
    gains = {}
    for decay_vectors in (False, True):
        net = model()
        train_lm(net, train_ids, val_ids, steps=20, block_size=16, batch_size=4, eval_every=20,
                 eval_batches=1, weight_decay=5.0, lr=1e-2, progress=False,
                 decay_vectors=decay_vectors)
        gains[decay_vectors] = net.ln_f.weight.detach().abs().mean().item()
    assert gains[True] < gains[False]


def test_a_transform_turns_the_loop_into_masked_language_modelling():
    from course.encoder import EncoderConfig, MaskedLanguageModel
    from course.masking import MLMBatches

    torch.manual_seed(0)
    ids = torch.randint(5, 30, (2000,))
    model = MaskedLanguageModel(EncoderConfig(vocab_size=30, max_length=12, n_layer=1,
                                              n_head=2, n_embd=16))
    masker = MLMBatches(2, 3, 4, frozenset({0, 1, 2, 3, 4}), 30, mask_prob=0.5)
    history = train_lm(model, ids, ids, steps=3, block_size=10, batch_size=8, eval_every=3,
                       eval_batches=1, transform=masker, progress=False)
    assert len(history) == 2
    first = estimate_loss(model, ids, block_size=10, n_batches=2, transform=masker)
    assert first == estimate_loss(model, ids, block_size=10, n_batches=2, transform=masker)
