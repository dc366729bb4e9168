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

from . import autograd, gradients, modes, tape, versions
from .axes import axis_args, axis_index, reduced_axes
from .dtypes import as_array, get_default_dtype, set_default_dtype
from .size import Size
from .tape import Node

__all__ = ["Tensor", "get_default_dtype", "set_default_dtype"]


def _rebuild(cls: type, data: np.ndarray, requires_grad: bool, kept: dict) -> Tensor:
    """A pickled tensor back: a leaf with the pickled values, flag, grad and name."""
    t = cls._wrap(data)
    t._requires_grad = requires_grad
    t.__dict__.update(kept)
    return t


def _refuse_lost_gradient(op: str, value: Any, instead: str) -> None:
    """Under grad mode, refuse a written value that requires grad: an in-place write is
    not recorded, so its gradient would be lost. ``instead`` names the recorded way."""
    if isinstance(value, Tensor) and value._requires_grad and modes.is_grad_enabled():
        raise RuntimeError(
            f"{op}: the value requires grad, and an in-place write is not recorded (its "
            f"gradient would be lost); {instead}, or write inside `with minigrad.no_grad():`"
        )


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
        return bool((self.data == _raw(value)).any())

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

    # ------------------------------------------------------------- in-place ops
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
            if isinstance(o, Tensor):
                if o._requires_grad and modes.is_grad_enabled():
                    raise RuntimeError(
                        f"{op}: the operand requires grad, and an in-place update is not "
                        "recorded (its gradient would be lost); write `a = a + b` for a new "
                        "recorded tensor, or update inside `with minigrad.no_grad():`"
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

    def __pos__(self) -> Tensor:
        return self

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

    # Bitwise operators on integer and boolean tensors (mask algebra: ``~mask``,
    # ``a & b``) give tensors outside the graph, as comparisons do.
    def __and__(self, o: Any) -> Tensor:
        return _bitwise("&", np.bitwise_and, self, o)

    def __rand__(self, o: Any) -> Tensor:
        return _bitwise("&", np.bitwise_and, o, self)

    def __or__(self, o: Any) -> Tensor:
        return _bitwise("|", np.bitwise_or, self, o)

    def __ror__(self, o: Any) -> Tensor:
        return _bitwise("|", np.bitwise_or, o, self)

    def __xor__(self, o: Any) -> Tensor:
        return _bitwise("^", np.bitwise_xor, self, o)

    def __rxor__(self, o: Any) -> Tensor:
        return _bitwise("^", np.bitwise_xor, o, self)

    def __invert__(self) -> Tensor:
        return _bitwise("~", np.invert, self)

    def any(
        self,
        axis: Any = None,
        keepdims: bool | None = None,
        *,
        dim: Any = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Whether any element is true (non-zero), over ``axis`` (``dim``/``keepdim`` are
        PyTorch's names): a bool tensor."""
        return self._logical_reduce("any", axis, keepdims, dim, keepdim)

    def all(
        self,
        axis: Any = None,
        keepdims: bool | None = None,
        *,
        dim: Any = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Whether every element is true (non-zero), over ``axis`` (``dim``/``keepdim``
        are PyTorch's names): a bool tensor."""
        return self._logical_reduce("all", axis, keepdims, dim, keepdim)

    def _logical_reduce(self, op: str, axis: Any, keepdims: Any, dim: Any, keepdim: Any) -> Tensor:
        axis, keepdims = axis_args(op, axis, keepdims, dim, keepdim)
        if axis is not None:
            axis = reduced_axes(axis, self.ndim, op)
        return Tensor._wrap(np.asarray(getattr(self.data, op)(axis=axis, keepdims=keepdims)))

    def argmax(
        self,
        axis: int | None = None,
        keepdims: bool | None = None,
        *,
        dim: int | None = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """The index of the maximum over ``axis`` (of the flattened tensor when None;
        ``dim``/``keepdim`` are PyTorch's names): an int64 tensor."""
        axis, keepdims = axis_args("argmax", axis, keepdims, dim, keepdim)
        return self._arg_extreme("argmax", axis, keepdims)

    def argmin(
        self,
        axis: int | None = None,
        keepdims: bool | None = None,
        *,
        dim: int | None = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """The index of the minimum over ``axis`` (of the flattened tensor when None;
        ``dim``/``keepdim`` are PyTorch's names): an int64 tensor."""
        axis, keepdims = axis_args("argmin", axis, keepdims, dim, keepdim)
        return self._arg_extreme("argmin", axis, keepdims)

    def _arg_extreme(self, op: str, axis: Any, keepdims: bool) -> Tensor:
        """argmax/argmin with the axis checked (a 0-d tensor takes 0 or -1, as
        PyTorch) and an empty one refused, in the op's words."""
        x = self.data
        if axis is not None:
            axis = axis_index(op, axis, max(x.ndim, 1))
            if x.ndim == 0:
                axis = None
        if (x.size if axis is None else x.shape[axis]) == 0:
            where = "the tensor" if axis is None else f"axis {axis}"
            raise ValueError(
                f"{op}: {where} of shape {x.shape} is empty, and an empty axis has no "
                f"{op[3:]}imum to index"
            )
        return Tensor._wrap(np.asarray(getattr(x, op)(axis=axis, keepdims=keepdims)))

    # Arithmetic, math, reductions and shape methods (``x + y``, ``x.exp()``,
    # ``x.sum(0)``, ``x.reshape(2, 3)``...) are installed by the op definitions in
    # minigrad.ops and minigrad.functional when the package is imported.


def _raw(o: Any) -> Any:
    return o.data if isinstance(o, Tensor) else o


def _bitwise(op: str, fn: Callable[..., Any], *operands: Any) -> Tensor:
    """``fn`` (a NumPy bitwise ufunc) of integer or boolean operands, as NumPy and
    PyTorch; a float operand is refused, naming the operator and the dtypes."""
    arrays = [_raw(o) for o in operands]
    try:
        return Tensor._wrap(np.asarray(fn(*arrays)))
    except TypeError:
        kinds = ", ".join(str(np.asarray(a).dtype) for a in arrays)
        raise TypeError(
            f"{op}: bitwise operators take integer or boolean tensors, got {kinds}"
        ) from None
