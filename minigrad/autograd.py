"""What users call to differentiate: ``backward`` and ``grad``, side by side.

:func:`backward` (what ``Tensor.backward`` runs) accumulates into ``.grad``;
:func:`grad` returns the gradients instead. Both check their arguments, build the
seed gradients and hand them to one of two walks over the tape: the backward engine
on arrays (:mod:`minigrad.engine`: reverse creation order, each node's vjp run once),
or, with ``create_graph=True``, the walk on tensors (:mod:`minigrad.differentiable`),
whose result can be differentiated again. Ops record on the tape (:mod:`minigrad.tape`:
nodes, scopes) while grad mode is on (:mod:`minigrad.modes`), whose names are re-exported here, and
:mod:`minigrad.versions` refuses a vjp whose saved values were changed in place.
Like the engine, this module knows tensors only through :class:`~minigrad.tape.Leaf`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

import numpy as np

from . import differentiable, forward, tape
from .engine import collect, run_backward, run_hooks
from .modes import enable_grad, is_grad_enabled, no_grad
from .tape import (
    Leaf,
    Node,
    bump_inplace_epoch,  # noqa: F401  (re-exported for the optimizers)
    current_scope,
    gc_paused,  # noqa: F401  (re-exported for the layers)
    scope,
)
from .versions import check_versions

__all__ = [
    "Leaf",
    "Node",
    "backward",
    "current_scope",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "scope",
]


def root_grad(t: Leaf, grad: Any, who: str) -> np.ndarray:
    """The seed gradient for ``t``: 1 for a one-element tensor, else ``grad``."""
    data = t.data
    if grad is None:
        if data.size != 1:
            raise RuntimeError(
                f"{who}: output has shape {data.shape}; backward needs a scalar "
                "(one-element) output or an explicit grad of that shape"
            )
        if not data.ndim:
            # a loss: a 0-d 1, without np.ones's Python-level fill
            return np.array(1, data.dtype)
        return np.ones(data.shape, dtype=data.dtype)
    g = np.asarray(grad.data if _is_tensor(grad) else grad)
    if g.shape != data.shape:
        raise ValueError(f"{who}: grad has shape {g.shape} but the output has shape {data.shape}")
    if g.dtype != data.dtype:
        g = g.astype(data.dtype)
    return g


def backward(
    t: Leaf, grad: Any = None, retain_graph: bool | None = None, create_graph: bool = False
) -> None:
    """``t.backward(grad, retain_graph, create_graph)``: accumulate d(t)/d(leaf) into
    ``.grad`` of every leaf that requires grad (see :meth:`minigrad.Tensor.backward`)."""
    if not t._requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no recorded history"
        )
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph:
        seed = _tensor_seed(t, grad, "backward")
        if t._node is None:
            t.grad = seed if t.grad is None else seed + t.grad
        else:
            _tensor_backward(t, [t._node], [seed], retain_graph, None)
        return
    if forward._level:
        _refuse_in_forward_mode("backward")
    g = root_grad(t, grad, "backward")
    if t._node is None:
        g = run_hooks(t._hooks, g, t.data.shape, t.data.dtype)
        t.grad = g.copy() if t.grad is None else np.asarray(t.grad + g)
        return
    run_backward([t._node], [g], retain_graph)


def _refuse_in_forward_mode(who: str) -> NoReturn:
    raise RuntimeError(
        f"{who} inside a forward-mode pass (jvp, jacfwd, hvp) would drop the tangents; "
        "pass create_graph=True so the gradients are computed with ops that carry them"
    )


def _tensor_seed(t: Leaf, grad: Any, who: str) -> Any:
    """The seed of a create_graph walk: a tensor ``grad`` as it is (its own history
    counts), else :func:`root_grad`'s array as a constant tensor."""
    if _is_tensor(grad):
        if grad.data.shape != t.data.shape:
            raise ValueError(
                f"{who}: grad has shape {grad.data.shape} but the output has shape {t.data.shape}"
            )
        return grad
    return type(t)._wrap(root_grad(t, grad, who))


def _tensor_backward(
    like: Leaf, roots: list[Node], seeds: list, retain_graph: bool, capture: dict | None
) -> dict[int, Any]:
    """The create_graph walk (:mod:`minigrad.differentiable`) over the nodes reachable
    from ``roots``; tensors are made with ``like``'s class."""
    cls = type(like)

    def wrap(a: Any, node: Node | None) -> Any:
        return cls._wrap(np.asarray(a), node)

    nodes = collect(roots, parts=False)
    epoch = tape.inplace_epoch()
    stale = any(n.epoch != epoch for n in nodes)
    check = check_versions if stale else _no_check
    return differentiable.propagate(nodes, roots, seeds, retain_graph, capture, wrap, check)


def _tensor_grads(
    like: Leaf, roots: list, seeds: list, retain_graph: bool, keys: dict[int, Any]
) -> dict[int, Any]:
    """:func:`grad`'s create_graph walk from the roots that are nodes; a root that is a
    leaf (an output that is also an input) adds its seed to its own gradient."""
    pairs = [(r, s) for r, s in zip(roots, seeds, strict=True) if type(r) is Node]
    captured: dict[int, Any] = {}
    if pairs:
        nodes, node_seeds = [r for r, _ in pairs], [s for _, s in pairs]
        captured = _tensor_backward(like, nodes, node_seeds, retain_graph, keys)
    for r, s in zip(roots, seeds, strict=True):
        if type(r) is not Node and id(r) in keys:
            old = captured.get(id(r))
            captured[id(r)] = s if old is None else old + s
    return captured


def _no_check(node: Node) -> None:
    return None


def _is_tensor(x: Any) -> bool:
    """Whether ``x`` is a tensor (has the :class:`Leaf` attributes) rather than an array,
    a number or a sequence of tensors."""
    return hasattr(x, "_node") and hasattr(x, "_requires_grad")


def _listed(x: Any) -> list:
    """One tensor as a one-item list; a sequence of tensors as a list."""
    return [x] if _is_tensor(x) else list(x)


def _cotangents(outs: list, grad_outputs: Any) -> list:
    """One cotangent (or None, meaning 1 for a one-element output) per output."""
    if grad_outputs is None:
        return [None] * len(outs)
    if _is_tensor(grad_outputs) or isinstance(grad_outputs, np.ndarray):
        if len(outs) != 1:
            raise ValueError("grad: give one grad_output per output")
        return [grad_outputs]
    gouts = list(grad_outputs)
    if len(gouts) != len(outs):
        raise ValueError(f"grad: {len(outs)} outputs but {len(gouts)} grad_outputs")
    return gouts


def grad(
    outputs: Leaf | Sequence[Leaf],
    inputs: Leaf | Sequence[Leaf],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    allow_unused: bool = False,
    create_graph: bool = False,
) -> tuple[Any, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned as arrays, or with
    ``create_graph=True`` as tensors with history (differentiable again).

    Unlike :meth:`Tensor.backward`, nothing is accumulated into ``.grad``. With
    several outputs, ``grad_outputs`` gives one cotangent per output (None for a
    scalar output means 1). An output may be an input itself: ``grad(x, [x])`` is 1
    and ``grad([x * 3, x], [x])`` is 4, as PyTorch. An input the outputs do not depend
    on raises unless ``allow_unused=True``, in which case its entry is None.
    ``retain_graph`` defaults to ``create_graph``.
    """
    outs, ins = _listed(outputs), _listed(inputs)
    gouts = _cotangents(outs, grad_outputs)
    for k, t in enumerate(ins):
        if not _is_tensor(t) or not t._requires_grad:
            raise ValueError(f"grad: input {k} does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    if forward._level and not create_graph:
        _refuse_in_forward_mode("grad")
    if tape.capture_guard is not None:
        tape.capture_guard("minigrad.grad")
    roots, root_grads = [], []
    for o, go in zip(outs, gouts, strict=True):
        if not o._requires_grad:
            raise RuntimeError("grad: an output does not require grad (it has no recorded history)")
        roots.append(o if o._node is None else o._node)
        root_grads.append(_tensor_seed(o, go, "grad") if create_graph else root_grad(o, go, "grad"))
    keys = {id(t._node if t._node is not None else t): t for t in ins}
    if create_graph:
        captured = _tensor_grads(outs[0], roots, root_grads, retain_graph, keys)
    else:
        captured = run_backward(roots, root_grads, retain_graph, capture=keys)
    result = []
    for k, t in enumerate(ins):
        g = captured.get(id(t._node if t._node is not None else t))
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {k} (shape {t.data.shape}) was not used to compute the "
                "outputs; pass allow_unused=True to get None for it"
            )
        if g is not None and not create_graph:
            # A fresh, writable array of the input's dtype: never a view into the
            # engine's buffers or one of the caller's grad_outputs.
            g = np.array(g, dtype=t.data.dtype)
        result.append(g)
    return tuple(result)
