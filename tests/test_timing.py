"""The timing helper: repeats, warm-up, power-law fits and saved-activation memory."""

import math

import numpy as np
import pytest
import torch

from course.timing import (
    Timing,
    fit_power_law,
    saved_activation_bytes,
    time_call,
    time_over_sizes,
)


def test_time_call_runs_warmup_and_repeats():
    calls = []
    timing = time_call(lambda: calls.append(1), repeats=4, warmup=2)
    assert isinstance(timing, Timing)
    assert len(timing.seconds) == 4 and len(calls) == 6
    assert timing.best <= timing.median


def test_time_call_measures_a_known_delay():
    import time

    timing = time_call(lambda: time.sleep(0.01), repeats=3, warmup=0)
    assert 0.009 < timing.median < 0.2


def test_min_seconds_loops_short_calls():
    calls = []
    timing = time_call(lambda: calls.append(1), repeats=2, warmup=0, min_seconds=1e-3)
    assert len(calls) > 3  # one probe call, then several calls per repeat
    assert timing.median < 1e-3


def test_time_call_rejects_bad_arguments():
    with pytest.raises(TypeError):
        time_call(3)
    with pytest.raises(ValueError):
        time_call(lambda: None, repeats=0)
    with pytest.raises(ValueError):
        time_call(lambda: None, warmup=-1)


def test_time_over_sizes_builds_each_call_once():
    built = []

    def make(n):
        built.append(n)
        return lambda: None

    result = time_over_sizes(make, [1, 2, 3], repeats=1)
    assert built == [1, 2, 3] and result.shape == (3,)


def test_time_over_sizes_times_in_rounds_and_reports_the_fastest():
    import time

    order = []
    delays = iter([0.02, 0.0, 0.0, 0.0])  # the first repeat of size 1 is slowed by "other work"

    def make(n):
        def call():
            order.append(n)
            if n == 1:
                time.sleep(next(delays))

        return call

    result = time_over_sizes(make, [1, 2], repeats=2, warmup=0)
    assert order == [1, 2, 1, 2]  # every size once per round, not all repeats of one size first
    assert result[0] < 0.01  # the slowed repeat is not the one reported


def test_time_over_sizes_rejects_bad_arguments():
    with pytest.raises(ValueError):
        time_over_sizes(lambda n: lambda: None, [])
    with pytest.raises(ValueError):
        time_over_sizes(lambda n: lambda: None, [1], repeats=0)


@pytest.mark.parametrize("slope", [1.0, 2.0, 0.5])
def test_fit_power_law_recovers_exponent_and_constant(slope):
    sizes = np.array([10, 20, 40, 80, 160])
    slope_hat, c_hat = fit_power_law(sizes, 3.0 * sizes**slope)
    assert math.isclose(slope_hat, slope, rel_tol=1e-9)
    assert math.isclose(c_hat, 3.0, rel_tol=1e-9)


def test_fit_power_law_rejects_bad_input():
    with pytest.raises(ValueError):
        fit_power_law([1], [1])
    with pytest.raises(ValueError):
        fit_power_law([1, 2], [0, 1])


def test_saved_activation_bytes_counts_what_backward_needs():
    x = torch.randn(10, 20, requires_grad=True)
    w = torch.randn(20, 30, requires_grad=True)
    # x @ w saves x and w for backward: 10*20 + 20*30 floats
    assert saved_activation_bytes(lambda: x @ w) == 4 * (10 * 20 + 20 * 30)
    with torch.no_grad():
        assert saved_activation_bytes(lambda: x @ w) == 0
    small = saved_activation_bytes(lambda: torch.softmax(x @ x.T, -1))
    big_x = torch.randn(40, 20, requires_grad=True)
    big = saved_activation_bytes(lambda: torch.softmax(big_x @ big_x.T, -1))
    assert big > 4 * small  # the (T, T) softmax output grows quadratically


def test_timed_returns_the_result_and_both_clocks():
    from course.timing import timed

    result, took = timed(lambda n: sum(i * i for i in range(n)), 200_000)
    assert result == sum(i * i for i in range(200_000))
    assert took.wall > 0 and took.cpu > 0
