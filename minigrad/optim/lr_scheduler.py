"""Learning-rate schedules: ``StepLR`` and ``CosineAnnealingLR``, as ``torch.optim``.

A scheduler sets ``group["lr"]`` of every group from its ``initial_lr`` and the
epoch count ``last_epoch`` (0 after construction; ``step()`` adds one). When something
else changed the rate since (another scheduler on the same optimizer, or the user), the
step applies its own change to the current rate instead, as PyTorch's chainable form:
two schedulers on one optimizer compose, as in PyTorch. A scheduler made on an
optimizer whose rate already left ``initial_lr`` (an earlier scheduler stepped, or the
user set it) starts from that rate, as PyTorch, instead of resetting it.
"""

from __future__ import annotations

import math
from typing import Any

from .optimizer import Optimizer

__all__ = ["CosineAnnealingLR", "LRScheduler", "StepLR"]


class LRScheduler:
    """Base class: subclasses give ``lr_at(base_lr, epoch)`` in closed form."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {optimizer!r}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"{type(self).__name__}: resuming at last_epoch={last_epoch} needs "
                    "'initial_lr' in every param group"
                )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step(initial=True)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        """The learning rate at ``epoch`` of a group that started at ``base_lr``; each
        schedule defines it."""
        raise NotImplementedError(f"{type(self).__name__} does not define lr_at()")

    def lr_chained(self, lr: float, base_lr: float, epoch: int) -> float:
        """The learning rate at ``epoch`` from the current rate ``lr``, which something
        else changed since the last step (PyTorch's recursive form). By default the
        closed form ``lr_at(base_lr, epoch)``, which ignores that change."""
        return self.lr_at(base_lr, epoch)

    def step(self) -> None:
        """Advance one epoch and set each group's learning rate: ``lr_at`` if the rate is
        still the one this schedule gave for the previous epoch, else ``lr_chained``."""
        self._step(initial=False)

    def _step(self, initial: bool) -> None:
        self.last_epoch += 1
        epoch = self.last_epoch
        for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            # Unchanged since our last step, the closed form is the recursive form's value
            # (and keeps an uninterrupted schedule bit for bit the same). A new schedule
            # starts from the group's rate, as PyTorch: one that another scheduler or the
            # user moved away from initial_lr is kept, not reset.
            if initial:
                closed = epoch > 0 or group["lr"] == base
            else:
                closed = group["lr"] == self.lr_at(base, epoch - 1)
            if closed:
                group["lr"] = self.lr_at(base, epoch)
            else:
                group["lr"] = self.lr_chained(group["lr"], base, epoch)
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last ``step()``, one per group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (numbers and lists; ``minigrad.save`` can store it)."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        self.__dict__.update({k: v for k, v in state_dict.items() if k != "optimizer"})


class StepLR(LRScheduler):
    """lr = initial_lr · γ^⌊epoch / step_size⌋."""

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be at least 1, got {step_size}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)

    def lr_chained(self, lr: float, base_lr: float, epoch: int) -> float:
        return lr * self.gamma if epoch > 0 and epoch % self.step_size == 0 else lr


class CosineAnnealingLR(LRScheduler):
    """lr = η_min + (initial_lr - η_min) · (1 + cos(π · epoch / T_max)) / 2

    (the closed form of PyTorch's schedule; past ``T_max`` the cosine continues).
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be at least 1, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        cos = math.cos(math.pi * epoch / self.T_max)
        return self.eta_min + (base_lr - self.eta_min) * (1 + cos) / 2

    def lr_chained(self, lr: float, base_lr: float, epoch: int) -> float:
        # PyTorch's recursive form: the ratio of consecutive closed-form distances to
        # η_min, and a fixed rise where the previous epoch sat at η_min (ratio 0/0).
        if epoch == 0:
            return lr
        T, eta = self.T_max, self.eta_min
        if (epoch - 1 - T) % (2 * T) == 0:
            return lr + (base_lr - eta) * (1 - math.cos(math.pi / T)) / 2
        ratio = (1 + math.cos(math.pi * epoch / T)) / (1 + math.cos(math.pi * (epoch - 1) / T))
        return ratio * (lr - eta) + eta
