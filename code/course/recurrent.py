"""Many-to-one recurrent classifiers (vanilla RNN, LSTM, GRU) and tools to look inside them.

A :class:`RecurrentClassifier` reads a sequence ``(B, T, I)`` and classifies it from its last
hidden state. Training uses PyTorch's fused ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` layers for speed;
for inspection, :func:`trace_lstm` re-runs a trained ``nn.LSTM`` one step at a time with the
equations written out in :func:`lstm_step`, so that every gate can be read, and
:func:`input_gradient_norms` measures how much of the loss's gradient reaches each time step.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from .checks import check_one_of, check_positive_ints

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class RecurrentClassifier(nn.Module):
    """A one-layer recurrent network whose last hidden state goes through a linear read-out.

    ``cell`` is ``"rnn"`` (``tanh`` units), ``"lstm"`` or ``"gru"``; every kind gets the same
    ``hidden_size``. For the LSTM the forget-gate bias starts at ``forget_bias`` (1 by default,
    so that at the start the cell keeps most of its content from one step to the next).
    """

    def __init__(
        self,
        cell: str,
        n_inputs: int,
        hidden_size: int,
        n_classes: int,
        *,
        forget_bias: float = 1.0,
    ) -> None:
        super().__init__()
        check_one_of(cell, CELLS, "cell")
        check_positive_ints(n_inputs=n_inputs, hidden_size=hidden_size, n_classes=n_classes)
        self.cell = cell
        self.recurrent = CELLS[cell](n_inputs, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, n_classes)
        if cell == "lstm":
            set_forget_bias(self.recurrent, forget_bias)

    def states(self, x: torch.Tensor) -> torch.Tensor:
        """Hidden states ``(B, T, H)`` at every step for inputs ``x`` ``(B, T, I)``."""
        if x.dim() != 3 or x.shape[-1] != self.recurrent.input_size:
            raise ValueError(
                f"expected inputs (batch, time, {self.recurrent.input_size}), got {tuple(x.shape)}"
            )
        out, _ = self.recurrent(x)  # (B, T, H)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``(B, K)`` from the hidden state after the last step."""
        last = self.states(x)[:, -1]  # (B, H)
        return self.head(last)  # (B, K)


def set_forget_bias(lstm: nn.LSTM, value: float) -> None:
    """Set the forget-gate part of an ``nn.LSTM``'s biases so that together they equal ``value``.

    PyTorch stores the gates' biases as ``[input, forget, cell, output]`` blocks of ``H`` each,
    in two vectors ``bias_ih`` and ``bias_hh`` that are added; we put ``value`` in the first.
    """
    hidden = lstm.hidden_size
    with torch.no_grad():
        for layer in range(lstm.num_layers):
            getattr(lstm, f"bias_ih_l{layer}")[hidden : 2 * hidden].fill_(value)
            getattr(lstm, f"bias_hh_l{layer}")[hidden : 2 * hidden].zero_()


# ---------------------------------------------------------------------------------------------
# The LSTM, one step at a time


@dataclass(frozen=True)
class LSTMTrace:
    """Everything an LSTM computed over a sequence, each ``(B, T, H)``.

    ``input_gate``, ``forget_gate`` and ``output_gate`` are in (0, 1); ``candidate`` is the
    ``tanh`` proposal written into the cell; ``cell`` and ``hidden`` are the states after each step.
    """

    input_gate: torch.Tensor
    forget_gate: torch.Tensor
    candidate: torch.Tensor
    output_gate: torch.Tensor
    cell: torch.Tensor
    hidden: torch.Tensor


def lstm_step(
    x: torch.Tensor,
    h: torch.Tensor,
    c: torch.Tensor,
    w_ih: torch.Tensor,
    w_hh: torch.Tensor,
    b: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, tuple[torch.Tensor, ...]]:
    """One LSTM step: from input ``x`` ``(B, I)`` and state ``h, c`` ``(B, H)`` to the new state.

    ``w_ih`` ``(4H, I)``, ``w_hh`` ``(4H, H)`` and ``b`` ``(4H,)`` hold the input, forget, cell
    and output blocks, in that order (PyTorch's layout). Returns ``(h, c, (i, f, g, o))``.
    """
    pre = x @ w_ih.T + h @ w_hh.T + b  # (B, 4H)
    i, f, g, o = pre.chunk(4, dim=-1)  # each (B, H)
    i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)  # gates in (0, 1)
    g = torch.tanh(g)  # candidate content in (-1, 1)
    c = f * c + i * g  # (B, H): keep part of the old cell, write part of the new content
    h = o * torch.tanh(c)  # (B, H): expose part of the cell
    return h, c, (i, f, g, o)


@torch.no_grad()
def trace_lstm(lstm: nn.LSTM, x: torch.Tensor) -> LSTMTrace:
    """Run a one-layer, ``batch_first`` ``lstm`` over ``x`` ``(B, T, I)`` with :func:`lstm_step`.

    The result matches ``lstm(x)`` but also keeps every gate activation and cell state.
    """
    if not isinstance(lstm, nn.LSTM) or lstm.num_layers != 1 or not lstm.batch_first:
        raise TypeError("trace_lstm needs a one-layer nn.LSTM built with batch_first=True")
    if lstm.bidirectional or lstm.proj_size:
        raise TypeError("trace_lstm handles unidirectional LSTMs without projections only")
    if x.dim() != 3:
        raise ValueError(f"expected inputs (batch, time, features), got {tuple(x.shape)}")
    w_ih, w_hh = lstm.weight_ih_l0, lstm.weight_hh_l0  # (4H, I), (4H, H)
    b = lstm.bias_ih_l0 + lstm.bias_hh_l0 if lstm.bias else x.new_zeros(4 * lstm.hidden_size)
    batch = x.shape[0]
    h = x.new_zeros(batch, lstm.hidden_size)  # (B, H)
    c = x.new_zeros(batch, lstm.hidden_size)  # (B, H)
    steps = []
    for t in range(x.shape[1]):
        h, c, (i, f, g, o) = lstm_step(x[:, t], h, c, w_ih, w_hh, b)
        steps.append((i, f, g, o, c, h))
    stacked = [torch.stack(series, dim=1) for series in zip(*steps, strict=True)]  # each (B, T, H)
    return LSTMTrace(*stacked)


# ---------------------------------------------------------------------------------------------
# How far back does the gradient reach?


def input_gradient_norms(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: nn.Module | None = None,
    *,
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """Mean over the batch of ``||dL/dx_t||`` for every step ``t``: a ``(T,)`` tensor.

    ``L`` is the classification loss at the end of the sequence, so the value at step ``t`` says
    how strongly the error signal still reacts to what the network saw ``T - t`` steps earlier.
    The computation runs on a copy of ``model`` in ``dtype`` (double precision by default, so
    that gradients of 1e-40 and smaller do not round to zero); ``model`` is left untouched.
    """
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    model = copy.deepcopy(model).to(dtype)
    device = next(model.parameters()).device
    x = x.detach().to(device=device, dtype=dtype).requires_grad_(True)  # (B, T, I)
    model.eval()
    loss = loss_fn(model(x), y.to(device))
    (grad,) = torch.autograd.grad(loss, x)  # (B, T, I)
    return grad.norm(dim=-1).mean(dim=0).cpu()  # (T,)


# ---------------------------------------------------------------------------------------------
# What each unit does


def mean_over_marked(values: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-unit means of ``values`` ``(B, T, H)`` over the steps where ``mask`` ``(B, T)`` is true,
    and over the steps where it is false: two ``(H,)`` tensors."""
    if values.shape[:2] != mask.shape or mask.dtype != torch.bool:
        raise ValueError(
            f"mask must be a bool tensor of shape {tuple(values.shape[:2])}, got "
            f"{mask.dtype} {tuple(mask.shape)}"
        )
    if not mask.any() or mask.all():
        raise ValueError("mask must mark some steps and leave some unmarked")
    marked = values[mask].mean(dim=0)  # (H,)
    unmarked = values[~mask].mean(dim=0)  # (H,)
    return marked, unmarked


def unit_selectivity(trace: LSTMTrace, mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """How much more each LSTM unit reacts at the steps marked in ``mask`` ``(B, T)``.

    Returns ``(H,)`` tensors: ``"input_gate"``, the mean input gate at marked steps minus at the
    other steps (how much wider the unit opens to write), and ``"cell_change"``, the same
    difference for ``|c_t - c_{t-1}|`` (how much the stored content moves).
    """
    previous = torch.cat([torch.zeros_like(trace.cell[:, :1]), trace.cell[:, :-1]], dim=1)
    change = (trace.cell - previous).abs()  # (B, T, H)
    result = {}
    for name, values in (("input_gate", trace.input_gate), ("cell_change", change)):
        marked, unmarked = mean_over_marked(values, mask)
        result[name] = marked - unmarked  # (H,)
    return result
