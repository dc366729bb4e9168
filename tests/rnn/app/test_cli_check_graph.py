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
    # float32 gradients of 30 steps part by several roundings (about 5e-7 relative):
    # a tolerance of one rounding (float32's epsilon) is not met, and the report says so.
    argv = ["check", "--dtype", "float32", "--steps", "30", "--hidden", "16"]
    assert cli.main([*argv, "--tol", "1.2e-7"]) == 1
    assert capsys.readouterr().out.rstrip().endswith("result: MISMATCH")


def test_check_mismatch_names_the_rows_beyond_tolerance(capsys):
    # float64 bias gradients differ by about 5e-16 relative while every step agrees
    # within 3e-16: the report said "every step agrees" and "MISMATCH", and no more
    status = cli.main(["check", "--tol", "3e-16"])
    out = capsys.readouterr().out
    rows = [line.split() for line in out.split("max rel err\n", 1)[1].split("\n\n")[0].splitlines()]
    beyond = [f"{name} ({rel})" for name, _, _, rel in rows if float(rel) > 3e-16]
    assert status == (1 if beyond else 0)
    if beyond:
        assert f"beyond tolerance: {', '.join(beyond)}\nresult: MISMATCH" in out
    else:
        assert "beyond tolerance" not in out and out.rstrip().endswith("result: MATCH")


def test_check_step_table_shows_the_error_the_tolerance_bounds(capsys):
    assert cli.main(["check", "--cell", "gru", "--tol", "1e-6"]) == 0
    out = capsys.readouterr().out
    assert "|dL/dh_t| manual   max rel err" in out and "abs diff" not in out


@pytest.mark.parametrize(
    "tol, dtype, message",
    [
        (
            "5e-324",
            "float64",
            "--tol 5e-324 is below float64's resolution (machine epsilon 2.220446e-16)",
        ),
        ("1e-300", "float64", "--tol 1e-300 is below float64's resolution"),
        (
            "1e-8",
            "float32",
            "--tol 1e-08 is below float32's resolution (machine epsilon 1.192093e-07)",
        ),
    ],
)
def test_check_tolerance_below_one_rounding_is_a_usage_error(tol, dtype, message, capsys):
    status = cli.main(["check", "--dtype", dtype, "--tol", tol])
    one_line_error(capsys, status, message, "give --tol", code=2)


@pytest.mark.parametrize(
    "dtype, printed, bound",
    [("float64", "2.22e-16", "2.23e-16"), ("float32", "1.19e-07", "1.20e-07")],
)
def test_check_least_tolerance_it_advises_is_accepted(dtype, printed, bound, capsys):
    # the epsilon rounded to three digits (2.22e-16 < 2.220446e-16) is below it: the
    # advice gives the bound rounded up, and following it runs the check
    status = cli.main(["check", "--dtype", dtype, "--tol", printed])
    one_line_error(capsys, status, f"give --tol {bound} or more", code=2)
    assert cli.main(["check", "--dtype", dtype, "--tol", bound]) in (0, 1)
    assert capsys.readouterr().out.startswith("autodiff vs manual BPTT:")


@pytest.mark.parametrize(
    "tol, message",
    [
        ("0", "argument --tol: must be > 0, got 0"),
        ("-1e-3", "argument --tol: must be > 0, got -1e-3"),
        ("nan", "argument --tol: must be a finite number > 0, got nan"),
        ("inf", "argument --tol: must be a finite number > 0, got inf"),
        ("1e-400", "argument --tol: 1e-400 is too small for a float (the smallest is 5e-324)"),
        ("abc", "argument --tol: expected float, got 'abc'"),
    ],
)
def test_check_tolerance_that_is_no_positive_float_names_option_and_value(tol, message, capsys):
    assert message in exits_2(["check", "--tol", tol], capsys)


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
