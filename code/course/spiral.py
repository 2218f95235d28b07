"""Spiral classification: a seeded K-class spiral data set, two classifiers and their training.

Each class is one arm of a spiral in the plane. A linear classifier can only cut the plane
into convex wedges, so it fails; a network with one hidden layer and a non-linearity bends the
plane until the arms come apart. :func:`course.plotting.plot_decision_regions` shows the regions
each model carves out; the lab's views of the layers and its sweep over widths are in
:mod:`course.chapters.spiral`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .checks import check_fraction, check_int_at_least, check_one_of, check_positive_int
from .training import History, accuracy, evaluate, train

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "identity": nn.Identity,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
}


# ---------------------------------------------------------------------------------------------
# Data


def make_spirals(
    n_per_class: int = 100,
    n_classes: int = 3,
    *,
    noise: float = 0.2,
    turns: float = 1.0,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Points ``(N, 2)`` and integer labels ``(N,)`` of ``n_classes`` interleaved spiral arms.

    Arm ``k`` starts at the origin and winds ``turns`` times around it, rotated by
    ``2 pi k / n_classes``; point ``j`` sits at radius ``r = j / (n_per_class - 1)`` and angle
    ``2 pi (turns r + k / n_classes)`` plus Gaussian angle noise of standard deviation ``noise``
    (radians). The same ``seed`` gives the same points.
    """
    check_int_at_least(n_per_class, 2, "n_per_class")
    check_int_at_least(n_classes, 2, "n_classes")
    if noise < 0 or turns <= 0:
        raise ValueError(f"need noise >= 0 and turns > 0, got noise={noise}, turns={turns}")
    rng = np.random.default_rng(seed)
    radius = np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)  # (N,)
    labels = np.repeat(np.arange(n_classes), n_per_class)  # (N,)
    angle = 2 * math.pi * (turns * radius + labels / n_classes)  # (N,)
    angle = angle + noise * rng.standard_normal(angle.shape)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)  # (N, 2)
    return torch.from_numpy(points).float(), torch.from_numpy(labels).long()


def flip_labels(
    labels: torch.Tensor, fraction: float, n_classes: int, *, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """A copy of ``labels`` in which a random ``fraction`` is changed to a different class.

    Returns the noisy labels ``(N,)`` and the bool mask ``(N,)`` of the entries that changed.
    """
    check_fraction(fraction, "fraction")
    generator = torch.Generator().manual_seed(seed)
    flipped = torch.rand(len(labels), generator=generator) < fraction  # (N,)
    shift = torch.randint(1, n_classes, (len(labels),), generator=generator)  # never 0
    noisy = torch.where(flipped, (labels + shift) % n_classes, labels)  # (N,)
    return noisy, flipped


# ---------------------------------------------------------------------------------------------
# Models


def linear_classifier(n_classes: int, n_inputs: int = 2) -> nn.Linear:
    """Class scores that are affine in the input: ``logits = W x + b``."""
    return nn.Linear(n_inputs, n_classes)


class TwoLayerNet(nn.Module):
    """``logits = W2 phi(W1 x + b1) + b2`` with ``hidden_size`` units and activation ``phi``."""

    def __init__(
        self, hidden_size: int, n_classes: int, activation: str = "relu", n_inputs: int = 2
    ) -> None:
        super().__init__()
        check_one_of(activation, ACTIVATIONS, "activation")
        check_positive_int(hidden_size, "hidden_size")
        self.activation_name = activation
        self.layer1 = nn.Linear(n_inputs, hidden_size)
        self.activation = ACTIVATIONS[activation]()
        self.layer2 = nn.Linear(hidden_size, n_classes)

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        """Hidden-layer activations ``(N, H)`` for inputs ``(N, 2)``."""
        return self.activation(self.layer1(x))  # (N, H)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer2(self.hidden(x))  # (N, K)


# ---------------------------------------------------------------------------------------------
# Training


def _whole(data: tuple[torch.Tensor, torch.Tensor]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The whole data set as one batch: each epoch is one step. A list of that one batch, not
    a ``DataLoader``, whose start-up each epoch would cost more than the step itself."""
    return [data]


def train_classifier(
    model: nn.Module,
    train_data: tuple[torch.Tensor, torch.Tensor],
    test_data: tuple[torch.Tensor, torch.Tensor] | None = None,
    *,
    steps: int = 1000,
    lr: float = 1e-2,
    weight_decay: float = 1e-4,
    device: torch.device | None = None,
) -> History:
    """Full-batch Adam on cross-entropy for ``steps`` steps; returns the :class:`History`,
    which records the loss and accuracy on ``test_data`` after every step when it is given."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return train(
        model, _whole(train_data), nn.CrossEntropyLoss(), optimizer, epochs=steps,
        val_loader=None if test_data is None else _whole(test_data), metrics={"acc": accuracy},
        device=device,
    )


def accuracy_of(
    model: nn.Module, data: tuple[torch.Tensor, torch.Tensor], device: torch.device | None = None
) -> float:
    """Fraction of ``data`` that ``model`` classifies correctly."""
    scores = evaluate(model, _whole(data), nn.CrossEntropyLoss(), {"acc": accuracy}, device)
    return scores["acc"]


# ---------------------------------------------------------------------------------------------
# What the layers see
