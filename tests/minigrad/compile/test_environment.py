"""What a compiled function reads from outside its arguments is part of its key."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

import minigrad
from minigrad.compile.environment import Environment

X = np.linspace(-1.0, 1.0, 24).reshape(6, 4)
SCALE = 1.0


def _lin() -> minigrad.nn.Linear:
    minigrad.manual_seed(0)
    return minigrad.nn.Linear(4, 3, dtype=np.float64)


def test_a_module_in_the_closure_switched_to_train_recaptures() -> None:
    lin, drop = _lin(), minigrad.nn.Dropout(0.5)
    step = minigrad.compile(lambda x: drop(lin(x)).sum())
    x = minigrad.tensor(X)
    drop.eval()
    evaluated = step(x).item()
    assert evaluated == pytest.approx(lin(x).sum().item(), rel=1e-12)
    drop.train()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dropout runs eagerly, with a warning
        trained = {step(x).item() for _ in range(4)}
    assert step.captures == 2
    assert len(trained) > 1  # dropout is on: a new mask each call
    drop.eval()
    assert step(x).item() == pytest.approx(evaluated, rel=1e-12)
    assert step.captures == 2  # the eval program is still cached


def test_a_number_in_the_closure_is_read_at_every_call() -> None:
    lin, scale = _lin(), 1.0
    step = minigrad.compile(lambda x: (lin(x) * scale).sum())
    x = minigrad.tensor(X)
    first = step(x).item()
    scale = 2.0
    assert step(x).item() == pytest.approx(2 * first, rel=1e-12)
    assert step.captures == 2


def test_a_global_read_by_a_helper_function_is_followed() -> None:
    global SCALE
    lin = _lin()

    def scaled(x):
        return lin(x) * SCALE

    step = minigrad.compile(lambda x: scaled(x).sum())
    x = minigrad.tensor(X)
    try:
        first = step(x).item()
        SCALE = 3.0
        assert step(x).item() == pytest.approx(3 * first, rel=1e-12)
    finally:
        SCALE = 1.0
    assert step(x).item() == pytest.approx(first, rel=1e-12)
    assert step.captures == 2


def test_a_tensor_rebound_in_the_closure_recaptures() -> None:
    w = minigrad.tensor(np.ones(4), requires_grad=True)
    step = minigrad.compile(lambda x: (x * w).sum())
    x = minigrad.tensor(X)
    step(x).backward()
    old = w
    w = minigrad.tensor(2 * np.ones(4), requires_grad=True)
    loss = step(x)
    assert loss.item() == pytest.approx(2 * X.sum(), rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(w.grad, X.sum(axis=0))
    np.testing.assert_allclose(old.grad, X.sum(axis=0))  # its one call only
    assert step.captures == 2


def test_a_list_the_loop_appends_to_does_not_recapture() -> None:
    lin, seen = _lin(), []
    step = minigrad.compile(lambda x: lin(x).sum() + 0 * len(seen))
    x = minigrad.tensor(X)
    for _ in range(5):
        step(x)
        seen.append(1)
    assert step.captures == 1


def test_library_code_is_not_followed() -> None:
    lin = _lin()
    env = Environment(lambda x: minigrad.tanh(lin(x)).sum())
    assert env.labels() == ["lin (read by test_library_code_is_not_followed.<locals>.<lambda>)"]


def test_the_recapture_warning_names_what_changed_and_comes_back() -> None:
    lin = _lin()
    step = minigrad.compile(lambda x: lin(x).sum(), cache_size=2, warn_after=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for n in range(1, 13):
            step(minigrad.tensor(np.ones((n, 4))))
    said = [str(w.message) for w in caught if "captured" in str(w.message)]
    # At the 3rd capture, then each time the count doubles: 6, 12.
    assert [s.split("captured ")[1].split(" ")[0] for s in said] == ["3", "6", "12"]
    assert "*args[0]: tensor of shape (2, 4), float64 -> tensor of shape (3, 4)" in said[0]


def test_a_keyword_no_longer_passed_is_named() -> None:
    lin = _lin()

    def f(x, h=None):
        y = lin(x).sum()
        return y if h is None else y + h.sum()

    step = minigrad.compile(f, warn_after=1)
    x, h = minigrad.tensor(X), minigrad.tensor(np.ones(3))
    step(x, h=h)
    with pytest.warns(RuntimeWarning, match=r"no longer passed: \*\*kwargs\['h'\]"):
        step(x)


class _Scaled(minigrad.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin, self.drop = _lin(), minigrad.nn.Dropout(0.5)

    def forward(self, x):
        return (self.drop(self.lin(x)) * SCALE).sum()


def test_a_module_compiled_as_it_is_keys_on_its_training_flag_and_what_forward_reads() -> None:
    global SCALE
    model = _Scaled()
    step = minigrad.compile(model)
    x = minigrad.tensor(X)
    model.eval()
    evaluated = step(x).item()
    model.train()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dropout runs eagerly, with a warning
        trained = {step(x).item() for _ in range(4)}
    assert step.captures == 2 and len(trained) > 1
    model.eval()
    try:
        SCALE = 2.0
        assert step(x).item() == pytest.approx(2 * evaluated, rel=1e-12)
    finally:
        SCALE = 1.0
    assert step.captures == 3


class _ScaledLinear(minigrad.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = _lin()

    def forward(self, x):
        return self.lin(x) * SCALE


def test_what_a_modules_forward_reads_is_followed() -> None:
    global SCALE
    model = _ScaledLinear()
    step = minigrad.compile(lambda x: model(x).sum())
    x = minigrad.tensor(X)
    try:
        for SCALE in (1.0, 5.0):  # noqa: B007  (the global the module's forward reads)
            assert step(x).item() == pytest.approx(model(x).sum().item(), rel=1e-12)
    finally:
        SCALE = 1.0
    assert step.captures == 2


def test_a_compiled_module_reads_the_modules_attributes_not_a_copy() -> None:
    lin = _lin()
    step = minigrad.compile(lin)
    lin.eval()
    assert not step.training
    step.train()
    assert lin.training
    assert step.__wrapped__ is lin and list(step.parameters()) == list(lin.parameters())


def test_what_a_compiled_function_called_inside_reads_is_followed() -> None:
    global SCALE
    lin = _lin()
    inner = minigrad.compile(lambda x: lin(x) * SCALE)
    outer = minigrad.compile(lambda x: inner(x).sum())
    x = minigrad.tensor(X)
    try:
        for SCALE in (1.0, 3.0):
            assert outer(x).item() == pytest.approx((lin(x) * SCALE).sum().item(), rel=1e-12)
    finally:
        SCALE = 1.0
    drop = minigrad.nn.Dropout(0.5)
    cdrop = minigrad.compile(drop)
    outer2 = minigrad.compile(lambda x: cdrop(lin(x)).sum())
    drop.eval()
    outer2(x)
    drop.train()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dropout runs eagerly, with a warning
        assert len({outer2(x).item() for _ in range(4)}) > 1


class _Double(minigrad.nn.Module):
    def forward(self, x):
        return x * 2


class _Times(minigrad.nn.Module):
    def forward(self, x):
        return x * SCALE


class _Net(minigrad.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = _lin()
        self.act = _Times()

    def forward(self, x):
        return self.act(self.lin(x))


def test_submodules_forwards_and_identities_are_followed() -> None:
    global SCALE
    net = _Net()
    step = minigrad.compile(lambda x: net(x).sum())
    x = minigrad.tensor(X)
    try:
        for SCALE in (1.0, 5.0):  # noqa: B007  (read by a submodule's forward)
            assert step(x).item() == pytest.approx(net(x).sum().item(), rel=1e-12)
    finally:
        SCALE = 1.0
    net.act = _Double()  # a submodule with no parameters, replaced
    assert step(x).item() == pytest.approx(net(x).sum().item(), rel=1e-12)


class _Masked(minigrad.nn.Module):
    """A module whose forward reads a tensor kept as a plain attribute (a buffer: no
    gradient), a number and a submodule's attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = _lin()
        self.mask = minigrad.tensor(np.ones(3))
        self.scale = 1.0

    def forward(self, x: minigrad.Tensor) -> minigrad.Tensor:
        return (self.lin(x) * self.mask * self.scale).sum()


@pytest.mark.parametrize("compiled_as", ["module", "closure"])
def test_a_modules_plain_attributes_are_read_at_every_call(compiled_as: str) -> None:
    m = _Masked()
    step = minigrad.compile(m if compiled_as == "module" else lambda x: m(x))
    x = minigrad.tensor(X)

    def agrees() -> None:
        assert step(x).item() == pytest.approx(m(x).item(), rel=1e-12, abs=1e-12)

    agrees()
    m.mask = minigrad.tensor(np.array([0.0, 2.0, -1.0]))  # a buffer replaced
    agrees()
    m.mask.data[1] = 5.0  # changed in place: bound by reference, no new capture
    captures = step.captures
    agrees()
    assert step.captures == captures
    m.scale = -3.0  # a number
    agrees()
    m.lin.in_features = 4  # an attribute of a submodule (same value: same key)
    agrees()
    assert step.captures == 3
    m.scale = 1.0  # back to the first value: its program was kept
    m.mask = minigrad.tensor(np.ones(3))
    agrees()
    assert step.captures == 4  # a new mask tensor: a new key (tensors by identity)


class _Centred(minigrad.nn.Module):
    """A module whose forward reads registered buffers (running statistics)."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = _lin()
        self.register_buffer("mean", minigrad.tensor(np.zeros(3)))
        self.register_buffer("scale", minigrad.tensor(np.ones(3)), persistent=False)

    def forward(self, x: minigrad.Tensor) -> minigrad.Tensor:
        return ((self.lin(x) - self.mean) * self.scale).sum()


@pytest.mark.parametrize("compiled_as", ["module", "closure"])
def test_a_modules_buffers_are_read_at_every_call_and_keyed_by_identity(
    compiled_as: str,
) -> None:
    m = _Centred()
    step = minigrad.compile(m if compiled_as == "module" else lambda x: m(x))
    x = minigrad.tensor(X)

    def agrees() -> None:
        assert step(x).item() == pytest.approx(m(x).item(), rel=1e-12, abs=1e-12)

    agrees()
    m.mean = minigrad.tensor(np.array([0.5, -1.0, 2.0]))  # a buffer replaced: captured anew
    agrees()
    assert step.captures == 2
    m.scale.copy_(np.array([2.0, 0.0, -1.0]))  # changed in place: read anew, same program
    m.mean.data[0] = 4.0
    agrees()
    assert step.captures == 2
    m.load_state_dict({**m.state_dict(), "mean": np.array([1.0, 1.0, 1.0])})  # in place
    agrees()
    assert step.captures == 2
    m.register_buffer("scale", minigrad.tensor(np.full(3, 3.0)))  # registered again
    agrees()
    assert step.captures == 3
    m.float()  # parameters cast in place (the same objects), buffers too
    x32 = minigrad.tensor(X.astype(np.float32))
    assert step(x32).item() == pytest.approx(m(x32).item(), rel=1e-5)
    assert step.captures == 4
    m.double()
    agrees()


def test_reading_a_modules_tensor_attribute_inside_is_refused() -> None:
    class Peeks(_Masked):
        def forward(self, x: minigrad.Tensor) -> minigrad.Tensor:
            y = self.lin(x).sum()
            return y if self.mask.data.sum() > 0 else -y  # its value steers Python

    step = minigrad.compile(Peeks())
    with pytest.raises(minigrad.compile.CaptureError, match="data"):
        step(minigrad.tensor(X))


def test_a_changing_attribute_is_named_by_the_recapture_warning() -> None:
    m = _Masked()
    step = minigrad.compile(m, warn_after=2)
    x = minigrad.tensor(X)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k in range(4):
            m.scale = float(k)
            step(x)
    said = [str(w.message) for w in caught]
    assert said and "module _Masked #0: _Masked.scale: 1.0 -> 2.0." in said[0], said


def test_what_changed_in_a_module_is_said_in_words() -> None:
    from minigrad.compile.key import describe_change, module_key

    m = _Masked()
    before = module_key(m)
    m.mask = minigrad.tensor(np.zeros(3))
    m.lin.weight = minigrad.nn.Parameter(np.ones((3, 4)))
    m.lin.eval()
    said = describe_change((before,), (module_key(m),), ["module _Masked #0"])
    assert said.startswith("module _Masked #0: a parameter replaced, or its requires_grad")
    assert "a submodule replaced, or a training flag changed" in said
    assert "_Masked.mask: tensor 0x" in said and "of shape (3,)" in said


def test_a_tensor_replaced_in_a_list_the_function_reads_recaptures() -> None:
    lin = _lin()
    masks = [minigrad.tensor(np.ones(3)), minigrad.tensor(np.full(3, 2.0))]
    step = minigrad.compile(lambda x: (lin(x) * masks[1]).sum())
    x = minigrad.tensor(X)
    step(x)
    masks[1] = minigrad.tensor(np.array([1.0, -1.0, 0.5]))
    assert step(x).item() == pytest.approx((lin(x) * masks[1]).sum().item(), rel=1e-12)
    assert step.captures == 2


def test_functional_call_of_a_compiled_module_leaves_its_programs_right() -> None:
    from minigrad import func

    lin = _lin()
    step = minigrad.compile(lin)
    x = minigrad.tensor(X)
    doubled = {k: minigrad.tensor(v.data * 2) for k, v in lin.named_parameters()}
    swapped = func.functional_call(step, doubled, (x,))
    np.testing.assert_allclose(swapped.data, func.functional_call(lin, doubled, (x,)).data)
    np.testing.assert_allclose(step(x).data, lin(x).data, rtol=1e-12)  # its own again


def _scaled_loss(model, x, *, k=1.0):
    return (model(x) * k * SCALE).sum()


def test_a_partial_keys_its_bound_arguments_and_what_its_function_reads() -> None:
    global SCALE
    import functools

    lin, drop = _lin(), minigrad.nn.Dropout(0.5)
    model = minigrad.nn.Sequential(lin, drop)
    model.eval()
    step = minigrad.compile(functools.partial(_scaled_loss, model, k=2.0))
    x = minigrad.tensor(X)

    def agrees() -> None:
        assert step(x).item() == pytest.approx(_scaled_loss(model, x, k=2.0).item(), rel=1e-12)

    agrees()
    try:
        SCALE = 3.0  # a global its function reads
        agrees()
    finally:
        SCALE = 1.0
    lin.weight = minigrad.nn.Parameter(np.zeros((3, 4)))  # a parameter replaced
    agrees()
    model.train()  # dropout on: a new mask each call, not the eval program
    with pytest.warns(RuntimeWarning, match="random numbers"):
        step(x)
    assert step.captures == 4


class _Tempered(minigrad.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = _lin()

    def head(self, h):
        return h / SCALE  # a global read by a method forward calls

    def forward(self, x):
        return self.head(self.lin(x)).sum()


@pytest.mark.parametrize("compiled_as", ["module", "closure", "method"])
def test_what_the_other_methods_of_a_module_read_is_followed(compiled_as: str) -> None:
    global SCALE
    model = _Tempered()
    step = {
        "module": lambda: minigrad.compile(model),
        "closure": lambda: minigrad.compile(lambda x: model(x)),
        "method": lambda: minigrad.compile(model.forward),
    }[compiled_as]()
    x = minigrad.tensor(X)
    try:
        for scale in (1.0, 2.0, 1.0):
            SCALE = scale
            assert step(x).item() == pytest.approx(model(x).item(), rel=1e-12)
    finally:
        SCALE = 1.0
    assert step.captures == 2


class _Classy(minigrad.nn.Module):
    temperature = 1.0  # a class attribute that forward reads through self

    def __init__(self) -> None:
        super().__init__()
        self.lin = _lin()

    def forward(self, x):
        return (self.lin(x) / self.temperature).sum()


@pytest.mark.parametrize("compiled_as", ["module", "closure", "method", "argument"])
def test_a_class_attribute_a_module_reads_is_read_at_every_call(compiled_as: str) -> None:
    # _Classy.temperature = 2.0 after a capture replayed the capture's temperature.
    model = _Classy()
    step = {
        "module": lambda: minigrad.compile(model),
        "closure": lambda: minigrad.compile(lambda x: model(x)),
        "method": lambda: minigrad.compile(model.forward),
        "argument": lambda: functools.partial(minigrad.compile(lambda m, x: m(x)), model),
    }[compiled_as]()
    x = minigrad.tensor(X)
    try:
        for temperature in (1.0, 2.0, 1.0):
            _Classy.temperature = temperature
            assert step(x).item() == pytest.approx(model(x).item(), rel=1e-12)
    finally:
        _Classy.temperature = 1.0
    model.temperature = 4.0  # the instance's own, in front of the class's
    assert step(x).item() == pytest.approx(model(x).item(), rel=1e-12)


class _Acting(minigrad.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = _lin()

    def act(self, u):
        return u

    def forward(self, x):
        return self.act(self.lin(x)).sum()


@pytest.mark.parametrize("compiled_as", ["module", "closure"])
def test_a_method_replaced_on_the_class_captures_again(compiled_as: str) -> None:
    # _Acting.act = ... after a capture replayed the old method without a word.
    model, x = _Acting(), minigrad.tensor(X)
    step = (
        minigrad.compile(model) if compiled_as == "module" else minigrad.compile(lambda v: model(v))
    )
    act, forward = _Acting.act, _Acting.forward
    try:
        assert step(x).item() == pytest.approx(model(x).item(), rel=1e-12)
        _Acting.act = lambda self, u: u * 2.0
        assert step(x).item() == pytest.approx(model(x).item(), rel=1e-12)
        _Acting.forward = lambda self, v: self.act(self.lin(v)).sum() * 3.0
        assert step(x).item() == pytest.approx(model(x).item(), rel=1e-12)
        assert step.captures == 3
    finally:
        _Acting.act, _Acting.forward = act, forward


def test_a_function_replaced_again_and_again_is_named_in_the_warning() -> None:
    # Describing a replaced function in the recapture warning raised IndexError.
    global _ACT
    w = minigrad.tensor(np.ones(2), requires_grad=True)
    step = minigrad.compile(lambda x: _ACT(x * w).sum())
    try:
        with pytest.warns(RuntimeWarning, match=r"_ACT \(read by .*\): function .* -> function"):
            for k in range(7):
                _ACT = _times(k)
                step(minigrad.tensor(np.ones(2)))
    finally:
        _ACT = _identity


def _identity(u):
    return u


def _times(k):
    return lambda u: u * k


_ACT = _identity


def test_what_a_module_passed_as_an_argument_reads_is_followed() -> None:
    global SCALE
    model, x = _Tempered(), minigrad.tensor(X)
    step = minigrad.compile(lambda m, x: m(x))
    try:
        for scale in (1.0, 2.0):
            SCALE = scale
            assert step(model, x).item() == pytest.approx(model(x).item(), rel=1e-12)
    finally:
        SCALE = 1.0
    assert step.captures == 2


class _Objective:
    """A callable object of the caller's own (not a module)."""

    def __init__(self, model) -> None:
        self.model = model

    def scale(self):
        return SCALE

    def __call__(self, x):
        return (self.model(x) * self.scale()).sum()


def test_what_a_callable_objects_methods_read_is_followed() -> None:
    global SCALE
    lin, drop = _lin(), minigrad.nn.Dropout(0.5)
    objective = _Objective(lambda x: drop(lin(x)))
    step, x = minigrad.compile(objective), minigrad.tensor(X)
    drop.eval()
    try:
        for scale in (1.0, 2.0):
            SCALE = scale
            assert step(x).item() == pytest.approx(objective(x).item(), rel=1e-12)
    finally:
        SCALE = 1.0
    assert step.captures == 2


def test_a_compiled_function_compiled_again_follows_what_it_reads() -> None:
    global SCALE
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)

    def f(x):
        return (x * w * SCALE).sum()

    step, x = minigrad.compile(minigrad.compile(f)), minigrad.tensor([1.0, 1.0])
    try:
        for scale in (1.0, 2.0):
            SCALE = scale
            assert step(x).item() == 3.0 * scale
    finally:
        SCALE = 1.0


_MASK = np.array([1.0, 0.0, 1.0])


def test_the_default_values_of_its_parameters_are_read_at_every_call() -> None:
    lin, drop = _lin(), minigrad.nn.Dropout(0.5)
    drop.eval()
    model = minigrad.nn.Sequential(lin, drop)

    def f(x, mask=_MASK, net=model):
        return (net(x) * minigrad.tensor(mask)).sum()

    step, x = minigrad.compile(f), minigrad.tensor(X)
    try:
        for values in ([1.0, 0.0, 1.0], [0.0, 2.0, 0.0]):
            _MASK[:] = values  # the default array, changed in place
            assert step(x).item() == pytest.approx(f(x).item(), rel=1e-12)
    finally:
        _MASK[:] = [1.0, 0.0, 1.0]
    drop.train()  # a module given as a default: dropout on now
    with pytest.warns(RuntimeWarning, match="random numbers"):
        step(x)


def test_the_recapture_warning_shows_a_compiled_method_kept_on_its_module_as_unchanged() -> None:
    # A module whose forward is replaced by its compiled self holds that method in its
    # attributes; the warning named it as changed, in raw key tuples, at every capture.
    class Shifted(minigrad.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = minigrad.nn.Linear(4, 3, dtype=np.float64)
            self.shift = minigrad.tensor(np.ones(3))
            self.held = [self.lin]

        def forward(self, x: minigrad.Tensor) -> minigrad.Tensor:
            return (self.lin(x) + self.shift).sum() + 0 * len(self.held)

    m = Shifted()
    m.forward = minigrad.compile(m.forward, warn_after=1)
    x = minigrad.tensor(X)
    m(x)
    m.shift = minigrad.tensor(np.full(3, 2.0))
    with pytest.warns(RuntimeWarning) as caught:
        m(x)
    said = str(caught[0].message)
    assert "Shifted.shift: tensor" in said
    assert "Shifted.forward" not in said and "_Same" not in said
