"""Optimizers and schedulers against plain NumPy references of their update rules, and
against PyTorch (``@pytest.mark.torch``) when it is installed."""

import math

import numpy as np
import pytest

import minigrad
from minigrad import nn, optim

STEPS = 7
SHAPES = [(3, 4), (4,)]


def grad_sequence(seed: int = 0, steps: int = STEPS) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s) for s in SHAPES] for _ in range(steps)]


def initial_params(seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in SHAPES]


def run_minigrad(make, grads, dtype=np.float64):
    params = [nn.Parameter(a, dtype=dtype) for a in initial_params()]
    opt = make(params)
    for gs in grads:
        for p, g in zip(params, gs, strict=True):
            p.grad = g.astype(dtype)
        opt.step()
    return [p.data for p in params]


# Plain references: the documented rules, written out for one array at a time.
def sgd_ref(theta, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    theta, b = theta.copy(), None
    for g in grads:
        g = g + weight_decay * theta
        if momentum:
            b = g.copy() if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g
    return theta


def adam_ref(theta, grads, lr, betas, eps, weight_decay=0.0, amsgrad=False, decoupled=False):
    theta = theta.copy()
    b1, b2 = betas
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    vmax = np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = m / (1 - b1**t)
        vmax = np.maximum(vmax, v)
        v_hat = (vmax if amsgrad else v) / (1 - b2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta


def adagrad_ref(theta, grads, lr, lr_decay=0.0, weight_decay=0.0, init=0.0, eps=1e-10):
    theta = theta.copy()
    s = np.full_like(theta, init)
    for t, g in enumerate(grads, start=1):
        clr = lr / (1 + (t - 1) * lr_decay)
        g = g + weight_decay * theta
        s = s + g**2
        theta = theta - clr * g / (np.sqrt(s) + eps)
    return theta


def rmsprop_ref(theta, grads, lr, alpha, eps, weight_decay=0.0, momentum=0.0, centered=False):
    theta = theta.copy()
    v = np.zeros_like(theta)
    gbar = np.zeros_like(theta)
    b = np.zeros_like(theta)
    for g in grads:
        g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g**2
        v_tilde = v
        if centered:
            gbar = alpha * gbar + (1 - alpha) * g
            v_tilde = v - gbar**2
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(v_tilde) + eps)
            theta = theta - lr * b
        else:
            theta = theta - lr * g / (np.sqrt(v_tilde) + eps)
    return theta


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, amsgrad=True)),
    ("AdamW", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)),
    ("AdamW", dict(lr=0.02, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.5, amsgrad=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2)),
    ("RMSprop", dict(lr=0.01, alpha=0.99, eps=1e-8)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-8, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.95, eps=1e-8, centered=True, momentum=0.5)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, kw in CASES]


def reference(name, kw, grads):
    out = []
    for k, theta in enumerate(initial_params()):
        gs = [step[k] for step in grads]
        if name == "SGD":
            out.append(sgd_ref(theta, gs, **kw))
        elif name in ("Adam", "AdamW"):
            out.append(adam_ref(theta, gs, decoupled=name == "AdamW", **kw))
        elif name == "Adagrad":
            extra = dict(kw)
            extra["init"] = extra.pop("initial_accumulator_value", 0.0)
            out.append(adagrad_ref(theta, gs, **extra))
        else:
            out.append(rmsprop_ref(theta, gs, **kw))
    return out


@pytest.mark.parametrize(("name", "kw"), CASES, ids=IDS)
def test_matches_numpy_reference(name, kw):
    grads = grad_sequence()
    got = run_minigrad(lambda ps: getattr(optim, name)(ps, **kw), grads)
    for g, r in zip(got, reference(name, kw, grads), strict=True):
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-13)


@pytest.mark.torch
@pytest.mark.parametrize(("name", "kw"), CASES, ids=IDS)
def test_matches_torch(name, kw):
    torch = pytest.importorskip("torch")
    grads = grad_sequence()
    tparams = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in initial_params()]
    topt = getattr(torch.optim, name)(tparams, **kw)
    for gs in grads:
        for p, g in zip(tparams, gs, strict=True):
            p.grad = torch.tensor(g)
        topt.step()
    got = run_minigrad(lambda ps: getattr(optim, name)(ps, **kw), grads)
    for g, t in zip(got, tparams, strict=True):
        np.testing.assert_allclose(g, t.detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop"])
def test_float32_stays_float32(name):
    kw = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
    got = run_minigrad(
        lambda ps: getattr(optim, name)(ps, lr=0.01, **kw), grad_sequence(), np.float32
    )
    assert all(g.dtype == np.float32 for g in got)
    ref = run_minigrad(lambda ps: getattr(optim, name)(ps, lr=0.01, **kw), grad_sequence())
    for g, r in zip(got, ref, strict=True):
        np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-5)


def test_param_without_grad_is_skipped_and_state_free():
    a, b = nn.Parameter([1.0, 2.0]), nn.Parameter([3.0])
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = np.array([1.0, -1.0], np.float32)
    opt.step()
    assert b.data.tolist() == [3.0]
    assert b not in opt.state and opt.state[a]["step"] == 1
    np.testing.assert_allclose(a.data, [0.9, 2.1], rtol=1e-6)


def test_param_groups_take_their_own_options():
    a, b = nn.Parameter([1.0]), nn.Parameter([1.0])
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad = np.ones(1, np.float32)
    b.grad = np.ones(1, np.float32)
    opt.step()
    assert a.data[0] == np.float32(0.9) and b.data[0] == np.float32(0.5)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]


def test_invalid_options_and_params_are_refused():
    p = nn.Parameter([1.0])
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="learning rate"):
        optim.SGD([p], lr=-1.0)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([p], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="more than one group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)


def test_step_with_closure_returns_its_loss():
    p = nn.Parameter([2.0])
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with minigrad.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0 and p.data[0] == 1.0  # 2 - 0.25 * 2 * 2


def test_zero_grad():
    p = nn.Parameter([1.0, 2.0])
    opt = optim.SGD([p], lr=0.1)
    p.grad = np.ones(2, np.float32)
    opt.zero_grad(set_to_none=False)
    assert p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_step_marks_parameters_modified_for_saved_graphs():
    p = nn.Parameter([1.0, 2.0])
    loss = (p * p).sum()
    p.grad = np.ones(2, np.float32)
    optim.SGD([p], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def make_model(seed=0):
    minigrad.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8, dtype=np.float32), nn.Linear(8, 1, dtype=np.float32))


def train(model, opt, xs, ys, sched=None):
    for x, y in zip(xs, ys, strict=True):
        opt.zero_grad()
        minigrad.functional.mse_loss(model(minigrad.tensor(x)), y).backward()
        opt.step()
        if sched is not None:
            sched.step()


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
        lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
        lambda ps: optim.AdamW(ps, lr=0.01),
        lambda ps: optim.Adagrad(ps, lr=0.05, lr_decay=0.01),
        lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    ],
    ids=["SGD", "Adam", "AdamW", "Adagrad", "RMSprop"],
)
def test_resume_through_checkpoint_is_bit_identical(make, tmp_path):
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((10, 5, 4)).astype(np.float32)
    ys = rng.standard_normal((10, 5, 1)).astype(np.float32)

    model = make_model()
    opt = make(list(model.parameters()))
    sched = optim.StepLR(opt, step_size=3, gamma=0.5)
    train(model, opt, xs, ys, sched)

    model2 = make_model()
    opt2 = make(list(model2.parameters()))
    sched2 = optim.StepLR(opt2, step_size=3, gamma=0.5)
    train(model2, opt2, xs[:4], ys[:4], sched2)
    path = tmp_path / "ckpt.npz"
    state = dict(model=model2.state_dict(), optim=opt2.state_dict(), sched=sched2.state_dict())
    minigrad.save(state, path)

    model3 = make_model(seed=99)
    opt3 = make(list(model3.parameters()))
    sched3 = optim.StepLR(opt3, step_size=3, gamma=0.5)
    loaded = minigrad.load(path)
    model3.load_state_dict(loaded["model"])
    opt3.load_state_dict(loaded["optim"])
    sched3.load_state_dict(loaded["sched"])
    train(model3, opt3, xs[4:], ys[4:], sched3)

    for (name, a), b in zip(model.state_dict().items(), model3.state_dict().values(), strict=True):
        assert a.dtype == b.dtype == np.float32
        assert np.array_equal(a, b), name
    assert opt.param_groups[0]["lr"] == opt3.param_groups[0]["lr"]


def test_load_state_dict_checks_structure():
    a, b = nn.Parameter([1.0]), nn.Parameter([1.0, 2.0])
    sd = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="group 0 has 2 parameters saved, 1 here"):
        optim.SGD([a], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="1 parameter group"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)


def test_step_lr_and_cosine_schedules():
    p = nn.Parameter([1.0])
    opt = optim.SGD([p], lr=1.0)
    sched = optim.StepLR(opt, step_size=2, gamma=0.1)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(5):
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    np.testing.assert_allclose(lrs, [1, 1, 0.1, 0.1, 0.01, 0.01], rtol=1e-12)

    opt = optim.SGD([p], lr=1.0)
    sched = optim.CosineAnnealingLR(opt, T_max=4, eta_min=0.1)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(4):
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    want = [0.1 + 0.9 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)]
    np.testing.assert_allclose(lrs, want, rtol=1e-12)
    assert lrs[-1] == pytest.approx(0.1)


@pytest.mark.torch
@pytest.mark.parametrize("kind", ["step", "cosine"])
def test_schedules_match_torch(kind):
    torch = pytest.importorskip("torch")
    tp = torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([tp], lr=0.3)
    opt = optim.SGD([nn.Parameter([0.0])], lr=0.3)
    if kind == "step":
        ts, ms = torch.optim.lr_scheduler.StepLR(topt, 3, 0.5), optim.StepLR(opt, 3, 0.5)
    else:
        ts = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=5, eta_min=0.01)
        ms = optim.CosineAnnealingLR(opt, T_max=5, eta_min=0.01)
    for _ in range(12):
        np.testing.assert_allclose(ms.get_last_lr(), ts.get_last_lr(), rtol=1e-10, atol=1e-12)
        topt.step()
        ts.step()
        ms.step()


def _chained_lrs(lib, manual_at=None, resume_at=None, tmp_path=None):
    """Learning rates of two groups under StepLR then CosineAnnealingLR on one SGD,
    with the rates cut by hand at epoch ``manual_at``."""
    mod = lib.optim
    sched = mod.lr_scheduler

    def build(params):
        opt = mod.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.3}], lr=1.0)
        return opt, [sched.StepLR(opt, 3, 0.5), sched.CosineAnnealingLR(opt, 4, 0.01)]

    params = [lib.zeros(1, requires_grad=True), lib.zeros(1, requires_grad=True)]
    opt, scheds = build(params)
    lrs = []
    for epoch in range(20):
        if epoch == resume_at:
            path = tmp_path / "ckpt.npz"
            minigrad.save({"opt": opt.state_dict(), "s": [s.state_dict() for s in scheds]}, path)
            saved = minigrad.load(path)
            opt, scheds = build(params)
            opt.load_state_dict(saved["opt"])
            for s, state in zip(scheds, saved["s"], strict=True):
                s.load_state_dict(state)
        if epoch == manual_at:
            for group in opt.param_groups:
                group["lr"] *= 0.1
        for s in scheds:
            s.step()
        lrs.append([group["lr"] for group in opt.param_groups])
    return np.array(lrs)


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore")
def test_chained_schedules_and_hand_set_rates_match_torch(tmp_path):
    # Two schedulers on one optimizer compose (PyTorch's chainable form), a rate set by
    # hand is scheduled from, and a resumed chain continues as an uninterrupted one.
    torch = pytest.importorskip("torch")
    want = _chained_lrs(torch)
    np.testing.assert_allclose(_chained_lrs(minigrad), want, rtol=1e-12)
    np.testing.assert_allclose(_chained_lrs(minigrad, resume_at=7, tmp_path=tmp_path), want)
    want = _chained_lrs(torch, manual_at=5)
    np.testing.assert_allclose(_chained_lrs(minigrad, manual_at=5), want, rtol=1e-12)


def _late_scheduler_lrs(lib):
    """Rates of an SGD under StepLR for 3 epochs, then a CosineAnnealingLR made on the
    moved rate, then a StepLR made after a rate set by hand."""
    mod = lib.optim
    opt = mod.SGD([lib.zeros(1, requires_grad=True)], lr=0.1)
    first = mod.lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    for _ in range(3):
        opt.step()
        first.step()
    second = mod.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(4):
        opt.step()
        first.step()
        second.step()
        lrs.append(opt.param_groups[0]["lr"])
    opt.param_groups[0]["lr"] = 0.5
    mod.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    lrs.append(opt.param_groups[0]["lr"])
    return lrs


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore")
def test_scheduler_made_later_starts_from_the_current_rate_as_torch():
    # Made on an optimizer whose rate left initial_lr, a scheduler keeps that rate (it
    # reset it to initial_lr's schedule: 0.1 instead of StepLR's 0.01, 0.1 instead of 0.5).
    torch = pytest.importorskip("torch")
    got, want = _late_scheduler_lrs(minigrad), _late_scheduler_lrs(torch)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    assert got[0] == pytest.approx(0.01) and got[-1] == 0.5


def test_parameters_in_a_set_are_refused_as_torch():
    # A set's order follows the tensors' addresses: state_dict's indices would pair a
    # resumed run's momentum with other parameters of the same shape.
    a, b = nn.Parameter([1.0]), nn.Parameter([2.0])
    with pytest.raises(TypeError, match=r"ordered collection .* not a set"):
        optim.SGD({a, b}, lr=0.1)
    with pytest.raises(TypeError, match="not a set"):
        optim.Adam([{"params": frozenset([a])}])
    opt = optim.SGD([a], lr=0.1)
    with pytest.raises(TypeError, match="SGD: parameters must be in an ordered collection"):
        opt.add_param_group({"params": {b}})
    assert len(opt.param_groups) == 1
    opt.add_param_group({"params": (b,)})  # a tuple is ordered


@pytest.mark.parametrize(
    "make, option",
    [
        (optim.SGD, "lr"),
        (optim.SGD, "momentum"),
        (optim.SGD, "weight_decay"),
        (optim.Adam, "lr"),
        (optim.Adam, "eps"),
        (optim.AdamW, "weight_decay"),
        (optim.RMSprop, "alpha"),
        (optim.RMSprop, "momentum"),
        (optim.Adagrad, "lr_decay"),
        (optim.Adagrad, "eps"),
    ],
)
def test_nan_options_are_refused(make, option):
    # A NaN option passed the 'x < 0' checks and turned every parameter into NaN at the
    # first step (PyTorch refuses NaN for Adam, AdamW, RMSprop and Adagrad).
    p = nn.Parameter([1.0])
    with pytest.raises(ValueError, match="nan"):
        make([p], **{"lr": 0.1, option: math.nan})
    opt = make([p], lr=0.1)
    with pytest.raises(ValueError, match="nan"):
        opt.add_param_group({"params": [nn.Parameter([2.0])], option: math.nan})
