"""Forward-mode transforms: jvp, jacfwd, and the two built on them, hessian and hvp."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import forward, ops
from ..autograd import is_grad_enabled
from ..ops.core import record
from ..pytree import Spec, flatten, unflatten
from ..tensor import Tensor
from .arguments import Argnums, argnums_of, check_leaf, group, outputs, split_aux
from .reverse_mode import grad, jacrev

__all__ = ["hessian", "hvp", "jacfwd", "jvp"]


def _dual(x: Tensor, dx: np.ndarray) -> Tensor:
    """A tensor with ``x``'s value (and history) carrying tangent ``dx`` (B, *x.shape)."""
    t = ops.reshape(x, x.shape) if x.requires_grad and is_grad_enabled() else Tensor._wrap(x.data)
    forward.set_tangent(t, dx)
    if t._node is not None:
        forward.set_tangent(t._node, dx)
    return t


def _tangent_out(o: Tensor, batch: int) -> np.ndarray:
    """The tangent of output ``o`` (zeros if it does not depend on the inputs)."""
    dy = forward.tangent(o)
    if dy is None:
        return np.zeros((batch, *o.shape), o.dtype)
    return np.broadcast_to(dy, (batch, *o.shape))


def _tangent_result(value: np.ndarray, out: Tensor) -> Tensor:
    """A tangent of output ``out`` (or a block of its Jacobian) as a result tensor.

    Tangents are not recorded on the tape. When ``out`` is on it (the primals, or a
    tensor the function closes over, require grad), the tangent still depends on them
    (d(J v)/dx is a second derivative), so it is recorded as an op whose gradient
    refuses: a reverse pass through it would otherwise count nothing for it and return
    a wrong gradient (zero for ``jacrev(jacfwd(f))``) without a word.
    """
    if not out.requires_grad:
        return Tensor._wrap(value)
    return record("forward-mode tangent", value, (out,), _reverse_over_forward)


def _reverse_over_forward(g: np.ndarray) -> tuple:
    raise RuntimeError(
        "reverse mode over forward mode is not supported: a gradient reached a tangent or "
        "Jacobian made by jvp, jacfwd, hessian or hvp, and tangents are not recorded on the "
        "tape, so its derivative would be lost; put the forward transform outermost "
        "(jacfwd(jacrev(f)), jvp(grad(f))), or detach() the tangent to use it as a constant"
    )


def jvp(
    func: Callable, primals: Sequence[Any], tangents: Sequence[Any], *, has_aux: bool = False
) -> tuple:
    """``func(*primals)`` and its derivative along ``tangents``, ``J v``, in one
    forward pass (no tape: memory does not grow with the length of the computation).

    ``primals`` and ``tangents`` are tuples with one entry per argument, nested alike.
    Returns ``(output, jvp_out)`` (or ``(output, jvp_out, aux)``), ``jvp_out`` nested
    like the output.

    >>> import minigrad
    >>> from minigrad.func import jvp
    >>> x = minigrad.tensor([0.0, 1.0])
    >>> jvp(lambda x: x * x, (x,), (minigrad.tensor([1.0, 1.0]),))[1]
    tensor([0., 2.])
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples (one entry per argument)")
    p_leaves, p_spec = flatten(tuple(primals))
    t_leaves, t_spec = flatten(tuple(tangents))
    if p_spec != t_spec:
        raise ValueError(f"jvp: tangents are nested as {t_spec!r}, primals as {p_spec!r}")
    with forward.forward_pass():
        duals = []
        for k, (p, v) in enumerate(zip(p_leaves, t_leaves, strict=True)):
            check_leaf(p, "jvp", f"primal {k}")
            dv = np.asarray(v.data if isinstance(v, Tensor) else v)
            if dv.shape != p.shape:
                raise ValueError(f"jvp: tangent {k} has shape {dv.shape}, its primal {p.shape}")
            duals.append(_dual(p, dv.astype(p.dtype, copy=False)[None]))
        out, aux = split_aux(func(*unflatten(p_spec, duals)), has_aux, "jvp")
        outs, out_spec = outputs(out, "jvp")
        dys = [np.array(_tangent_out(o, 1)[0]) for o in outs]
    tans = [_tangent_result(dy, o) for dy, o in zip(dys, outs, strict=True)]
    result = (out, unflatten(out_spec, tans))
    return (*result, aux) if has_aux else result


def jacfwd(func: Callable, argnums: Argnums = 0, has_aux: bool = False) -> Callable:
    """The Jacobian of ``func`` by forward mode: one pass whose tangents are the n
    unit directions of the inputs in ``argnums`` at once (batched tangents).

    Same result layout as :func:`jacrev`: ``output.shape + argument.shape`` per output
    and argument.
    """

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        nums = argnums_of(argnums, len(args), "jacfwd")
        new_args = list(args)
        ins: list[Tensor] = []
        specs: list[Spec] = []
        with forward.forward_pass():
            leaves_per = []
            for i in nums:
                leaves, spec = flatten(args[i])
                leaves_per.append(
                    [
                        check_leaf(x, "jacfwd", f"argument {i} leaf {k}")
                        for k, x in enumerate(leaves)
                    ]
                )
                specs.append(spec)
            flat = [x for group in leaves_per for x in group]
            n = sum(x.size for x in flat)
            start = 0
            for x in flat:
                basis = np.zeros((n, x.size), x.dtype)
                basis[start : start + x.size] = np.eye(x.size, dtype=x.dtype)
                ins.append(_dual(x, basis.reshape((n, *x.shape))))
                start += x.size
            start = 0
            for i, spec in zip(nums, specs, strict=True):
                new_args[i] = unflatten(spec, ins[start : start + spec.size])
                start += spec.size
            out, aux = split_aux(func(*new_args), has_aux, "jacfwd")
            outs, out_spec = outputs(out, "jacfwd")
            dys = [_tangent_out(o, n) for o in outs]
        per_out = []
        for o, dy in zip(outs, dys, strict=True):
            jacs, start = [], 0
            for x in flat:
                block = dy[start : start + x.size].reshape(x.size, o.size)
                value = np.ascontiguousarray(block.T).reshape(o.shape + x.shape)
                jacs.append(_tangent_result(value, o))
                start += x.size
            per_out.append(group(jacs, specs, isinstance(argnums, int)))
        jac = unflatten(out_spec, per_out)
        return (jac, aux) if has_aux else jac

    return wrapper


def hessian(func: Callable, argnums: Argnums = 0) -> Callable:
    """The Hessian of a scalar-valued ``func``: ``jacfwd(jacrev(func))``, shape
    ``argument.shape + argument.shape`` (per pair of arguments for a tuple)."""
    return jacfwd(jacrev(func, argnums), argnums)


def hvp(
    func: Callable, primals: Sequence[Any], tangents: Sequence[Any], *, has_aux: bool = False
) -> tuple:
    """The gradient of a scalar-valued ``func`` at ``primals`` and its Hessian-vector
    product ``H v`` along ``tangents``, by forward-over-reverse (``jvp(grad(func))``):
    one forward pass carrying the tangent and one reverse pass whose ops carry it too.

    Returns ``(gradient, hvp_out)`` (or ``(gradient, hvp_out, aux)``), each a tuple
    with one entry per primal.
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        # A bare Tensor here would be unpacked row by row into func's arguments.
        raise TypeError("hvp: primals and tangents must be tuples (one entry per argument)")
    g = grad(func, argnums=tuple(range(len(primals))), has_aux=has_aux)
    return jvp(g, tuple(primals), tuple(tangents), has_aux=has_aux)
