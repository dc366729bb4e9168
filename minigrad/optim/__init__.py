"""Optimizers and learning-rate schedules with PyTorch's names, options and update rules.

Each update happens in place on ``p.data`` (a float32 parameter stays float32) and skips
parameters whose ``grad`` is None. ``state_dict()`` is plain nested dicts of arrays and
numbers, so ``minigrad.save`` can write it and a resumed run continues bit for bit.
"""

from .adagrad import Adagrad
from .adam import Adam, AdamW
from .lr_scheduler import CosineAnnealingLR, LRScheduler, StepLR
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "LRScheduler",
    "Optimizer",
    "RMSprop",
    "StepLR",
]
