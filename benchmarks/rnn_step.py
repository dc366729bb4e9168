"""One RNN training step (forward over the sequence + loss + backward), side by side.

Implements the workloads of the benchmark method (W1..W4): every implementation runs the
same step on the same data and the same weights, in one process, interleaved round-robin,
and every ratio is taken against ``manual`` (the hand-written NumPy forward + BPTT of
``rnn.manual`` with a hand-written readout and softmax cross-entropy).

    python benchmarks/rnn_step.py --workload all --repeat 30 --json out.json
    python benchmarks/rnn_step.py --workload W4 --scaling
    python benchmarks/rnn_step.py --workload W1 --profile

Implementations: ``minigrad`` (rnn.RNN/LSTM/GRU), ``manual`` (the reference),
``torch-loop`` (torch.nn.*Cell over time), ``torch-fused`` (torch.nn.RNN/LSTM/GRU) and
``autograd`` (HIPS autograd); the optional ones are skipped with a note when not importable.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as _dt
import gc
import importlib.metadata
import inspect
import json
import os
import platform
import pstats
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

import minigrad
import rnn
from minigrad.functional import cross_entropy, linear
from rnn import manual

DTYPE = np.float32
SEED = 0

# A step returns (loss, grads): grads has weight_ih, weight_hh, bias_ih, bias_hh (the
# recurrent layer, PyTorch layout), weight_y (V, H) and bias_y (V,) (the readout).
Grads = dict[str, np.ndarray]
Step = Callable[[], tuple[float, Grads]]
GRAD_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_y", "bias_y")


# ------------------------------------------------------------------------------ workloads
@dataclass(frozen=True)
class Workload:
    name: str
    cell: str  # "lstm", "gru" or "rnn" (tanh)
    I: int
    H: int
    V: int
    T: int
    B: int
    input: str  # "onehot" or "normal"


WORKLOADS = {
    "W1": Workload("W1", "lstm", 65, 128, 65, 100, 32, "onehot"),
    "W2": Workload("W2", "rnn", 32, 32, 32, 50, 1, "normal"),
    "W3": Workload("W3", "lstm", 512, 512, 64, 50, 64, "normal"),
    "W4": Workload("W4", "gru", 64, 64, 64, 1000, 8, "normal"),
}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


@dataclass
class Problem:
    """The data and initial weights of one workload; shared by every implementation."""

    workload: Workload
    x: np.ndarray  # (T, B, I) float32
    targets: np.ndarray  # (T, B) int64
    params: dict[str, np.ndarray]  # weight_ih, weight_hh, bias_ih, bias_hh (PyTorch layout)
    weight_y: np.ndarray  # (V, H): logits = h W_y^T + b_y  (the readout h_t W_y + b_y)
    bias_y: np.ndarray  # (V,)


def build_workload(name: str, seed: int = SEED, **sizes: int) -> Problem:
    """The problem of workload ``name`` ("W1".."W4"); ``sizes`` overrides any of
    I, H, V, T, B (e.g. tiny sizes for tests). Parameters are U(-1/sqrt(H), 1/sqrt(H))."""
    w = replace(WORKLOADS[name], **sizes)
    rng = np.random.default_rng(seed)
    if w.input == "onehot":
        ids = rng.integers(0, w.I, size=(w.T, w.B))
        x = np.eye(w.I, dtype=DTYPE)[ids]
    else:
        x = rng.standard_normal((w.T, w.B, w.I)).astype(DTYPE)
    targets = rng.integers(0, w.V, size=(w.T, w.B)).astype(np.int64)
    k = 1.0 / np.sqrt(w.H)
    gh = GATES[w.cell] * w.H

    def u(*shape: int) -> np.ndarray:
        return rng.uniform(-k, k, size=shape).astype(DTYPE)

    params = {
        "weight_ih": u(gh, w.I),
        "weight_hh": u(gh, w.H),
        "bias_ih": u(gh),
        "bias_hh": u(gh),
    }
    return Problem(w, x, targets, params, u(w.V, w.H), u(w.V))


# ------------------------------------------------------------------------- implementations
def make_manual(p: Problem) -> Step:
    """rnn.manual forward/backward + hand-written readout and softmax cross-entropy."""
    w = p.workload
    TB = w.T * w.B
    params = {k: v.copy() for k, v in p.params.items()}
    Wy, by = p.weight_y.copy(), p.bias_y.copy()
    x = p.x
    t_flat = p.targets.reshape(-1)
    rows = np.arange(TB)
    inv = DTYPE(1.0 / TB)

    def step() -> tuple[float, Grads]:
        out, _h_n, _c_n, cache = manual.forward(w.cell, x, params)
        hs = out.reshape(TB, w.H)
        z = hs @ Wy.T + by
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) - z[rows, t_flat]))
        dz = e / s  # softmax
        dz[rows, t_flat] -= 1
        dz *= inv
        dWy = dz.T @ hs
        dby = dz.sum(axis=0)
        dout = (dz @ Wy).reshape(w.T, w.B, w.H)
        res = manual.backward(dout, cache)
        return loss, {**res.grads, "weight_y": dWy, "bias_y": dby}

    return step


def make_minigrad(p: Problem) -> Step:
    """rnn layers; readout with functional.linear on (T*B, H); functional.cross_entropy."""
    w = p.workload
    layer_cls = {"lstm": rnn.LSTM, "gru": rnn.GRU, "rnn": rnn.RNN}[w.cell]
    layer = layer_cls(w.I, w.H, dtype=DTYPE)
    layer.load_state_dict({k + "_l0": v for k, v in p.params.items()})
    Wy = minigrad.tensor(p.weight_y.copy(), requires_grad=True)
    by = minigrad.tensor(p.bias_y.copy(), requires_grad=True)
    x = minigrad.tensor(p.x)  # no gradient
    targets = p.targets.reshape(-1)
    params = [*layer.parameters(), Wy, by]
    T, B, H = w.T, w.B, w.H

    def step() -> tuple[float, Grads]:
        for q in params:
            q.grad = None
        out, _ = layer(x)
        logits = linear(out.reshape(T * B, H), Wy, by)
        loss = cross_entropy(logits, targets)
        loss.backward()
        g = {k: getattr(layer, k + "_l0").grad for k in GRAD_NAMES[:4]}
        return loss.item(), {**g, "weight_y": Wy.grad, "bias_y": by.grad}

    return step


def _torch_setup(p: Problem, fused: bool) -> Step:
    import torch

    w = p.workload
    nn = torch.nn
    if fused:
        mod = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[w.cell](w.I, w.H)
        names = {k: k + "_l0" for k in GRAD_NAMES[:4]}
    else:
        mod = {"lstm": nn.LSTMCell, "gru": nn.GRUCell, "rnn": nn.RNNCell}[w.cell](w.I, w.H)
        names = {k: k for k in GRAD_NAMES[:4]}
    mod = mod.float()
    with torch.no_grad():
        for k, tname in names.items():
            getattr(mod, tname).copy_(torch.from_numpy(p.params[k]))
    Wy = torch.tensor(p.weight_y, requires_grad=True)
    by = torch.tensor(p.bias_y, requires_grad=True)
    x = torch.from_numpy(p.x.copy())
    targets = torch.from_numpy(p.targets.reshape(-1).copy())
    tparams = [*mod.parameters(), Wy, by]
    T, B, H = w.T, w.B, w.H
    F = torch.nn.functional
    is_lstm = w.cell == "lstm"

    def step() -> tuple[float, Grads]:
        for q in tparams:
            q.grad = None
        if fused:
            out, _ = mod(x)
        else:
            h = torch.zeros(B, H)
            c = torch.zeros(B, H)
            hs = []
            for t in range(T):
                if is_lstm:
                    h, c = mod(x[t], (h, c))
                else:
                    h = mod(x[t], h)
                hs.append(h)
            out = torch.stack(hs)
        logits = F.linear(out.reshape(T * B, H), Wy, by)
        loss = F.cross_entropy(logits, targets)
        loss.backward()
        g = {k: getattr(mod, n).grad.numpy() for k, n in names.items()}
        return loss.item(), {**g, "weight_y": Wy.grad.numpy(), "bias_y": by.grad.numpy()}

    return step


def make_torch_loop(p: Problem) -> Step:
    """torch.nn.LSTMCell/GRUCell/RNNCell in a Python loop over time."""
    return _torch_setup(p, fused=False)


def make_torch_fused(p: Problem) -> Step:
    """torch.nn.LSTM/GRU/RNN (one call over the sequence)."""
    return _torch_setup(p, fused=True)


def make_autograd(p: Problem) -> Step:
    """HIPS autograd: a straightforward NumPy-style step (per-step cell, stacked outputs,
    one readout matmul, max-shifted log-softmax), differentiated with autograd.grad."""
    import autograd
    import autograd.numpy as anp

    w = p.workload
    T, B, H = w.T, w.B, w.H
    x = p.x
    t_flat = p.targets.reshape(-1)
    rows = np.arange(T * B)
    args0 = (*(p.params[k].copy() for k in GRAD_NAMES[:4]), p.weight_y.copy(), p.bias_y.copy())
    half = DTYPE(0.5)

    def sigmoid(a: Any) -> Any:
        return half * (anp.tanh(half * a) + 1)

    def loss_fn(args: tuple) -> Any:
        w_ih, w_hh, b_ih, b_hh, Wy, by = args
        h = np.zeros((B, H), DTYPE)
        c = np.zeros((B, H), DTYPE)
        hs = []
        for t in range(T):
            xp = anp.dot(x[t], w_ih.T) + b_ih
            hp = anp.dot(h, w_hh.T) + b_hh
            if w.cell == "lstm":
                a = xp + hp
                i, f = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])
                g, o = anp.tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
                c = f * c + i * g
                h = o * anp.tanh(c)
            elif w.cell == "gru":
                r = sigmoid(xp[:, :H] + hp[:, :H])
                z = sigmoid(xp[:, H : 2 * H] + hp[:, H : 2 * H])
                n = anp.tanh(xp[:, 2 * H :] + r * hp[:, 2 * H :])
                h = (1 - z) * n + z * h
            else:
                h = anp.tanh(xp + hp)
            hs.append(h)
        hs2 = anp.reshape(anp.stack(hs), (T * B, H))
        z = anp.dot(hs2, Wy.T) + by
        z = z - anp.max(z, axis=1, keepdims=True)
        lse = anp.log(anp.sum(anp.exp(z), axis=1))
        return anp.mean(lse - z[rows, t_flat])

    vg = autograd.value_and_grad(loss_fn)

    def step() -> tuple[float, Grads]:
        loss, grads = vg(args0)
        return float(loss), dict(zip(GRAD_NAMES, grads, strict=True))

    return step


IMPLEMENTATIONS: dict[str, tuple[Callable[[Problem], Step], str | None]] = {
    "manual": (make_manual, None),
    "minigrad": (make_minigrad, None),
    "torch-loop": (make_torch_loop, "torch"),
    "torch-fused": (make_torch_fused, "torch"),
    "autograd": (make_autograd, "autograd"),
}


def available(names: list[str]) -> tuple[list[str], dict[str, str]]:
    """The implementations that can run here, and a note for each one skipped."""
    ok, skipped = [], {}
    for name in names:
        needs = IMPLEMENTATIONS[name][1]
        if needs is not None:
            try:
                __import__(needs)
            except ImportError as e:
                skipped[name] = f"skipped: {needs} not importable ({e})"
                continue
        ok.append(name)
    return ok, skipped


# ------------------------------------------------------------------------------ checking
def rel_err(a: np.ndarray, ref: np.ndarray) -> float:
    """max |a - ref| / max |ref| (a scale-relative error, robust to near-zero entries)."""
    a, ref = np.asarray(a, np.float64), np.asarray(ref, np.float64)
    return float(np.max(np.abs(a - ref)) / max(np.max(np.abs(ref)), 1e-30))


def compare(result: tuple[float, Grads], ref: tuple[float, Grads], names=("weight_hh",)) -> dict:
    """Loss and per-gradient scale-relative errors against the reference."""
    loss, grads = result
    rloss, rgrads = ref
    errs = {"loss": abs(loss - rloss) / max(abs(rloss), 1e-30)}
    for n in names:
        errs[n] = rel_err(grads[n], rgrads[n])
    return errs


# ------------------------------------------------------------------------------- timing
def time_interleaved(steps: dict[str, Step], repeat: int, warmup: int) -> dict[str, list[float]]:
    """Warm up each step, then ``repeat`` rounds of A, B, C, ... (one sample each per round).
    Returns seconds per step for each implementation."""
    for _ in range(warmup):
        for s in steps.values():
            s()
    samples: dict[str, list[float]] = {k: [] for k in steps}
    for _ in range(repeat):
        for name, s in steps.items():
            t0 = time.perf_counter()
            s()
            samples[name].append(time.perf_counter() - t0)
    return samples


def summarize(samples: dict[str, list[float]], ref: str = "manual") -> dict[str, dict]:
    out = {}
    ref_med = float(np.median(samples[ref])) if ref in samples else None
    for name, s in samples.items():
        med = float(np.median(s))
        out[name] = {
            "median_ms": med * 1e3,
            "min_ms": float(np.min(s)) * 1e3,
            "max_ms": float(np.max(s)) * 1e3,
            "ratio_to_manual": med / ref_med if ref_med else None,
            "samples_ms": [v * 1e3 for v in s],
        }
    return out


def peak_memory(step: Step) -> int:
    """Peak traced (Python + NumPy) allocation during one step, minus the traced memory
    before it, in bytes. Torch's own allocator is not traced."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - base


# ------------------------------------------------------------------------------ profiling
def _qualnames() -> dict[tuple[str, int], str]:
    """(file, first line) -> qualified name for minigrad's functions and their closures
    (cProfile knows only the bare name, e.g. ``vjp``)."""
    import minigrad.autograd
    import minigrad.functional
    import minigrad.ops
    import minigrad.tensor

    names: dict[tuple[str, int], str] = {}

    def walk(code: Any) -> None:
        names[(code.co_filename, code.co_firstlineno)] = code.co_qualname
        for const in code.co_consts:
            if inspect.iscode(const):
                walk(const)

    mods = [minigrad.autograd, minigrad.functional, minigrad.tensor]
    mods += [m for n, m in sys.modules.items() if n.startswith("minigrad.ops.")]
    mods += [m for n, m in sys.modules.items() if n.startswith("rnn.")]
    for mod in mods:
        src = getattr(mod, "__file__", None)
        if not src:
            continue
        with open(src, encoding="utf-8") as f:
            walk(compile(f.read(), src, "exec"))
    return names


# vjps shared by several ops, named after the ops that use them.
SHARED_VJPS = {
    "_times_out_vjp": "exp",
    "_select_vjp": "maximum",
    "_extreme_vjp": "max",
    "_mask_vjp": "clip",
    "_matmul_general_vjp": "matmul",
}


def profile_minigrad(p: Problem, rounds: int = 5, top: int = 25) -> dict:
    """Where a minigrad step spends its time: forward vs backward wall time (no profiler),
    then cProfile's self time per function and, per op, the cumulative time of the op's
    forward function and of its vjp."""
    step = make_minigrad(p)
    step()  # warm-up
    w = p.workload
    layer_cls = {"lstm": rnn.LSTM, "gru": rnn.GRU, "rnn": rnn.RNN}[w.cell]
    # forward / backward split, timed without the profiler
    layer = layer_cls(w.I, w.H, dtype=DTYPE)
    layer.load_state_dict({k + "_l0": v for k, v in p.params.items()})
    Wy = minigrad.tensor(p.weight_y, requires_grad=True)
    by = minigrad.tensor(p.bias_y, requires_grad=True)
    x, targets = minigrad.tensor(p.x), p.targets.reshape(-1)
    fwd, bwd = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        out, _ = layer(x)
        loss = cross_entropy(linear(out.reshape(w.T * w.B, w.H), Wy, by), targets)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        fwd.append(t1 - t0)
        bwd.append(t2 - t1)

    prof = cProfile.Profile()
    prof.enable()
    for _ in range(rounds):
        step()
    prof.disable()
    stats = pstats.Stats(prof).stats  # (file, line, name) -> (cc, nc, tt, ct, callers)
    qn = _qualnames()
    root = os.path.dirname(os.path.dirname(os.path.abspath(minigrad.__file__)))

    def label(key: tuple) -> str:
        file, line, name = key
        if file == "~":
            return name  # a builtin, e.g. <built-in method numpy...>
        q = qn.get((file, line), name)
        rel = os.path.relpath(file, root) if file.startswith(root) else os.path.basename(file)
        return f"{q} ({rel}:{line})"

    total = sum(v[2] for v in stats.values())
    self_time = sorted(
        ((label(k), v[2] / rounds, v[1] / rounds) for k, v in stats.items()),
        key=lambda r: -r[1],
    )[:top]
    per_op: dict[str, dict[str, float]] = {}
    ops_dir = os.path.join(root, "minigrad", "ops")
    for (file, line, _name), v in stats.items():
        if not file.startswith(ops_dir) and not file.endswith("functional.py"):
            continue
        q = qn.get((file, line))
        if q is None:
            continue
        parts = q.split(".")
        if len(parts) != 1:
            continue
        name = parts[0]
        if name.endswith("_vjp"):
            # Each op records a module-level vjp named _<op>_vjp (a few are shared).
            kind, name = "backward", SHARED_VJPS.get(name, name[1:-4])
        elif not name.startswith("_"):
            kind = "forward"
        else:
            continue
        mod = os.path.splitext(os.path.basename(file))[0]
        op = f"{mod}.{name}"
        entry = per_op.setdefault(op, {"forward": 0.0, "backward": 0.0, "calls": 0.0})
        entry[kind] += v[3] / rounds
        if kind == "forward":
            entry["calls"] += v[1] / rounds
    return {
        "workload": asdict(w),
        "rounds": rounds,
        "forward_ms_median": float(np.median(fwd)) * 1e3,
        "backward_ms_median": float(np.median(bwd)) * 1e3,
        "profiled_total_ms_per_step": total / rounds * 1e3,
        "self_time_top": [{"function": f, "self_ms": t * 1e3, "calls": c} for f, t, c in self_time],
        "per_op_cumulative": dict(
            sorted(per_op.items(), key=lambda kv: -(kv[1]["forward"] + kv[1]["backward"]))
        ),
    }


def print_profile(prof: dict) -> None:
    w = prof["workload"]
    print(f"\nProfile of the minigrad step, {w['name']} ({prof['rounds']} steps)")
    print(
        f"  wall time without profiler: forward {prof['forward_ms_median']:.1f} ms, "
        f"backward {prof['backward_ms_median']:.1f} ms (medians)"
    )
    print(f"  under cProfile: {prof['profiled_total_ms_per_step']:.1f} ms per step (inflated)")
    print("  per op (cumulative ms per step; forward = the op function, backward = its vjp):")
    print(f"    {'op':<34}{'forward':>10}{'backward':>10}{'calls':>9}")
    for op, e in list(prof["per_op_cumulative"].items())[:20]:
        print(
            f"    {op:<34}{e['forward'] * 1e3:>10.2f}{e['backward'] * 1e3:>10.2f}{e['calls']:>9.0f}"
        )
    print("  top functions by self time (ms per step):")
    for r in prof["self_time_top"]:
        print(f"    {r['self_ms']:>8.2f}  {r['calls']:>8.0f}x  {r['function']}")
    print(
        "  note: forward/backward per-op figures are cumulative (include NumPy and tape "
        "bookkeeping called inside); nested ops (e.g. functional composites) overlap."
    )


# ------------------------------------------------------------------------------ machine
def machine_info() -> dict:
    info: dict[str, Any] = {
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
    }
    try:
        info["cpu_affinity"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        info["blas"] = {k: blas.get(k) for k in ("name", "version", "openblas configuration")}
    except Exception as e:  # older NumPy: no dict mode
        info["blas"] = f"unavailable ({type(e).__name__})"
    for mod in ("torch", "autograd"):
        try:
            m = __import__(mod)
            info[mod] = getattr(m, "__version__", None) or importlib.metadata.version(mod)
            if mod == "torch":
                info["torch_num_threads"] = m.get_num_threads()
        except ImportError:
            info[mod] = None
    try:
        info["loadavg"] = os.getloadavg()
    except OSError:
        pass
    return info


# --------------------------------------------------------------------------------- main
def run_workload(name: str, impls: list[str], repeat: int, warmup: int, rtol: float) -> dict:
    p = build_workload(name)
    w = p.workload
    steps = {k: IMPLEMENTATIONS[k][0](p) for k in impls}
    # agreement check against manual, before timing
    ref = steps["manual"]()
    checks = {}
    for k, s in steps.items():
        if k == "manual":
            continue
        errs = compare(s(), ref)
        checks[k] = {"errors": errs, "ok": all(v <= rtol for v in errs.values())}
    samples = time_interleaved(steps, repeat, warmup)
    result = {
        "workload": asdict(w),
        "loss": ref[0],
        "check_rtol": rtol,
        "checks": checks,
        "timing": summarize(samples),
    }
    if name == "W4":
        result["peak_memory_bytes"] = {k: peak_memory(s) for k, s in steps.items()}
        result["peak_memory_note"] = (
            "tracemalloc peak minus the traced memory before the step (Python objects and "
            "NumPy buffers); torch's allocator is invisible to tracemalloc, so the torch "
            "figures cover only Python-side objects"
        )
    return result


def run_scaling(repeat: int, warmup: int, impls: list[str]) -> dict:
    """minigrad (and manual, for context) step time at T=100 vs T=1000, W4's other sizes."""
    steps = {}
    for T in (100, 1000):
        p = build_workload("W4", T=T)
        for k in impls:
            steps[f"{k} T={T}"] = IMPLEMENTATIONS[k][0](p)
    samples = time_interleaved(steps, repeat, warmup)
    med = {k: float(np.median(v)) * 1e3 for k, v in samples.items()}
    return {
        "sizes": "GRU I=64 H=64 V=64 B=8",
        "median_ms": med,
        "min_max_ms": {k: [min(v) * 1e3, max(v) * 1e3] for k, v in samples.items()},
        "ratio_T1000_over_T100": {k: med[f"{k} T=1000"] / med[f"{k} T=100"] for k in impls},
        "target": "minigrad ratio <= 11",
    }


def print_table(name: str, r: dict, skipped: dict[str, str]) -> None:
    w = r["workload"]
    print(
        f"\n{name}: {w['cell']} I={w['I']} H={w['H']} V={w['V']} T={w['T']} B={w['B']} "
        f"({w['input']}), loss {r['loss']:.5f}"
    )
    print(f"  {'impl':<13}{'median ms':>11}{'min–max ms':>21}{'/ manual':>10}  check")
    for k, t in r["timing"].items():
        c = r["checks"].get(k)
        if c is None:
            note = "reference"
        else:
            e = c["errors"]
            note = f"loss {e['loss']:.1e}, W_hh {e['weight_hh']:.1e}"
            if not c["ok"]:
                note = "WARNING: disagrees with manual: " + note
        mm = f"{t['min_ms']:.2f}–{t['max_ms']:.2f}"
        print(f"  {k:<13}{t['median_ms']:>11.2f}{mm:>21}{t['ratio_to_manual']:>10.2f}  {note}")
    for k, note in skipped.items():
        print(f"  {k:<13}{note}")
    if "peak_memory_bytes" in r:
        print("  peak memory growth during one step (tracemalloc):")
        for k, b in r["peak_memory_bytes"].items():
            extra = "  (torch allocations not visible)" if k.startswith("torch") else ""
            print(f"    {k:<13}{b / 2**20:>9.1f} MiB{extra}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workload", nargs="+", default=["all"], help="W1 W2 W3 W4 or all")
    ap.add_argument("--impl", nargs="+", default=list(IMPLEMENTATIONS), help="implementations")
    ap.add_argument("--repeat", type=int, default=30, help="timed samples per implementation")
    ap.add_argument("--warmup", type=int, default=2, help="untimed rounds before timing")
    ap.add_argument("--rtol", type=float, default=1e-3, help="agreement tolerance vs manual")
    ap.add_argument("--json", metavar="PATH", help="write every number to PATH")
    ap.add_argument("--scaling", action="store_true", help="T=100 vs T=1000 check (W4 sizes)")
    ap.add_argument("--profile", action="store_true", help="profile the minigrad step")
    ap.add_argument(
        "--torch-threads",
        type=int,
        metavar="N",
        help="call torch.set_num_threads(N) first (default: leave torch's default alone)",
    )
    args = ap.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)  # tables appear as each workload ends

    names = list(WORKLOADS) if "all" in args.workload else args.workload
    for n in names:
        if n not in WORKLOADS:
            ap.error(f"unknown workload {n!r}; choose from {list(WORKLOADS)} or all")
    for k in args.impl:
        if k not in IMPLEMENTATIONS:
            ap.error(f"unknown implementation {k!r}; choose from {list(IMPLEMENTATIONS)}")
    wanted = ["manual"] + [k for k in args.impl if k != "manual"]
    impls, skipped = available(wanted)
    if args.torch_threads is not None and any(k.startswith("torch") for k in impls):
        import torch

        torch.set_num_threads(args.torch_threads)

    info = machine_info()
    print(
        f"python {info['python']}, numpy {info['numpy']}, torch {info['torch']}, "
        f"autograd {info['autograd']}, {info['cpu_count']} CPUs; repeat {args.repeat}, "
        f"warm-up {args.warmup}; medians, interleaved round-robin in one process"
    )
    report: dict[str, Any] = {
        "machine": info,
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
        "repeat": args.repeat,
        "warmup": args.warmup,
        "skipped": skipped,
        "workloads": {},
    }
    for n in names:
        r = run_workload(n, impls, args.repeat, args.warmup, args.rtol)
        report["workloads"][n] = r
        print_table(n, r, skipped)
    if args.scaling:
        sc = run_scaling(args.repeat, args.warmup, ["manual", "minigrad"])
        report["scaling"] = sc
        print(f"\nT-scaling ({sc['sizes']}), median ms:")
        for k, v in sc["median_ms"].items():
            lo, hi = sc["min_max_ms"][k]
            print(f"  {k:<16}{v:>10.2f}   ({lo:.2f}–{hi:.2f})")
        for k, v in sc["ratio_T1000_over_T100"].items():
            print(
                f"  {k}: T=1000 / T=100 = {v:.2f}" + ("  (target <= 11)" if k == "minigrad" else "")
            )
    if args.profile:
        report["profile"] = {}
        for n in names:
            prof = profile_minigrad(build_workload(n))
            report["profile"][n] = prof
            print_profile(prof)
    try:
        info["loadavg_end"] = os.getloadavg()  # the load can change a lot during a run
    except OSError:
        pass
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
