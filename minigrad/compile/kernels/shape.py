"""Replay rules of the shape primitives. Views (reshape, transpose, broadcast_to,
basic indexing) cost nothing in a replay: the planner computes them once, on the
planned buffers. ``stack`` and ``concatenate`` normally cost nothing either: the
planner lets each input's producer write straight into its place in the output."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ...ops.indexing import is_basic
from ..errors import Fallback
from ..trace import Step, Value
from .base import Emitter, Kernel, kernel

__all__: list[str] = []  # internal to minigrad.compile.kernels


@kernel("reshape")
class Reshape(Kernel):
    view = True

    def view_of(self, step: Step, a: np.ndarray) -> np.ndarray:
        v = a.view()
        v.shape = step.out.shape  # raises when the new shape needs a copy
        return v

    def view_code(self, step: Step, a: str) -> str:
        return f"{a}.reshape({step.out.shape})"

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        em.line(f"copyto({o}, {ins[0]}.reshape({step.out.shape}))")

    def through(self, step: Step) -> dict[int, tuple]:
        return {0: ("reshape", step.inputs[0].shape)}

    def backward(self, em, step, g, ins, o, ts) -> None:
        shape = step.inputs[0].shape
        em.give(ts[0], shape, step.out.dtype, None, f"{g}.reshape({shape})")


@kernel("transpose")
class Transpose(Kernel):
    view = True

    def prepare(self, step: Step, tracer: Any) -> None:
        inverse = tuple(int(i) for i in step.saved[0])
        step.attrs["inverse"] = inverse
        step.attrs["axes"] = tuple(int(i) for i in np.argsort(inverse))

    def view_of(self, step: Step, a: np.ndarray) -> np.ndarray:
        return a.transpose(step.attrs["axes"])

    def view_code(self, step: Step, a: str) -> str:
        return f"{a}.transpose({step.attrs['axes']})"

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        em.line(f"copyto({o}, {self.view_code(step, ins[0])})")

    def through(self, step: Step) -> dict[int, tuple]:
        return {0: ("transpose", step.attrs["inverse"])}

    def backward(self, em, step, g, ins, o, ts) -> None:
        inv = step.attrs["inverse"]
        em.give(ts[0], step.inputs[0].shape, step.out.dtype, None, f"{g}.transpose({inv})")


@kernel("broadcast_to")
class BroadcastTo(Kernel):
    view = True

    def view_of(self, step: Step, a: np.ndarray) -> np.ndarray:
        return np.broadcast_to(a, step.out.shape)

    def view_code(self, step: Step, a: str) -> str:
        return f"broadcast_to({a}, {step.out.shape})"

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        em.line(f"copyto({o}, {ins[0]})")

    def backward(self, em, step, g, ins, o, ts) -> None:
        em.give(ts[0], step.out.shape, step.out.dtype, None, g)


def _no_traced_mask(parts: Any) -> None:
    """A boolean index that is the array of a traced value (a mask passed as a Tensor)
    picks as many elements as it has True values: the shape of the result would be
    the capture's, so the function runs eagerly."""
    for p in parts:
        if isinstance(p, Value) and p.dtype.kind == "b":
            raise Fallback(
                "indexing with a boolean mask that changes between calls (a Tensor): the "
                "number of elements picked depends on its values"
            )


@kernel("getitem")
class Getitem(Kernel):
    """Basic indexing is a view; integer or boolean arrays gather. An index array that
    is the array of a traced value (an embedding's ids) is rebound at every call."""

    def prepare(self, step: Step, tracer: Any) -> None:
        idx, _shape, _dtype, unique = step.saved
        parts = idx if type(idx) is tuple else (idx,)
        step.attrs["parts"] = tuple(tracer.array_value(p) or p for p in parts)
        _no_traced_mask(step.attrs["parts"])
        step.attrs["tuple"] = type(idx) is tuple
        step.attrs["basic"] = is_basic(idx)
        step.attrs["unique"] = unique
        step.attrs["index"] = idx

    def is_view(self, step: Step) -> bool:
        return step.attrs["basic"]

    def view_of(self, step: Step, a: np.ndarray) -> np.ndarray:
        view = a[step.attrs["index"]]
        if type(view) is not np.ndarray:  # one element: NumPy returns a scalar copy
            index = step.attrs["index"]
            view = a[(*(index if type(index) is tuple else (index,)), Ellipsis)]
        return view

    def index_code(self, em: Emitter, step: Step) -> str:
        if step.attrs["basic"]:
            return em.const(step.attrs["index"], "i")
        parts = [em.ref(p) for p in step.attrs["parts"]]
        return f"({', '.join(parts)},)" if step.attrs["tuple"] else parts[0]

    def view_code(self, step: Step, a: str) -> str:
        return f"{a}[{step.attrs['index']!r}]"

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        em.line(f"copyto({o}, {ins[0]}[{self.index_code(em, step)}])")

    def backward(self, em, step, g, ins, o, ts) -> None:
        t = ts[0]
        if t is None or t.mode == "skip":
            return
        idx = self.index_code(em, step)
        if t.mode == "write":
            em.line(f"{t.name}.fill(0)")
        if step.attrs["unique"]:
            em.line(f"{t.name}[{idx}] += {g}")
        else:
            em.line(f"add.at({t.name}, {idx}, {g})")


class _Join(Kernel):
    """stack and concatenate: each input is one region of the output."""

    def region(self, step: Step, i: int) -> tuple:
        """The slice of the output that input ``i`` fills."""
        raise NotImplementedError(f"{type(self).__name__} defines no region")

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        placed = step.attrs.get("placed", set())
        for i, a in enumerate(ins):
            if i not in placed:
                em.line(f"copyto({o}[{em.const(self.region(step, i), 'i')}], {a})")

    def backward(self, em, step, g, ins, o, ts) -> None:
        for i, t in enumerate(ts):
            if t is not None:
                r = em.const(self.region(step, i), "i")
                em.give(t, step.inputs[i].shape, step.out.dtype, None, f"{g}[{r}]")


@kernel("stack")
class Stack(_Join):
    def prepare(self, step: Step, tracer: Any) -> None:
        step.attrs["lead"] = tuple(step.saved[0])

    def region(self, step: Step, i: int) -> tuple:
        # the trailing ``...`` keeps a 0-d part's region a view (NumPy would return a
        # scalar copy for an index of ints alone)
        return (*step.attrs["lead"], i, Ellipsis)


@kernel("concatenate")
class Concatenate(_Join):
    def prepare(self, step: Step, tracer: Any) -> None:
        ax = int(step.saved[0])
        ends = [0, *(int(e) for e in step.saved[1]), step.out.shape[ax]]
        step.attrs["regions"] = [
            (slice(None),) * ax + (slice(s, e),) for s, e in itertools.pairwise(ends)
        ]

    def region(self, step: Step, i: int) -> tuple:
        return step.attrs["regions"][i]


@kernel("scatter")
class Scatter(Kernel):
    """``scatter(values, indices, shape)``: zeros with each ``values[k]`` added at
    ``indices[k]`` (getitem's adjoint); the gradient of ``values[k]`` is g at
    ``indices[k]``. Index arrays that are arrays of traced values are rebound at each
    call, as getitem's."""

    def prepare(self, step: Step, tracer: Any) -> None:
        indices, uniques = step.saved
        parts: list = []
        pieces = []
        for idx, unique in zip(indices, uniques, strict=True):
            mine = idx if type(idx) is tuple else (idx,)
            start = len(parts)
            parts.extend(tracer.array_value(p) or p for p in mine)
            pieces.append((start, len(parts), type(idx) is tuple, is_basic(idx), idx, unique))
        _no_traced_mask(parts)
        step.attrs["parts"] = tuple(parts)  # flat: the planner finds traced ones here
        step.attrs["pieces"] = tuple(pieces)

    def index_code(self, em: Emitter, step: Step, k: int) -> str:
        start, stop, is_tuple, basic, idx, _ = step.attrs["pieces"][k]
        if basic:
            return em.const(idx, "i")
        refs = [em.ref(p) for p in step.attrs["parts"][start:stop]]
        return f"({', '.join(refs)},)" if is_tuple else refs[0]

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        em.line(f"{o}.fill(0)")
        for k, v in enumerate(ins):
            idx = self.index_code(em, step, k)
            if step.attrs["pieces"][k][5]:  # no position repeats
                em.line(f"{o}[{idx}] += {v}")
            else:
                em.line(f"add.at({o}, {idx}, {v})")

    def backward(self, em, step, g, ins, o, ts) -> None:
        for k, t in enumerate(ts):
            if t is not None:
                idx = self.index_code(em, step, k)
                em.give(t, step.inputs[k].shape, step.out.dtype, None, f"{g}[{idx}]")
