"""The op table: every op registers itself here, once, where it is defined.

A definition names the op's forward function and its derivative rule(s); the
registration then provides everything else that used to be written out by hand:
the export from :mod:`minigrad.ops` (and :mod:`minigrad` for ``top_level`` ops), the
:class:`~minigrad.Tensor` methods and operators, and the rows the test suite runs
(the tests iterate :data:`REGISTRY`). A primitive::

    def _exp_vjp(g, out):
        return (g * out,)

    @primitive(vjp=_exp_vjp, methods=("exp",), top_level=True)
    def exp(a):
        out = np.exp(a.data)
        return record("exp", out, (a,), _exp_vjp, out)

The forward calls :func:`~minigrad.ops.core.record` with the op's name, its output,
its inputs, the vjp and the values the vjp needs: that call is the one place where
an op is taped. A composite (built from other ops, no rule of its own) registers with
:func:`composite`.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .. import differentiable, forward
from ..size import shape_args
from ..tensor import Tensor

__all__ = [
    "REGISTRY",
    "OpDef",
    "calling_op",
    "composite",
    "definitions",
    "names",
    "primitive",
    "unregister",
]

F = TypeVar("F", bound=Callable[..., Any])
# A method spec: a name (the op itself becomes the method, self as first input) or
# (name, adapter) where adapter(fn) builds the method from the op.
MethodSpec = str | tuple[str, Callable[[Callable], Any]]


@dataclass(slots=True)
class OpDef:
    """One op's definition: its forward and its derivative rules, by name.

    Attributes:
        name: the op's name, as recorded on the tape (``Node.op``).
        forward: the public function, ``forward(*inputs, *static) -> Tensor``.
        vjp: the reverse-mode rule(s) the forward records, ``vjp(g, *saved)`` -> one
            gradient (or None) per input; a tuple when the forward picks among several
            (e.g. matmul's 2-D and general cases). None for a composite.
        jvp: the forward-mode rule, ``jvp(dx, y, *saved)`` -> the output's tangent:
            ``dx`` holds one tangent (or None) per input, each with a leading batch
            axis ``(B, *input.shape)``; ``y`` is the output value.
        tensor_vjp: the vjp used under ``create_graph=True``: the same rule written
            with ops so that it runs on tensors (often the very function ``vjp`` is).
        saves: what the leading values of ``saved`` are, by the forward's parameter
            name (``"a"``) or ``"out"`` (None for a constant); ``tensor_vjp`` receives
            those as tensors on the tape, every other saved value as it is.
        methods: the Tensor methods and operators installed from ``forward``.
        top_level: also exported as ``minigrad.<name>``.
        module: the module that defines the op (the tests group ops by it).
    """

    name: str
    forward: Callable[..., Any]
    vjp: Callable[..., Any] | tuple[Callable[..., Any], ...] | None
    jvp: Callable[..., Any] | None = None
    tensor_vjp: Callable[..., Any] | None = None
    saves: tuple[str | None, ...] = ()
    methods: tuple[str, ...] = ()
    top_level: bool = False
    module: str = ""
    installed: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_primitive(self) -> bool:
        """True for an op with its own derivative rule (not built from other ops)."""
        return self.vjp is not None


REGISTRY: dict[str, OpDef] = {}


def primitive(
    vjp: Callable[..., Any] | tuple[Callable[..., Any], ...],
    *,
    name: str | None = None,
    jvp: Callable[..., Any] | None = None,
    tensor_vjp: Callable[..., Any] | None = None,
    saves: Sequence[str | None] = (),
    methods: Sequence[MethodSpec] = (),
    top_level: bool = False,
) -> Callable[[F], F]:
    """Register the decorated forward function as a primitive with rule(s) ``vjp``,
    its forward-mode rule ``jvp`` and its differentiable vjp ``tensor_vjp`` (see
    :class:`OpDef` for their signatures and ``saves``).

    The function itself is returned unchanged (no wrapper: calling an op costs what
    it did), after its Tensor methods are installed.
    """

    def register(fn: F) -> F:
        op = OpDef(name or fn.__name__, fn, vjp, jvp, tensor_vjp, tuple(saves))
        op.top_level, op.module = top_level, fn.__module__
        _add(op, methods)
        forward.JVPS[op.name] = jvp
        if tensor_vjp is not None:
            differentiable.register(op.name, tensor_vjp, _roles(fn, op.saves))
        return fn

    return register


def composite(
    *, name: str | None = None, methods: Sequence[MethodSpec] = (), top_level: bool = False
) -> Callable[[F], F]:
    """Register the decorated function as a composite: an op written from other ops,
    whose gradient falls out of theirs."""

    def register(fn: F) -> F:
        op = OpDef(name or fn.__name__, fn, None)
        op.top_level, op.module = top_level, fn.__module__
        _add(op, methods)
        return fn

    return register


def _roles(fn: Callable, saves: tuple[str | None, ...]) -> tuple[tuple[int, int], ...]:
    """``saves`` as (position in saved, input index or -1 for the output) pairs."""
    params = list(inspect.signature(fn).parameters)
    roles = []
    for slot, who in enumerate(saves):
        if who is None:
            continue
        if who != "out" and who not in params:
            raise ValueError(f"{fn.__name__}: saves names {who!r}, not a parameter of the op")
        roles.append((slot, -1 if who == "out" else params.index(who)))
    return tuple(roles)


def _add(op: OpDef, methods: Sequence[MethodSpec]) -> None:
    if op.name in REGISTRY:
        raise ValueError(f"op {op.name!r} is already registered (by {REGISTRY[op.name].module})")
    specs = [(spec, None) if isinstance(spec, str) else spec for spec in methods]
    for attr, _ in specs:
        if attr in vars(Tensor) and attr not in _INSTALLED:
            raise ValueError(f"{op.name}: Tensor.{attr} is already defined")
        if attr in _INSTALLED:
            raise ValueError(f"{op.name}: Tensor.{attr} is already installed by {_INSTALLED[attr]}")
    for attr, adapter in specs:
        method = op.forward if adapter is None else adapter(op.forward)
        setattr(Tensor, attr, method)
        op.installed[attr] = method
        _INSTALLED[attr] = op.name
    op.methods = tuple(op.installed)
    REGISTRY[op.name] = op


# Which op installed each Tensor attribute (a method name reused by another op is an
# error, unless the first op was unregistered).
_INSTALLED: dict[str, str] = {}


def unregister(name: str) -> OpDef:
    """Remove an op and the Tensor methods it installed; returns its definition."""
    op = REGISTRY.pop(name)
    forward.JVPS.pop(name, None)
    differentiable.RULES.pop(name, None)
    for attr in op.installed:
        delattr(Tensor, attr)
        del _INSTALLED[attr]
    return op


def names(module: str) -> list[str]:
    """The names of the ops defined in ``module`` (a module's ``__all__``)."""
    return [op.name for op in definitions(module)]


def definitions(module: str | None = None) -> Iterator[OpDef]:
    """The registered ops in name order, optionally only those defined in ``module``."""
    for name in sorted(REGISTRY):
        op = REGISTRY[name]
        if module is None or op.module == module:
            yield op


def calling_op() -> str | None:
    """The outermost registered op on the call stack: the one the user called
    (``einsum``) while an op it is built from (``contract``) runs. None outside ops.

    Ops whose forwards share one code object (those made by
    :func:`~.pointwise.define_unary`) cannot be told apart by their frames and are
    passed over; they are primitives, named by their own records.
    """
    codes: dict[Any, str | None] = {}
    for name, op in REGISTRY.items():
        code = getattr(op.forward, "__code__", None)
        if code is not None:
            codes[code] = None if code in codes else name
    found = None
    frame = sys._getframe(1)
    while frame is not None:
        found = codes.get(frame.f_code) or found
        frame = frame.f_back
    return found


# ------------------------------------------------------------------- method adapters


def reflected(fn: Callable) -> Callable:
    """``x.__radd__(o)`` is ``add(o, x)``."""

    def method(self: Tensor, other: Any) -> Tensor:
        return fn(other, self)

    method.__doc__ = f"``other {fn.__name__} self``: {fn.__name__}(other, self)."
    return method


def varargs(fn: Callable) -> Callable:
    """``t.reshape(2, 3)`` or ``t.reshape((2, 3))`` for ``reshape(t, (2, 3))``."""

    def method(self: Tensor, *shape: Any) -> Tensor:
        return fn(self, shape_args(shape))

    method.__doc__ = fn.__doc__
    return method
