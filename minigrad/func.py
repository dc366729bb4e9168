"""Function transforms: vjp, jvp, grad, jacrev, jacfwd, hessian, hvp (torch.func's names).

Each takes a Python function of tensors and returns derivatives of it, following
torch.func's conventions: ``argnums`` picks the positional arguments to differentiate
(an int gives that argument's derivative, a tuple gives a tuple), ``has_aux=True``
means the function returns ``(output, aux)`` and ``aux`` is passed through untouched,
and arguments and outputs may be tensors nested in tuples, lists and dicts.

For f: R^n -> R^m with Jacobian J (m x n) at x:

- ``vjp``: u -> J^T u, one reverse pass per cotangent u (on the tape);
- ``jvp``: v -> J v, one forward pass carrying the tangent v (no tape);
- ``jacrev``: J row by row, m reverse passes over one recorded forward;
- ``jacfwd``: J in one forward pass with n tangents at once (batched tangents);
- ``hessian``: ``jacfwd(jacrev(f))``;
- ``hvp``: H v by forward-over-reverse, ``jvp(grad(f))``: about the cost of a few
  gradients, never forming H.

Results are tensors. A result stays differentiable by an enclosing transform: inside
``jacfwd`` every op of a reverse pass carries tangents (so ``jacfwd(jacrev(f))`` is
the Hessian), and when an argument already requires grad the reverse pass records
itself (``create_graph``), so ``jacrev(jacrev(f))`` works too. Forward mode does not
nest (``jvp`` inside ``jvp``), and tangents are not recorded on the tape, so the
forward transform goes outermost.

Jacobians have shape ``output.shape + input.shape``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import forward, ops, tape
from .autograd import enable_grad, is_grad_enabled, no_grad
from .autograd import grad as _tape_grad
from .pytree import Spec, flatten, unflatten
from .tape import Node
from .tensor import Tensor

__all__ = ["grad", "grad_and_value", "hessian", "hvp", "jacfwd", "jacrev", "jvp", "vjp"]

Argnums = int | tuple[int, ...]


# ---------------------------------------------------------------------- arguments


def _argnums(argnums: Argnums, nargs: int, who: str) -> tuple[int, ...]:
    items = (argnums,) if isinstance(argnums, (int, np.integer)) else tuple(argnums)
    if not items:
        raise ValueError(f"{who}: argnums must name at least one argument")
    out = []
    for a in items:
        if not -nargs <= a < nargs:
            raise ValueError(f"{who}: argnums {a} is out of range for {nargs} positional arguments")
        out.append(int(a) % nargs)
    if len(set(out)) != len(out):
        raise ValueError(f"{who}: argnums {tuple(items)} repeats an argument")
    return tuple(out)


def _check_leaf(x: Any, who: str, what: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{who}: {what} is a {type(x).__name__}; expected a Tensor")
    if x.dtype.kind != "f":
        raise TypeError(f"{who}: {what} has dtype {x.dtype}; only floating-point tensors")
    return x


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


def _split_aux(out: Any, has_aux: bool, who: str) -> tuple[Any, Any]:
    if not has_aux:
        return out, None
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError(f"{who}: with has_aux=True the function must return (output, aux)")
    return out[0], out[1]


def _outputs(out: Any, who: str) -> tuple[list[Tensor], Spec]:
    leaves, spec = flatten(out)
    for k, o in enumerate(leaves):
        if not isinstance(o, Tensor):
            raise TypeError(
                f"{who}: output {k} is a {type(o).__name__}; the function must "
                "return Tensors (nested in tuples, lists or dicts)"
            )
    return leaves, spec


def _zeros(t: Tensor) -> Tensor:
    return Tensor._wrap(np.zeros(t.shape, t.dtype))


# ------------------------------------------------------------------------ reverse


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
            return [_zeros(t) for t in self.ins]
        if not self.graph:
            grads = _tape_grad(roots, self.ins, seeds, retain_graph=True, allow_unused=True)
            return [
                _zeros(t) if g is None else Tensor._wrap(g)
                for g, t in zip(grads, self.ins, strict=True)
            ]
        with enable_grad() if self.record else no_grad():
            grads = _tape_grad(
                roots, self.ins, seeds, retain_graph=True, create_graph=True, allow_unused=True
            )
        return [_zeros(t) if g is None else g for g, t in zip(grads, self.ins, strict=True)]


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
                _track(_check_leaf(x, who, f"argument {i} leaf {k}"), outside)
                for k, x in enumerate(leaves)
            ]
            ins.extend(tracked)
            specs.append(spec)
            new_args[i] = unflatten(spec, tracked)
        out, aux = _split_aux(func(*new_args), has_aux, who)
    outs, _ = _outputs(out, who)
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


def _group(flat: list[Any], specs: list[Spec], single: bool) -> Any:
    """Regroup a flat list of per-leaf results into the arguments' structures."""
    out, start = [], 0
    for spec in specs:
        out.append(unflatten(spec, flat[start : start + spec.size]))
        start += spec.size
    return out[0] if single else tuple(out)


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
        return _group(pull(cots), specs, single=False)

    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def grad_and_value(func: Callable, argnums: Argnums = 0, has_aux: bool = False) -> Callable:
    """A function returning ``(gradient, value)`` of a scalar-valued ``func``
    (``(gradient, (value, aux))`` with ``has_aux``); the gradient is nested like the
    argument(s) ``argnums``."""

    @functools.wraps(func)
    def wrapper(*args: Any) -> tuple:
        nums = _argnums(argnums, len(args), "grad")
        out, aux, pull, specs = _record_call(func, args, nums, has_aux, "grad")
        if not isinstance(out, Tensor) or out.size != 1:
            shape = out.shape if isinstance(out, Tensor) else type(out).__name__
            raise ValueError(f"grad: the function must return a one-element Tensor, got {shape}")
        grads = _group(pull([np.ones(out.shape, out.dtype)]), specs, isinstance(argnums, int))
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
        nums = _argnums(argnums, len(args), "jacrev")
        out, aux, pull, specs = _record_call(func, args, nums, has_aux, "jacrev")
        outs, out_spec = _outputs(out, "jacrev")
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
            per_out.append(_group(jacs, specs, isinstance(argnums, int)))
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


# ------------------------------------------------------------------------ forward


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
            _check_leaf(p, "jvp", f"primal {k}")
            dv = np.asarray(v.data if isinstance(v, Tensor) else v)
            if dv.shape != p.shape:
                raise ValueError(f"jvp: tangent {k} has shape {dv.shape}, its primal {p.shape}")
            duals.append(_dual(p, dv.astype(p.dtype, copy=False)[None]))
        out, aux = _split_aux(func(*unflatten(p_spec, duals)), has_aux, "jvp")
        outs, out_spec = _outputs(out, "jvp")
        tans = [Tensor._wrap(np.array(_tangent_out(o, 1)[0])) for o in outs]
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
        nums = _argnums(argnums, len(args), "jacfwd")
        new_args = list(args)
        ins: list[Tensor] = []
        specs: list[Spec] = []
        with forward.forward_pass():
            leaves_per = []
            for i in nums:
                leaves, spec = flatten(args[i])
                leaves_per.append(
                    [
                        _check_leaf(x, "jacfwd", f"argument {i} leaf {k}")
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
            out, aux = _split_aux(func(*new_args), has_aux, "jacfwd")
            outs, out_spec = _outputs(out, "jacfwd")
            per_out = []
            for o in outs:
                dy = _tangent_out(o, n)
                jacs, start = [], 0
                for x in flat:
                    block = dy[start : start + x.size].reshape(x.size, o.size)
                    jacs.append(
                        Tensor._wrap(np.ascontiguousarray(block.T).reshape(o.shape + x.shape))
                    )
                    start += x.size
                per_out.append(_group(jacs, specs, isinstance(argnums, int)))
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
    g = grad(func, argnums=tuple(range(len(primals))), has_aux=has_aux)
    return jvp(g, tuple(primals), tuple(tangents), has_aux=has_aux)
