"""What a new user of `train`, `task` and `sample` runs into: output paths checked before
the work, messages that name the right option and the way on, interrupts that say what
was kept, and samples written as they are drawn."""

from __future__ import annotations

import errno
import itertools
import os

import pytest
from clitools import TEXT, exits_2, one_line_error, train

import minigrad
from rnn.app import cli, tasks

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
