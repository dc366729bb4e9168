"""One optimiser step, the same for every training job: loss -> zero_grad -> backward ->
clip -> step, refusing any step that is not finite.

A step is refused in two places. Before the update: if the loss or the gradient norm is
NaN or infinite, :class:`Diverged` is raised and the optimiser never sees the gradient
(the weights are as they were). After the update: a finite gradient times a huge
learning rate can still overflow the weights, so they are checked too, and
:class:`Diverged` says the weights are lost (the caller must not save them).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import numpy as np

import minigrad
from minigrad import Tensor, nn, optim

__all__ = ["Diverged", "Step", "check_finite", "loss_function", "train_step"]


class Diverged(RuntimeError):
    """The loss, the gradient or the updated parameters became NaN or infinite.

    ``weights_changed`` tells whether the optimiser had already applied the step (the
    parameters in memory are then not finite and must not be saved).
    """

    def __init__(self, message: str, weights_changed: bool = False) -> None:
        super().__init__(message)
        self.weights_changed = weights_changed


class Step(NamedTuple):
    """What one step measured: the loss before the update and the gradient norm before
    clipping (both Python floats)."""

    loss: float
    grad_norm: float


def _parameters(optimizer: optim.Optimizer) -> list[Tensor]:
    return [p for group in optimizer.param_groups for p in group["params"]]


def check_finite(parameters: Iterable[Tensor], when: str) -> None:
    """Raise :class:`Diverged` (weights changed) if any parameter holds NaN or inf;
    ``when`` completes the message ("the weights became NaN or infinite <when>")."""
    for p in parameters:
        if not np.isfinite(p.data).all():
            raise Diverged(f"the weights became NaN or infinite {when}", weights_changed=True)


def loss_function(fn: Callable[..., Any], eager: bool = False) -> Callable[..., Any]:
    """``fn`` (which computes a loss from tensors) as the training jobs run it: through
    :func:`minigrad.compile` by default, so the forward and backward of a step are
    captured on the first call and replayed as planned NumPy calls after it (a change
    of shapes captures again); ``eager=True`` runs ``fn`` op by op, recording the tape.
    Either way the result is a loss whose ``backward()`` accumulates into ``.grad``.
    Pass data that changes from step to step as Tensors (integer ids and targets too):
    arrays are constants of a compiled step."""
    return fn if eager else minigrad.compile(fn)


def train_step(
    loss: Tensor, optimizer: optim.Optimizer, clip: float | None = None, number: int | None = None
) -> Step:
    """Backpropagate ``loss`` and update the optimiser's parameters; returns a :class:`Step`.

    The order is: check the loss, ``optimizer.zero_grad()``, ``loss.backward()``, the
    joint gradient norm ``||g||_2`` over all parameters, rescaling by
    ``min(1, clip / ||g||)`` when ``clip`` is given (None or 0: no clipping), then
    ``optimizer.step()``. A NaN or infinite loss or gradient norm raises
    :class:`Diverged` before the update; parameters that are not finite after it raise
    :class:`Diverged` with ``weights_changed=True``. ``number``, the step's number, goes
    into the messages.
    """
    at = "" if number is None else f" at step {number}"
    value = loss.item()
    if not math.isfinite(value):
        raise Diverged(f"the loss{at} is {value}")
    params = _parameters(optimizer)
    optimizer.zero_grad()
    loss.backward()
    try:
        # Overflow inside the norm is expected when training diverges; it is reported.
        with np.errstate(over="ignore", invalid="ignore"):
            norm = nn.utils.clip_grad_norm_(
                params, clip if clip else math.inf, error_if_nonfinite=True
            )
    except RuntimeError:
        raise Diverged(f"the gradient{at} is NaN or infinite") from None
    optimizer.step()
    check_finite(params, f"after the update{at}")
    return Step(value, norm)
