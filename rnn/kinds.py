"""The description of a cell kind, and the table of known kinds.

A :class:`CellKind` says everything that differs between RNN, LSTM, GRU and any kind added
later: gate count, state names, the step written from ops, the one-step module, how the
biases fold and the hand-derived reference. :mod:`rnn.cells` defines and registers the
built-in kinds; everything here is re-exported from there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import manual

__all__ = ["CELL_KINDS", "CellKind", "cell_kind", "register_cell_kind", "unregister_cell_kind"]

# the kinds rnn.cells registers itself; they cannot be unregistered
_BUILT_IN: set[str] = set()

StepFn = Callable[..., tuple[Any, ...]]


@dataclass(frozen=True)
class CellKind:
    """Everything about one cell kind, in one place.

    - ``name``: "rnn", "lstm", "gru", ... (the layers' ``cell`` attribute);
    - ``gates``: G; ``weight_ih`` is (G*H, I), ``weight_hh`` (G*H, H), biases (G*H,);
    - ``state``: ``("h",)`` or ``("h", "c")``; a layer's output is the h of each step;
    - ``step``: ``step(xw, state, w_hh_t, b_hh, **options) -> new state`` written from ops,
      with xw = x W_ih^T + b_ih (N, G*H), state a tuple of (N, H) tensors, w_hh_t = W_hh^T;
    - ``cell_class``: the one-step module (a :class:`rnn.cells.CellBase` subclass whose
      ``cell`` attribute is ``name``);
    - ``fold_hh_bias``: True when b_hh only adds to the pre-activations (RNN, LSTM), so a layer
      folds it into the input projection (b_ih + b_hh) and calls ``step`` with b_hh=None;
      False when it enters through a product (GRU's ``r * (W_hn h + b_hn)``);
    - ``reference``: the hand-derived :class:`rnn.manual.ReferenceCell` of the same kind;
    - ``options``: keyword options of ``step`` read from the module's attributes of the same
      name (``("nonlinearity",)`` for the vanilla RNN).
    """

    name: str
    gates: int
    state: tuple[str, ...]
    step: StepFn
    cell_class: type
    fold_hh_bias: bool
    reference: manual.ReferenceCell
    options: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        where = f"CellKind {self.name!r}"
        if tuple(self.state) not in (("h",), ("h", "c")):
            raise ValueError(f"{where}: state must be ('h',) or ('h', 'c'), got {self.state!r}")
        if not isinstance(self.cell_class, type):
            raise TypeError(f"{where}: cell_class must be a class (a rnn.cells.CellBase subclass)")
        if getattr(self.cell_class, "cell", None) != self.name:
            raise ValueError(
                f"{where}: cell_class {self.cell_class.__name__} has cell = "
                f"{getattr(self.cell_class, 'cell', None)!r}, expected {self.name!r}"
            )
        ref = self.reference
        if not isinstance(ref, manual.ReferenceCell):
            raise TypeError(f"{where}: reference must be a manual.ReferenceCell")
        if (ref.name, ref.gates, tuple(ref.state)) != (self.name, self.gates, tuple(self.state)):
            raise ValueError(
                f"{where}: the reference describes {ref.name!r} with {ref.gates} gates and "
                f"state {ref.state}, but the kind has {self.gates} gates and state {self.state}"
            )


CELL_KINDS: dict[str, CellKind] = {}


def register_cell_kind(kind: CellKind, *, built_in: bool = False) -> CellKind:
    """Add ``kind`` to :data:`CELL_KINDS` (and its reference to :mod:`rnn.manual`).

    Afterwards ``rnn.layers.layer_class(kind.name)``, :func:`rnn.compare.compare` and
    ``manual.forward(kind.name, ...)`` work with it. A name can be registered once.
    ``built_in`` (used by :mod:`rnn.cells` for its own kinds) keeps it from being unregistered.
    """
    if kind.name in CELL_KINDS:
        raise ValueError(f"register_cell_kind: a cell kind named {kind.name!r} exists already")
    manual.register_reference(kind.reference)
    CELL_KINDS[kind.name] = kind
    if built_in:
        _BUILT_IN.add(kind.name)
    return kind


def unregister_cell_kind(name: str) -> None:
    """Remove a kind added with :func:`register_cell_kind` (the built-in kinds stay)."""
    if name in _BUILT_IN:
        raise ValueError(f"unregister_cell_kind: {name!r} is a built-in cell kind")
    kind = cell_kind(name)
    manual.unregister_reference(kind.reference)
    del CELL_KINDS[name]


def cell_kind(name: str) -> CellKind:
    """The :class:`CellKind` called ``name``; ValueError naming the valid names otherwise."""
    kind = CELL_KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise ValueError(f"cell must be one of {', '.join(CELL_KINDS)}, got {name!r}")
    return kind
