"""minigrad.save / minigrad.load: exact round trips, refusal of pickles, corrupt files,
and atomic replacement."""

import os
import pickle
import stat
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from minigrad import nn
from minigrad.io import CheckpointError


def assert_same(a, b):
    assert type(a) is type(b), (a, b)
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    elif isinstance(a, float) and a != a:
        assert b != b
    else:
        assert a == b


@given(
    hnp.arrays(
        st.sampled_from([np.float32, np.float64]),
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    )
)
def test_arrays_round_trip_exactly(tmp_path_factory, arr):
    path = tmp_path_factory.mktemp("io") / "a.npz"
    minigrad.save({"x": arr}, path)
    assert_same(minigrad.load(path), {"x": arr})


def test_nested_state_round_trips(tmp_path):
    state = {
        "model": {"0.weight": np.arange(6, dtype=np.float32).reshape(2, 3)},
        "optim": {
            "state": {0: {"step": 3, "exp_avg": np.ones(2)}},
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "amsgrad": False, "params": [0]}],
        },
        "epoch": 7,
        "loss": float("nan"),
        "best": float("inf"),
        "name": "char-lm",
        "note": None,
        "ids": np.array([1, 2, 3], dtype=np.int64),
        "flag": np.bool_(True),
        "empty": {},
        "tensor": minigrad.tensor([1.5, 2.5], dtype=np.float64),
    }
    path = tmp_path / "ckpt.npz"
    minigrad.save(state, path)
    loaded = minigrad.load(path)
    expected = dict(state, tensor=np.array([1.5, 2.5]))
    assert_same(loaded, expected)
    with zipfile.ZipFile(path) as z:
        assert "optim/state/0/exp_avg.npy" in z.namelist()


def test_unsupported_values_are_refused(tmp_path):
    with pytest.raises(TypeError, match="set at 'a'"):
        minigrad.save({"a": {1, 2}}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="needs pickle"):
        minigrad.save({"a": np.array([object()])}, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)


def test_pickled_npz_is_refused_and_never_executed(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, w=np.array([{"payload": 1}], dtype=object))
    with pytest.raises(CheckpointError, match=r"evil\.npz.*pickle"):
        minigrad.load(path)


def test_plain_pickle_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"w": [1.0]}))
    with pytest.raises(CheckpointError, match=r"evil\.pt.*pickle"):
        minigrad.load(path)


@pytest.mark.parametrize("keep", [0, 10, 100, 0.5, 0.9])
def test_truncated_file_names_the_file(tmp_path, keep):
    path = tmp_path / "ckpt.npz"
    minigrad.save({"w": np.random.default_rng(0).standard_normal((50, 50))}, path)
    data = path.read_bytes()
    n = keep if isinstance(keep, int) else int(len(data) * keep)
    path.write_bytes(data[:n])
    with pytest.raises(CheckpointError, match=r"ckpt\.npz"):
        minigrad.load(path)


def test_foreign_npz_and_missing_file(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, w=np.zeros(3))
    with pytest.raises(CheckpointError, match=r"plain\.npz.*not a minigrad checkpoint"):
        minigrad.load(path)
    with pytest.raises(FileNotFoundError, match="nope"):
        minigrad.load(tmp_path / "nope.npz")


def test_interrupted_save_keeps_previous_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    minigrad.save({"w": np.zeros(3), "step": 1}, path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        minigrad.save({"w": np.ones(3), "step": 2}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    assert path.read_bytes() == before


def test_writer_failing_midway_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    minigrad.save({"step": 1}, path)
    real = np.lib.format.write_array
    calls = []

    def write_then_fail(fp, arr, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(fp, arr, *args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", write_then_fail)
    with pytest.raises(KeyboardInterrupt):
        minigrad.save({"a": np.ones(3), "b": np.ones(4), "step": 2}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    assert minigrad.load(path) == {"step": 1}


def test_module_state_dict_round_trip(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.Embedding(5, 2))
    minigrad.save(model.state_dict(), tmp_path / "m.npz")
    other = nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.Embedding(5, 2))
    other.load_state_dict(minigrad.load(tmp_path / "m.npz"))
    for (k, a), b in zip(model.state_dict().items(), other.state_dict().values(), strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b), k


def test_saved_file_has_the_usual_permissions(tmp_path):
    # The temporary file behind the atomic rename must not leave the checkpoint 0600.
    mask = os.umask(0o022)
    try:
        minigrad.save({"a": np.zeros(2)}, tmp_path / "c.npz")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "c.npz").stat().st_mode) == 0o644
