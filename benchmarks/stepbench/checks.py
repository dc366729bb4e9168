"""Agreement of an implementation's loss and gradients with the reference's."""

from __future__ import annotations

import numpy as np

from .workloads import Grads

CHECKED = ("weight_hh", "weight_ih", "weight_y")


def rel_err(a: np.ndarray, ref: np.ndarray) -> float:
    """max |a - ref| / max |ref| (a scale-relative error, robust to near-zero entries)."""
    a, ref = np.asarray(a, np.float64), np.asarray(ref, np.float64)
    return float(np.max(np.abs(a - ref)) / max(np.max(np.abs(ref)), 1e-30))


def compare(
    result: tuple[float, Grads], ref: tuple[float, Grads], names: tuple[str, ...] = CHECKED
) -> dict[str, float]:
    """Scale-relative errors of the loss and of the named gradients against ``ref``."""
    loss, grads = result
    rloss, rgrads = ref
    errs = {"loss": abs(loss - rloss) / max(abs(rloss), 1e-30)}
    for n in names:
        errs[n] = rel_err(grads[n], rgrads[n])
    return errs
