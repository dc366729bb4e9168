"""The command line: help for every subcommand, argument errors, expected errors, and the
`train`, `sample` and `demo` jobs at tiny sizes."""

from __future__ import annotations

import argparse
import io
import math
import os
import re
import stat
import subprocess
import sys

import numpy as np
import pytest
from clitools import TEXT, TINY, exits_2, one_line_error, train

import minigrad
from rnn.app import cli, command, demo
from rnn.app.models import CharLM

SUBCOMMANDS = sorted(command.COMMANDS)


def test_there_are_subcommands():
    assert {"train", "sample", "check", "demo"} <= set(SUBCOMMANDS)


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


def test_rnn_alone_prints_the_help(capsys):
    assert cli.main([]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("usage: rnn") and "train" in captured.out
    assert captured.err == ""


def test_bad_option_value_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["check", "--dtype", "int8"])
    assert exc.value.code == 2


def test_cli_error_is_one_line_and_exit_1(monkeypatch, capsys):
    def fail(args: argparse.Namespace) -> None:
        raise cli.CLIError("no such file: x.npz")

    monkeypatch.setitem(
        command.COMMANDS, "fail", command.Command("fail", "always fails", fail, None)
    )
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


# --- train --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--cell", "transformer"], "invalid choice"),
        (["--steps", "-3"], "must be >= 0"),
        (["--hidden", "0"], "must be > 0"),
        (["--hidden", "-" + "9" * 400], "must be > 0"),  # too large for a float
        (["--lr", "nan"], "must be a finite number > 0, got nan"),
        (["--clip", "-1"], "must be >= 0"),
        (["--batch", "two"], "expected int"),
        (["--out", "a", "--checkpoint", "b"], "not allowed with"),
    ],
)
def test_train_rejects_bad_arguments(argv, message, capsys):
    assert message in exits_2(["train", *argv], capsys)


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--history", ""],  # ran the training, then a ValueError traceback
        ["train", "--checkpoint", ""],  # wrote out/train/checkpoint.npz
        ["train", "--out", ""],
        ["train", "--resume", ""],  # started a new run
        ["train", "--data", "a.txt", ""],
        ["demo", "--out", ""],  # wrote the demo's files into the current folder
        ["demo", "--data", ""],
        ["demo", "--history", ""],
        ["task", "copy", "--save", ""],  # trained, then saved nothing
        ["task", "copy", "--history", ""],
        ["gradflow", "-o", ""],  # measured, then saved no plot
        ["dynamics", "-o", ""],
        ["dynamics", "--checkpoint", ""],  # analysed a fresh cell
        ["graph", "-o", ""],
        ["sample", ""],
        ["sample", "--checkpoint", ""],
    ],
)
def test_an_empty_path_is_a_usage_error(argv, tmp_path, monkeypatch, capsys):
    """An empty path (a shell variable left unset) is refused before the run: read as the
    option not given, or as the current folder, it lost the run's output or misplaced it."""
    monkeypatch.chdir(tmp_path)
    err = exits_2(argv, capsys)
    assert "expected a path, got an empty string" in err
    assert err.strip().splitlines()[-1].startswith(f"rnn {argv[0]}: error: argument ")
    assert list(tmp_path.iterdir()) == []


def test_train_writes_a_checkpoint_and_reports_bpc(text_file, tmp_path, capsys):
    ckpt = tmp_path / "run" / "model.npz"
    assert train(text_file, ckpt, "--steps", "4") == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # no progress bar when stderr is not a terminal
    nats, bpc = map(float, re.search(r"validation (\S+) nats = (\S+) bpc", captured.out).groups())
    assert bpc == pytest.approx(nats / math.log(2), abs=1e-4)
    assert f"wrote {ckpt} (step 4)" in captured.out
    assert minigrad.load(ckpt)["step"] == 4


def test_train_says_on_a_terminal_that_it_measures_the_baselines(
    text_file, tmp_path, capsys, monkeypatch
):
    # The baselines take seconds after the last step: a terminal is told what is going on.
    from rnn.app.commands import train as train_command
    from rnn.app.progress import BASELINES_STATUS

    monkeypatch.setattr(train_command, "show_progress", lambda args: True)  # as on a terminal
    assert train(text_file, tmp_path / "a.npz", "--steps", "2") == 0
    assert BASELINES_STATUS in capsys.readouterr().err
    assert train(text_file, tmp_path / "b.npz", "--steps", "2", "--no-baselines") == 0
    assert BASELINES_STATUS not in capsys.readouterr().err


def test_train_out_folder(text_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert (
        cli.main(["train", "--data", str(text_file), *TINY, "--steps", "2", "--out", str(out)]) == 0
    )
    assert (out / "checkpoint.npz").is_file()


def test_train_and_resume_equal_one_uninterrupted_run(text_file, tmp_path, capsys):
    assert train(text_file, tmp_path / "whole.npz", "--steps", "6", "--sample-every", "3") == 0
    assert train(text_file, tmp_path / "half.npz", "--steps", "3", "--sample-every", "3") == 0
    resumed = ["train", "--resume", str(tmp_path / "half.npz"), "--steps", "6", "--quiet"]
    assert cli.main([*resumed, "--checkpoint", str(tmp_path / "rest.npz")]) == 0
    out = capsys.readouterr().out
    assert "resuming" in out and "at step 3" in out
    whole, rest = minigrad.load(tmp_path / "whole.npz"), minigrad.load(tmp_path / "rest.npz")
    assert rest["step"] == whole["step"] == 6
    for name, value in whole["model"].items():
        assert np.array_equal(value, rest["model"][name]), name
    assert rest["val_nats"] == whole["val_nats"]
    assert rest["rng"] == whole["rng"]


def test_a_run_trained_eagerly_resumes_eagerly(text_file, tmp_path, capsys):
    # The eager and the compiled step round differently: a run trained with --eager
    # and resumed as the program says (rnn train --resume PATH, no --eager) continues
    # with the eager step, bit for bit; before, it went on compiled and ended elsewhere.
    assert train(text_file, tmp_path / "whole.npz", "--steps", "6", "--eager") == 0
    assert train(text_file, tmp_path / "half.npz", "--steps", "3", "--eager") == 0
    resumed = ["train", "--resume", str(tmp_path / "half.npz"), "--steps", "6", "--quiet"]
    assert cli.main([*resumed, "--checkpoint", str(tmp_path / "rest.npz")]) == 0
    whole, rest = minigrad.load(tmp_path / "whole.npz"), minigrad.load(tmp_path / "rest.npz")
    for name, value in whole["model"].items():
        assert np.array_equal(value, rest["model"][name]), name
    assert rest["val_nats"] == whole["val_nats"]
    assert whole["config"]["eager"] is rest["config"]["eager"] is True
    assert "at step 3 (the eager step, as it was trained)" in capsys.readouterr().out


def test_eager_on_a_compiled_runs_checkpoint_is_refused(text_file, tmp_path, capsys):
    ckpt = tmp_path / "c.npz"
    assert train(text_file, ckpt, "--steps", "2") == 0
    capsys.readouterr()
    status = cli.main(["train", "--resume", str(ckpt), "--steps", "4", "--eager"])
    one_line_error(capsys, status, "trained with the compiled step", "bit for bit", code=2)
    assert minigrad.load(ckpt)["step"] == 2


def test_resume_without_out_continues_in_the_same_file(text_file, tmp_path, capsys):
    ckpt = tmp_path / "c.npz"
    assert train(text_file, ckpt, "--steps", "2") == 0
    assert cli.main(["train", "--resume", str(ckpt), "--steps", "4", "-q"]) == 0
    assert minigrad.load(ckpt)["step"] == 4


def test_resume_with_another_model_size_is_refused(text_file, tmp_path, capsys):
    ckpt = tmp_path / "c.npz"
    assert train(text_file, ckpt, "--steps", "2") == 0
    capsys.readouterr()
    status = cli.main(["train", "--resume", str(ckpt), "--hidden", "16", "--steps", "4"])
    one_line_error(capsys, status, "--hidden 16 differs from the checkpoint's 8", code=2)


def test_resume_from_a_bad_checkpoint(text_file, tmp_path, capsys):
    status = cli.main(["train", "--resume", str(text_file)])
    one_line_error(capsys, status, "not an .npz archive")


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such file"),
        (b"", "the file is empty"),
        (b"  \n\n", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8"),
        (b"text\x00with\x00nul", "looks binary"),
        (b"caf\xe9 latin-1", "not UTF-8"),
    ],
)
def test_train_bad_data_file(content, message, tmp_path, capsys):
    path = tmp_path / "data.txt"
    if content is not None:
        path.write_bytes(content)
    status = cli.main(["train", "--data", str(path), *TINY, "--out", str(tmp_path)])
    one_line_error(capsys, status, message, str(path))


def test_train_data_is_a_directory(tmp_path, capsys):
    status = cli.main(["train", "--data", str(tmp_path), *TINY])
    one_line_error(capsys, status, "is a directory")


def test_train_text_too_short_for_the_batch(text_file, tmp_path, capsys):
    status = cli.main(
        ["train", "--data", str(text_file), "--batch", "500", "--out", str(tmp_path), "-q"]
    )
    one_line_error(capsys, status, "too short for --batch 500")


def test_train_nan_stops_and_keeps_the_last_good_checkpoint(
    text_file, tmp_path, monkeypatch, capsys
):
    forward, calls = CharLM.forward, {"n": 0}

    def poisoned(self, ids, state=None):
        logits, state = forward(self, ids, state)
        if self.training:
            calls["n"] += 1
            if calls["n"] == 5:
                logits = logits * float("nan")
        return logits, state

    monkeypatch.setattr(CharLM, "forward", poisoned)
    ckpt = tmp_path / "c.npz"
    # --eager: the poison is Python run at each call, which a compiled step runs only once
    status = train(text_file, ckpt, "--steps", "10", "--eager")
    one_line_error(capsys, status, "training stopped", "step 5", f"{ckpt} (step 4)")
    saved = minigrad.load(ckpt)
    assert saved["step"] == 4
    assert all(np.isfinite(v).all() for v in saved["model"].values())


def test_train_huge_learning_rate_stops_cleanly(text_file, tmp_path, capsys):
    status = train(
        text_file, tmp_path / "c.npz", "--optim", "sgd", "--lr", "1e30", "--clip", "0",
        "--steps", "50",
    )  # fmt: skip
    one_line_error(capsys, status, "training stopped", "lower --lr", "no checkpoint had been")


# --- sample -------------------------------------------------------------------------------


def test_sample_same_seed_same_text(trained, capsys):
    argv = ["sample", str(trained), "--prime", "def ", "--length", "60"]
    texts = []
    for seed in ("7", "7", "8"):
        assert cli.main([*argv, "--seed", seed]) == 0
        texts.append(capsys.readouterr().out)
    assert texts[0] == texts[1] != texts[2]
    assert texts[0].startswith("def ") and len(texts[0]) == 4 + 60 + 1


def test_sample_checkpoint_as_option_and_temperature_zero(trained, capsys):
    argv = ["sample", "--checkpoint", str(trained), "--temperature", "0", "--length", "20"]
    assert cli.main(argv) == 0
    first = capsys.readouterr().out
    assert cli.main([*argv, "--seed", "99"]) == 0  # greedy: the seed does not matter
    assert capsys.readouterr().out == first


def test_sample_prime_outside_the_vocabulary(trained, capsys):
    status = cli.main(["sample", str(trained), "--prime", "déf"])
    one_line_error(capsys, status, "never saw: 'é'")


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such checkpoint"),
        (b"", "not an .npz archive"),
        (b"not a checkpoint", "not an .npz archive"),
        ("truncated", "corrupt or truncated"),
        ("foreign", "not a character-model checkpoint"),
    ],
)
def test_sample_bad_checkpoint(content, message, trained, tmp_path, capsys):
    path = tmp_path / "bad.npz"
    if content == "truncated":
        path.write_bytes(trained.read_bytes()[:300])
    elif content == "foreign":
        minigrad.save({"weights": np.zeros(3)}, path)
    elif content is not None:
        path.write_bytes(content)
    one_line_error(capsys, cli.main(["sample", str(path)]), message)


def test_sample_needs_a_checkpoint(capsys):
    one_line_error(capsys, cli.main(["sample"]), "which checkpoint?", code=2)


def test_sample_rejects_negative_temperature(trained, capsys):
    assert "must be >= 0" in exits_2(["sample", str(trained), "--temperature", "-1"], capsys)


# --- demo ---------------------------------------------------------------------------------


def test_demo_at_tiny_size(tmp_path, capsys):
    long_text = TEXT * 3  # the demo batches 32 streams of 64 characters
    data = tmp_path / "text.txt"
    data.write_text(long_text, encoding="utf-8")
    out = tmp_path / "demo"
    argv = ["demo", "--steps", "2", "--hidden", "8", "--data", str(data), "--out", str(out), "-q"]
    mask = os.umask(0o022)
    try:
        assert cli.main([*argv, "--history", str(out / "run.json")]) == 0
    finally:
        os.umask(mask)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()}
    assert set(modes) - {"run.json"} <= set(demo.FILES), modes  # what --history is kept from
    assert set(modes.values()) == {0o644} and len(modes) >= 5, modes  # as open() makes them
    text = capsys.readouterr().out
    before = re.search(r"Before training: validation (\S+) bits", text)
    after = re.search(r"validation (\S+) bpc", text)
    assert before and after
    assert "result: MATCH" in text
    assert f"wrote {out / 'checkpoint.npz'}" in text
    assert minigrad.load(out / "checkpoint.npz")["step"] == 2
    wrote = [line for line in text.splitlines() if line.startswith("wrote ")]
    gradflow = next(line for line in wrote if "gradflow." in line)
    assert "five untrained models of hidden size 16" in gradflow
    assert not any(re.search(r"\b[A-Z]+_[A-Z_]+\b", line) for line in wrote), wrote


def test_demo_bad_data(tmp_path, capsys):
    status = cli.main(["demo", "--data", str(tmp_path / "missing.txt"), "--out", str(tmp_path)])
    one_line_error(capsys, status, "no such file")


@pytest.mark.parametrize("name", demo.FILES)
def test_demo_never_writes_over_its_text(name, tmp_path, capsys):
    data = tmp_path / name  # the text in --out under the name of a file the demo writes
    data.write_text(TEXT * 3, encoding="utf-8")
    status = cli.main(["demo", "--data", str(data), "--out", str(tmp_path), "--steps", "2", "-q"])
    message = f"is also one of the --data files ({data})"
    one_line_error(capsys, status, message, "choose another", code=2)
    assert data.read_text(encoding="utf-8") == TEXT * 3


def test_train_zero_steps_saves_the_untrained_model(text_file, tmp_path, capsys):
    ckpt = tmp_path / "c.npz"
    assert train(text_file, ckpt, "--steps", "0") == 0
    assert "wrote" in capsys.readouterr().out
    saved = minigrad.load(ckpt)
    assert saved["step"] == 0 and saved["val_nats"] > 0


def test_resume_needs_more_steps(text_file, tmp_path, capsys):
    ckpt = tmp_path / "c.npz"
    assert train(text_file, ckpt, "--steps", "2") == 0
    capsys.readouterr()
    status = cli.main(["train", "--resume", str(ckpt), "--steps", "2"])
    one_line_error(capsys, status, "already at step 2")


def test_resume_with_the_data_moved(text_file, tmp_path, capsys):
    ckpt = tmp_path / "c.npz"
    assert train(text_file, ckpt, "--steps", "2") == 0
    moved = text_file.rename(tmp_path / "moved.txt")
    status = cli.main(["train", "--resume", str(ckpt), "--steps", "3", "-q"])
    one_line_error(capsys, status, "no such file")
    argv = ["train", "--resume", str(ckpt), "--steps", "3", "--data", str(moved), "-q"]
    assert cli.main(argv) == 0
    other = tmp_path / "other.txt"
    other.write_text(TEXT.upper(), encoding="utf-8")
    capsys.readouterr()
    argv = ["train", "--resume", str(ckpt), "--steps", "4", "--data", str(other)]
    one_line_error(capsys, cli.main(argv), "different text")


def test_sample_default_prime_for_a_one_line_text(tmp_path, capsys):
    data = tmp_path / "one.txt"
    data.write_text("abcab" * 100, encoding="utf-8")
    ckpt = tmp_path / "c.npz"
    assert train(data, ckpt, "--steps", "1") == 0
    capsys.readouterr()
    assert cli.main(["sample", str(ckpt), "--length", "5", "--seed", "0"]) == 0
    assert capsys.readouterr().out.startswith("a")


def threads_around_main(env: dict[str, str]) -> tuple[str, str]:
    """BLAS threads before and after ``rnn check`` runs in a fresh process with ``env``."""
    code = (
        "import minigrad; from rnn.app.cli import main; before = minigrad.get_num_threads(); "
        "main(['check', '--steps', '2']); print(before, minigrad.get_num_threads())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
    )
    before, after = out.stdout.split()[-2:]
    return before, after


def test_the_command_line_runs_blas_on_one_thread_unless_the_user_chose():
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    assert threads_around_main(env)[1] == "1"
    before, after = threads_around_main({**env, "OPENBLAS_NUM_THREADS": "2"})
    assert before == after  # the user's choice stands


def test_training_on_an_ascii_stdout_escapes_a_non_ascii_sample(tmp_path, monkeypatch):
    # A sample of a non-ASCII text written to a stdout that cannot encode it (an ASCII
    # or Latin-1 locale, a Windows console) is escaped, as Python writes to stderr: the
    # run goes on and writes its checkpoint (it stopped with a UnicodeEncodeError).
    text = tmp_path / "snow.txt"
    text.write_text("☃ naïve café — déjà vu\n" * 40, encoding="utf-8")
    raw = _ascii_stdout(monkeypatch)
    ckpt = tmp_path / "c.npz"
    status = train(text, ckpt, "--steps", "4", "--sample-every", "2", "--no-baselines")
    out = raw.getvalue().decode("ascii")
    assert status == 0, out
    assert minigrad.load(ckpt)["step"] == 4
    assert "--- sample at step 2 ---" in out and "--- sample at step 4 ---" in out
    assert "\\u" in out or "\\x" in out


def _ascii_stdout(monkeypatch) -> io.BytesIO:
    """An ASCII stdout (an ASCII or Latin-1 locale, a Windows console); what it was
    written is in the returned buffer (the wrapper kept alive with it)."""
    raw = io.BytesIO()
    wrapper = io.TextIOWrapper(raw, encoding="ascii", write_through=True)
    monkeypatch.setattr(sys, "stdout", wrapper)
    _KEEP.append(wrapper)  # a wrapper collected closes the buffer
    return raw


_KEEP: list[io.TextIOWrapper] = []


def test_a_non_ascii_file_name_on_an_ascii_stdout_is_escaped(tmp_path, monkeypatch):
    # The split's description names the file: escaped, not a UnicodeEncodeError traceback.
    text = tmp_path / "café.txt"
    text.write_text(TEXT, encoding="utf-8")
    raw = _ascii_stdout(monkeypatch)
    assert train(text, tmp_path / "c.npz", "--steps", "2", "--no-baselines") == 0
    assert "caf\\xe9.txt" in raw.getvalue().decode("ascii")


def test_sample_on_an_ascii_stdout_names_the_character_it_cannot_write(
    tmp_path, monkeypatch, capsys
):
    # The sample is the product: not written with escapes, but up to the character that
    # the encoding cannot hold, then one line naming it and how to write it.
    text = tmp_path / "snow.txt"
    text.write_text("ab☃" * 300, encoding="utf-8")
    ckpt = tmp_path / "c.npz"
    assert train(text, ckpt, "--steps", "2", "--no-baselines") == 0
    capsys.readouterr()
    raw = _ascii_stdout(monkeypatch)
    status = cli.main(["sample", str(ckpt), "--prime", "ab☃", "--length", "5"])
    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1, err
    assert "cannot write '☃'" in err and "PYTHONIOENCODING=utf-8" in err
    assert raw.getvalue().decode("ascii").startswith("ab")
