"""Function transforms (minigrad.func): conventions, nesting, and agreement with each
other and with closed forms. PyTorch agreement is in test_func_torch.py."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad import Tensor, func, ops


def t64(*shape: int, seed: int = 0, lo: float = -1.0, hi: float = 1.0) -> Tensor:
    return Tensor(np.random.default_rng(seed).uniform(lo, hi, shape))


def f_poly(x: Tensor) -> Tensor:
    # f(x) = sum x^3 + (sum x)^2: gradient 3x^2 + 2 sum(x); Hessian diag(6x) + 2.
    return (x * x * x).sum() + x.sum() * x.sum()


def test_grad_and_hessian_of_a_polynomial_match_the_closed_form():
    x = t64(4)
    g = func.grad(f_poly)(x)
    np.testing.assert_allclose(g.data, 3 * x.data**2 + 2 * x.data.sum(), rtol=1e-12)
    h = func.hessian(f_poly)(x)
    np.testing.assert_allclose(h.data, np.diag(6 * x.data) + 2, rtol=1e-12, atol=1e-14)


def test_jacrev_and_jacfwd_agree_and_have_output_then_input_shape():
    a, b = t64(2, 3), t64(3, seed=1)

    def f(a, b):
        return ops.tanh(a * b).sum(axis=1), a.sum()

    jr = func.jacrev(f, argnums=(0, 1))(a, b)
    jf = func.jacfwd(f, argnums=(0, 1))(a, b)
    assert jr[0][0].shape == (2, 2, 3) and jr[0][1].shape == (2, 3)
    assert jr[1][0].shape == (2, 3) and jr[1][1].shape == (3,)
    for r_out, f_out in zip(jr, jf, strict=True):
        for r, f_ in zip(r_out, f_out, strict=True):
            np.testing.assert_allclose(r.data, f_.data, rtol=1e-12, atol=1e-14)


def test_vjp_and_jvp_are_adjoint_on_nested_inputs():
    x = {"w": t64(3, 2), "b": [t64(2, seed=1)]}
    v = {"w": t64(3, 2, seed=2), "b": [t64(2, seed=3)]}

    def f(p):
        return ops.sigmoid(p["w"] + p["b"][0]), (p["w"] * p["w"]).sum(axis=0)

    out, pull = func.vjp(f, x)
    assert isinstance(out, tuple) and out[1].shape == (2,)
    u = (t64(3, 2, seed=4), t64(2, seed=5))
    (gx,) = pull(u)
    assert set(gx) == {"w", "b"} and isinstance(gx["b"], list)
    _, jv = func.jvp(f, (x,), (v,))
    lhs = sum(float((ui.data * ji.data).sum()) for ui, ji in zip(u, jv, strict=True))
    rhs = float((gx["w"].data * v["w"].data).sum() + (gx["b"][0].data * v["b"][0].data).sum())
    assert abs(lhs - rhs) < 1e-12


def test_argnums_selects_and_negative_argnums_count_from_the_end():
    x, y = t64(3), t64(3, seed=1)

    def f(x, y):
        return (x * y * y).sum()

    gy = func.grad(f, argnums=-1)(x, y)
    np.testing.assert_allclose(gy.data, 2 * x.data * y.data, rtol=1e-12)
    gx, gy2 = func.grad(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx.data, y.data**2, rtol=1e-12)
    np.testing.assert_allclose(gy2.data, gy.data, rtol=1e-12)
    with pytest.raises(ValueError, match="argnums 2 is out of range"):
        func.grad(f, argnums=2)(x, y)


def test_has_aux_passes_aux_through_every_transform():
    x = t64(3)

    def f(x):
        return (x * x).sum(), {"note": 7}

    g, aux = func.grad(f, has_aux=True)(x)
    assert aux == {"note": 7}
    np.testing.assert_allclose(g.data, 2 * x.data)
    (g2, (value, aux2)) = func.grad_and_value(f, has_aux=True)(x)
    np.testing.assert_allclose(g2.data, g.data)
    assert aux2 == {"note": 7} and value.item() == pytest.approx(float((x.data**2).sum()))
    _, _, aux3 = func.vjp(f, x, has_aux=True)
    assert aux3 == {"note": 7}
    _, _, aux4 = func.jvp(f, (x,), (x,), has_aux=True)
    assert aux4 == {"note": 7}
    assert func.jacrev(f, has_aux=True)(x)[1] == {"note": 7}
    assert func.jacfwd(f, has_aux=True)(x)[1] == {"note": 7}
    with pytest.raises(TypeError, match="has_aux=True"):
        func.grad(lambda x: (x * x).sum(), has_aux=True)(x)


def test_hvp_is_forward_over_reverse_and_matches_the_hessian():
    x, v = t64(5), t64(5, seed=1)
    (g,), (hv,) = func.hvp(f_poly, (x,), (v,))
    h = np.diag(6 * x.data) + 2
    np.testing.assert_allclose(hv.data, h @ v.data, rtol=1e-12)
    np.testing.assert_allclose(g.data, 3 * x.data**2 + 2 * x.data.sum(), rtol=1e-12)


def test_jacrev_of_jacrev_is_the_hessian_and_has_no_perturbation_confusion():
    x = t64(4)
    h = func.jacrev(func.jacrev(f_poly))(x)
    np.testing.assert_allclose(h.data, np.diag(6 * x.data) + 2, rtol=1e-12, atol=1e-14)

    # d/dx [x * (d/dy x*y at y=x)] = d/dx x^2 = 2x: the inner derivative must not see x.
    def outer(x):
        inner = func.grad(lambda y: (x * y).sum())(x)
        return (x * inner).sum()

    np.testing.assert_allclose(func.grad(outer)(x).data, 2 * x.data, rtol=1e-12)


def test_jvp_refuses_to_nest():
    x = t64(2)
    with pytest.raises(RuntimeError, match="forward mode does not nest"):
        func.jvp(lambda x: func.jvp(ops.tanh, (x,), (x,))[1], (x,), (x,))


def test_reverse_over_forward_refuses_instead_of_returning_zeros():
    """A reverse pass through a tangent (jacrev of jacfwd, grad of jvp, backward through
    J v) cannot see d(J v)/dx, since tangents are not recorded: it refuses. Before,
    jacrev(jacfwd(x -> x^3)) was all zeros (PyTorch: 6x on the diagonal)."""
    x = t64(3)
    ones = Tensor(np.ones(3))
    cases = [
        lambda: func.jacrev(func.jacfwd(lambda a: a**3))(x),
        lambda: func.jacrev(func.hessian(lambda a: (a**3).sum()))(x),
        lambda: func.grad(lambda a: func.jvp(lambda b: (b**3).sum(), (a,), (ones,))[1])(x),
        lambda: func.grad(lambda a: func.hvp(lambda b: (b**3).sum(), (a,), (ones,))[1][0].sum())(x),
    ]
    w = Tensor(x.data, requires_grad=True)
    # a tangent that depends on a tensor the function closes over
    cases.append(lambda: func.jvp(lambda b: (b * w).sum(), (x,), (ones,))[1].backward())
    for case in cases:
        with pytest.raises(RuntimeError, match="reverse mode over forward mode is not supported"):
            case()
    # the primal output stays differentiable, and a detached tangent is a constant
    y, dy = func.jvp(lambda b: (b**3).sum(), (w,), (ones,))
    (y + dy.detach()).backward()
    np.testing.assert_allclose(w.grad, 3 * x.data**2, rtol=1e-12)
    # the forward transform outermost is the supported order
    h = func.jacfwd(func.jacrev(lambda a: a**3))(x)
    np.testing.assert_allclose(h.data.diagonal(axis1=1, axis2=2).diagonal(), 6 * x.data)


def test_errors_name_the_problem():
    x = t64(3)
    with pytest.raises(ValueError, match="one-element Tensor"):
        func.grad(lambda x: x * 2)(x)
    with pytest.raises(TypeError, match="expected a Tensor"):
        func.grad(lambda x: x)(np.ones(3))
    with pytest.raises(ValueError, match="tangent 0 has shape"):
        func.jvp(ops.tanh, (x,), (t64(2),))
    _, pull = func.vjp(ops.tanh, x)
    with pytest.raises(ValueError, match="cotangent 0 has shape"):
        pull(t64(4))
    with pytest.raises(TypeError, match="hvp: primals and tangents must be tuples"):
        func.hvp(lambda x: (x**3).sum(), x, t64(3))  # a bare Tensor, not (x,)


def test_unused_inputs_get_zero_derivatives():
    x, y = t64(2), t64(3, seed=1)
    gx, gy = func.grad(lambda x, y: (x * x).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gy.data, np.zeros(3))
    np.testing.assert_allclose(gx.data, 2 * x.data)
    jac = func.jacfwd(lambda x, y: x * 2.0, argnums=1)(x, y)
    np.testing.assert_array_equal(jac.data, np.zeros((2, 3)))


def test_float32_stays_float32():
    x = Tensor(np.ones(3, np.float32))
    assert func.grad(lambda x: (x * x).sum())(x).dtype == np.float32
    assert func.jvp(ops.tanh, (x,), (x,))[1].dtype == np.float32
    assert func.jacfwd(ops.tanh)(x).dtype == np.float32


def test_transforms_of_a_model_parameter_stay_connected_to_the_outer_graph():
    # A gradient penalty: the gradient wrt the input, differentiated wrt the weights.
    w = Tensor(np.random.default_rng(0).normal(size=(3, 3)), requires_grad=True)
    x = t64(3)

    def penalty(w):
        gx = func.grad(lambda x: ops.tanh(x @ w).sum())(x)
        return (gx * gx).sum()

    g_w = minigrad.grad(penalty(w), w)[0]

    def numeric(wd):
        return float(penalty(Tensor(wd)).data)

    eps, num = 1e-6, np.zeros((3, 3))
    for i in np.ndindex(3, 3):
        d = np.zeros((3, 3))
        d[i] = eps
        num[i] = (numeric(w.data + d) - numeric(w.data - d)) / (2 * eps)
    np.testing.assert_allclose(g_w, num, rtol=1e-6, atol=1e-8)


def test_functional_call_runs_a_module_with_other_parameters_and_restores_it():
    lin = minigrad.nn.Linear(3, 2, dtype=np.float64)
    x = t64(4, 3)
    own = {k: p.data.copy() for k, p in lin.named_parameters()}
    zeros = {k: Tensor(np.zeros(p.shape)) for k, p in lin.named_parameters()}
    np.testing.assert_array_equal(func.functional_call(lin, zeros, (x,)).data, np.zeros((4, 2)))
    for k, p in lin.named_parameters():
        np.testing.assert_array_equal(p.data, own[k])
    assert dict(lin.named_parameters())["weight"] is lin.weight

    def loss(params):
        return (func.functional_call(lin, params, x) ** 2.0).sum()

    g = func.grad(loss)(dict(lin.named_parameters()))
    y = x.data @ lin.weight.data.T + lin.bias.data
    np.testing.assert_allclose(g["weight"].data, 2 * y.T @ x.data, rtol=1e-12)
    np.testing.assert_allclose(g["bias"].data, 2 * y.sum(axis=0), rtol=1e-12)
    with pytest.raises(KeyError, match="no parameter or buffer 'nope'"):
        func.functional_call(lin, {"nope": x}, (x,))


def test_functional_call_replaces_buffers_too_and_restores_them():
    # As torch.func.functional_call: names of buffers (a submodule's too) are accepted.
    class Shifted(minigrad.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = minigrad.nn.Linear(3, 2, dtype=np.float64)
            self.register_buffer("shift", Tensor(np.ones(2)))

        def forward(self, x: Tensor) -> Tensor:
            return self.lin(x) + self.shift

    m = Shifted()
    m.lin.register_buffer("scale", Tensor(np.full(2, 2.0)))
    x = t64(4, 3)
    base = x.data @ m.lin.weight.data.T + m.lin.bias.data
    shift = Tensor(np.array([10.0, -10.0]), requires_grad=True)
    out = func.functional_call(m, {"shift": shift, "lin.scale": Tensor(np.zeros(2))}, (x,))
    np.testing.assert_allclose(out.data, base + shift.data, rtol=1e-12)
    out.sum().backward()
    np.testing.assert_array_equal(shift.grad, [4.0, 4.0])
    np.testing.assert_array_equal(m.shift.data, np.ones(2))
    assert dict(m.named_buffers())["shift"] is m.shift
    np.testing.assert_array_equal(m.lin.scale.data, [2.0, 2.0])
    with pytest.raises(KeyError, match=r"no parameter or buffer 'lin\.shift'"):
        func.functional_call(m, {"lin.shift": shift}, (x,))


def test_functional_call_takes_a_tuple_of_dicts_as_torch():
    # torch.func.functional_call(model, (params, buffers), args): the form PyTorch
    # documents for parameters and buffers given apart; it raised AttributeError.
    lin = minigrad.nn.Linear(3, 2, dtype=np.float64)
    lin.register_buffer("shift", Tensor(np.ones(2)))
    lin.forward = lambda x: x @ lin.weight.T + lin.bias - lin.shift
    x = t64(4, 3)
    params = {k: Tensor(np.zeros(p.shape)) for k, p in lin.named_parameters()}
    buffers = {"shift": Tensor(np.array([1.0, -1.0]))}
    out = func.functional_call(lin, (params, buffers), (x,))
    np.testing.assert_array_equal(out.data, np.tile([-1.0, 1.0], (4, 1)))
    g = func.grad(lambda p: func.functional_call(lin, (p, buffers), (x,)).sum())(params)
    np.testing.assert_array_equal(g["bias"].data, [4.0, 4.0])
    with pytest.raises(ValueError, match="'shift' appears in more than one"):
        func.functional_call(lin, (buffers, buffers), (x,))


class Tied(minigrad.nn.Module):
    """A decoder sharing its encoder's weight, and a submodule held under two names."""

    def __init__(self) -> None:
        super().__init__()
        self.enc = minigrad.nn.Linear(2, 2, bias=False, dtype=np.float64)
        self.dec = minigrad.nn.Linear(2, 2, bias=False, dtype=np.float64)
        self.dec.weight = self.enc.weight
        self.enc.register_buffer("shift", Tensor(np.ones(2)))
        self.alias = self.enc

    def forward(self, x: Tensor) -> Tensor:
        return self.dec(self.enc(x) + self.enc.shift)


def test_functional_call_replaces_a_tied_tensor_under_every_name():
    # As torch.func.functional_call (tie_weights=True): a tensor given under one of its
    # names is used under all of them. Only enc's use of a tied weight was replaced, so
    # grad(functional_call) of a tied model missed the decoder's part of the gradient,
    # and a shared module's second name ("alias.shift", a state_dict key) was unknown.
    m = Tied()
    x = t64(3, 2)

    def loss(params: dict) -> Tensor:
        return func.functional_call(m, params, (x,)).sum()

    g = func.grad(loss)(dict(m.named_parameters()))
    m(x).sum().backward()
    np.testing.assert_allclose(g["enc.weight"].data, m.enc.weight.grad, rtol=1e-12)
    zero = Tensor(np.zeros((2, 2)))
    np.testing.assert_array_equal(loss({"dec.weight": zero}).data, 0.0)
    out = func.functional_call(m, {"alias.shift": Tensor(np.zeros(2))}, (x,))
    w = m.enc.weight.data
    np.testing.assert_allclose(out.data, x.data @ w.T @ w.T, rtol=1e-12)
    np.testing.assert_array_equal(m.enc.shift.data, [1.0, 1.0])
    assert m.dec.weight is m.enc.weight and m.alias.shift is m.enc.shift
    same = func.functional_call(m, {"enc.weight": zero, "dec.weight": zero}, (x,))
    np.testing.assert_array_equal(same.data, 0.0)
    with pytest.raises(
        ValueError, match=r"values for 'enc\.weight' and 'dec\.weight', which name the same tensor"
    ):
        func.functional_call(m, {"enc.weight": zero, "dec.weight": Tensor(np.ones((2, 2)))}, x)
    assert m.dec.weight is m.enc.weight and m.enc.__dict__["weight"] is m.enc.weight


@pytest.mark.torch
def test_functional_call_of_a_tied_model_matches_torch():
    torch = pytest.importorskip("torch")
    m = Tied()
    tm = torch.nn.Module()
    tm.enc = torch.nn.Linear(2, 2, bias=False).double()
    tm.dec = torch.nn.Linear(2, 2, bias=False).double()
    tm.dec.weight = tm.enc.weight
    with torch.no_grad():
        tm.enc.weight.copy_(torch.from_numpy(m.enc.weight.data))
    tm.forward = lambda x: tm.dec(tm.enc(x) + 1.0)
    x = t64(3, 2)
    g = func.grad(lambda p: func.functional_call(m, p, (x,)).sum())(dict(m.named_parameters()))
    tg = torch.func.grad(
        lambda p: torch.func.functional_call(tm, p, (torch.from_numpy(x.data),)).sum()
    )(dict(tm.named_parameters()))
    np.testing.assert_allclose(g["enc.weight"].data, tg["enc.weight"].detach().numpy(), rtol=1e-12)


def test_an_optimizer_steps_on_a_grad_left_by_create_graph():
    w = minigrad.nn.Parameter(np.array([1.0, -2.0]))
    opt = minigrad.optim.SGD([w], lr=0.1)
    (w * w).sum().backward(create_graph=True)
    assert isinstance(w.grad, Tensor)
    opt.step()
    np.testing.assert_allclose(w.data, [0.8, -1.6])
    opt.zero_grad(set_to_none=False)
    assert w.grad is None
