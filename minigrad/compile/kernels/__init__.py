"""Replay rules, one per primitive, registered in :data:`KERNELS` by op name."""

from . import binary, elementwise, expm, fused, linalg, loss, reduce, shape, unary
from .base import KERNELS, NUMPY_NAMES, Emitter, Kernel, Target

__all__ = [
    "KERNELS",
    "NUMPY_NAMES",
    "Emitter",
    "Kernel",
    "Target",
    "binary",
    "elementwise",
    "expm",
    "fused",
    "linalg",
    "loss",
    "reduce",
    "shape",
    "unary",
]
