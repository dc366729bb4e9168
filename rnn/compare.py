"""Autodiff against the hand-derived BPTT of :mod:`rnn.manual`, side by side.

Both sides get the same weights, inputs and loss

    L = sum(out * R) + sum(h_n * S) (+ sum(c_n * U) for LSTM)

with fixed random R, S, U, so every output and final state carries gradient. The
report gives, for each parameter and for dx, dh0 (and dc0), the largest absolute and
relative difference; and for each time step the norm of dL/dh_t computed both ways,
flagging the first step where they part by more than the tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

import minigrad

from . import manual
from .layers import GRU, LSTM, RNN, RNNBase

__all__ = ["Comparison", "compare", "compare_layer"]

LAYERS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


@dataclass
class Row:
    """One gradient compared: its name, shape and the largest differences."""

    name: str
    shape: tuple[int, ...]
    max_abs: float
    max_rel: float


@dataclass
class Comparison:
    """The outcome of :func:`compare`; ``str()`` gives the printed table."""

    cell: str
    dtype: np.dtype
    tol: float
    rows: list[Row]
    step_norms: list[tuple[int, float, float]]  # (t, |dL/dh_t| autodiff, manual)
    first_divergence: int | None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every gradient agrees within ``tol`` (relative) and no step diverges."""
        return self.first_divergence is None and all(r.max_rel <= self.tol for r in self.rows)

    @property
    def max_abs(self) -> float:
        return max(r.max_abs for r in self.rows)

    def __str__(self) -> str:
        lines = [
            f"autodiff vs manual BPTT: {self.cell.upper()}, {self.dtype}, tolerance {self.tol:g}",
            "",
            f"{'gradient':<14}{'shape':<14}{'max abs err':>14}{'max rel err':>14}",
        ]
        for r in self.rows:
            shape = "x".join(map(str, r.shape))
            lines.append(f"{r.name:<14}{shape:<14}{r.max_abs:>14.2e}{r.max_rel:>14.2e}")
        lines += ["", f"{'t':>4}{'|dL/dh_t| autodiff':>22}{'|dL/dh_t| manual':>20}{'abs diff':>12}"]
        for t, a, m in self.step_norms:
            lines.append(f"{t:>4}{a:>22.6e}{m:>20.6e}{abs(a - m):>12.2e}")
        lines.append("")
        if self.first_divergence is None:
            lines.append("every step agrees within tolerance")
        else:
            lines.append(f"first step beyond tolerance: t={self.first_divergence}")
        lines += self.notes
        lines.append("result: " + ("MATCH" if self.ok else "MISMATCH"))
        return "\n".join(lines)


def _relative(a: np.ndarray, m: np.ndarray) -> tuple[float, float]:
    """Max |a - m| and max |a - m| / max(|m|, 1) elementwise (relative where large)."""
    diff = np.abs(np.asarray(a, np.float64) - np.asarray(m, np.float64))
    if diff.size == 0:
        return 0.0, 0.0
    return float(diff.max()), float((diff / np.maximum(np.abs(m), 1.0)).max())


def compare_layer(
    layer: RNNBase,
    x: Any,
    h0: Any = None,
    c0: Any = None,
    lengths: Any = None,
    tol: float | None = None,
    seed: int = 0,
) -> Comparison:
    """Compare a one-layer, one-direction ``layer`` on input x (T, N, I) with manual BPTT.

    The layer's own dtype is used on both sides (float64 gives agreement near 1e-15;
    float32 near 1e-6). ``tol`` defaults to 1e-10 for float64 and 1e-4 for float32.
    """
    if layer.num_layers != 1 or layer.bidirectional or layer.batch_first:
        raise ValueError(
            "compare_layer: needs a one-layer, one-direction, time-major layer "
            f"(got num_layers={layer.num_layers}, bidirectional={layer.bidirectional}, "
            f"batch_first={layer.batch_first})"
        )
    dtype = layer.dtype
    tol = tol if tol is not None else (1e-10 if dtype == np.float64 else 1e-4)
    rng = np.random.default_rng(seed)
    xt = minigrad.tensor(np.asarray(x, dtype=dtype), requires_grad=True)
    if xt.ndim != 3:
        raise ValueError(f"compare_layer: expected x of shape (T, N, I), got {xt.shape}")
    T, N, _ = xt.shape
    H = layer.hidden_size
    lstm = layer.cell == "lstm"
    h0 = rng.standard_normal((N, H)).astype(dtype) * 0.5 if h0 is None else np.asarray(h0, dtype)
    c0 = (
        (rng.standard_normal((N, H)).astype(dtype) * 0.5 if c0 is None else np.asarray(c0, dtype))
        if lstm
        else None
    )
    R = rng.standard_normal((T, N, H)).astype(dtype)
    S = rng.standard_normal((N, H)).astype(dtype)
    U = rng.standard_normal((N, H)).astype(dtype) if lstm else None

    # Autodiff: the layer itself, with per-step states kept for their gradients.
    h0t = minigrad.tensor(h0, requires_grad=True)
    c0t = minigrad.tensor(c0, requires_grad=True) if lstm else None
    hx = (h0t[None], c0t[None]) if lstm else h0t[None]
    run = layer.run(xt, hx, lengths=lengths, keep_steps=True)
    loss = (run.output * R).sum() + (run.h_n[0] * S).sum()
    if lstm:
        loss = loss + (run.c_n[0] * U).sum()
    steps = run.steps[(0, 0)]
    hs = [s[0] if lstm else s for s in steps]
    names = [n for n, _ in layer.named_parameters()]
    params = [p for _, p in layer.named_parameters()]
    inputs = [*params, xt, h0t, *([c0t] if lstm else []), *hs]
    grads = minigrad.grad(loss, inputs, allow_unused=True)
    n_p = len(params)

    # Manual BPTT on the same weights.
    mparams = {n.removesuffix("_l0"): p.data for n, p in zip(names, params, strict=True)}
    out, h_n, c_n, cache = manual.forward(
        layer.cell, xt.data, mparams, h0=h0, c0=c0, lengths=lengths, nonlinearity=layer.nonlinearity
    )
    res = manual.backward(R, cache, dh_n=S, dc_n=U)

    rows = [
        Row("output", out.shape, *_relative(run.output.data, out)),
        Row("h_n", h_n.shape, *_relative(run.h_n.data[0], h_n)),
    ]
    if lstm:
        rows.append(Row("c_n", c_n.shape, *_relative(run.c_n.data[0], c_n)))
    for name, g in zip(names, grads[:n_p], strict=True):
        rows.append(Row(name, g.shape, *_relative(g, res.grads[name.removesuffix("_l0")])))
    rows.append(Row("dx", xt.shape, *_relative(grads[n_p], res.dx)))
    rows.append(Row("dh0", (N, H), *_relative(grads[n_p + 1], res.dh0)))
    if lstm:
        rows.append(Row("dc0", (N, H), *_relative(grads[n_p + 2], res.dc0)))
    dh_auto = grads[n_p + 2 + int(lstm) :]
    step_norms, first = [], None
    for t in range(T):
        g = dh_auto[t] if dh_auto[t] is not None else np.zeros((N, H))
        a, m = float(np.linalg.norm(g)), float(np.linalg.norm(res.dh[t]))
        step_norms.append((t, a, m))
        if first is None and _relative(g, res.dh[t])[1] > tol:
            first = t
    return Comparison(layer.cell, np.dtype(dtype), tol, rows, step_norms, first)


def compare(
    cell: str = "lstm",
    input_size: int = 3,
    hidden_size: int = 4,
    steps: int = 6,
    batch: int = 2,
    lengths: Any = None,
    nonlinearity: str = "tanh",
    bias: bool = True,
    dtype: Any = np.float64,
    seed: int = 0,
    tol: float | None = None,
) -> Comparison:
    """Build a random one-layer ``cell`` ("rnn", "lstm", "gru") of the given sizes and
    compare autodiff with manual BPTT on random data (see :func:`compare_layer`)."""
    if cell not in LAYERS:
        raise ValueError(f"compare: cell must be one of {sorted(LAYERS)}, got {cell!r}")
    minigrad.manual_seed(seed)
    kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    layer = LAYERS[cell](input_size, hidden_size, bias=bias, dtype=dtype, **kwargs)
    x = np.random.default_rng(seed + 1).standard_normal((steps, batch, input_size))
    return compare_layer(layer, x, lengths=lengths, tol=tol, seed=seed)
