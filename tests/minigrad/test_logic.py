"""What a tensor answers outside the graph (minigrad/logic.py): isclose, allclose,
argsort and nonzero, as Tensor methods and as functions of tensors, arrays and numbers,
against NumPy's and PyTorch's semantics."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad import Tensor

NAN, INF = np.nan, np.inf


def test_isclose_and_allclose_have_numpys_and_pytorchs_semantics():
    a = np.array([1.0, 1.0, NAN, INF, -INF, 0.0])
    b = np.array([1.0 + 1e-6, 1.1, NAN, INF, INF, 1e-9])
    got = minigrad.isclose(Tensor(a), b)
    assert got.dtype == np.bool_ and not got.requires_grad
    np.testing.assert_array_equal(got.data, np.isclose(a, b))
    np.testing.assert_array_equal(
        Tensor(a).isclose(Tensor(b), equal_nan=True).data, np.isclose(a, b, equal_nan=True)
    )
    np.testing.assert_array_equal(
        Tensor(a).isclose(b, rtol=0.2, atol=0).data, np.isclose(a, b, 0.2, 0)
    )
    assert minigrad.allclose(Tensor([1.0, 2.0]), [1.0, 2.0 + 1e-7]) is True
    assert Tensor(a).allclose(a) is False and Tensor(a).allclose(a, equal_nan=True) is True
    assert minigrad.isclose(Tensor(np.zeros((2, 1))), np.zeros(3)).shape == (2, 3)
    with pytest.raises(ValueError, match=r"^isclose: shapes \(2,\) and \(3,\) cannot be broadcast"):
        minigrad.isclose(Tensor(np.zeros(2)), np.zeros(3))


def test_isclose_and_allclose_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a = rng.standard_normal(200)
    b = a + rng.choice([0.0, 1e-9, 1e-6, 1e-3], 200) * rng.standard_normal(200)
    a[:3], b[:3] = [NAN, INF, -INF], [NAN, INF, INF]
    for kw in ({}, {"rtol": 1e-3}, {"atol": 1e-4, "equal_nan": True}):
        want = torch.isclose(torch.tensor(a), torch.tensor(b), **kw).numpy()
        np.testing.assert_array_equal(minigrad.isclose(a, b, **kw).data, want)
        assert minigrad.allclose(a[3:], b[3:], **kw) == torch.allclose(
            torch.tensor(a[3:]), torch.tensor(b[3:]), **kw
        )


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.uint8, np.bool_])
def test_argsort_is_pytorchs_stable_sort_with_nan_largest(descending, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.integers(0, 4, (3, 7)).astype(dtype)  # many ties
    if np.dtype(dtype).kind == "f":
        x[0, 2] = x[1, 5] = NAN
        x[2, 0] = -0.0
    for dim in (0, 1, -1):
        got = Tensor(x).argsort(dim=dim, descending=descending)
        want = torch.argsort(torch.tensor(x), dim=dim, descending=descending, stable=True)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got.data, want.numpy())
        # PyTorch's keyword: stable=True asks for what minigrad always does, and
        # stable=False allows any order of ties, so the stable one too
        for stable in (True, False):
            for call in (Tensor(x).argsort, lambda **kw: minigrad.argsort(x, **kw)):
                again = call(dim=dim, descending=descending, stable=stable)
                np.testing.assert_array_equal(again.data, want.numpy())


def test_argsort_takes_numpys_axis_and_none():
    x = np.array([[3.0, 1.0], [2.0, 0.0]])
    np.testing.assert_array_equal(minigrad.argsort(x, axis=None).data, np.argsort(x, axis=None))
    np.testing.assert_array_equal(minigrad.argsort(Tensor(x), 0).data, np.argsort(x, 0))
    assert minigrad.argsort(Tensor(np.array(5.0))).data == 0
    with pytest.raises(TypeError, match="argsort: got axis=0 and dim=1"):
        Tensor(x).argsort(0, dim=1)
    with pytest.raises(ValueError, match="argsort: axis 2 is out of range"):
        Tensor(x).argsort(2)


def test_nonzero_is_pytorchs_index_matrix_and_numpys_tuple_with_as_tuple():
    x = np.array([[0.0, 2.0, -0.0], [NAN, 0.0, 1.0]])
    rows = minigrad.nonzero(Tensor(x))
    assert rows.dtype == np.int64 and rows.shape == (3, 2)
    np.testing.assert_array_equal(rows.data, [[0, 1], [1, 0], [1, 2]])
    parts = Tensor(x).nonzero(as_tuple=True)
    assert isinstance(parts, tuple) and len(parts) == 2
    for got, want in zip(parts, np.nonzero(x), strict=True):
        np.testing.assert_array_equal(got.data, want)
    assert minigrad.nonzero(np.array(3.0)).shape == (1, 0)
    assert minigrad.nonzero(np.array(0.0)).shape == (0, 0)
    (only,) = Tensor(np.array(3.0)).nonzero(as_tuple=True)
    np.testing.assert_array_equal(only.data, [0])
    assert minigrad.nonzero(np.array([True, False, True])).data.tolist() == [[0], [2]]


BAD = [("s", "str"), (None, "NoneType"), (object(), "object"), ([1, [2]], "list")]


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("argsort", lambda a: minigrad.argsort(a)),
        ("nonzero", lambda a: minigrad.nonzero(a)),
        ("nonzero", lambda a: minigrad.nonzero(a, as_tuple=True)),
        ("isclose", lambda a: minigrad.isclose(a, 1.0)),
        ("allclose", lambda a: minigrad.allclose(a, 1.0)),
    ],
)
def test_functions_refuse_what_is_not_numbers_naming_themselves(name, call):
    """A string or None used to give argsort's tensor(0), nonzero's empty tensor or
    NumPy's UFuncTypeError; each is now a TypeError naming the function."""
    for bad, kind in BAD:
        with pytest.raises(TypeError, match=rf"^{name}: cannot make a tensor from {kind}"):
            call(bad)


def test_functions_take_lists_of_numbers_as_their_arrays():
    assert minigrad.argsort([3.0, 1.0, 2.0]).data.tolist() == [1, 2, 0]
    assert minigrad.argsort([[2, 1], [0, 5]], descending=True).data.tolist() == [[0, 1], [1, 0]]
    assert minigrad.nonzero([0, 1, 1]).data.tolist() == [[1], [2]]
    assert [i.data.tolist() for i in minigrad.nonzero([True, False], as_tuple=True)] == [[0]]
    assert minigrad.isclose([1.0, 2.0], [1.0, 2.1]).data.tolist() == [True, False]
    assert minigrad.allclose([1, 2], np.array([1.0, 2.0])) is True


def test_argmax_argmin_any_all_are_top_level_functions_too():
    # As torch.argmax / numpy.any: of tensors, arrays and lists, the methods' results.
    x = [[3.0, 1.0, 4.0], [1.0, 5.0, 9.0]]
    t = minigrad.tensor(x)
    for name in ("argmax", "argmin", "any", "all"):
        fn = getattr(minigrad, name)
        for kw in ({}, {"axis": 1}, {"dim": 0, "keepdim": True}):
            want = getattr(t, name)(**kw)
            for given in (x, np.array(x), t):
                got = fn(given, **kw)
                assert got.dtype == want.dtype
                np.testing.assert_array_equal(got.data, want.data)
        with pytest.raises(TypeError, match=f"{name}: cannot make a tensor from str"):
            fn("s")
    assert minigrad.any([0, 0]).item() is False and minigrad.all([1, 2]).item() is True
