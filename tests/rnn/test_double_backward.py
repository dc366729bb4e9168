"""Second derivatives through the recurrent layers against PyTorch (float64, 1e-10):
a gradient computed with ``create_graph=True``, differentiated again. For a loss L and
a random direction V over every input and parameter, both sides compute

    P = sum_k <dL/dθ_k, V_k>,   then dP/dθ (= the Hessian of L times V),

through a 2-layer bidirectional LSTM with ``lengths``, and through GRU and tanh RNN
layers. Skipped without torch."""

from __future__ import annotations

import numpy as np
import pytest
from parity import assert_close, has_c, options

import minigrad
from rnn.layers import layer_class

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def _pair(cell: str, **kw):
    opts = options(cell)
    ours = layer_class(cell)(**kw, **opts, dtype=np.float64)
    tm = getattr(torch.nn, layer_class(cell).__name__)(**kw, **opts, dtype=torch.float64)
    ours.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    return ours, tm


def _torch_run(tm, xs, hs, cs, lengths, cell, T):
    tx, th, tc = (torch.tensor(a, requires_grad=True) for a in (xs, hs, cs))
    state = (th, tc) if has_c(cell) else th
    if lengths is None:
        out, s = tm(tx, state)
    else:
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            tx, torch.tensor(lengths), enforce_sorted=False
        )
        pout, s = tm(packed, state)
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(pout, total_length=T)
    h_n = s[0] if has_c(cell) else s
    inputs = [tx, th, *([tc] if has_c(cell) else []), *tm.parameters()]
    return out, h_n, inputs


@pytest.mark.parametrize(
    ("cell", "config"),
    [
        ("lstm", dict(num_layers=2, bidirectional=True, lengths=[5, 2, 4])),
        ("lstm", dict(num_layers=1, bidirectional=False, lengths=None)),
        ("gru", dict(num_layers=2, bidirectional=True, lengths=[5, 2, 4])),
        ("gru", dict(num_layers=1, bidirectional=False, lengths=None)),
        ("rnn", dict(num_layers=2, bidirectional=True, lengths=[5, 2, 4])),
        ("rnn", dict(num_layers=1, bidirectional=False, lengths=None)),
    ],
    ids=["lstm-2-bidir-lengths", "lstm", "gru-2-bidir-lengths", "gru", "rnn-2-bidir", "rnn"],
)
def test_double_backward_matches_torch(cell, config):
    T, N, I, H = 5, 3, 3, 4
    lengths = config.pop("lengths")
    ours, tm = _pair(cell, input_size=I, hidden_size=H, **config)
    rng = np.random.default_rng(0)
    D = 2 if config["bidirectional"] else 1
    xs = rng.normal(size=(T, N, I))
    hs, cs = rng.normal(0, 0.5, (2, D * config["num_layers"], N, H))
    R, S = rng.normal(size=(T, N, D * H)), rng.normal(size=hs.shape)

    tout, th_n, tinputs = _torch_run(tm, xs, hs, cs, lengths, cell, T)
    tloss = (tout * torch.from_numpy(R)).sum() + (th_n * torch.from_numpy(S)).sum()
    tgrads = torch.autograd.grad(tloss, tinputs, create_graph=True)
    V = [rng.normal(size=tuple(g.shape)) for g in tgrads]
    tP = sum((g * torch.from_numpy(v)).sum() for g, v in zip(tgrads, V, strict=True))
    thv = torch.autograd.grad(tP, tinputs)

    x, h, c = (minigrad.tensor(a, requires_grad=True) for a in (xs, hs, cs))
    out, state = ours(x, (h, c) if has_c(cell) else h, lengths=lengths)
    h_n = state[0] if has_c(cell) else state
    loss = (out * R).sum() + (h_n * S).sum()
    inputs = [x, h, *([c] if has_c(cell) else []), *ours.parameters()]
    grads = minigrad.grad(loss, inputs, create_graph=True)
    P = sum((g * v).sum() for g, v in zip(grads, V, strict=True))
    hv = minigrad.grad(P, inputs)

    for k, (g, tg) in enumerate(zip(grads, tgrads, strict=True)):
        assert_close(g.data, tg.detach().numpy(), f"first derivative {k}")
    for k, (a, b) in enumerate(zip(hv, thv, strict=True)):
        assert_close(a, b.numpy(), f"second derivative {k}")
