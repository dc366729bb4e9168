"""A replay behaves like the eager call it stands for: outputs the user owns,
gradients accumulated into .grad, the engine's rules for backward, the same graph."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import minigrad.viz as viz
import rnn
from minigrad.functional import linear


def setup() -> tuple:
    rng = np.random.default_rng(0)
    w = minigrad.tensor(rng.normal(size=(3, 2)), requires_grad=True)
    b = minigrad.tensor(rng.normal(size=2), requires_grad=True)
    f = minigrad.compile(lambda x: ((x @ w + b).tanh() ** 2).sum())
    return w, b, f, [minigrad.tensor(rng.normal(size=(4, 3))) for _ in range(3)]


def test_gradients_accumulate_like_eager() -> None:
    w, b, f, xs = setup()
    f(xs[0]).backward()
    f(xs[1]).backward()
    got = w.grad.copy(), b.grad.copy()
    w.grad = b.grad = None
    for x in xs[:2]:
        ((x @ w + b).tanh() ** 2).sum().backward()
    np.testing.assert_allclose(got[0], w.grad, rtol=1e-14)
    np.testing.assert_allclose(got[1], b.grad, rtol=1e-14)


def test_grads_and_outputs_are_the_users_arrays() -> None:
    w, _, f, xs = setup()
    first = f(xs[0])
    value = first.data.copy()
    first.backward()
    grad = w.grad
    f(xs[1]).backward()
    assert np.array_equal(first.data, value)  # the second call did not overwrite it
    assert w.grad is grad or not np.shares_memory(w.grad, grad)
    w.grad = None
    f(xs[2]).backward()
    g1 = w.grad
    w.grad = None
    f(xs[2]).backward()
    assert not np.shares_memory(g1, w.grad)


def test_backward_after_a_later_call_raises() -> None:
    _, _, f, xs = setup()
    old = f(xs[0])
    f(xs[1])
    with pytest.raises(RuntimeError, match="after a later call"):
        old.backward()


def test_a_later_call_that_fails_part_way_still_refuses_the_earlier_backward() -> None:
    import types

    cfg = types.SimpleNamespace(  # an object's attributes are not part of the key
        w=minigrad.tensor([[1.0, -1.0], [0.5, 2.0]], requires_grad=True),
        b=minigrad.tensor([0.1, 0.2], requires_grad=True),
    )
    f = minigrad.compile(lambda x: ((x @ cfg.w).tanh() * cfg.b).sum())
    first = f(minigrad.tensor([[0.1, 0.2]]))
    cfg.b.data = cfg.b.data.astype(np.float64)  # stale: the later call binds, then captures
    f(minigrad.tensor([[3.0, -4.0]]))
    with pytest.raises(RuntimeError, match="after a later call"):
        first.backward()  # it read the later call's input


def test_second_backward_needs_retain_graph() -> None:
    w, _, f, xs = setup()
    loss = f(xs[0])
    loss.backward(retain_graph=True)
    once = w.grad.copy()
    loss.backward()
    np.testing.assert_allclose(w.grad, 2 * once, rtol=1e-14)
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss.backward()


def test_parameter_hooks_run_and_gradients_reach_earlier_graphs() -> None:
    w, b, f, xs = setup()
    w.register_hook(lambda g: g * 0)
    a = minigrad.tensor(np.ones((4, 3)), requires_grad=True)
    f(a * xs[0]).backward()  # the input is the output of an eager op
    assert np.all(w.grad == 0)
    ref = minigrad.tensor(np.ones((4, 3)), requires_grad=True)
    ((ref * xs[0] @ w + b).tanh() ** 2).sum().backward()
    np.testing.assert_allclose(a.grad, ref.grad, rtol=1e-14)


def test_gradients_a_hook_keeps_are_not_overwritten_by_the_next_call() -> None:
    # Eagerly, each backward hands a hook new arrays; a hook that keeps them (a
    # gradient log) must not see them overwritten by the next call's backward.
    w, b, f, xs = setup()
    weights = minigrad.tensor(w.data.copy(), requires_grad=True)
    bias = minigrad.tensor(b.data.copy(), requires_grad=True)
    kept: list[list] = []
    for compiled in (True, False):
        logs: dict[str, list] = {"w": [], "a": [], "h": []}
        a = minigrad.tensor(np.ones((4, 3)), requires_grad=True)
        (w if compiled else weights).register_hook(logs["w"].append)
        a.register_hook(logs["a"].append)
        for x in xs[:2]:
            w.grad = weights.grad = b.grad = bias.grad = a.grad = None  # zero_grad()
            h = a * x  # an input made by eager ops: its gradient flows on to a's hook
            h.register_hook(logs["h"].append)
            loss = f(h) if compiled else ((h @ weights + bias).tanh() ** 2).sum()
            loss.backward()
        kept.append([g for name in logs for g in logs[name]])
    assert len(kept[0]) == len(kept[1]) == 6
    for got, want in zip(*kept, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-14)


def test_several_outputs_and_structures() -> None:
    w, _, _, xs = setup()

    def f(x):
        y = x @ w
        return {"y": y, "loss": (y * y).sum(), "n": 3}

    cf = minigrad.compile(f)
    out = cf(xs[0])
    assert out["n"] == 3 and out["y"].shape == (4, 2)
    (out["loss"] + out["y"].sum()).backward()
    got = w.grad.copy()
    w.grad = None
    e = f(xs[0])
    (e["loss"] + e["y"].sum()).backward()
    np.testing.assert_allclose(got, w.grad, rtol=1e-14)


@pytest.mark.parametrize("cls", [rnn.RNN, rnn.LSTM, rnn.GRU])
def test_draw_shows_the_eager_graph(cls: type) -> None:
    minigrad.manual_seed(0)
    layer = cls(3, 4, dtype=np.float64)
    x = minigrad.tensor(np.random.default_rng(1).normal(size=(3, 2, 3)))

    def f(x):
        return layer(x)[0].sum()

    eager = viz.draw(f(x), params=dict(layer.named_parameters())).source
    compiled = viz.draw(minigrad.compile(f)(x), params=dict(layer.named_parameters())).source
    strip = __import__("re").compile(r"\b(n|node)\d+\b")
    assert strip.sub("N", compiled) == strip.sub("N", eager)
    assert compiled.count("subgraph cluster") == eager.count("subgraph cluster") >= 3


@pytest.mark.parametrize("cls", [rnn.RNN, rnn.LSTM, rnn.GRU])
@pytest.mark.parametrize("sizes", [(2, 3, 4, 1), (3, 5, 5, 2), (4, 4, 6, 3), (3, 8, 3, 2)])
def test_retained_backward_twice_doubles_the_gradients(cls: type, sizes: tuple) -> None:
    # Gradient buffers must not take over the storage of forward values that backward
    # reads: the second backward reads them again.
    I, H, T, N = sizes
    minigrad.manual_seed(0)
    layer = cls(I, H, dtype=np.float64)
    x = minigrad.tensor(np.random.default_rng(2).normal(size=(T, N, I)))
    loss = minigrad.compile(lambda x: (layer(x)[0] ** 2).sum())(x)
    loss.backward(retain_graph=True)
    once = {k: p.grad.copy() for k, p in layer.named_parameters()}
    loss.backward()
    for k, p in layer.named_parameters():
        np.testing.assert_allclose(p.grad, 2 * once[k], rtol=1e-13, err_msg=k)


def test_retained_backward_reuses_the_derivatives_of_all_steps() -> None:
    minigrad.manual_seed(0)
    layer = rnn.GRU(3, 4, dtype=np.float64)  # tanh outputs differentiated in place
    x = minigrad.tensor(np.random.default_rng(2).normal(size=(5, 2, 3)))
    f = minigrad.compile(lambda x: (layer(x)[0] ** 2).sum())
    loss = f(x)
    assert "derived = True" in next(iter(f.programs.values())).source
    loss.backward(retain_graph=True)
    once = {k: p.grad.copy() for k, p in layer.named_parameters()}
    loss.backward()
    for k, p in layer.named_parameters():
        np.testing.assert_allclose(p.grad, 2 * once[k], rtol=1e-13)
    for p in layer.parameters():
        p.grad = None
    (layer(x)[0] ** 2).sum().backward()
    for k, p in layer.named_parameters():
        np.testing.assert_allclose(once[k], p.grad, rtol=1e-12)


@pytest.mark.parametrize("cls", [rnn.LSTM, rnn.GRU])
def test_a_repeated_backward_reads_forward_values_as_the_first_did(cls: type) -> None:
    # backward reuses the storage of forward values it has read; a second backward of
    # the same call (retain_graph, or a second output in the same pass) must not see that
    minigrad.manual_seed(0)
    layer = cls(3, 4, dtype=np.float64)
    wy = minigrad.tensor(np.random.default_rng(0).normal(size=(5, 4)), requires_grad=True)
    x = minigrad.tensor(np.random.default_rng(2).normal(size=(6, 2, 3)))

    def f(x):
        z = linear(layer(x)[0].reshape(12, 4), wy)
        return (z**2).sum(), z.tanh().sum()

    step = minigrad.compile(f)
    a, b = step(x)
    (a + b).backward(retain_graph=True)
    (a + 2 * b).backward()
    got = {k: p.grad.copy() for k, p in layer.named_parameters()}
    for p in layer.parameters():
        p.grad = None
    a, b = f(x)
    (a + b).backward(retain_graph=True)
    (a + 2 * b).backward()
    for k, p in layer.named_parameters():
        np.testing.assert_allclose(got[k], p.grad, rtol=1e-12, err_msg=k)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, w: (x * w)[0] * 2,  # one element of an op's output
        lambda x, w: (x * w)[None][0][-1] * 5,
        lambda x, w: minigrad.stack(list(x * w)).sum(),  # 0-d parts of a join
        lambda x, w: minigrad.stack([x[1], x[0]]) @ w,
        lambda x, w: minigrad.stack([(x * w).sum(), (x * w).max()]).sum(),
    ],
)
def test_single_elements_and_0d_parts_of_a_join_replay_as_eager(fn) -> None:
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    c = minigrad.compile(lambda x: fn(x, w))
    for v in ([1.0, 1.0], [2.0, -3.0]):
        x = minigrad.tensor(v)
        w.grad = None
        eager = fn(x, w)
        eager.backward()
        expected, w.grad = w.grad, None
        out = c(x)  # it gave 0.0, or raised a TypeError from copyto
        out.backward()
        assert out.item() == eager.item()
        np.testing.assert_array_equal(w.grad, expected)


def test_the_gradient_of_one_element_is_a_view_of_its_parents() -> None:
    """b[0] and b[1] of a 1-d parameter: their gradients are 0-d views of b's (NumPy
    returns a scalar copy for b[0], which a planned ``out=`` cannot take)."""
    b = minigrad.tensor([0.7, 1.3], requires_grad=True)

    def f(x):
        return (minigrad.linspace(b[0], b[1], 5) * x).sum() + b[1] * b[0]

    step = minigrad.compile(f)
    for _ in range(2):
        b.grad = None
        step(minigrad.tensor(np.arange(5.0))).backward()
        got, b.grad = b.grad.copy(), None
        f(minigrad.tensor(np.arange(5.0))).backward()
        np.testing.assert_allclose(got, b.grad, rtol=1e-6)


@pytest.mark.parametrize("uses", [1, 2, 7])
def test_a_transposed_weights_gradient_is_made_in_the_weights_layout(uses: int) -> None:
    # W used as W^T at every step (as a layer's recurrent weight): its gradient is
    # computed row-major, like W, whatever the number of GEMMs summing it, and agrees
    # with eager mode.
    rng = np.random.default_rng(uses)
    w = minigrad.tensor(rng.normal(size=(5, 3)), requires_grad=True)
    xs = minigrad.tensor(rng.normal(size=(uses, 4, 3)))

    def loss(x):
        h = minigrad.zeros(4, 5)
        wt = w.T
        for t in range(uses):
            h = (h + x[t] @ wt).tanh()
        return (h * h).sum()

    f = minigrad.compile(loss)
    for _ in range(2):
        w.grad = None
        f(xs).backward()
        got = w.grad
        program = next(iter(f.programs.values()))
        assert all(g.flags.c_contiguous for g in program._grads)
        w.grad = None
        loss(xs).backward()
        np.testing.assert_allclose(got, w.grad, rtol=1e-12)


def test_one_tensor_returned_twice_sends_gradients_through_both_places() -> None:
    w, b, _, xs = setup()
    f = lambda x: (((x @ w + b).tanh() ** 2).sum(),) * 2  # noqa: E731
    c = minigrad.compile(f)
    c(xs[0])
    first, second = c(xs[1])
    (first * 2 + second * 3).backward()
    got = w.grad.copy()
    w.grad = b.grad = None
    first, second = f(xs[1])
    (first * 2 + second * 3).backward()
    np.testing.assert_allclose(got, w.grad, rtol=1e-13)


def test_a_namedtuple_is_returned_as_one() -> None:
    import collections

    Pair = collections.namedtuple("Pair", "loss hidden")
    w, b, _, xs = setup()
    c = minigrad.compile(lambda x: Pair((x @ w + b).sum(), (x @ w).tanh()))
    for x in xs[:2]:
        out = c(x)
        assert type(out) is Pair
        np.testing.assert_allclose(out.hidden.data, (x @ w).tanh().data, rtol=1e-14)


def test_a_tensor_made_inside_and_returned_is_a_new_one_at_each_call() -> None:
    w, b, _, xs = setup()
    c = minigrad.compile(lambda x: ((x @ w + b).sum(), minigrad.zeros(2), w))
    seen = []
    for x in xs:
        _, count, weight = c(x)
        assert weight is w  # a tensor from outside is returned as it is
        np.testing.assert_array_equal(count.data, [0.0, 0.0])
        with minigrad.no_grad():
            count += 1.0  # the caller's own tensor, as eagerly
        seen.append(count)
    assert len({id(t) for t in seen}) == len(xs)


def test_an_input_modified_in_place_before_backward_is_refused_as_eagerly() -> None:
    w, b, _, xs = setup()
    f = minigrad.compile(lambda x: (x @ w + b).sum())
    f(xs[0]).backward()
    out = f(xs[1])
    with minigrad.no_grad():
        xs[1].mul_(0.0)
    with pytest.raises(RuntimeError, match=r"modified in place after the call"):
        out.backward()
    # memory the backward does not read may change: here b's array (its gradient is ones)
    g = minigrad.compile(lambda x: (x @ w + b).sum())
    g(xs[2])
    out = g(xs[2])
    with minigrad.no_grad():
        b.mul_(2.0)
    b.grad = None
    out.backward()
    np.testing.assert_allclose(b.grad, [4.0, 4.0])


def _lstm_loss() -> tuple:
    minigrad.manual_seed(0)
    layer = rnn.LSTM(3, 5, dtype=np.float64)

    def loss(x: minigrad.Tensor) -> minigrad.Tensor:
        out, _ = layer(x)
        return (out**2).sum()

    x = minigrad.tensor(np.random.default_rng(1).normal(size=(4, 2, 3)), requires_grad=True)
    return layer, loss, x


def test_create_graph_through_a_compiled_call_matches_eager() -> None:
    # A gradient penalty: d/dW |d loss/dx|^2, through a compiled LSTM.
    layer, loss, x = _lstm_loss()
    compiled = minigrad.compile(loss)
    got = []
    for fn in (compiled, loss):
        layer.zero_grad()
        (gx,) = minigrad.grad(fn(x), [x], create_graph=True)
        (gx**2).sum().backward()
        got.append([p.grad.copy() for p in layer.parameters()])
    for a, b in zip(*got, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert compiled.captures == 1


@pytest.mark.parametrize("transform", ["grad", "hessian", "hvp", "jvp", "jacfwd", "jacrev"])
def test_function_transforms_of_a_compiled_function_match_eager(transform: str) -> None:
    from minigrad import func

    _, loss, x = _lstm_loss()
    x = x.detach()
    v = minigrad.tensor(np.random.default_rng(2).normal(size=x.shape))
    run = {
        "grad": lambda f: func.grad(f)(x),
        "hessian": lambda f: func.hessian(f)(x),
        "hvp": lambda f: func.hvp(f, (x,), (v,))[1],
        "jvp": lambda f: func.jvp(f, (x,), (v,))[1],  # forward mode: runs eagerly
        "jacfwd": lambda f: func.jacfwd(f)(x),
        "jacrev": lambda f: func.jacrev(f)(x),
    }[transform]

    def value(r: object) -> np.ndarray:
        r = r[0] if isinstance(r, tuple) else r
        return np.asarray(getattr(r, "data", r))

    np.testing.assert_allclose(
        value(run(minigrad.compile(loss))), value(run(loss)), rtol=1e-12, atol=1e-13
    )
