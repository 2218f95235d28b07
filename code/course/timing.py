"""Measuring how long a piece of code takes, and how cost grows with problem size.

Timings on a shared machine are noisy, so :func:`time_call` runs the code a few times after a
warm-up and reports the *median*. On a GPU, kernels run asynchronously; the helper waits for
them (``torch.cuda.synchronize``) before reading the clock, otherwise it would time only the
launch. :func:`fit_power_law` turns timings at several sizes into a slope on a log-log plot,
which is far more portable between machines than any absolute number of seconds.
:func:`timed` measures one call of something long (training a tokenizer, say) by the wall
clock and by this process's CPU time.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import torch

from .checks import check_int_at_least, check_positive_int

T = TypeVar("T")


def _synchronize(device: torch.device | str | None) -> None:
    """Wait for queued GPU work on ``device`` (no-op on the CPU)."""
    if device is None:
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.synchronize()
        return
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@dataclass(frozen=True)
class Timing:
    """The seconds each repeat took, and their median (the number to report)."""

    seconds: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def best(self) -> float:
        return min(self.seconds)


def _check_timing_arguments(repeats: int, warmup: int, min_seconds: float) -> None:
    check_positive_int(repeats, "repeats")
    check_int_at_least(warmup, 0, "warmup")
    if min_seconds < 0:
        raise ValueError(f"min_seconds must be >= 0, got {min_seconds!r}")


def _warm_up_and_count_calls(
    fn: Callable[[], object], warmup: int, min_seconds: float, device: torch.device | str | None
) -> int:
    """Run ``fn`` ``warmup`` times untimed; return how many calls one repeat needs to last at
    least ``min_seconds`` (1 when ``min_seconds`` is 0)."""
    for _ in range(warmup):
        fn()
    _synchronize(device)
    if min_seconds == 0:
        return 1
    start = time.perf_counter()
    fn()
    _synchronize(device)
    once = max(time.perf_counter() - start, 1e-9)
    return max(1, int(np.ceil(min_seconds / once)))


def _seconds_per_call(
    fn: Callable[[], object], calls: int, device: torch.device | str | None
) -> float:
    """One repeat: ``calls`` calls of ``fn`` in a row, timed together, divided by ``calls``."""
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    _synchronize(device)
    return (time.perf_counter() - start) / calls


def time_call(
    fn: Callable[[], object],
    *,
    repeats: int = 5,
    warmup: int = 1,
    device: torch.device | str | None = None,
    min_seconds: float = 0.0,
) -> Timing:
    """Time ``fn()`` ``repeats`` times after ``warmup`` untimed calls.

    ``device`` is where ``fn`` runs; on CUDA the clock is read only after the GPU has finished
    (``None`` synchronises every initialised CUDA device). If one call is shorter than
    ``min_seconds``, each repeat runs ``fn`` in a loop long enough and reports the time per call,
    so that very short operations are not drowned in clock resolution.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable with no arguments, got {type(fn).__name__}")
    _check_timing_arguments(repeats, warmup, min_seconds)
    calls = _warm_up_and_count_calls(fn, warmup, min_seconds, device)
    return Timing(tuple(_seconds_per_call(fn, calls, device) for _ in range(repeats)))


def time_over_sizes(
    make_call: Callable[[int], Callable[[], object]],
    sizes: Sequence[int],
    *,
    repeats: int = 5,
    warmup: int = 1,
    device: torch.device | str | None = None,
    min_seconds: float = 0.0,
) -> np.ndarray:
    """Seconds of one call of ``make_call(n)()`` for each ``n`` in ``sizes``: the fastest of
    ``repeats`` (inputs built untimed).

    This is the number to fit a slope to on a shared machine. Other work there can only slow a
    call down, never speed it up, so the fastest repeat is the closest to the call's own cost;
    a median still moves when another program runs for a large part of the measurement. The
    repeats are taken in rounds, every size once per round, so that a burst of other work slows
    one round of all sizes rather than every repeat of a few sizes in a row.
    """
    if len(sizes) == 0:
        raise ValueError("sizes must not be empty")
    _check_timing_arguments(repeats, warmup, min_seconds)
    fns = [make_call(int(n)) for n in sizes]
    calls = [_warm_up_and_count_calls(fn, warmup, min_seconds, device) for fn in fns]
    rounds = [[_seconds_per_call(fn, k, device) for fn, k in zip(fns, calls, strict=True)]
              for _ in range(repeats)]  # (repeats, sizes)
    return np.array(rounds).min(axis=0)


def fit_power_law(sizes: Sequence[float], costs: Sequence[float]) -> tuple[float, float]:
    """Least-squares fit of ``cost = c * size**slope`` on log-log axes; returns ``(slope, c)``.

    A slope of 1 means linear growth, 2 quadratic. Fit only the sizes where the asymptotic
    term dominates: at small sizes fixed overheads flatten the curve.
    """
    x = np.asarray(sizes, dtype=float)
    y = np.asarray(costs, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError(
            f"need two equally long 1-D sequences of >= 2 values, got {x.shape}, {y.shape}"
        )
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("sizes and costs must be positive to be fitted on a log scale")
    slope, log_c = np.polyfit(np.log(x), np.log(y), deg=1)
    return float(slope), float(np.exp(log_c))


def saved_activation_bytes(fn: Callable[[], object]) -> int:
    """Bytes of the tensors autograd keeps for the backward pass while ``fn()`` runs.

    This is the memory that *training* must hold on to, measured the same way on CPU and GPU:
    every tensor saved for backward is seen by a hook and counted once (by storage).
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable with no arguments, got {type(fn).__name__}")
    seen: dict[tuple, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        key = (tensor.device.type, storage.data_ptr())
        seen[key] = max(seen.get(key, 0), storage.nbytes())
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        fn()
    return int(sum(seen.values()))


@dataclass(frozen=True)
class CallTime:
    """Seconds taken by one call: ``wall`` (clock on the wall) and ``cpu`` (CPU time of this
    process, summed over all its threads; not inflated by other programs on the machine)."""

    wall: float
    cpu: float


def timed(function: Callable[..., T], *args, **kwargs) -> tuple[T, CallTime]:
    """Call ``function(*args, **kwargs)`` once; its result and the :class:`CallTime` it took."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, CallTime(wall=time.perf_counter() - wall, cpu=time.process_time() - cpu)
