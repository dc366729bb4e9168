"""The benchmark workloads W1..W4: sizes, data and initial weights.

One training step = forward over the whole sequence + a linear readout at every step +
softmax cross-entropy (mean over all T·B positions) + backward; no optimizer. float32;
h0 = c0 = 0; the input needs no gradient; parameters U(-1/sqrt(H), 1/sqrt(H)).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from rnn.cells import cell_kind

DTYPE = np.float32
SEED = 0

# A step returns (loss, grads): grads has weight_ih, weight_hh, bias_ih, bias_hh (the
# recurrent layer, PyTorch layout), weight_y (V, H) and bias_y (V,) (the readout).
Grads = dict[str, np.ndarray]
Step = Callable[[], tuple[float, Grads]]
LAYER_PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
GRAD_NAMES = (*LAYER_PARAMS, "weight_y", "bias_y")


@dataclass(frozen=True)
class Workload:
    """Sizes of one workload: cell kind, input I, hidden H, classes V, steps T, batch B."""

    name: str
    cell: str  # "lstm", "gru" or "rnn" (tanh)
    I: int
    H: int
    V: int
    T: int
    B: int
    input: str  # "onehot" or "normal"

    def describe(self) -> str:
        return f"{self.cell} I={self.I} H={self.H} V={self.V} T={self.T} B={self.B} ({self.input})"


WORKLOADS = {
    "W1": Workload("W1", "lstm", 65, 128, 65, 100, 32, "onehot"),
    "W2": Workload("W2", "rnn", 32, 32, 32, 50, 1, "normal"),
    "W3": Workload("W3", "lstm", 512, 512, 64, 50, 64, "normal"),
    "W4": Workload("W4", "gru", 64, 64, 64, 1000, 8, "normal"),
}


@dataclass
class Problem:
    """The data and initial weights of one workload; shared by every implementation."""

    workload: Workload
    x: np.ndarray  # (T, B, I) float32
    targets: np.ndarray  # (T, B) int64
    params: dict[str, np.ndarray]  # weight_ih, weight_hh, bias_ih, bias_hh (PyTorch layout)
    weight_y: np.ndarray  # (V, H): logits = h W_y^T + b_y  (the readout h_t W_y + b_y)
    bias_y: np.ndarray  # (V,)


def build_workload(name: str, seed: int = SEED, **sizes: int) -> Problem:
    """The problem of workload ``name`` ("W1".."W4"); ``sizes`` overrides any of
    I, H, V, T, B (e.g. tiny sizes for tests). Parameters are U(-1/sqrt(H), 1/sqrt(H))."""
    w = replace(WORKLOADS[name], **sizes)
    rng = np.random.default_rng(seed)
    if w.input == "onehot":
        ids = rng.integers(0, w.I, size=(w.T, w.B))
        x = np.eye(w.I, dtype=DTYPE)[ids]
    else:
        x = rng.standard_normal((w.T, w.B, w.I)).astype(DTYPE)
    targets = rng.integers(0, w.V, size=(w.T, w.B)).astype(np.int64)
    k = 1.0 / np.sqrt(w.H)
    gh = cell_kind(w.cell).gates * w.H

    def u(*shape: int) -> np.ndarray:
        return rng.uniform(-k, k, size=shape).astype(DTYPE)

    params = {
        "weight_ih": u(gh, w.I),
        "weight_hh": u(gh, w.H),
        "bias_ih": u(gh),
        "bias_hh": u(gh),
    }
    return Problem(w, x, targets, params, u(w.V, w.H), u(w.V))
