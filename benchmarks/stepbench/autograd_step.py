"""The HIPS autograd step: straightforward NumPy-style code under ``value_and_grad``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .workloads import DTYPE, GRAD_NAMES, LAYER_PARAMS, Grads, Problem, Step

HALF = DTYPE(0.5)


def _sigmoid(anp: Any, a: Any) -> Any:
    return HALF * (anp.tanh(HALF * a) + 1)


def _cell_step(anp: Any, cell: str, xp: Any, hp: Any, h: Any, c: Any, H: int) -> tuple:
    """One step from the input part xp and hidden part hp of the pre-activations."""
    if cell == "lstm":
        a = xp + hp
        i, f = _sigmoid(anp, a[:, :H]), _sigmoid(anp, a[:, H : 2 * H])
        g, o = anp.tanh(a[:, 2 * H : 3 * H]), _sigmoid(anp, a[:, 3 * H :])
        c = f * c + i * g
        return o * anp.tanh(c), c
    if cell == "gru":
        r = _sigmoid(anp, xp[:, :H] + hp[:, :H])
        z = _sigmoid(anp, xp[:, H : 2 * H] + hp[:, H : 2 * H])
        n = anp.tanh(xp[:, 2 * H :] + r * hp[:, 2 * H :])
        return (1 - z) * n + z * h, c
    return anp.tanh(xp + hp), c


def make_autograd(p: Problem) -> Step:
    """HIPS autograd: per-step cell with its own input matmul, stacked outputs, one readout
    matmul, max-shifted log-softmax; differentiated with ``autograd.value_and_grad``."""
    import autograd
    import autograd.numpy as anp

    w = p.workload
    T, B, H = w.T, w.B, w.H
    x = p.x
    t_flat = p.targets.reshape(-1)
    rows = np.arange(T * B)
    args0 = (*(p.params[k].copy() for k in LAYER_PARAMS), p.weight_y.copy(), p.bias_y.copy())

    def loss_fn(args: tuple) -> Any:
        w_ih, w_hh, b_ih, b_hh, weight_y, bias_y = args
        h = np.zeros((B, H), DTYPE)
        c = np.zeros((B, H), DTYPE)
        hs = []
        for t in range(T):
            xp = anp.dot(x[t], w_ih.T) + b_ih
            hp = anp.dot(h, w_hh.T) + b_hh
            h, c = _cell_step(anp, w.cell, xp, hp, h, c, H)
            hs.append(h)
        z = anp.dot(anp.reshape(anp.stack(hs), (T * B, H)), weight_y.T) + bias_y
        z = z - anp.max(z, axis=1, keepdims=True)
        lse = anp.log(anp.sum(anp.exp(z), axis=1))
        return anp.mean(lse - z[rows, t_flat])

    value_and_grad = autograd.value_and_grad(loss_fn)

    def step() -> tuple[float, Grads]:
        loss, grads = value_and_grad(args0)
        return float(loss), dict(zip(GRAD_NAMES, grads, strict=True))

    return step
