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
from .cells import cell_kind
from .layers import RNNBase, layer_class

__all__ = ["Comparison", "compare", "compare_layer"]


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
    x = np.asarray(x, dtype=dtype)
    if x.ndim != 3:
        raise ValueError(f"compare_layer: expected x of shape (T, N, I), got {x.shape}")
    case = _Case.draw(layer, x, h0, c0, lengths, seed)
    auto = _autodiff(layer, case)
    ref = _manual(layer, case)
    rows = [
        Row("output", ref["output"].shape, *_relative(auto["output"], ref["output"])),
        Row("h_n", ref["h_n"].shape, *_relative(auto["h_n"], ref["h_n"])),
    ]
    if case.c0 is not None:
        rows.append(Row("c_n", ref["c_n"].shape, *_relative(auto["c_n"], ref["c_n"])))
    for name, g in auto["grads"].items():
        rows.append(Row(name, g.shape, *_relative(g, ref["grads"][name])))
    for name in ("dx", "dh0", "dc0"):
        if auto.get(name) is not None:
            rows.append(Row(name, auto[name].shape, *_relative(auto[name], ref[name])))
    step_norms, first = [], None
    for t, (g, m) in enumerate(zip(auto["dh"], ref["dh"], strict=True)):
        step_norms.append((t, float(np.linalg.norm(g)), float(np.linalg.norm(m))))
        if first is None and _relative(g, m)[1] > tol:
            first = t
    return Comparison(layer.cell, np.dtype(dtype), tol, rows, step_norms, first)


@dataclass
class _Case:
    """The inputs both sides get, and the loss weights R, S, U."""

    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray | None
    lengths: Any
    R: np.ndarray
    S: np.ndarray
    U: np.ndarray | None

    @classmethod
    def draw(cls, layer: RNNBase, x: np.ndarray, h0: Any, c0: Any, lengths: Any, seed: int):
        dtype, (T, N, _), H = layer.dtype, x.shape, layer.hidden_size
        rng = np.random.default_rng(seed)
        has_c = len(layer.kind.state) == 2

        def state(given: Any) -> np.ndarray:
            if given is not None:
                return np.asarray(given, dtype)
            return rng.standard_normal((N, H)).astype(dtype) * 0.5

        h0 = state(h0)
        c0 = state(c0) if has_c else None
        R = rng.standard_normal((T, N, H)).astype(dtype)
        S = rng.standard_normal((N, H)).astype(dtype)
        U = rng.standard_normal((N, H)).astype(dtype) if has_c else None
        return cls(x, h0, c0, lengths, R, S, U)


def _autodiff(layer: RNNBase, case: _Case) -> dict[str, Any]:
    """The layer itself, with per-step states kept for their gradients."""
    xt = minigrad.tensor(case.x, requires_grad=True)
    states = [minigrad.tensor(s, requires_grad=True) for s in (case.h0, case.c0) if s is not None]
    hx = (states[0][None], states[1][None]) if len(states) == 2 else states[0][None]
    run = layer.run(xt, hx, lengths=case.lengths, keep_steps=True)
    loss = (run.output * case.R).sum() + (run.h_n[0] * case.S).sum()
    if run.c_n is not None:
        loss = loss + (run.c_n[0] * case.U).sum()
    hs = [s[0] if isinstance(s, tuple) else s for s in run.steps[(0, 0)]]
    params = dict(layer.named_parameters())
    grads = minigrad.grad(loss, [*params.values(), xt, *states, *hs], allow_unused=True)
    n_p = len(params)
    zeros = np.zeros_like(case.h0)
    return {
        "output": run.output.data,
        "h_n": run.h_n.data[0],
        "c_n": None if run.c_n is None else run.c_n.data[0],
        "grads": dict(zip(params, grads[:n_p], strict=True)),
        "dx": grads[n_p],
        "dh0": grads[n_p + 1],
        "dc0": grads[n_p + 2] if len(states) == 2 else None,
        "dh": [zeros if g is None else g for g in grads[n_p + len(states) + 1 :]],
    }


def _manual(layer: RNNBase, case: _Case) -> dict[str, Any]:
    """Manual BPTT on the same weights; gradients named as the layer's parameters."""
    named = dict(layer.named_parameters())
    mparams = {n.removesuffix("_l0"): p.data for n, p in named.items()}
    out, h_n, c_n, cache = manual.forward(
        layer.kind.reference,
        case.x,
        mparams,
        h0=case.h0,
        c0=case.c0,
        lengths=case.lengths,
        nonlinearity=layer.nonlinearity,
    )
    res = manual.backward(case.R, cache, dh_n=case.S, dc_n=case.U)
    grads = {n: res.grads[n.removesuffix("_l0")] for n in named}
    return {
        "output": out,
        "h_n": h_n,
        "c_n": c_n,
        "grads": grads,
        "dx": res.dx,
        "dh0": res.dh0,
        "dc0": res.dc0,
        "dh": list(res.dh),
    }


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
    """Build a random one-layer ``cell`` ("rnn", "lstm", "gru" or a registered kind) of the
    given sizes and compare autodiff with manual BPTT on random data (see
    :func:`compare_layer`)."""
    try:
        kind = cell_kind(cell)
    except ValueError as e:
        raise ValueError(f"compare: {e}") from None
    minigrad.manual_seed(seed)
    kwargs = {"nonlinearity": nonlinearity} if "nonlinearity" in kind.options else {}
    layer = layer_class(cell)(input_size, hidden_size, bias=bias, dtype=dtype, **kwargs)
    x = np.random.default_rng(seed + 1).standard_normal((steps, batch, input_size))
    return compare_layer(layer, x, lengths=lengths, tol=tol, seed=seed)
