"""Tests for course.recurrent: the classifiers, the step-by-step LSTM and the gradient probe."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course import recurrent
from course.training import count_parameters


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_classifier_shapes(cell):
    torch.manual_seed(0)
    model = recurrent.RecurrentClassifier(cell, 5, 7, 3)
    x = torch.randn(4, 9, 5)
    assert model.states(x).shape == (4, 9, 7)
    assert model(x).shape == (4, 3)
    assert torch.allclose(model(x), model.head(model.states(x)[:, -1]))


def test_classifier_rejects_bad_arguments():
    with pytest.raises(ValueError):
        recurrent.RecurrentClassifier("transformer", 5, 7, 3)
    with pytest.raises(ValueError):
        recurrent.RecurrentClassifier("rnn", 5, 0, 3)
    model = recurrent.RecurrentClassifier("rnn", 5, 7, 3)
    with pytest.raises(ValueError):
        model(torch.randn(4, 9, 6))
    with pytest.raises(ValueError):
        model(torch.randn(9, 5))


def test_same_hidden_size_means_lstm_has_four_times_the_recurrent_weights():
    rnn = recurrent.RecurrentClassifier("rnn", 8, 16, 4)
    lstm = recurrent.RecurrentClassifier("lstm", 8, 16, 4)
    head = 16 * 4 + 4
    assert count_parameters(lstm) - head == 4 * (count_parameters(rnn) - head)


def test_forget_bias_is_set():
    model = recurrent.RecurrentClassifier("lstm", 3, 6, 2, forget_bias=2.5)
    lstm = model.recurrent
    total = lstm.bias_ih_l0 + lstm.bias_hh_l0
    assert torch.allclose(total[6:12], torch.full((6,), 2.5))
    assert not torch.allclose(total[:6], torch.full((6,), 2.5))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_one_training_step_lowers_the_loss_on_its_batch(cell):
    torch.manual_seed(0)
    model = recurrent.RecurrentClassifier(cell, 4, 8, 3)
    x, y = torch.randn(32, 6, 4), torch.randint(0, 3, (32,))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    before = [p.detach().clone() for p in model.parameters()]
    loss = loss_fn(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    assert all(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert loss_fn(model(x), y).item() < loss.item()


def test_lstm_step_matches_lstm_cell():
    torch.manual_seed(0)
    cell = nn.LSTMCell(5, 4)
    x, h, c = torch.randn(3, 5), torch.randn(3, 4), torch.randn(3, 4)
    h_ref, c_ref = cell(x, (h, c))
    h_new, c_new, gates = recurrent.lstm_step(
        x, h, c, cell.weight_ih, cell.weight_hh, cell.bias_ih + cell.bias_hh
    )
    assert torch.allclose(h_new, h_ref, atol=1e-6) and torch.allclose(c_new, c_ref, atol=1e-6)
    assert len(gates) == 4


def test_trace_lstm_matches_torch_lstm():
    torch.manual_seed(0)
    lstm = nn.LSTM(6, 5, batch_first=True)
    with torch.no_grad():
        for p in lstm.parameters():
            p.uniform_(-0.8, 0.8)
    x = torch.randn(3, 12, 6)
    out, (h_last, c_last) = lstm(x)
    trace = recurrent.trace_lstm(lstm, x)
    assert trace.hidden.shape == (3, 12, 5)
    assert torch.allclose(trace.hidden, out, atol=1e-5)
    assert torch.allclose(trace.cell[:, -1], c_last[0], atol=1e-5)
    for gate in (trace.input_gate, trace.forget_gate, trace.output_gate):
        assert gate.min() > 0 and gate.max() < 1
    assert trace.candidate.abs().max() < 1
    # the cell update c_t = f_t c_{t-1} + i_t g_t holds at every step
    previous = torch.cat([torch.zeros(3, 1, 5), trace.cell[:, :-1]], dim=1)
    rebuilt = trace.forget_gate * previous + trace.input_gate * trace.candidate
    assert torch.allclose(rebuilt, trace.cell, atol=1e-6)


def test_trace_lstm_rejects_other_layers():
    with pytest.raises(TypeError):
        recurrent.trace_lstm(nn.RNN(3, 4, batch_first=True), torch.randn(1, 2, 3))
    with pytest.raises(TypeError):
        recurrent.trace_lstm(nn.LSTM(3, 4), torch.randn(1, 2, 3))
    with pytest.raises(ValueError):
        recurrent.trace_lstm(nn.LSTM(3, 4, batch_first=True), torch.randn(2, 3))


def test_input_gradient_norms_match_autograd_and_leave_the_model_alone():
    torch.manual_seed(0)
    model = recurrent.RecurrentClassifier("lstm", 4, 6, 3)
    x, y = torch.randn(5, 7, 4), torch.randint(0, 3, (5,))
    before = [p.detach().clone() for p in model.parameters()]
    norms = recurrent.input_gradient_norms(model, x, y)
    assert norms.shape == (7,) and norms.dtype == torch.float64
    assert all(p.grad is None for p in model.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert next(model.parameters()).dtype == torch.float32
    x_ref = x.clone().requires_grad_(True)
    nn.CrossEntropyLoss()(model(x_ref), y).backward()
    expected = x_ref.grad.norm(dim=-1).mean(dim=0)
    assert torch.allclose(norms.float(), expected, rtol=1e-4)


def test_gradient_vanishes_through_a_contracting_rnn():
    torch.manual_seed(0)
    model = recurrent.RecurrentClassifier("rnn", 3, 4, 2)
    with torch.no_grad():
        model.recurrent.weight_hh_l0.copy_(0.3 * torch.eye(4))
    x, y = torch.randn(8, 20, 3), torch.randint(0, 2, (8,))
    norms = recurrent.input_gradient_norms(model, x, y)
    assert (norms[1:] > norms[:-1]).all()  # the further back, the smaller
    assert norms[0] < 1e-8 * norms[-1]


def test_mean_over_marked():
    values = torch.arange(12.0).reshape(1, 4, 3)
    mask = torch.tensor([[True, False, False, True]])
    marked, unmarked = recurrent.mean_over_marked(values, mask)
    assert torch.allclose(marked, (values[0, 0] + values[0, 3]) / 2)
    assert torch.allclose(unmarked, (values[0, 1] + values[0, 2]) / 2)
    with pytest.raises(ValueError):
        recurrent.mean_over_marked(values, mask.float())
    with pytest.raises(ValueError):
        recurrent.mean_over_marked(values, torch.ones(1, 4, dtype=torch.bool))


def test_unit_selectivity_finds_a_unit_that_writes_at_marked_steps():
    torch.manual_seed(0)
    batch, steps, hidden = 4, 10, 3
    gates = torch.full((batch, steps, hidden), 0.1)
    gates[:, 3, 1] = 0.9  # unit 1 opens its input gate at step 3
    cell = torch.zeros(batch, steps, hidden)
    cell[:, 3:, 1] = 1.0  # and its cell jumps there
    zeros = torch.zeros(batch, steps, hidden)
    trace = recurrent.LSTMTrace(gates, zeros, zeros, zeros, cell, zeros)
    mask = torch.zeros(batch, steps, dtype=torch.bool)
    mask[:, 3] = True
    selectivity = recurrent.unit_selectivity(trace, mask)
    assert selectivity["input_gate"].argmax().item() == 1
    assert selectivity["input_gate"][1].item() == pytest.approx(0.8)
    assert selectivity["cell_change"][1].item() == pytest.approx(1.0)
    assert selectivity["cell_change"][0].item() == pytest.approx(0.0)
