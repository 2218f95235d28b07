"""Choosing where tensors live (the GPU when there is one, else the CPU) and how large the
chapters' experiments are (small on a laptop CPU, full on a CUDA GPU)."""

from __future__ import annotations

import os

import torch

_KNOWN = ("auto", "cpu", "cuda", "mps")
SIZE_VARIABLE = "COURSE_SIZE"
SIZES = ("small", "full")


def get_device(prefer: str = "auto") -> torch.device:
    """Return the device the course code should run on.

    ``prefer="auto"`` picks CUDA when a GPU is visible, then Apple's MPS, else the CPU.
    Naming a device that is not available raises an error instead of silently falling back.
    """
    if not isinstance(prefer, str) or prefer.split(":")[0] not in _KNOWN:
        raise ValueError(f"prefer must be one of {_KNOWN} (optionally 'cuda:N'), got {prefer!r}")
    if prefer == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    kind = prefer.split(":")[0]
    if kind == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("prefer='cuda' but no CUDA GPU is visible; use prefer='auto' or 'cpu'")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise RuntimeError("prefer='mps' but MPS is not available; use prefer='auto' or 'cpu'")
    return torch.device(prefer)


def describe_device(device: torch.device | None = None) -> str:
    """A short readable name of ``device`` (default: :func:`get_device`), for captions."""
    device = device or get_device()
    if device.type == "cuda":
        return f"GPU ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "Apple GPU (MPS)"
    return f"CPU ({torch.get_num_threads()} threads)"


def chapter_size(device: torch.device | None = None) -> str:
    """The size at which chapters run their experiments: ``"small"`` or ``"full"``.

    The environment variable ``COURSE_SIZE`` (``small``, ``full`` or ``auto``) decides; unset or
    ``auto`` means ``"full"`` when ``device`` (default: :func:`get_device`) is a CUDA GPU and
    ``"small"`` everywhere else, so a laptop and CI run the small size and a GPU the full one.
    """
    value = os.environ.get(SIZE_VARIABLE, "auto").strip().lower() or "auto"
    if value not in (*SIZES, "auto"):
        raise ValueError(f"{SIZE_VARIABLE} must be 'small', 'full' or 'auto', got {value!r}; "
                         f"unset it to choose by device")
    if value != "auto":
        return value
    device = device or get_device()
    return "full" if device.type == "cuda" else "small"
