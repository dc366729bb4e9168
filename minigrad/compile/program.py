"""A planned program and how it runs: bind the call's arrays, run the generated
forward, hand back output tensors whose ``backward()`` runs the generated backward.

The outputs are fresh arrays (the next call reuses every planned buffer); so is a
tensor the function made from no input and returned, as eagerly (an outside tensor
returned is that tensor). The output tensor's tape entry is one Node whose parents are
the parameters and inputs that need gradients: the engine calls its vjp like any
other, so gradients *accumulate* into ``.grad`` exactly as in eager mode (the engine
copies them into arrays the user owns), hooks on parameters run (on copies, which the
next call does not overwrite), and gradients flow on into any eager graph the inputs
came from.

A gradient that must itself be differentiable (``create_graph=True``, ``minigrad.func``
over a compiled call) cannot come from the planned NumPy backward, which records
nothing: that walk runs the function eagerly again on the call's arguments and
differentiates its recorded graph instead (the same values, up to float rounding).
"""

from __future__ import annotations

import functools
import zlib
from typing import Any

import numpy as np

from .. import tape
from ..autograd import enable_grad, grad
from ..differentiable import register
from ..tape import Node, new_node
from ..tensor import Tensor
from ..versions import root_of, written_after
from .aliases import Aliases
from .codegen import Code, generate
from .gradplan import GradPlan, plan_grads
from .key import flatten
from .memory import allocate
from .plan import attr_values, plan_forward
from .trace import Trace, Value

__all__ = ["Program", "Stale", "flatten_outputs"]


def _output_plan(v: Value | None, where: dict, slots: dict, outside: Any) -> tuple:
    if v is None:
        return ("none", None, False)
    if v.kind == "input":
        return ("input", where[v], False)
    if v.kind == "const" and id(v.source) not in outside:
        # a tensor made inside the function (``zeros``): eagerly, a new one at each call
        return ("fresh", v.source, False)
    if v.kind != "op":
        return ("source", v.source, False)
    return ("op", f"v{v.index}", v in slots)


class Stale(Exception):
    """A bound parameter or constant changed shape or dtype: capture again."""


class Program:
    """One captured and planned call of a function, replayable on new inputs."""

    def __init__(self, trace: Trace, fn: Any) -> None:
        self.fn = fn
        self.generation = 0
        # positions of the tensor arguments whose values the capture read (their
        # values are part of the key: ``guards.static_value``)
        self.statics: tuple[int, ...] = ()
        self.aliases: Aliases | None = None  # outputs that alias one another (``alias``)
        arena, code = self._plan(trace)
        # The trace and the plans go before the lines are rolled and compiled, and
        # before the buffers take memory (see arena.py): planning a long sequence
        # holds them all at once, and each step of building adds to what is held.
        trace.release()
        self.env, source = code.build()
        self._source = zlib.compress(source.encode())
        arena.materialize(self.env, self._grads)

    def _plan(self, trace: Trace) -> tuple[Any, Code]:
        """Plan the program on a phantom arena and generate its lines; returns the
        arena and the code."""
        fp = plan_forward(trace)
        gp: GradPlan | None = plan_grads(fp) if trace.grad_enabled else None
        store = allocate(fp, gp)
        code = generate(fp, gp, store)
        self.nbytes = store.nbytes
        self.ops = sorted({s.op for s in fp.live})
        self.differentiable = gp is not None
        self._rerun = store.reuses_forward  # a repeated backward recomputes the forward
        self._backward_of = -1  # the generation whose backward ran last
        live = {v for s in fp.live for v in (s.out, *s.inputs, *attr_values(s))}
        live |= set(fp.outputs)
        self._inputs = [(i, f"v{v.index}") for i, v in enumerate(trace.inputs) if v in live]
        self._bound = [
            (v.source, f"v{v.index}", v.shape, v.dtype)
            for v in trace.values
            if v.kind in ("param", "const") and v in live
        ]
        where = {v: i for i, v in enumerate(trace.inputs)}
        slots = gp.slots if gp is not None else {}
        # Per output: ("none"|"input"|"source"|"fresh"|"op", payload, taped)
        self._outs = [_output_plan(v, where, slots, trace.outside) for v in trace.outputs]
        self._taped = sum(taped for *_, taped in self._outs)  # outputs with a backward
        leaves = [v for v in slots if v.kind in ("param", "input")]
        self._parents = [
            ("input", where[v]) if v.kind == "input" else ("source", v.source) for v in leaves
        ]
        self._grads = [store.grads[slots[v]] for v in leaves]
        self._seeds = [
            [k for k, o in enumerate(trace.outputs) if o is v]
            for v in (gp.seeds if gp is not None else [])
        ]
        self._zeros = [np.zeros(v.shape, v.dtype) for v in (gp.seeds if gp is not None else [])]
        # Nothing else of the trace is kept: the program is the arrays and the code.
        return store.arena, code

    def alias(self, leaves: list[Any]) -> None:
        """Note which of the capture's returned tensors ``leaves`` are one tensor or
        share memory, for every replay to return them so (see ``aliases``)."""
        fresh = {j for j, (kind, *_) in enumerate(self._outs) if kind in ("op", "fresh")}
        aliases = Aliases(leaves, fresh)
        self.aliases = aliases if aliases else None

    @property
    def source(self) -> str:
        """The generated program (Python source of ``forward`` and ``backward``)."""
        return zlib.decompress(self._source).decode()

    # ----------------------------------------------------------------- running
    def run(self, tensors: list[Tensor], args: tuple, kwargs: dict) -> list[Any]:
        """Replay on ``tensors`` (the call's tensor arguments, in key order)."""
        env = self.env
        # First: a call that fails part way (an index out of range, a tensor gone stale)
        # has rebound or overwritten what the previous call's backward reads.
        self.generation += 1
        for i, name in self._inputs:
            env[name] = tensors[i].data
        for t, name, shape, dtype in self._bound:
            d = t.data
            if d.shape != shape or d.dtype != dtype:
                raise Stale(f"a tensor changed from {shape} {dtype} to {d.shape} {d.dtype}")
            env[name] = d
        env["forward"]()
        env["derived"] = False  # backward computes activation derivatives anew
        self._epoch = tape.inplace_epoch()
        return self._outputs(tensors, args, kwargs)

    def _outputs(self, tensors: list[Tensor], args: tuple, kwargs: dict) -> list[Any]:
        parents = None
        outs: list[Any] = []
        aliases = self.aliases
        blocks = aliases.blocks() if aliases is not None else []
        for j, (kind, payload, taped) in enumerate(self._outs):
            if aliases is not None and j in aliases.same:
                outs.append(outs[aliases.same[j]])
            elif kind == "none":
                outs.append(None)
            elif kind == "input":
                outs.append(tensors[payload])
            elif kind == "source":
                outs.append(payload)
            elif kind == "fresh":
                outs.append(Tensor._wrap(self._fresh(j, payload.data, blocks)))
            elif not taped:
                outs.append(Tensor._wrap(self._fresh(j, self.env[payload], blocks)))
            else:
                data = self._fresh(j, self.env[payload], blocks)
                if parents is None:
                    parents = tuple(self._parent(p, tensors) for p in self._parents)
                redo = (args, kwargs)
                saved = (j, self.generation, redo, self, parents)
                node = new_node("compiled", parents, self._vjp, data.shape, saved)
                # The graph renderer draws what eager mode records: unrolled() re-runs it.
                node.unrolled = functools.partial(self.unrolled, j, (args, kwargs))
                outs.append(Tensor._wrap(data, node))
        return outs

    def _fresh(self, j: int, value: np.ndarray, blocks: list[np.ndarray]) -> np.ndarray:
        """Output ``j``'s array for the caller: a copy of ``value``, in its place among
        the outputs it aliases eagerly if any."""
        if blocks and j in self.aliases.views:
            return self.aliases.place(j, value, blocks)
        return np.array(value, copy=True)

    @staticmethod
    def _parent(p: tuple, tensors: list[Tensor]) -> Any:
        t = tensors[p[1]] if p[0] == "input" else p[1]
        return t._node or t

    def _vjp(
        self, g: np.ndarray, j: int, generation: int, redo: tuple, program: Any, parents: tuple
    ) -> list[np.ndarray]:
        if generation != self.generation:
            raise RuntimeError(
                "backward of a compiled call after a later call of the same compiled "
                "function: the later call reused the buffers this backward needs. Call "
                ".backward() before calling the compiled function again"
            )
        env = self.env
        rerun = self._backward_of == generation and self._rerun
        if tape.inplace_epoch() != self._epoch:
            self._check_unwritten(rerun)
        if rerun:
            # A second backward of this call (retain_graph, or another output of it in
            # the same pass): the first reused storage of forward values it reads.
            env["forward"]()
            env["derived"] = False
        self._backward_of = generation
        for i, out in enumerate(self._seeds):
            env[f"seed{i}"] = g if j in out else self._zeros[i]
        env["backward"]()
        grads = self._grads
        # Several outputs may each run the backward in one engine pass: hand out copies.
        if self._taped > 1:
            return [a.copy() for a in grads]
        # The next call overwrites these buffers: a gradient that a hook may see (and
        # keep, as eagerly it may) is a copy: a leaf's with hooks, and any an eager
        # graph carries on (its vjps may pass the array itself on to a hook).
        for p in parents:
            if type(p) is Node or p._hooks:
                return [
                    a.copy() if type(p) is Node or p._hooks else a
                    for a, p in zip(grads, parents, strict=True)
                ]
        return grads

    def _check_unwritten(self, rerun: bool) -> None:
        """Refuse a backward that would read an input's or a parameter's memory that
        was modified in place since the call (eager mode refuses the same way, where an
        op saved the tensor): the gradients would mix old and new values. Memory the
        backward does not read (a weight copied by the forward) may change freely; a
        backward that reruns the forward reads all of it."""
        env = self.env
        names = [n for _, n in self._inputs] + [n for _, n, _, _ in self._bound]
        written = {id(root_of(env[n])): n for n in names if written_after(env[n], self._epoch)}
        if not written:
            return
        reads = env["backward"].__code__.co_names
        arrays = [env[n] for n in reads if type(env.get(n)) is np.ndarray]
        if rerun or any(id(root_of(a)) in written for a in arrays):
            shapes = sorted({env[n].shape for n in written.values()})
            raise RuntimeError(
                f"backward of a compiled call: a tensor it reads (shape "
                f"{', '.join(map(str, shapes))}) was modified in place after the call; "
                "compute with a copy instead of modifying it in place, or call .backward() "
                "before modifying it"
            )

    def tensor_vjp(self, g: Tensor, j: int, redo: tuple) -> tuple[Any, ...]:
        """The gradients of output ``j`` for the parents as tensors with history: the
        function run eagerly again on the call's arguments, its graph differentiated
        with ``create_graph=True``."""
        if tape.inplace_epoch() != self._epoch:
            self._check_unwritten(True)  # the run reads every input and parameter
        args, kwargs = redo
        tensors, _ = flatten(args, kwargs)
        with enable_grad():
            out = flatten_outputs(self.fn(*args, **kwargs))[j]
        parents = [tensors[p[1]] if p[0] == "input" else p[1] for p in self._parents]
        return grad(out, parents, grad_outputs=g, create_graph=True, allow_unused=True)

    # --------------------------------------------------------------- drawing
    def unrolled(self, j: int, redo: tuple) -> Node | None:
        """The eager graph behind output ``j``: run the function eagerly again."""
        args, kwargs = redo
        out = flatten_outputs(self.fn(*args, **kwargs))
        t = out[j]
        return t._node if isinstance(t, Tensor) else None


def flatten_outputs(result: Any, structure: bool = False) -> Any:
    """The leaves of a returned structure (tuples, lists, dicts), and a function that
    puts new leaves back in their places."""
    leaves: list[Any] = []

    def walk(x: Any) -> Any:
        if isinstance(x, (tuple, list)):
            return (type(x), [walk(v) for v in x])
        if isinstance(x, dict):
            return (dict, {k: walk(v) for k, v in x.items()})
        leaves.append(x)
        return len(leaves) - 1

    shape = walk(result)
    if not structure:
        return leaves

    def build(new: list[Any], s: Any = shape) -> Any:
        if isinstance(s, int):
            return new[s]
        kind, parts = s
        if kind is dict:
            return {k: build(new, v) for k, v in parts.items()}
        items = [build(new, v) for v in parts]
        return kind(*items) if hasattr(kind, "_fields") else kind(items)

    return leaves, build


def _compiled_tensor_vjp(
    g: Tensor, j: int, generation: int, redo: tuple, program: Program, parents: tuple
) -> tuple[Any, ...]:
    return program.tensor_vjp(g, j, redo)


register("compiled", _compiled_tensor_vjp, ())
