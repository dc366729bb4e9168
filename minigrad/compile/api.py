"""``minigrad.compile(fn)``: capture once per key, replay planned NumPy afterwards."""

from __future__ import annotations

import functools
import threading
import types
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from .. import forward, rng, tape
from ..nn import Module
from ..ops import core
from ..ops.registry import calling_op
from ..tensor import Tensor
from . import key as keys
from .environment import Environment
from .errors import CaptureError, Fallback
from .guards import guarded
from .kernels import KERNELS
from .key import describe_change, flatten, labels
from .program import Program, Stale, flatten_outputs
from .randomness import GeneratorState, NumpyGenerators, RandomState
from .trace import Tracer

__all__ = ["Compiled", "compile"]

_EAGER = object()
# One capture at a time in the process: a capture installs the tracer and the guards
# on Tensor for its thread, and a second one would find them taken.
_CAPTURING = threading.Lock()


def compile(fn: Callable | None = None, *, cache_size: int = 8, warn_after: int = 4) -> Any:
    """Compile ``fn`` (a function of tensors returning a tensor or a structure of them).

    The first call for a key (see :mod:`minigrad.compile.key`: shapes, dtypes,
    requires-grad flags, grad mode, non-tensor argument values, modules' parameters;
    and :mod:`minigrad.compile.environment`: what ``fn`` reads from its closure and
    globals, such as a module's training flag or a Python number)
    runs ``fn`` once under a tracer and plans a program; later calls with that key
    replay it as straight-line NumPy into planned buffers. The result has ``fn``'s
    signature; ``.backward()`` on its output accumulates into ``.grad`` as eager
    mode does. At most ``cache_size`` programs are kept; after ``warn_after``
    captures a warning names what keeps changing. What a trace cannot honour raises
    :class:`CaptureError` or runs eagerly with a warning (see ``guards``).

    >>> import minigrad
    >>> w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    >>> step = minigrad.compile(lambda x: (x * w).tanh().sum())
    >>> loss = step(minigrad.tensor([0.5, -0.5]))
    >>> loss.backward()
    >>> w.grad.round(4)
    array([ 0.3932, -0.21  ], dtype=float32)
    """
    if fn is None:
        return functools.partial(compile, cache_size=cache_size, warn_after=warn_after)
    return Compiled(fn, cache_size, warn_after)


class Compiled:
    """A compiled function; call it as ``fn``. ``programs`` holds the cached plans."""

    def __init__(self, fn: Callable, cache_size: int = 8, warn_after: int = 4) -> None:
        self._setup(fn, cache_size, warn_after)
        self._environment = Environment(fn)

    def _setup(self, fn: Callable, cache_size: int, warn_after: int) -> None:
        # A module's attributes are not copied: a copy of ``training`` would go stale.
        functools.update_wrapper(self, fn, updated=() if isinstance(fn, Module) else ("__dict__",))
        if not hasattr(self, "__name__"):  # a module compiled as it is
            self.__name__ = type(fn).__name__
        self.fn = fn
        self.cache_size, self.warn_after = cache_size, warn_after
        self.programs: OrderedDict[tuple, Any] = OrderedDict()
        self.captures = 0
        self._warned: set[str] = set()
        self._last: tuple[tuple, list[str]] | None = None
        self._next_warning = warn_after + 1
        owner = fn if isinstance(fn, Module) else getattr(fn, "__self__", None)
        self._modules = (owner,) if isinstance(owner, Module) else ()
        # key -> positions of the tensor arguments whose values a capture under it read
        # (``static_value``: an RNN's lengths), whose values then extend the key
        self._statics: dict[tuple, tuple[int, ...]] = {}
        # A program replays into buffers of its own: one call at a time.
        self._lock = threading.RLock()

    def __getstate__(self) -> dict:
        # A copy (copy.deepcopy or pickle of a model that holds a compiled method, or of
        # a compiled model) compiles the copied function anew: the programs bind the
        # original's parameters, and a lock is not copied.
        return {"fn": self.fn, "cache_size": self.cache_size, "warn_after": self.warn_after}

    def __setstate__(self, state: dict) -> None:
        # The function may be a method of a module that the copy has not filled in yet
        # (a deepcopy of the module holding it): what it reads is found at first use.
        self._setup(state["fn"], state["cache_size"], state["warn_after"])

    def __getattr__(self, name: str) -> Any:
        # A compiled module answers for the module (its training flag, parameters(),
        # eval()...), read from it at each use rather than copied once.
        fn = self.__dict__.get("fn")
        if name == "_environment" and fn is not None:  # a copy's (see __setstate__)
            env = self._environment = Environment(fn)
            return env
        if isinstance(fn, Module):
            return getattr(fn, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        # A compiled method (``@minigrad.compile`` on a ``def`` in a class body): bound
        # to the instance, which is then an argument (a module is keyed as one).
        return self if obj is None else types.MethodType(self, obj)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if core.capturing() is not None or forward._level:
            # Called by a function being captured (or by itself, recursively): its ops
            # are part of that capture. Inside a forward-mode pass (``jvp``, ``jacfwd``):
            # eagerly, so that every op carries its tangent (a program has none).
            return self.fn(*args, **kwargs)
        with self._lock:
            return self._call(args, kwargs)

    def _call(self, args: tuple, kwargs: dict) -> Any:
        outside: set[int] = set()  # tensors the function reads by name (and parameters)
        tensors, key = flatten(args, kwargs, self._modules, outside)
        key += self._environment.key(outside)
        # An argument that is also a tensor the function reads by name (a parameter
        # passed as the input) is one value of the program, not an input of its own.
        key += (("outside", tuple(i for i, t in enumerate(tensors) if id(t) in outside)),)
        statics = self._statics.get(key, ()) if self._statics else ()
        full = (*key, _values(tensors, statics)) if statics else key
        program = self.programs.get(full)
        if program is None:
            names = labels(args, kwargs, self._modules) + self._environment.labels()
            names.append("which tensor arguments the function also reads by name")
            if statics:
                names.append(_VALUES)
            program = self._capture(tensors, args, kwargs, full, names, outside)
            read = () if program is _EAGER else program.statics
            if not set(read) <= set(statics):
                self._keyed_by_values(key, full, tuple(sorted({*statics, *read})), tensors)
        else:
            self.programs.move_to_end(full)
        if program is _EAGER:
            return self.fn(*args, **kwargs)
        try:
            outs = program.run(tensors, args, kwargs)
        except Stale:
            del self.programs[full]
            return self._call(args, kwargs)
        return program.rebuild(outs)

    # --------------------------------------------------------------- capture
    def _capture(
        self, tensors: list, args: tuple, kwargs: dict, key: tuple, labels: list, outside: set
    ) -> Any:
        before = self.captures, self._last
        self.captures += 1
        if self._last is not None and self.captures >= self._next_warning:
            # Warned at the first capture past warn_after, then each time the count
            # doubles: a function that keeps recapturing keeps being named.
            self._next_warning = 2 * self.captures
            changed = describe_change(self._last[0], key, labels, self._last[1])
            warnings.warn(
                f"{self.__name__}: captured {self.captures} times; what changed since the "
                f"last capture: {changed}. Each new key "
                "costs a capture; keep shapes, non-tensor arguments and what the function "
                "reads (numbers, modules' attributes and parameters) fixed",
                RuntimeWarning,
                stacklevel=4,
            )
        self._last = (key, labels)
        try:
            reached = (*self._environment.values(), *self._modules, args, kwargs)
            program = capture(self.fn, tensors, args, kwargs, outside, reached)
        except Fallback as why:
            self._warn(str(why).split(" at ")[0], f"{self.__name__}: running eagerly: {why}")
            program = _EAGER
        except BaseException:
            # Nothing was kept (a CaptureError, the function's own exception): the same
            # call captures again next time, and that is no new key to warn about.
            self.captures, self._last = before
            raise
        self.programs[key] = program
        while len(self.programs) > self.cache_size:
            self.programs.popitem(last=False)
        return program

    def _keyed_by_values(
        self, key: tuple, stored: tuple, statics: tuple[int, ...], tensors: list
    ) -> None:
        """A capture under ``key`` read the values of the tensor arguments at ``statics``:
        its program moves from ``stored`` to the key extended with those values, which
        every later call with ``key`` computes."""
        self._statics[key] = statics
        program = self.programs.pop(stored)
        full = (*key, _values(tensors, statics))
        self.programs[full] = program
        self._last = (full, [*self._last[1][: len(key)], _VALUES])
        for k in [k for k in self._statics if not any(p[: len(k)] == k for p in self.programs)]:
            del self._statics[k]  # no program left under it

    def _warn(self, what: str, message: str) -> None:
        if what not in self._warned:
            self._warned.add(what)
            warnings.warn(message, RuntimeWarning, stacklevel=5)


keys.COMPILED = Compiled  # (environment follows a compiled function to its fn)

_VALUES = "the values of the tensor arguments read as Python values (static_value)"


def _values(tensors: list, statics: tuple[int, ...]) -> tuple:
    """The key's entry for the values of the tensor arguments at ``statics``."""
    return ("values", tuple(keys.array_key(tensors[i].data) for i in statics))


def capture(
    fn: Callable,
    tensors: list,
    args: tuple,
    kwargs: dict,
    outside: set = frozenset(),
    reached: tuple = (),
) -> Program:
    """Run ``fn`` once under a tracer and plan the program it ran. The cyclic garbage
    collector is paused meanwhile: a trace and its plans are tens of thousands of live
    objects that it would rescan again and again (the trace's cycles are broken by
    hand once planning is done, see ``Trace.release``). ``outside``: the ids of the
    tensors ``fn`` reaches by name (their values are not the capture's to keep).
    ``reached``: what ``fn`` reaches from outside (where a NumPy generator it draws from
    may be)."""
    with _CAPTURING, tape.gc_paused():
        return _capture(fn, tensors, args, kwargs, outside, reached)


def _capture(
    fn: Callable, tensors: list, args: tuple, kwargs: dict, outside: set, reached: tuple
) -> Program:
    tracer = Tracer(tensors, _prepare, outside)
    randomness, generators = RandomState(), GeneratorState()
    numpy_generators = NumpyGenerators(reached)
    if core.tracer is not None:
        raise CaptureError("minigrad.compile: a compiled function called inside another's capture")
    core.tracer, rng.watch = tracer, generators.saw
    try:
        with guarded(tracer):
            result = fn(*args, **kwargs)
    except Fallback:
        # The function runs eagerly next: it must draw what it would have drawn.
        randomness.restore()
        generators.restore()
        numpy_generators.restore()
        raise
    finally:
        core.tracer = rng.watch = None
    if generators.seen or randomness.changed() or numpy_generators.changed():
        # Put the generators back: the eager run draws what this run drew.
        randomness.restore()
        generators.restore()
        numpy_generators.restore()
        at = f" at {generators.first}" if generators.seen else ""
        raise Fallback(
            f"random numbers drawn inside the function (dropout, randn, a NumPy generator, ...){at}"
        )
    leaves, rebuild = flatten_outputs(result, structure=True)
    tracer.trace.outputs = [
        tracer.output_value(t) if isinstance(t, Tensor) else None for t in leaves
    ]
    if not any(v is not None and v.kind == "op" for v in tracer.trace.outputs):
        raise Fallback(
            "nothing to capture: the function returned no tensor computed by ops, so a "
            "replay would do nothing"
        )
    statics = tuple(sorted(tracer.static_inputs))
    program = Program(tracer.finish(), fn)
    program.statics = statics
    program.alias(leaves)
    program.rebuild = _rebuilder(rebuild, leaves)
    return program


def _prepare(step: Any, tracer: Any) -> None:
    kern = KERNELS.get(step.op)
    if kern is None:
        called = calling_op()  # what the user called: einsum, not its primitive contract
        if called in (None, step.op):
            raise Fallback(f"the op {step.op!r} has no replay rule")
        raise Fallback(f"{called} (through its primitive {step.op!r}) has no replay rule")
    kern.prepare(step, tracer)


def _rebuilder(build: Callable, leaves: list) -> Callable:
    """Outputs of a replay in the returned structure; non-tensor leaves as returned."""
    fixed = [None if isinstance(t, Tensor) else t for t in leaves]

    def rebuild(outs: list[Any]) -> Any:
        return build([o if f is None else f for o, f in zip(outs, fixed, strict=True)])

    return rebuild
