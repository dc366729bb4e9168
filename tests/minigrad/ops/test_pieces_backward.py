"""Backward through pieces of split, chunk and unbind (minigrad/ops/pieces.py).

Backward hands a piece's gradient straight to the tensor it was cut from. Each test
below runs the same computation a second time with the pieces cut by plain indexing
(``y[i]``, an ordinary slice node) and compares the gradients, float64, to 1e-12.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays, nonscalar

from minigrad import Tensor, ops

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
