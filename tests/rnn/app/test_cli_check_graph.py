"""The `check` and `graph` subcommands: the autodiff-vs-manual table and the unrolled
graph, with their argument errors."""

from __future__ import annotations

import shutil

import pytest
from clitools import exits_2, one_line_error

from rnn.app import cli

# --- check --------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_check_prints_the_table_and_matches(cell, dtype, capsys):
    assert cli.main(["check", "--cell", cell, "--dtype", dtype]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"autodiff vs manual BPTT: {cell.upper()}, {dtype}")
    assert "weight_hh_l0" in out and out.rstrip().endswith("result: MATCH")


def test_check_with_lengths_and_sizes(capsys):
    argv = ["check", "--cell", "gru", "--steps", "5", "--batch", "3", "--hidden", "2"]
    assert cli.main([*argv, "--input", "4", "--lengths", "5", "2", "1"]) == 0
    out = capsys.readouterr().out
    assert "dx            5x3x4" in out and "result: MATCH" in out


def test_check_mismatch_exits_1(capsys):
    # No float64 computation agrees to 1e-300: the report must say MISMATCH.
    assert cli.main(["check", "--cell", "lstm", "--tol", "1e-300"]) == 1
    assert capsys.readouterr().out.rstrip().endswith("result: MISMATCH")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--lengths", "3"], "one length per batch entry: 2, got 1"),
        (["--lengths", "3", "9"], "9 is longer than --steps 6"),
    ],
)
def test_check_bad_lengths(argv, message, capsys):
    one_line_error(capsys, cli.main(["check", *argv]), message, code=2)


@pytest.mark.parametrize("argv", [["--cell", "elman"], ["--steps", "0"], ["--lengths", "0", "1"]])
def test_check_bad_arguments(argv, capsys):
    exits_2(["check", *argv], capsys)


# --- graph ---------------------------------------------------------------------------------


def test_graph_writes_dot_and_svg(tmp_path, capsys):
    dot = tmp_path / "lstm.dot"
    assert cli.main(["graph", "--cell", "lstm", "--steps", "3", "-o", str(dot)]) == 0
    source = dot.read_text()
    assert source.count('label="t=') >= 3 and "weight_hh_l0" in source
    assert "wrote" in capsys.readouterr().out
    if shutil.which("dot"):
        svg = tmp_path / "gru.svg"
        assert cli.main(["graph", "--cell", "gru", "--grads", "--collapse", "-o", str(svg)]) == 0
        assert svg.read_text().lstrip().startswith(("<?xml", "<svg"))


def test_graph_bad_input_is_one_line(tmp_path, capsys):
    assert (
        cli.main(["graph", "--cell", "rnn", "--steps", "3000", "-o", str(tmp_path / "g.dot")]) == 1
    )
    err = capsys.readouterr().err
    assert err.startswith("rnn: error:") and "--collapse" in err and "Traceback" not in err
    assert "more than --max-nodes 2000" in err and "max_nodes" not in err
    # a file name whose format cannot be told is a usage error, as for gradflow -o
    assert cli.main(["graph", "-o", str(tmp_path / "g.txt")]) == 2
    err = capsys.readouterr().err  # names the file asked for, not a temporary one
    assert err.startswith(f"rnn: error: -o {tmp_path / 'g.txt'}: cannot tell the format; ")
    with pytest.raises(SystemExit) as e:
        cli.main(["graph", "--steps", "0"])
    assert e.value.code == 2
