"""Chinchilla's parametric loss, C = 6ND and the compute-optimal allocation; the key-value
cache's bytes; ZeRO's model states per rank."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course.scaling import (
    CHINCHILLA,
    FLOPS_PER_PARAMETER_TOKEN,
    ParametricLoss,
    attention_flops_per_token,
    compute_optimal,
    compute_optimal_numerical,
    equal_compute_sweep,
    iso_flop_losses,
    kv_cache_bytes,
    training_flops,
    zero_memory_per_rank,
)


def test_constants_are_the_papers_approach_3_fit():
    law = CHINCHILLA
    assert (law.E, law.A, law.B, law.alpha, law.beta) == (1.69, 406.4, 410.7, 0.34, 0.28)
    a, b = law.exponents
    assert a + b == pytest.approx(1.0)
    # Table 2 of Hoffmann et al. (2022) reports a = 0.46, b = 0.54 for Approach 3
    assert a == pytest.approx(0.46, abs=0.01) and b == pytest.approx(0.54, abs=0.01)


def test_loss_approaches_entropy_with_infinite_model_and_data():
    assert CHINCHILLA(1e30, 1e30) == pytest.approx(CHINCHILLA.E, abs=1e-3)
    assert CHINCHILLA(1e9, 1e10) > CHINCHILLA(1e10, 1e10) > CHINCHILLA(1e10, 1e11) > CHINCHILLA.E


def test_chinchilla_beats_gopher_at_about_the_same_compute():
    chinchilla, gopher = (70e9, 1.4e12), (280e9, 300e9)
    ratio = training_flops(*chinchilla) / training_flops(*gopher)
    assert 0.8 < ratio < 1.5  # roughly the same budget
    assert CHINCHILLA(*chinchilla) < CHINCHILLA(*gopher)
    # Chinchilla's allocation is much nearer the optimum than Gopher's
    n_opt, _ = compute_optimal(training_flops(*chinchilla))
    assert abs(np.log(70e9 / n_opt)) < abs(np.log(280e9 / n_opt))


@pytest.mark.parametrize("flops", [1e18, 5.76e23, 1e26])
def test_closed_form_optimum_matches_numerical_minimum(flops):
    n_opt, d_opt = compute_optimal(flops)
    n_num, d_num = compute_optimal_numerical(flops)
    assert n_opt == pytest.approx(n_num, rel=1e-5) and d_opt == pytest.approx(d_num, rel=1e-5)
    assert training_flops(n_opt, d_opt) == pytest.approx(flops)  # on the budget line
    # any other split of the same budget is worse
    sizes = n_opt * np.array([0.5, 0.8, 1.25, 2.0])
    assert np.all(iso_flop_losses(flops, sizes) > CHINCHILLA(n_opt, d_opt))


def test_optimum_scales_as_the_exponents_say():
    n1, d1 = compute_optimal(1e20)
    n2, d2 = compute_optimal(1e22)
    a, b = CHINCHILLA.exponents
    assert np.log(n2 / n1) / np.log(100) == pytest.approx(a)
    assert np.log(d2 / d1) / np.log(100) == pytest.approx(b)


def test_marginal_returns_balance_at_the_optimum():
    # at the optimum, alpha * A / N^alpha = beta * B / D^beta (the two gradients in log space)
    n, d = compute_optimal(1e23)
    law = CHINCHILLA
    assert law.alpha * law.A / n**law.alpha == pytest.approx(law.beta * law.B / d**law.beta)


def test_symmetric_law_splits_compute_evenly():
    law = ParametricLoss(E=1.0, A=100.0, B=100.0, alpha=0.3, beta=0.3)
    n, d = compute_optimal(6e20, law)
    assert n == pytest.approx(d) == pytest.approx(1e10)


def test_vectorised_and_validated():
    n, d = compute_optimal(np.array([1e20, 1e21]))
    assert n.shape == d.shape == (2,)
    with pytest.raises(ValueError):
        compute_optimal(-1.0)
    with pytest.raises(ValueError):
        CHINCHILLA(0, 1e9)
    with pytest.raises(ValueError):
        equal_compute_sweep(None, [], 1e9)


def test_attention_flops_count_the_products_the_causal_mask_leaves():
    # T = 3, d = 2, one layer: positions see 1, 2 and 3 keys, 6 keys in all; each key costs d
    # multiply-adds for Q K^T and d for A V, 2 FLOPs each, so 8 * 6 = 48 FLOPs forward for
    # 3 tokens, 16 per token, and three times that with the backward pass.
    assert attention_flops_per_token(1, 2, 3) == 3 * 48 // 3
    assert attention_flops_per_token(2, 2, 3) == 2 * attention_flops_per_token(1, 2, 3)
    assert attention_flops_per_token(1, 4, 3) == 2 * attention_flops_per_token(1, 2, 3)
    # against a brute-force count of the multiply-adds of the masked products
    n_layer, d, t = 3, 8, 10
    multiply_adds = sum(2 * d * (position + 1) for position in range(t)) * n_layer
    assert attention_flops_per_token(n_layer, d, t) == 3 * 2 * multiply_adds / t
    for bad in [(0, 8, 10), (1, 8, 2.5), (1, -1, 10)]:
        with pytest.raises(ValueError):
            attention_flops_per_token(*bad)


def test_attention_share_of_the_sweep_models_shrinks_with_width():
    from course.gpt import GPTConfig, gpt_parameter_count

    shares = []
    for width in (8, 16, 64):
        config = GPTConfig(vocab_size=65, block_size=64, n_layer=2, n_head=2, n_embd=width)
        n_params = gpt_parameter_count(config)
        shares.append(attention_flops_per_token(2, width, 64)
                      / (FLOPS_PER_PARAMETER_TOKEN * n_params))
    assert shares[0] > shares[1] > shares[2]
    assert shares[0] > 0.3  # the narrowest: a third more than 6N


def test_equal_compute_sweep_gives_wider_models_fewer_tokens(mirror, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    from course.lm_data import load_corpus

    corpus = load_corpus("char")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: one thread avoids contention on a shared CPU
    try:
        runs = equal_compute_sweep(corpus, [8, 16], 5e7, block_size=16, batch_size=4)
        plain = equal_compute_sweep(corpus, [8], 5e7, block_size=16, batch_size=4,
                                    attention=False)
    finally:
        torch.set_num_threads(threads)
    assert runs[0].n_params < runs[1].n_params and runs[0].n_tokens > runs[1].n_tokens
    for run in runs:
        assert run.attention_flops == attention_flops_per_token(2, run.n_embd, 16)
        spent = training_flops(run.n_params, run.n_tokens) + run.attention_flops * run.n_tokens
        assert spent == pytest.approx(5e7, rel=0.25)
        assert np.isfinite(run.val_loss) and run.val_loss < np.log(corpus.vocab_size) + 0.5
    # with the plain 6ND the same model gets more steps, the attention share more
    assert training_flops(plain[0].n_params, plain[0].n_tokens) == pytest.approx(5e7, rel=0.25)
    share = runs[0].attention_flops / (FLOPS_PER_PARAMETER_TOKEN * runs[0].n_params)
    assert plain[0].steps / runs[0].steps == pytest.approx(1 + share, rel=0.1)


def test_kv_cache_bytes_of_a_7b_shape():
    # 32 layers, 32 heads of 128 numbers, 4096 positions, 16-bit: exactly 2 GiB; groups divide it
    assert kv_cache_bytes(32, 32, 128, 4096) == 2 * 2**30
    assert kv_cache_bytes(32, 8, 128, 4096) == 2**30 // 2
    assert kv_cache_bytes(32, 1, 128, 4096, batch_size=4, bytes_per_element=4) == 2**29


def test_kv_cache_bytes_rejects_bad_sizes():
    with pytest.raises(ValueError, match="n_kv_head must be a positive integer"):
        kv_cache_bytes(32, 0, 128, 4096)


def test_zero_memory_reproduces_the_papers_figure_1():
    # Rajbhandari et al. (2020), Figure 1: Psi = 7.5B, N_d = 64, K = 12, in GB of 1e9 bytes
    totals = [zero_memory_per_rank(7.5e9, 64, stage).total / 1e9 for stage in range(4)]
    assert totals == [120.0, 31.40625, 16.640625, 1.875]
    assert [round(total, 1) for total in totals] == [120.0, 31.4, 16.6, 1.9]


def test_zero_memory_shards_one_more_state_per_stage():
    parts = [zero_memory_per_rank(1000, 4, stage) for stage in range(4)]
    assert (parts[0].parameters, parts[0].gradients, parts[0].optimizer) == (2000, 2000, 12000)
    assert (parts[1].parameters, parts[1].gradients, parts[1].optimizer) == (2000, 2000, 3000)
    assert (parts[2].parameters, parts[2].gradients, parts[2].optimizer) == (2000, 500, 3000)
    assert (parts[3].parameters, parts[3].gradients, parts[3].optimizer) == (500, 500, 3000)
    # one process has nothing to share with: every stage keeps everything
    assert {zero_memory_per_rank(1000, 1, stage).total for stage in range(4)} == {16000}


def test_zero_memory_reductions_approach_4_8_and_n_d():
    # the paper's "4x" and "8x" are the limits of 16 / (4 + 12 / N_d) and 16 / (2 + 14 / N_d)
    for world_size in (2, 64, 10**6):
        base = zero_memory_per_rank(1e9, world_size, 0).total
        reductions = [base / zero_memory_per_rank(1e9, world_size, s).total for s in (1, 2, 3)]
        assert reductions[0] < 4 and reductions[1] < 8
        assert reductions[2] == pytest.approx(world_size)
    assert reductions[0] == pytest.approx(4, rel=1e-5)
    assert reductions[1] == pytest.approx(8, rel=1e-5)


def test_zero_memory_in_float32_keeps_the_two_adam_moments():
    fp32 = zero_memory_per_rank(100, 2, 3, parameter_bytes=4, gradient_bytes=4, optimizer_bytes=8)
    assert (fp32.parameters, fp32.gradients, fp32.optimizer, fp32.total) == (200, 200, 400, 800)


@pytest.mark.parametrize("arguments, message", [
    ((0, 8, 1), "n_params must be positive"),
    ((1e9, 0, 1), "world_size must be a positive integer"),
    ((1e9, 2.5, 1), "world_size must be a positive integer"),
    ((1e9, 8, 4), "stage must be one of"),
    ((1e9, 8, True), "stage must be one of"),
])
def test_zero_memory_rejects_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        zero_memory_per_rank(*arguments)
    with pytest.raises(ValueError, match="optimizer_bytes must be positive"):
        zero_memory_per_rank(1e9, 8, 1, optimizer_bytes=0)
