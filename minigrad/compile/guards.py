"""Guards while a function is traced: what a trace cannot honour is never silent.

A planned program replays the ops a call ran; Python code around them runs once, at
capture. So anything that lets a tensor's *value* steer Python, or that happens
outside the ops, would be frozen into the program. Each such construct is caught:

=====================================================  =========================
construct                                              what happens
=====================================================  =========================
``t.item()``, ``float(t)``, ``int(t)``, ``bool(t)``     :class:`CaptureError` naming
(``if t:``), ``t.tolist()``, ``t.numpy()``,            the construct and the line
``np.asarray(t)``, comparisons (``t > 0``),
``t.argmax()``, ``t.argsort()``, ``t.nonzero()``,
``t.isclose()``, ``t.allclose()``, ``t.any()``, ``t.all()``, reading
``t.data`` outside the ops
``loss.backward()`` inside the function                :class:`CaptureError`
hooks and ``retain_grad`` on tensors of the call       eager, one warning
``requires_grad_`` changing a flag there               eager, one warning
reading or assigning ``t.grad`` (``zero_grad()``)      eager, one warning
in-place edits (``t.add_(...)``, ``t[i] = ...``) and   eager, one warning
assigning ``t.data = ...``
randomness (minigrad's generator, NumPy's global       eager, one warning (the
state, or a generator passed to randn, rand, dropout   generators' states put back
or an initializer; a NumPy generator the function      first, so the eager run draws
reaches by name, as an argument or an attribute;       what it would have drawn)
Python's ``random``; watched by ``randomness``)
an op with no replay rule (see ``kernels.KERNELS``)   eager, one warning
indexing with a boolean mask Tensor (``x[mask]``)      eager, one warning
``enable_grad`` inside a call made under ``no_grad``   eager, one warning
``minigrad.grad`` (``minigrad.func.grad``, ...)        eager, one warning
forward mode (``minigrad.func.jvp``, ...)              eager, one warning
=====================================================  =========================

``t.detach()`` is an op of no gradient: a replay computes it anew. The tensors these
guards treat as traced are the call's inputs and what ops made of them, and every
tensor from outside the call whose value may change: one that requires grad (a
parameter) or one the function reaches by name (see ``environment``), even before an
op uses it. The guards act in the thread that captures; other threads run as usual.

Values of tensors that are constants of the program (made inside the function from
no input, like ``zeros``) may be read freely.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import forward, modes, tape
from ..ops import core
from ..ops.registry import REGISTRY
from ..tensor import Tensor
from .errors import CaptureError, Fallback, where

__all__ = ["guarded", "static_value"]

# Modules whose reads of .data are the ops' own (their results are traced by identity).
_TRUSTED = (
    "minigrad.ops",
    "minigrad.tensor",
    "minigrad.inplace",
    "minigrad.logic",
    "minigrad.autograd",
    "minigrad.engine",
    "minigrad.tape",
    "minigrad.versions",
    "minigrad.compile",
    "minigrad.gradients",
    "minigrad.nn.embedding",
)


_thread = threading.get_ident
_SLOT = Tensor.__dict__["data"].__get__  # the array itself, past the capture's guard


def static_value(t: Tensor) -> np.ndarray:
    """``t``'s array, for Python code to decide with (an RNN's ``lengths``: which steps
    run, where the masks are), read so that a compiled function stays right.

    Outside a capture it is ``t.data``. Inside one, the value of a tensor argument
    becomes part of the program's key: a later call whose tensor holds other values
    captures again instead of replaying the steps this one chose. A value that ops
    computed inside the function, or a tensor from outside whose value may change,
    runs the function eagerly (with one warning): no key could hold it.
    """
    if not isinstance(t, Tensor):
        raise TypeError(f"static_value: expected a Tensor, got {type(t).__name__}")
    tracer = core.tracer
    data = _SLOT(t, Tensor)
    if tracer is None or tracer.thread != _thread():
        return data
    v = tracer._by_id.get(id(t))
    if v is None:
        if not tracer.unseen_varies(t):
            return data  # a constant of the program
        raise Fallback(f"the value of a tensor from outside the call read at {where()}")
    if v.kind == "const":
        return data
    if v.kind != "input":
        raise Fallback(f"the value of a tensor computed inside the function read at {where()}")
    tracer.static_inputs.add(tracer.trace.inputs.index(v))
    return data


def _value_read(tracer: Any, name: str, original: Any) -> Any:
    def guard(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        if tracer.thread == _thread() and tracer.is_traced(self):
            raise CaptureError(
                f"{name} reads a tensor's value inside a compiled function (at {where()}); "
                "a replay would reuse the value seen at capture. Return the tensor and "
                "read it outside, or run this function without minigrad.compile"
            )
        if original is None:
            raise TypeError(f"{name}: not supported for a Tensor")
        return original(self, *args, **kwargs)

    return guard


def _eager(tracer: Any, name: str, original: Any) -> Any:
    def guard(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        if tracer.thread == _thread() and tracer.is_traced(self):
            raise Fallback(f"{name} at {where()}")
        return original(self, *args, **kwargs)

    return guard


def _no_inplace(tracer: Any, original: Any) -> Any:
    """Any in-place edit inside a capture runs the function eagerly, before anything is
    written: a replay runs only the ops, so an edit of a tensor the trace has not seen
    yet (a parameter updated before its first use, a module's buffer, a global) would
    be done once at capture and never again, and a value computed from a traced input
    would be kept as a constant."""

    def guard(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        if tracer.thread != _thread():
            return original(self, *args, **kwargs)
        raise Fallback(f"inplace at {where()}")

    return guard


def _flag(tracer: Any, original: Any) -> Any:
    """``requires_grad_`` inside a capture, changing the flag of an input, a parameter or
    what ops made of one, runs the function eagerly: a replay would not change it, and
    the program was planned for the flags the tensors had before."""

    def guard(self: Tensor, requires_grad: bool = True) -> Tensor:
        if (
            tracer.thread == _thread()
            and bool(requires_grad) != self._requires_grad
            and tracer.is_traced(self)
        ):
            raise Fallback(f"requires_grad_ at {where()}")
        return original(self, requires_grad)

    return guard


def _detach(tracer: Any, original: Any) -> Any:
    """``detach()`` inside a capture is an op of no gradient (``derived``), so a replay
    computes the detached value anew at every call instead of keeping the one it saw
    (the state a truncated-BPTT step returns, for one)."""

    def guard(self: Tensor) -> Tensor:
        if tracer.thread != _thread():
            return original(self)
        return core.derived("detach", np.copy, self)

    return guard


def _gradient_taken(tracer: Any) -> Any:
    """``minigrad.grad`` inside a capture (a gradient penalty, ``minigrad.func.grad``)
    runs the function eagerly: the traced ops record no graph to differentiate; so does
    a forward-mode pass (``jvp``): the traced ops carry no tangents."""

    def guard(what: str) -> None:
        if tracer.thread == _thread():
            raise Fallback(f"{what} at {where()}")

    return guard


def _no_backward(tracer: Any, original: Any) -> Any:
    def guard(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        if tracer.thread != _thread():
            return original(self, *args, **kwargs)
        raise CaptureError(
            f"backward() inside a compiled function (at {where()}): compile the forward "
            "and the loss, and call .backward() on what the compiled function returns"
        )

    return guard


_READS = {
    "item": ".item()",
    "tolist": ".tolist()",
    "numpy": ".numpy()",
    "__array__": "np.asarray(tensor)",
    "__bool__": "a Python `if`/`bool()` on a tensor",
    "__float__": "float(tensor)",
    "__int__": "int(tensor)",
    "__index__": "using a tensor as an index",
    "argmax": ".argmax()",
    "argmin": ".argmin()",
    "argsort": ".argsort()",
    "nonzero": ".nonzero()",
    "isclose": ".isclose()",
    "allclose": ".allclose()",
    "any": ".any()",
    "all": ".all()",
    "__lt__": "a comparison (<)",
    "__le__": "a comparison (<=)",
    "__gt__": "a comparison (>)",
    "__ge__": "a comparison (>=)",
    "__eq__": "a comparison (==)",
    "__ne__": "a comparison (!=)",
}
_CONVERSIONS = ("minigrad.ops.core", "minigrad.ops.registry")
_INPLACE = ("_begin_inplace",)
_HOOKS = ("register_hook", "retain_grad")


_PLAIN = (False, True)  # how reads by an op's own code in a trusted module are checked


class _Forwards:
    """The forward functions' code objects of the registered ops, by code object:
    ``(name, is_primitive)``. Built once per capture, rebuilt when the number of
    registered ops changes meanwhile (reads of ``.data`` inside ops ask at every op)."""

    def __init__(self) -> None:
        self.size = -1
        self._map: dict[Any, tuple[str, bool]] = {}

        # per reading function's code: (whether its reads are checked for a composite
        # op's, whether it is in a trusted module); rebuilt with the table
        self.kinds: dict[Any, tuple[bool, bool]] = {}

    def get(self) -> dict[Any, tuple[str, bool]]:
        if len(REGISTRY) != self.size:
            self._map = {
                op.forward.__code__: (name, op.is_primitive)
                for name, op in REGISTRY.items()
                if hasattr(op.forward, "__code__")
            }
            self.size = len(REGISTRY)
            self.kinds = {}
        return self._map

    def kind(self, caller: Any) -> tuple[bool, bool]:
        """How reads of ``.data`` by the function running ``caller`` are checked."""
        forwards = self.get()
        code = caller.f_code
        kind = self.kinds.get(code)
        if kind is None:
            mod = caller.f_globals.get("__name__", "")
            # the conversions of ops.core and ops.registry read dtypes and shapes only
            # (integer tensors, indices, are bound afresh at every call); a
            # primitive's own forward is no composite's code
            own = mod.startswith("minigrad.ops") and mod not in _CONVERSIONS
            primitive = forwards.get(code, ("", False))[1]
            kind = (own and not primitive, mod.startswith(_TRUSTED))
            self.kinds[code] = kind = _PLAIN if kind == _PLAIN else kind
        return kind


def _in_primitive(frame: Any, forwards: dict[Any, tuple[str, bool]]) -> bool:
    """Whether ``frame`` runs inside the forward of a registered primitive: an op a
    user registers reads ``.data`` as the library's own ops do, and reports its
    output through ``record`` (replayed by its rule, or run eagerly without one)."""
    while frame is not None:
        found = forwards.get(frame.f_code)
        if found is not None and found[1]:
            return True
        frame = frame.f_back
    return False


def _composite_reading(frame: Any, forwards: dict[Any, tuple[str, bool]]) -> str | None:
    """The composite op whose own code (not a primitive it calls) runs ``frame``, if
    any: a composite that reads values (sort's order, whether a norm is 0) decides
    with the values seen at capture, which a replay would reuse."""
    while frame is not None:
        found = forwards.get(frame.f_code)
        if found is not None:
            return None if found[1] else found[0]
        frame = frame.f_back
    return None


def _data_property(tracer: Any, slot: Any) -> property:
    ops = _Forwards()
    read = slot.__get__
    by_id = tracer._by_id

    def get(self: Tensor) -> np.ndarray:
        data = read(self, Tensor)
        if tracer.thread != _thread():
            return data
        v = by_id.get(id(self))
        if (v.kind == "const") if v is not None else not tracer.unseen_varies(self):
            return data  # not traced (see Tracer.is_traced)
        caller = sys._getframe(1)
        kind = ops.kinds.get(caller.f_code) if len(REGISTRY) == ops.size else None
        if kind is None:
            kind = ops.kind(caller)
        if kind is _PLAIN:  # an op's own read, in a trusted module: nothing to check
            return data
        if kind[0] and data.dtype.kind == "f":
            composite = _composite_reading(caller, ops.get())
            if composite is not None:
                raise Fallback(f"{composite} decides with the values of its input")
        if not kind[1] and not _in_primitive(caller, ops.get()):
            raise CaptureError(
                f"reading .data of a traced tensor inside a compiled function (at "
                f"{where()}): a replay would reuse the value seen at capture. Pass "
                "such values as NumPy arrays or Python values (they are part of the "
                "cache key), or run this function without minigrad.compile"
            )
        return data

    def put(self: Tensor, value: np.ndarray) -> None:
        if tracer.thread == _thread():
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if not caller.startswith("minigrad"):
                # ``p.data = ...`` would be done once, at capture, never by a replay.
                raise Fallback(f"assigning .data at {where()}")
        slot.__set__(self, value)

    return property(get, put)


def _grad_property(tracer: Any) -> property:
    """``.grad`` read or assigned inside a capture (``optimizer.zero_grad()`` in the
    function, a gradient used as a value) runs the function eagerly: a replay would
    neither clear the gradients again nor read their new values."""

    def get(self: Tensor) -> Any:
        if tracer.thread == _thread():
            raise Fallback(f".grad read at {where()}")
        return self.__dict__.get("grad")

    def put(self: Tensor, value: Any) -> None:
        if tracer.thread == _thread():
            raise Fallback(f".grad assigned at {where()}")
        self.__dict__["grad"] = value

    return property(get, put)


@contextlib.contextmanager
def guarded(tracer: Any) -> Iterator[None]:
    """Install the guards on Tensor for the duration of a capture."""
    names = (*_READS, *_INPLACE, *_HOOKS, "backward", "data", "detach", "requires_grad_")
    saved = {n: Tensor.__dict__.get(n) for n in names}  # what to put back (None: nothing)
    # each method as Tensor has it, its own or from a base (InPlace, Logic)
    found = {
        n: next((k.__dict__[n] for k in Tensor.__mro__ if n in k.__dict__), None) for n in names
    }
    grad = Tensor.__dict__["grad"]  # the class default (None)
    try:
        Tensor.grad = _grad_property(tracer)
        tape.capture_guard = forward.capture_guard = _gradient_taken(tracer)
        for n, label in _READS.items():
            setattr(Tensor, n, _value_read(tracer, label, found[n]))
        for n in _INPLACE:
            setattr(Tensor, n, _no_inplace(tracer, found[n]))
        for n in _HOOKS:
            setattr(Tensor, n, _eager(tracer, n, found[n]))
        Tensor.backward = _no_backward(tracer, found["backward"])
        Tensor.detach = _detach(tracer, found["detach"])
        Tensor.requires_grad_ = _flag(tracer, found["requires_grad_"])
        Tensor.data = _data_property(tracer, found["data"])
        yield
    finally:
        tape.capture_guard = forward.capture_guard = None
        Tensor.grad = grad
        for n, v in saved.items():
            if v is None:
                delattr(Tensor, n)
            else:
                setattr(Tensor, n, v)


def grad_mode() -> bool:
    return modes.is_grad_enabled()
