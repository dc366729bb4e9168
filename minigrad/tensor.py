"""``Tensor``: a NumPy array that records the ops applied to it.

A tensor is a leaf (made by the user: data, parameters) or the output of a recorded
op, in which case ``_node`` points at its entry on the tape. Operators and methods
delegate to :mod:`minigrad.ops` and :mod:`minigrad.functional`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import autograd
from .autograd import Node

__all__ = ["Tensor", "get_default_dtype", "set_default_dtype"]

_default_dtype = np.dtype(np.float32)


def get_default_dtype() -> np.dtype:
    """The dtype given to tensors made from Python floats (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype for tensors made from Python floats: float32 or float64."""
    global _default_dtype
    d = np.dtype(dtype)
    if d not in (np.float32, np.float64):
        raise ValueError(f"set_default_dtype: expected float32 or float64, got {d}")
    _default_dtype = d


def as_array(data: Any, dtype: Any = None, copy: bool = False) -> np.ndarray:
    """Convert ``data`` to an ndarray: Python floats take the default dtype.

    Non-numeric data (strings, objects) raises ``TypeError`` naming the type.
    """
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):
        arr = np.array(data, dtype=dtype, copy=True) if copy else np.asarray(data, dtype=dtype)
    else:
        try:
            arr = np.array(data, dtype=dtype)
        except (TypeError, ValueError) as e:
            raise TypeError(f"cannot make a tensor from {type(data).__name__}: {e}") from None
        if dtype is None and arr.dtype == np.float64:
            arr = arr.astype(_default_dtype)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"cannot make a tensor from {type(data).__name__} with dtype {arr.dtype}; "
            "expected numbers"
        )
    return arr


class _HookHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    __slots__ = ("_fn", "_hooks")

    def __init__(self, hooks: list[Callable], fn: Callable) -> None:
        self._hooks = hooks
        self._fn = fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    Attributes:
        data: the values, a NumPy ndarray.
        grad: after ``backward``, an ndarray of the same shape and dtype as ``data``
            holding dL/d(self) summed over backward calls (leaves and tensors that
            called ``retain_grad``), else None.
        requires_grad: whether ops on this tensor are recorded for backward.
        name: an optional label, used by the graph renderer.
    """

    # data, _node and requires_grad are set for every op output; the rest are rare
    # and default at class level (an instance __dict__ appears only when one is set).
    __slots__ = ("__dict__", "__weakref__", "_node", "_requires_grad", "data")
    grad: np.ndarray | None = None
    name: str | None = None
    _hooks: list[Callable] | None = None
    _modified_at: int = -1
    _base: weakref.ref | None = None  # for a detached tensor: whose data it shares
    # Make NumPy defer to Tensor's reflected operators (ndarray + Tensor -> Tensor).
    __array_ufunc__ = None

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ) -> None:
        self.data = as_array(data, dtype)
        self._node: Node | None = None
        if name is not None:
            self.name = name
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data: np.ndarray, node: Node | None = None) -> Tensor:
        """Fast construction for op outputs (no conversion or checks)."""
        t = object.__new__(cls)
        t.data = data
        t._node = node
        t._requires_grad = node is not None
        return t

    # ------------------------------------------------------------------ properties
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def grad_fn(self) -> Node | None:
        """The tape entry that produced this tensor (its ``op`` name and ``parents``),
        or None for a leaf."""
        return self._node

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op."""
        return self._node is None

    @property
    def T(self) -> Tensor:
        """The tensor with its axes reversed (``transpose()``)."""
        return ops.transpose(self)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = ""
        if self.data.dtype != _default_dtype:
            extra += f", dtype={self.data.dtype}"
        if self._node is not None:
            extra += f", op={self._node.op}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data)

    __hash__ = object.__hash__

    # --------------------------------------------------------------- conversions
    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared, not copied); read-only use is safest."""
        return self.data

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item(): tensor of shape {self.shape} has {self.size} elements, not 1"
            )
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def detach(self) -> Tensor:
        """A new leaf sharing the data, cut from the graph (no grad).

        An in-place op on the detached tensor changes this tensor's values too, and is
        recorded against it, so a backward that needs them refuses to run.
        """
        t = Tensor._wrap(self.data)
        # A weak reference to whatever records this data's version (the node for an op
        # output, else the tensor): it must not keep a finished graph alive.
        t._base = self._base or weakref.ref(self._node if self._node is not None else self)
        return t

    def astype(self, dtype: Any) -> Tensor:
        """Cast to ``dtype``; the gradient is cast back to this tensor's dtype."""
        return ops.cast(self, dtype)

    def float(self) -> Tensor:
        return ops.cast(self, np.float32)

    def double(self) -> Tensor:
        return ops.cast(self, np.float64)

    # ------------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` on a leaf in place; returns self."""
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require grad, got dtype {self.data.dtype}"
            )
        if self._node is not None and not requires_grad:
            raise RuntimeError(
                "requires_grad_(False) on a non-leaf tensor; use detach() to cut it from the graph"
            )
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def requires_grad(self) -> bool:
        """Whether ops on this tensor are recorded for backward. Setting it is
        ``requires_grad_``: only floating-point leaves may require grad."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always do)."""
        if self._node is not None:
            self._node.retained = self
        elif not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")

    def register_hook(self, fn: Callable[[np.ndarray], np.ndarray | None]) -> _HookHandle:
        """Call ``fn(grad)`` when this tensor's gradient is computed.

        ``fn`` may return a replacement gradient (an array of the same shape).
        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self.requires_grad:
            raise RuntimeError("register_hook on a tensor that does not require grad")
        if self._node is not None:
            if self._node.hooks is None:
                self._node.hooks = []
            hooks = self._node.hooks
        else:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        hooks.append(fn)
        return _HookHandle(hooks, fn)

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        ``grad`` is the gradient of the final objective with respect to this tensor;
        it may be omitted only for a one-element tensor (then it is 1). Saved values
        are freed afterwards unless ``retain_graph=True``.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad and has no recorded history"
            )
        g = _root_grad(self, grad, "backward")
        if self._node is None:
            g = autograd.run_hooks(self._hooks, g, self.data.shape, self.data.dtype)
            self.grad = g.copy() if self.grad is None else np.asarray(self.grad + g)
            return
        autograd.run_backward([self._node], [g], retain_graph)

    # ------------------------------------------------------------- in-place ops
    def _begin_inplace(self, op: str) -> None:
        if self.requires_grad and autograd.is_grad_enabled():
            raise RuntimeError(
                f"{op}: in-place update of a tensor that requires grad would corrupt the "
                "recorded graph; do it inside `with minigrad.no_grad():`"
            )
        epoch = autograd.bump_inplace_epoch()
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

    def fill_(self, value: float) -> Tensor:
        return self._inplace("fill_", value)

    def copy_(self, src: Any) -> Tensor:
        src = as_array(src)
        try:
            fits = np.broadcast_shapes(src.shape, self.shape) == self.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"copy_: source shape {src.shape} does not fit {self.shape}")
        return self._inplace("copy_", src)

    def add_(self, other: Any, alpha: float = 1.0) -> Tensor:
        return self._inplace("add_", self.data + alpha * as_array(other, self.dtype))

    def sub_(self, other: Any) -> Tensor:
        return self._inplace("sub_", self.data - as_array(other, self.dtype))

    def mul_(self, other: Any) -> Tensor:
        return self._inplace("mul_", self.data * as_array(other, self.dtype))

    def div_(self, other: Any) -> Tensor:
        return self._inplace("div_", self.data / as_array(other, self.dtype))

    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:
        return self._inplace("clamp_", np.clip(self.data, min, max))

    # ---------------------------------------------------------------- operators
    def __add__(self, o: Any) -> Tensor:
        return ops.add(self, o)

    def __radd__(self, o: Any) -> Tensor:
        return ops.add(o, self)

    def __sub__(self, o: Any) -> Tensor:
        return ops.sub(self, o)

    def __rsub__(self, o: Any) -> Tensor:
        return ops.sub(o, self)

    def __mul__(self, o: Any) -> Tensor:
        return ops.mul(self, o)

    def __rmul__(self, o: Any) -> Tensor:
        return ops.mul(o, self)

    def __truediv__(self, o: Any) -> Tensor:
        return ops.div(self, o)

    def __rtruediv__(self, o: Any) -> Tensor:
        return ops.div(o, self)

    def __pow__(self, o: Any) -> Tensor:
        return ops.pow(self, o)

    def __rpow__(self, o: Any) -> Tensor:
        return ops.pow(o, self)

    def __neg__(self) -> Tensor:
        return ops.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return ops.abs(self)

    def __matmul__(self, o: Any) -> Tensor:
        return ops.matmul(self, o)

    def __rmatmul__(self, o: Any) -> Tensor:
        return ops.matmul(o, self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._begin_inplace("__setitem__")
        self.data[index] = as_array(value, self.dtype)

    # Comparisons give boolean tensors outside the graph.
    def __lt__(self, o: Any) -> Tensor:
        return Tensor._wrap(self.data < _raw(o))

    def __le__(self, o: Any) -> Tensor:
        return Tensor._wrap(self.data <= _raw(o))

    def __gt__(self, o: Any) -> Tensor:
        return Tensor._wrap(self.data > _raw(o))

    def __ge__(self, o: Any) -> Tensor:
        return Tensor._wrap(self.data >= _raw(o))

    def __eq__(self, o: Any) -> Tensor:  # type: ignore[override]
        return Tensor._wrap(self.data == _raw(o))

    def __ne__(self, o: Any) -> Tensor:  # type: ignore[override]
        return Tensor._wrap(self.data != _raw(o))

    # ---------------------------------------------------------- elementwise math
    def exp(self) -> Tensor:
        return ops.exp(self)

    def log(self) -> Tensor:
        return ops.log(self)

    def sqrt(self) -> Tensor:
        return ops.sqrt(self)

    def abs(self) -> Tensor:
        return ops.abs(self)

    def tanh(self) -> Tensor:
        return ops.tanh(self)

    def sigmoid(self) -> Tensor:
        return ops.sigmoid(self)

    def relu(self) -> Tensor:
        return ops.relu(self)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        return ops.clip(self, min, max)

    clamp = clip

    def maximum(self, o: Any) -> Tensor:
        return ops.maximum(self, o)

    def minimum(self, o: Any) -> Tensor:
        return ops.minimum(self, o)

    # ---------------------------------------------------------------- reductions
    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return ops.sum(self, axis, keepdims)

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return ops.mean(self, axis, keepdims)

    def max(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return ops.max(self, axis, keepdims)

    def min(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return ops.min(self, axis, keepdims)

    def argmax(self, axis: int | None = None) -> Tensor:
        return Tensor._wrap(np.asarray(self.data.argmax(axis=axis)))

    def argmin(self, axis: int | None = None) -> Tensor:
        return Tensor._wrap(np.asarray(self.data.argmin(axis=axis)))

    def softmax(self, axis: int = -1) -> Tensor:
        return functional.softmax(self, axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return functional.log_softmax(self, axis)

    def logsumexp(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        return functional.logsumexp(self, axis, keepdims)

    # --------------------------------------------------------------------- shape
    def reshape(self, *shape: Any) -> Tensor:
        return ops.reshape(self, _shape_args(shape))

    view = reshape

    def flatten(self) -> Tensor:
        return ops.reshape(self, (-1,))

    def transpose(self, *axes: Any) -> Tensor:
        return ops.transpose(self, _shape_args(axes) if axes else None)

    def permute(self, *axes: Any) -> Tensor:
        return ops.transpose(self, _shape_args(axes))

    def swapaxes(self, a: int, b: int) -> Tensor:
        return ops.swapaxes(self, a, b)

    def broadcast_to(self, *shape: Any) -> Tensor:
        return ops.broadcast_to(self, _shape_args(shape))

    expand = broadcast_to

    def squeeze(self, axis: int | Sequence[int] | None = None) -> Tensor:
        return ops.squeeze(self, axis)

    def unsqueeze(self, axis: int) -> Tensor:
        return ops.unsqueeze(self, axis)

    def split(self, size_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
        return ops.split(self, size_or_sections, axis)

    def chunk(self, chunks: int, axis: int = 0) -> list[Tensor]:
        return ops.chunk(self, chunks, axis)

    def unbind(self, axis: int = 0) -> list[Tensor]:
        return ops.unbind(self, axis)


def _shape_args(args: tuple) -> tuple:
    """Accept both ``t.reshape(2, 3)`` and ``t.reshape((2, 3))``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _raw(o: Any) -> Any:
    return o.data if isinstance(o, Tensor) else o


def _root_grad(t: Tensor, grad: Any, who: str) -> np.ndarray:
    """The seed gradient for ``t``: 1 for a one-element tensor, else ``grad``."""
    if grad is None:
        if t.data.size != 1:
            raise RuntimeError(
                f"{who}: output has shape {t.shape}; backward needs a scalar (one-element) "
                "output or an explicit grad of that shape"
            )
        return np.ones(t.shape, dtype=t.dtype)
    g = np.asarray(grad.data if isinstance(grad, Tensor) else grad)
    if g.shape != t.shape:
        raise ValueError(f"{who}: grad has shape {g.shape} but the output has shape {t.shape}")
    if g.dtype != t.dtype:
        g = g.astype(t.dtype)
    return g


from . import functional, ops  # noqa: E402  (ops and functional build on Tensor)
