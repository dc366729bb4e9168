"""Nesting of tensors for the transforms (minigrad/pytree.py)."""

from __future__ import annotations

from collections import namedtuple

import pytest

from minigrad.pytree import flatten, map_leaves, unflatten


def test_flatten_and_unflatten_round_trip_tuples_lists_and_dicts_in_order():
    tree = ((1, [2, 3]), {"b": 4, "a": (5,)}, 6)
    leaves, spec = flatten(tree)
    assert leaves == [1, 2, 3, 4, 5, 6]
    assert unflatten(spec, leaves) == tree
    assert map_leaves(lambda v: v * 10, tree) == ((10, [20, 30]), {"b": 40, "a": (50,)}, 60)
    assert repr(spec) == "((*, [*, *]), {'b': *, 'a': (*,)}, *)"


def test_a_single_leaf_and_empty_containers():
    leaves, spec = flatten(7)
    assert leaves == [7] and unflatten(spec, [8]) == 8
    leaves, spec = flatten(((), []))
    assert leaves == [] and unflatten(spec, []) == ((), [])


def test_specs_compare_by_structure():
    assert flatten((1, [2]))[1] == flatten((3, [4]))[1]
    assert flatten((1, [2]))[1] != flatten((1, (2,)))[1]
    assert flatten({"a": 1})[1] != flatten({"b": 1})[1]


def test_a_namedtuple_is_a_leaf_and_a_wrong_count_is_refused():
    Pair = namedtuple("Pair", "x y")
    leaves, spec = flatten([Pair(1, 2)])
    assert leaves == [Pair(1, 2)]
    with pytest.raises(ValueError, match="has 1 leaves, got 2"):
        unflatten(spec, [1, 2])
