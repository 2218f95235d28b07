"""A small, general training loop with a progress bar and a history the chapters can plot."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import torch
from torch import nn

from .checks import check_positive_int
from .device import get_device

Metric = Callable[[torch.Tensor, torch.Tensor], float]


def trainable_parameters(model: nn.Module) -> list[nn.Parameter]:
    """The parameters an optimizer should update: those that require gradients (a frozen
    embedding table is left out; a weight shared by two layers appears once)."""
    return [p for p in model.parameters() if p.requires_grad]


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars in ``model`` (a shared weight is counted once)."""
    return sum(p.numel() for p in trainable_parameters(model))


@dataclass
class History:
    """Metrics recorded once per epoch by :func:`train`: ``history["train_loss"][epoch]``."""

    metrics: dict[str, list[float]] = field(default_factory=dict)

    def record(self, values: Mapping[str, float]) -> None:
        """Append one epoch's values; every metric must be recorded every epoch."""
        if self.metrics and set(values) != set(self.metrics):
            raise ValueError(f"expected metrics {sorted(self.metrics)}, got {sorted(values)}")
        for name, value in values.items():
            self.metrics.setdefault(name, []).append(float(value))

    def __getitem__(self, name: str) -> list[float]:
        if name not in self.metrics:
            raise KeyError(f"no metric {name!r} recorded; available: {sorted(self.metrics)}")
        return self.metrics[name]

    def __contains__(self, name: object) -> bool:
        return name in self.metrics

    def __len__(self) -> int:
        return len(next(iter(self.metrics.values()), []))

    def last(self, name: str) -> float:
        """The value of ``name`` after the final epoch."""
        return self[name][-1]


def accuracy(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Fraction of rows of ``logits`` whose arg-max equals the integer class in ``targets``."""
    if logits.shape[:-1] != targets.shape:
        raise ValueError(
            f"logits {tuple(logits.shape)} must be targets {tuple(targets.shape)} plus a class axis"
        )
    return (logits.argmax(dim=-1) == targets).float().mean().item()


def progress_enabled(progress: bool | None = None) -> bool:
    """Progress bars are on unless turned off here or by ``COURSE_PROGRESS=0`` (set in builds)."""
    if progress is not None:
        return progress
    return os.environ.get("COURSE_PROGRESS", "1") not in {"0", "false", "no"}


def _forward(
    model: nn.Module, batch: tuple, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    *inputs, targets = (t.to(device) for t in batch)
    return model(*inputs), targets


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: Iterable,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    metrics: Mapping[str, Metric] | None = None,
    device: torch.device | None = None,
) -> dict[str, float]:
    """Mean loss and metrics of ``model`` over ``loader``, weighted by batch size, in eval mode."""
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    totals: dict[str, float] = {"loss": 0.0, **{name: 0.0 for name in metrics or {}}}
    count = 0
    for batch in loader:
        outputs, targets = _forward(model, batch, device)
        n = len(targets)
        totals["loss"] += loss_fn(outputs, targets).item() * n
        for name, metric in (metrics or {}).items():
            totals[name] += metric(outputs, targets) * n
        count += n
    model.train(was_training)
    if count == 0:
        raise ValueError("evaluate got an empty loader")
    return {name: total / count for name, total in totals.items()}


def train(
    model: nn.Module,
    train_loader: Iterable,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    *,
    epochs: int,
    val_loader: Iterable | None = None,
    metrics: Mapping[str, Metric] | None = None,
    device: torch.device | None = None,
    grad_clip: float | None = None,
    progress: bool | None = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader`` and return its :class:`History`.

    Each batch is ``(*inputs, targets)``; the model is called as ``model(*inputs)``. After each
    epoch the history records ``train_loss`` and each metric on the training batches (as seen
    during the epoch) and, with ``val_loader``, ``val_loss`` and ``val_<metric>``.
    ``grad_clip`` clips the global gradient norm. A non-finite loss stops with an error.
    """
    check_positive_int(epochs, "epochs")
    if grad_clip is not None and grad_clip <= 0:
        raise ValueError(f"grad_clip must be positive or None, got {grad_clip!r}")
    from tqdm.auto import tqdm

    device = device or get_device()
    model.to(device)
    history = History()
    bar = tqdm(range(epochs), desc="epochs", disable=not progress_enabled(progress))
    for epoch in bar:
        model.train()
        sums: dict[str, float] = {"loss": 0.0, **{name: 0.0 for name in metrics or {}}}
        seen = 0
        for batch in train_loader:
            outputs, targets = _forward(model, batch, device)
            loss = loss_fn(outputs, targets)
            if not math.isfinite(loss.item()):
                raise FloatingPointError(
                    f"loss became {loss.item()} in epoch {epoch}; lower the learning rate or clip"
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if grad_clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            optimizer.step()
            n = len(targets)
            sums["loss"] += loss.item() * n
            with torch.no_grad():
                for name, metric in (metrics or {}).items():
                    sums[name] += metric(outputs, targets) * n
            seen += n
        if seen == 0:
            raise ValueError("train got an empty train_loader")
        record = {f"train_{name}": total / seen for name, total in sums.items()}
        if val_loader is not None:
            scores = evaluate(model, val_loader, loss_fn, metrics, device)
            record.update({f"val_{name}": value for name, value in scores.items()})
        history.record(record)
        bar.set_postfix({k: f"{v:.3g}" for k, v in record.items() if k.endswith("loss")})
    return history
