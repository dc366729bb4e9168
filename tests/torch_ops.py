"""PyTorch's counterpart of every registered op, for the comparisons against PyTorch.

``TORCH[name]`` takes the arguments of op ``name``'s row in tests/op_cases/ (float
arrays arriving as float64 torch tensors, everything else as it is) and computes the
same function with PyTorch's own ops, so values and derivatives can be compared.
``NO_TORCH[name]`` says why an op has none. Every registered op is in exactly one of
the two (tests/minigrad/ops/test_torch_derivatives.py fails by name otherwise).

A counterpart raises :class:`Inexpressible` for arguments PyTorch refuses where NumPy
(and minigrad) accept them; the comparison then skips that draw.

Importing this module imports torch: import it only after ``pytest.importorskip``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["NO_TORCH", "TORCH", "Inexpressible", "joined"]


class Inexpressible(Exception):
    """PyTorch's function does not accept these arguments (NumPy's does)."""


def joined(out: Any) -> torch.Tensor:
    """One tensor from a list of pieces, weighted 1, 2, 3... as the op table's (tests/op_cases/)
    ``_joined`` weights minigrad's (a gradient landing in the wrong piece is caught)."""
    if isinstance(out, torch.Tensor):
        return out
    floats = [p for p in out if p.is_floating_point()]  # topk's indices are compared apart
    if not floats:
        return torch.zeros(0, dtype=torch.float64)
    return torch.cat([p.reshape(-1) * float(k + 1) for k, p in enumerate(floats)])


def _dims(x: torch.Tensor, axis: Any) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(x.ndim))
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _reduce(fn: Callable) -> Callable:
    return lambda x, axis, keepdims: fn(x, dim=_dims(x, axis), keepdim=keepdims)


def _getitem(x: torch.Tensor, idx: Any) -> torch.Tensor:
    """x[idx] for any NumPy index (PyTorch refuses negative steps): gather the flat
    positions NumPy's own indexing selects."""
    pos = np.arange(x.numel()).reshape(tuple(x.shape))[idx]
    return torch.take(x, torch.as_tensor(np.ascontiguousarray(pos)))


def _scatter(values: list, indices: list, shape: tuple) -> torch.Tensor:
    zeros = torch.zeros(shape, dtype=values[0].dtype)
    return sum(
        torch.func.vjp(lambda z, i=i: _getitem(z, i), zeros)[1](v)[0]
        for v, i in zip(values, indices, strict=True)
    )


def _prod(x: torch.Tensor, axis: Any, keepdims: bool) -> torch.Tensor:
    """torch.prod reduces one dim at a time."""
    dims = _dims(x, axis)
    for d in sorted((d % max(x.ndim, 1) for d in dims), reverse=True):
        x = torch.prod(x, d, keepdim=True) if x.ndim else x
    norm = {d % max(x.ndim, 1) for d in dims}
    return x if keepdims else x.reshape([n for i, n in enumerate(x.shape) if i not in norm])


def _spread(fn: Callable) -> Callable:
    def run(x: torch.Tensor, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
        return fn(x, dim=_dims(x, axis), correction=ddof, keepdim=keepdims)

    return run


def _norm(x: torch.Tensor, ord: Any, axis: Any, keepdims: bool) -> torch.Tensor:
    """NumPy's norm: a matrix norm over two axes (two dims of x without axis) with ord
    given, else a vector norm (2 when ord is None)."""
    dims = _dims(x, axis)
    if ord is not None and len(dims) == 2:
        return torch.linalg.matrix_norm(x, ord, dims, keepdims)
    return torch.linalg.vector_norm(x, 2 if ord is None else ord, dims, keepdims)


def _one_axis(fn: Callable) -> Callable:
    """A scan along ``axis``, over the flattened tensor when None (NumPy)."""

    def run(x: torch.Tensor, axis: Any = None) -> torch.Tensor:
        return fn(x.reshape(-1), 0) if axis is None else fn(x, axis)

    return run


def _cross(
    a: torch.Tensor,
    b: torch.Tensor,
    axisa: int = -1,
    axisb: int = -1,
    axisc: int = -1,
    axis: int | None = None,
) -> torch.Tensor:
    """numpy.cross: vectors along axisa/axisb (2-vectors have z = 0; two of them give
    the z component alone), the result's vectors along axisc."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = a.movedim(axisa, -1), b.movedim(axisb, -1)
    both_2d = a.shape[-1] == b.shape[-1] == 2
    a, b = (F.pad(v, (0, 1)) if v.shape[-1] == 2 else v for v in (a, b))
    c = torch.linalg.cross(*torch.broadcast_tensors(a, b), dim=-1)
    return c[..., 2] if both_2d else c.movedim(-1, axisc)


def _pad(x: torch.Tensor, width: Any, mode: str = "constant", fill: Any = None) -> torch.Tensor:
    """numpy.pad: PyTorch pads the trailing dims of a batch, so pad one axis at a time
    (NumPy also pads axis by axis, corners from the axes padded after). Constant pairs
    per axis are concatenated; "symmetric" and "wrap" (which PyTorch lacks, "wrap" only
    as "circular" of a batch) pick their source positions with an index. Widths and
    values take NumPy's forms (one number, one pair, a pair per axis)."""
    width = np.broadcast_to(np.asarray(width, dtype=int), (x.ndim, 2)).tolist()
    if fill is not None:
        fill = np.broadcast_to(np.asarray(fill, dtype=float), (x.ndim, 2)).tolist()
    if mode == "constant" and fill is None:
        return F.pad(x, [w for pair in reversed(width) for w in pair])
    for d, (lo, hi) in enumerate(width):
        if not (lo or hi):
            continue
        if mode == "constant":
            shape = list(x.shape)
            sides = []
            for n, value in ((lo, fill[d][0]), (hi, fill[d][1])):
                shape[d] = n
                sides.append(torch.full(shape, float(value), dtype=x.dtype))
            x = torch.cat([sides[0], x, sides[1]], dim=d)
            continue
        if mode in ("symmetric", "wrap"):
            where = np.pad(np.arange(x.shape[d]), (lo, hi), mode=mode)
            x = torch.index_select(x, d, torch.as_tensor(where))
            continue
        if mode == "reflect" and max(lo, hi) >= x.shape[d]:
            raise Inexpressible("PyTorch reflects at most size - 1 elements")
        y = x.movedim(d, -1)
        lead = y.shape[:-1]
        tmode = {"edge": "replicate", "reflect": "reflect"}[mode]
        y = F.pad(y.reshape(-1, 1, y.shape[-1]), (lo, hi), mode=tmode)
        x = y.reshape(*lead, y.shape[-1]).movedim(-1, d)
    return x


def _dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """numpy.dot: the last axis of a with the second-to-last of b (its only one if 1-d)."""
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return torch.tensordot(a, b, dims=([a.ndim - 1], [max(b.ndim - 2, 0)]))


def _linspace(start: torch.Tensor, stop: torch.Tensor, num: int) -> torch.Tensor:
    """torch.linspace takes numbers (its endpoints carry no gradient); torch.lerp is
    the same function of tensor endpoints: start + t (stop - start)."""
    shape = torch.broadcast_shapes(start.shape, stop.shape)
    t = torch.arange(num, dtype=torch.float64) / max(num - 1, 1)
    return torch.lerp(start.expand(shape), stop.expand(shape), t.reshape(num, *[1] * len(shape)))


def _take(x: torch.Tensor, ids: np.ndarray, axis: int) -> torch.Tensor:
    return x[(slice(None),) * axis + (torch.as_tensor(ids),)]


def _scatter_add(x: torch.Tensor, dim: int, ids: np.ndarray, src: torch.Tensor) -> torch.Tensor:
    """torch.scatter_add of the part of src it uses: PyTorch's backward raises when src is
    larger than the index (its gradient for src has the index's shape); the slice gives
    src's unused elements the gradient 0, as minigrad's."""
    return torch.scatter_add(
        x, dim, torch.as_tensor(ids), src[tuple(slice(0, k) for k in ids.shape)]
    )


def _squeeze(x: torch.Tensor, axis: Any) -> torch.Tensor:
    return torch.squeeze(x) if axis is None else torch.squeeze(x, axis)


def _flip(x: torch.Tensor, axis: Any = None) -> torch.Tensor:
    return torch.flip(x, _dims(x, axis))


def _trace(x: torch.Tensor, offset: int = 0) -> torch.Tensor:
    """numpy.trace of any rank (torch.trace takes a matrix and no offset)."""
    return torch.diagonal(x, offset, 0, 1).sum(-1)


def _clip(x: torch.Tensor, lo: Any, hi: Any) -> torch.Tensor:
    return torch.clamp(x, lo, hi)


def _remainder(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """torch.remainder has no forward-mode rule: the same function from floor, whose
    derivatives are remainder's (1 and -floor(a / b))."""
    return a - torch.floor(a / b) * b


TORCH: dict[str, Callable[..., Any]] = {
    # elementwise, two operands
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "div": torch.div,
    "pow": torch.pow,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
    "fmax": torch.fmax,
    "fmin": torch.fmin,
    "logaddexp": torch.logaddexp,
    "logaddexp2": torch.logaddexp2,
    "arctan2": torch.atan2,
    "hypot": torch.hypot,
    "remainder": _remainder,
    "mod": _remainder,
    "floor_divide": lambda a, b: torch.div(a, b, rounding_mode="floor"),
    "where": lambda c, a, b: torch.where(torch.as_tensor(c), a, b),
    "masked_fill": lambda x, mask, value: torch.masked_fill(x, torch.as_tensor(mask), value),
    "lerp": torch.lerp,
    "addcmul": torch.addcmul,
    # elementwise, one operand
    "neg": torch.neg,
    "exp": torch.exp,
    "exp2": torch.exp2,
    "expm1": torch.expm1,
    "log": torch.log,
    "log2": torch.log2,
    "log10": torch.log10,
    "log1p": torch.log1p,
    "sqrt": torch.sqrt,
    "square": torch.square,
    "reciprocal": torch.reciprocal,
    "abs": torch.abs,
    "sign": torch.sign,
    "floor": torch.floor,
    "ceil": torch.ceil,
    "round": torch.round,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "leaky_relu": F.leaky_relu,
    "elu": F.elu,
    "silu": F.silu,
    "gelu": lambda x, approximate: F.gelu(x, approximate=approximate),
    "erf": torch.erf,
    "logsigmoid": F.logsigmoid,
    "clip": _clip,
    "cast": lambda x, d: x.to(torch.float64),
    "to": lambda x, d: x.to(torch.float64),
    "type_as": lambda x, other: x.type_as(other),
    "clone": torch.clone,
    "sin": torch.sin,
    "cos": torch.cos,
    "tan": torch.tan,
    "arcsin": torch.asin,
    "arccos": torch.acos,
    "arctan": torch.atan,
    "sinh": torch.sinh,
    "cosh": torch.cosh,
    "arcsinh": torch.asinh,
    "arccosh": torch.acosh,
    "arctanh": torch.atanh,
    "sinc": torch.sinc,
    # reductions, scans and statistics
    "sum": _reduce(torch.sum),
    "mean": _reduce(torch.mean),
    "max": _reduce(torch.amax),
    "min": _reduce(torch.amin),
    "prod": _prod,
    "logsumexp": _reduce(torch.logsumexp),
    "var": _spread(torch.var),
    "std": _spread(torch.std),
    "norm": _norm,
    "cumsum": _one_axis(torch.cumsum),
    "cumprod": _one_axis(torch.cumprod),
    "sort": lambda x, axis=-1: torch.sort(x, dim=axis, stable=True).values,
    "topk": lambda x, k, dim, largest: torch.topk(x, k, dim, largest),
    "softmax": lambda x, axis: torch.softmax(x, axis),
    "log_softmax": lambda x, axis: torch.log_softmax(x, axis),
    "diff": lambda x, n=1, axis=-1: torch.diff(x, n, axis),
    "linspace": _linspace,
    # products and contractions
    "matmul": torch.matmul,
    "addmm": lambda c, a, b: c + a @ b,
    "mm": torch.mm,
    "bmm": torch.bmm,
    "contract": lambda a, b, spec: torch.einsum(spec, a, b),
    "einsum": torch.einsum,
    "tensordot": lambda a, b, axes: torch.tensordot(a, b, dims=axes),
    "outer": lambda a, b: torch.outer(a.reshape(-1), b.reshape(-1)),
    "inner": torch.inner,
    "dot": _dot,
    "kron": torch.kron,
    "cross": _cross,
    "cross_entropy": lambda z, t, ignore, reduction: F.cross_entropy(
        z, torch.as_tensor(t), ignore_index=ignore, reduction=reduction
    ),
    # shape and layout
    "reshape": torch.reshape,
    "transpose": lambda x, axes=None: x.permute(*(axes or reversed(range(x.ndim)))),
    "swapaxes": torch.swapaxes,
    "moveaxis": torch.movedim,
    "broadcast_to": torch.broadcast_to,
    "squeeze": _squeeze,
    "unsqueeze": torch.unsqueeze,
    "getitem": _getitem,
    "scatter": _scatter,
    "take": _take,
    "gather": lambda x, dim, ids: torch.gather(x, dim, torch.as_tensor(ids)),
    "scatter_add": _scatter_add,
    "concatenate": lambda ts, axis: torch.cat(ts, dim=axis),
    "stack": lambda ts, axis: torch.stack(ts, dim=axis),
    "vstack": torch.vstack,
    "hstack": torch.hstack,
    "split": lambda x, size, axis: torch.split(x, size, axis),
    "chunk": lambda x, chunks, axis: torch.chunk(x, chunks, axis),
    "unbind": lambda x, axis: torch.unbind(x, axis),
    "atleast_1d": torch.atleast_1d,
    "atleast_2d": torch.atleast_2d,
    "atleast_3d": torch.atleast_3d,
    "flip": _flip,
    "flipud": torch.flipud,
    "fliplr": torch.fliplr,
    "rot90": lambda x, k=1: torch.rot90(x, k, (0, 1)),
    "roll": lambda x, shift, axis: torch.roll(x, shift, axis),
    "repeat": lambda x, repeats, axis: torch.repeat_interleave(x, repeats, axis),
    "tile": torch.tile,
    "diagonal": lambda x, offset=0: torch.diagonal(x, offset, 0, 1),
    "trace": _trace,
    "diag": torch.diag,
    "tril": torch.tril,
    "triu": torch.triu,
    "pad": _pad,
    "matrix_exp": torch.linalg.matrix_exp,
}

NO_TORCH: dict[str, str] = {
    "partition": (
        "NumPy-only: PyTorch has no partition (torch.topk and torch.kthvalue return other "
        "layouts, and the order around the k-th element is NumPy's argpartition's); its "
        "derivatives are those of the gather at fixed positions, which getitem's "
        "comparison covers"
    ),
}
