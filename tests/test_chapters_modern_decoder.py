"""The modern-decoder chapter's steps and measurements (course.chapters.modern_decoder)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import matplotlib.pyplot as plt
import pytest
import torch

from course.chapters import modern_decoder as chapter
from course.gpt import GPT, GPTConfig
from course.lm_data import Corpus
from course.lm_training import parameter_groups
from course.training import count_parameters


def base(**kwargs) -> GPTConfig:
    return GPTConfig(vocab_size=20, block_size=16, n_layer=2, n_head=4, n_embd=32, **kwargs)


def test_the_steps_are_cumulative_and_end_in_a_llama_style_decoder():
    steps = chapter.modernisation_configs(base())
    assert [name for name, _ in steps] == [name for name, _ in chapter.MODERNISATION]
    first, last = steps[0][1], steps[-1][1]
    assert first == base()
    assert (last.norm, last.mlp, last.position, last.bias, last.kv_heads) == (
        "rmsnorm", "swiglu", "rope", False, 1)
    # each step changes exactly one field of the step before
    for (_, before), (_, after) in zip(steps, steps[1:], strict=False):
        changed = [f for f in vars(before) if getattr(before, f) != getattr(after, f)]
        assert len(changed) == 1
    with pytest.raises(TypeError):
        chapter.modernisation_configs({"vocab_size": 20})


def test_undoing_the_residual_scaling_draws_those_matrices_at_0_02():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=20, block_size=8, n_layer=8, n_head=4, n_embd=128))
    projections = [p for n, p in model.named_parameters()
                   if n.endswith(("attn.proj.weight", "mlp.fc2.weight"))]
    before = torch.cat([p.detach().flatten() for p in projections]).std().item()
    chapter.undo_residual_scaling(model)
    after = torch.cat([p.detach().flatten() for p in projections]).std().item()
    assert before == pytest.approx(0.02 / 4, rel=0.03)
    assert after == pytest.approx(0.02, rel=0.03)


def test_residual_mean_squares_follow_the_stream_and_leave_no_hooks():
    torch.manual_seed(0)
    model = GPT(base())
    idx = torch.randint(0, 20, (3, 16), generator=torch.Generator().manual_seed(1))
    stream, branches = chapter.residual_mean_squares(model, idx)
    assert stream.shape == (5,) and branches.shape == (4,)
    # the first entry is the embedding, the last what enters the final norm
    seen = []
    handle = model.ln_f.register_forward_hook(lambda m, i, out: seen.append(i[0]))
    model(idx)
    handle.remove()
    embedded = model.token_embedding(idx) + model.position_embedding(torch.arange(16))
    assert stream[0].item() == pytest.approx(embedded.pow(2).mean().item(), rel=1e-5)
    assert stream[-1].item() == pytest.approx(seen[0].pow(2).mean().item(), rel=1e-5)
    assert torch.all(branches > 0)
    assert not model.drop._forward_hooks and not model.blocks[0].attn._forward_hooks


def test_without_the_scaling_the_branches_add_more():
    config = GPTConfig(vocab_size=20, block_size=16, n_layer=6, n_head=4, n_embd=64)
    idx = torch.randint(0, 20, (4, 16), generator=torch.Generator().manual_seed(2))
    scaled, _ = chapter.init_mean_squares(config, idx, draws=2)
    unscaled, _ = chapter.init_mean_squares(config, idx, scaled=False, draws=2)
    assert scaled[0] == pytest.approx(unscaled[0].item())  # the same embeddings
    assert (unscaled[-1] - unscaled[0]) > 4 * (scaled[-1] - scaled[0])
    with pytest.raises(ValueError):
        chapter.init_mean_squares(config, idx, draws=0)


def test_decay_factor_is_what_adamw_does_to_a_parameter_without_gradient():
    rates = [0.1, 0.05, 0.2, 0.01]
    assert chapter.decay_factor(rates, 0.5) == pytest.approx(0.95 * 0.975 * 0.9 * 0.995)
    parameter = torch.nn.Parameter(torch.full((3,), 2.0))
    optimizer = torch.optim.AdamW([parameter], lr=0.1, weight_decay=0.5)
    for lr in rates:
        optimizer.param_groups[0]["lr"] = lr
        parameter.grad = torch.zeros(3)
        optimizer.step()
    assert torch.allclose(parameter, torch.full((3,), 2.0 * chapter.decay_factor(rates, 0.5)))


def test_decayed_fraction_counts_the_groups_of_the_optimiser():
    model = GPT(base())
    decayed, kept = chapter.decayed_fraction(model)
    decay, no_decay = parameter_groups(model, 0.1)
    assert decayed == sum(p.numel() for p in decay["params"])
    assert kept == sum(p.numel() for p in no_decay["params"])
    assert decayed + kept == count_parameters(model)


def test_generation_seconds_times_a_cached_generation():
    model = GPT(base())
    seconds = chapter.generation_seconds(model, 5, batch_size=2, repeats=1)
    assert isinstance(seconds, float) and seconds > 0
    with pytest.raises(ValueError):
        chapter.generation_seconds(model, 0)


def test_train_and_score_reports_bits_parameters_and_seconds():
    pattern = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 3, 2])
    corpus = Corpus("toy", SimpleNamespace(vocab_size=8), pattern.repeat(100), pattern.repeat(20),
                    val_chars=200, val_bytes=200)
    config = GPTConfig(vocab_size=8, block_size=8, n_layer=1, n_head=2, n_embd=16)
    model, result = chapter.train_and_score(config, corpus, seed=0, steps=30, batch_size=8,
                                            lr=1e-2, eval_batches=2)
    assert result["parameters"] == count_parameters(model)
    assert 0 < result["bits"] < math.log2(8)  # learned something of the repeating pattern
    assert result["seconds"] > 0
    again, repeat = chapter.train_and_score(config, corpus, seed=0, steps=30, batch_size=8,
                                            lr=1e-2, eval_batches=2)
    assert repeat["bits"] == result["bits"]


def test_the_plots_draw_one_row_per_step_and_one_line_per_initialisation():
    fig = chapter.plot_modernisation(["a", "b", "c"], [3.0, 2.9, 3.1], [2.95, 3.05])
    ax = fig.axes[0]
    height = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    assert height["a"] > height["b"] > height["c"]  # the first step at the top
    assert len(ax.patches) == 1  # the band of the seeds
    plt.close(fig)
    with pytest.raises(ValueError):
        chapter.plot_modernisation(["a"], [1.0, 2.0], [1.0])
    fig = chapter.plot_residual_mean_squares({"x": torch.ones(5), "y": torch.arange(1, 6.0)}, 2)
    assert len(fig.axes[0].lines) == 2
    plt.close(fig)
