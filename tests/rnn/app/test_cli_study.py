"""The `task` and `gradflow` subcommands: arguments, bad input, output."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnn.app import cli


@pytest.mark.parametrize(
    "argv",
    [
        ["task", "sorting"],
        ["task", "adding", "--cell", "transformer"],
        ["task", "adding", "--T", "0"],
        ["task", "adding", "--steps", "-3"],
        ["task", "copy", "--lr", "0"],
        ["task", "copy", "--hidden", "many"],
        ["gradflow", "--T", "0"],
        ["gradflow", "--hidden", "-1"],
        ["gradflow", "--lr", "nan"],
        ["task", "adding", "--clip", "-1"],
        ["gradflow", "--train-steps", "-1"],
        ["gradflow", "--clip", "-0.5"],
    ],
)
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert "rnn " in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["task", "adding", "--T", "1"], "at least 2"),
        (["gradflow", "--T", "1"], "at least 2"),
        (["gradflow", "--models", "tanh,transformer"], "unknown model 'transformer'"),
        (["gradflow", "--models", ""], "--models names no model (got '')"),
        (["gradflow", "--models", " , "], "--models names no model"),
        (["gradflow", "--models", "tanh,lstm,tanh"], "--models names 'tanh' twice"),
        (["gradflow", "-o", "plot.jpeg"], "must end in .png, .svg or .pdf"),
        (["task", "adding", "--cell", "lstm", "--init", "henaff"], "--init henaff needs a square"),
        (["task", "adding", "--cell", "gru", "--orthogonal", "matrix_exp"], "--orthogonal needs"),
        (["task", "adding", "--cell", "gru", "--nonlinearity", "relu"], "--nonlinearity is for"),
        (["task", "copy", "--cell", "irnn", "--init", "chrono"], "--init chrono sets gate biases"),
        (["task", "copy", "--cell", "lstm", "--t-max", "50"], "give it with --init chrono"),
    ],
)
def test_options_that_do_not_fit_are_one_line_exit_2(argv, message, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnn: error: ") and message in err
    assert err.count("\n") == 1


def test_gradflow_without_matplotlib_says_how_to_install(monkeypatch, capsys, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import raises ImportError
    assert cli.main(["gradflow", "--T", "4", "-o", str(tmp_path / "g.png")]) == 1
    assert "pip install 'minigrad[plots]'" in capsys.readouterr().err
    assert not (tmp_path / "g.png").exists()


def test_gradflow_table(capsys):
    argv = ["gradflow", "--T", "12", "--hidden", "8", "--train-steps", "2"]
    assert cli.main([*argv, "--models", "tanh-orth-0.5,gru"]) == 0
    out = capsys.readouterr().out
    assert "T=12" in out and "ratio 1/T" in out
    rows = [line for line in out.splitlines() if line.startswith(("tanh-orth-0.5", "gru"))]
    assert len(rows) == 6  # 2 models x (init, trained, trained+clip)


@pytest.mark.parametrize("quiet", [False, True])
def test_gradflow_progress_lines_unless_quiet(quiet, capsys):
    argv = ["gradflow", "--T", "6", "--hidden", "4", "--train-steps", "1", "--models", "tanh"]
    assert cli.main([*argv, *(["--quiet"] if quiet else [])]) == 0
    err = capsys.readouterr().err
    assert ("measuring tanh" in err) is not quiet


def test_gradflow_json_and_plot(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "g.svg"
    argv = ["gradflow", "--T", "6", "--hidden", "4", "--train-steps", "0", "--json"]
    assert cli.main([*argv, "--models", "lstm", "-o", str(path)]) == 0
    # Strict JSON: NaN and Infinity are not JSON (parse_constant sees only those).
    data = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(c))
    assert data["T"] == 6 and [c["stage"] for c in data["curves"]] == ["init"]
    assert len(data["curves"][0]["norms"]) == 6
    assert path.read_text().lstrip().startswith("<?xml")


def test_task_prints_loss_against_baseline(capsys):
    argv = ["task", "copy", "--cell", "irnn", "--T", "3", "--hidden", "4", "--steps", "4"]
    assert cli.main([*argv, "--batch", "2", "--log-every", "2", "-q"]) == 0
    out = capsys.readouterr().out
    assert "final copy irnn T=3: cross-entropy per step" in out
    assert "vs baseline 0.9041" in out  # 10 ln 8 / (3 + 20)


def test_task_takes_the_orthogonal_modrelu_options(tmp_path, capsys):
    from rnn.app.cli import main

    history = tmp_path / "run.json"
    argv = ["task", "copy", "--cell", "rnn", "--nonlinearity", "modrelu", "--orthogonal",
            "matrix_exp", "--init", "henaff", "--T", "5", "--hidden", "6", "--steps", "2",
            "--log-every", "1", "--history", str(history), "-q"]  # fmt: skip
    assert main(argv) == 0
    import json

    settings = json.loads(history.read_text())["settings"]
    assert settings["orthogonal"] == "matrix_exp" and settings["nonlinearity"] == "modrelu"
    saved = tmp_path / "model.npz"
    assert main([*argv[:-3], "--save", str(saved), "-q"]) == 0
    from rnn.app.taskfile import load_task_model, read

    model, config = load_task_model(read(saved), str(saved))
    assert config["orthogonal"] == "matrix_exp" and model.rnn.nonlinearity == "modrelu"
    w = model.rnn.weight_hh_l0.numpy().astype(float)
    assert abs(w @ w.T - np.eye(6)).max() < 1e-5
    assert main(["task", "copy", "--cell", "lstm", "--orthogonal", "matrix_exp", "-q"]) == 2
    assert "--orthogonal needs a square W_hh" in capsys.readouterr().err
