"""`rnn dynamics` and the dynamics job: arguments, bad input, a checkpoint of each kind,
the table and the pictures; `rnn task --save` writes what it reads."""

from __future__ import annotations

import numpy as np
import pytest

from rnn.app import cli
from rnn.app import dynamics as study

TEXT = "the quick brown fox jumps over the lazy dog. " * 20


def _one_line_error(capsys, status: int, fragment: str, code: int = 1) -> None:
    captured = capsys.readouterr()
    assert status == code, captured
    assert captured.err.startswith("rnn: error: ") and captured.err.count("\n") == 1, captured.err
    assert fragment in captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["dynamics", "--cell", "transformer"],
        ["dynamics", "--hidden", "0"],
        ["dynamics", "--scale", "-1"],
        ["dynamics", "--init", "xavier"],
        ["dynamics", "--k", "0"],
    ],
)
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert "rnn dynamics" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message", "code"),
    [
        (["--T", "1"], "at least 2", 2),
        (["--hidden", "4", "--k", "5"], "--k 5 is larger than the state size D = 4", 2),
        (
            ["--checkpoint", "x.npz", "--cell", "gru"],
            "drop --cell, --hidden, --init and --scale",
            2,
        ),
        (
            ["--checkpoint", "x.npz", "--hidden", "4"],
            "drop --cell, --hidden, --init and --scale",
            2,
        ),
        (
            ["--hidden", "4", "--T", "8", "--scale", "1.7e308"],
            "overflows float64 with the recurrent weights scaled by 1.7e+308; use a smaller "
            "--scale",
            1,
        ),
        (["--checkpoint", "no/such.npz"], "no/such.npz: no such checkpoint", 1),
    ],
)
def test_options_that_do_not_fit(argv, message, code, capsys):
    _one_line_error(capsys, cli.main(["dynamics", "--starts", "2", *argv]), message, code)


def test_saturated_tanh_cell_has_zero_jacobians(capsys):
    """W_hh x 1e250 saturates every tanh after the first step, so every J_t after it is
    exactly 0: exponents and the product's log σ are -inf. Before, the product's norm,
    taken from its squares, overflowed and the command reported an overflow instead."""
    argv = ["dynamics", "-q", "--hidden", "4", "--T", "8", "--starts", "2", "--scale", "1e250"]
    assert cli.main(argv) == 0
    row = capsys.readouterr().out.splitlines()[3].split()
    assert row[:3] == ["rnn", "default", "x1e+250"]
    assert row[4:7] == ["-inf", "-inf", "-inf"] and row[8] == "-inf"


def test_diverging_trajectory_is_one_line(capsys):
    argv = ["dynamics", "--cell", "irnn", "--hidden", "4", "--T", "3000", "--scale", "1.5"]
    _one_line_error(capsys, cli.main([*argv, "--starts", "2"]), "trajectory is not finite")


def test_not_a_checkpoint(tmp_path, capsys):
    path = tmp_path / "junk.npz"
    path.write_bytes(b"not a zip")
    _one_line_error(capsys, cli.main(["dynamics", "--checkpoint", str(path)]), "junk.npz")


def test_table_and_pictures(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "pics"
    argv = ["dynamics", "--cell", "gru", "--hidden", "6", "--T", "30", "--starts", "8"]
    assert cli.main([*argv, "--init", "orthogonal", "--scale", "0.5", "-o", str(out), "-q"]) == 0
    captured = capsys.readouterr()
    row = next(line for line in captured.out.splitlines() if line.startswith("gru orthogonal"))
    assert " 6 " in row and "stable" in row
    for name in ("spectrum.png", "products.png", "fixed_points.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
        assert f"wrote {out / name}" in captured.err


def test_an_output_that_is_not_a_folder_is_refused_as_by_the_other_commands(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    afile = tmp_path / "afile"
    afile.write_text("x")
    argv = ["dynamics", "--hidden", "2", "--T", "3", "--starts", "2", "-q", "-o"]
    _one_line_error(capsys, cli.main([*argv, str(afile)]), f"-o {afile}: is a file, not a folder")
    status = cli.main([*argv, str(afile / "pics")])
    _one_line_error(capsys, status, f"-o {afile / 'pics'}: cannot write there ({afile} is a file")
    assert afile.read_text() == "x"


def test_pictures_on_a_full_disk_leave_no_partial_file(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    import errno

    from rnn.app import dynamics_plots

    def full_disk(analyses, path):
        with open(path, "w") as f:
            f.write("\x89PNG")  # a partial file, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setitem(dynamics_plots.FIGURES, "spectrum.png", full_disk)
    out = tmp_path / "pics"
    argv = ["dynamics", "--hidden", "2", "--T", "3", "--starts", "2", "-q", "-o", str(out)]
    message = f"cannot write {out / 'spectrum.png'}: No space left on device"
    _one_line_error(capsys, cli.main(argv), message)
    assert not out.exists()  # no partial file, and the folder the run made is gone


def test_remedies_set_the_recurrent_weights():
    s = study.build("lstm", 5, 4, init="orthogonal", scale=0.5)
    w = s.layer.weight_hh_l0.data
    for block in np.split(w, 4):
        np.testing.assert_allclose(block @ block.T, 0.25 * np.eye(5), atol=1e-6)
    irnn = study.build("irnn", 3, 4, scale=0.9)
    np.testing.assert_allclose(irnn.layer.weight_hh_l0.data, 0.9 * np.eye(3), atol=1e-7)


def test_analysis_of_a_contracting_cell():
    s = study.build("rnn", 6, 40, init="orthogonal", scale=0.5)
    a = study.analyse(s, starts=4)
    # |tanh'| <= 1 and W_hh = 0.5 Q: every exponent is below log 0.5
    assert a.exponents.shape == (6,) and a.exponents[0] <= np.log(0.5) + 1e-9
    assert np.all(a.products.log_singular_values[:, 0] <= a.products.distances * np.log(0.5) + 1e-9)
    assert a.gradient_norms[0] == 1.0 and a.gradient_norms[-1] < 0.5**30
    assert len(a.fixed.points) == 1 and a.fixed.stable.all()


def test_task_checkpoint_round_trip(tmp_path, capsys):
    path = tmp_path / "adding.npz"
    argv = ["task", "adding", "--cell", "gru", "--T", "6", "--hidden", "5", "--steps", "3"]
    assert cli.main([*argv, "--batch", "2", "--save", str(path), "-q"]) == 0
    assert f"model saved to {path}" in capsys.readouterr().out
    assert cli.main(["dynamics", "--checkpoint", str(path), "--T", "20", "--starts", "4"]) == 0
    out = capsys.readouterr().out
    assert "gru (adding)" in out and "fixed point 0" in out


def test_pictures_never_replace_the_checkpoint(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "spectrum.png"  # a checkpoint by the name of a picture -o writes
    argv = ["task", "adding", "--cell", "gru", "--T", "6", "--hidden", "3", "--steps", "1"]
    assert cli.main([*argv, "--batch", "2", "--save", str(path), "-q"]) == 0
    saved = path.read_bytes()
    capsys.readouterr()
    argv = ["dynamics", "--checkpoint", str(path), "--T", "5", "--starts", "2", "-q", "-o"]
    message = f"-o {path} is also the --checkpoint ({path}): spectrum.png would replace it"
    _one_line_error(capsys, cli.main([*argv, str(tmp_path)]), message, code=2)
    assert path.read_bytes() == saved
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spectrum.png"]


def test_a_sequence_too_long_for_memory_is_refused_before_the_analysis(tmp_path, capsys):
    # T = 10⁶ step Jacobians of an LSTM with D = 256 are 977 GB: they were built
    # chunk by chunk until the machine ran out of memory
    argv = ["dynamics", "--cell", "lstm", "--hidden", "128", "--T", "1000000", "-q"]
    message = "the analysis (--T 1000000, state size D = 256, --starts 64) needs about"
    _one_line_error(capsys, cli.main(argv), message)
    path = tmp_path / "adding.npz"
    argv = ["task", "adding", "--cell", "gru", "--T", "6", "--hidden", "64", "--steps", "1"]
    assert cli.main([*argv, "--batch", "2", "--save", str(path), "-q"]) == 0
    capsys.readouterr()
    argv = ["dynamics", "--checkpoint", str(path), "--T", "1000000", "-q"]
    _one_line_error(capsys, cli.main(argv), "--T 1000000, state size D = 64")


def test_copy_task_checkpoint(tmp_path):
    path = tmp_path / "copy.npz"
    argv = ["task", "copy", "--cell", "lstm", "--T", "3", "--hidden", "4", "--steps", "2"]
    assert cli.main([*argv, "--batch", "2", "--save", str(path), "-q"]) == 0
    s = study.from_checkpoint(str(path), 5)
    assert s.x.shape == (5 + 20, study.GRADIENT_BATCH, 10) and s.layer.hidden_size == 4
    assert study.analyse(s, k=3, starts=2).exponents.shape == (3,)


def test_char_model_checkpoint(tmp_path, capsys):
    data = tmp_path / "text.txt"
    data.write_text(TEXT, encoding="utf-8")
    ckpt = tmp_path / "lm.npz"
    tiny = ["--hidden", "6", "--seq-len", "8", "--batch", "3", "--steps", "2", "--quiet"]
    assert cli.main(["train", "--data", str(data), *tiny, "--checkpoint", str(ckpt)]) == 0
    capsys.readouterr()
    assert cli.main(["dynamics", "--checkpoint", str(ckpt), "--T", "12", "--starts", "3"]) == 0
    assert "char-lstm" in capsys.readouterr().out
    two = tmp_path / "two.npz"
    assert (
        cli.main(["train", "--data", str(data), *tiny, "--layers", "2", "--checkpoint", str(two)])
        == 0
    )
    capsys.readouterr()
    _one_line_error(capsys, cli.main(["dynamics", "--checkpoint", str(two)]), "has 2 layers")
