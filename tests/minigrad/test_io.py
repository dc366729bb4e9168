"""minigrad.save / minigrad.load: exact round trips, refusal of pickles, corrupt files,
atomic replacement, what save refuses before writing, and partial files of killed saves.
Hostile files (bounded memory, crafted headers, fuzzing) are in test_io_hostile.py."""

import os
import pickle
import signal
import stat
import subprocess
import sys
import threading
import time
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from states import assert_same

import minigrad
from minigrad import nn
from minigrad.io import CheckpointError
from minigrad.io.atomic import STALE_AFTER


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


@pytest.mark.parametrize("dtype", ["c8", "c16", "U3", "S2", "f2", ">f8", "<u8", "i1", "?"])
def test_every_storable_dtype_round_trips(tmp_path, dtype):
    arr = np.arange(6).reshape(2, 3).astype(dtype)
    state = {"a": arr, "f": np.asfortranarray(arr), "s": arr[0, 1], "t": arr.T}
    minigrad.save(state, tmp_path / "d.npz")
    assert_same(minigrad.load(tmp_path / "d.npz"), state)


def _cycle():
    loop = [1]
    loop.append(loop)
    return {"c": loop}


def _deep(depth):
    value = 1
    for _ in range(depth):
        value = [value]
    return {"d": value}


REFUSED = {
    "NUL key": ({"a\x00b": np.zeros(3)}, ValueError, "NUL"),
    "NUL keys that would share a member": ({"a\x00b": 1, "a\x00c": np.ones(2)}, ValueError, "NUL"),
    "nested NUL key": ({"m": {"w\x00": np.zeros(1)}}, ValueError, "at 'm'"),
    "lone surrogate": ({"a\udc80": np.zeros(3)}, ValueError, "surrogate"),
    "bool key": ({True: 1}, TypeError, "not a str or int"),
    "float key": ({1.5: 1}, TypeError, "not a str or int"),
    "tuple key": ({(1, 2): 1}, TypeError, "not a str or int"),
    "container holding itself": (_cycle(), ValueError, "contains itself"),
    "5,000-deep nesting": (_deep(5000), ValueError, "deeper than 100"),
    "path too long for a zip name": ({"k" * 70_000: np.zeros(1)}, ValueError, "too long"),
    "int too long for JSON": ({"n": 10**5000}, ValueError, "bits"),
    "int key too long for JSON": ({10**5000: 1}, ValueError, "bits"),
    "void dtype": ({"v": np.zeros(2, "V4")}, TypeError, "checkpoints hold"),
    "structured dtype": ({"v": np.zeros(2, "f4,i4")}, TypeError, "checkpoints hold"),
    "datetime dtype": ({"v": np.zeros(2, "M8[s]")}, TypeError, "checkpoints hold"),
    "object dtype": ({"v": np.array([None])}, TypeError, "needs pickle"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_save_refuses_what_load_cannot_read_back_before_touching_the_file(tmp_path, case):
    state, error, message = REFUSED[case]
    path = tmp_path / "ckpt.npz"
    minigrad.save({"good": np.arange(3.0)}, path)
    before = path.read_bytes()
    with pytest.raises(error, match=message):
        minigrad.save(state, path)
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "key", ["allow_pickle", "file", "args", "__manifest__", "", "a/b", "x.npy"]
)
def test_keys_that_look_like_arguments_or_paths_round_trip(tmp_path, key):
    state = {key: np.arange(2.0), "a": {"b": np.ones(1)}, "__manifest__": np.zeros(1)}
    minigrad.save(state, tmp_path / "k.npz")
    assert_same(minigrad.load(tmp_path / "k.npz"), state)


@given(
    st.dictionaries(
        st.text(st.characters() | st.sampled_from("\x00\udc80/~"), max_size=6)
        | st.integers(-(2**70), 2**70),
        st.integers(-(2**70), 2**70) | st.text(max_size=4) | st.just(np.arange(2, dtype=np.int16)),
        max_size=4,
    )
)
def test_save_either_refuses_or_load_gives_back_the_same(tmp_path_factory, state):
    path = tmp_path_factory.mktemp("keys") / "k.npz"
    minigrad.save({"good": 1}, path)
    before = path.read_bytes()
    try:
        minigrad.save({"state": state}, path)
    except (TypeError, ValueError):
        assert path.read_bytes() == before
    else:
        assert_same(minigrad.load(path), {"state": state})


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


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664])
def test_a_save_over_a_file_keeps_its_mode(tmp_path, mode):
    # As open(path, "w") would: the replaced checkpoint keeps the permissions it had.
    path = tmp_path / "c.npz"
    minigrad.save({"a": np.zeros(2)}, path)
    path.chmod(mode)
    minigrad.save({"a": np.ones(2)}, path)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert minigrad.load(path)["a"].tolist() == [1.0, 1.0]


# A save that stalls after writing its big array, until it is killed (or its input closes).
STALLED_SAVE = """
import sys, numpy as np, minigrad
real = np.lib.format.write_array
def stall(fp, arr, *args, **kwargs):
    real(fp, arr, *args, **kwargs)
    if arr.size > 1000:
        print("written", flush=True)
        sys.stdin.read()
np.lib.format.write_array = stall
minigrad.save({"big": np.ones(1_000_000), "z": np.zeros(2)}, sys.argv[1])
"""


def _stalled_writer(path):
    proc = subprocess.Popen(
        [sys.executable, "-c", STALLED_SAVE, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "written"
    return proc


def _partials(folder):
    return sorted(n for n in os.listdir(folder) if n.endswith(".tmp"))


def _killed_writer(path):
    """The name of the partial file a save killed with SIGKILL mid-write leaves behind."""
    before = set(_partials(path.parent))
    proc = _stalled_writer(path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    (partial,) = set(_partials(path.parent)) - before
    assert partial.startswith(f".{path.name}.partial.")
    assert (path.parent / partial).stat().st_size > 1_000_000  # full-size, as a real kill leaves
    return partial


def test_killed_save_leaves_a_partial_that_the_next_load_and_save_remove(tmp_path):
    path = tmp_path / "checkpoint.npz"
    minigrad.save({"w": np.zeros(3)}, path)
    good = path.read_bytes()
    decoys = [".checkpoint.npz.backup.tmp", "checkpoint.npz.partial.0123456789ab.tmp"]
    for name in decoys:
        (tmp_path / name).write_bytes(b"user data")
    _killed_writer(path)
    assert_same(minigrad.load(path), {"w": np.zeros(3)})
    assert _partials(tmp_path) == sorted(decoys)
    live = _stalled_writer(path)  # a save in progress in another process
    try:
        (live_partial,) = set(_partials(tmp_path)) - set(decoys)
        _killed_writer(path)  # its own save's clean-up kept the live writer's file
        assert_same(minigrad.load(path), {"w": np.zeros(3)})
        assert _partials(tmp_path) == sorted([live_partial, *decoys])  # only the dead one went
        assert path.read_bytes() == good
        live.stdin.close()  # let the live writer finish: its rename still succeeds
        assert live.wait(timeout=60) == 0
    finally:
        live.kill()
        live.wait()
    assert minigrad.load(path)["big"].shape == (1_000_000,)
    _killed_writer(path)
    minigrad.save({"w": np.ones(3)}, path)
    assert _partials(tmp_path) == sorted(decoys)
    assert_same(minigrad.load(path), {"w": np.ones(3)})


def test_a_save_in_progress_in_this_process_is_never_cleaned(tmp_path, monkeypatch):
    path = tmp_path / "c.npz"
    real = np.lib.format.write_array
    halfway, resume = threading.Event(), threading.Event()

    def stall(fp, arr, *args, **kwargs):
        real(fp, arr, *args, **kwargs)
        if arr.size == 5:
            halfway.set()
            resume.wait(timeout=60)

    monkeypatch.setattr(np.lib.format, "write_array", stall)
    writer = threading.Thread(target=minigrad.save, args=({"x": np.ones(5)}, path))
    writer.start()
    assert halfway.wait(timeout=60)
    (partial,) = _partials(tmp_path)
    minigrad.save({"other": 1}, tmp_path / "d.npz")  # cleans the folder: must skip it
    with pytest.raises(FileNotFoundError):
        minigrad.load(path)
    assert _partials(tmp_path) == [partial]
    resume.set()
    writer.join(timeout=60)
    assert_same(minigrad.load(path), {"x": np.ones(5)})
    assert _partials(tmp_path) == []


def test_a_target_named_like_a_partial_file_is_refused(tmp_path):
    with pytest.raises(ValueError, match="named like a partial file"):
        minigrad.save({"w": 1}, tmp_path / ".c.npz.partial.0123456789ab.tmp")
    assert os.listdir(tmp_path) == []


def test_old_style_temporaries_are_removed_only_once_stale(tmp_path):
    path = tmp_path / "checkpoint.npz"
    minigrad.save({"w": 1}, path)
    old, fresh = (
        tmp_path / ".checkpoint.npz.s1c3ionv.tmp",
        tmp_path / ".checkpoint.npz.7n1f8ntm.tmp",
    )
    for f in (old, fresh):
        f.write_bytes(b"PK" + bytes(100))
    stamp = time.time() - STALE_AFTER - 60
    os.utime(old, (stamp, stamp))
    assert minigrad.load(path) == {"w": 1}
    assert _partials(tmp_path) == [fresh.name]


def test_a_save_into_a_missing_folder_names_the_requested_file(tmp_path):
    target = tmp_path / "missing" / "o.npz"
    with pytest.raises(FileNotFoundError) as raised:
        minigrad.save({"a": np.zeros(2)}, target)
    assert str(target) in str(raised.value) and ".partial." not in str(raised.value)


def test_load_of_a_folder_names_it(tmp_path) -> None:
    with pytest.raises(IsADirectoryError, match=r"load: .* is a folder, not a checkpoint file"):
        minigrad.load(tmp_path)


def test_save_into_a_folder_names_it(tmp_path) -> None:
    with pytest.raises(IsADirectoryError, match=r"save: .* is a folder; give a file name in it"):
        minigrad.save({"w": np.zeros(2)}, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_save_through_a_link_replaces_its_target_and_into_a_pipe_writes_into_it(tmp_path):
    import os
    import threading

    target = tmp_path / "real.npz"
    link = tmp_path / "link.npz"
    link.symlink_to(target)
    minigrad.save({"a": minigrad.tensor([1.0, 2.0])}, link)
    assert link.is_symlink() and minigrad.load(target)["a"].tolist() == [1.0, 2.0]
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)  # stands for a device (/dev/null): renaming over it would replace it
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(pipe.read_bytes()))
    reader.start()
    minigrad.save({"a": minigrad.tensor([3.0])}, pipe)
    reader.join(10)
    assert pipe.is_fifo() and got and got[0][:2] == b"PK"
