"""Compiled training agrees with eager training, step for step, over 100 optimizer steps.

Every layer configuration (all three cells; stacked, bidirectional, batch_first,
variable lengths), the four benchmark workload shapes scaled down, float64 to 1e-12
relative and float32 to 1e-5, and no_grad evaluation included.
"""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import rnn
from minigrad.functional import cross_entropy, linear, mse_loss

CELLS = {"rnn": rnn.RNN, "lstm": rnn.LSTM, "gru": rnn.GRU}
CONFIGS = [
    {},
    {"num_layers": 2},
    {"bidirectional": True},
    {"batch_first": True},
    {"lengths": True},
    {"num_layers": 2, "bidirectional": True, "lengths": True},
]
T, B, I, H = 5, 3, 4, 3


def rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


def _model(cell: str, cfg: dict, dtype: type) -> tuple:
    minigrad.manual_seed(0)
    layer_cfg = {k: v for k, v in cfg.items() if k != "lengths"}
    layer = CELLS[cell](I, H, dtype=dtype, **layer_cfg)
    d = 2 if cfg.get("bidirectional") else 1
    w = minigrad.tensor(np.random.default_rng(1).normal(size=(2, d * H)).astype(dtype))
    w.requires_grad_(True)
    lens = np.array([5, 2, 4]) if cfg.get("lengths") else None

    def loss(x: minigrad.Tensor, y: minigrad.Tensor) -> minigrad.Tensor:
        out, _ = layer(x, lengths=lens)
        return mse_loss(linear(out, w), y)

    return layer, w, loss


def _train(loss_fn, params: list, data: list, steps: int) -> list[np.ndarray]:
    opt = minigrad.optim.SGD(params, lr=0.05, momentum=0.5)
    losses = []
    for k in range(steps):
        x, y = data[k % len(data)]
        opt.zero_grad()
        loss = loss_fn(x, y)
        loss.backward()
        opt.step()
        losses.append(float(loss.data))
    return [np.array(losses)] + [p.data.copy() for p in params]


def _data(cfg: dict, dtype: type) -> list:
    rng = np.random.default_rng(2)
    shape = (B, T, I) if cfg.get("batch_first") else (T, B, I)
    yshape = (B, T, 2) if cfg.get("batch_first") else (T, B, 2)
    return [
        (
            minigrad.tensor(rng.normal(size=shape).astype(dtype)),
            minigrad.tensor(rng.normal(size=yshape).astype(dtype)),
        )
        for _ in range(3)
    ]


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: "-".join(c) or "plain")
def test_100_steps_float64_agree_to_1e_12(cell: str, cfg: dict) -> None:
    results = []
    for compiled in (False, True):
        layer, w, loss = _model(cell, cfg, np.float64)
        fn = minigrad.compile(loss) if compiled else loss
        results.append(_train(fn, [*layer.parameters(), w], _data(cfg, np.float64), 100))
        if compiled:
            assert fn.captures == 1
    for eager, comp in zip(*results, strict=True):
        assert rel(comp, eager) <= 1e-12


@pytest.mark.parametrize("cell", CELLS)
def test_100_steps_float32_agree_to_1e_5(cell: str) -> None:
    cfg = {"num_layers": 2, "bidirectional": True, "lengths": True}
    results = []
    for compiled in (False, True):
        layer, w, loss = _model(cell, cfg, np.float32)
        fn = minigrad.compile(loss) if compiled else loss
        results.append(_train(fn, [*layer.parameters(), w], _data(cfg, np.float32), 100))
    for eager, comp in zip(*results, strict=True):
        assert rel(comp, eager) <= 1e-5
    assert all(p.dtype == np.float32 for p in results[1][1:])


@pytest.mark.parametrize("cell", CELLS)
def test_no_grad_evaluation_agrees_and_records_nothing(cell: str) -> None:
    _, _, loss = _model(cell, {"bidirectional": True, "lengths": True}, np.float64)
    fn = minigrad.compile(loss)
    for x, y in _data({}, np.float64):
        with minigrad.no_grad():
            got = fn(x, y)
            want = loss(x, y)
        assert got.grad_fn is None and not got.requires_grad
        assert rel(got.data, want.data) <= 1e-14
    with minigrad.no_grad():
        program = next(iter(fn.programs.values()))
    assert not program.differentiable


# The benchmark workloads (W1 char-LSTM with one-hot input, W2 tanh RNN with batch 1,
# W3 wide LSTM, W4 long GRU), shrunk so the suite stays fast; readout + cross-entropy.
WORKLOADS = {
    "W1": ("lstm", 6, 8, 6, 12, 4, True),
    "W2": ("rnn", 5, 5, 5, 10, 1, False),
    "W3": ("lstm", 9, 9, 4, 6, 5, False),
    "W4": ("gru", 4, 4, 4, 60, 2, False),
}


@pytest.mark.parametrize("name", WORKLOADS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_workloads_100_steps(name: str, dtype: type) -> None:
    cell, i, h, v, t, b, onehot = WORKLOADS[name]
    rng = np.random.default_rng(3)
    x = np.eye(i, dtype=dtype)[rng.integers(0, i, (t, b))] if onehot else rng.normal(size=(t, b, i))
    x = minigrad.tensor(np.asarray(x, dtype))
    targets = rng.integers(0, v, t * b)
    wy0 = rng.uniform(-0.5, 0.5, (v, h)).astype(dtype)
    results = []
    for compiled in (False, True):
        minigrad.manual_seed(0)
        layer = CELLS[cell](i, h, dtype=dtype)
        wy = minigrad.tensor(wy0.copy(), requires_grad=True)
        by = minigrad.tensor(np.zeros(v, dtype), requires_grad=True)

        def loss(x: minigrad.Tensor, targets: np.ndarray) -> minigrad.Tensor:
            out, _ = layer(x)  # noqa: B023
            return cross_entropy(linear(out.reshape(t * b, h), wy, by), targets)  # noqa: B023

        fn = minigrad.compile(loss) if compiled else loss
        params = [*layer.parameters(), wy, by]
        results.append(_train(fn, params, [(x, targets)], 100))
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for eager, comp in zip(*results, strict=True):
        assert rel(comp, eager) <= tol


@pytest.mark.parametrize("ignore", [False, True])
def test_cross_entropy_replays_new_tensor_targets(ignore: bool) -> None:
    """Targets passed as a Tensor are data: each call's targets give its loss and
    gradient (with ignored rows, the mean's count follows them too)."""
    rng = np.random.default_rng(5)

    def loss(z: minigrad.Tensor, t: minigrad.Tensor) -> minigrad.Tensor:
        return cross_entropy(z, t, ignore_index=-1)

    compiled = minigrad.compile(loss)
    for call in range(3):
        t = rng.integers(0, 4, 6)
        if ignore:
            t[: call + 1] = -1
        z0 = rng.normal(size=(6, 4))
        got = [minigrad.tensor(z0, requires_grad=True) for _ in range(2)]
        out_eager, out_comp = loss(got[0], minigrad.tensor(t)), compiled(got[1], minigrad.tensor(t))
        out_eager.backward()
        out_comp.backward()
        assert rel(out_comp.data, out_eager.data) <= 1e-12
        assert rel(np.asarray(got[1].grad), np.asarray(got[0].grad)) <= 1e-12


LENGTHS = {
    "tensor": minigrad.tensor,
    "array": np.array,
    "list": list,
    "tuple": tuple,
    "list of tensors": lambda lens: [minigrad.tensor(n) for n in lens],
}


@pytest.mark.parametrize("kind", LENGTHS)
def test_lengths_as_eager_accepts_them_capture_again_when_they_change(kind: str) -> None:
    make = LENGTHS[kind]
    layer, w, _ = _model("gru", {}, np.float64)
    x, y = _data({}, np.float64)[0]

    def loss(x, y, lengths):
        out, h = layer(x, lengths=lengths)
        return mse_loss(linear(out, w), y) + h.sum()

    step = minigrad.compile(loss)
    for lens, captures in (([5, 2, 4], 1), ([3, 3, 1], 2), ([5, 2, 4], 2)):
        got = []
        for fn in (step, loss):
            layer.zero_grad()
            value = fn(x, y, make(lens))
            value.backward()
            got.append([value.data] + [p.grad.copy() for p in layer.parameters()])
        assert all(rel(a, b) <= 1e-12 for a, b in zip(*got, strict=True))
        assert step.captures == captures
