"""minigrad.load on hostile files: memory stays bounded (zip bombs, huge declared shapes,
lying zip records) and every crafted or damaged file gives CheckpointError naming it."""

import io
import json
import struct
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from states import assert_same

import minigrad
from minigrad.io import CheckpointError

MiB = 1 << 20


def npy(arr=None, *, header=None, data=b"", version=(1, 0)):
    """A .npy member: an array as numpy writes it, or a header dict (or raw header text)
    followed by ``data``."""
    if arr is not None:
        buf = io.BytesIO()
        np.lib.format.write_array(buf, arr, allow_pickle=False)
        return buf.getvalue()
    text = header if isinstance(header, str) else repr(header)
    raw = text.encode("latin-1")
    width = 2 if version[0] == 1 else 4
    return b"\x93NUMPY" + bytes(version) + len(raw).to_bytes(width, "little") + raw + data


def manifest(root):
    doc = {"format": "minigrad-checkpoint", "version": 1, "root": root}
    return npy(np.frombuffer(json.dumps(doc).encode(), np.uint8))


def npz(path, members, method=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def with_array(path, member_bytes, node_type="array"):
    """A checkpoint whose root is the array stored as ``x.npy``."""
    return npz(
        path, {"__manifest__.npy": manifest({"t": node_type, "key": "x"}), "x.npy": member_bytes}
    )


def raw_zip(members):
    """A zip built by hand: ``members`` is [(name, payload, method, crc, recorded_size)],
    so the recorded size and CRC can say anything."""
    local, central = b"", b""
    for name, payload, method, crc, size in members:
        n = name.encode()
        head = struct.pack("<HHHHHIIIHH", 20, 0, method, 0, 0, crc, len(payload), size, len(n), 0)
        central += (
            b"PK\x01\x02"
            + struct.pack("<H", 20)
            + head
            + struct.pack("<HHHIi", 0, 0, 0, 0, len(local))
            + n
        )
        local += b"PK\x03\x04" + head + n + payload
    end = struct.pack("<HHHHIIH", 0, 0, len(members), len(members), len(central), len(local), 0)
    return local + central + b"PK\x05\x06" + end


def deflate(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def zip_bomb(path, nbytes):
    """A checkpoint whose one member deflates ``nbytes`` of zeros (about 1000:1)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("__manifest__.npy", manifest({"t": "array", "key": "x"}))
        with z.open("x.npy", "w", force_zip64=True) as f:
            f.write(npy(header={"descr": "|u1", "fortran_order": False, "shape": (nbytes,)}))
            for _ in range(nbytes // MiB):
                f.write(bytes(MiB))
    return path


def peak_bytes(fn):
    """Peak bytes allocated (Python objects and NumPy buffers) while ``fn()`` runs."""
    tracemalloc.start()
    try:
        fn()
    except CheckpointError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_zip_bomb_is_refused_before_it_inflates(tmp_path):
    bomb = zip_bomb(tmp_path / "bomb.npz", 64 * MiB)
    assert bomb.stat().st_size < MiB
    with pytest.raises(CheckpointError, match=r"bomb\.npz.*67,108,864 bytes.*max_bytes"):
        minigrad.load(bomb)
    assert peak_bytes(lambda: minigrad.load(bomb)) < 2 * MiB
    loaded = minigrad.load(bomb, max_bytes=65 * MiB)  # the caller may raise the limit
    assert loaded.shape == (64 * MiB,) and not loaded.any()


def test_max_bytes_bounds_the_total_of_all_arrays(tmp_path):
    path = tmp_path / "c.npz"
    state = {"a": np.zeros(1000), "b": np.zeros(1000)}
    minigrad.save(state, path)
    assert minigrad.load(path, max_bytes=16_500)["b"].shape == (1000,)  # 16,000 + manifest
    with pytest.raises(CheckpointError, match=r"c\.npz.*member 'b\.npy'.*already read"):
        minigrad.load(path, max_bytes=12_000)
    for bad in (-1, 1.5, "16500", True):
        with pytest.raises(ValueError, match="max_bytes must be None or an int"):
            minigrad.load(path, max_bytes=bad)


def test_compressed_checkpoint_loads_when_max_bytes_allows_it(tmp_path):
    path = tmp_path / "c.npz"
    minigrad.save({"w": np.zeros(MiB, np.uint8)}, path)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    packed = npz(tmp_path / "packed.npz", members, zipfile.ZIP_DEFLATED)
    with pytest.raises(CheckpointError, match="file's size on disk"):
        minigrad.load(packed)
    assert minigrad.load(packed, max_bytes=2 * MiB)["w"].shape == (MiB,)


def test_huge_declared_shape_is_refused_without_allocating(tmp_path):
    header = {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    path = with_array(tmp_path / "huge.npz", npy(header=header, data=bytes(400)))
    assert path.stat().st_size < 1000
    with pytest.raises(CheckpointError, match=r"huge\.npz.*8,000,000,000,000 bytes.*400 bytes"):
        minigrad.load(path, max_bytes=10**14)  # the zip's own record already refutes it
    assert peak_bytes(lambda: minigrad.load(path, max_bytes=10**14)) < MiB


def test_lying_zip_record_cannot_inflate_a_member(tmp_path):
    # The zip says x.npy holds 100 bytes of data (with their CRC) while its deflate stream
    # holds 32 MiB: reading stops at the recorded size, so memory never inflates.
    header = npy(header={"descr": "|u1", "fortran_order": False, "shape": (100,)})
    body = header + bytes(32 * MiB)
    honest = header + bytes(100)
    meta = manifest({"t": "array", "key": "x"})
    path = tmp_path / "liar.npz"
    path.write_bytes(
        raw_zip(
            [
                ("__manifest__.npy", meta, 0, zlib.crc32(meta), len(meta)),
                ("x.npy", deflate(body), 8, zlib.crc32(honest), len(honest)),
            ]
        )
    )
    assert path.stat().st_size < MiB
    peak = peak_bytes(lambda: minigrad.load(path, max_bytes=10**12))
    assert peak < 4 * MiB
    loaded = minigrad.load(path, max_bytes=10**12)
    assert loaded.shape == (100,) and not loaded.any()


def _deep_manifest(depth):
    text = (
        '{"format": "minigrad-checkpoint", "version": 1, "root": '
        + '{"t": "list", "items": [' * depth
        + '{"t": "py", "v": 1}'
        + "]}" * depth
        + "}"
    )
    return npy(np.frombuffer(text.encode(), np.uint8))


def _header(**changes):
    header = {"descr": "<f8", "fortran_order": False, "shape": (3,)}
    header.update(changes)
    return npy(header=header, data=bytes(24))


def _manifest_text(text):
    return {"__manifest__.npy": npy(np.frombuffer(text.encode(), np.uint8))}


def _one(node, member=None):
    members = {"__manifest__.npy": manifest(node)}
    if member is not None:
        members["x.npy"] = member
    return members


CRAFTED = {
    # manifests
    "5,000-deep manifest": {"__manifest__.npy": _deep_manifest(5000)},
    "101-deep manifest": {"__manifest__.npy": _deep_manifest(101)},
    "manifest not JSON": _manifest_text("{'format': nope"),
    "manifest not UTF-8": {"__manifest__.npy": npy(np.frombuffer(b"\xff\xfe{", np.uint8))},
    "manifest a list": _manifest_text("[1, 2]"),
    "manifest with a 5,000-digit int": _manifest_text(
        '{"format": "minigrad-checkpoint", "version": 1, "root": {"t": "py", "v": '
        + "9" * 5000
        + "}}"
    ),
    "manifest of another version": _manifest_text(
        '{"format": "minigrad-checkpoint", "version": 9}'
    ),
    "manifest without root": _manifest_text('{"format": "minigrad-checkpoint", "version": 1}'),
    "manifest of float32": {"__manifest__.npy": npy(np.zeros(3, np.float32))},
    "node of unknown type": _one({"t": "set", "items": []}),
    "node not an object": _one([1, 2]),
    "py node holding a list": _one({"t": "py", "v": [1]}),
    "dict entry of three": _one({"t": "dict", "items": [["a", {"t": "py", "v": 1}, 3]]}),
    "dict key a list": _one({"t": "dict", "items": [[["a"], {"t": "py", "v": 1}]]}),
    "items not a list": _one({"t": "list", "items": {"a": 1}}),
    "array key not a string": _one({"t": "array", "key": 3}),
    "array key missing": _one({"t": "array", "key": "nope"}),
    "array key the manifest": _one({"t": "array", "key": "__manifest__"}),
    "scalar of shape (3,)": _one({"t": "scalar", "key": "x"}, npy(np.zeros(3))),
    # .npy headers
    "unparsable header": _one({"t": "array", "key": "x"}, _header().replace(b"(3,)", b"((3,")),
    "header of 5,000 parentheses": _one(
        {"t": "array", "key": "x"}, npy(header="(" * 5000 + ")" * 5000, data=bytes(24))
    ),
    "header too long": _one({"t": "array", "key": "x"}, npy(header="{" + " " * 20_000 + "}")),
    "header not a dict": _one({"t": "array", "key": "x"}, npy(header="[1, 2, 3]")),
    "header with an extra key": _one({"t": "array", "key": "x"}, _header(extra=1)),
    "header with a list descr": _one({"t": "array", "key": "x"}, _header(descr=[("a", "<f8")])),
    "unknown dtype": _one({"t": "array", "key": "x"}, _header(descr="zz9")),
    "float of 3 bytes": _one({"t": "array", "key": "x"}, _header(descr="<f3")),
    "deprecated alias": _one({"t": "array", "key": "x"}, _header(descr="a8", shape=(3,))),
    "dtype not as numpy spells it": _one({"t": "array", "key": "x"}, _header(descr="float64")),
    "huge itemsize": _one({"t": "array", "key": "x"}, _header(descr="<U999999999")),
    "structured dtype": _one({"t": "array", "key": "x"}, _header(descr="f4,i4", shape=(3,))),
    "subarray dtype": _one({"t": "array", "key": "x"}, _header(descr="(3,)f8", shape=(1,))),
    "zero-size dtype, huge shape": _one(
        {"t": "array", "key": "x"},
        npy(header={"descr": "<U0", "fortran_order": False, "shape": (10**12,)}),
    ),
    "object dtype": _one({"t": "array", "key": "x"}, _header(descr="|O")),
    "negative shape": _one({"t": "array", "key": "x"}, _header(shape=(-3,))),
    "bool in shape": _one({"t": "array", "key": "x"}, _header(shape=(True, 3))),
    "65 dimensions": _one({"t": "array", "key": "x"}, _header(shape=(1,) * 65)),
    "fortran_order not a bool": _one({"t": "array", "key": "x"}, _header(fortran_order=1)),
    "shape larger than the data": _one({"t": "array", "key": "x"}, _header(shape=(1000,))),
    "shape smaller than the data": _one({"t": "array", "key": "x"}, _header(shape=(2,))),
    "dtype wider than the data": _one({"t": "array", "key": "x"}, _header(descr="<c16")),
    "npy version 9": _one({"t": "array", "key": "x"}, npy(header={"descr": "<f8"}, version=(9, 0))),
    "not a .npy member": _one({"t": "array", "key": "x"}, b"just some bytes"),
    "member cut inside its header": _one({"t": "array", "key": "x"}, _header()[:30]),
}


@pytest.mark.parametrize("case", list(CRAFTED))
def test_crafted_files_give_checkpoint_error_naming_the_file(tmp_path, case):
    path = npz(tmp_path / "crafted.npz", CRAFTED[case])
    with pytest.raises(CheckpointError, match=r"crafted\.npz"):
        minigrad.load(path)


def test_unsupported_compression_and_encryption_are_refused(tmp_path):
    path = tmp_path / "c.npz"
    minigrad.save({"w": np.zeros(3)}, path)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    npz(tmp_path / "bz.npz", members, zipfile.ZIP_BZIP2)
    with pytest.raises(CheckpointError, match=r"bz\.npz.*compression method 12"):
        minigrad.load(tmp_path / "bz.npz")
    data = bytearray(path.read_bytes())
    data[6] |= 1  # the first member's "encrypted" flag, in its local and central headers
    central = data.rindex(b"PK\x01\x02", 0, data.rindex(b"PK\x01\x02"))
    data[central + 8] |= 1
    (tmp_path / "enc.npz").write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"enc\.npz"):
        minigrad.load(tmp_path / "enc.npz")


STATE = {
    "w": np.arange(12, dtype=np.float32).reshape(3, 4),
    "ids": np.array([3, 1, 2]),
    "optim": {0: {"step": 5, "lr": 0.25, "m": np.ones(2)}},
    "name": "net",
    "betas": (0.9, 0.999),
    "flag": np.bool_(True),
    "none": None,
}


def _fuzzed(tmp_path_factory, edits, cut):
    path = tmp_path_factory.mktemp("fuzz") / "ckpt.npz"
    minigrad.save(STATE, path)
    data = bytearray(path.read_bytes())
    for where, value in edits:
        data[where % len(data)] = value
    path.write_bytes(bytes(data[: len(data) - cut]))
    return path


@settings(max_examples=150)
@given(
    st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), min_size=1, max_size=4),
    st.integers(0, 3) | st.just(0),
)
def test_fuzzed_checkpoint_loads_as_saved_or_raises_checkpoint_error(tmp_path_factory, edits, cut):
    path = _fuzzed(tmp_path_factory, edits, cut)
    try:
        loaded = minigrad.load(path)
    except CheckpointError as e:
        assert "ckpt.npz" in str(e)
    else:
        assert_same(loaded, STATE)


@settings(max_examples=150)
@given(st.data())
def test_fuzzed_members_with_valid_crcs_raise_only_checkpoint_error(tmp_path_factory, data):
    # Damage inside a member with its CRC recomputed reaches the header and manifest
    # parsers; whatever comes back, nothing but CheckpointError may escape.
    path = tmp_path_factory.mktemp("fuzz") / "ckpt.npz"
    minigrad.save(STATE, path)
    with zipfile.ZipFile(path) as z:
        members = {n: bytearray(z.read(n)) for n in z.namelist()}
    name = data.draw(st.sampled_from(sorted(members)))
    member = members[name]
    for _ in range(data.draw(st.integers(1, 4))):
        where = data.draw(st.integers(0, min(len(member), 200) - 1))
        member[where] = data.draw(st.integers(0, 255) | st.sampled_from(b"()[]{}'\",:0123456789"))
    npz(path, {n: bytes(m) for n, m in members.items()})
    try:
        minigrad.load(path)
    except CheckpointError as e:
        assert "ckpt.npz" in str(e)
