"""The backward engine (minigrad/engine.py) passing over the pieces of split, chunk
and unbind, and every case where it must not."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import minigrad.viz
from minigrad import Tensor
from minigrad.viz.grads import grad_norm


def leaf(values, dtype=np.float64) -> Tensor:
    return Tensor(np.asarray(values, dtype), requires_grad=True)


# ---------------------------------------------------- pieces of split/chunk/unbind
# Backward passes over a piece's node and sends its gradient straight to the split
# tensor, unless the piece is watched (hook, retain_grad, track_grads), grad() captures
# or an observer runs. Each path is checked against the same loss on plain slices
# ``y[i]`` or against NumPy by hand, float64, to 1e-12.

X0 = np.linspace(-1.0, 1.0, 24).reshape(6, 4)
ROWS = (slice(0, 2), slice(2, 5), slice(5, 6))


def close(got, want) -> None:
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def rows(y: Tensor, plain: bool) -> list[Tensor]:
    """y cut into rows [0:2], [2:5], [5:6], by split or by plain indexing."""
    return [y[r] for r in ROWS] if plain else y.split([2, 3, 1])


def piece_loss(p: list[Tensor]) -> Tensor:
    """Piece 0 used once, piece 1 twice, piece 2 not at all."""
    return (p[0] * 3.0).sum() + (p[1].sin() * 2.0).sum() + (p[1] * p[1]).sum()


def middle_grad(y1: np.ndarray) -> np.ndarray:
    """d piece_loss / d piece 1 by hand: 2 cos(y1) + 2 y1."""
    return 2.0 * np.cos(y1) + 2.0 * y1


def by_hand(scale: float, middle: np.ndarray | None = None) -> np.ndarray:
    """d piece_loss(rows(scale * x)) / dx by hand (``middle`` replaces piece 1's)."""
    want = np.zeros_like(X0)
    want[ROWS[0]] = 3.0
    want[ROWS[1]] = middle_grad(scale * X0[ROWS[1]]) if middle is None else middle
    return want * scale


@pytest.mark.parametrize("cut_leaf", [False, True])
def test_hook_on_a_piece_sees_its_gradient_and_its_replacement_reaches_the_input(cut_leaf):
    scale = 1.0 if cut_leaf else 2.0
    seen = []
    x = leaf(X0)
    p = rows(x if cut_leaf else x * 2.0, plain=False)
    p[1].register_hook(lambda g: seen.append(g.copy()) or g * 10.0)
    piece_loss(p).backward()
    (g,) = seen
    close(g, middle_grad(scale * X0[ROWS[1]]))
    close(x.grad, by_hand(scale, 10.0 * g))


@pytest.mark.parametrize("cut_leaf", [False, True])
def test_retain_grad_on_a_piece(cut_leaf):
    scale = 1.0 if cut_leaf else 2.0
    x = leaf(X0)
    p = rows(x if cut_leaf else x * 2.0, plain=False)
    p[1].retain_grad()
    p[2].retain_grad()
    piece_loss(p).backward()
    close(p[1].grad, middle_grad(scale * X0[ROWS[1]]))
    assert p[2].grad is None  # unused: no gradient reached it
    close(x.grad, by_hand(scale))


def test_hook_on_the_split_tensor_sees_every_piece_summed():
    seen = []
    x = leaf(X0)
    y = x * 2.0
    y.register_hook(lambda g: seen.append(g.copy()))
    piece_loss(rows(y, plain=False)).backward()
    close(seen[0], by_hand(2.0) / 2.0)
    close(x.grad, by_hand(2.0))


def test_hook_on_a_split_leaf_sees_every_piece_summed():
    seen = []
    x = leaf(X0)
    x.register_hook(lambda g: seen.append(g.copy()) or g * 0.5)
    piece_loss(rows(x, plain=False)).backward()
    close(seen[0], by_hand(1.0))
    close(x.grad, 0.5 * by_hand(1.0))


def test_track_grads_records_the_norms_of_pieces():
    x = leaf(X0)
    p = rows(x * 2.0, plain=False)
    loss = piece_loss(p)
    minigrad.viz.track_grads(loss)
    loss.backward()
    close(grad_norm(p[0].grad_fn), np.linalg.norm(np.full((2, 4), 3.0)))
    close(grad_norm(p[1].grad_fn), np.linalg.norm(middle_grad(2.0 * X0[ROWS[1]])))
    assert grad_norm(p[2].grad_fn) is None
    close(x.grad, by_hand(2.0))


@pytest.mark.parametrize("cut_leaf", [False, True])
def test_grad_captures_a_piece_and_the_input(cut_leaf):
    """minigrad.grad(out, [piece]) and (out, [x]); and a piece as one of two outputs."""
    scale = 1.0 if cut_leaf else 2.0
    x = leaf(X0)
    p = rows(x if cut_leaf else x * 2.0, plain=False)
    loss = piece_loss(p)
    (gp,) = minigrad.grad(loss, [p[1]], retain_graph=True)
    close(gp, middle_grad(scale * X0[ROWS[1]]))
    (gx,) = minigrad.grad(loss, [x], retain_graph=True)
    close(gx, by_hand(scale))
    seed = np.linspace(0.5, 1.5, 4)[None, :]
    (g2,) = minigrad.grad([loss, p[2]], [x], [None, seed])
    want = by_hand(scale)
    want[ROWS[2]] = scale * seed
    close(g2, want)
    assert x.grad is None and p[1].grad is None


def cubes(p: list[Tensor]) -> Tensor:
    return (p[0] ** 3).sum() + (p[1] * p[1].sin()).sum() + (p[1] * 2.0).sum()


@pytest.mark.parametrize("cut_leaf", [False, True])
def test_second_derivative_through_pieces_matches_plain_indexing(cut_leaf):
    """create_graph=True: a Hessian-vector product through the pieces, by grad and by
    backward, equals that of the same function on plain slices."""
    v = Tensor(np.cos(X0))
    results = []
    for plain in (False, True):
        x = leaf(X0)
        (g,) = minigrad.grad(cubes(rows(x if cut_leaf else x * 2.0, plain)), [x], create_graph=True)
        (hv,) = minigrad.grad((g * v).sum(), [x])
        x2 = leaf(X0)
        cubes(rows(x2 if cut_leaf else x2 * 2.0, plain)).backward(create_graph=True)
        (x2.grad * v).sum().backward()
        results.append((g.data, hv, x2.grad.data))
    for got, want in zip(*results, strict=True):
        close(got, want)
    assert np.count_nonzero(results[0][1]) > 0


def test_retain_graph_through_pieces_gives_the_same_gradient_twice():
    x = leaf(X0)
    loss = piece_loss(rows(x * 2.0, plain=False))
    loss.backward(retain_graph=True)
    close(x.grad, by_hand(2.0))
    loss.backward(retain_graph=True)
    close(x.grad, 2.0 * by_hand(2.0))
    loss.backward()
    close(x.grad, 3.0 * by_hand(2.0))
    with pytest.raises(RuntimeError, match="a second time"):
        loss.backward()


@pytest.mark.parametrize("cut_leaf", [False, True])
def test_second_backward_through_pieces_without_retain_graph_raises(cut_leaf):
    x = leaf(X0)
    loss = piece_loss(rows(x if cut_leaf else x * 2.0, plain=False))
    loss.backward()
    with pytest.raises(RuntimeError, match="a second time"):
        loss.backward()


class _Ran:
    """A tape observer that notes the op of every vjp run."""

    def __init__(self) -> None:
        self.ops: list[str] = []

    def recorded(self, node, data) -> None:
        pass

    def ran(self, node, grad, input_grads) -> None:
        self.ops.append(node.op)


@pytest.mark.parametrize("cut_leaf", [False, True])
def test_pieces_under_a_tape_observer(cut_leaf):
    """An observer sees a vjp for each used piece, and the gradients are unchanged."""
    scale = 1.0 if cut_leaf else 2.0
    x = leaf(X0)
    with minigrad.tape.observe(_Ran()) as seen:
        piece_loss(rows(x if cut_leaf else x * 2.0, plain=False)).backward()
    assert seen.ops.count("getitem") == 2
    close(x.grad, by_hand(scale))
