"""Tensor construction, dtypes, conversions and bad inputs."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import minigrad
from minigrad import Tensor


def test_python_floats_take_the_default_dtype_and_arrays_keep_theirs():
    assert Tensor(1.5).dtype == np.float32
    assert Tensor([1.0, 2.0]).dtype == np.float32
    assert Tensor(np.ones(2)).dtype == np.float64
    assert Tensor(np.ones(2, np.float32)).dtype == np.float32
    assert Tensor([1, 2]).dtype.kind == "i"


def test_numpy_scalars_keep_their_dtype():
    assert Tensor(np.float64(0.1)).dtype == np.float64
    assert Tensor(np.float64(0.1)).item() == 0.1
    assert Tensor(np.float32(0.5)).dtype == np.float32


def test_default_dtype_can_be_float64():
    minigrad.set_default_dtype(np.float64)
    try:
        assert Tensor(1.5).dtype == np.float64
        assert minigrad.ones(2).dtype == np.float64
    finally:
        minigrad.set_default_dtype(np.float32)
    with pytest.raises(ValueError, match="float32 or float64"):
        minigrad.set_default_dtype(np.int32)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv", "pow"])
@pytest.mark.parametrize("scalar", [2, 2.5, np.float64(2.5)])
def test_python_scalars_do_not_promote_float32(op, scalar):
    x = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    y = getattr(x, f"__{op}__")(scalar)
    z = getattr(x, f"__r{op}__")(scalar)
    assert y.dtype == np.float32 and z.dtype == np.float32
    (y + z).sum().backward()
    assert x.grad.dtype == np.float32


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match=r"only floating-point tensors can require grad.*int"):
        Tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        Tensor(np.array([True])).requires_grad_()


@pytest.mark.parametrize("bad", ["a", None, object(), {"x": 1}])
def test_mixing_in_non_numeric_objects_raises_type_error(bad):
    t = Tensor(np.ones(2))
    with pytest.raises(TypeError, match="add"):
        t + bad
    with pytest.raises(TypeError, match="mul"):
        bad * t


def test_mixing_in_a_list_of_strings_raises_type_error():
    with pytest.raises(TypeError, match="expected numbers"):
        minigrad.ops.add(Tensor(np.ones(2)), [1, "a"])


@pytest.mark.parametrize("bad", ["abc", ["a", "b"], object()])
def test_constructing_from_non_numeric_data_raises(bad):
    with pytest.raises(TypeError, match="cannot make a tensor"):
        Tensor(bad)


def test_conversions():
    t = Tensor(np.arange(6.0).reshape(2, 3))
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert t.dim() == 2 and Tensor(np.array(1.0)).dim() == 0
    assert np.asarray(t) is t.data and t.numpy() is t.data
    assert np.asarray(t, np.float32).dtype == np.float32
    assert t.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert Tensor(np.array(3.0)).item() == 3.0
    with pytest.raises(ValueError, match=r"item\(\): tensor of shape \(2, 3\) has 6 elements"):
        t.item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(t)
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))


def test_detach_cuts_the_graph_and_shares_data():
    x = Tensor(np.ones(2), requires_grad=True)
    y = (x * 2.0).detach()
    assert not y.requires_grad and y.is_leaf
    z = x * 2.0
    assert not z.is_leaf and np.shares_memory(z.detach().data, z.data)


def test_ndarray_on_the_left_defers_to_tensor():
    x = Tensor(np.ones(2), requires_grad=True)
    y = np.array([2.0, 3.0]) * x
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 3.0])


def test_comparisons_give_boolean_tensors_outside_the_graph():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    m = x > 1.5
    assert m.dtype == np.bool_ and not m.requires_grad
    np.testing.assert_array_equal((x == 2.0).data, [False, True])


def test_requires_grad_false_on_non_leaf_raises():
    y = Tensor(np.ones(2), requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad_(False)


def test_creation_functions():
    assert minigrad.zeros(2, 3).shape == (2, 3) and minigrad.zeros((2, 3)).dtype == np.float32
    assert minigrad.full((2,), 7.0).tolist() == [7.0, 7.0]
    assert minigrad.eye(3).data.trace() == 3.0
    assert minigrad.arange(3).tolist() == [0, 1, 2]
    assert minigrad.arange(0.0, 1.0, 0.5).dtype == np.float32
    a = minigrad.randn(4, generator=np.random.default_rng(0))
    b = minigrad.randn(4, generator=np.random.default_rng(0))
    np.testing.assert_array_equal(a.data, b.data)
    src = np.ones(2)
    t = minigrad.tensor(src, requires_grad=True)
    src[0] = 5.0
    assert t.data[0] == 1.0  # tensor() copies


def test_copy_shape_error():
    with pytest.raises(ValueError, match=r"copy_: source shape \(3,\) does not fit \(2,\)"):
        Tensor(np.ones(2)).copy_(np.ones(3))


def test_truth_value_error_points_to_any_and_all_which_exist():
    t = Tensor(np.array([[0.0, 1.0], [2.0, 3.0]]))
    with pytest.raises(
        ValueError, match=r"shape \(2, 2\) is ambiguous; use \.any\(\) or \.all\(\)"
    ):
        bool(t)
    assert bool(t.any()) and not bool(t.all())
    np.testing.assert_array_equal(t.all(axis=1).data, [False, True])
    np.testing.assert_array_equal(t.any(axis=0, keepdims=True).data, [[True, True]])
    assert t.any().dtype == np.bool_ and not t.any().requires_grad


def test_any_and_all_take_pytorchs_dim_and_keepdim_and_check_the_axis():
    x = np.array([[[0.0, 1.0], [0.0, 0.0]], [[2.0, 3.0], [4.0, 0.0]]])
    t = Tensor(x)
    for op in ("any", "all"):
        for dim in (0, -1, (0, 2)):
            for keepdim in (False, True):
                got = getattr(t, op)(dim=dim, keepdim=keepdim).data
                np.testing.assert_array_equal(got, getattr(x, op)(axis=dim, keepdims=keepdim))
        with pytest.raises(TypeError, match=f"{op}: got axis=0 and dim=1"):
            getattr(t, op)(0, dim=1)
        with pytest.raises(ValueError, match=f"{op}: axis 3 is out of range for a 3-d tensor"):
            getattr(t, op)(dim=3)


def test_size_is_the_element_count_and_called_gives_the_shape():
    """``t.size`` stays the element count (an int, as NumPy's); ``t.size()`` and
    ``t.size(dim)`` are PyTorch's, and ``numel()`` too."""
    t = Tensor(np.zeros((2, 3, 4)))
    assert t.size == 24 and isinstance(t.size, int) and t.size + 1 == 25
    assert t.size() == (2, 3, 4) and t.size(0) == 2 and t.size(-1) == 4
    assert t.numel() == 24 and Tensor(np.zeros((0, 3))).size() == (0, 3)
    with pytest.raises(IndexError, match=r"size\(3\): dimension out of range .* \(2, 3, 4\)"):
        t.size(3)


def test_float_and_int_of_a_one_element_tensor_as_numpy_and_pytorch():
    assert float(Tensor(np.array(2.5))) == 2.5
    assert int(Tensor(np.array(2.5))) == 2
    assert float(Tensor(np.array([3.0]))) == 3.0 and int(Tensor(np.array([[7]]))) == 7
    with pytest.raises(TypeError, match=r"^float\(\): only a one-element tensor .* shape \(2,\)"):
        float(Tensor(np.ones(2)))
    with pytest.raises(TypeError, match=r"^int\(\): only a one-element tensor .* shape \(0,\)"):
        int(Tensor(np.ones(0)))


def test_methods_numpy_and_pytorch_users_reach_for():
    v = Tensor(np.array([1.0, 2.0, 3.0]))
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert x.ravel().shape == (6,)
    np.testing.assert_array_equal(x.pow(2).data, x.data**2)
    np.testing.assert_array_equal(x.remainder(4).data, x.data % 4)
    np.testing.assert_array_equal(x.floor_divide(4).data, x.data // 4)
    assert v.dot(v).item() == 14.0 and v.inner(v).item() == 14.0
    assert v.outer(v).shape == (3, 3) and v.kron(v).shape == (9,)
    # no Tensor.cross: PyTorch's x.cross(y, 0) crosses along axis 0 of both, NumPy's
    # cross(x, y, 0) only along axisa=0 of x; minigrad.cross takes dim= for the former
    assert not hasattr(v, "cross")


def test_inplace_methods_keep_the_dtype_and_shape_instead_of_truncating():
    """add_/sub_/mul_/div_/clamp_ follow a += b: an integer tensor refuses a float result
    (add_(1.5) added 1 and mul_(0.5) zeroed it), nothing written before the refusal."""
    n = Tensor(np.array([1, 2, 3]))
    for update in (
        lambda: n.add_(1.5),
        lambda: n.sub_(0.5),
        lambda: n.mul_(0.5),
        lambda: n.div_(2),
        lambda: n.clamp_(0.5, 2.5),
    ):
        with pytest.raises(TypeError, match="would be float64, which a tensor of dtype int64"):
            update()
    np.testing.assert_array_equal(n.data, [1, 2, 3])
    big = Tensor(np.array([2**60 + 1]))
    big.add_(1)  # integer arithmetic: exact past 2**53
    assert big.dtype == np.int64 and big.data[0] == 2**60 + 2
    small = Tensor(np.array([1, 2], np.int8))
    with pytest.raises(OverflowError, match="add_: Python integer 300"):
        small.add_(300)
    f = Tensor(np.array([[1.0, 2.0, 3.0]], np.float32))
    f.add_(np.ones(3), alpha=2).mul_(0.5).clamp_(1.5, 2.0)
    assert f.dtype == np.float32
    np.testing.assert_array_equal(f.data, [[1.5, 2.0, 2.0]])
    with pytest.raises(ValueError, match=r"add_: the result has shape \(2, 1, 3\)"):
        f.add_(np.ones((2, 1, 3)))


def test_sub_takes_alpha_as_add_and_pytorch():
    f = Tensor(np.array([1.0, 2.0, 3.0]))
    f.sub_(np.array([1.0, 1.0, 2.0]), alpha=0.5)
    np.testing.assert_array_equal(f.data, [0.5, 1.5, 2.0])
    n = Tensor(np.array([5, 6]))
    n.sub_(np.array([1, 2]), alpha=2)
    assert n.dtype == np.int64 and n.data.tolist() == [3, 2]
    with pytest.raises(TypeError, match="sub_: the result would be float64"):
        n.sub_(1, alpha=0.5)


def test_an_inplace_method_refuses_an_operand_whose_gradient_it_would_lose():
    w = Tensor(np.ones(3), requires_grad=True)
    acc = Tensor(np.zeros(3))
    with pytest.raises(RuntimeError, match="add_: the operand requires grad"):
        acc.add_(w)
    with minigrad.no_grad():
        acc.add_(w, alpha=2)
    np.testing.assert_array_equal(acc.data, [2.0, 2.0, 2.0])


def _pickled(t):
    return pickle.loads(pickle.dumps(t))


def test_pickle_keeps_values_flag_grad_and_name_not_the_graph():
    w = Tensor(np.arange(3.0), requires_grad=True, name="w")
    (w * w).sum().backward()
    hooked = w * 2.0
    hooked.register_hook(lambda g: g)
    step = minigrad.compile(lambda x: ((x * w).sum(), x * w))
    loss, y = step(Tensor(np.ones(3)))
    cases = [w, w.detach(), hooked, loss, y, Tensor(np.arange(3)), minigrad.nn.Linear(2, 3).weight]
    for t in cases:  # eager leaves, detached, hooked, compiled outputs, integers, parameters
        back = _pickled(t)
        assert type(back) is type(t) and back.dtype == t.dtype
        np.testing.assert_array_equal(back.data, t.data)
        assert back.requires_grad == t.requires_grad and back.grad_fn is None
    back = _pickled(w)
    np.testing.assert_array_equal(back.grad, [0.0, 2.0, 4.0])
    assert back.name == "w"
    leaf = _pickled(loss)  # a computed tensor comes back as a leaf, as in PyTorch
    leaf.backward()
    assert leaf.grad == 1.0 and w.grad.tolist() == [0.0, 2.0, 4.0]


def test_bitwise_operators_combine_masks_and_integers_as_numpy_and_refuse_floats():
    m, n = np.array([True, False, True, False]), np.array([True, True, False, False])
    tm, tn = Tensor(m), Tensor(n)
    np.testing.assert_array_equal((~tm).data, ~m)
    np.testing.assert_array_equal((tm & tn).data, m & n)
    np.testing.assert_array_equal((tm | tn).data, m | n)
    np.testing.assert_array_equal((tm ^ tn).data, m ^ n)
    np.testing.assert_array_equal((True & tn).data, n)
    i = np.array([5, -3, 12], np.int32)
    ti = Tensor(i)
    for got, want in [(ti & 3, i & 3), (6 | ti, 6 | i), (ti ^ ti, i ^ i), (~ti, ~i)]:
        assert got.dtype == np.int32 and not got.requires_grad
        np.testing.assert_array_equal(got.data, want)
    x = Tensor(np.array([0.5, 1.5]), requires_grad=True)
    np.testing.assert_array_equal(((x > 0) & (x < 1)).data, [True, False])
    with pytest.raises(TypeError, match="&: bitwise operators take integer or boolean tensors"):
        _ = x & tm[:2]
    with pytest.raises(TypeError, match=r"~: bitwise operators .* got float64"):
        _ = ~x


def test_flatten_takes_pytorchs_start_dim_and_end_dim():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = Tensor(a, requires_grad=True)
    assert x.flatten().shape == (24,) and Tensor(np.array(1.0)).flatten().shape == (1,)
    assert x.flatten(1).shape == (2, 12) and x.flatten(0, 1).shape == (6, 4)
    assert x.flatten(start_dim=-2, end_dim=-1).shape == (2, 12)
    assert x.flatten(1, 1).shape == (2, 3, 4)
    assert Tensor(np.ones((2, 0, 3))).flatten(1).shape == (2, 0)
    np.testing.assert_array_equal(x.flatten(1).data, a.reshape(2, 12))
    (x.flatten(0, 1) * Tensor(np.arange(24.0).reshape(6, 4))).sum().backward()
    np.testing.assert_array_equal(x.grad, a)
    with pytest.raises(ValueError, match="flatten: start_dim 2 comes after end_dim 1"):
        x.flatten(2, 1)
    with pytest.raises(ValueError, match="flatten: end_dim 3 is out of range for a 3-d tensor"):
        x.flatten(0, 3)


def test_iteration_refuses_a_0d_tensor_and_in_compares_elements_as_numpy():
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(Tensor(np.array(1.0)))
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    first, second = x
    (2 * first + second).sum().backward()
    np.testing.assert_array_equal(x.grad, [[2.0, 2.0, 2.0], [1.0, 1.0, 1.0]])
    assert 5.0 in x and 7 not in x and Tensor(np.array(4)) in x
