"""A cell's step as a map of its state, s_t = F(s_{t-1}, x_t), and its exact Jacobians.

The state s is the concatenation of the kind's states: h (H,) for the RNN and GRU, the
joint [h; c] (2H,) for the LSTM, so D = len(kind.state) * H. Everything is computed in
float64 from float64 copies of the weights, whatever the model's dtype.

The step Jacobians J_t = ∂s_t/∂s_{t-1} (D, D) come from the engine: the step is written
from ops (the kind's ``step``), and one forward-mode pass (:mod:`minigrad.forward`) whose
D batched tangents are the unit directions e_b gives every column at once (tangent b of
the output is J_t e_b). Many time steps go through the same pass as a batch, since J_t
depends only on s_{t-1} and x_t, which the trajectory provides. Reverse mode gives the
same numbers (``mode="reverse"``: D copies of each state, copy b seeded with the
cotangent e_b, so its gradient is the row e_bᵀ J_t), at about twice the cost, because the
step's values are computed once per copy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import minigrad
from minigrad import Tensor, forward

from ..cells import CellBase, CellKind
from ..layers import RNNBase

__all__ = ["StepMap", "step_jacobians", "step_map", "trajectory"]

# Rows of the batched step (copies x steps) per engine call: about 32 MB of float64
# pre-activations, large enough that per-op overhead vanishes.
_CHUNK_VALUES = 1 << 22


@dataclass(frozen=True)
class StepMap:
    """One cell's step s' = F(s, x) with float64 weights.

    ``weight_ih`` (G*H, I), ``weight_hh`` (G*H, H), biases (G*H,) or None, in the layout
    of ``torch.nn.*Cell``; ``options`` are the kind's step options (the RNN's
    nonlinearity). Build one with :func:`step_map`.
    """

    kind: CellKind
    weight_ih: np.ndarray
    weight_hh: np.ndarray
    bias_ih: np.ndarray | None
    bias_hh: np.ndarray | None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def hidden(self) -> int:
        """H, the size of each of the kind's states."""
        return self.weight_hh.shape[1]

    @property
    def input_size(self) -> int:
        """I."""
        return self.weight_ih.shape[1]

    @property
    def dim(self) -> int:
        """D = (number of states) * H, the size of the joint state s."""
        return len(self.kind.state) * self.hidden

    def project(self, inputs: np.ndarray) -> np.ndarray:
        """x W_ih^T + b_ih for inputs (T, I): (T, G*H)."""
        xw = inputs @ self.weight_ih.T
        return xw if self.bias_ih is None else xw + self.bias_ih

    def step(self, xw: Tensor, s: Tensor) -> Tensor:
        """F from ops: xw (N, G*H), joint states s (N, D) -> next joint states (N, D)."""
        parts = self.kind.state
        state = (s,) if len(parts) == 1 else tuple(s.chunk(len(parts), axis=1))
        w_hh_t = minigrad.tensor(self.weight_hh.T)
        b_hh = None if self.bias_hh is None else minigrad.tensor(self.bias_hh)
        new = self.kind.step(xw, state, w_hh_t, b_hh, **self.options)
        return new[0] if len(new) == 1 else minigrad.concatenate(list(new), axis=1)

    def advance(self, xw: np.ndarray, s: np.ndarray) -> np.ndarray:
        """F without recording: xw (N, G*H), s (N, D) -> (N, D) ndarray."""
        with minigrad.no_grad():
            return self.step(minigrad.tensor(xw), minigrad.tensor(s)).data


def step_map(model: Any) -> StepMap:
    """The :class:`StepMap` of a cell (``RNNCell``, ``LSTMCell``, ``GRUCell`` or any
    registered kind's cell) or of a one-layer, one-direction layer (``RNN``, ``LSTM``,
    ``GRU``); a :class:`StepMap` is returned as it is."""
    if isinstance(model, StepMap):
        return model
    if isinstance(model, CellBase):
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        params = tuple(getattr(model, n) for n in names)
        options = {o: getattr(model, o) for o in model.kind.options}
    elif isinstance(model, RNNBase):
        if model.num_layers != 1 or model.bidirectional:
            raise ValueError(
                f"dynamics: expected a one-layer, one-direction {type(model).__name__}, got "
                f"num_layers={model.num_layers}, bidirectional={model.bidirectional}"
            )
        params = model.layer_parameters(0, 0)
        options = model.cell_options()
    else:
        raise TypeError(
            "dynamics: expected a cell (rnn.RNNCell, LSTMCell, GRUCell) or a one-layer layer "
            f"(rnn.RNN, LSTM, GRU), got {type(model).__name__}"
        )
    arrays = tuple(None if p is None else np.array(p.data, dtype=np.float64) for p in params)
    return StepMap(model.kind, *arrays, options=options)


def check_inputs(fmap: StepMap, inputs: Any, where: str) -> np.ndarray:
    """inputs as a float64 (T, I) array with T >= 1; ValueError naming the shapes."""
    x = np.asarray(inputs.data if isinstance(inputs, Tensor) else inputs, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != fmap.input_size or x.shape[0] < 1:
        raise ValueError(
            f"{where}: inputs must have shape (T, {fmap.input_size}) with T >= 1, got {x.shape}"
        )
    bad = np.flatnonzero(~np.isfinite(x).all(axis=1))
    if bad.size:
        raise ValueError(f"{where}: the inputs are not finite at step {bad[0]}")
    return x


def check_state(fmap: StepMap, state: Any, where: str) -> np.ndarray:
    """The joint state s (D,) from None (zeros), a (D,) array, or one (H,) array per
    state of the kind (a tuple (h, c) for the LSTM); ValueError naming the shapes."""
    D, H, names = fmap.dim, fmap.hidden, fmap.kind.state
    if state is None:
        return np.zeros(D)
    parts = state if isinstance(state, (tuple, list)) else (state,)
    arrays = [np.asarray(p.data if isinstance(p, Tensor) else p, dtype=np.float64) for p in parts]
    if len(arrays) == 1 and arrays[0].shape == (D,):
        s = arrays[0]
    elif len(arrays) == len(names) and all(a.shape == (H,) for a in arrays):
        s = np.concatenate(arrays)
    else:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise ValueError(
            f"{where}: the state must be ({D},) or {len(names)} array(s) "
            f"({', '.join(names)}) of shape ({H},), got {shapes}"
        )
    if not np.isfinite(s).all():
        raise ValueError(f"{where}: the initial state is not finite")
    return s


def run_states(fmap: StepMap, xw: np.ndarray, s0: np.ndarray, where: str) -> np.ndarray:
    """s_0, s_1, ..., s_T (T+1, D) for projected inputs xw (T, G*H); ValueError at the
    first step whose state is not finite."""
    states = np.empty((len(xw) + 1, fmap.dim))
    states[0] = s = s0
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(len(xw)):
            s = fmap.advance(xw[t : t + 1], s[None])[0]
            if not np.isfinite(s).all():
                raise ValueError(
                    f"{where}: the trajectory is not finite at step {t + 1} of {len(xw)} "
                    f"(max |s_{t}| = {np.abs(states[t]).max():.3g}); the dynamics diverge"
                )
            states[t + 1] = s
    return states


def trajectory(model: Any, inputs: Any, state0: Any = None) -> np.ndarray:
    """The joint states s_0 .. s_T (T+1, D) of ``model`` driven by inputs (T, I)."""
    fmap = step_map(model)
    x = check_inputs(fmap, inputs, "trajectory")
    return run_states(fmap, fmap.project(x), check_state(fmap, state0, "trajectory"), "trajectory")


def batched_jacobians(
    fmap: StepMap, xw: np.ndarray, s_prev: np.ndarray, mode: str = "forward"
) -> np.ndarray:
    """∂F(s, x)/∂s at n points at once: xw (n, G*H), s_prev (n, D) -> (n, D, D).

    ``mode="forward"``: one forward-mode pass over the n points whose D batched tangents
    are the unit directions e_b (the same for every point), so tangent b of the output is
    column b of each J_t; the step's values are computed once. ``mode="reverse"``: each
    point is copied D times along the batch axis and copy b is seeded with e_b, so its
    gradient is row b of J_t (one backward pass, but the step runs on n·D rows)."""
    n, D = s_prev.shape
    if mode == "forward":
        s = minigrad.tensor(s_prev)
        basis = np.ascontiguousarray(np.broadcast_to(np.eye(D)[:, None, :], (D, n, D)))
        with minigrad.no_grad(), forward.forward_pass():
            forward.set_tangent(s, basis)
            out = fmap.step(minigrad.tensor(xw), s)
            columns = forward.tangent(out)
        if columns is None:  # the step does not depend on the state
            return np.zeros((n, D, D))
        return np.broadcast_to(columns, (D, n, D)).transpose(1, 2, 0).copy()
    if mode != "reverse":
        raise ValueError(f"mode must be 'forward' or 'reverse', got {mode!r}")
    s = minigrad.tensor(np.repeat(s_prev, D, axis=0), requires_grad=True)
    with minigrad.enable_grad():
        out = fmap.step(minigrad.tensor(np.repeat(xw, D, axis=0)), s)
    (rows,) = minigrad.grad(out, s, grad_outputs=np.tile(np.eye(D), (n, 1)))
    return rows.reshape(n, D, D)


def jacobian_chunks(
    fmap: StepMap, xw: np.ndarray, states: np.ndarray
) -> Iterator[tuple[int, np.ndarray]]:
    """(t0, J[t0 : t0 + n]) for consecutive chunks of steps, J_t = ∂s_{t+1}/∂s_t
    (0-based: J[t] is the Jacobian of step t + 1); xw (T, G*H), states (T+1, D)."""
    T = len(xw)
    per = max(1, _CHUNK_VALUES // (fmap.dim * xw.shape[1]))
    for t0 in range(0, T, per):
        t1 = min(T, t0 + per)
        yield t0, batched_jacobians(fmap, xw[t0:t1], states[t0:t1])


def step_jacobians(model: Any, inputs: Any, state0: Any = None) -> np.ndarray:
    """Every step Jacobian J_t = ∂s_t/∂s_{t-1}, t = 1..T, exact from the engine.

    ``model``: a cell or one-layer layer (see :func:`step_map`); ``inputs`` (T, I); ``state0``
    None (zeros), the joint state (D,), or the kind's states ((H,), or (h, c) for the LSTM).
    Returns (T, D, D) float64, ``J[t-1]`` = J_t; for the LSTM over s = [h; c], D = 2H.
    """
    fmap = step_map(model)
    x = check_inputs(fmap, inputs, "step_jacobians")
    s0 = check_state(fmap, state0, "step_jacobians")
    xw = fmap.project(x)
    states = run_states(fmap, xw, s0, "step_jacobians")
    return np.concatenate([J for _, J in jacobian_chunks(fmap, xw, states)])
