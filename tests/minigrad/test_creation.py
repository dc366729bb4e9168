"""Tensor factories: sizes checked, the factory named in the error."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: minigrad.randn(-1), r"randn: sizes must be >= 0, got -1 in \(-1,\)"),
        (lambda: minigrad.ones(2, -3), r"ones: sizes must be >= 0, got -3 in \(2, -3\)"),
        (lambda: minigrad.eye(-1), r"eye: sizes must be >= 0, got -1"),
    ],
)
def test_negative_size(make, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: minigrad.zeros("a"), r"zeros: sizes must be integers, got 'a' in \('a',\)"),
        (lambda: minigrad.zeros((2, "x")), r"zeros: sizes must be integers, got 'x' in \(2, 'x'\)"),
        (lambda: minigrad.rand(2.5), r"rand: sizes must be integers, got 2.5 in \(2.5,\)"),
        (lambda: minigrad.full((2, True), 1.0), r"full: sizes must be integers, got True"),
    ],
)
def test_size_not_an_integer(make, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        make()


def test_sizes_as_numbers_tuples_lists_and_numpy_integers() -> None:
    assert minigrad.zeros(np.int64(2), 3).shape == (2, 3)
    assert minigrad.ones([2, 3]).shape == (2, 3)
    assert minigrad.randn((0, 4)).shape == (0, 4)
    assert minigrad.full(3, 1.5).shape == (3,)
    assert minigrad.eye(2, 3).shape == (2, 3)
    assert minigrad.zeros().shape == ()


HUGE = 10**20  # more elements than any array may have: NumPy's ValueError
BEYOND_MEMORY = (2**29, 2**30)  # 4 EiB in float64, beyond any address space: MemoryError


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: minigrad.zeros(HUGE), ValueError, r"zeros: cannot allocate a tensor of shape "
         r"\(100000000000000000000,\) and dtype float32: Maximum allowed dimension exceeded"),
        (lambda: minigrad.ones(2, HUGE), ValueError, r"ones: .* shape \(2, 1000"),
        (lambda: minigrad.full((HUGE,), 1.0), ValueError, r"full: .* shape \(1000"),
        (lambda: minigrad.rand(HUGE), ValueError, r"rand: .* shape \(1000"),
        (lambda: minigrad.randn(*BEYOND_MEMORY, dtype=np.float64), MemoryError,
         r"randn: cannot allocate a tensor of shape \(536870912, 1073741824\) and dtype "
         r"float64: Unable to allocate"),
        (lambda: minigrad.randn(*BEYOND_MEMORY), MemoryError,
         r"and dtype float32 \(drawn as float64, then cast\): Unable to allocate .* float64"),
        (lambda: minigrad.rand(*BEYOND_MEMORY, dtype=np.float16), MemoryError,
         r"and dtype float16 \(drawn as float64, then cast\)"),
        (lambda: minigrad.zeros(BEYOND_MEMORY, dtype=np.float64), MemoryError, "zeros: .* 4"),
        (lambda: minigrad.eye(*BEYOND_MEMORY, dtype=np.float64), MemoryError, r"eye: .* \(5"),
        (lambda: minigrad.arange(HUGE), ValueError,
         r"arange: from 0 to 100000000000000000000 by 1: Maximum allowed size exceeded"),
    ],
    ids=[
        "zeros", "ones", "full", "rand", "randn", "randn-f32", "rand-f16", "zeros-memory",
        "eye-memory", "arange",
    ],
)  # fmt: skip
def test_size_beyond_numpy_names_the_factory_and_keeps_numpys_error(make, error, message) -> None:
    with pytest.raises(error, match=message) as caught:
        make()
    assert type(caught.value) in (ValueError, MemoryError)


def test_full_fills_as_numpy_and_refuses_a_bad_value_as_numpy() -> None:
    np.testing.assert_array_equal(minigrad.full((2, 2), [1.5, -2.0]).data, [[1.5, -2.0]] * 2)
    assert minigrad.full(2, 0.1, dtype=np.float64).data.tolist() == [0.1, 0.1]
    with pytest.raises(ValueError, match="could not convert string to float"):
        minigrad.full(2, "a")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1e30, 300, -3.7])
@pytest.mark.parametrize("make", ["full", "full_like"])
def test_an_integer_fill_refuses_a_value_its_dtype_cannot_hold(make, value) -> None:
    # As PyTorch ("value cannot be converted to type uint8_t without overflow"): NumPy's
    # unsafe cast filled NaN as the most negative integer and 300 as 44, with a warning.
    def fill():
        if make == "full":
            return minigrad.full((2,), value, dtype=np.uint8)
        return minigrad.full_like(minigrad.zeros(2, dtype=np.uint8), value)

    with pytest.raises(
        (ValueError, OverflowError), match=rf"{make}: value .* does not fit dtype uint8"
    ):
        fill()
    assert minigrad.full((2,), 2.7, dtype=np.int64).data.tolist() == [2, 2]  # cast, as PyTorch
    assert minigrad.full_like(minigrad.zeros(2, dtype=np.uint8), 255).data.tolist() == [255, 255]


@pytest.mark.parametrize("step", [0, 0.0, -0.0, np.int64(0), np.float32(0)])
def test_arange_with_a_zero_step_names_the_factory_and_keeps_numpys_error(step) -> None:
    message = r"arange: from 0 to 1 by -?0(\.0)?: the step must not be 0"
    with pytest.raises(ZeroDivisionError, match=message):
        minigrad.arange(0, 1, step)


@pytest.mark.parametrize(
    ("value", "dtype"),
    [
        (7, np.int64),
        (True, np.bool_),
        (np.int32(3), np.int32),
        (1.5, np.float32),
        ([1, 2.5], np.float32),
    ],
)
def test_full_takes_the_dtype_of_its_value_as_numpy_and_pytorch(value, dtype) -> None:
    t = minigrad.full((2, 2), value)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.data, np.full((2, 2), value, dtype=dtype))


def test_full_like_takes_the_shape_and_dtype_of_its_model():
    t = minigrad.zeros(2, 3, dtype=np.float32)
    f = minigrad.full_like(t, 2.5)
    assert f.shape == (2, 3) and f.dtype == np.float32 and (f.data == 2.5).all()
    n = minigrad.full_like(np.arange(3), 2.7)  # cast to the model's integers, as NumPy
    assert n.dtype == np.int64 and n.data.tolist() == [2, 2, 2]
    g = minigrad.full_like(t, 1, dtype=np.float64, requires_grad=True)
    assert g.dtype == np.float64 and g.requires_grad


@pytest.mark.parametrize(("like", "plain"), [("rand_like", "rand"), ("randn_like", "randn")])
def test_random_like_draws_what_the_plain_factory_draws(like, plain):
    t = minigrad.zeros(3, 2, dtype=np.float64)
    minigrad.manual_seed(5)
    a = getattr(minigrad, like)(t)
    minigrad.manual_seed(5)
    b = getattr(minigrad, plain)(3, 2, dtype=np.float64)
    assert a.shape == (3, 2) and a.dtype == np.float64
    np.testing.assert_array_equal(a.data, b.data)
    g = np.random.default_rng(0)
    c = getattr(minigrad, like)(minigrad.zeros(4), generator=g, requires_grad=True)
    assert c.dtype == np.float32 and c.requires_grad
    np.testing.assert_array_equal(
        c.data, getattr(minigrad, plain)(4, generator=np.random.default_rng(0)).data
    )
    with pytest.raises(TypeError, match=rf"^{like}: random samples are floats; .* int64"):
        getattr(minigrad, like)(minigrad.tensor([1, 2]))
    assert getattr(minigrad, like)(np.arange(2), dtype=np.float64).dtype == np.float64


def test_like_factories_read_only_the_shape_and_dtype_of_a_traced_tensor():
    """Inside minigrad.compile the model's values are not read: zeros_like and full_like
    are constants of the program (its shapes are part of the key); rand_like draws, so
    the function runs eagerly, with the warning every random draw gives."""
    step = minigrad.compile(lambda x: x * minigrad.full_like(x, 2.0) + minigrad.zeros_like(x))
    for k in range(3):
        x = minigrad.tensor(np.arange(3.0) + k, requires_grad=True)
        out = step(x)
        out.sum().backward()
        np.testing.assert_array_equal(out.data, 2 * (np.arange(3.0) + k))
        np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])
    assert step.captures == 1
    noisy = minigrad.compile(lambda x: x * minigrad.rand_like(x))
    with pytest.warns(RuntimeWarning, match="running eagerly: random numbers"):
        noisy(minigrad.tensor(np.ones(3), requires_grad=True))


@pytest.mark.parametrize(
    "like", ["zeros_like", "ones_like", "full_like", "rand_like", "randn_like"]
)
def test_like_factories_refuse_a_model_that_is_not_numbers_naming_themselves(like):
    """A string model used to fail in Tensor's own words ("cannot make a tensor from
    ndarray with dtype <U1"), or with dtype=... gave a tensor; None and objects too."""
    make = getattr(minigrad, like)
    args = (1.0,) if like == "full_like" else ()
    for bad, kind in [("s", "str"), (None, "NoneType"), (object(), "object"), ([1, [2]], "list")]:
        with pytest.raises(TypeError, match=rf"^{like}: cannot make a tensor from {kind}"):
            make(bad, *args)
        with pytest.raises(TypeError, match=rf"^{like}: cannot make a tensor from {kind}"):
            make(bad, *args, dtype=np.float32)
    # lists and arrays of numbers keep working: their shape, and NumPy's dtype
    made = make([[1.0, 2.0, 3.0]], *args)
    assert made.shape == (1, 3) and made.dtype == np.float64
    assert make(np.zeros(2, np.float32), *args).dtype == np.float32
