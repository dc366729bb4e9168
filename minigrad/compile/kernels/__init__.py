"""Replay rules, one per primitive, registered in :data:`KERNELS` by op name."""

from . import elementwise, fused, linalg, loss, reduce, shape
from .base import KERNELS, Emitter, Kernel, Target

__all__ = [
    "KERNELS",
    "Emitter",
    "Kernel",
    "Target",
    "elementwise",
    "fused",
    "linalg",
    "loss",
    "reduce",
    "shape",
]
