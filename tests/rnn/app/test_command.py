"""What every subcommand shares (:mod:`rnn.app.command`): files written with the modes
``open`` gives, output folders checked before the work, durations in reports."""

from __future__ import annotations

import contextlib
import os
import stat

import pytest

from rnn.app.command import CLIError, check_folder, format_seconds, write_atomically


@contextlib.contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_a_new_file_gets_0666_less_the_umask(tmp_path, mask):
    path = tmp_path / "out.svg"
    with umask(mask):
        write_atomically(path, lambda tmp: tmp.write_text("new"))
    assert mode(path) == 0o666 & ~mask
    assert path.read_text() == "new"


@pytest.mark.parametrize("kept", [0o644, 0o600, 0o640, 0o664])
def test_a_replaced_file_keeps_its_mode(tmp_path, kept):
    path = tmp_path / "run.json"
    path.write_text("old")
    path.chmod(kept)
    with umask(0o077):
        write_atomically(path, lambda tmp: tmp.write_text("new"))
    assert mode(path) == kept
    assert path.read_text() == "new"


def test_a_failed_write_leaves_the_file_and_no_temporary(tmp_path):
    path = tmp_path / "run.json"
    path.write_text("old")

    def fail(tmp):
        tmp.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        write_atomically(path, fail)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_a_folder_option_naming_a_file_says_so(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(CLIError) as e:
        check_folder(afile, "--out")
    assert str(e.value) == f"--out {afile}: is a file, not a folder"
    with pytest.raises(CLIError) as e:
        check_folder(afile / "run", "--out")
    assert (
        str(e.value)
        == f"--out {afile / 'run'}: cannot write there ({afile} is a file, not a folder)"
    )


def test_a_missing_folder_is_created_and_left_empty(tmp_path):
    folder = tmp_path / "a" / "b"
    assert check_folder(folder, "--out") == folder
    assert folder.is_dir() and list(folder.iterdir()) == []


@pytest.mark.parametrize(
    "seconds, text",
    [
        (0.0, "0.00 s"),
        (0.031, "0.03 s"),
        (0.4, "0.4 s"),
        (0.0951, "0.1 s"),
        (3.44, "3.4 s"),
        (9.96, "10 s"),
        (300.4, "300 s"),
    ],
)
def test_durations_keep_two_figures_below_ten_seconds(seconds, text):
    assert format_seconds(seconds) == text
