"""In-place updates of a tensor: ``zero_``, ``fill_``, ``copy_``, ``add_``, ``sub_``,
``mul_``, ``div_``, ``clamp_`` and ``t[index] = value``.

They are never recorded, so each one checks before it writes (NumPy's ``a += b`` rules:
the shape kept, the dtype able to hold the result; an index and value that fit), refuses
what would corrupt the recorded graph or lose a gradient under grad mode, and marks the
write (:mod:`minigrad.versions`) so that a backward that saved the old values refuses to
run. :class:`InPlace` is a base of :class:`~minigrad.tensor.Tensor`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from . import modes, tape, versions
from .dtypes import as_array
from .tape import Node

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["InPlace"]


def _refuse_lost_gradient(op: str, value: Any, instead: str, what: str = "value") -> None:
    """Under grad mode, refuse a written value (or an update's operand) that requires
    grad: an in-place write is not recorded, so its gradient would be lost. ``instead``
    names the recorded way."""
    if isinstance(value, InPlace) and value._requires_grad and modes.is_grad_enabled():
        raise RuntimeError(
            f"{op}: the {what} requires grad, and an in-place write is not recorded (its "
            f"gradient would be lost); {instead}, or write inside `with minigrad.no_grad():`"
        )


class InPlace:
    """The in-place methods of :class:`~minigrad.tensor.Tensor` (``data``, ``_node``,
    ``requires_grad``, ``_base`` are the tensor's)."""

    __slots__ = ()

    def _begin_inplace(self, op: str) -> None:
        if self.requires_grad and modes.is_grad_enabled():
            raise RuntimeError(
                f"{op}: in-place update of a tensor that requires grad would corrupt the "
                "recorded graph; do it inside `with minigrad.no_grad():`"
            )
        epoch = tape.bump_inplace_epoch()
        versions.mark_written(self.data, epoch)
        owners = [self._node if self._node is not None else self]
        if self._base is not None and (base := self._base()) is not None:
            owners.append(base)
        for owner in owners:
            if type(owner) is Node:
                owner.modified_at = epoch
            else:
                owner._modified_at = epoch

    def _inplace(self, op: str, value: np.ndarray) -> Tensor:
        self._begin_inplace(op)
        self.data[...] = value
        return self

    def zero_(self) -> Tensor:
        return self._inplace("zero_", 0)

    def fill_(self, value: Any) -> Tensor:
        """Every element set to ``value`` (a scalar, or anything that broadcasts to the
        tensor's shape), cast to the tensor's dtype, in place. A value that does not fit
        is refused before anything is written or counted as an in-place change; a value
        that requires grad is refused under grad mode, as in ``t[index] = value``."""
        _refuse_lost_gradient("fill_", value, "build a new tensor, `value.expand(t.shape)`")
        value = as_array(value, self.dtype)
        try:
            np.broadcast_to(value, self.shape)
        except ValueError:
            raise ValueError(
                f"fill_: a value of shape {value.shape} does not broadcast to the tensor's "
                f"shape {self.shape}"
            ) from None
        return self._inplace("fill_", value)

    def copy_(self, src: Any) -> Tensor:
        _refuse_lost_gradient("copy_", src, "use the source itself (or an op of it)")
        src = as_array(src)
        try:
            fits = np.broadcast_shapes(src.shape, self.shape) == self.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"copy_: source shape {src.shape} does not fit {self.shape}")
        return self._inplace("copy_", src)

    def _update(self, op: str, fn: Callable[..., np.ndarray], *operands: Any) -> Tensor:
        """``self = fn(self, *operands)`` in place, as NumPy's ``a += b``: the result
        must keep the tensor's shape and be storable in its dtype (``same_kind``: an
        integer tensor refuses a float result instead of truncating it), all checked
        before anything is written. An operand that requires grad is refused under
        grad mode: the update is not recorded, so its gradient would be lost."""
        values = []
        for o in operands:
            if isinstance(o, InPlace):
                _refuse_lost_gradient(
                    op, o, "write `a = a + b` for a new recorded tensor", "operand"
                )
                o = o.data
            elif not isinstance(o, (bool, int, float, np.generic, np.ndarray)) and o is not None:
                o = as_array(o)
            values.append(o)
        try:
            out = np.asarray(fn(self.data, *values))
        except OverflowError as e:
            raise OverflowError(f"{op}: {e} (the tensor's dtype)") from None
        except ValueError:
            shapes = " and ".join(str(np.shape(v)) for v in values if v is not None)
            raise ValueError(
                f"{op}: an operand of shape {shapes} does not broadcast to the tensor's "
                f"shape {self.shape}"
            ) from None
        if out.shape != self.shape:
            raise ValueError(
                f"{op}: the result has shape {out.shape}, not the tensor's {self.shape} "
                "(an in-place update keeps its shape)"
            )
        if not np.can_cast(out.dtype, self.dtype, "same_kind"):
            raise TypeError(
                f"{op}: the result would be {out.dtype}, which a tensor of dtype "
                f"{self.dtype} cannot hold in place"
            )
        return self._inplace(op, out)

    def add_(self, other: Any, alpha: float = 1) -> Tensor:
        if alpha == 1:
            return self._update("add_", np.add, other)
        return self._update("add_", lambda a, b: a + alpha * b, other)

    def sub_(self, other: Any, alpha: float = 1) -> Tensor:
        if alpha == 1:
            return self._update("sub_", np.subtract, other)
        return self._update("sub_", lambda a, b: a - alpha * b, other)

    def mul_(self, other: Any) -> Tensor:
        return self._update("mul_", np.multiply, other)

    def div_(self, other: Any) -> Tensor:
        return self._update("div_", np.true_divide, other)

    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:
        return self._update("clamp_", np.clip, min, max)

    def __setitem__(self, index: Any, value: Any) -> None:
        """``t[index] = value`` in place (NumPy's indexing and broadcasting, value cast
        to t's dtype). An index or value that does not fit is refused before anything
        is written or counted as an in-place change (a saved ``t`` stays usable). A
        value that requires grad is refused under grad mode: the write is not recorded,
        so its gradient would be lost."""
        _refuse_lost_gradient(
            "setitem", value, "build the tensor with ops (where, concatenate, stack, scatter)"
        )
        value = as_array(value, self.dtype)
        try:
            # the selected shape, from a zero-stride stand-in for the data
            selected = np.broadcast_to(np.False_, self.shape)[index].shape
            np.broadcast_to(value, selected)
        except IndexError as e:
            raise IndexError(f"setitem: {e} (tensor of shape {self.shape})") from None
        except ValueError:
            raise ValueError(
                f"setitem: a value of shape {value.shape} does not broadcast to the "
                f"shape {selected} selected from a tensor of shape {self.shape}"
            ) from None
        self._begin_inplace("__setitem__")
        self.data[index] = value
