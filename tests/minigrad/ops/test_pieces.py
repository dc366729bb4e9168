"""Splitting into pieces (minigrad/ops/pieces.py): the table-driven check, then split,
chunk and unbind against NumPy and PyTorch, and what each piece records."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_cases import check_case, check_empty
from strategies import arrays

import minigrad
from minigrad import Tensor, gradcheck, ops
from minigrad.ops.pieces import slices
from minigrad.ops.registry import names

nonscalar = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


@pytest.mark.parametrize("name", names("minigrad.ops.pieces"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every splitting op in the registry against its row of tests/op_cases/."""
    check_case(name, data.draw)


@pytest.mark.parametrize("name", names("minigrad.ops.pieces"))
def test_zero_size_dimensions(name):
    """Every splitting op on inputs with a zero-length axis, as NumPy and PyTorch."""
    check_empty(name)


@given(data=st.data())
def test_split_chunk_unbind(data):
    shape = data.draw(nonscalar)
    x = data.draw(arrays(shape))
    axis = data.draw(st.integers(0, len(shape) - 1))
    size = data.draw(st.integers(1, shape[axis]))
    pieces = ops.split(Tensor(x), size, axis)
    ref = np.split(x, range(size, shape[axis], size), axis=axis)
    assert len(pieces) == len(ref)
    for p, r in zip(pieces, ref, strict=True):
        np.testing.assert_array_equal(p.data, r)
    weights = [float(k + 1) for k in range(len(pieces))]

    def weighted(fn):
        # Each piece gets a different weight, so a piece's gradient landing in the
        # wrong place would be caught.
        return lambda t: ops.concatenate(
            [ops.mul(p, w) for p, w in zip(fn(t), weights, strict=False)], axis
        )

    gradcheck(weighted(lambda t: ops.split(t, size, axis)), [x])
    chunks = data.draw(st.integers(1, shape[axis]))
    assert sum(c.shape[axis] for c in ops.chunk(Tensor(x), chunks, axis)) == shape[axis]
    gradcheck(lambda t: ops.stack(ops.chunk(t, 1, axis)[0:1]), [x])
    unbound = ops.unbind(Tensor(x), axis)
    assert len(unbound) == shape[axis] and unbound[0].shape == shape[:axis] + shape[axis + 1 :]
    weights = [float(k + 1) for k in range(shape[axis])]
    gradcheck(
        lambda t: ops.stack(
            [ops.mul(u, w) for u, w in zip(ops.unbind(t, axis), weights, strict=True)], axis
        ),
        [x],
    )


def test_split_with_sections_and_errors():
    x = np.arange(10.0)
    assert [p.shape for p in ops.split(Tensor(x), [3, 7])] == [(3,), (7,)]
    assert [p.shape for p in ops.chunk(Tensor(x), 3)] == [(4,), (4,), (2,)]
    gradcheck(lambda t: ops.split(t, [3, 7])[1], [x])
    with pytest.raises(ValueError, match=r"split: sizes \[3, 3\] do not add up to 10"):
        ops.split(Tensor(x), [3, 3])
    with pytest.raises(ValueError, match=r"split: size 0 is allowed only on an empty axis"):
        ops.split(Tensor(x), 0)
    with pytest.raises(ValueError, match="split: size must not be negative, got -2"):
        ops.split(Tensor(x), -2)
    with pytest.raises(ValueError, match=r"split: sizes \[-1, 11\] must not be negative"):
        ops.split(Tensor(x), [-1, 11])


BAD_SIZES = [
    (2.0, "size_or_sections must be an integer or a sequence of integers, got 2.0"),
    (True, "size_or_sections must be an integer or a sequence of integers, got True"),
    ("ab", "size_or_sections must be an integer or a sequence of integers, got 'ab'"),
    ([1.0, 3.0], r"sizes must be integers, got 1.0 in \[1.0, 3.0\]"),
    ([True, False, True, True], r"sizes must be integers, got True in \[True, False"),
]


@pytest.mark.parametrize(("size", "message"), BAD_SIZES, ids=repr)
def test_split_refuses_sizes_that_are_not_integers(size, message):
    """A float or a bool (as a size or among the sizes) is a TypeError naming split and
    the value, not an error from deep inside nor a bool taken as 1."""
    with pytest.raises(TypeError, match="split: " + message):
        ops.split(Tensor(np.zeros((3, 4))), size, 1)


@pytest.mark.torch
@pytest.mark.parametrize(("size", "message"), BAD_SIZES, ids=repr)
def test_torch_refuses_the_same_sizes(size, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        torch.split(torch.zeros(3, 4), size, 1)


def test_split_takes_numpy_integers():
    x = Tensor(np.arange(12.0).reshape(3, 4))
    assert [p.shape for p in ops.split(x, np.int64(3), 1)] == [(3, 3), (3, 1)]
    assert [p.shape for p in ops.split(x, np.array([1, 3]), 1)] == [(3, 1), (3, 3)]


EMPTY_SPLITS = [
    ((0,), "split", 2, 0, [(0,)]),
    ((0, 3), "split", 2, 0, [(0, 3)]),
    ((3, 0), "split", 2, 1, [(3, 0)]),
    ((0,), "split", 0, 0, [(0,)]),
    ((3, 0), "split", 0, 1, [(3, 0)]),
    ((0,), "chunk", 3, 0, [(0,), (0,), (0,)]),
    ((0, 3), "chunk", 2, 0, [(0, 3), (0, 3)]),
    ((3, 0), "chunk", 2, 1, [(3, 0), (3, 0)]),
    ((0, 2), "unbind", None, 0, []),
]


@pytest.mark.parametrize(("shape", "how", "arg", "axis", "pieces"), EMPTY_SPLITS, ids=repr)
def test_splitting_an_empty_axis_gives_pytorchs_pieces(shape, how, arg, axis, pieces):
    """split gives one empty piece; chunk gives one per requested chunk (as torch)."""
    x = Tensor(np.zeros(shape), requires_grad=True)
    args = (axis,) if arg is None else (arg, axis)
    got = getattr(x, how)(*args)
    assert [p.shape for p in got] == pieces
    if got:
        ops.stack(got).sum().backward()
        assert x.grad.shape == shape


@pytest.mark.torch
@pytest.mark.parametrize(("shape", "how", "arg", "axis", "pieces"), EMPTY_SPLITS, ids=repr)
def test_splitting_an_empty_axis_against_torch(shape, how, arg, axis, pieces):
    torch = pytest.importorskip("torch")
    args = (axis,) if arg is None else (arg, axis)
    expected = [tuple(p.shape) for p in getattr(torch.zeros(shape), how)(*args)]
    assert [p.shape for p in getattr(Tensor(np.zeros(shape)), how)(*args)] == expected


def test_each_piece_is_a_slice_node_whose_gradient_lands_in_one_buffer():
    """T pieces of one tensor: T getitem nodes, all children of the tensor's node, and a
    backward that sums their parts into the tensor's one gradient."""
    x = Tensor(np.arange(24.0).reshape(4, 2, 3), requires_grad=True)
    y = x * 1.0
    pieces = ops.unbind(y)
    assert [p.grad_fn.op for p in pieces] == ["getitem"] * 4
    assert all(p.grad_fn.parents == (y.grad_fn,) for p in pieces)
    sum(p * float(k + 1) for k, p in enumerate(pieces)).sum().backward()
    np.testing.assert_array_equal(x.grad, np.arange(1.0, 5.0)[:, None, None] * np.ones((4, 2, 3)))


def test_pieces_of_a_tensor_without_gradient_record_nothing():
    pieces = ops.split(Tensor(np.ones((2, 6))), 2, 1)
    assert [p.shape for p in pieces] == [(2, 2)] * 3
    assert all(p.grad_fn is None and not p.requires_grad for p in pieces)
    with minigrad.no_grad():
        x = Tensor(np.ones(4), requires_grad=True)
        assert all(p.grad_fn is None for p in ops.chunk(x, 2))


def test_slices_record_each_piece_in_its_own_scope():
    """The gate labels of a cell: one call, each piece in scope <current>/<its name>,
    and the scope outside is left as it was."""
    x = Tensor(np.ones((2, 6)), requires_grad=True)
    index = [(Ellipsis, slice(0, 3)), (Ellipsis, slice(3, 6))]
    with minigrad.scope("t=0"):
        a, b = slices(x, index, ("gate=r", "gate=z"))
        c = a + b
    assert a.grad_fn.scope == ("t=0", "gate=r") and b.grad_fn.scope == ("t=0", "gate=z")
    assert c.grad_fn.scope == ("t=0",)
    np.testing.assert_array_equal(a.data, x.data[:, :3])
    c.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 6)))


def test_slices_in_scopes_under_capture_and_forward_mode():
    """A capture sees each piece in its scope too; forward mode gets each piece's
    tangent (the slice of the input's)."""
    x = np.arange(6.0).reshape(2, 3)
    index = [(Ellipsis, slice(0, 1)), (Ellipsis, slice(1, 3))]

    def f(t):
        a, b = slices(t, index, ("gate=a", "gate=b"))
        return (a * 2.0).sum() + (b * 3.0).sum()

    step = minigrad.compile(f)
    t = Tensor(x, requires_grad=True)
    for _ in range(2):
        t.grad = None
        step(t).backward()
        np.testing.assert_array_equal(t.grad, [[2.0, 3.0, 3.0]] * 2)
    _, tangent = minigrad.func.jvp(f, (Tensor(x),), (Tensor(np.ones((2, 3))),))
    assert float(tangent.data) == 2.0 * 2 + 3.0 * 4


# ------------------------------------------------ backward through the pieces
# Backward hands a piece's gradient straight to the tensor it was cut from. Each test
# below runs the same computation a second time with the pieces cut by plain indexing
# (``y[i]``, an ordinary slice node) and compares the gradients, float64, to 1e-12.

HOWS = ("split", "chunk", "unbind")


def plain_indices(how: str, n: int, arg: int | None, axis: int) -> list[tuple]:
    """The index of each piece of ``how`` along an axis of length n, written out."""
    lead = (slice(None),) * axis
    if how == "unbind":
        return [(*lead, k) for k in range(n)]
    size = arg if how == "split" else -(-n // arg)
    return [(*lead, slice(s, min(s + size, n))) for s in range(0, n, size)]


def cut(how: str, t: Tensor, arg: int | None, axis: int, plain: bool) -> list[Tensor]:
    """The pieces of ``t`` by the op, or (``plain``) by indexing."""
    if plain:
        return [t[i] for i in plain_indices(how, t.shape[axis], arg, axis)]
    return getattr(t, how)(axis) if how == "unbind" else getattr(t, how)(arg, axis)


def consume(pieces: list[Tensor], uses: list[int]) -> Tensor:
    """A scalar in which piece k appears in ``uses[k]`` (0, 1 or 2) different terms,
    each weighted by k, so a gradient sent to the wrong piece or a missing term shows."""
    terms = []
    for k, (p, u) in enumerate(zip(pieces, uses, strict=True)):
        if u >= 1:
            terms.append((p.sin() * float(k + 1)).sum())
        if u >= 2:
            terms.append((p * p * float(k + 2)).sum())
    return sum(terms[1:], terms[0])


def close(got, want) -> None:
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@given(data=st.data())
def test_each_piece_used_zero_one_or_twice_matches_plain_indexing(data):
    """split/chunk/unbind of a leaf or of ``x * 2`` (a node), each piece used by 0, 1 or
    2 consumers: the input's gradient is that of the same loss on ``y[i]`` pieces."""
    shape = data.draw(nonscalar)
    axis = data.draw(st.integers(0, len(shape) - 1))
    how = data.draw(st.sampled_from(HOWS))
    arg = None if how == "unbind" else data.draw(st.integers(1, shape[axis]))
    n = len(plain_indices(how, shape[axis], arg, axis))
    uses = data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    if not any(uses):
        uses[-1] = 1
    through_node = data.draw(st.booleans())
    x0 = data.draw(arrays(shape))
    grads = []
    for plain in (False, True):
        x = Tensor(x0.copy(), requires_grad=True)
        y = x * 2.0 if through_node else x
        consume(cut(how, y, arg, axis, plain), uses).backward()
        grads.append(x.grad)
    close(*grads)


def test_pieces_gradient_by_hand():
    """NumPy by hand: y = 2x split into rows [0:2], [2:3], [3:5]; the first used twice
    (sin and square), the second unused, the third once."""
    x0 = np.linspace(-1.0, 1.0, 15).reshape(5, 3)
    for cut_leaf in (False, True):
        x = Tensor(x0, requires_grad=True)
        y = x if cut_leaf else x * 2.0
        a, _, c = y.split([2, 1, 2])
        (a.sin().sum() + (a * a).sum() + (c * 3.0).sum()).backward()
        scale = 1.0 if cut_leaf else 2.0
        yv = x0 * scale
        want = np.zeros((5, 3))
        want[:2] = np.cos(yv[:2]) + 2 * yv[:2]
        want[3:] = 3.0
        close(x.grad, want * scale)


def nested(y: Tensor, plain: bool) -> Tensor:
    """y (6, 4) cut into rows [0:2], [2:5], [5:6]; the middle piece cut again into
    columns; a piece of that piece and the middle piece itself used directly."""
    if plain:
        p = [y[0:2], y[2:5], y[5:6]]
        q = [p[1][:, 0:3], p[1][:, 3:4]]
    else:
        p = y.split([2, 3, 1])
        q = p[1].split(3, 1)
    return (q[0].tanh() * 2.0).sum() + (p[1] * p[1]).sum() + p[0].exp().sum() + q[1].sum()


@pytest.mark.parametrize("cut_leaf", [False, True])
def test_a_piece_split_again_and_used_directly(cut_leaf):
    x0 = np.linspace(-1.0, 1.0, 24).reshape(6, 4)
    grads = []
    for plain in (False, True):
        x = Tensor(x0, requires_grad=True)
        nested(x if cut_leaf else x * 3.0, plain).backward()
        grads.append(x.grad)
    close(*grads)


def three_levels(y: Tensor, plain: bool) -> Tensor:
    """A piece of a piece of a piece (rows, then columns, then rows again)."""
    if plain:
        r = [y[0:4][:, 0:2][k] for k in range(4)]
    else:
        r = y.split(4)[0].split(2, 1)[0].unbind()
    return (r[1] * 5.0).sum() + r[2].sin().sum()


def test_three_levels_of_pieces():
    x0 = np.linspace(-1.0, 1.0, 24).reshape(6, 4)
    grads = []
    for plain in (False, True):
        x = Tensor(x0, requires_grad=True)
        three_levels(x * 2.0, plain).backward()
        grads.append(x.grad)
    close(*grads)


@pytest.mark.parametrize("cut_leaf", [False, True])
def test_indexing_a_piece(cut_leaf):
    x0 = np.linspace(-1.0, 1.0, 12).reshape(4, 3)
    x = Tensor(x0, requires_grad=True)
    a, _ = (x if cut_leaf else x * 2.0).split(2)
    (a[0] * 3.0).sum().backward()
    want = np.zeros((4, 3))
    want[0] = 3.0 if cut_leaf else 6.0
    close(x.grad, want)


@pytest.mark.parametrize("op", ["matmul", "addmm"])
def test_a_piece_as_the_right_operand_of_a_product(op):
    x0 = np.linspace(-1.0, 1.0, 12).reshape(4, 3)
    m = np.linspace(0.5, 2.0, 10).reshape(5, 2)
    x = Tensor(x0, requires_grad=True)
    _, b = (x * 2.0).split(2)
    out = Tensor(m) @ b if op == "matmul" else ops.addmm(np.ones(3), Tensor(m), b)
    out.sum().backward()
    want = np.zeros((4, 3))
    want[2:] = 2.0 * (m.T @ np.ones((5, 3)))
    close(x.grad, want)


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("cut_leaf", [False, True])
def test_a_piece_as_the_root_of_backward(how, cut_leaf):
    """``pieces[1].sum().backward()`` and ``pieces[1].backward(g)``."""
    x0 = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
    arg = None if how == "unbind" else 2
    seed = np.linspace(0.5, 1.5, 4) if how == "unbind" else np.linspace(0.5, 1.5, 6).reshape(3, 2)
    for root in ("sum", "seed"):
        grads = []
        for plain in (False, True):
            x = Tensor(x0, requires_grad=True)
            y = x if cut_leaf else x.sin()
            piece = cut(how, y, arg, 1 if how != "unbind" else 0, plain)[1]
            if root == "sum":
                piece.sum().backward()
            else:
                kept = seed.copy()
                piece.backward(seed)
                np.testing.assert_array_equal(seed, kept)
            grads.append(x.grad)
        close(*grads)
        assert np.count_nonzero(grads[0]) > 0


MIXED = {
    "tensor then pieces": lambda y, p: (y * y).sum() + (p[0] * 2.0).sum() + p[1].exp().sum(),
    "pieces then tensor": lambda y, p: (p[0] * 2.0).sum() + p[1].exp().sum() + (y * y).sum(),
    "one op on a piece twice": lambda y, p: (p[0] + p[0]).sum() + (p[1] * p[1]).sum(),
    "two pieces in one op": lambda y, p: (
        ops.concatenate([p[1], p[0]], 1) * np.arange(1.0, 6.0)
    ).sum(),
    "piece and tensor in one op": lambda y, p: (y[:, :2] * p[0]).sum() + p[1].sum(),
}


@pytest.mark.parametrize("name", list(MIXED))
@pytest.mark.parametrize("cut_leaf", [False, True])
def test_pieces_mixed_with_the_split_tensor_itself(name, cut_leaf):
    """The split tensor used directly besides its pieces (its dense gradient meets the
    pieces' in either order), and pieces as both operands of one op."""
    x0 = np.linspace(-1.0, 1.0, 15).reshape(3, 5)
    grads = []
    for plain in (False, True):
        x = Tensor(x0, requires_grad=True)
        y = x if cut_leaf else x * 2.0
        p = [y[:, 0:2], y[:, 2:5]] if plain else y.split([2, 3], 1)
        MIXED[name](y, p).backward()
        grads.append(x.grad)
    close(*grads)
    assert np.count_nonzero(grads[0]) > 0
