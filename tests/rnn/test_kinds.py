"""rnn.kinds: the table of cell kinds; adding, refusing and removing a kind."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rnn import manual
from rnn.cells import (
    CELL_KINDS,
    CellBase,
    cell_kind,
    register_cell_kind,
    unregister_cell_kind,
)
from rnn.layers import layer_class


def test_built_in_kinds_come_first_in_order():
    built_in = [cell_kind(n) for n in ("rnn", "lstm", "gru")]
    assert list(CELL_KINDS.values())[:3] == built_in
    assert [(k.gates, k.state) for k in built_in] == [(1, ("h",)), (4, ("h", "c")), (3, ("h",))]
    assert [k.fold_hh_bias for k in built_in] == [True, True, False]
    for name, kind in CELL_KINDS.items():
        assert manual.reference_cell(name) is kind.reference
        assert manual.reference_cell(kind) is kind.reference


def test_unknown_name_lists_the_valid_ones():
    valid = ", ".join(CELL_KINDS)
    with pytest.raises(ValueError, match=rf"must be one of {valid}, got 'elman'"):
        cell_kind("elman")
    with pytest.raises(ValueError, match=rf"must be one of {valid}, got 3"):
        cell_kind(3)


def test_a_kind_that_contradicts_its_reference_is_refused():
    gru = cell_kind("gru")
    with pytest.raises(ValueError, match=r"reference describes 'gru' with 3 gates"):
        dataclasses.replace(gru, gates=2)
    with pytest.raises(ValueError, match=r"state must be \('h',\) or \('h', 'c'\)"):
        dataclasses.replace(gru, state=("h", "m"))
    with pytest.raises(ValueError, match=r"cell_class LSTMCell has cell = 'lstm'"):
        dataclasses.replace(gru, cell_class=cell_kind("lstm").cell_class)


def test_register_and_unregister_a_kind():
    class TwinCell(CellBase):
        cell = "twin"

    gru = cell_kind("gru")
    ref = dataclasses.replace(gru.reference, name="twin")
    kind = dataclasses.replace(gru, name="twin", cell_class=TwinCell, reference=ref)
    register_cell_kind(kind)
    try:
        assert cell_kind("twin") is kind and list(CELL_KINDS)[-1] == "twin"
        with pytest.raises(ValueError, match="named 'twin' exists already"):
            register_cell_kind(kind)
        # a twin of the GRU computes what the GRU computes
        layer = layer_class("twin")(2, 3, dtype=np.float64)
        assert type(layer).__name__ == "TWIN" and layer.kind is kind
        twin = layer_class("gru")(2, 3, dtype=np.float64)
        twin.load_state_dict(layer.state_dict())
        x = np.random.default_rng(0).normal(size=(4, 1, 2))
        np.testing.assert_array_equal(layer(x)[0].numpy(), twin(x)[0].numpy())
        params = {k.removesuffix("_l0"): v for k, v in layer.state_dict().items()}
        assert manual.forward("twin", x, params)[0].shape == (4, 1, 3)
    finally:
        unregister_cell_kind("twin")
    assert "twin" not in CELL_KINDS
    with pytest.raises(ValueError, match="must be one of"):
        manual.reference_cell("twin")
    with pytest.raises(ValueError, match="'lstm' is a built-in cell kind"):
        unregister_cell_kind("lstm")
