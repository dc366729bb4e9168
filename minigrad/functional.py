"""Composites built from primitive ops, where ``torch.nn.functional`` users look for
them: the softmax family (:mod:`minigrad.softmax`), the losses (:mod:`minigrad.losses`),
the activations of :mod:`minigrad.ops.activations`, and ``softplus``, ``linear``,
``layer_norm`` and ``dropout``, defined here.

None of these has a hand-written gradient: backward falls out of the primitives.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Sequence

import numpy as np

from . import ops
from .losses import binary_cross_entropy_with_logits, cross_entropy, mse_loss, nll_loss
from .ops.activations import elu, gelu, leaky_relu, logsigmoid, silu
from .ops.core import derived, floating, to_tensor
from .rng import generator as random_generator
from .softmax import log_softmax, logsumexp, softmax
from .tensor import Tensor

__all__ = [
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "elu",
    "gelu",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "logsigmoid",
    "logsumexp",
    "mse_loss",
    "nll_loss",
    "silu",
    "softmax",
    "softplus",
]


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold, as
    ``torch.nn.functional.softplus`` (computed as ``logaddexp(beta x, 0) / beta``, stable
    for any x). Derivative: sigmoid(beta x), and 1 above the threshold.

    The branch is chosen by a mask computed as a ``derived`` value, so a compiled replay
    computes it anew from each call's input.
    """
    x = floating(to_tensor(x, None, "softplus"))
    if isinstance(beta, Tensor) or isinstance(threshold, Tensor):
        raise TypeError("softplus: beta and threshold must be numbers, got a Tensor")
    beta, threshold = float(beta), float(threshold)
    if beta == 1.0:
        soft = ops.logaddexp(x, 0.0)
    else:
        soft = ops.div(ops.logaddexp(ops.mul(x, beta), 0.0), beta)
    above = derived("softplus mask", functools.partial(_above, beta, threshold), x)
    return ops.where(above, x, soft)


def _above(beta: float, threshold: float, x: np.ndarray) -> np.ndarray:
    return x * beta > threshold


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x W^T + b with PyTorch's layout: x (..., in), W (out, in), b (out,)."""
    if type(x) is not Tensor:
        x = to_tensor(x, None, "linear")
    if type(weight) is not Tensor:
        weight = to_tensor(weight, None, "linear")
    if bias is not None and type(bias) is not Tensor:
        bias = to_tensor(bias, None, "linear")
    shape = x.shape
    if shape[-1:] != weight.shape[1:]:
        raise ValueError(
            f"linear: input of shape {shape} does not fit weight of shape {weight.shape}: "
            f"x W^T needs the input's last axis to have {weight.shape[-1]} features"
        )
    if bias is not None and len(shape) == 2:
        return ops.addmm(bias, x, ops.transpose(weight))
    y = ops.matmul(x, ops.transpose(weight))
    return y if bias is None else ops.add(y, bias)


def as_normalized_shape(shape: int | Sequence[int]) -> tuple[int, ...]:
    """A ``normalized_shape`` as a tuple of ints: one integer (a Python or NumPy int)
    stands for a 1-tuple, as in PyTorch."""
    if isinstance(shape, numbers.Integral):
        return (int(shape),)
    return tuple(int(n) for n in shape)


def layer_norm(
    x: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Each slice over the last axes, of shape ``normalized_shape``, standardised, then
    scaled and shifted (``torch.nn.functional.layer_norm``):

        y = (x - mean(x)) / sqrt(var(x) + eps) * weight + bias

    with the mean and the biased variance (divisor n) of each slice. A composite of
    ``mean``, ``var`` and ``sqrt``: its gradient falls out of theirs.

    Shapes: x ``(*, *normalized_shape)``; weight and bias ``normalized_shape`` (or None:
    no scale, no shift); y as x.
    """
    if type(x) is not Tensor:
        x = to_tensor(x, None, "layer_norm")
    shape = as_normalized_shape(normalized_shape)
    k = len(shape)
    if k == 0 or k > x.ndim or tuple(x.shape[x.ndim - k :]) != shape:
        raise ValueError(
            f"layer_norm: input of shape {x.shape} does not end in normalized_shape {shape}"
        )
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise ValueError(
                f"layer_norm: {name} of shape {tuple(p.shape)} must have normalized_shape {shape}"
            )
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = ops.mean(x, axes, keepdims=True)
    std = ops.sqrt(ops.add(ops.var(x, axes, keepdims=True), eps))
    y = ops.div(ops.sub(x, mean), std)
    if weight is not None:
        y = ops.mul(y, weight)
    return y if bias is None else ops.add(y, bias)


def dropout(
    x: Tensor, p: float = 0.5, training: bool = True, generator: np.random.Generator | None = None
) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) in
    training; the identity otherwise."""
    if type(x) is not Tensor:
        x = to_tensor(x, None, "dropout")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    rng = random_generator(generator)
    if p == 1.0:
        mask = np.zeros(x.shape, x.dtype)
    else:
        mask = (rng.random(x.shape) >= p).astype(x.dtype) / x.dtype.type(1.0 - p)
    return ops.mul(x, mask)
