"""What the generated program does for speed and memory: 2-D products as ``np.dot``
into planned buffers, a bias's gradient in one deferred reduction over all steps (in
blocks of steps when their gradients would take too much memory), activation
derivatives in blocks of steps, a GRU's candidate block of ``W_hh h`` kept apart from
the rest; each with results equal to eager."""

from __future__ import annotations

import re

import numpy as np
import pytest

import minigrad
import rnn
from minigrad.compile import gradplan, hoist, plan
from minigrad.functional import linear

R = np.random.default_rng(7)


def _source(step) -> str:
    return next(iter(step.programs.values())).source


def _grads_agree(layer, loss, x, retain: bool = False) -> str:
    step = minigrad.compile(loss)
    out = step(x)
    out.backward(retain_graph=retain)
    if retain:
        out.backward()
    got = {k: p.grad.copy() for k, p in layer.named_parameters()}
    for p in layer.parameters():
        p.grad = None
    want = loss(x)
    want.backward(retain_graph=retain)
    if retain:
        want.backward()
    np.testing.assert_allclose(out.item(), want.item(), rtol=1e-13)
    for k, p in layer.named_parameters():
        np.testing.assert_allclose(got[k], p.grad, rtol=1e-12, atol=1e-15, err_msg=k)
    return _source(step)


def test_products_are_np_dot_into_planned_buffers() -> None:
    w = minigrad.tensor(R.normal(size=(4, 3)), requires_grad=True)
    step = minigrad.compile(lambda x: ((x @ w).tanh() @ w.T).sum())
    x = minigrad.tensor(R.normal(size=(2, 4)), requires_grad=True)
    got = step(x)
    got.backward()
    src = _source(step)
    assert "dot(" in src and "matmul(" not in src
    gw, gx = w.grad.copy(), x.grad.copy()
    w.grad = x.grad = None
    ((x @ w).tanh() @ w.T).sum().backward()
    np.testing.assert_allclose(gw, w.grad, rtol=1e-13)
    np.testing.assert_allclose(gx, x.grad, rtol=1e-13)


def test_batched_products_keep_matmul() -> None:
    w = minigrad.tensor(R.normal(size=(4, 3)), requires_grad=True)
    step = minigrad.compile(lambda x: (x @ w).sum())
    x = minigrad.tensor(R.normal(size=(2, 5, 4)))
    step(x).backward()
    assert "matmul(" in _source(step).split("def backward")[0]


def test_a_gru_bias_gradient_is_one_reduction_over_all_steps() -> None:
    minigrad.manual_seed(0)
    layer = rnn.GRU(3, 4, dtype=np.float64)  # b_hh is added at every step
    x = minigrad.tensor(R.normal(size=(6, 2, 3)))
    src = _grads_agree(layer, lambda x: (layer(x)[0] ** 2).sum(), x)
    assert "# d bias (12,): 6 uses in 1 reduction(s)" in src
    assert "unbroadcast" not in src


@pytest.mark.parametrize("retain", [False, True])
def test_derivatives_in_blocks_agree_with_eager(monkeypatch, retain: bool) -> None:
    minigrad.manual_seed(1)
    layer = rnn.GRU(3, 4, dtype=np.float64)
    x = minigrad.tensor(R.normal(size=(7, 2, 3)))
    # no memory for whole-sequence derivatives, blocks of 3 steps of (2, 8) float64
    monkeypatch.setattr(hoist, "BLOCK_BYTES", 3 * 2 * 8 * 8)
    monkeypatch.setattr(hoist, "BUDGET_BYTES", 0)
    src = _grads_agree(layer, lambda x: (layer(x)[0] ** 2).sum(), x, retain)
    backward = src.split("def backward")[1]
    # the sigmoid over the three gate blocks, (2, 12) float64 a step: 7 steps in
    # blocks of 2, 2, 2 and 1, two calls each, in the backward's stream (the tanh's,
    # in place, stays in the once-only prelude)
    assert backward.count("\n    subtract(1, k") == 4


@pytest.mark.parametrize("retain", [False, True])
@pytest.mark.parametrize("by", ["bytes", "rows"])
def test_weight_and_bias_sums_in_blocks_agree_with_eager(monkeypatch, retain, by) -> None:
    minigrad.manual_seed(2)
    layer = rnn.GRU(3, 4, dtype=np.float64)
    x = minigrad.tensor(R.normal(size=(7, 2, 3)))
    # the recurrent product's gradient is (2, 12) float64 a step: blocks of 3 steps,
    # by their bytes or by their rows
    monkeypatch.setattr(gradplan, "DEFER_BYTES", 0)
    monkeypatch.setattr(gradplan, "BLOCK_BYTES", 3 * 2 * 12 * 8 if by == "bytes" else 0)
    monkeypatch.setattr(gradplan, "BLOCK_ROWS", 0 if by == "bytes" else 3 * 2)
    src = _grads_agree(layer, lambda x: (layer(x)[0] ** 2).sum(), x, retain)
    # W_hh's and b_hh's 7 uses (t = 6..0) in blocks of 3, 3 and 1
    assert src.count("# d weight (4, 12): 3 uses in 1 GEMM(s)") == 2
    assert src.count("# d bias (12,): 3 uses in 1 reduction(s)") == 2
    assert "# d weight (4, 12): 1 uses in 1 GEMM(s)" in src


def test_small_sums_stay_one_sum() -> None:
    minigrad.manual_seed(3)
    layer = rnn.GRU(3, 4, dtype=np.float64)
    x = minigrad.tensor(R.normal(size=(7, 2, 3)))
    src = _grads_agree(layer, lambda x: (layer(x)[0] ** 2).sum(), x)
    # (h_0 is not a row of the stacked outputs: a GEMM of its own)
    assert "# d weight (4, 12): 7 uses in 2 GEMM(s)" in src
    assert "# d bias (12,): 7 uses in 1 reduction(s)" in src


def test_a_gru_keeps_only_the_candidate_block_of_its_recurrent_product(monkeypatch) -> None:
    minigrad.manual_seed(4)
    layer = rnn.GRU(3, 4, dtype=np.float64)
    x = minigrad.tensor(R.normal(size=(40, 2, 3)))
    src = _grads_agree(layer, lambda x: (layer(x)[0] ** 2).sum(), x)
    # h W_hn^T + b_hn, read by the backward of r * (...), is copied out of the (2, 12)
    # product, whose storage the next step reuses
    assert re.search(r"copyto\(\w+, \w+\[i\d+\]\)", src.split("def backward")[0])

    def planned_bytes() -> int:
        step = minigrad.compile(lambda x: (layer(x)[0] ** 2).sum())
        step(x)
        return next(iter(step.programs.values())).nbytes

    copied = planned_bytes()
    monkeypatch.setattr(plan, "_copy_kept_slices", lambda *a: None)
    # without the copy, the whole (2, 12) product of each step is kept for backward:
    # (2, 8) float64 more a step (but for a few the storage reuse may absorb)
    assert planned_bytes() - copied >= 30 * 2 * 8 * 8


def test_a_recurrent_weight_is_one_transposed_constant_in_the_rolled_backward() -> None:
    minigrad.manual_seed(0)
    layer = rnn.RNN(3, 4, dtype=np.float64)
    x = minigrad.tensor(R.normal(size=(10, 2, 3)))
    src = _grads_agree(layer, lambda x: (layer(x)[0] ** 2).sum(), x)
    backward = src.split("def backward():")[1]
    loop = backward.split("\n    for ", 1)[1].split("\n    #", 1)[0]
    products = [x.strip() for x in loop.split("\n") if x.strip().startswith("dot(")]
    # the step's input gradient g W_hh: W_hh (a planned row-major copy of W_hh^T) is
    # read through one constant view, named in the loop body, not one per step
    assert len(products) == 1
    weight = products[0][len("dot(") :].split(", ")[1]
    assert re.fullmatch(r"k\d+", weight), products[0]


@pytest.mark.parametrize(
    ("scope", "template_scope"),
    [
        (("layer=0", "t=3"), ("layer=0",)),
        (("layer=1", "dir=1", "t=12", "gate=n"), ("layer=1", "dir=1", "gate=n")),
        (("layer=0",), None),  # outside a time step: no template
        (("t=x", "at=3"), None),
        ((), None),
    ],
)
def test_an_ops_template_scope_drops_only_its_time_step(scope, template_scope) -> None:
    assert hoist._without_step(scope) == template_scope


@pytest.mark.parametrize(("rows", "copied"), [(64, True), (1024, False)])
def test_a_transposed_weight_read_once_is_copied_only_when_small(rows: int, copied: bool) -> None:
    # x @ W^T with W (rows, 512) float32: 128 KiB is copied row-major once per call,
    # 2 MiB (beyond a core's cache) is read as a view; the gradients agree with eager.
    rng = np.random.default_rng(rows)
    w = minigrad.tensor(rng.normal(size=(rows, 512)).astype(np.float32), requires_grad=True)
    x = minigrad.tensor(rng.normal(size=(8, 512)).astype(np.float32))
    f = minigrad.compile(lambda x: (linear(x, w) ** 2).sum())
    f(x).backward()
    forward = next(iter(f.programs.values())).source.split("def backward")[0]
    assert bool(re.search(r"copyto\(\w+, \w+\.transpose", forward)) is copied
    got, w.grad = w.grad, None
    f(x).backward()
    np.testing.assert_array_equal(got, w.grad)
    w.grad = None
    (linear(x, w) ** 2).sum().backward()
    np.testing.assert_allclose(got, w.grad, rtol=1e-5, atol=1e-4)
