"""course.checks: each check passes good values and names the argument in its error."""

from __future__ import annotations

import pytest
import torch

from course import checks


def test_integer_checks_accept_counts_and_refuse_the_rest():
    checks.check_positive_int(3, "n")
    checks.check_int_at_least(2, 2, "n_classes")
    checks.check_positive_ints(n=1, length=5)
    for bad in (0, -1, 2.0, True, "3"):
        with pytest.raises(ValueError, match=r"n must be a positive integer, got"):
            checks.check_positive_int(bad, "n")
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2, got 1"):
        checks.check_int_at_least(1, 2, "n_classes")
    with pytest.raises(ValueError, match="length must be a positive integer, got 0"):
        checks.check_positive_ints(n=1, length=0)


def test_number_choice_and_length_checks():
    checks.check_positive(0.5, "beta")
    checks.check_fraction(1.0, "fraction")
    checks.check_one_of("relu", ("relu", "tanh"), "activation")
    checks.check_same_length([torch.zeros(3), [1, 2, 3]], "tensors")
    with pytest.raises(ValueError, match="beta must be positive, got 0"):
        checks.check_positive(0, "beta")
    with pytest.raises(ValueError, match="beta must be positive"):
        checks.check_positive(float("nan"), "beta")
    with pytest.raises(ValueError, match=r"fraction must be in \[0, 1\], got 1.5"):
        checks.check_fraction(1.5, "fraction")
    with pytest.raises(ValueError, match=r"activation must be one of \['relu', 'tanh'\]"):
        checks.check_one_of("gelu", ("tanh", "relu"), "activation")
    with pytest.raises(ValueError, match=r"stage must be one of \[0, 1, 2, 3\], got True"):
        checks.check_one_of(True, {0: "none", 1: "optimizer", 2: "+ gradients", 3: "all"}, "stage")
    with pytest.raises(ValueError, match=r"got 1.0"):
        checks.check_one_of(1.0, (0, 1), "stage")
    with pytest.raises(ValueError, match=r"same length, got lengths \[2, 3\]"):
        checks.check_same_length([torch.zeros(3), torch.zeros(2)], "tensors")


def test_heads_and_dropout():
    checks.check_heads_and_dropout(64, 4, 0.0)
    with pytest.raises(ValueError, match="n_embd=64 must be divisible by n_head=3"):
        checks.check_heads_and_dropout(64, 3, 0.1)
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\), got 1.0"):
        checks.check_heads_and_dropout(64, 4, 1.0)
