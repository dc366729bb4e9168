"""Module buffers: registration, traversal, state dicts and checkpoints, as PyTorch."""

import numpy as np
import pytest

import minigrad
from minigrad import nn


class Norm(nn.Module):
    """Running statistics as buffers: a float mean, an integer count, a scratch mask
    that is not saved, and an absent one."""

    def __init__(self, n=3):
        super().__init__()
        self.scale = nn.Parameter(np.ones(n))
        self.register_buffer("running_mean", minigrad.zeros(n))
        self.register_buffer("count", minigrad.tensor(np.array(0, np.int64)))
        self.register_buffer("mask", minigrad.tensor(np.ones(n, bool)), persistent=False)
        self.register_buffer("absent", None)

    def forward(self, x):
        return (x - self.running_mean) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)
        self.norm = Norm()


def test_buffers_are_listed_apart_from_parameters():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["lin.weight", "lin.bias", "norm.scale"]
    assert [n for n, _ in net.named_buffers()] == [
        "norm.running_mean",
        "norm.count",
        "norm.mask",
    ]
    assert list(net.buffers()) == [net.norm.running_mean, net.norm.count, net.norm.mask]
    assert list(net.named_buffers(recurse=False)) == []
    assert [n for n, _ in net.norm.named_buffers(prefix="x")] == [
        "x.running_mean",
        "x.count",
        "x.mask",
    ]
    assert net.norm.absent is None


def test_state_dict_holds_persistent_buffers_after_parameters_as_torch():
    net = Net()
    keys = ["lin.weight", "lin.bias", "norm.scale", "norm.running_mean", "norm.count"]
    sd = net.state_dict()
    assert list(sd) == keys
    assert sd["norm.count"].dtype == np.int64
    sd["norm.running_mean"][:] = 7
    assert not net.norm.running_mean.data.any()  # a copy


def test_load_state_dict_fills_buffers_in_place_and_checks_them():
    src, dst = Net(), Net()
    src.norm.running_mean.data[:] = [1.0, 2.0, 3.0]
    src.norm.count.data[...] = 5
    buf = dst.norm.running_mean
    assert dst.load_state_dict(src.state_dict()) == ([], [])
    assert dst.norm.running_mean is buf
    np.testing.assert_array_equal(buf.data, [1.0, 2.0, 3.0])
    assert dst.norm.count.item() == 5 and dst.norm.count.dtype == np.int64
    sd = src.state_dict()
    del sd["norm.count"]
    with pytest.raises(RuntimeError, match=r"missing key\(s\) in state_dict: 'norm\.count'"):
        dst.load_state_dict(sd)
    assert dst.load_state_dict(sd, strict=False).missing_keys == ["norm.count"]
    sd["norm.mask"] = np.ones(3, bool)  # not persistent: not a key of the model
    with pytest.raises(RuntimeError, match=r"unexpected key\(s\) in state_dict: 'norm\.mask'"):
        dst.load_state_dict(sd)
    sd = src.state_dict()
    sd["norm.running_mean"] = np.zeros(4)
    with pytest.raises(RuntimeError, match=r"size mismatch for 'norm\.running_mean'"):
        dst.load_state_dict(sd)


@pytest.mark.parametrize("bad", [np.array(["a", "b", "c"]), np.array([1j, 2j, 3j]), "abc"])
def test_load_state_dict_refuses_a_value_that_is_not_numbers_before_writing(bad):
    # Such a value was found only while copying, after the parameters before it had
    # been overwritten: the model was left half loaded.
    src, dst = Net(), Net()
    before = {k: v.copy() for k, v in dst.state_dict().items()}
    sd = src.state_dict()
    sd["norm.running_mean"] = bad
    with pytest.raises(RuntimeError, match=r"dtype \S+ for 'norm\.running_mean'.*not numbers"):
        dst.load_state_dict(sd)
    for k, v in dst.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_assigning_a_registered_buffer_replaces_it_as_torch():
    norm = Norm()
    new = minigrad.ones(3)
    norm.running_mean = new
    assert norm.running_mean is new and norm._buffers["running_mean"] is new
    np.testing.assert_array_equal(norm.state_dict()["running_mean"], np.ones(3))
    norm.mask = minigrad.zeros(3)  # stays non-persistent
    assert "mask" not in norm.state_dict() and any(b is norm.mask for b in norm.buffers())
    norm.absent = minigrad.zeros(2)  # a None buffer takes a tensor and is saved
    assert list(norm.state_dict()) == ["scale", "running_mean", "count", "absent"]
    norm.running_mean = None
    assert "running_mean" not in norm.state_dict() and norm.running_mean is None
    with pytest.raises(TypeError, match="cannot assign 'ndarray' as buffer 'count'"):
        norm.count = np.zeros(())
    norm.count = nn.Parameter(np.zeros(()))  # a Parameter makes it a parameter, as torch
    assert "count" in dict(norm.named_parameters()) and "count" not in norm._buffers
    del norm.mask
    assert "mask" not in norm._buffers and not hasattr(norm, "mask")


def test_register_buffer_refuses_what_torch_refuses():
    norm = Norm()
    with pytest.raises(TypeError, match="cannot assign 'ndarray' object to buffer 'b'"):
        norm.register_buffer("b", np.zeros(2))
    with pytest.raises(KeyError, match="attribute 'scale' already exists"):
        norm.register_buffer("scale", minigrad.zeros(3))
    with pytest.raises(KeyError, match="attribute 'training' already exists"):
        norm.register_buffer("training", minigrad.zeros(3))
    with pytest.raises(KeyError, match=r"contain '\.'"):
        norm.register_buffer("a.b", minigrad.zeros(3))
    norm.register_buffer("running_mean", minigrad.ones(3), persistent=False)  # re-registered
    assert "running_mean" not in norm.state_dict()

    class Early(nn.Module):
        def __init__(self):
            self.register_buffer("b", minigrad.zeros(1))

    with pytest.raises(AttributeError, match=r"before Module\.__init__"):
        Early()


def test_a_shared_buffer_is_listed_once_and_saved_under_each_name():
    a, b = Norm(), Norm()
    b.running_mean = a.running_mean
    pair = nn.ModuleList([a, b])
    names = [n for n, _ in pair.named_buffers()]
    assert names.count("0.running_mean") == 1 and "1.running_mean" not in names
    assert len(list(pair.named_buffers(remove_duplicate=False))) == 6
    assert "1.running_mean" in pair.state_dict()


def test_checkpoints_save_and_load_buffers_with_their_dtypes(tmp_path):
    src = Net()
    src.norm.running_mean.data[:] = [0.5, -1.0, 2.0]
    src.norm.count.data[...] = 12
    minigrad.save(src.state_dict(), tmp_path / "net.npz")
    back = minigrad.load(tmp_path / "net.npz")
    assert back["norm.count"].dtype == np.int64 and back["norm.count"] == 12
    dst = Net()
    dst.load_state_dict(back)
    for (k, v), (k2, v2) in zip(src.state_dict().items(), dst.state_dict().items(), strict=True):
        assert k == k2 and v.dtype == v2.dtype
        np.testing.assert_array_equal(v, v2)


def test_buffers_get_no_gradient_and_optimizers_skip_them():
    norm = Norm()
    norm.running_mean.data[:] = 1.0
    opt = minigrad.optim.SGD(norm.parameters(), lr=0.1)
    norm(minigrad.ones(3)).sum().backward()
    opt.step()
    assert norm.running_mean.grad is None
    np.testing.assert_array_equal(norm.running_mean.data, np.ones(3, np.float32))


@pytest.mark.torch
def test_buffer_state_dicts_move_both_ways_with_torch():
    torch = pytest.importorskip("torch")

    class TorchNorm(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.ones(3))
            self.register_buffer("running_mean", torch.arange(3.0))
            self.register_buffer("count", torch.tensor(4))
            self.register_buffer("mask", torch.ones(3, dtype=torch.bool), persistent=False)
            self.register_buffer("absent", None)

    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(3, 3)
            self.norm = TorchNorm()

    tnet, net = TorchNet(), Net()
    tsd = tnet.state_dict()
    assert list(net.state_dict()) == list(tsd)
    assert [n for n, _ in net.named_buffers()] == [n for n, _ in tnet.named_buffers()]
    net.load_state_dict({k: v.numpy() for k, v in tsd.items()})
    np.testing.assert_array_equal(net.norm.running_mean.data, [0.0, 1.0, 2.0])
    assert net.norm.count.item() == 4
    tnet.load_state_dict({k: torch.from_numpy(v) for k, v in Net().state_dict().items()})


def test_named_buffers_without_dedup_lists_a_shared_module_under_each_name():
    # As torch: remove_duplicate=False walks a shared submodule under each of its names
    # (it was listed under its first name only).
    net = Net()
    net.again = net.norm
    names = [n for n, _ in net.named_buffers(remove_duplicate=False)]
    assert names == [
        *(f"{m}.{b}" for m in ("norm", "again") for b in ("running_mean", "count", "mask"))
    ]
    assert [n for n, _ in net.named_buffers()] == names[:3]
    assert [n for n, _ in net.named_modules(remove_duplicate=False)] == [
        "",
        "lin",
        "norm",
        "again",
    ]
    net.norm.inner = net  # a module containing itself is not entered again
    assert [n for n, _ in net.named_modules(remove_duplicate=False)] == [
        "",
        "lin",
        "norm",
        "again",
    ]


@pytest.mark.torch
def test_named_buffers_without_dedup_match_torch():
    torch = pytest.importorskip("torch")
    tnet = torch.nn.Sequential(torch.nn.BatchNorm1d(2))
    tnet.append(tnet[0])
    net = nn.Sequential(Norm(2))
    net.append(net[0])
    for dedup in (True, False):
        got = [n for n, _ in net.named_buffers(remove_duplicate=dedup)]
        want = [n for n, _ in tnet.named_buffers(remove_duplicate=dedup)]
        assert [n.split(".")[0] for n in got] == [n.split(".")[0] for n in want]  # 3 each
        assert [n for n, _ in net.named_modules(remove_duplicate=dedup)] == [
            n for n, _ in tnet.named_modules(remove_duplicate=dedup)
        ]
