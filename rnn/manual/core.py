"""What the textbook step pairs and the sequence functions share.

- :class:`ReferenceCell`: the hand-derived description of one cell kind (gate count, state
  names, the forward and backward *core* of one step) and the table of known kinds;
- parameter checks (:func:`unpack`) and state checks (:func:`check_state`);
- the parameter gradients of stacked pre-activation gradients (:func:`param_grads`).

A core works on the input projection ``xp = x W_ih^T + b_ih`` (N, G*H), already computed::

    core_forward(xp, state, w_hh, b_hh, **options) -> (new_state, cache)
    core_backward(dstate, cache) -> (dxp, dhp, dstate_prev) or (dxp, dhp, dstate_prev, db_hh)

``state`` and ``dstate`` are tuples of (N, H) arrays in the order of ``ReferenceCell.state``
(``("h",)`` or ``("h", "c")``). ``dxp`` is dL/dxp and ``dhp`` is dL/d(h_prev W_hh^T + b_hh),
both (N, G*H); they differ only where the recurrent projection enters through a product (the
GRU's n gate). A core in which b_hh is not a summand of the pre-activation but sits
inside the nonlinearity (the RNN's modReLU threshold) returns a fourth array, db_hh (N, H),
the rows of b_hh's gradient. This module imports only NumPy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "PARAM_NAMES",
    "ReferenceCell",
    "reference_cell",
    "register_reference",
    "unregister_reference",
]

Params = dict[str, Any]

PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
NONLINEARITIES = ("tanh", "relu", "modrelu")
STATES = (("h",), ("h", "c"))


@dataclass(frozen=True)
class ReferenceCell:
    """The hand-derived reference for one cell kind.

    ``name``: the kind's name ("rnn", "lstm", "gru", ...); ``gates``: G, the number of
    (H-row) blocks stacked in ``weight_ih`` (G*H, I) and ``weight_hh`` (G*H, H); ``state``:
    ``("h",)`` or ``("h", "c")``; ``forward`` / ``backward``: the step core pair described
    in this module's docstring; ``options``: keyword options the core takes
    (``("nonlinearity",)`` for the vanilla RNN).
    """

    name: str
    gates: int
    state: tuple[str, ...]
    forward: Callable[..., tuple[tuple[np.ndarray, ...], Any]]
    backward: Callable[..., tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]]
    options: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"ReferenceCell: name must be an identifier, got {self.name!r}")
        if not isinstance(self.gates, int) or self.gates < 1:
            raise ValueError(f"ReferenceCell {self.name!r}: gates must be >= 1, got {self.gates!r}")
        if tuple(self.state) not in STATES:
            raise ValueError(
                f"ReferenceCell {self.name!r}: state must be ('h',) or ('h', 'c'), "
                f"got {self.state!r}"
            )


_REFERENCES: dict[str, ReferenceCell] = {}


def register_reference(ref: ReferenceCell) -> ReferenceCell:
    """Make ``ref`` known by its name to the functions that take a cell name."""
    old = _REFERENCES.get(ref.name)
    if old is not None and old is not ref:
        raise ValueError(f"manual: a reference cell named {ref.name!r} is already registered")
    _REFERENCES[ref.name] = ref
    return ref


def unregister_reference(ref: ReferenceCell) -> None:
    """Forget ``ref`` (registered with :func:`register_reference`)."""
    if _REFERENCES.get(ref.name) is ref:
        del _REFERENCES[ref.name]


def reference_cell(cell: Any, where: str = "manual") -> ReferenceCell:
    """The :class:`ReferenceCell` for ``cell``: a registered name, a ReferenceCell, or any
    object with a ``reference`` attribute holding one (such as ``rnn.cells.CellKind``).
    ``where`` prefixes the error naming the valid names."""
    if isinstance(cell, ReferenceCell):
        return cell
    ref = getattr(cell, "reference", None)
    if isinstance(ref, ReferenceCell):
        return ref
    if isinstance(cell, str) and cell in _REFERENCES:
        return _REFERENCES[cell]
    raise ValueError(f"{where}: cell must be one of {sorted(_REFERENCES)}, got {cell!r}")


def sigmoid(a: np.ndarray) -> np.ndarray:
    """σ(a) = 1 / (1 + e^{-a}) = e^{a} / (1 + e^{a}); e^{-|a|} <= 1 never overflows."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def core_options(where: str, ref: ReferenceCell, nonlinearity: str) -> dict[str, Any]:
    """The keyword options of ``ref``'s core; checks the nonlinearity."""
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(
            f"{where}: nonlinearity must be one of {', '.join(NONLINEARITIES)}, "
            f"got {nonlinearity!r}"
        )
    return {"nonlinearity": nonlinearity} if "nonlinearity" in ref.options else {}


def unpack(where: str, ref: ReferenceCell, params: Params, x: np.ndarray):
    """Check params and x against ``ref``; return (w_ih, w_hh, b_ih, b_hh, H)."""
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        got = f"ndarray of dtype {x.dtype}" if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"{where}: x must be a floating-point ndarray, got {got}")
    for key in ("weight_ih", "weight_hh"):
        if params.get(key) is None:
            raise ValueError(f"{where}: params has no {key!r}")
    # bias=False: the bias keys are absent or None
    p = {k: np.asarray(params[k]) for k in PARAM_NAMES if params.get(k) is not None}
    for key, value in p.items():
        if value.dtype != x.dtype:
            raise TypeError(f"{where}: {key} has dtype {value.dtype} but x has {x.dtype}")
    w_ih, w_hh, b_ih, b_hh = (p.get(k) for k in PARAM_NAMES)
    G = ref.gates
    if w_hh.ndim != 2 or w_hh.shape[0] != G * w_hh.shape[1]:
        raise ValueError(
            f"{where}: weight_hh must have shape ({G}*H, H) for {ref.name}, got {w_hh.shape}"
        )
    H = w_hh.shape[1]
    if w_ih.ndim != 2 or w_ih.shape[0] != G * H:
        raise ValueError(f"{where}: weight_ih must have shape ({G * H}, I), got {w_ih.shape}")
    if x.shape[-1] != w_ih.shape[1]:
        raise ValueError(
            f"{where}: x has input size {x.shape[-1]} but weight_ih expects {w_ih.shape[1]}"
        )
    for key, b in (("bias_ih", b_ih), ("bias_hh", b_hh)):
        if b is not None and b.shape != (G * H,):
            raise ValueError(f"{where}: {key} must have shape ({G * H},), got {b.shape}")
    return w_ih, w_hh, b_ih, b_hh, H


def check_state(
    where: str, name: str, state: np.ndarray | None, shape: tuple, dtype: Any
) -> np.ndarray:
    """Return state, or zeros of shape when it is None; raise if its shape or dtype is wrong."""
    if state is None:
        return np.zeros(shape, dtype=dtype)
    if state.shape != shape:
        raise ValueError(f"{where}: {name} must have shape {shape}, got {state.shape}")
    if state.dtype != dtype:
        raise TypeError(f"{where}: {name} has dtype {state.dtype}, expected {np.dtype(dtype)}")
    return state


def check_states(
    where: str, ref: ReferenceCell, names: tuple[str, str], given: tuple, shape: tuple, dtype: Any
) -> tuple[np.ndarray, ...]:
    """One checked (or zero) array per state of ``ref``, from ``given = (h, c)``.

    ``names`` labels them in messages (e.g. ("h0", "c0")); a c given to a cell without a
    cell state is an error."""
    if len(ref.state) == 1 and given[1] is not None:
        raise ValueError(
            f"{where}: {names[1]} is only used by a cell whose state is (h, c), "
            f"got cell {ref.name!r}"
        )
    return tuple(
        check_state(where, names[i], given[i], shape, dtype) for i in range(len(ref.state))
    )


def param_grads(dxp, dhp, x, h_prev, has_b_ih: bool, has_b_hh: bool) -> dict[str, np.ndarray]:
    """Weight and bias gradients from stacked pre-activation gradients.

    dxp, dhp: (M, G*H), x: (M, I), h_prev: (M, H), with M = N (one step) or T*N (all steps).
    dW_ih = dxp^T x,  dW_hh = dhp^T h_prev,  db_ih = sum_rows dxp,  db_hh = sum_rows dhp.
    """
    grads = {"weight_ih": dxp.T @ x, "weight_hh": dhp.T @ h_prev}
    if has_b_ih:
        grads["bias_ih"] = dxp.sum(axis=0)
    if has_b_hh:
        grads["bias_hh"] = dhp.sum(axis=0)
    return grads
