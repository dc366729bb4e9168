"""A compiled function used with the rest of the library (nn layers, indexing): each
replay gives what the eager call gives, or refuses what eager code refuses."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import minigrad


def _grads(fn, params, *args) -> tuple[float, list[np.ndarray]]:
    for p in params:
        p.grad = None
    out = fn(*args)
    out.backward()
    return out.item(), [p.grad.copy() for p in params]


def test_an_embeddings_padding_row_gets_no_gradient_at_any_replay() -> None:
    minigrad.manual_seed(0)
    emb = minigrad.nn.Embedding(5, 3, padding_idx=0)
    w = minigrad.randn(3, requires_grad=True)

    def loss(ids):
        return (emb(ids) * w).sum()

    step = minigrad.compile(loss)
    step(minigrad.tensor(np.array([1, 2, 3])))  # captured without the padding id
    for ids in ([0, 2, 0], [4, 0, 1], [1, 2, 3]):
        ids = minigrad.tensor(np.array(ids))
        eager, compiled = _grads(loss, [emb.weight, w], ids), _grads(step, [emb.weight, w], ids)
        assert compiled[0] == pytest.approx(eager[0], rel=1e-6)
        for c, e in zip(compiled[1], eager[1], strict=True):
            np.testing.assert_allclose(c, e, rtol=1e-6, atol=1e-7)
        assert not compiled[1][0][0].any()  # the padding row
    assert step.captures == 1


@pytest.mark.parametrize("bad", [-1, 5])
def test_an_embedding_refuses_ids_out_of_range_at_a_replay_too(bad: int) -> None:
    emb = minigrad.nn.Embedding(5, 3)
    step = minigrad.compile(lambda ids: emb(ids).sum())
    step(minigrad.tensor(np.array([1, 2])))
    with pytest.raises(IndexError, match=f"id {bad} is out of range"):
        step(minigrad.tensor(np.array([1, bad])))  # -1 read the last row


def test_a_boolean_mask_passed_as_a_tensor_runs_eagerly() -> None:
    w = minigrad.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)

    def picked(x, mask):
        return (x[mask] * w[mask]).sum() + x[1:, None][mask[1:]].sum()

    step = minigrad.compile(picked)
    x = minigrad.tensor([0.5, -1.0, 2.0, 3.0])
    with pytest.warns(RuntimeWarning, match="boolean mask"):
        step(x, minigrad.tensor(np.array([True, False, True, False])))
    for mask in ([True, True, True, False], [False, False, False, True]):
        mask = minigrad.tensor(np.array(mask))  # another count of True values
        assert step(x, mask).item() == picked(x, mask).item()


class _Scaled(minigrad.nn.Module):
    def __init__(self, k: float) -> None:
        super().__init__()
        self.lin, self.k = minigrad.nn.Linear(3, 1), k

    @minigrad.compile
    def loss(self, x):
        return (self.lin(x) * self.k).sum()


def test_a_compiled_method_is_bound_to_each_instance() -> None:
    a, b = _Scaled(1.0), _Scaled(2.0)
    x = minigrad.tensor(np.arange(6.0).reshape(2, 3))
    eager = _Scaled.loss.fn
    for _ in range(2):
        for m in (a, b):
            m.lin.weight.grad = None
            out = m.loss(x)
            out.backward()
            assert out.item() == pytest.approx(eager(m, x).item(), rel=1e-6)
    a.k = 5.0  # an attribute of the instance: part of the key
    assert a.loss(x).item() == pytest.approx(eager(a, x).item(), rel=1e-6)
    np.testing.assert_allclose(b.lin.weight.grad, 2 * x.data.sum(0, keepdims=True))


class _Holder(minigrad.nn.Module):
    """A model that keeps a compiled method of its own as an attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = minigrad.nn.Linear(3, 2, dtype=np.float64)
        self.step = minigrad.compile(self.loss)

    def loss(self, x):
        return (self.lin(x).tanh() ** 2).sum()


@pytest.mark.parametrize("how", ["deepcopy", "pickle", "compiled module"])
def test_a_copy_of_a_compiled_model_compiles_the_copy(how: str) -> None:
    # copy.deepcopy of a model holding a compiled method (a snapshot of the best
    # weights) raised TypeError: cannot pickle '_thread.RLock' object.
    minigrad.manual_seed(0)
    model = _Holder()
    x = minigrad.tensor(np.arange(6.0).reshape(2, 3) / 6)
    if how == "compiled module":
        compiled = minigrad.compile(model.lin)
        compiled(x).sum().backward()
        twin_compiled = copy.deepcopy(compiled)
        twin = twin_compiled.fn
        step, eager = (lambda v: twin_compiled(v).sum()), (lambda v: twin(v).sum())
    else:
        model.step(x).backward()
        twin = copy.deepcopy(model) if how == "deepcopy" else pickle.loads(pickle.dumps(model))
        step, eager = twin.step, twin.loss
    weight = twin.weight if how == "compiled module" else twin.lin.weight
    weight.data = weight.data * 3  # the copy's own weights are read
    for p in (*model.parameters(), *twin.parameters()):
        p.grad = None
    for _ in range(2):
        out = step(x)
        out.backward()
        assert out.item() == pytest.approx(eager(x).item(), rel=1e-12)
    assert all(p.grad is None for p in model.parameters())
    assert all(p.grad is not None for p in twin.parameters())


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, m, w: minigrad.where(m, x * w, -w).sum(),  # a mask of 0s and 1s
        lambda x, m, w: minigrad.where(m[::-1], x * w, -w).sum(),
        lambda x, m, w: minigrad.where(m.bool(), x * w, -w).sum(),  # cast to bool
        lambda x, m, w: (w[m.long()] * x).sum(),  # cast to integers, an index
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_a_mask_of_numbers_and_integer_casts_are_read_at_every_call(fn, dtype) -> None:
    w = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    step = minigrad.compile(lambda x, m: fn(x, m, w))
    x = minigrad.tensor([1.0, 10.0, 100.0])
    for values in ([1, 0, 1], [0, 1, 2], [2, 2, 0]):
        m = minigrad.tensor(np.array(values, dtype=dtype))
        eager = _grads(lambda x, m: fn(x, m, w), [w], x, m)
        compiled = _grads(step, [w], x, m)
        assert compiled[0] == eager[0]
        np.testing.assert_array_equal(compiled[1][0], eager[1][0])
