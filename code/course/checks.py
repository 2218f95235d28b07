"""Argument checks shared by the library: each raises a ``ValueError`` that names the argument,
says what it must be and shows what it got, so the caller knows what to change."""

from __future__ import annotations

from collections.abc import Collection, Sequence, Sized
from typing import Any


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_int_at_least(value: object, minimum: int, name: str) -> None:
    """``value`` must be an integer ``>= minimum``."""
    if not _is_int(value) or value < minimum:  # type: ignore[operator]
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def check_positive_int(value: object, name: str) -> None:
    """``value`` must be an integer ``>= 1`` (``True`` and ``False`` are not counts)."""
    if not _is_int(value) or value < 1:  # type: ignore[operator]
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_positive_ints(**values: object) -> None:
    """Every keyword argument must be a positive integer: ``check_positive_ints(n=n, length=T)``."""
    for name, value in values.items():
        check_positive_int(value, name)


def check_heads_and_dropout(n_embd: int, n_head: int, dropout: float) -> None:
    """A transformer's width must split evenly into ``n_head`` heads, and ``0 <= dropout < 1``."""
    if n_embd % n_head != 0:
        raise ValueError(f"n_embd={n_embd} must be divisible by n_head={n_head}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")


def check_positive(value: float, name: str) -> None:
    """``value`` must be a number ``> 0``."""
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {value!r}")


def check_fraction(value: float, name: str) -> None:
    """``value`` must be a number in ``[0, 1]``."""
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")


def check_one_of(value: Any, choices: Collection[Any], name: str) -> None:
    """``value`` must be one of ``choices`` and of the same type (so ``True`` is not ``1``)."""
    if not any(value == choice and type(value) is type(choice) for choice in choices):
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")


def check_same_length(items: Sequence[Sized], name: str) -> None:
    """Every item of ``items`` (tensors, arrays, lists) must have the same length."""
    lengths = {len(item) for item in items}
    if len(lengths) > 1:
        raise ValueError(f"all {name} must have the same length, got lengths {sorted(lengths)}")
