"""``Tensor``: a NumPy array that records the ops applied to it.

A tensor is a leaf (made by the user: data, parameters) or the output of a recorded
op, in which case ``_node`` points at its entry on the tape. Operators and math
methods are not written here: each op's definition installs its own (see
:mod:`minigrad.ops.registry`), so this module imports only the engine below it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from . import autograd, gradients, logic
from .dtypes import as_array, get_default_dtype, set_default_dtype
from .inplace import InPlace
from .logic import Logic
from .size import Size
from .tape import Node

__all__ = ["Tensor", "get_default_dtype", "set_default_dtype"]


def _rebuild(cls: type, data: np.ndarray, requires_grad: bool, kept: dict) -> Tensor:
    """A pickled tensor back: a leaf with the pickled values, flag, grad and name."""
    t = cls._wrap(data)
    t._requires_grad = requires_grad
    t.__dict__.update(kept)
    return t


class _HookHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    __slots__ = ("_fn", "_hooks")

    def __init__(self, hooks: list[Callable], fn: Callable) -> None:
        self._hooks = hooks
        self._fn = fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


class Tensor(InPlace, Logic):
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
    _tangent: tuple | None = None  # (forward pass id, tangent): see minigrad.forward
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

    def dim(self) -> int:
        """The number of axes, ``ndim`` (PyTorch's ``Tensor.dim()``)."""
        return self.data.ndim

    @property
    def size(self) -> Size:
        """The number of elements, an ``int``; called, the shape as in PyTorch:
        ``t.size`` is 6, ``t.size()`` is (2, 3) and ``t.size(-1)`` is 3 for a (2, 3)
        tensor. ``numel()`` is the element count too."""
        return Size(self.data)

    def numel(self) -> int:
        """The number of elements."""
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

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Any:
        """The sub-tensors along the first axis, ``t[0], t[1], ...`` (each recorded);
        a 0-d tensor is refused, as NumPy and PyTorch refuse it."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __contains__(self, value: Any) -> bool:
        """``value in t``: whether any element equals ``value``, as NumPy and PyTorch."""
        return bool((self.data == (value.data if isinstance(value, Tensor) else value)).any())

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = ""
        if self.data.dtype != get_default_dtype():
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

    def __float__(self) -> float:
        """``float(t)`` of a one-element tensor (``float(loss)``), as NumPy and PyTorch."""
        return float(self._one("float"))

    def __int__(self) -> int:
        """``int(t)`` of a one-element tensor (truncates a float, as Python's int)."""
        return int(self._one("int"))

    def _one(self, what: str) -> Any:
        if self.data.size != 1:
            raise TypeError(
                f"{what}(): only a one-element tensor converts to a Python number; this one "
                f"has shape {self.shape}"
            )
        return self.data.item()

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

    def __reduce_ex__(self, protocol: Any) -> tuple:
        # Pickled (and deep-copied) as PyTorch does: the values, requires_grad, and the
        # grad and name when set; not the graph behind a computed tensor (its copy
        # would lead backward into copies of the parameters), nor hooks or a detached
        # tensor's link to its source, which do not pickle. The copy is a leaf.
        kept = {k: v for k, v in self.__dict__.items() if k in ("grad", "name")}
        return (_rebuild, (type(self), self.data, self._requires_grad, kept))

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
            gradients.watched(self._node)
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
            gradients.watched(self._node)
            if self._node.hooks is None:
                self._node.hooks = []
            hooks = self._node.hooks
        else:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        hooks.append(fn)
        return _HookHandle(hooks, fn)

    def backward(
        self, grad: Any = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        ``grad`` is the gradient of the final objective with respect to this tensor;
        it may be omitted only for a one-element tensor (then it is 1). Saved values
        are freed afterwards unless ``retain_graph=True``. :func:`minigrad.grad`, beside
        it in :mod:`minigrad.autograd`, returns gradients instead of accumulating them.

        With ``create_graph=True`` the backward pass is itself recorded, as PyTorch's:
        ``.grad`` then holds a Tensor with history (not an ndarray), which can be
        differentiated again; ``retain_graph`` defaults to ``create_graph``. Prefer
        ``minigrad.grad(..., create_graph=True)``, which leaves ``.grad`` alone.
        """
        autograd.backward(self, grad, retain_graph, create_graph)

    def __pos__(self) -> Tensor:
        return self

    # Arithmetic, math, reductions and shape methods (``x + y``, ``x.exp()``,
    # ``x.sum(0)``, ``x.reshape(2, 3)``...) are installed by the op definitions in
    # minigrad.ops and minigrad.functional when the package is imported.


logic._wrap = Tensor._wrap
