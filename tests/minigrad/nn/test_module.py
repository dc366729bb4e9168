"""Module: registration, modes, zero_grad, state dicts, repr."""

import numpy as np
import pytest

import minigrad
from minigrad import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Linear(3, 4)
        self.drop = nn.Dropout(0.5)
        self.blocks = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 2)])

    def forward(self, x):
        h = self.drop(self.enc(x))
        for b in self.blocks:
            h = b(h)
        return h


def test_named_parameters_and_state_dict_keys():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == [
        "enc.weight",
        "enc.bias",
        "blocks.0.weight",
        "blocks.0.bias",
        "blocks.1.weight",
        "blocks.1.bias",
    ]
    assert list(net.state_dict()) == names
    sd = net.state_dict()
    sd["enc.bias"][:] = 99
    assert not (net.enc.bias.data == 99).any()  # a copy


def test_reassigning_keeps_registration_order():
    net = Net()
    net.enc = nn.Linear(3, 4)
    assert [n for n, _ in net.named_children()] == ["enc", "drop", "blocks"]


def test_train_eval_propagate():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    x = minigrad.randn(5, 3)
    np.testing.assert_array_equal(net(x).data, net(x).data)  # dropout off
    net.train()
    assert net.drop.training and net.blocks[1].training


def test_zero_grad():
    net = Net()
    net(minigrad.randn(2, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_load_state_dict_round_trip_casts_and_copies_in_place():
    a, b = Net(), Net()
    weight = b.enc.weight.data
    result = b.load_state_dict({k: v.astype(np.float64) for k, v in a.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b.enc.weight.data is weight and weight.dtype == np.float32
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[k], v)


def test_load_state_dict_wrong_shape_names_key_and_both_shapes():
    net = Net()
    sd = net.state_dict()
    sd["blocks.1.weight"] = np.zeros((3, 4))
    before = net.enc.weight.data.copy()
    sd["enc.weight"] = np.zeros((4, 3))
    with pytest.raises(RuntimeError, match=r"'blocks\.1\.weight'.*\(3, 4\).*\(2, 4\)"):
        net.load_state_dict(sd)
    np.testing.assert_array_equal(net.enc.weight.data, before)  # nothing written
    with pytest.raises(RuntimeError, match="size mismatch"):
        net.load_state_dict(sd, strict=False)


def test_load_state_dict_missing_and_unexpected_keys():
    net = Net()
    sd = net.state_dict()
    del sd["enc.bias"]
    sd["extra.weight"] = np.zeros(2)
    with pytest.raises(
        RuntimeError, match=r"(?s)unexpected.*'extra\.weight'.*missing.*'enc\.bias'"
    ):
        net.load_state_dict(sd)
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["enc.bias"] and result.unexpected_keys == ["extra.weight"]


@pytest.mark.parametrize("given", ["model.npz", [("enc.weight", np.zeros((4, 3)))], None])
def test_load_state_dict_refuses_what_is_not_a_mapping(given):
    # A file name was read as a state dict of one-letter keys (unexpected 'm', 'o', ...;
    # strict=False loaded nothing and returned them), a list of pairs raised NumPy's
    # "unhashable type". As torch: TypeError naming the type.
    net = Net()
    with pytest.raises(TypeError, match=r"expected a state dict \(a mapping of names"):
        net.load_state_dict(given, strict=False)


class Tied(nn.Module):
    """A shared weight and a shared module, as weight tying does."""

    def __init__(self):
        super().__init__()
        self.enc = nn.Linear(2, 2, dtype=np.float64)
        self.dec = nn.Linear(2, 2, dtype=np.float64)
        self.dec.weight = self.enc.weight
        self.again = self.enc


def test_state_dict_lists_shared_parameters_under_each_name_as_torch():
    keys = ["enc.weight", "enc.bias", "dec.weight", "dec.bias", "again.weight", "again.bias"]
    net = Tied()
    assert list(net.state_dict()) == keys
    assert [n for n, _ in net.named_parameters()] == ["enc.weight", "enc.bias", "dec.bias"]
    # A state dict without the aliases (written before they were listed) still loads.
    old = {k: v + 1 for k, v in net.state_dict().items() if k in ("enc.weight", "enc.bias")}
    old["dec.bias"] = np.zeros(2)
    assert net.load_state_dict(old) == ([], [])
    np.testing.assert_array_equal(net.dec.weight.data, old["enc.weight"])
    del old["enc.weight"]
    with pytest.raises(RuntimeError, match=r"missing key\(s\) in state_dict: 'enc.weight', 'dec"):
        net.load_state_dict(old)


@pytest.mark.torch
def test_tied_state_dicts_move_both_ways_with_torch():
    torch = pytest.importorskip("torch")

    class TorchTied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = torch.nn.Linear(2, 2, dtype=torch.float64)
            self.dec = torch.nn.Linear(2, 2, dtype=torch.float64)
            self.dec.weight = self.enc.weight
            self.again = self.enc

    tnet, net = TorchTied(), Tied()
    net.load_state_dict({k: v.numpy() for k, v in tnet.state_dict().items()})
    np.testing.assert_array_equal(net.dec.weight.data, tnet.dec.weight.detach().numpy())
    tnet.load_state_dict({k: torch.from_numpy(v) for k, v in Tied().state_dict().items()})


def test_repr_reads_like_pytorch():
    assert repr(Net()) == (
        "Net(\n"
        "  (enc): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (drop): Dropout(p=0.5, inplace=False)\n"
        "  (blocks): ModuleList(\n"
        "    (0): Linear(in_features=4, out_features=4, bias=True)\n"
        "    (1): Linear(in_features=4, out_features=2, bias=True)\n"
        "  )\n"
        ")"
    )


def test_apply_visits_children_first():
    seen = []
    Net().apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen.count("Linear") == 3


def test_float64_model_end_to_end():
    net = nn.Sequential(nn.Linear(3, 2, dtype=np.float64), nn.Embedding(4, 2, dtype=np.float64))
    assert {p.dtype for p in net.parameters()} == {np.dtype(np.float64)}


def test_apply_order_is_torch_post_order():
    # PyTorch: each child's subtree in registration order, then the module itself, so an
    # initialiser that draws random numbers gives the first layer the first draws.
    net = nn.Sequential(nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.1)), nn.Linear(2, 2), Net())
    names = {id(m): n for n, m in net.named_modules()}
    seen = []
    net.apply(lambda m: seen.append(names[id(m)]))
    inner = ["2.enc", "2.drop", "2.blocks.0", "2.blocks.1", "2.blocks", "2"]
    assert seen == ["0.0", "0.1", "0", "1", *inner, ""]
    shared = nn.Linear(2, 2)
    twice = nn.Sequential(shared, nn.Linear(2, 2), shared)
    calls = []
    twice.apply(calls.append)
    assert calls == [shared, twice[1], twice]  # a shared module once, at its first place


def test_train_calls_each_childs_own_train_as_torch():
    class KeepsDropoutOff(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)
            self.drop = nn.Dropout(0.5)

        def train(self, mode=True):
            super().train(mode)
            self.drop.train(False)
            return self

    net = nn.Sequential(nn.Linear(2, 2), KeepsDropoutOff())
    assert net.train() is net
    assert net[0].training and net[1].training and net[1].lin.training
    assert not net[1].drop.training
    net.eval()
    assert not any(m.training for m in net.modules())
    assert "_in_train" not in vars(net)
    loop = nn.Sequential(nn.Linear(2, 2))
    loop.me = loop  # a module containing itself is not re-entered
    assert loop.eval() is loop and not loop.training and not loop[0].training


def test_assigning_a_non_parameter_over_a_parameter_is_refused_as_torch():
    # It unregistered the parameter: state_dict lost 'weight' and an optimizer built
    # from parameters() no longer trained it.
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        lin.weight = minigrad.zeros(2, 2)
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'enc'"):
        Net().enc = 3
    assert list(lin.state_dict()) == ["weight", "bias"]
    lin.weight = nn.Parameter(np.zeros((2, 2)))
    assert list(lin.state_dict()) == ["weight", "bias"]
    lin.bias = None  # None still removes it, as before
    assert list(lin.state_dict()) == ["weight"] and lin.bias is None


@pytest.mark.parametrize("mode", ["False", 0, 1, None, np.bool_(True)])
def test_train_refuses_a_mode_that_is_not_a_bool_as_torch(mode):
    net = Net().eval()
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train(mode)
    assert not any(m.training for m in net.modules())  # nothing switched on


def test_double_and_float_cast_parameters_buffers_and_grads_in_place():
    net = Net()
    net.register_buffer("stats", minigrad.zeros(4))
    net.register_buffer("steps", minigrad.tensor(np.array(3, np.int64)))
    net(minigrad.randn(2, 3)).sum().backward()
    params, weight = list(net.parameters()), net.enc.weight
    assert net.double() is net
    assert list(net.parameters()) == params and net.enc.weight is weight  # same objects
    assert {p.dtype for p in net.parameters()} == {np.dtype(np.float64)}
    assert {p.grad.dtype for p in net.parameters()} == {np.dtype(np.float64)}
    assert net.stats.dtype == np.float64 and net.steps.dtype == np.int64  # ints left alone
    y = net(minigrad.randn(2, 3, dtype=np.float64))
    assert y.dtype == np.float64
    y.sum().backward()
    assert weight.grad.dtype == np.float64
    assert net.float() is net and net.to("float32") is net
    assert {t.dtype for t in (*net.parameters(), net.stats)} == {np.dtype(np.float32)}
    assert net.steps.dtype == np.int64


def test_to_keeps_values_and_refuses_a_dtype_that_is_not_float():
    lin = nn.Linear(3, 2)
    before = lin.weight.data.copy()
    lin.to(np.float64)
    np.testing.assert_array_equal(lin.weight.data, before.astype(np.float64))
    for bad in (np.int64, "bool", np.float16):
        with pytest.raises(TypeError, match=r"Linear\.to: dtype must be float32 or float64"):
            lin.to(bad)
    for device in ("cuda:0", "mps"):
        with pytest.raises(TypeError, match=f"runs on the CPU .* only; got device '{device}'"):
            lin.to(device)
    with pytest.raises(TypeError, match="got device 'cuda'"):
        lin.to(np.float32, device="cuda")
    assert lin.weight.dtype == np.float64


def test_to_the_cpu_changes_nothing_as_a_tensors_to():
    # PyTorch code moves models with .to("cpu") / .to(device="cpu"): minigrad is there.
    lin = nn.Linear(3, 2)
    weight = lin.weight
    before = weight.data
    assert lin.to("cpu") is lin and lin.to("cpu:0") is lin and lin.to(device="cpu") is lin
    assert lin.weight is weight and lin.weight.data is before
    assert lin.to(np.float64, device="cpu") is lin and lin.weight.dtype == np.float64
    # PyTorch's other forms: (device, dtype), a tensor's dtype, non_blocking.
    assert lin.to("cpu", np.float32) is lin and lin.weight.dtype == np.float32
    assert lin.to(minigrad.zeros(1, dtype=np.float64)) is lin and lin.weight.dtype == np.float64
    assert lin.to("cpu", non_blocking=True) is lin and lin.weight.dtype == np.float64
    with pytest.raises(
        TypeError, match=r"Linear\.to: expected \(dtype\), \(device\), \(device, dtype\)"
    ):
        lin.to(np.float32, np.float64)
    # keywords beside a positional device, as PyTorch's to("cpu", dtype=...)
    assert lin.to("cpu", dtype=np.float32) is lin and lin.weight.dtype == np.float32
    assert minigrad.ones(2).to("cpu", dtype=np.float64).dtype == np.float64
    with pytest.raises(TypeError, match=r"Linear\.to: the dtype given twice"):
        lin.to(np.float32, dtype=np.float64)
    with pytest.raises(TypeError, match=r"Linear\.to: expected a NumPy dtype or its name"):
        lin.to(object())
    with pytest.raises(TypeError, match="got device 'cuda'"):
        lin.to("cuda", np.float32)
    assert minigrad.tensor([1.0]).to("cpu").dtype == np.float32


def test_double_makes_an_optimizer_step_in_float64():
    lin = nn.Linear(3, 2).double()
    opt = minigrad.optim.Adam(lin.parameters(), lr=0.1)
    lin(minigrad.randn(4, 3, dtype=np.float64)).sum().backward()
    opt.step()
    assert {p.dtype for p in lin.parameters()} == {np.dtype(np.float64)}


@pytest.mark.torch
def test_double_matches_torch_on_the_same_weights():
    torch = pytest.importorskip("torch")
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    net = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    net.load_state_dict({k: v.numpy() for k, v in tnet.state_dict().items()})
    tnet.double(), net.double()
    x = np.random.default_rng(0).standard_normal((5, 3))
    tx = torch.from_numpy(x)
    tnet[1](tnet[0](tx).tanh()).sum().backward()
    net[1](net[0](minigrad.tensor(x)).tanh()).sum().backward()
    for p, tp in zip(net.parameters(), tnet.parameters(), strict=True):
        assert p.dtype == np.float64 and tp.dtype == torch.float64
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_add_module_registers_a_child_with_torchs_checks():
    net = Net()
    head = nn.Linear(2, 1)
    net.add_module("head", head)
    assert net.head is head and list(net.named_children())[-1] == ("head", head)
    net.add_module("head", nn.Linear(2, 2))  # a child's name may be given again
    with pytest.raises(KeyError, match="attribute 'forward' already exists"):
        net.add_module("forward", head)
    with pytest.raises(TypeError, match="Tensor is not a Module subclass"):
        net.add_module("w", minigrad.zeros(2))


def test_register_parameter_refuses_what_torch_refuses():
    # A plain Tensor was set as an unregistered attribute (silently never trained), a
    # method's or a buffer's name was taken (register_parameter("train", p) hid
    # Module.train), and None over a buffer or a child left it in state_dict().
    net = Net()
    net.register_buffer("stat", minigrad.zeros(2))
    with pytest.raises(TypeError, match="cannot assign 'Tensor' object to parameter 'w'"):
        net.register_parameter("w", minigrad.zeros(2))
    for name in ("train", "stat", "enc"):
        for value in (nn.Parameter(np.zeros(2)), None):
            with pytest.raises(KeyError, match=f"attribute '{name}' already exists"):
                net.register_parameter(name, value)
    with pytest.raises(KeyError, match=r"contain '\.'"):
        net.register_parameter("a.b", nn.Parameter(np.zeros(2)))
    with pytest.raises(KeyError, match="can't be empty"):
        net.register_parameter("", nn.Parameter(np.zeros(2)))
    with pytest.raises(TypeError, match="parameter name should be a string"):
        net.register_parameter(1, nn.Parameter(np.zeros(2)))
    assert "w" not in net.__dict__ and callable(net.train)
    assert list(net.state_dict()) == ["stat", *Net().state_dict()]
    assert net.stat.shape == (2,) and isinstance(net.enc, nn.Linear)
    # A parameter's own name may be given again, None included, as an absent bias is.
    net.register_parameter("w", nn.Parameter(np.ones(2)))
    net.register_parameter("w", None)
    assert net.w is None and "w" not in net.state_dict()
    net.register_parameter("w", nn.Parameter(np.ones(3)))
    assert net.w.shape == (3,) and "w" in net.state_dict()


def test_named_parameters_take_recurse_and_remove_duplicate_as_pytorch():
    # A submodule held under two names and a weight tied into a third module.
    inner = nn.Linear(2, 2)
    net = nn.Sequential(inner, nn.Linear(2, 2), inner)
    net[1].weight = inner.weight
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    assert [n for n, _ in net.named_parameters(remove_duplicate=False)] == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "2.weight",
        "2.bias",
    ]
    assert list(net.named_parameters(recurse=False)) == []
    assert [n for n, _ in inner.named_parameters(prefix="enc", recurse=False)] == [
        "enc.weight",
        "enc.bias",
    ]
    assert list(net.parameters(recurse=False)) == [] and len(list(net.parameters())) == 3


def test_cpu_and_torch_devices_change_nothing():
    lin = nn.Linear(2, 2)
    assert lin.cpu() is lin and lin.weight.dtype == np.float32


@pytest.mark.torch
def test_to_takes_torch_device_objects():
    torch = pytest.importorskip("torch")
    lin = nn.Linear(2, 2)
    assert lin.to(torch.device("cpu")) is lin
    assert lin.to(torch.device("cpu"), np.float64) is lin and lin.weight.dtype == np.float64
    assert minigrad.ones(2).to(torch.device("cpu")).dtype == np.float32
    with pytest.raises(TypeError, match="got device"):
        lin.to(torch.device("meta"))
