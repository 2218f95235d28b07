"""The classical Hopfield network: binary neurons, symmetric weights, energy and retrieval.

A network of ``N`` neurons with states ``s_i = ±1`` stores ``P`` patterns, the rows of a
``(P, N)`` tensor of ±1 values. Weights are an ``(N, N)`` matrix (or a batch ``(T, N, N)``, one
per independent trial, so that experiments over many trials run as a few tensor operations).

Conventions used throughout:

* the local field of neuron ``i`` is ``h_i = sum_j W_ij s_j``;
* an update sets ``s_i <- sign(h_i)``, and a neuron whose field is zero keeps its state; "zero"
  is decided by one rule everywhere (:func:`field_signs`), since in floating point an exact tie
  of the arithmetic comes out as a tiny nonzero number;
* a neuron may start at ``0`` ("unknown", e.g. a masked pixel); its first update sets it to ±1.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch

from .checks import check_positive_ints

AGS_CRITICAL_LOAD = 0.138
"""Critical load ``P/N`` of Amit, Gutfreund and Sompolinsky (1985) for large ``N``."""

TIE_TOLERANCE = 1e-6
"""Fields at most this fraction of the largest possible field count as exact ties (h = 0): well
above the float32 rounding of a tie in the book's networks, and below the smallest nonzero
Hebbian field, 1/N, whenever P(N-1) < 10⁶ (true of all of them). See :func:`field_signs`."""


# ----------------------------------------------------------------------------- patterns


def random_patterns(
    num_patterns: int,
    num_neurons: int,
    *,
    trials: int | None = None,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """Independent, unbiased ±1 patterns: shape ``(P, N)``, or ``(T, P, N)`` with ``trials=T``."""
    check_positive_ints(num_patterns=num_patterns, num_neurons=num_neurons)
    if trials is not None and (not isinstance(trials, int) or trials < 1):
        raise ValueError(f"trials must be a positive integer or None, got {trials!r}")
    shape = (num_patterns, num_neurons) if trials is None else (trials, num_patterns, num_neurons)
    bits = torch.randint(0, 2, shape, generator=generator, device=device)
    return (2 * bits - 1).float()  # (..., P, N) of ±1


def corrupt(
    patterns: torch.Tensor, fraction: float, *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Copy of ``patterns`` with exactly ``round(fraction * N)`` random bits flipped per row."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must lie in [0, 1], got {fraction!r}")
    num_neurons = patterns.shape[-1]
    num_flips = round(fraction * num_neurons)
    if num_flips == 0:
        return patterns.clone()
    scores = torch.rand(patterns.shape, generator=generator, device=patterns.device)  # (..., N)
    ranks = scores.argsort(dim=-1).argsort(dim=-1)  # (..., N): a random permutation per row
    flip = ranks < num_flips  # (..., N), exactly num_flips True per row
    return torch.where(flip, -patterns, patterns)


def mixture_state(patterns: torch.Tensor, indices: tuple[int, ...] = (0, 1, 2)) -> torch.Tensor:
    """The majority vote ``sign(ξ^a + ξ^b + ξ^c)`` of an odd number of stored patterns."""
    if len(indices) % 2 == 0:
        raise ValueError(f"need an odd number of patterns so that no vote ties, got {indices}")
    votes = patterns[..., list(indices), :].sum(dim=-2)  # (..., N)
    return torch.sign(votes)


def letter_pattern(letter: str, size: int = 20) -> torch.Tensor:
    """A ``(size, size)`` ±1 image of ``letter`` rendered with matplotlib's default font."""
    if not isinstance(letter, str) or len(letter) != 1:
        raise ValueError(f"letter must be a single character, got {letter!r}")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(1, 1), dpi=size)
    canvas = FigureCanvasAgg(figure)
    figure.text(0.5, 0.5, letter, fontsize=76, fontweight="bold", ha="center", va="center")
    canvas.draw()
    gray = np.asarray(canvas.buffer_rgba())[..., :3].mean(axis=-1)  # (size, size), 255 = paper
    ink = gray < 128  # (size, size)
    if ink.any():  # move the glyph's bounding box to the centre of the grid
        rows, cols = np.nonzero(ink)
        shift_rows = (size - 1 - rows.max() - rows.min()) // 2
        shift_cols = (size - 1 - cols.max() - cols.min()) // 2
        ink = np.roll(ink, (shift_rows, shift_cols), axis=(0, 1))
    return torch.from_numpy(np.where(ink, 1.0, -1.0)).float()


def t_pattern() -> torch.Tensor:
    """The worked example: a "T" on a 5 x 5 grid (+1 = ink, -1 = background)."""
    image = -torch.ones(5, 5)
    image[0, :] = 1.0  # the bar
    image[:, 2] = 1.0  # the stem
    return image


# ----------------------------------------------------------------------------- weights


def hebbian_weights(patterns: torch.Tensor) -> torch.Tensor:
    """Hebb's rule ``W = (1/N) Σ_μ ξ^μ ξ^μᵀ`` with the diagonal set to zero.

    ``patterns`` is ``(P, N)`` or a batch ``(T, P, N)``; the result is ``(N, N)`` or ``(T, N, N)``.
    """
    if patterns.dim() not in (2, 3):
        raise ValueError(f"patterns must be (P, N) or (T, P, N), got shape {tuple(patterns.shape)}")
    num_neurons = patterns.shape[-1]
    weights = patterns.transpose(-1, -2) @ patterns / num_neurons  # (..., N, N)
    weights.diagonal(dim1=-2, dim2=-1).zero_()
    return weights


def projection_weights(patterns: torch.Tensor, *, zero_diagonal: bool = True) -> torch.Tensor:
    """The projection (pseudo-inverse) rule ``W = Xᵀ (X Xᵀ)⁻¹ X`` for patterns ``X`` (P, N).

    ``W`` projects onto the span of the patterns, so every pattern satisfies ``W ξ = ξ`` even when
    the patterns are correlated. Zeroing the diagonal keeps them fixed points (each ``W_ii < 1``).
    """
    if patterns.dim() not in (2, 3):
        raise ValueError(f"patterns must be (P, N) or (T, P, N), got shape {tuple(patterns.shape)}")
    x = patterns.double()  # (..., P, N)
    weights = (torch.linalg.pinv(x) @ x).to(patterns.dtype)  # (..., N, N) = X⁺ X = Xᵀ(XXᵀ)⁻¹X
    if zero_diagonal:
        weights.diagonal(dim1=-2, dim2=-1).zero_()
    return weights


# ----------------------------------------------------------------------------- energy, fields


def local_fields(states: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``h = W s`` for every state: states ``(..., N)``, weights ``(N, N)`` or batched to match."""
    return states @ weights.transpose(-1, -2)  # (..., N)


def energy(states: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Hopfield's energy ``E(s) = -½ sᵀ W s`` of every state in ``states`` (shape ``(...)``)."""
    return -0.5 * (local_fields(states, weights) * states).sum(dim=-1)


def tie_tolerance(weights: torch.Tensor) -> float:
    """The size below which a field counts as zero: :data:`TIE_TOLERANCE` times the largest
    possible field ``max_i Σ_j |W_ij|`` (over all matrices of a batch)."""
    return TIE_TOLERANCE * float(weights.abs().sum(dim=-1).max()) if weights.numel() else 0.0


def field_signs(fields: torch.Tensor, tolerance: float) -> torch.Tensor:
    """The tie rule used by every update: ``sign(h)``, and ``0`` where ``|h| <= tolerance``."""
    return torch.where(fields.abs() <= tolerance, torch.zeros_like(fields), torch.sign(fields))


def sign_update(fields: torch.Tensor, states: torch.Tensor, *, tolerance: float) -> torch.Tensor:
    """``sign(h)``, keeping the current state where the field is a tie (see :func:`field_signs`;
    pass ``tolerance=tie_tolerance(weights)``)."""
    target = field_signs(fields, tolerance)
    return torch.where(target == 0, states, target)


def is_fixed_point(states: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Boolean per state: no neuron would change under the update rule."""
    fields = local_fields(states, weights)
    new = sign_update(fields, states, tolerance=tie_tolerance(weights))
    return (new == states).all(dim=-1)


def overlaps(states: torch.Tensor, patterns: torch.Tensor) -> torch.Tensor:
    """Overlaps ``m_μ = ξ^μ · s / N`` of states ``(..., K, N)`` with patterns ``(..., P, N)``."""
    return states @ patterns.transpose(-1, -2) / patterns.shape[-1]  # (..., K, P)


# ----------------------------------------------------------------------------- dynamics


@dataclass
class SyncResult:
    """Outcome of :func:`run_sync`: final states, and per state whether it ended in a fixed
    point, in a 2-cycle (``s(t+2) = s(t) ≠ s(t+1)``), or in neither within ``max_steps``."""

    states: torch.Tensor
    fixed_point: torch.Tensor
    two_cycle: torch.Tensor
    steps: int


def sync_step(states: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Synchronous update: every neuron at once, ``s <- sign(W s)``."""
    return sign_update(local_fields(states, weights), states, tolerance=tie_tolerance(weights))


def run_sync(states: torch.Tensor, weights: torch.Tensor, *, max_steps: int = 100) -> SyncResult:
    """Iterate :func:`sync_step` until every state is a fixed point or in a 2-cycle."""
    previous, current = None, states
    for step in range(1, max_steps + 1):
        new = sync_step(current, weights)
        fixed = (new == current).all(dim=-1)
        cycle = (
            torch.zeros_like(fixed) if previous is None else (new == previous).all(dim=-1) & ~fixed
        )
        previous, current = current, new
        if bool((fixed | cycle).all()):
            return SyncResult(current, fixed, cycle, step)
    return SyncResult(current, fixed, cycle, max_steps)


@dataclass
class AsyncResult:
    """Outcome of :func:`run_async`.

    ``states``: final states (same shape as the input); ``converged``: per state, whether it
    reached a fixed point; ``flips``: per state, how many neurons changed on the way;
    ``trajectory``: with ``record=True``, the states after 0, 1, 2, ... flips as a tensor
    ``(flips + 1, ..., N)`` (states that stopped earlier repeat their final value).
    """

    states: torch.Tensor
    converged: torch.Tensor
    flips: torch.Tensor
    trajectory: torch.Tensor | None = None


@contextmanager
def single_threaded(device: torch.device | str) -> Iterator[None]:
    """Run CPU torch code on one thread, restoring the thread count afterwards.

    The asynchronous dynamics is a long loop of small tensor operations; on a CPU, extra
    threads only add synchronisation (and slow down a lot when the cores are shared).
    """
    if torch.device(device).type != "cpu":
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _group_by_weights(
    states: torch.Tensor, weights: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Reshape to states ``(T, K, N)`` and weights ``(T, N, N)``: K states per weight matrix."""
    num_neurons = states.shape[-1]
    if weights.shape[-2:] != (num_neurons, num_neurons):
        raise ValueError(
            f"weights {tuple(weights.shape)} do not fit states with N={num_neurons} neurons"
        )
    if weights.dim() == 2:
        return states.reshape(1, -1, num_neurons), weights.unsqueeze(0)
    if weights.dim() == 3 and states.shape[0] == weights.shape[0] and states.dim() in (2, 3):
        return states.reshape(weights.shape[0], -1, num_neurons), weights
    raise ValueError(
        "with batched weights (T, N, N) the states must be (T, N) or (T, K, N); got states "
        f"{tuple(states.shape)} and weights {tuple(weights.shape)}"
    )


def run_async(
    states: torch.Tensor,
    weights: torch.Tensor,
    *,
    generator: torch.Generator | None = None,
    max_flips: int | None = None,
    record: bool = False,
) -> AsyncResult:
    """Asynchronous dynamics: one neuron at a time, until no neuron wants to change.

    The textbook rule picks a random neuron and sets ``s_i <- sign(h_i)``. Picking a neuron
    whose state already equals ``sign(h_i)`` changes nothing, so the only events that matter
    are updates of *unstable* neurons, and under random picking the next one to change is
    uniformly random among the unstable ones. This function simulates exactly those events:
    every step flips one uniformly chosen unstable neuron in every state that still has one,
    and updates the fields incrementally (``h += Δs_i W[:, i]``, O(N) per state and step).

    ``states``: ``(..., N)`` with entries ±1 (or 0 for "unknown"); ``weights``: ``(N, N)``
    shared by all states, or ``(T, N, N)`` with states ``(T, N)`` or ``(T, K, N)``.
    ``max_flips`` defaults to ``20 N``; asymmetric weights may need it, since they can cycle.
    """
    with single_threaded(states.device):
        return _async_events(states, weights, generator, max_flips, record)


def _random_true_index(mask: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """Per row of a boolean ``(B, N)`` mask with at least one True, the index ``(B, 1)`` of one
    True entry chosen uniformly: draw ``r`` in ``[0, count)`` and find the ``(r+1)``-th True."""
    count = mask.sum(dim=-1)  # (B,)
    r = (torch.rand(len(mask), generator=generator, device=mask.device) * count).long()
    r = torch.minimum(r, count - 1)  # (B,), guards against rounding up to count
    return (mask.cumsum(dim=-1) <= r.unsqueeze(-1)).sum(dim=-1, keepdim=True)  # (B, 1)


def _async_events(
    states: torch.Tensor,
    weights: torch.Tensor,
    generator: torch.Generator | None,
    max_flips: int | None,
    record: bool,
) -> AsyncResult:
    """The event loop of :func:`run_async` (see there), without the threading guard.

    States are flattened to rows ``(B, N)``, each with the index of its weight matrix; rows
    that reach a fixed point are written out and dropped, so late steps only touch the rows
    that still move.
    """
    shape = states.shape
    num_neurons = shape[-1]
    grouped, w = _group_by_weights(states, weights)  # (T, K, N), (T, N, N)
    num_trials, per_trial = grouped.shape[:2]
    # float64 so that the incremental fields do not drift (Apple's MPS has no float64)
    dtype = torch.float32 if grouped.device.type == "mps" else torch.float64
    w = w.to(dtype)
    s = grouped.reshape(-1, num_neurons).to(dtype)  # (B, N)
    row_trial = torch.arange(num_trials, device=s.device).repeat_interleave(per_trial)  # (B,)
    rows = torch.arange(len(s), device=s.device)  # (B,) position in the output
    max_flips = 20 * num_neurons if max_flips is None else max_flips
    tolerance = tie_tolerance(w)

    h = local_fields(grouped.to(dtype), w).reshape(-1, num_neurons)  # (B, N)
    columns = w.transpose(1, 2).contiguous()  # (T, N, N): columns[t, i] = W[t, :, i]
    final = s.clone()  # (B, N)
    flips = torch.zeros(len(s), dtype=torch.long, device=s.device)  # (B,)
    converged = torch.zeros(len(s), dtype=torch.bool, device=s.device)  # (B,)
    trajectory = [final.clone()] if record else None
    for step in range(max_flips + 1):
        target = field_signs(h, tolerance)  # (B', N): the tie rule of every update
        unstable = (target != 0) & (target != s)  # a field (no tie) that disagrees with s
        active = unstable.any(dim=-1)  # (B',)
        if not bool(active.all()):  # write out the rows at a fixed point and drop them
            final[rows[~active]] = s[~active]
            converged[rows[~active]] = True
            s, h = s[active], h[active]
            target, unstable = target[active], unstable[active]
            rows, row_trial = rows[active], row_trial[active]
        if len(rows) == 0 or step == max_flips:
            break
        chosen = _random_true_index(unstable, generator)  # (B', 1)
        new_value = target.gather(-1, chosen)  # (B', 1)
        change = new_value - s.gather(-1, chosen)  # (B', 1)
        s.scatter_(-1, chosen, new_value)
        h += change * columns[row_trial, chosen.squeeze(-1)]  # (B', N) += Δs_i W[:, i]
        flips[rows] += 1
        if record:
            snapshot = final.clone()
            snapshot[rows] = s
            trajectory.append(snapshot)
    final[rows] = s  # rows still moving when max_flips ran out
    batch = shape[:-1]
    out = final.to(states.dtype).reshape(shape)
    traj = None
    if record:
        traj = torch.stack(trajectory).to(states.dtype).reshape(len(trajectory), *shape)
    return AsyncResult(out, converged.reshape(batch), flips.reshape(batch), traj)


# ----------------------------------------------------------------------------- crosstalk


def one_step_error_rate(patterns: torch.Tensor, weights: torch.Tensor) -> float:
    """Fraction of bits of the stored patterns that one update of their own neuron would flip."""
    fields = local_fields(patterns, weights)
    new = sign_update(fields, patterns, tolerance=tie_tolerance(weights))
    return (new != patterns).double().mean().item()


def _normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def crosstalk_error_probability(
    num_neurons: int, num_patterns: int, *, exact: bool = False
) -> float:
    """Probability that a bit of a stored random pattern is unstable under Hebb's rule.

    Default: the Gaussian approximation ``Φ(-√(N/P))``. With ``exact=True``: the exact law of
    the crosstalk for the zero-diagonal rule, a sum of ``n = (P-1)(N-1)`` independent ±1 terms
    ``S``; the bit flips when ``S < -(N-1)`` (a tie, ``S = -(N-1)``, keeps the bit).
    """
    if num_neurons < 2 or num_patterns < 1:
        raise ValueError(f"need N >= 2 and P >= 1, got N={num_neurons}, P={num_patterns}")
    if not exact:
        return _normal_cdf(-math.sqrt(num_neurons / num_patterns))
    n = (num_patterns - 1) * (num_neurons - 1)
    # S = 2K - n with K ~ Binomial(n, 1/2); S < -(N-1)  <=>  K < (n - N + 1) / 2
    largest_k = math.ceil((n - num_neurons + 1) / 2) - 1
    if largest_k < 0:
        return 0.0
    k = torch.arange(largest_k + 1, dtype=torch.float64)
    log_terms = (
        math.lgamma(n + 1) - torch.lgamma(k + 1) - torch.lgamma(n - k + 1) - n * math.log(2.0)
    )
    return float(torch.logsumexp(log_terms, dim=0).exp())


# ----------------------------------------------------------------------------- capacity


def mceliece_bound(num_neurons: int | np.ndarray) -> float | np.ndarray:
    """McEliece et al.'s number of patterns ``N / (2 ln N)`` that are recalled without error."""
    return num_neurons / (2 * np.log(num_neurons))


@dataclass
class CapacityCurve:
    """Results of :func:`capacity_experiment` for one network size ``num_neurons``.

    Per load ``α = P/N``: ``stable`` — fraction of stored patterns that are exact fixed points;
    ``retrieved`` — fraction of probes (a stored pattern with ``corruption`` of its bits
    flipped) whose asynchronous dynamics end with overlap at least ``threshold`` with it;
    ``final_overlap`` — mean final overlap of those probes.
    """

    num_neurons: int
    loads: np.ndarray
    stable: np.ndarray
    retrieved: np.ndarray
    final_overlap: np.ndarray


def retrieval_overlaps(
    num_neurons: int,
    num_patterns: int,
    *,
    trials: int,
    probes: int,
    corruption: float = 0.0,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """One load of the capacity experiment, all trials at once.

    Stores ``num_patterns`` random patterns in each of ``trials`` Hebbian networks, and returns
    (``stable``: ``(T, P)`` bool, pattern is a fixed point; ``overlap``: ``(T, K)`` final overlap of
    the dynamics started from the first ``K = min(probes, P)`` patterns, corrupted).
    """
    patterns = random_patterns(
        num_patterns, num_neurons, trials=trials, generator=generator, device=device
    )  # (T, P, N)
    weights = hebbian_weights(patterns)  # (T, N, N)
    stable = is_fixed_point(patterns, weights)  # (T, P)
    targets = patterns[:, : min(probes, num_patterns)]  # (T, K, N)
    start = corrupt(targets, corruption, generator=generator)
    final = run_async(start, weights, generator=generator).states  # (T, K, N)
    overlap = (final * targets).mean(dim=-1)  # (T, K)
    return stable, overlap


def capacity_experiment(
    num_neurons: int,
    loads: np.ndarray,
    *,
    trials: int,
    probes: int = 4,
    corruption: float = 0.0,
    threshold: float = 0.95,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> CapacityCurve:
    """Stability and retrieval of Hebbian memories versus the load ``α = P/N`` (see
    :class:`CapacityCurve`). ``P = max(1, round(α N))`` patterns per network."""
    loads = np.asarray(loads, dtype=float)
    stable, retrieved, mean_overlap = [], [], []
    for load in loads:
        num_patterns = max(1, round(load * num_neurons))
        is_stable, overlap = retrieval_overlaps(
            num_neurons,
            num_patterns,
            trials=trials,
            probes=probes,
            corruption=corruption,
            generator=generator,
            device=device,
        )
        stable.append(is_stable.float().mean().item())
        retrieved.append((overlap >= threshold).float().mean().item())
        mean_overlap.append(overlap.mean().item())
    return CapacityCurve(
        num_neurons, loads, np.array(stable), np.array(retrieved), np.array(mean_overlap)
    )


def crossing_point(x: np.ndarray, fractions: np.ndarray, level: float = 0.5) -> float:
    """The ``x`` at which ``fractions`` first falls below ``level`` (linear interpolation);
    e.g. the load at which half the memories are lost."""
    x, fractions = np.asarray(x, dtype=float), np.asarray(fractions, dtype=float)
    below = np.nonzero(fractions < level)[0]
    if len(below) == 0 or below[0] == 0:
        raise ValueError(f"fractions do not cross {level} from above inside the range given")
    i = below[0]
    x0, x1, y0, y1 = x[i - 1], x[i], fractions[i - 1], fractions[i]
    return float(x0 + (y0 - level) * (x1 - x0) / (y0 - y1))


def retrieval_vs_corruption(
    num_neurons: int,
    load: float,
    corruptions: np.ndarray,
    *,
    trials: int,
    probes: int = 4,
    threshold: float = 0.95,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> np.ndarray:
    """Basins of attraction: fraction of probes retrieved (overlap >= ``threshold``) after
    flipping each fraction in ``corruptions`` of a stored pattern's bits, at load ``α``."""
    num_patterns = max(1, round(load * num_neurons))
    patterns = random_patterns(
        num_patterns, num_neurons, trials=trials, generator=generator, device=device
    )  # (T, P, N)
    weights = hebbian_weights(patterns)  # (T, N, N)
    targets = patterns[:, : min(probes, num_patterns)]  # (T, K, N)
    starts = torch.cat([corrupt(targets, float(c), generator=generator) for c in corruptions], 1)
    final = run_async(starts, weights, generator=generator).states  # (T, C*K, N)
    overlap = (final * targets.repeat(1, len(corruptions), 1)).mean(dim=-1)  # (T, C*K)
    hits = (overlap >= threshold).reshape(trials, len(corruptions), -1)  # (T, C, K)
    return hits.float().mean(dim=(0, 2)).cpu().numpy()


def ags_retrieval_branch(num_points: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Zero-temperature retrieval solution of Amit, Gutfreund and Sompolinsky (1985).

    The overlap ``m`` of the retrieval state at load ``α`` solves ``m = erf(y)`` with
    ``y √(2α) = erf(y) - (2/√π) y exp(-y²)``. Solving the second equation for ``α`` gives the
    branch parametrically in ``y``; it exists only up to the largest ``α`` on it, the critical
    load (≈ 0.138, where ``m`` ≈ 0.967). Returns ``(loads, overlaps)`` from ``α ≈ 0`` to ``α_c``.
    """
    y = torch.linspace(0.5, 6.0, 20_000, dtype=torch.float64)
    gaussian_term = 2.0 / math.sqrt(math.pi) * y * torch.exp(-y * y)
    loads = ((torch.erf(y) - gaussian_term) / (math.sqrt(2.0) * y)) ** 2
    start = int(loads.argmax())  # the retrieval branch: y beyond the critical point
    keep = torch.linspace(start, len(y) - 1, num_points).round().long()
    return loads[keep].numpy(), torch.erf(y[keep]).numpy()


# ----------------------------------------------------------------------------- spurious states

END_STATE_KINDS = ("stored", "reversed", "3-mixture", "other")


def classify_end_states(
    states: torch.Tensor, patterns: torch.Tensor, *, close: float = 0.9, part: float = 0.3
) -> torch.Tensor:
    """Label each state by its overlaps with the stored patterns (indices into END_STATE_KINDS).

    0 "stored": overlap >= ``close`` with a pattern; 1 "reversed": overlap <= -``close``;
    2 "3-mixture": exactly three overlaps of size >= ``part`` (a mixture ±ξ^a ±ξ^b ±ξ^c has
    three overlaps near ±1/2); 3 "other": anything else (other mixtures, spin-glass states).
    States ``(..., K, N)`` and patterns ``(..., P, N)``; the result is ``(..., K)``.
    """
    m = overlaps(states, patterns)  # (..., K, P)
    largest = m.abs().max(dim=-1)  # (..., K)
    sign = m.gather(-1, largest.indices.unsqueeze(-1)).squeeze(-1).sign()  # (..., K)
    num_parts = (m.abs() >= part).sum(dim=-1)  # (..., K)
    kind = torch.full_like(num_parts, 3)
    kind[num_parts == 3] = 2
    kind[(largest.values >= close) & (sign < 0)] = 1
    kind[(largest.values >= close) & (sign > 0)] = 0
    return kind
