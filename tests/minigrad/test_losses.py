"""minigrad/losses.py: nll_loss, cross_entropy (class weights, label smoothing),
mse_loss and binary_cross_entropy_with_logits against NumPy, PyTorch and finite
differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis.extra import numpy as hnp
from strategies import arrays

import minigrad
from minigrad import Tensor, gradcheck
from minigrad import functional as F


def np_log_softmax(x, axis=-1):
    """Reference log-softmax (SciPy's form)."""
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def np_cross_entropy(logits, targets, ignore_index=-100, reduction="mean"):
    """Reference for (N, C) logits and (N,) targets."""
    lp = np_log_softmax(logits, axis=1)
    keep = targets != ignore_index
    losses = np.where(keep, -lp[np.arange(len(targets)), np.where(keep, targets, 0)], 0.0)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / keep.sum()


matrices = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore", [False, True])
def test_cross_entropy_against_numpy(reduction, ignore):
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((6, 4))
    targets = rng.integers(0, 4, 6)
    if ignore:
        targets[[1, 4]] = -100
    out = F.cross_entropy(Tensor(logits), targets, reduction=reduction)
    np.testing.assert_allclose(out.data, np_cross_entropy(logits, targets, reduction=reduction))
    gradcheck(lambda t: F.cross_entropy(t, targets, reduction=reduction), [logits])


def test_cross_entropy_mean_counts_only_kept_targets_and_custom_ignore_index():
    logits = np.zeros((4, 2))  # every kept loss is log 2
    targets = np.array([0, 7, 1, 7])
    out = F.cross_entropy(Tensor(logits), targets, ignore_index=7)
    np.testing.assert_allclose(out.item(), np.log(2.0))
    x = Tensor(logits, requires_grad=True)
    F.cross_entropy(x, targets, ignore_index=7).backward()
    np.testing.assert_array_equal(x.grad[[1, 3]], 0.0)


def test_cross_entropy_ignored_row_with_minus_inf_logit_is_harmless():
    # A masked-out class (-inf logit) at index 0 of an ignored row must not turn the
    # loss into inf * 0 = nan.
    logits = np.array([[-np.inf, 0.0, 1.0], [0.0, 1.0, 2.0]])
    out = F.cross_entropy(Tensor(logits), np.array([-100, 2]))
    np.testing.assert_allclose(out.item(), -np_log_softmax(logits[1:], axis=1)[0, 2])


def test_cross_entropy_spatial_and_unbatched_shapes():
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((2, 3, 5))  # (N, C, d1)
    targets = rng.integers(0, 3, (2, 5))
    flat = logits.transpose(0, 2, 1).reshape(-1, 3)
    out = F.cross_entropy(Tensor(logits), targets, reduction="none")
    assert out.shape == (2, 5)
    np.testing.assert_allclose(
        out.data.reshape(-1), np_cross_entropy(flat, targets.reshape(-1), reduction="none")
    )
    gradcheck(lambda t: F.cross_entropy(t, targets), [logits])
    one = F.cross_entropy(Tensor(logits[0, :, 0]), np.array(1))
    np.testing.assert_allclose(one.item(), -np_log_softmax(logits[0, :, 0], 0)[1])


def test_cross_entropy_errors():
    logits = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"targets of shape \(3,\) do not match"):
        F.cross_entropy(logits, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="target 3 is out of range for 3 classes"):
        F.cross_entropy(logits, np.array([0, 3]))
    with pytest.raises(TypeError, match="integer class indices"):
        F.cross_entropy(logits, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(logits, np.array([0, 1]), reduction="avg")


@given(x=arrays((2, 3)), y=arrays((2, 3)))
def test_mse_loss(x, y):
    np.testing.assert_allclose(F.mse_loss(Tensor(x), y).data, np.mean((x - y) ** 2))
    gradcheck(lambda a, b: F.mse_loss(a, b, reduction="sum"), [x, y])


def test_mse_loss_warns_when_shapes_differ() -> None:
    """(4, 1) against (4,) broadcasts to a (4, 4) grid of pairs: warned, as PyTorch."""
    x, y = minigrad.ones(4, 1), minigrad.zeros(4)
    differs = r"mse_loss: the target's shape \(4,\) differs .* \(4, 1\)"
    with pytest.warns(UserWarning, match=differs):
        assert float(F.mse_loss(x, y)) == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.mse_loss(x, minigrad.zeros(4, 1))
        F.mse_loss(x, 0.0)


def test_mse_loss_names_itself_when_shapes_do_not_broadcast() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refused before any warning
        with pytest.raises(ValueError, match=r"mse_loss: .*\(3, 5\) .* \(3, 4\)"):
            F.mse_loss(minigrad.ones(3, 4, requires_grad=True), minigrad.ones(3, 5))


def test_bce_with_logits_refuses_targets_of_another_shape() -> None:
    x = minigrad.zeros(4, 1)
    refused = r"targets of shape \(4,\) must have the logits' shape \(4, 1\)"
    with pytest.raises(ValueError, match=refused):
        F.binary_cross_entropy_with_logits(x, np.ones(4))
    assert np.isclose(float(F.binary_cross_entropy_with_logits(x, 1.0)), np.log(2.0))


WEIGHTED_SHAPES = [(4,), (6, 4), (3, 4, 2, 3)]


def _classes(shape):
    return shape[0] if len(shape) == 1 else shape[1]


def _weighted_case(shape, ignore):
    """Logits, targets (every third ignored with ``ignore``: -1), class weights."""
    rng = np.random.default_rng(len(shape))
    c = _classes(shape)
    x = rng.standard_normal(shape) * 2
    t = rng.integers(0, c, shape[:1] + shape[2:] if len(shape) > 1 else ())
    if ignore and t.ndim:
        t.reshape(-1)[::3] = -1
    return x, t, rng.uniform(0.2, 2.0, c)


def _torch_weighted(torch, lp, t, w, ignore_index, reduction, eps):
    """PyTorch's weighted, smoothed loss written from its ops, on log-probabilities lp:
    torch's own losses refuse a weight that requires grad, this one differentiates it."""
    c = w.shape[0]
    rows = (lp.movedim(1, -1) if lp.ndim > 1 else lp).reshape(-1, c)
    flat = t.reshape(-1)
    keep = flat != ignore_index
    pick = torch.where(keep, flat, 0)
    w_picked = torch.where(keep, w[pick], 0.0)
    nll = torch.where(keep, -rows.gather(1, pick[:, None])[:, 0], 0.0) * w_picked
    smooth = torch.where(keep, -(rows * w).sum(1), 0.0)
    if reduction == "none":
        nll, smooth = nll.reshape(t.shape), smooth.reshape(t.shape)
    elif reduction == "sum":
        nll, smooth = nll.sum(), smooth.sum()
    else:
        nll, smooth = nll.sum() / w_picked.sum(), smooth.sum() / w_picked.sum()
    return (1 - eps) * nll + eps / c * smooth


def _ours_and_torch(loss, x, t, w, ignore_index, reduction, eps):
    """Value and gradients (input, weight) of our loss ("cross_entropy" or "nll_loss")
    and of PyTorch's, under the same output gradient; PyTorch's gradients come from
    :func:`_torch_weighted`, whose value is checked against torch's own loss."""
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    kw = {"ignore_index": ignore_index, "reduction": reduction}
    if loss == "cross_entropy":
        kw["label_smoothing"] = eps
    theirs = getattr(tf, loss)(torch.tensor(x), torch.tensor(t), **kw, weight=torch.tensor(w))
    xt, wt = (torch.tensor(a, requires_grad=True) for a in (x, w))
    lp = torch.log_softmax(xt, dim=1 if x.ndim > 1 else 0) if loss == "cross_entropy" else xt
    y = _torch_weighted(torch, lp, torch.tensor(t), wt, ignore_index, reduction, eps)
    np.testing.assert_allclose(y.detach().numpy(), theirs.numpy(), rtol=1e-13, atol=1e-15)
    g = np.linspace(-1.0, 2.0, y.numel()).reshape(tuple(y.shape))
    y.backward(torch.tensor(g))
    xm, wm = (Tensor(a, requires_grad=True) for a in (x, w))
    ours = getattr(F, loss)(xm, t, **kw, weight=wm)
    ours.backward(g)
    return (ours.data, xm.grad, wm.grad), (theirs.numpy(), xt.grad.numpy(), wt.grad.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore", [False, True])
@pytest.mark.parametrize("shape", WEIGHTED_SHAPES)
def test_nll_loss_class_weights_match_torch(shape, ignore, reduction):
    x, t, w = _weighted_case(shape, ignore)
    got, want = _ours_and_torch("nll_loss", x, t, w, -1, reduction, 0.0)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.torch
@pytest.mark.parametrize("eps", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore", [False, True])
@pytest.mark.parametrize("shape", WEIGHTED_SHAPES)
def test_cross_entropy_weight_and_label_smoothing_match_torch(shape, ignore, reduction, eps):
    x, t, w = _weighted_case(shape, ignore)
    got, want = _ours_and_torch("cross_entropy", x, t, w, -1, reduction, eps)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.torch
@pytest.mark.parametrize("eps", [0.3, 1.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore", [False, True])
@pytest.mark.parametrize("shape", WEIGHTED_SHAPES)
def test_cross_entropy_label_smoothing_without_weight_matches_torch(shape, ignore, reduction, eps):
    torch = pytest.importorskip("torch")
    x, t, _ = _weighted_case(shape, ignore)
    xt = torch.tensor(x, requires_grad=True)
    kw = {"ignore_index": -1, "reduction": reduction, "label_smoothing": eps}
    y = torch.nn.functional.cross_entropy(xt, torch.tensor(t), **kw)
    g = np.linspace(-1.0, 2.0, y.numel()).reshape(tuple(y.shape))
    y.backward(torch.tensor(g))
    xm = Tensor(x, requires_grad=True)
    ours = F.cross_entropy(xm, t, **kw)
    ours.backward(g)
    np.testing.assert_allclose(ours.data, y.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(xm.grad, xt.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", WEIGHTED_SHAPES)
def test_weighted_smoothed_cross_entropy_gradcheck(shape, reduction):
    x, t, w = _weighted_case(shape, ignore=True)
    gradcheck(
        lambda a, b: F.cross_entropy(a, t, -1, reduction, weight=b, label_smoothing=0.2), [x, w]
    )
    gradcheck(lambda a, b: F.nll_loss(a, t, -1, reduction, weight=b), [x, w])


@pytest.mark.torch
@pytest.mark.parametrize("weighted", [False, True])
def test_weighted_smoothed_cross_entropy_hessian_matches_torch(weighted):
    torch = pytest.importorskip("torch")
    x, t, w = _weighted_case((3, 4), ignore=True)
    weight = w if weighted else None
    ours = minigrad.func.hessian(
        lambda z: F.cross_entropy(z, t, -1, weight=weight, label_smoothing=0.25)
    )(Tensor(x))
    kw = {"weight": torch.tensor(w)} if weighted else {}
    theirs = torch.autograd.functional.hessian(
        lambda z: torch.nn.functional.cross_entropy(
            z, torch.tensor(t), ignore_index=-1, label_smoothing=0.25, **kw
        ),
        torch.tensor(x),
    )
    np.testing.assert_allclose(np.asarray(ours), theirs.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "options",
    [{"weight": True}, {"label_smoothing": 0.2}, {"weight": True, "label_smoothing": 0.2}],
)
def test_compiled_weighted_cross_entropy_replays_new_targets(options):
    """One capture; each call's targets (and so its ignored rows, its picked weights and
    its mean's divisor) are recomputed by the replay."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, 5, 2))
    kw = dict(options, weight=Tensor(rng.uniform(0.5, 2.0, 5), requires_grad=True))
    if "weight" not in options:
        kw["weight"] = None
    step = minigrad.compile(lambda z, t: F.cross_entropy(z, t, ignore_index=-1, **kw))
    for _ in range(4):
        t = rng.integers(-1, 5, (8, 2))
        got, want = [], []
        for fn, out in (
            (step, got),
            (lambda z, t: F.cross_entropy(z, t, ignore_index=-1, **kw), want),
        ):
            z = Tensor(x, requires_grad=True)
            if kw["weight"] is not None:
                kw["weight"].grad = None
            loss = fn(z, Tensor(t))
            loss.backward()
            out += [loss.data, z.grad] + ([kw["weight"].grad] if kw["weight"] is not None else [])
        for a, b in zip(got, want, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert step.captures == 1


def test_cross_entropy_without_options_stays_one_primitive_node():
    x = Tensor(np.zeros((3, 4)), requires_grad=True)
    for kw in ({}, {"weight": None, "label_smoothing": 0.0}):
        assert F.cross_entropy(x, np.array([0, 1, 2]), **kw)._node.op == "cross_entropy"


def test_class_weights_and_label_smoothing_are_checked():
    x, t = Tensor(np.zeros((2, 3))), np.array([0, 1])
    with pytest.raises(ValueError, match=r"weight of shape \(2,\) must hold one weight per class"):
        F.cross_entropy(x, t, weight=np.ones(2))
    with pytest.raises(ValueError, match=r"weight of shape \(1, 3\)"):
        F.nll_loss(x, t, weight=np.ones((1, 3)))
    with pytest.raises(TypeError, match="weight of dtype float32 must have the input's dtype"):
        F.nll_loss(x, t, weight=Tensor(np.ones(3, np.float32)))
    for eps in (1.5, -0.1, float("nan")):
        with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]"):
            F.cross_entropy(x, t, label_smoothing=eps)
    with pytest.raises(TypeError, match="label_smoothing must be a number"):
        F.cross_entropy(x, t, label_smoothing=Tensor(np.array(0.1)))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(x, t, reduction="avg", label_smoothing=0.1)
    # an array weight is a constant in the logits' dtype
    y = F.cross_entropy(Tensor(np.zeros((2, 3), np.float32)), t, weight=[1, 2, 3])
    assert y.dtype == np.float32 and np.isclose(y.item(), np.log(3.0))


@pytest.mark.torch
@pytest.mark.parametrize("eps", [0.0, 0.2])
@pytest.mark.parametrize("targets", [[-100, -100, -100], [0, -100, 2]], ids=["none-kept", "some"])
def test_weighted_cross_entropy_over_ignored_rows_warns_nothing_and_matches_torch(targets, eps):
    """Every row ignored: the weighted mean is NaN with zero gradients (0 / 0 computed
    as PyTorch's, without NumPy's warning); an ignored row holding a -inf logit leaves
    the weight's gradient finite."""
    torch = pytest.importorskip("torch")
    x = np.array([[0.5, 1.0, -1.0], [-np.inf, 0.0, 1.0], [1.0, 2.0, 3.0]])
    t, w = np.array(targets), np.array([1.0, 2.0, 3.0])
    xt = torch.tensor(x, requires_grad=True)
    kw = {"label_smoothing": eps}
    want = torch.nn.functional.cross_entropy(xt, torch.tensor(t), weight=torch.tensor(w), **kw)
    want.backward()
    z, wm = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = F.cross_entropy(z, t, weight=wm, **kw)
        got.backward()
    np.testing.assert_allclose(got.data, want.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(z.grad, xt.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert np.isfinite(wm.grad).all()
    if t[0] == -100 and t[2] == -100:
        np.testing.assert_array_equal(wm.grad, 0.0)
    else:  # the ignored row (the one with -inf) changes nothing
        z2, w2 = Tensor(x[[0, 2]], requires_grad=True), Tensor(w, requires_grad=True)
        F.cross_entropy(z2, t[[0, 2]], weight=w2, **kw).backward()
        np.testing.assert_allclose(wm.grad, w2.grad, rtol=1e-12)


def test_class_weights_given_where_pytorch_puts_them_are_refused():
    # F.cross_entropy(x, t, w) is PyTorch's weighted loss; here the third positional
    # argument is ignore_index, and an array there compared element by element.
    x, t = Tensor(np.zeros((3, 3))), np.array([0, 1, 2])
    w = np.array([1.0, 2.0, 1.0])
    for loss in (F.cross_entropy, lambda *a: F.nll_loss(F.log_softmax(a[0], dim=1), *a[1:])):
        with pytest.raises(TypeError, match=r"ignore_index must be an integer.*weight="):
            loss(x, t, w)


def test_losses_take_array_likes_as_their_input_and_name_what_they_refuse():
    """The input operand converts as every op's first operand does: a list or an array
    gives what its tensor gives; a string, None or an object is a TypeError naming the loss."""
    z = np.array([[1.0, -0.5, 2.0], [0.25, 0.0, -1.0]])
    t = np.array([2, 0])
    y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]])
    cases = [
        (F.cross_entropy, z, t),
        (F.nll_loss, np_log_softmax(z, axis=1), t),
        (F.mse_loss, z, y),
        (F.binary_cross_entropy_with_logits, z, y),
    ]
    for loss, x, target in cases:
        np.testing.assert_array_equal(
            loss(x.tolist(), target).data, loss(minigrad.tensor(x.tolist()), target).data
        )
        np.testing.assert_array_equal(loss(x, target).data, loss(Tensor(x), target).data)
        for bad in ("s", None, object()):
            with pytest.raises(TypeError, match=rf"^{loss.__name__}: unsupported operand"):
                loss(bad, target)
    # the options' path converts too
    np.testing.assert_array_equal(
        F.cross_entropy(z.tolist(), t, label_smoothing=0.1).data,
        F.cross_entropy(minigrad.tensor(z.tolist()), t, label_smoothing=0.1).data,
    )
