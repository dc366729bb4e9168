"""minigrad steps: the eager engine, and the same step through ``minigrad.compile``."""

from __future__ import annotations

from collections.abc import Callable

import minigrad
from minigrad.functional import cross_entropy, linear
from rnn.layers import layer_class

from .workloads import DTYPE, LAYER_PARAMS, Grads, Problem, Step

COMPILE_MISSING = "skipped: this minigrad has no minigrad.compile"


def has_compile() -> bool:
    """Whether this build of minigrad offers ``minigrad.compile``."""
    return callable(getattr(minigrad, "compile", None))


def build_model(p: Problem) -> tuple[Callable, list, Callable[[], Grads]]:
    """The loss as a function of the input tensor, the parameters, and a reader of their
    gradients. Readout ``functional.linear`` on the stacked outputs (T·B, H), then
    ``functional.cross_entropy`` (mean)."""
    w = p.workload
    layer = layer_class(w.cell)(w.I, w.H, dtype=DTYPE)
    layer.load_state_dict({k + "_l0": v for k, v in p.params.items()})
    weight_y = minigrad.tensor(p.weight_y.copy(), requires_grad=True)
    bias_y = minigrad.tensor(p.bias_y.copy(), requires_grad=True)
    targets = p.targets.reshape(-1)
    T, B, H = w.T, w.B, w.H

    def loss_fn(x: minigrad.Tensor) -> minigrad.Tensor:
        out, _ = layer(x)
        return cross_entropy(linear(out.reshape(T * B, H), weight_y, bias_y), targets)

    def grads() -> Grads:
        g = {k: getattr(layer, k + "_l0").grad for k in LAYER_PARAMS}
        return {**g, "weight_y": weight_y.grad, "bias_y": bias_y.grad}

    return loss_fn, [*layer.parameters(), weight_y, bias_y], grads


def _step(p: Problem, compiled: bool) -> Step:
    loss_fn, params, grads = build_model(p)
    run = minigrad.compile(loss_fn) if compiled else loss_fn
    x = minigrad.Tensor(p.x)  # the problem's array, as the manual step reads it; no gradient

    def step() -> tuple[float, Grads]:
        for q in params:
            q.grad = None
        loss = run(x)
        loss.backward()
        return loss.item(), grads()

    return step


def make_eager(p: Problem) -> Step:
    """rnn layers on the eager engine: every op recorded on the tape, then ``backward``."""
    return _step(p, compiled=False)


def make_compiled(p: Problem) -> Step:
    """The same loss function through ``minigrad.compile``: captured on the first call,
    replayed as planned NumPy calls after it."""
    return _step(p, compiled=True)
