"""Reverse-mode transforms: vjp, grad, grad_and_value, jacrev."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import forward, ops, tape
from ..autograd import enable_grad, is_grad_enabled, no_grad
from ..autograd import grad as _tape_grad
from ..pytree import Spec, flatten, unflatten
from ..tape import Node
from ..tensor import Tensor
from .arguments import Argnums, argnums_of, check_leaf, group, outputs, split_aux, zeros

__all__ = ["grad", "grad_and_value", "jacrev", "vjp"]


def _track(x: Tensor, outer: bool) -> Tensor:
    """A fresh handle on ``x`` for this transform to differentiate with respect to.

    When ``x`` is part of an enclosing recorded computation (``outer``), the handle is
    a recorded identity (so results stay connected to it, and gradients count only the
    uses through this handle); otherwise a new leaf sharing the data. Either way it
    keeps ``x``'s tangent in the current forward pass.
    """
    if outer and x.requires_grad:
        return ops.reshape(x, x.shape)
    t = Tensor._wrap(x.data)
    t._requires_grad = True
    dx = forward.tangent(x)
    if dx is not None:
        forward.set_tangent(t, dx)
    return t


class _Pullback:
    """The reverse half of a recorded call: maps cotangents of the outputs to
    gradients for the tracked inputs (zeros where an input was not used).

    The reverse pass runs on arrays (the fast first-order path) unless its result must
    stay differentiable: inside a forward-mode pass its ops carry tangents, and when an
    input belongs to an enclosing recorded computation it records itself.
    """

    def __init__(self, outs: list[Tensor], ins: list[Tensor], outer: bool) -> None:
        self.outs = outs
        self.ins = ins
        self.record = outer
        self.graph = outer or forward.is_active()

    def __call__(self, cotangents: Sequence[Any]) -> list[Tensor]:
        roots, seeds = [], []
        for o, c in zip(self.outs, cotangents, strict=True):
            if c is not None and o.requires_grad:
                roots.append(o)
                seeds.append(c)
        if not roots:
            return [zeros(t) for t in self.ins]
        if not self.graph:
            grads = _tape_grad(roots, self.ins, seeds, retain_graph=True, allow_unused=True)
            return [
                zeros(t) if g is None else Tensor._wrap(g)
                for g, t in zip(grads, self.ins, strict=True)
            ]
        with enable_grad() if self.record else no_grad():
            grads = _tape_grad(
                roots, self.ins, seeds, retain_graph=True, create_graph=True, allow_unused=True
            )
        return [zeros(t) if g is None else g for g, t in zip(grads, self.ins, strict=True)]


def _record_call(
    func: Callable, args: tuple, nums: tuple[int, ...], has_aux: bool, who: str
) -> tuple[Any, Any, _Pullback, list[Spec]]:
    """Run ``func`` with tracked handles for the arguments in ``nums``.

    Returns the output, aux, the pullback and each differentiated argument's spec.
    The pullback records itself when the output depends on anything that requires
    grad outside this call (an argument or a tensor ``func`` closes over), so the
    result stays differentiable by an enclosing transform or backward.
    """
    outside = is_grad_enabled()
    start = tape.sequence_mark()
    new_args = list(args)
    ins: list[Tensor] = []
    specs: list[Spec] = []
    with enable_grad():
        for i in nums:
            leaves, spec = flatten(args[i])
            tracked = [
                _track(check_leaf(x, who, f"argument {i} leaf {k}"), outside)
                for k, x in enumerate(leaves)
            ]
            ins.extend(tracked)
            specs.append(spec)
            new_args[i] = unflatten(spec, tracked)
        out, aux = split_aux(func(*new_args), has_aux, who)
    outs, _ = outputs(out, who)
    record = outside and _reaches_outside(outs, {id(t) for t in ins}, start)
    return out, aux, _Pullback(outs, ins, record), specs


def _reaches_outside(outs: list[Tensor], tracked: set[int], start: int) -> bool:
    """Whether the outputs' history reaches a node recorded before ``start`` or a leaf
    that requires grad other than the ``tracked`` ones (iterative walk)."""
    stack = [o._node for o in outs if o._node is not None]
    seen = set(stack)
    while stack:
        node = stack.pop()
        if node.seq < start:
            return True
        for p in node.parents:
            if type(p) is Node:
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
            elif p._requires_grad and id(p) not in tracked:
                return True
    return False


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """``func(*primals)`` and a function mapping output cotangents to input gradients.

    Returns ``(output, vjp_fn)`` (or ``(output, vjp_fn, aux)``); ``vjp_fn(cotangents)``
    takes cotangents shaped like the output (same nesting) and returns a tuple with one
    gradient ``J^T u`` per primal, each nested like that primal. It may be called many
    times.

    >>> import numpy as np, minigrad
    >>> from minigrad.func import vjp
    >>> x = minigrad.tensor([1.0, 2.0])
    >>> y, pull = vjp(lambda x: x * x, x)
    >>> pull(minigrad.tensor([1.0, 1.0]))[0]
    tensor([2., 4.])
    """
    nums = tuple(range(len(primals)))
    out, aux, pull, specs = _record_call(func, primals, nums, has_aux, "vjp")
    out_spec = flatten(out)[1]

    def vjp_fn(cotangents: Any) -> tuple:
        cots, spec = flatten(cotangents)
        if spec != out_spec:
            raise ValueError(f"vjp: cotangents are nested as {spec!r}, the output as {out_spec!r}")
        for k, (c, o) in enumerate(zip(cots, pull.outs, strict=True)):
            if tuple(np.shape(c)) != o.shape:
                raise ValueError(f"vjp: cotangent {k} has shape {np.shape(c)}, output {o.shape}")
        return group(pull(cots), specs, single=False)

    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def grad_and_value(func: Callable, argnums: Argnums = 0, has_aux: bool = False) -> Callable:
    """A function returning ``(gradient, value)`` of a scalar-valued ``func``
    (``(gradient, (value, aux))`` with ``has_aux``); the gradient is nested like the
    argument(s) ``argnums``."""

    @functools.wraps(func)
    def wrapper(*args: Any) -> tuple:
        nums = argnums_of(argnums, len(args), "grad")
        out, aux, pull, specs = _record_call(func, args, nums, has_aux, "grad")
        if not isinstance(out, Tensor) or out.size != 1:
            shape = out.shape if isinstance(out, Tensor) else type(out).__name__
            raise ValueError(f"grad: the function must return a one-element Tensor, got {shape}")
        grads = group(pull([np.ones(out.shape, out.dtype)]), specs, isinstance(argnums, int))
        return grads, ((out, aux) if has_aux else out)

    return wrapper


def grad(func: Callable, argnums: Argnums = 0, has_aux: bool = False) -> Callable:
    """The gradient of a scalar-valued ``func`` as a function (``(gradient, aux)``
    with ``has_aux``).

    >>> import minigrad
    >>> from minigrad.func import grad
    >>> grad(lambda x: (x * x * x).sum())(minigrad.tensor([1.0, 2.0]))
    tensor([ 3., 12.])
    """
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        grads, value = gv(*args)
        return (grads, value[1]) if has_aux else grads

    return wrapper


def jacrev(func: Callable, argnums: Argnums = 0, *, has_aux: bool = False) -> Callable:
    """The Jacobian of ``func`` by reverse mode, one reverse pass per output element.

    The returned function gives, per output (nested like the output) and per argument
    in ``argnums`` (a tuple if ``argnums`` is), a tensor of shape
    ``output.shape + argument.shape``; with ``has_aux``, ``(jacobian, aux)``.
    """

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        nums = argnums_of(argnums, len(args), "jacrev")
        out, aux, pull, specs = _record_call(func, args, nums, has_aux, "jacrev")
        outs, out_spec = outputs(out, "jacrev")
        per_out = []
        for j, o in enumerate(outs):
            rows: list[list[Any]] = [[] for _ in pull.ins]
            for i in range(o.size):
                seed = np.zeros(o.size, o.dtype)
                seed[i] = 1
                cots = [seed.reshape(o.shape) if k == j else None for k in range(len(outs))]
                for r, g in zip(rows, pull(cots), strict=True):
                    r.append(g)
            jacs = [_stack_rows(r, o, x) for r, x in zip(rows, pull.ins, strict=True)]
            per_out.append(group(jacs, specs, isinstance(argnums, int)))
        jac = unflatten(out_spec, per_out)
        return (jac, aux) if has_aux else jac

    return wrapper


def _stack_rows(rows: list[Tensor], out: Tensor, x: Tensor) -> Tensor:
    """Rows d out_i / d x (each shaped like x) as one (*out.shape, *x.shape) tensor."""
    if not rows:
        return Tensor._wrap(np.zeros(out.shape + x.shape, x.dtype))
    if all(not r.requires_grad and forward.tangent(r) is None for r in rows):
        return Tensor._wrap(np.stack([r.data for r in rows]).reshape(out.shape + x.shape))
    return ops.reshape(ops.stack(rows), out.shape + x.shape)
