"""The shared training loop, its history and helpers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course.batching import make_loader
from course.training import History, accuracy, evaluate, progress_enabled, train


def _blobs(n: int = 200, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.randn(n, 2, generator=g) + 3.0 * (2 * y[:, None] - 1)
    return x, y


def test_accuracy_counts_argmax_matches():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0], [0.0, 1.0]])
    assert accuracy(logits, torch.tensor([0, 1, 1, 1])) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="class axis"):
        accuracy(logits, torch.tensor([0, 1]))


def test_train_learns_separable_data_and_records_history():
    torch.manual_seed(0)
    x, y = _blobs()
    model = nn.Linear(2, 2)
    history = train(
        model,
        make_loader(x, y, batch_size=50),
        nn.functional.cross_entropy,
        torch.optim.SGD(model.parameters(), lr=0.5),
        epochs=5,
        val_loader=make_loader(x, y, shuffle=False),
        metrics={"acc": accuracy},
        device=torch.device("cpu"),
        progress=False,
    )
    assert len(history) == 5
    assert set(history.metrics) == {"train_loss", "train_acc", "val_loss", "val_acc"}
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history.last("val_acc") > 0.95
    scores = evaluate(
        model, make_loader(x, y, shuffle=False), nn.functional.cross_entropy, {"acc": accuracy}
    )
    assert scores["acc"] == pytest.approx(history.last("val_acc"))


def test_train_is_reproducible_with_the_same_seed():
    x, y = _blobs()

    def run() -> list[float]:
        torch.manual_seed(1)
        model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
        return train(
            model,
            make_loader(x, y, batch_size=16, seed=2),
            nn.functional.cross_entropy,
            torch.optim.Adam(model.parameters(), lr=1e-2),
            epochs=3,
            device=torch.device("cpu"),
            progress=False,
        )["train_loss"]

    assert run() == run()


def test_train_rejects_bad_arguments_and_diverging_loss():
    x, y = _blobs(20)
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = make_loader(x, y)
    with pytest.raises(ValueError, match="epochs"):
        train(model, loader, nn.functional.cross_entropy, opt, epochs=0)
    with pytest.raises(ValueError, match="grad_clip"):
        train(model, loader, nn.functional.cross_entropy, opt, epochs=1, grad_clip=-1.0)
    with pytest.raises(FloatingPointError, match="learning rate"):
        train(model, loader, lambda out, t: out.sum() * float("nan"), opt, epochs=1, progress=False)


def test_history_checks_its_metrics():
    history = History()
    history.record({"loss": 1.0})
    with pytest.raises(ValueError, match="expected metrics"):
        history.record({"acc": 0.5})
    with pytest.raises(KeyError, match="available"):
        history["acc"]


def test_progress_bar_switch(monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    assert not progress_enabled()
    assert progress_enabled(True)
    monkeypatch.delenv("COURSE_PROGRESS")
    assert progress_enabled()
