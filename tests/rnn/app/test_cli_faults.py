"""Faults a user can cause, and what the command line does about them: nothing is lost,
nothing is a traceback, and every message says what happened and what to do."""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import subprocess
import sys

import numpy as np
import pytest
from clitools import TINY, exits_2, one_line_error, train

import minigrad
import rnn
from rnn.app import cli
from rnn.app.train import Trainer


@pytest.fixture
def checkpoint(text_file, tmp_path):
    """A 4-step run's checkpoint (evaluated and saved at steps 2 and 4)."""
    path = tmp_path / "c.npz"
    assert train(text_file, path, "--steps", "4") == 0
    return path


# --- nothing lost ---------------------------------------------------------------------


def test_divergence_never_overwrites_the_last_good_checkpoint(checkpoint, capsys):
    good = checkpoint.read_bytes()
    capsys.readouterr()
    argv = ["train", "--resume", str(checkpoint), "--steps", "8", "--eval-every", "1"]
    status = cli.main([*argv, "--lr", "1e300", "--clip", "0", "-q"])
    one_line_error(
        capsys, status, "weights became NaN or infinite after the update at step 5",
        f"{checkpoint} (step 4), left as it was", "were not saved",
    )  # fmt: skip
    assert checkpoint.read_bytes() == good


def test_ctrl_c_names_the_last_checkpoint_and_how_to_resume(checkpoint, monkeypatch, capsys):
    calls = {"n": 0}
    step = Trainer.train_step

    def interrupted(self):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return step(self)

    monkeypatch.setattr(Trainer, "train_step", interrupted)
    capsys.readouterr()
    status = cli.main(["train", "--resume", str(checkpoint), "--steps", "10", "-q"])
    err = capsys.readouterr().err
    assert status == 130
    assert err.startswith("rnn: interrupted: the last checkpoint is ")
    assert f"(step 6); continue with: rnn train --resume {checkpoint}" in err


# --- checkpoints that do not fit their model ----------------------------------------


def tampered(checkpoint, tmp_path, change) -> str:
    state = minigrad.load(checkpoint)
    change(state)
    path = tmp_path / "tampered.npz"
    minigrad.save(state, path)
    return str(path)


def _wrong_weight(s):
    s["model"]["head.weight"] = np.zeros((3, 3), np.float32)


def _vocabulary_not_text(s):
    s["vocabulary"] = np.arange(5)


def _carry_wrong_shape(s):
    s["carry"] = [np.zeros((1, 2, 5), np.float32)] * 2


def _huge_hidden(s):
    s["config"]["hidden"] = 10**12


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_wrong_weight, "does not fit"),
        (_vocabulary_not_text, "vocabulary is not a string"),
        (_carry_wrong_shape, "carried state"),
        (_huge_hidden, "more than the"),
    ],
    ids=["weight shape", "vocabulary", "carry", "hidden 1e12"],
)
def test_checkpoint_contents_that_do_not_fit_are_one_line_errors(
    checkpoint, tmp_path, capsys, change, message
):
    path = tampered(checkpoint, tmp_path, change)
    capsys.readouterr()
    status = cli.main(["train", "--resume", path, "--steps", "6", "-q"])
    one_line_error(capsys, status, message)
    if change is not _carry_wrong_shape:  # sampling does not read the carried state
        one_line_error(capsys, cli.main(["sample", path, "--length", "3"]), message)


# --- user mistakes: never a traceback -------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--hidden", "99999999999", "-q"],
        ["check", "--hidden", "100000"],
        ["task", "adding", "--batch", "1000000000", "-q"],
        ["graph", "--hidden", "10000000", "-o", "g.dot"],
        ["gradflow", "--hidden", "10000000", "--json"],
        ["dynamics", "--hidden", "10000000", "-q"],
    ],
    ids=lambda a: a[0],
)
def test_sizes_too_large_for_memory_are_refused_in_one_line(argv, text_file, capsys):
    if argv[0] == "train":
        argv = [*argv, "--data", str(text_file), "--checkpoint", str(text_file) + ".npz"]
    one_line_error(capsys, cli.main(argv), "of memory, more than the", "use smaller sizes")


def test_devices_and_pipes_are_refused_as_text(tmp_path, capsys, checkpoint):
    argv = ["train", "--data", "/dev/zero", *TINY, "--checkpoint", str(tmp_path / "z.npz")]
    one_line_error(capsys, cli.main(argv), "/dev/zero: not a regular file")
    one_line_error(capsys, cli.main(["sample", "/dev/zero"]), "not a regular file")
    path = tampered(checkpoint, tmp_path, lambda s: s["config"].__setitem__("data", "/dev/zero"))
    status = cli.main(["train", "--resume", path, "--steps", "6", "-q"])
    one_line_error(capsys, status, "/dev/zero: not a regular file")


def test_an_unwritable_out_is_refused_before_training(text_file, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    argv = ["train", "--data", str(text_file), *TINY, "--out", str(blocker / "run")]
    err = one_line_error(capsys, cli.main(argv), "--out", "cannot write there")
    assert "steps of" not in capsys.readouterr().out + err  # training never started


def test_gradflow_output_is_checked_before_measuring(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    argv = ["gradflow", "--T", "4", "--hidden", "2", "--models", "gru", "-o"]
    one_line_error(capsys, cli.main([*argv, str(blocker / "g.png")]), "-o", "cannot write")


@pytest.mark.parametrize(
    "argv",
    [
        ["gradflow", "--T", "3", "--hidden", "2", "--train-steps", "0", "--models", "tanh"],
        ["dynamics", "--T", "3", "--hidden", "2", "-q"],
    ],
)
def test_a_home_without_room_for_matplotlib_is_no_failure_line(argv, tmp_path):
    """With a HOME Matplotlib cannot keep its folder in (HOME unset for a user whose home
    does not exist, a read-only home), a failure of -o is one line on stderr, and a plot
    is written without a word of Matplotlib's."""
    pytest.importorskip("matplotlib")
    home = tmp_path / "home"
    home.write_text("")  # a file: no folder can be made in it
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MPL", "XDG_"))}
    env.update(HOME=str(home), PYTHONPATH=os.pathsep.join(sys.path))
    blocked = tmp_path / "file"
    blocked.write_text("")
    fails = [*argv, "-o", str(blocked / ("x.png" if argv[0] == "gradflow" else "d"))]
    result = subprocess.run(
        [sys.executable, "-m", "rnn", *fails], capture_output=True, text=True, env=env
    )
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("rnn: error: -o ")
    out = str(tmp_path / ("x.png" if argv[0] == "gradflow" else "d"))
    result = subprocess.run(
        [sys.executable, "-m", "rnn", *argv, "-o", out], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    assert "Matplotlib" not in result.stderr and "mkdir" not in result.stderr


def test_graph_on_a_full_disk_leaves_no_partial_file(tmp_path, monkeypatch, capsys):
    from minigrad import viz

    def full_disk(picture, path):
        with open(path, "w") as f:
            f.write("digraph {")  # a partial file, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(viz, "save", full_disk)
    target = tmp_path / "g.dot"
    target.write_text("the previous picture")
    one_line_error(capsys, cli.main(["graph", "-o", str(target)]), "No space left on device")
    assert target.read_text() == "the previous picture"
    assert [p.name for p in tmp_path.iterdir()] == ["g.dot"]


@pytest.mark.parametrize(
    "name", ["train", "sample", "check", "graph", "demo", "gradflow", "dynamics"]
)
def test_a_negative_seed_is_a_usage_error_naming_seed(name, capsys):
    argv = [name, "--seed", "-1"] if name != "sample" else [name, "c.npz", "--seed", "-1"]
    assert "argument --seed: must be >= 0, got -1" in exits_2(argv, capsys)


def test_train_will_not_replace_another_runs_checkpoint(text_file, checkpoint, capsys):
    good = checkpoint.read_bytes()
    capsys.readouterr()
    one_line_error(
        capsys, train(text_file, checkpoint, "--steps", "2"),
        f"{checkpoint} already holds a checkpoint of another run (step 4)",
        f"--resume {checkpoint}", "--force",
    )  # fmt: skip
    assert checkpoint.read_bytes() == good
    assert train(text_file, checkpoint, "--steps", "2", "--force") == 0
    assert minigrad.load(checkpoint)["step"] == 2


def test_task_stops_on_divergence_like_train(capsys):
    argv = ["task", "adding", "--T", "5", "--hidden", "4", "--steps", "5", "--batch", "2"]
    status = cli.main([*argv, "--lr", "1e300", "--clip", "0", "--log-every", "1", "-q"])
    out = capsys.readouterr().out
    assert status == 1 and "nan" not in out
    captured_status = cli.main([*argv, "--lr", "1e300", "--clip", "0", "-q"])
    one_line_error(capsys, captured_status, "training stopped", "NaN or infinite", "lower --lr")


def test_demo_out_naming_a_file_says_it_is_not_a_folder_before_training(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    err = one_line_error(capsys, cli.main(["demo", "--out", str(afile), "-q"]))
    assert err == f"rnn: error: --out {afile}: is a file, not a folder\n"
    assert afile.read_text() == "x"


def _rnn_into_a_closed_pipe(*argv: str) -> subprocess.CompletedProcess:
    """``python -m rnn argv`` writing into a pipe whose reader has gone (as ``| head``
    leaves it): the read end is closed before the command starts."""
    read, write = os.pipe()
    os.close(read)
    try:
        return _rnn_writing_into(write, *argv)
    finally:
        os.close(write)


def _rnn_writing_into(stdout: int, *argv: str, **env: str) -> subprocess.CompletedProcess:
    """``python -m rnn argv`` with its stdout on the file descriptor ``stdout``."""
    root = os.path.dirname(os.path.dirname(rnn.__file__))
    path = os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "rnn", *argv],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": path, **env},
        check=False,
    )


def test_output_into_a_closed_pipe_ends_quietly_with_status_1(checkpoint):
    # While the command prints (a long sample), and at the last flush (a short one).
    for length in ("100000", "5"):
        argv = ["sample", str(checkpoint), "--length", length]
        result = _rnn_into_a_closed_pipe(*argv)
        assert (result.returncode, result.stderr) == (1, ""), (argv, result.stderr)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_output_onto_a_full_disk_is_one_line_naming_stdout_and_status_1(checkpoint):
    # While the command prints (a long sample, or every write when unbuffered), at the
    # last flush (a short one), and in argparse's help (which ignores OSError itself).
    runs = [["sample", str(checkpoint), "--length", n] for n in ("100000", "5")] + [["--help"]]
    expected = (1, "rnn: error: cannot write to stdout: No space left on device\n")
    with open("/dev/full", "w") as full:
        for argv in runs:
            for unbuffered in ("", "1"):
                result = _rnn_writing_into(full.fileno(), *argv, PYTHONUNBUFFERED=unbuffered)
                assert (result.returncode, result.stderr) == expected, (argv, unbuffered)


class FailingStdout:
    """A stdout whose writes fail with an I/O error (a disk or terminal gone bad) from
    the first line of training progress on."""

    def __init__(self) -> None:
        self.failing = False

    def write(self, s: str) -> int:
        self.failing = self.failing or s.startswith("step ")
        if self.failing:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return len(s)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def test_stdout_failing_during_training_is_not_taken_for_the_checkpoint(
    text_file, tmp_path, monkeypatch, capsys
):
    stdout = FailingStdout()
    monkeypatch.setattr(sys, "stdout", stdout)
    status = train(text_file, tmp_path / "c.npz", "--steps", "4")
    assert stdout.failing  # inside the training loop, where the checkpoint is written
    err = one_line_error(capsys, status)
    assert err == f"rnn: error: cannot write to stdout: {os.strerror(errno.EIO)}\n"
    assert "checkpoint" not in err


def test_a_short_task_reports_its_times_in_tenths(capsys):
    argv = ["task", "adding", "--T", "5", "--hidden", "4", "--steps", "5", "--batch", "2", "-q"]
    assert cli.main(argv) == 0
    times = re.search(r"5 steps: (\S+) s wall, (\S+) s CPU", capsys.readouterr().out)
    assert times, "no times line"
    for value in times.groups():  # a few hundredths of a second: never "0 s"
        assert "." in value and float(value) > 0, times.group(0)


def test_files_the_commands_write_get_the_modes_open_gives(tmp_path, capsys):
    # 0o666 less the umask for a new file; an existing file keeps its mode.
    pytest.importorskip("matplotlib")
    task = ["task", "adding", "--T", "4", "--hidden", "4", "--steps", "2", "--batch", "2", "-q"]
    gradflow = ["gradflow", "--T", "4", "--hidden", "2", "--train-steps", "0", "--models", "gru"]
    runs = {
        "unrolled.dot": ["graph", "--cell", "lstm", "--steps", "3", "-o"],
        "add.json": [*task, "--history"],
        "gf.png": [*gradflow, "-o"],
        "model.npz": [*task, "--save"],
    }
    old = os.umask(0o022)
    try:
        for name, argv in runs.items():
            assert cli.main([*argv, str(tmp_path / name)]) == 0, name
        written = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
        assert written == dict.fromkeys(runs, 0o644)
        for name, argv in runs.items():
            (tmp_path / name).chmod(0o640)
            assert cli.main([*argv, str(tmp_path / name)]) == 0, name
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o640, name
    finally:
        os.umask(old)
    capsys.readouterr()


# --- polish ---------------------------------------------------------------------------


def test_help_lists_model_names_and_defaults(capsys):
    with pytest.raises(SystemExit):
        cli.main(["gradflow", "--help"])
    out = "".join(capsys.readouterr().out.split())  # argparse wraps at hyphens
    assert "models:tanh,tanh-orth-0.5,tanh-orth-1.0,tanh-orth-1.5,irnn,lstm,gru" in out
    with pytest.raises(SystemExit):
        cli.main(["graph", "--help"])
    assert "refuse larger full graphs (default: 2000)" in " ".join(capsys.readouterr().out.split())


class FlushRecorder:
    """A stdout that remembers what had been written at each flush."""

    def __init__(self) -> None:
        self.text, self.flushed = "", []

    def write(self, s: str) -> int:
        self.text += s
        return len(s)

    def flush(self) -> None:
        self.flushed.append(self.text)

    def isatty(self) -> bool:
        return False


def test_without_a_terminal_each_evaluation_line_is_written_at_once(
    text_file, tmp_path, monkeypatch
):
    out = FlushRecorder()
    monkeypatch.setattr(sys, "stdout", out)
    assert train(text_file, tmp_path / "c.npz", "--steps", "4") == 0
    for step in (2, 4):
        line = next(line for line in out.text.splitlines() if line.startswith(f"step      {step}"))
        assert any(line in seen and "wrote" not in seen for seen in out.flushed), line


def test_progress_counts_steps_everywhere(capsys):
    from rnn.app import gradflow, tasks

    tasks.train_task("adding", "gru", 4, hidden=3, steps=3, batch=2, log=lambda s: None)
    gradflow.measure(T=4, hidden=3, train_steps=2, models=["gru"], bars=True)
    err = capsys.readouterr().err
    assert "adding gru T=4" in err and "gru trained" in err and "gru trained+clip" in err
    assert "step/s" in err or "s/step" in err
    assert "it/s" not in err and "s/it" not in err


def test_demo_says_why_pictures_are_missing_and_shows_raw_samples(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda name: None)  # no Graphviz `dot`
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # no matplotlib
    data = tmp_path / "text.txt"
    data.write_text("def f(x):\n    return x\n" * 300, encoding="utf-8")
    argv = ["demo", "--steps", "2", "--hidden", "8", "--data", str(data), "-q"]
    assert cli.main([*argv, "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "note: unrolled.dot instead of unrolled.svg" in out and "apt-get install graphviz" in out
    assert "note: gradflow.txt without gradflow.png" in out and "pip install" in out
    before = out.split("Before training", 1)[1].split("After", 1)[0]
    assert "sample:\ndef " in before and "\\n" not in before  # raw text, as after training


# Raises KeyboardInterrupt when the engine is imported, as a Ctrl-C pressed while the
# command line loads would; then starts `python -m rnn` as the interpreter does.
_CTRL_C_DURING_IMPORTS = """
import runpy, sys

class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == "minigrad":
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, CtrlC())
sys.argv = ["rnn", "train", "--help"]
runpy.run_module("rnn", run_name="__main__", alter_sys=True)
"""


def test_ctrl_c_while_the_command_line_imports_is_a_clean_exit_130():
    result = subprocess.run(
        [sys.executable, "-c", _CTRL_C_DURING_IMPORTS],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 130, result.stderr
    assert result.stderr == "rnn: interrupted\n"
    assert result.stdout == ""


def test_import_rnn_alone_does_not_import_the_engine():
    code = "import sys, rnn; print('minigrad' in sys.modules, rnn.LSTM.__name__)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.stdout.split() == ["False", "LSTM"], result.stderr


@pytest.mark.parametrize("argv", [["train"], ["sample"], ["task", "copy"], ["demo"]])
def test_an_unknown_option_shows_the_subcommands_usage(argv, capsys):
    name = argv[0]
    err = exits_2([*argv, "--bogus"], capsys)
    assert err.startswith(f"usage: rnn {name} ")
    assert f"rnn {name}: error: unrecognized arguments: --bogus" in err


def test_an_unknown_option_before_the_subcommand_shows_the_top_usage(capsys):
    err = exits_2(["--bogus", "train"], capsys)
    assert err.startswith("usage: rnn [-h]") and "rnn: error: unrecognized arguments" in err


def test_sample_needs_at_least_one_character(checkpoint, capsys):
    err = exits_2(["sample", str(checkpoint), "--length", "0"], capsys)
    assert "argument --length: must be > 0, got 0" in err


def test_a_text_too_short_names_the_options_of_the_command_run(tmp_path, capsys):
    text = tmp_path / "short.txt"
    text.write_text("hello world\n")
    status = cli.main(["demo", "--data", str(text), "--out", str(tmp_path / "out"), "-q"])
    err = one_line_error(capsys, status, "is too short for the demo's 32 streams of 64 characters")
    assert "--batch" not in err.split("(give")[0] and "needs at least 2081" in err
    status = cli.main(["train", "--data", str(text), "--checkpoint", str(tmp_path / "c.npz")])
    one_line_error(capsys, status, "(10 characters) is too short for --batch 32 x --seq-len 64")


def test_one_file_under_two_names_is_given_twice(text_file, tmp_path, capsys):
    link = tmp_path / "link.txt"
    link.symlink_to(text_file)
    other = tmp_path / "other.txt"
    other.write_text(text_file.read_text())
    argv = ["train", "--data", str(text_file), str(link), str(other), "--steps", "1"]
    one_line_error(capsys, cli.main([*argv, "--out", str(tmp_path / "o")]), "given twice", code=2)
