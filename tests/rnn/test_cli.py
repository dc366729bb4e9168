"""The command line: help for every subcommand, argument errors, expected errors, demo."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from rnn import cli

SUBCOMMANDS = sorted(cli._COMMANDS)


def test_there_are_subcommands():
    assert "demo" in SUBCOMMANDS


def test_top_level_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: rnn")
    for name in SUBCOMMANDS:
        assert name in out


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_subcommand_help(name, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([name, "--help"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: rnn {name}")


def test_unknown_subcommand_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["no-such-command"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_missing_subcommand_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([])
    assert exc.value.code == 2
    assert "rnn: error:" in capsys.readouterr().err


def test_bad_option_value_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["demo", "--dtype", "int8"])
    assert exc.value.code == 2


def test_cli_error_is_one_line_and_exit_1(monkeypatch, capsys):
    def fail(args: argparse.Namespace) -> None:
        raise cli.CLIError("no such file: x.npz")

    monkeypatch.setitem(cli._COMMANDS, "fail", cli._Command("fail", "always fails", fail, None))
    assert cli.main(["fail"]) == 1
    captured = capsys.readouterr()
    assert captured.err == "rnn: error: no such file: x.npz\n"
    assert captured.out == ""


def test_python_dash_m_rnn_help():
    result = subprocess.run(
        [sys.executable, "-m", "rnn", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: rnn")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_demo_prints_gradients(dtype, capsys):
    minigrad = pytest.importorskip("minigrad")
    if not hasattr(minigrad, "tensor"):
        pytest.skip("minigrad.tensor is not available yet")
    assert cli.main(["demo", "--dtype", dtype]) == 0
    out = capsys.readouterr().out
    assert "dy/da =" in out
    assert "dy/dw =" in out
    error = float(out.rsplit("=", 1)[1])
    assert error < (1e-5 if dtype == "float32" else 1e-12)
