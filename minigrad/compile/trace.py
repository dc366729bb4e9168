"""Capture: run a function once with every op reporting itself, and keep what ran.

While a :class:`Tracer` is installed (``minigrad.ops.core.tracer``), each primitive
hands it its name, output array, input tensors and the values its vjp saved; the
tracer wraps the output in a Tensor as eager code would, but records no Node (the
tape is not needed: the planned program has its own backward). The result is a
:class:`Trace`: values (inputs, parameters, constants, op outputs) and the steps that
produced them, in execution order.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np

from .. import modes, tape
from ..tensor import Tensor
from .errors import Fallback, where

__all__ = ["Step", "Trace", "Tracer", "Value"]

# A tensor's array read past the capture's guard on ``Tensor.data`` (the slot itself).
_DATA = Tensor.__dict__["data"].__get__


class Value:
    """One array of the trace. ``kind`` is "input" (a tensor argument, rebound at each
    call), "param" (a tensor from outside the call that requires grad, bound by
    reference), "const" (any other outside or created tensor, bound by reference) or
    "op" (the output of ``producer``)."""

    __slots__ = ("consumers", "dtype", "index", "kind", "needs_grad", "producer", "shape", "source")

    def __init__(self, index: int, kind: str, shape: tuple, dtype: np.dtype, source: Any) -> None:
        self.index = index
        self.kind = kind
        self.shape = shape
        self.dtype = dtype
        self.source = source  # the Tensor (input/param/const) or None
        self.producer: Step | None = None
        self.consumers: list[tuple[Step, int]] | tuple = []  # () once planned
        self.needs_grad = False

    def __repr__(self) -> str:
        return f"<Value v{self.index} {self.kind} {self.shape}>"


class Step:
    """One op of the trace: ``out = op(*inputs)`` with the values its vjp saved."""

    __slots__ = ("attrs", "index", "inputs", "op", "out", "reads", "saved", "scope")

    def __init__(self, index: int, op: str, inputs: list[Value], out: Value, saved: tuple) -> None:
        self.index = index
        self.op = op
        self.inputs = inputs
        self.out = out
        self.saved = saved
        self.scope = tape.current_scope()
        self.attrs: dict[str, Any] = {}
        # the traced values among the attrs (``plan.attr_values``), once asked; whoever
        # gives a planned step new attrs resets it
        self.reads: tuple[Value, ...] | None = None

    def __repr__(self) -> str:
        return f"<Step {self.index} {self.op} -> v{self.out.index}>"


class Trace:
    """What one traced call did: ``values``, ``steps`` in order, the input values in
    argument order, and the output values (None for a non-tensor output)."""

    def __init__(self) -> None:
        self.values: list[Value] = []
        self.steps: list[Step] = []
        self.inputs: list[Value] = []
        self.outputs: list[Value | None] = []
        self.grad_enabled = modes.is_grad_enabled()
        self.outside: set[int] | frozenset = frozenset()  # see Tracer.outside

    def release(self) -> None:
        """Drop every value and step now. Values and steps refer to each other, so
        without this they would wait for the cyclic garbage collector: for a long
        sequence, tens of megabytes held while the program's buffers are allocated."""
        for s in self.steps:
            s.inputs, s.out, s.attrs, s.reads = [], None, {}, None
        for v in self.values:
            v.producer, v.consumers, v.source = None, (), None
        self.values, self.steps, self.inputs, self.outputs = [], [], [], []


class Tracer:
    """Receives every op while a function runs (see ``minigrad.ops.core.record``)."""

    def __init__(self, inputs: list[Tensor], prepare: Any, outside: set[int] = frozenset()) -> None:
        self.trace = Trace()
        self._prepare = prepare
        self.thread = threading.get_ident()  # the thread whose ops are traced
        self.outside = outside  # ids of tensors the function reaches by name
        self.trace.outside = outside
        self._by_id: dict[int, Value] = {}
        self._refs: dict[int, weakref.ref] = {}
        self._arrays: dict[int, Value] = {}
        self._data_ids: dict[int, int] = {}
        # positions of the inputs whose values Python read (``guards.static_value``)
        self.static_inputs: set[int] = set()
        for t in inputs:
            v = self._new("input", t)
            self.trace.inputs.append(v)

    # ----------------------------------------------------------------- values
    def _new(self, kind: str, t: Tensor, d: np.ndarray | None = None) -> Value:
        """A value for ``t``, whose array is ``d`` when the caller has it at hand
        (reading ``t.data`` goes through the capture's guard)."""
        if d is None:
            d = _DATA(t, Tensor)
        v = Value(len(self.trace.values), kind, d.shape, d.dtype, None if kind == "op" else t)
        if kind in ("input", "param"):
            v.needs_grad = t.requires_grad and self.trace.grad_enabled
        self.trace.values.append(v)
        self._remember(t, v, d)
        return v

    def _remember(self, t: Tensor, v: Value, d: np.ndarray) -> None:
        key = id(t)
        self._by_id[key] = v
        # Forget the tensor when it dies, so a new tensor at the same address is new.
        self._refs[key] = weakref.ref(t, lambda _r, k=key: self._forget(k))
        if v.kind != "const":
            self._arrays[id(d)] = v
            self._data_ids[key] = id(d)

    def _forget(self, key: int) -> None:
        self._by_id.pop(key, None)
        self._refs.pop(key, None)
        self._arrays.pop(self._data_ids.pop(key, None), None)

    def value_of(self, t: Tensor) -> Value:
        """The value behind ``t``; an unseen tensor is a parameter or a constant."""
        v = self._by_id.get(id(t))
        if v is not None:
            return v
        kind = "param" if t.requires_grad else "const"
        return self._new(kind, t)

    def array_value(self, a: Any) -> Value | None:
        """The traced value whose array ``a`` is (by identity), if any."""
        return self._arrays.get(id(a)) if type(a) is np.ndarray else None

    def produced(self, t: Tensor) -> bool:
        """Whether ``t`` is the output of a traced op (not a leaf: an input, a
        parameter or a constant)."""
        v = self._by_id.get(id(t))
        return v is not None and v.kind == "op"

    def is_traced(self, t: Tensor) -> bool:
        """Whether ``t`` carries a value that changes between calls."""
        v = self._by_id.get(id(t))
        return v.kind != "const" if v is not None else self.unseen_varies(t)

    def unseen_varies(self, t: Tensor) -> bool:
        """Whether a tensor no op has used yet may hold other values at the next call:
        one that requires grad (a parameter, bound by reference) or one the function
        reaches by name (``outside``). Reading its value would freeze it."""
        return t._requires_grad or id(t) in self.outside

    # ------------------------------------------------------------------ hooks
    def record(self, op: str, data: np.ndarray, inputs: Any, saved: tuple) -> Tensor:
        """Called by ``record`` for every primitive: wrap the output, note the step."""
        grad = modes.is_grad_enabled()
        if grad and not self.trace.grad_enabled and any(t._requires_grad for t in inputs):
            # enable_grad inside a function called under no_grad: the program is planned
            # without gradients (the key's grad mode), its output would have none
            raise Fallback(f"enable_grad inside a call made under no_grad at {where()}")
        ins = [self.value_of(t) for t in inputs]
        out_t = Tensor._wrap(data)
        out = self._new("op", out_t, data)
        out.needs_grad = grad and any(v.needs_grad for v in ins)
        out_t._requires_grad = out.needs_grad
        self._add_step(op, ins, out, saved)
        return out_t

    def derived(self, op: str, fn: Any, data: np.ndarray, inputs: Any) -> Tensor:
        """Called by ``derived``: ``fn`` of the inputs' values, no gradient. Recorded
        as the step "derived", which a replay runs by calling ``fn`` again."""
        ins = [self.value_of(t) for t in inputs]
        out_t = Tensor._wrap(data)
        out = self._new("op", out_t, data)
        self._add_step("derived", ins, out, (op, fn))
        return out_t

    def _add_step(self, op: str, ins: list[Value], out: Value, saved: tuple) -> None:
        step = Step(len(self.trace.steps), op, ins, out, saved)
        out.producer = step
        for k, v in enumerate(ins):
            v.consumers.append((step, k))
        self.trace.steps.append(step)
        # The static parts of what the vjp saved become attrs; the arrays are dropped.
        self._prepare(step, self)
        step.saved = ()

    def finish(self) -> Trace:
        """The trace; the tracer forgets every tensor it saw (capture is over)."""
        self._by_id.clear()
        self._refs.clear()
        self._arrays.clear()
        self._data_ids.clear()
        return self.trace

    def output_value(self, t: Tensor) -> Value:
        """The value of a tensor the function returned."""
        return self.value_of(t)
