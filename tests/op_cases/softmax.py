"""Rows of the log-sum-exp family: logsumexp, softmax, log_softmax and cross_entropy."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import arrays

from op_cases.case import EMPTY, Case, along_axis, reduction, zeros


def _logsumexp(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):  # log(0) = -inf over an empty axis
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True, initial=-np.inf))
    return e / e.sum(axis=axis, keepdims=True)


def _np_log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    return np.log(_softmax(x, axis))


def _class_scores(draw: Any) -> tuple:
    """Logits (N, C) or (C,), integer targets with some ignored (-100; never all of
    them), and a reduction."""
    n, c = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    shape = draw(st.sampled_from([(n, c), (c,)]))
    t = np.asarray(draw(hnp.arrays(np.int64, shape[:-1], elements=st.integers(-1, c - 1))))
    t = np.where(t < 0, -100, t)
    t.reshape(-1)[:1] = np.abs(t.reshape(-1)[:1]) % c  # one target is always kept
    return draw(arrays(shape)), t, -100, draw(st.sampled_from(["mean", "sum", "none"]))


def _np_cross_entropy(z: np.ndarray, t: np.ndarray, ignore: int, reduction: str) -> Any:
    z2, t1 = z.reshape(-1, z.shape[-1]), t.reshape(-1)
    keep = t1 != ignore
    lp = z2 - _logsumexp(z2, axis=1, keepdims=True)
    losses = np.where(keep, -lp[np.arange(t1.size), np.where(keep, t1, 0)], 0.0)
    if reduction == "none":
        return losses.reshape(t.shape)
    return losses.sum() if reduction == "sum" else losses.sum() / keep.sum()


CASES: dict[str, Case] = {
    "logsumexp": Case(reduction(), _logsumexp, empty=(*EMPTY, 0, False)),
    "softmax": Case(lambda d: along_axis()(d), _softmax, empty=(*EMPTY, 0)),
    "log_softmax": Case(lambda d: along_axis()(d), _np_log_softmax, empty=(*EMPTY, 0)),
    "cross_entropy": Case(
        _class_scores, _np_cross_entropy, empty=(zeros(0, 3), np.zeros(0, int), -100, "sum")
    ),
}  # fmt: skip
