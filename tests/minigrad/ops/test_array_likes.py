"""Array-like operands (every op, from the registry): an op given a nested list, a NumPy
array or a number where it takes a tensor computes what it computes on that value made a
tensor, as NumPy's functions do (``minigrad.exp([1.0, 2.0])`` as ``np.exp``), and a value
that cannot be a tensor (a string) is refused with a TypeError naming the op."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_cases import CASES
from op_cases.arguments import _is_float

import minigrad
from minigrad import Tensor
from minigrad.ops.registry import REGISTRY

# A list operand of mm and bmm (made a tensor of the default dtype) is promoted to the
# other operand's float dtype, where a Tensor of another dtype is refused as torch.mm
# refuses it (tests/minigrad/ops/test_linalg.py).
TAKES_THE_DTYPE = {"bmm", "mm"}

# Defined in minigrad/functional.py, whose ops convert their input in a later change.
PENDING: set[str] = set()
PENDING_LISTS = PENDING | set()
PENDING_REFUSALS = PENDING | set()


def _ops(pending: set[str]) -> list[Any]:
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason="not converted yet"))
        if name in pending
        else name
        for name in sorted(REGISTRY)
    ]


def _first_operand(args: tuple) -> tuple[int, int | None]:
    """Where the first float array (a tensor operand) of a row's arguments is: its
    position, and its position inside a sequence argument (concatenate's) or None."""
    for i, a in enumerate(args):
        if isinstance(a, list):
            for j, v in enumerate(a):
                if _is_float(v):
                    return i, j
        elif _is_float(a):
            return i, None
    raise AssertionError("a row without a float operand")


def _call(name: str, args: tuple, at: tuple[int, int | None], first: Any) -> Any:
    """The op on ``args`` with ``first`` at ``at`` and every other float array a Tensor."""
    i, j = at

    def tensor(v: Any) -> Any:
        return Tensor(v) if _is_float(v) else v

    rebuilt = [[tensor(v) for v in a] if isinstance(a, list) else tensor(a) for a in args]
    if j is None:
        rebuilt[i] = first
    else:
        rebuilt[i][j] = first
    return REGISTRY[name].forward(*rebuilt)


def _outcome(name: str, args: tuple, at: tuple[int, int | None], first: Any) -> Any:
    """The op's outputs as arrays, or the error it raised as (type, message)."""
    try:
        out = _call(name, args, at, first)
    except Exception as e:  # the same refusal is the same outcome
        return type(e), str(e)
    pieces = list(out) if isinstance(out, list | tuple) else [out]
    return [(p.data.dtype, p.data.tolist()) for p in pieces]


def _equal(a: Any, b: Any) -> bool:
    # tolist() keeps NaN != NaN: compare the reprs, bit for bit in the digits printed
    return repr(a) == repr(b)


@pytest.mark.parametrize("name", _ops(PENDING_LISTS))
@settings(max_examples=6)
@given(data=st.data())
def test_a_list_or_array_operand_is_the_tensor_of_it(name, data):
    """The first tensor operand as a nested list gives what ``Tensor(list)`` gives (Python
    floats take the default dtype), and as a NumPy array what ``Tensor(array)`` gives."""
    args = CASES[name].draw(data.draw)
    at = _first_operand(args)
    value = args[at[0]] if at[1] is None else args[at[0]][at[1]]
    nested = value.tolist()
    # a 0-d value is a Python number, which takes the other operand's dtype (add)
    if isinstance(nested, list):
        listed = _outcome(name, args, at, nested)
        same = Tensor(nested)
        if name in TAKES_THE_DTYPE:
            same = Tensor(same.data.astype(value.dtype))
        assert _equal(listed, _outcome(name, args, at, same))
    assert _equal(_outcome(name, args, at, value), _outcome(name, args, at, Tensor(value)))


@pytest.mark.parametrize("name", _ops(PENDING_REFUSALS))
@pytest.mark.parametrize("bad", ["abc", None, object()], ids=["str", "None", "object"])
@settings(max_examples=2)
@given(data=st.data())
def test_what_cannot_be_a_tensor_is_refused_naming_the_op(name, bad, data):
    args = CASES[name].draw(data.draw)
    with pytest.raises(TypeError, match=rf"^{re.escape(name)}: "):
        _call(name, args, _first_operand(args), bad)


def test_two_array_likes_are_both_made_tensors():
    np.testing.assert_array_equal(minigrad.ops.remainder([5, 7], [3, 4]).data, [2, 3])
    np.testing.assert_array_equal(minigrad.mod([5, 7], 3).data, [2, 1])
    assert minigrad.add(2, 3).item() == 5
    out = minigrad.ops.lerp([0.0, 1.0], [2.0, 3.0], 0.5)
    assert out.dtype == np.float32 and out.data.tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="lerp: needs a Tensor operand"):
        minigrad.ops.lerp(1.0, 2.0, 0.5)  # numbers alone: no dtype to take


def test_a_list_holding_text_is_refused_naming_the_op():
    with pytest.raises(TypeError, match=r"^add: "):
        minigrad.add(Tensor([1.0]), [1.0, "a"])
    with pytest.raises(TypeError, match=r"^hstack: "):
        minigrad.hstack([Tensor([1.0]), "a"])


def test_unary_ops_take_lists_and_arrays():
    np.testing.assert_allclose(minigrad.exp([1.0, 2.0]).data, np.exp([1.0, 2.0]), rtol=1e-6)
    assert minigrad.exp([1.0, 2.0]).dtype == np.float32  # Python floats: the default dtype
    assert minigrad.tanh(np.ones(3)).dtype == np.float64  # an array keeps its dtype
    assert minigrad.tanh([1, 2]).dtype == np.float32  # integers: the default float dtype
    out = minigrad.exp([0.0])
    assert not out.requires_grad and out.grad_fn is None  # a constant
    with pytest.raises(TypeError, match=r"^exp: "):
        minigrad.exp([1.0, "a"])


def test_tensor_methods_are_the_ops_themselves():
    """The conversion is inside the op: the methods are the very functions, no wrapper."""
    assert Tensor.exp is minigrad.exp and Tensor.sum is minigrad.sum
    assert Tensor.tanh is minigrad.tanh and Tensor.flip is minigrad.ops.flip
    x = Tensor(np.array([[1.0, -2.0], [3.0, 0.5]]), requires_grad=True)
    x.tanh().sum().backward()
    np.testing.assert_allclose(x.grad, 1 - np.tanh(x.data) ** 2)


def test_shape_and_reduction_ops_take_lists():
    assert minigrad.sum([1.0, 2.0]).item() == 3.0
    np.testing.assert_array_equal(minigrad.ops.flip([1, 2, 3]).data, [3, 2, 1])
    np.testing.assert_array_equal(minigrad.trace([[1.0, 2.0], [3.0, 4.0]]).data, 5.0)
    np.testing.assert_array_equal(minigrad.ops.reshape([1, 2, 3, 4], (2, 2)).data, [[1, 2], [3, 4]])
    with pytest.raises(TypeError, match=r"^sum: "):
        minigrad.sum([[1.0], "ab"])
