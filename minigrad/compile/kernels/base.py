"""What a replay rule is, and the code emitter the rules write into.

A :class:`Kernel` says how one primitive runs in a planned program: the NumPy call
that writes its output into a planned buffer (``forward``), and the calls that add its
input gradients into planned gradient buffers (``backward``). It also tells the
planner what it may exploit: which inputs the backward reads (``needs``), which
gradients pass through unchanged (``through``: aliased instead of copied), and which
are matmul weight gradients ``a^T g`` (``outer``: summed over all uses in one GEMM).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..trace import Step

__all__: list[str] = []  # internal to minigrad.compile.kernels

KERNELS: dict[str, Kernel] = {}

#: NumPy functions the generated code calls by name (``codegen`` binds each one).
NUMPY_NAMES: set[str] = set(
    "absolute add broadcast_to clip concatenate copyto divide dot exp expand_dims greater "
    "log logaddexp logical_not matmul maximum minimum multiply negative power sign "
    "sqrt subtract tanh".split()
)


def numpy_calls(*code: str) -> None:
    """Make the NumPy functions that lines of ``code`` call (``"sin({a}, {o})"``,
    ``"multiply.reduce(...)"``), or that are named alone (``"einsum"``), callable by
    name in generated code."""
    for line in code:
        names = re.findall(r"\b([a-z_]\w*)[(.]", line) if "(" in line else line.split()
        NUMPY_NAMES.update(n for n in names if hasattr(np, n))


def kernel(*names: str) -> Any:
    """Class decorator: register one instance of the kernel under each op name."""

    def register(cls: type) -> type:
        for n in names:
            KERNELS[n] = cls()
        return cls

    return register


class Target:
    """Where one input's gradient contribution goes: the name of its (planned) array,
    its shape and the mode: "write" (first contribution: overwrite), "add" (accumulate),
    or "skip" (the planner already placed it there: an alias)."""

    __slots__ = ("mode", "name", "shape")

    def __init__(self, name: str, shape: tuple, mode: str) -> None:
        self.name, self.shape, self.mode = name, shape, mode


class Emitter:
    """Collects lines of generated Python; binds constants and scratch buffers into
    the environment the generated functions run in."""

    def __init__(self, env: dict[str, Any]) -> None:
        self.env = env
        self._base = len(env)  # names count from here: NumPy functions added shift none
        self.lines: list[str] = []
        self._ids: dict[int, str] = {}
        self._scratch: dict[tuple, str] = {}
        self._transposes: dict[tuple[str, int], str] = {}
        self.prelude: list[str] = []  # lines run once at the start of the function

    def line(self, code: str) -> None:
        self.lines.append(code)

    def const(self, obj: Any, hint: str = "k") -> str:
        """A name for ``obj`` in the environment (the same object gets the same name)."""
        key = id(obj)
        name = self._ids.get(key)
        if name is None:
            name = f"{hint}{len(self.env) - self._base}"
            self.env[name] = obj
            self._ids[key] = name
        return name

    def transposed(self, name: str) -> str:
        """A name for the transpose of the array ``name``: a constant view when it is
        a planned array, else computed once at the start of the function."""
        a = self.env.get(name)
        if isinstance(a, np.ndarray):
            return self._const_t(name, a)
        t = f"{name}T"
        line = f"{t} = {name}.T"
        if line not in self.prelude:
            self.prelude.append(line)
        return t

    def scratch(self, shape: tuple, dtype: np.dtype, tag: int = 0, order: str = "C") -> str:
        """A scratch buffer, only valid until the next kernel runs (``order="F"``: laid
        out as a target it is added into)."""
        key = (tuple(shape), np.dtype(dtype).str, tag, order)
        name = self._scratch.get(key)
        if name is None:
            name = self.const(np.empty(shape, dtype, order=order), "s")
            self._scratch[key] = name
        return name

    def product(self, a: str, b: str, out: str) -> str:
        """Code for ``out = a @ b`` of 2-D arrays. ``np.dot`` costs a fraction of
        ``np.matmul``'s call overhead on small matrices, but writes only into a
        C-contiguous ``out``: used when ``out`` is a planned array laid out so (as
        ``(b^T a^T)^T`` when it is F-contiguous), else ``matmul``."""
        o = self.env.get(out)
        if isinstance(o, np.ndarray) and o.ndim == 2:
            if o.flags.c_contiguous:
                return f"dot({a}, {b}, {out})"
            if o.flags.f_contiguous:
                return f"dot({self._t(b)}, {self._t(a)}, {self._const_t(out, o)})"
        return f"matmul({a}, {b}, {out})"

    # -------------------------------------------------------------- contributions
    def give(self, t: Target | None, gshape: tuple, dtype: np.dtype, fn: str | None, *args: str):
        """Add the contribution ``fn(*args)`` (of shape ``gshape``; ``fn=None`` means
        ``args[0]`` itself) into ``t``, reducing broadcast axes to ``t.shape``."""
        if t is None or t.mode == "skip":
            return
        if tuple(t.shape) != tuple(gshape):
            src = args[0] if fn is None else self.scratch(gshape, dtype)
            if fn is not None:
                self.line(self._call(fn, args, src))
            lead, kept = _reduction(gshape, t.shape)
            if t.mode == "write" and not kept:
                self.line(f"add.reduce({src}, {lead}, None, {t.name})")
            else:
                red = f"unbroadcast({src}, {tuple(t.shape)})"
                op = "copyto" if t.mode == "write" else "add_into"
                self.line(f"{op}({t.name}, {red})")
            return
        if fn is None:
            if t.mode == "write":
                self.line(f"copyto({t.name}, {args[0]})")
            else:
                self.line(f"add({t.name}, {args[0]}, {t.name})")
        elif t.mode == "write":
            self.line(self._call(fn, args, t.name))
        elif fn == "negative":
            self.line(f"subtract({t.name}, {args[0]}, {t.name})")
        else:
            s = self.scratch(gshape, dtype)
            self.line(self._call(fn, args, s))
            self.line(f"add({t.name}, {s}, {t.name})")

    def _t(self, name: str) -> str:
        """A name or expression for the transpose of the array named ``name``."""
        a = self.env.get(name)
        if isinstance(a, np.ndarray):
            return self._const_t(name, a)
        return name[:-2] if name.endswith(".T") else f"{name}.T"

    def _const_t(self, name: str, a: np.ndarray) -> str:
        """The constant name of the transposed view of the planned array ``a`` (named
        ``name``): one view however often it is asked for (a weight's, at every step)."""
        key = (name, id(a))
        t = self._transposes.get(key)
        if t is None:
            t = self._transposes[key] = self.const(a.T, "k")
        return t

    def _call(self, fn: str, args: tuple[str, ...], out: str) -> str:
        """``fn(*args, out)``; "dot" is a 2-D product (see :meth:`product`)."""
        if fn == "dot":
            return self.product(args[0], args[1], out)
        return f"{fn}({', '.join(args)}, {out})"


def _reduction(gshape: tuple, shape: tuple) -> tuple[tuple, bool]:
    """The leading axes broadcasting added, and whether size-1 axes were stretched."""
    lead = len(gshape) - len(shape)
    stretched = any(n == 1 and gshape[lead + i] != 1 for i, n in enumerate(shape))
    return tuple(range(lead)), stretched


class Kernel:
    """The replay rule of one primitive. Subclasses override what applies."""

    #: the output is a view of input 0 (no code runs for it in a replay)
    view = False

    def is_view(self, step: Step) -> bool:
        """Whether this step's output is a view of its input 0."""
        return self.view

    def prepare(self, step: Step, tracer: Any) -> None:
        """Turn the values the op saved into static ``step.attrs`` (at capture)."""

    def view_of(self, step: Step, a: np.ndarray) -> np.ndarray:
        """For a view kernel: the output as a view of the input array ``a``."""
        raise NotImplementedError(f"{type(self).__name__} is not a view kernel")

    def view_code(self, step: Step, a: str) -> str:
        """For a view kernel: an expression for the view of the array named ``a``."""
        raise NotImplementedError(f"{type(self).__name__} is not a view kernel")

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        """Emit the code that writes the output into the array named ``o``."""
        raise NotImplementedError(f"{type(self).__name__} defines no forward")

    def needs(self, step: Step) -> set:
        """What backward reads: input positions and/or "out"."""
        return set()

    def donates(self, step: Step) -> int | None:
        """An input the forward would overwrite with what it keeps for the backward, if
        nothing else reads it; the planner sets ``step.attrs["donated"]`` when so."""
        return None

    def through(self, step: Step) -> dict[int, tuple]:
        """Inputs whose gradient is the output's, unchanged: k -> ("same",), or a view
        relation ("reshape", shape) / ("transpose", axes) from the output's gradient."""
        return {}

    def outer(self, step: Step) -> dict[int, int]:
        """Inputs k whose gradient is ``in[j]^T g`` (a matmul weight): k -> j."""
        return {}

    def rowsum(self, step: Step) -> set[int]:
        """Inputs k of shape (n,) broadcast over the rows of a 2-D output, whose
        gradient is ``g`` summed over its rows (a bias): deferred like ``outer``."""
        return set()

    def backward(
        self, em: Emitter, step: Step, g: str, ins: list[str], o: str, ts: list[Target | None]
    ) -> None:
        """Emit code adding each input's gradient contribution into its target."""
        raise NotImplementedError(f"{type(self).__name__} defines no backward")
