"""Rows of the linear-algebra ops: matmul and addmm, the contractions (contract, einsum,
tensordot, outer, inner, dot, kron, cross) and the matrix exponential."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import arrays, matmul_pairs

from op_cases.case import EMPTY2, Case, Draw, zeros


def addmm_args(draw: Any) -> tuple:
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    bias = draw(st.sampled_from([(n, m), (1, m), (m,), (n, 1), ()]))
    return draw(arrays(bias)), draw(arrays((n, k))), draw(arrays((k, m)))


def _matmul_args(draw: Any) -> tuple:
    return tuple(draw(arrays(s)) for s in draw(matmul_pairs()))


def _products(batch: bool) -> Draw:
    """a (n, k) and b (k, m) for mm; with ``batch``, a (B, n, k) and b (B, k, m) for bmm."""

    def drawer(draw: Any) -> tuple:
        n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
        lead = (draw(st.integers(1, 3)),) if batch else ()
        return draw(arrays((*lead, n, k))), draw(arrays((*lead, k, m)))

    return drawer


def _np_addmm(c: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return c + a @ b


def _square_matrices(draw: Any) -> tuple:
    """A stack of n x n matrices (n 1..4, up to two batch axes) with entries in [-1, 1]."""
    n = draw(st.integers(1, 4))
    batch = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    return (draw(arrays((*batch, n, n), -1.0, 1.0)),)


def _expm_taylor(x: np.ndarray) -> np.ndarray:
    """exp(x) by another road than the op's Pade approximant: halve x until its norm is
    below 1/2, sum 30 Taylor terms (the remainder is below 2^-30 / 30!), square back."""
    norm = np.abs(x).sum(axis=-2).max() if x.size else 0.0
    s = max(0, int(np.ceil(np.log2(max(norm, 1e-300) / 0.5))))
    y = x / 2.0**s
    term = np.broadcast_to(np.eye(x.shape[-1]), x.shape).copy()
    total = term.copy()
    for k in range(1, 30):
        term = term @ y / k
        total = total + term
    for _ in range(s):
        total = total @ total
    return total


# (subscripts, operand shapes): matrix products, traces, diagonals, broadcast
# size-1 axes, letters only one operand has, scalars.
CONTRACTIONS = [
    ("ij,jk->ik", (2, 3), (3, 4)),
    ("ii,->i", (3, 3), ()),
    ("ii,->", (3, 3), ()),
    ("ij,ij->", (2, 3), (2, 3)),
    ("ijk,j->ki", (2, 3, 2), (3,)),
    ("ii,i->i", (3, 3), (3,)),
    ("ij,kl->ljk", (2, 3), (2, 2)),
    ("ij,j->ij", (1, 3), (3,)),
    ("iji,j->", (2, 3, 2), (3,)),
    ("ij,->ji", (2, 3), ()),
]


EINSUMS = [
    ("ij,jk,kl->il", (2, 3), (3, 2), (2, 2)),
    ("ii", (3, 3)),
    ("ij,jk", (2, 3), (3, 4)),
    ("...ij,...jk->...ik", (2, 2, 3), (3, 2)),
    ("...i,...i", (1, 3), (2, 3)),
    ("i,i,i->", (3,), (3,), (3,)),
    ("bii->bi", (2, 3, 3)),
    ("ij->", (2, 3)),
]


def _contraction(table: list, spec_first: bool) -> Draw:
    def drawer(draw: Any) -> tuple:
        spec, *shapes_ = draw(st.sampled_from(table))
        arrs = tuple(draw(arrays(s)) for s in shapes_)
        return (spec, *arrs) if spec_first else (*arrs, spec)

    return drawer


def _pair(draw: Any, shapes_: list) -> tuple:
    return tuple(draw(arrays(s)) for s in draw(st.sampled_from(shapes_)))


def _cross_args(draw: Any) -> tuple:
    """Vectors of 2 or 3 components along axisa/axisb, the result along axisc (or all
    three given as axis), the other axes broadcast."""
    (sa, sb), axes = draw(
        st.sampled_from(
            [
                (((3,), (3,)), ()),
                (((2, 3), (3,)), ()),
                (((2, 3), (2, 3)), ()),
                (((2,), (2,)), ()),
                (((4, 2), (1, 2)), ()),
                (((2,), (3,)), ()),
                (((2, 3), (2,)), ()),
                (((3, 4), (4, 3)), (0, -1, 0)),
                (((3, 2), (3, 1)), (0, 0, 0, 0)),
                (((2, 2, 3), (3, 2)), (-1, 0, 1)),
                (((2, 4), (2, 1)), (0, 0, -1)),
            ]
        )
    )
    return (draw(arrays(sa)), draw(arrays(sb)), *axes)


def _np_cross(*args: Any) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # NumPy 2 deprecates 2-vectors
        return np.cross(*args)


def _tensordot_args(draw: Any) -> tuple:
    a, b, axes = draw(
        st.sampled_from(
            [
                ((2, 3, 4), (3, 4, 2), 2),
                ((2, 3), (3, 2), 1),
                ((2,), (3,), 0),
                ((2, 3, 4), (4, 2, 3), ([1, 2], [2, 0])),
            ]
        )
    )
    return draw(arrays(a)), draw(arrays(b)), axes


CASES: dict[str, Case] = {
    "matmul": Case(_matmul_args, np.matmul, empty=(zeros(2, 0), zeros(0, 3))),
    "mm": Case(_products(False), np.matmul, empty=(zeros(2, 0), zeros(0, 3))),
    "bmm": Case(_products(True), np.matmul, empty=(zeros(2, 3, 0), zeros(2, 0, 1))),
    "addmm": Case(addmm_args, _np_addmm, empty=(zeros(3), zeros(2, 0), zeros(0, 3))),
    "contract": Case(_contraction(CONTRACTIONS, False), lambda a, b, s: np.einsum(s, a, b),
                     empty=(zeros(0, 3), zeros(3), "ij,j->i")),
    "einsum": Case(_contraction(EINSUMS, True), np.einsum,
                   empty=("ij,jk->ik", zeros(2, 0), zeros(0, 3))),
    "tensordot": Case(_tensordot_args, np.tensordot, empty=(zeros(2, 0), zeros(0, 3), 1)),
    "outer": Case(lambda d: _pair(d, [((3,), (2,)), ((2, 2), (3,)), ((), (2,))]), np.outer,
                  empty=EMPTY2),
    "inner": Case(lambda d: _pair(d, [((3,), (3,)), ((2, 3), (4, 3)), ((), (2, 2))]), np.inner,
                  empty=(zeros(0, 3), zeros(2, 3))),
    "dot": Case(lambda d: _pair(d, [((3,), (3,)), ((2, 3), (3, 2)), ((2, 2, 3), (4, 3, 2)),
                                     ((), (2, 2)), ((2, 3), (3,))]), np.dot,
                empty=(zeros(2, 0), zeros(0, 3))),
    "kron": Case(lambda d: _pair(d, [((2,), (3,)), ((2, 2), (1, 3)), ((2,), (2, 2))]), np.kron,
                 empty=EMPTY2),
    "cross": Case(_cross_args, _np_cross, empty=(zeros(0, 3), zeros(3))),
    "matrix_exp": Case(_square_matrices, _expm_taylor, empty=(zeros(0, 3, 3),)),
}  # fmt: skip
