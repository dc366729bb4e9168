"""An op and its PyTorch counterpart (tests/torch_ops.py) evaluated side by side: the
value, J v, J^T u and the second derivative d/dx <J^T u, v> (create_graph on both
sides), in float64, for the same inputs and the same random u and v.

Importing this module imports torch: import it only after ``pytest.importorskip``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from op_cases import _joined, _leaves, _with
from torch_ops import TORCH, joined

import minigrad
from minigrad import Tensor, func
from minigrad.ops.registry import REGISTRY

__all__ = ["PARTS", "Sides", "assert_match", "evaluate"]

# What is compared, in order: first the value, then J v (forward mode), J^T u (reverse
# mode) and the second derivative.
PARTS = ("value", "jvp", "vjp", "second")


@dataclass
class Sides:
    """Each part as (minigrad's arrays, PyTorch's arrays), and the random directions:
    ``vs`` (one tangent per input) and ``u`` (the output's cotangent)."""

    parts: dict[str, tuple[list, list]] = field(default_factory=dict)
    vs: list = field(default_factory=list)
    u: np.ndarray | None = None


def _np(t) -> np.ndarray:
    """A PyTorch result as an array (its structural zeros materialised)."""
    return (torch.zeros_like(t) + t.detach()).numpy()


def _torch_jvp(tf, xs: tuple, vs: tuple) -> tuple:
    """PyTorch's J v: forward mode, or the double-vjp trick where an op has no
    forward-mode rule in PyTorch."""
    try:
        return torch.func.jvp(tf, xs, vs)
    except (NotImplementedError, RuntimeError):
        return torch.autograd.functional.jvp(tf, xs, vs, create_graph=False, strict=False)


def _arrays(got: list, shapes: list) -> list:
    """Gradients as arrays, an unused input's (None) as zeros of its shape."""
    return [
        np.zeros(s) if g is None else np.asarray(getattr(g, "data", g))
        for g, s in zip(got, shapes, strict=True)
    ]


def evaluate(name: str, args: tuple, rng: np.random.Generator) -> Sides:
    """Op ``name`` and its counterpart on ``args`` (float arrays become tensors)."""
    leaves = _leaves(args)
    op, top = REGISTRY[name].forward, TORCH[name]

    def f(*ts):
        out = op(*_with(args, list(ts)))
        return Tensor(np.zeros(0)) if isinstance(out, list) and not out else _joined(out)

    def tf(*ts):
        return joined(top(*_with(args, list(ts))))

    sides = Sides()
    if not leaves:
        sides.parts["value"] = ([f().data], [_np(tf())])
        return sides
    shapes = [v.shape for v in leaves]
    sides.vs = vs = [rng.standard_normal(s) for s in shapes]
    ty, tjv = _torch_jvp(tf, tuple(torch.tensor(v) for v in leaves), tuple(map(torch.tensor, vs)))
    y, jv = func.jvp(f, tuple(Tensor(v) for v in leaves), tuple(Tensor(v) for v in vs))
    sides.parts["value"] = ([y.data], [_np(ty)])
    sides.parts["jvp"] = ([jv.data], [_np(tjv)])

    sides.u = u = rng.standard_normal(y.shape)
    ts = [Tensor(v, requires_grad=True) for v in leaves]
    out = f(*ts)
    grads = [None] * len(ts)
    if out.requires_grad:
        grads = minigrad.grad(out, ts, grad_outputs=u, create_graph=True, allow_unused=True)
    tts = [torch.tensor(v, requires_grad=True) for v in leaves]
    tout = tf(*tts)
    tgrads = [None] * len(tts)
    if tout.requires_grad:
        tgrads = torch.autograd.grad(
            tout, tts, torch.tensor(u), create_graph=True, allow_unused=True
        )
    sides.parts["vjp"] = (
        _arrays(grads, shapes),
        _arrays([g if g is None else _np(g) for g in tgrads], shapes),
    )

    sides.parts["second"] = _second_order(grads, tgrads, vs, ts, tts)
    return sides


def _second_order(grads: list, tgrads: list, vs: list, ts: list, tts: list) -> tuple:
    """d/dx <J^T u, v> on both sides, from the create_graph gradients."""
    s = sum(
        ((g * Tensor(v)).sum() for g, v in zip(grads, vs, strict=True) if g is not None),
        Tensor(np.zeros(())),
    )
    ts_ = sum(
        ((g * torch.tensor(v)).sum() for g, v in zip(tgrads, vs, strict=True) if g is not None),
        torch.zeros((), dtype=torch.float64),
    )
    hv = minigrad.grad(s, ts, allow_unused=True) if s.requires_grad else [None] * len(ts)
    thv = (
        torch.autograd.grad(ts_, tts, allow_unused=True) if ts_.requires_grad else [None] * len(tts)
    )
    shapes = [v.shape for v in vs]
    return _arrays(hv, shapes), _arrays([h if h is None else _np(h) for h in thv], shapes)


def assert_match(name: str, sides: Sides, parts: tuple[str, ...] = PARTS) -> None:
    """Both sides agree to 1e-10 on ``parts``; J v is compared where the value is a
    number (a statistic of nothing is NaN, and has no derivative to compare)."""
    number = ~np.isnan(sides.parts["value"][0][0])
    for part in parts:
        if part not in sides.parts:
            continue
        mine, theirs = sides.parts[part]
        for k, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            if part == "jvp":
                a, b = np.where(number, a, 0), np.where(number, b, 0)
            np.testing.assert_allclose(
                a, b, rtol=1e-10, atol=1e-10, err_msg=f"{name}: {part} [{k}]"
            )
