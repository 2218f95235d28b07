"""Checked claims: a chapter's sentences about its own results, tested where they are computed.

A chapter that says "the cache is faster at every length" calls :func:`claim` next to the
measurement, with the sentence, the test that makes it true and the values the test used::

    claim("gpt_cache_faster", "The cached generation is faster at every length.",
          min(speedups) > 1, gpt_speedup_shortest=speedups[0], gpt_speedup_longest=speedups[-1])

Each value is glued under its keyword, so the sentence shows exactly the numbers that were
checked. When the test fails, :class:`ClaimError` stops the chapter (and the book build) with a
message that names the claim. When it holds, the claim is recorded for the book's Execution
report, which lists every checked claim of every chapter.

Why our own: glue (myst-nb) carries values into prose but checks nothing, and a bare ``assert``
says neither which sentence broke nor leaves a record the report can list.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["CLAIM_PREFIX", "Claim", "ClaimError", "claim", "plain"]

CLAIM_PREFIX = "claim:"  # glue keys of claim records start with this


class ClaimError(AssertionError):
    """A chapter states a result that its own computation no longer supports."""


@dataclass(frozen=True)
class Claim:
    """One checked sentence: its key, its wording and the values its test used."""

    key: str
    statement: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """The claim as a JSON-ready dict (what the Execution report reads)."""
        return {"key": self.key, "statement": self.statement, "values": dict(self.values)}


class _GluedRecord:
    """A claim as glue stores it: its ``text/plain`` form is the record in JSON (a notebook
    output may hold a JSON object only under a JSON mime type, which glue's prefix hides)."""

    def __init__(self, claim: Claim) -> None:
        self.text = json.dumps(claim.record(), sort_keys=True)

    def __repr__(self) -> str:
        return self.text


def plain(value: Any) -> Any:
    """``value`` as plain Python (float, int, bool, str, lists of them): NumPy and PyTorch
    scalars and arrays become numbers and lists, so they can be glued, printed and stored."""
    if hasattr(value, "tolist"):  # NumPy arrays and scalars, PyTorch tensors
        return plain(value.tolist())
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    raise TypeError(f"claim values must be numbers, strings or lists of them, got {value!r}")


def _check_arguments(key: str, statement: str, holds: object) -> None:
    if not key or not key.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"a claim's key must be letters, digits, '_' or '-', got {key!r}")
    if not statement.strip():
        raise ValueError(f"claim {key!r} needs the sentence it checks")
    if not isinstance(holds, bool | np.bool_):
        raise TypeError(
            f"claim {key!r}: the test must be a bool (a comparison), got {type(holds).__name__}; "
            "compare tensors with .item() or all()"
        )


def _glue(key: str, value: Any) -> None:
    try:
        from myst_nb import glue
    except ImportError:  # outside the book toolchain the check still runs; nothing is glued
        return
    glue(key, value, display=False)


def claim(key: str, statement: str, holds: bool, /, **values: Any) -> Claim:
    """Check that ``statement`` (a sentence of the chapter) holds: ``holds`` is its test, and
    ``values`` are the numbers it rests on, each glued under its keyword for the prose.

    Raises :class:`ClaimError`, naming the claim and its values, when the test is false.
    """
    _check_arguments(key, statement, holds)
    shown = {name: plain(value) for name, value in values.items()}
    for name, value in shown.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ClaimError(f"claim {key!r} rests on {name} = {value}: {statement}")
    if not holds:
        raise ClaimError(
            f"claim {key!r} no longer holds: {statement!r} "
            f"(values: {json.dumps(shown)}). Fix the result or change the sentence."
        )
    record = Claim(key, statement, shown)
    for name, value in shown.items():
        _glue(name, value)
    _glue(CLAIM_PREFIX + key, _GluedRecord(record))
    return record
