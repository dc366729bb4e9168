"""What every op shares: recording on the tape, operand conversion, unbroadcast."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import forward, tape
from ..modes import grad_enabled
from ..tape import Node, _blank_node, _scope, _sequence, _shapes, shared_shape
from ..tensor import Tensor, as_array, get_default_dtype

__all__ = ["capturing", "derived", "floating", "record", "unbroadcast"]

# While ``minigrad.compile`` traces a function, every op of the thread that traces
# (``tracer.thread``) reports itself here: an object with ``thread``,
# ``record(op, data, inputs, saved)`` and ``derived(op, fn, data, inputs)``. Ops of other
# threads run as usual.
tracer: Any = None
_thread = threading.get_ident
_new = object.__new__
next_seq = _sequence.__next__
scope_get = _scope.get


def capturing() -> Any:
    """The tracer of a capture running in this thread, or None."""
    t = tracer
    return t if t is not None and t.thread == _thread() else None


def record(
    op: str,
    data: np.ndarray,
    inputs: Sequence[Tensor],
    vjp: Callable[..., Sequence[Any]],
    *saved: Any,
) -> Tensor:
    """Wrap an op's output; record a Node when grad mode is on and an input needs grad.

    The one place where ops are taped: every primitive's forward ends here (a
    composite through the primitives it calls).

    ``vjp(g, *saved)`` maps the gradient of the output to one gradient (or None) per
    input, each already reduced to that input's shape. Ops pass a module-level vjp
    and the values it needs as ``saved`` (a closure would do too, with nothing
    saved): one tuple per node instead of a function and its cells keeps recording
    cheap and the garbage collector's work small.
    """
    if type(data) is not np.ndarray:
        # NumPy ufuncs return scalars for 0-d inputs; a Tensor always holds an array.
        data = np.asarray(data)
    if tracer is not None and tracer.thread == _thread():
        return tracer.record(op, data, inputs, saved)
    out = _new(Tensor)
    out.data = data
    if grad_enabled():
        # One, two and three inputs (unary, binary, addmm) spelled out: a generator
        # over the inputs costs more than the rest of the bookkeeping.
        n = len(inputs)
        if n == 1:
            a = inputs[0]
            parents: Any = (a._node or a,) if a._requires_grad else None
        elif n == 2:
            a, b = inputs
            if a._requires_grad or b._requires_grad:
                parents = (a._node or a, b._node or b)
            else:
                parents = None
        elif n == 3:
            a, b, c = inputs
            if a._requires_grad or b._requires_grad or c._requires_grad:
                parents = (a._node or a, b._node or b, c._node or c)
            else:
                parents = None
        elif any(t._requires_grad for t in inputs):
            parents = tuple(t._node or t for t in inputs)
        else:
            parents = None
        if parents is not None:
            # tape.new_node, written out: a call less per op.
            shape = data.shape
            node = _blank_node(Node)
            node.op = op
            node.parents = parents
            node.vjp = vjp
            node.saved = saved
            node.shape = _shapes.get(shape) or shared_shape(shape)
            node.seq = next_seq()
            node.scope = scope_get()
            node.epoch = tape._inplace_epoch
            node.hooks = node.retained = None
            out._node = node
            out._requires_grad = True
            if tape.observers:
                tape.tell_recorded(node, data)
            if forward._level:
                # A forward-mode pass is running: the op's jvp gives the output's tangent.
                forward.push(op, inputs, out, saved)
            return out
    out._node = None
    out._requires_grad = False
    if forward._level:
        forward.push(op, inputs, out, saved)
    return out


def derived(op: str, fn: Callable[..., np.ndarray], *inputs: Tensor) -> Tensor:
    """``fn(*arrays)`` as a constant: computed from the values of ``inputs``, but no
    gradient flows through it (the max shift of ``logsumexp``). Eager code gets a plain
    tensor; a trace sees an op, so a replay recomputes the constant from each call's
    inputs instead of reusing the one it saw."""
    # an array even where fn gives a NumPy scalar (x > 0 of a 0-d x): an op reading the
    # tensor's data (where's np.asarray of its condition) then gets the very array a
    # trace knows, not a new one it would take for a constant
    data = np.asarray(fn(*(t.data for t in inputs)))
    if tracer is not None and tracer.thread == _thread():
        return tracer.derived(op, fn, data, inputs)
    return Tensor._wrap(data)


def to_tensor(x: Any, like: Tensor | None = None, op: str = "op") -> Tensor:
    """A Tensor for ``x``; Python numbers take the dtype of ``like`` (no promotion)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (bool, int, float)) and like is not None:
        kind = like.data.dtype.kind
        if kind == "f":
            return Tensor._wrap(np.asarray(x, dtype=like.data.dtype))
        if isinstance(x, float):
            return Tensor._wrap(np.asarray(x, dtype=get_default_dtype()))
        if kind in "iu":
            # as NumPy and PyTorch: int32 + 3 is int32, uint8 * 2 is uint8
            try:
                return Tensor._wrap(np.asarray(x, dtype=like.data.dtype))
            except OverflowError:
                raise OverflowError(
                    f"{op}: Python integer {x} is out of range for the tensor's dtype "
                    f"{like.data.dtype}"
                ) from None
        return Tensor._wrap(np.asarray(x))
    if isinstance(x, (bool, int, float, np.ndarray, np.generic, list, tuple)):
        try:
            return Tensor._wrap(as_array(x))
        except TypeError as e:  # a list holding text or objects
            raise TypeError(f"{op}: {e}") from None
    raise TypeError(f"{op}: unsupported operand of type {type(x).__name__}")


def binary_operands(a: Any, b: Any, op: str) -> tuple[Tensor, Tensor]:
    """Both operands as Tensors; a Python number takes the other operand's dtype, and
    so does an integer or boolean operand of a floating-point one (as PyTorch:
    float32 * int64 is float32). Neither a Tensor: both array-likes (lists, arrays,
    numbers) made tensors, as NumPy's functions take them."""
    if isinstance(a, Tensor):
        b = b if isinstance(b, Tensor) else to_tensor(b, a, op)
    elif isinstance(b, Tensor):
        a = to_tensor(a, b, op)
    elif isinstance(a, (bool, int, float)):
        b = to_tensor(b, None, op)
        a = to_tensor(a, b, op)
    else:
        a = to_tensor(a, None, op)
        b = to_tensor(b, a, op)
    if a.data.dtype is not b.data.dtype:
        return float_wins(a, b)
    return a, b


def float_wins(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Cast the integer or boolean one of two operands to the other's float dtype."""
    ka, kb = a.data.dtype.kind, b.data.dtype.kind
    if ka == "f" and kb in "biu":
        return a, cast_constant(b, a.data.dtype)
    if kb == "f" and ka in "biu":
        return cast_constant(a, b.data.dtype), b
    return a, b


@functools.cache
def _caster(dtype: np.dtype) -> Callable[[np.ndarray], np.ndarray]:
    def cast(x: np.ndarray) -> np.ndarray:
        return x.astype(dtype)

    cast.__name__ = f"astype_{dtype}"
    return cast


def cast_constant(t: Tensor, dtype: np.dtype) -> Tensor:
    """An integer or boolean tensor (no gradient) as ``dtype``: a :func:`derived`
    value, so a compiled replay casts each call's values, not the captured ones."""
    return derived("cast", _caster(np.dtype(dtype)), t)


def floating(t: Tensor) -> Tensor:
    """``t`` in the default float dtype if it holds integers or booleans, else ``t``.

    For the ops whose result is not an integer (true division, exp, log, sqrt, the
    trigonometric functions, softmax...): integer inputs give the default dtype, as
    PyTorch (NumPy would give float64), as Python floats do. Integer tensors carry no
    gradient, so the cast is not recorded.
    """
    if t.data.dtype.kind == "f":
        return t
    return cast_constant(t, get_default_dtype())


def broadcast_error(op: str, *shapes: tuple[int, ...]) -> ValueError:
    """The error for operands whose shapes do not broadcast."""
    listed = " and ".join(str(s) for s in shapes)
    return ValueError(f"{op}: shapes {listed} cannot be broadcast together")


def unbroadcast(g: np.ndarray, shape: tuple[int, ...], dtype: np.dtype | None = None) -> np.ndarray:
    """Reduce a broadcast gradient back to ``shape`` (the one place this is done).

    Broadcasting prepends axes and stretches size-1 axes, so the adjoint sums over
    the prepended axes and, with ``keepdims``, over the stretched ones:
    (3, 2) -> (2,) sums axis 0; (3, 4) -> (3, 1) sums axis 1.
    """
    if g.shape != shape:
        # An array is summed by the ufunc itself (``ndarray.sum`` is a Python wrapper
        # around it); a tensor (a create_graph walk) by its recorded ``sum``.
        total = _sum if type(g) is np.ndarray else _tensor_sum
        lead = g.ndim - len(shape)
        if lead:
            g = total(g, 0 if lead == 1 else tuple(range(lead)))
        if 1 in shape:
            stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
            if stretched:
                g = total(g, stretched, keepdims=True)
    if dtype is not None and g.dtype != dtype:
        g = g.astype(dtype)
    return g


_sum = np.add.reduce


def _tensor_sum(t: Tensor, axis: Any, keepdims: bool = False) -> Tensor:
    return t.sum(axis=axis, keepdims=keepdims)
