"""Linear, Embedding, Dropout and the containers."""

import math
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from minigrad import nn


def test_linear_layout_init_and_repr():
    minigrad.manual_seed(0)
    layer = nn.Linear(16, 5)
    assert layer.weight.shape == (5, 16) and layer.bias.shape == (5,)
    assert layer.weight.dtype == np.float32 == layer.bias.dtype
    bound = 1 / math.sqrt(16)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.8 * bound
    assert repr(layer) == "Linear(in_features=16, out_features=5, bias=True)"
    no_bias = nn.Linear(2, 3, bias=False, dtype=np.float64)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]
    assert no_bias.weight.dtype == np.float64
    with pytest.raises(TypeError, match="float32 or float64"):
        nn.Linear(2, 3, dtype=np.int32)


def test_linear_init_distribution_is_uniform():
    w = nn.Linear(100, 400, generator=np.random.default_rng(0)).weight.data
    # U(-b, b) has variance b^2 / 3 with b = 1/sqrt(100).
    assert w.var() == pytest.approx(0.01 / 3, rel=0.03)


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.booleans())
def test_linear_forward_and_gradcheck(n_in, n_out, batch, bias):
    layer = nn.Linear(n_in, n_out, bias=bias, dtype=np.float64)
    x = np.random.default_rng(0).standard_normal((batch, n_in))
    y = layer(minigrad.tensor(x))
    want = x @ layer.weight.data.T + (layer.bias.data if bias else 0)
    np.testing.assert_allclose(y.data, want, rtol=1e-12)
    params = [layer.weight.data] + ([layer.bias.data] if bias else [])

    def f(x, w, *b):
        return minigrad.functional.linear(x, w, b[0] if b else None)

    minigrad.gradcheck(f, [x, *params])


def test_embedding_lookup_init_and_repr():
    emb = nn.Embedding(10, 3, padding_idx=-1)
    assert emb.padding_idx == 9 and not emb.weight.data[9].any()
    assert emb.weight.dtype == np.float32
    out = emb(np.array([[1, 2], [9, 1]]))
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.data[1, 1], emb.weight.data[1])
    assert repr(emb) == "Embedding(10, 3, padding_idx=9)"
    assert repr(nn.Embedding(4, 2)) == "Embedding(4, 2)"
    big = nn.Embedding(200, 50, generator=np.random.default_rng(0)).weight.data
    assert big.mean() == pytest.approx(0, abs=0.02) and big.std() == pytest.approx(1, rel=0.02)


def test_embedding_repeated_ids_accumulate():
    emb = nn.Embedding(4, 2, dtype=np.float64)
    ids = np.array([1, 3, 1, 1])
    g = np.arange(8.0).reshape(4, 2)
    emb(ids).backward(g)
    want = np.zeros((4, 2))
    np.add.at(want, ids, g)
    np.testing.assert_array_equal(emb.weight.grad, want)


def test_embedding_padding_row_gets_no_grad_but_is_returned():
    emb = nn.Embedding(4, 2, padding_idx=0, dtype=np.float64)
    emb.weight.data[0] = [5.0, 6.0]
    out = emb(np.array([0, 2, 0]))
    np.testing.assert_array_equal(out.data[0], [5.0, 6.0])
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad, [[0, 0], [0, 0], [1, 1], [0, 0]])


def test_embedding_gradcheck():
    ids = np.array([[0, 2], [2, 1]])
    w = np.random.default_rng(1).standard_normal((3, 4))
    emb = nn.Embedding(3, 4, dtype=np.float64)
    del emb.weight  # unregistered, so a plain tensor may take its place (as in PyTorch)

    def lookup(weight):
        emb.weight = weight  # the module's forward, on gradcheck's tensor
        return emb(ids)

    minigrad.gradcheck(lookup, [w])


def test_dropout_train_scales_and_eval_is_identity():
    minigrad.manual_seed(0)
    drop = nn.Dropout(0.25)
    x = minigrad.ones(1000, 50)
    y = drop(x).data
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    assert kept.mean() == pytest.approx(0.75, abs=0.01)
    drop.eval()
    assert drop(x) is x
    assert repr(drop) == "Dropout(p=0.25, inplace=False)"
    with pytest.raises(ValueError, match="p must be in"):
        nn.Dropout(1.5)


def test_dropout_takes_pytorchs_arguments():
    # torch.nn.Dropout(p, inplace): the second positional argument is inplace, not the
    # generator, which is a keyword.
    assert nn.Dropout(0.1, False).inplace is False
    with pytest.raises(ValueError, match="Dropout: inplace=True is not supported"):
        nn.Dropout(0.1, True)
    gen = np.random.default_rng(0)
    drop = nn.Dropout(0.5, generator=gen)
    assert drop.generator is gen
    with pytest.raises(TypeError):
        nn.Dropout(0.5, False, gen)


def test_sequential_and_module_list():
    a, b, c = nn.Linear(2, 3), nn.Dropout(0.5), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c and list(seq) == [a, b, c]
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    seq.eval()
    x = minigrad.randn(4, 2)
    np.testing.assert_allclose(seq(x).data, c(a(x)).data)
    assert isinstance(seq[1:], nn.Sequential) and list(seq[1:]) == [b, c]
    named = nn.Sequential(OrderedDict(enc=a, out=c))
    assert [n for n, _ in named.named_children()] == ["enc", "out"]
    assert repr(seq) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): Dropout(p=0.5, inplace=False)\n"
        "  (2): Linear(in_features=3, out_features=1, bias=True)\n"
        ")"
    )

    ml = nn.ModuleList([a])
    ml.append(b).extend([c])
    assert len(ml) == 3 and ml[1] is b and list(ml) == [a, b, c]
    assert [n for n, _ in ml.named_children()] == ["0", "1", "2"]
    assert len(list(ml.parameters())) == 4
    ml[1] = nn.Linear(1, 1)
    assert len(list(ml.parameters())) == 6
    del ml[0]
    assert [n for n, _ in ml.named_children()] == ["0", "1"] and ml[1] is c
    with pytest.raises(IndexError, match="out of range"):
        ml[5]
    with pytest.raises(TypeError, match="expected a Module"):
        ml.append(3)


def test_linear_names_the_layer_and_its_in_features_on_a_mismatch():
    layer = nn.Linear(3, 2)
    with pytest.raises(
        ValueError,
        match=r"Linear\(in_features=3, out_features=2, bias=True\): input of shape \(4, 5\) "
        r"has 5 features in its last axis; expected in_features=3",
    ):
        layer(minigrad.randn(4, 5))
    with pytest.raises(ValueError, match="no axes; expected in_features=3"):
        layer(minigrad.tensor(1.0))
    assert layer(minigrad.randn(4, 3)).shape == (4, 2)
    with pytest.raises(TypeError, match="complex128; expected numbers"):
        layer(np.ones((4, 3), complex))  # never silently made real
    with pytest.raises(ValueError, match=r"linear: input of shape \(4, 5\) does not fit weight"):
        minigrad.functional.linear(minigrad.randn(4, 5), layer.weight, layer.bias)


@pytest.mark.parametrize("bad", [-1, 5, 100])
def test_embedding_refuses_ids_out_of_range(bad):
    """PyTorch raises for -1 rather than wrapping around to the last row."""
    emb = nn.Embedding(5, 2)
    with pytest.raises(
        IndexError, match=rf"Embedding\(5, 2\): id {bad} is out of range; ids must be in \[0, 5\)"
    ):
        emb(np.array([0, bad, 1]))
    with pytest.raises(TypeError, match="ids must be integers"):
        emb(np.array([0.0, 1.0]))
    assert emb(np.array([[0, 4]])).shape == (1, 2, 2)
