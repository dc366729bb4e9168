"""The backward engine (minigrad/autograd.py): reuse, depth, graph lifetime, dtypes,
errors, the in-place epoch, grad(), accumulation and hooks. Grad modes and scopes are
in test_tape.py."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

import minigrad
import minigrad.viz
from minigrad import Tensor
from minigrad.viz.grads import grad_norm


def leaf(values, dtype=np.float64) -> Tensor:
    return Tensor(np.asarray(values, dtype), requires_grad=True)


# --------------------------------------------------------------- reuse (pitfall 2)


def test_diamond_sums_both_paths():
    a = leaf([1.0, -2.0, 3.0])
    b = a + a
    c = b * b  # c = 4 a^2, dc/da = 8 a
    c.sum().backward()
    np.testing.assert_allclose(a.grad, 8 * a.data)


def test_parameter_reused_at_1000_steps_gets_the_sum():
    w = leaf(0.5)
    h = Tensor(np.array(1.0))
    for _ in range(1000):
        h = h + w * 0.001
    h.backward()
    np.testing.assert_allclose(w.grad, 1000 * 0.001)
    # And through a product chain: h_t = h_{t-1} * w  =>  dh/dw = T w^(T-1).
    w = leaf(1.0001)
    h = Tensor(np.array(1.0))
    for _ in range(1000):
        h = h * w
    h.backward()
    np.testing.assert_allclose(w.grad, 1000 * 1.0001**999, rtol=1e-10)


# --------------------------------------------------------------- depth (pitfall 1)


def test_zero_dim_values_and_grads_are_arrays():
    # NumPy returns scalars, not 0-d arrays, from ufuncs on 0-d inputs; in-place
    # accumulation into such a scalar would be silently lost.
    x = leaf(0.5)
    y = x.tanh() * 2.0 + x
    assert type(y.data) is np.ndarray
    h = x * 1.0
    h.retain_grad()
    (h * 3.0 + h * 4.0 + h).backward()
    assert type(x.grad) is np.ndarray and type(h.grad) is np.ndarray
    assert x.grad == 8.0 and h.grad == 8.0
    (gx,) = minigrad.grad(x * 2.0 + x * 3.0 + x, x)
    assert type(gx) is np.ndarray and gx == 6.0
    x.grad = None
    x.backward()
    x.backward()
    assert type(x.grad) is np.ndarray and x.grad == 2.0


def test_100000_node_chain_backpropagates_without_recursion():
    x = leaf(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0
    del y  # tearing the chain down must not recurse either
    gc.collect()


# ---------------------------------------------------------- graph lifetime (pitfall 5)


def test_second_backward_without_retain_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x.tanh() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_a_vjp_returning_the_wrong_number_of_gradients_is_named():
    from minigrad.ops.core import record

    x = leaf([1.0, 2.0])
    y = record("twice", x.data * 2, (x,), lambda g: (g * 2, g))
    with pytest.raises(RuntimeError, match="twice: its vjp returned 2 gradients for 1 inputs"):
        y.sum().backward()


def test_retain_graph_allows_a_second_backward_and_accumulates():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, 4 * x.data)


def test_graph_memory_is_released_after_backward():
    w = leaf(np.random.default_rng(0).standard_normal((64, 64)))

    def step():
        h = Tensor(np.ones((8, 64)))
        for _ in range(10):
            h = (h @ w).tanh()
        h.sum().backward()

    for _ in range(3):
        step()
    tracemalloc.start()
    try:
        step()
        first, _ = tracemalloc.get_traced_memory()
        for _ in range(30):
            step()
        last, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 30 steps each holding ~10 saved (8, 64) arrays would be ~1.2 MB.
    assert last - first < 64 * 1024


def test_saved_values_are_freed_while_the_output_is_alive():
    x = leaf(np.ones(1000))
    y = (x * 2.0).tanh().sum()
    y.backward()
    node = y._node
    seen = []
    stack = [node]
    while stack:
        n = stack.pop()
        seen.append(n)
        stack.extend(p for p in n.parents if isinstance(p, minigrad.autograd.Node))
    assert all(n.vjp is None for n in seen)


# ---------------------------------------------------------------- dtype (float32)


def test_float32_graph_stays_float32():
    x = Tensor(np.array([0.5, -1.5], np.float32), requires_grad=True)
    w = Tensor(np.ones((2, 2), np.float32), requires_grad=True)
    y = 2.0 * x + 1 - x / 3.0
    y = (y**2 + y.exp() - 0.5).tanh() @ w
    y = minigrad.functional.log_softmax(y.sigmoid() * 1.5, axis=0)
    loss = y.mean() * 0.1
    assert y.dtype == np.float32 and loss.dtype == np.float32
    loss.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_grads_keep_the_leaf_dtype_when_mixed_with_float64():
    x = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    y = x * np.array([3.0, 4.0])  # float64 array promotes the result, as NumPy
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [3, 4])


# -------------------------------------------------------------------------- errors


def test_backward_on_non_scalar_needs_an_explicit_grad():
    y = leaf([1.0, 2.0]) * 2.0
    with pytest.raises(RuntimeError, match=r"scalar.*explicit grad"):
        y.backward()
    with pytest.raises(ValueError, match=r"grad has shape \(3,\) but the output has shape \(2,\)"):
        y.backward(np.ones(3))
    y.backward(np.array([1.0, 0.5]))


def test_backward_without_history_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(np.ones(())).backward()


# ------------------------------------------------------------------------ in-place


@pytest.mark.parametrize(
    "modify",
    [
        lambda t: t.add_(1.0),
        lambda t: t.sub_(1.0),
        lambda t: t.mul_(2.0),
        lambda t: t.div_(2.0),
        lambda t: t.zero_(),
        lambda t: t.fill_(3.0),
        lambda t: t.copy_(np.ones(3)),
        lambda t: t.clamp_(0.0, 1.0),
        lambda t: t.__setitem__(0, 5.0),
    ],
    ids=["add_", "sub_", "mul_", "div_", "zero_", "fill_", "copy_", "clamp_", "setitem"],
)
def test_inplace_change_of_a_saved_leaf_is_detected_at_backward(modify):
    w = leaf([1.0, 2.0, 3.0])
    y = (w * w).sum()
    with minigrad.no_grad():
        modify(w)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_inplace_change_of_a_saved_constant_is_detected():
    w = leaf([1.0, 2.0])
    x = Tensor(np.array([3.0, 4.0]))
    y = (w * x).sum()
    x[0] = 0.0  # x does not require grad: allowed with grad on, but w's vjp needs it
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_inplace_change_of_a_saved_intermediate_is_detected():
    w = leaf([1.0, 2.0])
    h = w * 2.0
    y = (h * h).sum()
    with minigrad.no_grad():
        h.mul_(10.0)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_inplace_change_of_a_saved_output_is_detected():
    # tanh saves its own output for backward: modifying it corrupts tanh's vjp.
    w = leaf([0.5, -0.5])
    h = w.tanh()
    with minigrad.no_grad():
        h.mul_(0.0)
    with pytest.raises(RuntimeError, match="modified in place"):
        h.sum().backward()


def test_inplace_before_use_is_fine():
    w = leaf([1.0, 2.0])
    with minigrad.no_grad():
        w.add_(1.0)
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad, [4.0, 6.0])


@pytest.mark.parametrize("method", ["add_", "mul_", "zero_", "__setitem__"])
def test_inplace_on_tensor_requiring_grad_with_grad_enabled_raises(method):
    w = leaf([1.0, 2.0])
    args = {"add_": (1.0,), "mul_": (2.0,), "zero_": (), "__setitem__": (0, 1.0)}[method]
    with pytest.raises(RuntimeError, match="no_grad"):
        getattr(w, method)(*args)
    np.testing.assert_array_equal(w.data, [1.0, 2.0])


# --------------------------------------------------------------------- grad()


def test_grad_of_an_output_that_is_an_input():
    """PyTorch: grad(x, [x]) is 1 and grad([x * 3, x], [x]) is 4."""
    x = leaf(2.0)
    assert minigrad.grad(x, [x]) == (1.0,)
    (g,) = minigrad.grad([x * 3.0, x], [x])
    assert g == 4.0 and x.grad is None
    v = leaf([1.0, 2.0])
    (g,) = minigrad.grad([v, (v * v).sum()], [v], grad_outputs=[np.array([1.0, -1.0]), None])
    np.testing.assert_array_equal(g, [1.0 + 2.0, -1.0 + 4.0])
    y = leaf(1.0)
    assert minigrad.grad(x, [x, y], allow_unused=True) == (1.0, None)
    with pytest.raises(RuntimeError, match="does not require grad"):
        minigrad.grad(Tensor(np.ones(1)), [x])


def test_grad_returns_arrays_and_leaves_dot_grad_alone():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    out = (x * y).sum()
    gx, gy = minigrad.grad(out, [x, y])
    assert isinstance(gx, np.ndarray)
    np.testing.assert_array_equal(gx, y.data)
    np.testing.assert_array_equal(gy, x.data)
    assert x.grad is None and y.grad is None


def test_grad_allow_unused_and_non_leaf_inputs():
    x, unused = leaf([1.0, 2.0]), leaf([5.0])
    h = x * 3.0
    out = (h * h).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        minigrad.grad(out, [x, unused], retain_graph=True)
    gx, gh, gu = minigrad.grad(out, [x, h, unused], allow_unused=True)
    assert gu is None
    np.testing.assert_allclose(gh, 2 * h.data)
    np.testing.assert_allclose(gx, 18 * x.data)


def test_grad_with_grad_outputs_for_several_outputs():
    x = leaf([1.0, 2.0])
    a, b = x * 2.0, x * x
    (g,) = minigrad.grad([a, b], x, grad_outputs=[np.ones(2), np.array([1.0, 0.0])])
    np.testing.assert_allclose(g, [2 + 2 * 1.0, 2])
    with pytest.raises(ValueError, match="grad_outputs"):
        minigrad.grad([x * 2.0, x * 3.0], x, grad_outputs=[np.ones(2)])
    with pytest.raises(ValueError, match="does not require grad"):
        minigrad.grad((x * 2).sum(), Tensor(np.ones(2)))


# ---------------------------------------------------------------- accumulation


def test_leaves_accumulate_and_intermediates_keep_no_grad():
    x = leaf([1.0, 2.0])
    for _ in range(3):
        h = x * 2.0
        h.sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    assert h.grad is None
    x.grad = None
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_retain_grad_keeps_an_intermediate_grad():
    x = leaf([1.0, 2.0])
    h = x * 3.0
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad, 2 * h.data)
    assert h.grad.dtype == h.dtype


def test_constant_leaves_get_no_grad():
    c = Tensor(np.ones(2))
    x = leaf([1.0, 2.0])
    (x * c).sum().backward()
    assert c.grad is None


# ------------------------------------------------------------------------- hooks


def test_leaf_hook_sees_the_summed_grad_and_may_replace_it():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.copy()))
    handle = x.register_hook(lambda g: g * 10)
    (x * 2.0 + x).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    np.testing.assert_array_equal(x.grad, [30.0, 30.0])
    handle.remove()
    handle.remove()  # removing twice is harmless
    x.grad = None
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    assert len(seen) == 2


def test_non_leaf_hook_replaces_the_grad_flowing_on():
    x = leaf([1.0, 2.0])
    h = x * 2.0
    h.register_hook(lambda g: np.zeros_like(g))
    (h * 3.0 + x).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])  # only the direct path


def test_register_hook_on_constant_raises():
    with pytest.raises(RuntimeError, match="register_hook"):
        Tensor(np.ones(2)).register_hook(lambda g: g)


def test_in_place_write_through_a_view_of_a_saved_value_is_refused():
    # b's buffer is saved by b * b; writing through the slice v changes that buffer.
    a = minigrad.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1.0
    v = b[0:1]
    c = b * b
    with minigrad.no_grad():
        v.mul_(3)
    with pytest.raises(RuntimeError, match=r"mul: a value of shape \(2,\) saved for backward"):
        c.sum().backward()


def test_in_place_write_to_a_leaf_whose_view_was_saved_is_refused():
    # x.T is a view of x: the product saved it, and x.add_ rewrites its memory.
    x = minigrad.tensor(np.ones((2, 3)))
    w = minigrad.tensor(np.ones((3, 2)), requires_grad=True)
    y = x.T * w
    x.add_(1)
    with pytest.raises(RuntimeError, match="shares memory with a tensor modified in place"):
        y.sum().backward()


def test_writes_that_no_saved_value_reads_are_allowed():
    a = minigrad.tensor([1.0, 2.0], requires_grad=True)
    other = minigrad.tensor([5.0, 6.0])
    c = (a * a).sum()
    other.add_(1)
    c.backward()
    np.testing.assert_array_equal(a.grad, [2.0, 4.0])


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
