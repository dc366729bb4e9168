"""Autodiff against the hand-derived BPTT of :mod:`rnn.manual`, side by side.

Both sides get the same weights, inputs and loss

    L = sum(out * R) + sum(h_n * S) (+ sum(c_n * U) for LSTM)

with fixed random R, S, U, so every output and final state carries gradient. The
report gives, for each parameter and for dx, dh0 (and dc0), the largest absolute and
relative difference; and, for each layer and direction, the norm of dL/dh_t at each time
step computed both ways, flagging the first step where they part by more than the tolerance,
and names every compared array whose relative difference exceeds it.
"""

from __future__ import annotations

import math
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
    """The outcome of :func:`compare` / :func:`compare_layer`; ``str()`` gives the table.

    ``rows``: one per compared array (outputs, final states, every parameter's gradient, dx,
    dh0, dc0). ``layer_steps[(k, d)]``: per time step t of layer k, direction d (0 forward,
    1 reverse), ``(t, |dL/dh_t| autodiff, |dL/dh_t| manual)``; ``divergences[(k, d)]`` the
    first t where they part by more than ``tol`` (or None), by ``step_errors[(k, d)]``:
    per t, the max relative error of dL/dh_t elementwise (what ``tol`` bounds; the norms
    may agree where elements do not). ``step_norms`` is the list of layer 0's forward
    direction and ``first_divergence`` the earliest divergence anywhere.
    """

    cell: str
    dtype: np.dtype
    tol: float
    rows: list[Row]
    step_norms: list[tuple[int, float, float]]  # (t, |dL/dh_t| autodiff, manual)
    first_divergence: int | None
    notes: list[str] = field(default_factory=list)
    layout: str = ""  # e.g. "2 layers, bidirectional"; empty for one layer, one direction
    layer_steps: dict[tuple[int, int], list[tuple[int, float, float]]] = field(default_factory=dict)
    divergences: dict[tuple[int, int], int | None] = field(default_factory=dict)
    step_errors: dict[tuple[int, int], list[float]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every gradient agrees within ``tol`` (relative) and no step diverges."""
        return self.first_divergence is None and all(r.max_rel <= self.tol for r in self.rows)

    @property
    def max_abs(self) -> float:
        return max(r.max_abs for r in self.rows)

    def __str__(self) -> str:
        what = self.cell.upper() + (f" ({self.layout})" if self.layout else "")
        width = max([14, *(len(r.name) + 2 for r in self.rows)])
        lines = [
            f"autodiff vs manual BPTT: {what}, {self.dtype}, tolerance {self.tol:g}",
            "",
            f"{'compared':<{width}}{'shape':<14}{'max abs err':>14}{'max rel err':>14}",
        ]
        for r in self.rows:
            shape = "x".join(map(str, r.shape))
            lines.append(f"{r.name:<{width}}{shape:<14}{r.max_abs:>14.2e}{r.max_rel:>14.2e}")
        tables = self.layer_steps or {(0, 0): self.step_norms}
        for (k, d), norms in tables.items():
            lines.append("")
            if len(tables) > 1:
                lines.append(f"layer {k}, {'reverse' if d else 'forward'}:")
            lines.append(
                f"{'t':>4}{'|dL/dh_t| autodiff':>22}{'|dL/dh_t| manual':>20}{'max rel err':>14}"
            )
            errors = self.step_errors.get((k, d), [])
            for (t, a, m), e in zip(norms, errors or [math.nan] * len(norms), strict=True):
                lines.append(f"{t:>4}{a:>22.6e}{m:>20.6e}{e:>14.2e}")
        lines.append("")
        if self.first_divergence is None:
            lines.append("every step agrees within tolerance")
        elif len(tables) == 1:
            lines.append(f"first step beyond tolerance: t={self.first_divergence}")
        else:
            for (k, d), t in self.divergences.items():
                if t is not None:
                    where = f"layer {k}, {'reverse' if d else 'forward'}"
                    lines.append(f"first step beyond tolerance in {where}: t={t}")
        beyond = [f"{r.name} ({r.max_rel:.2e})" for r in self.rows if not r.max_rel <= self.tol]
        if beyond:  # the table's rows that make the verdict a mismatch (NaN among them)
            lines.append("beyond tolerance: " + ", ".join(beyond))
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
    """Compare ``layer`` on input x with manual BPTT, parameter by parameter and step by step.

    Any layer: several layers, bidirectional, ``batch_first`` (x is then (N, T, I), else
    (T, N, I)), variable ``lengths``. The manual side composes :func:`rnn.manual.forward`
    per layer and direction as the layer does (the directions' outputs concatenated as the
    next layer's input). h0 and c0 are (D*num_layers, N, H), or (N, H) for a one-layer,
    one-direction layer, or None (random). The layer's own dtype is used on both sides
    (float64 gives agreement near 1e-15; float32 near 1e-6). ``tol`` defaults to 1e-10 for
    float64 and 1e-4 for float32. Dropout between layers is random: call ``layer.eval()``.
    """
    if layer.training and layer.dropout and layer.num_layers > 1:
        raise ValueError("compare_layer: dropout is random; call layer.eval() first")
    dtype = layer.dtype
    tol = tol if tol is not None else (1e-10 if dtype == np.float64 else 1e-4)
    if not (math.isfinite(tol) and tol > 0):  # NaN would MISMATCH while every step agrees
        raise ValueError(f"compare_layer: tol must be a finite number > 0, got {tol!r}")
    x = np.asarray(x, dtype=dtype)
    if x.ndim != 3:
        layout = "(N, T, I)" if layer.batch_first else "(T, N, I)"
        raise ValueError(f"compare_layer: expected x of shape {layout}, got {x.shape}")
    case = _Case.draw(layer, x, h0, c0, lengths, seed)
    auto, ref = _autodiff(layer, case), _manual(layer, case)
    single = len(case.keys) == 1
    rows = []
    for name in ("output", "h_n", "c_n"):
        if ref[name] is not None:
            rows.append(_row(name, auto[name], ref[name], single and name != "output"))
    rows += [_row(n, g, ref["grads"][n]) for n, g in auto["grads"].items()]
    for name in ("dx", "dh0", "dc0"):
        if ref[name] is not None:
            rows.append(_row(name, auto[name], ref[name], single and name != "dx"))
    steps, divergence, errors = {}, {}, {}
    for key in case.keys:
        steps[key], divergence[key], errors[key] = [], None, []
        for t, (g, m) in enumerate(zip(auto["dh"][key], ref["dh"][key], strict=True)):
            steps[key].append((t, float(np.linalg.norm(g)), float(np.linalg.norm(m))))
            errors[key].append(_relative(g, m)[1])
            if divergence[key] is None and not errors[key][-1] <= tol:  # NaN is beyond it
                divergence[key] = t
    found = [t for t in divergence.values() if t is not None]
    return Comparison(
        layer.cell,
        np.dtype(dtype),
        tol,
        rows,
        steps[(0, 0)],
        min(found) if found else None,
        layout=_layout(layer),
        layer_steps=steps,
        divergences=divergence,
        step_errors=errors,
    )


def _row(name: str, a: np.ndarray, m: np.ndarray, drop_lead: bool = False) -> Row:
    """A row for one compared array; ``drop_lead`` shows a (1, N, H) state as (N, H)."""
    return Row(name, tuple(m.shape[1:] if drop_lead else m.shape), *_relative(a, m))


def _layout(layer: RNNBase) -> str:
    parts = [f"{layer.num_layers} layers"] if layer.num_layers > 1 else []
    parts += ["bidirectional"] if layer.bidirectional else []
    parts += ["batch_first"] if layer.batch_first else []
    return ", ".join(parts)


@dataclass
class _Case:
    """The inputs both sides get (time-major), and the loss weights R, S, U."""

    x: np.ndarray  # (T, N, I)
    h0: np.ndarray  # (D*L, N, H)
    c0: np.ndarray | None
    lengths: np.ndarray | None
    R: np.ndarray  # (T, N, D*H)
    S: np.ndarray  # (D*L, N, H)
    U: np.ndarray | None
    keys: list[tuple[int, int]]  # (layer, direction), in the layer's order

    @classmethod
    def draw(cls, layer: RNNBase, x: np.ndarray, h0: Any, c0: Any, lengths: Any, seed: int):
        dtype, H, D = layer.dtype, layer.hidden_size, layer.num_directions
        x = x.swapaxes(0, 1) if layer.batch_first else x
        (T, N, _), LD = x.shape, D * layer.num_layers
        rng = np.random.default_rng(seed)
        has_c = len(layer.kind.state) == 2

        def state(given: Any) -> np.ndarray:
            if given is None:
                return rng.standard_normal((LD, N, H)).astype(dtype) * 0.5
            given = np.asarray(given, dtype)
            return given.reshape(LD, N, H) if given.shape == (N, H) and LD == 1 else given

        h0 = state(h0)
        c0 = state(c0) if has_c else None
        R = rng.standard_normal((T, N, D * H)).astype(dtype)
        S = rng.standard_normal((LD, N, H)).astype(dtype)
        U = rng.standard_normal((LD, N, H)).astype(dtype) if has_c else None
        lens = None if lengths is None else np.asarray(lengths)
        keys = [(k, d) for k in range(layer.num_layers) for d in range(D)]
        return cls(x, h0, c0, lens, R, S, U, keys)

    def layout(self, layer: RNNBase, a: np.ndarray) -> np.ndarray:
        """A time-major array in the layer's own layout (batch-first or not)."""
        return a.swapaxes(0, 1) if layer.batch_first else a


def _autodiff(layer: RNNBase, case: _Case) -> dict[str, Any]:
    """The layer itself, with per-step states kept for their gradients."""
    xt = minigrad.tensor(case.layout(layer, case.x), requires_grad=True)
    states = [minigrad.tensor(s, requires_grad=True) for s in (case.h0, case.c0) if s is not None]
    run = layer.run(xt, tuple(states) if len(states) == 2 else states[0], case.lengths, True)
    loss = (run.output * case.layout(layer, case.R)).sum() + (run.h_n * case.S).sum()
    if run.c_n is not None:
        loss = loss + (run.c_n * case.U).sum()
    hs = [s[0] if isinstance(s, tuple) else s for key in case.keys for s in run.steps[key]]
    params = dict(layer.named_parameters())
    grads = minigrad.grad(loss, [*params.values(), xt, *states, *hs], allow_unused=True)
    n = len(params) + 1 + len(states)
    T = case.x.shape[0]
    per_sequence = case.lengths is not None and bool((case.lengths < T).any())
    dh = {}
    for i, (k, d) in enumerate(case.keys):
        g = [
            np.zeros_like(case.h0[0]) if a is None else a for a in grads[n + i * T : n + i * T + T]
        ]
        # the reverse direction of a variable-length batch lists its steps in processing order
        dh[(k, d)] = list(
            manual.reverse_padded(np.stack(g), case.lengths) if d and per_sequence else g
        )
    return {
        "output": run.output.data,
        "h_n": run.h_n.data,
        "c_n": None if run.c_n is None else run.c_n.data,
        "grads": dict(zip(params, grads, strict=False)),
        "dx": grads[len(params)],
        "dh0": grads[len(params) + 1],
        "dc0": grads[len(params) + 2] if len(states) == 2 else None,
        "dh": dh,
    }


def _suffix(k: int, d: int) -> str:
    return f"_l{k}" + ("_reverse" if d else "")


def _manual(layer: RNNBase, case: _Case) -> dict[str, Any]:
    """Manual BPTT on the same weights, composed layer by layer and direction by direction;
    gradients named as the layer's parameters."""
    named = {n: p.data for n, p in layer.named_parameters()}
    D, caches, h_n, c_n, inp = layer.num_directions, {}, [], [], case.x
    for k in range(layer.num_layers):
        outs = []
        for d in range(D):
            i = k * D + d
            params = {n: named.get(n + _suffix(k, d)) for n in manual.PARAM_NAMES}
            c0 = None if case.c0 is None else case.c0[i]
            out, h, c, caches[(k, d)] = manual.forward(
                layer.kind.reference,
                inp,
                params,
                case.h0[i],
                c0,
                case.lengths,
                bool(d),
                **layer.cell_options(),
            )
            outs.append(out)
            h_n.append(h)
            c_n.append(c)
        inp = np.concatenate(outs, axis=2)
    result = {"output": case.layout(layer, inp), "h_n": np.stack(h_n), "grads": {}, "dh": {}}
    result["c_n"] = None if case.c0 is None else np.stack(c_n)
    dinp = case.R
    dh0, dc0 = np.zeros_like(case.h0), None if case.c0 is None else np.zeros_like(case.c0)
    for k in range(layer.num_layers - 1, -1, -1):
        douts, dinp = np.split(dinp, D, axis=2), 0.0
        for d in range(D):
            i = k * D + d
            dc_n = None if case.U is None else case.U[i]
            b = manual.backward(douts[d], caches[(k, d)], case.S[i], dc_n)
            dinp = dinp + b.dx
            dh0[i] = b.dh0
            if dc0 is not None:
                dc0[i] = b.dc0
            result["grads"].update({n + _suffix(k, d): g for n, g in b.grads.items()})
            result["dh"][(k, d)] = list(b.dh)
    result["grads"] = {n: result["grads"][n] for n in named}
    result.update(dx=case.layout(layer, dinp), dh0=dh0, dc0=dc0)
    return result


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
