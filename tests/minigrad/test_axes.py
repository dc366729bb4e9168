"""PyTorch's dim/keepdim beside NumPy's axis/keepdims (minigrad/axes.py), for every
reduction, as a top-level function and as a Tensor method."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad import Tensor
from minigrad.ops.registry import REGISTRY

# name -> extra positional arguments before axis (norm takes ord first)
REDUCTIONS = {
    "sum": (),
    "mean": (),
    "max": (),
    "min": (),
    "prod": (),
    "var": (),
    "std": (),
    "logsumexp": (),
    "norm": (None,),
}
ALONG = ["cumsum", "cumprod", "sort", "softmax", "log_softmax"]


def _x() -> Tensor:
    rng = np.random.default_rng(3)
    return Tensor(rng.normal(size=(2, 3, 4)), requires_grad=True)


def _call(name: str, how: str, x: Tensor, *args, **kwargs):
    fn = getattr(x, name) if how == "method" else getattr(minigrad, name, None)
    if fn is None:
        fn = getattr(minigrad.functional, name)
        return fn(x, *args, **kwargs)
    return fn(*args, **kwargs) if how == "method" else fn(x, *args, **kwargs)


@pytest.mark.parametrize("how", ["method", "function"])
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("axis", [1, -1, (0, 2), None])
@pytest.mark.parametrize("keep", [True, False])
def test_dim_and_keepdim_mean_axis_and_keepdims(name, how, axis, keep):
    if name == "logsumexp" and isinstance(axis, tuple):
        axis = 1
    pre = REDUCTIONS[name]
    x = _x()
    numpy_style = _call(name, how, x, *pre, axis=axis, keepdims=keep)
    grad_numpy = minigrad.grad(numpy_style.sum(), [x])[0]
    torch_style = _call(name, how, x, *pre, dim=axis, keepdim=keep)
    grad_torch = minigrad.grad(torch_style.sum(), [x])[0]
    assert torch_style.shape == numpy_style.shape
    np.testing.assert_array_equal(torch_style.data, numpy_style.data)
    np.testing.assert_array_equal(grad_torch, grad_numpy)
    mixed = _call(name, how, x, *pre, dim=axis, keepdims=keep)
    np.testing.assert_array_equal(mixed.data, numpy_style.data)


@pytest.mark.parametrize("how", ["method", "function"])
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_both_spellings_of_one_argument_is_a_type_error(name, how):
    pre = REDUCTIONS[name]
    x = _x()
    with pytest.raises(TypeError, match=rf"{name}: got axis=0 and dim=1; give one"):
        _call(name, how, x, *pre, axis=0, dim=1)
    with pytest.raises(TypeError, match=rf"{name}: got keepdims=False and keepdim=True"):
        _call(name, how, x, *pre, keepdims=False, keepdim=True)


@pytest.mark.parametrize("name", ALONG)
def test_ops_along_one_axis_take_dim(name):
    x = _x()
    fn = getattr(x, name)
    np.testing.assert_array_equal(fn(dim=1).data, fn(axis=1).data)
    np.testing.assert_array_equal(fn(dim=0).data, fn(0).data)
    with pytest.raises(TypeError, match=rf"{name}: got axis=0 and dim=1"):
        fn(axis=0, dim=1)


def test_torch_style_calls_give_numpy_results():
    """x.sum(dim=1, keepdim=True) as in PyTorch; x.max(dim=1) gives the values only (NumPy's
    result; PyTorch's also carries the indices, which argmax(dim=1) gives here)."""
    x = Tensor(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]), requires_grad=True)
    np.testing.assert_array_equal(x.sum(dim=1, keepdim=True).data, [[8.0], [10.0]])
    np.testing.assert_array_equal(x.sum(1, True).data, [[8.0], [10.0]])
    top = x.max(dim=1)
    assert isinstance(top, Tensor)
    np.testing.assert_array_equal(top.data, [5.0, 7.0])
    np.testing.assert_array_equal(x.argmax(dim=1).data, [1, 0])
    np.testing.assert_array_equal(x.argmin(dim=0, keepdim=True).data, [[0, 1, 0]])
    assert x.argmax().data == 3  # flattened, as both
    np.testing.assert_allclose(x.std(dim=1, correction=1).data, np.std(x.data, 1, ddof=1))
    np.testing.assert_allclose(minigrad.var(x, dim=0).data, np.var(x.data, 0))
    with pytest.raises(TypeError, match="argmax: got axis=0 and dim=0"):
        x.argmax(axis=0, dim=0)


@pytest.mark.parametrize("how", ["method", "function"])
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize(
    "axis, message",
    [
        ((0, 0), r"axis=\(0, 0\) names axis 0 twice \(0 and 0\) of a 3-d tensor"),
        ((1, -2), r"axis=\(1, -2\) names axis 1 twice \(1 and -2\) of a 3-d tensor"),
        ((0, 3), r"axis 3 is out of range for a 3-d tensor"),
        (-4, r"axis -4 is out of range for a 3-d tensor"),
    ],
)
def test_repeated_and_out_of_range_axes_are_refused_naming_them(name, how, axis, message):
    pre = REDUCTIONS[name]
    with pytest.raises(ValueError, match=rf"^{name}: {message}"):
        _call(name, how, _x(), *pre, axis=axis)
    with pytest.raises(ValueError, match=rf"^{name}: {message}"):
        _call(name, how, _x(), *pre, dim=axis)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("axis", [1.5, "0", (0, 1.0), True])
def test_an_axis_that_is_not_an_integer_is_a_type_error(name, axis):
    pre = REDUCTIONS[name]
    with pytest.raises(TypeError, match=rf"^{name}: axis must be an integer or a tuple"):
        _call(name, "method", _x(), *pre, axis=axis)


def test_a_repeated_axis_of_a_0d_tensor_is_refused_too():
    with pytest.raises(ValueError, match=r"names axis 0 twice \(0 and -1\) of a 0-d tensor"):
        Tensor(np.array(1.0)).sum(axis=(0, -1))
    assert Tensor(np.array(2.0)).sum(axis=(0,)).item() == 2.0


# op -> (positional arguments after the tensor, NumPy's keyword and value, PyTorch's
# keyword and value): both spellings give one result, and both at once a TypeError.
SPELLINGS = {
    "tensordot": ((), "axes", ([2], [0]), "dims", ([2], [0])),
    "partition": ((1,), "axis", 0, "dim", 0),
    "sort": ((), "axis", 0, "dim", 0),
    "softmax": ((), "axis", 0, "dim", 0),
    "log_softmax": ((), "axis", 0, "dim", 0),
    "cumsum": ((), "axis", 1, "dim", 1),
    "diff": ((), "axis", 0, "dim", 0),
    "flip": ((), "axis", (0, 2), "dims", (0, 2)),
    "roll": ((1,), "axis", 1, "dims", 1),
    "rot90": ((1,), "axes", (1, 2), "dims", (1, 2)),
    "repeat": ((2,), "axis", 1, "dim", 1),
    "diagonal": ((0,), "axis2", 2, "dim2", 2),
    "squeeze": ((), "axis", 0, "dim", 0),
    "unsqueeze": ((), "axis", 1, "dim", 1),
    "take": ((np.array([0, 2]),), "axis", 2, "dim", 2),
    "split": ((1,), "axis", 1, "dim", 1),
    "chunk": ((2,), "axis", 2, "dim", 2),
    "unbind": ((), "axis", 1, "dim", 1),
    "concatenate": ((), "axis", 1, "dim", 1),
    "stack": ((), "axis", 3, "dim", 3),
    "cross": ((), "axis", 1, "dim", 1),
}


def _spelled_call(name: str, x: Tensor, **kwargs):
    pre = SPELLINGS[name][0]
    fn = REGISTRY[name].forward
    if name == "squeeze":
        x = x[None]
    if name in ("concatenate", "stack"):
        return fn([x, x], *pre, **kwargs)
    if name in ("tensordot", "cross"):
        other = x.transpose((2, 0, 1)) if name == "tensordot" else x
        return fn(x, other, *pre, **kwargs)
    return fn(x, *pre, **kwargs)


def _pieces(out) -> list:
    return [p.data for p in out] if isinstance(out, list) else [out.data]


@pytest.mark.parametrize("name", sorted(SPELLINGS))
def test_numpy_and_pytorch_spellings_of_an_axis_argument_agree(name):
    _, np_name, np_value, torch_name, torch_value = SPELLINGS[name]
    x = Tensor(np.random.default_rng(5).normal(size=(2, 3, 4)))
    numpy_style = _pieces(_spelled_call(name, x, **{np_name: np_value}))
    torch_style = _pieces(_spelled_call(name, x, **{torch_name: torch_value}))
    assert len(numpy_style) == len(torch_style)
    for a, b in zip(numpy_style, torch_style, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match=rf"^{name}: got {np_name}=.* and {torch_name}=.*; give"):
        _spelled_call(name, x, **{np_name: np_value, torch_name: torch_value})


def test_the_default_of_an_axis_is_not_taken_for_a_second_spelling():
    x = Tensor(np.random.default_rng(5).normal(size=(2, 3)))
    np.testing.assert_array_equal(x.sort(dim=0).data, np.sort(x.data, 0))
    np.testing.assert_array_equal(minigrad.concatenate([x, x], dim=1).data, np.hstack([x.data] * 2))
    with pytest.raises(TypeError, match="sort: got axis=-1 and dim=0"):
        x.sort(-1, dim=0)
    with pytest.raises(TypeError, match="stack: got axis=0 and dim=1"):
        minigrad.stack([x, x], 0, dim=1)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda x: x.swapaxes(0, 3),
            ValueError,
            "swapaxes: second axis 3 is out of range for a 3-d",
        ),
        (
            lambda x: x[None].squeeze((0, 0)),
            ValueError,
            r"squeeze: axis=\(0, 0\) names axis 0 twice",
        ),
        (
            lambda x: x.unsqueeze((0, 1)),
            TypeError,
            r"unsqueeze: axis must be an integer, got \(0, 1\)",
        ),
        (
            lambda x: x.unsqueeze(4),
            ValueError,
            "unsqueeze: axis 4 is out of range for a new axis of a 3-d",
        ),
        (lambda x: x.unsqueeze(), TypeError, "unsqueeze: missing the axis"),
        (
            lambda x: minigrad.ops.take(x, np.array([0]), 3),
            ValueError,
            "take: axis 3 is out of range",
        ),
        (
            lambda x: minigrad.stack([x, x], 4),
            ValueError,
            "stack: axis 4 is out of range for a new axis",
        ),
        (
            lambda x: minigrad.concatenate([x, x], 3),
            ValueError,
            "concatenate: axis 3 is out of range",
        ),
        (lambda x: minigrad.split(x, 2, 3), ValueError, "split: axis 3 is out of range for a 3-d"),
        (
            lambda x: minigrad.split(x, [4, -1], 1),
            ValueError,
            r"split: sizes \[4, -1\] must not be",
        ),
        (lambda x: minigrad.unbind(x, -4), ValueError, "unbind: axis -4 is out of range for a 3-d"),
        (lambda x: minigrad.chunk(x, 2, 5), ValueError, "chunk: axis 5 is out of range for a 3-d"),
        (lambda x: minigrad.chunk(x, 1.5), TypeError, "chunk: chunks must be an integer, got 1.5"),
        (lambda x: x.cumsum(1.5), TypeError, "cumsum: axis must be an integer, got 1.5"),
        (lambda x: x.sort(axis=(0, 1)), TypeError, r"sort: axis must be an integer, got \(0, 1\)"),
        (
            lambda x: x.partition(4),
            ValueError,
            "partition: kth=4 is out of range for axis 2 of size 4",
        ),
        (lambda x: x.partition(1.0), TypeError, "partition: kth must be integers, got 1.0"),
        (lambda x: minigrad.diff(x, 1.5), TypeError, "diff: order n must be an integer, got 1.5"),
        (
            lambda x: minigrad.trace(x, 0, 1, -2),
            ValueError,
            "trace: axis1=1 and axis2=-2 are the same",
        ),
        (
            lambda x: minigrad.moveaxis(x, (0, 1), (2, -1)),
            ValueError,
            r"moveaxis: destination \(2, -1\) repeats",
        ),
        (
            lambda x: minigrad.moveaxis(x, 0, 3),
            ValueError,
            "moveaxis: destination 3 is out of range",
        ),
        (
            lambda x: minigrad.tensordot(x, x, (1,)),
            TypeError,
            "tensordot: axes must be an integer or a pair",
        ),
        (lambda x: x.argmax(3), ValueError, "argmax: axis 3 is out of range for a 3-d tensor"),
        (lambda x: x[:0].argmin(0), ValueError, r"argmin: axis 0 of shape \(0, 3, 4\) is empty"),
    ],
)
def test_axis_arguments_that_do_not_fit_are_named_by_the_op(call, error, message):
    with pytest.raises(error, match=f"^{message}"):
        call(Tensor(np.ones((2, 3, 4))))


# Arguments other than axes with a PyTorch (or NumPy keyword) name: op, positional
# arguments after the tensor, minigrad's keyword and value, the other keyword and value.
OTHER_SPELLINGS = [
    ("tril", (), "k", -1, "diagonal", -1),
    ("triu", (), "k", 1, "diagonal", 1),
    ("diag", (), "k", 1, "diagonal", 1),
    ("roll", (), "shift", 2, "shifts", 2),
    ("tile", (), "reps", (2, 1), "dims", (2, 1)),
    ("clip", (), "lo", 0.5, "a_min", 0.5),
    ("clip", (), "lo", 0.5, "min", 0.5),
    ("clip", (0.0,), "hi", 0.5, "a_max", 0.5),
    ("clip", (0.0,), "hi", 0.5, "max", 0.5),
]


@pytest.mark.parametrize("name, pre, ours, value, theirs, same", OTHER_SPELLINGS)
def test_other_arguments_take_their_numpy_and_pytorch_keywords(
    name, pre, ours, value, theirs, same
):
    x = Tensor(np.random.default_rng(2).normal(size=(3, 3)))
    fn = REGISTRY[name].forward
    np.testing.assert_array_equal(
        fn(x, *pre, **{ours: value}).data, fn(x, *pre, **{theirs: same}).data
    )
    with pytest.raises(TypeError, match=rf"^{name}: got .*{theirs}="):
        fn(x, *pre, **{ours: value, theirs: same})
