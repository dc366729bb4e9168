"""The reference step: ``rnn.manual``'s fast sequence functions plus a hand-written NumPy
readout and softmax cross-entropy, forward and backward."""

from __future__ import annotations

import numpy as np

from rnn import manual

from .workloads import DTYPE, Grads, Problem, Step


class SoftmaxReadout:
    """Readout ``z = h W_y^T + b_y`` over all T·B rows and mean softmax cross-entropy
    against integer targets, with its gradient by hand:

        loss = mean_n (logsumexp(z_n) - z_n[t_n]),   dz = (softmax(z) - onehot(t)) / (T·B)
    """

    def __init__(self, weight_y: np.ndarray, bias_y: np.ndarray, targets: np.ndarray) -> None:
        self.weight_y, self.bias_y = weight_y, bias_y
        self.targets = targets.reshape(-1)
        self.rows = np.arange(self.targets.size)
        self.inv = DTYPE(1.0 / self.targets.size)

    def __call__(self, hs: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """hs (T·B, H) -> loss, dL/dhs (T·B, H), dL/dW_y (V, H), dL/db_y (V,)."""
        rows, t = self.rows, self.targets
        z = hs @ self.weight_y.T
        z += self.bias_y
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) - z[rows, t]))
        e /= s
        e[rows, t] -= 1
        e *= self.inv
        return loss, e @ self.weight_y, e.T @ hs, e.sum(axis=0)


def make_manual(p: Problem) -> Step:
    """``rnn.manual.forward`` / ``backward`` (no input gradient) + :class:`SoftmaxReadout`."""
    w = p.workload
    params = {k: v.copy() for k, v in p.params.items()}
    readout = SoftmaxReadout(p.weight_y.copy(), p.bias_y.copy(), p.targets)
    x = p.x

    def step() -> tuple[float, Grads]:
        out, _h_n, _c_n, cache = manual.forward(w.cell, x, params)
        loss, dhs, dWy, dby = readout(out.reshape(w.T * w.B, w.H))
        res = manual.backward(dhs.reshape(w.T, w.B, w.H), cache, input_grad=False)
        return loss, {**res.grads, "weight_y": dWy, "bias_y": dby}

    return step
