"""Ways to tell a transformer where each token is: absolute and relative position encodings.

* :func:`sinusoidal_table`, the fixed encoding of Vaswani et al. (2017), added to the token
  embeddings: ``PE[t, 2i] = sin(t w_i)``, ``PE[t, 2i + 1] = cos(t w_i)``, ``w_i = base^(-2i/C)``.
* :func:`apply_rope`, rotary position embedding (Su et al., 2021): each pair of channels
  ``(2i, 2i + 1)`` of a query or key at position ``m`` is rotated by the angle ``m theta_i``,
  ``theta_i = base^(-2i/D)``, so that a query-key dot product depends on the positions only
  through their offset.
* :func:`alibi_slopes` and :func:`alibi_bias`, attention with linear biases (Press et al.,
  2022): head ``h`` adds ``-m_h (i - j)`` to the score of query ``i`` and key ``j <= i``.

Shapes: ``B`` batch, ``H`` heads, ``T`` positions, ``D`` channels per head, ``C`` channels.
"""

from __future__ import annotations

import math

import torch

from .checks import check_int_at_least, check_positive, check_positive_int

__all__ = ["alibi_bias", "alibi_slopes", "apply_rope", "rope_frequencies", "sinusoidal_table"]


def _check_even(value: int, name: str) -> None:
    check_positive_int(value, name)
    if value % 2:
        raise ValueError(f"{name} must be even (channels come in pairs), got {value}")


def sinusoidal_table(length: int, dim: int, base: float = 10000.0) -> torch.Tensor:
    """The sinusoidal encodings of positions ``0 .. length - 1``, ``(length, dim)``:
    column ``2i`` is ``sin(t w_i)`` and column ``2i + 1`` is ``cos(t w_i)``, with
    ``w_i = base ** (-2i / dim)``."""
    check_positive_int(length, "length")
    _check_even(dim, "dim")
    check_positive(base, "base")
    t = torch.arange(length, dtype=torch.float64)[:, None]  # (T, 1)
    omega = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)  # (C/2,)
    table = torch.empty(length, dim, dtype=torch.float64)  # (T, C)
    table[:, 0::2] = torch.sin(t * omega)  # (T, C/2)
    table[:, 1::2] = torch.cos(t * omega)  # (T, C/2)
    return table.float()  # (T, C)


def rope_frequencies(head_size: int, base: float = 10000.0) -> torch.Tensor:
    """The angle per position of each channel pair, ``theta_i = base ** (-2i / D)``,
    ``(D/2,)``."""
    _check_even(head_size, "head_size")
    check_positive(base, "base")
    return base ** (-torch.arange(0, head_size, 2, dtype=torch.float64) / head_size)  # (D/2,)


def apply_rope(x: torch.Tensor, start: int = 0, base: float = 10000.0) -> torch.Tensor:
    """Rotate the queries or keys ``x (B, H, T, D)`` of positions ``start .. start + T - 1``:
    the pair ``(x[2i], x[2i+1])`` at position ``m`` is turned by the angle ``m theta_i``
    counter-clockwise, ``(x0 cos - x1 sin, x0 sin + x1 cos)``."""
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        raise ValueError("x must be a (B, H, T, D) tensor of queries or keys")
    check_int_at_least(start, 0, "start")
    length, head_size = x.shape[2], x.shape[3]
    theta = rope_frequencies(head_size, base)  # (D/2,)
    m = torch.arange(start, start + length, dtype=torch.float64)[:, None]  # (T, 1)
    angle = (m * theta).to(device=x.device)  # (T, D/2), in float64 so that far positions stay exact
    cos, sin = angle.cos().to(x.dtype), angle.sin().to(x.dtype)  # (T, D/2) each
    x0, x1 = x[..., 0::2], x[..., 1::2]  # (B, H, T, D/2) each
    rotated = torch.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], dim=-1)  # (B, H, T, D/2, 2)
    return rotated.flatten(-2)  # (B, H, T, D): pairs interleaved again


def alibi_slopes(n_head: int) -> torch.Tensor:
    """ALiBi's head slopes ``m_h = 2 ** (-8 h / H)`` for ``h = 1 .. H``, ``(H,)``. Only powers
    of two are accepted: for other head counts the paper builds the slopes differently."""
    check_positive_int(n_head, "n_head")
    if n_head & (n_head - 1):
        raise ValueError(
            f"ALiBi slopes are defined here for a power-of-two number of heads, got {n_head}"
        )
    h = torch.arange(1, n_head + 1, dtype=torch.float64)  # (H,)
    return (2.0 ** (-8.0 * h / n_head)).float()  # (H,)


def alibi_bias(
    n_head: int, n_query: int, n_key: int, device: torch.device | str | None = None
) -> torch.Tensor:
    """The additive attention mask of ALiBi with the causal mask, ``(H, Tq, Tk)``: the queries
    are the last ``n_query`` of the ``n_key`` positions (as with a key-value cache), and query
    ``i`` gets ``-m_h (i - j)`` for keys ``j <= i`` and ``-inf`` for later keys."""
    check_positive_int(n_query, "n_query")
    check_positive_int(n_key, "n_key")
    if n_query > n_key:
        raise ValueError(f"n_query={n_query} queries cannot be more than n_key={n_key} keys")
    slopes = alibi_slopes(n_head).to(device)  # (H,)
    i = torch.arange(n_key - n_query, n_key, device=device)[:, None]  # (Tq, 1) absolute
    j = torch.arange(n_key, device=device)[None, :]  # (1, Tk)
    distance = (i - j).float()  # (Tq, Tk)
    bias = -slopes[:, None, None] * distance  # (H, Tq, Tk)
    return bias.masked_fill(j > i, -math.inf)  # (H, Tq, Tk)
