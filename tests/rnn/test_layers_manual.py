"""RNN, LSTM and GRU layers against the hand-derived reference ``rnn.manual`` (float64, 1e-10).

The manual reference runs one layer and one direction; multi-layer and bidirectional layers
are composed here layer by layer: the forward and reverse outputs are concatenated along the
feature axis as the next layer's input, and in backward the next layer's dx is split into the
previous layer's douts. Also: per-step dL/dh_t, an omitted h0, outputs past the lengths and
unbatched input (the layer as a module: test_layers_module.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from parity import CELLS, KIND_IDS, KINDS, PARAM_NAMES, assert_close, has_c, make_layer, suffix

import minigrad
from rnn import manual
from rnn.cells import cell_kind

F64 = np.float64


# ------------------------------------------------------------------------------ the case


class Case:
    """A random layer, input, initial state, lengths and loss weights.

    Loss L = sum(out * R) + sum(h_n * S) (+ sum(c_n * U)), with out in the layer's own layout.
    """

    def __init__(
        self,
        cell,
        nonlinearity="tanh",
        *,
        seed=0,
        T=5,
        N=3,
        I=3,
        H=4,
        num_layers=1,
        bidirectional=False,
        batch_first=False,
        bias=True,
        lengths=None,
        with_h0=True,
    ):
        rng = np.random.default_rng(seed)
        minigrad.manual_seed(seed)
        self.cell, self.nonlinearity = cell, nonlinearity
        self.T, self.N, self.I, self.H = T, N, I, H
        self.L, self.D = num_layers, 2 if bidirectional else 1
        self.batch_first = batch_first
        self.layer = make_layer(
            cell,
            nonlinearity,
            input_size=I,
            hidden_size=H,
            num_layers=num_layers,
            bias=bias,
            batch_first=batch_first,
            bidirectional=bidirectional,
        )
        shape = (N, T, I) if batch_first else (T, N, I)
        self.x = rng.normal(size=shape)
        LD = self.L * self.D
        self.h0 = rng.normal(0, 0.5, (LD, N, H)) if with_h0 else None
        self.c0 = rng.normal(0, 0.5, (LD, N, H)) if (with_h0 and has_c(cell)) else None
        self.lengths = None if lengths is None else np.asarray(lengths, dtype=np.int64)
        out_shape = (N, T, self.D * H) if batch_first else (T, N, self.D * H)
        self.R = rng.normal(size=out_shape)
        self.S = rng.normal(size=(LD, N, H))
        self.U = rng.normal(size=(LD, N, H))

    def __repr__(self):
        lay = self.layer
        return (
            f"Case({self.cell!r}, {self.nonlinearity!r}, T={self.T}, N={self.N}, I={self.I}, "
            f"H={self.H}, num_layers={self.L}, bidirectional={self.D == 2}, "
            f"batch_first={self.batch_first}, bias={lay.bias}, "
            f"lengths={None if self.lengths is None else self.lengths.tolist()}, "
            f"with_h0={self.h0 is not None})"
        )

    # ---------------------------------------------------------------- autodiff
    def run_autodiff(self, keep_steps=False):
        x = minigrad.tensor(self.x, requires_grad=True)
        h0 = None if self.h0 is None else minigrad.tensor(self.h0, requires_grad=True)
        c0 = None if self.c0 is None else minigrad.tensor(self.c0, requires_grad=True)
        hx = (h0, c0) if has_c(self.cell) and h0 is not None else h0
        r = self.layer.run(x, hx, lengths=self.lengths, keep_steps=keep_steps)
        loss = (r.output * self.R).sum() + (r.h_n * self.S).sum()
        if r.c_n is not None:
            loss = loss + (r.c_n * self.U).sum()
        params = dict(self.layer.named_parameters())
        inputs = [x, *params.values()] + [t for t in (h0, c0) if t is not None]
        step_tensors = []
        if keep_steps:
            for k in range(self.L):
                for d in range(self.D):
                    for s in r.steps[(k, d)]:
                        step_tensors.extend(s if has_c(self.cell) else (s,))
        grads = minigrad.grad(loss, inputs + step_tensors)
        n_fixed = len(inputs)
        result = {
            "out": r.output.numpy(),
            "h_n": r.h_n.numpy(),
            "c_n": None if r.c_n is None else r.c_n.numpy(),
            "dx": grads[0],
            "grads": dict(zip(params, grads[1 : 1 + len(params)], strict=True)),
        }
        rest = list(grads[1 + len(params) : n_fixed])
        result["dh0"] = rest.pop(0) if h0 is not None else None
        result["dc0"] = rest.pop(0) if c0 is not None else None
        if keep_steps:
            g = iter(grads[n_fixed:])
            per = {}
            for k in range(self.L):
                for d in range(self.D):
                    hs, cs = [], []
                    for _ in range(self.T):
                        hs.append(next(g))
                        if has_c(self.cell):
                            cs.append(next(g))
                    per[(k, d)] = (np.stack(hs), np.stack(cs) if cs else None)
            result["steps"] = per
        return result

    # ---------------------------------------------------------------- manual
    def run_manual(self):
        sd = self.layer.state_dict()
        tm = (lambda a: a.swapaxes(0, 1)) if self.batch_first else (lambda a: a)
        inp = tm(self.x)
        caches, outs_h, outs_c = {}, [], []
        for k in range(self.L):
            outs = []
            for d in range(self.D):
                i = k * self.D + d
                params = {n: sd.get(n + suffix(k, d)) for n in PARAM_NAMES}
                out, h_n, c_n, cache = manual.forward(
                    cell_kind(self.cell),
                    inp,
                    params,
                    None if self.h0 is None else self.h0[i],
                    None if self.c0 is None else self.c0[i],
                    lengths=self.lengths,
                    reverse=bool(d),
                    nonlinearity=self.nonlinearity,
                )
                caches[(k, d)] = cache
                outs.append(out)
                outs_h.append(h_n)
                outs_c.append(c_n)
            inp = np.concatenate(outs, axis=2)
        result = {
            "out": tm(inp),
            "h_n": np.stack(outs_h),
            "c_n": np.stack(outs_c) if has_c(self.cell) else None,
            "grads": {},
            "steps": {},
        }
        # backward, top layer first
        dinp = tm(self.R)
        dh0 = np.zeros((self.L * self.D, self.N, self.H))
        dc0 = np.zeros_like(dh0)
        for k in range(self.L - 1, -1, -1):
            douts = np.split(dinp, self.D, axis=2)
            dinp = 0.0
            for d in range(self.D):
                i = k * self.D + d
                b = manual.backward(
                    douts[d],
                    caches[(k, d)],
                    self.S[i],
                    self.U[i] if has_c(self.cell) else None,
                )
                dinp = dinp + b.dx
                dh0[i] = b.dh0
                if b.dc0 is not None:
                    dc0[i] = b.dc0
                for n, g in b.grads.items():
                    result["grads"][n + suffix(k, d)] = g
                result["steps"][(k, d)] = (b.dh, b.dc)
        result["dx"] = tm(dinp)
        result["dh0"] = dh0
        result["dc0"] = dc0 if has_c(self.cell) else None
        return result


def compare(case, keep_steps=False):
    """Run both sides and check every output and gradient; returns the largest error."""
    a = case.run_autodiff(keep_steps)
    m = case.run_manual()
    errs = [
        assert_close(a["out"], m["out"], "out"),
        assert_close(a["h_n"], m["h_n"], "h_n"),
        assert_close(a["dx"], m["dx"], "dx"),
    ]
    if has_c(case.cell):
        errs.append(assert_close(a["c_n"], m["c_n"], "c_n"))
    else:
        assert a["c_n"] is None
    if case.h0 is not None:
        errs.append(assert_close(a["dh0"], m["dh0"], "dh0"))
    if case.c0 is not None:
        errs.append(assert_close(a["dc0"], m["dc0"], "dc0"))
    assert set(a["grads"]) == set(m["grads"])
    for name, g in a["grads"].items():
        errs.append(assert_close(g, m["grads"][name], f"grad {name}"))
    if keep_steps:
        for (k, d), (dh_auto, _) in a["steps"].items():
            dh_man = m["steps"][(k, d)][0]
            if d and case.lengths is not None and (case.lengths < case.T).any():
                # per-sequence reversal: the layer lists steps in processing order
                dh_auto = manual.reverse_padded(dh_auto, case.lengths)
            errs.append(assert_close(dh_auto, dh_man, f"dL/dh_t layer {k} dir {d}"))
            # dL/dc_t is not compared: manual's dc[t] is the gradient arriving from step t+1
            # only, while autodiff's gradient of the c_t tensor also includes h_t = o tanh(c_t).
    return max(errs)


# ------------------------------------------------------------------------------ hypothesis


@st.composite
def cases(draw, max_T=50, max_layers=3):
    cell, nonlinearity = draw(st.sampled_from(KINDS))
    T = draw(st.integers(1, max_T))
    N = draw(st.integers(1, 4))
    lengths = None
    if draw(st.booleans()):
        lengths = draw(st.lists(st.integers(1, T), min_size=N, max_size=N))
    return Case(
        cell,
        nonlinearity,
        seed=draw(st.integers(0, 2**31 - 1)),
        T=T,
        N=N,
        I=draw(st.integers(1, 5)),
        H=draw(st.integers(1, 5)),
        num_layers=draw(st.integers(1, max_layers)),
        bidirectional=draw(st.booleans()),
        batch_first=draw(st.booleans()),
        bias=draw(st.booleans()),
        lengths=lengths,
        with_h0=draw(st.booleans()),
    )


@settings(max_examples=40, deadline=None)
@given(cases())
def test_layer_matches_manual(case):
    compare(case)


@settings(max_examples=20, deadline=None)
@given(cases(max_T=20, max_layers=2))
def test_per_step_state_gradients_match_manual(case):
    compare(case, keep_steps=True)


# ------------------------------------------------------------------------------ explicit cases


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
@pytest.mark.parametrize(
    "config",
    [
        dict(),
        dict(num_layers=3),
        dict(bidirectional=True),
        dict(num_layers=2, bidirectional=True, batch_first=True),
        dict(num_layers=2, bidirectional=True, lengths=[5, 2, 1]),
        dict(bidirectional=True, batch_first=True, lengths=[1, 5, 3], bias=False),
        dict(T=1, N=1, I=1, H=1),
        dict(T=50, N=2, lengths=[50, 17], with_h0=False),
    ],
    ids=[
        "plain",
        "3-layers",
        "bidir",
        "2-bidir-bf",
        "2-bidir-lengths",
        "bf-lengths-nobias",
        "tiny",
        "long",
    ],
)
def test_layer_matches_manual_explicit(kind, config):
    compare(Case(*kind, seed=7, **config), keep_steps=True)


def test_h0_omitted_means_zeros():
    case = Case("lstm", num_layers=2, bidirectional=True, with_h0=False)
    x = minigrad.tensor(case.x)
    out_none, (h_none, c_none) = case.layer(x)
    z = np.zeros((4, case.N, case.H))
    out_zero, (h_zero, c_zero) = case.layer(x, (z, z))
    np.testing.assert_array_equal(out_none.numpy(), out_zero.numpy())
    np.testing.assert_array_equal(h_none.numpy(), h_zero.numpy())
    np.testing.assert_array_equal(c_none.numpy(), c_zero.numpy())


def test_outputs_past_length_are_zero_and_h_n_is_last_valid_state():
    case = Case("gru", T=6, N=3, lengths=[6, 3, 1])
    out, h_n = case.layer(minigrad.tensor(case.x), minigrad.tensor(case.h0), lengths=case.lengths)
    out = out.numpy()
    for n, length in enumerate(case.lengths):
        assert (out[length:, n] == 0).all()
        np.testing.assert_array_equal(h_n.numpy()[0, n], out[length - 1, n])


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_input_matches_batch_of_one(cell, batch_first):
    layer = make_layer(
        cell, input_size=3, hidden_size=2, num_layers=2, bidirectional=True, batch_first=batch_first
    )
    x = np.random.default_rng(0).normal(size=(5, 3))
    out1, s1 = layer(minigrad.tensor(x))
    xb = x[None] if batch_first else x[:, None]
    outb, sb = layer(minigrad.tensor(xb))
    assert out1.shape == (5, 4)
    expected = outb.numpy()[0] if batch_first else outb.numpy()[:, 0]
    np.testing.assert_allclose(out1.numpy(), expected, rtol=0, atol=1e-12)
    h1, hb = (s1[0], sb[0]) if has_c(cell) else (s1, sb)
    assert h1.shape == (4, 2)
    np.testing.assert_allclose(h1.numpy(), hb.numpy()[:, 0], rtol=0, atol=1e-12)
