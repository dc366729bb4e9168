"""ModuleDict: an ordered dict of modules registered under their keys, as PyTorch's."""

from collections import OrderedDict

import numpy as np
import pytest

import minigrad
from minigrad import nn


class Heads(nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleDict({"cls": nn.Linear(3, 2), "reg": nn.Linear(3, 1)})

    def forward(self, x, task):
        return self.heads[task](x)


def test_parameters_and_state_dict_are_named_by_key():
    net = Heads()
    names = ["heads.cls.weight", "heads.cls.bias", "heads.reg.weight", "heads.reg.bias"]
    assert [n for n, _ in net.named_parameters()] == names
    assert list(net.state_dict()) == names
    assert net(minigrad.ones(4, 3), "reg").shape == (4, 1)
    assert net.eval() is net and not net.heads.training and not net.heads["cls"].training


def test_mapping_protocol_keeps_order():
    a, b, c = nn.Linear(1, 1), nn.Dropout(0.1), nn.Linear(1, 2)
    d = nn.ModuleDict([("b", b), ("a", a)])  # pairs, in their order
    assert list(d) == ["b", "a"] and list(d.keys()) == ["b", "a"]
    assert list(d.values()) == [b, a] and list(d.items()) == [("b", b), ("a", a)]
    assert len(d) == 2 and "a" in d and "z" not in d and d["a"] is a and d.a is a
    d["b"] = c  # an existing key keeps its place
    assert list(d.items()) == [("b", c), ("a", a)]
    d["z"] = b  # a new key goes last
    assert list(d) == ["b", "a", "z"]
    del d["a"]
    assert list(d) == ["b", "z"] and not hasattr(d, "a")
    assert [n for n, _ in d.named_parameters()] == ["b.weight", "b.bias"]
    assert d.pop("b") is c and list(d) == ["z"]
    d.update(OrderedDict(y=a, x=c))
    d.update(nn.ModuleDict({"w": nn.Linear(1, 1)}))
    assert list(d) == ["z", "y", "x", "w"]
    d.clear()
    assert len(d) == 0 and list(d.parameters()) == []
    with pytest.raises(KeyError):
        d["missing"]
    with pytest.raises(KeyError):
        del d["missing"]


def test_repr_reads_like_pytorch():
    d = nn.ModuleDict({"enc": nn.Linear(2, 3), "drop": nn.Dropout(0.5)})
    assert repr(d) == (
        "ModuleDict(\n"
        "  (enc): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (drop): Dropout(p=0.5, inplace=False)\n"
        ")"
    )


def test_refuses_keys_and_values_as_torch():
    d = nn.ModuleDict()
    with pytest.raises(KeyError, match="attribute 'train' already exists"):
        d["train"] = nn.Linear(1, 1)
    with pytest.raises(KeyError, match="attribute 'training' already exists"):
        d["training"] = nn.Linear(1, 1)
    with pytest.raises(KeyError, match=r"contain '\.'"):
        d["a.b"] = nn.Linear(1, 1)
    with pytest.raises(TypeError, match="module name should be a string, got int"):
        d[3] = nn.Linear(1, 1)
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        d["x"] = 3
    with pytest.raises(ValueError, match="element #0 has length 1; 2 is required"):
        d.update([("a",)])
    with pytest.raises(TypeError, match="got int"):
        d.update(3)
    assert len(d) == 0 and d.training is True


def test_a_module_dict_in_a_compiled_module_recaptures_when_an_entry_changes():
    net = Heads()
    step = minigrad.compile(net)
    x = minigrad.tensor(np.linspace(-1, 1, 6).reshape(2, 3).astype(np.float32))
    np.testing.assert_array_equal(step(x, "cls").data, net(x, "cls").data)
    net.heads["cls"] = nn.Linear(3, 2)  # a new module under the key: a new key
    np.testing.assert_array_equal(step(x, "cls").data, net(x, "cls").data)
    assert step.captures == 2


@pytest.mark.torch
def test_state_dicts_move_both_ways_with_torch():
    torch = pytest.importorskip("torch")

    class TorchHeads(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.heads = torch.nn.ModuleDict(
                {"cls": torch.nn.Linear(3, 2), "reg": torch.nn.Linear(3, 1)}
            )

    tnet, net = TorchHeads(), Heads()
    net.load_state_dict({k: v.numpy() for k, v in tnet.state_dict().items()})
    np.testing.assert_array_equal(
        net.heads["reg"].weight.data, tnet.heads["reg"].weight.detach().numpy()
    )
    tnet.load_state_dict({k: torch.from_numpy(v) for k, v in Heads().state_dict().items()})
