"""Loss modules (minigrad/nn/loss.py): each against its functional loss and against
torch.nn's (values and gradients in float64, every reduction, repr), and an MLP with
ReLU and CrossEntropyLoss compiled, step for step as eager."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad import functional as F
from minigrad import nn

R = np.random.default_rng(0)
LOGITS = R.standard_normal((6, 4, 3)) * 3
CLASSES = np.array([[0, 3, 1], [2, 2, 0], [-1, 1, 3], [3, 0, -1], [1, 1, 2], [0, 2, 3]])
REAL = R.standard_normal((6, 4, 3))
PROBS = R.uniform(size=(6, 4, 3))
WEIGHT = R.uniform(0.2, 2.0, 4)  # class weights

# (module's name, its keyword arguments, functional loss, input, target)
CASES = [
    ("CrossEntropyLoss", {}, F.cross_entropy, LOGITS, np.abs(CLASSES)),
    ("CrossEntropyLoss", {"ignore_index": -1}, F.cross_entropy, LOGITS, CLASSES),
    ("CrossEntropyLoss", {}, F.cross_entropy, LOGITS[:, :, 0], CLASSES[:, 0] % 4),
    ("CrossEntropyLoss", {"weight": WEIGHT}, F.cross_entropy, LOGITS, np.abs(CLASSES)),
    ("CrossEntropyLoss", {"label_smoothing": 0.1}, F.cross_entropy, LOGITS, np.abs(CLASSES)),
    (
        "CrossEntropyLoss",
        {"weight": WEIGHT, "ignore_index": -1, "label_smoothing": 0.2},
        F.cross_entropy,
        LOGITS,
        CLASSES,
    ),
    (
        "CrossEntropyLoss",
        {"weight": WEIGHT, "label_smoothing": 0.3},
        F.cross_entropy,
        LOGITS[:, :, 0],
        CLASSES[:, 0] % 4,
    ),
    ("NLLLoss", {}, F.nll_loss, LOGITS, np.abs(CLASSES)),
    ("NLLLoss", {"ignore_index": -1}, F.nll_loss, LOGITS, CLASSES),
    ("NLLLoss", {"weight": WEIGHT, "ignore_index": -1}, F.nll_loss, LOGITS, CLASSES),
    ("MSELoss", {}, F.mse_loss, LOGITS, REAL),
    ("BCEWithLogitsLoss", {}, F.binary_cross_entropy_with_logits, LOGITS, PROBS),
]
IDS = [f"{name}{sorted(kw) if kw else ''}-{x.ndim}d" for name, kw, _, x, _ in CASES]


def _value_and_grad(fn, x: np.ndarray, target: np.ndarray):
    t = minigrad.tensor(x, requires_grad=True)
    y = fn(t, target)
    y.backward(np.linspace(-1, 2, y.size).reshape(y.shape))
    return y.data, t.grad


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(("name", "kw", "fn", "x", "target"), CASES, ids=IDS)
def test_module_is_its_functional_loss(name, kw, fn, x, target, reduction):
    module = getattr(nn, name)(**kw, reduction=reduction)
    got = _value_and_grad(module, x, target)
    want = _value_and_grad(lambda a, b: fn(a, b, **kw, reduction=reduction), x, target)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


@pytest.mark.torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(("name", "kw", "_fn", "x", "target"), CASES, ids=IDS)
def test_module_matches_torch(name, kw, _fn, x, target, reduction):
    torch = pytest.importorskip("torch")
    their_kw = {k: torch.tensor(v) if k == "weight" else v for k, v in kw.items()}
    theirs = getattr(torch.nn, name)(**their_kw, reduction=reduction)
    ours = getattr(nn, name)(**kw, reduction=reduction)
    assert repr(ours) == repr(theirs) == f"{name}()"
    t = torch.tensor(x, requires_grad=True)
    y = theirs(t, torch.tensor(target))
    y.backward(torch.linspace(-1, 2, y.numel(), dtype=torch.float64).reshape(y.shape))
    got_y, got_g = _value_and_grad(ours, x, target)
    np.testing.assert_allclose(got_y, y.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got_g, t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_options_are_kept_and_unoffered_ones_refused():
    loss = nn.CrossEntropyLoss(ignore_index=-1, reduction="sum", label_smoothing=0.25)
    assert (loss.ignore_index, loss.reduction, loss.label_smoothing) == (-1, "sum", 0.25)
    assert nn.MSELoss().reduction == "mean" and nn.NLLLoss().ignore_index == -100
    assert nn.CrossEntropyLoss().weight is None and nn.CrossEntropyLoss().label_smoothing == 0.0
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]"):
        nn.CrossEntropyLoss(label_smoothing=1.5)  # refused where it is given
    with pytest.raises(TypeError, match="pos_weight"):
        nn.BCEWithLogitsLoss(pos_weight=np.ones(3))
    with pytest.raises(TypeError, match="positional"):
        nn.NLLLoss(np.ones(3), -1)  # weight first, as PyTorch; the rest by keyword
    with pytest.raises(ValueError, match=r"weight of shape \(3,\) must hold one weight per"):
        nn.NLLLoss(np.ones(3))(minigrad.zeros((2, 4), dtype=np.float64), np.array([0, 1]))


def test_class_weights_are_a_buffer_as_pytorch():
    """Given positionally or by name, the weight is the buffer ``weight``: in
    ``state_dict`` (not when None), loaded back, cast by ``double``; a Tensor is kept as
    given, so one that requires grad gets its gradient."""
    loss = nn.NLLLoss(np.array([1.0, 2.0, 3.0], np.float32))
    assert loss.weight.dtype == np.float32 and "weight" not in dict(loss.named_parameters())
    np.testing.assert_array_equal(loss.state_dict()["weight"], [1, 2, 3])
    assert nn.CrossEntropyLoss().state_dict() == {} and list(nn.NLLLoss().buffers()) == []
    loss.load_state_dict({"weight": np.array([3.0, 2.0, 1.0], np.float32)})
    assert loss.double().weight.dtype == np.float64
    np.testing.assert_array_equal(loss.weight.data, [3, 2, 1])
    w = minigrad.tensor(WEIGHT, requires_grad=True)
    loss = nn.CrossEntropyLoss(w, label_smoothing=0.1)
    assert loss.weight is w
    loss(minigrad.tensor(LOGITS), np.abs(CLASSES)).backward()
    grad = w.grad
    w.grad = None
    F.cross_entropy(
        minigrad.tensor(LOGITS), np.abs(CLASSES), weight=w, label_smoothing=0.1
    ).backward()
    np.testing.assert_array_equal(grad, w.grad)
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="avg")(minigrad.zeros(2), np.zeros(2))


def _mlp(seed: int) -> nn.Sequential:
    minigrad.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(5, 16, dtype=np.float64),
        nn.ReLU(),
        nn.Linear(16, 16, dtype=np.float64),
        nn.ReLU(),
        nn.Linear(16, 4, dtype=np.float64),
    )


def test_mlp_with_relu_and_cross_entropy_compiled_trains_as_eager():
    eager, compiled = _mlp(0), _mlp(0)
    criterion = nn.CrossEntropyLoss()
    opts = [minigrad.optim.SGD(m.parameters(), lr=0.1, momentum=0.9) for m in (eager, compiled)]
    steps = [lambda x, t: criterion(eager(x), t)]
    steps.append(minigrad.compile(lambda x, t: criterion(compiled(x), t)))
    rng = np.random.default_rng(1)
    for _ in range(20):
        x = minigrad.tensor(rng.standard_normal((32, 5)))
        targets = minigrad.tensor(rng.integers(0, 4, 32))  # data: a Tensor
        losses = []
        for opt, step in zip(opts, steps, strict=True):
            opt.zero_grad()
            loss = step(x, targets)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        np.testing.assert_allclose(losses[1], losses[0], rtol=1e-12)
    want, got = eager.state_dict(), compiled.state_dict()
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-10, atol=1e-13, err_msg=name)
    assert steps[1].captures == 1


@pytest.mark.parametrize("make", [nn.CrossEntropyLoss, nn.NLLLoss])
def test_class_weights_given_as_an_array_are_cast_to_the_input_dtype(make):
    # np.array([...]) is float64; the logits float32: cast at each call, as the
    # functional loss casts an array (a float64 Tensor is refused, as PyTorch).
    w = np.array([1.0, 2.0, 3.0, 4.0])
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
    t = np.array([0, 1, 2, 3, 1])
    loss = make(weight=w)
    x_in = F.log_softmax(x, dim=1) if make is nn.NLLLoss else x
    fn = F.nll_loss if make is nn.NLLLoss else F.cross_entropy
    got = loss(x_in, t)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.data, fn(x_in, t, weight=w).data)
    assert loss.double()(x_in.double(), t).dtype == np.float64
    assert "weight" in loss.state_dict()


def test_bce_with_logits_names_the_options_it_does_not_take():
    for kw in ({"weight": np.ones(3)}, {"pos_weight": np.ones(3)}):
        with pytest.raises(
            TypeError, match=f"BCEWithLogitsLoss: {next(iter(kw))} is not supported"
        ):
            nn.BCEWithLogitsLoss(**kw)
