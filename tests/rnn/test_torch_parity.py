"""Parity with torch.nn.RNN/LSTM/GRU and the cells: state dicts both ways, outputs and every
gradient to 1e-10 in float64, packed sequences against ``lengths=``. Skipped without torch."""

from __future__ import annotations

import numpy as np
import pytest
from parity import CELLS, KIND_IDS, KINDS, assert_close, has_c, make_cell, options

import minigrad
from rnn.cells import cell_kind
from rnn.layers import layer_class

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

F64 = np.float64
# the kinds torch has: its layer and cell classes carry the same names as ours
TORCH_CELLS = [c for c in CELLS if hasattr(torch.nn, layer_class(c).__name__)]
# PyTorch's RNN has no modReLU (its bias_hh is a summand, ours the threshold inside it).
TORCH_KINDS = [
    (k, i)
    for k, i in zip(KINDS, KIND_IDS, strict=True)
    if k[0] in TORCH_CELLS and k[1] != "modrelu"
]


def build(cell, nonlinearity="tanh", **kw):
    opts = options(cell, nonlinearity)
    ours = layer_class(cell)(**kw, **opts, dtype=F64)
    return ours, getattr(torch.nn, layer_class(cell).__name__)(**kw, **opts, dtype=torch.float64)


def torch_to_ours(tm, ours):
    ours.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})


def ours_to_torch(ours, tm):
    tm.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})


def compare_layers(
    cell,
    nonlinearity="tanh",
    *,
    T=6,
    N=3,
    I=3,
    H=4,
    num_layers=1,
    bidirectional=False,
    batch_first=False,
    bias=True,
    lengths=None,
    direction="torch->ours",
    seed=0,
):
    torch.manual_seed(seed)
    minigrad.manual_seed(seed)
    rng = np.random.default_rng(seed)
    ours, tm = build(
        cell,
        nonlinearity,
        input_size=I,
        hidden_size=H,
        num_layers=num_layers,
        bidirectional=bidirectional,
        batch_first=batch_first,
        bias=bias,
    )
    if direction == "torch->ours":
        torch_to_ours(tm, ours)
    else:
        ours_to_torch(ours, tm)
    assert list(ours.state_dict()) == list(tm.state_dict())
    D = 2 if bidirectional else 1
    xs = rng.normal(size=(N, T, I) if batch_first else (T, N, I))
    hs = rng.normal(0, 0.5, (D * num_layers, N, H))
    cs = rng.normal(0, 0.5, (D * num_layers, N, H))
    R = rng.normal(size=(N, T, D * H) if batch_first else (T, N, D * H))
    S, U = rng.normal(size=hs.shape), rng.normal(size=cs.shape)

    # torch
    tx = torch.tensor(xs, requires_grad=True)
    th = torch.tensor(hs, requires_grad=True)
    tc = torch.tensor(cs, requires_grad=True)
    thx = (th, tc) if has_c(cell) else th
    if lengths is None:
        tout, tstate = tm(tx, thx)
    else:
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            tx, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False
        )
        pout, tstate = tm(packed, thx)
        tout, _ = torch.nn.utils.rnn.pad_packed_sequence(
            pout, batch_first=batch_first, total_length=T
        )
    th_n, tc_n = tstate if has_c(cell) else (tstate, None)
    tloss = (tout * torch.from_numpy(R)).sum() + (th_n * torch.from_numpy(S)).sum()
    if tc_n is not None:
        tloss = tloss + (tc_n * torch.from_numpy(U)).sum()
    tloss.backward()

    # ours
    x = minigrad.tensor(xs, requires_grad=True)
    h = minigrad.tensor(hs, requires_grad=True)
    c = minigrad.tensor(cs, requires_grad=True)
    out, state = ours(x, (h, c) if has_c(cell) else h, lengths=lengths)
    h_n, c_n = state if has_c(cell) else (state, None)
    loss = (out * R).sum() + (h_n * S).sum()
    if c_n is not None:
        loss = loss + (c_n * U).sum()
    loss.backward()

    errs = [
        assert_close(out.numpy(), tout.detach().numpy(), "out"),
        assert_close(h_n.numpy(), th_n.detach().numpy(), "h_n"),
        assert_close(loss.item(), tloss.item(), "loss"),
        assert_close(x.grad, tx.grad.numpy(), "dx"),
        assert_close(h.grad, th.grad.numpy(), "dh0"),
    ]
    if has_c(cell):
        errs.append(assert_close(c_n.numpy(), tc_n.detach().numpy(), "c_n"))
        errs.append(assert_close(c.grad, tc.grad.numpy(), "dc0"))
    tparams = dict(tm.named_parameters())
    for name, p in ours.named_parameters():
        errs.append(assert_close(p.grad, tparams[name].grad.numpy(), f"grad {name}"))
    return max(errs)


CONFIGS = {
    "plain": dict(),
    "2-layers": dict(num_layers=2),
    "bidir": dict(bidirectional=True),
    "3-bidir-bf": dict(num_layers=3, bidirectional=True, batch_first=True),
    "nobias-2-bidir": dict(num_layers=2, bidirectional=True, bias=False),
    "ours->torch": dict(num_layers=2, bidirectional=True, direction="ours->torch"),
    "packed": dict(lengths=[6, 2, 4]),
    "packed-2-bidir": dict(num_layers=2, bidirectional=True, lengths=[3, 6, 1]),
    "packed-bidir-bf": dict(bidirectional=True, batch_first=True, lengths=[1, 5, 6], T=6),
    "packed-long": dict(T=40, N=4, I=2, H=3, bidirectional=True, lengths=[40, 1, 17, 39]),
}


@pytest.mark.parametrize("kind", [k for k, _ in TORCH_KINDS], ids=[i for _, i in TORCH_KINDS])
@pytest.mark.parametrize("config", list(CONFIGS.values()), ids=list(CONFIGS))
def test_layer_matches_torch(kind, config):
    compare_layers(*kind, **config)


@pytest.mark.parametrize("cell", TORCH_CELLS)
def test_default_state_matches_torch(cell):
    ours, tm = build(cell, input_size=2, hidden_size=3, num_layers=2, bidirectional=True)
    torch_to_ours(tm, ours)
    xs = np.random.default_rng(0).normal(size=(4, 2, 2))
    tout, _ = tm(torch.tensor(xs))
    out, _ = ours(minigrad.tensor(xs))
    assert_close(out.numpy(), tout.detach().numpy(), "out")


@pytest.mark.parametrize("cell", TORCH_CELLS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_matches_torch(cell, batch_first):
    ours, tm = build(cell, input_size=2, hidden_size=3, num_layers=2, batch_first=batch_first)
    ours_to_torch(ours, tm)
    xs = np.random.default_rng(0).normal(size=(5, 2))
    tout, tstate = tm(torch.tensor(xs))
    out, state = ours(minigrad.tensor(xs))
    assert_close(out.numpy(), tout.detach().numpy(), "out")
    th = tstate[0] if has_c(cell) else tstate
    h = state[0] if has_c(cell) else state
    assert_close(h.numpy(), th.detach().numpy(), "h_n")


@pytest.mark.parametrize("cell", TORCH_CELLS)
@pytest.mark.parametrize("bias", [True, False])
def test_state_dict_names_shapes_and_order_match_torch(cell, bias):
    ours, tm = build(cell, input_size=3, hidden_size=5, num_layers=3, bidirectional=True, bias=bias)
    tsd = tm.state_dict()
    sd = ours.state_dict()
    assert list(sd) == list(tsd)
    for name, value in sd.items():
        assert value.shape == tuple(tsd[name].shape), name


# ------------------------------------------------------------------------------ cells


@pytest.mark.parametrize("kind", [k for k, _ in TORCH_KINDS], ids=[i for _, i in TORCH_KINDS])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
def test_cell_matches_torch(kind, bias, batched):
    cell, nonlinearity = kind
    I, H, N = 3, 4, 2
    ours = make_cell(cell, nonlinearity, I, H, bias=bias)
    torch_class = getattr(torch.nn, cell_kind(cell).cell_class.__name__)
    tm = torch_class(I, H, bias=bias, dtype=torch.float64, **options(cell, nonlinearity))
    torch_to_ours(tm, ours)
    assert list(ours.state_dict()) == list(tm.state_dict())
    rng = np.random.default_rng(1)
    shape = (N, I) if batched else (I,)
    sshape = (N, H) if batched else (H,)
    xs, hs, cs = rng.normal(size=shape), rng.normal(size=sshape), rng.normal(size=sshape)
    R, U = rng.normal(size=sshape), rng.normal(size=sshape)

    tx, th, tc = (torch.tensor(a, requires_grad=True) for a in (xs, hs, cs))
    x, h, c = (minigrad.tensor(a, requires_grad=True) for a in (xs, hs, cs))
    if has_c(cell):
        th1, tc1 = tm(tx, (th, tc))
        h1, c1 = ours(x, (h, c))
        tloss = (th1 * torch.from_numpy(R)).sum() + (tc1 * torch.from_numpy(U)).sum()
        loss = (h1 * R).sum() + (c1 * U).sum()
    else:
        th1, h1 = tm(tx, th), ours(x, h)
        tloss, loss = (th1 * torch.from_numpy(R)).sum(), (h1 * R).sum()
    tloss.backward()
    loss.backward()
    assert_close(h1.numpy(), th1.detach().numpy(), "h'")
    assert_close(x.grad, tx.grad.numpy(), "dx")
    assert_close(h.grad, th.grad.numpy(), "dh")
    if has_c(cell):
        assert_close(c1.numpy(), tc1.detach().numpy(), "c'")
        assert_close(c.grad, tc.grad.numpy(), "dc")
    tparams = dict(tm.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, tparams[name].grad.numpy(), f"grad {name}")
