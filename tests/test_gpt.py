"""Tests of the GPT module: causality, cache, parameter count, sampling."""

from __future__ import annotations

import pytest
import torch

from course import scaling
from course.gpt import GPT, POSITIONS, GPTConfig, gpt_parameter_count, sample_next_token
from course.seeding import torch_generator
from course.training import count_parameters


def tiny(vocab_size: int = 37, block_size: int = 16, **kwargs) -> GPT:
    torch.manual_seed(0)
    config = GPTConfig(vocab_size=vocab_size, block_size=block_size, n_layer=2, n_head=4,
                       n_embd=32, **kwargs)
    return GPT(config).eval()


def test_no_position_sees_the_future():
    model = tiny()
    x = torch.randint(0, 37, (2, 16), generator=torch_generator(1))
    changed = x.clone()
    changed[:, 9:] = (changed[:, 9:] + 1) % 37  # alter every token from position 9 on
    logits, _ = model(x)
    logits_changed, _ = model(changed)
    assert torch.allclose(logits[:, :9], logits_changed[:, :9], atol=1e-6)
    assert not torch.allclose(logits[:, 9:], logits_changed[:, 9:], atol=1e-3)


def test_gradient_of_a_position_flows_only_from_the_past():
    model = tiny()
    x = torch.randint(0, 37, (1, 12), generator=torch_generator(2))
    embedded = model.token_embedding(x).detach().requires_grad_(True)  # (1, T, C)
    h = embedded + model.position_embedding(torch.arange(12))
    for block in model.blocks:
        h = block(h)
    h[0, 5].sum().backward()
    grad_norm = embedded.grad[0].norm(dim=-1)  # (T,)
    assert torch.all(grad_norm[6:] == 0)
    assert torch.all(grad_norm[:6] > 0)


def test_attention_maps_are_causal_and_normalised():
    model = tiny()
    x = torch.randint(0, 37, (3, 10), generator=torch_generator(3))
    maps = model.attention_maps(x)
    assert maps.shape == (2, 3, 4, 10, 10)
    assert torch.allclose(maps.sum(-1), torch.ones(2, 3, 4, 10), atol=1e-5)
    assert torch.all(maps.triu(diagonal=1) == 0)
    assert all(block.attn.weights is None for block in model.blocks)


@pytest.mark.parametrize("position", POSITIONS)
def test_no_position_sees_the_future_with_any_position_encoding(position):
    model = tiny(position=position)
    x = torch.randint(0, 37, (2, 16), generator=torch_generator(1))
    changed = x.clone()
    changed[:, 9:] = (changed[:, 9:] + 1) % 37
    assert torch.allclose(model(x)[0][:, :9], model(changed)[0][:, :9], atol=1e-6)


def logits_in_pieces(model: GPT, x: torch.Tensor, splits: tuple[int, ...], cache) -> torch.Tensor:
    """The logits of ``x`` fed through ``forward_cached`` in pieces of the lengths ``splits``."""
    pieces, start = [], 0
    for length in splits:
        pieces.append(model.forward_cached(x[:, start : start + length], cache))  # (B, n, V)
        start += length
    return torch.cat(pieces, dim=1)  # (B, T, V)


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("splits", [(16,), (1,) * 16, (5, 1, 7, 3)])
def test_kv_cache_gives_the_logits_of_full_recomputation(splits, position):
    model = tiny(position=position)
    x = torch.randint(0, 37, (2, 16), generator=torch_generator(4))
    full, _ = model(x)
    cache = model.new_cache()
    assert torch.allclose(logits_in_pieces(model, x, splits, cache), full, atol=1e-5)
    assert len(cache) == 16


@pytest.mark.parametrize("position", POSITIONS)
def test_cached_and_uncached_greedy_generation_agree(position):
    model = tiny(block_size=12, position=position)
    prompt = torch.randint(0, 37, (2, 4), generator=torch_generator(5))
    with_cache = model.generate(prompt, 20, temperature=0)  # runs past block_size
    without = model.generate(prompt, 20, temperature=0, use_cache=False)
    assert with_cache.shape == (2, 24)
    assert torch.equal(with_cache, without)


@pytest.mark.parametrize("position", POSITIONS)
def test_parameter_count_equals_the_closed_form(position):
    for config in (GPTConfig(vocab_size=37, block_size=16, n_layer=2, n_head=4, n_embd=32,
                             position=position),
                   GPTConfig(vocab_size=100, block_size=64, n_layer=3, n_head=2, n_embd=48,
                             position=position)):
        model = GPT(config)
        assert count_parameters(model) == gpt_parameter_count(config)  # the tied head once
        by_hand = sum(p.numel() for n, p in model.named_parameters() if "embedding" not in n)
        assert gpt_parameter_count(config, non_embedding=True) == by_hand


def test_only_learned_positions_have_parameters_and_the_default_is_learned():
    assert GPTConfig(vocab_size=10).position == "learned"
    sizes = {p: count_parameters(GPT(GPTConfig(vocab_size=10, block_size=8, n_layer=1,
                                               n_head=2, n_embd=8, position=p)))
             for p in POSITIONS}
    assert sizes["learned"] - sizes["none"] == 8 * 8
    assert sizes["none"] == sizes["sinusoidal"] == sizes["rope"] == sizes["alibi"]


def test_without_positions_one_layer_sees_the_last_position_as_a_bag_of_tokens():
    x = torch.randint(0, 37, (1, 8), generator=torch_generator(6))
    swapped = x.clone()
    swapped[0, [2, 5]] = x[0, [5, 2]]
    for position in POSITIONS:
        torch.manual_seed(0)
        model = GPT(GPTConfig(vocab_size=37, block_size=8, n_layer=1, n_head=4, n_embd=32,
                              position=position)).double().eval()
        # the last query sees the same multiset of tokens in both sequences; in one layer
        # its keys and values depend on their own tokens only, unless positions are encoded
        same = torch.allclose(model(x)[0][0, -1], model(swapped)[0][0, -1], rtol=0, atol=1e-12)
        assert same == (position == "none"), position


def test_weights_are_tied():
    model = tiny()
    assert model.head.weight is model.token_embedding.weight


def test_generate_is_reproducible_with_a_seed():
    model = tiny()
    prompt = torch.zeros(1, 1, dtype=torch.long)

    def draw(seed):
        return model.generate(prompt, 15, temperature=1.0, top_k=5,
                              generator=torch_generator(seed))

    assert torch.equal(draw(7), draw(7))
    assert not torch.equal(draw(7), draw(8))


def test_top_k_only_draws_the_k_most_likely_tokens():
    logits = torch.tensor([[0.0, 3.0, 1.0, 2.0, -1.0]]).repeat(200, 1)
    draws = sample_next_token(logits, 1.0, top_k=2, generator=torch_generator(0))
    assert set(draws.flatten().tolist()) == {1, 3}
    assert torch.all(sample_next_token(logits, 0.0) == 1)


def test_loss_is_cross_entropy_and_starts_near_log_vocab():
    model = tiny()
    x = torch.randint(0, 37, (4, 16), generator=torch_generator(6))
    targets = torch.randint(0, 37, (4, 16), generator=torch_generator(7))
    logits, loss = model(x, targets)
    assert logits.shape == (4, 16, 37)
    assert abs(loss.item() - torch.log(torch.tensor(37.0)).item()) < 0.3


def test_wrong_arguments_are_rejected():
    with pytest.raises(ValueError):
        GPTConfig(vocab_size=10, n_embd=30, n_head=4)
    with pytest.raises(TypeError):
        GPT({"vocab_size": 10})
    with pytest.raises(ValueError, match="position must be one of"):
        GPTConfig(vocab_size=10, position="relative")
    with pytest.raises(ValueError, match="power-of-two"):
        GPTConfig(vocab_size=10, n_embd=24, n_head=3, position="alibi")
    with pytest.raises(ValueError, match="even head size"):
        GPTConfig(vocab_size=10, n_embd=12, n_head=4, position="rope")
    model = tiny()
    with pytest.raises(ValueError):
        model(torch.zeros(1, 17, dtype=torch.long))  # longer than block_size
    with pytest.raises(ValueError):
        model.generate(torch.zeros(1, 2, dtype=torch.long), 3, top_k=0)


def test_the_cache_holds_the_bytes_of_its_formula():
    config = GPTConfig(vocab_size=11, block_size=16, n_layer=3, n_head=2, n_embd=8)
    model = GPT(config)
    cache = model.new_cache()
    assert cache.nbytes == 0  # buffers are allocated at the first token
    model.forward_cached(torch.zeros(2, 5, dtype=torch.long), cache)
    head_dim = config.n_embd // config.n_head
    expected = scaling.kv_cache_bytes(config.n_layer, config.n_head, head_dim, config.block_size,
                                      batch_size=2, bytes_per_element=4)
    assert cache.nbytes == expected


# --- the modern choices: RMSNorm, SwiGLU, no biases, grouped-query attention ---------------

VARIANTS = {
    "rmsnorm": dict(norm="rmsnorm"),
    "swiglu": dict(mlp="swiglu"),
    "no-bias": dict(bias=False),
    "gqa": dict(n_kv_head=2),
    "mqa": dict(n_kv_head=1),
    "modern": dict(norm="rmsnorm", mlp="swiglu", position="rope", bias=False, n_kv_head=2),
    "alibi-mqa": dict(position="alibi", n_kv_head=1),
}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("splits", [(16,), (1,) * 16, (5, 1, 7, 3)])
def test_kv_cache_is_exact_for_every_modern_variant(variant, splits):
    model = tiny(**VARIANTS[variant])
    x = torch.randint(0, 37, (2, 16), generator=torch_generator(4))
    full, _ = model(x)
    assert torch.allclose(logits_in_pieces(model, x, splits, model.new_cache()), full, atol=1e-5)


@pytest.mark.parametrize("variant", VARIANTS)
def test_cached_generation_equals_uncached_for_every_modern_variant(variant):
    model = tiny(block_size=12, **VARIANTS[variant])
    prompt = torch.randint(0, 37, (2, 4), generator=torch_generator(5))
    with_cache = model.generate(prompt, 20, temperature=0)  # runs past block_size
    assert torch.equal(with_cache, model.generate(prompt, 20, temperature=0, use_cache=False))
    sampled = [model.generate(prompt, 10, temperature=1.0, generator=torch_generator(9),
                              use_cache=use) for use in (True, False)]
    assert torch.equal(*sampled)


@pytest.mark.parametrize("variant", VARIANTS)
def test_modern_variants_stay_causal(variant):
    model = tiny(**VARIANTS[variant])
    x = torch.randint(0, 37, (2, 16), generator=torch_generator(1))
    changed = x.clone()
    changed[:, 9:] = (changed[:, 9:] + 1) % 37
    assert torch.allclose(model(x)[0][:, :9], model(changed)[0][:, :9], atol=1e-6)
    assert not torch.allclose(model(x)[0][:, 9:], model(changed)[0][:, 9:], atol=1e-3)


@pytest.mark.parametrize("variant", VARIANTS)
def test_parameter_count_of_every_modern_variant_equals_the_closed_form(variant):
    for sizes in (dict(vocab_size=37, block_size=16, n_layer=2, n_head=4, n_embd=32),
                  dict(vocab_size=100, block_size=64, n_layer=3, n_head=8, n_embd=48)):
        config = GPTConfig(**sizes, **VARIANTS[variant])
        model = GPT(config)
        assert count_parameters(model) == gpt_parameter_count(config)
        by_hand = sum(p.numel() for n, p in model.named_parameters() if "embedding" not in n)
        assert gpt_parameter_count(config, non_embedding=True) == by_hand


def test_kv_heads_shape_the_projection_the_cache_and_its_bytes():
    config = GPTConfig(vocab_size=11, block_size=16, n_layer=3, n_head=4, n_embd=32,
                       n_kv_head=2)
    assert config.kv_heads == 2 and GPTConfig(vocab_size=11, n_head=4).kv_heads == 4
    model = GPT(config).eval()
    head_size = 32 // 4
    assert model.blocks[0].attn.qkv.weight.shape == (32 + 2 * 2 * head_size, 32)
    cache = model.new_cache()
    logits = model.forward_cached(torch.zeros(2, 5, dtype=torch.long), cache)
    assert logits.shape == (2, 5, 11)
    keys, values = model.blocks[0].attn, cache.layers[0]
    assert values._keys.shape == values._values.shape == (2, 2, 16, head_size)
    assert keys.n_kv_head == 2
    assert cache.nbytes == scaling.kv_cache_bytes(3, 2, head_size, 16, batch_size=2,
                                                  bytes_per_element=4)
    mha = GPT(GPTConfig(vocab_size=11, block_size=16, n_layer=3, n_head=4, n_embd=32))
    mha_cache = mha.new_cache()
    mha.forward_cached(torch.zeros(2, 5, dtype=torch.long), mha_cache)
    assert mha_cache.nbytes == 2 * cache.nbytes


def test_grouped_query_attention_with_as_many_kv_heads_as_heads_is_multi_head():
    x = torch.randint(0, 37, (2, 16), generator=torch_generator(3))
    mha, gqa = tiny(), tiny(n_kv_head=4)
    assert mha.state_dict().keys() == gqa.state_dict().keys()
    assert all(torch.equal(a, b) for a, b in zip(mha.state_dict().values(),
                                                 gqa.state_dict().values(), strict=True))
    assert torch.equal(mha(x)[0], gqa(x)[0])


def test_grouped_query_attention_is_multi_head_with_shared_keys_and_values():
    """Copy each key-value head of a GQA model to the query heads of its group: the multi-head
    model so made computes the same logits, so query head h uses key-value head h // group."""
    n_head, n_kv_head, head_size = 4, 2, 8
    group = n_head // n_kv_head
    gqa = tiny(n_kv_head=n_kv_head)
    mha = tiny()

    def widen(rows: torch.Tensor) -> torch.Tensor:  # (Hkv D, ...) -> (H D, ...), heads repeated
        heads = rows.unflatten(0, (n_kv_head, head_size))  # (Hkv, D, ...)
        return heads.repeat_interleave(group, 0).flatten(0, 1)  # (H D, ...)

    state = gqa.state_dict()
    for name, value in list(state.items()):
        if name.endswith(("attn.qkv.weight", "attn.qkv.bias")):
            q, k, v = value.split([n_head * head_size, n_kv_head * head_size,
                                   n_kv_head * head_size])
            state[name] = torch.cat([q, widen(k), widen(v)])
    mha.load_state_dict(state)
    x = torch.randint(0, 37, (2, 16), generator=torch_generator(8))
    assert torch.allclose(gqa(x)[0], mha(x)[0], atol=1e-5)
    # the explicit softmax (attention maps) groups the heads in the same way as the fused kernel
    assert torch.allclose(gqa.attention_maps(x), mha.attention_maps(x), atol=1e-6)
    assert gqa.attention_maps(x).shape == (2, 2, n_head, 16, 16)


def test_no_bias_leaves_no_bias_and_rmsnorm_has_a_gain_only():
    model = tiny(bias=False)
    assert not [name for name, _ in model.named_parameters() if "bias" in name]
    rms = tiny(norm="rmsnorm")
    norms = [m for m in rms.modules() if isinstance(m, torch.nn.RMSNorm)]
    assert len(norms) == 2 * 2 + 1  # two per block and the final one
    assert not any(isinstance(m, torch.nn.LayerNorm) for m in rms.modules())
    x = torch.randn(3, 5, 32, generator=torch_generator(2)) * 7 + 3
    out = norms[0](x)
    assert torch.allclose(out.pow(2).mean(-1), torch.ones(3, 5), atol=1e-4)  # unit RMS
    assert not torch.allclose(out.mean(-1), torch.zeros(3, 5), atol=1e-2)  # but not centred


def test_swiglu_computes_its_formula_and_matches_the_gelu_mlp_in_size():
    from course.gpt import SwiGLU, swiglu_width

    for c in (30, 32, 64, 100, 768):
        width = swiglu_width(c)
        assert abs(3 * c * width - 2 * 4 * c * c) <= c
    assert swiglu_width(768) == 2048  # LLaMA's 2/3 * 4d for a 768-wide model
    torch.manual_seed(0)
    layer = SwiGLU(6, 10)
    x = torch.randn(2, 3, 6, generator=torch_generator(1))
    gate, up = x @ layer.gate.weight.T + layer.gate.bias, x @ layer.fc1.weight.T + layer.fc1.bias
    expected = (gate * torch.sigmoid(gate) * up) @ layer.fc2.weight.T + layer.fc2.bias
    assert torch.allclose(layer(x), expected, atol=1e-6)
    with pytest.raises(ValueError):
        swiglu_width(0)


@pytest.mark.parametrize("mlp", ["gelu", "swiglu"])
def test_residual_projections_start_smaller_by_the_square_root_of_two_layers(mlp):
    torch.manual_seed(0)
    config = GPTConfig(vocab_size=50, block_size=8, n_layer=8, n_head=4, n_embd=128, mlp=mlp)
    model = GPT(config)
    scaled = [p for n, p in model.named_parameters()
              if n.endswith(("attn.proj.weight", "mlp.fc2.weight"))]
    assert len(scaled) == 2 * config.n_layer
    std = torch.cat([p.flatten() for p in scaled]).std().item()
    assert std == pytest.approx(0.02 / 4, rel=0.02)  # sqrt(2 * 8) = 4
    assert model.blocks[0].attn.qkv.weight.std().item() == pytest.approx(0.02, rel=0.02)


def test_wrong_modern_choices_are_rejected():
    with pytest.raises(ValueError, match="norm must be one of"):
        GPTConfig(vocab_size=10, norm="batchnorm")
    with pytest.raises(ValueError, match="mlp must be one of"):
        GPTConfig(vocab_size=10, mlp="relu")
    with pytest.raises(TypeError, match="bias"):
        GPTConfig(vocab_size=10, bias="no")
    with pytest.raises(ValueError, match="must divide"):
        GPTConfig(vocab_size=10, n_head=4, n_kv_head=3)
    with pytest.raises(ValueError):
        GPTConfig(vocab_size=10, n_head=4, n_kv_head=0)
