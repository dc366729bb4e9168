"""What a new user of `train`, `task` and `sample` runs into: output paths checked before
the work, messages that name the right option and the way on, interrupts that say what
was kept, and samples written as they are drawn."""

from __future__ import annotations

import errno
import itertools
import os
import select
import subprocess
import sys
import time

import numpy as np
import pytest
from clitools import TEXT, exits_2, one_line_error, train

import minigrad
import rnn
from rnn.app import cli, tasks
from rnn.app import sample as sampling
from rnn.app.models import CharLM

TASK = ["task", "adding", "--cell", "rnn", "--T", "5", "--steps", "5", "--hidden", "4"]
TASK += ["--batch", "2", "-q"]


def refused_as_minigrad_save_does(errno_: int):
    """A ``minigrad.save`` that fails as it does on a folder it may not write in: the
    path is in the OSError's strerror, beside the reason."""

    def save(state, path):
        raise PermissionError(errno_, f"save: cannot write {str(path)!r}: {os.strerror(errno_)}")

    return save


# --- task --save ----------------------------------------------------------------------


def test_task_save_that_cannot_be_written_is_refused_before_training(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    err = one_line_error(capsys, cli.main([*TASK, "--save", str(blocker / "m.npz")]))
    assert err.startswith(f"rnn: error: --save {blocker / 'm.npz'}: cannot write there")
    one_line_error(capsys, cli.main([*TASK, "--save", str(tmp_path)]), "is a directory")
    assert "final" not in capsys.readouterr().out  # training never started


def test_task_save_failing_after_training_says_why_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(minigrad, "save", refused_as_minigrad_save_does(errno.EACCES))
    path = tmp_path / "m.npz"
    err = one_line_error(capsys, cli.main([*TASK, "--save", str(path)]))
    assert err == f"rnn: error: cannot save the model to {path}: Permission denied\n"


def interrupt_the_third_step(monkeypatch) -> None:
    step = tasks.train_step
    calls = itertools.count(1)

    def interrupted(*args, **kwargs):
        if next(calls) == 3:
            raise KeyboardInterrupt
        return step(*args, **kwargs)

    monkeypatch.setattr(tasks, "train_step", interrupted)


def test_task_ctrl_c_says_nothing_was_saved_and_where_it_would_go(tmp_path, monkeypatch, capsys):
    interrupt_the_third_step(monkeypatch)
    path = tmp_path / "m.npz"
    assert cli.main([*TASK, "--save", str(path)]) == 130
    err = capsys.readouterr().err
    assert err == (
        f"rnn: interrupted: nothing was saved: the model goes to {path} only once training ends\n"
    )
    assert not path.exists()
    interrupt_the_third_step(monkeypatch)
    assert cli.main(TASK) == 130
    assert (
        capsys.readouterr().err == "rnn: interrupted: the model was not saved (no --save given)\n"
    )


# --- train's output path and --resume ------------------------------------------------


def test_train_checkpoint_naming_a_folder_says_so_and_offers_nothing_that_fails(
    text_file, tmp_path, capsys
):
    folder = tmp_path / "o1"
    folder.mkdir()
    err = one_line_error(capsys, train(text_file, folder, "--steps", "2"))
    assert err == f"rnn: error: --checkpoint {folder}: is a directory, expected a file name\n"


def test_train_checkpoint_onto_a_file_that_is_no_checkpoint_offers_force_only(
    text_file, tmp_path, capsys
):
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    err = one_line_error(capsys, train(text_file, notes, "--steps", "2"), "--force")
    assert "not a checkpoint of rnn train" in err and "--resume" not in err
    assert notes.read_text() == "mine"


def test_resume_from_a_folder_names_resume(tmp_path, capsys):
    folder = tmp_path / "o1"
    folder.mkdir()
    err = one_line_error(capsys, cli.main(["train", "--resume", str(folder), "-q"]))
    assert err.startswith(f"rnn: error: --resume {folder}: is a directory")


def test_resume_on_another_text_names_the_text_it_was_trained_on(text_file, tmp_path, capsys):
    ckpt = tmp_path / "c.npz"
    assert train(text_file, ckpt, "--steps", "2") == 0
    other = tmp_path / "other.txt"
    other.write_text(TEXT.upper(), encoding="utf-8")
    capsys.readouterr()
    argv = ["train", "--resume", str(ckpt), "--steps", "4", "--data", str(other), "-q"]
    err = one_line_error(capsys, cli.main(argv), "different text")
    digest = minigrad.load(ckpt)["text_sha256"][:12]
    assert f"on {text_file} (SHA-256 {digest}), not on {other} (SHA-256 " in err


def test_a_checkpoint_that_cannot_be_written_says_why_once(
    text_file, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(minigrad, "save", refused_as_minigrad_save_does(errno.EACCES))
    path = tmp_path / "c.npz"
    err = one_line_error(capsys, train(text_file, path, "--steps", "2"))
    assert err == f"rnn: error: cannot write the checkpoint {path}: Permission denied\n"


def test_eval_every_zero_is_documented_as_at_the_end_only(text_file, tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "each followed by a checkpoint; 0: only at the end" in help_text
    assert "steps between samples; 0: none" in help_text
    assert train(text_file, tmp_path / "c.npz", "--steps", "4", "--eval-every", "0") == 0
    evaluations = [line for line in capsys.readouterr().out.splitlines() if "val loss" in line]
    assert len(evaluations) == 1 and evaluations[0].startswith("step      4")
    assert "must be >= 0" in exits_2(["train", "--eval-every", "-1"], capsys)


# --- sample: written as it is drawn --------------------------------------------------


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_sample_chunks_are_the_text_the_model_samples_at_once(trained, chunk, monkeypatch):
    """The chunks against CharLM.sample in one call (what training's samples use)."""
    from rnn.app.checkpoint import load_checkpoint, model_from_checkpoint

    model, vocab = model_from_checkpoint(load_checkpoint(trained))
    monkeypatch.setattr(sampling, "CHUNK_CHARS", chunk)
    cases = [("def ", 300, 0.8, 5), ("\n", 1, 0.8, 0), ("x", 50, 0.0, 3), ("\n", 200, 2.0, 9)]
    for prime, length, temperature, seed in cases:
        chunks = list(sampling.generate_chunks(trained, prime, length, temperature, seed))
        rng = np.random.default_rng(seed)
        whole = sampling.sample_text(model, vocab, prime, length, temperature, rng)
        assert (
            "".join(chunks) == whole == sampling.generate(trained, prime, length, temperature, seed)
        )
        assert max(len(c) for c in chunks[1:]) <= chunk


def test_sample_prints_the_same_bytes_as_generate(trained, capsys, monkeypatch):
    monkeypatch.setattr(sampling, "CHUNK_CHARS", 16)
    for length in ("1", "16", "17", "500"):
        assert cli.main(["sample", str(trained), "--length", length, "--seed", "3"]) == 0
        expected = sampling.generate(trained, None, int(length), 0.8, 3) + "\n"
        assert capsys.readouterr().out == expected


def test_a_very_long_sample_starts_at_once(trained):
    start = time.monotonic()
    chunks = sampling.generate_chunks(trained, "d", 10**12, 0.8, 1)
    first = list(itertools.islice(chunks, 3))
    assert first[0] == "d" and 0 < len(first[1]) <= sampling.CHUNK_CHARS
    assert time.monotonic() - start < 30


def test_ctrl_c_while_sampling_keeps_what_was_drawn(trained, monkeypatch, capsys):
    forward, calls = CharLM.forward, itertools.count()

    def interrupted(self, *args):
        if next(calls) == 40:  # after the prime's call, one per character: 40 drawn
            raise KeyboardInterrupt
        return forward(self, *args)

    monkeypatch.setattr(CharLM, "forward", interrupted)
    argv = ["sample", str(trained), "--length", str(10**12), "--seed", "4"]
    assert cli.main(argv) == 130
    captured = capsys.readouterr()
    assert captured.err == "rnn: interrupted\n"
    monkeypatch.setattr(CharLM, "forward", forward)
    # What was drawn, then a newline: the shell's prompt and the message start a line.
    assert captured.out == sampling.generate(trained, None, 40, 0.8, 4) + "\n"


def read_within(stream, size: int, seconds: float) -> bytes:
    """Up to ``size`` bytes of a pipe, as many as come within ``seconds``."""
    data, deadline = b"", time.monotonic() + seconds
    while len(data) < size:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([stream], [], [], left)[0]:
            break
        more = os.read(stream.fileno(), size - len(data))
        if not more:
            break
        data += more
    return data


def test_sample_into_head_ends_at_once(trained):
    """`rnn sample CK --length 1000000000000 | head -c 100`, in a subprocess."""
    root = os.path.dirname(os.path.dirname(rnn.__file__))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    argv = [sys.executable, "-m", "rnn", "sample", str(trained), "--length", str(10**12)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        head = read_within(proc.stdout, 100, seconds=60)
        proc.stdout.close()
        status = proc.wait(timeout=60) if len(head) == 100 else None
    finally:
        proc.kill()
        proc.wait()
    assert len(head) == 100
    assert (status, proc.stderr.read()) == (1, b"")


def test_sampling_at_a_tiny_temperature_is_the_likeliest_text_without_warnings(trained, capsys):
    import warnings

    assert cli.main(["sample", str(trained), "--length", "30", "--temperature", "0"]) == 0
    likeliest = capsys.readouterr().out
    for tiny in ("1e-310", "2e-309"):  # the scaled logits overflow; or their differences do
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            argv = ["sample", str(trained), "--length", "30", "--temperature", tiny]
            assert cli.main(argv) == 0
        assert capsys.readouterr().out == likeliest


def test_a_model_whose_outputs_are_not_finite_is_one_line_while_sampling(trained, tmp_path, capsys):
    state = dict(np.load(trained, allow_pickle=False))
    key = next(k for k in state if "embed" in k)
    state[key] = np.full_like(state[key], np.nan)
    broken = tmp_path / "nan.npz"
    np.savez(broken, **state)
    status = cli.main(["sample", str(broken), "--length", "10"])
    one_line_error(capsys, status, "the model's outputs are not finite")


@pytest.mark.parametrize("closed", [">&-", "2>&-"])
@pytest.mark.parametrize(
    "argv",
    [
        ["sample", "{ck}", "--length", "10"],
        ["task", "adding", "--T", "5", "--steps", "3", "--hidden", "4", "--batch", "2", "-q"],
    ],
)
def test_a_closed_stdout_or_stderr_drops_the_output(argv, closed, trained, tmp_path):
    argv = [a.replace("{ck}", str(trained)) for a in argv]
    fd = 1 if closed == ">&-" else 2
    log = tmp_path / "stderr.txt"
    with open(log, "w") as err:
        done = subprocess.run(
            [sys.executable, "-m", "rnn", *argv],
            stdout=subprocess.DEVNULL,
            stderr=err,
            preexec_fn=lambda: os.close(fd),
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            check=False,
        )
    assert done.returncode == 0, log.read_text()
    assert fd == 2 or log.read_text() == ""


def test_task_save_replaces_only_a_model_task_saved(tmp_path, capsys):
    text = tmp_path / "notes.txt"
    text.write_text("not a model\n")
    argv = ["task", "adding", "--T", "5", "--steps", "2", "--hidden", "4", "--batch", "2", "-q"]
    status = cli.main([*argv, "--save", str(text)])
    one_line_error(capsys, status, "the file exists and is not a model saved by rnn task")
    assert text.read_text() == "not a model\n"
    saved = tmp_path / "model.npz"
    assert cli.main([*argv, "--save", str(saved)]) == 0
    assert cli.main([*argv, "--save", str(saved), "--seed", "1"]) == 0  # a model: replaced


def test_a_one_character_text_is_too_short_in_words(tmp_path, capsys):
    one = tmp_path / "one.txt"
    one.write_text("x")
    status = cli.main(["demo", "--data", str(one), "--out", str(tmp_path / "out"), "-q"])
    one_line_error(capsys, status, "too short to split", "(1 character;")


def test_a_failed_run_leaves_no_empty_output_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo", "--data", "missing.txt"]) == 1
    assert cli.main(["train", "--data", "missing.txt"]) == 1
    capsys.readouterr()
    assert not (tmp_path / "out").exists()
    kept = tmp_path / "kept"
    kept.mkdir()  # a folder that was there before the run stays
    assert cli.main(["demo", "--data", "missing.txt", "--out", str(kept / "a" / "b")]) == 1
    assert kept.is_dir() and not (kept / "a").exists()


def test_outputs_through_links_and_into_pipes(tmp_path, capsys):
    import threading

    target = tmp_path / "record.json"
    link = tmp_path / "history.json"
    link.symlink_to(target)
    pipe = tmp_path / "model.pipe"
    os.mkfifo(pipe)
    got: list[bytes] = []
    # A daemon: if the command fails, nothing opens the pipe for writing and the reader
    # would block the exit of the test run.
    reader = threading.Thread(target=lambda: got.append(pipe.read_bytes()), daemon=True)
    reader.start()
    argv = ["task", "adding", "--T", "5", "--steps", "2", "--hidden", "4", "--batch", "2", "-q"]
    assert cli.main([*argv, "--history", str(link), "--save", str(pipe)]) == 0
    reader.join(10)
    assert link.is_symlink() and target.read_text().startswith("{")
    assert pipe.is_fifo() and got and got[0][:2] == b"PK"


@pytest.mark.parametrize("name", ["a.txt", "./a.txt", "../here/a.txt", "link.txt", "hard.txt"])
def test_checkpoint_never_replaces_the_training_text(name, tmp_path, monkeypatch, capsys):
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    (here / "a.txt").write_text(TEXT)
    (here / "link.txt").symlink_to("a.txt")
    os.link(here / "a.txt", here / "hard.txt")
    status = train("a.txt", name, "--steps", "2", "--force")
    # two options naming one file do not fit together: a usage error, found before the run
    err = one_line_error(
        capsys, status, "is also the --data file (a.txt)", "choose another path", code=2
    )
    assert err.startswith(f"rnn: error: --checkpoint {os.path.normpath(name)} ")
    assert (here / "a.txt").read_text() == TEXT
    # Resumed, the run's text comes from the checkpoint: named by --data or not.
    assert train("a.txt", "run.npz", "--steps", "2") == 0
    status = cli.main(
        ["train", "--resume", "run.npz", "--steps", "4", "--checkpoint", name, "--force"]
    )
    one_line_error(capsys, status, "is also the --data file (a.txt)", code=2)
    assert (here / "a.txt").read_text() == TEXT


# --- --history ------------------------------------------------------------------------


def test_history_never_replaces_the_text_the_checkpoint_or_another_file(tmp_path, capsys):
    text = tmp_path / "a.txt"
    text.write_text(TEXT)
    ckpt = tmp_path / "run" / "checkpoint.npz"
    # The training text, named another way: refused before training, the text intact.
    status = train(text, ckpt, "--steps", "2", "--history", str(tmp_path / "." / "a.txt"))
    one_line_error(capsys, status, "--history", "is also one of the --data files", code=2)
    assert text.read_text() == TEXT and not ckpt.exists()
    assert train(text, ckpt, "--steps", "2") == 0
    status = train(text, ckpt, "--steps", "4", "--force", "--history", str(ckpt))
    one_line_error(capsys, status, "is also the checkpoint", code=2)
    notes = tmp_path / "notes.md"
    notes.write_text("mine")
    status = cli.main([*TASK, "--history", str(notes)])
    one_line_error(capsys, status, "--history", "not a record written by --history")
    assert notes.read_text() == "mine"
    model = tmp_path / "model.npz"
    status = cli.main([*TASK, "--history", str(model), "--save", str(model)])
    one_line_error(capsys, status, "is also the --save file", code=2)
    status = cli.main(["demo", "--data", str(text), "--history", str(text), "-q"])
    one_line_error(capsys, status, "is also one of the --data files", code=2)
    assert text.read_text() == TEXT
    # A file the demo itself writes into its folder: refused before the run (the record
    # was left replaced by the checkpoint), not only once the file is there.
    for name in ("checkpoint.npz", "gradflow.txt"):
        argv = ["demo", "--data", str(text), "--out", str(tmp_path / "d")]
        status = cli.main([*argv, "--history", str(tmp_path / "d" / name), "-q"])
        one_line_error(capsys, status, f"is also the demo's {name}", code=2)
    empty = tmp_path / "empty.json"  # as mktemp makes it: nothing to lose
    empty.touch()
    assert cli.main([*TASK, "--history", str(empty)]) == 0
    assert '"command"' in empty.read_text()


def test_history_replaces_a_record_an_earlier_run_wrote(tmp_path, capsys):
    record = tmp_path / "run.json"
    assert cli.main([*TASK, "--history", str(record)]) == 0
    first = record.read_text()
    assert cli.main([*TASK, "--seed", "3", "--history", str(record)]) == 0
    capsys.readouterr()
    assert record.read_text() != first and '"command"' in record.read_text()


def test_task_says_when_its_cpu_limit_ended_training(monkeypatch, capsys):
    clock = itertools.count(0.0, 30.0)  # every read of the CPU clock: 30 s more
    monkeypatch.setattr(tasks.time, "process_time", lambda: next(clock))
    argv = ["task", "adding", "--T", "5", "--steps", "1000", "--hidden", "4", "--batch", "2"]
    assert cli.main([*argv, "--log-every", "10", "--cpu-limit", "1"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    taken, rest = last.split(" steps", 1)
    assert int(taken) < 1000 and rest.startswith(" of 1000 (--cpu-limit 1 min reached): "), last


def test_a_model_saved_after_its_cpu_limit_records_the_steps_it_took(monkeypatch, tmp_path, capsys):
    # --save's config holds the steps the model was trained for; before, the --steps
    # asked (1000 here, where the --cpu-limit stopped training at 10).
    from rnn.app.taskfile import read

    clock = itertools.count(0.0, 30.0)  # every read of the CPU clock: 30 s more
    monkeypatch.setattr(tasks.time, "process_time", lambda: next(clock))
    saved = tmp_path / "model.npz"
    argv = ["task", "adding", "--T", "5", "--steps", "1000", "--hidden", "4", "--batch", "2"]
    argv += ["--log-every", "10", "--cpu-limit", "1", "--save", str(saved)]
    assert cli.main(argv) == 0
    taken = int(capsys.readouterr().out.strip().splitlines()[-2].split(" steps", 1)[0])
    assert taken < 1000
    assert read(saved)["config"]["steps"] == taken


@pytest.mark.parametrize(
    "argv, said",
    [
        (["dynamics", "--scale", "-1e-3"], "argument --scale: must be > 0, got -1e-3"),
        (["task", "adding", "--lr", "-2.5E-4"], "argument --lr: must be > 0, got -2.5E-4"),
        (["sample", "x.npz", "--temperature", "-inf"], "argument --temperature: must be a finite"),
    ],
)
def test_a_negative_number_reaches_the_options_own_check(argv, said, capsys):
    # argparse took "-1e-3" for an option: "expected one argument".
    err = exits_2(argv, capsys)
    assert said in err and "expected one argument" not in err
