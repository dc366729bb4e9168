"""The op table (minigrad/ops/registry.py): one registration gives the exports, the
Tensor methods and the test rows; the table of tests names exactly the registered ops."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import CASES, Case, check_case, unary

import minigrad
from minigrad import Tensor, gradcheck, ops
from minigrad.ops import record
from minigrad.ops.registry import REGISTRY, composite, definitions, primitive, unregister


def test_every_registered_op_has_one_row_of_test_data_and_no_row_is_stale():
    assert set(CASES) == set(REGISTRY), (
        f"ops without a row in tests/op_cases/: {sorted(set(REGISTRY) - set(CASES))}; "
        f"rows for no registered op: {sorted(set(CASES) - set(REGISTRY))}"
    )


def test_the_registry_is_iterable_by_name_with_forward_and_rules():
    listed = list(definitions())
    assert [op.name for op in listed] == sorted(REGISTRY)
    assert {"add", "matmul", "getitem", "sum", "softmax"} <= set(REGISTRY)
    for op in listed:
        assert callable(op.forward)
        assert (op.jvp is not None) == op.is_primitive  # composites differentiate through theirs
        assert op.is_primitive == (op.vjp is not None)
    assert REGISTRY["mean"].vjp is None  # a composite: sum times 1/count
    assert {op.module for op in listed} == {
        "minigrad.ops.activations",
        "minigrad.ops.arith",
        "minigrad.ops.casts",
        "minigrad.ops.contract",
        "minigrad.ops.elementwise",
        "minigrad.ops.explog",
        "minigrad.ops.expm",
        "minigrad.ops.indexing",
        "minigrad.ops.interpolate",
        "minigrad.ops.joins",
        "minigrad.ops.layout",
        "minigrad.ops.linalg",
        "minigrad.ops.loss",
        "minigrad.ops.multiply_add",
        "minigrad.ops.norms",
        "minigrad.ops.pieces",
        "minigrad.ops.piecewise",
        "minigrad.ops.reduce",
        "minigrad.ops.select",
        "minigrad.ops.shape",
        "minigrad.ops.special",
        "minigrad.ops.stats",
        "minigrad.ops.trig",
        "minigrad.ops.unary",
        "minigrad.softmax",
    }


def test_exports_come_from_the_registration():
    in_ops = {op.name for op in definitions() if op.module.startswith("minigrad.ops")}
    assert set(ops.__all__) == in_ops | {"record", "unbroadcast"}
    for name in in_ops:
        assert getattr(ops, name) is REGISTRY[name].forward
    top = {op.name for op in definitions() if op.top_level}
    assert top <= set(minigrad.__all__)
    for name in top:
        assert getattr(minigrad, name) is REGISTRY[name].forward
    assert ops.elementwise.__all__ == [op.name for op in definitions("minigrad.ops.elementwise")]


@pytest.mark.parametrize("name", sorted(n for n in REGISTRY if REGISTRY[n].is_primitive))
def test_each_primitive_records_itself_under_its_name(name):
    out = REGISTRY[name].forward(*_leaf_args(name))
    first = out[0] if isinstance(out, list) else out
    assert first.grad_fn is not None and first.grad_fn.op == name


def _leaf_args(name: str) -> tuple:
    """Small inputs that require grad, for calling op ``name`` once."""
    rng = np.random.default_rng(0)
    examples = {
        "where": (np.array([True, False]), _t(rng, 2), _t(rng, 2)),
        "concatenate": ([_t(rng, 2), _t(rng, 3)],),
        "stack": ([_t(rng, 2), _t(rng, 2)],),
        "matmul": (_t(rng, 2, 3), _t(rng, 3, 2)),
        "matrix_exp": (_t(rng, 3, 3),),
        "addmm": (_t(rng, 2), _t(rng, 2, 3), _t(rng, 3, 2)),
        "lerp": (_t(rng, 2), _t(rng, 2), _t(rng, 2)),
        "addcmul": (_t(rng, 2), _t(rng, 2), _t(rng, 2)),
        "reshape": (_t(rng, 2, 3), (3, 2)),
        "transpose": (_t(rng, 2, 3),),
        "broadcast_to": (_t(rng, 3), (2, 3)),
        "getitem": (_t(rng, 3), 1),
        "scatter": ([_t(rng, 2)], [slice(1, 3)], (4,)),
        "clip": (_t(rng, 3), -0.5, 0.5),
        "contract": (_t(rng, 2, 3), _t(rng, 3), "ij,j->i"),
        "cast": (_t(rng, 3), np.float32),
        "cross_entropy": (_t(rng, 2, 3), np.array([0, 2])),
    }
    binary = {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "logaddexp"}
    binary |= {"arctan2", "hypot", "remainder", "floor_divide", "logaddexp2"}
    if name in examples:
        return examples[name]
    if name in binary:
        return (_t(rng, 3), _t(rng, 3))
    return (_t(rng, 2, 3),)


def _t(rng: np.random.Generator, *shape: int) -> Tensor:
    return Tensor(rng.uniform(0.5, 1.5, shape), requires_grad=True)


def test_methods_and_operators_are_installed_from_the_definitions():
    assert Tensor.__add__ is ops.add and Tensor.exp is ops.exp and Tensor.sum is ops.sum
    assert set(REGISTRY["add"].methods) == {"__add__", "__radd__"}
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    np.testing.assert_array_equal((2.0 - x).data, 2.0 - x.data)
    np.testing.assert_array_equal(x.reshape(3, 2).data, x.reshape((3, 2)).data)
    np.testing.assert_array_equal(x.T.data, x.data.T)
    np.testing.assert_array_equal(x.transpose().data, x.data.T)
    np.testing.assert_array_equal(x.clip(min=1.0).data, np.clip(x.data, 1.0, None))
    assert x.float().dtype == np.float32 and x.flatten().shape == (6,)
    for op in definitions():
        for attr in op.methods:
            assert attr in vars(Tensor), (op.name, attr)


def test_a_new_op_is_one_definition_and_one_row():
    def _cube_vjp(g, x):
        return (g * 3 * x * x,)

    @primitive(_cube_vjp, methods=("cube",))
    def cube(a: Tensor) -> Tensor:
        return record("cube", a.data**3, (a,), _cube_vjp, a.data)

    CASES["cube"] = Case(unary(), lambda x: x**3)
    try:
        x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
        x.cube().sum().backward()
        np.testing.assert_array_equal(x.grad, [3.0, 12.0])
        assert REGISTRY["cube"].module == __name__
        gradcheck(cube, [np.array([0.5, -1.5])])
    finally:
        unregister("cube")
        del CASES["cube"]
    assert "cube" not in REGISTRY and not hasattr(Tensor, "cube")


@given(data=st.data())
def test_the_table_check_catches_a_wrong_rule(data):
    def _bad_vjp(g, x):
        return (g * 2 * x + 0.1,)  # off by 0.1

    @composite()
    def wrapper(a: Tensor) -> Tensor:
        return record("bad_square", a.data**2, (a,), _bad_vjp, a.data)

    CASES["wrapper"] = Case(unary(), lambda x: x**2)
    try:
        with pytest.raises(AssertionError, match="gradcheck FAILED"):
            check_case("wrapper", data.draw)
    finally:
        unregister("wrapper")
        del CASES["wrapper"]


def test_names_and_methods_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="'add' is already registered"):
        composite(name="add")(lambda a: a)
    with pytest.raises(ValueError, match=r"Tensor.backward is already defined"):
        composite(name="fresh_name", methods=("backward",))(lambda a: a)
    assert "fresh_name" not in REGISTRY


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_each_op_states_its_derivative_rule_in_its_api_line(name):
    import inspect

    first = " ".join(inspect.getdoc(REGISTRY[name].forward).split("\n\n")[0].split())
    assert "vjp:" in first, f"{name}: the first paragraph of its docstring states no 'vjp:' rule"


@pytest.mark.parametrize(
    "name",
    "add sub mul div neg pow reshape transpose swapaxes squeeze unsqueeze broadcast_to "
    "softmax log_softmax floor_divide mod".split(),
)
def test_functions_numpy_and_pytorch_have_at_the_top_level_are_there(name):
    """``np.reshape(x, s)``, ``torch.pow(x, 2)``, ``torch.softmax(x, 1)``... port as they
    are: the op is ``minigrad.<name>``, and it is the registered op itself."""
    assert getattr(minigrad, name) is REGISTRY[name].forward
    assert name in minigrad.__all__
