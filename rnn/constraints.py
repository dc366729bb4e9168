"""Recurrent weights kept on a constraint set during training.

:func:`orthogonal_recurrence` parametrizes every ``weight_hh`` of a layer (or a cell)
as an orthogonal matrix, ``W_hh = exp(A)`` with ``A`` skew-symmetric
(:func:`minigrad.nn.utils.parametrizations.orthogonal`; Lezcano-Casado &
Martinez-Rubio 2019, expRNN). An orthogonal ``W_hh`` preserves the norm of every
vector, so the linear part of backpropagation through time, a product of ``W_hh^T``
factors, neither vanishes nor explodes however long the sequence; the nonlinearity's
derivative is then what remains (1 on the active side of a modReLU).
"""

from __future__ import annotations

from minigrad.nn.utils.parametrizations import ORTHOGONAL_MAPS, orthogonal

from .cells import CellBase
from .layers import RNNBase

__all__ = ["ORTHOGONAL_MAPS", "orthogonal_recurrence", "recurrent_weight_names"]


def recurrent_weight_names(module: RNNBase | CellBase) -> list[str]:
    """The names of ``module``'s recurrent weights: ``weight_hh_l{k}[_reverse]`` of each
    layer and direction, or a cell's ``weight_hh``."""
    if isinstance(module, CellBase):
        return ["weight_hh"]
    if isinstance(module, RNNBase):
        return [
            f"weight_hh_l{k}" + ("_reverse" if d else "")
            for k in range(module.num_layers)
            for d in range(module.num_directions)
        ]
    raise TypeError(
        f"expected a recurrent layer or cell (rnn.RNN, LSTM, GRU or a *Cell), "
        f"got {type(module).__name__}"
    )


def orthogonal_recurrence(
    module: RNNBase | CellBase, orthogonal_map: str = "matrix_exp"
) -> RNNBase | CellBase:
    """Make every recurrent weight of ``module`` orthogonal: ``W_hh = exp(A)``,
    ``A = L - L^T`` with ``L`` the strict lower triangle of an unconstrained parameter
    (``module.parametrizations.weight_hh_l0.original``, ...). Returns ``module``.

    Only a cell with one gate block (``rnn.RNN``/``RNNCell``: ``W_hh`` is H x H) can be
    constrained; LSTM and GRU weights stack several blocks and are refused. The weights'
    current values seed the originals (``W_hh`` becomes exp of their skew part); use
    ``rnn.init.henaff_`` afterwards for Henaff's rotations.
    """
    names = recurrent_weight_names(module)
    if module.kind.gates != 1:
        raise ValueError(
            f"orthogonal_recurrence: {module.kind.name} stacks {module.kind.gates} gate blocks "
            f"in weight_hh {getattr(module, names[0]).shape}; only a square W_hh (rnn) "
            "can be orthogonal"
        )
    for name in names:
        orthogonal(module, name, orthogonal_map)
    return module
